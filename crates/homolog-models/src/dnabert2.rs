//! DNABERT-2 (`zhihan1996/DNABERT-2-117M`): MosaicBERT, i.e. BERT without position embeddings,
//! with a fused `Wqkv` projection, an ALiBi attention bias (symmetric, `-slope_h * |i - j|`), a
//! gated GELU MLP (`wo(gelu(x W_g[:I]) * x W_g[I:])`, exact erf GELU) and post-LN residuals.
//!
//! transformers runs this model through the checkpoint's own code (`trust_remote_code`); this
//! file follows that published architecture. Hidden states are numbered as for BERT: index 0 is
//! the embedding output, index i the output of layer i, so layer k = `hidden_states[-(k+1)]`
//! (0 = last layer).

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};

use crate::checkpoint::{find_prefix, Checkpoint};
use crate::error::ModelError;
use crate::layers::{attention, key_padding_bias, split_heads};
use crate::model::Backbone;

/// The parts of DNABERT-2's config.json that the forward pass uses.
#[derive(Debug, Clone, PartialEq)]
pub struct DnaBert2Config {
    /// Vocabulary size (4096 for DNABERT-2-117M).
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// Layers.
    pub num_hidden_layers: usize,
    /// Attention heads (12: not a power of two, which ALiBi handles specially).
    pub num_attention_heads: usize,
    /// Gated MLP width (per half).
    pub intermediate_size: usize,
    /// LayerNorm epsilon.
    pub layer_norm_eps: f64,
    /// Token type vocabulary (type 0 is added to every token).
    pub type_vocab_size: usize,
}

impl DnaBert2Config {
    /// Reads and checks the config (`model_type` bert, no rotary/relative positions).
    pub fn from_checkpoint(ck: &Checkpoint) -> std::result::Result<Self, ModelError> {
        ck.expect_str("model_type", &["bert"], None, "dnabert2")?;
        let cfg = Self {
            vocab_size: ck.usize("vocab_size")?,
            hidden_size: ck.usize("hidden_size")?,
            num_hidden_layers: ck.usize("num_hidden_layers")?,
            num_attention_heads: ck.usize("num_attention_heads")?,
            intermediate_size: ck.usize("intermediate_size")?,
            layer_norm_eps: ck.f64_or("layer_norm_eps", 1e-12)?,
            type_vocab_size: ck.usize_or("type_vocab_size", 2)?,
        };
        ck.check_heads(cfg.hidden_size, cfg.num_attention_heads)?;
        Ok(cfg)
    }
}

/// ALiBi head slopes (Press et al.; MosaicBERT's `_get_alibi_head_slopes`): for a power of two
/// n, `start^(i+1)` with `start = 2^(-8/n)`; otherwise those of the closest lower power of two
/// followed by every other slope of twice that power.
pub fn alibi_slopes(n: usize) -> Vec<f64> {
    fn pow2(n: usize) -> Vec<f64> {
        let start = 2f64.powf(-(2f64.powf(-((n as f64).log2() - 3.0))));
        (0..n).map(|i| start * start.powi(i as i32)).collect()
    }
    if n.is_power_of_two() {
        return pow2(n);
    }
    let closest = 1usize << (usize::BITS - 1 - n.leading_zeros());
    let mut s = pow2(closest);
    s.extend(pow2(2 * closest).into_iter().step_by(2).take(n - closest));
    s
}

struct Layer {
    wqkv: Linear,
    dense: Linear,
    attn_ln: LayerNorm,
    gated: Linear,
    wo: Linear,
    mlp_ln: LayerNorm,
}

/// DNABERT-2 encoder.
pub struct DnaBert2 {
    cfg: DnaBert2Config,
    word: Embedding,
    token_type0: Tensor,
    emb_ln: LayerNorm,
    layers: Vec<Layer>,
    slopes: Vec<f32>,
}

impl DnaBert2 {
    /// Builds the model (weights under `bert.` as in BertForMaskedLM, or at the root).
    pub fn new(cfg: DnaBert2Config, vb: VarBuilder) -> Result<Self> {
        let prefix = find_prefix(&vb, "embeddings.word_embeddings.weight", &["bert.", ""])
            .ok_or_else(|| {
                candle_core::Error::Msg(
                    "no tensor bert.embeddings.word_embeddings.weight: not a DNABERT-2 checkpoint"
                        .into(),
                )
            })?;
        let vb = if prefix.is_empty() {
            vb
        } else {
            vb.pp(prefix.trim_end_matches('.'))
        };
        let h = cfg.hidden_size;
        let i = cfg.intermediate_size;
        let eps = cfg.layer_norm_eps;
        let e = vb.pp("embeddings");
        let word = candle_nn::embedding(cfg.vocab_size, h, e.pp("word_embeddings"))?;
        let token_type0 = e
            .get((cfg.type_vocab_size, h), "token_type_embeddings.weight")?
            .get(0)?;
        let emb_ln = candle_nn::layer_norm(h, eps, e.pp("LayerNorm"))?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for n in 0..cfg.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{n}"));
            layers.push(Layer {
                wqkv: candle_nn::linear(h, 3 * h, l.pp("attention.self.Wqkv"))?,
                dense: candle_nn::linear(h, h, l.pp("attention.output.dense"))?,
                attn_ln: candle_nn::layer_norm(h, eps, l.pp("attention.output.LayerNorm"))?,
                gated: candle_nn::linear_no_bias(h, 2 * i, l.pp("mlp.gated_layers"))?,
                wo: candle_nn::linear(i, h, l.pp("mlp.wo"))?,
                mlp_ln: candle_nn::layer_norm(h, eps, l.pp("mlp.layernorm"))?,
            });
        }
        let slopes = alibi_slopes(cfg.num_attention_heads)
            .into_iter()
            .map(|s| s as f32)
            .collect();
        Ok(Self {
            cfg,
            word,
            token_type0,
            emb_ln,
            layers,
            slopes,
        })
    }

    fn alibi(&self, t: usize, device: &Device) -> Result<Tensor> {
        let h = self.slopes.len();
        let mut v = Vec::with_capacity(h * t * t);
        for &s in &self.slopes {
            for q in 0..t {
                for k in 0..t {
                    v.push(s * -((q as f32 - k as f32).abs()));
                }
            }
        }
        Tensor::from_vec(v, (1, h, t, t), device)
    }

    /// ALiBi as a function of `key - query`: `heads x (2T-1)`, `-slope_h * |rel|`.
    fn alibi_table(&self, t: usize) -> Vec<f32> {
        let w = 2 * t - 1;
        let mut v = Vec::with_capacity(self.slopes.len() * w);
        for &s in &self.slopes {
            for r in 0..w {
                v.push(s * -((r as f32 - (t as f32 - 1.0)).abs()));
            }
        }
        v
    }

    /// The CPU f32 forward pass on the fused kernels of [`crate::fast`].
    fn forward_fast(&self, x: Tensor, keep: &[usize], lens: &[usize]) -> Result<Vec<Tensor>> {
        use crate::fast;
        let (b, t, h) = x.dims3()?;
        let rows = b * t;
        let heads = self.cfg.num_attention_heads;
        let dh = h / heads;
        let scale = 1.0 / (dh as f32).sqrt();
        let rel = self.alibi_table(t);
        let mut x: Vec<f32> = x.flatten_all()?.to_vec1()?;
        let n = self.num_hidden_states();
        let mut out: Vec<Option<Tensor>> = vec![None; n];
        if keep.contains(&0) {
            out[0] = Some(fast::to_tensor(x.clone(), b, t)?);
        }
        for (li, l) in self.layers.iter().enumerate() {
            let qkv = fast::lin(&l.wqkv, &x, rows)?;
            let ctx = fast::attention(&qkv, t, heads, dh, lens, scale, Some(&rel));
            drop(qkv);
            fast::lin_add(&l.dense, &ctx, rows, &mut x)?;
            x = fast::ln(&l.attn_ln, &x, h)?;
            let mut y = x.clone();
            let ff = fast::FeedForward::GatedFused {
                wg: &l.gated,
                act: fast::Act::GeluErf,
                w2: &l.wo,
            };
            fast::feed_forward_into(&ff, &x, h, &mut y)?;
            x = fast::ln(&l.mlp_ln, &y, h)?;
            if keep.contains(&(li + 1)) {
                out[li + 1] = Some(fast::to_tensor(x.clone(), b, t)?);
            }
        }
        crate::model::take_states(out, keep)
    }
}

impl Backbone for DnaBert2 {
    fn hidden_size(&self) -> usize {
        self.cfg.hidden_size
    }

    fn num_hidden_states(&self) -> usize {
        self.cfg.num_hidden_layers + 1
    }

    fn forward(&self, ids: &Tensor, mask: &Tensor, keep: &[usize]) -> Result<Vec<Tensor>> {
        let (b, t) = ids.dims2()?;
        let x = self.word.forward(ids)?.broadcast_add(&self.token_type0)?;
        let mut x = self.emb_ln.forward(&x)?;
        if crate::fast::usable(&x) {
            if let Some(lens) = crate::fast::prefix_lengths(mask)? {
                return self.forward_fast(x, keep, &lens);
            }
        }
        let dtype = x.dtype();
        let bias = self
            .alibi(t, ids.device())?
            .to_dtype(dtype)?
            .broadcast_add(&key_padding_bias(mask, dtype)?)?;
        let heads = self.cfg.num_attention_heads;
        let h = self.cfg.hidden_size;
        let inter = self.cfg.intermediate_size;
        let scale = 1.0 / ((h / heads) as f64).sqrt();
        let n = self.num_hidden_states();
        let mut out: Vec<Option<Tensor>> = vec![None; n];
        if keep.contains(&0) {
            out[0] = Some(x.clone());
        }
        for (li, l) in self.layers.iter().enumerate() {
            let qkv = crate::layers::linear3(&l.wqkv, &x)?; // (B, T, 3H)
            let q = split_heads(&qkv.narrow(2, 0, h)?, heads)?;
            let k = split_heads(&qkv.narrow(2, h, h)?, heads)?;
            let v = split_heads(&qkv.narrow(2, 2 * h, h)?, heads)?;
            let ctx = attention(&(q * scale)?, &k, &v, &bias)?;
            x = l
                .attn_ln
                .forward(&(crate::layers::linear3(&l.dense, &ctx)? + &x)?)?;
            let g = crate::layers::linear3(&l.gated, &x)?;
            let act = g.narrow(2, 0, inter)?.gelu_erf()?;
            let y = crate::layers::linear3(&l.wo, &(act * g.narrow(2, inter, inter)?)?)?;
            x = l.mlp_ln.forward(&(y + &x)?)?;
            if keep.contains(&(li + 1)) {
                out[li + 1] = Some(x.clone());
            }
        }
        let _ = (b, DType::F32);
        crate::model::take_states(out, keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alibi_slopes_match_mosaicbert() {
        let s = alibi_slopes(8);
        assert!((s[0] - 0.5).abs() < 1e-12 && (s[7] - 1.0 / 256.0).abs() < 1e-12);
        // 12 heads: the 8 slopes of n = 8, then slopes 0, 2, 4, 6 of n = 16.
        let s12 = alibi_slopes(12);
        let s16 = alibi_slopes(16);
        assert_eq!(s12.len(), 12);
        assert_eq!(&s12[..8], &s[..]);
        assert_eq!(&s12[8..], &[s16[0], s16[2], s16[4], s16[6]]);
    }
}
