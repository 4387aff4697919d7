//! Building blocks shared by the architectures.

use candle_core::{DType, Result, Tensor, D};

/// Additive attention bias from a `(B, T)` 0/1 mask: 0 for tokens, a large negative number for
/// padding, shaped `(B, 1, 1, T)` to broadcast over heads and queries.
pub fn key_padding_bias(mask: &Tensor, dtype: DType) -> Result<Tensor> {
    let (b, t) = mask.dims2()?;
    // (mask - 1) * 1e9: exp() of it underflows to exactly 0 after the softmax's max shift, as
    // transformers' dtype-min mask does. Every query has at least one real key (position 0).
    ((mask.to_dtype(DType::F32)? - 1.0)? * 1e9)?
        .reshape((b, 1, 1, t))?
        .to_dtype(dtype)
}

/// Scaled-dot-product attention core: `softmax(q k^T + bias) v` with the softmax in f32.
/// `q`, `k`, `v`: `(B, H, T, dh)` (q already scaled where the model scales it); `bias`
/// broadcastable to `(B, H, T, T)`. Returns `(B, T, H * dh)`.
pub fn attention(q: &Tensor, k: &Tensor, v: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let (b, h, t, dh) = q.dims4()?;
    let scores = q.contiguous()?.matmul(&k.t()?.contiguous()?)?;
    let scores = scores.broadcast_add(bias)?;
    let dtype = scores.dtype();
    let probs = candle_nn::ops::softmax_last_dim(&scores.to_dtype(DType::F32)?)?.to_dtype(dtype)?;
    let ctx = probs.matmul(&v.contiguous()?)?; // (B, H, T, dh)
    ctx.transpose(1, 2)?.reshape((b, t, h * dh))
}

/// `(B, T, H*dh)` -> `(B, H, T, dh)`.
pub fn split_heads(x: &Tensor, heads: usize) -> Result<Tensor> {
    let (b, t, hd) = x.dims3()?;
    x.reshape((b, t, heads, hd / heads))?.transpose(1, 2)
}

/// Mean over the positions where `weights` (B, T) is non-zero, as `(B, D)` in f32:
/// `weights` holds 1/count on the pooled positions.
pub fn weighted_pool(h: &Tensor, weights: &Tensor) -> Result<Tensor> {
    let h = h.to_dtype(DType::F32)?;
    let w = weights.unsqueeze(1)?; // (B, 1, T)
    w.matmul(&h)?.squeeze(1)
}

/// T5's layer norm: RMS without mean subtraction, computed in f32, then scaled by `weight`.
pub fn rms_norm(x: &Tensor, weight: &Tensor, eps: f64) -> Result<Tensor> {
    let dtype = x.dtype();
    let xf = x.to_dtype(DType::F32)?;
    let var = xf.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = xf.broadcast_div(&(var + eps)?.sqrt()?)?;
    normed.to_dtype(dtype)?.broadcast_mul(weight)
}

/// A linear layer applied to `(B, T, in)` as one `(B*T, in)` GEMM: candle would otherwise run B
/// separate matrix products, which parallelise worse on CPU.
pub fn linear3(l: &candle_nn::Linear, x: &Tensor) -> Result<Tensor> {
    use candle_core::Module;
    let (b, t, i) = x.dims3()?;
    let y = l.forward(&x.reshape((b * t, i))?)?;
    let o = y.dim(1)?;
    y.reshape((b, t, o))
}

/// Linear layers with the same input stacked into one (outputs concatenated in order), so the
/// projections run as one GEMM.
pub fn stacked_linear(parts: &[candle_nn::Linear]) -> Result<candle_nn::Linear> {
    let w: Vec<&Tensor> = parts.iter().map(|l| l.weight()).collect();
    let w = Tensor::cat(&w, 0)?;
    let b = parts
        .iter()
        .map(|l| l.bias())
        .collect::<Option<Vec<&Tensor>>>()
        .map(|b| Tensor::cat(&b, 0))
        .transpose()?;
    Ok(candle_nn::Linear::new(w, b))
}

/// Rotary position embeddings over two halves of each head (`rotate_half`), as ESM-2 and ESM C
/// use them: frequencies `theta^(-2i/dh)`, angles computed in f32 as transformers does.
#[derive(Debug, Clone)]
pub struct Rotary {
    inv_freq: Vec<f32>,
}

impl Rotary {
    /// The frequencies for heads of `head_dim` with base `theta`.
    pub fn new(head_dim: usize, theta: f32) -> Rotary {
        let inv_freq = (0..head_dim)
            .step_by(2)
            .map(|i| 1.0 / theta.powf(i as f32 / head_dim as f32))
            .collect();
        Rotary { inv_freq }
    }

    /// cos and sin as row-major `(T, dh)` buffers for positions 0..T, the frequencies repeated
    /// over both halves.
    pub fn tables(&self, t: usize) -> (Vec<f32>, Vec<f32>) {
        let half = self.inv_freq.len();
        let mut cos = Vec::with_capacity(t * half * 2);
        let mut sin = Vec::with_capacity(t * half * 2);
        for p in 0..t {
            for _ in 0..2 {
                for &f in &self.inv_freq {
                    let a = p as f32 * f;
                    cos.push(a.cos());
                    sin.push(a.sin());
                }
            }
        }
        (cos, sin)
    }

    /// The tables as `(T, dh)` tensors on `device`.
    pub fn tensors(&self, t: usize, device: &candle_core::Device) -> Result<(Tensor, Tensor)> {
        let (cos, sin) = self.tables(t);
        let dh = 2 * self.inv_freq.len();
        Ok((
            Tensor::from_vec(cos, (t, dh), device)?,
            Tensor::from_vec(sin, (t, dh), device)?,
        ))
    }
}

/// `x * cos + rotate_half(x) * sin` in f32, rotate_half(x) = cat(-x2, x1); `x` `(B, H, T, dh)`.
pub fn apply_rotary(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    let dtype = x.dtype();
    let x = x.to_dtype(DType::F32)?;
    let dh = x.dim(3)?;
    let x1 = x.narrow(3, 0, dh / 2)?;
    let x2 = x.narrow(3, dh / 2, dh / 2)?;
    let rot = Tensor::cat(&[&x2.neg()?, &x1], 3)?;
    (x.broadcast_mul(cos)? + rot.broadcast_mul(sin)?)?.to_dtype(dtype)
}
