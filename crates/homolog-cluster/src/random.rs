//! The clustering's seeded randomness, all from ChaCha8 streams: a seed gives the same choices
//! on every platform, thread count and number of MPI ranks.
//!
//! - [`seeded`]: the generator of sequential choices (k-means++ picks, LSH hyperplanes).
//! - [`RowSample`]: which rows are in a seeded sample, decided per global row index.
//! - [`gaussian`]: standard normal deviates.

use rand::distr::OpenClosed01;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The ChaCha stream of a seed that [`RowSample`] draws from; [`seeded`] uses stream 0, so a
/// sample and the choices made on it are independent even under the same seed.
const SAMPLE_STREAM: u64 = 1;

/// A generator for sequential seeded choices.
pub(crate) fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Standard normal deviate (Box-Muller).
pub(crate) fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    // (0, 1], so the logarithm is finite.
    let u1: f64 = rng.sample(OpenClosed01);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A seeded sample of expected size `m` out of `n` rows, by global row index.
///
/// Row `idx` is in it when the `idx`-th draw of the seed's sample stream falls below `m / n`.
/// ChaCha streams are seekable, so every process decides for its own rows, in any order and
/// without communication, and the sample does not depend on how rows are split.
pub(crate) struct RowSample {
    draws: ChaCha8Rng,
    m: u64,
    n: u64,
}

impl RowSample {
    pub(crate) fn new(seed: u64, m: u64, n: u64) -> RowSample {
        let mut draws = seeded(seed);
        draws.set_stream(SAMPLE_STREAM);
        RowSample { draws, m, n }
    }

    /// Whether global row `idx` is in the sample.
    pub(crate) fn contains(&mut self, idx: u64) -> bool {
        if self.m >= self.n {
            return true;
        }
        // A draw is two 32-bit words; rows visited in order need no seek.
        let word = u128::from(idx) * 2;
        if self.draws.get_word_pos() != word {
            self.draws.set_word_pos(word);
        }
        let draw = self.draws.next_u64();
        (u128::from(draw) * u128::from(self.n)) >> 64 < u128::from(self.m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sample_is_independent_of_visiting_order() {
        let n = 10_000;
        let mut forward = RowSample::new(7, 1000, n);
        let in_order: Vec<bool> = (0..n).map(|i| forward.contains(i)).collect();
        let mut backward = RowSample::new(7, 1000, n);
        let mut reversed: Vec<bool> = (0..n).rev().map(|i| backward.contains(i)).collect();
        reversed.reverse();
        assert_eq!(in_order, reversed);
        let size = in_order.iter().filter(|&&b| b).count();
        assert!((900..1100).contains(&size), "{size}");
        let mut all = RowSample::new(7, n, n);
        assert!((0..n).all(|i| all.contains(i)));
    }

    #[test]
    fn gaussian_has_unit_variance() {
        let mut rng = seeded(3);
        let x: Vec<f64> = (0..20_000).map(|_| gaussian(&mut rng)).collect();
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }
}
