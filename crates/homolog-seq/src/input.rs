//! Line source shared by the readers: opens plain or gzip input (by magic bytes), yields
//! validated UTF-8 lines without their line ends, and maps every I/O failure to a [`SeqError`]
//! naming the file and line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::SeqError;

/// Buffered, line-numbered text input.
pub(crate) struct Lines {
    inner: Box<dyn BufRead + Send>,
    path: PathBuf,
    gzip: bool,
    line_no: usize,
    buf: Vec<u8>,
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
        mut reader: Box<dyn Read + Send>,
        label: PathBuf,
    ) -> Result<Lines, SeqError> {
        // Read the magic bytes explicitly (a single read may return fewer), then put them back
        // in front of the rest of the stream.
        let mut head = [0u8; 6];
        let mut n = 0;
        while n < head.len() {
            match reader.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(SeqError::Io {
                        path: label,
                        source,
                    })
                }
            }
        }
        let head = &head[..n];
        if let Some(format) = other_compression(head) {
            return Err(SeqError::UnsupportedCompression {
                path: label,
                format,
            });
        }
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let chained = Cursor::new(head.to_vec()).chain(reader);
        let inner: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                1 << 16,
                MultiGzDecoder::new(chained),
            ))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, chained))
        };
        Ok(Lines {
            inner,
            path: label,
            gzip,
            line_no: 0,
            buf: Vec::new(),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Number of the line last returned (1-based; 0 before the first).
    pub(crate) fn line_no(&self) -> usize {
        self.line_no
    }

    /// For gzip input, reads the rest of the stream to see whether it is damaged; returns the
    /// gzip error if so. Used before reporting a content error: garbage decompressed from a
    /// corrupt stream would otherwise be blamed on the file's content, while the real cause
    /// (the checksum mismatch) only shows at the end of the gzip member.
    pub(crate) fn gzip_damage(&mut self) -> Option<SeqError> {
        if !self.gzip {
            return None;
        }
        match io::copy(&mut self.inner, &mut io::sink()) {
            Ok(_) => None,
            Err(source) => Some(SeqError::Gzip {
                path: self.path.clone(),
                line: self.line_no,
                source,
            }),
        }
    }

    /// `err`, unless the input is gzip and turns out to be damaged: then the gzip error.
    pub(crate) fn prefer_gzip_error(&mut self, err: SeqError) -> SeqError {
        match err {
            SeqError::Io { .. }
            | SeqError::Gzip { .. }
            | SeqError::UnsupportedCompression { .. } => err,
            _ => self.gzip_damage().unwrap_or(err),
        }
    }

    /// Reads the next line into `out` (cleared first) without `\n` / `\r\n`.
    /// Returns `false` at end of input.
    pub(crate) fn next_line(&mut self, out: &mut String) -> Result<bool, SeqError> {
        out.clear();
        self.buf.clear();
        let read = loop {
            match self.inner.read_until(b'\n', &mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    let line = self.line_no + 1;
                    return Err(if self.gzip {
                        SeqError::Gzip {
                            path: self.path.clone(),
                            line,
                            source,
                        }
                    } else {
                        SeqError::Io {
                            path: self.path.clone(),
                            source,
                        }
                    });
                }
            }
        };
        if read == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        let mut bytes = &self.buf[..];
        if let Some(rest) = bytes.strip_suffix(b"\n") {
            bytes = rest;
        }
        if let Some(rest) = bytes.strip_suffix(b"\r") {
            bytes = rest;
        }
        if bytes.contains(&0) {
            return Err(SeqError::NotText {
                path: self.path.clone(),
                line: self.line_no,
                detail: "it contains NUL bytes",
            });
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                Ok(true)
            }
            Err(_) => Err(SeqError::NotText {
                path: self.path.clone(),
                line: self.line_no,
                detail: "it contains bytes that are not valid UTF-8",
            }),
        }
    }
}

/// Names a compression format other than gzip from its magic bytes.
fn other_compression(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"BZh") {
        Some("bzip2")
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("zip")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

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
    fn reads_concatenated_gzip_members() {
        let mut all = Vec::new();
        for part in ["x\n", "y\n"] {
            let mut enc = GzEncoder::new(Vec::new(), Compression::default());
            enc.write_all(part.as_bytes()).unwrap();
            all.extend(enc.finish().unwrap());
        }
        assert_eq!(lines_of(all).unwrap(), ["x", "y"]);
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
    }

    #[test]
    fn short_inputs_are_fine() {
        assert_eq!(lines_of(Vec::new()).unwrap(), Vec::<String>::new());
        // One byte of the gzip magic is not gzip: it is read as a (strange) text line.
        assert_eq!(lines_of(vec![0x1f]).unwrap(), ["\u{1f}"]);
    }
}
