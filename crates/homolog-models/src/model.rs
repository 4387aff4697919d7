//! [`LanguageModel`]: a loaded checkpoint + tokenizer + FANTASIA's pre-processing and pooling.

use std::ops::Range;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use crate::ankh::{self, AnkhConfig};
use crate::checkpoint::Checkpoint;
use crate::dnabert2::{DnaBert2, DnaBert2Config};
use crate::error::ModelError;
use crate::esm2::{Esm2, EsmConfig};
use crate::esmc::{self, EsmC, EsmCConfig};
use crate::t5_encoder::{T5Config, T5Encoder};
use crate::tokenize::SeqTokenizer;
use crate::{LoadOptions, ModelKind};

/// A transformer body: token ids in, hidden states out.
pub(crate) trait Backbone: Send + Sync {
    fn hidden_size(&self) -> usize;
    /// Number of hidden states (layers + the embedding output).
    fn num_hidden_states(&self) -> usize;
    /// `ids` (B, T) u32 and `mask` (B, T) 0/1 -> the hidden states with transformers' indices
    /// `keep` (0 = embedding output, last = final output), each (B, T, D).
    fn forward(
        &self,
        ids: &Tensor,
        mask: &Tensor,
        keep: &[usize],
    ) -> candle_core::Result<Vec<Tensor>>;
}

/// Picks the recorded states in `keep` order.
pub(crate) fn take_states(
    out: Vec<Option<Tensor>>,
    keep: &[usize],
) -> candle_core::Result<Vec<Tensor>> {
    keep.iter()
        .map(|&i| {
            out.get(i).cloned().flatten().ok_or_else(|| {
                candle_core::Error::Msg(format!("hidden state {i} was not recorded"))
            })
        })
        .collect()
}

/// A tokenized sequence and where its pooled and per-residue tokens are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// Token ids including the special tokens.
    pub ids: Vec<u32>,
    /// Tokens averaged into the pooled vector.
    pub pool: Range<usize>,
    /// Tokens of the residues (DNABERT-2: of the sequence's BPE tokens).
    pub residues: Range<usize>,
}

/// What [`LanguageModel::embed`] returns for one sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceEmbedding {
    /// Pooled vector per requested layer (in request order).
    pub pooled: Vec<Vec<f32>>,
    /// Per requested layer, one vector per residue (per token for DNABERT-2), when asked for.
    pub per_residue: Option<Vec<Vec<Vec<f32>>>>,
    /// Number of tokens the model read.
    pub tokens: usize,
}

/// A loaded language model.
pub struct LanguageModel {
    kind: ModelKind,
    dir: PathBuf,
    backbone: Box<dyn Backbone>,
    tokenizer: SeqTokenizer,
    pad_id: u32,
    device: Device,
    dtype: DType,
}

impl std::fmt::Debug for LanguageModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LanguageModel")
            .field("kind", &self.kind)
            .field("dir", &self.dir)
            .field("dim", &self.dim())
            .field("hidden_states", &self.num_hidden_states())
            .field("dtype", &self.dtype)
            .finish()
    }
}

impl LanguageModel {
    /// Loads checkpoint `path` (a folder, a hub-cache repository folder, a model id in the
    /// local hub cache, or `hf:org/name[@revision]`, downloaded when not cached: see
    /// [`crate::checkpoint::resolve_dir`]) as a `kind` model.
    pub fn load(kind: ModelKind, path: &Path, opts: &LoadOptions) -> Result<Self, ModelError> {
        let ck = Checkpoint::open(path)?;
        let device = opts.device.open()?;
        let dtype = opts.precision.dtype();
        let wrap = |p: PathBuf| {
            move |e: candle_core::Error| ModelError::Weights {
                path: p.clone(),
                reason: e.to_string(),
            }
        };
        let (backbone, tokenizer): (Box<dyn Backbone>, SeqTokenizer) = match kind {
            ModelKind::Esm2 => {
                let cfg = EsmConfig::from_checkpoint(&ck)?;
                let keep = |n: &str| {
                    !n.contains("lm_head") && !n.contains("contact_head") && !n.contains("pooler")
                };
                let (vb, wpath) = ck.load_weights(keep, dtype, &device)?;
                let m = Esm2::new(cfg, vb).map_err(wrap(wpath))?;
                (Box::new(m), SeqTokenizer::from_esm_vocab(&ck.dir)?)
            }
            ModelKind::EsmC => {
                let (vb, wpath) = ck.load_weights(esmc::wants, dtype, &device)?;
                let (d, n) = esmc::dims_from_weights(&vb).ok_or_else(|| ModelError::Weights {
                    path: wpath.clone(),
                    reason: "no tensor embed.weight: not an ESM C state dict".into(),
                })?;
                let cfg = EsmCConfig::from_checkpoint(&ck, d, n)?;
                let m = EsmC::new(cfg, vb).map_err(wrap(wpath))?;
                (Box::new(m), SeqTokenizer::esmc(&ck.dir)?)
            }
            ModelKind::ProtT5 | ModelKind::ProstT5 => {
                let cfg = T5Config::from_checkpoint(&ck, kind.name())?;
                let (vb, wpath) = ck.load_weights(T5Encoder::wants, dtype, &device)?;
                let m = T5Encoder::new(cfg, vb).map_err(wrap(wpath))?;
                let tok = SeqTokenizer::from_t5_folder(&ck.dir)?;
                if kind == ModelKind::ProstT5 && tok.token_id("<AA2fold>").is_none() {
                    return Err(ModelError::Tokenizer {
                        path: ck.dir.clone(),
                        reason: "has no <AA2fold> token; is this a ProstT5 checkpoint? (ProtT5 \
                                 is backend prot_t5)"
                            .into(),
                    });
                }
                (Box::new(m), tok)
            }
            ModelKind::Ankh3 => {
                let cfg = AnkhConfig::from_checkpoint(&ck)?;
                let (vb, wpath) = ck.load_weights(T5Encoder::wants, dtype, &device)?;
                let m = T5Encoder::new(cfg.t5, vb).map_err(wrap(wpath))?;
                (Box::new(m), ankh::tokenizer(&ck)?)
            }
            ModelKind::DnaBert2 => {
                let cfg = DnaBert2Config::from_checkpoint(&ck)?;
                let keep = |n: &str| !n.starts_with("cls.") && !n.contains("pooler");
                let (vb, wpath) = ck.load_weights(keep, dtype, &device)?;
                let m = DnaBert2::new(cfg, vb).map_err(wrap(wpath))?;
                (Box::new(m), SeqTokenizer::from_tokenizer_json(&ck.dir)?)
            }
        };
        let pad_id = ["<pad>", "[PAD]"]
            .iter()
            .find_map(|t| tokenizer.token_id(t))
            .or_else(|| {
                ck.config
                    .get("pad_token_id")
                    .and_then(|v| v.as_u64())
                    .map(|v| v as u32)
            })
            .unwrap_or(0);
        Ok(Self {
            kind,
            dir: ck.dir,
            backbone,
            tokenizer,
            pad_id,
            device,
            dtype,
        })
    }

    /// The model family.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// The checkpoint folder in use.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Embedding width.
    pub fn dim(&self) -> usize {
        self.backbone.hidden_size()
    }

    /// Number of selectable layers (layers + the embedding output); valid layer indices are
    /// `0..num_hidden_states()`, 0 = last.
    pub fn num_hidden_states(&self) -> usize {
        self.backbone.num_hidden_states()
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &SeqTokenizer {
        &self.tokenizer
    }

    /// Tokenizes one sequence with the model's preprocessing.
    pub fn tokenize(&self, seq: &str) -> Result<Tokens, ModelError> {
        if seq.trim().is_empty() {
            return Err(ModelError::Request("empty sequence".into()));
        }
        let ids = self.tokenizer.encode(&self.kind.model_input(seq))?;
        let n = ids.len();
        if n < 2 {
            return Err(ModelError::Request(format!(
                "the tokenizer produced {n} token(s) for a sequence of {} residues",
                seq.chars().count()
            )));
        }
        let (pool, residues) = match self.kind {
            ModelKind::Esm2 | ModelKind::EsmC => (1..n - 1, 1..n - 1),
            ModelKind::ProtT5 => (0..n, 0..n - 1),
            ModelKind::ProstT5 | ModelKind::Ankh3 => (0..n, 1..n - 1),
            ModelKind::DnaBert2 => (0..n, 1..n - 1),
        };
        Ok(Tokens {
            ids,
            pool,
            residues,
        })
    }

    fn check_layers(&self, layers: &[usize]) -> Result<Vec<usize>, ModelError> {
        let s = self.num_hidden_states();
        layers
            .iter()
            .map(|&k| {
                if k < s {
                    Ok(s - 1 - k)
                } else {
                    Err(ModelError::Request(format!(
                        "layer {k} does not exist in this {} checkpoint (valid: 0..={}, 0 = last \
                         layer)",
                        self.kind.name(),
                        s - 1
                    )))
                }
            })
            .collect()
    }

    /// Embeds `seqs` in one padded batch at `layers` (0 = last). With `per_residue`, also
    /// returns one vector per residue (DNABERT-2: per BPE token of the sequence); for protein
    /// models that needs one token per residue, else that is an error.
    pub fn embed(
        &self,
        seqs: &[&str],
        layers: &[usize],
        per_residue: bool,
    ) -> Result<Vec<SequenceEmbedding>, ModelError> {
        if seqs.is_empty() {
            return Ok(vec![]);
        }
        let states = self.check_layers(layers)?;
        let toks = seqs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                self.tokenize(s).map_err(|e| {
                    ModelError::Request(format!("sequence #{} of the batch: {e}", i + 1))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if per_residue && self.kind.is_protein() {
            for (i, (t, s)) in toks.iter().zip(seqs).enumerate() {
                let l = s.chars().count();
                if t.residues.len() != l {
                    return Err(ModelError::Request(format!(
                        "sequence #{}: {} residues became {} tokens, so per-residue output is \
                         not defined",
                        i + 1,
                        l,
                        t.residues.len()
                    )));
                }
            }
        }
        let b = toks.len();
        let t = toks.iter().map(|x| x.ids.len()).max().unwrap_or(0);
        let mut ids = vec![self.pad_id; b * t];
        let mut mask = vec![0f32; b * t];
        let mut pool = vec![0f32; b * t];
        for (i, tk) in toks.iter().enumerate() {
            ids[i * t..i * t + tk.ids.len()].copy_from_slice(&tk.ids);
            mask[i * t..i * t + tk.ids.len()].fill(1.0);
            let w = 1.0 / tk.pool.len() as f32;
            for p in tk.pool.clone() {
                pool[i * t + p] = w;
            }
        }
        let ids = Tensor::from_vec(ids, (b, t), &self.device)?;
        let mask = Tensor::from_vec(mask, (b, t), &self.device)?;
        let pool = Tensor::from_vec(pool, (b, t), &self.device)?;
        let hidden = self.backbone.forward(&ids, &mask, &states)?;
        let mut out: Vec<SequenceEmbedding> = toks
            .iter()
            .map(|tk| SequenceEmbedding {
                pooled: Vec::with_capacity(layers.len()),
                per_residue: per_residue.then(|| Vec::with_capacity(layers.len())),
                tokens: tk.ids.len(),
            })
            .collect();
        for h in &hidden {
            let pooled = crate::layers::weighted_pool(h, &pool)?.to_vec2::<f32>()?;
            for (o, v) in out.iter_mut().zip(pooled) {
                o.pooled.push(v);
            }
            if per_residue {
                let hf = h.to_dtype(DType::F32)?;
                for (i, (o, tk)) in out.iter_mut().zip(&toks).enumerate() {
                    let r = hf
                        .get(i)?
                        .narrow(0, tk.residues.start, tk.residues.len())?
                        .to_vec2::<f32>()?;
                    if let Some(pr) = o.per_residue.as_mut() {
                        pr.push(r);
                    }
                }
            }
        }
        Ok(out)
    }

    /// All hidden states of one sequence (transformers' order: 0 = embedding output), each
    /// `[tokens][dim]`, for checks against reference outputs.
    pub fn hidden_states(&self, seq: &str) -> Result<Vec<Vec<Vec<f32>>>, ModelError> {
        let tk = self.tokenize(seq)?;
        let n = tk.ids.len();
        let ids = Tensor::from_vec(tk.ids, (1, n), &self.device)?;
        let mask = Tensor::ones((1, n), DType::F32, &self.device)?;
        let all: Vec<usize> = (0..self.num_hidden_states()).collect();
        let hs = self.backbone.forward(&ids, &mask, &all)?;
        hs.iter()
            .map(|h| Ok(h.to_dtype(DType::F32)?.get(0)?.to_vec2::<f32>()?))
            .collect()
    }
}
