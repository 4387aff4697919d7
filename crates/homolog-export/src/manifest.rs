//! `manifest.json`: what an export holds and what it was made from.
//!
//! It has no timestamp: equal inputs give an equal manifest, like the Parquet files.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::releases::ReleaseReport;
use crate::ExportError;

/// Name of the manifest file.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Name of the train split.
pub const TRAIN_FILE: &str = "train.parquet";
/// Name of the eval split.
pub const EVAL_FILE: &str = "eval.parquet";

/// The manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// [`crate::schema::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// [`crate::schema::schema_digest`].
    pub schema_digest: String,
    /// Column names in order.
    pub columns: Vec<String>,
    /// `homolog-export` and its version.
    pub producer: Producer,
    /// Neighbours per (query, aspect).
    pub k: usize,
    /// Embedding model.
    pub model: String,
    /// Layer.
    pub layer: usize,
    /// Distance.
    pub metric: String,
    /// Whether a query's own reference entry was excluded.
    pub exclude_self: bool,
    /// Queries per chunk (row group).
    pub chunk_queries: usize,
    /// The reference.
    pub reference: ReferenceInfo,
    /// Which optional feature families were computed.
    pub features: FeatureInfo,
    /// Each release pair, in output order.
    pub release_pairs: Vec<PairInfo>,
    /// Rows per split.
    pub rows: BTreeMap<String, SplitCounts>,
    /// The data files.
    pub files: BTreeMap<String, FileInfo>,
    /// SHA-256 of every input file.
    pub inputs: Vec<InputHash>,
}

/// The program that wrote the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Producer {
    pub name: String,
    pub version: String,
}

impl Default for Producer {
    fn default() -> Self {
        Producer {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The reference folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceInfo {
    pub path: String,
    /// The folder's `inputs_fingerprint`.
    pub inputs_fingerprint: String,
    pub proteins: u64,
    pub sequences: u64,
    /// xxh3 of the embedding matrix used.
    pub matrix_xxh3: String,
}

/// Optional features.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureInfo {
    /// NW/SW features computed.
    pub alignment: bool,
    /// Where the taxonomy came from: `config`, `reference` or none.
    pub taxonomy: Option<String>,
    /// GO terms with an anc2vec vector, when a file was given.
    pub anc2vec_terms: Option<usize>,
    /// Whether the IA-based ontology similarities were computed.
    pub ontology_similarity: bool,
    /// The embedding PCA, when it could be fitted.
    pub pca: Option<PcaInfo>,
}

/// The fitted PCA.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PcaInfo {
    /// Reference rows it was fitted on.
    pub rows: usize,
    /// Share of the variance of each of the 16 components.
    pub explained_variance_ratio: Vec<f64>,
}

/// One release pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairInfo {
    /// `earlier->later`.
    pub name: String,
    /// `train` or `eval`.
    pub split: String,
    pub earlier: ReleaseReport,
    pub later: ReleaseReport,
    /// Whether the categories came from protein lists.
    pub categories_from_lists: bool,
    /// The query pool's embeddings file.
    pub query_embeddings: String,
    /// Proteins of the pair (gained a term or listed).
    pub proteins: u64,
    /// Of those, proteins without an embedding in the pool (left out).
    pub missing_embeddings: u64,
    /// Queries exported.
    pub queries: u64,
    /// (query, aspect)s without a category (no rows; only with category lists).
    pub skipped_unknown_category: u64,
    /// Rows and positives by category.
    pub rows: SplitCounts,
}

/// Row counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SplitCounts {
    pub total: u64,
    /// Rows with label 1.
    pub positives: u64,
    /// Rows per category (`NK`, `LK`, `PK`).
    pub by_category: BTreeMap<String, u64>,
    /// Positives per category.
    pub positives_by_category: BTreeMap<String, u64>,
}

impl SplitCounts {
    /// Adds `other`.
    pub fn add(&mut self, other: &SplitCounts) {
        self.total += other.total;
        self.positives += other.positives;
        for (k, v) in &other.by_category {
            *self.by_category.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.positives_by_category {
            *self.positives_by_category.entry(k.clone()).or_default() += v;
        }
    }
}

/// A written data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    pub rows: u64,
    pub row_groups: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// An input file's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputHash {
    /// What it is (`reference_manifest`, `queries:<pair>`, `release:<name>`, ...).
    pub role: String,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// SHA-256 and size of a file.
pub fn hash_file(path: &Path) -> Result<(String, u64), ExportError> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| ExportError::input(path, format!("cannot read it to hash it ({e})")))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f
            .read(&mut buf)
            .map_err(|e| ExportError::input(path, e.to_string()))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex::encode(h.finalize()), n))
}

impl Manifest {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("the manifest serialises");
        s.push('\n');
        s
    }
}
