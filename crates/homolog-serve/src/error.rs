//! Start-up errors of the predictor (config, reference table, model). Errors while serving a
//! request are [`homolog_game::GameError`]s instead.

use std::path::PathBuf;

/// Why a predictor could not be built or started.
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
        /// The config file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The reference table is malformed.
    #[error("{path}:{line}: {message}")]
    Table {
        /// The table file.
        path: PathBuf,
        /// 1-based line number (0 = the file as a whole).
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The embedding model could not be built or failed on the reference.
    #[error("embedding model: {0}")]
    Embed(#[from] homolog_embed::EmbedError),
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
