//! Error types.

use std::path::PathBuf;

/// A substitution matrix could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    /// The matrix file could not be read.
    #[error("cannot read substitution matrix {path}: {source}")]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The text is not a valid NCBI-format matrix (`line` 0 = the matrix as a whole).
    #[error("substitution matrix {source_name} line {line}: {message}")]
    Parse {
        /// File name or the name given to `from_ncbi`.
        source_name: String,
        /// 1-based line, 0 when the problem is not tied to one line.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// An alignment could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum AlignError {
    /// Gap penalties must be non-negative costs.
    #[error(
        "invalid gap penalties open={open}, extend={extend}: both must be >= 0 \
         (they are costs subtracted from the score, e.g. open 10, extend 1)"
    )]
    InvalidGap {
        /// Requested open penalty.
        open: i32,
        /// Requested extend penalty.
        extend: i32,
    },
    /// The traceback table (one byte per cell) could not be allocated.
    #[error(
        "cannot allocate the {bytes}-byte traceback table for a {query_len} x {reference_len} \
         alignment; use global_score/local_score (linear memory) or shorter sequences"
    )]
    TooLarge {
        /// Query residues.
        query_len: usize,
        /// Reference residues.
        reference_len: usize,
        /// Bytes requested.
        bytes: usize,
    },
}
