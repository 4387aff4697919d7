//! Start-up errors of the distributor (request-time errors are GAME errors).

use std::path::PathBuf;

/// Why the distributor could not start.
#[derive(Debug, thiserror::Error)]
pub enum DistributeError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The config is malformed or invalid.
    #[error("{path}: {message}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A worker failed the start-up health check.
    #[error("predictor {id} at {addr} failed the health check (GET /formats): {reason}; start it first, fix predictor_pool, or set health_check.require_all: false")]
    Unhealthy {
        /// Worker id.
        id: String,
        /// `ip:port`.
        addr: String,
        /// What happened on the last try.
        reason: String,
    },
    /// No worker is left after the health check.
    #[error("no predictor of predictor_pool passed the health check")]
    NoWorkers,
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
    /// Binding or serving failed.
    #[error("cannot serve on {addr}: {source}")]
    Bind {
        /// `host:port`.
        addr: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
