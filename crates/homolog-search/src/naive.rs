//! The reference definition of the search: a plain double loop in `f64`.
//!
//! Kept deliberately simple (no blocking, no streaming selection, no parallelism) so that it
//! can be trusted by inspection; the fast path in `search` is tested against it.

use crate::topk::hit_order;
use crate::{
    clean_distance, squared_norm, validate, Hit, Metric, RowFilter, SearchError, SearchParams,
};

/// Same inputs, validation and semantics as [`crate::search`], computed naively.
///
/// Every distance is computed in `f64` (cosine as `1 - q.r / (|q| |r|)` with a zero vector's
/// cosine defined as 0; euclidean as the direct `sqrt(sum (q_i - r_i)^2)`), cast to `f32`,
/// then all candidates are sorted by (distance, reference index). O(Q x R x dim): use it on
/// small inputs only.
pub fn naive_search(
    queries: &[f32],
    references: &[f32],
    dim: usize,
    params: &SearchParams,
    filter: &RowFilter,
) -> Result<Vec<Vec<Hit>>, SearchError> {
    let prep = validate(queries, references, dim, params, filter)?;
    let mut ref_sq = Vec::with_capacity(prep.n_refs);
    for (row, r) in references.chunks_exact(dim).enumerate() {
        let allowed = filter.allowed.as_ref().is_none_or(|m| m[row]);
        match squared_norm(r) {
            Some(s) => ref_sq.push(s),
            None if !allowed => ref_sq.push(0.0),
            None => {
                return Err(SearchError::NonFinite {
                    matrix: "reference",
                    row,
                })
            }
        }
    }
    let mut out = Vec::with_capacity(prep.n_queries);
    for (qi, q) in queries.chunks_exact(dim).enumerate() {
        let q_sq = squared_norm(q).ok_or(SearchError::NonFinite {
            matrix: "query",
            row: qi,
        })?;
        let mut hits = Vec::new();
        for (ri, r) in references.chunks_exact(dim).enumerate() {
            if filter.allowed.as_ref().is_some_and(|m| !m[ri]) || prep.is_excluded(qi, ri as u32) {
                continue;
            }
            let d = match params.metric {
                Metric::Cosine => {
                    let dot: f64 = q
                        .iter()
                        .zip(r)
                        .map(|(&a, &b)| f64::from(a) * f64::from(b))
                        .sum();
                    let cos = if q_sq == 0.0 || ref_sq[ri] == 0.0 {
                        0.0
                    } else {
                        dot / (q_sq.sqrt() * ref_sq[ri].sqrt())
                    };
                    1.0 - cos
                }
                Metric::Euclidean => q
                    .iter()
                    .zip(r)
                    .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                    .sum::<f64>()
                    .sqrt(),
            };
            let distance = clean_distance(params.metric, d as f32);
            if distance <= prep.limit {
                hits.push(Hit {
                    reference: ri as u32,
                    distance,
                });
            }
        }
        hits.sort_by(hit_order);
        if hits.len() > params.k {
            let kth = hits[params.k - 1].distance;
            let keep = if params.keep_ties {
                params.k
                    + hits[params.k..]
                        .iter()
                        .take_while(|h| h.distance == kth)
                        .count()
            } else {
                params.k
            };
            hits.truncate(keep);
        }
        out.push(hits);
    }
    Ok(out)
}
