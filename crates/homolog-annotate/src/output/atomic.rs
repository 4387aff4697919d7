//! Atomic file writes: a crash never leaves a half-written file that a later stage would read
//! as complete.

use std::io::{self, Write};
use std::path::Path;

use crate::error::AnnotateError;

/// Writes a file atomically ([`homolog_io::with_atomic_writer`]): temp file in the same
/// directory, flush, sync, rename over `path`. Parent directories are created.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), AnnotateError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| AnnotateError::io("creating directory", dir, e))?;
    }
    homolog_io::with_atomic_writer(path, |w| {
        write(w).map_err(|e| AnnotateError::io("writing", path, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::read;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/f.txt");
        write_atomic(&p, |w| w.write_all(b"one")).unwrap();
        write_atomic(&p, |w| w.write_all(b"two")).unwrap();
        // A failing writer leaves the old content in place.
        let err = write_atomic(&p, |_| Err(io::Error::other("boom"))).unwrap_err();
        assert!(err.to_string().contains("boom"));
        assert_eq!(read(&p), "two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f.txt")]);
    }
}
