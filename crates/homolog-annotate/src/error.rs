//! Errors of the annotate stage.

use std::path::PathBuf;

/// Everything that can go wrong while transferring, summarising or writing annotations.
///
/// Each variant says what failed, where (file, line, query, reference row) and, where it is
/// not obvious, how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    /// A hit points at a reference row the reference does not have.
    #[error(
        "query '{query}' ({model} layer {layer}): hit #{hit} names reference row {row}, but the \
         reference has only {rows} sequence rows; the hits were computed against a different \
         reference table (re-run the search with this reference)"
    )]
    HitOutOfRange {
        query: String,
        model: String,
        layer: u32,
        hit: usize,
        row: u32,
        rows: usize,
    },

    /// A setting is invalid (zero k, unknown metric, negative weight ...).
    #[error("invalid annotate setting `{key}`: {message}")]
    InvalidSetting { key: String, message: String },

    /// Two distinct query ids map to the same raw-result file name.
    #[error(
        "query ids '{first}' and '{second}' both map to the raw-result file {path}; FANTASIA \
         lower-cases ids and replaces characters outside [a-z0-9._-] by '_' in file names; \
         rename one of the queries"
    )]
    FileNameCollision {
        first: String,
        second: String,
        path: PathBuf,
    },

    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A CSV file could not be written or parsed.
    #[error("CSV {path} line {line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

impl From<homolog_io::Error> for AnnotateError {
    fn from(e: homolog_io::Error) -> Self {
        match e {
            homolog_io::Error::Read { path, source } => AnnotateError::io("reading", path, source),
            homolog_io::Error::Write {
                action,
                path,
                source,
            } => AnnotateError::io(action, path, source),
            other => AnnotateError::Io {
                action: "accessing",
                path: other.path().to_path_buf(),
                source: std::io::Error::other(other),
            },
        }
    }
}

impl AnnotateError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        AnnotateError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn setting(key: impl Into<String>, message: impl Into<String>) -> Self {
        AnnotateError::InvalidSetting {
            key: key.into(),
            message: message.into(),
        }
    }
}
