//! k-means: k-means++ initialisation on a seeded sample, then Lloyd iterations with exact,
//! partition-independent reductions.
//!
//! Why it is built this way:
//! - Assignment is the hot loop: distances come from one GEMM per block of rows
//!   (`|x|^2 - 2 x.c + |c|^2`, matrixmultiply's sgemm) and blocks run on all cores. The GEMM
//!   computes each row's dot products in the same order wherever the row sits, so a row's
//!   nearest centroid does not depend on blocking, threads or ranks. Ties go to the lower index.
//! - Centroid sums are accumulated in 64-bit fixed point (values scaled by a power of two chosen
//!   from the global max |x| and row count so nothing overflows; resolution better than
//!   2^-30 of the largest value). Integer sums are associative, so 1 thread, 16 threads, 2 or 4
//!   MPI ranks produce bit-identical centroids and therefore identical assignments.
//! - Initialisation uses a sample chosen by a seeded draw per global row index (the row's
//!   word of a seekable ChaCha8 stream, so every rank selects the same rows without
//!   communication), gathered to every process and sorted by global index; greedy k-means++
//!   (2 + ln k candidates per step, as scikit-learn) runs on it identically everywhere.
//! - The tolerance is relative to the mean per-dimension variance of that sample (as
//!   scikit-learn's `tol` is relative to the data variance); iterations also stop when no
//!   assignment changes.
//! - An empty cluster keeps its previous centroid (deterministic, needs no extra communication).
//! - Cosine: rows and centroids are L2-normalised (spherical k-means); the reported distance is
//!   `1 - cos`.

use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::comm::Comm;
use crate::random::{seeded, RowSample};
use crate::ClusterError;

/// Distance used by the clustering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Squared euclidean distance (reported as euclidean distance).
    #[default]
    Euclidean,
    /// Cosine distance `1 - cos` (rows normalised).
    Cosine,
}

/// Parameters of [`kmeans`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansParams {
    /// Number of clusters.
    pub k: usize,
    /// Maximum Lloyd iterations.
    pub max_iter: usize,
    /// Convergence tolerance on the summed squared centroid shift, relative to the mean
    /// per-dimension variance of the initialisation sample (scikit-learn's meaning).
    pub tol: f64,
    /// Distance.
    pub metric: Metric,
    /// Seed of the sample and of k-means++.
    pub seed: u64,
    /// Rows used for k-means++ (0 = automatic: max(256 k, 10000), at most all rows).
    pub init_sample: usize,
}

impl Default for KMeansParams {
    fn default() -> Self {
        Self {
            k: 10,
            max_iter: 100,
            tol: 1e-4,
            metric: Metric::Euclidean,
            seed: 42,
            init_sample: 0,
        }
    }
}

impl KMeansParams {
    /// Checks ranges.
    pub fn validate(&self, n_total: u64) -> Result<(), ClusterError> {
        if self.k == 0 {
            return Err(ClusterError::Params("k = 0; give k >= 1".into()));
        }
        if self.k as u64 > n_total {
            return Err(ClusterError::Params(format!(
                "k = {} is larger than the number of reads ({n_total}); give a smaller --k",
                self.k
            )));
        }
        if self.tol.is_nan() || self.tol < 0.0 {
            return Err(ClusterError::Params(format!(
                "tol = {} must be >= 0",
                self.tol
            )));
        }
        Ok(())
    }

    pub(crate) fn sample_size(&self, n_total: u64) -> u64 {
        let want = if self.init_sample == 0 {
            (256 * self.k).max(10_000) as u64
        } else {
            self.init_sample as u64
        };
        want.clamp(self.k as u64, n_total)
    }
}

/// The rows this process holds.
#[derive(Debug, Clone, Default)]
pub struct LocalData {
    /// Row-major values, `rows * dim`.
    pub data: Vec<f32>,
    /// Dimension.
    pub dim: usize,
    /// Global index of each local row (unique over all processes).
    pub global_idx: Vec<u64>,
}

impl LocalData {
    /// Number of local rows.
    pub fn rows(&self) -> usize {
        self.global_idx.len()
    }

    /// L2-normalises every row (for cosine); zero rows stay zero.
    pub fn normalise(&mut self) {
        let d = self.dim;
        self.data.par_chunks_mut(d.max(1)).for_each(normalise_row);
    }
}

pub(crate) fn normalise_row(r: &mut [f32]) {
    let n = r.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        r.iter_mut().for_each(|x| *x /= n);
    }
}

/// Statistics of one Lloyd iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IterStat {
    /// 1-based iteration.
    pub iter: usize,
    /// Sum of squared distances to the assigned centroids (before the update).
    pub inertia: f64,
    /// Summed squared centroid shift of the update.
    pub shift: f64,
    /// Rows whose assignment changed.
    pub changed: u64,
    /// Wall time of the iteration, seconds.
    pub seconds: f64,
}

/// The result of [`kmeans`] (labels and distances for the local rows).
#[derive(Debug, Clone)]
pub struct KMeansResult {
    /// `k * dim` centroids.
    pub centroids: Vec<f32>,
    /// Nearest centroid of each local row (after the last update).
    pub labels: Vec<u32>,
    /// Squared euclidean distance of each local row to its centroid.
    pub dist2: Vec<f32>,
    /// Global cluster sizes.
    pub sizes: Vec<u64>,
    /// Iterations run.
    pub iterations: usize,
    /// Whether the tolerance (or unchanged assignments) stopped it before `max_iter`.
    pub converged: bool,
    /// Final sum of squared distances (global).
    pub inertia: f64,
    /// Per-iteration statistics.
    pub history: Vec<IterStat>,
    /// Seconds spent in the initialisation.
    pub init_seconds: f64,
}

/// Gathers the seeded sample (rows in global index order) to every process.
pub fn gather_sample(
    data: &LocalData,
    seed: u64,
    m: u64,
    n_total: u64,
    comm: &dyn Comm,
) -> Vec<f32> {
    gather_sample_rows(data, &mut RowSample::new(seed, m, n_total), comm).1
}

/// Gathers the rows of `sample` to every process: their global indices, ascending, and the
/// rows in that order.
pub(crate) fn gather_sample_rows(
    data: &LocalData,
    sample: &mut RowSample,
    comm: &dyn Comm,
) -> (Vec<u64>, Vec<f32>) {
    let d = data.dim;
    let mut idx = Vec::new();
    let mut rows = Vec::new();
    for (i, &g) in data.global_idx.iter().enumerate() {
        if sample.contains(g) {
            idx.push(g);
            rows.extend_from_slice(&data.data[i * d..(i + 1) * d]);
        }
    }
    let all_idx = comm.gather_u64(&idx);
    let all_rows = comm.gather_f32(&rows);
    let mut order: Vec<usize> = (0..all_idx.len()).collect();
    order.sort_by_key(|&i| all_idx[i]);
    let mut sorted_idx = Vec::with_capacity(all_idx.len());
    let mut sorted_rows = Vec::with_capacity(all_rows.len());
    for i in order {
        sorted_idx.push(all_idx[i]);
        sorted_rows.extend_from_slice(&all_rows[i * d..(i + 1) * d]);
    }
    (sorted_idx, sorted_rows)
}

/// Squared norms of rows.
pub(crate) fn sq_norms(x: &[f32], d: usize) -> Vec<f32> {
    x.chunks(d.max(1)).map(sq_norm).collect()
}

/// Squared norm with eight partial sums (vectorises; fixed order, so position-independent).
fn sq_norm(a: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = a.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
    for c in chunks {
        for l in 0..8 {
            acc[l] += c[l] * c[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

const BLOCK: usize = 256;

/// Nearest centroid (lowest index on ties) and squared distance of every row of `x`.
pub fn assign(x: &[f32], d: usize, centroids: &[f32], k: usize) -> (Vec<u32>, Vec<f32>) {
    let n = x.len().checked_div(d).unwrap_or(0);
    let cn = sq_norms(centroids, d);
    let mut labels = vec![0u32; n];
    let mut dist = vec![0f32; n];
    labels
        .par_chunks_mut(BLOCK)
        .zip(dist.par_chunks_mut(BLOCK))
        .enumerate()
        .for_each_init(
            || vec![0f32; BLOCK * k],
            |g, (bi, (lab, dst))| {
                let rows = lab.len();
                let xb = &x[bi * BLOCK * d..(bi * BLOCK + rows) * d];
                // G = X_b (rows x d) * C^T (d x k)
                unsafe {
                    matrixmultiply::sgemm(
                        rows,
                        d,
                        k,
                        1.0,
                        xb.as_ptr(),
                        d as isize,
                        1,
                        centroids.as_ptr(),
                        1,
                        d as isize,
                        0.0,
                        g.as_mut_ptr(),
                        k as isize,
                        1,
                    );
                }
                for r in 0..rows {
                    let gr = &mut g[r * k..(r + 1) * k];
                    // Two branch-free passes (they vectorise): the scores, their minimum, then
                    // the first index holding it (ties go to the lower index).
                    for (v, &c) in gr.iter_mut().zip(&cn) {
                        *v = c - 2.0 * *v;
                    }
                    let best = min_f32(gr);
                    let bj = gr.iter().position(|&v| v == best).unwrap_or(0);
                    let xr = &xb[r * d..(r + 1) * d];
                    let xn = sq_norm(xr);
                    lab[r] = bj as u32;
                    dst[r] = (xn + best).max(0.0);
                }
            },
        );
    (labels, dist)
}

/// Squared euclidean distance, eight partial sums so that it vectorises; the summation order is
/// fixed, so the result does not depend on where the rows sit.
fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            let t = x[l] - y[l];
            acc[l] += t * t;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Minimum of `v` (NaN-free), with sixteen running minima so that it vectorises.
fn min_f32(v: &[f32]) -> f32 {
    let mut m = [f32::INFINITY; 16];
    let chunks = v.chunks_exact(16);
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::INFINITY, |a, &b| a.min(b));
    for c in chunks {
        for l in 0..16 {
            m[l] = if c[l] < m[l] { c[l] } else { m[l] };
        }
    }
    m.iter().fold(tail, |a, &b| a.min(b))
}

/// Greedy k-means++ on `sample` (rows in a fixed order): deterministic for a seed.
pub fn kmeans_pp(sample: &[f32], d: usize, k: usize, seed: u64) -> Vec<f32> {
    let m = sample.len() / d.max(1);
    let mut rng = seeded(seed);
    let mut centers = Vec::with_capacity(k * d);
    let first = rng.random_range(0..m);
    centers.extend_from_slice(&sample[first * d..(first + 1) * d]);
    let row = |i: usize| &sample[i * d..(i + 1) * d];
    let mut closest: Vec<f64> = (0..m)
        .into_par_iter()
        .map(|i| sq_dist(row(i), row(first)) as f64)
        .collect();
    let trials = 2 + (k as f64).ln() as usize;
    for _ in 1..k {
        let total: f64 = closest.iter().sum();
        let mut cands = Vec::with_capacity(trials);
        for _ in 0..trials {
            let mut u = rng.random::<f64>() * total;
            let mut pick = m - 1;
            for (i, &c) in closest.iter().enumerate() {
                if u < c {
                    pick = i;
                    break;
                }
                u -= c;
            }
            cands.push(pick);
        }
        // One pass over the sample for all candidates: row i's distances to candidate t at
        // [i * trials + t].
        let mut dists = vec![0f64; m * trials];
        dists
            .par_chunks_mut(trials)
            .enumerate()
            .for_each(|(i, out)| {
                for (o, &c) in out.iter_mut().zip(&cands) {
                    *o = closest[i].min(sq_dist(row(i), row(c)) as f64);
                }
            });
        // Keep the candidate that lowers the potential most (first on ties); sums run in row
        // order so every process picks the same one.
        let mut best = (f64::INFINITY, 0usize);
        for t in 0..trials {
            let pot: f64 = (0..m).map(|i| dists[i * trials + t]).sum();
            if pot < best.0 {
                best = (pot, t);
            }
        }
        let t = best.1;
        centers.extend_from_slice(row(cands[t]));
        closest = (0..m).map(|i| dists[i * trials + t]).collect();
    }
    centers
}

/// Mean per-dimension variance of the sample (the scale of `tol`).
fn mean_variance(sample: &[f32], d: usize) -> f64 {
    let m = sample.len() / d.max(1);
    if m == 0 {
        return 0.0;
    }
    let mut total = 0.0;
    for j in 0..d {
        let (mut s, mut s2) = (0f64, 0f64);
        for i in 0..m {
            let v = sample[i * d + j] as f64;
            s += v;
            s2 += v * v;
        }
        let mean = s / m as f64;
        total += (s2 / m as f64 - mean * mean).max(0.0);
    }
    total / d as f64
}

/// Fixed-point scale (a power of two) for exact sums of up to `n` values of magnitude <= `max_abs`.
pub(crate) fn fixed_scale(max_abs: f64, n: u64) -> f64 {
    let max_abs = if max_abs > 0.0 && max_abs.is_finite() {
        max_abs
    } else {
        1.0
    };
    // Sum of n values must fit in i64 (62 bits), and each scaled value must stay below 2^51
    // for the rounding trick of `to_fixed`.
    let headroom = (62.0 - (n.max(1) as f64).log2().ceil()).min(50.0);
    let bits = headroom - max_abs.log2().ceil();
    2f64.powi(bits.floor() as i32)
}

/// `round(v * scale)` as an integer for |v * scale| < 2^51: adding 1.5 * 2^52 leaves the
/// integer in the low mantissa bits (rounded to nearest even by the FPU). Unlike `f64::round`
/// (a libm call on baseline x86-64) this is a few vectorisable instructions.
#[inline(always)]
fn to_fixed(v: f32, scale: f64) -> i64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    ((v as f64 * scale + MAGIC).to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64)
}

/// Exact (fixed-point) per-cluster sums and counts of the local rows.
pub(crate) fn local_sums(x: &[f32], d: usize, labels: &[u32], k: usize, scale: f64) -> Vec<i64> {
    // Layout: k*d sums, then k counts.
    labels
        .par_chunks(4096)
        .enumerate()
        .fold(
            || vec![0i64; k * d + k],
            |mut acc, (bi, lab)| {
                for (r, &l) in lab.iter().enumerate() {
                    let i = bi * 4096 + r;
                    let l = l as usize;
                    let xr = &x[i * d..(i + 1) * d];
                    let a = &mut acc[l * d..(l + 1) * d];
                    for (s, &v) in a.iter_mut().zip(xr) {
                        *s += to_fixed(v, scale);
                    }
                    acc[k * d + l] += 1;
                }
                acc
            },
        )
        .reduce(
            || vec![0i64; k * d + k],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// Runs k-means over the rows of every process; see the module docs for the guarantees.
///
/// `data` must already be normalised for [`Metric::Cosine`] (see [`LocalData::normalise`]).
pub fn kmeans(
    data: &LocalData,
    n_total: u64,
    params: &KMeansParams,
    comm: &dyn Comm,
) -> Result<KMeansResult, ClusterError> {
    params.validate(n_total)?;
    let (d, k) = (data.dim, params.k);
    let t0 = std::time::Instant::now();
    let m = params.sample_size(n_total);
    let sample = gather_sample(data, params.seed, m, n_total, comm);
    if sample.len() / d.max(1) < k {
        return Err(ClusterError::Params(format!(
            "the initialisation sample has {} rows, fewer than k = {k}; give a larger --init-sample",
            sample.len() / d.max(1)
        )));
    }
    let centroids = kmeans_pp(&sample, d, k, params.seed);
    let tol = params.tol * mean_variance(&sample, d);
    let init_seconds = t0.elapsed().as_secs_f64();
    let mut result = lloyd(data, n_total, centroids, tol, params, comm)?;
    result.init_seconds = init_seconds;
    Ok(result)
}

/// Lloyd iterations from given initial centroids (`k * dim` values, row-major; normalised for
/// [`Metric::Cosine`]) until no assignment changes, the summed squared centroid shift is at
/// most `tol_abs` (an absolute value, unlike [`KMeansParams::tol`]), or `params.max_iter`.
/// `params.seed`, `tol` and `init_sample` are not used. This is scikit-learn's `KMeans(init=
/// centroids, n_init=1, algorithm="lloyd")` loop, except that an empty cluster keeps its
/// centroid where scikit-learn moves it to a far point.
pub fn lloyd(
    data: &LocalData,
    n_total: u64,
    mut centroids: Vec<f32>,
    tol: f64,
    params: &KMeansParams,
    comm: &dyn Comm,
) -> Result<KMeansResult, ClusterError> {
    let (d, k) = (data.dim, params.k);
    if centroids.len() != k * d {
        return Err(ClusterError::Params(format!(
            "{} initial centroid values given, expected k x dim = {k} x {d}",
            centroids.len()
        )));
    }
    let local_max = data.data.iter().fold(0f32, |a, &v| a.max(v.abs())) as f64;
    let scale = fixed_scale(comm.max_f64(local_max), n_total);

    let mut labels: Vec<u32> = vec![u32::MAX; data.rows()];
    let mut history = Vec::new();
    let mut converged = false;
    let mut iterations = 0;
    for it in 1..=params.max_iter {
        let ti = std::time::Instant::now();
        let (new_labels, dist) = assign(&data.data, d, &centroids, k);
        let mut changed = [new_labels
            .iter()
            .zip(&labels)
            .filter(|(a, b)| a != b)
            .count() as i64];
        comm.sum_i64(&mut changed);
        let mut inertia = [dist.iter().map(|&v| v as f64).sum::<f64>()];
        comm.sum_f64(&mut inertia);
        labels = new_labels;
        let mut sums = local_sums(&data.data, d, &labels, k, scale);
        comm.sum_i64(&mut sums);
        let mut shift = 0f64;
        for j in 0..k {
            let cnt = sums[k * d + j];
            if cnt == 0 {
                continue;
            }
            let c = &mut centroids[j * d..(j + 1) * d];
            let mut new: Vec<f32> = sums[j * d..(j + 1) * d]
                .iter()
                .map(|&s| (s as f64 / scale / cnt as f64) as f32)
                .collect();
            if params.metric == Metric::Cosine {
                normalise_row(&mut new);
            }
            shift += c
                .iter()
                .zip(&new)
                .map(|(a, b)| ((a - b) as f64).powi(2))
                .sum::<f64>();
            c.copy_from_slice(&new);
        }
        iterations = it;
        history.push(IterStat {
            iter: it,
            inertia: inertia[0],
            shift,
            changed: changed[0] as u64,
            seconds: ti.elapsed().as_secs_f64(),
        });
        tracing::debug!(
            iter = it,
            inertia = inertia[0],
            shift,
            changed = changed[0],
            "k-means iteration"
        );
        if changed[0] == 0 || shift <= tol {
            converged = true;
            break;
        }
    }
    // Final assignment against the final centroids.
    let (labels, dist2) = assign(&data.data, d, &centroids, k);
    let mut counts = vec![0i64; k];
    for &l in &labels {
        counts[l as usize] += 1;
    }
    comm.sum_i64(&mut counts);
    let mut inertia = [dist2.iter().map(|&v| v as f64).sum::<f64>()];
    comm.sum_f64(&mut inertia);
    Ok(KMeansResult {
        centroids,
        labels,
        dist2,
        sizes: counts.iter().map(|&c| c as u64).collect(),
        iterations,
        converged,
        inertia: inertia[0],
        history,
        init_seconds: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comm::Local;
    use crate::random::gaussian;

    fn blobs(n_per: usize, centers: &[[f32; 2]], seed: u64) -> LocalData {
        let mut rng = seeded(seed);
        let mut data = Vec::new();
        for c in centers {
            for _ in 0..n_per {
                data.push(c[0] + 0.3 * gaussian(&mut rng) as f32);
                data.push(c[1] + 0.3 * gaussian(&mut rng) as f32);
            }
        }
        let n = n_per * centers.len();
        LocalData {
            data,
            dim: 2,
            global_idx: (0..n as u64).collect(),
        }
    }

    #[test]
    fn assign_matches_brute_force() {
        let x = blobs(50, &[[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]], 1);
        let c = vec![0.0, 0.0, 5.0, 5.0, 0.0, 5.0, 2.5, 2.5];
        let (lab, dist) = assign(&x.data, 2, &c, 4);
        for i in 0..x.rows() {
            let r = &x.data[i * 2..i * 2 + 2];
            let ds: Vec<f32> = (0..4)
                .map(|j| (r[0] - c[j * 2]).powi(2) + (r[1] - c[j * 2 + 1]).powi(2))
                .collect();
            let best = ds.iter().cloned().fold(f32::INFINITY, f32::min);
            assert!((ds[lab[i] as usize] - best).abs() < 1e-4);
            assert!((dist[i] - best).abs() < 1e-3);
        }
    }

    #[test]
    fn recovers_blobs_and_is_deterministic() {
        let x = blobs(200, &[[0.0, 0.0], [6.0, 6.0], [0.0, 6.0], [6.0, 0.0]], 2);
        let p = KMeansParams {
            k: 4,
            ..Default::default()
        };
        let a = kmeans(&x, x.rows() as u64, &p, &Local).unwrap();
        assert!(a.converged);
        let mut sizes = a.sizes.clone();
        sizes.sort();
        assert_eq!(sizes, vec![200, 200, 200, 200]);
        // Each blob in one cluster.
        for b in 0..4 {
            let l = a.labels[b * 200];
            assert!(a.labels[b * 200..(b + 1) * 200].iter().all(|&x| x == l));
        }
        let b = kmeans(&x, x.rows() as u64, &p, &Local).unwrap();
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.centroids, b.centroids);
    }

    #[test]
    fn split_rows_give_identical_results() {
        // Two "ranks" simulated by running on a permuted copy: sums are exact, so centroids
        // are bit-identical whatever the row order.
        let x = blobs(300, &[[0.0, 0.0], [3.0, 3.0], [0.0, 3.0]], 3);
        let p = KMeansParams {
            k: 3,
            ..Default::default()
        };
        let a = kmeans(&x, x.rows() as u64, &p, &Local).unwrap();
        let n = x.rows();
        let mut perm = LocalData {
            data: Vec::new(),
            dim: 2,
            global_idx: Vec::new(),
        };
        for i in (0..n).rev() {
            perm.data.extend_from_slice(&x.data[i * 2..i * 2 + 2]);
            perm.global_idx.push(i as u64);
        }
        let b = kmeans(&perm, n as u64, &p, &Local).unwrap();
        assert_eq!(a.centroids, b.centroids);
        for i in 0..n {
            assert_eq!(a.labels[i], b.labels[n - 1 - i]);
        }
    }

    #[test]
    fn bad_params() {
        let x = blobs(2, &[[0.0, 0.0]], 4);
        let p = KMeansParams {
            k: 5,
            ..Default::default()
        };
        let e = kmeans(&x, 2, &p, &Local).unwrap_err().to_string();
        assert!(e.contains("larger than the number of reads"), "{e}");
    }
}
