//! Exact k-nearest-neighbour search over a reference matrix.
//!
//! CONTRACT:
//! - `Metric::{Cosine, Euclidean}` (serde lower-case). Cosine distance `1 - cos`, euclidean
//!   `sqrt(max(|q|^2 + |r|^2 - 2 q.r, 0))` as FANTASIA.
//! - `SearchParams { metric, k: usize, threshold: Option<f32>, keep_ties: bool,
//!   query_chunk: usize }`.
//! - `Hit { reference: u32, distance: f32 }`; hits sorted by (distance, reference).
//! - `search(queries: &[f32], references: &[f32], dim, &SearchParams, &RowFilter)
//!   -> Result<Vec<Vec<Hit>>, SearchError>` (row-major, one Vec per query);
//!   `RowFilter { allowed: Option<Vec<bool>>, excluded_per_query: Option<Vec<Vec<u32>>> }`.
//! - `naive_search(...)` with the same semantics, for tests and as the reference definition.
