//! Protein and DNA language models in Rust, numerically equal to Hugging Face `transformers`.
//!
//! Point [`LanguageModel::load`] at a Hugging Face checkpoint folder, a model id in the local
//! hub cache, or `hf:org/name[@revision]` to download it from the Hugging Face Hub into that
//! cache first ([`hub`]; the only path that touches the network), and get per-layer embeddings,
//! pooled or per residue, from one forward pass, on CPU (f32 by default, f16/bf16 as options)
//! or, built with the `cuda` feature, on an NVIDIA GPU.
//!
//! Architectures, one file each (config struct + forward pass, with [candle](candle_core)):
//! - [`esm2`]: ESM-2 (`EsmModel`: rotary embeddings, pre-LN, token-dropout scaling).
//! - [`t5_encoder`]: the T5 encoder of ProtT5 / ProstT5 (`T5EncoderModel`: relative position
//!   buckets, RMS layer norm, relu or gated-gelu feed-forward).
//! - [`ankh`]: Ankh / Ankh3, a T5-encoder variant with its own config checks and tokenizer.json.
//! - [`dnabert2`]: DNABERT-2 (MosaicBERT: fused Wqkv, ALiBi, gated GELU MLP, post-LN).
//! - [`esmc`]: ESM C (EvolutionaryScale's `esm` package: QK layer norm, rotary, SwiGLU, scaled
//!   residuals), from its torch state dict.
//!
//! Weights come from `model.safetensors` (single or sharded) or `pytorch_model.bin`
//! ([`checkpoint`]); tokenizers from `vocab.txt`, `spiece.model` or `tokenizer.json`
//! ([`tokenize`]). A config that does not match the backend is an error naming the key.
//!
//! Model behaviour follows FANTASIA (see [`ModelKind`]): T5 models map the rare residues U, Z, O,
//! B to X and space-separate residues, ProstT5 prepends `<AA2fold>`, Ankh3 prepends `[NLU]`;
//! pooling is the mean over residues without BOS/EOS for ESM-2 and over all non-pad tokens for
//! the T5 family and DNABERT-2. Layer index k means `hidden_states[-(k+1)]` (0 = last layer, the
//! final-normed output; the highest index is the embedding output).
//!
//! Results do not depend on batch composition: padded positions are masked out of attention
//! and out of pooling, so a sequence embedded alone or in any batch gives the same vectors up
//! to floating-point summation order (tested at 1e-5).
//!
//! # Example
//!
//! Loading a checkpoint folder and embedding a batch at the last two layers. The folder here is
//! the tiny random-weight ESM-2 of this crate's test fixtures (32 dimensions, 3 layers); a real
//! one such as `facebook/esm2_t33_650M_UR50D` loads the same way.
//!
//! ```rust
//! use std::path::Path;
//!
//! use homolog_models::{DeviceSpec, LanguageModel, LoadOptions, ModelKind, Precision};
//!
//! let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/esm2");
//! let options = LoadOptions {
//!     device: DeviceSpec::parse("cpu")?,
//!     precision: Precision::parse("fp32")?,
//! };
//! let model = LanguageModel::load(ModelKind::Esm2, &dir, &options)?;
//! assert_eq!((model.dim(), model.num_hidden_states()), (32, 4)); // embeddings + 3 layers
//!
//! let out = model.embed(&["MKTAYIAKQR", "MSTNPK"], &[0, 1], true)?;
//! assert_eq!(out[0].pooled.len(), 2); // one pooled vector per requested layer
//! assert_eq!(out[0].pooled[0].len(), 32);
//! assert_eq!(out[1].tokens, 8); // <cls> + 6 residues + <eos>
//! let per_residue = out[1].per_residue.as_ref().unwrap();
//! assert_eq!(per_residue[0].len(), 6); // BOS/EOS excluded
//!
//! // A sequence embedded alone gives the same vectors as in the batch.
//! let alone = model.embed(&["MSTNPK"], &[0], false)?;
//! let diff = alone[0].pooled[0].iter().zip(&out[1].pooled[0]).map(|(a, b)| (a - b).abs());
//! assert!(diff.fold(0f32, f32::max) < 1e-5);
//!
//! // FANTASIA's preprocessing per family.
//! assert_eq!(ModelKind::ProtT5.model_input("MUZK"), "M X X K");
//! # Ok::<(), homolog_models::ModelError>(())
//! ```

pub mod ankh;
pub mod cache;
pub mod checkpoint;
pub mod dnabert2;
pub mod error;
pub mod esm2;
pub mod esmc;
mod fast;
pub mod hub;
mod layers;
mod model;
pub mod t5_encoder;
pub mod tokenize;
pub mod unirep;

pub use error::ModelError;
pub use model::{LanguageModel, SequenceEmbedding, Tokens};

use candle_core::{DType, Device};

/// The model families homolog runs, with their FANTASIA preprocessing and pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// ESM-2 (`facebook/esm2_*`): `<cls>` seq `<eos>`, mean over residues (BOS/EOS excluded).
    Esm2,
    /// ProtT5 (`Rostlab/prot_t5_xl_uniref50`): rare residues -> X, space-separated, `</s>`
    /// appended, mean over all non-pad tokens.
    ProtT5,
    /// ProstT5 (`Rostlab/ProstT5`): as ProtT5 with the `<AA2fold>` prefix token.
    ProstT5,
    /// Ankh3 (`ElnaggarLab/ankh3-*`): `[NLU]` + sequence, mean over all non-pad tokens.
    Ankh3,
    /// DNABERT-2 (`zhihan1996/DNABERT-2-117M`): BPE tokens, `[CLS]`/`[SEP]`, mean over all
    /// non-pad tokens (as the model card's example).
    DnaBert2,
    /// ESM C (EvolutionaryScale's ESM Cambrian 300M/600M): `<cls>` seq `<eos>`, mean over
    /// residues (BOS/EOS excluded), as ESM-2.
    EsmC,
}

impl ModelKind {
    /// Every kind.
    pub const ALL: [ModelKind; 6] = [
        ModelKind::Esm2,
        ModelKind::ProtT5,
        ModelKind::ProstT5,
        ModelKind::Ankh3,
        ModelKind::DnaBert2,
        ModelKind::EsmC,
    ];

    /// Canonical backend name (homolog-embed's registry name).
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Esm2 => "esm2",
            ModelKind::ProtT5 => "prot_t5",
            ModelKind::ProstT5 => "prost_t5",
            ModelKind::Ankh3 => "ankh3",
            ModelKind::DnaBert2 => "dnabert2",
            ModelKind::EsmC => "esmc",
        }
    }

    /// The kind with canonical name `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The model's input text for one sequence (FANTASIA's preprocessing).
    pub fn model_input(self, seq: &str) -> String {
        let t5 = |s: &str| {
            let mut out = String::with_capacity(s.len() * 2);
            for (i, c) in s.chars().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push(if matches!(c, 'U' | 'Z' | 'O' | 'B') {
                    'X'
                } else {
                    c
                });
            }
            out
        };
        match self {
            ModelKind::Esm2 | ModelKind::EsmC | ModelKind::DnaBert2 => seq.to_string(),
            ModelKind::ProtT5 => t5(seq),
            ModelKind::ProstT5 => format!("<AA2fold> {}", t5(seq)),
            ModelKind::Ankh3 => format!("[NLU]{seq}"),
        }
    }

    /// Whether the model reads protein (true) or DNA (false).
    pub fn is_protein(self) -> bool {
        !matches!(self, ModelKind::DnaBert2)
    }
}

/// Numeric precision of weights and activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// 32-bit floats (the default; parity with transformers at 1e-4).
    #[default]
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    Bf16,
}

impl Precision {
    /// Parses `fp32`/`f32`/`float32`, `fp16`/`f16`/`half`/`float16`, `bf16`/`bfloat16`.
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fp32" | "f32" | "float32" | "float" => Ok(Precision::F32),
            "fp16" | "f16" | "half" | "float16" => Ok(Precision::F16),
            "bf16" | "bfloat16" => Ok(Precision::Bf16),
            other => Err(ModelError::Request(format!(
                "unknown precision {other:?}; use fp32, fp16 or bf16"
            ))),
        }
    }

    /// The tensor dtype.
    pub fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::F16 => DType::F16,
            Precision::Bf16 => DType::BF16,
        }
    }
}

/// Where the model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceSpec {
    /// The CPU (all cores; `RAYON_NUM_THREADS` limits them).
    #[default]
    Cpu,
    /// NVIDIA GPU number N (needs the `cuda` feature).
    Cuda(usize),
}

impl DeviceSpec {
    /// Parses `cpu`, `cuda`, `cuda:N` (also `gpu`, `gpu:N`).
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        let t = s.trim().to_ascii_lowercase();
        if t == "cpu" {
            return Ok(DeviceSpec::Cpu);
        }
        let rest = t.strip_prefix("cuda").or_else(|| t.strip_prefix("gpu"));
        match rest {
            Some("") => Ok(DeviceSpec::Cuda(0)),
            Some(r) => r
                .strip_prefix(':')
                .and_then(|n| n.parse().ok())
                .map(DeviceSpec::Cuda)
                .ok_or_else(|| ModelError::Device {
                    device: s.to_string(),
                    reason: "use cpu, cuda or cuda:N".into(),
                }),
            None => Err(ModelError::Device {
                device: s.to_string(),
                reason: "unknown device; use cpu, cuda or cuda:N".into(),
            }),
        }
    }

    /// Opens the device.
    pub fn open(self) -> Result<Device, ModelError> {
        match self {
            DeviceSpec::Cpu => Ok(Device::Cpu),
            DeviceSpec::Cuda(n) => open_cuda(n),
        }
    }
}

#[cfg(feature = "cuda")]
fn open_cuda(n: usize) -> Result<Device, ModelError> {
    Device::new_cuda(n).map_err(|e| ModelError::Device {
        device: format!("cuda:{n}"),
        reason: e.to_string(),
    })
}

#[cfg(not(feature = "cuda"))]
fn open_cuda(n: usize) -> Result<Device, ModelError> {
    Err(ModelError::Device {
        device: format!("cuda:{n}"),
        reason: "this build has no CUDA support; rebuild with `--features cuda` (needs the CUDA \
                 toolkit) or use device: cpu"
            .into(),
    })
}

/// How to load a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadOptions {
    /// Device to run on.
    pub device: DeviceSpec,
    /// Numeric precision.
    pub precision: Precision,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocessing_per_model() {
        assert_eq!(ModelKind::ProtT5.model_input("MUZOBK"), "M X X X X K");
        assert_eq!(ModelKind::ProstT5.model_input("MU"), "<AA2fold> M X");
        assert_eq!(ModelKind::Ankh3.model_input("MU"), "[NLU]MU");
        assert_eq!(ModelKind::Esm2.model_input("MUZ"), "MUZ");
        for k in ModelKind::ALL {
            assert_eq!(ModelKind::from_name(k.name()), Some(k));
        }
    }

    #[test]
    fn parses_device_and_precision() {
        assert_eq!(DeviceSpec::parse("cpu").unwrap(), DeviceSpec::Cpu);
        assert_eq!(DeviceSpec::parse("cuda").unwrap(), DeviceSpec::Cuda(0));
        assert_eq!(DeviceSpec::parse("cuda:2").unwrap(), DeviceSpec::Cuda(2));
        assert!(DeviceSpec::parse("cuda:x").is_err());
        assert!(DeviceSpec::parse("tpu").is_err());
        assert_eq!(Precision::parse("BF16").unwrap(), Precision::Bf16);
        assert_eq!(Precision::parse("fp16").unwrap(), Precision::F16);
        assert!(Precision::parse("int8").is_err());
        #[cfg(not(feature = "cuda"))]
        {
            let e = DeviceSpec::Cuda(0).open().unwrap_err().to_string();
            assert!(e.contains("--features cuda"), "{e}");
        }
    }
}
