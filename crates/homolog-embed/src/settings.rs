//! Per-model settings, as they appear under `embedding.models.<key>` in the YAML config.
//!
//! Field names follow FANTASIA's config (`enabled`, `batch_size`, `layer_index`,
//! `distance_threshold`) so a FANTASIA config section loads unchanged; the extra fields are
//! homolog's (backend choice, k-mer parameters, device). Unknown fields are rejected so a typo
//! is an error, not a silently ignored setting.

use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::EmbedError;
use crate::kmer::KmerParams;
use crate::registry;

/// Settings of one embedding model (one entry of `embedding.models`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    /// Whether this model runs at all.
    pub enabled: bool,
    /// Registry name of the backend; `None` means the config key names the backend.
    pub backend: Option<String>,
    /// Checkpoint folder (Hugging Face layout) for transformer backends, or
    /// `hf:org/name[@revision]` (or `hf:` + a FANTASIA model name) to download it from the
    /// Hugging Face Hub into the Hugging Face cache; unused by `kmer`.
    pub path: Option<PathBuf>,
    /// Sequences per call to the backend.
    pub batch_size: usize,
    /// Token budget per call to the backend: a batch is closed before (sequences x longest
    /// length) would exceed it, so one long protein does not make a batch pad everything;
    /// `None` = batches of `batch_size` only. A sequence longer than the budget runs alone.
    pub max_tokens: Option<usize>,
    /// Layer indices counted from the last layer (0 = last), as FANTASIA's `layer_index`.
    #[serde(alias = "layer_index")]
    pub layers: Vec<usize>,
    /// Per-model lookup distance threshold; FANTASIA writes `false` for "none".
    #[serde(deserialize_with = "threshold_or_false")]
    pub distance_threshold: Option<f32>,
    /// Embedding type id written to HDF5; `None` = the backend's default (see
    /// [`registry::default_type_id`]).
    pub embedding_type_id: Option<u32>,
    /// Keep only this many leading residues (FANTASIA's prefix truncation); `None` or 0 = no limit.
    pub max_sequence_length: Option<usize>,
    /// k-mer backend: longest k-mer size (= number of layers). Default 3.
    pub k: Option<usize>,
    /// k-mer backend: output dimension. Default 1024.
    pub dim: Option<usize>,
    /// k-mer backend: hashing seed. Default [`KmerParams::DEFAULT_SEED`].
    pub seed: Option<u64>,
    /// Device for transformer backends (`cpu`, `cuda`, `cuda:1`); unused by `kmer`.
    pub device: Option<String>,
    /// Numeric precision for transformer backends (`fp32`, `fp16`, `bf16`); unused by `kmer`.
    pub precision: Option<String>,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            backend: None,
            path: None,
            batch_size: 32,
            max_tokens: None,
            layers: vec![0],
            distance_threshold: None,
            embedding_type_id: None,
            max_sequence_length: None,
            k: None,
            dim: None,
            seed: None,
            device: None,
            precision: None,
        }
    }
}

/// Accepts a number, `null` or `false` (FANTASIA's "no threshold"); `true` is an error.
fn threshold_or_false<'de, D: Deserializer<'de>>(de: D) -> Result<Option<f32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Num(f64),
    }
    match Option::<Raw>::deserialize(de)? {
        None | Some(Raw::Bool(false)) => Ok(None),
        Some(Raw::Bool(true)) => Err(serde::de::Error::custom(
            "distance_threshold: `true` is not a threshold; give a number >= 0, or false/null for none",
        )),
        Some(Raw::Num(x)) => Ok(Some(x as f32)),
    }
}

impl ModelSettings {
    /// The backend name these settings ask for: `backend`, or else the config key.
    pub fn backend_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.backend.as_deref().unwrap_or(key)
    }

    /// The embedding type id to write: the explicit one, or the backend's default.
    pub fn type_id(&self, key: &str) -> Result<u32, EmbedError> {
        match self.embedding_type_id {
            Some(id) => Ok(id),
            None => registry::default_type_id(self.backend_name(key)),
        }
    }

    /// The truncation length, treating 0 like FANTASIA (disabled).
    pub fn truncation(&self) -> Option<usize> {
        self.max_sequence_length.filter(|&n| n > 0)
    }

    /// k-mer parameters from these settings (defaults where unset).
    pub fn kmer_params(&self) -> KmerParams {
        let d = KmerParams::default();
        KmerParams {
            k: self.k.unwrap_or(d.k),
            dim: self.dim.unwrap_or(d.dim),
            seed: self.seed.unwrap_or(d.seed),
        }
    }

    /// Checks the settings of the model under config key `name`.
    ///
    /// The backend must be known (it may be known-but-unavailable: that is reported by
    /// [`registry::build`], so a disabled transformer model does not fail validation).
    /// batch_size >= 1, layers non-empty and below the backend's number of layers, threshold
    /// finite and >= 0.
    pub fn validate(&self, name: &str) -> Result<(), EmbedError> {
        let info = registry::resolve(self.backend_name(name))?;
        let bad = |message: String| EmbedError::InvalidSettings {
            model: name.to_string(),
            message,
        };
        if self.batch_size == 0 {
            return Err(bad("batch_size is 0; give a value >= 1".into()));
        }
        if self.max_tokens == Some(0) {
            return Err(bad(
                "max_tokens is 0; give a token budget >= 1, or leave it out".into(),
            ));
        }
        if self.layers.is_empty() {
            return Err(bad(
                "layers (layer_index) is empty; give at least one layer, e.g. [0] for the last layer"
                    .into(),
            ));
        }
        let num_layers = if info.name == "kmer" {
            let p = self.kmer_params();
            p.validate().map_err(bad)?;
            Some(p.k)
        } else if self.path.is_some() && info.name != "unirep" {
            // A checkpoint folder decides its own depth (checked when it is loaded); UniRep's
            // three representations do not depend on the weights.
            None
        } else {
            info.num_layers
        };
        if let Some(n) = num_layers {
            if let Some(&l) = self.layers.iter().find(|&&l| l >= n) {
                return Err(bad(format!(
                    "layer {l} does not exist in backend {} (valid layers: 0..={}, 0 = last layer)",
                    info.name,
                    n - 1
                )));
            }
        }
        if let Some(t) = self.distance_threshold {
            if !t.is_finite() || t < 0.0 {
                return Err(bad(format!(
                    "distance_threshold {t} is out of range; give a finite number >= 0 \
                     (cosine distances lie in 0..=2), or false for none"
                )));
            }
        }
        if let Some(0) = self.embedding_type_id {
            return Err(bad(
                "embedding_type_id 0 is reserved; give an id >= 1".into()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_fantasia_keys() {
        let s: ModelSettings = serde_yaml::from_str("{}").unwrap();
        assert_eq!(s, ModelSettings::default());
        assert!(s.enabled);
        assert_eq!(s.batch_size, 32);
        assert_eq!(s.layers, vec![0]);

        let s: ModelSettings = serde_yaml::from_str(
            "enabled: true\nbatch_size: 1\nlayer_index: [0, 2]\ndistance_threshold: false\n",
        )
        .unwrap();
        assert_eq!(s.layers, vec![0, 2]);
        assert_eq!(s.distance_threshold, None);
        assert_eq!(s.batch_size, 1);

        let s: ModelSettings = serde_yaml::from_str("distance_threshold: 1.5").unwrap();
        assert_eq!(s.distance_threshold, Some(1.5));
        let s: ModelSettings = serde_yaml::from_str("distance_threshold: null").unwrap();
        assert_eq!(s.distance_threshold, None);
        let s: ModelSettings = serde_yaml::from_str("distance_threshold: 3").unwrap();
        assert_eq!(s.distance_threshold, Some(3.0));
    }

    #[test]
    fn rejects_unknown_fields_and_true_threshold() {
        let e = serde_yaml::from_str::<ModelSettings>("batchsize: 4").unwrap_err();
        assert!(e.to_string().contains("batchsize"), "{e}");
        let e = serde_yaml::from_str::<ModelSettings>("distance_threshold: true").unwrap_err();
        assert!(e.to_string().contains("false/null"), "{e}");
    }

    #[test]
    fn round_trips_through_yaml() {
        let s = ModelSettings {
            backend: Some("kmer".into()),
            layers: vec![0, 1],
            distance_threshold: Some(0.5),
            k: Some(4),
            ..Default::default()
        };
        let text = serde_yaml::to_string(&s).unwrap();
        let back: ModelSettings = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn validate_ranges() {
        let ok = ModelSettings::default();
        ok.validate("kmer").unwrap();
        // A FANTASIA key validates even though the backend is not built.
        ok.validate("ESM").unwrap();

        let e = ModelSettings {
            batch_size: 0,
            ..Default::default()
        }
        .validate("kmer")
        .unwrap_err();
        assert!(e.to_string().contains(">= 1"), "{e}");

        let e = ModelSettings {
            layers: vec![],
            ..Default::default()
        }
        .validate("kmer")
        .unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");

        // kmer with k = 3 has layers 0, 1, 2.
        ModelSettings {
            layers: vec![0, 1, 2],
            ..Default::default()
        }
        .validate("kmer")
        .unwrap();
        let e = ModelSettings {
            layers: vec![3],
            ..Default::default()
        }
        .validate("kmer")
        .unwrap_err();
        assert!(e.to_string().contains("0..=2"), "{e}");

        // ESM-2 650M has 33 layers + the embedding output.
        let e = ModelSettings {
            layers: vec![34],
            ..Default::default()
        }
        .validate("ESM")
        .unwrap_err();
        assert!(e.to_string().contains("0..=33"), "{e}");

        for t in [-0.1f32, f32::NAN, f32::INFINITY] {
            let e = ModelSettings {
                distance_threshold: Some(t),
                ..Default::default()
            }
            .validate("kmer")
            .unwrap_err();
            assert!(e.to_string().contains(">= 0"), "{e}");
        }

        let e = ModelSettings::default().validate("word2vec").unwrap_err();
        assert!(matches!(e, EmbedError::UnknownBackend { .. }));
        assert!(e.to_string().contains("kmer"), "{e}");
    }

    #[test]
    fn type_ids() {
        let s = ModelSettings::default();
        assert_eq!(s.type_id("kmer").unwrap(), 100);
        assert_eq!(s.type_id("Prot-T5").unwrap(), 3);
        let s = ModelSettings {
            embedding_type_id: Some(7),
            ..Default::default()
        };
        assert_eq!(s.type_id("kmer").unwrap(), 7);
        let s = ModelSettings {
            backend: Some("kmer".into()),
            ..Default::default()
        };
        assert_eq!(s.type_id("my-fast-model").unwrap(), 100);
        assert_eq!(s.truncation(), None);
        let s = ModelSettings {
            max_sequence_length: Some(0),
            ..Default::default()
        };
        assert_eq!(s.truncation(), None);
    }
}
