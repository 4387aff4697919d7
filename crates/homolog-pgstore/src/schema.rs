//! The store's tables (see the crate docs for the layout), how an existing schema is
//! recognised, and how embeddings are stored (`real[]`, or pgvector's `vector` / `halfvec`).

use std::error::Error as StdError;

use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::Transaction;

use crate::error::PgStoreError;
use crate::StoreLocation;

/// Version of the table layout below; bumped on any incompatible change. A store of another
/// version is refused by pull and add and replaced by a full push.
pub const SCHEMA_VERSION: i32 = 1;

/// The tables of a store, in creation order (dropped in reverse).
pub(crate) const TABLES: [&str; 9] = [
    "store",
    "push_log",
    "sequence",
    "protein",
    "go_term",
    "annotation",
    "taxon",
    "embedding_matrix",
    "embedding",
];

/// How embedding vectors are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Plain PostgreSQL: one `real[]` per vector (exact for f32 and f16 matrices).
    RealArray,
    /// The pgvector extension: `vector` for f32 matrices, `halfvec` for f16 ones.
    PgVector,
}

impl Storage {
    pub fn as_str(self) -> &'static str {
        match self {
            Storage::RealArray => "real[]",
            Storage::PgVector => "pgvector",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Storage> {
        match s {
            "real[]" => Some(Storage::RealArray),
            "pgvector" => Some(Storage::PgVector),
            _ => None,
        }
    }
}

/// Which storage a push asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageChoice {
    /// pgvector when the extension is installed in the database or can be created (version
    /// 0.7 or later, for `halfvec`), else `real[]`.
    #[default]
    Auto,
    /// Always `real[]`.
    RealArray,
    /// pgvector, or an error when it is missing.
    PgVector,
}

/// The DDL of a store in `schema`.
pub(crate) fn ddl(schema: &str, storage: Storage) -> String {
    let value = match storage {
        Storage::RealArray => "value real[] NOT NULL",
        Storage::PgVector => "vec vector, hvec halfvec, CHECK ((vec IS NULL) <> (hvec IS NULL))",
    };
    format!(
        "CREATE TABLE {s}.store (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            schema_version integer NOT NULL,
            store_id text NOT NULL,
            revision bigint NOT NULL,
            embedding_storage text NOT NULL,
            ontology text NOT NULL,
            updated timestamptz NOT NULL DEFAULT now());
        CREATE TABLE {s}.push_log (
            revision bigint PRIMARY KEY,
            kind text NOT NULL CHECK (kind IN ('full', 'add')),
            pushed timestamptz NOT NULL DEFAULT now(),
            manifest text NOT NULL);
        CREATE TABLE {s}.sequence (
            id integer PRIMARY KEY,
            sequence text NOT NULL,
            md5 text NOT NULL UNIQUE);
        CREATE TABLE {s}.protein (
            id integer PRIMARY KEY,
            accession text NOT NULL UNIQUE,
            sequence_id integer NOT NULL REFERENCES {s}.sequence (id),
            taxonomy_id bigint,
            organism text,
            gene_name text);
        CREATE INDEX ON {s}.protein (sequence_id);
        CREATE TABLE {s}.go_term (
            go_id text PRIMARY KEY,
            position integer NOT NULL,
            name text NOT NULL,
            aspect text);
        CREATE TABLE {s}.annotation (
            id bigint PRIMARY KEY,
            protein_id integer NOT NULL REFERENCES {s}.protein (id),
            go_id text NOT NULL,
            aspect text,
            evidence text);
        CREATE INDEX ON {s}.annotation (protein_id);
        CREATE INDEX ON {s}.annotation (go_id);
        CREATE TABLE {s}.taxon (
            taxid bigint PRIMARY KEY,
            position integer NOT NULL UNIQUE,
            parent bigint NOT NULL,
            rank text NOT NULL,
            name text);
        CREATE TABLE {s}.embedding_matrix (
            id integer PRIMARY KEY,
            model text NOT NULL,
            layer integer NOT NULL,
            backend text NOT NULL,
            embedding_type_id integer NOT NULL,
            dtype text NOT NULL,
            dim integer NOT NULL,
            UNIQUE (model, layer));
        CREATE TABLE {s}.embedding (
            matrix_id integer NOT NULL REFERENCES {s}.embedding_matrix (id),
            sequence_id integer NOT NULL REFERENCES {s}.sequence (id),
            {value},
            PRIMARY KEY (matrix_id, sequence_id));",
        s = schema
    )
}

/// What the target schema holds.
pub(crate) enum SchemaState {
    /// No such schema.
    Absent,
    /// The schema exists without tables.
    Empty,
    /// A homolog store (of some version).
    Store { version: i32 },
    /// Tables that are not a homolog store.
    Foreign(Vec<String>),
}

pub(crate) fn db_err(
    loc: &StoreLocation,
    what: impl Into<String>,
) -> impl FnOnce(postgres::Error) -> PgStoreError {
    let url = loc.to_string();
    let what = what.into();
    move |source| PgStoreError::Db { url, what, source }
}

/// Looks at the schema of `loc`.
pub(crate) fn inspect(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
) -> Result<SchemaState, PgStoreError> {
    let s = &loc.schema;
    let exists = tx
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[s])
        .map_err(db_err(loc, "looking up the schema"))?
        .is_some();
    if !exists {
        return Ok(SchemaState::Absent);
    }
    let tables: Vec<String> = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 \
             ORDER BY 1",
            &[s],
        )
        .map_err(db_err(loc, "listing the schema's tables"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if tables.is_empty() {
        return Ok(SchemaState::Empty);
    }
    if !tables.iter().any(|t| t == "store") {
        return Ok(SchemaState::Foreign(tables));
    }
    let version: i32 = tx
        .query_opt(&format!("SELECT schema_version FROM {s}.store"), &[])
        .map_err(db_err(loc, "reading the store's version"))?
        .map(|r| r.get(0))
        .unwrap_or(0);
    Ok(SchemaState::Store { version })
}

/// Decides the embedding storage of a new store, creating the `vector` extension when asked
/// (or on `Auto` when it is available and the user may create it).
pub(crate) fn choose_storage(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    choice: StorageChoice,
) -> Result<Storage, PgStoreError> {
    if choice == StorageChoice::RealArray {
        return Ok(Storage::RealArray);
    }
    let installed: Option<String> = tx
        .query_opt(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
            &[],
        )
        .map_err(db_err(loc, "looking for the pgvector extension"))?
        .map(|r| r.get(0));
    let version = match installed {
        Some(v) => Some(v),
        None => {
            let available = tx
                .query_opt(
                    "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'",
                    &[],
                )
                .map_err(db_err(loc, "looking for the pgvector extension"))?
                .is_some();
            if available {
                // A savepoint, so a missing privilege falls back instead of aborting the push.
                let mut sp = tx.transaction().map_err(db_err(loc, "savepoint"))?;
                match sp.batch_execute("CREATE EXTENSION IF NOT EXISTS vector") {
                    Ok(()) => {
                        let v: String = sp
                            .query_one(
                                "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
                                &[],
                            )
                            .map_err(db_err(loc, "reading the pgvector version"))?
                            .get(0);
                        sp.commit()
                            .map_err(db_err(loc, "creating the vector extension"))?;
                        Some(v)
                    }
                    Err(e) => {
                        tracing::info!("pgvector is available but cannot be created here ({e})");
                        None
                    }
                }
            } else {
                None
            }
        }
    };
    let usable = version.as_deref().is_some_and(halfvec_supported);
    match (choice, usable) {
        (_, true) => Ok(Storage::PgVector),
        (StorageChoice::PgVector, false) => Err(PgStoreError::Incompatible {
            url: loc.to_string(),
            message: format!(
                "pgvector storage was asked for, but the database has {}; install pgvector 0.7 \
                 or later (for halfvec) or push with real[] storage",
                match version {
                    Some(v) => format!("pgvector {v}"),
                    None => "no usable vector extension".into(),
                }
            ),
        }),
        _ => Ok(Storage::RealArray),
    }
}

/// `halfvec` exists from pgvector 0.7.0 on.
fn halfvec_supported(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (0, 7)
}

/// A vector in pgvector's binary `vector` format (dim, unused, big-endian f32 values).
#[derive(Debug)]
pub(crate) struct PgVector<'a>(pub &'a [f32]);

/// A vector in pgvector's binary `halfvec` format (dim, unused, big-endian f16 values).
#[derive(Debug)]
pub(crate) struct PgHalfVec<'a>(pub &'a [f32]);

fn header(len: usize, out: &mut bytes::BytesMut) -> Result<(), Box<dyn StdError + Sync + Send>> {
    let dim = u16::try_from(len)
        .map_err(|_| format!("vector of {len} values (pgvector's limit is 16000)"))?;
    out.extend_from_slice(&dim.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    Ok(())
}

impl ToSql for PgVector<'_> {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        header(self.0.len(), out)?;
        for v in self.0 {
            out.extend_from_slice(&v.to_be_bytes());
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "vector"
    }

    to_sql_checked!();
}

impl ToSql for PgHalfVec<'_> {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        header(self.0.len(), out)?;
        for v in self.0 {
            out.extend_from_slice(&half::f16::from_f32(*v).to_be_bytes());
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "halfvec"
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgvector_binary_formats() {
        let mut out = bytes::BytesMut::new();
        let ty = Type::FLOAT4;
        PgVector(&[1.0, -2.0]).to_sql(&ty, &mut out).unwrap();
        assert_eq!(&out[..], &[0, 2, 0, 0, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]);
        let mut out = bytes::BytesMut::new();
        PgHalfVec(&[1.0, -2.0]).to_sql(&ty, &mut out).unwrap();
        assert_eq!(&out[..], &[0, 2, 0, 0, 0x3c, 0x00, 0xc0, 0x00]);
        assert!(halfvec_supported("0.7.0") && halfvec_supported("0.8.1"));
        assert!(!halfvec_supported("0.6.2") && !halfvec_supported("x"));
    }
}
