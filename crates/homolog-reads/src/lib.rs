//! Sequencing reads in: FASTQ and FASTA, plain or gzip, from a file, a folder of files or an
//! S3 prefix, as one stream of [`Read`]s.
//!
//! This is the input of the read-clustering pipeline (docs/clustering.md): reads are
//! embedded (homolog-embed's DNA backends), written to Parquet shards (homolog-shards) and
//! clustered (homolog-cluster). Every read carries its source file so shards can say where each
//! row came from.
//!
//! This crate only locates inputs; parsing is homolog-seq's [`homolog_seq::reads::Reader`]
//! (see it for the exact leniency rules).
//!
//! - [`inputs`] resolves what the user gave (`reads.fq.gz`, `runs/`, `s3://bucket/prefix`) to an
//!   ordered list of [`Input`]s; folders and prefixes keep the files whose names end in
//!   `.fa .fasta .fna .fq .fastq` (optionally `.gz`), sorted by name, so the order (and with it
//!   every seeded result downstream) does not depend on the file system.
//! - [`open`] opens one input's reads; [`ReadStream`] iterates the reads of all inputs in order.
//! - Malformed records are errors naming the file (or object URL), the 1-based record number,
//!   the line and the id.
//!
//! # Example
//!
//! A folder with one FASTA and one FASTQ file, read in name order:
//!
//! ```rust
//! use homolog_reads::ReadStream;
//!
//! let dir = std::env::temp_dir().join(format!("homolog_reads_doc_{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("b.fq"), "@b1\nACGT\n+\nIIII\n")?;
//! std::fs::write(dir.join("a.fa"), ">a1 first\nacgu\nNN\n>a2\nTT\n")?;
//! std::fs::write(dir.join("notes.txt"), "not reads")?;
//!
//! let inputs = homolog_reads::inputs(dir.to_str().unwrap())?;
//! assert_eq!(inputs.len(), 2); // notes.txt is not a read file
//! let reads = ReadStream::from_inputs(inputs).collect::<Result<Vec<_>, _>>()?;
//! let ids: Vec<&str> = reads.iter().map(|r| r.id.as_str()).collect();
//! assert_eq!(ids, ["a1", "a2", "b1"]);
//! assert_eq!(reads[0].seq, b"ACGTNN"); // upper-cased, U read as T, lines joined
//! assert!(reads[2].source.ends_with("b.fq"));
//! assert_eq!(reads[2].record, 1);
//!
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod s3;

use std::path::{Path, PathBuf};

pub use error::ReadsError;
pub use homolog_seq::reads::{Format, Read, Reader};

/// One input file: local or an S3 object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A local file.
    Local(PathBuf),
    /// An object of an S3 bucket.
    S3 {
        /// Bucket and prefix the user gave.
        url: s3::S3Url,
        /// The object's key.
        key: String,
    },
}

impl Input {
    /// The name used in messages and in the shards' `source` column.
    pub fn name(&self) -> String {
        match self {
            Input::Local(p) => p.display().to_string(),
            Input::S3 { url, key } => url.object_url(key),
        }
    }
}

/// Whether a file name looks like a read file (`.fa .fasta .fna .fq .fastq`, optionally `.gz`).
pub fn is_read_file(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let n = n.strip_suffix(".gz").unwrap_or(&n);
    [".fa", ".fasta", ".fna", ".fq", ".fastq"]
        .iter()
        .any(|e| n.ends_with(e))
}

/// Resolves one user input (file, folder or `s3://` URL) into input files, in a stable order.
///
/// A folder contributes its read files (by name, not recursive); a folder with none is an
/// error. An `s3://bucket/prefix` contributes the read-file objects under the prefix, or the
/// one object when the prefix is a full key.
pub fn inputs(spec: &str) -> Result<Vec<Input>, ReadsError> {
    if spec.starts_with("s3://") {
        let url = s3::S3Url::parse(spec)?;
        let client = s3::S3Client::new(&url)?;
        let keys = client.list()?;
        let found: Vec<Input> = keys
            .into_iter()
            .filter(|k| *k == url.key || is_read_file(k))
            .map(|key| Input::S3 {
                url: url.clone(),
                key,
            })
            .collect();
        if found.is_empty() {
            return Err(ReadsError::Input {
                input: spec.into(),
                reason:
                    "no read files (.fa/.fasta/.fna/.fq/.fastq, optionally .gz) under this prefix"
                        .into(),
            });
        }
        return Ok(found);
    }
    let path = Path::new(spec);
    let meta = std::fs::metadata(path).map_err(|e| ReadsError::Input {
        input: spec.into(),
        reason: format!(
            "cannot open ({e}); give a FASTQ/FASTA file, a folder of them or s3://bucket/prefix"
        ),
    })?;
    if meta.is_file() {
        return Ok(vec![Input::Local(path.to_path_buf())]);
    }
    let mut files = Vec::new();
    let rd = std::fs::read_dir(path).map_err(|e| ReadsError::Input {
        input: spec.into(),
        reason: format!("cannot list folder ({e})"),
    })?;
    for entry in rd {
        let entry = entry.map_err(|e| ReadsError::Input {
            input: spec.into(),
            reason: format!("cannot list folder ({e})"),
        })?;
        let p = entry.path();
        if p.is_file() && is_read_file(&entry.file_name().to_string_lossy()) {
            files.push(p);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(ReadsError::Input {
            input: spec.into(),
            reason: "folder holds no read files (.fa/.fasta/.fna/.fq/.fastq, optionally .gz)"
                .into(),
        });
    }
    Ok(files.into_iter().map(Input::Local).collect())
}

/// Opens one input's reads.
pub fn open(input: &Input) -> Result<Reader, ReadsError> {
    match input {
        Input::Local(p) => Ok(Reader::from_path(p)?),
        Input::S3 { url, key } => {
            let client = s3::S3Client::new(url)?;
            let r = client.open(key)?;
            Ok(Reader::from_reader(r, url.object_url(key))?)
        }
    }
}

/// The reads of several inputs, one after the other.
pub struct ReadStream {
    inputs: std::vec::IntoIter<Input>,
    current: Option<Reader>,
    failed: bool,
}

impl ReadStream {
    /// Resolves every spec (see [`inputs`]) and streams their reads in order.
    pub fn open<S: AsRef<str>>(specs: &[S]) -> Result<Self, ReadsError> {
        let mut all = Vec::new();
        for s in specs {
            all.extend(inputs(s.as_ref())?);
        }
        Ok(Self::from_inputs(all))
    }

    /// Streams the reads of already resolved inputs.
    pub fn from_inputs(inputs: Vec<Input>) -> Self {
        Self {
            inputs: inputs.into_iter(),
            current: None,
            failed: false,
        }
    }
}

impl Iterator for ReadStream {
    type Item = Result<Read, ReadsError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(cur) = self.current.as_mut() {
                match cur.next() {
                    Some(Ok(r)) => return Some(Ok(r)),
                    Some(Err(e)) => {
                        self.failed = true;
                        return Some(Err(e.into()));
                    }
                    None => self.current = None,
                }
            }
            let next = self.inputs.next()?;
            match open(&next) {
                Ok(r) => self.current = Some(r),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_file_names() {
        for n in ["a.fq", "a.FASTQ.gz", "x.fa", "x.fna.gz", "r.fasta"] {
            assert!(is_read_file(n), "{n}");
        }
        for n in ["a.txt", "a.gz", "manifest.json", "fq"] {
            assert!(!is_read_file(n), "{n}");
        }
    }

    #[test]
    fn folder_in_name_order() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b.fq"), "@b1\nAC\n+\nII\n").unwrap();
        std::fs::write(d.path().join("a.fa"), ">a1\nGG\n>a2\nTT\n").unwrap();
        std::fs::write(d.path().join("notes.txt"), "x").unwrap();
        let s = ReadStream::open(&[d.path().to_str().unwrap()]).unwrap();
        let ids: Vec<String> = s.map(|r| r.unwrap().id).collect();
        assert_eq!(ids, ["a1", "a2", "b1"]);
        let empty = tempfile::tempdir().unwrap();
        let e = ReadStream::open(&[empty.path().to_str().unwrap()])
            .err()
            .unwrap();
        assert!(e.to_string().contains("no read files"), "{e}");
        let e = ReadStream::open(&["/nonexistent/x.fq"]).err().unwrap();
        assert!(e.to_string().contains("/nonexistent/x.fq"), "{e}");
    }
}
