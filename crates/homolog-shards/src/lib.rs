//! Parquet shards of read embeddings, their manifest, and the stage that fills them
//! (reads -> embeddings -> shards).
//!
//! Phase 1 of the read-clustering pipeline (docs/clustering.md) writes a folder of shards that
//! phase 2 (homolog-cluster) reads, possibly on other machines or MPI ranks, each taking its
//! share of the shards. The layout (docs/formats.md, "Read-embedding shards"):
//!
//! ```text
//! shards/
//!   manifest.json          format, version, model, parameters, dim, rows, shard list
//!   shard-00000.parquet    read_id: utf8, source: utf8,
//!   shard-00001.parquet    embedding: fixed_size_list<float32>[dim], length: uint32, gc: float32
//! ```
//!
//! Every file is written to a temporary name and renamed, and the manifest is written last, so a
//! folder with a manifest is complete; readers trust only the shards the manifest lists and
//! check their row counts.
//!
//! - [`ShardWriter`]: buffer rows, cut a shard every `rows_per_shard` rows, write the manifest.
//! - [`ShardSet`]: open a folder by its manifest, read one shard ([`Shard`]) or only its
//!   embeddings.
//! - [`embed::embed_to_shards`]: stream reads (homolog-reads), embed them in batches with any
//!   registry backend (homolog-embed), write shards.
//! - [`embed::embed_reads`]: the same for what `homolog reads embed` is given (input spec,
//!   backend name and parameters).
//! - [`write_parquet_atomic`]: the atomic Parquet writer other stages reuse.
//!
//! # Example
//!
//! Embedding a FASTQ file's reads with `dna-kmer` into shards of two rows, then reading them:
//!
//! ```rust
//! use homolog_shards::embed::{embed_reads, EmbedReadsRequest};
//! use homolog_shards::ShardSet;
//!
//! let dir = std::env::temp_dir().join(format!("homolog_shards_doc_{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let fastq = dir.join("reads.fq");
//! std::fs::write(&fastq, "@r1\nACGTACGGCC\n+\nIIIIIIIIII\n@r2\nAATTAATTGC\n+\nIIIIIIIIII\n\
//!                         @r3\nGGGCCCATAT\n+\nIIIIIIIIII\n")?;
//!
//! let request = EmbedReadsRequest {
//!     input: fastq.to_str().unwrap().to_string(),
//!     out: dir.join("shards"),
//!     model: "dna-kmer".into(),
//!     shard_rows: 2,
//!     ..Default::default()
//! };
//! let manifest = embed_reads(&request, |_done| {})?;
//! assert_eq!((manifest.rows, manifest.dim, manifest.shards.len()), (3, 136, 2));
//!
//! let set = ShardSet::open(&dir.join("shards"))?;
//! assert_eq!(set.offsets(), [0, 2, 3]); // first global row of each shard, then the total
//! let first = set.read(0, true)?; // with ids, sources, lengths and G+C
//! assert_eq!(first.ids, ["r1", "r2"]);
//! assert_eq!(first.lengths, [10, 10]);
//! assert_eq!(first.gc, [0.7, 0.2]);
//! assert_eq!(first.data.len(), 2 * 136);
//!
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod embed;
pub mod error;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, FixedSizeListArray, Float32Array, RecordBatch, StringArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

pub use error::ShardError;
use error::{io, pq};

/// Value of the manifest's `format` field.
pub const FORMAT: &str = "homolog-read-shards";
/// Current manifest/schema version.
pub const VERSION: u32 = 1;
/// Manifest file name inside a shard folder.
pub const MANIFEST: &str = "manifest.json";

/// One shard as listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardEntry {
    /// File name relative to the folder.
    pub file: String,
    /// Number of rows.
    pub rows: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Schema version ([`VERSION`]).
    pub version: u32,
    /// Registry name of the embedding backend.
    pub model: String,
    /// The backend's parameters (k, dim, seed, ...).
    pub params: serde_json::Value,
    /// Embedding dimension.
    pub dim: usize,
    /// Total rows over all shards.
    pub rows: u64,
    /// Shards in order.
    pub shards: Vec<ShardEntry>,
    /// The inputs the reads came from, in order.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Program and version that wrote the folder.
    pub producer: String,
}

/// The Arrow schema of a shard with embedding dimension `dim`.
pub fn schema(dim: usize) -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("read_id", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new(
            "embedding",
            DataType::FixedSizeList(
                Arc::new(Field::new("item", DataType::Float32, false)),
                dim as i32,
            ),
            false,
        ),
        Field::new("length", DataType::UInt32, false),
        Field::new("gc", DataType::Float32, false),
    ]))
}

/// Writes `batch` to `path` as Parquet (zstd level 3), atomically
/// ([`homolog_io::write_parquet_atomic`]).
pub fn write_parquet_atomic(path: &Path, batch: &RecordBatch) -> Result<(), ShardError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid zstd level"),
        ))
        .build();
    Ok(homolog_io::write_parquet_atomic(path, batch, props)?)
}

/// Fraction of G and C among the A/C/G/T of a read (0 when it has none).
pub fn gc_fraction(seq: &[u8]) -> f32 {
    let (mut gc, mut acgt) = (0u32, 0u32);
    for &b in seq {
        match b {
            b'G' | b'C' | b'g' | b'c' => {
                gc += 1;
                acgt += 1
            }
            b'A' | b'T' | b'a' | b't' => acgt += 1,
            _ => {}
        }
    }
    if acgt == 0 {
        0.0
    } else {
        gc as f32 / acgt as f32
    }
}

/// Buffers rows and writes shards of `rows_per_shard` rows, then the manifest.
pub struct ShardWriter {
    dir: PathBuf,
    dim: usize,
    rows_per_shard: usize,
    manifest: Manifest,
    ids: Vec<String>,
    sources: Vec<String>,
    data: Vec<f32>,
    lengths: Vec<u32>,
    gc: Vec<f32>,
}

impl ShardWriter {
    /// Creates (or reuses an empty) folder; refuses one that already holds shards.
    pub fn create(
        dir: &Path,
        model: &str,
        params: serde_json::Value,
        dim: usize,
        rows_per_shard: usize,
    ) -> Result<Self, ShardError> {
        if rows_per_shard == 0 {
            return Err(ShardError::Manifest {
                path: dir.to_path_buf(),
                reason: "rows per shard is 0; give a value >= 1 (e.g. 100000)".into(),
            });
        }
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        for e in std::fs::read_dir(dir).map_err(io(dir))? {
            let n = e
                .map_err(io(dir))?
                .file_name()
                .to_string_lossy()
                .to_string();
            if n == MANIFEST || (n.starts_with("shard-") && n.ends_with(".parquet")) {
                return Err(ShardError::NotEmpty {
                    path: dir.to_path_buf(),
                });
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            dim,
            rows_per_shard,
            manifest: Manifest {
                format: FORMAT.into(),
                version: VERSION,
                model: model.into(),
                params,
                dim,
                rows: 0,
                shards: Vec::new(),
                inputs: Vec::new(),
                producer: format!("homolog {}", env!("CARGO_PKG_VERSION")),
            },
            ids: Vec::new(),
            sources: Vec::new(),
            data: Vec::new(),
            lengths: Vec::new(),
            gc: Vec::new(),
        })
    }

    /// Records the inputs (for the manifest).
    pub fn set_inputs(&mut self, inputs: Vec<String>) {
        self.manifest.inputs = inputs;
    }

    /// Adds one row; writes a shard when the buffer is full.
    pub fn push(
        &mut self,
        id: &str,
        source: &str,
        embedding: &[f32],
        length: u32,
        gc: f32,
    ) -> Result<(), ShardError> {
        if embedding.len() != self.dim {
            return Err(ShardError::Schema {
                path: self.dir.clone(),
                reason: format!(
                    "embedding of read {id:?} has {} values, the shards have dim {}",
                    embedding.len(),
                    self.dim
                ),
            });
        }
        self.ids.push(id.to_string());
        self.sources.push(source.to_string());
        self.data.extend_from_slice(embedding);
        self.lengths.push(length);
        self.gc.push(gc);
        if self.ids.len() >= self.rows_per_shard {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ShardError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        let file = format!("shard-{:05}.parquet", self.manifest.shards.len());
        let path = self.dir.join(&file);
        let rows = self.ids.len() as u64;
        let values = Arc::new(Float32Array::from(std::mem::take(&mut self.data)));
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let emb = FixedSizeListArray::try_new(item, self.dim as i32, values, None)
            .map_err(|e| pq(&path)(e.to_string()))?;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(std::mem::take(&mut self.ids))),
            Arc::new(StringArray::from(std::mem::take(&mut self.sources))),
            Arc::new(emb),
            Arc::new(UInt32Array::from(std::mem::take(&mut self.lengths))),
            Arc::new(Float32Array::from(std::mem::take(&mut self.gc))),
        ];
        let batch =
            RecordBatch::try_new(schema(self.dim), cols).map_err(|e| pq(&path)(e.to_string()))?;
        write_parquet_atomic(&path, &batch)?;
        self.manifest.shards.push(ShardEntry { file, rows });
        self.manifest.rows += rows;
        Ok(())
    }

    /// Writes the last shard and the manifest; returns the manifest.
    pub fn finish(mut self) -> Result<Manifest, ShardError> {
        self.flush()?;
        let path = self.dir.join(MANIFEST);
        let json = serde_json::to_vec_pretty(&self.manifest).map_err(|e| ShardError::Manifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        homolog_io::write_atomic(&path, &json)?;
        Ok(self.manifest)
    }
}

/// One shard read back.
#[derive(Debug, Clone, Default)]
pub struct Shard {
    /// Read ids (empty when only embeddings were read).
    pub ids: Vec<String>,
    /// Source files (empty when only embeddings were read).
    pub sources: Vec<String>,
    /// Row-major embeddings, `rows * dim` values.
    pub data: Vec<f32>,
    /// Read lengths (empty when only embeddings were read).
    pub lengths: Vec<u32>,
    /// GC fractions (empty when only embeddings were read).
    pub gc: Vec<f32>,
    /// Number of rows.
    pub rows: usize,
}

/// A shard folder opened through its manifest.
#[derive(Debug, Clone)]
pub struct ShardSet {
    /// The folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

impl ShardSet {
    /// Reads and checks `dir/manifest.json`.
    pub fn open(dir: &Path) -> Result<Self, ShardError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read(&path).map_err(|e| ShardError::Manifest {
            path: path.clone(),
            reason: format!("cannot read ({e}); is this a shard folder written by `homolog embed --out`? A folder without a manifest is incomplete"),
        })?;
        let manifest: Manifest =
            serde_json::from_slice(&text).map_err(|e| ShardError::Manifest {
                path: path.clone(),
                reason: format!("not a shard manifest: {e}"),
            })?;
        if manifest.format != FORMAT || manifest.version > VERSION {
            return Err(ShardError::Manifest {
                path,
                reason: format!(
                    "format {:?} version {} is not {FORMAT:?} version <= {VERSION}; upgrade homolog",
                    manifest.format, manifest.version
                ),
            });
        }
        if manifest.dim == 0 {
            return Err(ShardError::Manifest {
                path,
                reason: "dim = 0; the embeddings must have at least one value".into(),
            });
        }
        if let Some(bad) = manifest
            .shards
            .iter()
            .find(|s| s.file.is_empty() || s.file.contains(['/', '\\']) || s.file.starts_with('.'))
        {
            return Err(ShardError::Manifest {
                path,
                reason: format!(
                    "shard file {:?} is not a plain file name inside the folder",
                    bad.file
                ),
            });
        }
        let sum: u64 = manifest.shards.iter().map(|s| s.rows).sum();
        if sum != manifest.rows {
            return Err(ShardError::Manifest {
                path,
                reason: format!("rows = {} but the shards add up to {sum}", manifest.rows),
            });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// Number of shards.
    pub fn len(&self) -> usize {
        self.manifest.shards.len()
    }

    /// Whether there are no shards.
    pub fn is_empty(&self) -> bool {
        self.manifest.shards.is_empty()
    }

    /// Embedding dimension.
    pub fn dim(&self) -> usize {
        self.manifest.dim
    }

    /// Global index of the first row of each shard, plus the total at the end.
    pub fn offsets(&self) -> Vec<u64> {
        let mut o = Vec::with_capacity(self.len() + 1);
        let mut acc = 0;
        o.push(0);
        for s in &self.manifest.shards {
            acc += s.rows;
            o.push(acc);
        }
        o
    }

    /// Reads shard `i`; `with_meta = false` reads only the embeddings (faster, less memory).
    pub fn read(&self, i: usize, with_meta: bool) -> Result<Shard, ShardError> {
        let entry = &self.manifest.shards[i];
        let path = self.dir.join(&entry.file);
        let file = File::open(&path).map_err(io(&path))?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| pq(&path)(e.to_string()))?;
        let want = ["read_id", "source", "embedding", "length", "gc"];
        let arrow_schema = builder.schema().clone();
        for w in want {
            if arrow_schema.field_with_name(w).is_err() {
                return Err(ShardError::Schema {
                    path,
                    reason: format!("column {w:?} missing (expected {want:?})"),
                });
            }
        }
        let cols: Vec<usize> = if with_meta {
            (0..arrow_schema.fields().len()).collect()
        } else {
            vec![arrow_schema.index_of("embedding").expect("checked above")]
        };
        let mask = ProjectionMask::roots(builder.parquet_schema(), cols);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(65536)
            .build()
            .map_err(|e| pq(&path)(e.to_string()))?;
        let dim = self.dim();
        let mut out = Shard {
            data: Vec::with_capacity(entry.rows as usize * dim),
            ..Default::default()
        };
        for batch in reader {
            let batch = batch.map_err(|e| pq(&path)(e.to_string()))?;
            let emb = batch
                .column_by_name("embedding")
                .and_then(|c| c.as_any().downcast_ref::<FixedSizeListArray>())
                .filter(|a| a.value_length() as usize == dim)
                .ok_or_else(|| ShardError::Schema {
                    path: path.clone(),
                    reason: format!("embedding is not fixed_size_list<float32>[{dim}]"),
                })?;
            let vals = emb
                .values()
                .as_any()
                .downcast_ref::<Float32Array>()
                .ok_or_else(|| ShardError::Schema {
                    path: path.clone(),
                    reason: "embedding items are not float32".into(),
                })?;
            let start = if emb.is_empty() {
                0
            } else {
                emb.value_offset_at(0)
            };
            out.data
                .extend_from_slice(&vals.values()[start..start + emb.len() * dim]);
            out.rows += batch.num_rows();
            if with_meta {
                let s = |name: &str| -> Result<&StringArray, ShardError> {
                    batch
                        .column_by_name(name)
                        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                        .ok_or_else(|| ShardError::Schema {
                            path: path.clone(),
                            reason: format!("{name} is not utf8"),
                        })
                };
                out.ids
                    .extend(s("read_id")?.iter().map(|v| v.unwrap_or("").to_string()));
                out.sources
                    .extend(s("source")?.iter().map(|v| v.unwrap_or("").to_string()));
                let l = batch
                    .column_by_name("length")
                    .and_then(|c| c.as_any().downcast_ref::<UInt32Array>())
                    .ok_or_else(|| ShardError::Schema {
                        path: path.clone(),
                        reason: "length is not uint32".into(),
                    })?;
                out.lengths.extend(l.values().iter().copied());
                let g = batch
                    .column_by_name("gc")
                    .and_then(|c| c.as_any().downcast_ref::<Float32Array>())
                    .ok_or_else(|| ShardError::Schema {
                        path: path.clone(),
                        reason: "gc is not float32".into(),
                    })?;
                out.gc.extend(g.values().iter().copied());
            }
        }
        if out.rows as u64 != entry.rows {
            return Err(ShardError::Manifest {
                path,
                reason: format!(
                    "shard has {} rows, the manifest says {}; the folder is inconsistent, re-run the embedding stage",
                    out.rows, entry.rows
                ),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_and_read_back() {
        let d = tempfile::tempdir().unwrap();
        let mut w =
            ShardWriter::create(d.path(), "dna-kmer", serde_json::json!({"k": 1}), 2, 2).unwrap();
        for i in 0..5 {
            w.push(&format!("r{i}"), "f.fq", &[i as f32, 1.0], 10 + i, 0.5)
                .unwrap();
        }
        let m = w.finish().unwrap();
        assert_eq!(m.rows, 5);
        assert_eq!(m.shards.len(), 3);
        let set = ShardSet::open(d.path()).unwrap();
        assert_eq!(set.offsets(), vec![0, 2, 4, 5]);
        let s = set.read(1, true).unwrap();
        assert_eq!(s.ids, vec!["r2", "r3"]);
        assert_eq!(s.data, vec![2.0, 1.0, 3.0, 1.0]);
        assert_eq!(s.lengths, vec![12, 13]);
        let s = set.read(2, false).unwrap();
        assert_eq!((s.rows, s.ids.len()), (1, 0));
        // A second writer refuses the folder.
        let e = ShardWriter::create(d.path(), "x", serde_json::Value::Null, 2, 2)
            .err()
            .unwrap();
        assert!(e.to_string().contains("already holds shards"), "{e}");
        // No temporary files left.
        assert!(std::fs::read_dir(d.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with('.')));
    }

    #[test]
    fn gc() {
        assert_eq!(gc_fraction(b"GGCCAATN"), 4.0 / 7.0);
        assert_eq!(gc_fraction(b"NNN"), 0.0);
    }

    #[test]
    fn missing_manifest_is_explained() {
        let d = tempfile::tempdir().unwrap();
        let e = ShardSet::open(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("manifest.json") && e.contains("incomplete"),
            "{e}"
        );
    }
}
