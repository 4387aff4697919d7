//! Errors of the shard stage; each names the file and says how to fix the problem.

use std::path::PathBuf;

/// Errors while writing or reading shards.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// File-system error.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Parquet/Arrow error.
    #[error("{path}: Parquet error: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// A manifest that is missing, unreadable or inconsistent with the shards.
    #[error("{path}: {reason}")]
    Manifest {
        /// The manifest (or shard folder).
        path: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A shard whose columns are not the documented schema (docs/formats.md).
    #[error("{path}: unexpected shard schema: {reason}")]
    Schema {
        /// The shard.
        path: PathBuf,
        /// What was expected.
        reason: String,
    },
    /// Writing a file atomically failed (homolog-io).
    #[error(transparent)]
    File(homolog_io::Error),
    /// Reading the reads failed.
    #[error(transparent)]
    Reads(#[from] homolog_reads::ReadsError),
    /// The embedding backend failed on a read.
    #[error("{source_name}: record {record} (id {id:?}): {message}")]
    Embed {
        /// The read's file.
        source_name: String,
        /// 1-based record number in that file.
        record: u64,
        /// The read id.
        id: String,
        /// The backend's message.
        message: String,
    },
    /// An output folder that already holds shards.
    #[error("{path}: folder already holds shards (manifest.json or shard-*.parquet); remove them or choose another output folder")]
    NotEmpty {
        /// The folder.
        path: PathBuf,
    },
    /// Read-embedding options that cannot work together (the message says which and why).
    #[error("{0}")]
    Options(String),
    /// The embedding backend could not be built (unknown model, bad settings, checkpoint).
    #[error(transparent)]
    Model(#[from] homolog_embed::EmbedError),
}

impl From<homolog_io::Error> for ShardError {
    fn from(e: homolog_io::Error) -> Self {
        match e {
            homolog_io::Error::Parquet { path, message } => ShardError::Parquet { path, message },
            other => ShardError::File(other),
        }
    }
}

pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ShardError + '_ {
    move |source| ShardError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn pq(path: &std::path::Path) -> impl FnOnce(String) -> ShardError + '_ {
    move |message| ShardError::Parquet {
        path: path.to_path_buf(),
        message,
    }
}
