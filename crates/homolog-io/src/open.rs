//! Opening input: plain or gzip, told apart by the first bytes (not the file name), with
//! multi-member gzip (bgzip, `cat a.gz b.gz`) read to the end. bzip2, xz, zstd and zip are
//! recognised and refused with [`Error::UnsupportedCompression`].

use std::fs::File;
use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::Error;

/// Buffer size of the readers this module builds.
const BUFFER: usize = 1 << 16;

/// How many bytes the format detection looks at.
const MAGIC_LEN: usize = 6;

/// The compression of an input, from its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No compression (or none recognised): read as is.
    Plain,
    /// gzip (`1f 8b`).
    Gzip,
    /// A format this crate refuses; the name is what messages say.
    Unsupported(&'static str),
}

impl Compression {
    /// Detects the compression from the first bytes of a stream (up to 6 are looked at).
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(b"BZh") {
            Compression::Unsupported("bzip2")
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Compression::Unsupported("xz")
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Unsupported("zstd")
        } else if head.starts_with(b"PK\x03\x04") {
            Compression::Unsupported("zip")
        } else {
            Compression::Plain
        }
    }
}

type Peeked<R> = Chain<Cursor<Vec<u8>>, R>;

enum Inner<R> {
    Plain(BufReader<Peeked<R>>),
    Gzip(BufReader<MultiGzDecoder<Peeked<R>>>),
}

/// A buffered reader over the decompressed content of a file or stream.
///
/// `Input<R>` is `Send` when `R` is. Errors of the underlying reader come out of `Read` /
/// `BufRead` as they are; [`Input::error`] turns one into an [`Error`] naming the input.
pub struct Input<R> {
    inner: Inner<R>,
    path: PathBuf,
}

/// Opens `path` for reading, decompressing gzip (detected by magic bytes).
///
/// Fails with [`Error::Read`] when the file cannot be opened and with
/// [`Error::UnsupportedCompression`] for bzip2, xz, zstd and zip.
pub fn open(path: impl AsRef<Path>) -> Result<Input<File>, Error> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::read(path, e))?;
    from_reader(file, path)
}

/// Like [`open`] over any byte source; `label` names it in messages (a path, a URL, `-`).
pub fn from_reader<R: Read>(mut reader: R, label: impl Into<PathBuf>) -> Result<Input<R>, Error> {
    let path = label.into();
    // Read the magic bytes explicitly (one read may return fewer), then put them back in
    // front of the rest of the stream.
    let mut head = [0u8; MAGIC_LEN];
    let mut n = 0;
    while n < head.len() {
        match reader.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::read(&path, e)),
        }
    }
    let compression = Compression::detect(&head[..n]);
    let chained = Cursor::new(head[..n].to_vec()).chain(reader);
    let inner = match compression {
        Compression::Plain => Inner::Plain(BufReader::with_capacity(BUFFER, chained)),
        Compression::Gzip => Inner::Gzip(BufReader::with_capacity(
            BUFFER,
            MultiGzDecoder::new(chained),
        )),
        Compression::Unsupported(format) => {
            return Err(Error::UnsupportedCompression { path, format })
        }
    };
    Ok(Input { inner, path })
}

impl<R> Input<R> {
    /// The path (or label) the input was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the content is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        matches!(self.inner, Inner::Gzip(_))
    }

    /// The [`Error`] for a failure of this input's reader while reading 1-based `line`:
    /// [`Error::Gzip`] for gzip input (a truncated or corrupt stream), [`Error::Read`] else.
    pub fn error(&self, source: io::Error, line: usize) -> Error {
        if self.is_gzip() {
            Error::Gzip {
                path: self.path.clone(),
                line,
                source,
            }
        } else {
            Error::Read {
                path: self.path.clone(),
                source,
            }
        }
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Plain(r) => r.read(buf),
            Inner::Gzip(r) => r.read(buf),
        }
    }
}

impl<R: Read> BufRead for Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match &mut self.inner {
            Inner::Plain(r) => r.fill_buf(),
            Inner::Gzip(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amt: usize) {
        match &mut self.inner {
            Inner::Plain(r) => r.consume(amt),
            Inner::Gzip(r) => r.consume(amt),
        }
    }
}

impl<R> std::fmt::Debug for Input<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("path", &self.path)
            .field("gzip", &self.is_gzip())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::gzip;
    use crate::unsupported_compression_message;

    fn read_all(bytes: Vec<u8>) -> Result<Vec<u8>, Error> {
        let mut input = from_reader(Cursor::new(bytes), "mem")?;
        let mut out = Vec::new();
        input.read_to_end(&mut out).map_err(|e| input.error(e, 0))?;
        Ok(out)
    }

    #[test]
    fn detects_formats() {
        assert_eq!(Compression::detect(b""), Compression::Plain);
        assert_eq!(Compression::detect(&[0x1f]), Compression::Plain);
        assert_eq!(Compression::detect(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::detect(b"BZh91AY"),
            Compression::Unsupported("bzip2")
        );
        assert_eq!(
            Compression::detect(&[0xfd, b'7', b'z', b'X', b'Z', 0]),
            Compression::Unsupported("xz")
        );
        assert_eq!(
            Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Unsupported("zstd")
        );
        assert_eq!(
            Compression::detect(b"PK\x03\x04"),
            Compression::Unsupported("zip")
        );
    }

    #[test]
    fn gzip_and_plain_read_the_same() {
        let text = b">a\nMKV\r\n>b\nMKL\n".to_vec();
        assert_eq!(read_all(text.clone()).unwrap(), text);
        assert_eq!(read_all(gzip(&text)).unwrap(), text);
    }

    #[test]
    fn reads_concatenated_gzip_members() {
        let mut all = gzip(b"x\n");
        all.extend(gzip(b"y\n"));
        assert_eq!(read_all(all).unwrap(), b"x\ny\n");
    }

    #[test]
    fn short_inputs_are_plain() {
        assert_eq!(read_all(Vec::new()).unwrap(), b"");
        assert_eq!(read_all(vec![0x1f]).unwrap(), [0x1f]);
    }

    /// A reader that hands out one byte per call: the magic must still be seen.
    struct Trickle(Cursor<Vec<u8>>);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(1);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn detection_survives_short_reads() {
        let mut input = from_reader(Trickle(Cursor::new(gzip(b"abc\n"))), "t").unwrap();
        assert!(input.is_gzip());
        let mut s = String::new();
        input.read_to_string(&mut s).unwrap();
        assert_eq!(s, "abc\n");
    }

    #[test]
    fn unsupported_compressions_share_one_message() {
        for (bytes, format) in [
            (&b"BZh91AY&SY"[..], "bzip2"),
            (&[0xfd, b'7', b'z', b'X', b'Z', 0, 0][..], "xz"),
            (&[0x28, 0xb5, 0x2f, 0xfd, 0, 0][..], "zstd"),
        ] {
            let err = from_reader(Cursor::new(bytes.to_vec()), "in/x.dat").unwrap_err();
            assert!(
                matches!(err, Error::UnsupportedCompression { format: f, .. } if f == format),
                "{err}"
            );
            assert_eq!(
                err.to_string(),
                unsupported_compression_message(Path::new("in/x.dat"), format)
            );
            let msg = err.to_string();
            assert!(msg.starts_with("in/x.dat: file is"), "{msg}");
            assert!(
                msg.contains("decompress it") && msg.contains("gzip"),
                "{msg}"
            );
        }
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = open("/nonexistent/dir/x.fa").unwrap_err();
        assert!(matches!(err, Error::Read { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/dir/x.fa"), "{err}");
    }

    #[test]
    fn truncated_gzip_is_an_error_naming_the_file() {
        let whole = gzip(&b"ACGT".repeat(10_000));
        let err = read_all(whole[..whole.len() / 2].to_vec()).unwrap_err();
        assert!(matches!(err, Error::Gzip { .. }), "{err}");
        assert!(err.to_string().starts_with("mem:"), "{err}");
    }
}
