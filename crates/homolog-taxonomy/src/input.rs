//! Line reading for taxdump files: plain or gzip (by magic bytes), validated UTF-8, line ends
//! stripped, every failure mapped to a [`TaxonomyError`] with file and line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::TaxonomyError;

pub(crate) struct Lines {
    inner: Box<dyn BufRead>,
    path: PathBuf,
    gzip: bool,
    line_no: usize,
    buf: Vec<u8>,
}

impl Lines {
    pub(crate) fn open(path: &Path) -> Result<Lines, TaxonomyError> {
        let io_err = |source| TaxonomyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io_err)?;
        let mut head = [0u8; 2];
        let mut n = 0;
        while n < head.len() {
            match file.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(e)),
            }
        }
        let gzip = head[..n] == [0x1f, 0x8b];
        let chained = Cursor::new(head[..n].to_vec()).chain(file);
        let inner: Box<dyn BufRead> = if gzip {
            Box::new(BufReader::with_capacity(
                1 << 16,
                MultiGzDecoder::new(chained),
            ))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, chained))
        };
        Ok(Lines {
            inner,
            path: path.to_path_buf(),
            gzip,
            line_no: 0,
            buf: Vec::new(),
        })
    }

    /// The next line without its line end, with its 1-based number; `None` at the end.
    pub(crate) fn next_line(&mut self) -> Result<Option<(usize, &str)>, TaxonomyError> {
        self.buf.clear();
        let read = loop {
            match self.inner.read_until(b'\n', &mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) if self.gzip => {
                    return Err(TaxonomyError::Gzip {
                        path: self.path.clone(),
                        line: self.line_no + 1,
                        source,
                    })
                }
                Err(source) => {
                    return Err(TaxonomyError::Io {
                        path: self.path.clone(),
                        source,
                    })
                }
            }
        };
        if read == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        let mut bytes = &self.buf[..];
        if let Some(rest) = bytes.strip_suffix(b"\n") {
            bytes = rest;
        }
        if let Some(rest) = bytes.strip_suffix(b"\r") {
            bytes = rest;
        }
        let not_text = || TaxonomyError::NotText {
            path: self.path.clone(),
            line: self.line_no,
        };
        if bytes.contains(&0) {
            return Err(not_text());
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Some((self.line_no, s))),
            Err(_) => Err(not_text()),
        }
    }
}

/// Splits a taxdump line (`a\t|\tb\t|\tc\t|`) into trimmed fields. Lines written without the
/// tabs (`a|b|c|`) are accepted too.
pub(crate) fn fields(line: &str) -> Vec<&str> {
    let line = line.trim_end();
    let line = line.strip_suffix('|').unwrap_or(line);
    let parts: Vec<&str> = line.split("\t|\t").map(str::trim).collect();
    if parts.len() > 1 {
        parts
    } else {
        line.split('|').map(str::trim).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fields;

    #[test]
    fn splits_standard_and_tabless_lines() {
        assert_eq!(
            fields("2\t|\t131567\t|\tsuperkingdom\t|\t\t|\t0\t|"),
            ["2", "131567", "superkingdom", "", "0"]
        );
        assert_eq!(
            fields("2\t|\tBacteria\t|\tBacteria <prokaryotes>\t|\tscientific name\t|"),
            ["2", "Bacteria", "Bacteria <prokaryotes>", "scientific name"]
        );
        assert_eq!(fields("1|1|no rank|"), ["1", "1", "no rank"]);
        assert_eq!(fields("2 | 1 | genus |\r"), ["2", "1", "genus"]);
    }
}
