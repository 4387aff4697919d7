//! The distributor's worker pool: start-up health check, forwarded `GET`s, and the
//! scatter-gather of `POST /predict` (batch plan, concurrent batches, agreement check, merge).

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use homolog_game::{
    decode, encode, parse_formats, parse_response, Format, GameError, PredictRequest,
    PredictResponse, Range, TaskResult, Val,
};
use tokio::sync::Semaphore;

use super::config::{DistributorConfig, PoolEntry, WorkerFormat};
use crate::error::ServeError;
use crate::service::Reply;

/// A worker of the pool with its state.
#[derive(Debug)]
pub struct Worker {
    /// Pool entry.
    pub entry: PoolEntry,
    /// Base URL from `base_url_template` (`http://ip:port` by default); endpoints are
    /// appended to it.
    pub base: String,
    /// Wire format for this worker.
    pub format: Format,
    /// Bounds the batches in flight to this worker.
    pub slots: Semaphore,
}

impl Worker {
    /// The base URL without `http://`: `ip:port` with the default template.
    pub fn addr(&self) -> String {
        let b = &self.base;
        b.strip_prefix("http://").unwrap_or(b).to_string()
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
    plan_batches_with(req, req.ranges_by_index().as_deref(), n)
}

/// [`plan_batches`] with the ranges already aligned ([`PredictRequest::ranges_by_index`]).
fn plan_batches_with(req: &PredictRequest, ranges: Option<&[Range]>, n: usize) -> Vec<Vec<usize>> {
    let flank = req.upstream_seq.as_ref().map_or(0, String::len)
        + req.downstream_seq.as_ref().map_or(0, String::len);
    // A fixed per-sequence cost so many tiny sequences still spread by count.
    const PER_SEQUENCE: usize = 32;
    let cost: Vec<usize> = req
        .sequences
        .iter()
        .enumerate()
        .map(|(i, (_, s))| {
            let len = match ranges.and_then(|r| r[i]) {
                Some((a, b)) => (b - a + 1) as usize,
                None => s.len() + flank,
            };
            len + PER_SEQUENCE
        })
        .collect();
    let n = n.max(1).min(req.sequences.len().max(1));
    if n == 1 {
        return if req.sequences.is_empty() {
            Vec::new()
        } else {
            vec![(0..req.sequences.len()).collect()]
        };
    }
    let mut order: Vec<usize> = (0..req.sequences.len()).collect();
    order.sort_unstable_by_key(|&i| (Reverse(cost[i]), i));
    let mut heap: BinaryHeap<Reverse<(usize, usize)>> = (0..n).map(|b| Reverse((0, b))).collect();
    let mut batches = vec![Vec::new(); n];
    for i in order {
        let Reverse((load, b)) = heap.pop().unwrap_or(Reverse((0, 0)));
        batches[b].push(i);
        heap.push(Reverse((load + cost[i], b)));
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
    pub fn new(config: DistributorConfig) -> Result<Self, ServeError> {
        config
            .validate()
            .map_err(|message| ServeError::config("<config>", message))?;
        homolog_io::tls::ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs_f64(config.connect_timeout_s))
            .pool_max_idle_per_host(config.max_concurrency_per_worker.max(4))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ServeError::Client(e.to_string()))?;
        let fixed = match config.worker_format {
            WorkerFormat::Msgpack => Format::Msgpack,
            _ => Format::Json,
        };
        let bases = config
            .worker_urls()
            .map_err(|message| ServeError::config("<config>", message))?;
        let workers = config
            .predictor_pool
            .iter()
            .zip(bases)
            .map(|(e, base)| {
                Arc::new(Worker {
                    entry: e.clone(),
                    base,
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
    pub async fn health_check(&mut self) -> Result<(), ServeError> {
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
        let results = futures_util::future::join_all(checks).await;
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
                        return Err(ServeError::Unhealthy {
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
            return Err(ServeError::NoWorkers);
        }
        self.workers = kept;
        Ok(())
    }

    /// Forwards a `GET` (`/formats`, `/help`) to the first worker that answers; returns its
    /// status, content type and body unchanged.
    pub async fn forward_get(&self, path: &str, accept: Option<&str>) -> Result<Reply, GameError> {
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
                    let content_type = r
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or(homolog_game::codec::JSON)
                        .to_string();
                    match r.bytes().await {
                        Ok(body) => {
                            return Ok(Reply {
                                status,
                                content_type,
                                body,
                            })
                        }
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

    /// What a batch task needs of the distributor (cheap to clone).
    fn link(&self) -> Link {
        Link {
            client: self.client.clone(),
            workers: Arc::from(self.workers.as_slice()),
            request_timeout_s: self.config.request_timeout_s,
            retries: self.config.retries,
        }
    }

    /// Splits `req`, runs the batches concurrently, checks agreement and merges in request
    /// order (the distributor's [`GameService::predict`](crate::GameService::predict)).
    ///
    /// Each batch is a task of its own: it encodes its part of the request straight from the
    /// parsed request (no copy of the sequences), sends it as soon as it is encoded, and
    /// decodes and checks its worker's answer, so batches encode and decode in parallel on the
    /// runtime's threads while other batches are on the wire.
    pub async fn scatter_gather(&self, req: PredictRequest) -> Result<PredictResponse, GameError> {
        let t0 = Instant::now();
        let n_workers = self.workers.len();
        let ranges = req.ranges_by_index();
        let plan = plan_batches_with(
            &req,
            ranges.as_deref(),
            n_workers * self.config.batches_per_worker,
        );
        let job = Arc::new(Job { req, ranges, plan });
        let link = self.link();
        let mut set = tokio::task::JoinSet::new();
        for b in 0..job.plan.len() {
            set.spawn(run_batch(link.clone(), Arc::clone(&job), b, b % n_workers));
        }
        let mut results = Vec::with_capacity(job.plan.len());
        while let Some(r) = set.join_next().await {
            results.push(r.map_err(|e| {
                GameError::server(format!("a batch task panicked or was cancelled: {e}"))
            })?);
        }
        results.sort_by_key(|(b, _)| *b);
        // Worker errors pass through: the first failing batch sets the status; messages of
        // every failing batch are kept (duplicates dropped).
        let mut failure: Option<GameError> = None;
        let mut ok = Vec::with_capacity(results.len());
        for (b, r) in results {
            match r {
                Ok((w, resp)) => ok.push((w, Some(job.plan[b].as_slice()), resp)),
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
        let merged = merge_placed(&job.req, ok)?;
        tracing::info!(
            sequences = job.req.sequences.len(),
            batches = job.plan.len(),
            ms = t0.elapsed().as_secs_f64() * 1e3,
            "predict merged"
        );
        Ok(merged)
    }
}

/// A request being distributed, shared by its batch tasks.
struct Job {
    req: PredictRequest,
    /// `req`'s ranges aligned with its sequences.
    ranges: Option<Vec<Range>>,
    /// Sequence indices of each batch.
    plan: Vec<Vec<usize>>,
}

/// The distributor's side of the worker links, for batch tasks.
#[derive(Clone)]
struct Link {
    client: reqwest::Client,
    workers: Arc<[Arc<Worker>]>,
    request_timeout_s: f64,
    retries: usize,
}

impl Link {
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
            .timeout(Duration::from_secs_f64(self.request_timeout_s))
            .body(body.clone())
            .send()
            .await
            .map_err(|e| {
                let why = if e.is_timeout() {
                    format!("did not answer within {} s", self.request_timeout_s)
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
}

/// Runs batch `index` of `job` on worker `first`, then on the next workers up to `retries`
/// times when a worker is unreachable or times out.
async fn run_batch(
    link: Link,
    job: Arc<Job>,
    index: usize,
    first: usize,
) -> (usize, Result<(String, PredictResponse), GameError>) {
    let n_workers = link.workers.len();
    let view = job.req.subset_view(&job.plan[index], job.ranges.as_deref());
    let n_seq = view.indices().len();
    let bases: usize = view.sequences().map(|(_, s)| s.len()).sum();
    let mut last = String::new();
    // The body in each wire format, encoded once (a retry may go to a worker of the other).
    let mut by_format: [Option<Bytes>; 2] = [None, None];
    for attempt in 0..=link.retries.min(n_workers - 1) {
        let w = &link.workers[(first + attempt) % n_workers];
        let slot = &mut by_format[usize::from(w.format == Format::Msgpack)];
        let body = match slot {
            Some(b) => b.clone(),
            None => match encode(w.format, &view) {
                Ok(b) => slot.insert(Bytes::from(b)).clone(),
                Err(e) => return (index, Err(e)),
            },
        };
        let t0 = Instant::now();
        let out = link.send_batch(w, &body).await;
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        match out {
            Ok(resp) => {
                let ids = view.sequences().map(|(id, _)| id.as_str());
                if let Err(p) = resp.check_answers_for(&job.req.tasks, ids) {
                    return (
                        index,
                        Err(GameError::server(format!(
                            "{} answered batch {index} incompletely: {}",
                            w.label(),
                            p.join("; ")
                        ))),
                    );
                }
                tracing::info!(batch = index, worker = %w.entry.id, sequences = n_seq, bases, status = 200, ms, "batch done");
                return (index, Ok((w.entry.id.clone(), resp)));
            }
            Err(BatchError::Game(e)) => {
                tracing::warn!(batch = index, worker = %w.entry.id, sequences = n_seq, bases, status = e.status, ms, error = %e, "batch failed");
                return (index, Err(e));
            }
            Err(BatchError::Transport(why)) => {
                tracing::warn!(batch = index, worker = %w.entry.id, attempt, ms, %why, "batch not delivered");
                last = why;
            }
        }
    }
    let hint = if link.retries == 0 {
        " (set retries: N in distributor_config.yaml to retry on another predictor)"
    } else {
        ""
    };
    (index, Err(GameError::server(format!("{last}{hint}"))))
}

/// Checks that the batches agree on every task's `*_actual` fields (and `bin_size`), then
/// merges predictions and `trim_upstream` in the request's sequence order.
///
/// Sequence ids are looked up by name; `req`'s ids are unique, as [`parse_request`] ensures.
///
/// [`parse_request`]: homolog_game::parse_request
pub fn merge(
    req: &PredictRequest,
    parts: Vec<(String, PredictResponse)>,
) -> Result<PredictResponse, GameError> {
    merge_placed(req, parts.into_iter().map(|(w, r)| (w, None, r)).collect())
}

/// Where a batch's answers go: one slot per request sequence.
struct Slots<T> {
    items: Vec<Option<(String, T)>>,
}

impl<T> Slots<T> {
    fn new(n: usize) -> Self {
        Slots {
            items: (0..n).map(|_| None).collect(),
        }
    }

    /// Puts `answers` in their sequences' slots: by position when they are in the order of
    /// `indices` (the batch as sent), else by id; ids the request lacks are ignored.
    fn place<'r>(
        &mut self,
        req: &'r PredictRequest,
        by_id: &mut Option<HashMap<&'r str, usize>>,
        indices: Option<&[usize]>,
        answers: Vec<(String, T)>,
    ) {
        if let Some(idx) = indices {
            let in_order = idx.len() == answers.len()
                && idx
                    .iter()
                    .zip(&answers)
                    .all(|(&i, (id, _))| req.sequences[i].0 == *id);
            if in_order {
                for (&i, a) in idx.iter().zip(answers) {
                    self.items[i] = Some(a);
                }
                return;
            }
        }
        let map = by_id.get_or_insert_with(|| {
            let mut m = HashMap::with_capacity(req.sequences.len());
            for (i, (id, _)) in req.sequences.iter().enumerate() {
                m.entry(id.as_str()).or_insert(i);
            }
            m
        });
        for (id, v) in answers {
            if let Some(&i) = map.get(id.as_str()) {
                self.items[i] = Some((id, v));
            }
        }
    }
}

/// [`merge`] of batches whose sequence indices in `req` are known (`Some`), so that answers in
/// the order asked go straight to their place; the values are moved, not copied.
fn merge_placed(
    req: &PredictRequest,
    mut parts: Vec<(String, Option<&[usize]>, PredictResponse)>,
) -> Result<PredictResponse, GameError> {
    let Some((_, _, first)) = parts.first() else {
        return Err(GameError::server(
            "no batch was run (the request has no sequences)",
        ));
    };
    let (predictor_name, request, bin_size, extra) = (
        first.predictor_name.clone(),
        first.request.clone(),
        first.bin_size,
        first.extra.clone(),
    );
    let mut problems = Vec::new();
    // bin_size must agree.
    let bins: Vec<(Option<u64>, &str)> = parts
        .iter()
        .map(|(w, _, r)| (r.bin_size, w.as_str()))
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
    let mut by_id: Option<HashMap<&str, usize>> = None;
    let mut tasks = Vec::with_capacity(req.tasks.len());
    for (ti, t) in req.tasks.iter().enumerate() {
        let per: Vec<(&str, &TaskResult)> = parts
            .iter()
            .filter_map(|(w, _, r)| {
                r.tasks
                    .iter()
                    .find(|x| x.name == t.name)
                    .map(|x| (w.as_str(), x))
            })
            .collect();
        // type_actual is compared as read: a worker's plain string and another's one-element
        // array (GAME's older and current forms) agree.
        type Getter = fn(&TaskResult) -> Option<Cow<'_, Val>>;
        let fields: [(&str, Getter); 4] = [
            ("type_actual", |x| {
                Some(Cow::Owned(Val::Array(
                    x.type_actual
                        .iter()
                        .map(|t| Val::from(t.as_str()))
                        .collect(),
                )))
            }),
            ("cell_type_actual", |x| {
                Some(Cow::Borrowed(&x.cell_type_actual))
            }),
            ("species_actual", |x| Some(Cow::Borrowed(&x.species_actual))),
            ("scale_prediction_actual", |x| {
                x.scale_prediction_actual.as_ref().map(Cow::Borrowed)
            }),
        ];
        for (field, get) in fields {
            let mut groups: Vec<(Option<Cow<Val>>, Vec<&str>)> = Vec::new();
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
                            v.as_deref().map_or("nothing".to_string(), label_text),
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
        // Everything of the first answer but its predictions and trims.
        let Some((_, base)) = per.first() else {
            problems.push(format!("task '{}': no worker returned it", t.name));
            continue;
        };
        let base = TaskResult {
            predictions: Vec::new(),
            trim_upstream: None,
            name: base.name.clone(),
            type_requested: base.type_requested.clone(),
            type_actual: base.type_actual.clone(),
            cell_type_requested: base.cell_type_requested.clone(),
            cell_type_actual: base.cell_type_actual.clone(),
            species_requested: base.species_requested.clone(),
            species_actual: base.species_actual.clone(),
            scale_prediction_requested: base.scale_prediction_requested.clone(),
            scale_prediction_actual: base.scale_prediction_actual.clone(),
            extra: base.extra.clone(),
        };
        // A task name asked for again later must leave the answers for that one.
        let asked_again = req.tasks[ti + 1..].iter().any(|u| u.name == t.name);
        let mut preds: Slots<Val> = Slots::new(req.sequences.len());
        let mut trims: Slots<u64> = Slots::new(req.sequences.len());
        let mut any_trim = false;
        for (_, indices, r) in parts.iter_mut() {
            let Some(x) = r.tasks.iter_mut().find(|x| x.name == t.name) else {
                continue;
            };
            let (p, tr) = if asked_again {
                (x.predictions.clone(), x.trim_upstream.clone())
            } else {
                (std::mem::take(&mut x.predictions), x.trim_upstream.take())
            };
            preds.place(req, &mut by_id, *indices, p);
            if let Some(tr) = tr {
                any_trim = true;
                trims.place(req, &mut by_id, *indices, tr);
            }
        }
        let mut predictions = Vec::with_capacity(req.sequences.len());
        for ((id, _), slot) in req.sequences.iter().zip(preds.items) {
            match slot {
                Some(p) => predictions.push(p),
                None => problems.push(format!(
                    "task '{}': no worker predicted sequence '{id}'",
                    t.name
                )),
            }
        }
        let trim_upstream = any_trim.then(|| trims.items.into_iter().flatten().collect());
        tasks.push(TaskResult {
            predictions,
            trim_upstream,
            ..base
        });
    }
    if !problems.is_empty() {
        return Err(GameError::many(
            homolog_game::ErrorKind::PredictionRequestFailed,
            problems,
        ));
    }
    Ok(PredictResponse {
        predictor_name,
        request,
        bin_size,
        tasks,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use homolog_game::{parse_request, Format};

    fn request() -> PredictRequest {
        let body = br#"{"readout": "track",
            "prediction_tasks": [{"name": "a", "type": "expression", "cell_type": "K562", "species": "homo_sapiens"},
                                 {"name": "b", "type": "accessibility", "cell_type": "HepG2", "species": "homo_sapiens"}],
            "sequences": {"s3": "ACGTACGTAC", "s1": "ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTAC", "s2": "ACGT", "s0": "ACGTACGTACGTACGTACGTACGT"},
            "prediction_ranges": {"s2": [], "s0": [0, 1], "s3": [], "s1": [10, 12]}}"#;
        parse_request(decode(Format::Json, body).unwrap()).unwrap()
    }

    /// One worker's answer for the sequences at `idx`, in that order (`type_actual` a string,
    /// as older GAME predictors write it).
    fn answer(req: &PredictRequest, idx: &[usize], cell: &str) -> PredictResponse {
        answer_typed(req, idx, cell, r#""expression""#)
    }

    /// [`answer`] with `type_actual` given as JSON text.
    fn answer_typed(
        req: &PredictRequest,
        idx: &[usize],
        cell: &str,
        type_actual: &str,
    ) -> PredictResponse {
        let task = |name: &str| {
            let preds: Vec<String> = idx
                .iter()
                .map(|&i| format!("\"{}\": [{i}.5, 1]", req.sequences[i].0))
                .collect();
            let trims: Vec<String> = idx
                .iter()
                .map(|&i| format!("\"{}\": {i}", req.sequences[i].0))
                .collect();
            format!(
                r#"{{"name": "{name}", "type_requested": "expression", "type_actual": {type_actual},
                "cell_type_requested": "K562", "cell_type_actual": "{cell}", "species_requested": "homo_sapiens",
                "species_actual": "homo_sapiens", "predictions": {{{}}}, "trim_upstream": {{{}}}}}"#,
                preds.join(", "),
                trims.join(", ")
            )
        };
        let body = format!(
            r#"{{"bin_size": 2, "prediction_tasks": [{}, {}]}}"#,
            task("a"),
            task("b")
        );
        parse_response(decode(Format::Json, body.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn plan_uses_ranges_whatever_their_order() {
        let req = request();
        // Costs: s3 10+32, s1 3+32 (its range), s2 4+32, s0 2+32.
        assert_eq!(plan_batches(&req, 2), vec![vec![0, 3], vec![1, 2]]);
        assert_eq!(plan_batches(&req, 1), vec![vec![0, 1, 2, 3]]);
    }

    #[test]
    fn placed_merge_equals_merge_by_id() {
        let req = request();
        let plan = [vec![0, 3], vec![1, 2]];
        // The second worker answers out of order: placed by id.
        let parts = || {
            vec![
                ("w1".to_string(), answer(&req, &plan[0], "K562")),
                ("w2".to_string(), answer(&req, &[2, 1], "K562")),
            ]
        };
        let by_id = merge(&req, parts()).unwrap();
        let placed = merge_placed(
            &req,
            parts()
                .into_iter()
                .zip(&plan)
                .map(|((w, r), idx)| (w, Some(idx.as_slice()), r))
                .collect(),
        )
        .unwrap();
        assert_eq!(by_id, placed);
        let ids: Vec<&str> = by_id.tasks[1]
            .predictions
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(ids, ["s3", "s1", "s2", "s0"]);
        assert_eq!(
            by_id.tasks[0].trim_upstream.as_ref().unwrap()[3],
            ("s0".to_string(), 3)
        );
        assert_eq!(by_id.bin_size, Some(2));
        // A missing sequence and a disagreeing worker are reported the same way.
        let e = merge(
            &req,
            vec![
                ("w1".to_string(), answer(&req, &plan[0], "K562")),
                ("w2".to_string(), answer(&req, &[1], "K562_b")),
            ],
        )
        .unwrap_err();
        let all = e.messages().join(" | ");
        assert_eq!(e.status, 422);
        assert!(all.contains("task 'a': workers disagree on cell_type_actual: 'K562' from worker(s) w1; 'K562_b' from worker(s) w2"), "{all}");
        assert!(
            all.contains("task 'b': no worker predicted sequence 's2'"),
            "{all}"
        );
    }

    #[test]
    fn type_actual_as_string_and_as_array_agree_and_merge_to_an_array() {
        let req = request();
        let plan = [vec![0, 3], vec![1, 2]];
        // An older predictor (a string) next to a current one (GAME's array).
        let merged = merge(
            &req,
            vec![
                ("old".to_string(), answer(&req, &plan[0], "K562")),
                (
                    "new".to_string(),
                    answer_typed(&req, &plan[1], "K562", r#"["expression"]"#),
                ),
            ],
        )
        .unwrap();
        assert!(merged.tasks.iter().all(|t| t.type_actual == ["expression"]));
        let text = String::from_utf8(encode(Format::Json, &merged).unwrap()).unwrap();
        assert_eq!(
            text.matches(r#""type_actual":["expression"]"#).count(),
            2,
            "{text}"
        );
        // Different lists still disagree, named in GAME's array form.
        let e = merge(
            &req,
            vec![
                ("old".to_string(), answer(&req, &plan[0], "K562")),
                (
                    "new".to_string(),
                    answer_typed(&req, &plan[1], "K562", r#"["expression", "dnase"]"#),
                ),
            ],
        )
        .unwrap_err();
        let all = e.messages().join(" | ");
        assert!(
            all.contains(r#"task 'a': workers disagree on type_actual: ["expression"] from worker(s) old; ["expression","dnase"] from worker(s) new"#),
            "{all}"
        );
    }
}
