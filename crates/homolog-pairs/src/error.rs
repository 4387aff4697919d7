//! Error type.

use std::path::PathBuf;

/// Everything that can go wrong in a batch.
#[derive(Debug, thiserror::Error)]
pub enum PairsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A line of the pairs file is malformed.
    #[error("{path} line {line}: {message}")]
    PairsFile {
        /// The pairs file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A pair names a sequence id that no sequence file has.
    #[error(
        "{path} line {line}: sequence id {id:?} is not in the sequence files; \
         add it to the FASTA given with --sequences or fix the id"
    )]
    UnknownId {
        /// The pairs file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The missing id.
        id: String,
    },
    /// Reading the pairs file or writing the output failed (homolog-io).
    #[error(transparent)]
    File(homolog_io::Error),
    /// A sequence file could not be read.
    #[error(transparent)]
    Sequences(#[from] homolog_seq::SeqError),
    /// The cache file is not a valid homolog alignment cache.
    #[error(
        "alignment cache {path} is not usable: {reason}. Delete it, point to another file, \
         or rebuild it (--rebuild-cache / OnInvalid::Rebuild moves it aside)"
    )]
    CacheInvalid {
        /// The cache file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// An SQLite operation on the cache failed.
    #[error("alignment cache {path}: {message}")]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Writing the output failed.
    #[error("cannot write {path}: {message}")]
    Output {
        /// The output file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A pair could not be aligned (traceback too large, invalid penalties).
    #[error("pair {index} ({query_id} vs {reference_id}): {source}")]
    Align {
        /// 0-based pair index in the input.
        index: usize,
        /// Query id.
        query_id: String,
        /// Reference id.
        reference_id: String,
        /// Underlying error.
        source: homolog_align::AlignError,
    },
}

impl From<homolog_io::Error> for PairsError {
    fn from(e: homolog_io::Error) -> Self {
        match e {
            homolog_io::Error::Read { path, source } => PairsError::Io { path, source },
            other => PairsError::File(other),
        }
    }
}
