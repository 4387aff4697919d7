//! The T5 encoder (`T5EncoderModel` of transformers), as ProtT5 and ProstT5 use it: token
//! embeddings, pre-norm blocks (RMS layer norm, unscaled attention with a relative position
//! bias shared by all blocks, relu or gated-gelu feed-forward) and a final layer norm.
//!
//! Checkpoints: full encoder-decoder (`T5ForConditionalGeneration`, only `shared.*` and
//! `encoder.*` are loaded) or encoder-only; embeddings under `shared.weight` or
//! `encoder.embed_tokens.weight`.

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Embedding, Linear, VarBuilder};

use crate::checkpoint::Checkpoint;
use crate::error::ModelError;
use crate::layers::{attention, key_padding_bias, rms_norm, split_heads};
use crate::model::Backbone;

/// Feed-forward variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedForward {
    /// `wo(relu(wi(x)))` (T5 v1.0, ProtT5, ProstT5).
    Relu,
    /// `wo(gelu_new(wi_0(x)) * wi_1(x))` (T5 v1.1, Ankh).
    GatedGelu,
}

/// The parts of a T5 config.json that the encoder uses.
#[derive(Debug, Clone, PartialEq)]
pub struct T5Config {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Model width.
    pub d_model: usize,
    /// Per-head width.
    pub d_kv: usize,
    /// Feed-forward width.
    pub d_ff: usize,
    /// Encoder blocks.
    pub num_layers: usize,
    /// Attention heads.
    pub num_heads: usize,
    /// Relative position buckets.
    pub relative_attention_num_buckets: usize,
    /// Distance beyond which positions share the last bucket.
    pub relative_attention_max_distance: usize,
    /// RMS norm epsilon.
    pub layer_norm_epsilon: f64,
    /// Feed-forward variant.
    pub feed_forward: FeedForward,
}

impl T5Config {
    /// Reads and checks the config (`model_type` t5, a supported `feed_forward_proj`).
    pub fn from_checkpoint(
        ck: &Checkpoint,
        backend: &str,
    ) -> std::result::Result<Self, ModelError> {
        ck.expect_str("model_type", &["t5"], None, backend)?;
        let ff = ck.expect_str(
            "feed_forward_proj",
            &["relu", "gated-gelu"],
            Some("relu"),
            backend,
        )?;
        if let Some(act) = ck.str_opt("dense_act_fn") {
            let ok = match ff.as_str() {
                "relu" => act == "relu",
                _ => act == "gelu_new" || act == "gelu",
            };
            if !ok {
                return Err(ck.mismatch(
                    "dense_act_fn",
                    format!("is {act:?}, which does not go with feed_forward_proj {ff:?}"),
                ));
            }
        }
        let cfg = Self {
            vocab_size: ck.usize("vocab_size")?,
            d_model: ck.usize("d_model")?,
            d_kv: ck.usize("d_kv")?,
            d_ff: ck.usize("d_ff")?,
            num_layers: ck.usize("num_layers")?,
            num_heads: ck.usize("num_heads")?,
            relative_attention_num_buckets: ck.usize_or("relative_attention_num_buckets", 32)?,
            relative_attention_max_distance: ck.usize_or("relative_attention_max_distance", 128)?,
            layer_norm_epsilon: ck.f64_or("layer_norm_epsilon", 1e-6)?,
            feed_forward: if ff == "relu" {
                FeedForward::Relu
            } else {
                FeedForward::GatedGelu
            },
        };
        if cfg.relative_attention_num_buckets < 4 {
            return Err(ck.mismatch(
                "relative_attention_num_buckets",
                "must be at least 4 for bidirectional buckets",
            ));
        }
        Ok(cfg)
    }
}

/// T5's bidirectional relative position bucket of `rel = key - query`, computed as
/// transformers does (f32 log, truncation toward zero).
pub fn relative_bucket(rel: i64, num_buckets: usize, max_distance: usize) -> usize {
    let nb = (num_buckets / 2) as i64;
    let mut bucket = if rel > 0 { nb } else { 0 };
    let n = rel.abs();
    let max_exact = nb / 2;
    if n < max_exact {
        bucket += n;
    } else {
        let ratio = (n as f32 / max_exact as f32).ln()
            / ((max_distance as f64 / max_exact as f64).ln() as f32)
            * (nb - max_exact) as f32;
        let large = max_exact + ratio as i64;
        bucket += large.min(nb - 1);
    }
    bucket as usize
}

enum Ff {
    Relu {
        wi: Linear,
        wo: Linear,
    },
    Gated {
        wi0: Linear,
        wi1: Linear,
        wo: Linear,
    },
}

struct Block {
    ln0: Tensor,
    /// q, k and v stacked into one `(3 inner, d)` projection.
    qkv: Linear,
    o: Linear,
    ln1: Tensor,
    ff: Ff,
}

/// T5 encoder stack.
pub struct T5Encoder {
    cfg: T5Config,
    embed: Embedding,
    rel_bias: Tensor, // (buckets, heads)
    blocks: Vec<Block>,
    final_ln: Tensor,
}

impl T5Encoder {
    /// Which weights of a (possibly full encoder-decoder) checkpoint the encoder needs.
    pub fn wants(name: &str) -> bool {
        name == "shared.weight" || name.starts_with("encoder.")
    }

    /// Builds the encoder from the checkpoint's weights.
    pub fn new(cfg: T5Config, vb: VarBuilder) -> Result<Self> {
        let d = cfg.d_model;
        let inner = cfg.num_heads * cfg.d_kv;
        let embed_vb = if vb.contains_tensor("encoder.embed_tokens.weight") {
            vb.pp("encoder.embed_tokens")
        } else {
            vb.pp("shared")
        };
        let embed = candle_nn::embedding(cfg.vocab_size, d, embed_vb)?;
        let enc = vb.pp("encoder");
        let rel_bias = enc.get(
            (cfg.relative_attention_num_buckets, cfg.num_heads),
            "block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        )?;
        let mut blocks = Vec::with_capacity(cfg.num_layers);
        for i in 0..cfg.num_layers {
            let b = enc.pp(format!("block.{i}"));
            let a = b.pp("layer.0.SelfAttention");
            let f = b.pp("layer.1.DenseReluDense");
            let ff = match cfg.feed_forward {
                FeedForward::Relu => Ff::Relu {
                    wi: candle_nn::linear_no_bias(d, cfg.d_ff, f.pp("wi"))?,
                    wo: candle_nn::linear_no_bias(cfg.d_ff, d, f.pp("wo"))?,
                },
                FeedForward::GatedGelu => Ff::Gated {
                    wi0: candle_nn::linear_no_bias(d, cfg.d_ff, f.pp("wi_0"))?,
                    wi1: candle_nn::linear_no_bias(d, cfg.d_ff, f.pp("wi_1"))?,
                    wo: candle_nn::linear_no_bias(cfg.d_ff, d, f.pp("wo"))?,
                },
            };
            blocks.push(Block {
                ln0: b.get(d, "layer.0.layer_norm.weight")?,
                qkv: crate::layers::stacked_linear(&[
                    candle_nn::linear_no_bias(d, inner, a.pp("q"))?,
                    candle_nn::linear_no_bias(d, inner, a.pp("k"))?,
                    candle_nn::linear_no_bias(d, inner, a.pp("v"))?,
                ])?,
                o: candle_nn::linear_no_bias(inner, d, a.pp("o"))?,
                ln1: b.get(d, "layer.1.layer_norm.weight")?,
                ff,
            });
        }
        let final_ln = enc.get(d, "final_layer_norm.weight")?;
        Ok(Self {
            cfg,
            embed,
            rel_bias,
            blocks,
            final_ln,
        })
    }

    /// The position bias `(1, H, T, T)`.
    fn position_bias(&self, t: usize) -> Result<Tensor> {
        let mut idx = Vec::with_capacity(t * t);
        for q in 0..t as i64 {
            for k in 0..t as i64 {
                idx.push(relative_bucket(
                    k - q,
                    self.cfg.relative_attention_num_buckets,
                    self.cfg.relative_attention_max_distance,
                ) as u32);
            }
        }
        let idx = Tensor::from_vec(idx, t * t, self.rel_bias.device())?;
        let h = self.cfg.num_heads;
        self.rel_bias
            .index_select(&idx, 0)? // (T*T, H)
            .t()?
            .reshape((1, h, t, t))
    }

    /// The position bias as a function of `key - query`: `heads x (2T-1)`, entry
    /// `h * (2T-1) + (rel + T - 1)` (the layout [`crate::fast::attention`] reads).
    fn relative_bias_table(&self, t: usize) -> Result<Vec<f32>> {
        let table = self.rel_bias.to_dtype(DType::F32)?.to_vec2::<f32>()?; // (buckets, H)
        let h = self.cfg.num_heads;
        let w = 2 * t - 1;
        let mut out = vec![0f32; h * w];
        for r in 0..w {
            let bucket = relative_bucket(
                r as i64 - (t as i64 - 1),
                self.cfg.relative_attention_num_buckets,
                self.cfg.relative_attention_max_distance,
            );
            for (hi, &v) in table[bucket].iter().enumerate() {
                out[hi * w + r] = v;
            }
        }
        Ok(out)
    }

    /// The CPU f32 forward pass on the fused kernels of [`crate::fast`].
    fn forward_fast(&self, ids: &Tensor, keep: &[usize], lens: &[usize]) -> Result<Vec<Tensor>> {
        use crate::fast;
        let (b, t) = ids.dims2()?;
        let rows = b * t;
        let d = self.cfg.d_model;
        let heads = self.cfg.num_heads;
        let dh = self.cfg.d_kv;
        let eps = self.cfg.layer_norm_epsilon as f32;
        let rel = self.relative_bias_table(t)?;
        let mut x: Vec<f32> = self.embed.forward(ids)?.flatten_all()?.to_vec1()?;
        let n = self.num_hidden_states();
        let mut out: Vec<Option<Tensor>> = vec![None; n];
        for (i, blk) in self.blocks.iter().enumerate() {
            if keep.contains(&i) {
                out[i] = Some(fast::to_tensor(x.clone(), b, t)?);
            }
            let h = fast::rms_norm(&x, d, fast::view(&blk.ln0)?.s(), eps);
            let qkv = fast::lin(&blk.qkv, &h, rows)?;
            // T5 does not scale the scores by 1/sqrt(d_kv).
            let ctx = fast::attention(&qkv, t, heads, dh, lens, 1.0, Some(&rel));
            drop(qkv);
            fast::lin_add(&blk.o, &ctx, rows, &mut x)?;
            let h = fast::rms_norm(&x, d, fast::view(&blk.ln1)?.s(), eps);
            let ff = match &blk.ff {
                Ff::Relu { wi, wo } => fast::FeedForward::Plain {
                    w1: wi,
                    act: fast::Act::Relu,
                    w2: wo,
                },
                Ff::Gated { wi0, wi1, wo } => fast::FeedForward::Gated {
                    w0: wi0,
                    w1: wi1,
                    act: fast::Act::GeluTanh,
                    w2: wo,
                },
            };
            fast::feed_forward_into(&ff, &h, d, &mut x)?;
        }
        let last = fast::rms_norm(&x, d, fast::view(&self.final_ln)?.s(), eps);
        out[n - 1] = Some(fast::to_tensor(last, b, t)?);
        crate::model::take_states(out, keep)
    }
}

impl Backbone for T5Encoder {
    fn hidden_size(&self) -> usize {
        self.cfg.d_model
    }

    fn num_hidden_states(&self) -> usize {
        self.cfg.num_layers + 1
    }

    fn forward(&self, ids: &Tensor, mask: &Tensor, keep: &[usize]) -> Result<Vec<Tensor>> {
        if crate::fast::usable(self.embed.embeddings()) {
            if let Some(lens) = crate::fast::prefix_lengths(mask)? {
                return self.forward_fast(ids, keep, &lens);
            }
        }
        let (_, t) = ids.dims2()?;
        let mut x = self.embed.forward(ids)?;
        let dtype = x.dtype();
        let bias = self
            .position_bias(t)?
            .to_dtype(dtype)?
            .broadcast_add(&key_padding_bias(mask, dtype)?)?;
        let eps = self.cfg.layer_norm_epsilon;
        let heads = self.cfg.num_heads;
        let n = self.num_hidden_states();
        let mut out: Vec<Option<Tensor>> = vec![None; n];
        for (i, b) in self.blocks.iter().enumerate() {
            if keep.contains(&i) {
                out[i] = Some(x.clone());
            }
            let h = rms_norm(&x, &b.ln0, eps)?;
            let qkv = crate::layers::linear3(&b.qkv, &h)?;
            let inner = heads * self.cfg.d_kv;
            let q = split_heads(&qkv.narrow(2, 0, inner)?, heads)?;
            let k = split_heads(&qkv.narrow(2, inner, inner)?, heads)?;
            let v = split_heads(&qkv.narrow(2, 2 * inner, inner)?, heads)?;
            // T5 does not scale the scores by 1/sqrt(d_kv).
            let ctx = attention(&q, &k, &v, &bias)?;
            x = (&x + crate::layers::linear3(&b.o, &ctx)?)?;
            let h = rms_norm(&x, &b.ln1, eps)?;
            let y = match &b.ff {
                Ff::Relu { wi, wo } => {
                    crate::layers::linear3(wo, &crate::layers::linear3(wi, &h)?.relu()?)?
                }
                Ff::Gated { wi0, wi1, wo } => {
                    let g = crate::layers::linear3(wi0, &h)?.gelu()?;
                    crate::layers::linear3(wo, &(g * crate::layers::linear3(wi1, &h)?)?)?
                }
            };
            x = (&x + y)?;
        }
        out[n - 1] = Some(rms_norm(&x, &self.final_ln, eps)?);
        crate::model::take_states(out, keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_match_transformers() {
        // Values from transformers' T5Attention._relative_position_bucket(bidirectional=True,
        // num_buckets=32, max_distance=128).
        let cases = [
            (0, 0),
            (1, 17),
            (-1, 1),
            (7, 23),
            (-8, 8),
            (8, 24),
            (15, 25),
            (16, 26),
            (-16, 10),
            (31, 27),
            (32, 28),
            (64, 30),
            (127, 31),
            (500, 31),
            (-500, 15),
        ];
        for (rel, want) in cases {
            assert_eq!(relative_bucket(rel, 32, 128), want, "rel {rel}");
        }
    }
}
