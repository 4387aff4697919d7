//! The optional PostgreSQL reference store: the content of a reference folder (see
//! `homolog-reference`) kept in PostgreSQL, as FANTASIA keeps its reference, and brought back
//! as a folder for runs.
//!
//! - [`push`] a reference folder into a store (`homolog reference push`): in full, replacing
//!   the store, or with [`PushOptions::add`] only the proteins, sequences, annotations, terms,
//!   taxa and embedding rows the store does not hold yet.
//! - [`pull`] a store into a folder (`homolog reference pull`): a folder pushed in full comes
//!   back byte-identical (every file, the manifest included).
//! - [`cache`] pulls into a local folder keyed by the store's identity and revision, reused
//!   while the store is unchanged: a run (`reference.path: postgres://...`) opens it with
//!   `Reference::open` and searches the memory-mapped matrix with homolog's exact search, which
//!   is far faster than a scan inside the database ([`db_top_k`], kept for comparison; the
//!   numbers are in `docs/postgres.md`).
//!
//! # Address
//!
//! `postgres://user[:password]@host[:port]/database[?schema=name]` ([`StoreLocation`]); the
//! store lives in its own PostgreSQL schema, [`DEFAULT_SCHEMA`] (`homolog`) unless `schema=`
//! says otherwise, so several stores can share a database. Other query parameters go to the
//! client (`connect_timeout=`, ...). No TLS: use it on loopback or a trusted network.
//!
//! # Tables (schema version [`SCHEMA_VERSION`])
//!
//! | table | columns | notes |
//! |---|---|---|
//! | `store` | `schema_version, store_id, revision, embedding_storage, ontology, updated` | one row; `store_id` is random per full push, `revision` 1 after it and +1 per add; `ontology` is `ontology.obo` verbatim |
//! | `push_log` | `revision, kind ('full'/'add'), pushed, manifest` | the pushed folders' `manifest.json`, verbatim |
//! | `sequence` | `id, sequence, md5 unique` | unique sequences; `id` = matrix row |
//! | `protein` | `id, accession unique, sequence_id, taxonomy_id, organism, gene_name` | `id` = row of `proteins.parquet` |
//! | `go_term` | `go_id, position, name, aspect` | terms used by the annotations |
//! | `annotation` | `id, protein_id, go_id, aspect, evidence` | evidence per annotation |
//! | `taxon` | `taxid, position, parent, rank, name` | taxdump nodes (roots are their own parent) |
//! | `embedding_matrix` | `id, model, layer, backend, embedding_type_id, dtype, dim` | one per (model, layer) |
//! | `embedding` | `matrix_id, sequence_id, value real[]` (or `vec vector` / `hvec halfvec`) | one vector per (matrix, sequence) |
//!
//! Embeddings are `real[]` in plain PostgreSQL (exact for f32 and for f16 matrices, whose
//! values are exactly representable), or with the pgvector extension (0.7 or later, detected
//! or created at a full push, [`StorageChoice`]) `vector` for f32 and `halfvec` for f16
//! matrices. Bulk loads use binary `COPY`.
//!
//! # Incremental add
//!
//! `push` with `add` takes a folder built with the same ontology file, evidence filter and
//! matrices (models, layers, precision, dimensions) as the store, and appends, in the folder's
//! order: sequences whose md5 is new (next ids, so next matrix rows), proteins whose accession
//! is new, annotations whose (protein, GO id, evidence) is new (an existing protein can gain
//! annotations), GO terms and taxa that are new, and for every matrix the vectors of the new
//! sequences. Nothing stored is changed; an accession whose sequence differs is refused (push
//! in full to replace). A folder built from the union of the inputs, in the same order, pulls
//! back to the same tables and matrices as the store grown by adds.
//!
//! The manifest a pull writes is computed like any folder's for counts and matrices; its other
//! fields come from the push log: for a single full push the pushed manifest's; after adds the
//! version and time of the last pushed folder, the sources of all pushed folders (each once),
//! the union of the unfiltered sources, the field-wise sum of the `dropped` counters, and as
//! `inputs_fingerprint` the SHA-256 of the pushed fingerprints, one per line, in push order.

mod error;
mod location;
mod pull;
mod push;
mod scan;
mod schema;

pub use error::PgStoreError;
pub use location::{is_store_url, StoreLocation, DEFAULT_SCHEMA};
pub use pull::{cache, pull, Pulled};
pub use push::{push, Added, PushOptions, PushReport};
pub use scan::db_top_k;
pub use schema::{Storage, StorageChoice, SCHEMA_VERSION};

/// Drops the store's schema (and everything in it) if it holds a homolog store; for tests and
/// for `homolog reference` users who want a store gone. A schema with other tables is refused.
pub fn drop_store(url: &str) -> Result<bool, PgStoreError> {
    let loc = StoreLocation::parse(url)?;
    let mut client = loc.connect()?;
    let mut tx = client
        .transaction()
        .map_err(schema::db_err(&loc, "starting a transaction"))?;
    let dropped = match schema::inspect(&mut tx, &loc)? {
        schema::SchemaState::Absent => false,
        schema::SchemaState::Foreign(tables) => {
            return Err(PgStoreError::NotAStore {
                url: loc.to_string(),
                schema: loc.schema.clone(),
                tables: tables.join(", "),
            })
        }
        schema::SchemaState::Empty | schema::SchemaState::Store { .. } => {
            tx.batch_execute(&format!("DROP SCHEMA {} CASCADE", loc.schema))
                .map_err(schema::db_err(&loc, "dropping the schema"))?;
            true
        }
    };
    tx.commit()
        .map_err(schema::db_err(&loc, "dropping the schema"))?;
    Ok(dropped)
}
