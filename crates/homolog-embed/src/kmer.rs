//! The `kmer` backend: a deterministic, seeded, alignment-free protein embedding.
//!
//! Why: homolog must find close homologs without a GPU or model weights (demo, tests, CI). Two
//! homologous proteins share many short words even at ~70 % identity, so a vector of word counts
//! compared by cosine ranks them far above unrelated proteins.
//!
//! How, for k-mer size `s` (layer `L` uses `s = k - L`, so layer 0 is the full `k`):
//! - two feature groups: contiguous `s`-mers over the 20 amino acids, and spaced seeds of
//!   weight `s` spanning `s + 1` residues with one "don't care" position (each interior
//!   position once), which survive a substitution at the gap;
//! - counts are weighted sublinearly (`sqrt`) so low-complexity repeats do not dominate;
//! - each feature is signed-hashed (seeded) into `dim` buckets (feature hashing: an unbiased
//!   random projection of the sparse count vector);
//! - for `s` = 2 and 3 the counts expected from the sequence's own amino-acid composition are
//!   subtracted (projected through the same hashing), so two unrelated proteins of similar
//!   composition no longer look alike: this alone lifts the retrieval of 60 %-identity
//!   mutants among 5,000 Swiss-Prot proteins from 91 % to 96 % (50 %: 33 % to 45 %);
//! - each group is L2-normalised, the groups are summed and the sum is L2-normalised, so
//!   cosine and euclidean rank identically.
//!
//! A Murphy reduced-alphabet group was tried and dropped: it lowered retrieval of mutants.
//!
//! Residues: the 20 standard letters; U counts as C and O as K (their parent amino acids); the
//! ambiguity codes B, Z, J, X break words (no k-mer spans them). Any other character is an
//! error for that sequence. A sequence shorter than `s` (or with no complete word) falls back to
//! its amino-acid composition so every valid sequence gets a unit vector.

use rayon::prelude::*;

use crate::error::EmbedError;
use crate::Embedder;

/// Parameters of the k-mer embedding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KmerParams {
    /// Longest word size; also the number of layers.
    pub k: usize,
    /// Output dimension.
    pub dim: usize,
    /// Hashing seed: the same seed gives the same vectors on every machine.
    pub seed: u64,
}

impl KmerParams {
    /// Default seed (the bytes of "homolog").
    pub const DEFAULT_SEED: u64 = 0x0068_6f6d_6f6c_6f67;
    /// Largest supported `k` (words are packed into 64 bits).
    pub const MAX_K: usize = 10;
    /// Largest supported `dim`.
    pub const MAX_DIM: usize = 1 << 20;

    /// Checks the ranges; the message says the valid range.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=Self::MAX_K).contains(&self.k) {
            return Err(format!(
                "k = {} is out of range; give 1..={} (3 is a good default)",
                self.k,
                Self::MAX_K
            ));
        }
        if !(1..=Self::MAX_DIM).contains(&self.dim) {
            return Err(format!(
                "dim = {} is out of range; give 1..={} (1024 is the default)",
                self.dim,
                Self::MAX_DIM
            ));
        }
        Ok(())
    }
}

impl Default for KmerParams {
    fn default() -> Self {
        Self {
            k: 3,
            dim: 1024,
            seed: Self::DEFAULT_SEED,
        }
    }
}

/// Number of feature groups (exact, spaced).
const GROUPS: usize = 2;

/// Largest word size whose composition background is subtracted (20^s words per pattern are
/// enumerated for every sequence, so this must stay small).
const MAX_CENTERED: usize = 3;

/// Residue classes of one input byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Res {
    /// Standard residue, index 0..20 into `STANDARD`.
    Std(u8),
    /// Ambiguity code: breaks words.
    Ambiguous,
    /// Not a residue letter.
    Invalid,
}

const STANDARD: &[u8; 20] = b"ACDEFGHIKLMNPQRSTVWY";

const fn residue_table() -> [Res; 256] {
    let mut t = [Res::Invalid; 256];
    let mut i = 0;
    while i < 20 {
        let c = STANDARD[i];
        t[c as usize] = Res::Std(i as u8);
        t[(c + 32) as usize] = Res::Std(i as u8);
        i += 1;
    }
    // U (selenocysteine) -> C, O (pyrrolysine) -> K.
    t[b'U' as usize] = Res::Std(1);
    t[b'u' as usize] = Res::Std(1);
    t[b'O' as usize] = Res::Std(8);
    t[b'o' as usize] = Res::Std(8);
    let amb = b"BZJXbzjx";
    let mut j = 0;
    while j < amb.len() {
        t[amb[j] as usize] = Res::Ambiguous;
        j += 1;
    }
    t
}

static RESIDUES: [Res; 256] = residue_table();

/// splitmix64 finaliser: a fast, well-mixed 64-bit hash.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Deterministic hashed k-mer embedder (see the module docs).
#[derive(Debug, Clone)]
pub struct KmerEmbedder {
    params: KmerParams,
    /// Precomputed hashing of every word of size 2..=MAX_CENTERED, for the background
    /// subtraction: `(s, group, pattern, bucket << 1 | negative)`, word index in base 20.
    background: Vec<(usize, usize, usize, Vec<u32>)>,
}

impl KmerEmbedder {
    /// A new embedder; the error message names the bad parameter and its valid range.
    pub fn new(params: KmerParams) -> Result<Self, String> {
        params.validate()?;
        let mut e = Self {
            params,
            background: Vec::new(),
        };
        for s in 2..=params.k.min(MAX_CENTERED) {
            for (g, pattern) in std::iter::once((0, 0)).chain((1..s).map(|gap| (1, gap))) {
                let seed = e.group_seed(g);
                let table = (0..20usize.pow(s as u32))
                    .map(|idx| {
                        let (bucket, sign) = e.bucket(word_of_index(idx, s, pattern), seed);
                        ((bucket as u32) << 1) | u32::from(sign < 0.0)
                    })
                    .collect();
                e.background.push((s, g, pattern, table));
            }
        }
        Ok(e)
    }

    /// The parameters.
    pub fn params(&self) -> KmerParams {
        self.params
    }

    /// Embeds one sequence at the given layers (0 = full `k`).
    pub fn embed_one(&self, sequence: &str, layers: &[usize]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let err = |reason: String| EmbedError::Sequence {
            backend: "kmer".into(),
            id: String::new(),
            reason,
        };
        let mut codes: Vec<Option<u8>> = Vec::with_capacity(sequence.len());
        for (pos, &b) in sequence.as_bytes().iter().enumerate() {
            match RESIDUES[b as usize] {
                Res::Std(c) => codes.push(Some(c)),
                Res::Ambiguous => codes.push(None),
                Res::Invalid => {
                    let shown = sequence[pos..].chars().next().unwrap_or('?');
                    return Err(err(format!(
                        "invalid character {shown:?} at residue {} (expected amino-acid letters)",
                        pos + 1
                    )));
                }
            }
        }
        if codes.iter().all(Option::is_none) {
            return Err(err(if codes.is_empty() {
                "empty sequence".into()
            } else {
                "no standard amino acid (only ambiguity codes B/Z/J/X)".into()
            }));
        }
        layers
            .iter()
            .map(|&layer| {
                if layer >= self.params.k {
                    return Err(EmbedError::Backend {
                        backend: "kmer".into(),
                        reason: format!(
                            "layer {layer} requested, but k = {} gives layers 0..={}",
                            self.params.k,
                            self.params.k - 1
                        ),
                    });
                }
                Ok(self.vector(&codes, self.params.k - layer))
            })
            .collect()
    }

    /// The unit vector of word size `s` (composition when no word of size `s` exists).
    fn vector(&self, codes: &[Option<u8>], s: usize) -> Vec<f32> {
        let mut s = s;
        let mut groups: [Vec<u64>; GROUPS] = Default::default();
        collect_words(codes, s, &mut groups);
        if groups.iter().all(Vec::is_empty) {
            s = 1;
            collect_words(codes, s, &mut groups);
        }
        let dim = self.params.dim;
        let composition = (2..=MAX_CENTERED).contains(&s).then(|| composition(codes));
        let mut out = vec![0f64; dim];
        let mut acc = vec![0f64; dim];
        for (g, words) in groups.iter_mut().enumerate() {
            if words.is_empty() {
                continue;
            }
            words.sort_unstable();
            acc.iter_mut().for_each(|x| *x = 0.0);
            let group_seed = self.group_seed(g);
            let mut i = 0;
            while i < words.len() {
                let mut j = i + 1;
                while j < words.len() && words[j] == words[i] {
                    j += 1;
                }
                let (bucket, sign) = self.bucket(words[i], group_seed);
                acc[bucket] += sign * ((j - i) as f64).sqrt();
                i = j;
            }
            if let Some(p) = &composition {
                self.subtract_background(&mut acc, words, g, s, p);
            }
            let norm = acc.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 0.0 {
                out.iter_mut().zip(&acc).for_each(|(o, a)| *o += a / norm);
            }
        }
        let norm = out.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            out.iter().map(|x| (x / norm) as f32).collect()
        } else {
            // Everything cancelled out (only possible for a tiny `dim` or a sequence that is
            // exactly its own background): a fixed unit vector rather than a zero vector,
            // which has no direction.
            let mut v = vec![0f32; dim];
            v[0] = 1.0;
            v
        }
    }

    fn group_seed(&self, g: usize) -> u64 {
        mix(self.params.seed ^ (g as u64 + 1).wrapping_mul(0x51_7cc1_b727_220a))
    }

    /// Bucket and sign of one packed word.
    fn bucket(&self, word: u64, group_seed: u64) -> (usize, f64) {
        let h = mix(word ^ group_seed);
        let sign = if h >> 63 == 1 { -1.0 } else { 1.0 };
        ((h % self.params.dim as u64) as usize, sign)
    }

    /// Subtracts the hashed counts expected from the sequence's own composition `p`:
    /// for each seed pattern, (number of words) x prod p(residue) for all 20^s words.
    fn subtract_background(
        &self,
        acc: &mut [f64],
        words: &[u64],
        g: usize,
        s: usize,
        p: &[f64; 20],
    ) {
        // Words per pattern (the pattern number sits at bit 58; exact words have none).
        let mut per_pattern = [0usize; MAX_CENTERED + 1];
        for w in words {
            per_pattern[(w >> 58) as usize] += 1;
        }
        for (ts, tg, pattern, table) in &self.background {
            let n = per_pattern[*pattern];
            if *ts != s || *tg != g || n == 0 {
                continue;
            }
            for (idx, &entry) in table.iter().enumerate() {
                let (mut x, mut prob) = (idx, n as f64);
                for _ in 0..s {
                    prob *= p[x % 20];
                    x /= 20;
                }
                if prob > 0.0 {
                    let signed = if entry & 1 == 1 { -prob } else { prob };
                    acc[(entry >> 1) as usize] -= signed;
                }
            }
        }
    }
}

/// The packed word (as [`collect_words`] packs it) of base-20 word index `idx` (first residue
/// = least significant digit), for seed `pattern` (0 = exact).
fn word_of_index(idx: usize, s: usize, pattern: usize) -> u64 {
    let mut x = idx;
    let mut code = 1u64;
    for _ in 0..s {
        code = (code << 5) | (x % 20) as u64;
        x /= 20;
    }
    code | ((pattern as u64) << 58)
}

/// Amino-acid frequencies of the standard residues.
fn composition(codes: &[Option<u8>]) -> [f64; 20] {
    let mut p = [0f64; 20];
    let mut n = 0f64;
    for c in codes.iter().flatten() {
        p[*c as usize] += 1.0;
        n += 1.0;
    }
    if n > 0.0 {
        p.iter_mut().for_each(|x| *x /= n);
    }
    p
}

/// Appends the words of size `s` of each feature group (see module docs) as packed codes,
/// 5 bits per residue. A spaced seed's pattern number (its gap position) is packed at bit 58
/// so distinct seeds never collide.
fn collect_words(codes: &[Option<u8>], s: usize, groups: &mut [Vec<u64>; GROUPS]) {
    if codes.len() >= s {
        for win in codes.windows(s) {
            if let Some(code) = pack(win.iter().copied()) {
                groups[0].push(code);
            }
        }
    }
    if s >= 2 && codes.len() > s {
        for win in codes.windows(s + 1) {
            for gap in 1..s {
                let kept = win
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != gap)
                    .map(|(_, &c)| c);
                if let Some(code) = pack(kept) {
                    groups[1].push(code | ((gap as u64) << 58));
                }
            }
        }
    }
}

/// Packs residue codes into one integer (`None` anywhere = no word).
fn pack(it: impl Iterator<Item = Option<u8>>) -> Option<u64> {
    let mut code = 1u64; // leading 1 keeps words of different lengths apart
    for c in it {
        code = (code << 5) | u64::from(c?);
    }
    Some(code)
}

impl Embedder for KmerEmbedder {
    fn name(&self) -> &str {
        "kmer"
    }

    fn dim(&self) -> usize {
        self.params.dim
    }

    fn num_layers(&self) -> usize {
        self.params.k
    }

    fn embed(&self, batch: &[&str], layers: &[usize]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
        batch
            .par_iter()
            .enumerate()
            .map(|(i, seq)| {
                self.embed_one(seq, layers).map_err(|e| match e {
                    EmbedError::Sequence {
                        backend, reason, ..
                    } => EmbedError::Sequence {
                        backend,
                        id: format!("#{} of the batch", i + 1),
                        reason,
                    },
                    other => other,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn emb(k: usize) -> KmerEmbedder {
        KmerEmbedder::new(KmerParams {
            k,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn unit_norm_and_dimensions() {
        let e = emb(3);
        let out = e
            .embed(&["MKVLAAGIVGLLLAQPAMA", "MA", "W"], &[0, 1, 2])
            .unwrap();
        assert_eq!(out.len(), 3);
        for per_seq in &out {
            assert_eq!(per_seq.len(), 3);
            for v in per_seq {
                assert_eq!(v.len(), 1024);
                let n: f32 = v.iter().map(|x| x * x).sum();
                assert!((n - 1.0).abs() < 1e-5, "norm^2 = {n}");
            }
        }
    }

    #[test]
    fn case_and_rare_residues() {
        let e = emb(3);
        let a = e.embed_one("MKVLAAGIVG", &[0]).unwrap();
        let b = e.embed_one("mkvlaagivg", &[0]).unwrap();
        assert_eq!(a, b);
        // U is read as C, O as K.
        let c = e.embed_one("MCKVL", &[0]).unwrap();
        let d = e.embed_one("MUOVL", &[0]).unwrap();
        let f = e
            .embed_one("MCKVL".replace('K', "O").as_str(), &[0])
            .unwrap();
        assert_eq!(c, d);
        assert_eq!(c, f);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = emb(3);
        let err = e.embed_one("MKV1L", &[0]).unwrap_err().to_string();
        assert!(err.contains("'1'") && err.contains("residue 4"), "{err}");
        let err = e.embed_one("", &[0]).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
        let err = e.embed_one("XXXX", &[0]).unwrap_err().to_string();
        assert!(err.contains("ambiguity"), "{err}");
        let err = e.embed_one("MKVL", &[3]).unwrap_err().to_string();
        assert!(err.contains("0..=2"), "{err}");
        let err = e.embed(&["MKV", "MK-V"], &[0]).unwrap_err().to_string();
        assert!(err.contains("#2 of the batch"), "{err}");
        assert!(KmerEmbedder::new(KmerParams {
            k: 0,
            ..Default::default()
        })
        .is_err());
        assert!(KmerEmbedder::new(KmerParams {
            dim: 0,
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn seed_changes_vectors_and_same_seed_does_not() {
        let s = "MSTNPKPQRKTKRNTNRRPQDVKFPGGGQIVGGVYLLPRRGPRLGVRATRKTSERSQPRGRRQPIPKARRPEGRTWAQ";
        let a = emb(3).embed_one(s, &[0]).unwrap();
        let b = emb(3).embed_one(s, &[0]).unwrap();
        assert_eq!(a, b);
        let other = KmerEmbedder::new(KmerParams {
            seed: 7,
            ..Default::default()
        })
        .unwrap()
        .embed_one(s, &[0])
        .unwrap();
        assert_ne!(a, other);
    }

    #[test]
    fn similar_sequences_are_closer_than_unrelated_ones() {
        let e = emb(3);
        let a = "MSTNPKPQRKTKRNTNRRPQDVKFPGGGQIVGGVYLLPRRGPRLGVRATRKTSERSQPRGRRQPIPKARRPEGRTWAQ";
        // Five substitutions.
        let b = "MSTNPKPQRKTARNTNRRPQDVKFPGGGQIVGGVYLLPRWGPRLGVRATRKTSEASQPRGRRQPIPKARRPLGRTWSQ";
        let c = "MADEVLKKLEEQLNKAIEEGDTESAVKLLKEAAELAKKAGDEELLKRVLELLIRLAEKTEDPEVAKLAAEIAKEAG";
        let va = &e.embed_one(a, &[0]).unwrap()[0];
        let vb = &e.embed_one(b, &[0]).unwrap()[0];
        let vc = &e.embed_one(c, &[0]).unwrap()[0];
        assert!(cos(va, vb) > 0.5, "homolog cos {}", cos(va, vb));
        assert!(cos(va, vc) < 0.2, "unrelated cos {}", cos(va, vc));
    }

    #[test]
    fn layers_use_shorter_words() {
        let e = emb(3);
        // Layer 2 (1-mers) only sees composition: a shuffled sequence is identical there,
        // and different at layer 0.
        let a = "MKVLAAGIVGW";
        let b = "WGVIGAALVKM";
        let va = e.embed_one(a, &[0, 2]).unwrap();
        let vb = e.embed_one(b, &[0, 2]).unwrap();
        assert!((cos(&va[1], &vb[1]) - 1.0).abs() < 1e-5);
        assert!(cos(&va[0], &vb[0]) < 0.9);
    }

    #[test]
    fn short_sequences_fall_back_to_composition() {
        let e = emb(3);
        let v = e.embed_one("MK", &[0]).unwrap();
        let comp = e.embed_one("MK", &[2]).unwrap();
        assert_eq!(v, comp);
    }
}
