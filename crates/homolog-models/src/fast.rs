//! The CPU f32 fast path: the kernels a transformer layer needs, on plain `f32` buffers.
//!
//! candle's generic ops materialise every intermediate (the `(B, heads, T, T)` attention scores
//! and probabilities, transposed copies of q/k/v, a separate pass for each bias add, residual
//! add and activation) and run the elementwise ones on one thread. On CPU in f32 the models use
//! these kernels instead:
//! - [`linear_into`]: one `(rows, in) x (in, out)` GEMM of the `gemm` crate (the one candle
//!   uses) with the bias preloaded into the destination and residual connections accumulated in
//!   place, so neither costs an extra pass or buffer; [`feed_forward_into`] runs the wide
//!   feed-forward 512 rows at a time into one reused buffer.
//! - [`attention`]: fused attention per (sequence, head, block of queries): scores into a
//!   thread-local buffer, relative position bias and softmax in place, times V, written
//!   straight into the `(B*T, heads*dh)` context; parallel over the blocks with rayon. Keys past a
//!   sequence's length (padding) are never computed, nor are padded queries (their output rows
//!   are zero: nothing downstream reads them, see `model.rs`).
//! - row-parallel layer norm / RMS norm, rotary embeddings in place, and activations with a
//!   vectorisable `exp` (relative error ~1e-7), dispatched to AVX-512 or AVX2+FMA at run time.
//!
//! Every kernel keeps transformers' arithmetic (softmax, norms and activations in f32); the
//! parity tests hold them to 1e-4 like the generic path.

use std::cell::RefCell;

use candle_core::{CpuStorage, DType, Device, Result, Storage, StorageRef, Tensor};
use gemm::{gemm, Parallelism};
use rayon::prelude::*;

/// A read view of a contiguous CPU f32 tensor's data.
pub(crate) struct View<'a> {
    guard: StorageRef<'a>,
    start: usize,
    len: usize,
}

impl View<'_> {
    /// The tensor's elements in row-major order.
    pub(crate) fn s(&self) -> &[f32] {
        match &*self.guard {
            Storage::Cpu(CpuStorage::F32(v)) => &v[self.start..self.start + self.len],
            _ => unreachable!("checked in view()"),
        }
    }
}

/// Borrows the data of `t`, which must be a contiguous f32 tensor on the CPU.
pub(crate) fn view(t: &Tensor) -> Result<View<'_>> {
    let (guard, layout) = t.storage_and_layout();
    let (start, end) = layout
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg("fast path: tensor is not contiguous".into()))?;
    if !matches!(&*guard, Storage::Cpu(CpuStorage::F32(_))) {
        candle_core::bail!("fast path: tensor is not f32 on the CPU");
    }
    Ok(View {
        guard,
        start,
        len: end - start,
    })
}

/// Whether `t` (an activation or weight) can take the fast path. `HOMOLOG_MODELS_GENERIC=1`
/// forces candle's generic ops everywhere (for comparisons).
pub(crate) fn usable(t: &Tensor) -> bool {
    static GENERIC: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let generic = *GENERIC.get_or_init(|| {
        std::env::var("HOMOLOG_MODELS_GENERIC").is_ok_and(|v| !v.is_empty() && v != "0")
    });
    !generic && t.device().is_cpu() && t.dtype() == DType::F32
}

/// Per-sequence lengths of a right-padded `(B, T)` 0/1 mask, or None when some row is not a
/// prefix of ones (then the generic path runs).
pub(crate) fn prefix_lengths(mask: &Tensor) -> Result<Option<Vec<usize>>> {
    let rows = mask.to_dtype(DType::F32)?.to_vec2::<f32>()?;
    let mut lens = Vec::with_capacity(rows.len());
    for r in rows {
        let len = r.iter().take_while(|&&m| m == 1.0).count();
        if len == 0 || r[len..].iter().any(|&m| m != 0.0) {
            return Ok(None);
        }
        lens.push(len);
    }
    Ok(Some(lens))
}

/// `(B*T, d)` buffer -> `(B, T, d)` tensor.
pub(crate) fn to_tensor(buf: Vec<f32>, b: usize, t: usize) -> Result<Tensor> {
    let d = buf.len() / (b * t).max(1);
    Tensor::from_vec(buf, (b, t, d), &Device::Cpu)
}

fn parallelism() -> Parallelism {
    match rayon::current_num_threads() {
        0 | 1 => Parallelism::None,
        n => Parallelism::Rayon(n),
    }
}

/// `dst (+)= x (rows, k) . w^T + bias`, with `w` `(n, k)` as candle/PyTorch store linear
/// weights. With `accumulate`, `dst` holds a residual and the result is added to it (in place);
/// the bias goes into the destination before the GEMM accumulates into it, so neither costs a
/// pass of its own.
pub(crate) fn linear_into(
    x: &[f32],
    rows: usize,
    w: &[f32],
    bias: Option<&[f32]>,
    dst: &mut [f32],
    accumulate: bool,
) {
    let k = x.len() / rows.max(1);
    let n = w.len() / k.max(1);
    assert_eq!(x.len(), rows * k, "linear: input size");
    assert_eq!(w.len(), n * k, "linear: weight size");
    assert_eq!(dst.len(), rows * n, "linear: output size");
    if rows == 0 || n == 0 {
        return;
    }
    if let Some(b) = bias {
        dst.par_chunks_mut(n * ROW_CHUNK).for_each(|c| {
            for row in c.chunks_exact_mut(n) {
                if accumulate {
                    for (o, &bv) in row.iter_mut().zip(b) {
                        *o += bv;
                    }
                } else {
                    row.copy_from_slice(b);
                }
            }
        });
    }
    let read_dst = accumulate || bias.is_some();
    // SAFETY: dimensions and strides describe `x` (rows x k, row-major), `w^T` (k x n: element
    // (kk, nn) at nn * k + kk) and `dst` (rows x n, row-major); the sizes are asserted above.
    unsafe {
        gemm(
            rows,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            read_dst,
            x.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            if read_dst { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            parallelism(),
        );
    }
}

/// Feed-forward sub-layers, by the shape of their weights.
pub(crate) enum FeedForward<'a> {
    /// `w2(act(w1 h))` (ESM-2, T5 relu).
    Plain {
        w1: &'a candle_nn::Linear,
        act: Act,
        w2: &'a candle_nn::Linear,
    },
    /// `w2(act(w0 h) * w1 h)` (T5 gated-gelu).
    Gated {
        w0: &'a candle_nn::Linear,
        w1: &'a candle_nn::Linear,
        act: Act,
        w2: &'a candle_nn::Linear,
    },
    /// `w2(act(a) * b)` with `[a | b] = wg h` (DNABERT-2's fused gated layer).
    GatedFused {
        wg: &'a candle_nn::Linear,
        act: Act,
        w2: &'a candle_nn::Linear,
    },
}

/// Rows of the feed-forward's wide intermediate computed at a time: it stays a few MiB (no
/// `(B*T, d_ff)` buffer) and is reused from block to block.
const FF_ROWS: usize = 512;

/// `dst += FF(h)` over rows of width `d`, `FF_ROWS` rows at a time.
pub(crate) fn feed_forward_into(
    ff: &FeedForward<'_>,
    h: &[f32],
    d: usize,
    dst: &mut [f32],
) -> Result<()> {
    let (first, w2) = match ff {
        FeedForward::Plain { w1, w2, .. } => (*w1, *w2),
        FeedForward::Gated { w0, w2, .. } => (*w0, *w2),
        FeedForward::GatedFused { wg, w2, .. } => (*wg, *w2),
    };
    let w2v = view(w2.weight())?;
    let b2 = w2.bias().map(view).transpose()?;
    let wa = view(first.weight())?;
    let ba = first.bias().map(view).transpose()?;
    let wide = wa.s().len() / d;
    let (w1v, b1) = match ff {
        FeedForward::Gated { w1, .. } => {
            (Some(view(w1.weight())?), w1.bias().map(view).transpose()?)
        }
        _ => (None, None),
    };
    let mut a = Vec::new();
    let mut g = Vec::new();
    for (hc, dc) in h.chunks(d * FF_ROWS).zip(dst.chunks_mut(d * FF_ROWS)) {
        let rows = hc.len() / d;
        a.resize(rows * wide, 0.0);
        linear_into(hc, rows, wa.s(), ba.as_ref().map(View::s), &mut a, false);
        let inner: &[f32] = match ff {
            FeedForward::Plain { act, .. } => {
                activate(&mut a, *act);
                &a
            }
            FeedForward::Gated { act, .. } => {
                g.resize(rows * wide, 0.0);
                let w1v = w1v.as_ref().expect("set for Gated");
                linear_into(hc, rows, w1v.s(), b1.as_ref().map(View::s), &mut g, false);
                activate(&mut a, *act);
                mul_in_place(&mut a, &g);
                &a
            }
            FeedForward::GatedFused { act, .. } => {
                g.resize(rows * wide / 2, 0.0);
                gated_into(&a, wide / 2, *act, &mut g);
                &g
            }
        };
        linear_into(inner, rows, w2v.s(), b2.as_ref().map(View::s), dc, true);
    }
    Ok(())
}

/// Rows per parallel task for row-wise kernels.
const ROW_CHUNK: usize = 32;

/// LayerNorm over rows of width `d` (mean and biased variance in f32, as torch).
pub(crate) fn layer_norm(x: &[f32], d: usize, w: &[f32], b: &[f32], eps: f32) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    out.par_chunks_mut(d * ROW_CHUNK)
        .zip(x.par_chunks(d * ROW_CHUNK))
        .for_each(|(o, xi)| {
            for (orow, xrow) in o.chunks_exact_mut(d).zip(xi.chunks_exact(d)) {
                let mean = sum(xrow) / d as f32;
                let mut var = 0f32;
                for &v in xrow {
                    let c = v - mean;
                    var += c * c;
                }
                let inv = 1.0 / (var / d as f32 + eps).sqrt();
                for (((o, &v), &wv), &bv) in orow.iter_mut().zip(xrow).zip(w).zip(b) {
                    *o = (v - mean) * inv * wv + bv;
                }
            }
        });
    out
}

/// T5's RMS norm: `w * x / sqrt(mean(x^2) + eps)` over rows of width `d`, in f32.
pub(crate) fn rms_norm(x: &[f32], d: usize, w: &[f32], eps: f32) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    out.par_chunks_mut(d * ROW_CHUNK)
        .zip(x.par_chunks(d * ROW_CHUNK))
        .for_each(|(o, xi)| {
            for (orow, xrow) in o.chunks_exact_mut(d).zip(xi.chunks_exact(d)) {
                let mut ss = 0f32;
                for &v in xrow {
                    ss += v * v;
                }
                let inv = 1.0 / (ss / d as f32 + eps).sqrt();
                for ((o, &v), &wv) in orow.iter_mut().zip(xrow).zip(w) {
                    *o = wv * (v * inv);
                }
            }
        });
    out
}

fn sum(x: &[f32]) -> f32 {
    x.iter().sum()
}

/// Elementwise activation in place, in parallel chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Act {
    Relu,
    /// `x * (1 + erf(x / sqrt 2)) / 2` (torch's `gelu`).
    GeluErf,
    /// The tanh approximation (`gelu_new`).
    GeluTanh,
    /// `x * sigmoid(x)` (SiLU / swish, ESM C's SwiGLU).
    Silu,
}

pub(crate) fn activate(x: &mut [f32], act: Act) {
    x.par_chunks_mut(16 * 1024)
        .for_each(|c| simd::activate(c, act));
}

/// Gated activation over rows of `g` = `[a | b]` (each `inter` wide): `act(a) * b`, into
/// `out` `(rows, inter)`.
fn gated_into(g: &[f32], inter: usize, act: Act, out: &mut [f32]) {
    out.par_chunks_mut(inter * ROW_CHUNK)
        .zip(g.par_chunks(2 * inter * ROW_CHUNK))
        .for_each(|(o, gi)| {
            for (orow, grow) in o.chunks_exact_mut(inter).zip(gi.chunks_exact(2 * inter)) {
                orow.copy_from_slice(&grow[..inter]);
                simd::activate(orow, act);
                for (v, &b) in orow.iter_mut().zip(&grow[inter..]) {
                    *v *= b;
                }
            }
        });
}

/// `a *= b` elementwise.
pub(crate) fn mul_in_place(a: &mut [f32], b: &[f32]) {
    a.par_chunks_mut(16 * 1024)
        .zip(b.par_chunks(16 * 1024))
        .for_each(|(a, b)| {
            for (x, &y) in a.iter_mut().zip(b) {
                *x *= y;
            }
        });
}

/// Rotary position embedding in place on the q and k parts of a fused `(B*T, 3*hd)` qkv
/// buffer: `x * cos + rotate_half(x) * sin`, with `cos`/`sin` `(T, dh)` (halves repeated).
// Index loops over several slices of the same length read more clearly than zips here.
#[allow(clippy::needless_range_loop)]
pub(crate) fn rotary_in_place(
    qkv: &mut [f32],
    t: usize,
    heads: usize,
    dh: usize,
    cos: &[f32],
    sin: &[f32],
) {
    let hd = heads * dh;
    let half = dh / 2;
    qkv.par_chunks_mut(3 * hd).enumerate().for_each(|(row, r)| {
        let p = row % t;
        let c = &cos[p * dh..p * dh + dh];
        let s = &sin[p * dh..p * dh + dh];
        for v in r[..2 * hd].chunks_exact_mut(dh) {
            let (x1, x2) = v.split_at_mut(half);
            for i in 0..half {
                let (a, b) = (x1[i], x2[i]);
                x1[i] = a * c[i] - b * s[i];
                x2[i] = b * c[half + i] + a * s[half + i];
            }
        }
    });
}

/// Queries per attention task: the score block (`QBLOCK x T` floats) stays in L2.
const QBLOCK: usize = 64;

thread_local! {
    static SCORES: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// A `(k, n)` matrix stored as column panels of [`simd::PANEL`] columns, each `k x PANEL`
/// contiguous (the last one zero-padded): the layout [`PackedColumns::matmul`] streams through.
#[derive(Debug, Clone)]
pub(crate) struct PackedColumns {
    k: usize,
    n: usize,
    panels: Vec<f32>,
}

impl PackedColumns {
    /// Packs a row-major `(k, n)` matrix.
    pub(crate) fn new(b: &[f32], k: usize, n: usize) -> PackedColumns {
        assert_eq!(b.len(), k * n, "pack: matrix size");
        let width = simd::PANEL;
        let mut panels = vec![0f32; n.div_ceil(width) * k * width];
        for (p, panel) in panels.chunks_exact_mut(k * width).enumerate() {
            let j0 = p * width;
            let cols = width.min(n - j0);
            for (kk, row) in panel.chunks_exact_mut(width).enumerate() {
                row[..cols].copy_from_slice(&b[kk * n + j0..kk * n + j0 + cols]);
            }
        }
        PackedColumns { k, n, panels }
    }

    /// `dst (+)= a self` with `a` `(m, k)` and `dst` `(m, n)` row-major; each element summed
    /// in the same order whatever `m` is, so a row's result does not depend on the others.
    pub(crate) fn matmul(&self, a: &[f32], m: usize, dst: &mut [f32], accumulate: bool) {
        assert_eq!(a.len(), m * self.k, "matmul: left size");
        assert_eq!(dst.len(), m * self.n, "matmul: output size");
        simd::matmul_packed(a, m, self.k, &self.panels, self.n, dst, accumulate);
    }
}

#[derive(Clone, Copy)]
struct SendPtr(*mut f32);
// SAFETY: each task writes a disjoint block of rows (see attention()).
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    /// The pointer (a method, so closures capture the whole `Send` wrapper).
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// Fused multi-head attention over a `(B*T, 3*heads*dh)` buffer holding `[q | k | v]` per
/// token (head h at columns `h*dh..`), for right-padded sequences of lengths `lens`:
/// `softmax(scale * q k^T + bias) v` per head, with `rel` (optional, `heads x (2T-1)`) the
/// additive bias as a function of `key - query` (index `j - i + T - 1`). Returns the context
/// `(B*T, heads*dh)`; rows of padded queries are zero.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attention(
    qkv: &[f32],
    t: usize,
    heads: usize,
    dh: usize,
    lens: &[usize],
    scale: f32,
    rel: Option<&[f32]>,
) -> Vec<f32> {
    let hd = heads * dh;
    let rs = 3 * hd;
    let b = lens.len();
    debug_assert_eq!(qkv.len(), b * t * rs);
    let mut out = vec![0f32; b * t * hd];
    let dst = SendPtr(out.as_mut_ptr());
    let mut tasks = Vec::new();
    for (bi, &len) in lens.iter().enumerate() {
        for h in 0..heads {
            for i0 in (0..len).step_by(QBLOCK) {
                tasks.push((bi, h, i0, (i0 + QBLOCK).min(len)));
            }
        }
    }
    tasks.into_par_iter().for_each(|(bi, h, i0, i1)| {
        let l = lens[bi];
        let m = i1 - i0;
        let base = bi * t * rs;
        SCORES.with(|cell| {
            let mut buf = cell.borrow_mut();
            if buf.len() < m * l {
                buf.resize(m * l, 0.0);
            }
            let s = &mut buf[..m * l];
            // SAFETY: q rows i0..i1 and k/v rows 0..l of sequence bi, head h, lie inside
            // `qkv`; `s` holds m x l; the destination rows (bi, i0..i1), columns h*dh.. are
            // written by this task only.
            unsafe {
                gemm(
                    m,
                    l,
                    dh,
                    s.as_mut_ptr(),
                    1,
                    l as isize,
                    false,
                    qkv.as_ptr().add(base + i0 * rs + h * dh),
                    1,
                    rs as isize,
                    qkv.as_ptr().add(base + hd + h * dh),
                    rs as isize,
                    1,
                    0.0,
                    scale,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
            // Unnormalised probabilities; each output row is divided by its sum after the
            // product with V (dh values per row instead of l).
            let mut inv = [0f32; QBLOCK];
            for (r, row) in s.chunks_exact_mut(l).enumerate() {
                let bias = rel.map(|rel| {
                    let off = h * (2 * t - 1) + (t - 1) - (i0 + r);
                    &rel[off..off + l]
                });
                inv[r] = 1.0 / simd::softmax_unnormalised(row, bias);
            }
            unsafe {
                gemm(
                    m,
                    dh,
                    l,
                    dst.get().add((bi * t + i0) * hd + h * dh),
                    1,
                    hd as isize,
                    false,
                    s.as_ptr(),
                    1,
                    l as isize,
                    qkv.as_ptr().add(base + 2 * hd + h * dh),
                    1,
                    rs as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
                for (r, &f) in inv[..m].iter().enumerate() {
                    let row = dst.get().add((bi * t + i0 + r) * hd + h * dh);
                    for c in 0..dh {
                        *row.add(c) *= f;
                    }
                }
            }
        });
    });
    out
}

/// Vectorised elementwise kernels, compiled for AVX-512 and AVX2+FMA and picked at run time.
mod simd {
    use super::Act;

    const LOG2E: f32 = std::f32::consts::LOG2_E;

    /// `a * b + c`: fused when `F` (the dispatch compiled the caller with FMA), else a multiply
    /// and an add (never a slow software fma).
    #[inline(always)]
    fn fma<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
        if F {
            a.mul_add(b, c)
        } else {
            a * b + c
        }
    }
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;

    /// `exp(x)` for x in [-87, 88] (clamped), relative error ~1e-7 (Cephes' expf polynomial);
    /// written without branches so loops over it vectorise.
    #[inline(always)]
    pub fn exp<const F: bool>(x: f32) -> f32 {
        let x = x.clamp(-87.0, 88.0);
        // Round x*log2(e) to the nearest integer n with the 1.5*2^23 trick: n sits in t's low bits.
        let t = x * LOG2E + 12_582_912.0;
        let n = t - 12_582_912.0;
        let r = fma::<F>(n, -LN2_LO, fma::<F>(n, -LN2_HI, x));
        let mut p = 1.987_569_1e-4f32;
        p = fma::<F>(p, r, 1.398_199_9e-3);
        p = fma::<F>(p, r, 8.333_452e-3);
        p = fma::<F>(p, r, 4.166_579_6e-2);
        p = fma::<F>(p, r, 1.666_666_5e-1);
        p = fma::<F>(p, r, 0.5);
        let e = fma::<F>(p * r, r, r + 1.0);
        let pow2n = f32::from_bits(((t.to_bits() as i32 - 0x4B40_0000 + 127) << 23) as u32);
        e * pow2n
    }

    /// erf(x), Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7).
    #[inline(always)]
    fn erf<const F: bool>(x: f32) -> f32 {
        let a = x.abs();
        let t = 1.0 / (1.0 + 0.327_591_1 * a);
        let y = ((((1.061_405_4 * t - 1.453_152_1) * t + 1.421_413_8) * t - 0.284_496_74) * t
            + 0.254_829_6)
            * t;
        let v = 1.0 - y * exp::<F>(-a * a);
        v.copysign(x)
    }

    #[inline(always)]
    fn tanh<const F: bool>(x: f32) -> f32 {
        let a = x.abs().min(20.0);
        let e = exp::<F>(2.0 * a);
        (1.0 - 2.0 / (e + 1.0)).copysign(x)
    }

    #[inline(always)]
    fn activate_body<const F: bool>(x: &mut [f32], act: Act) {
        match act {
            Act::Relu => {
                for v in x {
                    *v = v.max(0.0);
                }
            }
            Act::GeluErf => {
                for v in x {
                    *v = *v * 0.5 * (1.0 + erf::<F>(*v * std::f32::consts::FRAC_1_SQRT_2));
                }
            }
            Act::Silu => {
                for v in x {
                    *v /= 1.0 + exp::<F>(-*v);
                }
            }
            Act::GeluTanh => {
                const C: f32 = 0.797_884_6; // sqrt(2/pi)
                for v in x {
                    let u = *v;
                    *v = 0.5 * u * (1.0 + tanh::<F>(C * (u + 0.044_715 * u * u * u)));
                }
            }
        }
    }

    const LANES: usize = 16;

    /// `row = exp(row + bias - max)`; returns the sum (the softmax is `row / sum`).
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn softmax_body<const F: bool>(row: &mut [f32], bias: Option<&[f32]>) -> f32 {
        if let Some(b) = bias {
            for (v, &bv) in row.iter_mut().zip(b) {
                *v += bv;
            }
        }
        // Lane-wise max and sum (independent lanes vectorise without reassociation flags).
        let mut mx = [f32::NEG_INFINITY; LANES];
        let mut chunks = row.chunks_exact(LANES);
        for c in &mut chunks {
            for l in 0..LANES {
                mx[l] = if c[l] > mx[l] { c[l] } else { mx[l] };
            }
        }
        let mut m = f32::NEG_INFINITY;
        for &v in chunks.remainder().iter().chain(mx.iter()) {
            m = if v > m { v } else { m };
        }
        let mut acc = [0f32; LANES];
        let mut chunks = row.chunks_exact_mut(LANES);
        for c in &mut chunks {
            for l in 0..LANES {
                let e = exp::<F>(c[l] - m);
                c[l] = e;
                acc[l] += e;
            }
        }
        let mut total = 0f32;
        for v in chunks.into_remainder() {
            let e = exp::<F>(*v - m);
            *v = e;
            total += e;
        }
        total + acc.iter().sum::<f32>()
    }

    macro_rules! dispatch {
        ($name:ident, $body:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
            pub fn $name($($arg: $ty),*) -> $ret {
                #[cfg(target_arch = "x86_64")]
                {
                    #[target_feature(enable = "avx512f,fma")]
                    unsafe fn v4($($arg: $ty),*) -> $ret {
                        $body::<true>($($arg),*)
                    }
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn v3($($arg: $ty),*) -> $ret {
                        $body::<true>($($arg),*)
                    }
                    if std::arch::is_x86_feature_detected!("avx512f") {
                        // SAFETY: the CPU has AVX-512F.
                        return unsafe { v4($($arg),*) };
                    }
                    if std::arch::is_x86_feature_detected!("avx2")
                        && std::arch::is_x86_feature_detected!("fma")
                    {
                        // SAFETY: the CPU has AVX2 and FMA.
                        return unsafe { v3($($arg),*) };
                    }
                }
                $body::<false>($($arg),*)
            }
        };
    }

    /// Columns per panel of a [`PackedColumns`](super::PackedColumns) matrix: with [`ROWS`]
    /// rows, the accumulators fill 8 AVX-512 registers (16 with AVX2).
    pub const PANEL: usize = 32;
    /// Rows of `a` per block.
    const ROWS: usize = 4;

    /// `acc[r] (+)= sum over kk of a[r][kk] * panel[kk]` for `R` rows, `kk` in order.
    #[inline(always)]
    fn panel_rows<const F: bool, const R: usize>(
        a: &[f32],
        k: usize,
        panel: &[f32],
        acc: &mut [[f32; PANEL]; ROWS],
    ) {
        for (kk, w) in panel.chunks_exact(PANEL).enumerate() {
            for r in 0..R {
                let x = a[r * k + kk];
                for (s, &wv) in acc[r].iter_mut().zip(w) {
                    *s = fma::<F>(x, wv, *s);
                }
            }
        }
    }

    /// `dst (+)= a b` with `a` `(m, k)` and `dst` `(m, n)` row-major and `b` `(k, n)` packed in
    /// column panels; every output element is summed over `k` in order, starting from `dst`
    /// when `accumulate`.
    ///
    /// A BLAS kernel blocks `k` by sizes that depend on `m` (and takes a different path for
    /// `m = 1`), so a row's result changes in the last bits with the other rows of the batch;
    /// here it does not. Panels run outermost, so each is read from memory once (sequentially)
    /// and from cache for every further block of rows.
    #[inline(always)]
    fn matmul_packed_body<const F: bool>(
        a: &[f32],
        m: usize,
        k: usize,
        panels: &[f32],
        n: usize,
        dst: &mut [f32],
        accumulate: bool,
    ) {
        for (p, panel) in panels.chunks_exact(k * PANEL).enumerate() {
            let j0 = p * PANEL;
            let cols = PANEL.min(n - j0);
            for r0 in (0..m).step_by(ROWS) {
                let rows = ROWS.min(m - r0);
                let mut acc = [[0f32; PANEL]; ROWS];
                if accumulate {
                    for (r, acc) in acc.iter_mut().enumerate().take(rows) {
                        let at = (r0 + r) * n + j0;
                        acc[..cols].copy_from_slice(&dst[at..at + cols]);
                    }
                }
                let a = &a[r0 * k..(r0 + rows) * k];
                match rows {
                    4 => panel_rows::<F, 4>(a, k, panel, &mut acc),
                    3 => panel_rows::<F, 3>(a, k, panel, &mut acc),
                    2 => panel_rows::<F, 2>(a, k, panel, &mut acc),
                    _ => panel_rows::<F, 1>(a, k, panel, &mut acc),
                }
                for (r, acc) in acc.iter().enumerate().take(rows) {
                    let at = (r0 + r) * n + j0;
                    dst[at..at + cols].copy_from_slice(&acc[..cols]);
                }
            }
        }
    }

    dispatch!(softmax_unnormalised, softmax_body, (row: &mut [f32], bias: Option<&[f32]>) -> f32);
    dispatch!(
        matmul_packed,
        matmul_packed_body,
        (a: &[f32], m: usize, k: usize, panels: &[f32], n: usize, dst: &mut [f32], accumulate: bool) -> ()
    );
    dispatch!(activate, activate_body, (x: &mut [f32], act: Act) -> ());

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn exp_erf_tanh_are_accurate() {
            let mut worst = 0f64;
            let mut x = -87.0f32;
            while x < 88.0 {
                let want = (x as f64).exp();
                worst = worst.max(((exp::<false>(x) as f64) - want).abs() / want);
                worst = worst.max(((exp::<true>(x) as f64) - want).abs() / want);
                x += 0.001_37;
            }
            assert!(worst < 3e-7, "exp relative error {worst}");
            for i in -4000..4000 {
                let x = i as f32 / 500.0;
                let e = (erf::<true>(x) - libm_erf(x as f64) as f32).abs();
                assert!(e < 5e-7, "erf({x}) off by {e}");
                let t = (tanh::<true>(x) - x.tanh()).abs();
                assert!(t < 3e-7, "tanh({x}) off by {t}");
            }
        }

        // erf by its Taylor/continued series, in f64, for the test only.
        fn libm_erf(x: f64) -> f64 {
            if x.abs() > 3.0 {
                // erfc asymptotics are below f32 resolution here.
                let t = 1.0 / (1.0 + 0.5 * x.abs());
                let y = t
                    * (-x * x - 1.265_512_23
                        + t * (1.000_023_68
                            + t * (0.374_091_96
                                + t * (0.096_784_18
                                    + t * (-0.186_288_06
                                        + t * (0.278_868_07
                                            + t * (-1.135_203_98
                                                + t * (1.488_515_87
                                                    + t * (-0.822_152_23
                                                        + t * 0.170_872_77)))))))))
                        .exp();
                return (1.0 - y).copysign(x);
            }
            let mut sum = x;
            let mut term = x;
            let mut n = 0.0;
            loop {
                n += 1.0;
                term *= -x * x / n;
                let add = term / (2.0 * n + 1.0);
                sum += add;
                if add.abs() < 1e-17 {
                    break;
                }
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        }

        #[test]
        fn softmax_matches_naive() {
            let row: Vec<f32> = (0..37)
                .map(|i| ((i * 7919) % 23) as f32 * 0.37 - 4.0)
                .collect();
            let bias: Vec<f32> = (0..37).map(|i| -(i as f32) * 0.1).collect();
            let mut got = row.clone();
            let sum = softmax_unnormalised(&mut got, Some(&bias));
            got.iter_mut().for_each(|v| *v /= sum);
            let z: Vec<f64> = row
                .iter()
                .zip(&bias)
                .map(|(&a, &b)| (a + b) as f64)
                .collect();
            let m = z.iter().cloned().fold(f64::MIN, f64::max);
            let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
            for (g, v) in got.iter().zip(&z) {
                assert!((*g as f64 - (v - m).exp() / s).abs() < 1e-7);
            }
        }
    }
}

/// `x . w^T + b` for a candle `Linear`, as a new `(rows, out)` buffer.
pub(crate) fn lin(l: &candle_nn::Linear, x: &[f32], rows: usize) -> Result<Vec<f32>> {
    let w = view(l.weight())?;
    let b = l.bias().map(view).transpose()?;
    let n = w.s().len() / (x.len() / rows.max(1)).max(1);
    let mut out = vec![0f32; rows * n];
    linear_into(x, rows, w.s(), b.as_ref().map(View::s), &mut out, false);
    Ok(out)
}

/// `dst += x . w^T + b` for a candle `Linear` (a residual connection, in place).
pub(crate) fn lin_add(
    l: &candle_nn::Linear,
    x: &[f32],
    rows: usize,
    dst: &mut [f32],
) -> Result<()> {
    let w = view(l.weight())?;
    let b = l.bias().map(view).transpose()?;
    linear_into(x, rows, w.s(), b.as_ref().map(View::s), dst, true);
    Ok(())
}

/// [`layer_norm`] with a candle `LayerNorm`'s parameters.
pub(crate) fn ln(l: &candle_nn::LayerNorm, x: &[f32], d: usize) -> Result<Vec<f32>> {
    let w = view(l.weight())?;
    let b = l
        .bias()
        .ok_or_else(|| candle_core::Error::Msg("fast path: LayerNorm without bias".into()))?;
    let b = view(b)?;
    Ok(layer_norm(x, d, w.s(), b.s(), l.eps() as f32))
}
