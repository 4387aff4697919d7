//! The one error type of this crate: every variant says what failed, where (the store's URL
//! without password, the schema) and how to fix it.

use homolog_reference::ReferenceError;

/// Everything that can go wrong talking to a PostgreSQL reference store.
#[derive(Debug, thiserror::Error)]
pub enum PgStoreError {
    /// The store URL cannot be used.
    #[error(
        "invalid PostgreSQL store URL {url:?}: {message}; write it as \
         postgres://user[:password]@host[:port]/database[?schema=name]"
    )]
    Url { url: String, message: String },

    /// The server could not be reached or refused the connection.
    #[error(
        "cannot connect to the PostgreSQL store {url}: {source}; check that the server is \
         running and that host, port, user and database in the URL are right"
    )]
    Connect {
        url: String,
        #[source]
        source: postgres::Error,
    },

    /// A statement failed on the server.
    #[error("PostgreSQL store {url}: {what} failed: {source}")]
    Db {
        url: String,
        what: String,
        #[source]
        source: postgres::Error,
    },

    /// The schema holds no homolog store.
    #[error(
        "no homolog reference store in schema `{schema}` of {url}; push one first with \
         `homolog reference push --config <config.yaml> --to <url>`"
    )]
    NoStore { url: String, schema: String },

    /// The schema exists and holds tables that are not a homolog store.
    #[error(
        "schema `{schema}` of {url} holds other tables ({tables}) and no homolog store; choose \
         another schema with `?schema=name` in the URL"
    )]
    NotAStore {
        url: String,
        schema: String,
        tables: String,
    },

    /// The store was written by another version of the schema.
    #[error(
        "the store in schema `{schema}` of {url} has schema version {found}, this homolog \
         reads version {expected}; push the reference again (a full push replaces the store)"
    )]
    SchemaVersion {
        url: String,
        schema: String,
        found: i32,
        expected: i32,
    },

    /// An incremental add that does not fit the store (other models, filter or sequences).
    #[error("cannot add to the store {url}: {message}")]
    Incompatible { url: String, message: String },

    /// The store's rows are inconsistent (edited by hand, or a bug).
    #[error("the store {url} is inconsistent: {message}; push the reference again")]
    Corrupt { url: String, message: String },

    /// Reading or writing the reference folder failed.
    #[error(transparent)]
    Reference(#[from] ReferenceError),

    /// A local file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PgStoreError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<std::path::PathBuf>,
        source: std::io::Error,
    ) -> Self {
        PgStoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
