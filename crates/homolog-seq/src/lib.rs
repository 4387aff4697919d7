//! Sequence file formats and residue alphabets.
//!
//! Every stage of homolog starts from sequences: queries arrive as FASTA, the reference is built
//! from FASTA or UniProt flat files. This crate is the one place that reads them, so that all
//! stages agree on what a record id is, which residues are valid and how bad input is reported.
//!
//! One module per format ([`fasta`], [`uniprot`]), plus [`alphabet`] for residue validation and
//! the per-model rare-residue mapping. Readers accept plain or gzip input (detected by the magic
//! bytes `1f 8b`, not by the file name), stream line by line so large files need not fit in
//! memory, report bad input with file, 1-based line, record id and a hint how to fix it, and
//! never panic on any input.
//!
//! Leniency is deliberate (strict validation that rejects valid files is a known pain of the
//! peers): lower case, wrapped or unwrapped sequence lines, CRLF line ends, blank lines, `;`
//! comment lines, one trailing `*` and hard-wrapped UniProt headers (as in FANTASIA's own
//! `data_sample/test.fa`) are all accepted. See [`fasta`] for the exact rules.
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
//!
//! Additions beyond the contract: streaming readers [`fasta::Reader`] and [`uniprot::Reader`],
//! [`fasta::write_path`] (atomic), [`fasta::SkipReason`], [`alphabet::first_invalid`],
//! [`uniprot::Entry::protein_name`].

pub mod alphabet;
pub mod error;
pub mod fasta;
mod input;
pub mod uniprot;

pub use alphabet::{map_rare, Alphabet, RareResidues};
pub use error::SeqError;
pub use fasta::{FastaReport, InvalidPolicy, ReadOptions, Record, Skipped};

/// FANTASIA's HDF5 key part for a record id: every `|` becomes `_`.
///
/// FANTASIA stores embeddings under `/accession_<key>/...`; `|` is replaced because UniProt ids
/// such as `sp|P12345|NAME_HUMAN` would otherwise be awkward in HDF5 paths and file names.
///
/// ```
/// assert_eq!(homolog_seq::accession_key("sp|P0A7V8|RS4_ECOLI"), "sp_P0A7V8_RS4_ECOLI");
/// ```
pub fn accession_key(id: &str) -> String {
    id.replace('|', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accession_key_replaces_every_pipe() {
        assert_eq!(
            accession_key("sp|A5A615|YNCL_ECOLI"),
            "sp_A5A615_YNCL_ECOLI"
        );
        assert_eq!(accession_key("P12345"), "P12345");
        assert_eq!(accession_key("||"), "__");
    }
}
