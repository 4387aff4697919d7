//! Embedding matrices: raw little-endian row-major files, written row by row in any order and
//! read back memory-mapped.
//!
//! A raw file (no header) is what lets lookup start in O(1): the OS maps it and pages it in on
//! demand, and `as_slice()` hands the search kernels one contiguous `&[f32]`. Shape, dtype and
//! an xxh3-64 hash live in the manifest; `open` checks the size and (by default) the hash so a
//! truncated or bit-flipped file fails loudly instead of giving wrong neighbours.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use xxhash_rust::xxh3::Xxh3;

use crate::error::{ReferenceError, REBUILD_HINT};
use crate::manifest::MatrixEntry;
use crate::spec::Precision;

/// Writes a `rows x dim` matrix file; rows may arrive in any order (embedding batches are
/// sorted by length) and every row must arrive exactly once.
pub(crate) struct MatrixWriter {
    path: PathBuf,
    file: File,
    rows: usize,
    dim: usize,
    precision: Precision,
    filled: Vec<bool>,
    n_filled: usize,
    buf: Vec<u8>,
}

impl MatrixWriter {
    pub(crate) fn create(
        path: &Path,
        rows: usize,
        dim: usize,
        precision: Precision,
    ) -> Result<Self, ReferenceError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ReferenceError::io("creating", parent, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| ReferenceError::io("creating", path, e))?;
        let len = rows as u64 * dim as u64 * precision.bytes();
        file.set_len(len)
            .map_err(|e| ReferenceError::io("sizing", path, e))?;
        Ok(MatrixWriter {
            path: path.to_path_buf(),
            file,
            rows,
            dim,
            precision,
            filled: vec![false; rows],
            n_filled: 0,
            buf: Vec::with_capacity(dim * 4),
        })
    }

    pub(crate) fn dim(&self) -> usize {
        self.dim
    }

    /// Whether `row` has been written.
    pub(crate) fn is_filled(&self, row: usize) -> bool {
        self.filled.get(row).copied().unwrap_or(false)
    }

    /// Write one row; `what` names the vector's origin for the error message.
    pub(crate) fn write_row(
        &mut self,
        row: usize,
        values: &[f32],
        what: &str,
    ) -> Result<(), ReferenceError> {
        if values.len() != self.dim {
            return Err(ReferenceError::Invalid(format!(
                "embedding of {what} has {} values, expected {} (the first vector's length); all \
                 vectors of one model and layer must have the same dimension",
                values.len(),
                self.dim
            )));
        }
        if row >= self.rows {
            return Err(ReferenceError::Invalid(format!(
                "internal: row {row} out of range ({} rows) for {what}",
                self.rows
            )));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(ReferenceError::Invalid(format!(
                "embedding of {what} has a non-finite value ({}) at position {i}",
                values[i]
            )));
        }
        self.buf.clear();
        match self.precision {
            Precision::F32 => {
                for v in values {
                    self.buf.extend_from_slice(&v.to_le_bytes());
                }
            }
            Precision::F16 => {
                for v in values {
                    self.buf
                        .extend_from_slice(&half::f16::from_f32(*v).to_le_bytes());
                }
            }
        }
        let offset = row as u64 * self.dim as u64 * self.precision.bytes();
        self.file
            .write_all_at(&self.buf, offset)
            .map_err(|e| ReferenceError::io("writing", &self.path, e))?;
        if !self.filled[row] {
            self.filled[row] = true;
            self.n_filled += 1;
        }
        Ok(())
    }

    /// Rows not yet written.
    pub(crate) fn missing_rows(&self) -> Vec<usize> {
        self.filled
            .iter()
            .enumerate()
            .filter(|(_, f)| !**f)
            .map(|(i, _)| i)
            .collect()
    }

    /// Flush to disk and return the xxh3-64 of the file (hex). Errors if a row is missing.
    pub(crate) fn finish(self) -> Result<String, ReferenceError> {
        if self.n_filled != self.rows {
            return Err(ReferenceError::Invalid(format!(
                "internal: matrix {} has {} of {} rows",
                self.path.display(),
                self.n_filled,
                self.rows
            )));
        }
        self.file
            .sync_all()
            .map_err(|e| ReferenceError::io("writing", &self.path, e))?;
        drop(self.file);
        hash_file_xxh3(&self.path)
    }
}

/// xxh3-64 of a file as 16 lower-case hex digits.
pub fn hash_file_xxh3(path: &Path) -> Result<String, ReferenceError> {
    let mut h = Xxh3::new();
    crate::fetch::read_chunks(path, 1 << 20, |chunk| h.update(chunk))?;
    Ok(format!("{:016x}", h.digest()))
}

/// An embedding matrix of the reference: `rows x dim` f32, row i = sequence row i.
///
/// f32 files are memory-mapped (no copy); f16 files are converted to an owned f32 buffer when
/// loaded (2x the file's size in memory), because the search kernels work on f32.
pub struct EmbeddingMatrix {
    data: Data,
    rows: usize,
    dim: usize,
    entry: MatrixEntry,
}

enum Data {
    Mapped(Mmap),
    Owned(Vec<f32>),
}

impl std::fmt::Debug for EmbeddingMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingMatrix")
            .field("model", &self.entry.model)
            .field("layer", &self.entry.layer)
            .field("rows", &self.rows)
            .field("dim", &self.dim)
            .field("mapped", &matches!(self.data, Data::Mapped(_)))
            .finish()
    }
}

impl EmbeddingMatrix {
    /// Open the matrix file of `entry` inside `dir`, checking size and (optionally) hash.
    pub(crate) fn load(
        dir: &Path,
        entry: &MatrixEntry,
        verify: bool,
    ) -> Result<Self, ReferenceError> {
        let path = dir.join(&entry.file);
        let precision = Precision::parse(&entry.dtype).ok_or_else(|| ReferenceError::Manifest {
            path: dir.join(crate::manifest::MANIFEST_FILE),
            message: format!("matrix {} has unknown dtype {:?}", entry.file, entry.dtype),
        })?;
        let file = File::open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ReferenceError::MissingTable {
                    dir: dir.to_path_buf(),
                    file: entry.file.clone(),
                }
            } else {
                ReferenceError::io("opening", &path, e)
            }
        })?;
        let actual = file
            .metadata()
            .map_err(|e| ReferenceError::io("reading", &path, e))?
            .len();
        let expected = entry
            .rows
            .checked_mul(entry.dim)
            .and_then(|n| n.checked_mul(precision.bytes()));
        if expected != Some(actual) {
            return Err(ReferenceError::MatrixSize {
                file: path,
                rows: entry.rows,
                dim: entry.dim,
                bytes_per_value: precision.bytes(),
                expected: expected.unwrap_or(u64::MAX),
                actual,
                hint: REBUILD_HINT,
            });
        }
        let rows = entry.rows as usize;
        let dim = entry.dim as usize;
        if actual == 0 {
            // mmap of an empty file fails on some systems; nothing to map anyway.
            return Ok(EmbeddingMatrix {
                data: Data::Owned(Vec::new()),
                rows,
                dim,
                entry: entry.clone(),
            });
        }
        // SAFETY: the file is opened read-only and the reference folder is immutable once
        // built (rebuilds write a new folder and rename it into place), so the mapping is not
        // modified underneath us by homolog itself.
        let map =
            unsafe { Mmap::map(&file) }.map_err(|e| ReferenceError::io("mapping", &path, e))?;
        if verify {
            let got = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&map));
            if got != entry.xxh3 {
                return Err(ReferenceError::CorruptMatrix {
                    file: path,
                    expected: entry.xxh3.clone(),
                    actual: got,
                    hint: REBUILD_HINT,
                });
            }
        }
        let data = match precision {
            Precision::F32 => {
                if cfg!(target_endian = "little")
                    && bytemuck::try_cast_slice::<u8, f32>(&map).is_ok()
                {
                    Data::Mapped(map)
                } else {
                    Data::Owned(
                        map.chunks_exact(4)
                            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                            .collect(),
                    )
                }
            }
            Precision::F16 => Data::Owned(
                map.chunks_exact(2)
                    .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect(),
            ),
        };
        Ok(EmbeddingMatrix {
            data,
            rows,
            dim,
            entry: entry.clone(),
        })
    }

    /// All values, row-major (`rows * dim`).
    pub fn as_slice(&self) -> &[f32] {
        match &self.data {
            // Checked castable at load.
            Data::Mapped(m) => bytemuck::cast_slice(&m[..]),
            Data::Owned(v) => v,
        }
    }

    /// Row `i` (panics if `i >= rows()`, like slice indexing).
    pub fn row(&self, i: usize) -> &[f32] {
        &self.as_slice()[i * self.dim..(i + 1) * self.dim]
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Whether the data is memory-mapped (f32) rather than an owned copy (f16).
    pub fn is_mapped(&self) -> bool {
        matches!(self.data, Data::Mapped(_))
    }

    /// The manifest entry (model, backend, embedding type id, layer, dtype, file, hash).
    pub fn entry(&self) -> &MatrixEntry {
        &self.entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(file: &str, rows: u64, dim: u64, dtype: &str, xxh3: String) -> MatrixEntry {
        MatrixEntry {
            model: "m".into(),
            backend: "kmer".into(),
            embedding_type_id: 100,
            layer: 0,
            dtype: dtype.into(),
            rows,
            dim,
            file: file.into(),
            xxh3,
        }
    }

    #[test]
    fn write_out_of_order_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        for (precision, name) in [(Precision::F32, "a.f32"), (Precision::F16, "a.f16")] {
            let p = dir.path().join(name);
            let mut w = MatrixWriter::create(&p, 3, 2, precision).unwrap();
            w.write_row(2, &[5.0, 6.0], "r2").unwrap();
            w.write_row(0, &[1.0, -2.0], "r0").unwrap();
            assert_eq!(w.missing_rows(), vec![1]);
            assert!(w.write_row(1, &[1.0], "bad").is_err());
            assert!(w.write_row(1, &[f32::NAN, 0.0], "nan").is_err());
            w.write_row(1, &[0.5, 0.25], "r1").unwrap();
            let h = w.finish().unwrap();
            let m =
                EmbeddingMatrix::load(dir.path(), &entry(name, 3, 2, precision.as_str(), h), true)
                    .unwrap();
            assert_eq!(m.as_slice(), &[1.0, -2.0, 0.5, 0.25, 5.0, 6.0]);
            assert_eq!(m.row(2), &[5.0, 6.0]);
            assert_eq!(m.is_mapped(), precision == Precision::F32);
            assert_eq!(std::fs::metadata(&p).unwrap().len(), 6 * precision.bytes());
        }
    }

    #[test]
    fn unfinished_matrix_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = MatrixWriter::create(&dir.path().join("x.f32"), 2, 1, Precision::F32).unwrap();
        w.write_row(0, &[1.0], "r0").unwrap();
        assert!(w.finish().is_err());
    }
}
