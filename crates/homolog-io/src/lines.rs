//! Numbered lines: the next line of an [`Input`] without its line end (`\n` or `\r\n`), with
//! its 1-based number, as bytes or as validated text; every failure is an [`Error`] naming the
//! file and line.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use crate::error::TextProblem;
use crate::open::{self, Input};
use crate::Error;

/// Line-numbered reading of a plain or gzip input.
///
/// [`next_line`](Lines::next_line) and [`next_bytes`](Lines::next_bytes) lend the line
/// (no allocation per line); the `Iterator` impl gives owned `(number, String)` pairs.
#[derive(Debug)]
pub struct Lines<R> {
    input: Input<R>,
    line_no: usize,
    buf: Vec<u8>,
}

impl Lines<File> {
    /// Opens `path` (plain or gzip, see [`open::open`]) for line reading.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(Lines::new(open::open(path)?))
    }
}

impl<R: Read> Lines<R> {
    /// Lines of an already opened input.
    pub fn new(input: Input<R>) -> Self {
        Lines {
            input,
            line_no: 0,
            buf: Vec::new(),
        }
    }

    /// Lines of any byte source (plain or gzip, see [`open::from_reader`]); `label` names it in
    /// messages.
    pub fn from_reader(reader: R, label: impl Into<PathBuf>) -> Result<Self, Error> {
        Ok(Lines::new(open::from_reader(reader, label)?))
    }

    /// The path (or label) of the input.
    pub fn path(&self) -> &Path {
        self.input.path()
    }

    /// Whether the input is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.input.is_gzip()
    }

    /// Number of the line last returned (1-based; 0 before the first).
    pub fn line_no(&self) -> usize {
        self.line_no
    }

    /// Reads the next line into `buf`; returns its length without the line end, `None` at
    /// the end of input.
    fn read_next(&mut self) -> Result<Option<usize>, Error> {
        self.buf.clear();
        let read = loop {
            match self.input.read_until(b'\n', &mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.input.error(e, self.line_no + 1)),
            }
        };
        if read == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        let mut len = self.buf.len();
        if self.buf[..len].ends_with(b"\n") {
            len -= 1;
        }
        if self.buf[..len].ends_with(b"\r") {
            len -= 1;
        }
        Ok(Some(len))
    }

    /// The next line as bytes, without `\n` / `\r\n`, with its 1-based number; `None` at the
    /// end. The bytes are not checked: use this for formats that validate every byte anyway.
    pub fn next_bytes(&mut self) -> Result<Option<(usize, &[u8])>, Error> {
        Ok(self
            .read_next()?
            .map(|len| (self.line_no, &self.buf[..len])))
    }

    /// The next line as text, without `\n` / `\r\n`, with its 1-based number; `None` at the
    /// end. A line with NUL bytes or invalid UTF-8 is [`Error::NotText`].
    pub fn next_line(&mut self) -> Result<Option<(usize, &str)>, Error> {
        let Some(len) = self.read_next()? else {
            return Ok(None);
        };
        let bytes = &self.buf[..len];
        if bytes.contains(&0) {
            return Err(self.not_text(TextProblem::Nul));
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Some((self.line_no, s))),
            Err(_) => Err(self.not_text(TextProblem::InvalidUtf8)),
        }
    }

    fn not_text(&self, problem: TextProblem) -> Error {
        Error::NotText {
            path: self.path().to_path_buf(),
            line: self.line_no,
            problem,
        }
    }

    /// For gzip input, reads the rest of the stream to see whether it is damaged, and returns
    /// the gzip error if so. Use it before reporting a content error: garbage decompressed from
    /// a corrupt stream would otherwise be blamed on the file's content, while the real cause
    /// (the checksum mismatch) only shows at the end of the gzip member.
    pub fn gzip_damage(&mut self) -> Option<Error> {
        if !self.input.is_gzip() {
            return None;
        }
        match io::copy(&mut self.input, &mut io::sink()) {
            Ok(_) => None,
            Err(e) => Some(self.input.error(e, self.line_no)),
        }
    }
}

impl<R: Read> Iterator for Lines<R> {
    type Item = Result<(usize, String), Error>;

    /// The next text line, owned (see [`Lines::next_line`]).
    fn next(&mut self) -> Option<Self::Item> {
        self.next_line()
            .map(|line| line.map(|(no, s)| (no, s.to_string())))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::gzip;
    use std::io::Cursor;

    fn lines_of(bytes: Vec<u8>) -> Result<Vec<(usize, String)>, Error> {
        Lines::from_reader(Cursor::new(bytes), "mem")?.collect()
    }

    #[test]
    fn strips_lf_and_crlf_and_numbers_lines() {
        let got = lines_of(b"a\r\nb\n\nc".to_vec()).unwrap();
        let want = [(1, "a"), (2, "b"), (3, ""), (4, "c")];
        assert_eq!(got.len(), want.len());
        for ((n, s), (wn, ws)) in got.iter().zip(want) {
            assert_eq!((*n, s.as_str()), (wn, ws));
        }
    }

    #[test]
    fn gzip_and_plain_give_the_same_lines() {
        let text = b"x\ty\r\nz\n".to_vec();
        let plain = lines_of(text.clone()).unwrap();
        let mut members = gzip(b"x\ty\r\n");
        members.extend(gzip(b"z\n"));
        assert_eq!(plain, lines_of(gzip(&text)).unwrap());
        assert_eq!(plain, lines_of(members).unwrap());
    }

    #[test]
    fn bytes_are_not_checked() {
        let mut lines = Lines::from_reader(Cursor::new(b"a\xff\0\r\n".to_vec()), "m").unwrap();
        assert_eq!(lines.next_bytes().unwrap(), Some((1, &b"a\xff\0"[..])));
        assert_eq!(lines.next_bytes().unwrap(), None);
    }

    #[test]
    fn binary_lines_are_not_text_with_their_line() {
        let err = lines_of(b">a\nMK\0V\n".to_vec()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotText {
                    line: 2,
                    problem: TextProblem::Nul,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().starts_with("mem:2: not a text file"),
            "{err}"
        );
        let err = lines_of(b"\xff\xfe\n".to_vec()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotText {
                    line: 1,
                    problem: TextProblem::InvalidUtf8,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn truncated_gzip_names_file_and_line() {
        let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let whole = gzip(text.as_bytes());
        let err = lines_of(whole[..whole.len() / 2].to_vec()).unwrap_err();
        match &err {
            Error::Gzip { line, .. } => assert!(*line > 1, "line {line}"),
            other => panic!("unexpected {other}"),
        }
        assert!(err.to_string().starts_with("mem:"), "{err}");
        assert!(err.to_string().contains("gzip -t"), "{err}");
    }

    #[test]
    fn corrupt_gzip_is_found_by_gzip_damage() {
        let mut bytes = gzip(b"a\nb\nc\n");
        let n = bytes.len();
        bytes[n - 6] ^= 0xff; // the CRC32 in the trailer
        let mut lines = Lines::from_reader(Cursor::new(bytes), "c.gz").unwrap();
        assert!(lines.is_gzip());
        let _ = lines.next_line();
        assert!(matches!(lines.gzip_damage(), Some(Error::Gzip { .. })));
        let mut plain = Lines::from_reader(Cursor::new(b"a\n".to_vec()), "p").unwrap();
        assert!(plain.gzip_damage().is_none());
    }

    #[test]
    fn real_gzip_reads_like_its_decompressed_text() {
        let path = homolog_testkit::require_data!("genomes/lambda_phage_NC_001416.1.fa.gz");
        let lines: Vec<_> = Lines::open(&path)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(lines[0].1.starts_with('>'), "{:?}", lines[0]);
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(File::open(&path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(lines.len(), text.lines().count());
        for ((n, got), want) in lines.iter().zip(text.lines()) {
            assert_eq!(got, want.trim_end_matches('\r'), "line {n}");
        }
    }
}
