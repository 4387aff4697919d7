//! The one error type of this crate: each variant names the database (password removed) or the
//! table, and says what to do.

/// Everything that can go wrong while importing a PIS database.
#[derive(Debug, thiserror::Error)]
pub enum PisError {
    /// The connection string does not parse.
    #[error(
        "invalid PostgreSQL URL {url}: {message}; write it as \
         postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
    )]
    BadUrl { url: String, message: String },

    /// The server could not be reached or refused the login.
    #[error(
        "cannot connect to PostgreSQL at {url}: {source}; check that the server is running and \
         the host, port, user, password and database name"
    )]
    Connect {
        url: String,
        #[source]
        source: postgres::Error,
    },

    /// The database lacks tables or columns of the PIS schema.
    #[error(
        "{url} is not a PIS database (FANTASIA's reference): {missing}; give the database that \
         FANTASIA's `lookup` reads (restore its dump first)"
    )]
    NotPis { url: String, missing: String },

    /// The embedding column is neither pgvector's `vector` nor `halfvec`.
    #[error(
        "{url}: sequence_embeddings.embedding has type `{found}`; only pgvector's `vector` and \
         `halfvec` can be imported"
    )]
    UnsupportedVectorType { url: String, found: String },

    /// A query failed while reading.
    #[error("reading {what} from {url}: {source}")]
    Query {
        url: String,
        what: String,
        #[source]
        source: postgres::Error,
    },

    /// The database content cannot make a reference (nothing left after filtering, bad vectors).
    #[error("{url}: {message}")]
    Content { url: String, message: String },

    /// Invalid import options.
    #[error("{0}")]
    Options(String),

    /// The ontology could not be read.
    #[error(transparent)]
    Ontology(#[from] homolog_go::GoError),

    /// Writing the reference folder failed.
    #[error(transparent)]
    Reference(#[from] homolog_reference::ReferenceError),
}
