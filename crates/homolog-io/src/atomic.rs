//! Atomic writes: the content goes to a temporary file in the destination's folder, is flushed
//! and synced, and is renamed over the destination only when everything succeeded. Readers see
//! the old file or the new one, never a part; on failure the temporary file is removed and the
//! destination left as it was.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::Error;

/// A file being written atomically: write to it, then [`commit`](AtomicFile::commit). Dropped
/// without a commit, it removes its temporary file and leaves the destination untouched.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    writer: BufWriter<NamedTempFile>,
}

impl AtomicFile {
    /// Starts writing `path`: creates a temporary file (`.<name>.<random>.tmp`) in its folder,
    /// which must exist.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path.file_name().ok_or_else(|| {
            let e = io::Error::new(io::ErrorKind::InvalidInput, "the path names no file");
            Error::write("writing", path, e)
        })?;
        let name = name.to_string_lossy();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // The mode of a file made by `File::create` (before the umask), not tempfile's 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let tmp = builder
            .tempfile_in(dir)
            .map_err(|e| Error::write("creating a temporary file in", dir, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 16, tmp),
        })
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file the content goes to until the commit: after a
    /// [`flush`](Write::flush) it can be read to check what was written.
    pub fn temporary_path(&self) -> &Path {
        self.writer.get_ref().path()
    }

    /// Flushes, syncs and renames the temporary file over the destination.
    pub fn commit(self) -> Result<(), Error> {
        let path = self.path;
        let tmp = self
            .writer
            .into_inner()
            .map_err(|e| Error::write("writing", &path, e.into_error()))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::write("syncing", &path, e))?;
        tmp.persist(&path)
            .map_err(|e| Error::write("renaming the temporary file to", &path, e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Writes `path` atomically through `write`, and commits only when `write` returns `Ok`.
///
/// `write`'s error type is the caller's (it must take this crate's [`Error`] for the creation
/// and the commit), so a caller maps its own failures (`io::Error` from writes, a CSV or
/// Parquet error) the way it wants.
pub fn with_atomic_writer<T, E>(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut AtomicFile) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<Error>,
{
    let mut file = AtomicFile::create(path)?;
    let value = write(&mut file)?;
    file.commit()?;
    Ok(value)
}

/// Writes `bytes` to `path` atomically (see [`AtomicFile`]).
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), Error> {
    let path = path.as_ref();
    with_atomic_writer(path, |f| {
        f.write_all(bytes)
            .map_err(|e| Error::write("writing", path, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["f.txt"]);
    }

    #[test]
    fn missing_folder_or_file_name_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/dir/x.fa");
        let err = write_atomic(&p, b"x").unwrap_err();
        assert!(matches!(err, Error::Write { .. }), "{err}");
        assert!(err.to_string().contains("no/such/dir"), "{err}");
        let err = write_atomic(Path::new("/"), b"x").unwrap_err();
        assert!(err.to_string().contains("names no file"), "{err}");
    }

    #[test]
    fn failed_write_leaves_no_temp_file_and_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        write_atomic(&p, b"old").unwrap();
        let err = with_atomic_writer(&p, |w| -> Result<(), Error> {
            w.write_all(b"partial").unwrap();
            Err(Error::write("writing", &p, io::Error::other("boom")))
        })
        .unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
        assert!(err.to_string().contains("f.txt"), "{err}");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["f.txt"]);
    }

    #[test]
    fn dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("never.txt");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"x").unwrap();
        assert_eq!(
            names(dir.path()).len(),
            1,
            "the temporary file exists while writing"
        );
        drop(f);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn failed_rename_names_the_destination_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty folder where the file should go: the rename fails.
        let p = dir.path().join("taken");
        fs::create_dir_all(p.join("inside")).unwrap();
        let err = write_atomic(&p, b"x").unwrap_err();
        assert!(matches!(err, Error::Write { .. }), "{err}");
        assert!(err.to_string().contains("taken"), "{err}");
        assert_eq!(names(dir.path()), ["taken"]);
    }

    #[cfg(unix)]
    #[test]
    fn files_get_the_usual_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.txt");
        write_atomic(&p, b"x").unwrap();
        let plain = dir.path().join("plain.txt");
        fs::write(&plain, b"x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), mode(&plain));
    }
}
