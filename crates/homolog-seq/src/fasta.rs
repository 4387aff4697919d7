//! FASTA reading (streaming or collected) and writing.
//!
//! Rules, chosen to accept every FASTA file a user is likely to have while rejecting input that
//! would silently give wrong embeddings:
//! - Input is plain text or gzip (by magic bytes; concatenated gzip members are read as one).
//! - A record starts at a line beginning with `>`. Its `id` is the first whitespace-delimited
//!   token after `>` (leading spaces allowed); the rest of the line, trimmed, is the
//!   `description`.
//! - Sequence lines may be wrapped at any width or not at all, in any case; all whitespace
//!   (including `\r` of CRLF files) is removed and residues are upper-cased. Blank lines and
//!   lines starting with `;` (old FASTA comments) are ignored anywhere.
//! - A single `*` at the very end of a protein record (a stop) is dropped; a `*` anywhere else
//!   is an invalid residue.
//! - Hard-wrapped headers: some files (FANTASIA's own `data_sample/test.fa`) cut long UniProt
//!   headers at a fixed width, so the tail of the header (`rC PE=1 SV=1`) lands on the next
//!   line. A line directly after a header line of at least 60 characters is joined to the
//!   description (without a separator, since the cut is mid-token) when it contains a character
//!   that is not a residue and either the header so far looks like an unfinished UniProt header
//!   (has ` OS=` but does not end with `SV=<digits>`) or the line contains `=`. Anything else
//!   after a header is sequence.
//! - Errors: see [`SeqError`]. File-level problems (unreadable, not text, corrupt gzip, empty,
//!   text before the first header, header without id) always fail. Per-record problems (empty
//!   sequence, duplicate id, invalid residue) fail under [`InvalidPolicy::Error`] and become
//!   [`Skipped`] entries under [`InvalidPolicy::Skip`]. Ids are checked for duplicates against
//!   the records already accepted.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::alphabet::Alphabet;
use crate::error::SeqError;
use crate::input::Lines;

/// One FASTA record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Record {
    /// First whitespace-delimited token of the header.
    pub id: String,
    /// Rest of the header, trimmed (may be empty).
    pub description: String,
    /// Upper-case residues, whitespace removed, one trailing `*` dropped.
    pub sequence: String,
    /// 1-based line of the header (0 for records not read from a file).
    pub line: usize,
}

impl Record {
    /// A record not read from a file (`line` 0, no description).
    pub fn new(id: impl Into<String>, sequence: impl Into<String>) -> Record {
        Record {
            id: id.into(),
            description: String::new(),
            sequence: sequence.into(),
            line: 0,
        }
    }

    /// The header text after `>`: `id` plus the description when there is one.
    pub fn header(&self) -> String {
        if self.description.is_empty() {
            self.id.clone()
        } else {
            format!("{} {}", self.id, self.description)
        }
    }
}

/// What to do with a record that has an empty sequence, a duplicate id or invalid residues.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum InvalidPolicy {
    /// Stop with an error (the default: bad input should be noticed).
    #[default]
    Error,
    /// Leave the record out and list it in [`FastaReport::skipped`] / [`Reader::skipped`].
    Skip,
}

/// How to read a FASTA file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReadOptions {
    /// Which residues are valid.
    pub alphabet: Alphabet,
    /// Per-record problem handling.
    pub on_invalid: InvalidPolicy,
}

/// Why a record was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// The record has no residues.
    EmptySequence,
    /// The id was already used by an accepted record.
    DuplicateId {
        /// Header line of the accepted record.
        first_line: usize,
    },
    /// A character that is not a residue.
    InvalidResidue {
        ch: char,
        /// 1-based line of the character.
        line: usize,
        /// 1-based character column of the character.
        column: usize,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::EmptySequence => f.write_str("empty sequence"),
            SkipReason::DuplicateId { first_line } => {
                write!(f, "duplicate id (first seen on line {first_line})")
            }
            SkipReason::InvalidResidue { ch, line, column } => {
                write!(f, "invalid residue {ch:?} at line {line}, column {column}")
            }
        }
    }
}

/// A record left out under [`InvalidPolicy::Skip`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Skipped {
    pub id: String,
    /// 1-based header line.
    pub line: usize,
    pub reason: SkipReason,
}

/// All records of a file plus the ones skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FastaReport {
    pub records: Vec<Record>,
    pub skipped: Vec<Skipped>,
}

/// Reads a whole FASTA file (plain or gzip) into memory.
pub fn read_path(path: impl AsRef<Path>, options: &ReadOptions) -> Result<FastaReport, SeqError> {
    let mut reader = Reader::from_path(path, *options)?;
    let mut records = Vec::new();
    for record in reader.by_ref() {
        records.push(record?);
    }
    Ok(FastaReport {
        records,
        skipped: reader.take_skipped(),
    })
}

/// A per-record problem: what to list under the skip policy, or to return under the error one.
struct RecordProblem {
    skipped: Skipped,
    error: SeqError,
}

/// A header read but not yet turned into a record.
struct PendingHeader {
    text: String,
    line: usize,
}

/// Streaming FASTA reader: an iterator of `Result<Record, SeqError>`.
///
/// After the first error the iterator ends. Skipped records (under [`InvalidPolicy::Skip`]) are
/// collected in [`Reader::skipped`].
pub struct Reader {
    lines: Lines,
    options: ReadOptions,
    check_duplicates: bool,
    seen: HashMap<String, usize>,
    pending: Option<PendingHeader>,
    buf: String,
    headers_seen: usize,
    skipped: Vec<Skipped>,
    done: bool,
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.lines.path())
            .field("line", &self.lines.line_no())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// Opens a FASTA file (plain or gzip).
    pub fn from_path(path: impl AsRef<Path>, options: ReadOptions) -> Result<Reader, SeqError> {
        Ok(Reader::new(Lines::open(path.as_ref())?, options))
    }

    /// Reads FASTA from any byte source (plain or gzip); `label` names it in errors.
    pub fn from_reader(
        reader: impl Read + Send + 'static,
        label: impl Into<PathBuf>,
        options: ReadOptions,
    ) -> Result<Reader, SeqError> {
        Ok(Reader::new(
            Lines::from_reader(Box::new(reader), label.into())?,
            options,
        ))
    }

    fn new(lines: Lines, options: ReadOptions) -> Reader {
        Reader {
            lines,
            options,
            check_duplicates: true,
            seen: HashMap::new(),
            pending: None,
            buf: String::new(),
            headers_seen: 0,
            skipped: Vec::new(),
            done: false,
        }
    }

    /// Turns the duplicate-id check on (default) or off. Off saves the memory of one id per
    /// record, for very large read files whose ids are known to be unique.
    pub fn check_duplicates(mut self, on: bool) -> Reader {
        self.check_duplicates = on;
        self
    }

    /// Records skipped so far.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Takes the records skipped so far, leaving the list empty.
    pub fn take_skipped(&mut self) -> Vec<Skipped> {
        std::mem::take(&mut self.skipped)
    }

    fn path(&self) -> PathBuf {
        self.lines.path().to_path_buf()
    }

    /// Reads up to the first header; `None` at end of input.
    fn find_first_header(&mut self) -> Result<Option<PendingHeader>, SeqError> {
        while self.lines.next_line(&mut self.buf)? {
            let line = self.buf.trim_start();
            if line.starts_with('>') {
                return Ok(Some(PendingHeader {
                    text: self.buf.clone(),
                    line: self.lines.line_no(),
                }));
            }
            if line.trim().is_empty() || line.starts_with(';') {
                continue;
            }
            let hint = if line.starts_with('@') {
                "this looks like FASTQ, not FASTA: convert it (e.g. `seqtk seq -a`)"
            } else if line.starts_with("ID ") {
                "this looks like a UniProt flat file (.dat): read it as UniProt"
            } else {
                "a FASTA file must start with a '>' header line: add one (e.g. '>seq1') or \
                 remove the stray text"
            };
            return Err(SeqError::TextBeforeHeader {
                path: self.path(),
                line: self.lines.line_no(),
                hint,
            });
        }
        Ok(None)
    }

    /// Reads one record (header already in hand); `Ok(Err(_))` is a per-record problem.
    fn read_record(
        &mut self,
        header: PendingHeader,
    ) -> Result<Result<Record, RecordProblem>, SeqError> {
        let (id, description) = split_header(&header.text.trim_start()[1..]);
        let (id, description) = (id.to_string(), description.to_string());
        if id.is_empty() {
            return Err(SeqError::MissingId {
                path: self.path(),
                line: header.line,
            });
        }
        let mut record = Record {
            id,
            description,
            sequence: String::new(),
            line: header.line,
        };
        let alphabet = self.options.alphabet;
        let mut problem: Option<(char, usize, usize)> = None;
        let mut star: Option<(usize, usize)> = None;
        // Length of the previous physical line when it was header text (for hard-wrap joins).
        let mut header_len = Some(header.text.chars().count());

        while self.lines.next_line(&mut self.buf)? {
            let line_no = self.lines.line_no();
            if self.buf.trim_start().starts_with('>') {
                self.pending = Some(PendingHeader {
                    text: self.buf.clone(),
                    line: line_no,
                });
                break;
            }
            if self.buf.starts_with(';') {
                continue;
            }
            if let Some(len) = header_len.take() {
                if len >= 60 && is_header_continuation(&record, &self.buf, alphabet) {
                    if record.description.is_empty() {
                        record.description = self.buf.trim().to_string();
                    } else {
                        record.description.push_str(self.buf.trim_end());
                    }
                    header_len = Some(self.buf.chars().count());
                    continue;
                }
            }
            if problem.is_some() {
                continue; // keep consuming the record's lines
            }
            for (col, c) in self.buf.chars().enumerate() {
                if c.is_whitespace() {
                    continue;
                }
                if let Some((l, cl)) = star {
                    problem = Some(('*', l, cl));
                    break;
                }
                if c == '*' && alphabet == Alphabet::Protein {
                    star = Some((line_no, col + 1));
                    continue;
                }
                match alphabet.normalize(c) {
                    Some(r) => record.sequence.push(r),
                    None => {
                        problem = Some((c, line_no, col + 1));
                        break;
                    }
                }
            }
        }

        let failure = if let Some((ch, line, column)) = problem {
            Some((
                SkipReason::InvalidResidue { ch, line, column },
                SeqError::InvalidResidue {
                    path: self.path(),
                    line,
                    column,
                    id: record.id.clone(),
                    ch,
                    alphabet,
                    hint: alphabet.hint_for(ch),
                },
            ))
        } else if record.sequence.is_empty() {
            Some((
                SkipReason::EmptySequence,
                SeqError::EmptySequence {
                    path: self.path(),
                    line: record.line,
                    id: record.id.clone(),
                },
            ))
        } else if let Some(&first_line) = self
            .check_duplicates
            .then(|| self.seen.get(&record.id))
            .flatten()
        {
            Some((
                SkipReason::DuplicateId { first_line },
                SeqError::DuplicateId {
                    path: self.path(),
                    line: record.line,
                    id: record.id.clone(),
                    first_line,
                },
            ))
        } else {
            None
        };
        Ok(match failure {
            Some((reason, error)) => Err(RecordProblem {
                skipped: Skipped {
                    id: record.id,
                    line: record.line,
                    reason,
                },
                error,
            }),
            None => {
                if self.check_duplicates {
                    self.seen.insert(record.id.clone(), record.line);
                }
                Ok(record)
            }
        })
    }

    fn next_inner(&mut self) -> Result<Option<Record>, SeqError> {
        loop {
            let header = match self.pending.take() {
                Some(h) => h,
                None => match self.find_first_header()? {
                    Some(h) => h,
                    None if self.headers_seen == 0 => {
                        return Err(SeqError::Empty { path: self.path() })
                    }
                    None => return Ok(None),
                },
            };
            self.headers_seen += 1;
            match self.read_record(header)? {
                Ok(record) => return Ok(Some(record)),
                Err(problem) => match self.options.on_invalid {
                    InvalidPolicy::Error => return Err(problem.error),
                    InvalidPolicy::Skip => self.skipped.push(problem.skipped),
                },
            }
            if self.pending.is_none() {
                return Ok(None); // the skipped record was the last one
            }
        }
    }
}

/// Splits the header text after its marker (`>`, or `@` for FASTQ) into the id, the first
/// whitespace-delimited token, and the trimmed rest (the description).
pub(crate) fn split_header(after_marker: &str) -> (&str, &str) {
    let rest = after_marker.trim();
    match rest.split_once(char::is_whitespace) {
        Some((id, description)) => (id, description.trim()),
        None => (rest, ""),
    }
}

/// Whether `line`, right after a long header line, is the cut-off tail of that header.
fn is_header_continuation(record: &Record, line: &str, alphabet: Alphabet) -> bool {
    let has_non_residue = line
        .chars()
        .any(|c| !c.is_whitespace() && alphabet.normalize(c).is_none());
    if !has_non_residue {
        return false;
    }
    let desc = record.description.trim_end();
    let unfinished_uniprot = desc.contains(" OS=") && !ends_with_sv(desc);
    unfinished_uniprot || line.contains('=')
}

/// Whether a UniProt description ends with `SV=<digits>` (the last field of its headers).
fn ends_with_sv(desc: &str) -> bool {
    let digits = desc.len() - desc.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    digits > 0 && desc[..desc.len() - digits].ends_with("SV=")
}

impl Iterator for Reader {
    type Item = Result<Record, SeqError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_inner() {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(self.lines.prefer_gzip_error(e)))
            }
        }
    }
}

/// FASTA writer: `>id description` headers, sequences wrapped at 60 columns by default.
#[derive(Debug)]
pub struct Writer<W: Write> {
    inner: W,
    width: usize,
}

impl<W: Write> Writer<W> {
    /// A writer wrapping sequences at 60 columns.
    pub fn new(inner: W) -> Writer<W> {
        Writer::with_width(inner, 60)
    }

    /// A writer wrapping at `width` columns; 0 writes each sequence on one line.
    pub fn with_width(inner: W, width: usize) -> Writer<W> {
        Writer { inner, width }
    }

    /// Writes one record.
    pub fn write_record(&mut self, record: &Record) -> io::Result<()> {
        self.write(&record.id, &record.description, &record.sequence)
    }

    /// Writes one record from its parts.
    pub fn write(&mut self, id: &str, description: &str, sequence: &str) -> io::Result<()> {
        if description.is_empty() {
            writeln!(self.inner, ">{id}")?;
        } else {
            writeln!(self.inner, ">{id} {description}")?;
        }
        let bytes = sequence.as_bytes();
        if self.width == 0 || bytes.is_empty() {
            self.inner.write_all(bytes)?;
            return self.inner.write_all(b"\n");
        }
        for chunk in bytes.chunks(self.width) {
            self.inner.write_all(chunk)?;
            self.inner.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.inner.flush()?;
        Ok(self.inner)
    }
}

/// Writes records to `path` atomically (temporary file in the same directory, then rename), so
/// a crash never leaves a half-written FASTA behind.
pub fn write_path<'a>(
    path: impl AsRef<Path>,
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<(), SeqError> {
    let path = path.as_ref();
    homolog_io::with_atomic_writer(path, |file| {
        let mut writer = Writer::new(file);
        for record in records {
            writer
                .write_record(record)
                .map_err(|source| SeqError::Write {
                    path: path.to_path_buf(),
                    source,
                })?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read_str(text: &str, options: ReadOptions) -> Result<FastaReport, SeqError> {
        let mut reader =
            Reader::from_reader(Cursor::new(text.as_bytes().to_vec()), "t.fa", options)?;
        let mut records = Vec::new();
        for r in reader.by_ref() {
            records.push(r?);
        }
        Ok(FastaReport {
            records,
            skipped: reader.take_skipped(),
        })
    }

    fn protein() -> ReadOptions {
        ReadOptions::default()
    }

    #[test]
    fn parses_ids_descriptions_and_wrapped_lowercase_sequences() {
        let report = read_str(
            ">sp|P1|A_ECOLI  Protein A OS=E\nmkv\nLLA\n\n> q2\r\nXMK*\r\n",
            protein(),
        )
        .unwrap();
        assert_eq!(report.records.len(), 2);
        let a = &report.records[0];
        assert_eq!(
            (
                a.id.as_str(),
                a.description.as_str(),
                a.sequence.as_str(),
                a.line
            ),
            ("sp|P1|A_ECOLI", "Protein A OS=E", "MKVLLA", 1)
        );
        let b = &report.records[1];
        assert_eq!(
            (b.id.as_str(), b.sequence.as_str(), b.line),
            ("q2", "XMK", 5)
        );
        assert_eq!(b.description, "");
    }

    #[test]
    fn star_inside_sequence_is_invalid() {
        let err = read_str(">a\nMK*\nLV\n", protein()).unwrap_err();
        match err {
            SeqError::InvalidResidue {
                ch, line, column, ..
            } => assert_eq!((ch, line, column), ('*', 2, 3)),
            other => panic!("unexpected {other}"),
        }
        assert!(read_str(">a\nM*K\n", protein()).is_err());
        // Trailing whitespace after the stop is fine.
        let ok = read_str(">a\nMK* \n\n", protein()).unwrap();
        assert_eq!(ok.records[0].sequence, "MK");
    }

    #[test]
    fn dna_reads_u_as_t_and_rejects_star() {
        let dna = ReadOptions {
            alphabet: Alphabet::Dna,
            ..Default::default()
        };
        let r = read_str(">r\nacgu\nNRY\n", dna).unwrap();
        assert_eq!(r.records[0].sequence, "ACGTNRY");
        assert!(matches!(
            read_str(">r\nACG*\n", dna),
            Err(SeqError::InvalidResidue { ch: '*', .. })
        ));
    }

    #[test]
    fn joins_hard_wrapped_uniprot_headers() {
        let h = ">sp|P0A7D7|PUR7_ECOLI Phosphoribosylaminoimidazole-succinocarboxamide synthase \
                 OS=Escherichia coli (strain K12) OX=83333 GN=pu";
        let text = format!("{h}\nrC PE=1 SV=1\nMQKQ\nAELY\n");
        let r = read_str(&text, protein()).unwrap();
        assert_eq!(r.records[0].sequence, "MQKQAELY");
        assert!(r.records[0].description.ends_with("GN=purC PE=1 SV=1"));
        // A complete UniProt header followed by a bad line is not joined: the error stays.
        let h2 =
            ">sp|P1|X_ECOLI Some protein name OS=Escherichia coli (strain K12) OX=83333 PE=1 SV=1";
        assert!(matches!(
            read_str(&format!("{h2}\nMK1\n"), protein()),
            Err(SeqError::InvalidResidue {
                ch: '1',
                line: 2,
                column: 3,
                ..
            })
        ));
        // Short headers are never continued.
        assert!(read_str(">a OS=x\nE=1\nMK\n", protein()).is_err());
    }

    #[test]
    fn ends_with_sv_needs_digits() {
        assert!(ends_with_sv("GN=x PE=1 SV=12"));
        assert!(!ends_with_sv("GN=x PE=1 SV="));
        assert!(!ends_with_sv("GN=x PE=1"));
        assert!(!ends_with_sv(""));
    }

    #[test]
    fn writer_wraps_at_60_and_round_trips() {
        let seq = "ACDEFGHIKL".repeat(13);
        let mut w = Writer::new(Vec::new());
        let rec = Record {
            id: "x".into(),
            description: "desc here".into(),
            sequence: seq.clone(),
            line: 0,
        };
        w.write_record(&rec).unwrap();
        w.write_record(&Record::new("y", "MK")).unwrap();
        let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], ">x desc here");
        assert_eq!(lines[1].len(), 60);
        assert_eq!(lines[2].len(), 60);
        assert_eq!(lines[3].len(), 10);
        assert_eq!(&lines[4..], [">y", "MK"]);
        let back = read_str(&out, protein()).unwrap();
        assert_eq!(back.records[0].sequence, seq);
        assert_eq!(back.records[0].header(), "x desc here");
        assert_eq!(back.records[1].line, 5);
    }

    #[test]
    fn unwrapped_writer_puts_sequence_on_one_line() {
        let mut w = Writer::with_width(Vec::new(), 0);
        w.write("id", "", &"A".repeat(100)).unwrap();
        let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(out, format!(">id\n{}\n", "A".repeat(100)));
    }

    #[test]
    fn duplicate_check_can_be_turned_off() {
        let reader = Reader::from_reader(Cursor::new(b">a\nM\n>a\nK\n".to_vec()), "t", protein())
            .unwrap()
            .check_duplicates(false);
        let records: Vec<Record> = reader.collect::<Result<_, _>>().unwrap();
        assert_eq!(records.len(), 2);
    }

    #[test]
    fn iterator_stops_after_an_error() {
        let mut reader =
            Reader::from_reader(Cursor::new(b">a\nM1\n>b\nK\n".to_vec()), "t", protein()).unwrap();
        assert!(reader.next().unwrap().is_err());
        assert!(reader.next().is_none());
    }
}
