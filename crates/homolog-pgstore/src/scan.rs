//! A database-side nearest-neighbour scan, for comparison with homolog's exact search on the
//! pulled matrix (`docs/postgres.md` has the measurements): cosine distance computed by
//! PostgreSQL over every stored vector of one (model, layer).

use crate::error::PgStoreError;
use crate::push::require_store;
use crate::schema::{db_err, Storage};
use crate::StoreLocation;

/// The `k` nearest sequence rows of `query` by cosine distance (`1 - cos`), computed by the
/// server (pgvector's `<=>` when the store uses pgvector, else SQL over `real[]`), sorted by
/// (distance, row). Distances are computed in double precision.
pub fn db_top_k(
    url: &str,
    model: &str,
    layer: usize,
    query: &[f32],
    k: usize,
) -> Result<Vec<(u32, f64)>, PgStoreError> {
    let loc = StoreLocation::parse(url)?;
    let mut client = loc.connect()?;
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(db_err(&loc, "starting a transaction"))?;
    require_store(&mut tx, &loc)?;
    let s = &loc.schema;
    let row = tx
        .query_opt(
            &format!(
                "SELECT m.id, m.dtype, st.embedding_storage FROM {s}.embedding_matrix m, {s}.store st \
                 WHERE m.model = $1 AND m.layer = $2"
            ),
            &[&model, &(layer as i32)],
        )
        .map_err(db_err(&loc, "looking up the matrix"))?
        .ok_or_else(|| PgStoreError::Incompatible {
            url: loc.to_string(),
            message: format!("the store has no matrix for {model} layer {layer}"),
        })?;
    let id: i32 = row.get(0);
    let dtype: String = row.get(1);
    let storage = Storage::parse(row.get(2)).unwrap_or(Storage::RealArray);
    let sql = match storage {
        Storage::RealArray => format!(
            "SELECT e.sequence_id, 1 - d.dot / nullif(d.nr * q.n, 0) AS dist
             FROM {s}.embedding e
             CROSS JOIN (SELECT $1::real[] AS v,
                         sqrt((SELECT sum(x::float8 * x) FROM unnest($1::real[]) x)) AS n) q
             CROSS JOIN LATERAL (SELECT sum(a::float8 * b) AS dot, sqrt(sum(b::float8 * b)) AS nr
                                 FROM unnest(q.v, e.value) AS t(a, b)) d
             WHERE e.matrix_id = {id}
             ORDER BY dist, e.sequence_id LIMIT $2"
        ),
        Storage::PgVector => {
            let (col, ty) = if dtype == "f16" {
                ("hvec", "halfvec")
            } else {
                ("vec", "vector")
            };
            format!(
                "SELECT sequence_id, ({col} <=> $1::real[]::{ty})::float8 AS dist
                 FROM {s}.embedding WHERE matrix_id = {id}
                 ORDER BY dist, sequence_id LIMIT $2"
            )
        }
    };
    let q: Vec<f32> = query.to_vec();
    let rows = tx
        .query(&sql, &[&q, &(k as i64)])
        .map_err(db_err(&loc, "scanning the embeddings"))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, i32>(0) as u32,
                r.get::<_, Option<f64>>(1).unwrap_or(1.0),
            )
        })
        .collect())
}
