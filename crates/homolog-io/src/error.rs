//! The error of every function in this crate. Each variant names the file and, where there is
//! one, the 1-based line, and says how to fix the problem.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The one message for input compressed with a format this crate does not read (bzip2, xz,
/// zstd, zip). Crates with their own variant for this case display it with this function, so
/// the message is the same everywhere.
pub fn unsupported_compression_message(path: &Path, format: &str) -> String {
    format!(
        "{}: file is {format}-compressed; only plain text and gzip are read: decompress it or \
         re-compress with gzip",
        path.display()
    )
}

/// `path:line`, or `path` when `line` is 0 (unknown).
fn location(path: &Path, line: usize) -> String {
    if line == 0 {
        path.display().to_string()
    } else {
        format!("{}:{line}", path.display())
    }
}

/// Why a line is not text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// The line holds a NUL byte.
    Nul,
    /// The line is not valid UTF-8.
    InvalidUtf8,
}

impl TextProblem {
    /// `"it contains NUL bytes"` / `"it contains bytes that are not valid UTF-8"`.
    pub fn detail(self) -> &'static str {
        match self {
            TextProblem::Nul => "it contains NUL bytes",
            TextProblem::InvalidUtf8 => "it contains bytes that are not valid UTF-8",
        }
    }
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail())
    }
}

/// Everything that can go wrong opening, reading or atomically writing a file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}; check that the file exists and is readable", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The gzip stream is truncated or corrupt.
    #[error("{}: gzip data is truncated or corrupt ({source}); re-download or re-compress \
             the file (check it with `gzip -t`)", location(.path, *.line))]
    Gzip {
        path: PathBuf,
        /// The 1-based line being decompressed when the stream failed; 0 when not read by line.
        line: usize,
        #[source]
        source: io::Error,
    },

    /// The input is compressed with a format other than gzip.
    #[error("{}", unsupported_compression_message(.path, .format))]
    UnsupportedCompression {
        path: PathBuf,
        /// `"bzip2"`, `"xz"`, `"zstd"` or `"zip"`.
        format: &'static str,
    },

    /// A line with NUL bytes or invalid UTF-8: not a text file.
    #[error("{}:{line}: not a text file ({problem}); give a text file, plain or gzip", .path.display())]
    NotText {
        path: PathBuf,
        line: usize,
        problem: TextProblem,
    },

    /// Writing (or replacing) a file failed.
    #[error("{action} {}: {source}; check that the folder is writable and has space", .path.display())]
    Write {
        /// What was being done: "creating folder", "creating a temporary file in", "writing",
        /// "syncing", "renaming the temporary file to".
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Encoding a Parquet file failed.
    #[cfg(feature = "parquet")]
    #[error("{}: cannot write Parquet: {message}", .path.display())]
    Parquet { path: PathBuf, message: String },
}

impl Error {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Error::Read { path, .. }
            | Error::Gzip { path, .. }
            | Error::UnsupportedCompression { path, .. }
            | Error::NotText { path, .. }
            | Error::Write { path, .. } => path,
            #[cfg(feature = "parquet")]
            Error::Parquet { path, .. } => path,
        }
    }

    /// The 1-based line, when the error is tied to one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::Gzip { line, .. } if *line > 0 => Some(*line),
            Error::NotText { line, .. } => Some(*line),
            _ => None,
        }
    }

    pub(crate) fn read(path: &Path, source: io::Error) -> Error {
        Error::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn write(action: &'static str, path: &Path, source: io::Error) -> Error {
        Error::Write {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}
