//! A canonical k-mer profile embedder for DNA, implementing [`homolog_embed::Embedder`].
//!
//! Why here: homolog-embed's registry has only the protein `kmer` backend in this version; a DNA
//! backend (`dna-kmer`) is being added there separately. Until it lands, the predictor embeds
//! DNA with this small backend; the predictor's config can name `dna-kmer` and will use the
//! registry's backend as soon as the registry knows it (see [`crate::model::build_embedder`]).
//!
//! How: every window of `k` bases without `N` is one word; a word and its reverse complement
//! count as the same (canonical) word, so a sequence and its reverse complement embed
//! identically (GAME's `expression_strand_specific: false`). The vector has one coordinate per
//! canonical word (`(4^k + 4^(k/2)) / 2` for even `k`, `4^k / 2` for odd `k`), holds
//! `sqrt(count)` (sublinear, so repeats do not dominate) and is L2-normalised. A sequence with
//! no complete word (shorter than `k`, or all `N`) gets the zero vector, whose cosine distance
//! to everything is 1 (homolog-search's convention).

use homolog_embed::{EmbedError, Embedder};
use rayon::prelude::*;

/// Canonical k-mer profile embedder.
#[derive(Debug, Clone)]
pub struct CanonicalKmerEmbedder {
    k: usize,
    /// `index[word]`: coordinate of the canonical form of a 2-bit packed word.
    index: Vec<u32>,
    dim: usize,
}

/// Name under which this backend reports itself.
pub const NAME: &str = "dna-kmer-canonical";

/// Largest supported `k` (4^k-entry index table: 16 Mi entries at 12).
pub const MAX_K: usize = 12;

fn code(b: u8) -> Option<u64> {
    match b {
        b'A' | b'a' => Some(0),
        b'C' | b'c' => Some(1),
        b'G' | b'g' => Some(2),
        b'T' | b't' => Some(3),
        _ => None,
    }
}

fn revcomp(word: u64, k: usize) -> u64 {
    let mut w = word;
    let mut r = 0;
    for _ in 0..k {
        r = (r << 2) | (3 - (w & 3));
        w >>= 2;
    }
    r
}

impl CanonicalKmerEmbedder {
    /// A profile of canonical `k`-mers; `k` in `1..=MAX_K`.
    pub fn new(k: usize) -> Result<Self, String> {
        if !(1..=MAX_K).contains(&k) {
            return Err(format!(
                "k = {k} is out of range for {NAME}; give 1..={MAX_K} (5 or 6 suit sequences of a few hundred bases)"
            ));
        }
        let n = 1usize << (2 * k);
        let mut index = vec![u32::MAX; n];
        let mut dim = 0u32;
        for w in 0..n as u64 {
            let c = w.min(revcomp(w, k));
            if index[c as usize] == u32::MAX {
                index[c as usize] = dim;
                dim += 1;
            }
            index[w as usize] = index[c as usize];
        }
        Ok(Self {
            k,
            index,
            dim: dim as usize,
        })
    }

    /// Word size.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Embeds one sequence (bases outside ACGT break words).
    pub fn embed_one(&self, seq: &str) -> Vec<f32> {
        let mut counts = vec![0u32; self.dim];
        let mask = (1u64 << (2 * self.k)) - 1;
        let (mut word, mut valid) = (0u64, 0usize);
        for &b in seq.as_bytes() {
            match code(b) {
                Some(c) => {
                    word = ((word << 2) | c) & mask;
                    valid += 1;
                    if valid >= self.k {
                        counts[self.index[word as usize] as usize] += 1;
                    }
                }
                None => valid = 0,
            }
        }
        let mut v: Vec<f64> = counts.iter().map(|&c| (c as f64).sqrt()).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v.into_iter().map(|x| x as f32).collect()
    }
}

impl Embedder for CanonicalKmerEmbedder {
    fn name(&self) -> &str {
        NAME
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn num_layers(&self) -> usize {
        1
    }

    fn embed(&self, batch: &[&str], layers: &[usize]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
        if let Some(&l) = layers.iter().find(|&&l| l != 0) {
            return Err(EmbedError::InvalidSettings {
                model: NAME.to_string(),
                message: format!("layer {l} does not exist; {NAME} has one layer, 0"),
            });
        }
        for (i, s) in batch.iter().enumerate() {
            if let Some(bad) = s
                .bytes()
                .find(|b| code(*b).is_none() && !matches!(b, b'N' | b'n'))
            {
                return Err(EmbedError::Sequence {
                    backend: NAME.to_string(),
                    id: format!("#{i} in batch"),
                    reason: format!("character {:?} is not A, C, G, T or N", bad as char),
                });
            }
        }
        Ok(batch
            .par_iter()
            .map(|s| {
                let v = self.embed_one(s);
                layers.iter().map(|_| v.clone()).collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_and_strand_symmetry() {
        assert_eq!(CanonicalKmerEmbedder::new(1).unwrap().dim(), 2);
        assert_eq!(CanonicalKmerEmbedder::new(2).unwrap().dim(), 10);
        assert_eq!(CanonicalKmerEmbedder::new(5).unwrap().dim(), 512);
        let e = CanonicalKmerEmbedder::new(4).unwrap();
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
        assert_eq!(e.embed_one(s), e.embed_one(&rc));
        let v = e.embed_one(s);
        let n: f32 = v.iter().map(|x| x * x).sum();
        assert!((n - 1.0).abs() < 1e-5);
        assert!(e.embed_one("ACG").iter().all(|&x| x == 0.0));
        assert!(CanonicalKmerEmbedder::new(0).is_err());
        assert!(e.embed(&["ACGX"], &[0]).is_err());
        assert!(e.embed(&["ACGT"], &[1]).is_err());
    }

    #[test]
    fn counts_match_a_direct_count() {
        // Words of AAAAATTTTT (k = 3): AAA x3, AAT, ATT, TTT x3; canonical: AAA x6, AAT x2.
        let e = CanonicalKmerEmbedder::new(3).unwrap();
        let v = e.embed_one("AAAAATTTTT");
        let mut nz: Vec<f32> = v.into_iter().filter(|&x| x > 0.0).collect();
        nz.sort_by(f32::total_cmp);
        assert_eq!(nz.len(), 2);
        assert!((nz[1] / nz[0] - 3f32.sqrt()).abs() < 1e-5);
    }
}
