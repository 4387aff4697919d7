//! PROTEA's research export: the training data of its GO-term re-ranker.
//!
//! For each query protein and GO aspect (P, F, C), the k nearest reference proteins annotated
//! in that aspect (embedding distance in one model/layer) propose their GO terms; every
//! distinct term becomes a candidate row with PROTEA's features (neighbour votes and
//! distances, the 12 NW/SW alignment features against the nearest neighbour carrying the
//! term, taxonomy, the query embedding's PCA summary, GO-term semantics), a label (was the
//! term gained in a later annotation release?) and the (query, aspect)'s category (NK, LK,
//! PK). Rows of consecutive release pairs go to `train.parquet`, the last pair's to
//! `eval.parquet`; `manifest.json` records the schema, counts and input hashes.
//!
//! - [`export`] runs a whole [`ExportConfig`] (`homolog export --config export.yaml --out
//!   DIR|s3://bucket/prefix`): streamed one chunk of queries at a time, one row group per
//!   chunk, written atomically, byte-identical whatever the thread count and whether the
//!   alignment cache was cold or warm.
//! - [`rows_for_queries`] computes the rows of a batch of queries in memory (what `export`
//!   does per chunk), over a [`ReferencePool`] ([`ReferencePool::from_reference`] or
//!   [`PoolBuilder`]).
//! - [`schema`] fixes the columns; `docs/export.md` describes each one.
//!
//! # Example
//!
//! Two reference proteins, one query; the query gains GO:0000002 in the later release.
//!
//! ```
//! use std::sync::Arc;
//! use homolog_export::{
//!     rows_for_queries, Category, PoolBuilder, ProteinTruth, QueryInput, RowContext, RowSettings,
//! };
//! use homolog_go::{Aspect, Ontology};
//!
//! let obo = "[Term]\nid: GO:0003674\nname: mf\nnamespace: molecular_function\n\n\
//!            [Term]\nid: GO:0000001\nname: a\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
//!            [Term]\nid: GO:0000002\nname: b\nnamespace: molecular_function\nis_a: GO:0003674\n";
//! let onto = Ontology::from_reader(obo.as_bytes(), "go.obo")?;
//! let f = Aspect::MolecularFunction;
//! let pool = PoolBuilder::new(2)
//!     .protein("R1", "MKTAYIAKQR", &[1.0, 0.0], None, &[("GO:0000001", f, Some("IDA"))])
//!     .protein("R2", "MKTAWIAKR", &[0.0, 1.0], None, &[("GO:0000002", f, Some("EXP"))])
//!     .build()?;
//! let term_onto: Vec<Option<u32>> =
//!     (0..pool.n_terms() as u32).map(|t| onto.index(pool.term_id(t))).collect();
//! let ctx = RowContext {
//!     pool: &pool, onto: &onto, term_onto: &term_onto, taxonomy: None, anc2vec: None,
//!     ic: None, k: 2, release_pair: Arc::from("t0->t1"),
//! };
//! let query = QueryInput {
//!     accession: "Q1".into(), sequence: "MKTAYIAKQR".into(), embedding: vec![1.0, 0.5], taxid: None,
//! };
//! // NK: nothing known before; gained GO:0000002 and (propagated) its parent.
//! let mut truth = ProteinTruth::default();
//! truth.category = [Some(Category::NK); 3];
//! truth.gained[1] = onto.propagate_idx(&[onto.index("GO:0000002").unwrap()]);
//! let settings = RowSettings { k: 2, ..RowSettings::default() };
//! let (rows, _) = rows_for_queries(&ctx, &[query], &[&truth], None, &settings, None)?;
//!
//! assert_eq!(rows.len(), 2);
//! assert_eq!((rows[0].go_id.as_str(), rows[0].label, rows[0].k_position), ("GO:0000001", false, 1.0));
//! assert_eq!((rows[1].go_id.as_str(), rows[1].label, rows[1].k_position), ("GO:0000002", true, 2.0));
//! assert_eq!(rows[1].neighbor_vote_fraction, 0.5);
//! assert_eq!(rows[0].alignment.unwrap().identity_nw, 1.0);
//! # Ok::<(), homolog_export::ExportError>(())
//! ```

pub mod candidates;
pub mod config;
mod error;
pub mod manifest;
pub mod npz;
pub mod output;
pub mod pool;
pub mod releases;
mod run;
pub mod schema;
pub mod semantics;

pub use candidates::{CandidateRow, Neighbour, QueryInput, RowContext};
pub use config::{ExportConfig, Split};
pub use error::ExportError;
pub use manifest::Manifest;
pub use pool::{PoolBuilder, ReferencePool};
pub use releases::{Category, PairTruth, ProteinTruth};
pub use run::{export, fit_pca, rows_for_queries, ExportReport, RowSettings};
