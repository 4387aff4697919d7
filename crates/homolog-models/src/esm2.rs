//! ESM-2 (`EsmModel` of transformers): token embeddings with token-dropout scaling, pre-LN
//! transformer layers with rotary position embeddings, and a final layer norm.
//!
//! Checkpoints: `facebook/esm2_*` (EsmForMaskedLM, weights under `esm.`) or a bare EsmModel;
//! LayerNorm parameters named `weight`/`bias` or `gamma`/`beta`.

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};

use crate::checkpoint::{find_prefix, Checkpoint};
use crate::error::ModelError;
use crate::layers::{apply_rotary, attention, key_padding_bias, split_heads, Rotary};
use crate::model::Backbone;

/// The parts of an ESM config.json that the forward pass uses.
#[derive(Debug, Clone, PartialEq)]
pub struct EsmConfig {
    /// Vocabulary size (33 for ESM-2).
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// Number of transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads.
    pub num_attention_heads: usize,
    /// Feed-forward width.
    pub intermediate_size: usize,
    /// LayerNorm epsilon.
    pub layer_norm_eps: f64,
    /// Whether `<mask>` embeddings are zeroed and the rest rescaled (ESM-2: true).
    pub token_dropout: bool,
    /// Id of `<mask>`.
    pub mask_token_id: u32,
    /// Id of `<pad>`.
    pub pad_token_id: u32,
    /// Rotary base.
    pub rope_theta: f64,
}

impl EsmConfig {
    /// Reads and checks the config: `model_type` esm, rotary positions, no LayerNorm before the
    /// encoder (ESM-1b style models are not ESM-2).
    pub fn from_checkpoint(ck: &Checkpoint) -> std::result::Result<Self, ModelError> {
        ck.expect_str("model_type", &["esm"], None, "esm2")?;
        ck.expect_str(
            "position_embedding_type",
            &["rotary"],
            Some("absolute"),
            "esm2",
        )?;
        if ck.bool_or("emb_layer_norm_before", false)? {
            return Err(ck.mismatch(
                "emb_layer_norm_before",
                "is true (an ESM-1b style model); backend esm2 needs false",
            ));
        }
        if ck.bool_or("is_folding_model", false)? {
            return Err(ck.mismatch(
                "is_folding_model",
                "is true (ESMFold); backend esm2 needs a plain ESM-2 checkpoint",
            ));
        }
        let cfg = Self {
            vocab_size: ck.usize("vocab_size")?,
            hidden_size: ck.usize("hidden_size")?,
            num_hidden_layers: ck.usize("num_hidden_layers")?,
            num_attention_heads: ck.usize("num_attention_heads")?,
            intermediate_size: ck.usize("intermediate_size")?,
            layer_norm_eps: ck.f64_or("layer_norm_eps", 1e-5)?,
            token_dropout: ck.bool_or("token_dropout", true)?,
            mask_token_id: ck.usize_or("mask_token_id", 32)? as u32,
            pad_token_id: ck.usize_or("pad_token_id", 1)? as u32,
            rope_theta: ck.f64_or("rope_theta", 10000.0)?,
        };
        ck.check_heads(cfg.hidden_size, cfg.num_attention_heads)?;
        Ok(cfg)
    }
}

struct EsmLayer {
    attn_ln: LayerNorm,
    /// query, key and value projections stacked into one `(3h, h)` linear layer.
    qkv: Linear,
    o: Linear,
    ffn_ln: LayerNorm,
    fc1: Linear,
    fc2: Linear,
}

/// ESM-2 encoder.
pub struct Esm2 {
    cfg: EsmConfig,
    embed: Embedding,
    layers: Vec<EsmLayer>,
    final_ln: LayerNorm,
    rotary: Rotary,
}

impl Esm2 {
    /// Builds the model from a VarBuilder over the checkpoint's weights.
    pub fn new(cfg: EsmConfig, vb: VarBuilder) -> Result<Self> {
        let prefix = find_prefix(&vb, "embeddings.word_embeddings.weight", &["esm.", ""])
            .ok_or_else(|| {
                candle_core::Error::Msg(
                    "no tensor esm.embeddings.word_embeddings.weight or \
                     embeddings.word_embeddings.weight: not an ESM checkpoint"
                        .into(),
                )
            })?;
        let vb = if prefix.is_empty() {
            vb
        } else {
            vb.pp(prefix.trim_end_matches('.'))
        };
        let h = cfg.hidden_size;
        let eps = cfg.layer_norm_eps;
        let embed = candle_nn::embedding(cfg.vocab_size, h, vb.pp("embeddings.word_embeddings"))?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            layers.push(EsmLayer {
                attn_ln: candle_nn::layer_norm(h, eps, l.pp("attention.LayerNorm"))?,
                qkv: crate::layers::stacked_linear(&[
                    candle_nn::linear(h, h, l.pp("attention.self.query"))?,
                    candle_nn::linear(h, h, l.pp("attention.self.key"))?,
                    candle_nn::linear(h, h, l.pp("attention.self.value"))?,
                ])?,
                o: candle_nn::linear(h, h, l.pp("attention.output.dense"))?,
                ffn_ln: candle_nn::layer_norm(h, eps, l.pp("LayerNorm"))?,
                fc1: candle_nn::linear(h, cfg.intermediate_size, l.pp("intermediate.dense"))?,
                fc2: candle_nn::linear(cfg.intermediate_size, h, l.pp("output.dense"))?,
            });
        }
        let final_ln = candle_nn::layer_norm(h, eps, vb.pp("encoder.emb_layer_norm_after"))?;
        let dh = h / cfg.num_attention_heads;
        let rotary = Rotary::new(dh, cfg.rope_theta as f32);
        Ok(Self {
            cfg,
            embed,
            layers,
            final_ln,
            rotary,
        })
    }

    /// Token embeddings with token-dropout scaling, padding zeroed: `(B, T, h)`.
    fn embed(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let b = ids.dim(0)?;
        let mut x = self.embed.forward(ids)?;
        let dtype = x.dtype();
        let maskf = mask.to_dtype(DType::F32)?;
        if self.cfg.token_dropout {
            let is_mask = ids.eq(self.cfg.mask_token_id)?; // (B, T) u8
            let zeros = x.zeros_like()?;
            x = is_mask
                .unsqueeze(2)?
                .broadcast_as(x.shape())?
                .where_cond(&zeros, &x)?;
            let observed = (is_mask.to_dtype(DType::F32)?.sum(1)? / maskf.sum(1)?)?;
            // transformers: embeddings * (1 - 0.15 * 0.8) / (1 - observed)
            let denom = (1.0 - observed)?.reshape((b, 1, 1))?;
            x = (x.to_dtype(DType::F32)? * (1.0 - 0.15 * 0.8))?
                .broadcast_div(&denom)?
                .to_dtype(dtype)?;
        }
        x.broadcast_mul(&maskf.to_dtype(dtype)?.unsqueeze(2)?)
    }

    /// The CPU f32 forward pass on the fused kernels of [`crate::fast`].
    fn forward_fast(
        &self,
        ids: &Tensor,
        mask: &Tensor,
        keep: &[usize],
        lens: &[usize],
    ) -> Result<Vec<Tensor>> {
        use crate::fast;
        let (b, t) = ids.dims2()?;
        let rows = b * t;
        let d = self.cfg.hidden_size;
        let heads = self.cfg.num_attention_heads;
        let dh = d / heads;
        let scale = (dh as f32).powf(-0.5);
        let (cos, sin) = self.rotary.tables(t);
        let mut x: Vec<f32> = self.embed(ids, mask)?.flatten_all()?.to_vec1()?;
        let n = self.num_hidden_states();
        let mut out: Vec<Option<Tensor>> = vec![None; n];
        for (i, l) in self.layers.iter().enumerate() {
            if keep.contains(&i) {
                out[i] = Some(fast::to_tensor(x.clone(), b, t)?);
            }
            let h = fast::ln(&l.attn_ln, &x, d)?;
            let mut qkv = fast::lin(&l.qkv, &h, rows)?;
            fast::rotary_in_place(&mut qkv, t, heads, dh, &cos, &sin);
            let ctx = fast::attention(&qkv, t, heads, dh, lens, scale, None);
            drop(qkv);
            fast::lin_add(&l.o, &ctx, rows, &mut x)?;
            let h = fast::ln(&l.ffn_ln, &x, d)?;
            let ff = fast::FeedForward::Plain {
                w1: &l.fc1,
                act: fast::Act::GeluErf,
                w2: &l.fc2,
            };
            fast::feed_forward_into(&ff, &h, d, &mut x)?;
        }
        out[n - 1] = Some(fast::to_tensor(fast::ln(&self.final_ln, &x, d)?, b, t)?);
        crate::model::take_states(out, keep)
    }
}

impl Backbone for Esm2 {
    fn hidden_size(&self) -> usize {
        self.cfg.hidden_size
    }

    fn num_hidden_states(&self) -> usize {
        self.cfg.num_hidden_layers + 1
    }

    fn forward(&self, ids: &Tensor, mask: &Tensor, keep: &[usize]) -> Result<Vec<Tensor>> {
        if crate::fast::usable(self.embed.embeddings()) {
            if let Some(lens) = crate::fast::prefix_lengths(mask)? {
                return self.forward_fast(ids, mask, keep, &lens);
            }
        }
        let (_, t) = ids.dims2()?;
        let dev = ids.device();
        let mut x = self.embed(ids, mask)?;
        let dtype = x.dtype();
        let d = self.cfg.hidden_size;

        let heads = self.cfg.num_attention_heads;
        let dh = self.cfg.hidden_size / heads;
        let scale = (dh as f64).powf(-0.5);
        let (cos, sin) = self.rotary.tensors(t, dev)?;
        let bias = key_padding_bias(mask, dtype)?;
        let n = self.num_hidden_states();
        let mut out: Vec<Option<Tensor>> = vec![None; n];
        let want = |i: usize| keep.contains(&i);
        for (i, l) in self.layers.iter().enumerate() {
            if want(i) {
                out[i] = Some(x.clone());
            }
            let h = l.attn_ln.forward(&x)?;
            let qkv = crate::layers::linear3(&l.qkv, &h)?;
            let q = (split_heads(&qkv.narrow(2, 0, d)?, heads)? * scale)?;
            let k = split_heads(&qkv.narrow(2, d, d)?, heads)?;
            let v = split_heads(&qkv.narrow(2, 2 * d, d)?, heads)?;
            let q = apply_rotary(&q, &cos, &sin)?;
            let k = apply_rotary(&k, &cos, &sin)?;
            let ctx = attention(&q, &k, &v, &bias)?;
            x = (crate::layers::linear3(&l.o, &ctx)? + &x)?;
            let h = l.ffn_ln.forward(&x)?;
            let h = crate::layers::linear3(&l.fc1, &h)?.gelu_erf()?;
            x = (crate::layers::linear3(&l.fc2, &h)? + &x)?;
        }
        let last = self.final_ln.forward(&x)?;
        out[n - 1] = Some(last);
        crate::model::take_states(out, keep)
    }
}
