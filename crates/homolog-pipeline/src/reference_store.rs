//! `reference.path` given as a PostgreSQL store URL (`postgres://...`, see homolog-pgstore):
//!
//! - a run pulls the store into the local cache (`<cache>/references/<host_port_db_schema>/
//!   <store id>-r<revision>`, where `<cache>` is homolog's cache folder: `$HOMOLOG_CACHE`, else
//!   `$XDG_CACHE_HOME/homolog`, else `~/.cache/homolog`), reused while the store is unchanged,
//!   and opens that folder like any reference: the matrices are memory-mapped and searched by
//!   homolog's exact search;
//! - `initialize` builds the reference locally, in `<cache>/references/<key>/build`, exactly as
//!   for a folder path, and pushes it in full (skipped when the store already holds exactly
//!   that build).
//!
//! Without the `postgres` feature a store URL is a clear configuration error.

use std::path::{Path, PathBuf};

use homolog_config::Config;

use crate::error::PipelineError;
use crate::initialize::InitReport;
use crate::progress::Progress;

/// Whether `reference.path` is a PostgreSQL store URL rather than a folder.
pub(crate) fn is_store(path: &Path) -> bool {
    let s = path.to_string_lossy();
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// The local reference folder for `reference.path`: the path itself, or for a store URL its
/// cached pull.
pub(crate) fn local_reference(path: &Path) -> Result<PathBuf, PipelineError> {
    if !is_store(path) {
        return Ok(path.to_path_buf());
    }
    imp::cached(&path.to_string_lossy())
}

/// `initialize` for a store URL: build in the cache, then push.
pub(crate) fn initialize(
    config: &Config,
    force: bool,
    progress: &dyn Progress,
) -> Result<InitReport, PipelineError> {
    imp::initialize(config, force, progress)
}

/// `<homolog cache>/references`.
#[cfg(feature = "postgres")]
fn cache_root() -> PathBuf {
    homolog_models::cache::cache_dir().join("references")
}

#[cfg(feature = "postgres")]
mod imp {
    use super::*;

    fn store_err(e: homolog_pgstore::PgStoreError) -> PipelineError {
        PipelineError::Invalid(e.to_string())
    }

    pub(super) fn cached(url: &str) -> Result<PathBuf, PipelineError> {
        Ok(homolog_pgstore::cache(url, &cache_root())
            .map_err(store_err)?
            .dir)
    }

    pub(super) fn initialize(
        config: &Config,
        force: bool,
        progress: &dyn Progress,
    ) -> Result<InitReport, PipelineError> {
        let url = config.reference.path.to_string_lossy().into_owned();
        let location = homolog_pgstore::StoreLocation::parse(&url).map_err(store_err)?;
        let mut local = config.clone();
        local.reference.path = cache_root().join(location.cache_key()).join("build");
        tracing::info!(
            "reference.path is the store {location}: building in {}, then pushing",
            local.reference.path.display()
        );
        let built = crate::initialize::initialize(&local, force, progress)?;
        let pushed = homolog_pgstore::push(
            &local.reference.path,
            &url,
            &homolog_pgstore::PushOptions {
                force,
                ..Default::default()
            },
        )
        .map_err(store_err)?;
        Ok(InitReport {
            path: PathBuf::from(location.to_string()),
            reused: built.reused && pushed.up_to_date,
            manifest: built.manifest,
        })
    }
}

#[cfg(not(feature = "postgres"))]
mod imp {
    use super::*;

    fn unsupported(url: &str) -> PipelineError {
        PipelineError::Invalid(format!(
            "reference.path is a PostgreSQL store ({}), and this homolog was built without \
             PostgreSQL support; build it with the `postgres` feature (on by default), or pull \
             the store into a folder elsewhere and set reference.path to that folder",
            url.split('@').next_back().unwrap_or(url)
        ))
    }

    pub(super) fn cached(url: &str) -> Result<PathBuf, PipelineError> {
        Err(unsupported(url))
    }

    pub(super) fn initialize(
        config: &Config,
        _force: bool,
        _progress: &dyn Progress,
    ) -> Result<InitReport, PipelineError> {
        Err(unsupported(&config.reference.path.to_string_lossy()))
    }
}
