//! Symmetric per-row int8 quantisation and the integer dot-product kernels of the first pass.
//!
//! A row `v` (in the two-pass search: the unit vector `x / |x|` for cosine, `x` itself for
//! euclidean, minus the reference mean) is stored as codes `c = round(v / h)` in `[-L, L]`
//! with step `h = max |v_i| / L` (an `f32`; `L` = 127, or 63 for the AVX2 kernel's queries,
//! see [`Int8Kernel::query_levels`]), so its reconstruction is `v' = h c` and its residual `e = v - v'` has a norm `|e|` that is computed
//! (in `f64`) and kept per row. For a query `q` and a reference `r`,
//! `q.r - q'.r' = q.e_r + e_q.r'`, hence by Cauchy-Schwarz
//! `|q.r - q'.r'| <= |q| |e_r| + |e_q| |r'|`: a bound that holds for every pair, whatever the
//! data. `q'.r' = h_q h_r (c_q . c_r)` and the integer dot product is exact, so the first
//! pass only adds the rounding of a few `f32` operations, covered by the slack in
//! [`crate::twopass`].
//!
//! Layout: query codes are stored row-major as `c + o` (`u8`, `o` the kernel's
//! [`Int8Kernel::query_offset`]), references in panels of
//! [`PANEL`] rows where the 4 codes of one "quad" of dimensions of the 16 rows are adjacent
//! (`[quad][row][4]`, 64 bytes per quad), the operand layout of `vpdpbusd` (u8 x i8 products,
//! summed by fours into `i32` lanes). Subtracting `o * sum(c_r)` undoes the `+ o`. Every
//! kernel computes the same exact integers from the same codes; the AVX2 kernel takes query
//! codes of 7 bits (`[-63, 63]`, see [`Int8Kernel::query_levels`]), which only widens the
//! bound, so the kernel choice never changes a result.

/// Reference rows per panel: one 512-bit vector of `i32` lanes.
pub(crate) const PANEL: usize = 16;
/// Queries per register block of the AVX-512 VNNI kernel.
const MR: usize = 6;
/// Queries per register block of the AVX2 kernel (2 x `MR_AVX2` accumulators, the panel's two
/// halves, the broadcast query quad, the constant and a product: 15 of 16 registers).
const MR_AVX2: usize = 5;
/// Panels per register block of the AVX-512 VNNI kernel (6 x 4 accumulators of 16 lanes).
const NP: usize = 4;

/// Which integer dot-product kernel computes the first pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Int8Kernel {
    /// AVX-512 VNNI `vpdpbusd` on 512-bit vectors (x86-64 with `avx512f` + `avx512vnni`).
    Avx512Vnni,
    /// AVX2 `vpmaddubsw` + `vpmaddwd` on 256-bit vectors, with 7-bit query codes.
    Avx2,
    /// Plain Rust loops for any CPU.
    Portable,
}

impl Int8Kernel {
    /// The fastest kernel this CPU supports.
    pub fn detect() -> Int8Kernel {
        [Int8Kernel::Avx512Vnni, Int8Kernel::Avx2]
            .into_iter()
            .find(|k| k.runs_here())
            .unwrap_or(Int8Kernel::Portable)
    }

    /// Whether this CPU has the instructions of the kernel.
    pub fn runs_here(self) -> bool {
        match self {
            Int8Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Avx512Vnni => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vnni")
            }
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Largest magnitude of a query code. `vpmaddubsw` adds two u8 x i8 products into a
    /// saturating `i16`: with unsigned query bytes up to 127 and reference codes within
    /// +-127 the sum (at most 32,258) is exact, so the AVX2 kernel's queries get 7-bit codes.
    /// The others take 8 bits (`vpdpbusd` sums into `i32`).
    pub(crate) fn query_levels(self) -> i32 {
        match self {
            Int8Kernel::Avx2 => 63,
            Int8Kernel::Avx512Vnni | Int8Kernel::Portable => 127,
        }
    }

    /// What is added to a query code to store it as `u8` (`query_levels + 1`, so that every
    /// stored byte is at least 1 and at most `2 query_levels + 1`).
    pub(crate) fn query_offset(self) -> i32 {
        self.query_levels() + 1
    }

    /// Smallest query batch for which [`crate::Strategy::Auto`] takes the two-pass path with
    /// this kernel (`None`: never). Quantising the reference costs the same whatever the
    /// batch, the int8 pass saves a fixed time per query and reference, so the break-even is a
    /// number of queries: measured about 300 with the AVX2 kernel on an AMD Zen 3 (the pass
    /// is 2x the f32 search there), a few dozen with VNNI (4-5x). Never for the AVX2 kernel
    /// on a CPU with AVX-512 F (and no VNNI): the f32 search runs 512-bit FMAs there, as fast
    /// as the 256-bit int8 pass at best.
    pub fn two_pass_min_queries(self) -> Option<usize> {
        match self {
            Int8Kernel::Avx512Vnni => Some(64),
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Avx2 if std::arch::is_x86_feature_detected!("avx512f") => None,
            Int8Kernel::Avx2 => Some(320),
            Int8Kernel::Portable => None,
        }
    }

    /// Short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Int8Kernel::Avx512Vnni => "int8-avx512vnni",
            Int8Kernel::Avx2 => "int8-avx2",
            Int8Kernel::Portable => "int8-portable",
        }
    }
}

/// Codes and error terms of one quantised row.
pub(crate) struct QuantRow {
    /// `h = max |v_i| / levels` (0 for a zero row).
    pub(crate) step: f32,
    /// `|v - h c|`, rounded up.
    pub(crate) residual: f64,
    /// `|h c|`, rounded up.
    pub(crate) recon_norm: f64,
    /// `sum c_i`.
    pub(crate) code_sum: i32,
}

/// Lanes of the manual reductions below: strict floating-point sums cannot be vectorised
/// by the compiler, eight independent partial sums can.
pub(crate) const LANES: usize = 8;

/// `sum f(x_i)` over `v` with [`LANES`] partial sums.
#[inline(always)]
pub(crate) fn lane_sum(v: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += f(x);
        }
    }
    acc.iter().sum::<f64>() + tail.iter().map(|&x| f(x)).sum::<f64>()
}

/// Quantises `v` into `codes` (length `v.len()`) in `[-levels, levels]` (`levels <= 127`),
/// given `max = max |v_i|` (computed by the caller in the pass that wrote `v`). The codes
/// are computed in `f32` (any codes are valid: the error terms are measured, not assumed),
/// the residual and reconstruction norms in `f64` against `v` itself.
#[inline(always)]
pub(crate) fn quantise_row(v: &[f64], max: f64, codes: &mut [i8], levels: i32) -> QuantRow {
    if max == 0.0 || !max.is_finite() {
        codes.fill(0);
        return QuantRow {
            step: 0.0,
            residual: lane_sum(v, |x| x * x).sqrt() * (1.0 + 1e-9),
            recon_norm: 0.0,
            code_sum: 0,
        };
    }
    debug_assert!((1..=127).contains(&levels));
    let top = levels as f32;
    let step = (max / f64::from(levels)) as f32;
    let inv = 1.0 / step;
    let h = f64::from(step);
    // Codes: round to nearest (ties to even) with the 1.5 * 2^23 trick, no libm call. `y` is
    // finite and within +-levels after the clamp, so the integer conversion cannot overflow.
    const ROUND: f32 = 12_582_912.0;
    for (c, &x) in codes.iter_mut().zip(v) {
        let y = (x as f32 * inv).clamp(-top, top);
        let r = (y + ROUND) - ROUND;
        // SAFETY: `r` is an integer value in [-levels, levels], representable as i32.
        *c = unsafe { r.to_int_unchecked::<i32>() } as i8;
    }
    let mut res = [0.0f64; LANES];
    let mut rec = [0.0f64; LANES];
    let mut sum = [0i32; LANES];
    let split = v.len() - v.len() % LANES;
    for (cs, xs) in codes[..split]
        .chunks_exact(LANES)
        .zip(v[..split].chunks_exact(LANES))
    {
        for l in 0..LANES {
            let q = i32::from(cs[l]);
            let r = h * f64::from(q);
            sum[l] += q;
            res[l] += (xs[l] - r) * (xs[l] - r);
            rec[l] += r * r;
        }
    }
    for (&c, &x) in codes[split..].iter().zip(&v[split..]) {
        let q = i32::from(c);
        let r = h * f64::from(q);
        sum[0] += q;
        res[0] += (x - r) * (x - r);
        rec[0] += r * r;
    }
    // The f64 sums are far more precise than needed; 1e-9 relative covers their rounding.
    QuantRow {
        step,
        residual: res.iter().sum::<f64>().sqrt() * (1.0 + 1e-9),
        recon_norm: rec.iter().sum::<f64>().sqrt() * (1.0 + 1e-9),
        code_sum: sum.iter().sum(),
    }
}

/// Reference rows quantised into panels (see the module docs).
pub(crate) struct QuantRefs {
    /// Dimension rounded up to a multiple of 4.
    pub(crate) dim4: usize,
    /// `ceil(rows / PANEL)` panels of `dim4 * PANEL` bytes.
    pub(crate) panels: Vec<i8>,
}

impl QuantRefs {
    /// Bytes of one panel.
    #[inline]
    pub(crate) fn panel_len(&self) -> usize {
        self.dim4 * PANEL
    }

    /// An all-zero matrix of `rows` rows, to be filled panel by panel with
    /// [`QuantRefs::store`].
    pub(crate) fn zeroed(rows: usize, dim: usize) -> QuantRefs {
        let dim4 = dim.div_ceil(4) * 4;
        QuantRefs {
            dim4,
            panels: vec![0; rows.div_ceil(PANEL) * dim4 * PANEL],
        }
    }

    /// The integer dot product of query codes `query` (`dim4` bytes, as [`tile`] takes them)
    /// with reference row `row`: one entry of a tile, computed alone.
    pub(crate) fn dot(&self, query: &[u8], row: usize) -> i32 {
        let plen = self.panel_len();
        let panel = &self.panels[(row / PANEL) * plen..(row / PANEL + 1) * plen];
        let lane = 4 * (row % PANEL);
        let mut acc = [0i32; 4];
        for (q, quad) in query.chunks_exact(4).zip(panel.chunks_exact(4 * PANEL)) {
            for (a, (&x, &y)) in acc.iter_mut().zip(q.iter().zip(&quad[lane..lane + 4])) {
                *a += i32::from(x) * i32::from(y);
            }
        }
        acc.iter().sum()
    }

    /// Writes the codes of row `lane` of a panel (`panel`: that panel's bytes).
    pub(crate) fn store(panel: &mut [i8], lane: usize, codes: &[i8]) {
        for (quad, four) in codes.chunks(4).enumerate() {
            let at = quad * 4 * PANEL + lane * 4;
            panel[at..at + four.len()].copy_from_slice(four);
        }
    }
}

/// Query codes as [`tile`] takes them (rows of `dim4` bytes), with the OR of all their bytes,
/// computed once: the AVX2 kernel needs every byte under 128, and checking that per tile
/// call would cost as much as a small stage of the pass.
#[derive(Clone, Copy)]
pub(crate) struct QueryCodes<'a> {
    bytes: &'a [u8],
    or: u8,
}

impl<'a> QueryCodes<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> QueryCodes<'a> {
        // A fold the compiler vectorises (an early-exit `all` it does not).
        let or = bytes.iter().fold(0u8, |acc, &x| acc | x);
        QueryCodes { bytes, or }
    }

    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// Query rows per register block of `kernel`'s tile walk (see [`RowBlocks`]).
pub(crate) fn block_rows(kernel: Int8Kernel) -> usize {
    match kernel {
        Int8Kernel::Avx512Vnni => MR,
        Int8Kernel::Avx2 => MR_AVX2,
        Int8Kernel::Portable => 1,
    }
}

/// The query rows of a tile in register blocks as the kernels walk them: blocks of `rows`
/// while they fill one, then the remaining rows one by one. A block is the unit that
/// [`tile`]'s `live` flags switch on or off (with one panel).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowBlocks {
    rows: usize,
    m: usize,
}

impl RowBlocks {
    pub(crate) fn new(rows: usize, m: usize) -> RowBlocks {
        RowBlocks { rows, m }
    }

    fn full(&self) -> usize {
        self.m / self.rows
    }

    /// Number of blocks.
    pub(crate) fn count(&self) -> usize {
        self.full() + self.m % self.rows
    }

    /// The query rows of block `b`.
    pub(crate) fn rows(&self, b: usize) -> std::ops::Range<usize> {
        if b < self.full() {
            b * self.rows..(b + 1) * self.rows
        } else {
            let i = self.full() * self.rows + (b - self.full());
            i..i + 1
        }
    }

    /// The block of query row `i`.
    pub(crate) fn of(&self, i: usize) -> usize {
        let end = self.full() * self.rows;
        if i < end {
            i / self.rows
        } else {
            self.full() + (i - end)
        }
    }
}

/// `out[i * ld + j] (+)= sum_d qcodes[i][d] * panel code of reference j` over the quads `quads`
/// (dimensions `4 quads.start .. 4 quads.end`; from quad 0 it writes `out`, from a later
/// quad it adds to what `out` holds), for the `m` query rows of `queries` (row stride `dim4`,
/// `u8` codes, at most 127 for [`Int8Kernel::Avx2`], the first `m * dim4` of them
/// if there are more) and all `PANEL` rows of every panel in
/// `panels` (a whole number of panels of `dim4 * PANEL` bytes, codes within +-127); `out`
/// holds at least `m` rows of `ld >= PANEL * panels` values. With `live` (one flag per
/// [`RowBlocks`] block of [`block_rows`] rows and panel, `live[b * panels + p]`), only the
/// blocks whose flag is set are computed; the others keep what `out` held.
#[allow(clippy::too_many_arguments)]
pub(crate) fn tile(
    kernel: Int8Kernel,
    queries: &QueryCodes,
    m: usize,
    panels: &[i8],
    dim4: usize,
    quads: std::ops::Range<usize>,
    out: &mut [i32],
    ld: usize,
    live: Option<&[bool]>,
) {
    let (queries, or) = (queries.bytes, queries.or);
    assert!(dim4.is_multiple_of(4) && dim4 > 0 && queries.len() >= m * dim4);
    assert!(quads.start < quads.end && quads.end <= dim4 / 4);
    assert!(panels.len().is_multiple_of(dim4 * PANEL));
    let np = panels.len() / (dim4 * PANEL);
    assert!(ld >= np * PANEL && (m == 0 || out.len() >= (m - 1) * ld + np * PANEL));
    if let Some(live) = live {
        assert_eq!(
            live.len(),
            RowBlocks::new(block_rows(kernel), m).count() * np
        );
    }
    let walk = Walk {
        m,
        np,
        dim4,
        quads,
        ld,
        live,
    };
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Int8Kernel::Avx512Vnni => {
            assert!(
                kernel.runs_here(),
                "AVX-512 VNNI kernel requested on a CPU without it"
            );
            // SAFETY: the features were just checked; the asserts above bound every access.
            unsafe { vnni::tile(queries, panels, out, &walk) }
        }
        #[cfg(target_arch = "x86_64")]
        Int8Kernel::Avx2 => {
            assert!(
                kernel.runs_here(),
                "AVX2 kernel requested on a CPU without it"
            );
            // Larger bytes would saturate `vpmaddubsw` silently.
            assert!(or < 128, "the AVX2 kernel takes query bytes up to 127 only");
            // SAFETY: AVX2 was just checked; the asserts above bound every access.
            unsafe { avx2::tile(queries, panels, out, &walk) }
        }
        _ => tile_portable(queries, panels, out, &walk),
    }
}

/// What [`tile`] computes: `m` query rows x `np` panels, over `quads`, into `out` of row
/// stride `ld`, the blocks `live` allows.
struct Walk<'a> {
    m: usize,
    np: usize,
    dim4: usize,
    quads: std::ops::Range<usize>,
    ld: usize,
    live: Option<&'a [bool]>,
}

impl Walk<'_> {
    /// Whether the quads add to what `out` holds.
    fn accumulate(&self) -> bool {
        self.quads.start > 0
    }
}

/// The reference kernel: plain loops the compiler vectorises over the 16 lanes.
#[inline(always)]
fn tile_portable(queries: &[u8], panels: &[i8], out: &mut [i32], walk: &Walk) {
    let (dim4, ld) = (walk.dim4, walk.ld);
    let plen = dim4 * PANEL;
    let (s0, s1) = (walk.quads.start, walk.quads.end);
    for_each_block(walk, 1, 1, |i, p, _, _| {
        let q = &queries[i * dim4 + 4 * s0..i * dim4 + 4 * s1];
        let panel = &panels[p * plen + 4 * PANEL * s0..p * plen + 4 * PANEL * s1];
        let o = &mut out[i * ld + p * PANEL..i * ld + (p + 1) * PANEL];
        let mut acc = [0i32; PANEL];
        if walk.accumulate() {
            acc.copy_from_slice(o);
        }
        for (qq, block) in q.chunks_exact(4).zip(panel.chunks_exact(4 * PANEL)) {
            for (lane, a) in acc.iter_mut().enumerate() {
                let b = &block[lane * 4..lane * 4 + 4];
                *a += i32::from(qq[0]) * i32::from(b[0])
                    + i32::from(qq[1]) * i32::from(b[1])
                    + i32::from(qq[2]) * i32::from(b[2])
                    + i32::from(qq[3]) * i32::from(b[3]);
            }
        }
        o.copy_from_slice(&acc);
    });
}

/// Walks a tile's register blocks: `f(i, j, full_rows, full_panels)` for query rows from
/// `i` and panels from `j`, rows in blocks of `rows` while they fill one (`full_rows`), then
/// one by one, and likewise panels in blocks of `panels`, skipping the (row block, panel)s
/// whose `live` flag is off (a block of panels runs whole only where all are live).
#[inline(always)]
fn for_each_block(
    walk: &Walk,
    rows: usize,
    panels: usize,
    mut f: impl FnMut(usize, usize, bool, bool),
) {
    let (m, np) = (walk.m, walk.np);
    let live = |b: usize, j: usize| walk.live.is_none_or(|l| l[b * np + j]);
    let (mut i, mut b) = (0, 0);
    while i < m {
        let full_rows = i + rows <= m;
        let mut j = 0;
        while j < np {
            if j + panels <= np && (j..j + panels).all(|jj| live(b, jj)) {
                f(i, j, full_rows, true);
                j += panels;
            } else {
                if live(b, j) {
                    f(i, j, full_rows, false);
                }
                j += 1;
            }
        }
        i += if full_rows { rows } else { 1 };
        b += 1;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Walk, MR_AVX2, PANEL};

    /// `R` query rows x one panel, quads `s0..s1`: broadcast 4 query bytes; `vpmaddubsw`
    /// against each half of the panel's 64 bytes of that quad (rows 0-7, rows 8-15) sums
    /// products by pairs into `i16` (exact for query bytes up to 127), `vpmaddwd` by ones sums
    /// the pairs into the row's `i32` lane. Starts from zero, or from `out` (`accumulate`).
    ///
    /// # Safety
    /// AVX2 available; `q` has `R` rows of stride `dim4` with bytes at most 127, `p` one
    /// panel of `dim4 * PANEL` bytes, `out` `R` rows of stride `ld` and `PANEL` columns,
    /// `s1 <= dim4 / 4`.
    #[inline]
    #[target_feature(enable = "avx2")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block<const R: usize>(
        q: *const u8,
        p: *const i8,
        dim4: usize,
        (s0, s1): (usize, usize),
        out: *mut i32,
        ld: usize,
        accumulate: bool,
    ) {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_si256(); 2]; R];
        if accumulate {
            for (i, row) in acc.iter_mut().enumerate() {
                for (h, x) in row.iter_mut().enumerate() {
                    // SAFETY: row i, columns 8h..8h+8 of `out`, inside by the contract.
                    *x = unsafe { _mm256_loadu_si256(out.add(i * ld + h * 8).cast()) };
                }
            }
        }
        for s in s0..s1 {
            // SAFETY: quad s of the panel is inside `p` by the caller's contract.
            let (lo, hi) = unsafe {
                (
                    _mm256_loadu_si256(p.add(s * 64).cast()),
                    _mm256_loadu_si256(p.add(s * 64 + 32).cast()),
                )
            };
            for (i, row) in acc.iter_mut().enumerate() {
                // SAFETY: 4 bytes of query row i at quad s, inside `q`.
                let a = _mm256_set1_epi32(unsafe {
                    q.add(i * dim4 + s * 4).cast::<i32>().read_unaligned()
                });
                row[0] =
                    _mm256_add_epi32(row[0], _mm256_madd_epi16(_mm256_maddubs_epi16(a, lo), ones));
                row[1] =
                    _mm256_add_epi32(row[1], _mm256_madd_epi16(_mm256_maddubs_epi16(a, hi), ones));
            }
        }
        for (i, row) in acc.iter().enumerate() {
            for (h, x) in row.iter().enumerate() {
                // SAFETY: row i, columns 8h..8h+8 of `out`, inside by the contract.
                unsafe { _mm256_storeu_si256(out.add(i * ld + h * 8).cast(), *x) };
            }
        }
    }

    /// The walk's blocks of `MR_AVX2` query rows against each panel, then the remaining rows
    /// one by one.
    ///
    /// # Safety
    /// AVX2 available; slice sizes as asserted by [`super::tile`], query bytes at most 127.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn tile(queries: &[u8], panels: &[i8], out: &mut [i32], walk: &Walk) {
        let (dim4, ld) = (walk.dim4, walk.ld);
        let plen = dim4 * PANEL;
        let quads = (walk.quads.start, walk.quads.end);
        let accumulate = walk.accumulate();
        let (q, p, o) = (queries.as_ptr(), panels.as_ptr(), out.as_mut_ptr());
        super::for_each_block(walk, MR_AVX2, 1, |i, j, full_rows, _| {
            // SAFETY: rows i..i+R <= m and panel j < np stay inside the slices whose sizes
            // `super::tile` asserted.
            unsafe {
                let (q, p, o) = (q.add(i * dim4), p.add(j * plen), o.add(i * ld + j * PANEL));
                if full_rows {
                    block::<MR_AVX2>(q, p, dim4, quads, o, ld, accumulate)
                } else {
                    block::<1>(q, p, dim4, quads, o, ld, accumulate)
                }
            }
        });
    }
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::{Walk, MR, NP, PANEL};

    /// `R` query rows x `P` panels, quads `s0..s1`: broadcast 4 query bytes, `vpdpbusd`
    /// against each panel's 64 bytes of that quad. Starts from zero, or from `out`
    /// (`accumulate`).
    ///
    /// # Safety
    /// AVX-512 F + VNNI available; `q` has `R` rows of stride `dim4`, `p` has `P` panels of
    /// stride `dim4 * PANEL`, `out` has `R` rows of stride `ld` and `P * PANEL` columns,
    /// `s1 <= dim4 / 4`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512vnni")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block<const R: usize, const P: usize>(
        q: *const u8,
        p: *const i8,
        dim4: usize,
        (s0, s1): (usize, usize),
        out: *mut i32,
        ld: usize,
        accumulate: bool,
    ) {
        let plen = dim4 * PANEL;
        let mut acc = [[_mm512_setzero_si512(); P]; R];
        if accumulate {
            for (i, row) in acc.iter_mut().enumerate() {
                for (j, x) in row.iter_mut().enumerate() {
                    // SAFETY: row i, columns j*16..j*16+16 of `out`, inside by the contract.
                    *x = unsafe { _mm512_loadu_si512(out.add(i * ld + j * PANEL).cast()) };
                }
            }
        }
        for s in s0..s1 {
            let mut b = [_mm512_setzero_si512(); P];
            for (j, bj) in b.iter_mut().enumerate() {
                // SAFETY: panel j, quad s is inside `p` by the caller's contract.
                *bj = unsafe { _mm512_loadu_si512(p.add(j * plen + s * 64).cast()) };
            }
            for (i, row) in acc.iter_mut().enumerate() {
                // SAFETY: 4 bytes of query row i at quad s, inside `q`.
                let a = _mm512_set1_epi32(unsafe {
                    q.add(i * dim4 + s * 4).cast::<i32>().read_unaligned()
                });
                for (x, bj) in row.iter_mut().zip(&b) {
                    *x = _mm512_dpbusd_epi32(*x, a, *bj);
                }
            }
        }
        for (i, row) in acc.iter().enumerate() {
            for (j, x) in row.iter().enumerate() {
                // SAFETY: row i, columns j*16..j*16+16 of `out`, inside by the contract.
                unsafe { _mm512_storeu_si512(out.add(i * ld + j * PANEL).cast(), *x) };
            }
        }
    }

    /// The walk's `MR x NP` register blocks, then the remainders.
    ///
    /// # Safety
    /// AVX-512 F + VNNI available; slice sizes as asserted by [`super::tile`].
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub(super) unsafe fn tile(queries: &[u8], panels: &[i8], out: &mut [i32], walk: &Walk) {
        let (dim4, ld) = (walk.dim4, walk.ld);
        let plen = dim4 * PANEL;
        let quads = (walk.quads.start, walk.quads.end);
        let accumulate = walk.accumulate();
        let (q, p, o) = (queries.as_ptr(), panels.as_ptr(), out.as_mut_ptr());
        super::for_each_block(walk, MR, NP, |i, j, full_rows, full_panels| {
            // SAFETY: rows i..i+R <= m and panels j..j+P <= np stay inside the slices whose
            // sizes `super::tile` asserted.
            unsafe {
                let (q, p, o) = (q.add(i * dim4), p.add(j * plen), o.add(i * ld + j * PANEL));
                match (full_rows, full_panels) {
                    (true, true) => block::<MR, NP>(q, p, dim4, quads, o, ld, accumulate),
                    (true, false) => block::<MR, 1>(q, p, dim4, quads, o, ld, accumulate),
                    (false, true) => block::<1, NP>(q, p, dim4, quads, o, ld, accumulate),
                    (false, false) => block::<1, 1>(q, p, dim4, quads, o, ld, accumulate),
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kernel against plain integer arithmetic, with the query codes of each width (8
    /// and 7 bits, stored with the offset the kernel of that width states), on random codes
    /// plus rows at the extremes: query bytes at the top (`2 levels + 1`) and bottom (1), in
    /// the first register block and in the remainder rows, against reference rows of all +127
    /// and all -127 in both halves of a panel and in the last, partial panel, where
    /// `vpmaddubsw`'s `i16` pair sums are largest.
    #[test]
    fn kernels_compute_the_same_exact_integers() {
        let dim = 37; // not a multiple of 4: exercises the zero padding
        let rows = 53; // 4 panels, the last one partial
        let m = 13; // two blocks of MR and of MR_AVX2, and remainders
        let mut refs = QuantRefs::zeroed(rows, dim);
        let plen = refs.panel_len();
        let mut seed = 12345u64;
        let mut next = |range: i64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % (2 * range as u64 + 1)) as i64 - range
        };
        let mut codes = vec![vec![0i8; dim]; rows];
        for (r, c) in codes.iter_mut().enumerate() {
            match r {
                0 | 9 | 50 => c.fill(127),
                1 | 14 | 24 => c.fill(-127),
                _ => c.iter_mut().for_each(|x| *x = next(127) as i8),
            }
            QuantRefs::store(&mut refs.panels[(r / PANEL) * plen..][..plen], r % PANEL, c);
        }
        let dim4 = refs.dim4;
        let np = rows.div_ceil(PANEL);
        let ld = np * PANEL;
        let available: Vec<Int8Kernel> = [
            Int8Kernel::Portable,
            Int8Kernel::Avx2,
            Int8Kernel::Avx512Vnni,
        ]
        .into_iter()
        .filter(|k| k.runs_here())
        .collect();
        let mut checked = Vec::new();
        // The portable kernel's codes are 8-bit (as VNNI's), the AVX2 kernel's 7-bit.
        for coding in [Int8Kernel::Portable, Int8Kernel::Avx2] {
            let (levels, offset) = (coding.query_levels(), coding.query_offset());
            let mut qcodes = vec![0i8; m * dim];
            for (i, row) in qcodes.chunks_mut(dim).enumerate() {
                match i {
                    0 | 12 => row.fill(levels as i8),
                    1 | 11 => row.fill(-levels as i8),
                    _ => row
                        .iter_mut()
                        .for_each(|x| *x = next(i64::from(levels)) as i8),
                }
            }
            let mut qu8 = vec![offset as u8; m * dim4];
            for i in 0..m {
                for d in 0..dim {
                    qu8[i * dim4 + d] = (i32::from(qcodes[i * dim + d]) + offset) as u8;
                }
            }
            let mut want = vec![0i32; m * ld];
            for i in 0..m {
                for (r, c) in codes.iter().enumerate() {
                    let dot: i32 = (0..dim)
                        .map(|d| i32::from(qcodes[i * dim + d]) * i32::from(c[d]))
                        .sum();
                    let sum: i32 = c.iter().map(|&x| i32::from(x)).sum();
                    want[i * ld + r] = dot + offset * sum;
                }
            }
            // A kernel takes the codes of its own width and any narrower ones.
            let codes = QueryCodes::new(&qu8);
            for &kernel in available.iter().filter(|k| k.query_levels() >= levels) {
                let mut out = vec![0i32; m * ld];
                tile(
                    kernel,
                    &codes,
                    m,
                    &refs.panels,
                    dim4,
                    0..dim4 / 4,
                    &mut out,
                    ld,
                    None,
                );
                for i in 0..m {
                    assert_eq!(
                        out[i * ld..i * ld + rows],
                        want[i * ld..i * ld + rows],
                        "{kernel:?} with {levels}-level codes, row {i}"
                    );
                }
                // In three stages of quads, the later two on the blocks `live` keeps: those
                // blocks hold the whole sums, the others what the first stage left.
                let blocks = RowBlocks::new(block_rows(kernel), m);
                let live: Vec<bool> = (0..blocks.count() * np).map(|x| x % 3 != 1).collect();
                let mut staged = vec![-1i32; m * ld];
                let (a, b) = (2, dim4 / 4 - 1);
                let run = |quads, out: &mut [i32], live| {
                    tile(
                        kernel,
                        &QueryCodes::new(&qu8),
                        m,
                        &refs.panels,
                        dim4,
                        quads,
                        out,
                        ld,
                        live,
                    )
                };
                run(0..a, &mut staged, None);
                let first = staged.clone();
                run(a..b, &mut staged, Some(&live));
                run(b..dim4 / 4, &mut staged, Some(&live));
                for i in 0..m {
                    for r in 0..rows {
                        let x = if live[blocks.of(i) * np + r / PANEL] {
                            want[i * ld + r]
                        } else {
                            first[i * ld + r]
                        };
                        assert_eq!(staged[i * ld + r], x, "{kernel:?} staged, row {i}, ref {r}");
                    }
                }
                checked.push((kernel, levels));
            }
        }
        assert!(
            checked.contains(&(Int8Kernel::Avx2, 63)) || !Int8Kernel::Avx2.runs_here(),
            "the AVX2 kernel was not checked"
        );
    }

    /// The block walk covers every (query row, panel) of a tile exactly once, with full blocks
    /// wherever they fit (the VNNI kernel's 6 x 4 and the AVX2 kernel's 5 x 1 shapes), and
    /// with `live` flags exactly the live ones, in the blocks [`RowBlocks`] numbers.
    #[test]
    fn block_walk_covers_the_tile_once() {
        for (m, np, rows, panels) in [
            (13, 9, MR, NP),
            (13, 9, MR_AVX2, 1),
            (4, 3, MR, NP),
            (0, 2, 5, 1),
            (7, 5, 1, 1),
        ] {
            let blocks = RowBlocks::new(rows, m);
            let flags: Vec<bool> = (0..blocks.count() * np).map(|x| x % 5 != 2).collect();
            for live in [None, Some(&flags[..])] {
                let walk = Walk {
                    m,
                    np,
                    dim4: 4,
                    quads: 0..1,
                    ld: np * PANEL,
                    live,
                };
                let mut seen = vec![0u32; m * np];
                for_each_block(&walk, rows, panels, |i, j, full_rows, full_panels| {
                    let r = if full_rows { rows } else { 1 };
                    let p = if full_panels { panels } else { 1 };
                    assert!(i + r <= m && j + p <= np);
                    assert_eq!(full_rows, i + rows <= m);
                    assert_eq!(blocks.rows(blocks.of(i)), i..i + r);
                    for ii in i..i + r {
                        for jj in j..j + p {
                            seen[ii * np + jj] += 1;
                        }
                    }
                });
                for i in 0..m {
                    for j in 0..np {
                        let want = live.is_none_or(|l| l[blocks.of(i) * np + j]);
                        assert_eq!(
                            seen[i * np + j],
                            u32::from(want),
                            "{m} x {np} in {rows} x {panels}, live {}: ({i}, {j})",
                            live.is_some()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn quantisation_error_is_what_the_bound_uses() {
        let v: Vec<f64> = (0..50)
            .map(|i| ((i * 7919) % 101) as f64 / 101.0 - 0.5)
            .collect();
        let mut c = vec![0i8; 50];
        let max = v.iter().fold(0.0f64, |a, &x| a.max(x.abs()));
        let q = quantise_row(&v, max, &mut c, 127);
        let h = f64::from(q.step);
        let res: f64 = v
            .iter()
            .zip(&c)
            .map(|(&x, &ci)| (x - h * f64::from(ci)).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(res <= q.residual && q.residual <= res * (1.0 + 1e-6));
        assert!(c.iter().any(|&x| x.abs() == 127));
        assert_eq!(q.code_sum, c.iter().map(|&x| i32::from(x)).sum::<i32>());
        let zero = quantise_row(&[0.0; 4], 0.0, &mut c[..4], 127);
        assert_eq!((zero.step, zero.residual, zero.code_sum), (0.0, 0.0, 0));
    }
}
