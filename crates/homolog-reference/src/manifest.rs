//! `manifest.json`: what the reference folder holds and what it was built from.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReferenceError;

/// Version of the folder layout; bumped on any incompatible change. `Reference::open` refuses
/// other versions.
pub const FORMAT_VERSION: u32 = 1;

/// File names inside the reference folder.
pub const MANIFEST_FILE: &str = "manifest.json";
pub const PROTEINS_FILE: &str = "proteins.parquet";
pub const SEQUENCES_FILE: &str = "sequences.parquet";
pub const ANNOTATIONS_FILE: &str = "annotations.parquet";
pub const TERMS_FILE: &str = "terms.parquet";
pub const TAXONOMY_FILE: &str = "taxonomy.parquet";
pub const ONTOLOGY_FILE: &str = "ontology.obo";

/// The content of `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    /// Version of homolog that wrote the folder.
    pub homolog_version: String,
    /// RFC 3339 UTC time the build finished.
    pub created: String,
    /// SHA-256 over everything that determines the content (source hashes, evidence codes,
    /// precision, models and layers). Equal fingerprints mean a rebuild would be identical, so
    /// the build reuses the folder.
    pub inputs_fingerprint: String,
    pub sources: Vec<SourceEntry>,
    pub counts: Counts,
    /// Evidence codes that were kept (`["all"]` for no filter).
    pub evidence_codes: Vec<String>,
    /// Annotation sources without evidence codes, kept whole (the filter could not apply).
    #[serde(default)]
    pub unfiltered_annotation_sources: Vec<String>,
    pub matrices: Vec<MatrixEntry>,
    /// Whether `taxonomy.parquet` is present.
    pub has_taxonomy: bool,
    /// What the build dropped, for the record.
    pub dropped: Dropped,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEntry {
    /// "sequences", "annotations", "ontology", "taxonomy_nodes", "taxonomy_names" or
    /// `embeddings:<model>:<layer>`.
    pub role: String,
    /// As written in the spec (path or URL).
    pub location: String,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub proteins: u64,
    /// Unique sequences (= matrix rows).
    pub sequences: u64,
    pub annotations: u64,
    /// Distinct GO terms used by the annotations.
    pub terms: u64,
    #[serde(default)]
    pub taxa: u64,
}

/// Counters of what the build left out, each with a warning in the log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    /// Annotation rows whose evidence code is not in the filter.
    pub annotations_by_evidence: u64,
    /// Annotation rows without an evidence code in a source that has codes elsewhere.
    pub annotations_without_evidence: u64,
    /// Annotation rows whose GO id is not in the ontology.
    pub annotations_unknown_term: u64,
    /// Annotation rows whose GO id is obsolete in the ontology.
    pub annotations_obsolete_term: u64,
    /// Annotation rows that repeat an (accession, GO id, evidence) already kept.
    pub annotations_duplicate: u64,
    /// Annotation rows whose accession has no sequence.
    pub annotations_without_sequence: u64,
    /// Sequence records that repeat an accession already read (first kept).
    pub duplicate_accessions: u64,
    /// Proteins without any annotation left after filtering.
    pub proteins_without_annotation: u64,
    /// Annotation GO ids rewritten from an alt_id to the primary id (kept, not dropped).
    pub annotations_alt_id_mapped: u64,
}

/// One embedding matrix: `rows x dim` little-endian values, row i = sequence row i.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixEntry {
    pub model: String,
    pub backend: String,
    pub embedding_type_id: u32,
    pub layer: usize,
    /// "f32" or "f16".
    pub dtype: String,
    pub rows: u64,
    pub dim: u64,
    /// Path relative to the reference folder, `/`-separated.
    pub file: String,
    /// xxh3-64 of the file, 16 lower-case hex digits.
    pub xxh3: String,
}

impl Manifest {
    pub fn read(path: &Path) -> Result<Manifest, ReferenceError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ReferenceError::io("reading", path, e))?;
        // Check the version before the full schema so an old or future folder gets the
        // version message, not a confusing missing-field one.
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| ReferenceError::Manifest {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let version = value.get("format_version").and_then(|v| v.as_u64());
        match version {
            Some(v) if v == FORMAT_VERSION as u64 => {}
            Some(v) => {
                return Err(ReferenceError::VersionMismatch {
                    dir: path.parent().unwrap_or(path).to_path_buf(),
                    found: v as u32,
                    expected: FORMAT_VERSION,
                })
            }
            None => {
                return Err(ReferenceError::Manifest {
                    path: path.to_path_buf(),
                    message: "no format_version".into(),
                })
            }
        }
        serde_json::from_value(value).map_err(|e| ReferenceError::Manifest {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Writes the manifest as pretty JSON with a final newline, synced to disk.
    pub(crate) fn write(&self, path: &Path) -> Result<(), ReferenceError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| ReferenceError::Invalid(format!("internal: manifest: {e}")))?;
        let mut f =
            std::fs::File::create(path).map_err(|e| ReferenceError::io("creating", path, e))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .and_then(|_| f.sync_all())
            .map_err(|e| ReferenceError::io("writing", path, e))
    }

    pub fn matrix(&self, model: &str, layer: usize) -> Option<&MatrixEntry> {
        self.matrices
            .iter()
            .find(|m| m.model == model && m.layer == layer)
    }
}
