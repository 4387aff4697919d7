//! Exact k-nearest-neighbour search over a reference matrix.
//!
//! This is homolog's replacement for FANTASIA's lookup step (`scipy.spatial.distance.cdist`
//! against the whole reference table, then `argsort` per query). It is exact brute force, like
//! the peer, but computes all query-reference dot products as blocked matrix products with a
//! BLAS-quality single-precision GEMM ([`matrixmultiply::sgemm`]) and selects the nearest
//! references with a streaming per-query top-k, so it never holds the full Q x R distance
//! matrix and never sorts more than a few candidates per query.
//!
//! # Semantics (FANTASIA, plus goPredSim ties)
//!
//! For every query, distances to all *allowed* reference rows are computed (see [`RowFilter`]);
//! when [`SearchParams::threshold`] is set, only hits with `distance <= threshold` survive; of
//! those, the first [`SearchParams::k`] in the order (distance, reference index) are returned,
//! sorted in that order. With [`SearchParams::keep_ties`] (goPredSim mode) every further hit
//! whose distance is exactly equal (as `f32`) to the k-th distance is kept as well.
//!
//! Distances ([`Metric`]):
//! - cosine: `1 - q.r / (|q| |r|)`, clamped to `[0, 2]` so rounding never yields a negative
//!   distance (a reliability index `1 - d` above 1). A zero-norm vector (query or reference)
//!   has cosine similarity 0 with everything by definition here, so its distance is exactly 1;
//!   SciPy would return NaN and PyTorch 1.
//! - euclidean: `sqrt(max(|q|^2 + |r|^2 - 2 q.r, 0))`, the expansion FANTASIA uses.
//!
//! Both are computed in `f32` from the GEMM dot product and norms precomputed once per call
//! (accumulated in `f64`). A given (query, reference) pair always yields bit-identical
//! distances wherever it falls inside a block, so exact duplicates of a reference row tie
//! exactly, which is what `keep_ties` relies on. Accuracy: cosine distances are within about
//! 1e-6 of the exact value; the euclidean expansion loses precision when `q` and `r` are nearly
//! equal (absolute error up to about `sqrt(1e-7 * (|q|^2 + |r|^2))`, e.g. ~4e-4 for unit
//! vectors at distance 0), exactly like the peer's formula.
//!
//! [`naive_search`] is the reference definition (straightforward double loop in `f64`, cast to
//! `f32`). It agrees with [`search`] up to that rounding: distances within ~1e-5, and identical
//! indices unless two candidate distances are within ~1e-6 of each other, where the two
//! implementations may order them differently.
//!
//! # Two-pass search (int8 candidates, exact f32 result)
//!
//! [`search`] (through [`search_with`] and [`Strategy::Auto`]) normally scores every pair
//! first in int8, then only a few candidates per query in f32, without changing a single bit
//! of the result:
//!
//! 1. **Quantise** (per call, O((Q + R) dim), 10-15% of the two-pass time at 5,000 x 50,000
//!    x 1024): the reference rows (unit vectors for cosine) are centred on their mean `m`,
//!    which removes the large component all embeddings share, and each centred row is stored
//!    as int8 codes with one step per row (`max |w_i| / 127`); the norms of its quantisation
//!    residual `|e|` and of its reconstruction are kept. Queries are quantised the same way
//!    around the same `m` (with 7-bit codes, `max |w_i| / 63`, for the AVX2 kernel).
//! 2. **int8 pass**: exact integer dot products of the codes (AVX-512 VNNI `vpdpbusd`, 64
//!    multiply-adds per instruction against 16 for an f32 FMA; on AVX2, `vpmaddubsw` +
//!    `vpmaddwd`, 32 per two instructions against 8 per FMA; a portable kernel elsewhere)
//!    give for each pair an approximate distance and, by Cauchy-Schwarz,
//!    `|q.r - q'.r'| <= |w_q| |e_r| + |e_q| |w_r'|`, a bound that holds for every pair of any
//!    data. With a slack for the rounding of the f32 kernel (`gamma_n` of its dot product and
//!    a few ulps of its formula) and of the pass's own arithmetic, this gives an interval
//!    `[lo, hi]` that provably contains the distance the f32 search computes. Per query the
//!    pass keeps every pair with `lo <= t`, `t` = min(threshold, k-th smallest `hi`): the true
//!    top-k, ties included, always satisfies it, and the list adapts to the data (no fixed
//!    width).
//!    **Pruning** ([`Pruning`], default `Auto`): the pass scores the dimensions in order of
//!    decreasing variance over the reference (the same dot products in another order), and
//!    stops scoring a register block of queries against a panel of 16 references as soon as
//!    none of its pairs can still reach its query's `t`: after the first `c` dimensions,
//!    `|w_q.w_r|` over the rest is at most `|w_q|_rest |w_r|_rest` (Cauchy-Schwarz on the
//!    rest of the rows, norms kept per row at each check), so
//!    `d >= key_c - e - C |w_q|_rest |w_r|_rest` with `key_c` from the partial integer dot
//!    product and `e` the whole rows' error bound. Checks sit at 3/16, 1/4, 3/8, 1/2 and 3/4
//!    of the dimensions. For `t` to be useful from the first block on, a seed pass
//!    first scores every pair on a sixteenth of the dimensions (at least 32) and takes, per
//!    query, the `k + 8` references with the best estimates, whose exact bounds give an early
//!    `t` (the k-th smallest of their `hi`). A dropped pair has `d > t`, so the result is
//!    the same; on data where neighbours stand apart from the bulk (protein families) most
//!    blocks stop at the first check (clustered benchmark data at 5,000 x 50,000 x 1024: 27%
//!    of the int8 work), and on data where they do not (uniform noise; UniRep embeddings,
//!    whose cosines all lie within a few hundredths) `Auto` notices over a task's first 4
//!    reference blocks that the first check keeps more than half of the blocks and stops
//!    checking, in that task and in the tasks that start after it. Rows of fewer than 512
//!    dimensions are not pruned (a check costs about as much as scoring 24 dimensions). [`SearchReport::two_pass`] gives the work done
//!    ([`TwoPassStats::int8_work`]).
//! 3. **f32 re-rank**: the candidates are re-scored with the same dot products and distance
//!    formula as the one-pass search, and selected with the same top-k, so references,
//!    distances (bit for bit), order, `keep_ties`, thresholds and [`RowFilter`]s behave
//!    exactly as in the f32 search (`tests/two_pass.rs` checks this on real SeqVec embeddings
//!    and on planted ties and near-ties). The dot products are computed directly on the
//!    candidate rows in `sgemm`'s order of operations (per 256-deep panel one FMA chain, the
//!    panels added in order; 16 candidates per AVX-512 vector, 8 per AVX2 vector): no
//!    gather, no packing, no padding of a 1-row GEMM, about 4x cheaper than a 1-row `sgemm`
//!    per query. The first search of a process compares this with `sgemm` bit for bit on
//!    random data; where they differ (a CPU without FMA, another `matrixmultiply` blocking),
//!    the re-rank gathers the rows and calls `sgemm` itself.
//!
//! The candidate lists are short when the k-th neighbour stands out from the bulk by more
//! than the bound (tens of candidates per query on clustered data, ~170 of 50,000 on uniform
//! random unit vectors at dim 1024, where all cosines are near 0). A query whose list grows
//! past `max(2048, 4 k)` candidates (thousands of equidistant references) is answered by the
//! one-pass f32 search instead: slower, never wrong, and memory stays bounded.
//!
//! [`Strategy::Auto`] takes this path when the CPU has AVX-512 VNNI or AVX2 and there are at
//! least [`Int8Kernel::two_pass_min_queries`] queries (quantising the reference costs about as
//! much as searching a few dozen queries in f32, or a few hundred where the int8 pass is only
//! twice as fast as f32: AVX2); `HOMOLOG_SEARCH_STRATEGY=f32` ([`STRATEGY_ENV`]) forces the
//! one-pass f32 search, `int8` / `int8-avx2` / `int8-portable` force the two-pass path (the
//! latter two with the AVX2 or the portable kernel, the former with the fastest). Extra memory: `R x dim` bytes of codes plus 24 bytes per
//! reference row (with pruning 48 more: a code sum and a norm at each of the 6 cuts), `Q x
//! dim` bytes of query codes (24 more per query with pruning), and per query its candidate list (12 bytes per
//! candidate, at most twice the cap between compactions). A bf16 first pass (`vdpbf16ps`) was
//! not implemented or measured: it does half the multiply-adds per instruction (32 bf16 pairs
//! against 64 int8 pairs), at most twice the f32 rate before the re-rank, so int8 was chosen
//! on that count alone.
//!
//! # Work split and memory bound
//!
//! Queries are cut into chunks of `cq` rows ([`SearchParams::query_chunk`], or automatically
//! up to [`AUTO_QUERY_CHUNK`] rows, balanced) and the allowed references into blocks of
//! [`REFERENCE_BLOCK`] rows. When there are few query chunks, the reference is also cut into
//! contiguous segments so that every rayon worker has work. A task (query chunk x reference
//! segment) streams its segment block by block: one `sgemm` (single-threaded) into a
//! `cq x block` tile, in-place conversion to distances, one pass of the bounded top-k. Partial
//! results of the segments of one chunk are merged at the end. The reference slice is only
//! read, sequentially by blocks, so it can be a memory map of any size.
//!
//! Extra memory besides the inputs and the output, with `T` rayon threads:
//! - per thread: `cq x REFERENCE_BLOCK x 4` bytes of tile (512 KiB with the defaults), the
//!   GEMM's packing buffers (about 1.1 MiB), `cq x max(2k, k + 32)` candidate hits of 8 bytes
//!   (twice the kept ties with `keep_ties`), and, only with an `allowed` mask,
//!   `REFERENCE_BLOCK x dim x 4` bytes to gather the allowed rows (2 MiB at dim 1024);
//! - per call: `4 (Q + R)` bytes of norms, `4 R` bytes of allowed-row list when masked, and the
//!   segment partials, at most about `(2 T + 1) x cq x min(k, R)` hits beyond the output
//!   (segments are only used when there are fewer than `2 T` query chunks).
//!
//! The thread count is rayon's current pool: run inside `ThreadPool::install` to limit it.
//!
//! # Example
//!
//! The two nearest of three 2-d reference rows, then the same search with row 0 filtered out:
//!
//! ```rust
//! use homolog_search::{search, Metric, RowFilter, SearchParams};
//!
//! // Row-major matrices: three reference rows and one query row of dimension 2.
//! let references = [1.0, 0.0, 0.0, 1.0, 0.7, 0.7];
//! let query = [1.0, 0.1];
//! let params = SearchParams {
//!     metric: Metric::Cosine,
//!     k: 2,
//!     ..SearchParams::default()
//! };
//!
//! let hits = search(&query, &references, 2, &params, &RowFilter::none()).unwrap();
//! let rows: Vec<u32> = hits[0].iter().map(|h| h.reference).collect();
//! assert_eq!(rows, [0, 2]);
//! assert!(hits[0][0].distance < 0.01);
//!
//! let filter = RowFilter {
//!     allowed: Some(vec![false, true, true]),
//!     ..RowFilter::none()
//! };
//! let hits = search(&query, &references, 2, &params, &filter).unwrap();
//! let rows: Vec<u32> = hits[0].iter().map(|h| h.reference).collect();
//! assert_eq!(rows, [2, 1]);
//! ```

mod naive;
mod quant;
mod topk;
mod twopass;

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use naive::naive_search;
pub use quant::Int8Kernel;
use topk::TopK;
pub use twopass::TwoPassStats;

/// Upper bound for the automatically chosen query chunk (rows of queries per GEMM).
pub const AUTO_QUERY_CHUNK: usize = 256;

/// Reference rows per GEMM block. With [`AUTO_QUERY_CHUNK`] the distance tile is 512 KiB, about
/// one core's L2; 2048 was measurably slower and 512 vs 1024 within noise on a 2-core EPYC.
pub const REFERENCE_BLOCK: usize = 512;

/// Distance between embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// `1 - cos(q, r)`, in `[0, 2]`; zero vectors have distance 1 to everything.
    #[default]
    Cosine,
    /// `sqrt(max(|q|^2 + |r|^2 - 2 q.r, 0))`.
    Euclidean,
}

impl Metric {
    /// The lower-case name used in configuration files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::Euclidean => "euclidean",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Metric {
    type Err = SearchError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cosine" => Ok(Metric::Cosine),
            "euclidean" => Ok(Metric::Euclidean),
            _ => Err(SearchError::UnknownMetric(s.to_string())),
        }
    }
}

/// Environment variable that overrides [`Strategy::Auto`]: `auto`, `f32`, `int8` or
/// `int8-avx2` or `int8-portable` (see [`Strategy`]).
pub const STRATEGY_ENV: &str = "HOMOLOG_SEARCH_STRATEGY";

/// How [`search_with`] computes the result. Every strategy returns the same lists (same
/// references, bit-identical distances, same order); they differ only in speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// [`STRATEGY_ENV`] when set; otherwise [`Strategy::Int8`] when this CPU has AVX-512 VNNI
    /// or AVX2 and there are at least [`Int8Kernel::two_pass_min_queries`] queries, else
    /// [`Strategy::F32`].
    #[default]
    Auto,
    /// One pass: f32 GEMM over every allowed reference row.
    F32,
    /// Two passes: int8 candidates with a proven error bound, then the f32 kernel on the
    /// candidates (module `twopass`), with the fastest int8 kernel this CPU has.
    Int8,
    /// [`Strategy::Int8`] with the portable kernel whatever the CPU (the fallback path).
    Int8Portable,
    /// [`Strategy::Int8`] with the AVX2 kernel (7-bit query codes) on a CPU that may have a
    /// faster one; an error where the CPU lacks AVX2.
    Int8Avx2,
}

impl FromStr for Strategy {
    type Err = SearchError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(Strategy::Auto),
            "f32" => Ok(Strategy::F32),
            "int8" => Ok(Strategy::Int8),
            "int8-portable" => Ok(Strategy::Int8Portable),
            "int8-avx2" => Ok(Strategy::Int8Avx2),
            _ => Err(SearchError::UnknownStrategy(s.to_string())),
        }
    }
}

/// Whether the two-pass search's int8 pass may stop scoring pairs that can no longer reach
/// a query's result ("pruning", see the crate docs). The result is the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pruning {
    /// Prune while it pays: a task that still scores most of the work over its first
    /// reference blocks stops, and so do the tasks that start after it.
    #[default]
    Auto,
    /// Prune wherever the rows are long enough (tests, benchmarks).
    Always,
    /// Score every pair over every dimension.
    Never,
}

/// Which path a search took, and what the two-pass path measured.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchReport {
    /// `"f32"`, or the int8 kernel of the first pass (`"int8-avx512vnni"`, ...).
    pub path: &'static str,
    /// Two-pass timings and candidate counts (`None` on the f32 path).
    pub two_pass: Option<TwoPassStats>,
}

/// What to search for. `Default`: cosine, k = 1, no threshold, no ties, automatic chunking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchParams {
    /// Distance to rank by.
    pub metric: Metric,
    /// Number of neighbours per query (FANTASIA's `limit_per_entry`); must be at least 1.
    pub k: usize,
    /// Keep only hits with `distance <= threshold` (FANTASIA's per-model `distance_threshold`).
    pub threshold: Option<f32>,
    /// Also keep every hit tied (exact `f32` equality) with the k-th distance (goPredSim).
    pub keep_ties: bool,
    /// Queries per GEMM chunk; 0 picks one automatically (at most [`AUTO_QUERY_CHUNK`]).
    pub query_chunk: usize,
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams {
            metric: Metric::Cosine,
            k: 1,
            threshold: None,
            keep_ties: false,
            query_chunk: 0,
        }
    }
}

/// One neighbour of a query: a reference row index and its distance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Row index into the reference matrix.
    pub reference: u32,
    /// Distance under the requested [`Metric`].
    pub distance: f32,
}

/// Which reference rows each query may match.
///
/// `allowed` (one flag per reference row) implements taxonomy include/exclude filters;
/// `excluded_per_query` (one list per query, any order, duplicates allowed) implements the
/// MMseqs2 redundancy mask. Rows filtered out are never ranked, so they do not use up `k`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    /// `Some(mask)`: only rows with `mask[row] == true` are searched.
    pub allowed: Option<Vec<bool>>,
    /// `Some(lists)`: `lists[query]` are reference rows that query must not match.
    pub excluded_per_query: Option<Vec<Vec<u32>>>,
}

impl RowFilter {
    /// No filtering: every query may match every reference row.
    pub fn none() -> Self {
        RowFilter::default()
    }
}

/// Why a search could not run. Every variant names the offending input and how to fix it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SearchError {
    /// The embedding dimension was 0.
    #[error("embedding dimension is 0; pass the length of one embedding vector as dim")]
    ZeroDimension,
    /// A matrix slice is not a whole number of rows.
    #[error(
        "{matrix} matrix has {len} values, which is not a multiple of the embedding dimension \
         {dim}; check that the {matrix} embeddings come from the same model/layer as dim"
    )]
    RaggedMatrix {
        /// "query" or "reference".
        matrix: &'static str,
        /// Number of `f32` values in the slice.
        len: usize,
        /// Embedding dimension.
        dim: usize,
    },
    /// Reference indices are `u32`.
    #[error("reference matrix has {rows} rows; at most {max} are supported, split the reference")]
    TooManyReferences {
        /// Number of reference rows.
        rows: usize,
        /// `u32::MAX`.
        max: usize,
    },
    /// `k` was 0.
    #[error("k (neighbours per query, limit_per_entry) is 0; set it to at least 1")]
    ZeroK,
    /// The threshold was NaN.
    #[error("distance threshold is NaN; use a number or no threshold")]
    NanThreshold,
    /// A row contains NaN/infinity or its squared norm overflows `f32`.
    #[error(
        "{matrix} row {row} contains NaN or infinite values (or its squared norm overflows f32); \
         re-compute or drop that embedding"
    )]
    NonFinite {
        /// "query" or "reference".
        matrix: &'static str,
        /// Row index.
        row: usize,
    },
    /// The `allowed` mask has the wrong length.
    #[error(
        "allowed-row mask has {got} entries but the reference has {expected} rows; build the \
         mask from the same reference table"
    )]
    MaskLength {
        /// Reference rows.
        expected: usize,
        /// Mask length.
        got: usize,
    },
    /// `excluded_per_query` has the wrong length.
    #[error(
        "per-query exclusion lists: got {got} lists for {expected} queries; pass one (possibly \
         empty) list per query, in query order"
    )]
    ExclusionLength {
        /// Number of queries.
        expected: usize,
        /// Number of lists.
        got: usize,
    },
    /// An excluded reference index does not exist.
    #[error(
        "exclusion list of query {query} names reference row {reference}, but the reference has \
         only {rows} rows; the redundancy mask was built for a different reference"
    )]
    ExcludedOutOfRange {
        /// Query row.
        query: usize,
        /// Offending reference index.
        reference: u32,
        /// Number of reference rows.
        rows: usize,
    },
    /// A metric name could not be parsed.
    #[error("unknown distance metric {0:?}; use \"cosine\" or \"euclidean\"")]
    UnknownMetric(String),
    /// A search strategy name (e.g. from `HOMOLOG_SEARCH_STRATEGY`) could not be parsed.
    #[error(
        "unknown search strategy {0:?} (HOMOLOG_SEARCH_STRATEGY); use \"auto\", \"f32\", \"int8\", \
         \"int8-avx2\" or \"int8-portable\""
    )]
    UnknownStrategy(String),
    /// A strategy names a kernel this CPU cannot run.
    #[error(
        "search strategy {0:?} needs a CPU with AVX2; use \"int8\" (the fastest kernel this CPU \
         has), \"int8-portable\" or \"f32\""
    )]
    UnsupportedStrategy(&'static str),
}

/// Validated inputs shared by [`search`] and [`naive_search`].
pub(crate) struct Prepared {
    pub(crate) n_queries: usize,
    pub(crate) n_refs: usize,
    /// Admission limit: the threshold, or +inf.
    pub(crate) limit: f32,
    /// Sorted, de-duplicated exclusions per query.
    pub(crate) excluded: Option<Vec<Vec<u32>>>,
}

impl Prepared {
    #[inline]
    pub(crate) fn is_excluded(&self, query: usize, reference: u32) -> bool {
        self.excluded
            .as_ref()
            .is_some_and(|ex| ex[query].binary_search(&reference).is_ok())
    }
}

pub(crate) fn validate(
    queries: &[f32],
    references: &[f32],
    dim: usize,
    params: &SearchParams,
    filter: &RowFilter,
) -> Result<Prepared, SearchError> {
    if dim == 0 {
        return Err(SearchError::ZeroDimension);
    }
    for (matrix, data) in [("query", queries), ("reference", references)] {
        if data.len() % dim != 0 {
            return Err(SearchError::RaggedMatrix {
                matrix,
                len: data.len(),
                dim,
            });
        }
    }
    let n_queries = queries.len() / dim;
    let n_refs = references.len() / dim;
    if n_refs > u32::MAX as usize {
        return Err(SearchError::TooManyReferences {
            rows: n_refs,
            max: u32::MAX as usize,
        });
    }
    if params.k == 0 {
        return Err(SearchError::ZeroK);
    }
    let limit = match params.threshold {
        Some(t) if t.is_nan() => return Err(SearchError::NanThreshold),
        Some(t) => t,
        None => f32::INFINITY,
    };
    if let Some(mask) = &filter.allowed {
        if mask.len() != n_refs {
            return Err(SearchError::MaskLength {
                expected: n_refs,
                got: mask.len(),
            });
        }
    }
    let excluded = match &filter.excluded_per_query {
        None => None,
        Some(lists) => {
            if lists.len() != n_queries {
                return Err(SearchError::ExclusionLength {
                    expected: n_queries,
                    got: lists.len(),
                });
            }
            let mut sorted = Vec::with_capacity(lists.len());
            for (query, list) in lists.iter().enumerate() {
                if let Some(&reference) = list.iter().find(|&&r| r as usize >= n_refs) {
                    return Err(SearchError::ExcludedOutOfRange {
                        query,
                        reference,
                        rows: n_refs,
                    });
                }
                let mut l = list.clone();
                l.sort_unstable();
                l.dedup();
                sorted.push(l);
            }
            Some(sorted)
        }
    };
    Ok(Prepared {
        n_queries,
        n_refs,
        limit,
        excluded,
    })
}

/// Squared L2 norm accumulated in `f64`, or `None` when it is not a finite `f32`.
#[inline]
pub(crate) fn squared_norm(row: &[f32]) -> Option<f64> {
    let s: f64 = row.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    (s.is_finite() && (s as f32).is_finite()).then_some(s)
}

/// Final touch applied identically by both implementations: cosine is clamped to `[0, 2]`,
/// and `+ 0.0` turns a `-0.0` into `+0.0` so that the total order used for ranking treats
/// every zero distance alike.
#[inline]
pub(crate) fn clean_distance(metric: Metric, d: f32) -> f32 {
    match metric {
        Metric::Cosine => d.clamp(0.0, 2.0) + 0.0,
        Metric::Euclidean => d + 0.0,
    }
}

/// Per-row scale used by the distance formula: the inverse norm for cosine (0 for a zero
/// vector, which makes its cosine 0), the squared norm for euclidean.
fn row_scales(
    data: &[f32],
    dim: usize,
    metric: Metric,
    matrix: &'static str,
    must_be_finite: Option<&[bool]>,
) -> Result<Vec<f32>, SearchError> {
    let scales: Vec<Option<f32>> = data
        .par_chunks(dim)
        .with_min_len(256)
        .map(|row| {
            squared_norm(row).map(|s| match metric {
                Metric::Cosine if s > 0.0 => (1.0 / s.sqrt()) as f32,
                Metric::Cosine => 0.0,
                Metric::Euclidean => s as f32,
            })
        })
        .collect();
    let mut out = Vec::with_capacity(scales.len());
    for (row, s) in scales.into_iter().enumerate() {
        match s {
            Some(v) => out.push(v),
            // A masked-out reference row is never read, so a broken one there is harmless.
            None if must_be_finite.is_some_and(|m| !m[row]) => out.push(0.0),
            None => return Err(SearchError::NonFinite { matrix, row }),
        }
    }
    Ok(out)
}

/// Read-only state shared by all tasks of one [`search`] call.
struct Ctx<'a> {
    queries: &'a [f32],
    references: &'a [f32],
    dim: usize,
    metric: Metric,
    k: usize,
    keep_ties: bool,
    prep: &'a Prepared,
    query_scale: &'a [f32],
    ref_scale: &'a [f32],
    /// Allowed reference rows in increasing order, when a mask is given.
    allowed_rows: Option<&'a [u32]>,
    /// Number of searchable reference positions (allowed rows, or all rows).
    positions: usize,
    chunk: usize,
    block: usize,
    segment_blocks: usize,
    n_segments: usize,
}

/// Where the rows of one reference block come from.
#[derive(Clone, Copy)]
enum BlockOrigin<'a> {
    /// Rows `first..first + n` of the reference, used in place.
    Contiguous(usize),
    /// These reference rows, copied into scratch.
    Gathered(&'a [u32]),
}

/// Scratch memory reused by one worker across tasks.
struct Scratch {
    tile: Vec<f32>,
    gathered: Vec<f32>,
    gathered_scale: Vec<f32>,
}

impl Ctx<'_> {
    fn scratch(&self) -> Scratch {
        let masked = self.allowed_rows.is_some();
        Scratch {
            tile: vec![0.0; self.chunk * self.block],
            gathered: if masked {
                vec![0.0; self.block * self.dim]
            } else {
                Vec::new()
            },
            gathered_scale: if masked {
                vec![0.0; self.block]
            } else {
                Vec::new()
            },
        }
    }

    /// Top-k of the queries of chunk `chunk` over reference segment `segment`.
    fn scan(&self, scratch: &mut Scratch, chunk: usize, segment: usize) -> Vec<Vec<Hit>> {
        let dim = self.dim;
        let q0 = chunk * self.chunk;
        let q1 = (q0 + self.chunk).min(self.prep.n_queries);
        let m = q1 - q0;
        let p0 = segment * self.segment_blocks * self.block;
        let p1 = (p0 + self.segment_blocks * self.block).min(self.positions);
        let mut tops: Vec<TopK> = (0..m).map(|_| TopK::new(self.prep.limit, self.k)).collect();
        let query_rows = &self.queries[q0 * dim..q1 * dim];

        let mut b0 = p0;
        while b0 < p1 {
            let b1 = (b0 + self.block).min(p1);
            let n = b1 - b0;
            // Rows of this block: a contiguous slice of the reference when possible (always
            // without a mask), otherwise gathered into scratch so the GEMM skips masked rows.
            let (rows, scales, origin): (&[f32], &[f32], BlockOrigin) = match self.allowed_rows {
                None => (
                    &self.references[b0 * dim..b1 * dim],
                    &self.ref_scale[b0..b1],
                    BlockOrigin::Contiguous(b0),
                ),
                Some(list) => {
                    let ids = &list[b0..b1];
                    let first = ids[0] as usize;
                    if ids[n - 1] as usize - first == n - 1 {
                        (
                            &self.references[first * dim..(first + n) * dim],
                            &self.ref_scale[first..first + n],
                            BlockOrigin::Contiguous(first),
                        )
                    } else {
                        for (slot, &r) in ids.iter().enumerate() {
                            let r = r as usize;
                            scratch.gathered[slot * dim..(slot + 1) * dim]
                                .copy_from_slice(&self.references[r * dim..(r + 1) * dim]);
                            scratch.gathered_scale[slot] = self.ref_scale[r];
                        }
                        (
                            &scratch.gathered[..n * dim],
                            &scratch.gathered_scale[..n],
                            BlockOrigin::Gathered(ids),
                        )
                    }
                }
            };
            let tile = &mut scratch.tile[..m * n];
            // SAFETY: `query_rows` is m x dim row-major, `rows` is n x dim row-major read as the
            // dim x n matrix B (row stride 1, column stride dim), `tile` is m x n row-major;
            // all three slices have exactly those lengths, m, n, dim >= 1, strides fit isize
            // because they are slice lengths, and `tile` does not alias the inputs.
            unsafe {
                matrixmultiply::sgemm(
                    m,
                    dim,
                    n,
                    1.0,
                    query_rows.as_ptr(),
                    dim as isize,
                    1,
                    rows.as_ptr(),
                    1,
                    dim as isize,
                    0.0,
                    tile.as_mut_ptr(),
                    n as isize,
                    1,
                );
            }
            for (i, (row, top)) in tile.chunks_exact_mut(n).zip(tops.iter_mut()).enumerate() {
                let q = q0 + i;
                to_distances(self.metric, row, self.query_scale[q], scales);
                let mut bound = top.bound();
                for (j, &d) in row.iter().enumerate() {
                    if d <= bound {
                        let reference = match origin {
                            BlockOrigin::Contiguous(first) => (first + j) as u32,
                            BlockOrigin::Gathered(ids) => ids[j],
                        };
                        if self.prep.is_excluded(q, reference) {
                            continue;
                        }
                        top.push(
                            Hit {
                                reference,
                                distance: d,
                            },
                            self.k,
                            self.keep_ties,
                        );
                        bound = top.bound();
                    }
                }
            }
            b0 = b1;
        }
        tops.into_iter()
            .map(|t| t.finish(self.k, self.keep_ties))
            .collect()
    }
}

/// Turns a row of dot products into distances, in place (a plain loop the compiler vectorises).
#[inline]
fn to_distances(metric: Metric, row: &mut [f32], query_scale: f32, ref_scale: &[f32]) {
    match metric {
        Metric::Cosine => {
            for (x, &s) in row.iter_mut().zip(ref_scale) {
                *x = clean_distance(Metric::Cosine, 1.0 - *x * query_scale * s);
            }
        }
        Metric::Euclidean => {
            for (x, &s) in row.iter_mut().zip(ref_scale) {
                let sq = (query_scale + s - 2.0 * *x).max(0.0);
                *x = clean_distance(Metric::Euclidean, sq.sqrt());
            }
        }
    }
}

fn div_ceil(a: usize, b: usize) -> usize {
    a.div_ceil(b)
}

/// Exact k-nearest neighbours of every query row among the reference rows.
///
/// `queries` (Q x dim) and `references` (R x dim) are row-major `f32`. Returns one list per
/// query, in query order, each sorted by (distance, reference index); see the crate docs for
/// the exact semantics, filters, and the memory bound. Runs on the current rayon pool.
///
/// Takes the two-pass path when it pays off (see [`Strategy::Auto`]); the result is the same.
pub fn search(
    queries: &[f32],
    references: &[f32],
    dim: usize,
    params: &SearchParams,
    filter: &RowFilter,
) -> Result<Vec<Vec<Hit>>, SearchError> {
    search_with(queries, references, dim, params, filter, Strategy::Auto).map(|(hits, _)| hits)
}

/// [`search`] with an explicit [`Strategy`]; also reports which path ran and its statistics.
pub fn search_with(
    queries: &[f32],
    references: &[f32],
    dim: usize,
    params: &SearchParams,
    filter: &RowFilter,
    strategy: Strategy,
) -> Result<(Vec<Vec<Hit>>, SearchReport), SearchError> {
    search_with_pruning(
        queries,
        references,
        dim,
        params,
        filter,
        strategy,
        Pruning::Auto,
    )
}

/// [`search_with`] with an explicit [`Pruning`] of the two-pass path.
pub fn search_with_pruning(
    queries: &[f32],
    references: &[f32],
    dim: usize,
    params: &SearchParams,
    filter: &RowFilter,
    strategy: Strategy,
    pruning: Pruning,
) -> Result<(Vec<Vec<Hit>>, SearchReport), SearchError> {
    let prep = validate(queries, references, dim, params, filter)?;
    let strategy = match strategy {
        Strategy::Auto => match std::env::var(STRATEGY_ENV) {
            Ok(v) => v.parse()?,
            Err(_) => Strategy::Auto,
        },
        s => s,
    };
    let kernel = match strategy {
        Strategy::F32 => None,
        Strategy::Int8 => Some(Int8Kernel::detect()),
        Strategy::Int8Portable => Some(Int8Kernel::Portable),
        Strategy::Int8Avx2 => {
            if !Int8Kernel::Avx2.runs_here() {
                return Err(SearchError::UnsupportedStrategy("int8-avx2"));
            }
            Some(Int8Kernel::Avx2)
        }
        Strategy::Auto => {
            let kernel = Int8Kernel::detect();
            kernel
                .two_pass_min_queries()
                .is_some_and(|min| prep.n_queries >= min)
                .then_some(kernel)
        }
    };
    let f32_report = SearchReport {
        path: "f32",
        two_pass: None,
    };
    let nq = prep.n_queries;
    let metric = params.metric;
    let query_scale = row_scales(queries, dim, metric, "query", None)?;
    let ref_scale = row_scales(
        references,
        dim,
        metric,
        "reference",
        filter.allowed.as_deref(),
    )?;
    let allowed_rows: Option<Vec<u32>> = filter.allowed.as_ref().map(|mask| {
        mask.iter()
            .enumerate()
            .filter_map(|(i, &ok)| ok.then_some(i as u32))
            .collect()
    });
    let positions = allowed_rows.as_ref().map_or(prep.n_refs, Vec::len);
    if nq == 0 {
        return Ok((Vec::new(), f32_report));
    }
    if positions == 0 {
        return Ok((vec![Vec::new(); nq], f32_report));
    }
    // Euclidean keys are squared norms: keep them far from f32 overflow (an infinite bound
    // term could turn into NaN and hide a pair); such data goes the one-pass way.
    let huge = metric == Metric::Euclidean
        && query_scale
            .iter()
            .chain(ref_scale.iter())
            .any(|&s| s > 1e30);
    if let Some(kernel) = kernel.filter(|_| !huge) {
        let input = twopass::Input {
            queries,
            references,
            dim,
            metric,
            k: params.k,
            keep_ties: params.keep_ties,
            prep: &prep,
            query_scale: &query_scale,
            ref_scale: &ref_scale,
            allowed_rows: allowed_rows.as_deref(),
            positions,
            query_chunk: params.query_chunk,
            pruning,
        };
        let (mut hits, stats, fallback) = twopass::run(&input, kernel);
        if !fallback.is_empty() {
            // Degenerate candidate lists: these queries get the one-pass search (each query's
            // result does not depend on the others, so this is the same answer).
            let sub_queries: Vec<f32> = fallback
                .iter()
                .flat_map(|&q| queries[q * dim..(q + 1) * dim].iter().copied())
                .collect();
            let sub_filter = RowFilter {
                allowed: filter.allowed.clone(),
                excluded_per_query: filter
                    .excluded_per_query
                    .as_ref()
                    .map(|lists| fallback.iter().map(|&q| lists[q].clone()).collect()),
            };
            let (sub, _) = search_with(
                &sub_queries,
                references,
                dim,
                params,
                &sub_filter,
                Strategy::F32,
            )?;
            for (&q, h) in fallback.iter().zip(sub) {
                hits[q] = h;
            }
        }
        let report = SearchReport {
            path: kernel.as_str(),
            two_pass: Some(stats),
        };
        return Ok((hits, report));
    }

    let chunk = if params.query_chunk > 0 {
        params.query_chunk.min(nq)
    } else {
        // Balanced chunks of at most AUTO_QUERY_CHUNK rows (300 queries -> 2 x 150, not 256 + 44).
        div_ceil(nq, div_ceil(nq, AUTO_QUERY_CHUNK))
    };
    let n_chunks = div_ceil(nq, chunk);
    let block = REFERENCE_BLOCK.min(positions);
    let n_blocks = div_ceil(positions, block);
    let threads = rayon::current_num_threads().max(1);
    let wanted_segments = div_ceil(2 * threads, n_chunks).clamp(1, n_blocks);
    let segment_blocks = div_ceil(n_blocks, wanted_segments);
    let n_segments = div_ceil(n_blocks, segment_blocks);

    let ctx = Ctx {
        queries,
        references,
        dim,
        metric,
        k: params.k,
        keep_ties: params.keep_ties,
        prep: &prep,
        query_scale: &query_scale,
        ref_scale: &ref_scale,
        allowed_rows: allowed_rows.as_deref(),
        positions,
        chunk,
        block,
        segment_blocks,
        n_segments,
    };

    let mut partials: Vec<Vec<Vec<Hit>>> = (0..n_chunks * ctx.n_segments)
        .into_par_iter()
        .with_max_len(1)
        .map_init(
            || ctx.scratch(),
            |scratch, task| ctx.scan(scratch, task / ctx.n_segments, task % ctx.n_segments),
        )
        .collect();

    if ctx.n_segments == 1 {
        return Ok((partials.into_iter().flatten().collect(), f32_report));
    }
    let merged: Vec<Vec<Vec<Hit>>> = partials
        .par_chunks_mut(ctx.n_segments)
        .map(|segments| {
            let m = segments[0].len();
            (0..m)
                .map(|i| {
                    let mut top = TopK::new(prep.limit, params.k);
                    for seg in segments.iter_mut() {
                        top.extend(std::mem::take(&mut seg[i]), params.k, params.keep_ties);
                    }
                    top.finish(params.k, params.keep_ties)
                })
                .collect()
        })
        .collect();
    Ok((merged.into_iter().flatten().collect(), f32_report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_serde_and_parse_are_lowercase() {
        assert_eq!(
            serde_json::to_string(&Metric::Cosine).unwrap(),
            "\"cosine\""
        );
        assert_eq!(
            serde_json::from_str::<Metric>("\"euclidean\"").unwrap(),
            Metric::Euclidean
        );
        assert!(serde_json::from_str::<Metric>("\"Cosine\"").is_err());
        assert_eq!("cosine".parse::<Metric>().unwrap(), Metric::Cosine);
        assert_eq!(" Euclidean ".parse::<Metric>().unwrap(), Metric::Euclidean);
        assert_eq!(Metric::Euclidean.to_string(), "euclidean");
        assert!(matches!(
            "manhattan".parse::<Metric>(),
            Err(SearchError::UnknownMetric(_))
        ));
        let p: SearchParams = serde_json::from_str(r#"{"k": 3, "keep_ties": true}"#).unwrap();
        assert_eq!(p.k, 3);
        assert!(p.keep_ties);
        assert_eq!(p.metric, Metric::Cosine);
        assert!(serde_json::from_str::<SearchParams>(r#"{"kk": 3}"#).is_err());
    }

    #[test]
    fn strategy_names_parse() {
        assert_eq!("auto".parse::<Strategy>().unwrap(), Strategy::Auto);
        assert_eq!("".parse::<Strategy>().unwrap(), Strategy::Auto);
        assert_eq!(" F32 ".parse::<Strategy>().unwrap(), Strategy::F32);
        assert_eq!("int8".parse::<Strategy>().unwrap(), Strategy::Int8);
        assert_eq!(
            "int8-portable".parse::<Strategy>().unwrap(),
            Strategy::Int8Portable
        );
        assert_eq!("Int8-AVX2".parse::<Strategy>().unwrap(), Strategy::Int8Avx2);
        let err = "bf16".parse::<Strategy>().unwrap_err();
        assert_eq!(err, SearchError::UnknownStrategy("bf16".into()));
        assert!(err.to_string().contains("HOMOLOG_SEARCH_STRATEGY"), "{err}");
    }

    #[test]
    fn small_batches_and_forced_f32_take_the_f32_path() {
        let refs = [1.0, 0.0, 0.0, 1.0, 0.7, 0.7];
        let p = SearchParams::default();
        let f = RowFilter::none();
        let (hits, report) = search_with(&[1.0, 0.1], &refs, 2, &p, &f, Strategy::F32).unwrap();
        assert_eq!((report.path, report.two_pass), ("f32", None));
        let (two, report) =
            search_with(&[1.0, 0.1], &refs, 2, &p, &f, Strategy::Int8Portable).unwrap();
        assert_eq!(report.path, "int8-portable");
        assert_eq!(two, hits);
        // Euclidean rows near f32 overflow stay on the exact one-pass path.
        let e = SearchParams {
            metric: Metric::Euclidean,
            ..SearchParams::default()
        };
        let big = [3e15, 0.0, 0.0, 1.0];
        let (_, report) = search_with(&[1.0, 0.1], &big, 2, &e, &f, Strategy::Int8).unwrap();
        assert_eq!(report.path, "f32");
        // One query is below `two_pass_min_queries`: Auto stays on f32 (unless the environment
        // forces a strategy for the whole test run).
        if std::env::var(STRATEGY_ENV).is_err() {
            let (_, report) = search_with(&[1.0, 0.1], &refs, 2, &p, &f, Strategy::Auto).unwrap();
            assert_eq!(report.path, "f32");
        }
    }

    #[test]
    fn defaults_match_the_contract() {
        let p = SearchParams::default();
        assert_eq!(p.metric, Metric::Cosine);
        assert_eq!(p.k, 1);
        assert_eq!(p.threshold, None);
        assert!(!p.keep_ties);
        assert_eq!(p.query_chunk, 0);
    }

    #[test]
    fn validation_errors_name_the_problem() {
        let p = SearchParams::default();
        let f = RowFilter::none();
        assert_eq!(
            search(&[1.0; 4], &[1.0; 4], 0, &p, &f),
            Err(SearchError::ZeroDimension)
        );
        assert_eq!(
            search(&[1.0; 5], &[1.0; 4], 2, &p, &f),
            Err(SearchError::RaggedMatrix {
                matrix: "query",
                len: 5,
                dim: 2
            })
        );
        let zero_k = SearchParams {
            k: 0,
            ..SearchParams::default()
        };
        assert_eq!(
            search(&[1.0; 4], &[1.0; 4], 2, &zero_k, &f),
            Err(SearchError::ZeroK)
        );
        let nan_t = SearchParams {
            threshold: Some(f32::NAN),
            ..SearchParams::default()
        };
        assert_eq!(
            search(&[1.0; 4], &[1.0; 4], 2, &nan_t, &f),
            Err(SearchError::NanThreshold)
        );
        assert_eq!(
            search(&[1.0, f32::NAN], &[1.0; 4], 2, &p, &f),
            Err(SearchError::NonFinite {
                matrix: "query",
                row: 0
            })
        );
        assert_eq!(
            search(&[1.0; 2], &[1.0, 1.0, f32::INFINITY, 0.0], 2, &p, &f),
            Err(SearchError::NonFinite {
                matrix: "reference",
                row: 1
            })
        );
        let mask = RowFilter {
            allowed: Some(vec![true]),
            excluded_per_query: None,
        };
        assert_eq!(
            search(&[1.0; 2], &[1.0; 4], 2, &p, &mask),
            Err(SearchError::MaskLength {
                expected: 2,
                got: 1
            })
        );
        let ex = RowFilter {
            allowed: None,
            excluded_per_query: Some(vec![vec![2]]),
        };
        assert_eq!(
            search(&[1.0; 2], &[1.0; 4], 2, &p, &ex),
            Err(SearchError::ExcludedOutOfRange {
                query: 0,
                reference: 2,
                rows: 2
            })
        );
        let msg = SearchError::ExcludedOutOfRange {
            query: 0,
            reference: 2,
            rows: 2,
        }
        .to_string();
        assert!(msg.contains("query 0") && msg.contains("row 2"), "{msg}");
    }

    #[test]
    fn masked_out_broken_reference_row_is_ignored() {
        let f = RowFilter {
            allowed: Some(vec![true, false]),
            excluded_per_query: None,
        };
        let got = search(
            &[1.0, 0.0],
            &[1.0, 0.0, f32::NAN, 0.0],
            2,
            &SearchParams::default(),
            &f,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![vec![Hit {
                reference: 0,
                distance: 0.0
            }]]
        );
    }

    #[test]
    fn tiny_hand_checked_example() {
        // query (1, 0); refs: (0, 2) orthogonal, (3, 0) parallel, (-1, 0) opposite.
        let refs = [0.0, 2.0, 3.0, 0.0, -1.0, 0.0];
        let p = SearchParams {
            k: 3,
            ..SearchParams::default()
        };
        let got = search(&[1.0, 0.0], &refs, 2, &p, &RowFilter::none()).unwrap();
        let pairs: Vec<(u32, f32)> = got[0].iter().map(|h| (h.reference, h.distance)).collect();
        assert_eq!(pairs, vec![(1, 0.0), (0, 1.0), (2, 2.0)]);
        let p = SearchParams {
            metric: Metric::Euclidean,
            k: 2,
            ..SearchParams::default()
        };
        let got = search(&[1.0, 0.0], &refs, 2, &p, &RowFilter::none()).unwrap();
        let pairs: Vec<(u32, f32)> = got[0].iter().map(|h| (h.reference, h.distance)).collect();
        assert_eq!(pairs, vec![(1, 2.0), (2, 2.0)]);
    }
}
