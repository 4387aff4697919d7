//! File I/O shared by homolog's stages, so every crate opens, reads and writes files the same
//! way and says the same thing when something is wrong.
//!
//! - [`open()`] / [`from_reader`]: a buffered reader over a file's content, plain or gzip
//!   (detected by the magic bytes, not the name; multi-member gzip read to the end). bzip2,
//!   xz, zstd and zip are recognised and refused with one message
//!   ([`unsupported_compression_message`]) naming the file and saying to decompress it or
//!   re-compress it with gzip.
//! - [`Lines`]: numbered lines without `\n` / `\r\n`, as bytes or validated text; a truncated
//!   gzip stream, NUL bytes or invalid UTF-8 are errors naming the file and line.
//! - [`write_atomic`], [`with_atomic_writer`], [`AtomicFile`]: write to a temporary file in
//!   the destination's folder and rename it over the destination on success; on failure
//!   nothing is left behind and the old file stays.
//! - [`write_parquet_atomic`] (feature `parquet`): one Arrow record batch as an atomic Parquet
//!   file.
//! - [`download::resume_into`] (feature `http`): an HTTP GET into a partial file, resumed with
//!   `Range` from where it stopped.
//! - [`s3::builder_from_env`] (feature `s3`): the S3 client settings every stage uses.
//! - [`tls::ensure_crypto_provider`] (feature `tls`): rustls with `ring` for every `reqwest`
//!   client, so no OpenSSL is built or linked.
//!
//! Every failure is an [`Error`]; crates keep their own error types and convert from it.
//!
//! # Examples
//!
//! Reading plain and gzip the same way:
//!
//! ```
//! use std::io::{Read, Write};
//!
//! let dir = tempfile::tempdir()?;
//! let plain = dir.path().join("a.txt");
//! std::fs::write(&plain, "hello\n")?;
//! let gz = dir.path().join("a.txt.gz");
//! let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
//! enc.write_all(b"hello\n")?;
//! std::fs::write(&gz, enc.finish()?)?;
//!
//! for path in [&plain, &gz] {
//!     let mut text = String::new();
//!     homolog_io::open(path)?.read_to_string(&mut text)?;
//!     assert_eq!(text, "hello\n");
//! }
//! // Other compressions are refused with one message, whatever the crate.
//! let err = homolog_io::from_reader(&b"BZh91AY&SY"[..], "x.bz2").unwrap_err();
//! assert!(err.to_string().starts_with("x.bz2: file is bzip2-compressed"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Numbered lines, `\r\n` or `\n`:
//!
//! ```
//! use homolog_io::Lines;
//!
//! let mut lines = Lines::from_reader(&b">a\r\nMKV\n"[..], "q.fa")?;
//! assert_eq!(lines.next_line()?, Some((1, ">a")));
//! assert_eq!(lines.next_line()?, Some((2, "MKV")));
//! assert_eq!(lines.next_line()?, None);
//!
//! // Or as an iterator of owned lines; errors name the file and line.
//! let err = Lines::from_reader(&b"ok\nbad\0\n"[..], "q.fa")?
//!     .collect::<Result<Vec<_>, _>>()
//!     .unwrap_err();
//! assert!(err.to_string().starts_with("q.fa:2: not a text file"));
//! # Ok::<(), homolog_io::Error>(())
//! ```
//!
//! Atomic writes:
//!
//! ```
//! use std::io::Write;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("summary.txt");
//! homolog_io::write_atomic(&path, b"done\n")?;
//!
//! // Through a writer; the closure's error type is the caller's.
//! let rows = homolog_io::with_atomic_writer(&path, |w| -> Result<usize, homolog_io::Error> {
//!     writeln!(w, "a\t1").map_err(|e| homolog_io::Error::Write {
//!         action: "writing",
//!         path: path.clone(),
//!         source: e,
//!     })?;
//!     Ok(1)
//! })?;
//! assert_eq!(rows, 1);
//! assert_eq!(std::fs::read_to_string(&path)?, "a\t1\n");
//!
//! // A failure leaves the old file and no temporary file.
//! let failed: Result<(), homolog_io::Error> = homolog_io::with_atomic_writer(&path, |w| {
//!     w.write_all(b"half").ok();
//!     Err(homolog_io::Error::Write {
//!         action: "writing",
//!         path: path.clone(),
//!         source: std::io::Error::other("disk full"),
//!     })
//! });
//! assert!(failed.is_err());
//! assert_eq!(std::fs::read_to_string(&path)?, "a\t1\n");
//! assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
//!
//! // Or by hand: nothing happens to `path` until `commit`.
//! let mut file = homolog_io::AtomicFile::create(&path)?;
//! file.write_all(b"new\n")?;
//! file.commit()?;
//! assert_eq!(std::fs::read_to_string(&path)?, "new\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Atomic Parquet (feature `parquet`):
//!
#![cfg_attr(feature = "parquet", doc = "```")]
#![cfg_attr(not(feature = "parquet"), doc = "```ignore")]
//! use std::sync::Arc;
//! use arrow::array::{ArrayRef, Int32Array, RecordBatch};
//! use parquet::file::properties::WriterProperties;
//!
//! let dir = tempfile::tempdir()?;
//! let col: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3]));
//! let batch = RecordBatch::try_from_iter([("x", col)])?;
//! homolog_io::write_parquet_atomic(dir.path().join("t.parquet"), &batch, WriterProperties::default())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod atomic;
#[cfg(feature = "http")]
pub mod download;
pub mod error;
pub mod lines;
pub mod open;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod process;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "tls")]
pub mod tls;
pub mod url;

pub use atomic::{with_atomic_writer, write_atomic, AtomicFile};
pub use error::{unsupported_compression_message, Error, TextProblem};
pub use lines::Lines;
pub use open::{from_reader, open, Compression, Input};
#[cfg(feature = "parquet")]
pub use parquet::write_parquet_atomic;

#[cfg(test)]
pub(crate) mod test_support {
    use std::io::Write;

    /// `bytes` as one gzip member.
    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }
}
