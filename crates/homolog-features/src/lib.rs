//! Feature summaries for homolog's research export (PROTEA's training data for its GO-term
//! re-ranker): the pieces that aggregate over a pool or over a query's neighbours. Per-pair
//! features live with their inputs (taxonomy pairs in `homolog-taxonomy`, alignments in
//! `homolog-align`); `docs/export.md` lists every column with its formula.
//!
//! - [`EmbeddingPca`]: PCA fitted on the reference pool's embeddings, projecting each query
//!   to `emb_pca_query_0..15` ([`EMB_PCA_COLUMNS`]). Exact (f64 eigen-decomposition of the
//!   covariance or Gram matrix, no LAPACK), scikit-learn's centring and sign convention;
//!   errors are [`PcaError`]s.
//! - [`TaxVoterTally`] -> [`TaxVoterFractions`]: the taxonomic consensus of the neighbours
//!   voting for a candidate term (`tax_voters_same_frac`, `tax_voters_close_frac`,
//!   `tax_voters_mean_common_ancestors`), from their
//!   [`TaxonomyPairFeatures`](homolog_taxonomy::TaxonomyPairFeatures).
//!
//! # Example
//!
//! ```
//! use homolog_features::{EmbeddingPca, EMB_PCA_COLUMNS};
//!
//! // A pool of 20 four-dimensional embeddings, and one query.
//! let pool: Vec<f32> = (0..80).map(|i| ((i * 37 % 23) as f32) / 7.0).collect();
//! let pca = EmbeddingPca::fit(&pool, 4, 3)?;
//! let row = pca.project(&[1.0, 2.0, 3.0, 4.0])?;
//! let named: Vec<(&str, f32)> = EMB_PCA_COLUMNS.iter().copied().zip(row).collect();
//! assert_eq!(named.len(), 3);
//! assert_eq!(named[0].0, "emb_pca_query_0");
//! # Ok::<(), homolog_features::PcaError>(())
//! ```

mod eigen;
mod error;
pub mod pca;
pub mod tax_voters;

pub use error::PcaError;
pub use pca::{EmbeddingPca, EMB_PCA_COLUMNS, EMB_PCA_DIM, PROTEA_MAX_FIT_ROWS};
pub use tax_voters::{TaxVoterFractions, TaxVoterTally};
