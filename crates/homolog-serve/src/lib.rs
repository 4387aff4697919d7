//! homolog's GAME predictor: `homolog serve predictor --config predictor.yaml --host H --port P`.
//!
//! A GAME Predictor answers `GET /formats`, `GET /help` and `POST /predict` (see
//! `homolog-game` for the messages). homolog's model applies its own method to readouts: a
//! reference table of DNA sequences with measured values per task ([`table`]), embedded with a
//! registry model ([`model::build_embedder`]; DNA uses the canonical k-mer profile of [`dna`]
//! until homolog-embed's `dna-kmer` lands), and a prediction is the similarity-weighted mean of
//! the k nearest references' values ([`model`]). `type_actual`, `cell_type_actual`,
//! `species_actual` come from the table's task metadata.
//!
//! - [`config::PredictorConfig`]: the YAML config;
//! - [`Predictor`]: load, [`Predictor::predict`], [`Predictor::help`], [`Predictor::formats`];
//! - [`server`]: [`server::router`], [`server::serve`] (for tests and embedding in other
//!   programs) and [`server::run_blocking`] (the CLI).

pub mod config;
pub mod error;
pub mod model;
pub mod server;
pub mod synthetic;
pub mod table;

pub use config::{PredictorConfig, TaskMatching, TaskMeta};
pub use error::ServeError;
pub use model::Predictor;
pub use server::{router, run_blocking, serve};
