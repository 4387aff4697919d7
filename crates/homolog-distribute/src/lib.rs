//! homolog's GAME predictor distributor: `homolog distribute --config distributor_config.yaml
//! HOST PORT` looks like one GAME predictor and spreads each `POST /predict` over a pool.
//!
//! The config is GAME Predictor Distributor's `distributor_config.yaml` as GAME writes it
//! (`base_url_template`, `predictor_pool` with string or integer ids and quoted or plain
//! ports), plus homolog's optional settings ([`config`]).
//!
//! Behaviour (GAME's Predictor Distributor, plus homolog's additions):
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
//! - request body size limit; structured logs (`tracing`) with per-batch worker, size, status
//!   and milliseconds.

pub mod config;
pub mod dist;
pub mod error;
pub mod server;

pub use config::{
    base_url, DistributorConfig, HealthCheck, PoolEntry, WorkerFormat, DEFAULT_BASE_URL_TEMPLATE,
};
pub use dist::{merge, plan_batches, Distributor};
pub use error::DistributeError;
pub use server::{router, run_blocking, serve};
