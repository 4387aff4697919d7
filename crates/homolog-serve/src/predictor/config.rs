//! The predictor's YAML config (`homolog serve predictor --config predictor.yaml`).
//!
//! ```yaml
//! predictor_name: homolog_knn          # reported in every response
//! reference: reference.tsv             # id, sequence, one column per task (relative to this file)
//! tasks:                               # task metadata, unless the table has `#task` lines
//!   - {column: k562, type: expression, cell_type: K562, species: homo_sapiens, scale: linear}
//! embedding: {backend: dna-kmer, k: 5} # a registry model (homolog-embed ModelSettings)
//! k: 8                                 # neighbours per prediction
//! metric: cosine                       # or euclidean
//! task_matching: nearest               # or exact (422 when no task matches exactly)
//! readouts: [point, track, interaction_matrix]
//! bin_size: 10                         # track / matrix bin width (bp)
//! window: 50                           # sequence embedded per bin, centred on it (>= bin_size)
//! max_sequence_length: 0               # 0 = no limit; longer targets are a 422
//! threads: 0                           # rayon threads for this predictor (0 = all cores)
//! max_body_bytes: 268435456            # larger request bodies are a 400
//! help: {model: ..., version: ...}     # extra keys for GET /help
//! ```

use std::path::{Path, PathBuf};

use homolog_embed::ModelSettings;
use homolog_search::Metric;
use serde::{Deserialize, Serialize};

use crate::error::{read_yaml, ServeError};

/// Metadata of one task column of the reference table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskMeta {
    /// Column name in the table header.
    pub column: String,
    /// GAME type (`expression`, `accessibility`, `binding_ctcf`, ...): `type_actual`.
    #[serde(rename = "type")]
    pub task_type: String,
    /// Cell type measured: `cell_type_actual`.
    pub cell_type: String,
    /// Species measured: `species_actual`.
    pub species: String,
    /// Scale of the stored values, `linear` (default) or `log`.
    #[serde(default = "linear")]
    pub scale: String,
}

fn linear() -> String {
    "linear".to_string()
}

/// How a requested task is mapped to a table task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskMatching {
    /// Exact (type, cell type, species), else the same type and species, else the same type,
    /// else the same species, else the first task; `*_actual` says what was used.
    #[default]
    Nearest,
    /// Exact (type, cell type, species) only (case-insensitive); otherwise 422.
    Exact,
}

/// The predictor config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictorConfig {
    /// Name reported as `predictor_name`.
    #[serde(default = "default_name")]
    pub predictor_name: String,
    /// Reference table (TSV), relative to the config file.
    pub reference: PathBuf,
    /// Task metadata for table columns without a `#task` line.
    #[serde(default)]
    pub tasks: Vec<TaskMeta>,
    /// Embedding model (a registry entry; `dna-kmer` or `dna-kmer-canonical` for DNA).
    #[serde(default = "default_embedding")]
    pub embedding: ModelSettings,
    /// Neighbours per prediction.
    #[serde(default = "default_k")]
    pub k: usize,
    /// Distance between embeddings.
    #[serde(default)]
    pub metric: Metric,
    /// Task mapping policy.
    #[serde(default)]
    pub task_matching: TaskMatching,
    /// Readouts served (others are a 422).
    #[serde(default = "default_readouts")]
    pub readouts: Vec<String>,
    /// Bin width for track and interaction-matrix readouts (bp).
    #[serde(default = "default_bin")]
    pub bin_size: usize,
    /// Length of sequence embedded for each bin, centred on the bin (at least the bin).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Longest prediction target (after flanks and ranges); 0 = unlimited.
    #[serde(default)]
    pub max_sequence_length: usize,
    /// Threads for embedding and search; 0 = all cores.
    #[serde(default)]
    pub threads: usize,
    /// Largest accepted request body in bytes.
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
    /// Extra keys merged into `GET /help` (model, version, publication, ...).
    #[serde(default)]
    pub help: serde_yaml::Mapping,
}

fn default_name() -> String {
    "homolog_knn_predictor".to_string()
}
fn default_embedding() -> ModelSettings {
    ModelSettings {
        backend: Some("dna-kmer".to_string()),
        k: Some(5),
        ..ModelSettings::default()
    }
}
fn default_k() -> usize {
    8
}
fn default_readouts() -> Vec<String> {
    vec!["point".into(), "track".into(), "interaction_matrix".into()]
}
fn default_bin() -> usize {
    10
}
fn default_window() -> usize {
    50
}
fn default_body() -> usize {
    256 << 20
}

impl PredictorConfig {
    /// A config with every default and the given reference table.
    pub fn with_reference(reference: impl Into<PathBuf>) -> Self {
        PredictorConfig {
            predictor_name: default_name(),
            reference: reference.into(),
            tasks: Vec::new(),
            embedding: default_embedding(),
            k: default_k(),
            metric: Metric::default(),
            task_matching: TaskMatching::default(),
            readouts: default_readouts(),
            bin_size: default_bin(),
            window: default_window(),
            max_sequence_length: 0,
            threads: 0,
            max_body_bytes: default_body(),
            help: serde_yaml::Mapping::new(),
        }
    }

    /// Reads and checks a config file; relative paths become relative to its folder.
    pub fn load(path: &Path) -> Result<Self, ServeError> {
        let mut cfg: PredictorConfig =
            read_yaml(path, "see docs/game.md for the predictor config keys")?;
        if cfg.reference.is_relative() {
            if let Some(dir) = path.parent() {
                cfg.reference = dir.join(&cfg.reference);
            }
        }
        cfg.validate()
            .map_err(|message| ServeError::config(path, message))?;
        Ok(cfg)
    }

    /// Checks value ranges; the message names the key and the valid range.
    pub fn validate(&self) -> Result<(), String> {
        if self.k == 0 {
            return Err("k is 0; give the number of neighbours, >= 1 (8 is a good default)".into());
        }
        if self.bin_size == 0 {
            return Err("bin_size is 0; give a bin width in bp, >= 1".into());
        }
        if self.max_body_bytes == 0 {
            return Err("max_body_bytes is 0; give a limit in bytes".into());
        }
        if self.readouts.is_empty() {
            return Err(
                "readouts is empty; list at least one of point, track, interaction_matrix".into(),
            );
        }
        for r in &self.readouts {
            if homolog_game::Readout::parse(r).is_none() {
                return Err(format!(
                    "readouts: {r:?} is not a GAME readout; use point, track or interaction_matrix"
                ));
            }
        }
        for t in &self.tasks {
            if t.scale != "linear" && t.scale != "log" {
                return Err(format!(
                    "tasks: column {:?} has scale {:?}; use linear or log",
                    t.column, t.scale
                ));
            }
        }
        Ok(())
    }
}
