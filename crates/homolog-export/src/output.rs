//! Writing the export: streamed, atomic Parquet files, and the upload to S3.
//!
//! [`ParquetSink`] writes one row group per chunk of queries into a temporary file next to
//! the destination ([`homolog_io::AtomicFile`]), so memory holds one chunk at a time; the file
//! replaces the destination only on [`PendingFile::commit`]. The writer settings are fixed
//! (zstd level 3, no row-count limit per row group, a fixed `created_by`), so equal rows give
//! byte-identical files.
//!
//! [`S3Upload`] checks the bucket before the export starts ([`S3Upload::preflight`]) and copies
//! the finished local export to `s3://bucket/prefix/` through `object_store`
//! with the same settings as `homolog-reads`' S3 input: credentials and endpoint from the
//! usual `AWS_*` variables (`AWS_ENDPOINT_URL` for MinIO or moto, plain HTTP allowed for an
//! `http://` endpoint, path-style requests, region `us-east-1` unless set). Each file goes up
//! as a multipart upload (invisible until completed), `manifest.json` last: a reader that
//! finds the manifest finds the data files it names. On any failure the running upload is
//! aborted and the files already uploaded by this call are deleted, so nothing half-uploaded
//! stays visible.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use homolog_io::AtomicFile;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::candidates::CandidateRow;
use crate::schema::{schema, to_batch};
use crate::ExportError;

/// Parts of a multipart upload (the minimum S3 accepts for all parts but the last).
const PART_SIZE: usize = 8 << 20;

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("level 3 is valid"),
        ))
        // One row group per chunk, never split by row count.
        .set_max_row_group_row_count(None)
        .set_created_by(format!("homolog-export {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A Parquet file being streamed, one row group per [`ParquetSink::write_chunk`].
pub struct ParquetSink {
    path: PathBuf,
    writer: ArrowWriter<AtomicFile>,
    rows: u64,
    row_groups: u64,
}

/// A complete Parquet file waiting for its commit (dropping it removes the temporary file).
pub struct PendingFile {
    file: AtomicFile,
    /// Rows written.
    pub rows: u64,
    /// Row groups written.
    pub row_groups: u64,
}

impl PendingFile {
    /// Renames the file into place.
    pub fn commit(self) -> Result<(), ExportError> {
        Ok(self.file.commit()?)
    }
}

impl ParquetSink {
    /// Starts `path` (its folder must exist).
    pub fn create(path: &Path) -> Result<ParquetSink, ExportError> {
        let file = AtomicFile::create(path)?;
        let writer = ArrowWriter::try_new(file, schema(), Some(writer_properties()))
            .map_err(|e| ExportError::output(path, e))?;
        Ok(ParquetSink {
            path: path.to_path_buf(),
            writer,
            rows: 0,
            row_groups: 0,
        })
    }

    /// Writes `rows` as one row group (nothing for an empty chunk).
    pub fn write_chunk(&mut self, rows: &[CandidateRow]) -> Result<(), ExportError> {
        if rows.is_empty() {
            return Ok(());
        }
        let batch = to_batch(rows);
        let err = |e| ExportError::output(&self.path, e);
        self.writer.write(&batch).map_err(err)?;
        self.writer.flush().map_err(err)?;
        self.rows += rows.len() as u64;
        self.row_groups += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes the footer; the file is complete but not yet in place.
    pub fn finish(self) -> Result<PendingFile, ExportError> {
        let path = self.path;
        let file = self
            .writer
            .into_inner()
            .map_err(|e| ExportError::output(&path, e))?;
        Ok(PendingFile {
            file,
            rows: self.rows,
            row_groups: self.row_groups,
        })
    }
}

/// A parsed `s3://bucket/prefix` destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    /// Bucket.
    pub bucket: String,
    /// Key prefix without leading or trailing `/` (may be empty).
    pub prefix: String,
}

impl S3Target {
    /// Parses `s3://bucket[/prefix]`; `None` for anything else (a local folder).
    pub fn parse(out: &str) -> Result<Option<S3Target>, ExportError> {
        let Some(rest) = out.strip_prefix("s3://") else {
            return Ok(None);
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ExportError::Upload {
                url: out.to_string(),
                message: "no bucket name; write s3://bucket/prefix".into(),
            });
        }
        Ok(Some(S3Target {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        }))
    }

    /// The key of a file of the export.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }

    /// `s3://bucket/key`.
    pub fn url(&self, name: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(name))
    }
}

/// A connection to the bucket of an [`S3Target`], with its own small Tokio runtime (the
/// export stays synchronous).
pub struct S3Upload {
    store: Arc<dyn ObjectStore>,
    rt: tokio::runtime::Runtime,
    target: S3Target,
}

impl S3Upload {
    /// Connects with settings from the environment (see the module docs). Nothing is sent yet.
    pub fn connect(target: &S3Target) -> Result<S3Upload, ExportError> {
        let fail = |m: String| ExportError::Upload {
            url: target.url(""),
            message: m,
        };
        let mut builder = homolog_io::s3::builder_from_env(&target.bucket);
        // A dead endpoint must fail in seconds, not after minutes of retries.
        builder = builder.with_retry(object_store::RetryConfig {
            max_retries: 2,
            retry_timeout: std::time::Duration::from_secs(20),
            ..Default::default()
        });
        let store = builder.build().map_err(|e| {
            fail(format!(
                "{e}; set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (for a non-AWS server) AWS_ENDPOINT_URL"
            ))
        })?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(e.to_string()))?;
        Ok(S3Upload {
            store: Arc::new(store),
            rt,
            target: target.clone(),
        })
    }

    /// Lists the prefix once, so that a wrong endpoint, bad credentials or a missing bucket
    /// stop the export before any work is done.
    pub fn preflight(&self) -> Result<(), ExportError> {
        let prefix =
            (!self.target.prefix.is_empty()).then(|| ObjPath::from(self.target.prefix.as_str()));
        let store = self.store.clone();
        self.rt
            .block_on(async move { store.list_with_delimiter(prefix.as_ref()).await })
            .map(|_| ())
            .map_err(|e| ExportError::Upload {
                url: self.target.url(""),
                message: format!(
                    "{e}. Check AWS_ENDPOINT_URL, the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and that the bucket exists"
                ),
            })
    }

    /// Uploads `files` (names in `dir`) in order; the last should be the manifest. On a
    /// failure the files this call already uploaded are deleted again.
    pub fn upload(&self, dir: &Path, files: &[&str]) -> Result<(), ExportError> {
        let target = &self.target;
        let mut done: Vec<ObjPath> = Vec::new();
        for name in files {
            let key = ObjPath::from(target.key(name));
            let result = self
                .rt
                .block_on(put_file(self.store.as_ref(), &dir.join(name), &key));
            if let Err(e) = result {
                // Remove what this call made visible, so no partial export remains.
                let left: Vec<String> = self.rt.block_on(async {
                    let mut left = Vec::new();
                    for k in &done {
                        if let Err(err) = self.store.delete(k).await {
                            left.push(format!("{k} ({err})"));
                        }
                    }
                    left
                });
                let mut message = e;
                if !left.is_empty() {
                    message.push_str(&format!(
                        "; could not delete the files already uploaded: {}",
                        left.join(", ")
                    ));
                } else if !done.is_empty() {
                    message.push_str(&format!(
                        "; the {} file(s) already uploaded were deleted again",
                        done.len()
                    ));
                } else {
                    message.push_str("; nothing was left on the server");
                }
                message.push_str(
                    ". Check AWS_ENDPOINT_URL, the credentials and that the bucket exists, then re-run",
                );
                return Err(ExportError::Upload {
                    url: target.url(name),
                    message,
                });
            }
            done.push(key);
        }
        Ok(())
    }
}

/// Streams one local file into a multipart upload; aborts it on failure.
async fn put_file(store: &dyn ObjectStore, path: &Path, key: &ObjPath) -> Result<(), String> {
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let upload = store.put_multipart(key).await.map_err(|e| e.to_string())?;
    let mut w = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = w.abort().await;
                return Err(format!("reading {}: {e}", path.display()));
            }
        };
        if n == 0 {
            break;
        }
        if let Err(e) = w.wait_for_capacity(4).await {
            let _ = w.abort().await;
            return Err(e.to_string());
        }
        w.write(&buf[..n]);
    }
    w.finish().await.map(|_| ()).map_err(|e| e.to_string())
}
