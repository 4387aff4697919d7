//! Scatter-gather of `POST /predict` over the worker pool.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use homolog_game::{
    decode, encode, parse_formats, parse_response, Format, GameError, PredictRequest,
    PredictResponse, TaskResult, Val,
};
use tokio::sync::Semaphore;

use crate::config::{DistributorConfig, PoolEntry, WorkerFormat};
use crate::error::DistributeError;

/// A worker of the pool with its state.
#[derive(Debug)]
pub struct Worker {
    /// Pool entry.
    pub entry: PoolEntry,
    /// `http://ip:port`.
    pub base: String,
    /// Wire format for this worker.
    pub format: Format,
    /// Bounds the batches in flight to this worker.
    pub slots: Semaphore,
}

impl Worker {
    /// `ip:port`.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.entry.pred_ip, self.entry.pred_port)
    }

    fn label(&self) -> String {
        format!("predictor {} ({})", self.entry.id, self.addr())
    }
}

/// The distributor: a pool of workers and an HTTP client.
#[derive(Debug)]
pub struct Distributor {
    config: DistributorConfig,
    workers: Vec<Arc<Worker>>,
    client: reqwest::Client,
}

/// How a batch went wrong.
enum BatchError {
    /// Worker could not be reached or did not answer in time: may be retried elsewhere.
    Transport(String),
    /// A final error to report.
    Game(GameError),
}

/// Cuts the sequences into at most `n` batches of similar total length (longest first into the
/// lightest batch); each batch keeps request order. Empty batches are dropped.
pub fn plan_batches(req: &PredictRequest, n: usize) -> Vec<Vec<usize>> {
    let flank = req.upstream_seq.as_ref().map_or(0, String::len)
        + req.downstream_seq.as_ref().map_or(0, String::len);
    // A fixed per-sequence cost so many tiny sequences still spread by count.
    const PER_SEQUENCE: usize = 32;
    let cost = |i: usize| -> usize {
        let (id, s) = &req.sequences[i];
        let len = match req.range_of(id) {
            Some((a, b)) => (b - a + 1) as usize,
            None => s.len() + flank,
        };
        len + PER_SEQUENCE
    };
    let n = n.max(1).min(req.sequences.len().max(1));
    let mut order: Vec<usize> = (0..req.sequences.len()).collect();
    order.sort_by_key(|&i| (Reverse(cost(i)), i));
    let mut heap: BinaryHeap<Reverse<(usize, usize)>> = (0..n).map(|b| Reverse((0, b))).collect();
    let mut batches = vec![Vec::new(); n];
    for i in order {
        let Reverse((load, b)) = heap.pop().unwrap_or(Reverse((0, 0)));
        batches[b].push(i);
        heap.push(Reverse((load + cost(i), b)));
    }
    for b in &mut batches {
        b.sort_unstable();
    }
    batches.retain(|b| !b.is_empty());
    batches
}

fn label_text(v: &Val) -> String {
    match v {
        Val::Str(s) => format!("'{s}'"),
        other => other.brief(),
    }
}

impl Distributor {
    /// A distributor over `config.predictor_pool` (no health check yet: see
    /// [`Distributor::health_check`]).
    pub fn new(config: DistributorConfig) -> Result<Self, DistributeError> {
        config
            .validate()
            .map_err(|message| DistributeError::Config {
                path: "<config>".into(),
                message,
            })?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs_f64(config.connect_timeout_s))
            .pool_max_idle_per_host(config.max_concurrency_per_worker.max(4))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| DistributeError::Client(e.to_string()))?;
        let fixed = match config.worker_format {
            WorkerFormat::Msgpack => Format::Msgpack,
            _ => Format::Json,
        };
        let workers = config
            .predictor_pool
            .iter()
            .map(|e| {
                Arc::new(Worker {
                    entry: e.clone(),
                    base: format!("http://{}:{}", e.pred_ip, e.pred_port),
                    format: fixed,
                    slots: Semaphore::new(config.max_concurrency_per_worker),
                })
            })
            .collect();
        Ok(Distributor {
            config,
            workers,
            client,
        })
    }

    /// The config.
    pub fn config(&self) -> &DistributorConfig {
        &self.config
    }

    /// The workers in use.
    pub fn workers(&self) -> &[Arc<Worker>] {
        &self.workers
    }

    /// Asks every worker for `/formats` until it answers or `health_check.timeout_s` passes;
    /// picks the wire format (`worker_format: auto`), and drops or refuses dead workers.
    pub async fn health_check(&mut self) -> Result<(), DistributeError> {
        let hc = self.config.health_check.clone();
        if !hc.enabled {
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs_f64(hc.timeout_s);
        let checks = self.workers.iter().map(|w| {
            let client = self.client.clone();
            let w = Arc::clone(w);
            async move {
                loop {
                    let t0 = Instant::now();
                    let res = client
                        .get(format!("{}/formats", w.base))
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await;
                    let outcome = match res {
                        Ok(r) if r.status().is_success() => {
                            let ct = r
                                .headers()
                                .get(reqwest::header::CONTENT_TYPE)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string);
                            match r.bytes().await {
                                Ok(b) => {
                                    let f = Format::from_content_type(ct.as_deref()).unwrap_or(Format::Json);
                                    Ok(decode(f, &b).ok().and_then(|v| parse_formats(&v)))
                                }
                                Err(e) => Err(e.to_string()),
                            }
                        }
                        Ok(r) => Err(format!("HTTP {}", r.status())),
                        Err(e) => Err(e.to_string()),
                    };
                    match outcome {
                        Ok(formats) => {
                            tracing::info!(worker = %w.entry.id, addr = %w.addr(), ms = t0.elapsed().as_secs_f64() * 1e3, "worker healthy");
                            return (w, Ok(formats));
                        }
                        Err(reason) if Instant::now() >= deadline => return (w, Err(reason)),
                        Err(_) => tokio::time::sleep(Duration::from_millis(hc.interval_ms)).await,
                    }
                }
            }
        });
        let results = futures_join_all(checks).await;
        let mut kept = Vec::new();
        for (w, r) in results {
            match r {
                Ok(formats) => {
                    let msgpack = formats.is_some_and(|f| {
                        let has =
                            |l: &[String]| l.iter().any(|x| x == homolog_game::codec::MSGPACK);
                        has(&f.request_formats) && has(&f.response_formats)
                    });
                    let format = match self.config.worker_format {
                        WorkerFormat::Auto if msgpack => Format::Msgpack,
                        WorkerFormat::Auto | WorkerFormat::Json => Format::Json,
                        WorkerFormat::Msgpack => Format::Msgpack,
                    };
                    kept.push(Arc::new(Worker {
                        entry: w.entry.clone(),
                        base: w.base.clone(),
                        format,
                        slots: Semaphore::new(self.config.max_concurrency_per_worker),
                    }));
                }
                Err(reason) => {
                    if hc.require_all {
                        return Err(DistributeError::Unhealthy {
                            id: w.entry.id.clone(),
                            addr: w.addr(),
                            reason,
                        });
                    }
                    tracing::warn!(worker = %w.entry.id, addr = %w.addr(), %reason, "worker dropped: failed the health check");
                }
            }
        }
        if kept.is_empty() {
            return Err(DistributeError::NoWorkers);
        }
        self.workers = kept;
        Ok(())
    }

    /// Forwards a `GET` (`/formats`, `/help`) to the first worker that answers; returns its
    /// status, content type and body unchanged.
    pub async fn forward_get(
        &self,
        path: &str,
        accept: Option<&str>,
    ) -> Result<(u16, String, Bytes), GameError> {
        let mut failures = Vec::new();
        for w in &self.workers {
            let mut rq = self
                .client
                .get(format!("{}{path}", w.base))
                .timeout(Duration::from_secs_f64(self.config.request_timeout_s));
            if let Some(a) = accept {
                rq = rq.header(reqwest::header::ACCEPT, a);
            }
            match rq.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let ct = r
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or(homolog_game::codec::JSON)
                        .to_string();
                    match r.bytes().await {
                        Ok(b) => return Ok((status, ct, b)),
                        Err(e) => failures.push(format!("{}: {e}", w.label())),
                    }
                }
                Err(e) => failures.push(format!("{}: {e}", w.label())),
            }
        }
        Err(GameError::server(format!(
            "no predictor answered GET {path}: {}",
            failures.join("; ")
        )))
    }

    async fn send_batch(&self, w: &Worker, body: &Bytes) -> Result<PredictResponse, BatchError> {
        let _slot = w
            .slots
            .acquire()
            .await
            .map_err(|e| BatchError::Transport(e.to_string()))?;
        let resp = self
            .client
            .post(format!("{}/predict", w.base))
            .header(reqwest::header::CONTENT_TYPE, w.format.mime())
            .header(reqwest::header::ACCEPT, w.format.mime())
            .timeout(Duration::from_secs_f64(self.config.request_timeout_s))
            .body(body.clone())
            .send()
            .await
            .map_err(|e| {
                let why = if e.is_timeout() {
                    format!("did not answer within {} s", self.config.request_timeout_s)
                } else if e.is_connect() {
                    format!("is unreachable ({e})")
                } else {
                    format!("failed: {e}")
                };
                BatchError::Transport(format!("{} {why}", w.label()))
            })?;
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = resp.bytes().await.map_err(|e| {
            BatchError::Transport(format!("{} broke off its answer: {e}", w.label()))
        })?;
        let format = Format::from_content_type(ct.as_deref()).unwrap_or(Format::Json);
        let val = decode(format, &bytes);
        if status != 200 {
            if let Ok(v) = &val {
                if let Some(e) = GameError::from_body(status, v) {
                    return Err(BatchError::Game(e));
                }
            }
            let text: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
            return Err(BatchError::Game(GameError::server(format!(
                "{} answered HTTP {status} without a GAME error object: {text:?}",
                w.label()
            ))));
        }
        let v = val.map_err(|e| {
            BatchError::Game(GameError::server(format!(
                "{} sent an undecodable response: {}",
                w.label(),
                e.messages().join("; ")
            )))
        })?;
        parse_response(v).map_err(|p| {
            BatchError::Game(GameError::server(format!(
                "{} sent a response that breaks GAME's schema: {}",
                w.label(),
                p.join("; ")
            )))
        })
    }

    /// Runs one batch on worker `first`, then on the next workers up to `retries` times when a
    /// worker is unreachable or times out.
    async fn run_batch(
        &self,
        index: usize,
        first: usize,
        req: PredictRequest,
    ) -> (usize, Result<(String, PredictResponse), GameError>) {
        let n_workers = self.workers.len();
        let mut last = String::new();
        let mut by_format: HashMap<Format, Bytes> = HashMap::new();
        for attempt in 0..=self.config.retries.min(n_workers - 1) {
            let w = &self.workers[(first + attempt) % n_workers];
            let body = match by_format.get(&w.format) {
                Some(b) => b.clone(),
                None => match encode(w.format, &req) {
                    Ok(b) => {
                        let b = Bytes::from(b);
                        by_format.insert(w.format, b.clone());
                        b
                    }
                    Err(e) => return (index, Err(e)),
                },
            };
            let t0 = Instant::now();
            let bases: usize = req.sequences.iter().map(|(_, s)| s.len()).sum();
            let out = self.send_batch(w, &body).await;
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            match out {
                Ok(resp) => {
                    if let Err(p) = resp.check_answers(&req) {
                        return (
                            index,
                            Err(GameError::server(format!(
                                "{} answered batch {index} incompletely: {}",
                                w.label(),
                                p.join("; ")
                            ))),
                        );
                    }
                    tracing::info!(batch = index, worker = %w.entry.id, sequences = req.sequences.len(), bases, status = 200, ms, "batch done");
                    return (index, Ok((w.entry.id.clone(), resp)));
                }
                Err(BatchError::Game(e)) => {
                    tracing::warn!(batch = index, worker = %w.entry.id, sequences = req.sequences.len(), bases, status = e.status, ms, error = %e, "batch failed");
                    return (index, Err(e));
                }
                Err(BatchError::Transport(why)) => {
                    tracing::warn!(batch = index, worker = %w.entry.id, attempt, ms, %why, "batch not delivered");
                    last = why;
                }
            }
        }
        let hint = if self.config.retries == 0 {
            " (set retries: N in distributor_config.yaml to retry on another predictor)"
        } else {
            ""
        };
        (index, Err(GameError::server(format!("{last}{hint}"))))
    }

    /// Splits `req`, runs the batches concurrently, checks agreement and merges in request
    /// order.
    pub async fn predict(&self, req: PredictRequest) -> Result<PredictResponse, GameError> {
        let t0 = Instant::now();
        let n_batches = self.workers.len() * self.config.batches_per_worker;
        let plan = plan_batches(&req, n_batches);
        let jobs = plan.iter().enumerate().map(|(b, idx)| {
            let sub = req.subset(idx);
            self.run_batch(b, b % self.workers.len(), sub)
        });
        let mut results = futures_join_all(jobs).await;
        results.sort_by_key(|(b, _)| *b);
        // Worker errors pass through: the first failing batch sets the status; messages of
        // every failing batch are kept (duplicates dropped).
        let mut failure: Option<GameError> = None;
        let mut ok = Vec::with_capacity(results.len());
        for (_, r) in results {
            match r {
                Ok(x) => ok.push(x),
                Err(e) => match &mut failure {
                    None => failure = Some(e),
                    Some(f) => {
                        for entry in e.entries {
                            if !f.entries.contains(&entry) {
                                f.entries.push(entry);
                            }
                        }
                    }
                },
            }
        }
        if let Some(f) = failure {
            return Err(f);
        }
        let merged = merge(&req, ok)?;
        tracing::info!(
            sequences = req.sequences.len(),
            batches = plan.len(),
            ms = t0.elapsed().as_secs_f64() * 1e3,
            "predict merged"
        );
        Ok(merged)
    }
}

/// Checks that the batches agree on every task's `*_actual` fields (and `bin_size`), then
/// merges predictions and `trim_upstream` in the request's sequence order.
pub fn merge(
    req: &PredictRequest,
    parts: Vec<(String, PredictResponse)>,
) -> Result<PredictResponse, GameError> {
    let Some((_, first)) = parts.first() else {
        return Err(GameError::server(
            "no batch was run (the request has no sequences)",
        ));
    };
    let mut problems = Vec::new();
    // bin_size must agree.
    let bins: Vec<(Option<u64>, &str)> = parts
        .iter()
        .map(|(w, r)| (r.bin_size, w.as_str()))
        .collect();
    if bins.iter().any(|b| b.0 != bins[0].0) {
        problems.push(format!(
            "workers disagree on bin_size: {}",
            bins.iter()
                .map(|(b, w)| format!("{w}: {b:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut tasks = Vec::with_capacity(req.tasks.len());
    for t in &req.tasks {
        let per: Vec<(&str, &TaskResult)> = parts
            .iter()
            .filter_map(|(w, r)| {
                r.tasks
                    .iter()
                    .find(|x| x.name == t.name)
                    .map(|x| (w.as_str(), x))
            })
            .collect();
        type Getter = fn(&TaskResult) -> Option<&Val>;
        let fields: [(&str, Getter); 4] = [
            ("type_actual", |x| Some(&x.type_actual)),
            ("cell_type_actual", |x| Some(&x.cell_type_actual)),
            ("species_actual", |x| Some(&x.species_actual)),
            ("scale_prediction_actual", |x| {
                x.scale_prediction_actual.as_ref()
            }),
        ];
        for (field, get) in fields {
            let mut groups: Vec<(Option<&Val>, Vec<&str>)> = Vec::new();
            for (w, x) in &per {
                let v = get(x);
                match groups.iter_mut().find(|(g, _)| *g == v) {
                    Some((_, ws)) => {
                        if !ws.contains(w) {
                            ws.push(w)
                        }
                    }
                    None => groups.push((v, vec![*w])),
                }
            }
            if groups.len() > 1 {
                let desc: Vec<String> = groups
                    .iter()
                    .map(|(v, ws)| {
                        format!(
                            "{} from worker(s) {}",
                            v.map_or("nothing".to_string(), label_text),
                            ws.join(", ")
                        )
                    })
                    .collect();
                problems.push(format!(
                    "task '{}': workers disagree on {field}: {}; the pool must run identical predictors",
                    t.name,
                    desc.join("; ")
                ));
            }
        }
        let Some((_, base)) = per.first() else {
            problems.push(format!("task '{}': no worker returned it", t.name));
            continue;
        };
        let mut preds: HashMap<&str, &Val> = HashMap::with_capacity(req.sequences.len());
        let mut trims: HashMap<&str, u64> = HashMap::new();
        let mut any_trim = false;
        for (_, x) in &per {
            for (id, v) in &x.predictions {
                preds.insert(id.as_str(), v);
            }
            if let Some(tr) = &x.trim_upstream {
                any_trim = true;
                for (id, n) in tr {
                    trims.insert(id.as_str(), *n);
                }
            }
        }
        let mut predictions = Vec::with_capacity(req.sequences.len());
        for (id, _) in &req.sequences {
            match preds.get(id.as_str()) {
                Some(v) => predictions.push((id.clone(), (*v).clone())),
                None => problems.push(format!(
                    "task '{}': no worker predicted sequence '{id}'",
                    t.name
                )),
            }
        }
        let trim_upstream = any_trim.then(|| {
            req.sequences
                .iter()
                .filter_map(|(id, _)| trims.get(id.as_str()).map(|n| (id.clone(), *n)))
                .collect()
        });
        tasks.push(TaskResult {
            predictions,
            trim_upstream,
            ..(*base).clone()
        });
    }
    if !problems.is_empty() {
        return Err(GameError::many(
            homolog_game::ErrorKind::PredictionRequestFailed,
            problems,
        ));
    }
    Ok(PredictResponse {
        predictor_name: first.predictor_name.clone(),
        request: first.request.clone(),
        bin_size: first.bin_size,
        tasks,
        extra: first.extra.clone(),
    })
}

/// Awaits futures concurrently on the current task (no extra dependency on `futures`).
pub async fn futures_join_all<F: std::future::Future>(
    futs: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futs {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future completed"))
        .collect()
}
