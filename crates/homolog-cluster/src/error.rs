//! Errors of the clustering stage.

use std::path::PathBuf;

/// Errors while clustering or writing results.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Invalid parameters (what, the valid range).
    #[error("invalid clustering parameters: {0}")]
    Params(String),
    /// Shard reading/writing failed.
    #[error(transparent)]
    Shards(#[from] homolog_shards::ShardError),
    /// File-system error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A malformed truth-label table.
    #[error("{path}: line {line}: {reason}")]
    Truth {
        /// The table.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Writing an output failed.
    #[error("{path}: {reason}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// Reading the truth table or writing an output failed (homolog-io).
    #[error(transparent)]
    File(homolog_io::Error),
    /// An MPI-related failure (feature `mpi`).
    #[error("MPI: {0}")]
    Mpi(String),
}

impl From<homolog_io::Error> for ClusterError {
    fn from(e: homolog_io::Error) -> Self {
        match e {
            homolog_io::Error::Read { path, source } => ClusterError::Io { path, source },
            other => ClusterError::File(other),
        }
    }
}

pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.to_path_buf(),
        source,
    }
}
