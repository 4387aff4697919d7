//! `distributor_config.yaml`: GAME's format (`base_url_template`, `predictor_pool`), plus
//! homolog's optional settings.
//!
//! GAME's Predictor Distributor (de-Boer-Lab/GAME-predictor-distributor) writes its file so,
//! and homolog reads it as it is:
//!
//! ```yaml
//! base_url_template: "http://{pred_ip}:{pred_port}"   # optional, this is the default
//! predictor_pool:
//!   - id: "worker_1"              # a string or an integer
//!     pred_ip: "172.16.32.64"
//!     pred_port: "8000"           # a quoted string (GAME's example) or a number
//! ```
//!
//! `base_url_template` is how the distributor reaches each predictor: `{pred_ip}` and
//! `{pred_port}` are replaced by the worker's values (an IPv6 address gets its brackets), and
//! `/formats`, `/help`, `/predict` are appended, so a template may add a path prefix
//! (`http://{pred_ip}:{pred_port}/game`, a predictor behind a reverse proxy). It must give
//! `http://` URLs. homolog's optional settings, with their defaults:
//!
//! ```yaml
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

use serde::{de, Deserialize, Deserializer, Serialize};

use crate::error::{read_yaml, ServeError};

/// GAME's default `base_url_template`.
pub const DEFAULT_BASE_URL_TEMPLATE: &str = "http://{pred_ip}:{pred_port}";

/// One predictor of the pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolEntry {
    /// Worker id (GAME writes integers or strings), used in logs and error messages.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Host or IP address.
    pub pred_ip: String,
    /// Port: a number, or a quoted string as GAME's example writes it (`"8000"`).
    #[serde(deserialize_with = "port")]
    pub pred_port: u16,
}

/// A port given as a YAML number or a string of digits (GAME's own example quotes them).
fn port<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    struct PortVisitor;
    const HOW: &str = "write a port from 1 to 65535, as a number (pred_port: 5101) or a quoted string (pred_port: \"5101\")";
    impl de::Visitor<'_> for PortVisitor {
        type Value = u16;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "a port number; {HOW}")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u16, E> {
            match u16::try_from(v) {
                Ok(p) if p > 0 => Ok(p),
                _ => Err(E::custom(format!("port {v} is out of range; {HOW}"))),
            }
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u16, E> {
            match u64::try_from(v) {
                Ok(u) => self.visit_u64(u),
                Err(_) => Err(E::custom(format!("port {v} is out of range; {HOW}"))),
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u16, E> {
            match v.trim().parse::<u64>() {
                Ok(u) => self.visit_u64(u),
                Err(_) => Err(E::custom(format!("{v:?} is not a port number; {HOW}"))),
            }
        }
    }
    d.deserialize_any(PortVisitor)
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
    /// GAME's URL pattern of a predictor: `{pred_ip}` and `{pred_port}` are replaced by each
    /// worker's; endpoints are appended. Default `http://{pred_ip}:{pred_port}`.
    #[serde(default = "d_template")]
    pub base_url_template: String,
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

fn d_template() -> String {
    DEFAULT_BASE_URL_TEMPLATE.to_string()
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
            base_url_template: d_template(),
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
    pub fn load(path: &Path) -> Result<Self, ServeError> {
        let cfg: DistributorConfig = read_yaml(
            path,
            "GAME's format: optional base_url_template: \"http://{pred_ip}:{pred_port}\", predictor_pool: [{id, pred_ip, pred_port}], plus homolog's optional settings; see docs/game.md",
        )?;
        cfg.validate()
            .map_err(|message| ServeError::config(path, message))?;
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
        self.worker_urls()?;
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

    /// Each worker's base URL, in pool order: [`base_url`] of `base_url_template`.
    pub fn worker_urls(&self) -> Result<Vec<String>, String> {
        self.predictor_pool
            .iter()
            .map(|w| base_url(&self.base_url_template, w))
            .collect()
    }
}

/// A worker's base URL from GAME's `base_url_template`: `{pred_ip}` and `{pred_port}` replaced
/// (an IPv6 address in brackets), `{{`/`}}` read as braces (Python's `str.format`, which GAME
/// uses), a trailing `/` dropped. The message of an error says what is wrong and how to fix it.
pub fn base_url(template: &str, w: &PoolEntry) -> Result<String, String> {
    const FIX: &str = "GAME's placeholders are {pred_ip} and {pred_port}, e.g. base_url_template: \"http://{pred_ip}:{pred_port}\"";
    let mut url = String::with_capacity(template.len() + 24);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        url.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            url.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            url.push('}');
            rest = after;
        } else if tail.starts_with('}') {
            return Err(format!(
                "base_url_template {template:?} has a '}}' that closes nothing (write '}}}}' for a brace); {FIX}"
            ));
        } else {
            let Some(end) = tail.find('}') else {
                return Err(format!(
                    "base_url_template {template:?} has a '{{' that is not closed; {FIX}"
                ));
            };
            match &tail[1..end] {
                "pred_ip" => {
                    if w.pred_ip.parse::<std::net::Ipv6Addr>().is_ok() {
                        url.push_str(&format!("[{}]", w.pred_ip));
                    } else {
                        url.push_str(&w.pred_ip);
                    }
                }
                "pred_port" => url.push_str(&w.pred_port.to_string()),
                other => {
                    return Err(format!(
                    "base_url_template {template:?} has the unknown placeholder {{{other}}}; {FIX}"
                ))
                }
            }
            rest = &tail[end + 1..];
        }
    }
    url.push_str(rest);
    while url.ends_with('/') {
        url.pop();
    }
    let parsed = reqwest::Url::parse(&url).map_err(|e| {
        format!(
            "base_url_template {template:?} gives {url:?} for worker {:?}, which is not a URL ({e}); check pred_ip and the template",
            w.id
        )
    })?;
    if parsed.scheme() != "http" {
        return Err(format!(
            "base_url_template {template:?} gives {url:?} for worker {:?}; homolog's distributor talks plain HTTP to its predictors, so the URL must start with http://",
            w.id
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "base_url_template {template:?} gives {url:?} for worker {:?}; a query or fragment cannot precede the endpoint (/predict), remove it",
            w.id
        ));
    }
    Ok(url)
}
