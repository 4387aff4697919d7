//! The error type of every reader and writer in this crate.
//!
//! Each variant says what went wrong, where (file, 1-based line, record id when known) and how
//! to fix it, so a user can act on the message without reading code.

use std::io;
use std::path::{Path, PathBuf};

use crate::alphabet::Alphabet;

/// Everything that can go wrong reading or writing sequence files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeqError {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}; check that the file exists and is readable", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The file could not be written.
    #[error("{}: cannot write: {source}; check the directory exists, is writable and has space", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The gzip stream is truncated or corrupt.
    #[error("{}:{line}: gzip data is truncated or corrupt ({source}); re-download or re-compress \
             the file (check it with `gzip -t`)", .path.display())]
    Gzip {
        path: PathBuf,
        /// The line being decompressed when the stream failed.
        line: usize,
        #[source]
        source: io::Error,
    },

    /// The file is compressed with a format other than gzip.
    #[error("{}", homolog_io::unsupported_compression_message(.path, .format))]
    UnsupportedCompression { path: PathBuf, format: &'static str },

    /// The file contains NUL bytes or is not valid UTF-8: not a text file.
    #[error("{}:{line}: not a text file ({detail}); give a FASTA/UniProt text file, plain or gzip", .path.display())]
    NotText {
        path: PathBuf,
        line: usize,
        detail: &'static str,
    },

    /// The file holds no record at all.
    #[error("{}: no records found (the file is empty or holds only blank/comment lines); \
             check that the right file was given", .path.display())]
    Empty { path: PathBuf },

    /// Text before the first `>` header.
    #[error("{}:{line}: text before the first '>' header; {hint}", .path.display())]
    TextBeforeHeader {
        path: PathBuf,
        line: usize,
        hint: &'static str,
    },

    /// A `>` header with nothing after it.
    #[error("{}:{line}: header has no id (nothing after '>'); give every record an id, \
             e.g. '>seq1'", .path.display())]
    MissingId { path: PathBuf, line: usize },

    /// A record with no residues.
    #[error("{}:{line}: record {id:?} has an empty sequence; remove the record or add its \
             sequence (or read with the skip policy)", .path.display())]
    EmptySequence {
        path: PathBuf,
        line: usize,
        id: String,
    },

    /// The same id twice.
    #[error("{}:{line}: duplicate id {id:?} (first seen on line {first_line}); ids must be \
             unique: rename or remove one (or read with the skip policy)", .path.display())]
    DuplicateId {
        path: PathBuf,
        line: usize,
        id: String,
        first_line: usize,
    },

    /// A character that is not a residue of the alphabet.
    #[error("{}:{line}:{column}: invalid {alphabet} residue {ch:?} in record {id:?}; {hint}", .path.display())]
    InvalidResidue {
        path: PathBuf,
        line: usize,
        /// 1-based character column in the line.
        column: usize,
        id: String,
        ch: char,
        alphabet: Alphabet,
        hint: String,
    },

    /// A malformed FASTA/FASTQ sequencing read (see [`crate::reads`]).
    #[error("{}: record {record} (line {line}{}): {reason}", .path.display(),
            .id.as_ref().map(|id| format!(", id {id:?}")).unwrap_or_default())]
    MalformedRead {
        /// File path or `s3://bucket/key`.
        path: PathBuf,
        /// 1-based record number within the file.
        record: u64,
        line: usize,
        /// The record id, when the header had one.
        id: Option<String>,
        /// What is wrong and the expected form.
        reason: String,
    },

    /// A malformed UniProt flat-file entry.
    #[error("{}:{line}: UniProt entry {}: {message}", .path.display(), .id.as_deref().unwrap_or("(no ID yet)"))]
    UniProt {
        path: PathBuf,
        line: usize,
        /// The entry name (ID line) when already read.
        id: Option<String>,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl SeqError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            SeqError::Io { path, .. }
            | SeqError::Write { path, .. }
            | SeqError::Gzip { path, .. }
            | SeqError::UnsupportedCompression { path, .. }
            | SeqError::NotText { path, .. }
            | SeqError::Empty { path }
            | SeqError::TextBeforeHeader { path, .. }
            | SeqError::MissingId { path, .. }
            | SeqError::EmptySequence { path, .. }
            | SeqError::DuplicateId { path, .. }
            | SeqError::InvalidResidue { path, .. }
            | SeqError::MalformedRead { path, .. }
            | SeqError::UniProt { path, .. } => path,
        }
    }

    /// The 1-based line, when the error is tied to one.
    pub fn line(&self) -> Option<usize> {
        match self {
            SeqError::Gzip { line, .. }
            | SeqError::NotText { line, .. }
            | SeqError::TextBeforeHeader { line, .. }
            | SeqError::MissingId { line, .. }
            | SeqError::EmptySequence { line, .. }
            | SeqError::DuplicateId { line, .. }
            | SeqError::InvalidResidue { line, .. }
            | SeqError::MalformedRead { line, .. }
            | SeqError::UniProt { line, .. } => Some(*line),
            SeqError::Io { .. }
            | SeqError::Write { .. }
            | SeqError::UnsupportedCompression { .. }
            | SeqError::Empty { .. } => None,
        }
    }

    /// The record id, when known.
    pub fn id(&self) -> Option<&str> {
        match self {
            SeqError::EmptySequence { id, .. }
            | SeqError::DuplicateId { id, .. }
            | SeqError::InvalidResidue { id, .. } => Some(id),
            SeqError::MalformedRead { id, .. } | SeqError::UniProt { id, .. } => id.as_deref(),
            _ => None,
        }
    }
}
