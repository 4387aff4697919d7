//! Sequence file formats and residue alphabets.
//!
//! Every stage of homolog starts from sequences: queries arrive as FASTA, the reference is built
//! from FASTA or UniProt flat files, and sequencing reads for read clustering arrive as FASTA or
//! FASTQ. This crate is the one place that reads them, so that all stages agree on what a record
//! id is, which residues are valid and how bad input is reported.
//!
//! One module per format ([`fasta`], [`uniprot`], and [`reads`] for DNA reads in FASTA or
//! FASTQ), plus [`alphabet`] for residue validation and the per-model rare-residue mapping, and
//! [`error`] for [`SeqError`]. Readers accept plain or
//! gzip input (detected by the magic bytes `1f 8b`, not by the file name), stream line by line
//! so large files need not fit in memory, report bad input with file, 1-based line, record id
//! and a hint how to fix it, and never panic on any input.
//!
//! Leniency is deliberate (strict validation that rejects valid files is a known pain of
//! similar tools): lower case, wrapped or unwrapped sequence lines, CRLF line ends, blank lines,
//! `;` comment lines, one trailing `*` and hard-wrapped UniProt headers (as in FANTASIA's own
//! `data_sample/test.fa`) are all accepted. See [`fasta`] for the exact rules.
//!
//! # Main types
//!
//! - [`fasta::Record`] `{ id, description, sequence, line }`: `id` is the first header token,
//!   `description` the rest of the header, `sequence` upper-case residues with whitespace
//!   removed and one trailing `*` dropped, `line` the 1-based line of the header.
//! - [`fasta::ReadOptions`] `{ alphabet, on_invalid }` (default: protein, error) and
//!   [`fasta::InvalidPolicy`]: per-record problems (empty sequence, duplicate id, invalid
//!   residue) either fail the read or become [`fasta::Skipped`] entries with a
//!   [`fasta::SkipReason`].
//! - [`fasta::read_path`] -> [`fasta::FastaReport`] `{ records, skipped }`; [`fasta::Reader`]
//!   streams records from a path or any reader.
//! - [`fasta::Writer`] writes records wrapped at 60 columns; [`fasta::write_path`] writes a
//!   file atomically.
//! - [`reads::Reader`] streams [`reads::Read`]s `{ id, seq, source, record }` from a FASTA or
//!   FASTQ file of DNA reads (format from the first record; no skip policy: a malformed read is
//!   a [`SeqError::MalformedRead`] naming the record number, line and id).
//! - [`uniprot::read_path`] / [`uniprot::Reader`] -> [`uniprot::Entry`] for UniProt flat `.dat`
//!   files (Swiss-Prot/TrEMBL text format).
//! - [`Alphabet`] (`Protein`, `Dna`), [`RareResidues`] (`Keep`, `ToX`), [`map_rare`] and
//!   [`alphabet::first_invalid`].
//! - [`accession_key`]: FANTASIA's HDF5 key part for a record id (`|` -> `_`).
//! - [`SeqError`]: every error, carrying `path`, `line` and `id` where known.
//!
//! # Examples
//!
//! Reading FASTA from a string (any [`std::io::Read`], plain or gzip; the label names the
//! source in errors):
//!
//! ```rust
//! use homolog_seq::fasta::Reader;
//! use homolog_seq::ReadOptions;
//!
//! let text = ">sp|P1|A_HUMAN first protein\nmkta\nYIAK*\n\n>q2\r\nMSTNPKPQRK\r\n";
//! let reader = Reader::from_reader(std::io::Cursor::new(text), "query.fa", ReadOptions::default())?;
//! let records = reader.collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(records.len(), 2);
//! assert_eq!(records[0].id, "sp|P1|A_HUMAN");
//! assert_eq!(records[0].description, "first protein");
//! assert_eq!(records[0].sequence, "MKTAYIAK"); // upper-cased, joined, stop dropped
//! assert_eq!(records[0].line, 1);
//! assert_eq!(records[1].sequence, "MSTNPKPQRK");
//! # Ok::<(), homolog_seq::SeqError>(())
//! ```
//!
//! Reading a file with [`fasta::read_path`]: under [`InvalidPolicy::Error`] (the default) the
//! first bad record is an error; under [`InvalidPolicy::Skip`] it is listed and left out.
//!
//! ```rust
//! use homolog_seq::fasta::{self, SkipReason};
//! use homolog_seq::{Alphabet, InvalidPolicy, ReadOptions};
//!
//! let path = std::env::temp_dir().join(format!("homolog_seq_doc_read_{}.fa", std::process::id()));
//! std::fs::write(&path, ">a\nMKV\n>b\nMK-V\n>a\nMKV\n>c\n")?;
//!
//! let err = fasta::read_path(&path, &ReadOptions::default()).unwrap_err();
//! assert_eq!(err.line(), Some(4)); // the gap `-` in record b
//! assert_eq!(err.id(), Some("b"));
//!
//! let options = ReadOptions { alphabet: Alphabet::Protein, on_invalid: InvalidPolicy::Skip };
//! let report = fasta::read_path(&path, &options)?;
//! assert_eq!(report.records.len(), 1);
//! let reasons: Vec<_> = report.skipped.iter().map(|s| (s.id.as_str(), &s.reason)).collect();
//! assert!(matches!(reasons[0], ("b", SkipReason::InvalidResidue { ch: '-', .. })));
//! assert_eq!(reasons[1], ("a", &SkipReason::DuplicateId { first_line: 1 }));
//! assert_eq!(reasons[2], ("c", &SkipReason::EmptySequence));
//!
//! std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Writing FASTA to any writer, or atomically to a file:
//!
//! ```rust
//! use homolog_seq::fasta::{self, Record, Writer};
//! use homolog_seq::ReadOptions;
//!
//! let mut record = Record::new("q1", "MKTAYIAKQR");
//! record.description = "test protein".to_string();
//!
//! let mut writer = Writer::with_width(Vec::new(), 4); // Writer::new wraps at 60
//! writer.write_record(&record)?;
//! writer.write("q2", "", "MSTN")?;
//! let text = String::from_utf8(writer.into_inner()?)?;
//! assert_eq!(text, ">q1 test protein\nMKTA\nYIAK\nQR\n>q2\nMSTN\n");
//!
//! let path = std::env::temp_dir().join(format!("homolog_seq_doc_write_{}.fa", std::process::id()));
//! fasta::write_path(&path, [&record])?;
//! let back = fasta::read_path(&path, &ReadOptions::default())?;
//! assert_eq!(back.records[0].header(), "q1 test protein");
//! assert_eq!(back.records[0].sequence, record.sequence);
//! std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Reading sequencing reads (FASTQ here; FASTA reads work the same, [`reads::Reader::from_path`]
//! opens files):
//!
//! ```rust
//! use homolog_seq::reads::{Format, Reader};
//!
//! let fastq = "@r1 lane=1\nACGTu\n+\nIIIII\n@r2\nNNAC\nGT\n+r2\nIIIIII\n";
//! let mut reader = Reader::from_reader(std::io::Cursor::new(fastq), "run1.fq")?;
//! let reads = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(reader.format(), Some(Format::Fastq));
//! assert_eq!((reads[0].id.as_str(), reads[0].seq.as_slice()), ("r1", &b"ACGTT"[..]));
//! assert_eq!((reads[1].record, reads[1].seq.as_slice()), (2, &b"NNACGT"[..]));
//! assert_eq!(&*reads[1].source, "run1.fq");
//!
//! let bad = Reader::from_reader(std::io::Cursor::new("@r1\nACGT\n+\nIII\n"), "run2.fq")?
//!     .collect::<Result<Vec<_>, _>>()
//!     .unwrap_err();
//! assert_eq!(
//!     bad.to_string(),
//!     "run2.fq: record 1 (line 4, id \"r1\"): file ends inside the qualities (3 of 4 characters)"
//! );
//! # Ok::<(), homolog_seq::SeqError>(())
//! ```
//!
//! Reading UniProt flat files ([`uniprot::Reader::from_reader`] here; [`uniprot::read_path`]
//! and [`uniprot::Reader::from_path`] for files):
//!
//! ```rust
//! use homolog_seq::uniprot::Reader;
//!
//! let dat = "\
//! ID   RS4_ECOLI               Reviewed;          10 AA.
//! AC   P0A7V8; P02354;
//! DE   RecName: Full=Small ribosomal subunit protein uS4 {ECO:0000255|HAMAP-Rule:MF_01306};
//! GN   Name=rpsD {ECO:0000255|HAMAP-Rule:MF_01306}; OrderedLocusNames=b3296;
//! OS   Escherichia coli (strain K12).
//! OX   NCBI_TaxID=83333;
//! DR   GO; GO:0022627; C:cytosolic small ribosomal subunit; IDA:UniProtKB.
//! SQ   SEQUENCE   10 AA;  1234 MW;  0123456789ABCDEF CRC64;
//!      MARYLGPKLK
//! //
//! ";
//! let entries = Reader::from_reader(std::io::Cursor::new(dat), "sample.dat")?
//!     .collect::<Result<Vec<_>, _>>()?;
//! let e = &entries[0];
//! assert_eq!(e.accession, "P0A7V8");
//! assert_eq!(e.secondary_accessions, ["P02354"]);
//! assert_eq!(e.entry_name, "RS4_ECOLI");
//! assert_eq!(e.protein_name.as_deref(), Some("Small ribosomal subunit protein uS4"));
//! assert_eq!(e.gene_name.as_deref(), Some("rpsD"));
//! assert_eq!(e.organism.as_deref(), Some("Escherichia coli (strain K12)"));
//! assert_eq!(e.taxonomy_id, Some(83333));
//! assert_eq!((e.go[0].go_id.as_str(), e.go[0].aspect), ("GO:0022627", 'C'));
//! assert_eq!(e.go[0].evidence, "IDA");
//! assert_eq!(e.sequence, "MARYLGPKLK");
//! # Ok::<(), homolog_seq::SeqError>(())
//! ```
//!
//! Checking residues and preparing sequences for a model:
//!
//! ```rust
//! use homolog_seq::alphabet::first_invalid;
//! use homolog_seq::{accession_key, map_rare, Alphabet, RareResidues};
//!
//! assert_eq!(first_invalid("MKU-V", Alphabet::Protein), Some((3, '-')));
//! assert_eq!(first_invalid("acgun", Alphabet::Dna), None); // U is read as T
//! assert_eq!(map_rare("MUZOBK", RareResidues::ToX), "MXXXXK"); // ProtT5/ProstT5
//! assert_eq!(accession_key("sp|P0A7V8|RS4_ECOLI"), "sp_P0A7V8_RS4_ECOLI");
//! ```

pub mod alphabet;
pub mod error;
pub mod fasta;
mod input;
pub mod reads;
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
