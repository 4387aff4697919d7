//! Errors of the export. Every variant says what failed, where, and how to fix it.

use std::path::PathBuf;

/// Why an export could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The configuration file cannot be read or has a wrong key or value.
    #[error("export configuration {path}: {message}")]
    Config {
        /// The configuration file (or `<config>` for one built in code).
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An input file is missing, unreadable or malformed.
    #[error("{path}: {message}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Inputs that do not fit together (dimensions, models, ids).
    #[error("{0}")]
    Invalid(String),
    /// Writing an output file failed.
    #[error("writing {path}: {message}")]
    Output {
        /// The output file.
        path: PathBuf,
        /// The underlying error.
        message: String,
    },
    /// Uploading to object storage failed; the uploaded part was removed again.
    #[error("uploading to {url}: {message}")]
    Upload {
        /// The `s3://` URL of the object or prefix.
        url: String,
        /// The underlying error, and what was cleaned up.
        message: String,
    },
    /// The reference folder cannot be opened.
    #[error(transparent)]
    Reference(#[from] homolog_reference::ReferenceError),
    /// The nearest-neighbour search refused its input.
    #[error("nearest-neighbour search: {0}")]
    Search(#[from] homolog_search::SearchError),
    /// The alignment engine or its cache failed.
    #[error("alignment: {0}")]
    Pairs(#[from] homolog_pairs::PairsError),
    /// Reading the ontology or an annotation file failed.
    #[error(transparent)]
    Go(#[from] homolog_go::GoError),
    /// Reading the query embeddings failed.
    #[error(transparent)]
    Embed(#[from] homolog_embed::EmbedError),
    /// Reading a taxdump failed.
    #[error(transparent)]
    Taxonomy(#[from] homolog_taxonomy::TaxonomyError),
    /// Fitting or applying the embedding PCA failed.
    #[error("embedding PCA: {0}")]
    Pca(#[from] homolog_features::PcaError),
    /// Shared file I/O (atomic writes) failed.
    #[error(transparent)]
    Io(#[from] homolog_io::Error),
}

impl ExportError {
    pub(crate) fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        ExportError::Input {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn output(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        ExportError::Output {
            path: path.into(),
            message: message.to_string(),
        }
    }
}
