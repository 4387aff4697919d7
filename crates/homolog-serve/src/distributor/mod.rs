//! homolog's GAME predictor distributor (`homolog distribute --config distributor_config.yaml
//! HOST PORT`): it looks like one GAME predictor and spreads each `POST /predict` over a pool.
//!
//! The config is GAME Predictor Distributor's `distributor_config.yaml` as GAME writes it
//! (`base_url_template`, `predictor_pool` with string or integer ids and quoted or plain
//! ports), plus homolog's optional settings ([`config`]).
//!
//! Behaviour (GAME's Predictor Distributor, plus homolog's own settings):
//! - `GET /formats` and `GET /help` are forwarded to the first worker that answers;
//! - `POST /predict` is validated like a predictor would (400s come from the distributor
//!   itself), cut into `workers x batches_per_worker` batches of similar total sequence length
//!   ([`plan_batches`]; each batch keeps its sequences' `prediction_ranges` and the request's
//!   flanks and tasks), and the batches are sent concurrently, at most
//!   `max_concurrency_per_worker` in flight per worker;
//! - every task's `type_actual`, `cell_type_actual`, `species_actual` and (when present)
//!   `scale_prediction_actual`, and the `bin_size`, must agree across workers, else 422
//!   `prediction_request_failed` naming the task, the field and the workers ([`merge`]);
//! - predictions and `trim_upstream` are merged back in the request's sequence order, and
//!   `type_actual` is written as GAME's array of strings (an older worker's string is read as
//!   a one-element list);
//! - a worker's GAME error passes through with its status (the first failing batch's status;
//!   the messages of every failing batch); an unreachable or timed-out worker is a 500
//!   `server_error` naming it, or with `retries: N` the batch goes to the next worker;
//! - at start-up every worker's `/formats` is polled until it answers (GAME's Slurm scripts
//!   wait the same way), which also picks msgpack for the worker link when offered;
//! - per-batch logs (`tracing`) with worker, size, status and milliseconds.
//!
//! The distributor does not depend on the predictor: build homolog-serve with
//! `default-features = false, features = ["distributor"]` for it alone.

pub mod config;
pub mod scatter;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use homolog_game::{GameError, PredictRequest, PredictResponse};

pub use config::{
    base_url, DistributorConfig, HealthCheck, PoolEntry, WorkerFormat, DEFAULT_BASE_URL_TEMPLATE,
};
pub use scatter::{merge, plan_batches, Distributor, Worker};

use crate::error::ServeError;
use crate::service::{GameService, Reply};

impl GameService for Distributor {
    const BODY_LIMIT_OWNER: &'static str = "the distributor's";
    const LOG_NAME: &'static str = "distributor predict";

    fn max_body_bytes(&self) -> usize {
        self.config().max_body_bytes
    }

    async fn formats(&self, accept: Option<&str>) -> Result<Reply, GameError> {
        self.forward_get("/formats", accept).await
    }

    async fn help(&self, accept: Option<&str>) -> Result<Reply, GameError> {
        self.forward_get("/help", accept).await
    }

    async fn predict(
        self: Arc<Self>,
        request: PredictRequest,
    ) -> Result<PredictResponse, GameError> {
        self.scatter_gather(request).await
    }

    fn listening(&self, local: SocketAddr) {
        let ids: Vec<String> = self
            .workers()
            .iter()
            .map(|w| format!("{}={}", w.entry.id, w.addr()))
            .collect();
        tracing::info!(%local, workers = %ids.join(","), "GAME distributor listening");
        eprintln!(
            "homolog distributor listening on http://{local} over {} predictor(s): {}",
            ids.len(),
            ids.join(", ")
        );
    }
}

/// Loads the config, checks the workers, binds `host:port`, writes the bound `ip:port` to
/// `address_file` if given (after every worker passed the health check), and serves until
/// Ctrl-C / SIGTERM.
pub fn run_blocking(
    config: &Path,
    host: &str,
    port: u16,
    address_file: Option<&Path>,
) -> Result<(), ServeError> {
    let config = DistributorConfig::load(config)?;
    crate::server::run_blocking(host, port, address_file, async {
        let mut d = Distributor::new(config)?;
        d.health_check().await?;
        Ok(d)
    })
}
