//! Data for homolog's demo and tests.
//!
//! - [`write_swissprot_demo`] (module `real`): the real data `homolog demo` runs on, the
//!   repository's `data/demo` compiled into the binary: 500 held-out Swiss-Prot proteins with
//!   their GO annotations as the truth, 4,489 other Swiss-Prot proteins as the reference, and the
//!   part of GO basic they need (see `data/README.md` for sources, licences and the split).
//! - [`write_demo`] (module `simulated`): seeded simulated protein families with a random
//!   ontology, for tests that need a small reference of known structure in milliseconds.

use std::io;
use std::path::PathBuf;

mod real;
mod simulated;

pub use real::{
    embedded, write_swissprot_demo, SwissProtDemo, ONTOLOGY, PROVENANCE, QUERIES_FASTA,
    QUERIES_TRUTH, REFERENCE_ANNOTATIONS, REFERENCE_FASTA,
};
pub use simulated::{write_demo, DemoFiles, DemoSpec};

/// Errors writing the demo files.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot write demo file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    File(#[from] homolog_io::Error),
    #[error("invalid demo spec: {0}")]
    Spec(String),
}
