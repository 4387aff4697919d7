//! Start-up errors of the GAME server (config, reference table, model, worker pool, socket).
//! Errors while serving a request are [`homolog_game::GameError`]s instead, which the router
//! answers with GAME's error object and status ([`crate::http::error_response`]).

use std::path::PathBuf;

/// Why a predictor or a distributor could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The YAML config is malformed or has an invalid value.
    #[error("{path}: {message}")]
    Config {
        /// The config file (`<config>` for a config built in code).
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The predictor's reference table is malformed.
    #[cfg(feature = "predictor")]
    #[error("{path}:{line}: {message}")]
    Table {
        /// The table file.
        path: PathBuf,
        /// 1-based line number (0 = the file as a whole).
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The predictor's embedding model could not be built or failed on the reference.
    #[cfg(feature = "predictor")]
    #[error("embedding model: {0}")]
    Embed(#[from] homolog_embed::EmbedError),
    /// A distributor's worker failed the start-up health check.
    #[cfg(feature = "distributor")]
    #[error("predictor {id} at {addr} failed the health check (GET /formats): {reason}; start it first, fix predictor_pool, or set health_check.require_all: false")]
    Unhealthy {
        /// Worker id.
        id: String,
        /// `ip:port`.
        addr: String,
        /// What happened on the last try.
        reason: String,
    },
    /// No worker of the distributor's pool is left after the health check.
    #[cfg(feature = "distributor")]
    #[error("no predictor of predictor_pool passed the health check")]
    NoWorkers,
    /// The distributor's HTTP client could not be built.
    #[cfg(feature = "distributor")]
    #[error("HTTP client: {0}")]
    Client(String),
    /// Binding or serving the socket failed.
    #[error("cannot serve on {addr}: {source}")]
    Bind {
        /// `host:port`.
        addr: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl ServeError {
    /// A [`ServeError::Config`] about `path`.
    pub fn config(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        ServeError::Config {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Reads a YAML config file into `T`: [`ServeError::Io`] when it cannot be read,
/// [`ServeError::Config`] naming the file, with `hint` after the parser's message, when it does
/// not parse.
#[cfg(any(feature = "predictor", feature = "distributor"))]
pub(crate) fn read_yaml<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    hint: &str,
) -> Result<T, ServeError> {
    let text = std::fs::read_to_string(path).map_err(|source| ServeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_yaml::from_str(&text).map_err(|e| ServeError::config(path, format!("{e} ({hint})")))
}
