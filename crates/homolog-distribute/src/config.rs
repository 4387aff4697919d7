//! `distributor_config.yaml`: GAME's `predictor_pool`, plus homolog's optional settings.
//!
//! ```yaml
//! predictor_pool:                 # GAME's format
//!   - {id: 1, pred_ip: 10.0.0.5, pred_port: 5001}
//!   - {id: 2, pred_ip: 10.0.0.6, pred_port: 5001}
//! connect_timeout_s: 5            # per connection attempt
//! request_timeout_s: 600          # per batch
//! retries: 0                      # retry a batch on the next worker(s) when a worker is unreachable
//! max_concurrency_per_worker: 4   # batches in flight per worker
//! batches_per_worker: 1           # batches = workers x this (sized by sequence length)
//! max_body_bytes: 268435456       # larger evaluator requests are a 400
//! worker_format: auto             # auto (msgpack when a worker's /formats offers it) | json | msgpack
//! health_check: {enabled: true, timeout_s: 60, interval_ms: 500, require_all: true}
//! ```

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::DistributeError;

/// One predictor of the pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolEntry {
    /// Worker id (GAME writes integers or strings), used in logs and error messages.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Host or IP address.
    pub pred_ip: String,
    /// Port.
    pub pred_port: u16,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        S(String),
        I(i64),
        U(u64),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::S(s) => s,
        Raw::I(i) => i.to_string(),
        Raw::U(u) => u.to_string(),
    })
}

/// Start-up health check of every worker (`GET /formats`, as GAME's Slurm scripts do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthCheck {
    /// Check at start-up.
    pub enabled: bool,
    /// How long to keep trying a worker that is not up yet.
    pub timeout_s: f64,
    /// Pause between tries.
    pub interval_ms: u64,
    /// Fail start-up if any worker stays down (else drop it from the pool with a warning).
    pub require_all: bool,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            enabled: true,
            timeout_s: 60.0,
            interval_ms: 500,
            require_all: true,
        }
    }
}

/// Wire format between the distributor and its workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerFormat {
    /// msgpack when the worker's `/formats` lists it for requests and responses, else JSON.
    #[default]
    Auto,
    /// Always JSON.
    Json,
    /// Always msgpack.
    Msgpack,
}

/// The distributor config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributorConfig {
    /// The predictors.
    pub predictor_pool: Vec<PoolEntry>,
    /// Connection timeout (seconds).
    #[serde(default = "d_connect")]
    pub connect_timeout_s: f64,
    /// Whole-batch timeout (seconds).
    #[serde(default = "d_request")]
    pub request_timeout_s: f64,
    /// Other workers to try when a batch's worker is unreachable or times out.
    #[serde(default)]
    pub retries: usize,
    /// Batches in flight per worker.
    #[serde(default = "d_conc")]
    pub max_concurrency_per_worker: usize,
    /// Batches per worker and request.
    #[serde(default = "d_bpw")]
    pub batches_per_worker: usize,
    /// Largest evaluator request body (bytes).
    #[serde(default = "d_body")]
    pub max_body_bytes: usize,
    /// Wire format to the workers.
    #[serde(default)]
    pub worker_format: WorkerFormat,
    /// Start-up health check.
    #[serde(default)]
    pub health_check: HealthCheck,
}

fn d_connect() -> f64 {
    5.0
}
fn d_request() -> f64 {
    600.0
}
fn d_conc() -> usize {
    4
}
fn d_bpw() -> usize {
    1
}
fn d_body() -> usize {
    256 << 20
}

impl DistributorConfig {
    /// A config with defaults for everything but the pool.
    pub fn with_pool(pool: Vec<PoolEntry>) -> Self {
        DistributorConfig {
            predictor_pool: pool,
            connect_timeout_s: d_connect(),
            request_timeout_s: d_request(),
            retries: 0,
            max_concurrency_per_worker: d_conc(),
            batches_per_worker: d_bpw(),
            max_body_bytes: d_body(),
            worker_format: WorkerFormat::Auto,
            health_check: HealthCheck::default(),
        }
    }

    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Self, DistributeError> {
        let text = std::fs::read_to_string(path).map_err(|source| DistributeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let cfg: DistributorConfig = serde_yaml::from_str(&text).map_err(|e| DistributeError::Config {
            path: path.to_path_buf(),
            message: format!("{e} (GAME's format: predictor_pool: [{{id, pred_ip, pred_port}}]; see docs/game.md)"),
        })?;
        cfg.validate().map_err(|message| DistributeError::Config {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(cfg)
    }

    /// Checks value ranges; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.predictor_pool.is_empty() {
            return Err(
                "predictor_pool is empty; list at least one {id, pred_ip, pred_port}".into(),
            );
        }
        let mut ids = std::collections::HashSet::new();
        for w in &self.predictor_pool {
            if !ids.insert(&w.id) {
                return Err(format!(
                    "predictor_pool: id {:?} is used twice; ids must be unique",
                    w.id
                ));
            }
            if w.pred_port == 0 {
                return Err(format!("predictor_pool: worker {:?} has pred_port 0", w.id));
            }
        }
        let pos = |x: f64, k: &str| {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(format!("{k} = {x}; give a positive number of seconds"))
            }
        };
        pos(self.connect_timeout_s, "connect_timeout_s")?;
        pos(self.request_timeout_s, "request_timeout_s")?;
        if self.max_concurrency_per_worker == 0
            || self.batches_per_worker == 0
            || self.max_body_bytes == 0
        {
            return Err(
                "max_concurrency_per_worker, batches_per_worker and max_body_bytes must be >= 1"
                    .into(),
            );
        }
        Ok(())
    }
}
