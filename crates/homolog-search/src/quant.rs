//! Symmetric per-row int8 quantisation and the integer dot-product kernels of the first pass.
//!
//! A row `v` (in the two-pass search: the unit vector `x / |x|` for cosine, `x` itself for
//! euclidean, minus the reference mean) is stored as
//! codes `c = round(v / h)` in `[-127, 127]` with step `h = max |v_i| / 127` (an `f32`), so its
//! reconstruction is `v' = h c` and its residual `e = v - v'` has a norm `|e|` that is computed
//! (in `f64`) and kept per row. For a query `q` and a reference `r`,
//! `q.r - q'.r' = q.e_r + e_q.r'`, hence by Cauchy-Schwarz
//! `|q.r - q'.r'| <= |q| |e_r| + |e_q| |r'|`: a bound that holds for every pair, whatever the
//! data. `q'.r' = h_q h_r (c_q . c_r)` and the integer dot product is exact, so the first
//! pass only adds the rounding of a few `f32` operations, covered by the slack in
//! [`crate::twopass`].
//!
//! Layout: query codes are stored row-major as `c + 128` (`u8`), references in panels of
//! [`PANEL`] rows where the 4 codes of one "quad" of dimensions of the 16 rows are adjacent
//! (`[quad][row][4]`, 64 bytes per quad), the operand layout of `vpdpbusd` (u8 x i8 products,
//! summed by fours into `i32` lanes). Subtracting `128 * sum(c_r)` undoes the `+ 128`. Every
//! kernel computes the same exact integers, so the kernel choice never changes a result.

/// Reference rows per panel: one 512-bit vector of `i32` lanes.
pub(crate) const PANEL: usize = 16;
/// Queries per register block of the AVX-512 VNNI kernel.
const MR: usize = 6;
/// Panels per register block of the AVX-512 VNNI kernel (6 x 4 accumulators of 16 lanes).
const NP: usize = 4;

/// Which integer dot-product kernel computes the first pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Int8Kernel {
    /// AVX-512 VNNI `vpdpbusd` on 512-bit vectors (x86-64 with `avx512f` + `avx512vnni`).
    Avx512Vnni,
    /// Plain Rust loops compiled for AVX2 (vectorised by the compiler).
    Avx2,
    /// Plain Rust loops for any CPU.
    Portable,
}

impl Int8Kernel {
    /// The fastest kernel this CPU supports.
    pub fn detect() -> Int8Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Int8Kernel::Avx512Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Int8Kernel::Avx2;
            }
        }
        Int8Kernel::Portable
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
    /// `h = max |v_i| / 127` (0 for a zero row).
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
const LANES: usize = 8;

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

/// Quantises `v` into `codes` (length `v.len()`). The codes are computed in `f32` (any codes
/// are valid: the error terms are measured, not assumed), the residual and reconstruction
/// norms in `f64` against `v` itself.
#[inline(always)]
pub(crate) fn quantise_row(v: &[f64], codes: &mut [i8]) -> QuantRow {
    let mut m = [0.0f64; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &x) in m.iter_mut().zip(c) {
            *a = a.max(x.abs());
        }
    }
    for &x in tail {
        m[0] = m[0].max(x.abs());
    }
    let max = m.iter().fold(0.0f64, |a, &b| a.max(b));
    if max == 0.0 || !max.is_finite() {
        codes.fill(0);
        return QuantRow {
            step: 0.0,
            residual: lane_sum(v, |x| x * x).sqrt() * (1.0 + 1e-9),
            recon_norm: 0.0,
            code_sum: 0,
        };
    }
    let step = (max / 127.0) as f32;
    let inv = 1.0 / step;
    let h = f64::from(step);
    // Codes: round to nearest (ties to even) with the 1.5 * 2^23 trick, no libm call. `y` is
    // finite and within +-127 after the clamp, so the integer conversion cannot overflow.
    const ROUND: f32 = 12_582_912.0;
    for (c, &x) in codes.iter_mut().zip(v) {
        let y = (x as f32 * inv).clamp(-127.0, 127.0);
        let r = (y + ROUND) - ROUND;
        // SAFETY: `r` is an integer value in [-127, 127], representable as i32.
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

    /// An all-zero matrix of `rows` rows, to be filled with [`QuantRefs::panel_mut`].
    pub(crate) fn zeroed(rows: usize, dim: usize) -> QuantRefs {
        let dim4 = dim.div_ceil(4) * 4;
        QuantRefs {
            dim4,
            panels: vec![0; rows.div_ceil(PANEL) * dim4 * PANEL],
        }
    }

    /// Writes the codes of row `lane` of a panel (`panel`: that panel's bytes).
    pub(crate) fn store(panel: &mut [i8], lane: usize, codes: &[i8]) {
        for (quad, four) in codes.chunks(4).enumerate() {
            let at = quad * 4 * PANEL + lane * 4;
            panel[at..at + four.len()].copy_from_slice(four);
        }
    }
}

/// `out[i * ld + j] = sum_d qcodes[i][d] * panel code of reference j`, for the `m` query rows
/// of `queries` (row stride `dim4`, `u8` codes) and all `PANEL` rows of every panel in
/// `panels` (a whole number of panels of `dim4 * PANEL` bytes); `out` holds at least `m` rows
/// of `ld >= PANEL * panels` values.
pub(crate) fn tile(
    kernel: Int8Kernel,
    queries: &[u8],
    m: usize,
    panels: &[i8],
    dim4: usize,
    out: &mut [i32],
    ld: usize,
) {
    assert!(dim4.is_multiple_of(4) && dim4 > 0 && queries.len() >= m * dim4);
    assert!(panels.len().is_multiple_of(dim4 * PANEL));
    let np = panels.len() / (dim4 * PANEL);
    assert!(ld >= np * PANEL && (m == 0 || out.len() >= (m - 1) * ld + np * PANEL));
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Int8Kernel::Avx512Vnni => {
            assert!(
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vnni"),
                "AVX-512 VNNI kernel requested on a CPU without it"
            );
            // SAFETY: the features were just checked; the asserts above bound every access.
            unsafe { vnni::tile(queries, m, panels, np, dim4, out, ld) }
        }
        #[cfg(target_arch = "x86_64")]
        Int8Kernel::Avx2 if std::arch::is_x86_feature_detected!("avx2") => {
            // SAFETY: AVX2 was just checked; the function is plain safe Rust otherwise.
            unsafe { tile_avx2(queries, m, panels, np, dim4, out, ld) }
        }
        _ => tile_portable(queries, m, panels, np, dim4, out, ld),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn tile_avx2(
    queries: &[u8],
    m: usize,
    panels: &[i8],
    np: usize,
    dim4: usize,
    out: &mut [i32],
    ld: usize,
) {
    tile_portable(queries, m, panels, np, dim4, out, ld)
}

/// The reference kernel: plain loops the compiler vectorises over the 16 lanes.
#[inline(always)]
fn tile_portable(
    queries: &[u8],
    m: usize,
    panels: &[i8],
    np: usize,
    dim4: usize,
    out: &mut [i32],
    ld: usize,
) {
    let plen = dim4 * PANEL;
    for i in 0..m {
        let q = &queries[i * dim4..(i + 1) * dim4];
        for p in 0..np {
            let panel = &panels[p * plen..(p + 1) * plen];
            let mut acc = [0i32; PANEL];
            for (qq, block) in q.chunks_exact(4).zip(panel.chunks_exact(4 * PANEL)) {
                for (lane, a) in acc.iter_mut().enumerate() {
                    let b = &block[lane * 4..lane * 4 + 4];
                    *a += i32::from(qq[0]) * i32::from(b[0])
                        + i32::from(qq[1]) * i32::from(b[1])
                        + i32::from(qq[2]) * i32::from(b[2])
                        + i32::from(qq[3]) * i32::from(b[3]);
                }
            }
            out[i * ld + p * PANEL..i * ld + (p + 1) * PANEL].copy_from_slice(&acc);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::{MR, NP, PANEL};

    /// `R` query rows x `P` panels, all quads: broadcast 4 query bytes, `vpdpbusd` against
    /// each panel's 64 bytes of that quad.
    ///
    /// # Safety
    /// AVX-512 F + VNNI available; `q` has `R` rows of stride `dim4`, `p` has `P` panels of
    /// stride `dim4 * PANEL`, `out` has `R` rows of stride `ld` and `P * PANEL` columns.
    #[inline]
    #[target_feature(enable = "avx512f,avx512vnni")]
    unsafe fn block<const R: usize, const P: usize>(
        q: *const u8,
        p: *const i8,
        dim4: usize,
        out: *mut i32,
        ld: usize,
    ) {
        let plen = dim4 * PANEL;
        let mut acc = [[_mm512_setzero_si512(); P]; R];
        for s in 0..dim4 / 4 {
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

    /// Whole tile: `MR x NP` register blocks, then the remainders.
    ///
    /// # Safety
    /// AVX-512 F + VNNI available; slice sizes as asserted by [`super::tile`].
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub(super) unsafe fn tile(
        queries: &[u8],
        m: usize,
        panels: &[i8],
        np: usize,
        dim4: usize,
        out: &mut [i32],
        ld: usize,
    ) {
        let plen = dim4 * PANEL;
        let (q, p, o) = (queries.as_ptr(), panels.as_ptr(), out.as_mut_ptr());
        let mut i = 0;
        // SAFETY (all calls below): rows i..i+R < m and panels j..j+P <= np stay inside the
        // slices whose sizes `super::tile` asserted.
        while i + MR <= m {
            let mut j = 0;
            while j + NP <= np {
                unsafe {
                    block::<MR, NP>(
                        q.add(i * dim4),
                        p.add(j * plen),
                        dim4,
                        o.add(i * ld + j * PANEL),
                        ld,
                    )
                };
                j += NP;
            }
            while j < np {
                unsafe {
                    block::<MR, 1>(
                        q.add(i * dim4),
                        p.add(j * plen),
                        dim4,
                        o.add(i * ld + j * PANEL),
                        ld,
                    )
                };
                j += 1;
            }
            i += MR;
        }
        while i < m {
            let mut j = 0;
            while j + NP <= np {
                unsafe {
                    block::<1, NP>(
                        q.add(i * dim4),
                        p.add(j * plen),
                        dim4,
                        o.add(i * ld + j * PANEL),
                        ld,
                    )
                };
                j += NP;
            }
            while j < np {
                unsafe {
                    block::<1, 1>(
                        q.add(i * dim4),
                        p.add(j * plen),
                        dim4,
                        o.add(i * ld + j * PANEL),
                        ld,
                    )
                };
                j += 1;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_compute_the_same_exact_integers() {
        let dim = 37; // not a multiple of 4: exercises the zero padding
        let rows = 53; // 4 panels, the last one partial
        let m = 13; // two MR blocks and a remainder
        let mut refs = QuantRefs::zeroed(rows, dim);
        let plen = refs.panel_len();
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % 255) as i64 - 127
        };
        let mut codes = vec![vec![0i8; dim]; rows];
        for (r, c) in codes.iter_mut().enumerate() {
            c.iter_mut().for_each(|x| *x = next() as i8);
            QuantRefs::store(&mut refs.panels[(r / PANEL) * plen..][..plen], r % PANEL, c);
        }
        let dim4 = refs.dim4;
        let mut qcodes = vec![0i8; m * dim];
        qcodes.iter_mut().for_each(|x| *x = next() as i8);
        let mut qu8 = vec![128u8; m * dim4];
        for i in 0..m {
            for d in 0..dim {
                qu8[i * dim4 + d] = (i32::from(qcodes[i * dim + d]) + 128) as u8;
            }
        }
        let np = rows.div_ceil(PANEL);
        let ld = np * PANEL;
        let mut want = vec![0i32; m * ld];
        for i in 0..m {
            for (r, c) in codes.iter().enumerate() {
                let dot: i32 = (0..dim)
                    .map(|d| i32::from(qcodes[i * dim + d]) * i32::from(c[d]))
                    .sum();
                let sum: i32 = c.iter().map(|&x| i32::from(x)).sum();
                want[i * ld + r] = dot + 128 * sum;
            }
        }
        let mut kernels = vec![Int8Kernel::Portable, Int8Kernel::Avx2];
        if Int8Kernel::detect() == Int8Kernel::Avx512Vnni {
            kernels.push(Int8Kernel::Avx512Vnni);
        }
        for kernel in kernels {
            let mut out = vec![0i32; m * ld];
            tile(kernel, &qu8, m, &refs.panels, dim4, &mut out, ld);
            for i in 0..m {
                assert_eq!(
                    out[i * ld..i * ld + rows],
                    want[i * ld..i * ld + rows],
                    "{kernel:?} row {i}"
                );
            }
        }
    }

    #[test]
    fn quantisation_error_is_what_the_bound_uses() {
        let v: Vec<f64> = (0..50)
            .map(|i| ((i * 7919) % 101) as f64 / 101.0 - 0.5)
            .collect();
        let mut c = vec![0i8; 50];
        let q = quantise_row(&v, &mut c);
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
        let zero = quantise_row(&[0.0; 4], &mut c[..4]);
        assert_eq!((zero.step, zero.residual, zero.code_sum), (0.0, 0.0, 0));
    }
}
