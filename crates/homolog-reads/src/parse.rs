//! Streaming FASTQ/FASTA parser over any byte source (plain or gzip, detected by magic bytes).
//!
//! Rules (lenient where real files differ, strict where a silent misread would follow):
//! - the format is taken from the first non-blank byte: `>` FASTA, `@` FASTQ;
//! - FASTA: the id is the first whitespace-separated token of the header; sequence lines may be
//!   wrapped; blank lines are skipped; an empty sequence is an error;
//! - FASTQ: `@id`, one or more sequence lines, a `+` line (optionally repeating the id), then
//!   quality lines until they are as long as the sequence; a length mismatch is an error;
//! - residues: IUPAC nucleotide codes in either case (`U` is read as `T`, `.` as `N`), CRLF line
//!   ends accepted; anything else is an error naming the record, line and character.

use std::io::Read as IoRead;
use std::sync::Arc;

use crate::error::ReadsError;

/// One sequencing read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// First token of the header, without `>`/`@`.
    pub id: String,
    /// Upper-case nucleotides (IUPAC; `U` stored as `T`).
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
#[inline]
pub fn normalise_base(b: u8) -> Option<u8> {
    match b.to_ascii_uppercase() {
        c @ (b'A' | b'C' | b'G' | b'T' | b'N' | b'R' | b'Y' | b'K' | b'M' | b'S' | b'W' | b'B'
        | b'D' | b'H' | b'V') => Some(c),
        b'U' => Some(b'T'),
        b'.' => Some(b'N'),
        _ => None,
    }
}

/// Streaming reader of one file's records.
pub struct RecordReader {
    lines: homolog_io::Lines<Box<dyn IoRead + Send>>,
    source: Arc<str>,
    format: Option<Format>,
    line_no: u64,
    record: u64,
    buf: Vec<u8>,
    /// A header line read ahead (FASTA), with its line number.
    pending: Option<(Vec<u8>, u64)>,
    done: bool,
}

impl RecordReader {
    /// Wraps a byte source; gzip is detected from its magic bytes (see [`homolog_io::open`]).
    pub fn new(reader: Box<dyn IoRead + Send>, source: &str) -> Result<Self, ReadsError> {
        Ok(Self {
            lines: homolog_io::Lines::from_reader(reader, source)?,
            source: Arc::from(source),
            format: None,
            line_no: 0,
            record: 0,
            buf: Vec::with_capacity(512),
            pending: None,
            done: false,
        })
    }

    /// The detected format (known after the first record).
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Reads the next line into `self.buf` without its line end; false at EOF.
    fn next_line(&mut self) -> Result<bool, ReadsError> {
        self.buf.clear();
        let Some((line_no, bytes)) = self.lines.next_bytes()? else {
            return Ok(false);
        };
        self.line_no = line_no as u64;
        self.buf.extend_from_slice(bytes);
        while self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(true)
    }

    fn malformed(&self, line: u64, id: Option<&str>, reason: String) -> ReadsError {
        ReadsError::Malformed {
            source_name: self.source.to_string(),
            record: self.record,
            line,
            id: id.map(|i| format!(", id {i:?}")).unwrap_or_default(),
            reason,
        }
    }

    fn push_residues(
        &self,
        seq: &mut Vec<u8>,
        line: &[u8],
        line_no: u64,
        id: &str,
    ) -> Result<(), ReadsError> {
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

    fn header_id(header: &[u8]) -> String {
        let h = String::from_utf8_lossy(&header[1..]);
        h.split_whitespace().next().unwrap_or("").to_string()
    }

    /// The next record, `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Read>, ReadsError> {
        if self.done {
            return Ok(None);
        }
        // Header: the pending one or the next non-blank line.
        let (header, header_line) = match self.pending.take() {
            Some(p) => p,
            None => loop {
                if !self.next_line()? {
                    self.done = true;
                    return Ok(None);
                }
                if !self.buf.iter().all(u8::is_ascii_whitespace) {
                    break (std::mem::take(&mut self.buf), self.line_no);
                }
            },
        };
        self.record += 1;
        let format = match (self.format, header[0]) {
            (None, b'>') | (Some(Format::Fasta), b'>') => Format::Fasta,
            (None, b'@') | (Some(Format::Fastq), b'@') => Format::Fastq,
            (f, _) => {
                let expected = match f {
                    Some(Format::Fasta) => "'>' (FASTA header)",
                    Some(Format::Fastq) => "'@' (FASTQ header)",
                    None => "'>' (FASTA) or '@' (FASTQ)",
                };
                return Err(self.malformed(
                    header_line,
                    None,
                    format!(
                        "expected a header starting with {expected}, found {:?}",
                        String::from_utf8_lossy(&header[..header.len().min(40)])
                    ),
                ));
            }
        };
        self.format = Some(format);
        let id = Self::header_id(&header);
        if id.is_empty() {
            return Err(self.malformed(
                header_line,
                None,
                "header has no id (nothing after the marker); give every record a name".into(),
            ));
        }
        let mut seq = Vec::with_capacity(256);
        match format {
            Format::Fasta => loop {
                if !self.next_line()? {
                    self.done = true;
                    break;
                }
                if self.buf.first() == Some(&b'>') {
                    self.pending = Some((std::mem::take(&mut self.buf), self.line_no));
                    break;
                }
                let line = std::mem::take(&mut self.buf);
                self.push_residues(&mut seq, &line, self.line_no, &id)?;
                self.buf = line;
            },
            Format::Fastq => {
                // Sequence lines up to the '+' separator.
                loop {
                    if !self.next_line()? {
                        return Err(self.malformed(
                            self.line_no,
                            Some(&id),
                            "file ends before the '+' line; a FASTQ record is @id, sequence, +, qualities".into(),
                        ));
                    }
                    if self.buf.first() == Some(&b'+') {
                        break;
                    }
                    if self.buf.first() == Some(&b'@') && !seq.is_empty() {
                        return Err(self.malformed(
                            self.line_no,
                            Some(&id),
                            "next header before the '+' line; a FASTQ record is @id, sequence, +, qualities".into(),
                        ));
                    }
                    let line = std::mem::take(&mut self.buf);
                    self.push_residues(&mut seq, &line, self.line_no, &id)?;
                    self.buf = line;
                }
                let mut qlen = 0usize;
                while qlen < seq.len() {
                    if !self.next_line()? {
                        return Err(self.malformed(
                            self.line_no,
                            Some(&id),
                            format!(
                                "file ends inside the qualities ({qlen} of {} characters)",
                                seq.len()
                            ),
                        ));
                    }
                    if let Some(p) = self.buf.iter().position(|&c| !(33..=126).contains(&c)) {
                        return Err(self.malformed(
                            self.line_no,
                            Some(&id),
                            format!(
                                "invalid quality character {:?} at column {} (Phred+33 expects '!'..'~')",
                                char::from(self.buf[p]),
                                p + 1
                            ),
                        ));
                    }
                    qlen += self.buf.len();
                }
                if qlen != seq.len() {
                    return Err(self.malformed(
                        self.line_no,
                        Some(&id),
                        format!(
                            "quality length {qlen} differs from sequence length {}",
                            seq.len()
                        ),
                    ));
                }
            }
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

impl Iterator for RecordReader {
    type Item = Result<Read, ReadsError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_record() {
            Ok(Some(r)) => Some(Ok(r)),
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

    fn parse(text: &str) -> Result<Vec<Read>, ReadsError> {
        RecordReader::new(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            "t",
        )
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
    }

    #[test]
    fn fastq_records_and_multiline() {
        let r = parse("@a\nACGT\n+\nIIII\n@b x\nAC\nGT\n+b\nII\nII\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].id, "b");
        assert_eq!(r[1].seq, b"ACGT");
    }

    #[test]
    fn errors_name_record_and_line() {
        let e = parse("@a\nACGT\n+\nIIII\n@b\nACGT\n+\nIII\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("record 2") && e.contains("line 8"), "{e}");
        assert!(e.contains("ends inside the qualities"), "{e}");
        let e = parse(">a\nACXT\n").unwrap_err().to_string();
        assert!(
            e.contains("record 1") && e.contains("line 2") && e.contains("'X'"),
            "{e}"
        );
        let e = parse(">a\n>b\nAC\n").unwrap_err().to_string();
        assert!(e.contains("empty sequence"), "{e}");
        let e = parse("ACGT\n").unwrap_err().to_string();
        assert!(e.contains("expected a header"), "{e}");
        let e = parse("@a\nACGT\n+\nII I\n").unwrap_err().to_string();
        assert!(e.contains("quality character"), "{e}");
        let e = parse("@a\nACGT\n").unwrap_err().to_string();
        assert!(e.contains("'+' line"), "{e}");
    }

    #[test]
    fn gzip_detected_by_magic() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"@a\nACGT\n+\nIIII\n").unwrap();
        let bytes = enc.finish().unwrap();
        let r: Vec<_> = RecordReader::new(Box::new(std::io::Cursor::new(bytes)), "x.gz")
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
        let err = RecordReader::new(Box::new(std::io::Cursor::new(half)), "t.fq.gz")
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        assert!(matches!(err, ReadsError::File(_)), "{err}");
        assert!(err.to_string().starts_with("t.fq.gz:"), "{err}");
        let Err(err) =
            RecordReader::new(Box::new(std::io::Cursor::new(b"BZh91AY".to_vec())), "r.bz2")
        else {
            panic!("bzip2 input was accepted");
        };
        assert_eq!(
            err.to_string(),
            homolog_io::unsupported_compression_message(std::path::Path::new("r.bz2"), "bzip2")
        );
    }
}
