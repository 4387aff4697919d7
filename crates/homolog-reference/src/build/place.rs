//! The target folder: whether it can be reused or replaced, the temporary folder the build
//! writes into, and the final swap.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::ReferenceError;
use crate::manifest::*;

/// The manifest of a complete folder at `out_dir` built from the same inputs (`fingerprint`),
/// to reuse as is. Errors when `out_dir` exists but is neither a reference nor only a download
/// cache, so the build never replaces an unrelated folder.
pub(super) fn reusable_manifest(
    out_dir: &Path,
    cache_dir: &Path,
    fingerprint: &str,
) -> Result<Option<Manifest>, ReferenceError> {
    let manifest_path = out_dir.join(MANIFEST_FILE);
    if manifest_path.is_file() {
        match Manifest::read(&manifest_path) {
            Ok(m) if m.inputs_fingerprint == fingerprint && folder_complete(out_dir, &m) => {
                tracing::info!(
                    "reference at {} is up to date (same inputs); reusing it",
                    out_dir.display()
                );
                return Ok(Some(m));
            }
            Ok(_) => tracing::info!(
                "reference at {} was built from other inputs; rebuilding",
                out_dir.display()
            ),
            Err(e) => tracing::info!(
                "existing reference at {} unusable ({e}); rebuilding",
                out_dir.display()
            ),
        }
    } else if out_dir.exists() && !is_replaceable(out_dir, cache_dir) {
        return Err(ReferenceError::NotAReference {
            path: out_dir.to_path_buf(),
        });
    } else {
        tracing::info!("building reference at {}", out_dir.display());
    }
    Ok(None)
}

/// A hidden temporary folder `.<name>.building-*` next to `out_dir` (removed on any error by
/// `TempDir`'s drop).
pub(crate) fn temp_sibling(out_dir: &Path) -> Result<tempfile::TempDir, ReferenceError> {
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| ReferenceError::io("creating", &parent, e))?;
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "reference".into());
    tempfile::Builder::new()
        .prefix(&format!(".{name}.building-"))
        .tempdir_in(&parent)
        .map_err(|e| ReferenceError::io("creating a temporary folder in", &parent, e))
}

/// Errors when `out_dir` exists and is neither a reference (a folder with a manifest) nor
/// empty apart from the download cache, so a writer never replaces an unrelated folder.
pub(crate) fn check_replaceable(out_dir: &Path, cache_dir: &Path) -> Result<(), ReferenceError> {
    if out_dir.exists()
        && !out_dir.join(MANIFEST_FILE).is_file()
        && !is_replaceable(out_dir, cache_dir)
    {
        return Err(ReferenceError::NotAReference {
            path: out_dir.to_path_buf(),
        });
    }
    Ok(())
}

/// All files the manifest promises exist (sizes and hashes are checked at open).
fn folder_complete(dir: &Path, m: &Manifest) -> bool {
    let mut files = vec![
        PROTEINS_FILE,
        SEQUENCES_FILE,
        ANNOTATIONS_FILE,
        TERMS_FILE,
        ONTOLOGY_FILE,
    ];
    if m.has_taxonomy {
        files.push(TAXONOMY_FILE);
    }
    files.iter().all(|f| dir.join(f).is_file())
        && m.matrices.iter().all(|x| dir.join(&x.file).is_file())
}

/// A target that exists without a manifest may be replaced only if it holds nothing but the
/// download cache (which the default `cache_dir` puts there before the build).
fn is_replaceable(dir: &Path, cache_dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|e| {
        let p = e.path();
        p == cache_dir || e.file_name() == ".downloads"
    })
}

/// Renames the finished build over `out_dir`, keeping the old folder's download cache.
pub(crate) fn swap_into_place(
    tmp: &Path,
    out_dir: &Path,
    cache_dir: &Path,
) -> Result<(), ReferenceError> {
    if !out_dir.exists() {
        return fs::rename(tmp, out_dir)
            .map_err(|e| ReferenceError::io("renaming into", out_dir, e));
    }
    // Move the old folder aside, the new one in, then carry the download cache over.
    let old = out_dir.with_file_name(format!(
        ".{}.old-{}",
        out_dir.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&old);
    fs::rename(out_dir, &old).map_err(|e| ReferenceError::io("moving aside", out_dir, e))?;
    if let Err(e) = fs::rename(tmp, out_dir) {
        let _ = fs::rename(&old, out_dir);
        return Err(ReferenceError::io("renaming into", out_dir, e));
    }
    let old_cache = old.join(".downloads");
    if cache_dir.starts_with(out_dir) && old_cache.is_dir() {
        let new_cache = out_dir.join(".downloads");
        if let Err(e) = fs::rename(&old_cache, &new_cache) {
            tracing::warn!(
                "could not keep the download cache {}: {e}",
                old_cache.display()
            );
        }
    }
    if let Err(e) = fs::remove_dir_all(&old) {
        tracing::warn!(
            "could not remove the previous reference {}: {e}",
            old.display()
        );
    }
    Ok(())
}
