//! Wide striped kernels: 32 x 8-bit and 16 x 16-bit lanes (AVX2), 64 x 8-bit, 32 x 16-bit
//! and 16 x 32-bit lanes (AVX-512), computing exactly the values of the scalar kernel
//! ([`crate::kernel`]) with parasail's **8-stripe** tie-breaking, whatever the vector width.
//!
//! # Emulating 8 stripes with 16 to 64 lanes
//!
//! parasail's layout shows through in one place (rule 3 of the crate docs): the first-pass
//! vertical gap `fp` restarts at every stripe start, i.e. at the rows `k * seg8` with
//! `seg8 = ceil(m / 8)`. A plain striped kernel with `L` lanes would restart it at the rows
//! `l * seg` (`seg = ceil(m / L)`), which changes which equal-scoring path is traced. These
//! kernels keep the natural `L`-lane layout (lane `l`, vector `t` = row `l * seg + t`; padding
//! rows only at the end) and restore the 8-stripe semantics with three additions:
//!
//! - **Restart inside a lane**: the first pass resets `fp` to minus infinity at the vector
//!   where a lane crosses a row `k * seg8` (at most one per lane, since `seg <= seg8`), with
//!   a per-cell cap (`fp = min(fp, cap)`: minus infinity there, the element maximum
//!   elsewhere), one cheap operation on the loop-carried chain.
//! - **Carry across lanes**: a lane whose first row is not a stripe start must continue the
//!   previous lane's first-pass `fp`. After the first pass, a carry sweep (like Farrar's lazy
//!   F loop, but for `fp` and stopping at stripe starts) pushes `fp` from the last row of each
//!   lane into the next one, raising `fp`, the first-pass `H` and the next column's `E`
//!   (`E = max(E, H - open)` is exact because `max` commutes). A sweep stops at the first
//!   vector where no lane changes; sweeps repeat while the last vector changed (a carry can
//!   cross several lanes of one stripe).
//! - **True F below restarts**: the true vertical gap does not restart, so below a restart
//!   vector the stored estimate (the first-pass `fp`) can be lower than the row above
//!   implies, a gap the lazy F loop (which only injects at lane starts and stops at the first
//!   unchanged vector) would miss. A consistency sweep from the first restart vector down
//!   to below the last one fixes that before the lazy F loop.
//!
//! The lazy F loop and the trace pass are those of the 8-lane kernel ([`crate::simd`]),
//! generic over the vector type. Tests: `tests/kernels.rs` (against the scalar kernel) and
//! `tests/parasail_parity.rs` (every kernel against parasail).
//!
//! # Overflow
//!
//! 32-bit lanes use the same a priori bound as the AVX2 kernel ([`crate::simd::fits_i32`]).
//! 16-bit lanes use saturating arithmetic with minus infinity at `i16::MIN`:
//!
//! - **Downwards**, a priori ([`fits_i16`]): every real value is at least
//!   `-(3 open + (m + n + 2) extend + max|s|)` (any cell's `H` is at least the score of the
//!   path "one gap down column -1, one gap along the row", which the `E` chain carries; `E`,
//!   `F` and the compared quantities are at most one open and one extend below an `H`). When
//!   that stays above `-32000`, no real value saturates and sentinel-derived values
//!   (`i16::MIN`) stay strictly below every real one, as in the wider kernels.
//! - **Upwards**, at run time: every `H` is a diagonal score `hd`, a border value or a gap
//!   value derived from an earlier `H`, so the largest value ever computed is the largest
//!   `hd`. The first pass keeps the lane-wise maximum of `hd`; if it reached `i16::MAX` (the
//!   saturating add may have clipped), the result is discarded (`None`) and the caller reruns
//!   the pair with 32-bit lanes. Otherwise no value saturated and the result is exact.
//!   Local alignments check the column maximum of `H` instead, which they compute anyway:
//!   it reaches the limit exactly when some `hd` does, and the run stops at that column.
//!
//! # 8-bit lanes (local alignments only)
//!
//! [`Avx2U8`] and [`Avx512U8`] use unsigned saturating bytes, so every stored value is
//! `max(0, x)` of the value `x` the wider kernels hold (0 doubles as minus infinity). For a
//! local alignment that loses nothing:
//!
//! - `H >= 0` and `hd >= 0` already, and `max(0, .)` commutes with every step of the
//!   recurrence (`max`, `min`, subtracting a penalty), so `H` is exact and `E`, `F` are
//!   exact wherever positive. The sweeps stop on equal clamped values, which reach the
//!   clamped fixpoint.
//! - The traceback reads a gap bit only where the gap value is positive (a cell whose `H`
//!   came from a gap has `H > hd >= 0`, and extending keeps the value positive), and there
//!   the clamped comparisons agree with the true ones; `H == hd` and `H == F` do too (an
//!   `H` of 0 is a zero cell first).
//! - Scores are stored as `s + bias` (`bias = -min s`), `hd = (H + (s + bias)) - bias`
//!   with saturation at both ends. Only that addition can clip upwards, giving
//!   `255 - bias`; every `H` is at most the largest `hd` so far, so a column maximum
//!   reaching `255 - bias` ends the run (`None`) and the pair goes to 16-bit lanes
//!   (BLOSUM62: local scores up to 250 stay on 8 bits; [`fits_u8`]).
//!
//! Global alignments stay on 16 or 32 bits: their values are negative (the borders alone
//! reach `-(open + (k - 1) extend)` at row or column `k`), so no bias keeps a protein pair
//! within a byte, and nearly every pair would run twice.

use std::arch::x86_64::*;

use crate::kernel::{
    Elem, KernelOut, Params, Span, StripedBuffers, DEL, DIAG, E_OPEN, F_OPEN, INS,
};

/// Bound of real values for 16-bit lanes (see the module docs).
const LIMIT16: i64 = 32_000;

/// True when no real value of an `m x n` alignment can go below `-LIMIT16` (and the
/// penalties fit), so 16-bit lanes are exact unless a score overflows upwards (checked at
/// run time). Local alignments only need the penalties to fit (every value is at least
/// `-(open + 2 extend + max|s|)`).
pub(crate) fn fits_i16(
    m: usize,
    n: usize,
    max_abs: i32,
    open: i64,
    extend: i64,
    local: bool,
) -> bool {
    let len = if local {
        2
    } else {
        (m as i64).saturating_add(n as i64).saturating_add(2)
    };
    let opens = if local { 1 } else { 3 };
    let low = len
        .saturating_mul(extend)
        .saturating_add(open.saturating_mul(opens))
        .saturating_add(i64::from(max_abs));
    low < LIMIT16 && open < LIMIT16 && extend < LIMIT16
}

/// Profile bias of the 8-bit kernels: `-min(s)`, so biased scores are unsigned.
pub(crate) fn bias_u8(matrix: &crate::SubstitutionMatrix) -> i32 {
    matrix.min_score().saturating_neg().max(0)
}

/// True when 8-bit lanes can take the alignment: local only (global values go far below
/// zero), every biased score `s + bias` fits a byte with room for at least one match below
/// the overflow limit `255 - bias` (checked at run time), and the local score is not known
/// to reach that limit (`local_floor`: a lower bound of it, else 0).
pub(crate) fn fits_u8(matrix: &crate::SubstitutionMatrix, local: bool, local_floor: i64) -> bool {
    let bias = i64::from(bias_u8(matrix));
    let limit = i64::from(u8::MAX) - bias;
    local && i64::from(matrix.max_score().max(0)) < limit && local_floor < limit
}

/// One SIMD vector of `LANES` elements and the operations the kernel needs. All methods
/// are `unsafe` (they use the CPU features of the implementing type) and `inline(always)`,
/// so they compile into the `target_feature` entry point that calls the generic kernel.
pub(crate) trait Vector: Copy {
    type E: Elem;
    /// Comparison result (a vector on AVX2, a bit mask on AVX-512).
    type M: Copy;
    const LANES: usize;
    /// [`Elem::SATURATING`] of the lanes.
    const SATURATING: bool = <Self::E as Elem>::SATURATING;
    /// [`Elem::BIASED`] of the lanes.
    const BIASED: bool = <Self::E as Elem>::BIASED;
    /// [`Elem::MAX`] of the lanes.
    const MAX: i32 = <Self::E as Elem>::MAX;
    /// [`Elem::NEG`] of the lanes.
    const NEG: i32 = <Self::E as Elem>::NEG;
    /// [`Elem::PAD`] of the lanes.
    const PAD: i32 = <Self::E as Elem>::PAD;
    /// Kernel name (as in `HOMOLOG_ALIGN_KERNEL`).
    const NAME: &'static str;

    unsafe fn splat(x: i32) -> Self;
    unsafe fn load(p: *const Self::E) -> Self;
    unsafe fn store(self, p: *mut Self::E);
    unsafe fn add(self, o: Self) -> Self;
    unsafe fn sub(self, o: Self) -> Self;
    unsafe fn max(self, o: Self) -> Self;
    unsafe fn min(self, o: Self) -> Self;
    unsafe fn or(self, o: Self) -> Self;
    unsafe fn eq(self, o: Self) -> Self::M;
    /// `a > b ? v : 0`, lane-wise.
    unsafe fn keep_gt(a: Self, b: Self, v: Self) -> Self;
    /// `m ? a : b`, lane-wise.
    unsafe fn select(m: Self::M, a: Self, b: Self) -> Self;
    /// `m ? 0 : v`.
    unsafe fn clear(m: Self::M, v: Self) -> Self;
    unsafe fn m_and(a: Self::M, b: Self::M) -> Self::M;
    unsafe fn all(m: Self::M) -> bool;
    /// Lane `l` <- lane `l - 1`; lane 0 <- `first`.
    unsafe fn shift_in(self, first: i32) -> Self;
    unsafe fn hmax(self) -> i32;
    /// Low byte of every lane to `LANES` consecutive bytes at `p`.
    unsafe fn store_bytes(self, p: *mut u8);

    /// Runs [`run_generic`] with this type's CPU features enabled.
    ///
    /// # Safety
    /// The CPU must have the features ([`Vector::available`]).
    unsafe fn entry<const LOCAL: bool, const TRACE: bool>(
        ws: &mut WideWorkspace<Self::E>,
        trace: &mut [u8],
        reference: &[u8],
        p: Params,
        span: Span,
    ) -> Option<KernelOut>;

    /// Whether this CPU has the features (cached by std).
    fn available() -> bool;
}

/// Buffers of a wide kernel, reused across pairs. Vector `t` of a buffer is stored as
/// `LANES` consecutive elements at `t * LANES`.
#[derive(Debug, Default)]
pub(crate) struct WideWorkspace<E> {
    lanes: usize,
    seg: usize,
    m: usize,
    /// Striped query profile: symbol `c`, vector `t`, lane `l` at `(c * seg + t) * L + l`.
    profile: Vec<E>,
    /// Query symbol of each striped cell (the alphabet size for padding rows).
    striped: Vec<u16>,
    /// Per lane: the vector index where the lane crosses an 8-stripe start, if any.
    reset: Vec<Option<usize>>,
    /// Cap of the first-pass F per cell: minus infinity where the row starts an 8-stripe,
    /// else the element maximum (`F = min(F, cap)` restarts it, one cheap op).
    cap: Vec<E>,
    /// Added to every profile score ([`Vector::BIASED`] kernels; else 0).
    bias: i32,
    /// Smallest and largest positive entry of `reset` (`seg`, 0 when none).
    reset_lo: usize,
    reset_hi: usize,
    /// Per-column buffers.
    bufs: StripedBuffers<E>,
    /// What `profile` was built for.
    key: crate::kernel::ProfileKey,
}

impl<E: Elem> WideWorkspace<E> {
    /// Builds the striped profile of `query` (symbol codes, non-empty) for `matrix` with
    /// `lanes` lanes, padding score `pad` and every score raised by `bias`, unless it
    /// already holds that one.
    pub(crate) fn set_query(
        &mut self,
        lanes: usize,
        pad: i32,
        neg: i32,
        bias: i32,
        query: &[u8],
        matrix: &crate::SubstitutionMatrix,
    ) {
        // `bias` is a function of the matrix, which the key holds.
        if self.key.hit(query, (lanes, pad), matrix) {
            return;
        }
        self.bias = bias;
        let size = matrix.size();
        let m = query.len();
        let seg = m.div_ceil(lanes).max(1);
        let seg8 = m.div_ceil(crate::PARASAIL_LANES).max(1);
        self.lanes = lanes;
        self.seg = seg;
        self.m = m;
        let cells = seg * lanes;
        // Query symbols in striped order (`size` for padding rows), so each symbol's profile
        // is one contiguous pass of table lookups. This runs for every new query (twice per
        // pair when NW and SW use different lane widths); strided writes with a matrix
        // lookup each took 2.2x longer, a fifth of aligning 400 residues against 400.
        self.striped.clear();
        for t in 0..seg {
            self.striped.extend((0..lanes).map(|l| {
                query
                    .get(l * seg + t)
                    .map_or(size as u16, |&q| u16::from(q))
            }));
        }
        self.profile.clear();
        self.profile.resize(size * cells, E::default());
        let mut col = [E::default(); 257];
        col[size] = E::from_i32(pad.saturating_add(bias));
        for (c, prof) in self.profile.chunks_exact_mut(cells).enumerate() {
            for (q, v) in col[..size].iter_mut().enumerate() {
                *v = E::from_i32(matrix.score_idx(q as u8, c as u8).saturating_add(bias));
            }
            for (dst, &q) in prof.iter_mut().zip(&self.striped) {
                *dst = col[usize::from(q)];
            }
        }
        self.reset.clear();
        self.reset.extend((0..lanes).map(|l| {
            let t = (seg8 - (l * seg) % seg8) % seg8;
            (t < seg).then_some(t)
        }));
        self.cap.clear();
        for t in 0..seg {
            self.cap.extend(
                self.reset
                    .iter()
                    .map(|&r| E::from_i32(if r == Some(t) { neg } else { i32::MAX })),
            );
        }
        let inner = self.reset.iter().flatten().copied().filter(|&t| t > 0);
        self.reset_lo = inner.clone().min().unwrap_or(seg);
        self.reset_hi = inner.max().unwrap_or(0);
        self.bufs.reset(cells);
    }

    /// Makes room for the checkpoints of a two-pass traceback over `n` columns
    /// ([`crate::twopass`]); `Err(bytes)` if they cannot be allocated.
    pub(crate) fn reserve_checkpoints(&mut self, n: usize, every: usize) -> Result<(), usize> {
        self.bufs
            .reserve_checkpoints(self.seg * self.lanes, n, every)
    }

    /// Bytes held by the checkpoints.
    pub(crate) fn checkpoint_bytes(&self) -> usize {
        self.bufs.ckpt.capacity() * std::mem::size_of::<E>()
    }

    /// Traceback bytes of the current query against `n` residues.
    pub(crate) fn trace_bytes(&self, n: usize) -> Option<usize> {
        (self.seg * self.lanes).checked_mul(n)
    }

    /// Index in the traceback of (query row `i`, reference column `j`).
    #[inline]
    pub(crate) fn trace_index(&self, i: usize, j: usize) -> usize {
        (j * self.seg + i % self.seg) * self.lanes + i / self.seg
    }
}

/// Runs kernel `V` (profile set by [`WideWorkspace::set_query`] with `V::LANES`) over the
/// columns `span` says; `trace` must hold [`WideWorkspace::trace_bytes`] bytes of
/// `reference` when `TRACE`. `None`: a 16-bit value may have saturated; rerun with 32-bit
/// lanes.
pub(crate) fn run<V: Vector, const LOCAL: bool, const TRACE: bool>(
    ws: &mut WideWorkspace<V::E>,
    trace: &mut [u8],
    reference: &[u8],
    p: Params,
    span: Span,
) -> Option<KernelOut> {
    assert!(
        V::available(),
        "{} kernel called on a CPU without it",
        V::NAME
    );
    assert_eq!(ws.lanes, V::LANES);
    if TRACE {
        assert!(trace.len() >= ws.seg * ws.lanes * reference.len());
    }
    // SAFETY: the features are present (checked above).
    unsafe { V::entry::<LOCAL, TRACE>(ws, trace, reference, p, span) }
}

/// The kernel, generic over the vector type. See the module docs and [`crate::simd`].
#[inline(always)]
unsafe fn run_generic<V: Vector, const LOCAL: bool, const TRACE: bool>(
    ws: &mut WideWorkspace<V::E>,
    trace: &mut [u8],
    reference: &[u8],
    p: Params,
    span: Span,
) -> Option<KernelOut> {
    if V::BIASED && !LOCAL {
        // 8-bit lanes clamp at 0: local alignments only (the plan never sends global ones).
        return None;
    }
    let lanes = V::LANES;
    let (m, seg) = (ws.m, ws.seg);
    let n = reference.len();
    debug_assert!(m > 0 && n > 0 && ws.lanes == lanes);
    let cells = seg * lanes;
    let open = p.open as i32;
    let ext = p.extend as i32;
    let v_open = V::splat(open);
    let v_ext = V::splat(ext);
    let v_neg = V::splat(V::NEG);
    let v_zero = V::splat(0);
    let v_diag = V::splat(i32::from(DIAG));
    let v_ins = V::splat(i32::from(INS));
    let v_del = V::splat(i32::from(DEL));
    let v_eopen = V::splat(i32::from(E_OPEN));
    let v_fopen = V::splat(i32::from(F_OPEN));
    let v_bias = V::splat(ws.bias);
    // A diagonal score at or above this may have saturated (see the module docs).
    let limit = V::MAX - ws.bias;

    // Every buffer holds `cells` elements and `t < seg` below: checked once here, so the
    // loops use unchecked pointer arithmetic.
    assert!(ws.bufs.hold(cells));
    assert!(ws.reset.len() == lanes && ws.cap.len() == cells);
    assert!(reference
        .iter()
        .all(|&c| (c as usize + 1) * cells <= ws.profile.len()));
    assert!(!TRACE || trace.len() >= cells * n);
    macro_rules! ld {
        ($buf:expr, $t:expr) => {{
            debug_assert!($t < seg);
            V::load($buf.as_ptr().add($t * lanes))
        }};
    }
    macro_rules! st {
        ($buf:expr, $t:expr, $v:expr $(,)?) => {{
            let v = $v;
            debug_assert!($t < seg);
            v.store($buf.as_mut_ptr().add($t * lanes))
        }};
    }

    ws.bufs.begin::<LOCAL>(lanes, seg, p, V::NEG, span);
    let keep_ea = span.keeps_ea();

    let mut best: i32 = 0;
    let mut out = KernelOut {
        score: 0,
        end_query: m - 1,
        end_ref: n - 1,
        empty: LOCAL,
    };
    let mut vmax_hd = v_neg;

    for (j, &c) in reference.iter().enumerate() {
        ws.bufs.save(span, span.j0 + j);
        let prof = &ws.profile[c as usize * cells..(c as usize + 1) * cells];
        // Within the lanes' bounds (checked before the kernel was chosen).
        let (diag_border, top) = p.border::<LOCAL>(span.j0 + j);
        let (diag_border, top) = (diag_border as i32, top as i32);

        // 1. First pass, with the stripe-local F restarting at 8-stripe starts.
        let mut vh = ld!(ws.bufs.h_load, seg - 1).shift_in(diag_border);
        let mut vf = v_neg;
        for t in 0..seg {
            let mut hd = vh.add(ld!(prof, t));
            if V::BIASED {
                hd = hd.sub(v_bias);
            }
            if LOCAL {
                hd = hd.max(v_zero);
            }
            // Local alignments check the column maximum of H instead (below).
            if V::SATURATING && !LOCAL {
                vmax_hd = vmax_hd.max(hd);
            }
            st!(ws.bufs.hd, t, hd);
            vf = vf.min(ld!(ws.cap, t));
            let ve = ld!(ws.bufs.e, t);
            let hfp = hd.max(ve).max(vf);
            st!(ws.bufs.h_store, t, hfp);
            st!(ws.bufs.ft, t, vf);
            let h_open = hfp.sub(v_open);
            st!(ws.bufs.e, t, h_open.max(ve.sub(v_ext)));
            vf = h_open.max(vf.sub(v_ext));
            vh = ld!(ws.bufs.h_load, t);
        }

        // 2. Carry the first-pass F across lane boundaries inside an 8-stripe.
        loop {
            let hl = ld!(ws.bufs.h_store, seg - 1);
            let fl = ld!(ws.bufs.ft, seg - 1);
            let mut f = hl.sub(v_open).max(fl.sub(v_ext)).shift_in(V::NEG);
            let mut stopped_at = seg;
            for t in 0..seg {
                f = f.min(ld!(ws.cap, t));
                let cur = ld!(ws.bufs.ft, t);
                f = f.max(cur);
                if V::all(V::eq(f, cur)) {
                    stopped_at = t;
                    break;
                }
                st!(ws.bufs.ft, t, f);
                let h = ld!(ws.bufs.h_store, t).max(f);
                st!(ws.bufs.h_store, t, h);
                let h_open = h.sub(v_open);
                st!(ws.bufs.e, t, ld!(ws.bufs.e, t).max(h_open));
                f = h_open.max(f.sub(v_ext));
            }
            // Stopped early: the last vector did not change, so a new sweep would carry the
            // same values and change nothing.
            if stopped_at < seg {
                break;
            }
        }

        // 3. The true F does not restart at 8-stripe starts: below a lane's restart vector
        //    the stored F (first-pass) may be below the value the row above implies. Make
        //    every lane consistent from the first restart vector down (the lazy F loop then
        //    only has to carry across lanes). Restarts sit near the lane ends when lanes are
        //    long, so this is a short sweep.
        if ws.reset_lo < seg {
            let t0 = ws.reset_lo;
            let mut hp = ld!(ws.bufs.h_store, t0 - 1);
            let mut fp = ld!(ws.bufs.ft, t0 - 1);
            for t in t0..seg {
                let cur = ld!(ws.bufs.ft, t);
                let f = hp.sub(v_open).max(fp.sub(v_ext)).max(cur);
                if t > ws.reset_hi && V::all(V::eq(f, cur)) {
                    break;
                }
                st!(ws.bufs.ft, t, f);
                let h = ld!(ws.bufs.h_store, t).max(f);
                st!(ws.bufs.h_store, t, h);
                hp = h;
                fp = f;
            }
        }

        // 4. Lazy F: the true F across all lanes, from the final H.
        loop {
            let last_h = ld!(ws.bufs.h_store, seg - 1).shift_in(top);
            let last_f = ld!(ws.bufs.ft, seg - 1).shift_in(V::NEG);
            let mut f = last_h.sub(v_open).max(last_f.sub(v_ext));
            let mut stopped_at = seg;
            for t in 0..seg {
                let cur = ld!(ws.bufs.ft, t);
                f = f.max(cur);
                if V::all(V::eq(f, cur)) {
                    stopped_at = t;
                    break;
                }
                st!(ws.bufs.ft, t, f);
                let h = ld!(ws.bufs.h_store, t).max(f);
                st!(ws.bufs.h_store, t, h);
                f = h.sub(v_open).max(f.sub(v_ext));
            }
            if stopped_at < seg {
                break;
            }
        }

        // 5. Trace bytes, traceback E, column maximum.
        let mut vmax = v_neg;
        if TRACE {
            let col = &mut trace[j * cells..(j + 1) * cells];
            let mut hup = ld!(ws.bufs.h_store, seg - 1).shift_in(top);
            let mut fup = ld!(ws.bufs.ft, seg - 1).shift_in(V::NEG);
            for t in 0..seg {
                let hv = ld!(ws.bufs.h_store, t);
                let ft = ld!(ws.bufs.ft, t);
                let hd = ld!(ws.bufs.hd, t);
                let eq_d = V::eq(hv, hd);
                let eq_f = V::eq(hv, ft);
                let mut code = V::select(eq_d, v_diag, V::select(eq_f, v_del, v_ins));
                if LOCAL {
                    // ZERO (= 0): a local alignment starts here.
                    code = V::clear(V::m_and(eq_d, V::eq(hv, v_zero)), code);
                }
                let fopen = V::keep_gt(hup.sub(v_open), fup.sub(v_ext), v_fopen);
                let byte = code.or(ld!(ws.bufs.ebit, t)).or(fopen);
                let e_open = hv.sub(v_open);
                let e_ext = ld!(ws.bufs.ea, t).sub(v_ext);
                st!(ws.bufs.ea, t, e_open.max(e_ext));
                st!(ws.bufs.ebit, t, V::keep_gt(e_open, e_ext, v_eopen));
                byte.store_bytes(col.as_mut_ptr().add(t * lanes));
                if LOCAL {
                    vmax = vmax.max(hv);
                }
                hup = hv;
                fup = ft;
            }
        } else if keep_ea {
            // Score pass of a two-pass traceback: the traceback E and its open bits belong
            // to the saved state.
            for t in 0..seg {
                let hv = ld!(ws.bufs.h_store, t);
                let e_open = hv.sub(v_open);
                let e_ext = ld!(ws.bufs.ea, t).sub(v_ext);
                st!(ws.bufs.ea, t, e_open.max(e_ext));
                st!(ws.bufs.ebit, t, V::keep_gt(e_open, e_ext, v_eopen));
                if LOCAL {
                    vmax = vmax.max(hv);
                }
            }
        } else if LOCAL {
            for t in 0..seg {
                vmax = vmax.max(ld!(ws.bufs.h_store, t));
            }
        }
        if LOCAL {
            let col_max = vmax.hmax();
            // Every H is a diagonal score or below an earlier H, so a saturated diagonal
            // score shows up here as a column maximum at the limit; stop at once.
            if V::SATURATING && col_max >= limit {
                return None;
            }
            ws.bufs.keep_best(col_max, &mut best, &mut out, j);
        }
        std::mem::swap(&mut ws.bufs.h_load, &mut ws.bufs.h_store);
    }
    if V::SATURATING && !LOCAL && vmax_hd.hmax() >= limit {
        return None;
    }
    ws.bufs.finish::<LOCAL>(&mut out, best, m, seg, lanes);
    Some(out)
}

/// Defines a vector type, `struct $name($reg)`, and its [`Vector`] impl.
///
/// An invocation states only what differs between the types: the kernel name, the element
/// and mask types, the lane-wise intrinsics (`ops`: `add`, `sub`, `max`, `min`, `eq`; an
/// AVX-512 `family` also names its masked `blend`, zero-masking `maskz` move and `cmpgt`
/// mask compare) and the methods whose shape differs, written out in full (`splat`,
/// `shift_in`, `hmax`, `store_bytes`, and `keep_gt` on AVX2, which has no mask registers).
/// The macro writes the rest: `LANES` (register size over element size; the other constants
/// come from the element, [`Elem`]), the methods that wrap one `ops` intrinsic, the family's
/// loads, stores and mask operations, its CPU feature check, and the `#[target_feature]`
/// entry point that runs [`run_generic`] for the type. Every method except `entry` is
/// `#[inline(always)]` (and, like the trait's methods, `unsafe` without features of its
/// own), so it compiles into that entry point.
macro_rules! vector_type {
    (
        $(#[$attr:meta])*
        struct $name:ident($reg:ty);
        family $family:ident $({ $($fam:tt)* })?;
        name $kname:literal;
        type E = $e:ty;
        type M = $m:ty;
        ops {
            add: $add:ident,
            sub: $sub:ident,
            max: $max:ident,
            min: $min:ident,
            eq: $eq:ident $(,)?
        }
        $(unsafe fn $f:ident($($arg:tt)*) $(-> $ret:ty)? $body:block)*
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy)]
        pub(crate) struct $name($reg);

        impl Vector for $name {
            type E = $e;
            type M = $m;
            const LANES: usize = std::mem::size_of::<$reg>() / std::mem::size_of::<$e>();
            const NAME: &'static str = $kname;

            #[inline(always)]
            unsafe fn add(self, o: Self) -> Self {
                Self($add(self.0, o.0))
            }
            #[inline(always)]
            unsafe fn sub(self, o: Self) -> Self {
                Self($sub(self.0, o.0))
            }
            #[inline(always)]
            unsafe fn max(self, o: Self) -> Self {
                Self($max(self.0, o.0))
            }
            #[inline(always)]
            unsafe fn min(self, o: Self) -> Self {
                Self($min(self.0, o.0))
            }
            #[inline(always)]
            unsafe fn eq(self, o: Self) -> $m {
                $eq(self.0, o.0)
            }
            $(
                #[inline(always)]
                unsafe fn $f($($arg)*) $(-> $ret)? $body
            )*
            vector_type!(@family $name, $e, $m, $family $({ $($fam)* })?);
        }
    };

    (@family $name:ident, $e:ty, $m:ty, avx2) => {
        #[inline(always)]
        unsafe fn load(p: *const $e) -> Self {
            Self(_mm256_loadu_si256(p as *const __m256i))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut $e) {
            _mm256_storeu_si256(p as *mut __m256i, self.0)
        }
        #[inline(always)]
        unsafe fn or(self, o: Self) -> Self {
            Self(_mm256_or_si256(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn select(m: __m256i, a: Self, b: Self) -> Self {
            Self(_mm256_blendv_epi8(b.0, a.0, m))
        }
        #[inline(always)]
        unsafe fn clear(m: __m256i, v: Self) -> Self {
            Self(_mm256_andnot_si256(m, v.0))
        }
        #[inline(always)]
        unsafe fn m_and(a: __m256i, b: __m256i) -> __m256i {
            _mm256_and_si256(a, b)
        }
        #[inline(always)]
        unsafe fn all(m: __m256i) -> bool {
            _mm256_movemask_epi8(m) == -1
        }
        vector_type!(@entry $name, $e, "avx2");
        fn available() -> bool {
            std::arch::is_x86_feature_detected!("avx2")
        }
    };

    (
        @family $name:ident, $e:ty, $m:ty,
        avx512 { blend: $blend:ident, maskz: $maskz:ident, cmpgt: $cmpgt:ident $(,)? }
    ) => {
        #[inline(always)]
        unsafe fn load(p: *const $e) -> Self {
            Self(_mm512_loadu_si512(p as *const __m512i))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut $e) {
            _mm512_storeu_si512(p as *mut __m512i, self.0)
        }
        #[inline(always)]
        unsafe fn or(self, o: Self) -> Self {
            Self(_mm512_or_si512(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn keep_gt(a: Self, b: Self, v: Self) -> Self {
            Self($maskz($cmpgt(a.0, b.0), v.0))
        }
        #[inline(always)]
        unsafe fn select(m: $m, a: Self, b: Self) -> Self {
            Self($blend(m, b.0, a.0))
        }
        #[inline(always)]
        unsafe fn clear(m: $m, v: Self) -> Self {
            Self($maskz(!m, v.0))
        }
        #[inline(always)]
        unsafe fn m_and(a: $m, b: $m) -> $m {
            a & b
        }
        #[inline(always)]
        unsafe fn all(m: $m) -> bool {
            m == <$m>::MAX
        }
        vector_type!(@entry $name, $e, "avx2,avx512f,avx512bw");
        fn available() -> bool {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
        }
    };

    (@entry $name:ident, $e:ty, $features:literal) => {
        unsafe fn entry<const LOCAL: bool, const TRACE: bool>(
            ws: &mut WideWorkspace<$e>,
            trace: &mut [u8],
            reference: &[u8],
            p: Params,
            span: Span,
        ) -> Option<KernelOut> {
            #[target_feature(enable = $features)]
            unsafe fn entry<const LOCAL: bool, const TRACE: bool>(
                ws: &mut WideWorkspace<$e>,
                trace: &mut [u8],
                reference: &[u8],
                p: Params,
                span: Span,
            ) -> Option<KernelOut> {
                run_generic::<$name, LOCAL, TRACE>(ws, trace, reference, p, span)
            }
            entry::<LOCAL, TRACE>(ws, trace, reference, p, span)
        }
    };
}

vector_type! {
    /// AVX2, 16 x `i16` (saturating).
    struct Avx2I16(__m256i);
    family avx2;
    name "avx2-16";
    type E = i16;
    type M = __m256i;
    ops {
        add: _mm256_adds_epi16,
        sub: _mm256_subs_epi16,
        max: _mm256_max_epi16,
        min: _mm256_min_epi16,
        eq: _mm256_cmpeq_epi16,
    }

    unsafe fn splat(x: i32) -> Self {
        Self(_mm256_set1_epi16(i16::from_i32(x)))
    }
    unsafe fn keep_gt(a: Self, b: Self, v: Self) -> Self {
        Self(_mm256_and_si256(_mm256_cmpgt_epi16(a.0, b.0), v.0))
    }
    unsafe fn shift_in(self, first: i32) -> Self {
        // [0, lo] then per 128-bit half: (hi : lo) >> 14 bytes, i.e. one i16 lane up.
        let t = _mm256_permute2x128_si256::<0x08>(self.0, self.0);
        let r = _mm256_alignr_epi8::<14>(self.0, t);
        Self(_mm256_insert_epi16::<0>(r, i16::from_i32(first)))
    }
    unsafe fn hmax(self) -> i32 {
        hmax_epi16_256(self.0)
    }
    unsafe fn store_bytes(self, p: *mut u8) {
        let packed = _mm256_permute4x64_epi64::<0b1000>(_mm256_packs_epi16(self.0, self.0));
        _mm_storeu_si128(p as *mut __m128i, _mm256_castsi256_si128(packed));
    }
}

/// Horizontal maximum of 16 `i16` lanes.
#[inline(always)]
unsafe fn hmax_epi16_256(v: __m256i) -> i32 {
    let m = _mm_max_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    let m = _mm_max_epi16(m, _mm_shuffle_epi32::<0b01_00_11_10>(m));
    let m = _mm_max_epi16(m, _mm_shuffle_epi32::<0b10_11_00_01>(m));
    let m = _mm_max_epi16(m, _mm_srli_epi32::<16>(m));
    i32::from(_mm_extract_epi16::<0>(m) as i16)
}

vector_type! {
    /// AVX2, 32 x `u8` (unsigned saturating, biased profile; local alignments only).
    struct Avx2U8(__m256i);
    family avx2;
    name "avx2-8";
    type E = u8;
    type M = __m256i;
    ops {
        add: _mm256_adds_epu8,
        sub: _mm256_subs_epu8,
        max: _mm256_max_epu8,
        min: _mm256_min_epu8,
        eq: _mm256_cmpeq_epi8,
    }

    unsafe fn splat(x: i32) -> Self {
        Self(_mm256_set1_epi8(u8::from_i32(x) as i8))
    }
    unsafe fn keep_gt(a: Self, b: Self, v: Self) -> Self {
        // No unsigned compare on AVX2: a > b exactly when a - b (saturating) is not 0.
        let le = _mm256_cmpeq_epi8(_mm256_subs_epu8(a.0, b.0), _mm256_setzero_si256());
        Self(_mm256_andnot_si256(le, v.0))
    }
    unsafe fn shift_in(self, first: i32) -> Self {
        // [0, lo] then per 128-bit half: (hi : lo) >> 15 bytes, i.e. one byte lane up.
        let t = _mm256_permute2x128_si256::<0x08>(self.0, self.0);
        let r = _mm256_alignr_epi8::<15>(self.0, t);
        Self(_mm256_insert_epi8::<0>(r, u8::from_i32(first) as i8))
    }
    unsafe fn hmax(self) -> i32 {
        hmax_epu8_128(_mm_max_epu8(
            _mm256_castsi256_si128(self.0),
            _mm256_extracti128_si256::<1>(self.0),
        ))
    }
    unsafe fn store_bytes(self, p: *mut u8) {
        self.store(p)
    }
}

/// Horizontal maximum of 16 `u8` lanes.
#[inline(always)]
unsafe fn hmax_epu8_128(m: __m128i) -> i32 {
    let m = _mm_max_epu8(m, _mm_srli_si128::<8>(m));
    let m = _mm_max_epu8(m, _mm_srli_si128::<4>(m));
    let m = _mm_max_epu8(m, _mm_srli_si128::<2>(m));
    let m = _mm_max_epu8(m, _mm_srli_si128::<1>(m));
    _mm_extract_epi8::<0>(m)
}

#[cfg(homolog_avx512)]
pub(crate) use avx512::{Avx512I16, Avx512I32, Avx512U8};

#[cfg(homolog_avx512)]
mod avx512 {
    use super::*;

    vector_type! {
        /// AVX-512, 16 x `i32` (wrapping; bounded a priori like the AVX2 32-bit kernel).
        struct Avx512I32(__m512i);
        family avx512 {
            blend: _mm512_mask_blend_epi32,
            maskz: _mm512_maskz_mov_epi32,
            cmpgt: _mm512_cmpgt_epi32_mask,
        };
        name "avx512-32";
        type E = i32;
        type M = __mmask16;
        ops {
            add: _mm512_add_epi32,
            sub: _mm512_sub_epi32,
            max: _mm512_max_epi32,
            min: _mm512_min_epi32,
            eq: _mm512_cmpeq_epi32_mask,
        }

        unsafe fn splat(x: i32) -> Self {
            Self(_mm512_set1_epi32(x))
        }
        unsafe fn shift_in(self, first: i32) -> Self {
            // (self : first..) >> 15 lanes: [first, v0, ..., v14].
            Self(_mm512_alignr_epi32::<15>(self.0, _mm512_set1_epi32(first)))
        }
        unsafe fn hmax(self) -> i32 {
            _mm512_reduce_max_epi32(self.0)
        }
        unsafe fn store_bytes(self, p: *mut u8) {
            _mm_storeu_si128(p as *mut __m128i, _mm512_cvtepi32_epi8(self.0));
        }
    }

    /// Lane permutation of [`Avx512I16::shift_in`]: lane `l` <- lane `l - 1`.
    static SHIFT16: [i16; 32] = [
        31, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
        24, 25, 26, 27, 28, 29, 30,
    ];

    vector_type! {
        /// AVX-512 (BW), 32 x `i16` (saturating).
        struct Avx512I16(__m512i);
        family avx512 {
            blend: _mm512_mask_blend_epi16,
            maskz: _mm512_maskz_mov_epi16,
            cmpgt: _mm512_cmpgt_epi16_mask,
        };
        name "avx512-16";
        type E = i16;
        type M = __mmask32;
        ops {
            add: _mm512_adds_epi16,
            sub: _mm512_subs_epi16,
            max: _mm512_max_epi16,
            min: _mm512_min_epi16,
            eq: _mm512_cmpeq_epi16_mask,
        }

        unsafe fn splat(x: i32) -> Self {
            Self(_mm512_set1_epi16(i16::from_i32(x)))
        }
        unsafe fn shift_in(self, first: i32) -> Self {
            let idx = _mm512_loadu_si512(SHIFT16.as_ptr() as *const __m512i);
            let r = _mm512_permutexvar_epi16(idx, self.0);
            Self(_mm512_mask_set1_epi16(r, 1, i16::from_i32(first)))
        }
        unsafe fn hmax(self) -> i32 {
            let lo = _mm512_castsi512_si256(self.0);
            let hi = _mm512_extracti64x4_epi64::<1>(self.0);
            hmax_epi16_256(_mm256_max_epi16(lo, hi))
        }
        unsafe fn store_bytes(self, p: *mut u8) {
            _mm256_storeu_si256(p as *mut __m256i, _mm512_cvtepi16_epi8(self.0));
        }
    }

    vector_type! {
        /// AVX-512 (BW), 64 x `u8` (unsigned saturating, biased profile; local alignments only).
        struct Avx512U8(__m512i);
        family avx512 {
            blend: _mm512_mask_blend_epi8,
            maskz: _mm512_maskz_mov_epi8,
            cmpgt: _mm512_cmpgt_epu8_mask,
        };
        name "avx512-8";
        type E = u8;
        type M = __mmask64;
        ops {
            add: _mm512_adds_epu8,
            sub: _mm512_subs_epu8,
            max: _mm512_max_epu8,
            min: _mm512_min_epu8,
            eq: _mm512_cmpeq_epi8_mask,
        }

        unsafe fn splat(x: i32) -> Self {
            Self(_mm512_set1_epi8(u8::from_i32(x) as i8))
        }
        unsafe fn shift_in(self, first: i32) -> Self {
            // t: 128-bit lane k <- lane k - 1 (lane 0 <- 0); then per lane (v : t) >> 15
            // bytes, i.e. one byte up across the whole vector (BW only, no VBMI needed).
            let t = _mm512_alignr_epi32::<12>(self.0, _mm512_setzero_si512());
            let r = _mm512_alignr_epi8::<15>(self.0, t);
            Self(_mm512_mask_set1_epi8(r, 1, u8::from_i32(first) as i8))
        }
        unsafe fn hmax(self) -> i32 {
            let m = _mm256_max_epu8(
                _mm512_castsi512_si256(self.0),
                _mm512_extracti64x4_epi64::<1>(self.0),
            );
            hmax_epu8_128(_mm_max_epu8(
                _mm256_castsi256_si128(m),
                _mm256_extracti128_si256::<1>(m),
            ))
        }
        unsafe fn store_bytes(self, p: *mut u8) {
            self.store(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kernel;

    #[test]
    fn generated_constants_match_the_kernels() {
        fn check<V: Vector>(kernel: Kernel) {
            assert_eq!(V::LANES, kernel.lanes(), "{kernel}");
            assert_eq!(V::NAME, kernel.name());
        }
        check::<Avx2I16>(Kernel::Avx2x16);
        check::<Avx2U8>(Kernel::Avx2x8);
        #[cfg(homolog_avx512)]
        {
            check::<Avx512I32>(Kernel::Avx512x32);
            check::<Avx512I16>(Kernel::Avx512x16);
            check::<Avx512U8>(Kernel::Avx512x8);
        }
        const { assert!(Avx2U8::BIASED && !Avx2I16::BIASED) };
        assert_eq!((Avx2I16::NEG, Avx2I16::MAX), (-32768, 32767));
    }
}
