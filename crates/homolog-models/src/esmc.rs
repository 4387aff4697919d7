//! ESM C (ESM Cambrian, EvolutionaryScale's `esm` package, `esm.models.esmc.ESMC`): token
//! embeddings, pre-LN transformer blocks with a fused LayerNorm + qkv projection, LayerNorm over
//! the whole query and key vectors (QK layer norm, no bias), rotary position embeddings
//! (non-interleaved), a SwiGLU feed-forward, residual branches divided by
//! `sqrt(n_layers / 36)`, and a final LayerNorm without bias. No linear layer has a bias.
//!
//! Checkpoints: EvolutionaryScale's torch state dict (`data/weights/esmc_300m_2024_12_v0.pth`
//! of `EvolutionaryScale/esmc-300m-2024-12`, found by [`crate::checkpoint::Checkpoint`] under
//! the folder), or the same names in `model.safetensors` / `pytorch_model.bin`, plus a
//! `config.json` (`{"model_type": "esmc", "d_model": 960, "n_heads": 15, "n_layers": 30}`;
//! `d_model` and `n_layers` may be left out, they are read from the weights). The vocabulary is
//! ESM C's fixed one ([`ESMC_VOCAB`]) unless the folder has a `vocab.txt`.
//!
//! Hidden states, in transformers' order: 0 = the embedding output, i = the output of block i
//! for i < n_layers, and the last one = the final LayerNorm of the last block's output (the
//! `embeddings` of the `esm` package), so that layer index 0 means the final-normed output as
//! for the other backends.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};

use crate::checkpoint::Checkpoint;
use crate::error::ModelError;
use crate::layers::{apply_rotary, attention, key_padding_bias, split_heads, Rotary};
use crate::model::Backbone;

/// ESM C's sequence vocabulary (`esm.utils.constants.esm3.SEQUENCE_VOCAB`), id = position. The
/// embedding table has 64 rows; the ids past this list are unused.
pub const ESMC_VOCAB: [&str; 33] = [
    "<cls>", "<pad>", "<eos>", "<unk>", "L", "A", "G", "V", "S", "E", "R", "T", "I", "D", "P", "K",
    "Q", "N", "F", "Y", "M", "H", "W", "C", "X", "B", "U", "Z", "O", ".", "-", "|", "<mask>",
];

/// The published ESM C sizes: (d_model, n_heads, n_layers).
pub const ESMC_SIZES: [(&str, usize, usize, usize); 2] =
    [("esmc_300m", 960, 15, 30), ("esmc_600m", 1152, 18, 36)];

/// The dimensions of an ESM C model.
#[derive(Debug, Clone, PartialEq)]
pub struct EsmCConfig {
    /// Model width.
    pub d_model: usize,
    /// Attention heads.
    pub n_heads: usize,
    /// Transformer blocks.
    pub n_layers: usize,
    /// Rows of the embedding table (64).
    pub vocab_size: usize,
    /// LayerNorm epsilon (torch's default, 1e-5).
    pub layer_norm_eps: f64,
    /// Rotary base (10000).
    pub rope_theta: f64,
}

impl EsmCConfig {
    /// Reads config.json (`model_type` esmc; `n_heads` required unless the width is one of the
    /// published sizes; `d_model`/`n_layers` default to what the weights hold).
    pub fn from_checkpoint(
        ck: &Checkpoint,
        d_model_in_weights: usize,
        n_layers_in_weights: usize,
    ) -> std::result::Result<Self, ModelError> {
        ck.expect_str("model_type", &["esmc"], None, "esmc")?;
        let d_model = ck.usize_or("d_model", d_model_in_weights)?;
        let n_layers = ck.usize_or("n_layers", n_layers_in_weights)?;
        if d_model != d_model_in_weights {
            return Err(ck.mismatch(
                "d_model",
                format!("is {d_model} but the weights are {d_model_in_weights} wide"),
            ));
        }
        if n_layers != n_layers_in_weights {
            return Err(ck.mismatch(
                "n_layers",
                format!("is {n_layers} but the weights hold {n_layers_in_weights} blocks"),
            ));
        }
        let known = ESMC_SIZES
            .iter()
            .find(|s| s.1 == d_model && s.3 == n_layers)
            .map(|s| s.2);
        let n_heads = match known {
            Some(h) => ck.usize_or("n_heads", h)?,
            None => ck.usize("n_heads")?,
        };
        ck.check_heads(d_model, n_heads)?;
        Ok(Self {
            d_model,
            n_heads,
            n_layers,
            vocab_size: ck.usize_or("vocab_size", 64)?,
            layer_norm_eps: ck.f64_or("layer_norm_eps", 1e-5)?,
            rope_theta: ck.f64_or("rope_theta", 10000.0)?,
        })
    }

    /// SwiGLU hidden width: 8/3 * d_model rounded up to a multiple of 256.
    pub fn ffn_hidden(&self) -> usize {
        // int(((8/3 * d) + 255) // 256 * 256), in f64 as the reference computes it.
        (((8.0 / 3.0) * self.d_model as f64 + 255.0) / 256.0).floor() as usize * 256
    }

    /// Residual branch divisor `sqrt(n_layers / 36)`.
    pub fn residue_scaling(&self) -> f64 {
        (self.n_layers as f64 / 36.0).sqrt()
    }
}

/// Whether a state-dict tensor belongs to the encoder (the sequence head is not used).
pub fn wants(name: &str) -> bool {
    !name.starts_with("sequence_head.")
}

/// `(d_model, n_layers)` from the tensor names and shapes of a loaded state dict.
pub fn dims_from_weights(vb: &VarBuilder) -> Option<(usize, usize)> {
    let d = vb.get_unchecked("embed.weight").ok()?.dim(1).ok()?;
    let n = (0..)
        .take_while(|i| vb.contains_tensor(&format!("transformer.blocks.{i}.attn.out_proj.weight")))
        .count();
    Some((d, n))
}

struct Block {
    /// `layernorm_qkv.0`: LayerNorm with bias.
    qkv_ln: LayerNorm,
    /// `layernorm_qkv.1`: `(3d, d)`, no bias.
    qkv: Linear,
    q_ln: LayerNorm,
    k_ln: LayerNorm,
    /// `out_proj`, divided by the residue scaling.
    out: Linear,
    /// `ffn.0`: LayerNorm with bias.
    ffn_ln: LayerNorm,
    /// `ffn.1`: `(2 * hidden, d)`, the SiLU half first.
    ffn_in: Linear,
    /// `ffn.3`: `(d, hidden)`, divided by the residue scaling.
    ffn_out: Linear,
}

/// ESM C encoder.
pub struct EsmC {
    cfg: EsmCConfig,
    embed: Embedding,
    blocks: Vec<Block>,
    norm: LayerNorm,
    rotary: Rotary,
}

fn ln_bias(d: usize, eps: f64, vb: VarBuilder) -> Result<LayerNorm> {
    Ok(LayerNorm::new(
        vb.get(d, "weight")?,
        vb.get(d, "bias")?,
        eps,
    ))
}

/// A LayerNorm without bias, held with a zero bias so both forward paths take it as it is.
fn ln_no_bias(d: usize, eps: f64, vb: VarBuilder) -> Result<LayerNorm> {
    let w = vb.get(d, "weight")?;
    let b = w.zeros_like()?;
    Ok(LayerNorm::new(w, b, eps))
}

/// A linear layer without bias whose output is divided by `s` (the weights are).
fn linear_scaled(i: usize, o: usize, s: f64, vb: VarBuilder) -> Result<Linear> {
    let w = vb.get((o, i), "weight")?;
    Ok(Linear::new((w / s)?, None))
}

impl EsmC {
    /// Builds the model from a VarBuilder over the state dict (names as in `ESMC.state_dict()`).
    pub fn new(cfg: EsmCConfig, vb: VarBuilder) -> Result<Self> {
        let d = cfg.d_model;
        let eps = cfg.layer_norm_eps;
        let hidden = cfg.ffn_hidden();
        let res = cfg.residue_scaling();
        let embed = candle_nn::embedding(cfg.vocab_size, d, vb.pp("embed"))?;
        let mut blocks = Vec::with_capacity(cfg.n_layers);
        for i in 0..cfg.n_layers {
            let b = vb.pp(format!("transformer.blocks.{i}"));
            let a = b.pp("attn");
            blocks.push(Block {
                qkv_ln: ln_bias(d, eps, a.pp("layernorm_qkv.0"))?,
                qkv: candle_nn::linear_no_bias(d, 3 * d, a.pp("layernorm_qkv.1"))?,
                q_ln: ln_no_bias(d, eps, a.pp("q_ln"))?,
                k_ln: ln_no_bias(d, eps, a.pp("k_ln"))?,
                out: linear_scaled(d, d, res, a.pp("out_proj"))?,
                ffn_ln: ln_bias(d, eps, b.pp("ffn.0"))?,
                ffn_in: candle_nn::linear_no_bias(d, 2 * hidden, b.pp("ffn.1"))?,
                ffn_out: linear_scaled(hidden, d, res, b.pp("ffn.3"))?,
            });
        }
        let norm = ln_no_bias(d, eps, vb.pp("transformer.norm"))?;
        let dh = d / cfg.n_heads;
        let rotary = Rotary::new(dh, cfg.rope_theta as f32);
        Ok(Self {
            cfg,
            embed,
            blocks,
            norm,
            rotary,
        })
    }
}

impl EsmC {
    /// The CPU f32 forward pass on the fused kernels of [`crate::fast`].
    fn forward_fast(&self, ids: &Tensor, keep: &[usize], lens: &[usize]) -> Result<Vec<Tensor>> {
        use crate::fast;
        let (b, t) = ids.dims2()?;
        let rows = b * t;
        let d = self.cfg.d_model;
        let heads = self.cfg.n_heads;
        let dh = d / heads;
        let scale = (dh as f32).powf(-0.5);
        let (cos, sin) = self.rotary.tables(t);
        let mut x: Vec<f32> = self.embed.forward(ids)?.flatten_all()?.to_vec1()?;
        let n = self.num_hidden_states();
        let mut out: Vec<Option<Tensor>> = vec![None; n];
        let mut part = vec![0f32; rows * d];
        for (i, l) in self.blocks.iter().enumerate() {
            if keep.contains(&i) {
                out[i] = Some(fast::to_tensor(x.clone(), b, t)?);
            }
            let h = fast::ln(&l.qkv_ln, &x, d)?;
            let mut qkv = fast::lin(&l.qkv, &h, rows)?;
            // QK layer norm over the whole query / key vector of each token.
            for (off, norm) in [(0, &l.q_ln), (d, &l.k_ln)] {
                for (p, r) in part.chunks_exact_mut(d).zip(qkv.chunks_exact(3 * d)) {
                    p.copy_from_slice(&r[off..off + d]);
                }
                let normed = fast::ln(norm, &part, d)?;
                for (r, p) in qkv.chunks_exact_mut(3 * d).zip(normed.chunks_exact(d)) {
                    r[off..off + d].copy_from_slice(p);
                }
            }
            fast::rotary_in_place(&mut qkv, t, heads, dh, &cos, &sin);
            let ctx = fast::attention(&qkv, t, heads, dh, lens, scale, None);
            drop(qkv);
            fast::lin_add(&l.out, &ctx, rows, &mut x)?;
            let h = fast::ln(&l.ffn_ln, &x, d)?;
            let ff = fast::FeedForward::GatedFused {
                wg: &l.ffn_in,
                act: fast::Act::Silu,
                w2: &l.ffn_out,
            };
            fast::feed_forward_into(&ff, &h, d, &mut x)?;
        }
        out[n - 1] = Some(fast::to_tensor(fast::ln(&self.norm, &x, d)?, b, t)?);
        crate::model::take_states(out, keep)
    }
}

impl Backbone for EsmC {
    fn hidden_size(&self) -> usize {
        self.cfg.d_model
    }

    fn num_hidden_states(&self) -> usize {
        self.cfg.n_layers + 1
    }

    fn forward(&self, ids: &Tensor, mask: &Tensor, keep: &[usize]) -> Result<Vec<Tensor>> {
        if crate::fast::usable(self.embed.embeddings()) {
            if let Some(lens) = crate::fast::prefix_lengths(mask)? {
                return self.forward_fast(ids, keep, &lens);
            }
        }
        let (_, t) = ids.dims2()?;
        let dev = ids.device();
        let mut x = self.embed.forward(ids)?;
        let dtype = x.dtype();
        let d = self.cfg.d_model;
        let heads = self.cfg.n_heads;
        let dh = d / heads;
        let scale = (dh as f64).powf(-0.5);
        let hidden = self.cfg.ffn_hidden();
        let (cos, sin) = self.rotary.tensors(t, dev)?;
        let bias = key_padding_bias(mask, dtype)?;
        let n = self.num_hidden_states();
        let mut out: Vec<Option<Tensor>> = vec![None; n];
        for (i, l) in self.blocks.iter().enumerate() {
            if keep.contains(&i) {
                out[i] = Some(x.clone());
            }
            let h = l.qkv_ln.forward(&x)?;
            let qkv = crate::layers::linear3(&l.qkv, &h)?;
            let q = l.q_ln.forward(&qkv.narrow(2, 0, d)?.contiguous()?)?;
            let k = l.k_ln.forward(&qkv.narrow(2, d, d)?.contiguous()?)?;
            let v = split_heads(&qkv.narrow(2, 2 * d, d)?, heads)?;
            let q = apply_rotary(&split_heads(&q, heads)?, &cos, &sin)?;
            let k = apply_rotary(&split_heads(&k, heads)?, &cos, &sin)?;
            let ctx = attention(&(q * scale)?, &k, &v, &bias)?;
            x = (x + crate::layers::linear3(&l.out, &ctx)?)?;
            let h = l.ffn_ln.forward(&x)?;
            let g = crate::layers::linear3(&l.ffn_in, &h)?;
            let a = g.narrow(2, 0, hidden)?.silu()?;
            let b = g.narrow(2, hidden, hidden)?;
            let h = (a * b)?;
            x = (x + crate::layers::linear3(&l.ffn_out, &h)?)?;
        }
        out[n - 1] = Some(self.norm.forward(&x)?);
        crate::model::take_states(out, keep)
    }
}
