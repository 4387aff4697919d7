//! DNA read embeddings without weights: canonical k-mer frequency profiles (`dna-kmer`) and an
//! LSHvec-style hashed embedding (`dna-lsh`).
//!
//! Why: metagenomic binning groups reads by organism, and genomes differ in their short-word
//! composition (tetranucleotide frequencies are the classic signal). Both backends are
//! deterministic (the LSH one for a given seed), need no GPU, and treat a read and its reverse
//! complement alike, since a read may come from either strand.
//!
//! - `dna-kmer`: counts every canonical k-mer (the smaller of a k-mer and its reverse
//!   complement in A<C<G<T order) and returns relative frequencies (summing to 1), or, with
//!   [`KmerWeighting::SqrtUnit`] (the GAME predictor's `dna-kmer-canonical`), `sqrt(count)`
//!   L2-normalised so that repeats do not dominate a cosine distance. The dimension is the
//!   number of canonical k-mers: `4^k / 2`, plus `4^(k/2) / 2` palindromes for even k (136 for
//!   the default k = 4).
//! - `dna-lsh`: each canonical k-mer is one-hot encoded (4k values) and hashed by `dim` seeded
//!   random hyperplanes (Gaussian normals) to a `dim`-bit sign vector, so k-mers that differ in
//!   a few positions share most bits (random-hyperplane LSH, as LSHvec does before its
//!   embedding layer); the read vector is the mean of the ±1 sign vectors of its k-mers.
//!
//! Residues: `ACGT` in either case (`U` = `T`); k-mers spanning any other IUPAC code (`N`, ...)
//! are skipped. A read with no complete k-mer (shorter than k, or all `N`) gets the uniform
//! profile (`dna-kmer` frequencies), the zero vector (`dna-kmer` with `SqrtUnit`, `dna-lsh`;
//! cosine distance 1 to everything) rather than an error: such reads exist
//! in every real run and must not stop it. Characters that are not nucleotides are errors.

use rand::distr::OpenClosed01;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::EmbedError;
use crate::Embedder;

/// 2-bit code of a nucleotide; 4 = not A/C/G/T (breaks k-mers); 5 = not a nucleotide at all.
#[inline]
fn code(b: u8) -> u8 {
    match b {
        b'A' | b'a' => 0,
        b'C' | b'c' => 1,
        b'G' | b'g' => 2,
        b'T' | b't' | b'U' | b'u' => 3,
        b'N' | b'n' | b'R' | b'r' | b'Y' | b'y' | b'K' | b'k' | b'M' | b'm' | b'S' | b's'
        | b'W' | b'w' | b'B' | b'b' | b'D' | b'd' | b'H' | b'h' | b'V' | b'v' | b'.' | b'-' => 4,
        _ => 5,
    }
}

/// Calls `f(canonical_code)` for every canonical k-mer of `seq` (k-mers spanning a non-ACGT
/// code are skipped). Returns an error message for a character that is not a nucleotide.
fn for_each_canonical(seq: &[u8], k: usize, mut f: impl FnMut(u64)) -> Result<(), String> {
    let mask: u64 = if k == 32 {
        u64::MAX
    } else {
        (1u64 << (2 * k)) - 1
    };
    let shift = 2 * (k as u64 - 1);
    let (mut fwd, mut rev, mut valid) = (0u64, 0u64, 0usize);
    for (i, &b) in seq.iter().enumerate() {
        let c = code(b);
        if c == 5 {
            return Err(format!(
                "invalid nucleotide {:?} at position {}",
                char::from(b),
                i + 1
            ));
        }
        if c == 4 {
            valid = 0;
            continue;
        }
        let c = c as u64;
        fwd = ((fwd << 2) | c) & mask;
        rev = (rev >> 2) | ((3 - c) << shift);
        valid += 1;
        if valid >= k {
            f(fwd.min(rev));
        }
    }
    Ok(())
}

/// Reverse complement of a 2-bit packed k-mer.
fn revcomp(mut x: u64, k: usize) -> u64 {
    let mut r = 0u64;
    for _ in 0..k {
        r = (r << 2) | (3 - (x & 3));
        x >>= 2;
    }
    r
}

/// Number of canonical k-mers (the `dna-kmer` dimension).
pub fn canonical_count(k: usize) -> usize {
    let all = 1usize << (2 * k);
    if k.is_multiple_of(2) {
        (all + (1usize << k)) / 2
    } else {
        all / 2
    }
}

/// How `dna-kmer` turns canonical k-mer counts into a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KmerWeighting {
    /// Relative frequencies (summing to 1); a read without k-mers gets the uniform profile.
    #[default]
    Frequency,
    /// `sqrt(count)`, L2-normalised (sublinear, so repeated words do not dominate); a sequence
    /// without k-mers gets the zero vector. The GAME predictor's `dna-kmer-canonical`.
    SqrtUnit,
}

/// Parameters of `dna-kmer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnaKmerParams {
    /// k-mer size (1..=[`DnaKmerParams::MAX_K`]); 4 = tetranucleotides.
    pub k: usize,
    /// From counts to vector.
    pub weighting: KmerWeighting,
}

impl DnaKmerParams {
    /// Largest k (the canonical index table has 4^k entries).
    pub const MAX_K: usize = 10;
    /// Default k: tetranucleotide frequencies.
    pub const DEFAULT_K: usize = 4;

    /// Checks the range; the message says the valid one.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=Self::MAX_K).contains(&self.k) {
            return Err(format!(
                "k = {} is out of range for dna-kmer; give 1..={} (4 = tetranucleotide frequencies)",
                self.k,
                Self::MAX_K
            ));
        }
        Ok(())
    }
}

impl Default for DnaKmerParams {
    fn default() -> Self {
        Self {
            k: Self::DEFAULT_K,
            weighting: KmerWeighting::Frequency,
        }
    }
}

/// Canonical k-mer frequency profiles.
pub struct DnaKmerEmbedder {
    params: DnaKmerParams,
    /// Packed canonical k-mer -> dense index (only canonical codes are looked up).
    index: Vec<u32>,
    dim: usize,
}

impl DnaKmerEmbedder {
    /// Builds the index table for `params.k`.
    pub fn new(params: DnaKmerParams) -> Result<Self, String> {
        params.validate()?;
        let k = params.k;
        let n = 1usize << (2 * k);
        let mut index = vec![u32::MAX; n];
        let mut next = 0u32;
        for x in 0..n as u64 {
            let c = x.min(revcomp(x, k));
            if index[c as usize] == u32::MAX {
                index[c as usize] = next;
                next += 1;
            }
        }
        debug_assert_eq!(next as usize, canonical_count(k));
        Ok(Self {
            params,
            index,
            dim: next as usize,
        })
    }

    /// The parameters.
    pub fn params(&self) -> DnaKmerParams {
        self.params
    }

    /// Writes the profile of `seq` into `out` (length [`Embedder::dim`]); returns the number
    /// of k-mers counted.
    pub fn embed_into(&self, seq: &[u8], out: &mut [f32]) -> Result<usize, String> {
        let mut counts = vec![0u32; self.dim];
        let mut total = 0usize;
        for_each_canonical(seq, self.params.k, |c| {
            counts[self.index[c as usize] as usize] += 1;
            total += 1;
        })?;
        match self.params.weighting {
            KmerWeighting::Frequency if total == 0 => out.fill(1.0 / self.dim as f32),
            KmerWeighting::Frequency => {
                let inv = 1.0 / total as f32;
                for (o, &c) in out.iter_mut().zip(&counts) {
                    *o = c as f32 * inv;
                }
            }
            KmerWeighting::SqrtUnit => {
                // In f64, then rounded once, so the unit norm holds to f32 precision.
                let norm = counts.iter().map(|&c| c as f64).sum::<f64>().sqrt();
                for (o, &c) in out.iter_mut().zip(&counts) {
                    *o = if norm > 0.0 {
                        ((c as f64).sqrt() / norm) as f32
                    } else {
                        0.0
                    };
                }
            }
        }
        Ok(total)
    }
}

/// Parameters of `dna-lsh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnaLshParams {
    /// k-mer size (1..=32).
    pub k: usize,
    /// Number of hyperplanes = output dimension (1..=4096).
    pub dim: usize,
    /// Seed of the hyperplanes.
    pub seed: u64,
}

impl DnaLshParams {
    /// Default k.
    pub const DEFAULT_K: usize = 8;
    /// Default dimension.
    pub const DEFAULT_DIM: usize = 64;
    /// Default seed (the bytes of "homolog", as the protein `kmer` backend).
    pub const DEFAULT_SEED: u64 = 0x0068_6f6d_6f6c_6f67;

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=32).contains(&self.k) {
            return Err(format!(
                "k = {} is out of range for dna-lsh; give 1..=32",
                self.k
            ));
        }
        if !(1..=4096).contains(&self.dim) {
            return Err(format!(
                "dim = {} is out of range for dna-lsh; give 1..=4096 (64 is the default)",
                self.dim
            ));
        }
        Ok(())
    }
}

impl Default for DnaLshParams {
    fn default() -> Self {
        Self {
            k: Self::DEFAULT_K,
            dim: Self::DEFAULT_DIM,
            seed: Self::DEFAULT_SEED,
        }
    }
}

/// Standard normal deviate (Box-Muller).
fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    // (0, 1], so the logarithm is finite.
    let u1: f64 = rng.sample(OpenClosed01);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// LSHvec-style embedding: mean of random-hyperplane sign vectors of the canonical k-mers.
pub struct DnaLshEmbedder {
    params: DnaLshParams,
    /// `planes[(4 * pos + base) * dim + j]`: weight of one-hot input (pos, base) on plane j.
    planes: Vec<f32>,
    /// For k <= 8: precomputed sign bits of every packed k-mer (`words` u64 per k-mer).
    table: Option<Vec<u64>>,
    words: usize,
}

impl DnaLshEmbedder {
    /// Draws the hyperplanes from the seed.
    pub fn new(params: DnaLshParams) -> Result<Self, String> {
        params.validate()?;
        // A seeded ChaCha8 stream is the same on every platform and within a rand release
        // series (value-breaking changes need a minor version bump), so embeddings reproduce.
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        let planes: Vec<f32> = (0..4 * params.k * params.dim)
            .map(|_| gaussian(&mut rng) as f32)
            .collect();
        let words = params.dim.div_ceil(64);
        let mut e = Self {
            params,
            planes,
            table: None,
            words,
        };
        if params.k <= 8 {
            let n = 1usize << (2 * params.k);
            let mut table = vec![0u64; n * words];
            let mut bits = vec![0u64; words];
            for x in 0..n as u64 {
                e.signs(x, &mut bits);
                table[x as usize * words..(x as usize + 1) * words].copy_from_slice(&bits);
            }
            e.table = Some(table);
        }
        Ok(e)
    }

    /// The parameters.
    pub fn params(&self) -> DnaLshParams {
        self.params
    }

    /// Sign bits of the one-hot encoding of packed k-mer `x` projected on every plane.
    fn signs(&self, x: u64, bits: &mut [u64]) {
        let (k, dim) = (self.params.k, self.params.dim);
        let mut acc = vec![0f32; dim];
        for pos in 0..k {
            // Position 0 is the first (most significant) base.
            let base = ((x >> (2 * (k - 1 - pos))) & 3) as usize;
            let row = &self.planes[(4 * pos + base) * dim..(4 * pos + base + 1) * dim];
            for (a, w) in acc.iter_mut().zip(row) {
                *a += w;
            }
        }
        bits.fill(0);
        for (j, a) in acc.iter().enumerate() {
            if *a >= 0.0 {
                bits[j / 64] |= 1 << (j % 64);
            }
        }
    }

    /// Writes the embedding of `seq` into `out` (length `dim`); returns the number of k-mers.
    pub fn embed_into(&self, seq: &[u8], out: &mut [f32]) -> Result<usize, String> {
        let dim = self.params.dim;
        let mut ones = vec![0u32; dim];
        let mut total = 0usize;
        let mut bits = vec![0u64; self.words];
        for_each_canonical(seq, self.params.k, |c| {
            let b: &[u64] = match &self.table {
                Some(t) => &t[c as usize * self.words..(c as usize + 1) * self.words],
                None => {
                    self.signs(c, &mut bits);
                    &bits
                }
            };
            for (w, &word) in b.iter().enumerate() {
                let mut m = word;
                while m != 0 {
                    let t = m.trailing_zeros() as usize;
                    ones[w * 64 + t] += 1;
                    m &= m - 1;
                }
            }
            total += 1;
        })?;
        if total == 0 {
            out.fill(0.0);
        } else {
            let inv = 2.0 / total as f32;
            for (o, &c) in out.iter_mut().zip(&ones) {
                *o = c as f32 * inv - 1.0;
            }
        }
        Ok(total)
    }
}

fn embed_batch(
    name: &str,
    dim: usize,
    batch: &[&str],
    layers: &[usize],
    f: impl Fn(&[u8], &mut [f32]) -> Result<usize, String> + Sync,
) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
    if let Some(&l) = layers.iter().find(|&&l| l != 0) {
        return Err(EmbedError::Backend {
            backend: name.to_string(),
            reason: format!("layer {l} does not exist; {name} has one layer (0)"),
        });
    }
    batch
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut v = vec![0f32; dim];
            f(s.as_bytes(), &mut v).map_err(|reason| EmbedError::Sequence {
                backend: name.to_string(),
                id: format!("#{i} of the batch"),
                reason,
            })?;
            Ok(vec![v; layers.len()])
        })
        .collect()
}

impl DnaKmerEmbedder {
    /// The name it reports: `dna-kmer`, or `dna-kmer-canonical` with [`KmerWeighting::SqrtUnit`].
    fn reported_name(&self) -> &'static str {
        match self.params.weighting {
            KmerWeighting::Frequency => "dna-kmer",
            KmerWeighting::SqrtUnit => "dna-kmer-canonical",
        }
    }
}

impl Embedder for DnaKmerEmbedder {
    fn name(&self) -> &str {
        self.reported_name()
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn num_layers(&self) -> usize {
        1
    }
    fn embed(&self, batch: &[&str], layers: &[usize]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
        embed_batch(self.reported_name(), self.dim, batch, layers, |s, o| {
            self.embed_into(s, o)
        })
    }
}

impl Embedder for DnaLshEmbedder {
    fn name(&self) -> &str {
        "dna-lsh"
    }
    fn dim(&self) -> usize {
        self.params.dim
    }
    fn num_layers(&self) -> usize {
        1
    }
    fn embed(&self, batch: &[&str], layers: &[usize]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
        embed_batch("dna-lsh", self.params.dim, batch, layers, |s, o| {
            self.embed_into(s, o)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqrt_unit(k: usize) -> DnaKmerEmbedder {
        DnaKmerEmbedder::new(DnaKmerParams {
            k,
            weighting: KmerWeighting::SqrtUnit,
        })
        .unwrap()
    }

    fn profile(e: &DnaKmerEmbedder, seq: &str) -> Vec<f32> {
        let mut v = vec![0f32; e.dim()];
        e.embed_into(seq.as_bytes(), &mut v).unwrap();
        v
    }

    #[test]
    fn sqrt_unit_profiles_are_unit_strand_symmetric_and_sublinear() {
        let e = sqrt_unit(4);
        assert_eq!(e.name(), "dna-kmer-canonical");
        let s = "ACGGTTACCANNGTAGCATTT";
        let rc: String = s
            .chars()
            .rev()
            .map(|c| match c {
                'A' => 'T',
                'C' => 'G',
                'G' => 'C',
                'T' => 'A',
                x => x,
            })
            .collect();
        assert_eq!(profile(&e, s), profile(&e, &rc));
        let n: f32 = profile(&e, s).iter().map(|x| x * x).sum();
        assert!((n - 1.0).abs() < 1e-5, "{n}");
        // No complete word: the zero vector (cosine distance 1 to everything).
        assert!(profile(&e, "ACG").iter().all(|&x| x == 0.0));
        // Words of AAAAATTTTT (k = 3): AAA x3, AAT, ATT, TTT x3; canonical: AAA x6, AAT x2.
        let mut nz: Vec<f32> = profile(&sqrt_unit(3), "AAAAATTTTT")
            .into_iter()
            .filter(|&x| x > 0.0)
            .collect();
        nz.sort_by(f32::total_cmp);
        assert_eq!(nz.len(), 2);
        assert!((nz[1] / nz[0] - 3f32.sqrt()).abs() < 1e-5);
    }

    fn rc(s: &str) -> String {
        s.bytes()
            .rev()
            .map(|b| match b {
                b'A' => 'T',
                b'C' => 'G',
                b'G' => 'C',
                b'T' => 'A',
                _ => 'N',
            })
            .collect()
    }

    #[test]
    fn canonical_counts() {
        assert_eq!(canonical_count(1), 2);
        assert_eq!(canonical_count(2), 10);
        assert_eq!(canonical_count(4), 136);
        for k in 1..=6 {
            assert_eq!(
                DnaKmerEmbedder::new(DnaKmerParams {
                    k,
                    ..Default::default()
                })
                .unwrap()
                .dim(),
                canonical_count(k)
            );
        }
    }

    #[test]
    fn profile_by_hand_and_strand_invariance() {
        let e = DnaKmerEmbedder::new(DnaKmerParams {
            k: 1,
            ..Default::default()
        })
        .unwrap();
        let mut v = vec![0f32; 2];
        // A/T collapse to index 0, C/G to 1.
        assert_eq!(e.embed_into(b"AACGTN", &mut v).unwrap(), 5);
        assert_eq!(v, vec![0.6, 0.4]);
        let e = DnaKmerEmbedder::new(DnaKmerParams::default()).unwrap();
        let s = "ACGTTGCAAGGCTTANNACGGGTACCATGCAGTAGGCAT";
        let a = e.embed(&[s, &rc(s)], &[0]).unwrap();
        assert_eq!(a[0][0], a[1][0]);
        assert!((a[0][0].iter().sum::<f32>() - 1.0).abs() < 1e-5);
        // Too short: uniform; bad character: error naming it.
        let a = e.embed(&["ACG"], &[0]).unwrap();
        assert!((a[0][0][0] - 1.0 / 136.0).abs() < 1e-7);
        let err = e.embed(&["ACGTZ"], &[0]).unwrap_err().to_string();
        assert!(err.contains("'Z'") && err.contains("position 5"), "{err}");
        assert!(e.embed(&["ACGT"], &[1]).is_err());
    }

    #[test]
    fn lsh_deterministic_strand_invariant_and_table_matches_direct() {
        let s = "ACGTTGCAAGGCTTANNACGGGTACCATGCAGTAGGCATTTGACCA";
        let p = DnaLshParams::default();
        let a = DnaLshEmbedder::new(p).unwrap();
        let b = DnaLshEmbedder::new(p).unwrap();
        let va = a.embed(&[s, &rc(s)], &[0]).unwrap();
        let vb = b.embed(&[s], &[0]).unwrap();
        assert_eq!(va[0][0], vb[0][0]);
        assert_eq!(va[0][0], va[1][0]);
        assert!(va[0][0].iter().all(|x| (-1.0..=1.0).contains(x)));
        // Another seed gives another vector.
        let c = DnaLshEmbedder::new(DnaLshParams { seed: 7, ..p }).unwrap();
        assert_ne!(c.embed(&[s], &[0]).unwrap()[0][0], va[0][0]);
        // The precomputed table (k <= 8) equals the direct computation.
        let mut bits = vec![0u64; a.words];
        let t = a.table.as_ref().unwrap();
        for x in [0u64, 1, 12345, 65535] {
            a.signs(x, &mut bits);
            assert_eq!(
                &t[x as usize * a.words..(x as usize + 1) * a.words],
                &bits[..]
            );
        }
        // k > 8 runs without a table.
        let big = DnaLshEmbedder::new(DnaLshParams { k: 12, ..p }).unwrap();
        assert!(big.table.is_none());
        let v = big.embed(&[s, &rc(s)], &[0]).unwrap();
        assert_eq!(v[0][0], v[1][0]);
    }

    #[test]
    fn similar_reads_are_closer_than_unrelated_ones() {
        // A read, the same read with two substitutions, and an unrelated AT-rich read.
        let a = "ATGGCGCGCATTGCCGGCTACGATCGCGGCGCTGCCGAGCTGGCGCGCAAAGCCGCGCTGGACCGC";
        let b = "ATGGCGCGCATTGCCGGCTACGATCGCTGCGCTGCCGAGCTGGCGCGCAAAGCAGCGCTGGACCGC";
        let c = "ATGAAATTAATTTTAAAAATATTTATAATCAATTTTTAAAGATAATTAATAATATTAAATATTTTA";
        let e = DnaLshEmbedder::new(DnaLshParams::default()).unwrap();
        let v = e.embed(&[a, b, c], &[0]).unwrap();
        let d =
            |x: &[f32], y: &[f32]| -> f32 { x.iter().zip(y).map(|(p, q)| (p - q).powi(2)).sum() };
        assert!(d(&v[0][0], &v[1][0]) < d(&v[0][0], &v[2][0]));
    }
}
