//! FANTASIA's `embeddings.h5` layout, and UniProt-style per-protein HDF5 files.
//!
//! Layout (as FANTASIA's `SequenceEmbedder.store_entry` writes it with h5py):
//!
//! ```text
//! /accession_<key>/                 group; <key> = record id with `|` -> `_`
//!     sequence                      scalar variable-length ASCII string (h5py's `bytes`)
//!     type_<embedding_type_id>/
//!         layer_<k>/                group with attribute `shape` = [D] (1-D int64)
//!             embedding             1-D float32 dataset of length D
//! ```
//!
//! Writes are idempotent: an existing `embedding` dataset or `sequence` is never overwritten,
//! so a re-run resumes where a killed run stopped.
//!
//! Crash safety: a new file is created under a temporary name and renamed into place, so the
//! path never holds a half-created file. Afterwards the file is written in place (HDF5 has no
//! append-by-rename); callers [`FantasiaWriter::flush`] after each batch. New objects are
//! written past the last flushed end of file, so a process killed between flushes leaves the
//! state of the last flush readable (plus unused trailing bytes), which a re-run completes.
//! Files are created with the default (oldest) format, which h5py and HDF5 1.8+ read and which
//! carries no "open for writing" flag that would block reopening after a kill.

use std::path::{Path, PathBuf};

use hdf5::types::{TypeDescriptor, VarLenAscii, VarLenUnicode};
use hdf5::{Dataset, File, Group};
use hdf5_metno as hdf5;

use crate::error::EmbedError;

const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// FANTASIA's key for a record id: `|` becomes `_` (idempotent, so a ready key passes through).
pub fn accession_key(id: &str) -> String {
    homolog_seq::accession_key(id)
}

/// The link names of `group` in increasing name order, however the group is stored: HDF5's native
/// order is name order for the symbol-table groups that HDF5 1.x writes by default but creation
/// order for the compact groups of HDF5 2.x (the statically linked build), and readers promise
/// name order.
fn names_in_order(group: &Group) -> hdf5::Result<Vec<String>> {
    group.member_names_by(hdf5::IndexType::Name, hdf5::IterationOrder::Increasing)
}

fn h5err(path: &Path, action: impl Into<String>) -> impl FnOnce(hdf5::Error) -> EmbedError + '_ {
    let action = action.into();
    move |source| EmbedError::Hdf5 {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Whether the file carries the HDF5 signature (at 0 or a power-of-two user-block offset).
fn has_hdf5_signature(path: &Path) -> Result<bool, EmbedError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |source| EmbedError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let mut offset = 0u64;
    let mut buf = [0u8; 8];
    while offset + 8 <= len {
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        f.read_exact(&mut buf).map_err(io)?;
        if &buf == HDF5_SIGNATURE {
            return Ok(true);
        }
        offset = if offset == 0 { 512 } else { offset * 2 };
    }
    Ok(false)
}

/// Opens an existing HDF5 file, telling "missing", "not HDF5" and "damaged" apart.
fn open_existing(path: &Path, write: bool) -> Result<File, EmbedError> {
    if let Err(source) = std::fs::metadata(path) {
        return Err(EmbedError::Io {
            path: path.to_path_buf(),
            source,
        });
    }
    let opened = if write {
        File::append(path)
    } else {
        File::open(path)
    };
    opened.inspect(close_on_exec).map_err(|source| match has_hdf5_signature(path) {
        Ok(false) => EmbedError::NotHdf5 {
            path: path.to_path_buf(),
            reason: "no HDF5 signature; is this really an .h5 file?".to_string(),
        },
        // An HDF5 file the library refuses: open elsewhere in this process, or damaged.
        Ok(true) => EmbedError::Hdf5 {
            path: path.to_path_buf(),
            action: format!(
                "opening for {} (close other handles to it first; if it is damaged, move it aside and re-run)",
                if write { "appending" } else { "reading" }
            ),
            source,
        },
        Err(io) => io,
    })
}

/// Marks the descriptor behind an open HDF5 file close-on-exec.
///
/// HDF5 opens files without `O_CLOEXEC` and locks them with `flock`, so a process spawned while
/// one is open (mmseqs, a peer tool) inherits the descriptor and with it the lock: the file could
/// not be opened again until that child exits. Best effort: a driver without a plain descriptor
/// is left as it is.
#[cfg(unix)]
fn close_on_exec(file: &File) {
    use hdf5_metno_sys::{h5f::H5Fget_vfd_handle, h5p::H5P_DEFAULT};
    let mut handle: *mut std::ffi::c_void = std::ptr::null_mut();
    // SAFETY: `file` is an open file id; with the default (sec2) driver HDF5 stores a pointer to
    // the file's `int` descriptor in `handle`, valid while the file is open. HDF5 calls go
    // through hdf5-metno's global lock, as the crate's own calls do.
    let status =
        hdf5::sync::sync(|| unsafe { H5Fget_vfd_handle(file.id(), H5P_DEFAULT, &mut handle) });
    if status < 0 || handle.is_null() {
        return;
    }
    // SAFETY: see above; fcntl on a descriptor this process owns.
    unsafe {
        let fd = *(handle as *const libc::c_int);
        let flags = libc::fcntl(fd, libc::F_GETFD);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
        }
    }
}

#[cfg(not(unix))]
fn close_on_exec(_file: &File) {}

/// Appends embeddings to a FANTASIA-layout `embeddings.h5`.
#[derive(Debug)]
pub struct FantasiaWriter {
    file: File,
    path: PathBuf,
}

impl FantasiaWriter {
    /// Opens `path` for appending, creating it (atomically) if it does not exist.
    /// An existing file that is not HDF5 is an error, never overwritten.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, EmbedError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            create_atomically(&path)?;
        }
        let file = open_existing(&path, true)?;
        Ok(Self { file, path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn layer_group_path(accession: &str, type_id: u32, layer: usize) -> String {
        format!(
            "accession_{}/type_{type_id}/layer_{layer}",
            accession_key(accession)
        )
    }

    /// Whether the embedding of `accession` at (`type_id`, `layer`) is already stored.
    pub fn contains(&self, accession: &str, type_id: u32, layer: usize) -> bool {
        let key = accession_key(accession);
        let steps = [
            format!("accession_{key}"),
            format!("type_{type_id}"),
            format!("layer_{layer}"),
        ];
        let mut g: Group = match self.file.as_group() {
            Ok(g) => g,
            Err(_) => return false,
        };
        for s in &steps {
            if !g.link_exists(s) {
                return false;
            }
            g = match g.group(s) {
                Ok(next) => next,
                Err(_) => return false,
            };
        }
        g.link_exists("embedding")
    }

    /// Whether every one of `layers` is stored for `accession` (a re-run skips such records).
    pub fn contains_all(&self, accession: &str, type_id: u32, layers: &[usize]) -> bool {
        layers.iter().all(|&l| self.contains(accession, type_id, l))
    }

    /// Stores one embedding (and the accession's sequence if not yet stored).
    ///
    /// Returns `Ok(false)` when the embedding already existed (nothing is overwritten).
    /// `accession` may be a raw id (`sp|P12345|NAME`) or a ready key; `/` is rejected because it
    /// would nest groups.
    pub fn write(
        &mut self,
        accession: &str,
        sequence: &str,
        type_id: u32,
        layer: usize,
        vector: &[f32],
    ) -> Result<bool, EmbedError> {
        let key = accession_key(accession);
        if key.is_empty() || key.contains('/') || key == "." {
            return Err(EmbedError::Layout {
                path: self.path.clone(),
                object: format!("accession_{key}"),
                reason: format!(
                    "accession id {accession:?} cannot be an HDF5 group name (empty, '.' or contains '/'); rename the record"
                ),
            });
        }
        let path = self.path.clone();
        let root = self
            .file
            .as_group()
            .map_err(h5err(&path, "opening the root group"))?;
        let acc_name = format!("accession_{key}");
        let acc = require_group(&root, &acc_name, &path)?;
        if !acc.link_exists("sequence") {
            write_string(&acc, "sequence", sequence)
                .map_err(h5err(&path, format!("writing /{acc_name}/sequence")))?;
        }
        let ty = require_group(&acc, &format!("type_{type_id}"), &path)?;
        let lg = require_group(&ty, &format!("layer_{layer}"), &path)?;
        let object = format!("/{}", Self::layer_group_path(accession, type_id, layer));
        if lg.link_exists("embedding") {
            // Repair a layer group whose attribute was never written.
            if !lg
                .attr_names()
                .map(|n| n.iter().any(|a| a == "shape"))
                .unwrap_or(true)
            {
                let d = lg
                    .dataset("embedding")
                    .map_err(h5err(&path, format!("opening {object}/embedding")))?;
                write_shape(&lg, d.size())
                    .map_err(h5err(&path, format!("writing {object}@shape")))?;
            }
            return Ok(false);
        }
        lg.new_dataset_builder()
            .with_data(vector)
            .create("embedding")
            .map_err(h5err(&path, format!("writing {object}/embedding")))?;
        write_shape(&lg, vector.len()).map_err(h5err(&path, format!("writing {object}@shape")))?;
        Ok(true)
    }

    /// Pushes everything written so far to disk; call after each batch.
    pub fn flush(&self) -> Result<(), EmbedError> {
        self.file.flush().map_err(h5err(&self.path, "flushing"))
    }

    /// Flushes and closes the file.
    pub fn close(self) -> Result<(), EmbedError> {
        self.flush()?;
        let path = self.path.clone();
        self.file.close().map_err(h5err(&path, "closing"))
    }
}

/// Creates an empty HDF5 file at `path` via a temporary file in the same folder + rename.
fn create_atomically(path: &Path) -> Result<(), EmbedError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let f = File::create(&tmp).map_err(h5err(&tmp, "creating"))?;
    close_on_exec(&f);
    f.close().map_err(h5err(&tmp, "closing"))?;
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        EmbedError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

fn require_group(parent: &Group, name: &str, path: &Path) -> Result<Group, EmbedError> {
    if parent.link_exists(name) {
        parent.group(name).map_err(h5err(
            path,
            format!("opening group {}/{name}", parent.name()),
        ))
    } else {
        parent.create_group(name).map_err(h5err(
            path,
            format!("creating group {}/{name}", parent.name()),
        ))
    }
}

/// A scalar variable-length string, ASCII when possible (as h5py writes `bytes`).
fn write_string(g: &Group, name: &str, value: &str) -> hdf5::Result<()> {
    match VarLenAscii::from_ascii(value) {
        Ok(v) => g
            .new_dataset::<VarLenAscii>()
            .shape(())
            .create(name)?
            .write_scalar(&v),
        Err(_) => {
            let v: VarLenUnicode = value
                .parse()
                .map_err(|e| hdf5::Error::Internal(format!("{e}")))?;
            g.new_dataset::<VarLenUnicode>()
                .shape(())
                .create(name)?
                .write_scalar(&v)
        }
    }
}

/// The `shape` attribute as h5py writes a tuple of ints: 1-D int64 `[D]`.
fn write_shape(g: &Group, d: usize) -> hdf5::Result<()> {
    g.new_attr_builder()
        .with_data(&[d as i64][..])
        .create("shape")?;
    Ok(())
}

/// Longest fixed-length string read (longer than any known protein, titin is ~35k).
const MAX_FIXED: usize = 1 << 17;

/// Reads a scalar (or 1-element) string dataset in any of the encodings h5py produces.
fn read_string(d: &Dataset) -> hdf5::Result<String> {
    let td = d.dtype()?.to_descriptor()?;
    match td {
        TypeDescriptor::VarLenAscii => Ok(read_one::<VarLenAscii>(d)?.as_str().to_string()),
        TypeDescriptor::VarLenUnicode => Ok(read_one::<VarLenUnicode>(d)?.as_str().to_string()),
        // Fixed-length strings (older h5py): read through a generous fixed buffer; HDF5
        // converts between string lengths.
        TypeDescriptor::FixedAscii(_) => {
            let s: Box<hdf5::types::FixedAscii<MAX_FIXED>> = Box::new(read_one(d)?);
            Ok(s.as_str().trim_end_matches('\0').to_string())
        }
        TypeDescriptor::FixedUnicode(_) => {
            let s: Box<hdf5::types::FixedUnicode<MAX_FIXED>> = Box::new(read_one(d)?);
            Ok(s.as_str().trim_end_matches('\0').to_string())
        }
        other => Err(hdf5::Error::Internal(format!(
            "expected a string, found {other}"
        ))),
    }
}

fn read_one<T: hdf5::H5Type>(d: &Dataset) -> hdf5::Result<T> {
    if d.is_scalar() {
        d.read_scalar::<T>()
    } else {
        let mut v = d.read_raw::<T>()?;
        if v.len() != 1 {
            return Err(hdf5::Error::Internal(format!(
                "expected one string, found {} elements",
                v.len()
            )));
        }
        Ok(v.remove(0))
    }
}

/// Reads a 1-D floating-point dataset as f32 (f16/f64 are converted by HDF5).
fn read_vector(d: &Dataset) -> Result<Vec<f32>, String> {
    // Types without a Rust descriptor (half floats) are left to HDF5's own conversion.
    if let Ok(td) = d.dtype().and_then(|t| t.to_descriptor()) {
        if !matches!(td, TypeDescriptor::Float(_)) {
            return Err(format!("expected a float dataset, found {td}"));
        }
    }
    let shape = d.shape();
    if shape.len() != 1 {
        return Err(format!("expected a 1-D dataset, found shape {shape:?}"));
    }
    d.read_raw::<f32>().map_err(|e| e.to_string())
}

/// All embeddings of one accession in a FANTASIA file.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryEmbeddings {
    /// The accession key (group name without `accession_`).
    pub accession: String,
    /// The stored sequence.
    pub sequence: String,
    /// `(type_id, layer, vector)`, sorted by type id then layer.
    pub vectors: Vec<(u32, usize, Vec<f32>)>,
}

impl QueryEmbeddings {
    /// The vector at (`type_id`, `layer`), if stored.
    pub fn vector(&self, type_id: u32, layer: usize) -> Option<&[f32]> {
        self.vectors
            .iter()
            .find(|(t, l, _)| *t == type_id && *l == layer)
            .map(|(_, _, v)| v.as_slice())
    }
}

/// Reads a FANTASIA-layout `embeddings.h5`.
#[derive(Debug)]
pub struct FantasiaReader {
    file: File,
    path: PathBuf,
    accessions: Vec<String>,
}

impl FantasiaReader {
    /// Opens the file and lists its accessions (root members named `accession_*`, in HDF5's
    /// name order; other root members are ignored with a warning).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, EmbedError> {
        let path = path.as_ref().to_path_buf();
        let file = open_existing(&path, false)?;
        let names = names_in_order(&file).map_err(h5err(&path, "listing the root group"))?;
        let mut accessions = Vec::with_capacity(names.len());
        for n in names {
            match n.strip_prefix("accession_") {
                Some(key) => accessions.push(key.to_string()),
                None => tracing::warn!(
                    "{}: ignoring root member {n:?} (not accession_<id>)",
                    path.display()
                ),
            }
        }
        Ok(Self {
            file,
            path,
            accessions,
        })
    }

    /// Number of accessions.
    pub fn len(&self) -> usize {
        self.accessions.len()
    }

    /// Whether the file holds no accession.
    pub fn is_empty(&self) -> bool {
        self.accessions.is_empty()
    }

    /// Accession keys, in file order.
    pub fn accessions(&self) -> &[String] {
        &self.accessions
    }

    /// Reads one accession (key or raw id).
    pub fn get(&self, accession: &str) -> Result<QueryEmbeddings, EmbedError> {
        let key = accession_key(accession);
        let gname = format!("accession_{key}");
        let path = &self.path;
        let layout = |object: String, reason: String| EmbedError::Layout {
            path: path.clone(),
            object,
            reason,
        };
        let acc = self
            .file
            .group(&gname)
            .map_err(h5err(path, format!("opening /{gname}")))?;
        if !acc.link_exists("sequence") {
            return Err(EmbedError::MissingSequence {
                path: path.clone(),
                accession: key,
            });
        }
        let sequence = acc
            .dataset("sequence")
            .and_then(|d| read_string(&d))
            .map_err(|e| layout(format!("/{gname}/sequence"), e.to_string()))?;
        let mut vectors = Vec::new();
        for tname in names_in_order(&acc).map_err(h5err(path, format!("listing /{gname}")))? {
            if tname == "sequence" {
                continue;
            }
            let tpath = format!("/{gname}/{tname}");
            let type_id: u32 = tname
                .strip_prefix("type_")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| layout(tpath.clone(), "expected a group named type_<id>".into()))?;
            let tg = acc
                .group(&tname)
                .map_err(h5err(path, format!("opening {tpath}")))?;
            for lname in names_in_order(&tg).map_err(h5err(path, format!("listing {tpath}")))? {
                let lpath = format!("{tpath}/{lname}");
                let layer: usize = lname
                    .strip_prefix("layer_")
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| {
                        layout(lpath.clone(), "expected a group named layer_<k>".into())
                    })?;
                let d = tg
                    .group(&lname)
                    .and_then(|lg| lg.dataset("embedding"))
                    .map_err(|e| {
                        layout(
                            format!("{lpath}/embedding"),
                            format!("missing or unreadable embedding dataset ({e}); re-run the embedding stage to complete it"),
                        )
                    })?;
                let v = read_vector(&d).map_err(|r| layout(format!("{lpath}/embedding"), r))?;
                vectors.push((type_id, layer, v));
            }
        }
        vectors.sort_by_key(|(t, l, _)| (*t, *l));
        Ok(QueryEmbeddings {
            accession: key,
            sequence,
            vectors,
        })
    }

    /// Iterates all accessions in file order.
    pub fn iter(&self) -> impl Iterator<Item = Result<QueryEmbeddings, EmbedError>> + '_ {
        self.accessions.iter().map(|a| self.get(a))
    }
}

/// Iterator over a per-protein HDF5 file: `(dataset name, vector)` per root dataset.
#[derive(Debug)]
pub struct PerProteinReader {
    file: File,
    path: PathBuf,
    names: std::vec::IntoIter<String>,
    len: usize,
}

impl PerProteinReader {
    /// Number of datasets.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the file has no dataset.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Iterator for PerProteinReader {
    type Item = Result<(String, Vec<f32>), EmbedError>;

    fn next(&mut self) -> Option<Self::Item> {
        let name = self.names.next()?;
        let path = &self.path;
        Some(
            self.file
                .dataset(&name)
                .map_err(|e| EmbedError::Layout {
                    path: path.clone(),
                    object: format!("/{name}"),
                    reason: format!("expected a 1-D float dataset per protein at the root ({e})"),
                })
                .and_then(|d| {
                    read_vector(&d).map_err(|reason| EmbedError::Layout {
                        path: path.clone(),
                        object: format!("/{name}"),
                        reason,
                    })
                })
                .map(|v| (name, v)),
        )
    }
}

/// Opens a UniProt-style per-protein HDF5 file (one 1-D dataset per protein at the root, keyed
/// by accession or by sequence md5) and iterates `(key, vector)` in HDF5 name order.
pub fn read_per_protein(path: impl AsRef<Path>) -> Result<PerProteinReader, EmbedError> {
    let path = path.as_ref().to_path_buf();
    let file = open_existing(&path, false)?;
    let names = names_in_order(&file).map_err(h5err(&path, "listing the root group"))?;
    Ok(PerProteinReader {
        len: names.len(),
        names: names.into_iter(),
        file,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            accession_key("sp|P12345|NAME_HUMAN"),
            "sp_P12345_NAME_HUMAN"
        );
        assert_eq!(accession_key("sp_P12345"), "sp_P12345");
    }

    #[test]
    fn write_read_round_trip_and_idempotence() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("embeddings.h5");
        let mut w = FantasiaWriter::open(&p).unwrap();
        assert!(!w.contains("sp|P1|A", 1, 0));
        assert!(w.write("sp|P1|A", "MKV", 1, 0, &[1.0, 2.0, 3.0]).unwrap());
        assert!(w.write("sp|P1|A", "MKV", 1, 2, &[4.0, 5.0, 6.0]).unwrap());
        assert!(w.write("sp|P1|A", "MKV", 100, 0, &[7.0]).unwrap());
        assert!(w.write("Q2", "ACDE", 1, 0, &[0.5, 0.25, 0.125]).unwrap());
        assert!(w.contains("sp|P1|A", 1, 0));
        assert!(w.contains("sp_P1_A", 1, 2));
        assert!(!w.contains("sp|P1|A", 1, 1));
        assert!(w.contains_all("sp|P1|A", 1, &[0, 2]));
        // Existing data is never overwritten.
        assert!(!w.write("sp|P1|A", "XXX", 1, 0, &[9.0, 9.0, 9.0]).unwrap());
        w.close().unwrap();

        // Reopen for append and add one more.
        let mut w = FantasiaWriter::open(&p).unwrap();
        assert!(w.contains("Q2", 1, 0));
        assert!(w.write("Q3", "W", 3, 0, &[1.0]).unwrap());
        w.close().unwrap();

        let r = FantasiaReader::open(&p).unwrap();
        assert_eq!(r.accessions(), &["Q2", "Q3", "sp_P1_A"]);
        let all: Vec<_> = r.iter().collect::<Result<_, _>>().unwrap();
        let a = &all[2];
        assert_eq!(a.accession, "sp_P1_A");
        assert_eq!(a.sequence, "MKV");
        assert_eq!(
            a.vectors,
            vec![
                (1, 0, vec![1.0, 2.0, 3.0]),
                (1, 2, vec![4.0, 5.0, 6.0]),
                (100, 0, vec![7.0])
            ]
        );
        assert_eq!(a.vector(1, 2), Some(&[4.0f32, 5.0, 6.0][..]));
        assert_eq!(all[1].sequence, "W");
        assert_eq!(r.get("sp|P1|A").unwrap(), *a);
    }

    #[test]
    fn rejects_bad_keys_and_non_hdf5_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.h5");
        let mut w = FantasiaWriter::open(&p).unwrap();
        let e = w.write("a/b", "MK", 1, 0, &[1.0]).unwrap_err();
        assert!(e.to_string().contains("'/'"), "{e}");

        let txt = dir.path().join("not.h5");
        std::fs::write(&txt, ">P1\nMKV\n").unwrap();
        let e = FantasiaReader::open(&txt).unwrap_err();
        assert!(matches!(e, EmbedError::NotHdf5 { .. }), "{e}");
        assert!(e.to_string().contains("no HDF5 signature"), "{e}");
        let e = FantasiaWriter::open(&txt).unwrap_err();
        assert!(matches!(e, EmbedError::NotHdf5 { .. }), "{e}");
        // The text file is untouched.
        assert_eq!(std::fs::read_to_string(&txt).unwrap(), ">P1\nMKV\n");

        let e = FantasiaReader::open(dir.path().join("missing.h5")).unwrap_err();
        assert!(matches!(e, EmbedError::Io { .. }), "{e}");
    }

    #[test]
    fn missing_sequence_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.h5");
        {
            let f = File::create(&p).unwrap();
            let g = f.create_group("accession_P1").unwrap();
            let l = g
                .create_group("type_1")
                .unwrap()
                .create_group("layer_0")
                .unwrap();
            l.new_dataset_builder()
                .with_data(&[1.0f32][..])
                .create("embedding")
                .unwrap();
        }
        let r = FantasiaReader::open(&p).unwrap();
        let e = r.get("P1").unwrap_err();
        assert!(matches!(e, EmbedError::MissingSequence { .. }), "{e}");
        assert!(e.to_string().contains("P1"), "{e}");
    }

    #[test]
    fn no_temp_files_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.h5");
        FantasiaWriter::open(&p).unwrap().close().unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["e.h5".to_string()]);
    }
}
