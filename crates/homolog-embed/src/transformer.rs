//! The transformer backends (ESM-2, ProtT5, ProstT5, Ankh3, DNABERT-2) of `homolog-models`
//! behind the [`Embedder`] trait. Built with the cargo feature `transformers`.

use homolog_models::{DeviceSpec, LanguageModel, LoadOptions, ModelKind, Precision};

use crate::error::EmbedError;
use crate::settings::ModelSettings;
use crate::Embedder;

/// A loaded Hugging Face checkpoint as an [`Embedder`] (pooled vectors, FANTASIA's pooling).
#[derive(Debug)]
pub struct TransformerEmbedder {
    name: &'static str,
    model: LanguageModel,
}

impl TransformerEmbedder {
    /// Loads the checkpoint of model `key` (config key, for messages) for backend `backend`
    /// from `settings.path`, on `settings.device` at `settings.precision`.
    pub fn load(
        key: &str,
        backend: &'static str,
        settings: &ModelSettings,
    ) -> Result<Self, EmbedError> {
        let bad = |message: String| EmbedError::InvalidSettings {
            model: key.to_string(),
            message,
        };
        let kind = ModelKind::from_name(backend)
            .ok_or_else(|| bad(format!("backend {backend} is not a transformer backend")))?;
        let path = settings.path.as_ref().ok_or_else(|| {
            bad(format!(
                "backend {backend} needs `path:` to a Hugging Face checkpoint folder (config.json, \
                 model.safetensors or pytorch_model.bin, tokenizer files) or a model id in the \
                 local Hugging Face cache"
            ))
        })?;
        let device = match settings.device.as_deref() {
            None => DeviceSpec::Cpu,
            Some(d) => DeviceSpec::parse(d).map_err(|e| bad(e.to_string()))?,
        };
        let precision = match settings.precision.as_deref() {
            None => Precision::F32,
            Some(p) => Precision::parse(p).map_err(|e| bad(e.to_string()))?,
        };
        let model = LanguageModel::load(kind, path, &LoadOptions { device, precision })
            .map_err(|e| bad(format!("cannot load {}: {e}", path.display())))?;
        Ok(Self {
            name: backend,
            model,
        })
    }

    /// The underlying model (for per-residue output and token counts).
    pub fn model(&self) -> &LanguageModel {
        &self.model
    }
}

impl Embedder for TransformerEmbedder {
    fn name(&self) -> &str {
        self.name
    }

    fn dim(&self) -> usize {
        self.model.dim()
    }

    fn num_layers(&self) -> usize {
        self.model.num_hidden_states()
    }

    fn embed(&self, batch: &[&str], layers: &[usize]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
        let out = self
            .model
            .embed(batch, layers, false)
            .map_err(|e| EmbedError::Backend {
                backend: self.name.to_string(),
                reason: e.to_string(),
            })?;
        Ok(out.into_iter().map(|e| e.pooled).collect())
    }
}
