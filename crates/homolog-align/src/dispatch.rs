//! Runs one alignment: picks the kernels to try ([`Mode::plan_with`]), runs them until
//! one takes the pair, and turns its result into [`AlignmentStats`] (with the traceback
//! walk when traced). Pairs with an empty side need no kernel.

use crate::kernel::{self, KernelOut, Params, Span, Workspace};
use crate::kernel_choice::{Kernel, Mode};
use crate::stats::{to_i32, to_u32};
use crate::traceback::{self, Seqs};
use crate::twopass::{self, Blocks};
#[cfg(target_arch = "x86_64")]
use crate::{simd, wide};
use crate::{AlignError, AlignmentStats, Scoring, SubstitutionMatrix};

/// Runs `$call` with the const generics `$local` and `$trace` set to the job's mode (local
/// or global, with or without traceback), for the kernels' `run::<LOCAL, TRACE>` functions.
macro_rules! by_mode {
    ($job:expr, |$local:ident, $trace:ident| $call:expr) => {
        by_mode!(@ $job, $local, $trace, $call,
            (true, true) (true, false) (false, true) (false, false))
    };
    (@ $job:expr, $local:ident, $trace:ident, $call:expr, $(($l:literal, $t:literal))*) => {
        match ($job.local, $job.traced) {
            $(($l, $t) => {
                const $local: bool = $l;
                const $trace: bool = $t;
                $call
            })*
        }
    };
}

/// Result for a pair with an empty side (the kernels need both sides non-empty).
pub(crate) fn empty_case(scoring: &Scoring, m: usize, n: usize, local: bool) -> AlignmentStats {
    if local || m + n == 0 {
        return AlignmentStats::default();
    }
    let len = (m + n) as i64;
    let score = -(i64::from(scoring.gap_open) + (len - 1) * i64::from(scoring.gap_extend));
    AlignmentStats {
        score: to_i32(score),
        length: to_u32(m + n),
        query_gaps: to_u32(n),
        reference_gaps: to_u32(m),
        ..AlignmentStats::default()
    }
}

/// [`align`] that aborts like a failed allocation instead of returning an error.
pub(crate) fn align_infallible(
    ws: &mut Workspace,
    scoring: &Scoring,
    mode: Mode,
    query: &[u8],
    reference: &[u8],
    local: bool,
) -> AlignmentStats {
    match align(ws, scoring, mode, query, reference, local) {
        Ok(stats) => stats,
        // `align` fails only when the traceback cannot be allocated: abort as `Vec` would.
        Err(e) => {
            let bytes = match e {
                AlignError::TooLarge { bytes, .. } => bytes,
                AlignError::InvalidGap { .. } => 1,
            };
            std::alloc::handle_alloc_error(
                std::alloc::Layout::from_size_align(bytes.min(isize::MAX as usize), 1)
                    .unwrap_or(std::alloc::Layout::new::<u8>()),
            )
        }
    }
}

/// The last global alignment of a workspace: callers align a pair globally and then
/// locally (PROTEA's features), and the local score is at least the global one, so a high
/// global score says in advance that 8- or 16-bit lanes would overflow. Only the kernel choice
/// depends on it, never a result (the 8-bit kernels also detect overflow themselves).
#[derive(Debug, Default)]
pub(crate) struct GlobalHint {
    query: Vec<u8>,
    reference: Vec<u8>,
    score: Option<i32>,
}

impl GlobalHint {
    pub(crate) fn record(&mut self, query: &[u8], reference: &[u8], score: i32) {
        self.query.clear();
        self.query.extend_from_slice(query);
        self.reference.clear();
        self.reference.extend_from_slice(reference);
        self.score = Some(score);
    }

    /// Lower bound of the local score of this pair (0 when unknown). The workspace belongs
    /// to one aligner, so the scoring is the same.
    pub(crate) fn local_floor(&self, query: &[u8], reference: &[u8]) -> i64 {
        match self.score {
            Some(s) if self.query == query && self.reference == reference => i64::from(s).max(0),
            _ => 0,
        }
    }
}

/// Sequences and parameters of one alignment.
struct Job<'a> {
    query: &'a [u8],
    reference: &'a [u8],
    qc: &'a [u8],
    rc: &'a [u8],
    matrix: &'a SubstitutionMatrix,
    p: Params,
    local: bool,
    /// With traceback (else score only).
    traced: bool,
    /// Traced in two passes ([`crate::twopass`]).
    two_pass: bool,
}

impl Job<'_> {
    fn too_large(&self, bytes: usize) -> AlignError {
        AlignError::TooLarge {
            query_len: self.query.len(),
            reference_len: self.reference.len(),
            bytes,
        }
    }

    fn seqs(&self) -> Seqs<'_> {
        Seqs {
            query: self.query,
            reference: self.reference,
            qc: self.qc,
            rc: self.rc,
            matrix: self.matrix,
            local: self.local,
        }
    }

    /// Statistics of the traced path (`cell(i, j)` reads the table) or, score only, the
    /// score alone.
    fn finish(&self, out: KernelOut, cell: impl Fn(usize, usize) -> u8) -> AlignmentStats {
        if out.empty {
            return AlignmentStats::default();
        }
        let mut stats = if self.traced {
            traceback::walk(cell, out.end_query, out.end_ref, self.seqs())
        } else {
            AlignmentStats::default()
        };
        stats.score = to_i32(out.score);
        stats
    }

    /// The traceback pass of a two-pass alignment whose score pass gave `out` (`None`: the
    /// kernel gave up), with blocks of `every` columns.
    fn finish_two_pass(
        &self,
        out: Option<KernelOut>,
        every: usize,
        blocks: &mut impl Blocks,
    ) -> Option<AlignmentStats> {
        let out = out?;
        if out.empty {
            return Some(AlignmentStats::default());
        }
        let mut stats = twopass::trace(blocks, &out, every, self.seqs())?;
        stats.score = to_i32(out.score);
        Some(stats)
    }

    /// The checkpoint span of a score pass with blocks of `every` columns.
    fn forward(every: usize) -> Span {
        Span {
            j0: 0,
            resume: None,
            save_every: every,
        }
    }
}

/// The span recomputing columns `c0..` from `checkpoint`.
fn block_span(c0: usize, checkpoint: Option<usize>) -> Span {
    Span {
        j0: c0,
        resume: checkpoint,
        save_every: 0,
    }
}

/// Runs the scalar kernel (takes every pair).
fn run_scalar(ws: &mut Workspace, job: &Job) -> Result<AlignmentStats, AlignError> {
    let m = job.query.len();
    let matrix = job.matrix;
    ws.set_query(job.qc, matrix.size(), |a, b| matrix.score_idx(a, b));
    if job.two_pass {
        return run_scalar_two_pass(ws, job);
    }
    if job.traced {
        ws.reserve_trace(m, job.reference.len())
            .map_err(|b| job.too_large(b))?;
    }
    let out = by_mode!(job, |LOCAL, TRACE| kernel::run::<LOCAL, TRACE>(
        ws,
        m,
        job.rc,
        job.p,
        Span::WHOLE
    ));
    let trace = &ws.trace;
    Ok(job.finish(out, |i, j| trace[j * m + i]))
}

/// [`run_scalar`] in two passes.
fn run_scalar_two_pass(ws: &mut Workspace, job: &Job) -> Result<AlignmentStats, AlignError> {
    let (m, n) = (job.query.len(), job.reference.len());
    let every = twopass::block_columns(4 * 8, n);
    ws.reserve_checkpoints(m, n, every)
        .map_err(|b| job.too_large(b))?;
    ws.reserve_trace(m, every).map_err(|b| job.too_large(b))?;
    let span = Job::forward(every);
    let out = if job.local {
        kernel::run::<true, false>(ws, m, job.rc, job.p, span)
    } else {
        kernel::run::<false, false>(ws, m, job.rc, job.p, span)
    };
    struct ScalarBlocks<'a> {
        ws: &'a mut Workspace,
        job: &'a Job<'a>,
        c0: usize,
    }
    impl Blocks for ScalarBlocks<'_> {
        fn recompute(&mut self, c0: usize, c1: usize, checkpoint: Option<usize>) -> bool {
            let (m, rc, p) = (self.job.query.len(), &self.job.rc[c0..c1], self.job.p);
            let span = block_span(c0, checkpoint);
            if self.job.local {
                kernel::run::<true, true>(self.ws, m, rc, p, span);
            } else {
                kernel::run::<false, true>(self.ws, m, rc, p, span);
            }
            self.c0 = c0;
            true
        }
        fn cell(&self, i: usize, j: usize) -> u8 {
            self.ws.trace[(j - self.c0) * self.job.query.len() + i]
        }
    }
    let mut blocks = ScalarBlocks { ws, job, c0: 0 };
    Ok(job
        .finish_two_pass(Some(out), every, &mut blocks)
        .expect("the scalar kernel takes every pair"))
}

/// Runs the AVX2 32-bit kernel (takes every pair the plan gives it).
#[cfg(target_arch = "x86_64")]
fn run_avx2_32(ws: &mut Workspace, job: &Job) -> Result<AlignmentStats, AlignError> {
    // One traceback table for every kernel: lend the shared one to the 8-lane kernel, so a
    // pair handed on from a wide kernel does not hold two tables (1.2 GB each at 35,000
    // residues).
    std::mem::swap(&mut ws.simd.trace, &mut ws.trace);
    let result = run_avx2_32_lent(ws, job);
    std::mem::swap(&mut ws.simd.trace, &mut ws.trace);
    result
}

#[cfg(target_arch = "x86_64")]
fn run_avx2_32_lent(ws: &mut Workspace, job: &Job) -> Result<AlignmentStats, AlignError> {
    let matrix = job.matrix;
    let sw = &mut ws.simd;
    sw.set_query(job.qc, matrix);
    if job.two_pass {
        return run_avx2_32_two_pass(sw, job);
    }
    if job.traced {
        sw.reserve_trace(job.reference.len())
            .map_err(|b| job.too_large(b))?;
    }
    let out = by_mode!(job, |LOCAL, TRACE| sw.run::<LOCAL, TRACE>(
        job.rc,
        job.p,
        Span::WHOLE
    ));
    let sw = &ws.simd;
    Ok(job.finish(out, |i, j| sw.trace[sw.trace_index(i, j)]))
}

/// [`run_avx2_32`] in two passes.
#[cfg(target_arch = "x86_64")]
fn run_avx2_32_two_pass(
    sw: &mut simd::SimdWorkspace,
    job: &Job,
) -> Result<AlignmentStats, AlignError> {
    let n = job.reference.len();
    let every = twopass::block_columns(4 * 4, n);
    sw.reserve_checkpoints(n, every)
        .map_err(|b| job.too_large(b))?;
    sw.reserve_trace(every).map_err(|b| job.too_large(b))?;
    let span = Job::forward(every);
    let out = if job.local {
        sw.run::<true, false>(job.rc, job.p, span)
    } else {
        sw.run::<false, false>(job.rc, job.p, span)
    };
    struct SimdBlocks<'a> {
        sw: &'a mut simd::SimdWorkspace,
        job: &'a Job<'a>,
        c0: usize,
    }
    impl Blocks for SimdBlocks<'_> {
        fn recompute(&mut self, c0: usize, c1: usize, checkpoint: Option<usize>) -> bool {
            let (rc, p) = (&self.job.rc[c0..c1], self.job.p);
            let span = block_span(c0, checkpoint);
            if self.job.local {
                self.sw.run::<true, true>(rc, p, span);
            } else {
                self.sw.run::<false, true>(rc, p, span);
            }
            self.c0 = c0;
            true
        }
        fn cell(&self, i: usize, j: usize) -> u8 {
            self.sw.trace[self.sw.trace_index(i, j - self.c0)]
        }
    }
    let mut blocks = SimdBlocks { sw, job, c0: 0 };
    Ok(job
        .finish_two_pass(Some(out), every, &mut blocks)
        .expect("the 32-bit kernel takes every pair it is given"))
}

/// Runs wide kernel `V`; `Ok(None)` when a 16-bit score may have overflowed.
#[cfg(target_arch = "x86_64")]
fn run_wide<V: wide::Vector>(
    w: &mut wide::WideWorkspace<V::E>,
    trace: &mut Vec<u8>,
    job: &Job,
) -> Result<Option<AlignmentStats>, AlignError> {
    let matrix = job.matrix;
    let bias = if V::BIASED { wide::bias_u8(matrix) } else { 0 };
    w.set_query(V::LANES, V::PAD, V::NEG, bias, job.qc, matrix);
    if job.two_pass {
        return run_wide_two_pass::<V>(w, trace, job);
    }
    if job.traced {
        let n = job.reference.len();
        let bytes = w.trace_bytes(n).ok_or(job.too_large(usize::MAX))?;
        crate::table::grow(trace, bytes, bytes).map_err(|b| job.too_large(b))?;
    }
    let table: &mut [u8] = if job.traced { &mut trace[..] } else { &mut [] };
    let out = by_mode!(job, |LOCAL, TRACE| wide::run::<V, LOCAL, TRACE>(
        w,
        table,
        job.rc,
        job.p,
        Span::WHOLE
    ));
    Ok(out.map(|out| job.finish(out, |i, j| trace[w.trace_index(i, j)])))
}

/// [`run_wide`] in two passes.
#[cfg(target_arch = "x86_64")]
fn run_wide_two_pass<V: wide::Vector>(
    w: &mut wide::WideWorkspace<V::E>,
    trace: &mut Vec<u8>,
    job: &Job,
) -> Result<Option<AlignmentStats>, AlignError> {
    let n = job.reference.len();
    let every = twopass::block_columns(4 * std::mem::size_of::<V::E>(), n);
    w.reserve_checkpoints(n, every)
        .map_err(|b| job.too_large(b))?;
    let bytes = w.trace_bytes(every).ok_or(job.too_large(usize::MAX))?;
    crate::table::grow(trace, bytes, bytes).map_err(|b| job.too_large(b))?;
    let span = Job::forward(every);
    let out = if job.local {
        wide::run::<V, true, false>(w, &mut [], job.rc, job.p, span)
    } else {
        wide::run::<V, false, false>(w, &mut [], job.rc, job.p, span)
    };
    struct WideBlocks<'a, V: wide::Vector> {
        w: &'a mut wide::WideWorkspace<V::E>,
        trace: &'a mut [u8],
        job: &'a Job<'a>,
        c0: usize,
    }
    impl<V: wide::Vector> Blocks for WideBlocks<'_, V> {
        fn recompute(&mut self, c0: usize, c1: usize, checkpoint: Option<usize>) -> bool {
            let (rc, p) = (&self.job.rc[c0..c1], self.job.p);
            let span = block_span(c0, checkpoint);
            let out = if self.job.local {
                wide::run::<V, true, true>(self.w, self.trace, rc, p, span)
            } else {
                wide::run::<V, false, true>(self.w, self.trace, rc, p, span)
            };
            self.c0 = c0;
            out.is_some()
        }
        fn cell(&self, i: usize, j: usize) -> u8 {
            self.trace[self.w.trace_index(i, j - self.c0)]
        }
    }
    let mut blocks = WideBlocks::<V> {
        w,
        trace,
        job,
        c0: 0,
    };
    Ok(job.finish_two_pass(out, every, &mut blocks))
}

/// Aligns a pair with the first kernel of the plan that takes it.
fn compute(
    ws: &mut Workspace,
    scoring: &Scoring,
    mode: Mode,
    query: &[u8],
    reference: &[u8],
    local: bool,
    traced: bool,
) -> Result<AlignmentStats, AlignError> {
    let (m, n) = (query.len(), reference.len());
    if m == 0 || n == 0 {
        ws.last = None;
        return Ok(empty_case(scoring, m, n, local));
    }
    let matrix = &scoring.matrix;
    let qc = matrix.encode(query);
    let rc = matrix.encode(reference);
    let job = Job {
        query,
        reference,
        qc: &qc,
        rc: &rc,
        matrix,
        p: scoring.params(mode.lanes),
        local,
        traced,
        two_pass: traced && mode.traceback.is_two_pass(m, n),
    };
    let floor = if local {
        ws.hint.local_floor(query, reference)
    } else {
        0
    };
    for k in mode.plan_with(scoring, m, n, local, traced, floor) {
        let done = match k {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x32 => Some(run_avx2_32(ws, &job)?),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x16 => run_wide::<wide::Avx2I16>(&mut ws.w16, &mut ws.trace, &job)?,
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x32 => run_wide::<wide::Avx512I32>(&mut ws.w32, &mut ws.trace, &job)?,
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x16 => run_wide::<wide::Avx512I16>(&mut ws.w16, &mut ws.trace, &job)?,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x8 => run_wide::<wide::Avx2U8>(&mut ws.w8, &mut ws.trace, &job)?,
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x8 => run_wide::<wide::Avx512U8>(&mut ws.w8, &mut ws.trace, &job)?,
            _ => Some(run_scalar(ws, &job)?),
        };
        if let Some(stats) = done {
            ws.last = Some(k);
            if !local {
                ws.hint.record(query, reference, stats.score);
            }
            return Ok(stats);
        }
    }
    unreachable!("the kernel plan ends with the scalar kernel")
}

/// Aligns `query` with `reference` with traceback: global, or `local`.
pub(crate) fn align(
    ws: &mut Workspace,
    scoring: &Scoring,
    mode: Mode,
    query: &[u8],
    reference: &[u8],
    local: bool,
) -> Result<AlignmentStats, AlignError> {
    compute(ws, scoring, mode, query, reference, local, true)
}

/// [`align`] for every pair of `pairs`, in order: as many as the batch kernel takes
/// ([`crate::batch`], when `mode` allows it), the others one by one. `global_scores`
/// (local alignments) are the pairs' global scores where known, which pick the kernels of
/// the pairs aligned one by one as after their global alignment.
pub(crate) fn align_many(
    ws: &mut Workspace,
    scoring: &Scoring,
    mode: Mode,
    pairs: &[(&[u8], &[u8])],
    local: bool,
    global_scores: Option<&[Option<i32>]>,
) -> Vec<Result<AlignmentStats, AlignError>> {
    let mut done: Vec<Option<AlignmentStats>> = vec![None; pairs.len()];
    if mode.batches() && crate::batch::available() {
        let matrix = &scoring.matrix;
        // Symbol codes of every sequence in one buffer (query then reference, pair by pair).
        let total = pairs.iter().map(|(q, r)| q.len() + r.len()).sum();
        let mut codes = Vec::with_capacity(total);
        for (q, r) in pairs {
            codes.extend(q.iter().chain(r.iter()).map(|&b| matrix.index(b)));
        }
        let mut at = 0;
        let batch: Vec<crate::batch::Pair> = pairs
            .iter()
            .map(|&(query, reference)| {
                let (qc, rest) = codes[at..].split_at(query.len());
                at += query.len() + reference.len();
                crate::batch::Pair {
                    query,
                    reference,
                    qc,
                    rc: &rest[..reference.len()],
                }
            })
            .collect();
        // The batch's ring is the per-pair kernels' table, lent: the pairs the batch leaves
        // (and the calls after) reuse the pages it touched instead of faulting in others.
        std::mem::swap(&mut ws.batch.ring, &mut ws.trace);
        crate::batch::align_many(
            &mut ws.batch,
            scoring,
            mode,
            &batch,
            local,
            global_scores,
            &mut done,
        );
        std::mem::swap(&mut ws.batch.ring, &mut ws.trace);
    }
    ws.batched = done.iter().filter(|d| d.is_some()).count();
    pairs
        .iter()
        .zip(done)
        .enumerate()
        .map(|(k, (&(query, reference), done))| match done {
            Some(stats) => Ok(stats),
            None => {
                if let Some(Some(score)) = global_scores.and_then(|s| s.get(k)) {
                    ws.hint.record(query, reference, *score);
                }
                align(ws, scoring, mode, query, reference, local)
            }
        })
        .collect()
}

/// Score of [`align`] alone, in linear memory.
pub(crate) fn score_only(
    ws: &mut Workspace,
    scoring: &Scoring,
    mode: Mode,
    query: &[u8],
    reference: &[u8],
    local: bool,
) -> i32 {
    match compute(ws, scoring, mode, query, reference, local, false) {
        Ok(stats) => stats.score,
        // Score-only runs allocate no traceback table: they cannot fail.
        Err(e) => unreachable!("score-only alignment failed: {e}"),
    }
}
