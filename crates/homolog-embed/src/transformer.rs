//! The transformer backends (ESM-2, ProtT5, ProstT5, Ankh3, DNABERT-2, ESM C) of `homolog-models`
//! behind the [`Embedder`] trait. Built with the cargo feature `transformers`.

use std::path::{Path, PathBuf};

use homolog_models::hub::{self, HubOptions, HubRepo, HF_PREFIX};
use homolog_models::{DeviceSpec, LanguageModel, LoadOptions, ModelKind, Precision};

use crate::error::EmbedError;
use crate::registry;
use crate::settings::ModelSettings;
use crate::Embedder;

/// The Hub repository an `hf:` checkpoint path names for backend `backend`; `None` when `path`
/// does not start with `hf:`.
///
/// `hf:org/name[@revision]` is taken as it is (any checkpoint of the backend's architecture, e.g.
/// a smaller ESM-2). A name without `/` is a registry name or alias of the backend, FANTASIA's
/// model names included, and stands for the checkpoint FANTASIA uses (the registry's
/// `hf_model`): `hf:esm2_t33_650M_UR50D` is `facebook/esm2_t33_650M_UR50D`,
/// `hf:prot_t5_xl_uniref50` is `Rostlab/prot_t5_xl_uniref50`, `hf:ProstT5` is
/// `Rostlab/ProstT5`, `hf:ankh3-large` is `ElnaggarLab/ankh3-large`; a revision may follow
/// (`hf:ProstT5@main`). A name of another backend is an error rather than a surprise download.
pub fn hub_repo(path: &Path, backend: &str) -> Option<Result<HubRepo, String>> {
    let spec = path.to_str()?.strip_prefix(HF_PREFIX)?;
    let (name, revision) = match spec.split_once('@') {
        Some((n, r)) => (n.trim(), Some(r)),
        None => (spec.trim(), None),
    };
    let bad = |reason: String| Some(Err(reason));
    let id = if name.contains('/') {
        name.to_string()
    } else {
        let Ok(info) = registry::resolve(name) else {
            return bad(format!(
                "{}: {name:?} is neither a Hub repository `org/name` nor a known model name; \
                 give e.g. hf:facebook/esm2_t33_650M_UR50D or hf:esm2_t33_650M_UR50D",
                path.display()
            ));
        };
        if info.name != backend {
            return bad(format!(
                "{}: {name:?} is a checkpoint of backend {}, not {backend}; use that backend, \
                 or give the Hub repository of a {backend} checkpoint as hf:org/name",
                path.display(),
                info.name
            ));
        }
        match info.hf_model.filter(|m| m.contains('/')) {
            Some(m) => m.to_string(),
            None => {
                return bad(format!(
                    "{}: backend {backend} has no Hugging Face checkpoint to download",
                    path.display()
                ))
            }
        }
    };
    let full = match revision {
        Some(r) => format!("{id}@{r}"),
        None => id,
    };
    Some(HubRepo::parse(&full).map_err(|e| e.to_string()))
}

/// The checkpoint folder of `path`: downloaded (or found in the Hugging Face cache) for an
/// `hf:` path, `path` itself otherwise.
fn checkpoint_dir(path: &Path, backend: &str) -> Result<PathBuf, String> {
    let Some(repo) = hub_repo(path, backend) else {
        return Ok(path.to_path_buf());
    };
    let repo = repo?;
    let opts = HubOptions::from_env();
    tracing::info!(
        "checkpoint hf:{repo}: Hugging Face cache {}{}",
        opts.cache_dir.display(),
        if opts.offline { " (offline)" } else { "" }
    );
    let dir = hub::fetch(&repo, &opts).map_err(|e| e.to_string())?;
    tracing::info!("checkpoint hf:{repo} is {}", dir.display());
    Ok(dir)
}

/// A loaded Hugging Face checkpoint as an [`Embedder`] (pooled vectors, FANTASIA's pooling).
#[derive(Debug)]
pub struct TransformerEmbedder {
    name: &'static str,
    model: LanguageModel,
}

impl TransformerEmbedder {
    /// Loads the checkpoint of model `key` (config key, for messages) for backend `backend`
    /// from `settings.path`, on `settings.device` at `settings.precision`.
    ///
    /// `path: hf:org/name[@revision]` downloads the checkpoint from the Hugging Face Hub into
    /// the Hugging Face cache (or finds it there; see [`hub_repo`] for the accepted names and
    /// [`homolog_models::hub`] for the cache and the environment variables).
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
                 model.safetensors or pytorch_model.bin, tokenizer files), a model id in the \
                 local Hugging Face cache, or hf:<org/name> to download one (e.g. hf:{})",
                registry::resolve(backend)
                    .ok()
                    .and_then(|b| b.hf_model)
                    .unwrap_or("facebook/esm2_t33_650M_UR50D")
            ))
        })?;
        let path = checkpoint_dir(path, backend).map_err(bad)?;
        let path = path.as_path();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(path: &str, backend: &str) -> Result<String, String> {
        hub_repo(Path::new(path), backend)
            .expect("an hf: path")
            .map(|r| r.to_string())
    }

    #[test]
    fn fantasia_model_names_map_to_their_hub_repositories() {
        for (path, backend, want) in [
            (
                "hf:esm2_t33_650M_UR50D",
                "esm2",
                "facebook/esm2_t33_650M_UR50D@main",
            ),
            (
                "hf:prot_t5_xl_uniref50",
                "prot_t5",
                "Rostlab/prot_t5_xl_uniref50@main",
            ),
            ("hf:ProstT5@v1", "prost_t5", "Rostlab/ProstT5@v1"),
            ("hf:ankh3-large", "ankh3", "ElnaggarLab/ankh3-large@main"),
            ("hf:ESM", "esm2", "facebook/esm2_t33_650M_UR50D@main"),
            (
                "hf:DNABERT-2-117M",
                "dnabert2",
                "zhihan1996/DNABERT-2-117M@main",
            ),
            // An explicit repository is taken as it is.
            (
                "hf:facebook/esm2_t6_8M_UR50D@abc",
                "esm2",
                "facebook/esm2_t6_8M_UR50D@abc",
            ),
        ] {
            assert_eq!(repo(path, backend).unwrap(), want, "{path}");
        }
        assert!(hub_repo(Path::new("/models/esm2"), "esm2").is_none());
        assert!(hub_repo(Path::new("esm2_t33_650M_UR50D"), "esm2").is_none());
    }

    #[test]
    fn hub_names_of_other_backends_are_errors() {
        let e = repo("hf:ProstT5", "esm2").unwrap_err();
        assert!(e.contains("backend prost_t5, not esm2"), "{e}");
        let e = repo("hf:no_such_model", "esm2").unwrap_err();
        assert!(e.contains("hf:facebook/esm2_t33_650M_UR50D"), "{e}");
        let e = repo("hf:a/b/c", "esm2").unwrap_err();
        assert!(e.contains("org/name"), "{e}");
    }
}
