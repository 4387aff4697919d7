//! Composition binning with a mixture of Markov chains (`--method markov`).
//!
//! Each bin is a Markov chain of order `m` over the bases (the probability of a base given the
//! `m` before it); a read group (a read, or a pair of mates pooled) is scored by the likelihood of
//! its bases under each chain, and expectation-maximisation fits the chains and the bins
//! together. A chain of order 5 has 3,072 free parameters per bin and scores every base of a
//! 150-base read in its context, where a tetranucleotide profile reduces the read to 136 noisy
//! frequencies first: on the CAMISIM reads this lifts composition binning from ARI 0.09
//! (k-means on `dna-kmer` profiles) to 0.49 (docs/clustering.md).
//!
//! - **Strands.** A read comes from either strand, so every group is counted on both (its bases
//!   and their reverse complement); the chains are then strand-symmetric. Only the forward
//!   windows are stored: the reverse strand's window of a forward window `c` is `rc(c)`, so a
//!   group's two-strand score is the sum over its forward windows of `log p(c) + log p(rc(c))`,
//!   and its two-strand counts are `f(c) + f(rc(c))`.
//! - **Temperature.** A read's transitions are not independent (overlapping contexts, both
//!   strands counted), so the log-likelihood is multiplied by a temperature below 1 before the
//!   posterior is taken; without it the posteriors are all 0 or 1 after the first step and EM
//!   stops in the first local optimum it meets.
//! - **Number of bins.** `--k auto` picks it by stability (Lange et al., Neural Computation 2004):
//!   for k = 2, 3, ... the mixture is fitted from several random starts on a sample, and k is
//!   kept while the starts agree (mean pairwise ARI of their labels at least
//!   [`MarkovParams::stability`]) and the most likely start gives every bin at least
//!   [`MarkovParams::min_bin`] of the groups; the chosen k is the last one that passed. A k the
//!   data do not support either splits some genome differently on every start (its stability
//!   falls) or leaves a bin (nearly) empty on every start (they agree, but the bin is not one).
//! - **Determinism and MPI.** Starts are seeded. The groups are cut into chunks whose number
//!   depends on the number of groups only; each chunk's expected counts are summed in `f64`, rounded to fixed point (2^-20)
//!   and added as integers, which is exact and does not depend on the order, so a seed gives the
//!   same bins on any thread count and any number of MPI ranks (rank `r` works on the chunks
//!   `i` with `i mod ranks = r`; the integer sums are all-reduced). Every rank holds all groups
//!   and assigns them all once a fit is done.

use rand::RngExt;
use rayon::prelude::*;

use crate::comm::Comm;
use crate::metrics::adjusted_rand_index;
use crate::random::seeded;
use crate::ClusterError;

/// Parameters of the Markov-chain mixture.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MarkovParams {
    /// Order of the chains (bases of context), 1..=7.
    pub order: usize,
    /// Multiplier of the log-likelihood before the posterior is taken (0 < t <= 1).
    pub temperature: f64,
    /// Most EM iterations per fit.
    pub max_iter: usize,
    /// Random starts per k (stability and the best start).
    pub restarts: usize,
    /// `--k auto`: most bins tried.
    pub max_k: usize,
    /// `--k auto`: least mean pairwise ARI of the starts for a k to be kept.
    pub stability: f64,
    /// `--k auto`: least share of the groups in every bin of the best start for a k to be kept.
    pub min_bin: f64,
    /// Groups in the sample the starts are fitted on (all groups when fewer).
    pub sample: usize,
}

impl Default for MarkovParams {
    fn default() -> Self {
        Self {
            order: 5,
            temperature: 0.15,
            max_iter: 200,
            restarts: 4,
            max_k: 10,
            stability: 0.9,
            min_bin: 0.01,
            sample: 20_000,
        }
    }
}

impl MarkovParams {
    /// Checks the parameters, saying which option to change.
    pub fn validate(&self) -> Result<(), ClusterError> {
        if !(1..=7).contains(&self.order) {
            return Err(ClusterError::Params(format!(
                "--markov-order {} is outside 1..=7",
                self.order
            )));
        }
        if !(self.temperature > 0.0 && self.temperature <= 1.0) {
            return Err(ClusterError::Params(format!(
                "--markov-temperature {} is outside (0, 1]",
                self.temperature
            )));
        }
        if self.restarts < 2 || self.max_k < 2 || self.sample < 2 || self.max_iter == 0 {
            return Err(ClusterError::Params(
                "the Markov mixture needs at least 2 restarts, max_k >= 2, a sample of at least 2 groups and max_iter >= 1".into(),
            ));
        }
        Ok(())
    }
}

/// The (order + 1)-base windows of every group's reads (forward strand), as codes (context
/// bases then the next base, 2 bits each, first base highest); windows with a base other than
/// ACGT are skipped.
pub struct Transitions {
    order: usize,
    codes: Vec<u16>,
    offsets: Vec<usize>,
}

impl Transitions {
    /// Builds the codes of `groups`, each a list of read sequences.
    pub fn new<'a, G>(groups: G, order: usize) -> Transitions
    where
        G: IntoIterator,
        G::Item: IntoIterator<Item = &'a [u8]>,
    {
        let mask = (1u32 << (2 * (order + 1))) - 1;
        let mut codes = Vec::new();
        let mut offsets = vec![0];
        for group in groups {
            for seq in group {
                let (mut fwd, mut valid) = (0u32, 0usize);
                for &b in seq {
                    let x = match b {
                        b'A' | b'a' => 0,
                        b'C' | b'c' => 1,
                        b'G' | b'g' => 2,
                        b'T' | b't' => 3,
                        _ => {
                            valid = 0;
                            continue;
                        }
                    };
                    fwd = ((fwd << 2) | x) & mask;
                    valid += 1;
                    if valid > order {
                        codes.push(fwd as u16);
                    }
                }
            }
            offsets.push(codes.len());
        }
        Transitions {
            order,
            codes,
            offsets,
        }
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Codes of group `g`.
    pub fn group(&self, g: usize) -> &[u16] {
        &self.codes[self.offsets[g]..self.offsets[g + 1]]
    }

    /// The chains' order.
    pub fn order(&self) -> usize {
        self.order
    }

    /// A new set holding the groups `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Transitions {
        let mut codes = Vec::new();
        let mut offsets = vec![0];
        for &g in idx {
            codes.extend_from_slice(self.group(g));
            offsets.push(codes.len());
        }
        Transitions {
            order: self.order,
            codes,
            offsets,
        }
    }

    fn cells(&self) -> usize {
        1 << (2 * (self.order + 1))
    }
}

/// The fitted mixture: one chain per bin, held as the two-strand score of each forward window
/// `log_q[code * k + bin] = log p(code) + log p(rc(code))` (code-major, so one code's k values
/// are adjacent), and the bins' log weights.
#[derive(Debug, Clone)]
pub struct Mixture {
    /// Bins.
    pub k: usize,
    log_q: Vec<f64>,
    log_w: Vec<f64>,
}

/// Reverse complement of a window code of `w` bases.
fn reverse_complement(code: usize, w: usize) -> usize {
    let mut out = 0;
    for i in 0..w {
        out = (out << 2) | (3 - ((code >> (2 * i)) & 3));
    }
    out
}

/// One EM fit.
#[derive(Debug, Clone)]
pub struct MixtureFit {
    /// The chains.
    pub mixture: Mixture,
    /// Most likely bin of each group.
    pub labels: Vec<u32>,
    /// Tempered log-likelihood of the groups under the mixture.
    pub log_likelihood: f64,
    /// EM iterations run.
    pub iterations: usize,
    /// Whether the log-likelihood settled before `max_iter`.
    pub converged: bool,
}

/// Most chunks the groups are summed over, and the fewest groups in one: the chunks depend on
/// the number of groups only, so the sums depend on neither threads nor ranks. Every chunk
/// costs a `4^(order+1) x k` table per EM step, hence the floor on its size.
const CHUNKS: usize = 64;
const CHUNK_GROUPS: usize = 2048;
/// Expected count added to every cell of every chain (keeps unseen transitions finite).
const PSEUDOCOUNT: f64 = 0.5;
/// EM stops when the tempered log-likelihood gains less than this per group.
const TOLERANCE: f64 = 1e-6;
/// Fixed-point scale of the summed expected counts and log-likelihood (exact integer sums).
const FIXED: f64 = (1u64 << 20) as f64;

impl Mixture {
    /// The chains of expected forward-window counts `forward[code * k + bin]` (both strands:
    /// `forward[c] + forward[rc(c)]`) and bin masses `mass`.
    fn from_counts(forward: &[f64], mass: &[f64], order: usize) -> Mixture {
        let k = mass.len();
        let w = order + 1;
        let rc: Vec<usize> = (0..1usize << (2 * w))
            .map(|c| reverse_complement(c, w))
            .collect();
        let counts = |code: usize, b: usize| forward[code * k + b] + forward[rc[code] * k + b];
        let mut log_p = vec![0.0; forward.len()];
        for ctx in 0..(1usize << (2 * order)) {
            for b in 0..k {
                let cell = |x: usize| counts((ctx << 2) | x, b) + PSEUDOCOUNT;
                let total: f64 = (0..4).map(cell).sum();
                for x in 0..4 {
                    log_p[((ctx << 2) | x) * k + b] = (cell(x) / total).ln();
                }
            }
        }
        let all: f64 = mass.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let log_w = mass
            .iter()
            .map(|&m| (m.max(1e-9) / all).ln())
            .collect::<Vec<_>>();
        let mut log_q = vec![0.0; forward.len()];
        for (code, &r) in rc.iter().enumerate() {
            for b in 0..k {
                log_q[code * k + b] = log_p[code * k + b] + log_p[r * k + b];
            }
        }
        Mixture { k, log_q, log_w }
    }

    /// Tempered log-scores of one group (log weight + t x log-likelihood per bin) into `out`.
    fn scores(&self, codes: &[u16], t: f64, out: &mut [f64]) {
        let k = self.k;
        out.iter_mut().for_each(|v| *v = 0.0);
        for &c in codes {
            let row = &self.log_q[c as usize * k..(c as usize + 1) * k];
            out.iter_mut().zip(row).for_each(|(o, &l)| *o += l);
        }
        out.iter_mut()
            .zip(&self.log_w)
            .for_each(|(o, &w)| *o = *o * t + w);
    }

    /// Most likely bin of each group.
    pub fn assign(&self, data: &Transitions, t: f64) -> Vec<u32> {
        (0..data.len())
            .into_par_iter()
            .map_init(
                || vec![0.0; self.k],
                |s, g| {
                    self.scores(data.group(g), t, s);
                    argmax(s)
                },
            )
            .collect()
    }
}

fn argmax(s: &[f64]) -> u32 {
    let mut best = 0;
    for (i, &v) in s.iter().enumerate() {
        if v > s[best] {
            best = i;
        }
    }
    best as u32
}

/// One E step then its M step: the new mixture and the tempered log-likelihood of `data` under
/// `current`; with `current = None`, the groups' posteriors are random (a Dirichlet(1) draw per
/// group from `seed`).
fn em_step(
    data: &Transitions,
    k: usize,
    current: Option<&Mixture>,
    t: f64,
    seed: u64,
    comm: &dyn Comm,
) -> (Mixture, f64) {
    let n = data.len();
    let cells = data.cells();
    let chunk = n.div_ceil((n / CHUNK_GROUPS).clamp(1, CHUNKS)).max(1);
    let starts: Vec<usize> = (0..n)
        .step_by(chunk)
        .enumerate()
        .filter(|(i, _)| i % comm.size() == comm.rank())
        .map(|(_, s)| s)
        .collect();
    let random: Option<Vec<f64>> = current.is_none().then(|| {
        let mut rng = seeded(seed);
        let mut r = Vec::with_capacity(n * k);
        for _ in 0..n {
            let draws: Vec<f64> = (0..k).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
            let total: f64 = draws.iter().sum();
            r.extend(draws.iter().map(|d| d / total));
        }
        r
    });
    let partials: Vec<(Vec<f64>, Vec<f64>, f64)> = starts
        .par_iter()
        .map(|&s| {
            let mut counts = vec![0.0; cells * k];
            let mut mass = vec![0.0; k];
            let mut ll = 0.0;
            let mut post = vec![0.0; k];
            for g in s..(s + chunk).min(n) {
                let codes = data.group(g);
                match (current, &random) {
                    (Some(m), _) => {
                        m.scores(codes, t, &mut post);
                        let top = post.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let mut total = 0.0;
                        post.iter_mut().for_each(|v| {
                            *v = (*v - top).exp();
                            total += *v;
                        });
                        post.iter_mut().for_each(|v| *v /= total);
                        ll += top + total.ln();
                    }
                    (None, Some(r)) => post.copy_from_slice(&r[g * k..(g + 1) * k]),
                    (None, None) => unreachable!("random posteriors exist without a mixture"),
                }
                for (m, &p) in mass.iter_mut().zip(&post) {
                    *m += p;
                }
                for &c in codes {
                    let row = &mut counts[c as usize * k..(c as usize + 1) * k];
                    row.iter_mut().zip(&post).for_each(|(x, &p)| *x += p);
                }
            }
            (counts, mass, ll)
        })
        .collect();
    // [counts, mass, log-likelihood] in fixed point: integer sums are exact in any order.
    let mut sums = vec![0i64; cells * k + k + 1];
    // Truncation (one instruction; rounding is a libm call): as deterministic, 2^-20 coarser.
    let fixed = |x: f64| (x * FIXED) as i64;
    for (c, m, l) in &partials {
        for (s, &x) in sums.iter_mut().zip(c.iter().chain(m).chain([l])) {
            *s += fixed(x);
        }
    }
    comm.sum_i64(&mut sums);
    let back: Vec<f64> = sums.iter().map(|&s| s as f64 / FIXED).collect();
    let (counts, rest) = back.split_at(cells * k);
    let (mass, ll) = rest.split_at(k);
    (Mixture::from_counts(counts, mass, data.order), ll[0])
}

/// Fits a k-bin mixture by EM, from random posteriors (`start = None`, seeded) or from a
/// mixture (e.g. one fitted on a sample).
pub fn fit(
    data: &Transitions,
    k: usize,
    start: Option<&Mixture>,
    seed: u64,
    params: &MarkovParams,
    comm: &dyn Comm,
) -> MixtureFit {
    let t = params.temperature;
    let mut mixture = match start {
        Some(m) => m.clone(),
        None => em_step(data, k, None, t, seed, comm).0,
    };
    let mut last = f64::NEG_INFINITY;
    let mut iterations = 0;
    let mut converged = false;
    while iterations < params.max_iter {
        let (next, ll) = em_step(data, k, Some(&mixture), t, seed, comm);
        iterations += 1;
        mixture = next;
        if ll - last < TOLERANCE * data.len() as f64 {
            converged = true;
            last = ll;
            break;
        }
        last = ll;
    }
    let labels = mixture.assign(data, t);
    MixtureFit {
        mixture,
        labels,
        log_likelihood: last,
        iterations,
        converged,
    }
}

/// How the number of bins was chosen.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MarkovChoice {
    /// Bins.
    pub k: usize,
    /// Mean pairwise ARI of the random starts, per k tried (from 2).
    pub stability: Vec<(usize, f64)>,
    /// Groups the starts were fitted on.
    pub sample: usize,
    /// The rule, in words.
    pub reason: String,
}

/// The random starts at `k` on `sample`: their mean pairwise ARI and the most likely start.
fn starts(
    sample: &Transitions,
    k: usize,
    seed: u64,
    params: &MarkovParams,
    comm: &dyn Comm,
) -> (f64, MixtureFit) {
    let fits: Vec<MixtureFit> = (0..params.restarts as u64)
        .map(|r| fit(sample, k, None, seed.wrapping_add(r), params, comm))
        .collect();
    let mut agree = 0.0;
    let mut pairs = 0;
    for i in 0..fits.len() {
        for j in i + 1..fits.len() {
            agree += adjusted_rand_index(&fits[i].labels, &fits[j].labels);
            pairs += 1;
        }
    }
    let best = fits
        .into_iter()
        .reduce(|a, b| {
            if b.log_likelihood > a.log_likelihood {
                b
            } else {
                a
            }
        })
        .expect("at least 2 restarts");
    (agree / pairs.max(1) as f64, best)
}

/// Bins `data` with `k` bins, or (`k = None`) as many as the stability rule keeps: the starts
/// run on a seeded sample of at most `params.sample` groups, and the most likely start of the
/// chosen k is refined by EM on all groups. Every process of `comm` passes the same `data`
/// and gets the same result.
pub fn bin(
    data: &Transitions,
    k: Option<usize>,
    seed: u64,
    params: &MarkovParams,
    comm: &dyn Comm,
) -> Result<(MixtureFit, MarkovChoice), ClusterError> {
    params.validate()?;
    if data.is_empty() {
        return Err(ClusterError::Params(
            "no read group has a complete window of bases to bin".into(),
        ));
    }
    let n = data.len();
    let sampled: Option<Transitions> = (n > params.sample).then(|| {
        // Evenly spaced from a seeded offset: deterministic and spread over the whole input.
        let step = n as f64 / params.sample as f64;
        let offset = seeded(seed).random::<f64>() * step;
        let idx: Vec<usize> = (0..params.sample)
            .map(|i| ((offset + i as f64 * step) as usize).min(n - 1))
            .collect();
        data.subset(&idx)
    });
    let sample = sampled.as_ref().unwrap_or(data);
    let mut stability = Vec::new();
    let (best, reason) = match k {
        Some(k) => {
            let k = k.clamp(1, n);
            if k == 1 {
                let fit1 = fit(sample, 1, None, seed, params, comm);
                (fit1, "given (--k 1)".to_string())
            } else {
                let (s, best) = starts(sample, k, seed, params, comm);
                stability.push((k, s));
                (best, format!("given (--k {k}); starts agree at ARI {s:.3}"))
            }
        }
        None => {
            let mut kept = fit(sample, 1, None, seed, params, comm);
            let mut chosen = 1;
            for k in 2..=params.max_k.min(n) {
                let (s, best) = starts(sample, k, seed, params, comm);
                stability.push((k, s));
                let mut sizes = vec![0usize; k];
                best.labels.iter().for_each(|&l| sizes[l as usize] += 1);
                let smallest = sizes.iter().copied().min().unwrap_or(0);
                if s < params.stability || (smallest as f64) < params.min_bin * sample.len() as f64
                {
                    break;
                }
                kept = best;
                chosen = k;
            }
            let reason = format!(
                "largest k whose {} random starts agree (mean pairwise ARI >= {}) and whose bins all hold >= {} of the {} groups; k = {chosen}",
                params.restarts,
                params.stability,
                params.min_bin,
                sample.len()
            );
            (kept, reason)
        }
    };
    let k = best.mixture.k;
    let result = if sampled.is_some() {
        fit(data, k, Some(&best.mixture), seed, params, comm)
    } else {
        best
    };
    Ok((
        result,
        MarkovChoice {
            k,
            stability,
            sample: sample.len(),
            reason,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comm::Local;

    /// `n` random 150-base reads, even ones AT-rich and odd ones GC-rich, as groups of one.
    fn two_compositions(rng: &mut rand_chacha::ChaCha8Rng, n: usize) -> Transitions {
        let reads: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let weights = if i % 2 == 0 {
                    [0.35, 0.15, 0.15, 0.35]
                } else {
                    [0.15, 0.35, 0.35, 0.15]
                };
                (0..150)
                    .map(|_| {
                        let mut u = rng.random::<f64>();
                        for (b, w) in b"ACGT".iter().zip(weights) {
                            if u < w {
                                return *b;
                            }
                            u -= w;
                        }
                        b'T'
                    })
                    .collect()
            })
            .collect();
        Transitions::new(reads.iter().map(|r| [r.as_slice()]), 3)
    }

    #[test]
    fn windows_and_both_strands() {
        // ACGTT: windows AC CG GT TT; A=0 C=1 G=2 T=3.
        let t = Transitions::new([[b"ACGTT".as_slice()]], 1);
        assert_eq!(t.group(0), &[1, 6, 11, 15]);
        // An N breaks the windows.
        let t = Transitions::new([[b"ACNGT".as_slice()]], 1);
        assert_eq!(t.group(0), &[1, 11]);
        assert_eq!(reverse_complement(0b00_01, 2), 0b10_11); // AC -> GT
        assert_eq!(reverse_complement(0b00_01_10, 3), 0b01_10_11); // ACG -> CGT

        // A read and its reverse complement score the same under any mixture.
        let (fwd, rev) = (b"ACGGTTACAGGCATTACGGA", b"TCCGTAATGCCTGTAACCGT");
        let data = Transitions::new([[fwd.as_slice()], [rev.as_slice()]], 2);
        let m = em_step(&data, 3, None, 0.5, 9, &Local).0;
        let (mut a, mut b) = (vec![0.0; 3], vec![0.0; 3]);
        m.scores(data.group(0), 0.5, &mut a);
        m.scores(data.group(1), 0.5, &mut b);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-9, "{a:?} {b:?}");
        }
    }

    #[test]
    fn separates_two_compositions_and_is_stable() {
        let mut rng = seeded(7);
        let data = two_compositions(&mut rng, 400);
        let params = MarkovParams {
            max_k: 4,
            ..MarkovParams::default()
        };
        let (fit, choice) = bin(&data, None, 42, &params, &Local).unwrap();
        let mut sizes = vec![0; choice.k];
        fit.labels.iter().for_each(|&l| sizes[l as usize] += 1);
        assert_eq!(choice.k, 2, "{choice:?} {sizes:?}");
        let truth: Vec<u32> = (0..400).map(|i| i % 2).collect();
        assert!(adjusted_rand_index(&truth, &fit.labels) > 0.95);
        // The same seed on a sample gives the same bins whatever the thread count; 5,000
        // groups make 2 chunks, summed in either order.
        let big = two_compositions(&mut rng, 5000);
        let small = MarkovParams {
            sample: 500,
            ..params.clone()
        };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| bin(&big, Some(2), 3, &small, &Local).unwrap().0)
        };
        let (one, four) = (run(1), run(4));
        assert_eq!(one.labels, four.labels);
        assert_eq!(one.log_likelihood, four.log_likelihood);
        let truth: Vec<u32> = (0..5000).map(|i| i % 2).collect();
        assert!(adjusted_rand_index(&truth, &one.labels) > 0.9);
    }

    #[test]
    fn bad_parameters_name_the_option() {
        let p = MarkovParams {
            order: 9,
            ..MarkovParams::default()
        };
        assert!(p
            .validate()
            .unwrap_err()
            .to_string()
            .contains("--markov-order"));
        let empty = Transitions::new(Vec::<[&[u8]; 1]>::new(), 5);
        assert!(bin(&empty, None, 1, &MarkovParams::default(), &Local).is_err());
    }
}
