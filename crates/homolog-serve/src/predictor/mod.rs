//! homolog's GAME predictor (`homolog serve predictor --config predictor.yaml --host H --port
//! P`): k-nearest-reference regression over DNA embeddings.
//!
//! The model applies homolog's own method to GAME readouts: a reference table of DNA
//! sequences with measured values per task ([`table`]) is embedded with a homolog-embed model
//! ([`model::build_embedder`]: `dna-kmer` by default, or `dna-kmer-canonical`, its
//! square-root-weighted unit-length variant), and a prediction is the similarity-weighted mean
//! of the k nearest references' values ([`model`]). `type_actual`, `cell_type_actual`,
//! `species_actual` come from the table's task metadata.
//!
//! - [`PredictorConfig`]: the YAML config;
//! - [`Predictor`]: [`Predictor::load`] / [`Predictor::new`] / [`Predictor::with_table`],
//!   then the model itself ([`Predictor::predict_blocking`], [`Predictor::formats_body`],
//!   [`Predictor::help_body`]) or the [`GameService`] the router serves;
//! - [`synthetic`]: seeded synthetic reference tables and queries for tests and benchmarks;
//! - [`run_blocking`]: the CLI's entry point.

pub mod config;
pub mod model;
pub mod synthetic;
pub mod table;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use homolog_game::{Format, GameError, PredictRequest, PredictResponse};

pub use config::{PredictorConfig, TaskMatching, TaskMeta};
pub use model::Predictor;
pub use table::ReferenceTable;

use crate::error::ServeError;
use crate::service::{GameService, Reply};

impl GameService for Predictor {
    const BODY_LIMIT_OWNER: &'static str = "this server's";
    const LOG_NAME: &'static str = "predict";

    fn max_body_bytes(&self) -> usize {
        self.config().max_body_bytes
    }

    async fn formats(&self, accept: Option<&str>) -> Result<Reply, GameError> {
        Reply::encode(Format::from_accept(accept), &self.formats_body())
    }

    async fn help(&self, accept: Option<&str>) -> Result<Reply, GameError> {
        Reply::encode(Format::from_accept(accept), &self.help_body())
    }

    /// Runs the model on tokio's blocking pool, so that a slow prediction never stalls the
    /// accept loop.
    async fn predict(
        self: Arc<Self>,
        request: PredictRequest,
    ) -> Result<PredictResponse, GameError> {
        tokio::task::spawn_blocking(move || self.predict_blocking(&request))
            .await
            .map_err(|e| {
                GameError::server(format!("prediction task panicked or was cancelled: {e}"))
            })?
    }

    fn listening(&self, local: SocketAddr) {
        let name = &self.config().predictor_name;
        tracing::info!(%local, %name, "GAME predictor listening");
        eprintln!("homolog predictor {name} listening on http://{local}");
    }
}

/// Loads the predictor from `config`, binds `host:port` (port 0 = any free port), writes the
/// bound `ip:port` to `address_file` if given, and serves until Ctrl-C / SIGTERM.
pub fn run_blocking(
    config: &Path,
    host: &str,
    port: u16,
    address_file: Option<&Path>,
) -> Result<(), ServeError> {
    let predictor = Predictor::load(config)?;
    crate::server::run_blocking(host, port, address_file, async { Ok(predictor) })
}
