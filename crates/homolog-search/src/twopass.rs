//! Two-pass exact search: int8 candidate pass with a proven error bound, then the f32 kernel
//! on the candidates only.
//!
//! # Why the result is exactly the f32 search's
//!
//! Both sides are centred on the mean `m` of the (scaled) reference rows before quantising:
//! with `w = v - m`, `q.r = w_q.w_r + m.r + m.q - |m|^2` exactly, and the last three terms
//! are computed per row in `f64`. For every allowed, non-excluded (query, reference) pair the
//! first pass computes, from the exact integer dot product of the int8 codes of `w` (see
//! [`crate::quant`]), an interval `[lo, hi]` that contains the distance `d` the f32 kernel of
//! [`crate::search`] computes (for euclidean, its square). The interval's half-width is the
//! Cauchy-Schwarz bound on the quantisation error (`|w_q| |e_r| + |e_q| |w_r'|`, per pair
//! from per-row norms) plus a slack
//! that covers the f32 kernel's own rounding (`gamma_n = n u / (1 - n u)` of the dot product
//! of length `n`, `u = 2^-24`, and the few roundings of the norms and of the distance
//! formula) and the rounding of the first pass's own `f32` arithmetic, with a factor 2 to
//! spare.
//!
//! Per query, `t` is the smaller of the threshold and the k-th smallest `hi` seen so far.
//! The k-th smallest f32 distance is at most the k-th smallest `hi`, so any reference that
//! belongs to the result (including every tie at the k-th distance, for `keep_ties`) has
//! `lo <= d <= t`: keeping every pair with `lo <= t` (the candidate list, adaptive to the
//! data, not a fixed width) cannot lose one. The candidates are then re-scored with the
//! one-pass search's dot products and distance formula, and selected with the same top-k, so
//! ids, distances (bit for bit), order, ties, threshold and filter semantics are those of the
//! f32 search. The per-element arithmetic of `matrixmultiply::sgemm` does not depend on where
//! a pair sits in a tile: with an FMA microkernel it is one FMA chain per 256-deep panel,
//! the panels added in order (see `SGEMM_KC`). The re-rank computes exactly that directly on
//! the candidate rows, in place (16 candidates per AVX-512 vector, 8 per AVX2 vector, or 8
//! scalar chains), after checking once per process, bit for bit against `sgemm` itself, that
//! it matches; where it does not (another microkernel or blocking), it gathers the rows and
//! calls `sgemm`.

use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use crate::quant::{
    block_rows, lane_sum, quantise_row, tile, Int8Kernel, QuantRefs, QuantRow, QueryCodes,
    RowBlocks, LANES, PANEL,
};
use crate::topk::TopK;
use crate::{to_distances, Hit, Metric, Prepared, Pruning, AUTO_QUERY_CHUNK, REFERENCE_BLOCK};

mod prune;

use prune::{check, cut_terms, seed, Check, Plan, SeedTask};

/// What the two-pass search did, for benchmarks and logs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TwoPassStats {
    /// Seconds spent quantising queries and references.
    pub quantise_s: f64,
    /// Seconds of the int8 candidate pass.
    pub first_pass_s: f64,
    /// Seconds of the f32 re-scoring of the candidates.
    pub rerank_s: f64,
    /// Candidates re-scored, all queries together.
    pub candidates: u64,
    /// Largest candidate list of one query.
    pub max_candidates: usize,
    /// Queries whose candidate list grew past the cap and were answered by the one-pass f32
    /// search (same result, f32 speed).
    pub fallback_queries: usize,
    /// Multiply-adds of the int8 pass, seed pass included, as a fraction of scoring every
    /// pair over every dimension (below 1 where pruning stopped pairs early).
    pub int8_work: f64,
}

/// Inputs of one two-pass call, already validated by [`crate::search_with`].
pub(crate) struct Input<'a> {
    pub(crate) queries: &'a [f32],
    pub(crate) references: &'a [f32],
    pub(crate) dim: usize,
    pub(crate) metric: Metric,
    pub(crate) k: usize,
    pub(crate) keep_ties: bool,
    pub(crate) prep: &'a Prepared,
    pub(crate) query_scale: &'a [f32],
    pub(crate) ref_scale: &'a [f32],
    pub(crate) allowed_rows: Option<&'a [u32]>,
    pub(crate) positions: usize,
    pub(crate) query_chunk: usize,
    pub(crate) pruning: Pruning,
}

impl Input<'_> {
    #[inline]
    fn reference_of(&self, position: usize) -> u32 {
        self.allowed_rows
            .map_or(position as u32, |rows| rows[position])
    }
}

/// Rounds a non-negative error term up a little so that the `f32` evaluation of the bound
/// (a few products and sums of such terms) never falls below the real value.
#[inline]
fn up(x: f64) -> f32 {
    (x * (1.0 + 1e-6)) as f32
}

/// Per-reference terms of the bound, indexed by position.
struct RefTerms {
    codes: QuantRefs,
    /// `o * sum` of the codes, which undoes the `+ o` of the query codes
    /// ([`Int8Kernel::query_offset`]).
    corr: Vec<i32>,
    /// Quantisation step `h_r`.
    step: Vec<f32>,
    /// `|e_r|`.
    residual: Vec<f32>,
    /// `|w_r'|`.
    recon: Vec<f32>,
    /// Reference part of the key besides the dot product: `-m.r` (cosine) or
    /// `|r|^2 - 2 m.r` (euclidean, `|r|^2` exactly as the f32 kernel has it).
    base: Vec<f32>,
    /// Euclidean: slack proportional to `(|r| + |m|)^2`; cosine: 0.
    slack: Vec<f32>,
    /// Per cut of the [`Plan`]: what the pass needs to stop there.
    cuts: Vec<RefCut>,
}

/// Per-reference terms at one cut of the dimensions (a whole number of quads).
struct RefCut {
    /// `o * sum` of the codes before the cut (as `corr`, for a partial dot product).
    corr: Vec<i32>,
    /// `|w_r|` over the dimensions from the cut on, rounded up.
    rest: Vec<f32>,
}

/// Per-query terms of the bound.
struct QueryTerms {
    /// `c + o` per dimension ([`Int8Kernel::query_offset`]), rows of `dim4` bytes (padding
    /// `o`, against zero codes).
    codes: Vec<u8>,
    /// `C h_q`, `C` = 1 (cosine) or 2 (euclidean: the `-2 q.r` of the expansion).
    step: Vec<f32>,
    /// Query part of the key: `1 - m.q + |m|^2` (cosine) or `|q|^2 - 2 m.q + 2 |m|^2`.
    base: Vec<f32>,
    /// Coefficient of `|e_r|`: `C |w_q|`.
    a: Vec<f32>,
    /// Coefficient of `|w_r'|`: `C |e_q|`.
    b: Vec<f32>,
    /// Constant slack of this query.
    c: Vec<f32>,
    /// Per cut of the [`Plan`]: `C |w_q|` over the dimensions from the cut on, rounded up.
    rest: Vec<Vec<f32>>,
}

/// Slack factors: `(cosine absolute slack, euclidean slack per unit of (|x| + |m|)^2)`.
///
/// The f32 kernel's dot product is off by at most `gamma_n |q| |r|` (any summation order of
/// `n` terms, FMA or not; Cauchy-Schwarz for `sum |q_i r_i|`); its norms, scales and distance
/// formula add a few `u` relative to the magnitudes involved, and so does the first pass's own
/// `f32` evaluation of the key (terms of magnitude at most 4 for cosine, and at most
/// `(|q| + |m|)^2 + (|r| + |m|)^2` for euclidean). `64 u` covers those roundings with room;
/// the factor 2 is a further margin.
fn slack(dim: usize) -> (f64, f64) {
    let u = f64::powi(2.0, -24);
    let nu = (dim as f64 + 16.0) * u;
    let gamma = nu / (1.0 - nu);
    (2.0 * (gamma + 64.0 * u), 2.0 * (2.0 * gamma + 64.0 * u))
}

/// `|x|` of a row, summed in `f64`.
#[inline(always)]
fn norm_of(row: &[f32]) -> f64 {
    let mut acc = [0.0f64; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += f64::from(x) * f64::from(x);
        }
    }
    let tail: f64 = tail.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    (acc.iter().sum::<f64>() + tail).sqrt()
}

/// What a row of norm `norm` is multiplied by to give the row as the quantiser sees it
/// (unit vector for cosine, the row itself for euclidean; multiplying by 1 is exact).
#[inline(always)]
fn scale_of(metric: Metric, norm: f64) -> f64 {
    match metric {
        Metric::Cosine if norm > 0.0 => 1.0 / norm,
        Metric::Cosine => 0.0,
        Metric::Euclidean => 1.0,
    }
}

/// Mean of the scaled searchable reference rows, the centre `m` both sides are quantised
/// around: embeddings share a large common component (random pairs of protein embeddings
/// have cosine 0.4-0.8), and removing it shrinks the vectors that are quantised, hence the
/// error bound, several times (SeqVec CATH set: mean bound 0.049 -> 0.011). Also returns
/// the variance of each dimension around it.
fn centre(input: &Input) -> (Vec<f64>, Vec<f64>) {
    let dim = input.dim;
    let n = input.positions;
    // Sums, then sums of squares.
    let sum = (0..n)
        .into_par_iter()
        .with_min_len(256)
        .fold(
            || vec![0.0f64; 2 * dim],
            |mut acc, p| {
                let r = input.reference_of(p) as usize;
                accumulate(
                    input.metric,
                    &input.references[r * dim..(r + 1) * dim],
                    &mut acc,
                );
                acc
            },
        )
        .reduce(
            || vec![0.0f64; 2 * dim],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let mean: Vec<f64> = sum[..dim].iter().map(|x| x / n as f64).collect();
    let var = sum[dim..]
        .iter()
        .zip(&mean)
        .map(|(sq, m)| (sq / n as f64 - m * m).max(0.0))
        .collect();
    (mean, var)
}

/// The dimensions by decreasing variance (ties in index order). The first pass scores them
/// in this order: a dot product is the same in any order of its dimensions, and with the
/// widest first, what is left after a cut of the [`Plan`] has the least norm (protein
/// embeddings have a few dimensions of far larger spread than the rest).
fn by_variance(var: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..var.len()).collect();
    order.sort_by(|&a, &b| var[b].total_cmp(&var[a]).then(a.cmp(&b)));
    order
}

/// `row` in the dimension order `order` (into `out`), or `row` itself without one.
#[inline]
fn reordered<'a>(row: &'a [f32], order: Option<&[usize]>, out: &'a mut [f32]) -> &'a [f32] {
    match order {
        Some(order) => {
            for (o, &d) in out.iter_mut().zip(order) {
                *o = row[d];
            }
            out
        }
        None => row,
    }
}

/// `w = x scale - m` (the scaled row centred) into `w`, in one pass; returns `(m.(x scale),
/// |w|, max |w_i|)`.
#[inline(always)]
fn centred(row: &[f32], scale: f64, m: &[f64], w: &mut [f64]) -> (f64, f64, f64) {
    let mut dot = [0.0f64; LANES];
    let mut sq = [0.0f64; LANES];
    let mut max = [0.0f64; LANES];
    let split = row.len() - row.len() % LANES;
    let (head, tail) = w.split_at_mut(split);
    for ((ws, xs), cs) in head
        .chunks_exact_mut(LANES)
        .zip(row[..split].chunks_exact(LANES))
        .zip(m[..split].chunks_exact(LANES))
    {
        for l in 0..LANES {
            let y = f64::from(xs[l]) * scale;
            dot[l] += cs[l] * y;
            let d = y - cs[l];
            ws[l] = d;
            sq[l] += d * d;
            max[l] = max[l].max(d.abs());
        }
    }
    for ((o, &x), &c) in tail.iter_mut().zip(&row[split..]).zip(&m[split..]) {
        let y = f64::from(x) * scale;
        dot[0] += c * y;
        let d = y - c;
        *o = d;
        sq[0] += d * d;
        max[0] = max[0].max(d.abs());
    }
    let sq: f64 = sq.iter().sum();
    (
        dot.iter().sum(),
        sq.sqrt() * (1.0 + 1e-9),
        max.iter().fold(0.0f64, |a, &b| a.max(b)),
    )
}

/// One row through the quantiser: returns `(|x|, m.v, |v - m|)` and the quantised row.
#[inline(always)]
fn prepare_row_body(
    metric: Metric,
    row: &[f32],
    m: &[f64],
    v: &mut [f64],
    codes: &mut [i8],
    levels: i32,
) -> (f64, f64, f64, QuantRow) {
    let norm = norm_of(row);
    let (dot_m, w_norm, max) = centred(row, scale_of(metric, norm), m, v);
    (norm, dot_m, w_norm, quantise_row(v, max, codes, levels))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn prepare_row_avx2(
    metric: Metric,
    row: &[f32],
    m: &[f64],
    v: &mut [f64],
    codes: &mut [i8],
    levels: i32,
) -> (f64, f64, f64, QuantRow) {
    prepare_row_body(metric, row, m, v, codes, levels)
}

/// [`prepare_row_body`], compiled for AVX2 where the CPU has it. The arithmetic is the same
/// (Rust never contracts `a * b + c` into an FMA), only the vector width differs.
fn prepare_row(
    metric: Metric,
    row: &[f32],
    m: &[f64],
    v: &mut [f64],
    codes: &mut [i8],
    levels: i32,
) -> (f64, f64, f64, QuantRow) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: both features were just detected.
        return unsafe { prepare_row_avx2(metric, row, m, v, codes, levels) };
    }
    prepare_row_body(metric, row, m, v, codes, levels)
}

/// `acc[..dim] += ` the scaled row, `acc[dim..] += ` its squares (for [`centre`]).
#[inline(always)]
fn accumulate_body(metric: Metric, row: &[f32], acc: &mut [f64]) {
    let scale = scale_of(metric, norm_of(row));
    let (sum, sq) = acc.split_at_mut(row.len());
    for ((a, b), &x) in sum.iter_mut().zip(sq.iter_mut()).zip(row) {
        let y = f64::from(x) * scale;
        *a += y;
        *b += y * y;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn accumulate_avx2(metric: Metric, row: &[f32], acc: &mut [f64]) {
    accumulate_body(metric, row, acc)
}

fn accumulate(metric: Metric, row: &[f32], acc: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: both features were just detected.
        return unsafe { accumulate_avx2(metric, row, acc) };
    }
    accumulate_body(metric, row, acc)
}

/// The reference side (8-bit codes whatever the kernel); `offset` is the query codes'; rows
/// in the dimension `order` when there is one (`m` already in it).
fn quantise_references(
    input: &Input,
    m: &[f64],
    offset: i32,
    cuts: &[usize],
    order: Option<&[usize]>,
) -> RefTerms {
    let (dim, metric) = (input.dim, input.metric);
    let (_, eslack) = slack(dim);
    let m_norm = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut codes = QuantRefs::zeroed(input.positions, dim);
    let plen = codes.panel_len();
    let n = input.positions;
    let padded = n.div_ceil(PANEL) * PANEL;
    #[derive(Clone, Copy, Default)]
    struct Row {
        sum: i32,
        step: f32,
        residual: f32,
        recon: f32,
        base: f32,
        slack: f32,
    }
    let mut rows = vec![Row::default(); padded];
    let nc = cuts.len();
    let mut cut_rows = vec![(0i32, 0.0f32); padded * nc.max(1)];
    codes
        .panels
        .par_chunks_mut(plen)
        .zip(rows.par_chunks_mut(PANEL))
        .zip(cut_rows.par_chunks_mut(PANEL * nc.max(1)))
        .enumerate()
        .for_each(|(p, ((panel, out), cut_out))| {
            let mut c = vec![0i8; dim];
            let mut v = vec![0.0f64; dim];
            let mut x = vec![0.0f32; dim];
            for (lane, slot) in out.iter_mut().enumerate() {
                let position = p * PANEL + lane;
                if position >= n {
                    break;
                }
                let r = input.reference_of(position) as usize;
                let row = reordered(&input.references[r * dim..(r + 1) * dim], order, &mut x);
                let (norm, dot_m, _, q) = prepare_row(metric, row, m, &mut v, &mut c, 127);
                QuantRefs::store(panel, lane, &c);
                if nc > 0 {
                    cut_terms(&v, &c, cuts, &mut cut_out[lane * nc..(lane + 1) * nc]);
                }
                *slot = Row {
                    sum: q.code_sum,
                    step: q.step,
                    residual: up(q.residual),
                    recon: up(q.recon_norm),
                    base: match metric {
                        Metric::Cosine => (-dot_m) as f32,
                        Metric::Euclidean => (f64::from(input.ref_scale[r]) - 2.0 * dot_m) as f32,
                    },
                    slack: match metric {
                        Metric::Cosine => 0.0,
                        Metric::Euclidean => up(eslack * (norm + m_norm).powi(2)),
                    },
                };
            }
        });
    RefTerms {
        codes,
        corr: rows.iter().map(|r| offset * r.sum).collect(),
        step: rows.iter().map(|r| r.step).collect(),
        residual: rows.iter().map(|r| r.residual).collect(),
        recon: rows.iter().map(|r| r.recon).collect(),
        base: rows.iter().map(|r| r.base).collect(),
        slack: rows.iter().map(|r| r.slack).collect(),
        cuts: (0..nc)
            .map(|x| RefCut {
                corr: (0..padded)
                    .map(|r| offset * cut_rows[r * nc + x].0)
                    .collect(),
                rest: (0..padded).map(|r| cut_rows[r * nc + x].1).collect(),
            })
            .collect(),
    }
}

/// The query side, with the codes `kernel` takes.
fn quantise_queries(
    input: &Input,
    m: &[f64],
    dim4: usize,
    kernel: Int8Kernel,
    cuts: &[usize],
    order: Option<&[usize]>,
) -> QueryTerms {
    let (dim, metric) = (input.dim, input.metric);
    let (cslack, eslack) = slack(dim);
    let m_sq = m.iter().map(|x| x * x).sum::<f64>();
    let nq = input.prep.n_queries;
    let (levels, offset) = (kernel.query_levels(), kernel.query_offset());
    let mut codes = vec![offset as u8; nq * dim4];
    let coefficient = match metric {
        Metric::Cosine => 1.0,
        Metric::Euclidean => 2.0,
    };
    let terms: Vec<([f32; 5], Vec<f32>)> = codes
        .par_chunks_mut(dim4)
        .enumerate()
        .map_init(
            || (vec![0.0f64; dim], vec![0i8; dim], vec![0.0f32; dim]),
            |(v, c, x), (i, out)| {
                let row = reordered(&input.queries[i * dim..(i + 1) * dim], order, x);
                let (norm, dot_m, w_norm, q) = prepare_row(metric, row, m, v, c, levels);
                for (o, &x) in out.iter_mut().zip(c.iter()) {
                    *o = (i32::from(x) + offset) as u8;
                }
                let mut at_cuts = vec![(0, 0.0); cuts.len()];
                cut_terms(v, c, cuts, &mut at_cuts);
                let rest = at_cuts
                    .into_iter()
                    .map(|(_, r)| up(coefficient * f64::from(r)))
                    .collect();
                let terms = match metric {
                    Metric::Cosine => [
                        q.step,
                        (1.0 - dot_m + m_sq) as f32,
                        up(w_norm),
                        up(q.residual),
                        up(cslack),
                    ],
                    Metric::Euclidean => [
                        2.0 * q.step,
                        (f64::from(input.query_scale[i]) - 2.0 * dot_m + 2.0 * m_sq) as f32,
                        up(2.0 * w_norm),
                        up(2.0 * q.residual),
                        up(eslack * (norm + m_sq.sqrt()).powi(2)),
                    ],
                };
                (terms, rest)
            },
        )
        .collect();
    QueryTerms {
        codes,
        step: terms.iter().map(|t| t.0[0]).collect(),
        base: terms.iter().map(|t| t.0[1]).collect(),
        a: terms.iter().map(|t| t.0[2]).collect(),
        b: terms.iter().map(|t| t.0[3]).collect(),
        c: terms.iter().map(|t| t.0[4]).collect(),
        rest: (0..cuts.len())
            .map(|x| terms.iter().map(|t| t.1[x]).collect())
            .collect(),
    }
}

/// Candidate list of one query: every pair whose lower bound is `<= t`.
#[derive(Debug, Clone)]
struct Candidates {
    /// (reference row, lower bound, upper bound).
    items: Vec<(u32, f32, f32)>,
    /// Admission cutoff: threshold or k-th smallest upper bound seen, whichever is smaller.
    t: f32,
    /// The k smallest upper bounds admitted so far, as bits (upper bounds are non-negative,
    /// where the bits order as the values), largest on top: `t` follows every admission
    /// instead of waiting for the next compaction, which keeps far fewer pairs on the way.
    best: BinaryHeap<u32>,
    next_compact: usize,
    /// More than [`candidate_cap`] pairs survived a compaction: the list was dropped and the
    /// query is answered by the one-pass f32 search instead (bounded memory on degenerate
    /// data, e.g. thousands of equidistant references).
    overflowed: bool,
}

/// Longest candidate list kept per query (the list itself may reach twice that between
/// compactions): 12 bytes per candidate, so at most ~50 KiB per query at small k.
fn candidate_cap(k: usize) -> usize {
    k.saturating_mul(4).max(2048)
}

impl Candidates {
    fn new(t: f32, k: usize) -> Self {
        Candidates {
            items: Vec::new(),
            t,
            best: BinaryHeap::new(),
            next_compact: k.saturating_mul(2).max(k.saturating_add(64)),
            overflowed: false,
        }
    }

    #[inline]
    fn push(&mut self, item: (u32, f32, f32), k: usize, his: &mut Vec<f32>) {
        self.items.push(item);
        debug_assert!(item.2 >= 0.0, "upper bounds are clamped at 0");
        let hi = item.2.to_bits();
        if self.best.len() < k {
            self.best.push(hi);
        } else if let Some(mut top) = self.best.peek_mut() {
            if hi < *top {
                *top = hi;
            }
        }
        if self.best.len() == k {
            let kth = f32::from_bits(self.best.peek().copied().unwrap_or(u32::MAX));
            if kth < self.t {
                self.t = kth;
            }
        }
        if self.items.len() >= self.next_compact {
            self.compact(k, his);
        }
    }

    /// Lowers `t` to the k-th smallest upper bound and drops the pairs it rules out.
    fn compact(&mut self, k: usize, his: &mut Vec<f32>) {
        if self.items.len() >= k {
            his.clear();
            his.extend(self.items.iter().map(|c| c.2));
            let (_, kth, _) = his.select_nth_unstable_by(k - 1, f32::total_cmp);
            if *kth < self.t {
                self.t = *kth;
            }
            let t = self.t;
            self.items.retain(|c| c.1 <= t);
            if self.items.len() > candidate_cap(k) {
                self.overflow();
            }
        }
        self.next_compact = self.items.len().saturating_mul(2).max(k.saturating_add(64));
    }
}

impl Candidates {
    /// Gives up on this query's list (see [`Candidates::overflowed`]); admits nothing more.
    fn overflow(&mut self) {
        self.overflowed = true;
        self.items = Vec::new();
        self.t = f32::NEG_INFINITY;
    }
}

/// Scratch memory of one worker in the first pass.
struct Scratch {
    tile: Vec<i32>,
    lo: Vec<f32>,
    his: Vec<f32>,
    /// Per (register block of queries, panel) of the tile: still scored ([`Plan`]).
    live: Vec<bool>,
    /// Per query of the chunk: its `t` at a check.
    ts: Vec<f32>,
}

/// Per-reference terms of one block.
struct BlockTerms<'a> {
    corr: &'a [i32],
    base: &'a [f32],
    step: &'a [f32],
    residual: &'a [f32],
    recon: &'a [f32],
    slack: &'a [f32],
}

/// Per-query terms (see [`QueryTerms`]).
#[derive(Clone, Copy)]
struct QueryRow {
    base: f32,
    step: f32,
    a: f32,
    b: f32,
    c: f32,
}

impl BlockTerms<'_> {
    /// The terms of the references `at` of these.
    fn slice(&self, at: std::ops::Range<usize>) -> BlockTerms<'_> {
        BlockTerms {
            corr: &self.corr[at.clone()],
            base: &self.base[at.clone()],
            step: &self.step[at.clone()],
            residual: &self.residual[at.clone()],
            recon: &self.recon[at.clone()],
            slack: &self.slack[at],
        }
    }

    /// Approximate key and error bound of pair `j` (`x`: its integer dot product).
    #[inline(always)]
    fn key_and_error(&self, x: i32, j: usize, q: QueryRow) -> (f32, f32) {
        let dot = (x - self.corr[j]) as f32;
        let key = (q.base + self.base[j]) - dot * q.step * self.step[j];
        let e = q.a * self.residual[j] + q.b * self.recon[j] + q.c + self.slack[j];
        (key, e)
    }

    /// Upper bound of pair `j`, clamped like the distance.
    #[inline]
    fn upper(&self, x: i32, j: usize, q: QueryRow, hi_max: f32) -> f32 {
        let (key, e) = self.key_and_error(x, j, q);
        let hi = key + e;
        let hi = if hi > 0.0 { hi } else { 0.0 };
        if hi < hi_max {
            hi
        } else {
            hi_max
        }
    }
}

/// Whether the CPU has AVX-512 F.
fn avx512f() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Lower bounds of a row of pairs into `lo`.
#[inline(always)]
fn lower_bounds_body(
    row: &[i32],
    terms: &BlockTerms,
    q: QueryRow,
    lo_min: f32,
    lo_max: f32,
    lo: &mut [f32],
) {
    for (j, (l, &x)) in lo.iter_mut().zip(row).enumerate() {
        let (key, e) = terms.key_and_error(x, j, q);
        let x = key - e;
        let x = if x > lo_min { x } else { lo_min };
        *l = if x < lo_max { x } else { lo_max };
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn lower_bounds_avx512(
    row: &[i32],
    terms: &BlockTerms,
    q: QueryRow,
    lo_min: f32,
    lo_max: f32,
    lo: &mut [f32],
) {
    lower_bounds_body(row, terms, q, lo_min, lo_max, lo)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lower_bounds_avx2(
    row: &[i32],
    terms: &BlockTerms,
    q: QueryRow,
    lo_min: f32,
    lo_max: f32,
    lo: &mut [f32],
) {
    lower_bounds_body(row, terms, q, lo_min, lo_max, lo)
}

/// Vector width of the bound arithmetic (same results at every width: no FMA contraction,
/// only wider vectors).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Width {
    Avx512,
    Avx2,
    Baseline,
}

impl Width {
    /// The widest this CPU has.
    fn detect() -> Width {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Width::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Width::Avx2;
            }
        }
        Width::Baseline
    }
}

/// [`lower_bounds_body`] at `width` (detected, so the CPU has it).
#[inline]
fn lower_bounds(
    width: Width,
    row: &[i32],
    terms: &BlockTerms,
    q: QueryRow,
    lo_min: f32,
    lo_max: f32,
    lo: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    match width {
        // SAFETY: `width` comes from `Width::detect`, which checked the feature.
        Width::Avx512 => return unsafe { lower_bounds_avx512(row, terms, q, lo_min, lo_max, lo) },
        // SAFETY: as above.
        Width::Avx2 => return unsafe { lower_bounds_avx2(row, terms, q, lo_min, lo_max, lo) },
        Width::Baseline => {}
    }
    let _ = width;
    lower_bounds_body(row, terms, q, lo_min, lo_max, lo)
}

/// Cosine bounds live in `[0, 2]` like the distance; euclidean ones are squared distances.
fn clamps(metric: Metric) -> (f32, f32) {
    match metric {
        Metric::Cosine => (0.0, 2.0),
        Metric::Euclidean => (f32::NEG_INFINITY, f32::INFINITY),
    }
}

/// The threshold in the units of the bounds.
fn limit_key(metric: Metric, limit: f32) -> f32 {
    match metric {
        Metric::Cosine => limit,
        Metric::Euclidean if limit < 0.0 => f32::NEG_INFINITY,
        Metric::Euclidean => {
            let l = f64::from(limit);
            (l * l * (1.0 + 1e-6)) as f32
        }
    }
}

/// Runs both passes; returns the same lists as the f32 search, except for the queries listed
/// last (candidate lists over the cap, see [`Candidates::overflowed`]), whose lists are empty
/// and must be computed by the one-pass search.
pub(crate) fn run(input: &Input, kernel: Int8Kernel) -> (Vec<Vec<Hit>>, TwoPassStats, Vec<usize>) {
    let start = Instant::now();
    let nq = input.prep.n_queries;
    let dim4 = input.dim.div_ceil(4) * 4;
    let plan = match input.pruning {
        Pruning::Never => None,
        Pruning::Auto | Pruning::Always => Plan::new(dim4),
    };
    let cuts = plan.as_ref().map(Plan::cuts).unwrap_or_default();
    let (m, var) = centre(input);
    let order = plan.as_ref().map(|_| by_variance(&var));
    let m = match &order {
        Some(order) => order.iter().map(|&d| m[d]).collect(),
        None => m,
    };
    let order = order.as_deref();
    let refs = quantise_references(input, &m, kernel.query_offset(), &cuts, order);
    let qt = quantise_queries(input, &m, dim4, kernel, &cuts, order);
    let quantise_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let chunk = if input.query_chunk > 0 {
        input.query_chunk.min(nq)
    } else {
        nq.div_ceil(nq.div_ceil(AUTO_QUERY_CHUNK))
    };
    let n_chunks = nq.div_ceil(chunk);
    let block = REFERENCE_BLOCK.min(input.positions.div_ceil(PANEL) * PANEL);
    let n_blocks = input.positions.div_ceil(block);
    let threads = rayon::current_num_threads().max(1);
    let wanted = (2 * threads).div_ceil(n_chunks).clamp(1, n_blocks);
    let segment_blocks = n_blocks.div_ceil(wanted);
    let n_segments = n_blocks.div_ceil(segment_blocks);
    let t0 = limit_key(input.metric, input.prep.limit);
    let (lo_min, lo_max) = clamps(input.metric);
    let plen = refs.codes.panel_len();
    let quads = dim4 / 4;
    let width = Width::detect();
    // Cleared by the first task whose pruning does not pay (`Pruning::Auto`): the tasks that
    // start afterwards score every pair to the end.
    let pruning_pays = AtomicBool::new(true);
    let all_terms = BlockTerms {
        corr: &refs.corr,
        base: &refs.base,
        step: &refs.step,
        residual: &refs.residual,
        recon: &refs.recon,
        slack: &refs.slack,
    };

    // One task: query chunk `c` against reference segment `segment`. Returns its candidate
    // lists and its int8 work (done, and all pairs over all quads), in (query, panel, quad)s.
    let scan = |scratch: &mut Scratch, c: usize, segment: usize| -> (Vec<Candidates>, [u64; 2]) {
        let q0 = c * chunk;
        let q1 = (q0 + chunk).min(nq);
        let m = q1 - q0;
        let p0 = segment * segment_blocks * block;
        let p1 = (p0 + segment_blocks * block).min(input.positions);
        let mut cands: Vec<Candidates> = (0..m).map(|_| Candidates::new(t0, input.k)).collect();
        let qbytes = &qt.codes[q0 * dim4..q1 * dim4];
        let qcodes = &QueryCodes::new(qbytes);
        let rows: Vec<QueryRow> = (q0..q1)
            .map(|q| QueryRow {
                base: qt.base[q],
                step: qt.step[q],
                a: qt.a[q],
                b: qt.b[q],
                c: qt.c[q],
            })
            .collect();
        let blocks = RowBlocks::new(block_rows(kernel), m);
        let mut work = [0u64; 2];
        let mut active = plan
            .as_ref()
            .filter(|_| input.pruning == Pruning::Always || pruning_pays.load(Ordering::Relaxed));
        if let Some(plan) = active {
            work[0] += seed(
                &SeedTask {
                    input,
                    kernel,
                    width,
                    refs: &refs,
                    terms: &all_terms,
                    qcodes,
                    rows: &rows,
                    q0,
                    range: (p0, p1),
                    block,
                    quads: (plan.seed, quads),
                    corr: &refs.cuts[0].corr,
                    hi_max: lo_max,
                },
                scratch,
                &mut cands,
            );
        }
        // (query, panel)s kept by the first check and checked, and blocks pruned so far.
        let (mut first_live, mut first_all, mut blocks_seen) = (0u64, 0u64, 0usize);
        let mut b0 = p0;
        while b0 < p1 {
            let b1 = (b0 + block).min(p1);
            let n = b1 - b0;
            let np = n.div_ceil(PANEL);
            let ld = np * PANEL;
            let panels = &refs.codes.panels[(b0 / PANEL) * plen..(b0 / PANEL + np) * plen];
            let terms = BlockTerms {
                corr: &refs.corr[b0..b1],
                base: &refs.base[b0..b1],
                step: &refs.step[b0..b1],
                residual: &refs.residual[b0..b1],
                recon: &refs.recon[b0..b1],
                slack: &refs.slack[b0..b1],
            };
            let full = (m * np * quads) as u64;
            work[1] += full;
            let pruning = active.is_some();
            if let Some(plan) = active {
                let live = &mut scratch.live;
                live.clear();
                live.resize(blocks.count() * np, true);
                let first = plan.checks[0];
                tile(
                    kernel,
                    qcodes,
                    m,
                    panels,
                    dim4,
                    0..first,
                    &mut scratch.tile,
                    ld,
                    None,
                );
                let mut done = (m * np * first) as u64;
                for (x, &cut) in plan.checks.iter().enumerate() {
                    scratch.ts.clear();
                    scratch.ts.extend(cands.iter().map(|c| c.t));
                    let at = &refs.cuts[x + 1];
                    check(
                        width,
                        &Check {
                            tile: &scratch.tile,
                            ld,
                            n,
                            np,
                            blocks,
                            terms: &terms,
                            corr: &at.corr[b0..b1],
                            rest: &at.rest[b0..b1],
                            queries: &rows,
                            q_rest: &qt.rest[x + 1][q0..q1],
                            ts: &scratch.ts,
                        },
                        live,
                    );
                    let next = plan.checks.get(x + 1).copied().unwrap_or(quads);
                    let rows_live: usize = (0..blocks.count())
                        .map(|b| {
                            blocks.rows(b).len()
                                * live[b * np..(b + 1) * np].iter().filter(|&&l| l).count()
                        })
                        .sum();
                    if x == 0 {
                        first_live += rows_live as u64;
                        first_all += (m * np) as u64;
                    }
                    if rows_live == 0 {
                        break;
                    }
                    done += (rows_live * (next - cut)) as u64;
                    tile(
                        kernel,
                        qcodes,
                        m,
                        panels,
                        dim4,
                        cut..next,
                        &mut scratch.tile,
                        ld,
                        Some(live),
                    );
                }
                work[0] += done;
                blocks_seen += 1;
                // Auto: a task whose first check keeps most blocks over its first reference
                // blocks stops checking (the checks and the seed pass then cost more than
                // they save: later checks keep about as many).
                if input.pruning == Pruning::Auto && blocks_seen >= 4 && first_live * 2 > first_all
                {
                    active = None;
                    pruning_pays.store(false, Ordering::Relaxed);
                }
            } else {
                tile(
                    kernel,
                    qcodes,
                    m,
                    panels,
                    dim4,
                    0..quads,
                    &mut scratch.tile,
                    ld,
                    None,
                );
                work[0] += full;
            }
            for (i, cand) in cands.iter_mut().enumerate() {
                let q = q0 + i;
                let qr = rows[i];
                let row = &scratch.tile[i * ld..i * ld + n];
                let lo = &mut scratch.lo[..n];
                let live: &[bool] = if pruning {
                    &scratch.live[blocks.of(i) * np..(blocks.of(i) + 1) * np]
                } else {
                    &[]
                };
                if pruning {
                    // Only the panels still scored: most are not.
                    for (p, _) in live.iter().enumerate().filter(|(_, &l)| l) {
                        let at = p * PANEL..((p + 1) * PANEL).min(n);
                        let (row, lo) = (&row[at.clone()], &mut lo[at.clone()]);
                        lower_bounds(width, row, &terms.slice(at), qr, lo_min, lo_max, lo);
                    }
                } else {
                    lower_bounds(width, row, &terms, qr, lo_min, lo_max, lo);
                }
                for (jc, chunk) in lo.chunks(16).enumerate() {
                    // A panel dropped at a check holds a partial sum: none of its pairs can
                    // be in the result.
                    if pruning && !live[jc] {
                        continue;
                    }
                    let t = cand.t;
                    // Branch-free test of 16 bounds at once: almost every chunk is skipped.
                    if !chunk.iter().fold(false, |any, &x| any | (x <= t)) {
                        continue;
                    }
                    for (jj, &l) in chunk.iter().enumerate() {
                        if l <= cand.t {
                            let j = jc * 16 + jj;
                            let reference = input.reference_of(b0 + j);
                            if input.prep.is_excluded(q, reference) {
                                continue;
                            }
                            let hi = terms.upper(row[j], j, qr, lo_max);
                            cand.push((reference, l, hi), input.k, &mut scratch.his);
                        }
                    }
                }
            }
            b0 = b1;
        }
        for cand in &mut cands {
            cand.compact(input.k, &mut scratch.his);
        }
        (cands, work)
    };

    let results: Vec<(Vec<Candidates>, [u64; 2])> = (0..n_chunks * n_segments)
        .into_par_iter()
        .with_max_len(1)
        .map_init(
            || Scratch {
                tile: vec![0; chunk * block],
                lo: vec![0.0; block],
                his: Vec::new(),
                live: Vec::new(),
                ts: Vec::new(),
            },
            |scratch, task| scan(scratch, task / n_segments, task % n_segments),
        )
        .collect();
    let work = results
        .iter()
        .fold([0u64; 2], |acc, (_, w)| [acc[0] + w[0], acc[1] + w[1]]);
    let mut partials: Vec<Vec<Candidates>> = results.into_iter().map(|(c, _)| c).collect();
    // Per query: the segments' lists together, with the smallest of their cutoffs.
    let mut lists: Vec<Candidates> = Vec::with_capacity(nq);
    let mut his = Vec::new();
    for segments in partials.chunks_mut(n_segments) {
        let m = segments[0].len();
        for i in 0..m {
            let mut all = std::mem::replace(&mut segments[0][i], Candidates::new(t0, input.k));
            for seg in segments[1..].iter_mut() {
                let part = std::mem::replace(&mut seg[i], Candidates::new(t0, input.k));
                all.t = all.t.min(part.t);
                all.overflowed |= part.overflowed;
                all.items.extend(part.items);
            }
            if all.overflowed {
                all.overflow();
            }
            all.compact(input.k, &mut his);
            lists.push(all);
        }
    }
    drop(partials);
    let first_pass_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let candidates: u64 = lists.iter().map(|c| c.items.len() as u64).sum();
    let max_candidates = lists.iter().map(|c| c.items.len()).max().unwrap_or(0);
    let overflowed: Vec<usize> = (0..nq).filter(|&q| lists[q].overflowed).collect();
    let hits = rerank(input, lists);
    let stats = TwoPassStats {
        quantise_s,
        first_pass_s,
        rerank_s: start.elapsed().as_secs_f64(),
        candidates,
        max_candidates,
        fallback_queries: overflowed.len(),
        int8_work: if work[1] > 0 {
            work[0] as f64 / work[1] as f64
        } else {
            1.0
        },
    };
    (hits, stats, overflowed)
}

/// Second pass: the f32 kernel's dot products and distance formula on each query's
/// candidates. The dot products come from [`sgemm_dots`] (direct, no copies) when
/// [`direct_dots_match_sgemm`] holds, otherwise from a 1-row `sgemm` of the gathered rows.
fn rerank(input: &Input, lists: Vec<Candidates>) -> Vec<Vec<Hit>> {
    let dim = input.dim;
    let direct = direct_dots_match_sgemm();
    lists
        .into_par_iter()
        .enumerate()
        .map_init(
            || (Vec::<f32>::new(), Vec::<f32>::new(), Vec::<f32>::new()),
            |(rows, scales, tile), (q, cand)| {
                let mut ids: Vec<u32> = cand.items.iter().map(|c| c.0).collect();
                ids.sort_unstable();
                let n = ids.len();
                let mut top = TopK::new(input.prep.limit, input.k);
                if n == 0 {
                    return top.finish(input.k, input.keep_ties);
                }
                scales.clear();
                scales.extend(ids.iter().map(|&r| input.ref_scale[r as usize]));
                tile.clear();
                tile.resize(n, 0.0);
                let query = &input.queries[q * dim..(q + 1) * dim];
                if direct {
                    sgemm_dots(query, input.references, &ids, tile);
                } else {
                    rows.clear();
                    for &r in &ids {
                        let r = r as usize;
                        rows.extend_from_slice(&input.references[r * dim..(r + 1) * dim]);
                    }
                    // SAFETY: as in the one-pass search: `query` is 1 x dim, `rows` is n x dim
                    // row-major read as the dim x n matrix B, `tile` is 1 x n, no aliasing.
                    unsafe {
                        matrixmultiply::sgemm(
                            1,
                            dim,
                            n,
                            1.0,
                            query.as_ptr(),
                            dim as isize,
                            1,
                            rows.as_ptr(),
                            1,
                            dim as isize,
                            0.0,
                            tile.as_mut_ptr(),
                            n as isize,
                            1,
                        );
                    }
                }
                to_distances(input.metric, tile, input.query_scale[q], scales);
                for (&d, &reference) in tile.iter().zip(&ids) {
                    if d <= top.bound() {
                        top.push(
                            Hit {
                                reference,
                                distance: d,
                            },
                            input.k,
                            input.keep_ties,
                        );
                    }
                }
                top.finish(input.k, input.keep_ties)
            },
        )
        .collect()
}

/// The k-blocking of `matrixmultiply::sgemm` (its `S_KC`, the depth of one packed panel).
///
/// Within a panel, every microkernel `matrixmultiply` picks on a CPU with FMA (the AVX-512
/// 16 x 16 one, the AVX2 + FMA 8 x 8 one, NEON) accumulates each element of C separately,
/// `acc = fma(a_p, b_p, acc)` for `p` in order, from 0; the panels' results are added to C in
/// order (`C = acc` for the first, `C = C + acc` after), whatever the element's place in the
/// tile (masked or not). [`sgemm_dots`] does exactly that.
const SGEMM_KC: usize = 256;

/// Candidates scored together in [`dot_group`]: independent FMA chains, enough to hide the
/// FMA latency (4 cycles, 2 per cycle).
const DOT_GROUP: usize = 8;

/// `query . rows[j]` for `N` rows of `query.len()` values, in `matrixmultiply::sgemm`'s
/// order of operations (see [`SGEMM_KC`]).
#[inline(always)]
fn dot_group<const N: usize>(query: &[f32], rows: [&[f32]; N]) -> [f32; N] {
    let dim = query.len();
    let mut total = [0.0f32; N];
    let mut k0 = 0;
    while k0 < dim {
        let k1 = (k0 + SGEMM_KC).min(dim);
        let q = &query[k0..k1];
        let r = rows.map(|row| &row[k0..k1]);
        let mut acc = [0.0f32; N];
        for (p, &x) in q.iter().enumerate() {
            for j in 0..N {
                acc[j] = x.mul_add(r[j][p], acc[j]);
            }
        }
        if k0 == 0 {
            total = acc;
        } else {
            for j in 0..N {
                total[j] += acc[j];
            }
        }
        k0 = k1;
    }
    total
}

/// [`DotKernel::dots`] as [`DOT_GROUP`] scalar FMA chains at a time (the rest one by one).
#[inline(always)]
fn sgemm_dots_body(query: &[f32], references: &[f32], ids: &[u32], out: &mut [f32]) {
    let dim = query.len();
    let row = |r: u32| &references[r as usize * dim..(r as usize + 1) * dim];
    let mut groups = ids.chunks_exact(DOT_GROUP);
    let mut outs = out.chunks_exact_mut(DOT_GROUP);
    for (g, o) in (&mut groups).zip(&mut outs) {
        let rows: [&[f32]; DOT_GROUP] = std::array::from_fn(|j| row(g[j]));
        o.copy_from_slice(&dot_group(query, rows));
    }
    for (&r, o) in groups.remainder().iter().zip(outs.into_remainder()) {
        *o = dot_group(query, [row(r)])[0];
    }
}

/// [`sgemm_dots`] on AVX2: 8 candidates per vector (one per lane), so the same per-lane FMA
/// chain as [`dot_group`] runs 8 wide. The rows are read in place, 8 values of each of 8 rows
/// at a time, and transposed in registers (a group short of 8 repeats its first row and drops
/// those lanes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn sgemm_dots_avx2(query: &[f32], references: &[f32], ids: &[u32], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let dim = query.len();
    assert!(ids
        .iter()
        .all(|&r| (r as usize + 1) * dim <= references.len()));
    assert_eq!(ids.len(), out.len());
    for (g, o) in ids.chunks(8).zip(out.chunks_mut(8)) {
        let rows: [*const f32; 8] = std::array::from_fn(|j| {
            let r = g.get(j).copied().unwrap_or(g[0]) as usize;
            // In bounds: checked above.
            references[r * dim..].as_ptr()
        });
        let mut total = _mm256_setzero_ps();
        let mut k0 = 0;
        while k0 < dim {
            let k1 = (k0 + SGEMM_KC).min(dim);
            let mut acc = _mm256_setzero_ps();
            let mut p0 = k0;
            while p0 < k1 {
                let len = (k1 - p0).min(8);
                let r: [__m256; 8] = if len == 8 {
                    // SAFETY: `references[r * dim + p0 ..][..8]` with `p0 + 8 <= dim`, in bounds.
                    std::array::from_fn(|j| unsafe { _mm256_loadu_ps(rows[j].add(p0)) })
                } else {
                    let mask = _mm256_cmpgt_epi32(
                        _mm256_set1_epi32(len as i32),
                        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                    );
                    // SAFETY: lanes `< len` are in bounds as above; masked-off lanes are not
                    // read (`vmaskmovps` suppresses their faults).
                    std::array::from_fn(|j| unsafe { _mm256_maskload_ps(rows[j].add(p0), mask) })
                };
                let t = transpose8(r);
                for (i, &x) in query[p0..p0 + len].iter().enumerate() {
                    acc = _mm256_fmadd_ps(_mm256_set1_ps(x), t[i], acc);
                }
                p0 += len;
            }
            total = if k0 == 0 {
                acc
            } else {
                _mm256_add_ps(total, acc)
            };
            k0 = k1;
        }
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds 8 f32.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), total) };
        o.copy_from_slice(&lanes[..o.len()]);
    }
}

/// `t[e]` lane `j` = `r[j]` lane `e`: an 8 x 8 transpose of `f32`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn transpose8(r: [std::arch::x86_64::__m256; 8]) -> [std::arch::x86_64::__m256; 8] {
    use std::arch::x86_64::*;
    // Pairs of rows interleaved within 128-bit lanes: `a[2 g]` holds columns 0, 1 (low lane)
    // and 4, 5 (high lane) of rows `2 g, 2 g + 1`; `a[2 g + 1]` columns 2, 3 and 6, 7.
    let a: [__m256; 8] = std::array::from_fn(|i| {
        let (x, y) = (r[i & !1], r[i | 1]);
        if i & 1 == 0 {
            _mm256_unpacklo_ps(x, y)
        } else {
            _mm256_unpackhi_ps(x, y)
        }
    });
    // `b[4 h + c]`: rows `4 h .. 4 h + 4` at column `c` (low lane) and `c + 4` (high lane).
    let b: [__m256; 8] = std::array::from_fn(|i| {
        let (h, c) = (i / 4, i % 4);
        let (x, y) = (a[4 * h + c / 2], a[4 * h + 2 + c / 2]);
        if c % 2 == 0 {
            _mm256_shuffle_ps::<0x44>(x, y)
        } else {
            _mm256_shuffle_ps::<0xEE>(x, y)
        }
    });
    std::array::from_fn(|e| {
        let c = e % 4;
        if e < 4 {
            _mm256_permute2f128_ps::<0x20>(b[c], b[4 + c])
        } else {
            _mm256_permute2f128_ps::<0x31>(b[c], b[4 + c])
        }
    })
}

/// [`sgemm_dots`] on AVX-512: 16 candidates per vector (one per lane), so the same per-lane
/// FMA chain as [`dot_group`] runs 16 wide. The rows are read in place, 16 values of each of
/// 16 rows at a time, and transposed in registers (a group short of 16 repeats its first row
/// and drops those lanes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn sgemm_dots_avx512(query: &[f32], references: &[f32], ids: &[u32], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let dim = query.len();
    assert!(ids
        .iter()
        .all(|&r| (r as usize + 1) * dim <= references.len()));
    assert_eq!(ids.len(), out.len());
    for (g, o) in ids.chunks(16).zip(out.chunks_mut(16)) {
        let rows: [*const f32; 16] = std::array::from_fn(|j| {
            let r = g.get(j).copied().unwrap_or(g[0]) as usize;
            // In bounds: checked above.
            references[r * dim..].as_ptr()
        });
        let mut total = _mm512_setzero_ps();
        let mut k0 = 0;
        while k0 < dim {
            let k1 = (k0 + SGEMM_KC).min(dim);
            let mut acc = _mm512_setzero_ps();
            let mut p0 = k0;
            while p0 < k1 {
                let len = (k1 - p0).min(16);
                let mask: __mmask16 = if len == 16 { !0 } else { (1 << len) - 1 };
                // SAFETY: lanes `< len` of row `j` are `references[r * dim + p0 + i]` with
                // `p0 + i < dim`, in bounds; masked-off lanes are not read.
                let r: [__m512; 16] = std::array::from_fn(|j| unsafe {
                    _mm512_maskz_loadu_ps(mask, rows[j].add(p0))
                });
                let t = transpose16(r);
                for (i, &x) in query[p0..p0 + len].iter().enumerate() {
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(x), t[i], acc);
                }
                p0 += len;
            }
            total = if k0 == 0 {
                acc
            } else {
                _mm512_add_ps(total, acc)
            };
            k0 = k1;
        }
        let mut lanes = [0.0f32; 16];
        // SAFETY: `lanes` holds 16 f32.
        unsafe { _mm512_storeu_ps(lanes.as_mut_ptr(), total) };
        o.copy_from_slice(&lanes[..o.len()]);
    }
}

/// `t[e]` lane `j` = `r[j]` lane `e`: a 16 x 16 transpose of `f32`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn transpose16(r: [std::arch::x86_64::__m512; 16]) -> [std::arch::x86_64::__m512; 16] {
    use std::arch::x86_64::*;
    // Pairs of rows interleaved within 128-bit lanes.
    let a: [__m512; 16] = std::array::from_fn(|i| {
        let (x, y) = (r[i & !1], r[i | 1]);
        if i & 1 == 0 {
            _mm512_unpacklo_ps(x, y)
        } else {
            _mm512_unpackhi_ps(x, y)
        }
    });
    // `b[4 g + c]`, 128-bit lane `l`: rows `4 g .. 4 g + 4` at column `4 l + c`.
    let b: [__m512; 16] = std::array::from_fn(|i| {
        let (g, c) = (i / 4, i % 4);
        let x = _mm512_castps_pd(a[4 * g + c / 2]);
        let y = _mm512_castps_pd(a[4 * g + 2 + c / 2]);
        _mm512_castpd_ps(if c % 2 == 0 {
            _mm512_unpacklo_pd(x, y)
        } else {
            _mm512_unpackhi_pd(x, y)
        })
    });
    // 4 x 4 transpose of the 128-bit lanes of `b[c], b[4 + c], b[8 + c], b[12 + c]`.
    let mut t = [_mm512_setzero_ps(); 16];
    for c in 0..4 {
        let v0 = _mm512_shuffle_f32x4::<0x44>(b[c], b[4 + c]);
        let v1 = _mm512_shuffle_f32x4::<0xEE>(b[c], b[4 + c]);
        let v2 = _mm512_shuffle_f32x4::<0x44>(b[8 + c], b[12 + c]);
        let v3 = _mm512_shuffle_f32x4::<0xEE>(b[8 + c], b[12 + c]);
        t[c] = _mm512_shuffle_f32x4::<0x88>(v0, v2);
        t[4 + c] = _mm512_shuffle_f32x4::<0xDD>(v0, v2);
        t[8 + c] = _mm512_shuffle_f32x4::<0x88>(v1, v3);
        t[12 + c] = _mm512_shuffle_f32x4::<0xDD>(v1, v3);
    }
    t
}

/// Implementations of [`sgemm_dots`], all with the same arithmetic (the FMA chain of
/// [`dot_group`] per candidate), only the vector width differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DotKernel {
    /// Scalar `mul_add` (a correctly rounded fused multiply-add everywhere; a slow library
    /// call where the CPU has no FMA).
    Portable,
    /// 8 candidates per AVX2 vector ([`sgemm_dots_avx2`]).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// 16 candidates per AVX-512 vector ([`sgemm_dots_avx512`]).
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl DotKernel {
    /// The kernels this CPU can run, fastest last.
    #[cfg(test)]
    fn available() -> Vec<DotKernel> {
        #[allow(unused_mut)]
        let mut kernels = vec![DotKernel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                kernels.push(DotKernel::Avx2);
            }
            if avx512f() {
                kernels.push(DotKernel::Avx512);
            }
        }
        kernels
    }

    /// The fastest kernel this CPU can run.
    fn detect() -> DotKernel {
        #[cfg(target_arch = "x86_64")]
        {
            if avx512f() {
                return DotKernel::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return DotKernel::Avx2;
            }
        }
        DotKernel::Portable
    }

    /// `out[j] = query . references[ids[j]]` (rows of `query.len()` values), bit for bit what
    /// `matrixmultiply::sgemm` computes for that element when [`direct_dots_match_sgemm`]
    /// holds: no gather, no packing and no 16-row padding of a 1-row GEMM. `self` must be
    /// one that this CPU runs (`DotKernel::available` in the tests).
    fn dots(self, query: &[f32], references: &[f32], ids: &[u32], out: &mut [f32]) {
        match self {
            DotKernel::Portable => sgemm_dots_body(query, references, ids, out),
            #[cfg(target_arch = "x86_64")]
            DotKernel::Avx2 => {
                assert!(
                    std::arch::is_x86_feature_detected!("avx2")
                        && std::arch::is_x86_feature_detected!("fma")
                );
                // SAFETY: both features were just checked.
                unsafe { sgemm_dots_avx2(query, references, ids, out) }
            }
            #[cfg(target_arch = "x86_64")]
            DotKernel::Avx512 => {
                assert!(avx512f());
                // SAFETY: the feature was just checked.
                unsafe { sgemm_dots_avx512(query, references, ids, out) }
            }
        }
    }
}

/// [`DotKernel::dots`] with the fastest kernel of this CPU.
fn sgemm_dots(query: &[f32], references: &[f32], ids: &[u32], out: &mut [f32]) {
    DotKernel::detect().dots(query, references, ids, out)
}

/// Whether [`sgemm_dots`] reproduces `matrixmultiply::sgemm` on this CPU and build, checked
/// once per process: `sgemm` picks its microkernel at run time (a CPU without FMA gets one
/// that rounds the products separately) and its blocking at build time, so the re-rank only
/// takes the direct path after comparing both, bit for bit, on dot products of lengths
/// around and across several panels (random values of mixed signs and magnitudes, for which a
/// different order or rounding of the sums shows in almost every element). Otherwise it
/// re-scores with `sgemm` itself.
fn direct_dots_match_sgemm() -> bool {
    static MATCH: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MATCH.get_or_init(|| {
        [1, 7, 33, 255, 256, 257, 513, 1000, 1024, 1031, 2053]
            .iter()
            .enumerate()
            .all(|(i, &dim)| direct_equals_sgemm(DotKernel::detect(), dim, 3, 21, i as u64 + 1))
    })
}

/// Deterministic test data: `n` values of random sign, mantissa and binary exponent in
/// `[-8, 8)` (xorshift64*, no dependency).
fn calibration_values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let x = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let mantissa = (x >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
            let exponent = ((x >> 8) & 15) as i32 - 8;
            let sign = if x & 1 == 0 { 1.0 } else { -1.0 };
            sign * (0.5 + mantissa) * f32::powi(2.0, exponent)
        })
        .collect()
}

/// Compares `kernel`'s dot products with an `m x n` `sgemm` (the one-pass search's call
/// shape: several query rows, reference rows as the columns of B) on random data of dimension
/// `dim`.
fn direct_equals_sgemm(kernel: DotKernel, dim: usize, m: usize, n: usize, seed: u64) -> bool {
    let queries = calibration_values(m * dim, seed);
    let refs = calibration_values(n * dim, seed.wrapping_add(1000));
    let mut tile = vec![0.0f32; m * n];
    // SAFETY: `queries` is m x dim, `refs` n x dim read as the dim x n matrix B, `tile` m x n,
    // all row-major with exactly those lengths, no aliasing.
    unsafe {
        matrixmultiply::sgemm(
            m,
            dim,
            n,
            1.0,
            queries.as_ptr(),
            dim as isize,
            1,
            refs.as_ptr(),
            1,
            dim as isize,
            0.0,
            tile.as_mut_ptr(),
            n as isize,
            1,
        );
    }
    // Every other reference row, in reverse, so that groups and remainders both occur.
    let ids: Vec<u32> = (0..n as u32).rev().step_by(2).chain(0..n as u32).collect();
    let mut out = vec![0.0f32; ids.len()];
    (0..m).all(|i| {
        kernel.dots(&queries[i * dim..(i + 1) * dim], &refs, &ids, &mut out);
        ids.iter()
            .zip(&out)
            .all(|(&r, d)| d.to_bits() == tile[i * n + r as usize].to_bits())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct dot products of every kernel this CPU has are `sgemm`'s bit for bit
    /// (random data, one panel, several panels, a partial last panel, partial groups of
    /// candidates), and the calibration that guards them passes on CPUs with FMA (there
    /// `sgemm` uses an FMA microkernel), so the fast path is really taken.
    #[test]
    fn direct_dots_are_sgemm_bit_for_bit() {
        for kernel in DotKernel::available() {
            for (seed, dim) in [1024usize, 1000, 33, 256, 257, 263, 5, 1]
                .into_iter()
                .enumerate()
            {
                for (m, n) in [(1, 1), (1, 17), (5, 40), (32, 100)] {
                    assert!(
                        direct_equals_sgemm(kernel, dim, m, n, 77 + seed as u64),
                        "{kernel:?}, dim {dim}, {m} x {n}: dot products differ from sgemm"
                    );
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            assert!(direct_dots_match_sgemm());
        }
    }

    /// The calibration data is sensitive to the order of the sums: a different panel depth
    /// or unfused products give different bits.
    #[test]
    fn calibration_detects_another_summation_order() {
        let dim = 1000;
        let q = calibration_values(dim, 5);
        let r = calibration_values(dim, 6);
        let want = {
            let mut out = [0.0f32];
            sgemm_dots(&q, &r, &[0], &mut out);
            out[0]
        };
        let unfused = q.iter().zip(&r).fold(0.0f32, |acc, (a, b)| acc + a * b);
        let one_panel = q
            .iter()
            .zip(&r)
            .fold(0.0f32, |acc, (a, b)| a.mul_add(*b, acc));
        assert_ne!(want.to_bits(), unfused.to_bits());
        assert_ne!(want.to_bits(), one_panel.to_bits());
    }
}
