//! Sequence file formats and residue alphabets.
//!
//! One module per format (`fasta`, `uniprot`), plus `alphabet` for residue validation and the
//! per-model rare-residue mapping. Readers accept plain or gzip input (detected by magic bytes,
//! not by file name) and report bad input with file, line and record id; they never panic.
//!
//! CONTRACT (used by other crates; keep these names and meanings):
//! - `fasta::Record { id, description, sequence, line }`: `id` is the first header token,
//!   `sequence` is upper-case residues with whitespace removed and one trailing `*` dropped,
//!   `line` the 1-based line of the header.
//! - `fasta::read_path(path, &ReadOptions) -> Result<FastaReport, SeqError>`
//! - `fasta::ReadOptions { alphabet: Alphabet, on_invalid: InvalidPolicy }` (Default: protein, error)
//! - `fasta::FastaReport { records: Vec<Record>, skipped: Vec<Skipped> }`
//! - `fasta::Writer` writes records (60 columns).
//! - `uniprot::read_path(path) -> Result<Vec<uniprot::Entry>, SeqError>` for UniProt flat `.dat`.
//! - `alphabet::Alphabet::{Protein, Dna}`; `alphabet::RareResidues::{Keep, ToX}`;
//!   `alphabet::map_rare(seq, RareResidues) -> String`.
//! - `accession_key(id) -> String`: FANTASIA's HDF5 key part (`|` -> `_`).
//! - `SeqError` (thiserror) with variants that carry `path`, `line` and `id` where known.
