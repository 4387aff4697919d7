//! Errors of taxdump loading; each names the file and line and says how to fix the input.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong loading a taxonomy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaxonomyError {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}; check that the file exists and is readable", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The gzip stream is truncated or corrupt.
    #[error("{}:{line}: gzip data is truncated or corrupt ({source}); re-download the taxdump \
             (check it with `gzip -t`)", .path.display())]
    Gzip {
        path: PathBuf,
        line: usize,
        #[source]
        source: io::Error,
    },

    /// NUL bytes or invalid UTF-8.
    #[error("{}:{line}: not a text file; give NCBI taxdump `nodes.dmp` / `names.dmp` (plain or \
             gzip; extract them from taxdump.tar.gz first)", .path.display())]
    NotText { path: PathBuf, line: usize },

    /// A line that is not in `\t|\t`-separated taxdump format.
    #[error("{}:{line}: {message}", .path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },

    /// The same taxid defined twice in nodes.dmp.
    #[error("{}:{line}: taxid {taxid} is defined twice (first on line {first_line}); the \
             nodes file is damaged or two dumps were concatenated", .path.display())]
    DuplicateTaxid {
        path: PathBuf,
        line: usize,
        taxid: u32,
        first_line: usize,
    },

    /// A node whose parent is not in the file.
    #[error("{}:{line}: taxid {taxid} has parent {parent}, which is not in the file; use a \
             complete nodes.dmp (a subset must include every ancestor)", .path.display())]
    MissingParent {
        path: PathBuf,
        line: usize,
        taxid: u32,
        parent: u32,
    },

    /// Following parents from a node never reaches a root.
    #[error("{}:{line}: the parents of taxid {taxid} form a cycle and never reach a root; the \
             nodes file is damaged", .path.display())]
    Cycle {
        path: PathBuf,
        line: usize,
        taxid: u32,
    },

    /// Any other input failure (e.g. a bzip2/xz/zstd-compressed file), from homolog-io.
    #[error(transparent)]
    Input(homolog_io::Error),

    /// No node at all.
    #[error("{}: no taxonomy nodes found; give a non-empty nodes.dmp", .path.display())]
    Empty { path: PathBuf },
}
