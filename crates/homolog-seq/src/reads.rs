//! DNA sequencing reads: FASTA or FASTQ, plain or gzip, streamed one [`Read`] at a time.
//!
//! Rules (lenient where real files differ, strict where a silent misread would follow):
//! - the format is taken from the first non-blank line: `>` FASTA, `@` FASTQ; every later
//!   record must use the same marker;
//! - the id is the first whitespace-separated token of the header (as in [`crate::fasta`]);
//!   a header without one is an error;
//! - FASTA: sequence lines may be wrapped; blank lines are skipped; an empty sequence is an
//!   error;
//! - FASTQ: `@id`, one or more sequence lines, a `+` line (optionally repeating the id), then
//!   Phred+33 quality lines until they are as long as the sequence; a length mismatch is an
//!   error;
//! - residues: IUPAC nucleotide codes in either case (`U` is read as `T`, `.` as `N`), spaces
//!   and tabs inside sequence lines ignored, CRLF line ends accepted; anything else is an error.
//!
//! Unlike [`crate::fasta::Reader`] there are no skip policies and no duplicate-id check: read
//! files hold millions of records, and a malformed one means the file is damaged. Errors are
//! [`SeqError::MalformedRead`], naming the source, the 1-based record number, the line and the
//! id when known.

use std::io::Read as IoRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::alphabet::Alphabet;
use crate::error::SeqError;
use crate::fasta::split_header;
use crate::input::Lines;

/// One sequencing read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// First token of the header, without `>`/`@`.
    pub id: String,
    /// Upper-case nucleotides (IUPAC; `U` stored as `T`, `.` as `N`).
    pub seq: Vec<u8>,
    /// The file (or `s3://` object) the read came from.
    pub source: Arc<str>,
    /// 1-based record number within its file.
    pub record: u64,
}

/// File format of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `>` records.
    Fasta,
    /// `@` records with qualities.
    Fastq,
}

/// Maps a byte to its canonical upper-case IUPAC nucleotide, or `None` when it is not one.
///
/// [`Alphabet::Dna`] plus `.`, the no-call of some sequencers, read as `N`.
#[inline]
pub fn normalise_base(b: u8) -> Option<u8> {
    match b {
        b'.' => Some(b'N'),
        _ => Alphabet::Dna.normalize(char::from(b)).map(|c| c as u8),
    }
}

/// Streaming reader of one file's reads: an iterator of `Result<Read, SeqError>` that ends
/// after the first error.
pub struct Reader {
    lines: Lines,
    source: Arc<str>,
    format: Option<Format>,
    /// Number of the line in `buf`.
    line_no: usize,
    record: u64,
    buf: Vec<u8>,
    /// A FASTA header line read ahead, with its line number.
    pending: Option<(Vec<u8>, usize)>,
    done: bool,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("source", &self.source)
            .field("format", &self.format)
            .field("line", &self.line_no)
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// Opens a read file (plain or gzip).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Reader, SeqError> {
        let path = path.as_ref();
        Ok(Reader::new(Lines::open(path)?))
    }

    /// Reads from any byte source (plain or gzip, detected from its magic bytes); `label`
    /// names it in errors and in [`Read::source`].
    pub fn from_reader(
        reader: impl IoRead + Send + 'static,
        label: impl Into<PathBuf>,
    ) -> Result<Reader, SeqError> {
        Ok(Reader::new(Lines::from_reader(
            Box::new(reader),
            label.into(),
        )?))
    }

    fn new(lines: Lines) -> Reader {
        Reader {
            source: Arc::from(lines.path().display().to_string()),
            lines,
            format: None,
            line_no: 0,
            record: 0,
            buf: Vec::with_capacity(512),
            pending: None,
            done: false,
        }
    }

    /// The detected format (known after the first record).
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Reads the next line into `self.buf` without its line end; false at the end.
    fn next_line(&mut self) -> Result<bool, SeqError> {
        self.buf.clear();
        let Some(bytes) = self.lines.next_bytes()? else {
            return Ok(false);
        };
        self.buf.extend_from_slice(bytes);
        self.line_no = self.lines.line_no();
        while self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(true)
    }

    fn malformed(&self, line: usize, id: Option<&str>, reason: String) -> SeqError {
        SeqError::MalformedRead {
            path: self.lines.path().to_path_buf(),
            record: self.record,
            line,
            id: id.map(str::to_string),
            reason,
        }
    }

    /// Appends the nucleotides of one sequence line to `seq`.
    fn push_residues(
        &self,
        seq: &mut Vec<u8>,
        line: &[u8],
        line_no: usize,
        id: &str,
    ) -> Result<(), SeqError> {
        for (col, &b) in line.iter().enumerate() {
            if b == b' ' || b == b'\t' {
                continue;
            }
            match normalise_base(b) {
                Some(c) => seq.push(c),
                None => {
                    return Err(self.malformed(
                        line_no,
                        Some(id),
                        format!(
                            "invalid nucleotide {:?} at column {}; expected IUPAC codes (ACGTN, RYKMSWBDHV, U)",
                            char::from(b),
                            col + 1
                        ),
                    ))
                }
            }
        }
        Ok(())
    }

    /// The next header line: the one read ahead or the next non-blank line; `None` at the end.
    fn next_header(&mut self) -> Result<Option<(Vec<u8>, usize)>, SeqError> {
        if let Some(pending) = self.pending.take() {
            return Ok(Some(pending));
        }
        while self.next_line()? {
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some((std::mem::take(&mut self.buf), self.line_no)));
            }
        }
        Ok(None)
    }

    /// The record's format from its header marker, which must match the file's.
    fn header_format(&self, header: &[u8], header_line: usize) -> Result<Format, SeqError> {
        match (self.format, header[0]) {
            (None | Some(Format::Fasta), b'>') => Ok(Format::Fasta),
            (None | Some(Format::Fastq), b'@') => Ok(Format::Fastq),
            (format, _) => {
                let expected = match format {
                    Some(Format::Fasta) => "'>' (FASTA header)",
                    Some(Format::Fastq) => "'@' (FASTQ header)",
                    None => "'>' (FASTA) or '@' (FASTQ)",
                };
                Err(self.malformed(
                    header_line,
                    None,
                    format!(
                        "expected a header starting with {expected}, found {:?}",
                        String::from_utf8_lossy(&header[..header.len().min(40)])
                    ),
                ))
            }
        }
    }

    /// FASTA sequence lines up to the next header (kept as pending) or the end.
    fn read_fasta_sequence(&mut self, id: &str, seq: &mut Vec<u8>) -> Result<(), SeqError> {
        loop {
            if !self.next_line()? {
                self.done = true;
                return Ok(());
            }
            if self.buf.first() == Some(&b'>') {
                self.pending = Some((std::mem::take(&mut self.buf), self.line_no));
                return Ok(());
            }
            let line = std::mem::take(&mut self.buf);
            self.push_residues(seq, &line, self.line_no, id)?;
            self.buf = line;
        }
    }

    /// FASTQ sequence lines up to the `+` separator, then qualities as long as the sequence.
    fn read_fastq_sequence(&mut self, id: &str, seq: &mut Vec<u8>) -> Result<(), SeqError> {
        loop {
            if !self.next_line()? {
                return Err(self.malformed(
                    self.line_no,
                    Some(id),
                    "file ends before the '+' line; a FASTQ record is @id, sequence, +, qualities"
                        .into(),
                ));
            }
            if self.buf.first() == Some(&b'+') {
                break;
            }
            if self.buf.first() == Some(&b'@') && !seq.is_empty() {
                return Err(self.malformed(
                    self.line_no,
                    Some(id),
                    "next header before the '+' line; a FASTQ record is @id, sequence, +, qualities"
                        .into(),
                ));
            }
            let line = std::mem::take(&mut self.buf);
            self.push_residues(seq, &line, self.line_no, id)?;
            self.buf = line;
        }
        let mut quality_len = 0usize;
        while quality_len < seq.len() {
            if !self.next_line()? {
                return Err(self.malformed(
                    self.line_no,
                    Some(id),
                    format!(
                        "file ends inside the qualities ({quality_len} of {} characters)",
                        seq.len()
                    ),
                ));
            }
            if let Some(p) = self.buf.iter().position(|&c| !(33..=126).contains(&c)) {
                return Err(self.malformed(
                    self.line_no,
                    Some(id),
                    format!(
                        "invalid quality character {:?} at column {} (Phred+33 expects '!'..'~')",
                        char::from(self.buf[p]),
                        p + 1
                    ),
                ));
            }
            quality_len += self.buf.len();
        }
        if quality_len != seq.len() {
            return Err(self.malformed(
                self.line_no,
                Some(id),
                format!(
                    "quality length {quality_len} differs from sequence length {}",
                    seq.len()
                ),
            ));
        }
        Ok(())
    }

    /// The next read, `None` at the end of the input.
    pub fn next_read(&mut self) -> Result<Option<Read>, SeqError> {
        if self.done {
            return Ok(None);
        }
        let Some((header, header_line)) = self.next_header()? else {
            self.done = true;
            return Ok(None);
        };
        self.record += 1;
        let format = self.header_format(&header, header_line)?;
        self.format = Some(format);
        let id = split_header(&String::from_utf8_lossy(&header[1..]))
            .0
            .to_string();
        if id.is_empty() {
            return Err(self.malformed(
                header_line,
                None,
                "header has no id (nothing after the marker); give every record a name".into(),
            ));
        }
        let mut seq = Vec::with_capacity(256);
        match format {
            Format::Fasta => self.read_fasta_sequence(&id, &mut seq)?,
            Format::Fastq => self.read_fastq_sequence(&id, &mut seq)?,
        }
        if seq.is_empty() {
            return Err(self.malformed(
                header_line,
                Some(&id),
                "empty sequence; remove the record or give its nucleotides".into(),
            ));
        }
        Ok(Some(Read {
            id,
            seq,
            source: self.source.clone(),
            record: self.record,
        }))
    }
}

impl Iterator for Reader {
    type Item = Result<Read, SeqError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_read() {
            Ok(Some(read)) => Some(Ok(read)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Read>, SeqError> {
        Reader::from_reader(std::io::Cursor::new(text.as_bytes().to_vec()), "t")
            .unwrap()
            .collect()
    }

    #[test]
    fn fasta_wrapped_lowercase_crlf() {
        let r = parse(">r1 desc\r\nacgt\r\nNNu\r\n\n>r2\nGG\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].id, "r1");
        assert_eq!(r[0].seq, b"ACGTNNT");
        assert_eq!(r[1].seq, b"GG");
        assert_eq!(r[1].record, 2);
        assert_eq!(&*r[1].source, "t");
    }

    #[test]
    fn fastq_records_and_multiline() {
        let mut reader = Reader::from_reader(
            std::io::Cursor::new(b"@a\nAC.T\n+\nIIII\n@b x\nAC\nGT\n+b\nII\nII\n".to_vec()),
            "t",
        )
        .unwrap();
        assert_eq!(reader.format(), None);
        let r: Vec<Read> = reader.by_ref().collect::<Result<_, _>>().unwrap();
        assert_eq!(reader.format(), Some(Format::Fastq));
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].seq, b"ACNT");
        assert_eq!(r[1].id, "b");
        assert_eq!(r[1].seq, b"ACGT");
    }

    #[test]
    fn normalise_base_is_the_dna_alphabet_plus_dot() {
        for b in 0..=255u8 {
            let expected = match b {
                b'.' => Some(b'N'),
                b'u' | b'U' => Some(b'T'),
                _ if b"ACGTNRYKMSWBDHV".contains(&b.to_ascii_uppercase()) => {
                    Some(b.to_ascii_uppercase())
                }
                _ => None,
            };
            assert_eq!(normalise_base(b), expected, "{b}");
        }
    }

    #[test]
    fn errors_name_record_and_line() {
        let e = parse("@a\nACGT\n+\nIIII\n@b\nACGT\n+\nIII\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("record 2") && e.contains("line 8"), "{e}");
        assert!(e.contains("ends inside the qualities"), "{e}");
        let e = parse(">a\nACXT\n").unwrap_err();
        assert_eq!((e.line(), e.id()), (Some(2), Some("a")));
        let e = e.to_string();
        assert_eq!(
            e,
            "t: record 1 (line 2, id \"a\"): invalid nucleotide 'X' at column 3; \
             expected IUPAC codes (ACGTN, RYKMSWBDHV, U)"
        );
        let e = parse(">a\n>b\nAC\n").unwrap_err().to_string();
        assert!(e.contains("empty sequence"), "{e}");
        let e = parse("ACGT\n").unwrap_err().to_string();
        assert!(e.contains("expected a header"), "{e}");
        let e = parse("@a\nAC\n+\nII\n>b\nAC\n").unwrap_err().to_string();
        assert!(
            e.contains("record 2 (line 5)") && e.contains("'@' (FASTQ header)"),
            "{e}"
        );
        let e = parse("@\nAC\n+\nII\n").unwrap_err().to_string();
        assert!(e.contains("header has no id"), "{e}");
        let e = parse("@a\nACGT\n+\nII I\n").unwrap_err().to_string();
        assert!(e.contains("quality character"), "{e}");
        let e = parse("@a\nACGT\n").unwrap_err().to_string();
        assert!(e.contains("'+' line"), "{e}");
        let e = parse("@a\nAC\n@b\n+\nII\n").unwrap_err().to_string();
        assert!(e.contains("next header before the '+' line"), "{e}");
        let e = parse("@a\nAC\n+\nIII\n").unwrap_err().to_string();
        assert!(e.contains("quality length 3 differs"), "{e}");
    }

    #[test]
    fn iterator_stops_after_an_error() {
        let mut reader =
            Reader::from_reader(std::io::Cursor::new(b">a\nAX\n>b\nAC\n".to_vec()), "t").unwrap();
        assert!(reader.next().unwrap().is_err());
        assert!(reader.next().is_none());
    }

    #[test]
    fn gzip_detected_by_magic() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"@a\nACGT\n+\nIIII\n").unwrap();
        let bytes = enc.finish().unwrap();
        let r: Vec<_> = Reader::from_reader(std::io::Cursor::new(bytes), "x.gz")
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(r[0].seq, b"ACGT");
    }

    #[test]
    fn damaged_or_unsupported_compression_names_the_file() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        for i in 0..5000 {
            writeln!(enc, "@r{i}\nACGTACGTAC\n+\nIIIIIIIIII").unwrap();
        }
        let whole = enc.finish().unwrap();
        let half = whole[..whole.len() / 2].to_vec();
        let err = Reader::from_reader(std::io::Cursor::new(half), "t.fq.gz")
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        assert!(matches!(err, SeqError::Gzip { .. }), "{err}");
        assert!(err.to_string().starts_with("t.fq.gz:"), "{err}");
        let err =
            Reader::from_reader(std::io::Cursor::new(b"BZh91AY".to_vec()), "r.bz2").unwrap_err();
        assert_eq!(
            err.to_string(),
            homolog_io::unsupported_compression_message(Path::new("r.bz2"), "bzip2")
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = Reader::from_path("/nonexistent/reads.fq").unwrap_err();
        assert!(matches!(err, SeqError::Io { .. }), "{err}");
        assert!(
            err.to_string().starts_with("/nonexistent/reads.fq:"),
            "{err}"
        );
    }
}
