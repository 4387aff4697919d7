//! Line source shared by the readers: [`homolog_io::Lines`] (plain or gzip by magic bytes,
//! validated UTF-8 lines without their line ends) with every failure as a [`SeqError`] naming
//! the file and line.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::error::SeqError;

/// Buffered, line-numbered text input.
pub(crate) struct Lines {
    inner: homolog_io::Lines<Box<dyn Read + Send>>,
}

impl Lines {
    /// Opens a file, detecting gzip by its first bytes.
    pub(crate) fn open(path: &Path) -> Result<Lines, SeqError> {
        let file = File::open(path).map_err(|source| SeqError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Lines::from_reader(Box::new(file), path.to_path_buf())
    }

    /// Wraps any byte source; `label` is used as the path in messages.
    pub(crate) fn from_reader(
        reader: Box<dyn Read + Send>,
        label: PathBuf,
    ) -> Result<Lines, SeqError> {
        Ok(Lines {
            inner: homolog_io::Lines::from_reader(reader, label)?,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        self.inner.path()
    }

    /// Number of the line last returned (1-based; 0 before the first).
    pub(crate) fn line_no(&self) -> usize {
        self.inner.line_no()
    }

    /// `err`, unless the input is gzip and turns out to be damaged: then the gzip error.
    /// Garbage decompressed from a corrupt stream would otherwise be blamed on the file's
    /// content, while the real cause (the checksum mismatch) only shows at the end of the gzip
    /// member.
    pub(crate) fn prefer_gzip_error(&mut self, err: SeqError) -> SeqError {
        match err {
            SeqError::Io { .. }
            | SeqError::Gzip { .. }
            | SeqError::UnsupportedCompression { .. } => err,
            _ => self.inner.gzip_damage().map(SeqError::from).unwrap_or(err),
        }
    }

    /// The next line as bytes without `\n` / `\r\n`, unchecked (for formats that validate every
    /// byte themselves); `None` at end of input.
    pub(crate) fn next_bytes(&mut self) -> Result<Option<&[u8]>, SeqError> {
        Ok(self.inner.next_bytes()?.map(|(_, bytes)| bytes))
    }

    /// Reads the next line into `out` (cleared first) without `\n` / `\r\n`.
    /// Returns `false` at end of input.
    pub(crate) fn next_line(&mut self, out: &mut String) -> Result<bool, SeqError> {
        out.clear();
        match self.inner.next_line()? {
            Some((_, line)) => {
                out.push_str(line);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl From<homolog_io::Error> for SeqError {
    fn from(e: homolog_io::Error) -> SeqError {
        match e {
            homolog_io::Error::Read { path, source } => SeqError::Io { path, source },
            homolog_io::Error::Gzip { path, line, source } => SeqError::Gzip { path, line, source },
            homolog_io::Error::UnsupportedCompression { path, format } => {
                SeqError::UnsupportedCompression { path, format }
            }
            homolog_io::Error::NotText {
                path,
                line,
                problem,
            } => SeqError::NotText {
                path,
                line,
                detail: problem.detail(),
            },
            homolog_io::Error::Write { path, source, .. } => SeqError::Write { path, source },
            other => SeqError::Io {
                path: other.path().to_path_buf(),
                source: io::Error::other(other),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn lines_of(bytes: Vec<u8>) -> Result<Vec<String>, SeqError> {
        let mut lines = Lines::from_reader(Box::new(Cursor::new(bytes)), "mem".into())?;
        let mut out = Vec::new();
        let mut s = String::new();
        while lines.next_line(&mut s)? {
            out.push(s.clone());
        }
        Ok(out)
    }

    #[test]
    fn strips_lf_and_crlf() {
        let got = lines_of(b"a\r\nb\nc".to_vec()).unwrap();
        assert_eq!(got, ["a", "b", "c"]);
    }

    #[test]
    fn names_other_compressions() {
        let err = lines_of(b"BZh91AY&SY".to_vec()).err().unwrap();
        assert!(matches!(
            err,
            SeqError::UnsupportedCompression {
                format: "bzip2",
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            homolog_io::unsupported_compression_message(Path::new("mem"), "bzip2")
        );
    }

    #[test]
    fn binary_lines_keep_their_detail() {
        match lines_of(b"ok\nM\0K\n".to_vec()).unwrap_err() {
            SeqError::NotText { line, detail, .. } => {
                assert_eq!(line, 2);
                assert!(detail.contains("NUL"), "{detail}");
            }
            other => panic!("unexpected {other}"),
        }
    }
}
