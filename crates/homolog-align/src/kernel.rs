//! The dynamic-programming kernels (scalar).
//!
//! One column-by-column Gotoh recurrence, instantiated four ways by const generics: global or
//! local, with or without the traceback table. It reproduces parasail's *striped* kernels
//! (`nw_trace_striped_32`, `sw_trace_striped_32`) value for value, including two properties of
//! their lazy-F loop that a textbook Gotoh does not have (see the crate docs, "Exact parasail
//! semantics"):
//!
//! 1. The query is cut into `lanes` stripes of `seg = ceil(m / lanes)` rows. Within a column,
//!    parasail's first pass computes the vertical-gap value `F` only from gaps that open inside
//!    the same stripe (`fp` here); gaps that cross a stripe boundary, or come down from the top
//!    border, are added afterwards (`ft`, the true `F`). The horizontal-gap value `E` of the
//!    next column is opened from the first-pass `H` (`hfp`), so `E` never opens directly from
//!    a cell whose best score came from a stripe-crossing vertical gap (this changes which
//!    equal-scoring path is traced, never the optimal score).
//! 2. The traceback bits, by contrast, use the final values: `H` bits compare the final `H`
//!    with the diagonal and the true `F`, and the `E` bits compare against an `E` computed from
//!    the final `H` (`ea`).
//!
//! The striped AVX2 kernel ([`crate::simd`]) computes the same values with 8 lanes; it stores
//! its traceback in striped order and reports the same [`KernelOut`]. This scalar kernel is
//! the portable fallback (no AVX2, other stripe widths, or scores beyond 32 bits).
//!
//! Scores are computed in `i64`: with `i32` the border values `-(open + (n-1) * extend)` and
//! the minus-infinity sentinels could overflow for long sequences or large penalties.

/// Traceback byte: the `H` state lives in the low two bits.
pub(crate) const STATE_MASK: u8 = 0b11;
/// `H` is 0 in a local alignment: the alignment starts here.
pub(crate) const ZERO: u8 = 0;
/// `H` came from the diagonal (residue against residue).
pub(crate) const DIAG: u8 = 1;
/// `H` came from `E`: a gap in the query (reference residue against `-`).
pub(crate) const INS: u8 = 2;
/// `H` came from `F`: a gap in the reference (query residue against `-`).
pub(crate) const DEL: u8 = 3;
/// `E` at this cell was opened from `H` of the cell to the left (else extended).
pub(crate) const E_OPEN: u8 = 0b0100;
/// `F` at this cell was opened from `H` of the cell above (else extended).
pub(crate) const F_OPEN: u8 = 0b1000;

/// Minus infinity that survives subtracting any `i32` penalty many times.
const NEG: i64 = i64::MIN / 4;

/// Branch-free maximum. LLVM turns some `i64::max` calls of this loop into jumps, which
/// mispredict on alignment data (local scores hover around 0); arithmetic keeps it a select.
/// Used off the loop-carried chain (`h_up -> ft -> hv`, `hfp_up -> fp -> hfp`), where the
/// shorter latency of `i64::max` (a cmov) wins. Exact here: |a - b| < 2^62 since
/// `NEG = i64::MIN / 4` and penalties are `i32`.
#[inline(always)]
fn max(a: i64, b: i64) -> i64 {
    let d = a.wrapping_sub(b);
    a.wrapping_sub(d & (d >> 63))
}

/// Reusable buffers, so aligning many pairs does not reallocate.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    /// Query profile: `profile[c * m + i]` = `score(query[i], symbol c)`.
    profile: Vec<i64>,
    /// `H` of the previous column, per query row.
    h: Vec<i64>,
    /// `E` (scoring) per row.
    e: Vec<i64>,
    /// `E` computed from final `H` (drives the `E` traceback bits).
    ea: Vec<i64>,
    /// `E_OPEN` bit of the current column, per row.
    ebit: Vec<u8>,
    /// Traceback table shared by all kernels (each with its own layout); the scalar kernel's
    /// is column-major: byte of (row i, column j) at `j * m + i`.
    pub(crate) trace: Vec<u8>,
    /// Checkpoints of the scalar kernel's two-pass traceback: `h`, `e`, `ea` and `ebit`
    /// (as `i64`) before each checkpoint column.
    ckpt: Vec<i64>,
    /// Buffers of the striped AVX2 kernel.
    #[cfg(target_arch = "x86_64")]
    pub(crate) simd: crate::simd::SimdWorkspace,
    /// Buffers of the wide 16-bit kernels (their traceback goes to `trace`).
    #[cfg(target_arch = "x86_64")]
    pub(crate) w16: crate::wide::WideWorkspace<i16>,
    /// Buffers of the wide 8-bit kernels (local alignments).
    #[cfg(target_arch = "x86_64")]
    pub(crate) w8: crate::wide::WideWorkspace<u8>,
    /// Buffers of the wide 32-bit kernel (AVX-512).
    #[cfg(all(target_arch = "x86_64", homolog_avx512))]
    pub(crate) w32: crate::wide::WideWorkspace<i32>,
    /// Buffers of the batch kernel (many pairs at once, [`crate::batch`]).
    pub(crate) batch: crate::batch::BatchWorkspace,
    /// Pairs of the last many-pair call that the batch kernel aligned.
    pub(crate) batched: usize,
    /// The last global alignment (picks the kernel of a local one that follows).
    pub(crate) hint: crate::dispatch::GlobalHint,
    /// The kernel of the last alignment.
    pub(crate) last: Option<crate::Kernel>,
}

/// Identifies the query profile a striped workspace holds, so aligning the same query again
/// (NW then SW of one pair, or one query against many references) skips rebuilding it.
#[derive(Debug, Default)]
pub(crate) struct ProfileKey {
    query: Vec<u8>,
    /// Lanes and padding score of the layout.
    layout: (usize, i32),
    matrix: Option<crate::SubstitutionMatrix>,
}

impl ProfileKey {
    /// True when the profile was built for exactly these inputs; otherwise records them
    /// (the caller then rebuilds) and returns false.
    pub(crate) fn hit(
        &mut self,
        query: &[u8],
        layout: (usize, i32),
        matrix: &crate::SubstitutionMatrix,
    ) -> bool {
        let same_matrix = self.matrix.as_ref() == Some(matrix);
        if same_matrix && self.layout == layout && self.query == query {
            return true;
        }
        if !same_matrix {
            self.matrix = Some(matrix.clone());
        }
        self.layout = layout;
        self.query.clear();
        self.query.extend_from_slice(query);
        false
    }
}

/// Lane element of the striped kernels: `u8`, `i16` (saturating) or `i32` (wrapping,
/// bounded a priori).
///
/// The constants are those of the wide kernels' lanes of this element ([`crate::wide`]).
pub(crate) trait Elem: Copy + Default + std::fmt::Debug + PartialEq {
    /// Largest element value.
    const MAX: i32;
    /// Minus infinity.
    const NEG: i32;
    /// Profile score of padding rows.
    const PAD: i32;
    /// Saturating arithmetic (upward overflow checked at run time).
    const SATURATING: bool;
    /// Unsigned saturating 8-bit lanes holding `max(0, x)` of every value `x`, with the
    /// profile stored as `s + bias` (see "8-bit lanes" in the `wide` module docs). Local
    /// alignments only.
    const BIASED: bool;

    /// `x` clamped to the element range.
    fn from_i32(x: i32) -> Self;
    fn to_i32(self) -> i32;
}

impl Elem for i16 {
    const MAX: i32 = i16::MAX as i32;
    const NEG: i32 = i16::MIN as i32;
    const PAD: i32 = i16::MIN as i32;
    const SATURATING: bool = true;
    const BIASED: bool = false;

    #[inline(always)]
    fn from_i32(x: i32) -> Self {
        x.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
    }
    #[inline(always)]
    fn to_i32(self) -> i32 {
        i32::from(self)
    }
}

impl Elem for u8 {
    const MAX: i32 = u8::MAX as i32;
    // Values are clamped at 0, which is also minus infinity.
    const NEG: i32 = 0;
    // Stored as `PAD + bias`, clamped to 0: the lowest score.
    const PAD: i32 = -(u8::MAX as i32);
    const SATURATING: bool = true;
    const BIASED: bool = true;

    #[inline(always)]
    fn from_i32(x: i32) -> Self {
        x.clamp(0, i32::from(u8::MAX)) as u8
    }
    #[inline(always)]
    fn to_i32(self) -> i32 {
        i32::from(self)
    }
}

/// Wrapping, bounded a priori like the AVX2 32-bit kernel ([`crate::simd`]).
impl Elem for i32 {
    const MAX: i32 = i32::MAX;
    const NEG: i32 = -(1 << 30);
    const PAD: i32 = -(1 << 27);
    const SATURATING: bool = false;
    const BIASED: bool = false;

    #[inline(always)]
    fn from_i32(x: i32) -> Self {
        x
    }
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self
    }
}

/// Per-column buffers of the striped kernels ([`crate::simd`], [`crate::wide`]): one
/// element per striped cell, vector `t` (of `seg`), lane `l` (of `lanes`) at `t * lanes + l`,
/// which holds query row `l * seg + t` (rows past the query are padding).
#[derive(Debug, Default)]
pub(crate) struct StripedBuffers<E> {
    /// Final `H` of the previous column and of the current one.
    pub(crate) h_load: Vec<E>,
    pub(crate) h_store: Vec<E>,
    /// Scoring `E` (from first-pass `H`).
    pub(crate) e: Vec<E>,
    /// Traceback `E` (from final `H`).
    pub(crate) ea: Vec<E>,
    /// `E_OPEN` bit for the next column, per cell.
    pub(crate) ebit: Vec<E>,
    /// Diagonal score of the current column.
    pub(crate) hd: Vec<E>,
    /// Vertical gap `F` of the current column.
    pub(crate) ft: Vec<E>,
    /// Copy of `h_store` for the column holding the running local maximum.
    pub(crate) best_col: Vec<E>,
    /// Checkpoints of the two-pass traceback ([`crate::twopass`]): per checkpoint,
    /// `h_load`, `e`, `ea` and `ebit` before its column, `cells` elements each.
    pub(crate) ckpt: Vec<E>,
}

impl<E: Elem> StripedBuffers<E> {
    /// Every buffer.
    fn all(&mut self) -> [&mut Vec<E>; 8] {
        let Self {
            h_load,
            h_store,
            e,
            ea,
            ebit,
            hd,
            ft,
            best_col,
            ckpt: _,
        } = self;
        [h_load, h_store, e, ea, ebit, hd, ft, best_col]
    }

    /// Makes every buffer `cells` elements long (zeros).
    pub(crate) fn reset(&mut self, cells: usize) {
        for v in self.all() {
            v.clear();
            v.resize(cells, E::default());
        }
    }

    /// Whether every buffer holds `cells` elements (`&mut` only to list them).
    pub(crate) fn hold(&mut self, cells: usize) -> bool {
        self.all().iter().all(|v| v.len() == cells)
    }

    /// Starts a run as [`Span`] says: from checkpoint `span.resume` (the state before
    /// column `span.j0`) or from the left border ([`Self::start`]); with `span.save_every`
    /// the checkpoint buffer is emptied for a new forward pass.
    pub(crate) fn begin<const LOCAL: bool>(
        &mut self,
        lanes: usize,
        seg: usize,
        p: Params,
        neg: i32,
        span: Span,
    ) {
        let cells = lanes * seg;
        match span.resume {
            Some(k) => {
                let base = k * 4 * cells;
                let saved = &self.ckpt[base..base + 4 * cells];
                let (h, rest) = saved.split_at(cells);
                let (e, rest) = rest.split_at(cells);
                let (ea, ebit) = rest.split_at(cells);
                self.h_load.copy_from_slice(h);
                self.e.copy_from_slice(e);
                self.ea.copy_from_slice(ea);
                self.ebit.copy_from_slice(ebit);
            }
            None => self.start::<LOCAL>(lanes, seg, p, neg),
        }
        if span.save_every > 0 {
            self.ckpt.clear();
        }
    }

    /// Saves the state before column `j` (absolute) when it is a checkpoint of `span`.
    #[inline(always)]
    pub(crate) fn save(&mut self, span: Span, j: usize) {
        if span.is_checkpoint(j) {
            let Self {
                h_load,
                e,
                ea,
                ebit,
                ckpt,
                ..
            } = self;
            for v in [h_load, e, ea, ebit] {
                ckpt.extend_from_slice(v);
            }
        }
    }

    /// Makes room for the checkpoints of a forward pass over `n` columns every `every`
    /// columns; `Err(bytes)` if they cannot be allocated.
    pub(crate) fn reserve_checkpoints(
        &mut self,
        cells: usize,
        n: usize,
        every: usize,
    ) -> Result<(), usize> {
        reserve_checkpoints(&mut self.ckpt, cells, n, every)
    }

    /// Column -1: `H` and both `E` of a leading gap down the query (local: 0 and `-open`),
    /// values below `neg` raised to it, and every `E` marked as opened (as parasail does).
    pub(crate) fn start<const LOCAL: bool>(
        &mut self,
        lanes: usize,
        seg: usize,
        p: Params,
        neg: i32,
    ) {
        for r in 0..seg * lanes {
            let (l, t) = (r % lanes, r / lanes);
            let row = (l * seg + t) as i64;
            let (h, e) = if LOCAL {
                (0, -p.open)
            } else {
                let h = -p.open - p.extend * row;
                (h, h - p.open)
            };
            // Padding rows may exceed the bound by a few extends: clamp (never read back
            // into real rows).
            let h = E::from_i32(h.max(i64::from(neg)) as i32);
            let e = E::from_i32(e.max(i64::from(neg)) as i32);
            self.h_load[r] = h;
            self.e[r] = e;
            self.ea[r] = e;
            self.ebit[r] = E::from_i32(i32::from(E_OPEN));
        }
    }

    /// After local column `j` with maximum `col_max`: parasail keeps the first column whose
    /// maximum beats every earlier one (`best`), and its `H` values for [`Self::finish`].
    #[inline(always)]
    pub(crate) fn keep_best(
        &mut self,
        col_max: i32,
        best: &mut i32,
        out: &mut KernelOut,
        j: usize,
    ) {
        if col_max > *best {
            *best = col_max;
            out.end_ref = j;
            out.empty = false;
            self.best_col.copy_from_slice(&self.h_store);
        }
    }

    /// Fills in the score and end row of `out` after the last column (swapped into
    /// `h_load`) of a query of `m` rows; `best` is the local maximum.
    pub(crate) fn finish<const LOCAL: bool>(
        &self,
        out: &mut KernelOut,
        best: i32,
        m: usize,
        seg: usize,
        lanes: usize,
    ) {
        let cell = |v: &[E], r: usize| v[(r % seg) * lanes + r / seg].to_i32();
        if LOCAL {
            if !out.empty {
                out.score = i64::from(best);
                // The first (smallest) query row of the end column holding the maximum.
                out.end_query = (0..m)
                    .find(|&r| cell(&self.best_col, r) == best)
                    .unwrap_or(m - 1);
            }
        } else {
            out.score = i64::from(cell(&self.h_load, m - 1));
        }
    }
}

/// Makes `ckpt` (empty) able to hold the checkpoints of `n` columns every `every` columns,
/// `4 * cells` elements each, without reallocating; `Err(bytes)` if it cannot.
pub(crate) fn reserve_checkpoints<E>(
    ckpt: &mut Vec<E>,
    cells: usize,
    n: usize,
    every: usize,
) -> Result<(), usize> {
    let count = n.saturating_sub(1) / every.max(1);
    let elems = count
        .checked_mul(4)
        .and_then(|x| x.checked_mul(cells))
        .ok_or(usize::MAX)?;
    ckpt.clear();
    if ckpt.capacity() < elems {
        // Free the old buffer first: never two at once.
        *ckpt = Vec::new();
    }
    ckpt.try_reserve_exact(elems)
        .map_err(|_| elems.saturating_mul(std::mem::size_of::<E>()))
}

/// Which reference columns a kernel run covers and what it keeps, for the two-pass
/// traceback ([`crate::twopass`]); [`Span::WHOLE`] is a plain run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// Absolute column of `reference[0]` (the top border of a global alignment depends on
    /// it).
    pub(crate) j0: usize,
    /// Start from this checkpoint (the state before column `j0`) instead of the left border.
    pub(crate) resume: Option<usize>,
    /// Save the state before every column that is a positive multiple of this (0: never);
    /// score-only runs then also keep the traceback `E` and its open bits, which the
    /// state includes.
    pub(crate) save_every: usize,
}

impl Span {
    /// All columns from the left border, nothing saved.
    pub(crate) const WHOLE: Span = Span {
        j0: 0,
        resume: None,
        save_every: 0,
    };

    /// Whether the state before absolute column `j` is saved.
    #[inline(always)]
    pub(crate) fn is_checkpoint(self, j: usize) -> bool {
        self.save_every > 0 && j > 0 && j.is_multiple_of(self.save_every)
    }

    /// Whether the run keeps the traceback `E` without a traceback table.
    #[inline(always)]
    pub(crate) fn keeps_ea(self) -> bool {
        self.save_every > 0
    }
}

/// Where the alignment ends and its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KernelOut {
    pub(crate) score: i64,
    pub(crate) end_query: usize,
    pub(crate) end_ref: usize,
    /// Local alignment whose best cell is 0: nothing aligned.
    pub(crate) empty: bool,
}

/// Gap penalties and stripe width, as the kernels use them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    pub(crate) open: i64,
    pub(crate) extend: i64,
    pub(crate) lanes: usize,
}

impl Params {
    /// Top border of column `j`: `H(-1, j - 1)`, which feeds row 0's diagonal, and
    /// `H(-1, j)`, the cell above row 0 (a leading gap in global alignments, else 0).
    #[inline(always)]
    pub(crate) fn border<const LOCAL: bool>(&self, j: usize) -> (i64, i64) {
        if LOCAL {
            return (0, 0);
        }
        let jj = j as i64;
        let diag = if j == 0 {
            0
        } else {
            -self.open - self.extend * (jj - 1)
        };
        (diag, -self.open - self.extend * jj)
    }
}

impl Workspace {
    /// Fills the query profile for `query` (symbol codes) over an alphabet of `size` symbols.
    pub(crate) fn set_query(&mut self, query: &[u8], size: usize, score: impl Fn(u8, u8) -> i32) {
        let m = query.len();
        self.profile.clear();
        self.profile.reserve(size * m);
        for c in 0..size {
            self.profile
                .extend(query.iter().map(|&q| i64::from(score(q, c as u8))));
        }
    }

    /// Makes room for an `m x n` traceback; `Err(bytes)` if it cannot be allocated.
    pub(crate) fn reserve_trace(&mut self, m: usize, n: usize) -> Result<(), usize> {
        let bytes = m.checked_mul(n).ok_or(usize::MAX)?;
        crate::table::grow(&mut self.trace, bytes, bytes)
    }
}

impl Workspace {
    /// [`reserve_checkpoints`] for the scalar kernel (`m` rows).
    pub(crate) fn reserve_checkpoints(
        &mut self,
        m: usize,
        n: usize,
        every: usize,
    ) -> Result<(), usize> {
        reserve_checkpoints(&mut self.ckpt, m, n, every)
    }

    /// Bytes held by the checkpoint buffers of every kernel.
    pub(crate) fn checkpoint_bytes(&self) -> usize {
        #[allow(unused_mut)]
        let mut bytes = self.ckpt.capacity() * 8;
        #[cfg(target_arch = "x86_64")]
        {
            bytes += self.simd.checkpoint_bytes() + self.w16.checkpoint_bytes();
            bytes += self.w8.checkpoint_bytes();
        }
        #[cfg(all(target_arch = "x86_64", homolog_avx512))]
        {
            bytes += self.w32.checkpoint_bytes();
        }
        bytes
    }
}

/// Runs the recurrence for a query of `m` residues (profile already set) against `reference`
/// (symbol codes) over the columns `span` says. Both sequences must be non-empty; with
/// `TRACE` the trace must be reserved (`m` bytes per column of `reference`).
pub(crate) fn run<const LOCAL: bool, const TRACE: bool>(
    ws: &mut Workspace,
    m: usize,
    reference: &[u8],
    p: Params,
    span: Span,
) -> KernelOut {
    debug_assert!(m > 0 && !reference.is_empty());
    let Params {
        open,
        extend: ext,
        lanes,
    } = p;
    let seg = m.div_ceil(lanes.max(1));
    // parasail starts each stripe's first-pass F at -open (local) or minus infinity.
    let fp_reset = if LOCAL { -open } else { NEG };

    let keep_ea = TRACE || span.keeps_ea();
    ws.h.clear();
    ws.e.clear();
    if let Some(k) = span.resume {
        let saved = &ws.ckpt[k * 4 * m..(k + 1) * 4 * m];
        ws.h.extend_from_slice(&saved[..m]);
        ws.e.extend_from_slice(&saved[m..2 * m]);
        ws.ea.clear();
        ws.ea.extend_from_slice(&saved[2 * m..3 * m]);
        ws.ebit.clear();
        ws.ebit.extend(saved[3 * m..].iter().map(|&b| b as u8));
    } else {
        if LOCAL {
            ws.h.resize(m, 0);
            ws.e.resize(m, -open);
        } else {
            // Column -1: a leading gap of r + 1 query residues, and E one more open below it.
            ws.h.extend((0..m as i64).map(|r| -open - ext * r));
            ws.e.extend(ws.h.iter().map(|&h| h - open));
        }
        if keep_ea {
            ws.ea.clear();
            ws.ea.extend_from_slice(&ws.e);
            ws.ebit.clear();
            // parasail marks E in column 0 as opened.
            ws.ebit.resize(m, E_OPEN);
        }
    }
    if span.save_every > 0 {
        ws.ckpt.clear();
    }

    let mut best = 0i64;
    let mut out = KernelOut {
        score: 0,
        end_query: m - 1,
        end_ref: reference.len() - 1,
        empty: LOCAL,
    };
    let Workspace {
        profile,
        h,
        e,
        ea,
        ebit,
        trace,
        ckpt,
        ..
    } = ws;
    let (h, e) = (&mut h[..m], &mut e[..m]);

    for (j, &c) in reference.iter().enumerate() {
        if span.is_checkpoint(span.j0 + j) {
            for v in [&*h, &*e, &ea[..]] {
                ckpt.extend_from_slice(v);
            }
            ckpt.extend(ebit.iter().map(|&b| i64::from(b)));
        }
        let prof = &profile[c as usize * m..(c as usize + 1) * m];
        // H(-1, j-1) feeds row 0's diagonal; H(-1, j) is the cell above row 0.
        let (mut h_diag, top) = p.border::<LOCAL>(span.j0 + j);
        let mut h_up = top;
        // Starting F at minus infinity makes row 0 open from the top border (F_OPEN set).
        let mut ft = NEG;
        let mut col_max = NEG;
        let col: &mut [u8] = if TRACE {
            &mut trace[j * m..(j + 1) * m]
        } else {
            &mut []
        };
        let mut start = 0;
        while start < m {
            let stop = (start + seg).min(m);
            // Stripe-local F restarts at minus infinity in every stripe (its exact value
            // there never matters: it only competes inside `hfp`, where it cannot win).
            let mut fp = fp_reset;
            let mut hfp_up = NEG;
            for r in start..stop {
                let h_left = h[r];
                let mut hd = h_diag + prof[r];
                if LOCAL {
                    hd = max(hd, 0);
                }
                h_diag = h_left;
                // True F, from the final H above.
                let f_open = h_up - open;
                let f_ext = ft - ext;
                ft = f_open.max(f_ext);
                // Stripe-local F, from first-pass H.
                fp = (hfp_up - open).max(fp - ext);
                let e_cur = e[r];
                let hfp = max(hd, e_cur).max(fp);
                let hv = hfp.max(ft);
                e[r] = max(hfp - open, e_cur - ext);
                if TRACE {
                    let state = if hv == hd {
                        if LOCAL && hv == 0 {
                            ZERO
                        } else {
                            DIAG
                        }
                    } else if hv == ft {
                        DEL
                    } else {
                        INS
                    };
                    let e_open = hv - open;
                    let e_ext = ea[r] - ext;
                    ea[r] = max(e_open, e_ext);
                    col[r] = state | ebit[r] | if f_open > f_ext { F_OPEN } else { 0 };
                    ebit[r] = if e_open > e_ext { E_OPEN } else { 0 };
                } else if keep_ea {
                    let e_open = hv - open;
                    let e_ext = ea[r] - ext;
                    ea[r] = max(e_open, e_ext);
                    ebit[r] = if e_open > e_ext { E_OPEN } else { 0 };
                }
                h[r] = hv;
                h_up = hv;
                hfp_up = hfp;
                if LOCAL {
                    col_max = max(col_max, hv);
                }
            }
            start = stop;
        }
        // parasail keeps the first column whose maximum beats every earlier one, and in it
        // the first (smallest) query row holding that maximum.
        if LOCAL && col_max > best {
            best = col_max;
            out.score = best;
            out.end_ref = j;
            // Rare (the running maximum only grows), so a rescan is cheaper than tracking
            // the row inside the hot loop.
            out.end_query = h.iter().position(|&v| v == best).unwrap_or(m - 1);
            out.empty = false;
        }
    }
    if !LOCAL {
        out.score = h[m - 1];
    }
    out
}
