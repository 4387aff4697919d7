//! The striped AVX2 kernel: 8 x 32-bit lanes, the layout of parasail's `*_trace_striped_32`
//! on AVX2, computing exactly the values of the scalar kernel ([`crate::kernel`]).
//!
//! The query is cut into 8 stripes of `seg = ceil(m / 8)` rows; vector `t` of a column holds
//! rows `t, seg + t, 2 seg + t, ...` (lane `l` = row `l * seg + t`). Per reference column:
//!
//! 1. **First pass** over `t`: diagonal score `hd`, the stripe-local vertical gap `fp`, the
//!    first-pass `H` (`hfp = max(hd, E, fp)`) and the `E` of the next column (opened from
//!    `hfp`, the quirk parasail's layout imposes; see the crate docs). `fp` is kept as the
//!    first estimate of the true `F`.
//! 2. **Lazy F**: the true vertical gap `F` (from the final `H`, across stripes and from the
//!    top border) is propagated into each stripe from the last row of the stripe before it,
//!    sweeping down until no lane changes (Farrar's loop, with an exact stopping rule: a sweep
//!    stops at the first row where every lane's recomputed `F` equals the stored one, since
//!    everything below follows from the same values). At most 9 sweeps; usually one sweep of
//!    one or two rows.
//! 3. **Trace pass**: one traceback byte per cell (same bits as the scalar kernel), the
//!    traceback `E` (`ea`, from the final `H`) and, for local alignments, the column maximum.
//!
//! Rows past `m` (padding of the last stripe) get a very negative profile score; they can
//! only hold values derived from real cells, never above the running maximum, and are
//! skipped when the end cell is located.
//!
//! 32-bit lanes are used only when every reachable value fits (see [`fits_i32`]); otherwise
//! the caller falls back to the 64-bit scalar kernel, so results never depend on the kernel.

use std::arch::x86_64::*;

use crate::kernel::{KernelOut, Params, Span, StripedBuffers, DEL, DIAG, E_OPEN, F_OPEN, INS};

/// Vector width in 32-bit lanes (AVX2), equal to parasail's stripe count.
pub(crate) const LANES: usize = 8;
/// Minus infinity: far below any real score, far above `i32::MIN` after a few subtractions.
const NEG: i32 = -(1 << 30);
/// Profile score of padding rows: keeps them out of every maximum.
const PAD: i32 = -(1 << 27);
/// Real scores must stay within +-`LIMIT` for the 32-bit kernel.
const LIMIT: i64 = 1 << 26;

/// True when every score of an `m x n` alignment (and the sentinel arithmetic around it) fits
/// in 32-bit lanes: `|score| <= (m + n + 2) * (max |s| + extend) + 2 * open`.
pub(crate) fn fits_i32(m: usize, n: usize, max_abs: i32, open: i64, extend: i64) -> bool {
    let len = (m as i64).saturating_add(n as i64).saturating_add(2);
    let per = i64::from(max_abs).saturating_add(extend);
    len.saturating_mul(per)
        .saturating_add(open.saturating_mul(2))
        < LIMIT
        && open < LIMIT
        && extend < LIMIT
}

/// Whether this CPU can run the kernel (checked once by std, cached).
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// Buffers of the striped kernel, reused across pairs. Vectors are stored as 8 consecutive
/// `i32` (unaligned loads; the cost is nil on AVX2 hardware).
#[derive(Debug, Default)]
pub(crate) struct SimdWorkspace {
    /// Striped query profile: symbol `c`, vector `t`, lane `l` at `(c * seg + t) * 8 + l`.
    profile: Vec<i32>,
    seg: usize,
    m: usize,
    /// Per-column buffers.
    bufs: StripedBuffers<i32>,
    /// Traceback bytes: column `j`, vector `t`, lane `l` at `j * seg * 8 + t * 8 + l`.
    /// Empty between runs: the workspace lends its shared table for each run.
    pub(crate) trace: Vec<u8>,
    /// What `profile` was built for.
    key: crate::kernel::ProfileKey,
}

impl SimdWorkspace {
    /// Builds the striped profile of `query` (symbol codes) for `matrix`, unless it already
    /// holds that one.
    pub(crate) fn set_query(&mut self, query: &[u8], matrix: &crate::SubstitutionMatrix) {
        if self.key.hit(query, (LANES, PAD), matrix) {
            return;
        }
        let size = matrix.size();
        let m = query.len();
        let seg = m.div_ceil(LANES).max(1);
        self.seg = seg;
        self.m = m;
        let cells = seg * LANES;
        self.profile.clear();
        self.profile.resize(size * cells, PAD);
        for c in 0..size {
            let base = c * cells;
            for (l, stripe) in query.chunks(seg).enumerate() {
                for (t, &q) in stripe.iter().enumerate() {
                    self.profile[base + t * LANES + l] = matrix.score_idx(q, c as u8);
                }
            }
        }
        self.bufs.reset(cells);
    }

    /// Makes room for the traceback of the current query against `n` residues;
    /// `Err(bytes)` if it cannot be allocated.
    pub(crate) fn reserve_trace(&mut self, n: usize) -> Result<(), usize> {
        let bytes = (self.seg * LANES).checked_mul(n).ok_or(usize::MAX)?;
        crate::table::grow(&mut self.trace, bytes, bytes)
    }

    /// Makes room for the checkpoints of a two-pass traceback over `n` columns
    /// ([`crate::twopass`]); `Err(bytes)` if they cannot be allocated.
    pub(crate) fn reserve_checkpoints(&mut self, n: usize, every: usize) -> Result<(), usize> {
        self.bufs.reserve_checkpoints(self.seg * LANES, n, every)
    }

    /// Bytes held by the checkpoints.
    pub(crate) fn checkpoint_bytes(&self) -> usize {
        self.bufs.ckpt.capacity() * 4
    }

    /// Index in `trace` of (query row `i`, reference column `j`).
    #[inline]
    pub(crate) fn trace_index(&self, i: usize, j: usize) -> usize {
        j * self.seg * LANES + (i % self.seg) * LANES + i / self.seg
    }

    /// Runs the kernel over the columns `span` says (the traceback of `reference`'s column
    /// `j` at column `j` of the table). Safe wrapper: checks AVX2 at run time (callers check
    /// it once and cache; the check here is a cached atomic load).
    pub(crate) fn run<const LOCAL: bool, const TRACE: bool>(
        &mut self,
        reference: &[u8],
        p: Params,
        span: Span,
    ) -> KernelOut {
        assert!(available(), "AVX2 kernel called on a CPU without AVX2");
        // SAFETY: AVX2 is present (checked above).
        unsafe { self.run_avx2::<LOCAL, TRACE>(reference, p, span) }
    }

    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2<const LOCAL: bool, const TRACE: bool>(
        &mut self,
        reference: &[u8],
        p: Params,
        span: Span,
    ) -> KernelOut {
        let (m, seg) = (self.m, self.seg);
        let n = reference.len();
        debug_assert!(m > 0 && n > 0);
        let open = p.open as i32;
        let ext = p.extend as i32;
        let cells = seg * LANES;
        let v_open = _mm256_set1_epi32(open);
        let v_ext = _mm256_set1_epi32(ext);
        let v_neg = _mm256_set1_epi32(NEG);
        let v_zero = _mm256_setzero_si256();
        let v_diag = _mm256_set1_epi32(i32::from(DIAG));
        let v_ins = _mm256_set1_epi32(i32::from(INS));
        let v_del = _mm256_set1_epi32(i32::from(DEL));
        let v_eopen = _mm256_set1_epi32(i32::from(E_OPEN));
        let v_fopen = _mm256_set1_epi32(i32::from(F_OPEN));
        // Lane l <- lane l-1 (lane 0 is then replaced).
        let rot = _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6);
        // Byte 0 of each 32-bit lane to the low 4 bytes of its 128-bit half.
        let pick = _mm256_setr_epi8(
            0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1, -1,
            -1, -1, -1, -1, -1, -1, -1, -1, -1,
        );
        let join = _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1);
        // Lane l <- lane l-1, lane 0 <- `first`.
        macro_rules! shift_in {
            ($v:expr, $first:expr) => {
                _mm256_blend_epi32::<1>(
                    _mm256_permutevar8x32_epi32($v, rot),
                    _mm256_set1_epi32($first),
                )
            };
        }
        // Vector `t` of a buffer of 8-lane vectors (bounds-checked by the slice).
        macro_rules! ld {
            ($buf:expr, $t:expr) => {{
                let s = &$buf[$t * LANES..$t * LANES + LANES];
                _mm256_loadu_si256(s.as_ptr() as *const __m256i)
            }};
        }
        macro_rules! st {
            ($buf:expr, $t:expr, $v:expr $(,)?) => {{
                let v = $v;
                let s = &mut $buf[$t * LANES..$t * LANES + LANES];
                _mm256_storeu_si256(s.as_mut_ptr() as *mut __m256i, v)
            }};
        }

        self.bufs.begin::<LOCAL>(LANES, seg, p, NEG, span);
        let keep_ea = span.keeps_ea();

        let mut best: i32 = 0;
        let mut out = KernelOut {
            score: 0,
            end_query: m - 1,
            end_ref: n - 1,
            empty: LOCAL,
        };
        let stride = cells;

        for (j, &c) in reference.iter().enumerate() {
            self.bufs.save(span, span.j0 + j);
            let prof = &self.profile[c as usize * cells..(c as usize + 1) * cells];
            // Within the lanes' bounds (checked before the kernel was chosen).
            let (diag_border, top) = p.border::<LOCAL>(span.j0 + j);
            let (diag_border, top) = (diag_border as i32, top as i32);

            // 1. First pass.
            let mut vh = shift_in!(ld!(&self.bufs.h_load, seg - 1), diag_border);
            let mut vf = v_neg;
            for t in 0..seg {
                let mut hd = _mm256_add_epi32(vh, ld!(prof, t));
                if LOCAL {
                    hd = _mm256_max_epi32(hd, v_zero);
                }
                st!(&mut self.bufs.hd, t, hd);
                let ve = ld!(&self.bufs.e, t);
                let hfp = _mm256_max_epi32(_mm256_max_epi32(hd, ve), vf);
                st!(&mut self.bufs.h_store, t, hfp);
                st!(&mut self.bufs.ft, t, vf);
                let h_open = _mm256_sub_epi32(hfp, v_open);
                st!(
                    &mut self.bufs.e,
                    t,
                    _mm256_max_epi32(h_open, _mm256_sub_epi32(ve, v_ext)),
                );
                vf = _mm256_max_epi32(h_open, _mm256_sub_epi32(vf, v_ext));
                vh = ld!(&self.bufs.h_load, t);
            }

            // 2. Lazy F: propagate the true F across stripes until nothing changes.
            loop {
                let last_h = shift_in!(ld!(&self.bufs.h_store, seg - 1), top);
                let last_f = shift_in!(ld!(&self.bufs.ft, seg - 1), NEG);
                let mut f = _mm256_max_epi32(
                    _mm256_sub_epi32(last_h, v_open),
                    _mm256_sub_epi32(last_f, v_ext),
                );
                let mut stopped_at = seg;
                for t in 0..seg {
                    let cur = ld!(&self.bufs.ft, t);
                    f = _mm256_max_epi32(f, cur);
                    if _mm256_movemask_epi8(_mm256_cmpeq_epi32(f, cur)) == -1 {
                        stopped_at = t;
                        break;
                    }
                    st!(&mut self.bufs.ft, t, f);
                    let h = _mm256_max_epi32(ld!(&self.bufs.h_store, t), f);
                    st!(&mut self.bufs.h_store, t, h);
                    f = _mm256_max_epi32(_mm256_sub_epi32(h, v_open), _mm256_sub_epi32(f, v_ext));
                }
                if stopped_at == 0 {
                    break;
                }
            }

            // 3. Trace bytes, traceback E, column maximum.
            let mut vmax = v_neg;
            if TRACE {
                let col = &mut self.trace[j * stride..(j + 1) * stride];
                let mut hup = shift_in!(ld!(&self.bufs.h_store, seg - 1), top);
                let mut fup = shift_in!(ld!(&self.bufs.ft, seg - 1), NEG);
                for t in 0..seg {
                    let hv = ld!(&self.bufs.h_store, t);
                    let ft = ld!(&self.bufs.ft, t);
                    let hd = ld!(&self.bufs.hd, t);
                    let fopen = _mm256_cmpgt_epi32(
                        _mm256_sub_epi32(hup, v_open),
                        _mm256_sub_epi32(fup, v_ext),
                    );
                    let eq_d = _mm256_cmpeq_epi32(hv, hd);
                    let eq_f = _mm256_cmpeq_epi32(hv, ft);
                    let mut code =
                        _mm256_blendv_epi8(_mm256_blendv_epi8(v_ins, v_del, eq_f), v_diag, eq_d);
                    if LOCAL {
                        // ZERO (= 0): a local alignment starts here.
                        let zero = _mm256_and_si256(eq_d, _mm256_cmpeq_epi32(hv, v_zero));
                        code = _mm256_andnot_si256(zero, code);
                    }
                    let byte = _mm256_or_si256(
                        _mm256_or_si256(code, ld!(&self.bufs.ebit, t)),
                        _mm256_and_si256(fopen, v_fopen),
                    );
                    let e_open = _mm256_sub_epi32(hv, v_open);
                    let e_ext = _mm256_sub_epi32(ld!(&self.bufs.ea, t), v_ext);
                    st!(&mut self.bufs.ea, t, _mm256_max_epi32(e_open, e_ext));
                    st!(
                        &mut self.bufs.ebit,
                        t,
                        _mm256_and_si256(_mm256_cmpgt_epi32(e_open, e_ext), v_eopen),
                    );
                    let packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(byte, pick), join);
                    _mm_storel_epi64(
                        col.as_mut_ptr().add(t * LANES) as *mut __m128i,
                        _mm256_castsi256_si128(packed),
                    );
                    if LOCAL {
                        vmax = _mm256_max_epi32(vmax, hv);
                    }
                    hup = hv;
                    fup = ft;
                }
            } else if keep_ea {
                // Score pass of a two-pass traceback: the traceback E and its open bits
                // belong to the saved state.
                for t in 0..seg {
                    let hv = ld!(&self.bufs.h_store, t);
                    let e_open = _mm256_sub_epi32(hv, v_open);
                    let e_ext = _mm256_sub_epi32(ld!(&self.bufs.ea, t), v_ext);
                    st!(&mut self.bufs.ea, t, _mm256_max_epi32(e_open, e_ext));
                    st!(
                        &mut self.bufs.ebit,
                        t,
                        _mm256_and_si256(_mm256_cmpgt_epi32(e_open, e_ext), v_eopen),
                    );
                    if LOCAL {
                        vmax = _mm256_max_epi32(vmax, hv);
                    }
                }
            } else if LOCAL {
                for t in 0..seg {
                    vmax = _mm256_max_epi32(vmax, ld!(&self.bufs.h_store, t));
                }
            }
            if LOCAL {
                self.bufs.keep_best(hmax(vmax), &mut best, &mut out, j);
            }
            std::mem::swap(&mut self.bufs.h_load, &mut self.bufs.h_store);
        }
        self.bufs.finish::<LOCAL>(&mut out, best, m, seg, LANES);
        out
    }
}

/// Horizontal maximum of 8 lanes.
#[target_feature(enable = "avx2")]
unsafe fn hmax(v: __m256i) -> i32 {
    let m = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    let m = _mm_max_epi32(m, _mm_shuffle_epi32::<0b01_00_11_10>(m));
    let m = _mm_max_epi32(m, _mm_shuffle_epi32::<0b10_11_00_01>(m));
    _mm_cvtsi128_si32(m)
}
