//! The abundance signal of reads (issue 16): long canonical k-mers counted over the whole
//! sample, each read (or mate pair) scored by how many of its k-mers are frequent in the sample,
//! abundance classes found in one dimension, and the pieces `--method ab` / `--method abcb`
//! build on (see `run`).
//!
//! Why it is built this way:
//! - Counting: one dense array of `4^k` 32-bit counters indexed by the canonical k-mer code
//!   (the smaller of the k-mer's and its reverse complement's 2-bit codes), filled by all rayon
//!   threads with relaxed atomic adds. Memory is exactly `4^k x 4` bytes (k = 10: 4 MiB, 12:
//!   64 MiB, 13: 256 MiB, 14: 1 GiB), known before the pass starts, independent of the number
//!   of reads; integer adds commute, so 1 or 16 threads give identical counts.
//! - A read's profile is the *solid fraction*: the share of its k-mer occurrences whose sample
//!   count is at least `t`, with `t` = max(2, round(half the mean multiplicity of the observed
//!   k-mers)).
//!   On the CAMISIM toy reads this threshold statistic separated genomes better than the mean,
//!   median or mean log count, or a histogram of log counts (measured; docs/clustering.md), and
//!   tying `t` to the mean multiplicity keeps it meaningful for any k and sample size.
//! - Mates are pooled: the k-mers of all reads of a pair are scored together (twice the
//!   evidence), and the pair gets one bin.
//! - Classes are 1-D k-means on the solid fraction, started at evenly spaced quantiles
//!   (deterministic, no seed needed); their number is given or chosen by BIC of the matching
//!   1-D Gaussian mixture over 1..=`max_classes` (see [`choose_classes`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::ClusterError;

/// Smallest and largest k-mer size of the abundance counting.
pub const MIN_K: usize = 8;
/// See [`MIN_K`]; 14 needs 1 GiB of counters.
pub const MAX_K: usize = 14;

/// 2-bit code of a nucleotide, or `None` for N and other ambiguity codes.
#[inline]
fn code(b: u8) -> Option<u64> {
    match b {
        b'A' | b'a' => Some(0),
        b'C' | b'c' => Some(1),
        b'G' | b'g' => Some(2),
        b'T' | b't' | b'U' | b'u' => Some(3),
        _ => None,
    }
}

/// Calls `f` with the canonical code of every complete k-mer of `seq` (k-mers spanning an
/// ambiguity code are skipped).
#[inline]
pub fn for_each_canonical(seq: &[u8], k: usize, mut f: impl FnMut(u64)) {
    let mask = (1u64 << (2 * k)) - 1;
    let shift = 2 * (k - 1);
    let (mut fwd, mut rev, mut len) = (0u64, 0u64, 0usize);
    for &b in seq {
        match code(b) {
            Some(c) => {
                fwd = ((fwd << 2) | c) & mask;
                rev = (rev >> 2) | ((3 - c) << shift);
                len += 1;
                if len >= k {
                    f(fwd.min(rev));
                }
            }
            None => len = 0,
        }
    }
}

/// Checks a k-mer size for the abundance counting.
pub fn validate_k(k: usize) -> Result<(), ClusterError> {
    if !(MIN_K..=MAX_K).contains(&k) {
        return Err(ClusterError::Params(format!(
            "abundance k-mer size {k} is outside {MIN_K}..={MAX_K} (the counters take 4^k x 4 bytes: 64 MiB at k = 12, 1 GiB at k = 14)"
        )));
    }
    Ok(())
}

/// Counters summed per MPI reduction in [`KmerCounts::count_ranks`] (1 Mi: 8 MiB of `i64`).
pub const REDUCE_BLOCK: usize = 1 << 20;

/// Canonical k-mer counts over a whole sample (dense, `4^k` counters).
#[derive(Debug)]
pub struct KmerCounts {
    k: usize,
    counts: Vec<u32>,
    /// Total k-mer occurrences counted.
    pub occurrences: u64,
    /// Distinct canonical k-mers seen.
    pub distinct: u64,
}

impl KmerCounts {
    /// Bytes the counters of size `k` take.
    pub fn memory_bytes(k: usize) -> u64 {
        4u64 << (2 * k)
    }

    /// Counts the canonical k-mers of every sequence on the current rayon pool.
    pub fn count<S: AsRef<[u8]> + Sync>(seqs: &[S], k: usize) -> Result<Self, ClusterError> {
        validate_k(k)?;
        let cells: Vec<AtomicU32> = (0..1usize << (2 * k)).map(|_| AtomicU32::new(0)).collect();
        seqs.par_iter().for_each(|s| {
            for_each_canonical(s.as_ref(), k, |c| {
                // Saturates instead of wrapping: a k-mer seen 4 billion times is "very frequent"
                // either way, and a wrap would make it look rare.
                let cell = &cells[c as usize];
                if cell.fetch_add(1, Ordering::Relaxed) == u32::MAX {
                    cell.store(u32::MAX, Ordering::Relaxed);
                }
            })
        });
        let counts: Vec<u32> = cells.into_iter().map(AtomicU32::into_inner).collect();
        let (occurrences, distinct) = counts
            .par_iter()
            .map(|&c| (c as u64, (c > 0) as u64))
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        Ok(Self {
            k,
            counts,
            occurrences,
            distinct,
        })
    }

    /// Counts over several processes (MPI ranks): rank r counts the sequences `i` with
    /// `i % size == r` on its threads, then the counters are summed across the ranks in blocks
    /// of [`REDUCE_BLOCK`] counters (8 MiB of reduction buffer beyond the counters), saturating
    /// at `u32::MAX` like [`KmerCounts::count`]. Every rank ends with the whole sample's counts,
    /// equal to a one-process count of all sequences.
    pub fn count_ranks<S: AsRef<[u8]> + Sync>(
        seqs: &[S],
        k: usize,
        comm: &dyn crate::comm::Comm,
    ) -> Result<Self, ClusterError> {
        let (rank, size) = (comm.rank(), comm.size().max(1));
        let mine: Vec<&[u8]> = seqs
            .iter()
            .enumerate()
            .filter(|(i, _)| i % size == rank)
            .map(|(_, s)| s.as_ref())
            .collect();
        let mut local = Self::count(&mine, k)?;
        if size == 1 {
            return Ok(local);
        }
        let mut block = vec![0i64; REDUCE_BLOCK];
        for chunk in local.counts.chunks_mut(REDUCE_BLOCK) {
            let buf = &mut block[..chunk.len()];
            buf.iter_mut()
                .zip(chunk.iter())
                .for_each(|(b, &c)| *b = c as i64);
            comm.sum_i64(buf);
            chunk
                .iter_mut()
                .zip(buf.iter())
                .for_each(|(c, &b)| *c = b.min(u32::MAX as i64) as u32);
        }
        let (occurrences, distinct) = local
            .counts
            .par_iter()
            .map(|&c| (c as u64, (c > 0) as u64))
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        local.occurrences = occurrences;
        local.distinct = distinct;
        Ok(local)
    }

    /// Every non-zero counter as (canonical code, count), in code order.
    pub fn nonzero(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(i, &c)| (i as u64, c))
    }

    /// k.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Count of a canonical code.
    #[inline]
    pub fn get(&self, canonical: u64) -> u32 {
        self.counts[canonical as usize]
    }

    /// Count of a k-mer given as text (either strand); `None` when it is not a complete k-mer.
    pub fn get_kmer(&self, kmer: &[u8]) -> Option<u32> {
        if kmer.len() != self.k {
            return None;
        }
        let mut out = None;
        for_each_canonical(kmer, self.k, |c| out = Some(self.get(c)));
        out
    }

    /// The solid threshold: max(2, round(half the mean multiplicity of the observed k-mers)).
    pub fn solid_threshold(&self) -> u32 {
        if self.distinct == 0 {
            return 2;
        }
        ((self.occurrences as f64 / self.distinct as f64 / 2.0).round() as u32).max(2)
    }
}

/// The abundance profile of a read or mate pair.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Profile {
    /// k-mer occurrences scored (0: the reads have no complete k-mer, so no abundance).
    pub kmers: u32,
    /// Share of them with a sample count >= the solid threshold.
    pub solid_fraction: f32,
    /// Mean of ln(count) over them.
    pub mean_log_count: f32,
}

/// Scores the k-mers of `seqs` (a read, or the reads of a pair) against the sample counts.
pub fn profile<S: AsRef<[u8]>>(seqs: &[S], counts: &KmerCounts, threshold: u32) -> Profile {
    let (mut n, mut solid, mut logs) = (0u32, 0u32, 0f64);
    for s in seqs {
        for_each_canonical(s.as_ref(), counts.k, |c| {
            let v = counts.get(c);
            n += 1;
            solid += (v >= threshold) as u32;
            logs += (v.max(1) as f64).ln();
        });
    }
    if n == 0 {
        return Profile::default();
    }
    Profile {
        kmers: n,
        solid_fraction: solid as f32 / n as f32,
        mean_log_count: (logs / n as f64) as f32,
    }
}

/// The pair key of a read id, and whether the id marks a mate: the id without a trailing `/1`
/// or `/2` (CAMISIM, older Illumina), or without the `.1`/`.2` that SRA's split spots add to
/// `<run>.<spot>` (`SRR059298.7.1`). The SRA form needs exactly `<run>.<digits>` before it, so a
/// plain numbered id such as `read.1` stays a single read.
pub fn mate_key(id: &str) -> (&str, bool) {
    if let Some(base) = id.strip_suffix("/1").or_else(|| id.strip_suffix("/2")) {
        if !base.is_empty() {
            return (base, true);
        }
    }
    if let Some(base) = id.strip_suffix(".1").or_else(|| id.strip_suffix(".2")) {
        if let Some((run, spot)) = base.split_once('.') {
            let is_run = run.len() > 3
                && run[..3].chars().all(|c| c.is_ascii_uppercase())
                && run[3..].chars().all(|c| c.is_ascii_digit());
            if is_run && !spot.is_empty() && spot.chars().all(|c| c.is_ascii_digit()) {
                return (base, true);
            }
        }
    }
    (id, false)
}

/// Reads grouped into mate pairs (or kept alone).
#[derive(Debug, Clone, Default)]
pub struct MateGroups {
    /// Group of each read.
    pub group_of: Vec<u32>,
    /// Reads of each group, in input order.
    pub members: Vec<Vec<u32>>,
    /// Groups of two or more reads.
    pub pairs: u64,
    /// Reads whose id marks them as a mate (`/1`, `/2`) but whose mate is not in the input.
    pub unpaired: u64,
    /// A few of those ids, for messages.
    pub unpaired_examples: Vec<String>,
}

/// Groups reads by [`mate_key`] when `pair` is set (reads with the same key, including the
/// same id twice as in two FASTQ files of a run, form one group); otherwise one group per read.
pub fn mate_groups<S: AsRef<str>>(ids: &[S], pair: bool) -> MateGroups {
    let mut g = MateGroups {
        group_of: Vec::with_capacity(ids.len()),
        ..Default::default()
    };
    let mut by_key: HashMap<&str, u32> = HashMap::new();
    let mut marked = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (key, is_mate) = mate_key(id.as_ref());
        let group = if pair {
            *by_key.entry(key).or_insert_with(|| {
                g.members.push(Vec::new());
                (g.members.len() - 1) as u32
            })
        } else {
            g.members.push(Vec::new());
            (g.members.len() - 1) as u32
        };
        g.members[group as usize].push(i as u32);
        g.group_of.push(group);
        marked.push(is_mate);
    }
    if pair {
        for m in &g.members {
            if m.len() > 1 {
                g.pairs += 1;
            } else if marked[m[0] as usize] {
                g.unpaired += 1;
                if g.unpaired_examples.len() < 3 {
                    g.unpaired_examples
                        .push(ids[m[0] as usize].as_ref().to_string());
                }
            }
        }
    }
    g
}

/// 1-D k-means from quantile starts: labels (classes ordered by increasing centre) and centres.
pub fn kmeans_1d(x: &[f64], c: usize) -> (Vec<u32>, Vec<f64>) {
    if x.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let c = c.clamp(1, x.len());
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut centres: Vec<f64> = (0..c)
        .map(|i| sorted[((i as f64 + 0.5) / c as f64 * sorted.len() as f64) as usize])
        .collect();
    let mut labels = vec![0u32; x.len()];
    for _ in 0..300 {
        // Sorted centres make the nearest one a partition point of the boundaries.
        centres.sort_by(f64::total_cmp);
        let bounds: Vec<f64> = centres.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
        let mut changed = false;
        let (mut sums, mut counts) = (vec![0f64; c], vec![0u64; c]);
        for (l, &v) in labels.iter_mut().zip(x) {
            let j = bounds.partition_point(|&b| b < v) as u32;
            changed |= *l != j;
            *l = j;
            sums[j as usize] += v;
            counts[j as usize] += 1;
        }
        for j in 0..c {
            if counts[j] > 0 {
                centres[j] = sums[j] / counts[j] as f64;
            }
        }
        if !changed {
            break;
        }
    }
    (labels, centres)
}

/// BIC of the Gaussian mixture matching a hard 1-D clustering (per-class weight, mean and
/// variance; variance floored so a class of identical values does not dominate).
fn bic(x: &[f64], labels: &[u32], c: usize) -> f64 {
    let n = x.len() as f64;
    let (mut s, mut s2, mut cnt) = (vec![0f64; c], vec![0f64; c], vec![0f64; c]);
    for (&v, &l) in x.iter().zip(labels) {
        s[l as usize] += v;
        s2[l as usize] += v * v;
        cnt[l as usize] += 1.0;
    }
    let total_var = {
        let m = x.iter().sum::<f64>() / n;
        x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n
    };
    let floor = (total_var * 1e-4).max(1e-12);
    let mut ll = 0.0;
    for j in 0..c {
        if cnt[j] == 0.0 {
            continue;
        }
        let m = s[j] / cnt[j];
        let var = (s2[j] / cnt[j] - m * m).max(floor);
        ll += cnt[j] * ((cnt[j] / n).ln() - 0.5 * (2.0 * std::f64::consts::PI * var).ln() - 0.5);
    }
    -2.0 * ll + (3.0 * c as f64 - 1.0) * n.ln()
}

/// How the number of abundance classes was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassChoice {
    /// Classes used.
    pub classes: usize,
    /// BIC per candidate number of classes (1, 2, ...), empty when the number was given.
    pub bic: Vec<f64>,
    /// In words.
    pub reason: String,
}

/// Picks the number of abundance classes in 1..=`max`: the one with the lowest BIC of the
/// 1-D Gaussian mixture matching [`kmeans_1d`]'s classes.
pub fn choose_classes(x: &[f64], max: usize) -> ClassChoice {
    let max = max.clamp(1, x.len().max(1));
    let bics: Vec<f64> = (1..=max).map(|c| bic(x, &kmeans_1d(x, c).0, c)).collect();
    let best = bics
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i + 1)
        .unwrap_or(1);
    ClassChoice {
        classes: best,
        reason: format!(
            "lowest BIC of a 1-D Gaussian mixture on the reads' solid-k-mer fractions over 1..={max} classes"
        ),
        bic: bics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(seqs: &[Vec<u8>], k: usize) -> HashMap<Vec<u8>, u32> {
        let rc = |s: &[u8]| -> Vec<u8> {
            s.iter()
                .rev()
                .map(|&b| match b {
                    b'A' => b'T',
                    b'C' => b'G',
                    b'G' => b'C',
                    _ => b'A',
                })
                .collect()
        };
        let mut m = HashMap::new();
        for s in seqs {
            for w in s.windows(k) {
                if w.iter().all(|b| b"ACGT".contains(b)) {
                    let r = rc(w);
                    let key = if r < w.to_vec() { r } else { w.to_vec() };
                    *m.entry(key).or_insert(0) += 1;
                }
            }
        }
        m
    }

    fn random_reads(n: usize, seed: u64) -> Vec<Vec<u8>> {
        let mut x = seed | 1;
        (0..n)
            .map(|i| {
                (0..(i % 40 + 5))
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        // Mostly a 3-letter alphabet so k-mers repeat; some N.
                        b"ACGTAAN"[(x % 7) as usize]
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn counts_equal_a_naive_hashmap_with_1_and_4_threads() {
        let reads = random_reads(500, 7);
        for k in [8, 10] {
            let expected = naive(&reads, k);
            for threads in [1, 4] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let counts = pool.install(|| KmerCounts::count(&reads, k).unwrap());
                assert_eq!(
                    counts.distinct as usize,
                    expected.len(),
                    "k {k} threads {threads}"
                );
                assert_eq!(
                    counts.occurrences,
                    expected.values().map(|&v| v as u64).sum::<u64>()
                );
                for (kmer, &v) in &expected {
                    assert_eq!(counts.get_kmer(kmer), Some(v), "{:?}", kmer);
                }
            }
        }
    }

    #[test]
    fn canonical_codes_are_strand_symmetric_and_skip_n() {
        let mut a = Vec::new();
        for_each_canonical(b"ACGTTGCAAN", 4, |c| a.push(c));
        let mut b = Vec::new();
        for_each_canonical(b"NTTGCAACGT", 4, |c| b.push(c));
        b.reverse();
        assert_eq!(a, b);
        assert_eq!(a.len(), 6);
        let mut none = 0;
        for_each_canonical(b"NNNNNNNNNNNN", 4, |_| none += 1);
        for_each_canonical(b"ACG", 4, |_| none += 1);
        assert_eq!(none, 0);
    }

    #[test]
    fn k_out_of_range_is_a_clear_error() {
        let e = KmerCounts::count(&[b"ACGT".to_vec()], 20).unwrap_err();
        assert!(e.to_string().contains("outside 8..=14"), "{e}");
    }

    /// Canonical k-mer counts by brute force: every window, the smaller of it and its
    /// reverse complement as text.
    fn naive_counts(seqs: &[Vec<u8>], k: usize) -> HashMap<Vec<u8>, u32> {
        let mut out = HashMap::new();
        for s in seqs {
            for w in s.windows(k) {
                let w: Vec<u8> = w.iter().map(u8::to_ascii_uppercase).collect();
                if !w.iter().all(|b| b"ACGT".contains(b)) {
                    continue;
                }
                let rc: Vec<u8> = w
                    .iter()
                    .rev()
                    .map(|b| match b {
                        b'A' => b'T',
                        b'C' => b'G',
                        b'G' => b'C',
                        _ => b'A',
                    })
                    .collect();
                *out.entry(w.clone().min(rc)).or_default() += 1;
            }
        }
        out
    }

    #[test]
    fn counting_equals_a_naive_count_on_1_and_4_threads() {
        let mut x = 99u64;
        let seqs: Vec<Vec<u8>> = (0..300)
            .map(|i| {
                (0..(50 + i % 90))
                    .map(|j| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        if j % 37 == 36 {
                            b'N'
                        } else {
                            b"ACGTacgt"[(x % 8) as usize]
                        }
                    })
                    .collect()
            })
            .collect();
        let k = 9;
        let naive = naive_counts(&seqs, k);
        for threads in [1, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let counts = pool.install(|| KmerCounts::count(&seqs, k).unwrap());
            let ranks =
                pool.install(|| KmerCounts::count_ranks(&seqs, k, &crate::comm::Local).unwrap());
            for c in [&counts, &ranks] {
                assert_eq!(c.distinct as usize, naive.len(), "{threads} threads");
                assert_eq!(
                    c.occurrences,
                    naive.values().map(|&v| v as u64).sum::<u64>()
                );
                for (kmer, &n) in &naive {
                    assert_eq!(
                        c.get_kmer(kmer),
                        Some(n),
                        "{}",
                        String::from_utf8_lossy(kmer)
                    );
                }
                assert_eq!(c.nonzero().count(), naive.len());
            }
        }
    }

    #[test]
    fn mates_are_grouped_and_unpaired_counted() {
        let ids = ["a/1", "b/1", "a/2", "c", "d/2", "b/2", "e", "e"];
        let g = mate_groups(&ids, true);
        assert_eq!(g.group_of[0], g.group_of[2]);
        assert_eq!(g.group_of[1], g.group_of[5]);
        assert_eq!(g.group_of[6], g.group_of[7]);
        assert_ne!(g.group_of[0], g.group_of[1]);
        assert_eq!((g.pairs, g.unpaired), (3, 1));
        assert_eq!(g.unpaired_examples, ["d/2"]);
        let single = mate_groups(&ids, false);
        assert_eq!(single.members.len(), ids.len());
        assert_eq!(mate_key("/1"), ("/1", false));
        assert_eq!(mate_key("SRR059298.7.1"), ("SRR059298.7", true));
        assert_eq!(mate_key("ERR12.30.2"), ("ERR12.30", true));
        assert_eq!(mate_key("SRR059298.7"), ("SRR059298.7", false));
        assert_eq!(mate_key("read.1"), ("read.1", false));
        assert_eq!(mate_key("sample.7.1"), ("sample.7.1", false));
    }

    #[test]
    fn classes_of_two_separated_groups() {
        let mut x: Vec<f64> = (0..200).map(|i| 0.1 + (i % 10) as f64 * 0.001).collect();
        x.extend((0..100).map(|i| 0.8 + (i % 10) as f64 * 0.001));
        let choice = choose_classes(&x, 5);
        assert_eq!(choice.classes, 2, "{:?}", choice.bic);
        let (labels, centres) = kmeans_1d(&x, 2);
        assert!(labels[..200].iter().all(|&l| l == 0) && labels[200..].iter().all(|&l| l == 1));
        assert!(centres[0] < centres[1]);
    }
}
