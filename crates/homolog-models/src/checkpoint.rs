//! Hugging Face checkpoint folders: finding them (a folder, a hub-cache repository folder, a
//! model id looked up in the local hub cache, or an `hf:` repository fetched through
//! [`crate::hub`]), reading `config.json`, and loading the weights from `model.safetensors`
//! (single or sharded) or `pytorch_model.bin`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use serde_json::Value;

use crate::error::ModelError;
use crate::hub::{self, HubOptions, HubRepo};

/// A resolved checkpoint folder and its parsed `config.json`.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The folder holding config.json, weights and tokenizer files.
    pub dir: PathBuf,
    /// `config.json` as JSON.
    pub config: Value,
}

/// Finds the checkpoint folder for `spec`: a folder with `config.json`; a hub-cache repository
/// folder (`models--org--name`, whose `refs/main` snapshot is used, else the newest snapshot);
/// a model id `org/name` looked up in `$HF_HUB_CACHE`, `$HF_HOME/hub` or
/// `~/.cache/huggingface/hub` (nothing is downloaded for these); or `hf:org/name[@revision]`,
/// downloaded into the hub cache when not there yet ([`hub::fetch`] with the environment's
/// [`HubOptions`]: `HF_ENDPOINT`, `HF_HOME`, `HF_HUB_OFFLINE`, `HF_TOKEN`).
pub fn resolve_dir(spec: &Path) -> Result<PathBuf, ModelError> {
    if let Some(repo) = HubRepo::from_path(spec) {
        return hub::fetch(&repo?, &HubOptions::from_env());
    }
    if spec.join("config.json").is_file() {
        return Ok(spec.to_path_buf());
    }
    if spec.join("snapshots").is_dir() {
        return hub::snapshot_of(spec);
    }
    let text = spec.to_string_lossy();
    if !spec.exists() && text.matches('/').count() == 1 && !text.starts_with('.') {
        let repo = format!("models--{}", text.replace('/', "--"));
        for cache in hub::lookup_dirs() {
            let candidate = cache.join(&repo);
            if candidate.join("snapshots").is_dir() {
                return hub::snapshot_of(&candidate);
            }
        }
        return Err(ModelError::Checkpoint {
            path: spec.to_path_buf(),
            reason: format!(
                "no such folder, and model id {text:?} is not in the local Hugging Face cache \
                 (looked in {}); give `hf:{text}` to download it, or the checkpoint folder",
                hub::lookup_dirs()
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    Err(ModelError::Checkpoint {
        path: spec.to_path_buf(),
        reason: if spec.is_dir() {
            "folder has no config.json; give a Hugging Face checkpoint folder (config.json + \
             model.safetensors or pytorch_model.bin + tokenizer files)"
                .into()
        } else {
            "no such folder; give a Hugging Face checkpoint folder or a model id in the local cache"
                .into()
        },
    })
}

impl Checkpoint {
    /// Resolves `spec` (see [`resolve_dir`]) and reads its `config.json`.
    pub fn open(spec: &Path) -> Result<Self, ModelError> {
        let dir = resolve_dir(spec)?;
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|e| ModelError::Checkpoint {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let config: Value = serde_json::from_str(&text).map_err(|e| ModelError::Checkpoint {
            path: path.clone(),
            reason: format!("not valid JSON: {e}"),
        })?;
        Ok(Self { dir, config })
    }

    /// Path of config.json (for error messages).
    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    fn config_err(&self, key: &str, reason: impl Into<String>) -> ModelError {
        ModelError::Config {
            path: self.config_path(),
            key: key.to_string(),
            reason: reason.into(),
        }
    }

    /// A required unsigned integer key.
    pub fn usize(&self, key: &str) -> Result<usize, ModelError> {
        match self.config.get(key) {
            Some(v) => v
                .as_u64()
                .map(|x| x as usize)
                .ok_or_else(|| self.config_err(key, format!("expected an integer, found {v}"))),
            None => Err(self.config_err(key, "missing; the backend needs it")),
        }
    }

    /// An optional unsigned integer key with a default.
    pub fn usize_or(&self, key: &str, default: usize) -> Result<usize, ModelError> {
        match self.config.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(_) => self.usize(key),
        }
    }

    /// An optional float key with a default.
    pub fn f64_or(&self, key: &str, default: f64) -> Result<f64, ModelError> {
        match self.config.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| self.config_err(key, format!("expected a number, found {v}"))),
        }
    }

    /// An optional boolean key with a default.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, ModelError> {
        match self.config.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| self.config_err(key, format!("expected true/false, found {v}"))),
        }
    }

    /// An optional string key.
    pub fn str_opt(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(|v| v.as_str())
    }

    /// Checks that string key `key` is one of `allowed` (missing = `default`, when given).
    pub fn expect_str(
        &self,
        key: &str,
        allowed: &[&str],
        default: Option<&str>,
        backend: &str,
    ) -> Result<String, ModelError> {
        let found = match (self.config.get(key), default) {
            (Some(Value::String(s)), _) => s.clone(),
            (None | Some(Value::Null), Some(d)) => d.to_string(),
            (None | Some(Value::Null), None) => {
                return Err(self.config_err(
                    key,
                    format!("missing; backend {backend} needs one of {allowed:?}"),
                ))
            }
            (Some(v), _) => {
                return Err(self.config_err(key, format!("expected a string, found {v}")))
            }
        };
        if allowed.contains(&found.as_str()) {
            Ok(found)
        } else {
            Err(self.config_err(
                key,
                format!(
                    "is {found:?}, but backend {backend} needs one of {allowed:?}; \
                     is this checkpoint for another model?"
                ),
            ))
        }
    }

    /// An error about a config key (for backend-specific checks).
    pub fn mismatch(&self, key: &str, reason: impl Into<String>) -> ModelError {
        self.config_err(key, reason)
    }

    /// Checks that `num_attention_heads` is positive and divides `hidden_size`.
    pub fn check_heads(&self, hidden_size: usize, heads: usize) -> Result<(), ModelError> {
        if heads == 0 || !hidden_size.is_multiple_of(heads) {
            return Err(self.mismatch(
                "num_attention_heads",
                format!("{heads} does not divide hidden_size {hidden_size}"),
            ));
        }
        Ok(())
    }

    /// Loads the weights whose names pass `keep` (after `gamma`/`beta` -> `weight`/`bias`
    /// renaming), converted to `dtype` on `device`, as a [`VarBuilder`] (names unchanged).
    ///
    /// Looks for `model.safetensors`, `model.safetensors.index.json` (shards) and then
    /// `pytorch_model.bin` (else a single `*.pth` state dict in the folder or `data/weights/`);
    /// tensors are read lazily so a full encoder-decoder checkpoint costs
    /// only the encoder's memory.
    pub fn load_weights(
        &self,
        keep: impl Fn(&str) -> bool,
        dtype: DType,
        device: &Device,
    ) -> Result<(VarBuilder<'static>, PathBuf), ModelError> {
        let (path, tensors) = self.read_tensors(&keep)?;
        let werr = |e: candle_core::Error| ModelError::Weights {
            path: path.clone(),
            reason: e.to_string(),
        };
        let mut map = HashMap::with_capacity(tensors.len());
        for (name, t) in tensors {
            // Floating tensors take the requested precision; integer buffers stay as they are.
            let t = if t.dtype().is_float() {
                t.to_dtype(dtype).map_err(werr)?
            } else {
                t
            };
            let t = t.to_device(device).map_err(werr)?;
            map.insert(name, t);
        }
        if map.is_empty() {
            return Err(ModelError::Weights {
                path,
                reason: "no tensor of the expected architecture in this file; is the checkpoint \
                         for another model?"
                    .into(),
            });
        }
        Ok((VarBuilder::from_tensors(map, dtype, device), path))
    }

    /// The one `*.pth` torch state dict in the folder or its `data/weights/` (EvolutionaryScale's
    /// layout), if there is exactly one.
    fn torch_state_dict(&self) -> Option<PathBuf> {
        for dir in [self.dir.clone(), self.dir.join("data").join("weights")] {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "pth"))
                .collect();
            if found.len() == 1 {
                return found.pop();
            }
        }
        None
    }

    fn read_tensors(
        &self,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<(PathBuf, Vec<(String, Tensor)>), ModelError> {
        let single = self.dir.join("model.safetensors");
        let index = self.dir.join("model.safetensors.index.json");
        let bin = match self.dir.join("pytorch_model.bin") {
            b if b.is_file() => b,
            b => self.torch_state_dict().unwrap_or(b),
        };
        let cpu = Device::Cpu;
        if single.is_file() || index.is_file() {
            let (files, shown) = if single.is_file() {
                (vec![single.clone()], single)
            } else {
                (shard_files(&index)?, index)
            };
            let werr = |e: candle_core::Error| ModelError::Weights {
                path: shown.clone(),
                reason: e.to_string(),
            };
            // SAFETY: the files are memory-mapped read-only; a checkpoint modified while it is
            // being loaded is outside what this tool supports (as for every mmap loader).
            let st = unsafe { candle_core::safetensors::MmapedSafetensors::multi(&files) }
                .map_err(werr)?;
            let mut out = vec![];
            for (name, _) in st.tensors() {
                let renamed = rename(&name);
                if keep(&renamed) {
                    out.push((renamed, st.load(&name, &cpu).map_err(werr)?));
                }
            }
            return Ok((shown, out));
        }
        if bin.is_file() {
            let werr = |e: candle_core::Error| ModelError::Weights {
                path: bin.clone(),
                reason: e.to_string(),
            };
            let pth = candle_core::pickle::PthTensors::new(&bin, None).map_err(werr)?;
            let names: Vec<String> = pth.tensor_infos().keys().cloned().collect();
            let mut out = vec![];
            for name in names {
                let renamed = rename(&name);
                if keep(&renamed) {
                    if let Some(t) = pth.get(&name).map_err(werr)? {
                        out.push((renamed, t));
                    }
                }
            }
            return Ok((bin, out));
        }
        Err(ModelError::Checkpoint {
            path: self.dir.clone(),
            reason: "no weights: expected model.safetensors, model.safetensors.index.json, \
                     pytorch_model.bin or one *.pth state dict (in the folder or data/weights/)"
                .into(),
        })
    }
}

/// Old BERT-style checkpoints (and transformers 5's ESM export) name LayerNorm parameters
/// `gamma`/`beta`; the backends use `weight`/`bias`.
fn rename(name: &str) -> String {
    if let Some(stem) = name.strip_suffix(".gamma") {
        format!("{stem}.weight")
    } else if let Some(stem) = name.strip_suffix(".beta") {
        format!("{stem}.bias")
    } else {
        name.to_string()
    }
}

fn shard_files(index: &Path) -> Result<Vec<PathBuf>, ModelError> {
    let bad = |reason: String| ModelError::Weights {
        path: index.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(index).map_err(|e| bad(e.to_string()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let map = v
        .get("weight_map")
        .and_then(|m| m.as_object())
        .ok_or_else(|| bad("no `weight_map` object".into()))?;
    let mut files: Vec<String> = map
        .values()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    files.sort();
    files.dedup();
    let dir = index.parent().unwrap_or(Path::new("."));
    Ok(files.into_iter().map(|f| dir.join(f)).collect())
}

/// Finds the prefix under which a checkpoint stores `probe` (e.g. `"esm."` for
/// EsmForMaskedLM, `""` for EsmModel) among `candidates`.
pub fn find_prefix(vb: &VarBuilder, probe: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|p| vb.contains_tensor(&format!("{p}{probe}")))
        .map(|p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_gamma_beta() {
        assert_eq!(rename("a.LayerNorm.gamma"), "a.LayerNorm.weight");
        assert_eq!(rename("a.LayerNorm.beta"), "a.LayerNorm.bias");
        assert_eq!(rename("a.dense.weight"), "a.dense.weight");
    }

    #[test]
    fn resolves_hub_cache_layout() {
        let tmp = std::env::temp_dir().join(format!("homolog-models-hub-{}", std::process::id()));
        let repo = tmp.join("models--org--tiny");
        let snap = repo.join("snapshots/abc123");
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::write(repo.join("refs/main"), "abc123\n").unwrap();
        std::fs::write(snap.join("config.json"), "{}").unwrap();
        assert_eq!(resolve_dir(&repo).unwrap(), snap);
        assert_eq!(resolve_dir(&snap).unwrap(), snap);
        let err = resolve_dir(&tmp.join("nothing")).unwrap_err().to_string();
        assert!(err.contains("no such folder"), "{err}");
        let err = resolve_dir(&tmp).unwrap_err().to_string();
        assert!(err.contains("no config.json"), "{err}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
