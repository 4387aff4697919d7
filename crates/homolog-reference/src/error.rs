//! The one error type of this crate. Every variant names the file (or URL) involved and, where
//! the user can do something about it, how to fix it.

use std::path::PathBuf;

/// Everything that can go wrong while fetching sources, building or opening a reference.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// A filesystem operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("reading", "creating", ...).
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A local source file named in the build spec does not exist.
    #[error("source file not found: {path} (check the `reference:` section of the config)")]
    SourceNotFound { path: PathBuf },

    /// An HTTP(S) download failed.
    #[error("download of {url} failed: {message}")]
    Download { url: String, message: String },

    /// A source (downloaded or local) does not have the expected SHA-256.
    #[error(
        "checksum mismatch for {location}: expected sha256 {expected}, got {actual}{removed}; \
         fix the `sha256:` in the config or the source"
    )]
    ChecksumMismatch {
        location: String,
        expected: String,
        actual: String,
        /// " (the downloaded file was removed)" for downloads, empty for local files.
        removed: &'static str,
    },

    /// The folder holds no reference (or no manifest).
    #[error("no homolog reference at {dir}: {reason}; run `homolog initialize` first")]
    NotInitialized { dir: PathBuf, reason: String },

    /// The reference was written by an incompatible format version.
    #[error(
        "reference at {dir} has format version {found}, this homolog reads version {expected}; \
         rebuild it with `homolog initialize`"
    )]
    VersionMismatch {
        dir: PathBuf,
        found: u32,
        expected: u32,
    },

    /// `manifest.json` could not be parsed.
    #[error("invalid manifest {path}: {message}; rebuild the reference with `homolog initialize`")]
    Manifest { path: PathBuf, message: String },

    /// A table the manifest promises is missing.
    #[error(
        "reference at {dir} is incomplete: {file} is missing; rebuild it with `homolog initialize`"
    )]
    MissingTable { dir: PathBuf, file: String },

    /// A Parquet table could not be written or read, or has the wrong schema.
    #[error("parquet table {path}: {message}")]
    Parquet { path: PathBuf, message: String },

    /// No matrix for this (model, layer) in the reference.
    #[error(
        "the reference has no embeddings for model `{model}` layer {layer}; available: {available}"
    )]
    NoMatrix {
        model: String,
        layer: usize,
        available: String,
    },

    /// A matrix file's size does not match rows x dim x bytes from the manifest.
    #[error(
        "matrix {file} has {actual} bytes, the manifest says {rows} x {dim} x {bytes_per_value} = \
         {expected}; {hint}"
    )]
    MatrixSize {
        file: PathBuf,
        rows: u64,
        dim: u64,
        bytes_per_value: u64,
        expected: u64,
        actual: u64,
        hint: &'static str,
    },

    /// A matrix file's content hash does not match the manifest.
    #[error("matrix {file} is corrupt: xxh3 {actual}, the manifest says {expected}; {hint}")]
    CorruptMatrix {
        file: PathBuf,
        expected: String,
        actual: String,
        hint: &'static str,
    },

    /// Sequence rows without an embedding in a precomputed HDF5 source.
    #[error(
        "{missing} of {total} reference sequences have no embedding for model `{model}` layer \
         {layer} in {source_file} (first accessions: {first}); give an HDF5 that covers every \
         reference protein, or embed with the model instead"
    )]
    MissingEmbeddings {
        model: String,
        layer: usize,
        source_file: String,
        missing: usize,
        total: usize,
        first: String,
    },

    /// Invalid input (configuration or data) not covered by a more specific variant.
    #[error("{0}")]
    Invalid(String),

    /// The target path exists and is not a homolog reference; we refuse to replace it.
    #[error(
        "{path} exists and is not a homolog reference (no manifest.json); remove it or choose \
         another `reference.path`"
    )]
    NotAReference { path: PathBuf },

    #[error(transparent)]
    Seq(#[from] homolog_seq::SeqError),
    #[error(transparent)]
    Go(#[from] homolog_go::GoError),
    #[error(transparent)]
    Taxonomy(#[from] homolog_taxonomy::TaxonomyError),
    #[error(transparent)]
    Embed(#[from] homolog_embed::EmbedError),
    /// A damaged gzip stream or an unsupported compression in a source, from homolog-io.
    #[error(transparent)]
    File(homolog_io::Error),
}

impl From<homolog_io::Error> for ReferenceError {
    fn from(e: homolog_io::Error) -> Self {
        match e {
            homolog_io::Error::Read { path, source } => ReferenceError::Io {
                action: "reading",
                path,
                source,
            },
            other => ReferenceError::File(other),
        }
    }
}

/// The standard advice for a damaged matrix.
pub(crate) const REBUILD_HINT: &str = "rebuild the reference with `homolog initialize`";

impl ReferenceError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        ReferenceError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn parquet(path: impl Into<PathBuf>, message: impl ToString) -> Self {
        ReferenceError::Parquet {
            path: path.into(),
            message: message.to_string(),
        }
    }
}
