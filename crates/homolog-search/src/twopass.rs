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
//! data, not a fixed width) cannot lose one. The candidates are then re-scored with the same
//! `matrixmultiply::sgemm` call and the same distance formula as the one-pass search (the
//! per-element arithmetic of that GEMM does not depend on where a pair sits in a tile), and
//! selected with the same top-k, so ids, distances (bit for bit), order, ties, threshold and
//! filter semantics are those of the f32 search.

use std::time::Instant;

use rayon::prelude::*;

use crate::quant::{lane_sum, quantise_row, tile, Int8Kernel, QuantRefs, QuantRow, PANEL};
use crate::topk::TopK;
use crate::{to_distances, Hit, Metric, Prepared, AUTO_QUERY_CHUNK, REFERENCE_BLOCK};

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
    /// `128 * sum` of the codes, which undoes the `+ 128` of the query codes.
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
}

/// Per-query terms of the bound.
struct QueryTerms {
    /// `c + 128` per dimension, rows of `dim4` bytes (padding 128, against zero codes).
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

/// Writes the row as the quantiser sees it into `out` (unit vector for cosine, the row
/// itself for euclidean) and returns its norm.
#[inline(always)]
fn scaled(metric: Metric, row: &[f32], out: &mut [f64]) -> f64 {
    for (o, &x) in out.iter_mut().zip(row) {
        *o = f64::from(x);
    }
    // Rows reaching here passed `row_scales`, so this is finite.
    let norm = lane_sum(out, |x| x * x).sqrt();
    let inv = match metric {
        Metric::Cosine if norm > 0.0 => 1.0 / norm,
        Metric::Cosine => 0.0,
        Metric::Euclidean => 1.0,
    };
    if inv != 1.0 {
        out.iter_mut().for_each(|o| *o *= inv);
    }
    norm
}

/// Mean of the scaled searchable reference rows, the centre `m` both sides are quantised
/// around: embeddings share a large common component (random pairs of protein embeddings
/// have cosine 0.4-0.8), and removing it shrinks the vectors that are quantised, hence the
/// error bound, several times (SeqVec CATH set: mean bound 0.049 -> 0.011).
fn centre(input: &Input) -> Vec<f64> {
    let dim = input.dim;
    let n = input.positions;
    let sum = (0..n)
        .into_par_iter()
        .with_min_len(256)
        .fold(
            || (vec![0.0f64; dim], vec![0.0f64; dim]),
            |(mut acc, mut v), p| {
                let r = input.reference_of(p) as usize;
                accumulate(
                    input.metric,
                    &input.references[r * dim..(r + 1) * dim],
                    &mut v,
                    &mut acc,
                );
                (acc, v)
            },
        )
        .map(|(acc, _)| acc)
        .reduce(
            || vec![0.0f64; dim],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    sum.into_iter().map(|x| x / n as f64).collect()
}

/// `v - m` in place; returns `(m.v, |v - m|)`.
#[inline(always)]
fn subtract(v: &mut [f64], m: &[f64]) -> (f64, f64) {
    let mut dot = [0.0f64; 8];
    let mut sq = [0.0f64; 8];
    let split = v.len() - v.len() % 8;
    let (head, tail) = v.split_at_mut(split);
    for (xs, cs) in head.chunks_exact_mut(8).zip(m[..split].chunks_exact(8)) {
        for l in 0..8 {
            dot[l] += cs[l] * xs[l];
            xs[l] -= cs[l];
            sq[l] += xs[l] * xs[l];
        }
    }
    for (x, &c) in tail.iter_mut().zip(&m[split..]) {
        dot[0] += c * *x;
        *x -= c;
        sq[0] += *x * *x;
    }
    let sq: f64 = sq.iter().sum();
    (dot.iter().sum(), sq.sqrt() * (1.0 + 1e-9))
}

/// One row through the quantiser: returns `(|x|, m.v, |v - m|)` and the quantised row.
#[inline(always)]
fn prepare_row_body(
    metric: Metric,
    row: &[f32],
    m: &[f64],
    v: &mut [f64],
    codes: &mut [i8],
) -> (f64, f64, f64, QuantRow) {
    let norm = scaled(metric, row, v);
    let (dot_m, w_norm) = subtract(v, m);
    (norm, dot_m, w_norm, quantise_row(v, codes))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn prepare_row_avx2(
    metric: Metric,
    row: &[f32],
    m: &[f64],
    v: &mut [f64],
    codes: &mut [i8],
) -> (f64, f64, f64, QuantRow) {
    prepare_row_body(metric, row, m, v, codes)
}

/// [`prepare_row_body`], compiled for AVX2 where the CPU has it. The arithmetic is the same
/// (Rust never contracts `a * b + c` into an FMA), only the vector width differs.
fn prepare_row(
    metric: Metric,
    row: &[f32],
    m: &[f64],
    v: &mut [f64],
    codes: &mut [i8],
) -> (f64, f64, f64, QuantRow) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: both features were just detected.
        return unsafe { prepare_row_avx2(metric, row, m, v, codes) };
    }
    prepare_row_body(metric, row, m, v, codes)
}

/// `acc += ` the scaled row (for [`centre`]); `v` is scratch.
#[inline(always)]
fn accumulate_body(metric: Metric, row: &[f32], v: &mut [f64], acc: &mut [f64]) {
    scaled(metric, row, v);
    acc.iter_mut().zip(v.iter()).for_each(|(a, x)| *a += x);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn accumulate_avx2(metric: Metric, row: &[f32], v: &mut [f64], acc: &mut [f64]) {
    accumulate_body(metric, row, v, acc)
}

fn accumulate(metric: Metric, row: &[f32], v: &mut [f64], acc: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: both features were just detected.
        return unsafe { accumulate_avx2(metric, row, v, acc) };
    }
    accumulate_body(metric, row, v, acc)
}

fn quantise_references(input: &Input, m: &[f64]) -> RefTerms {
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
    codes
        .panels
        .par_chunks_mut(plen)
        .zip(rows.par_chunks_mut(PANEL))
        .enumerate()
        .for_each(|(p, (panel, out))| {
            let mut c = vec![0i8; dim];
            let mut v = vec![0.0f64; dim];
            for (lane, slot) in out.iter_mut().enumerate() {
                let position = p * PANEL + lane;
                if position >= n {
                    break;
                }
                let r = input.reference_of(position) as usize;
                let row = &input.references[r * dim..(r + 1) * dim];
                let (norm, dot_m, _, q) = prepare_row(metric, row, m, &mut v, &mut c);
                QuantRefs::store(panel, lane, &c);
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
        corr: rows.iter().map(|r| 128 * r.sum).collect(),
        step: rows.iter().map(|r| r.step).collect(),
        residual: rows.iter().map(|r| r.residual).collect(),
        recon: rows.iter().map(|r| r.recon).collect(),
        base: rows.iter().map(|r| r.base).collect(),
        slack: rows.iter().map(|r| r.slack).collect(),
    }
}

fn quantise_queries(input: &Input, m: &[f64], dim4: usize) -> QueryTerms {
    let (dim, metric) = (input.dim, input.metric);
    let (cslack, eslack) = slack(dim);
    let m_sq = m.iter().map(|x| x * x).sum::<f64>();
    let nq = input.prep.n_queries;
    let mut codes = vec![128u8; nq * dim4];
    let terms: Vec<[f32; 5]> = codes
        .par_chunks_mut(dim4)
        .enumerate()
        .map_init(
            || (vec![0.0f64; dim], vec![0i8; dim]),
            |(v, c), (i, out)| {
                let row = &input.queries[i * dim..(i + 1) * dim];
                let (norm, dot_m, w_norm, q) = prepare_row(metric, row, m, v, c);
                for (o, &x) in out.iter_mut().zip(c.iter()) {
                    *o = (i32::from(x) + 128) as u8;
                }
                match metric {
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
                }
            },
        )
        .collect();
    QueryTerms {
        codes,
        step: terms.iter().map(|t| t[0]).collect(),
        base: terms.iter().map(|t| t[1]).collect(),
        a: terms.iter().map(|t| t[2]).collect(),
        b: terms.iter().map(|t| t[3]).collect(),
        c: terms.iter().map(|t| t[4]).collect(),
    }
}

/// Candidate list of one query: every pair whose lower bound is `<= t`.
#[derive(Debug, Clone)]
struct Candidates {
    /// (reference row, lower bound, upper bound).
    items: Vec<(u32, f32, f32)>,
    /// Admission cutoff: threshold or k-th smallest upper bound seen, whichever is smaller.
    t: f32,
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
            next_compact: k.saturating_mul(2).max(k.saturating_add(64)),
            overflowed: false,
        }
    }

    #[inline]
    fn push(&mut self, item: (u32, f32, f32), k: usize, his: &mut Vec<f32>) {
        self.items.push(item);
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
    /// Approximate key and error bound of pair `j` (`row`: the integer dot products).
    #[inline(always)]
    fn key_and_error(&self, row: &[i32], j: usize, q: QueryRow) -> (f32, f32) {
        let dot = (row[j] - self.corr[j]) as f32;
        let key = (q.base + self.base[j]) - dot * q.step * self.step[j];
        let e = q.a * self.residual[j] + q.b * self.recon[j] + q.c + self.slack[j];
        (key, e)
    }

    /// Upper bound of pair `j`, clamped like the distance.
    #[inline]
    fn upper(&self, row: &[i32], j: usize, q: QueryRow, hi_max: f32) -> f32 {
        let (key, e) = self.key_and_error(row, j, q);
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
    for (j, l) in lo.iter_mut().enumerate() {
        let (key, e) = terms.key_and_error(row, j, q);
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

/// [`lower_bounds_body`], on 512-bit vectors when `wide` (only set when the CPU has them).
#[inline]
fn lower_bounds(
    wide: bool,
    row: &[i32],
    terms: &BlockTerms,
    q: QueryRow,
    lo_min: f32,
    lo_max: f32,
    lo: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if wide {
        // SAFETY: `wide` is only true when `avx512f` was detected.
        unsafe { lower_bounds_avx512(row, terms, q, lo_min, lo_max, lo) };
        return;
    }
    let _ = wide;
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
    let m = centre(input);
    let refs = quantise_references(input, &m);
    let dim4 = refs.codes.dim4;
    let qt = quantise_queries(input, &m, dim4);
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
    // The bound arithmetic is compiled for AVX-512 when the VNNI kernel runs (same results:
    // no FMA contraction, only wider vectors).
    let wide = kernel == Int8Kernel::Avx512Vnni && avx512f();

    let scan = |scratch: &mut Scratch, c: usize, segment: usize| -> Vec<Candidates> {
        let q0 = c * chunk;
        let q1 = (q0 + chunk).min(nq);
        let m = q1 - q0;
        let p0 = segment * segment_blocks * block;
        let p1 = (p0 + segment_blocks * block).min(input.positions);
        let mut cands: Vec<Candidates> = (0..m).map(|_| Candidates::new(t0, input.k)).collect();
        let mut b0 = p0;
        while b0 < p1 {
            let b1 = (b0 + block).min(p1);
            let n = b1 - b0;
            let np = n.div_ceil(PANEL);
            let ld = np * PANEL;
            let panels = &refs.codes.panels[(b0 / PANEL) * plen..(b0 / PANEL + np) * plen];
            tile(
                kernel,
                &qt.codes[q0 * dim4..q1 * dim4],
                m,
                panels,
                dim4,
                &mut scratch.tile,
                ld,
            );
            let terms = BlockTerms {
                corr: &refs.corr[b0..b1],
                base: &refs.base[b0..b1],
                step: &refs.step[b0..b1],
                residual: &refs.residual[b0..b1],
                recon: &refs.recon[b0..b1],
                slack: &refs.slack[b0..b1],
            };
            for (i, cand) in cands.iter_mut().enumerate() {
                let q = q0 + i;
                let qr = QueryRow {
                    base: qt.base[q],
                    step: qt.step[q],
                    a: qt.a[q],
                    b: qt.b[q],
                    c: qt.c[q],
                };
                let row = &scratch.tile[i * ld..i * ld + n];
                let lo = &mut scratch.lo[..n];
                lower_bounds(wide, row, &terms, qr, lo_min, lo_max, lo);
                for (jc, chunk) in lo.chunks(16).enumerate() {
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
                            let hi = terms.upper(row, j, qr, lo_max);
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
        cands
    };

    let mut partials: Vec<Vec<Candidates>> = (0..n_chunks * n_segments)
        .into_par_iter()
        .with_max_len(1)
        .map_init(
            || Scratch {
                tile: vec![0; chunk * block],
                lo: vec![0.0; block],
                his: Vec::new(),
            },
            |scratch, task| scan(scratch, task / n_segments, task % n_segments),
        )
        .collect();
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
    };
    (hits, stats, overflowed)
}

/// Second pass: the f32 kernel's GEMM and distance formula on each query's candidates.
fn rerank(input: &Input, lists: Vec<Candidates>) -> Vec<Vec<Hit>> {
    let dim = input.dim;
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
                rows.clear();
                scales.clear();
                for &r in &ids {
                    let r = r as usize;
                    rows.extend_from_slice(&input.references[r * dim..(r + 1) * dim]);
                    scales.push(input.ref_scale[r]);
                }
                tile.clear();
                tile.resize(n, 0.0);
                let query = &input.queries[q * dim..(q + 1) * dim];
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
