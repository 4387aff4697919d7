//! `homolog run` spread over workers through a RabbitMQ work queue.
//!
//! `homolog run --queue URL` ([`run_queued`]) reads and checks the query file, cuts it into
//! tasks of at most `task_size` records ([`homolog_pipeline::Shard`]: contiguous blocks in input
//! order), publishes one persistent message per task, and waits for the workers' status
//! messages; `homolog worker --queue URL` ([`work`]) takes tasks one by one, annotates each
//! into a part folder ([`homolog_pipeline::PartRunner`]) and reports. When every task is
//! resolved the run merges the parts ([`homolog_pipeline::merge()`]) into one experiment folder
//! equal to a single-process run's.
//!
//! # Protocol (queue name prefix `name`, default `homolog`)
//!
//! - `<name>.tasks`: a durable **quorum** queue with `x-delivery-limit` = `max_deliveries - 1`
//!   and `x-dead-letter-exchange` = `<name>.dead`. A task message ([`TaskMessage`], JSON) is
//!   published persistent (delivery mode 2) with publisher confirms, headers `homolog-run` (the
//!   run id) and `homolog-shard`, and `reply_to` = the run's status queue. It carries the run's
//!   effective configuration, the records of the shard, the run fingerprint and the parts folder.
//! - `<name>.dead`: a durable headers exchange. A task that failed `max_deliveries` times
//!   (default 3; a worker killed while holding it counts as a failure) is dead-lettered to it
//!   and reaches both `<name>.dead-letters` (durable, every dead task, kept for inspection) and
//!   the run's status queue (bound on `homolog-run`).
//! - `<name>.run.<run id>`: the run's durable status queue: [`StatusMessage::Done`] after a
//!   part is written, [`StatusMessage::Failed`] after each failed attempt, and the dead-lettered
//!   tasks themselves (recognised by their `x-death` header). Deleted when the run ends.
//!
//! # Failure semantics
//!
//! A worker writes its part durably (files synced, folder renamed into place), publishes `Done`
//! (confirmed by the broker), and only then acks the task. A worker that dies before the ack
//! loses nothing: the broker requeues the task, and a worker that finds the part already
//! written reports it without recomputing. A task that fails (an error, or the worker killed)
//! is retried up to `max_deliveries` times in all and then dead-lettered; the run then merges
//! the other parts, writes `failed_tasks.tsv` into the experiment, and reports the failed
//! tasks (the CLI exits non-zero). Duplicate status messages (a redelivered task whose part
//! was already done) are ignored.
//!
//! A worker that cannot connect at start fails at once; once connected it reconnects after
//! losing its connection (up to [`MAX_RECONNECTS`] failed attempts in a row), and the run
//! publishes a nacked task again: RabbitMQ 3.10 closes the connection of a client consuming a
//! quorum queue that another client has only just declared, and nacks early publishes to it.
//!
//! # Shared storage
//!
//! Workers write parts to the parts folder named in the task (default
//! `<experiment>.partial/parts`), so on several machines that folder (the run's
//! `base_directory`, or `--parts-dir`) must be shared (NFS or similar), and the reference
//! folder must be readable at the configured path on every worker.
//!
//! # Test hooks
//!
//! Two environment variables of the worker exist for the tests only:
//! `HOMOLOG_QUEUE_TEST_DELAY_MS` (sleep after receiving a task, so a test can kill a worker
//! holding one) and `HOMOLOG_QUEUE_TEST_FAIL_SHARD` (the task of that shard index fails), plus
//! `HOMOLOG_QUEUE_TEST_MARKS` (a folder where the worker creates `received-<shard>-<attempt>-<pid>`
//! on each delivery).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use homolog_config::Config;
use homolog_io::url::redact_password;
use homolog_pipeline::{
    MergeOptions, MergeReport, NoProgress, PartRunner, PipelineError, Progress, QueryFile,
    RunFingerprint, Shard,
};
use homolog_seq::fasta::Record;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
    BasicPublishOptions, BasicQosOptions, BasicRejectOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use serde::{Deserialize, Serialize};

/// The broker URL the tests and examples default to (RabbitMQ's guest user, loopback only).
pub const DEFAULT_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// Anything that stops a queue run or a worker.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("RabbitMQ at {url}: {action}: {source}\n  hint: is the broker running and the URL right (amqp://user:password@host:5672/%2f)?")]
    Broker {
        url: String,
        action: String,
        source: Box<lapin::Error>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Runtime(String),
}

/// Where the queue is and how it behaves.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// AMQP URL, e.g. `amqp://user:password@host:5672/%2f`.
    pub url: String,
    /// Prefix of the queue and exchange names; runs and workers must agree on it.
    pub name: String,
    /// Unacknowledged tasks a worker holds at once (AMQP prefetch).
    pub prefetch: u16,
    /// Deliveries of one task before it is dead-lettered (the first included).
    pub max_deliveries: u32,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            url: DEFAULT_URL.to_string(),
            name: "homolog".to_string(),
            prefetch: 1,
            max_deliveries: 3,
        }
    }
}

impl QueueSettings {
    fn check(&self) -> Result<(), QueueError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(QueueError::Invalid(format!(
                "queue name {:?}: use letters, digits, '-', '_' or '.'",
                self.name
            )));
        }
        if self.prefetch == 0 {
            return Err(QueueError::Invalid(
                "prefetch 0 would let a worker take every task at once; use 1 or more".into(),
            ));
        }
        if self.max_deliveries == 0 {
            return Err(QueueError::Invalid(
                "max deliveries must be at least 1 (the first delivery)".into(),
            ));
        }
        Ok(())
    }
    /// `<name>.tasks`.
    pub fn tasks_queue(&self) -> String {
        format!("{}.tasks", self.name)
    }
    /// `<name>.dead` (headers exchange of dead-lettered tasks).
    pub fn dead_exchange(&self) -> String {
        format!("{}.dead", self.name)
    }
    /// `<name>.dead-letters` (every dead-lettered task, for inspection).
    pub fn dead_queue(&self) -> String {
        format!("{}.dead-letters", self.name)
    }
    /// `<name>.run.<run id>`: a run's status queue.
    pub fn status_queue(&self, run_id: &str) -> String {
        format!("{}.run.{run_id}", self.name)
    }
}

/// One task: a shard of a run's queries, with everything a worker needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskMessage {
    pub run_id: String,
    pub shard: Shard,
    pub fingerprint: RunFingerprint,
    /// Where the part goes (shared by the run and the workers).
    pub parts_dir: PathBuf,
    /// The run's effective configuration (YAML).
    pub config: String,
    /// The shard's records, in input order.
    pub records: Vec<TaskRecord>,
}

/// A query record in a task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRecord {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub sequence: String,
}

/// A worker's report on a task, sent to the run's status queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StatusMessage {
    /// The part is written.
    Done {
        run_id: String,
        shard: Shard,
        part: PathBuf,
        worker: String,
    },
    /// One attempt failed (the task is retried or dead-lettered).
    Failed {
        run_id: String,
        shard: Shard,
        attempt: u32,
        error: String,
        worker: String,
    },
}

/// A task that was dead-lettered.
#[derive(Debug, Clone)]
pub struct FailedTask {
    pub shard: Shard,
    pub first_query: Option<String>,
    pub last_query: Option<String>,
    pub queries: usize,
    /// The last error a worker reported (empty when none did, e.g. workers killed).
    pub error: String,
}

/// What [`run_queued`] did.
#[derive(Debug)]
pub struct QueuedRunReport {
    pub tasks: usize,
    /// The merge of the completed parts (absent when every task failed).
    pub merge: Option<MergeReport>,
    /// Dead-lettered tasks, by shard.
    pub failed: Vec<FailedTask>,
    /// The experiment folder (also when it could not be completed).
    pub experiment: PathBuf,
}

impl fmt::Display for QueuedRunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} tasks, {} completed, {} failed",
            self.tasks,
            self.tasks - self.failed.len(),
            self.failed.len()
        )?;
        if let Some(m) = &self.merge {
            write!(f, "{m}")?;
        }
        for t in &self.failed {
            writeln!(f, "  failed task {}: {}", t.shard, describe(t))?;
        }
        Ok(())
    }
}

impl QueuedRunReport {
    /// The error to exit with when tasks failed.
    pub fn failure(&self) -> Option<String> {
        if self.failed.is_empty() {
            return None;
        }
        let list: Vec<String> = self
            .failed
            .iter()
            .map(|t| format!("task {} ({})", t.shard, describe(t)))
            .collect();
        Some(format!(
            "{} of {} tasks failed and were dead-lettered: {}; {}",
            self.failed.len(),
            self.tasks,
            list.join("; "),
            if self.merge.is_some() {
                format!(
                    "the other tasks are merged into {} (failed_tasks.tsv lists the missing queries)",
                    self.experiment.display()
                )
            } else {
                "no task completed, nothing was merged".to_string()
            }
        ))
    }
}

fn describe(t: &FailedTask) -> String {
    let range = match (&t.first_query, &t.last_query) {
        (Some(a), Some(b)) => format!("{} queries {a} .. {b}", t.queries),
        _ => format!("{} queries", t.queries),
    };
    if t.error.is_empty() {
        format!("{range}; no error reported (worker killed?)")
    } else {
        format!("{range}; last error: {}", t.error)
    }
}

fn broker(url: &str, action: impl Into<String>) -> impl FnOnce(lapin::Error) -> QueueError {
    let (url, action) = (redact_password(url), action.into());
    move |source| QueueError::Broker {
        url,
        action,
        source: Box::new(source),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, QueueError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| QueueError::Runtime(format!("cannot start the async runtime: {e}")))
}

fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(s.into())
}

/// Declares the task queue, the dead-letter exchange and its catch-all queue (idempotent).
async fn declare_topology(channel: &Channel, s: &QueueSettings) -> Result<(), QueueError> {
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel
        .exchange_declare(
            s.dead_exchange().into(),
            ExchangeKind::Headers,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(broker(
            &s.url,
            format!("declaring exchange {}", s.dead_exchange()),
        ))?;
    channel
        .queue_declare(s.dead_queue().into(), durable, FieldTable::default())
        .await
        .map_err(broker(
            &s.url,
            format!("declaring queue {}", s.dead_queue()),
        ))?;
    channel
        .queue_bind(
            s.dead_queue().into(),
            s.dead_exchange().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(broker(&s.url, "binding the dead-letter queue"))?;
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), text("quorum"));
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(i64::from(s.max_deliveries) - 1),
    );
    args.insert("x-dead-letter-exchange".into(), text(&s.dead_exchange()));
    channel
        .queue_declare(s.tasks_queue().into(), durable, args)
        .await
        .map_err(broker(
            &s.url,
            format!(
                "declaring queue {} (quorum, x-delivery-limit {}; an existing queue of that name \
                 with other settings must be deleted first, or use another queue name)",
                s.tasks_queue(),
                s.max_deliveries - 1
            ),
        ))?;
    Ok(())
}

async fn connect(s: &QueueSettings) -> Result<Connection, QueueError> {
    Connection::connect(&s.url, ConnectionProperties::default())
        .await
        .map_err(broker(&s.url, "connecting"))
}

/// Closes a connection politely, waiting at most a few seconds for the broker's close-ok: the
/// work is done by then, and lapin's close can wait forever for a reply that does not come (then
/// dropping the connection closes its socket).
async fn close(conn: &Connection, why: &str) {
    let closing = conn.close(200, why.into());
    if tokio::time::timeout(Duration::from_secs(5), closing)
        .await
        .is_err()
    {
        tracing::debug!("the broker did not confirm closing the connection ({why}); dropping it");
    }
}

/// Deletes the task queue, the dead-letter queue and exchange of `settings.name` (tests and
/// operators cleaning up a queue name; tasks still queued are lost).
pub fn remove_queues(settings: &QueueSettings) -> Result<(), QueueError> {
    runtime()?.block_on(async {
        let conn = connect(settings).await?;
        let ch = conn
            .create_channel()
            .await
            .map_err(broker(&settings.url, "opening a channel"))?;
        for q in [settings.tasks_queue(), settings.dead_queue()] {
            ch.queue_delete(q.clone().into(), QueueDeleteOptions::default())
                .await
                .map_err(broker(&settings.url, format!("deleting queue {q}")))?;
        }
        ch.exchange_delete(
            settings.dead_exchange().into(),
            lapin::options::ExchangeDeleteOptions::default(),
        )
        .await
        .map_err(broker(&settings.url, "deleting the dead-letter exchange"))?;
        close(&conn, "bye").await;
        Ok(())
    })
}

/// Messages in the dead-letter queue of `settings.name` (for tests and operators).
pub fn dead_letter_count(settings: &QueueSettings) -> Result<u32, QueueError> {
    runtime()?.block_on(async {
        let conn = connect(settings).await?;
        let ch = conn
            .create_channel()
            .await
            .map_err(broker(&settings.url, "opening a channel"))?;
        let q = ch
            .queue_declare(
                settings.dead_queue().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(broker(&settings.url, "inspecting the dead-letter queue"))?;
        close(&conn, "bye").await;
        Ok(q.message_count())
    })
}

/// `homolog run --queue`: splits the queries into tasks of at most `task_size` records,
/// queues them, waits for the workers, and merges the parts into a new experiment folder.
/// `parts_dir` defaults to `<experiment>.partial/parts`.
pub fn run_queued(
    config: &Config,
    input: Option<&Path>,
    parts_dir: Option<PathBuf>,
    task_size: usize,
    settings: &QueueSettings,
    progress: &dyn Progress,
) -> Result<QueuedRunReport, QueueError> {
    settings.check()?;
    if task_size == 0 {
        return Err(QueueError::Invalid(
            "--task-size 0: a task needs at least one query".into(),
        ));
    }
    homolog_pipeline::check_shardable(config)?;
    let queries = QueryFile::read(config, input)?;
    let experiment = homolog_pipeline::reserve_experiment(config)?;
    let parts_dir = match parts_dir {
        Some(p) => std::path::absolute(&p)
            .map_err(|e| QueueError::Invalid(format!("--parts-dir {}: {e}", p.display())))?,
        None => homolog_pipeline::partial_path(&experiment).join("parts"),
    };
    let parts_dir = std::path::absolute(&parts_dir).unwrap_or(parts_dir);
    std::fs::create_dir_all(&parts_dir).map_err(|e| {
        QueueError::Invalid(format!(
            "cannot create parts folder {}: {e}",
            parts_dir.display()
        ))
    })?;
    let count = Shard::count_for_task_size(queries.records.len(), task_size);
    let run_id = format!(
        "{}-{:08x}",
        experiment
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("run"),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
            ^ std::process::id()
    );
    let config_yaml = config.to_yaml();
    let tasks: Vec<TaskMessage> = (0..count)
        .map(|index| {
            let shard = Shard { index, count };
            TaskMessage {
                run_id: run_id.clone(),
                shard,
                fingerprint: queries.fingerprint.clone(),
                parts_dir: parts_dir.clone(),
                config: config_yaml.clone(),
                records: queries.records[shard.range(queries.records.len())]
                    .iter()
                    .map(|r| TaskRecord {
                        id: r.id.clone(),
                        description: r.description.clone(),
                        sequence: r.sequence.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    tracing::info!(
        "run {run_id}: {} queries in {count} tasks on {} (queue {}), parts in {}",
        queries.records.len(),
        redact_password(&settings.url),
        settings.tasks_queue(),
        parts_dir.display()
    );
    let waited = runtime()?.block_on(publish_and_wait(settings, &run_id, &tasks, progress));
    let (done, failed) = match waited {
        Ok(v) => v,
        Err(e) => {
            // Leave nothing behind when no part was written (e.g. the broker is unreachable).
            let _ = std::fs::remove_dir(&parts_dir);
            let _ = std::fs::remove_dir(homolog_pipeline::partial_path(&experiment));
            return Err(e);
        }
    };

    let failed: Vec<FailedTask> = failed
        .into_iter()
        .map(|(index, error)| {
            let t = &tasks[index];
            FailedTask {
                shard: t.shard,
                first_query: t.records.first().map(|r| r.id.clone()),
                last_query: t.records.last().map(|r| r.id.clone()),
                queries: t.records.len(),
                error,
            }
        })
        .collect();
    let merge = if done.is_empty() {
        // Every task failed: no experiment (the folders go when empty).
        let _ = std::fs::remove_dir(&parts_dir);
        let _ = std::fs::remove_dir(homolog_pipeline::partial_path(&experiment));
        None
    } else {
        let report = homolog_pipeline::merge(
            config,
            &MergeOptions {
                parts: done.into_iter().collect(),
                out: Some(experiment.clone()),
                allow_missing: !failed.is_empty(),
                remove_parts: true,
            },
            progress,
        )?;
        // The parts folder itself, when it is ours and left empty.
        let _ = std::fs::remove_dir(&parts_dir);
        if !failed.is_empty() {
            let mut tsv = String::from("shard\tqueries\tfirst_query\tlast_query\terror\n");
            let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
            for t in &failed {
                tsv.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\n",
                    t.shard,
                    t.queries,
                    clean(t.first_query.as_deref().unwrap_or("")),
                    clean(t.last_query.as_deref().unwrap_or("")),
                    clean(&t.error)
                ));
            }
            let path = report.run.experiment.join("failed_tasks.tsv");
            homolog_io_write(&path, tsv.as_bytes())?;
        }
        Some(report)
    };
    Ok(QueuedRunReport {
        tasks: count,
        merge,
        failed,
        experiment,
    })
}

fn homolog_io_write(path: &Path, bytes: &[u8]) -> Result<(), QueueError> {
    std::fs::write(path, bytes)
        .map_err(|e| QueueError::Invalid(format!("cannot write {}: {e}", path.display())))
}

/// Publishes of one task the broker may nack before the run gives up.
const PUBLISH_TRIES: u32 = 6;

/// Publishes the tasks (confirmed) and collects status messages until every task is done or
/// dead-lettered. Returns the part folders done and `(task index, last error)` of the dead.
async fn publish_and_wait(
    s: &QueueSettings,
    run_id: &str,
    tasks: &[TaskMessage],
    progress: &dyn Progress,
) -> Result<(BTreeSet<PathBuf>, BTreeMap<usize, String>), QueueError> {
    let conn = connect(s).await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(broker(&s.url, "opening a channel"))?;
    declare_topology(&ch, s).await?;
    let status = s.status_queue(run_id);
    ch.queue_declare(
        status.clone().into(),
        QueueDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .map_err(broker(&s.url, format!("declaring queue {status}")))?;
    let mut bind = FieldTable::default();
    bind.insert("x-match".into(), text("all"));
    bind.insert("homolog-run".into(), text(run_id));
    ch.queue_bind(
        status.clone().into(),
        s.dead_exchange().into(),
        "".into(),
        QueueBindOptions::default(),
        bind,
    )
    .await
    .map_err(broker(
        &s.url,
        "binding the status queue to the dead-letter exchange",
    ))?;

    let result = async {
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(broker(&s.url, "enabling publisher confirms"))?;
        for t in tasks {
            let body = serde_json::to_vec(t)
                .map_err(|e| QueueError::Invalid(format!("encoding task {}: {e}", t.shard)))?;
            let mut headers = FieldTable::default();
            headers.insert("homolog-run".into(), text(run_id));
            headers.insert(
                "homolog-shard".into(),
                AMQPValue::LongLongInt(t.shard.index as i64),
            );
            let props = BasicProperties::default()
                .with_delivery_mode(2)
                .with_content_type("application/json".into())
                .with_reply_to(ShortString::from(status.clone()))
                .with_headers(headers);
            let routed = publish_confirmed(
                &ch,
                s,
                &s.tasks_queue(),
                &body,
                props,
                &format!("task {}", t.shard),
            )
            .await?;
            if !routed {
                return Err(QueueError::Invalid(format!(
                    "the broker could not route task {} to {} (was the queue deleted?)",
                    t.shard,
                    s.tasks_queue()
                )));
            }
        }
        tracing::info!("{} tasks queued; waiting for workers", tasks.len());

        let mut consumer = ch
            .basic_consume(
                status.clone().into(),
                format!("run-{run_id}").into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(broker(&s.url, format!("consuming {status}")))?;
        let bar = progress.stage("tasks", tasks.len() as u64);
        let mut done: BTreeMap<usize, PathBuf> = BTreeMap::new();
        let mut dead: BTreeMap<usize, String> = BTreeMap::new();
        let mut last_error: BTreeMap<usize, String> = BTreeMap::new();
        while done.len() + dead.len() < tasks.len() {
            let Some(delivery) = consumer.next().await else {
                return Err(QueueError::Invalid(format!(
                    "the broker closed the status queue {status} before all tasks were done"
                )));
            };
            let delivery = delivery.map_err(broker(&s.url, "receiving a status message"))?;
            let is_dead = delivery
                .properties
                .headers()
                .as_ref()
                .is_some_and(|h| h.inner().contains_key("x-death"));
            if is_dead {
                match serde_json::from_slice::<TaskMessage>(&delivery.data) {
                    Ok(t) if t.shard.index < tasks.len() => {
                        if !done.contains_key(&t.shard.index) {
                            let why = last_error.get(&t.shard.index).cloned().unwrap_or_default();
                            tracing::error!("task {} dead-lettered: {why}", t.shard);
                            if dead.insert(t.shard.index, why).is_none() {
                                bar.inc(1);
                            }
                        }
                    }
                    _ => tracing::warn!("ignoring an unreadable dead-lettered task of this run"),
                }
            } else {
                match serde_json::from_slice::<StatusMessage>(&delivery.data) {
                    Ok(StatusMessage::Done {
                        shard,
                        part,
                        worker,
                        ..
                    }) => {
                        if shard.index < tasks.len()
                            && !dead.contains_key(&shard.index)
                            && done.insert(shard.index, part).is_none()
                        {
                            tracing::info!("task {shard} done by {worker}");
                            bar.inc(1);
                        }
                    }
                    Ok(StatusMessage::Failed {
                        shard,
                        attempt,
                        error,
                        worker,
                        ..
                    }) => {
                        tracing::warn!(
                            "task {shard} attempt {attempt} failed on {worker}: {error}"
                        );
                        last_error.insert(shard.index, error);
                    }
                    Err(e) => tracing::warn!("ignoring an unreadable status message: {e}"),
                }
            }
            delivery
                .ack(BasicAckOptions::default())
                .await
                .map_err(broker(&s.url, "acknowledging a status message"))?;
        }
        bar.finish();
        Ok((done.into_values().collect(), dead))
    }
    .await;
    // The status queue is the run's own: remove it whatever happened.
    let _ = ch
        .queue_delete(status.into(), QueueDeleteOptions::default())
        .await;
    close(&conn, "run finished").await;
    result
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub settings: QueueSettings,
    /// Stop after this many tasks (acked or given back); `None` = run until killed.
    pub max_tasks: Option<usize>,
}

/// What a worker did before it stopped.
#[derive(Debug, Default)]
pub struct WorkerReport {
    pub done: usize,
    pub failed: usize,
}

impl fmt::Display for WorkerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "worker: {} tasks done, {} failed attempts",
            self.done, self.failed
        )
    }
}

/// `homolog worker`: takes tasks from the queue until killed (or `max_tasks`), annotating each
/// into its part folder and reporting to the task's run.
pub fn work(options: &WorkerOptions) -> Result<WorkerReport, QueueError> {
    options.settings.check()?;
    runtime()?.block_on(work_async(options))
}

fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "worker".into());
    format!("{host}:{}", std::process::id())
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Consecutive failed sessions (connection lost, channel closed by the broker) after which a
/// worker gives up; the waits between them grow 1, 2, 4, ... 30 s (about 2 minutes in all).
pub const MAX_RECONNECTS: u32 = 8;

async fn work_async(options: &WorkerOptions) -> Result<WorkerReport, QueueError> {
    let mut state = WorkerState {
        name: worker_name(),
        runners: Vec::new(),
        report: WorkerReport::default(),
        connected: false,
        delay: env_usize("HOMOLOG_QUEUE_TEST_DELAY_MS"),
        fail_shard: env_usize("HOMOLOG_QUEUE_TEST_FAIL_SHARD"),
        marks: std::env::var_os("HOMOLOG_QUEUE_TEST_MARKS").map(PathBuf::from),
    };
    let mut failures = 0u32;
    loop {
        let handled_before = state.report.done + state.report.failed;
        let result = work_session(options, &mut state).await;
        if state.report.done + state.report.failed > handled_before {
            failures = 0;
        }
        match result {
            Ok(()) => return Ok(state.report),
            // A wrong URL or a broker that is not there fails at once; once connected, the
            // worker outlives what the broker does to its connection: a restart, a network
            // break, or a quorum queue that another client has just declared and whose
            // replica is not up yet (RabbitMQ closes the connection with INTERNAL_ERROR).
            // Unacked tasks go back to the queue on their own.
            Err(e @ QueueError::Broker { .. }) if state.connected && failures < MAX_RECONNECTS => {
                let wait = Duration::from_secs((1u64 << failures).min(30));
                failures += 1;
                tracing::warn!(
                    "worker {}: {e}; reconnecting in {} s (attempt {failures} of {MAX_RECONNECTS})",
                    state.name,
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// What a worker keeps across its connections to the broker.
struct WorkerState {
    name: String,
    runners: Vec<(String, PartRunner)>,
    report: WorkerReport,
    /// Connected to the broker at least once.
    connected: bool,
    delay: Option<usize>,
    fail_shard: Option<usize>,
    marks: Option<PathBuf>,
}

/// One connection's worth of work: `Ok` when `max_tasks` is reached or the broker ends the
/// consumer (the queue was deleted).
async fn work_session(options: &WorkerOptions, state: &mut WorkerState) -> Result<(), QueueError> {
    let s = &options.settings;
    let conn = connect(s).await?;
    state.connected = true;
    let result = consume_tasks(options, state, &conn).await;
    close(&conn, "worker stopping").await;
    result
}

async fn consume_tasks(
    options: &WorkerOptions,
    state: &mut WorkerState,
    conn: &Connection,
) -> Result<(), QueueError> {
    let s = &options.settings;
    let ch = conn
        .create_channel()
        .await
        .map_err(broker(&s.url, "opening a channel"))?;
    declare_topology(&ch, s).await?;
    ch.basic_qos(s.prefetch, BasicQosOptions::default())
        .await
        .map_err(broker(&s.url, "setting the prefetch"))?;
    let out = conn
        .create_channel()
        .await
        .map_err(broker(&s.url, "opening a channel"))?;
    out.confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(broker(&s.url, "enabling publisher confirms"))?;
    let name = state.name.clone();
    let tag = format!("worker-{name}");
    let mut consumer = ch
        .basic_consume(
            s.tasks_queue().into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(broker(&s.url, format!("consuming {}", s.tasks_queue())))?;
    tracing::info!(
        "worker {name} waiting for tasks on {} ({})",
        s.tasks_queue(),
        redact_password(&s.url)
    );
    let (delay, fail_shard) = (state.delay, state.fail_shard);
    while let Some(delivery) = consumer.next().await {
        let delivery = delivery.map_err(broker(&s.url, "receiving a task"))?;
        let attempt = delivery
            .properties
            .headers()
            .as_ref()
            .and_then(|h| h.inner().get("x-delivery-count").cloned())
            .and_then(|v| match v {
                AMQPValue::LongLongInt(n) => Some(n as u32),
                AMQPValue::LongInt(n) => Some(n as u32),
                AMQPValue::LongUInt(n) => Some(n),
                _ => None,
            })
            .unwrap_or(0)
            + 1;
        let task: TaskMessage = match serde_json::from_slice(&delivery.data) {
            Ok(t) => t,
            Err(e) => {
                // Unreadable: no retry can help; straight to the dead letters.
                tracing::error!("rejecting an unreadable task message: {e}");
                delivery
                    .reject(BasicRejectOptions { requeue: false })
                    .await
                    .map_err(broker(&s.url, "rejecting a task"))?;
                continue;
            }
        };
        tracing::info!(
            "task {} of run {} ({} queries), delivery {attempt}",
            task.shard,
            task.run_id,
            task.records.len()
        );
        if let Some(dir) = &state.marks {
            let _ = std::fs::write(
                dir.join(format!(
                    "received-{}-{attempt}-{}",
                    task.shard.index,
                    std::process::id()
                )),
                b"",
            );
        }
        if let Some(ms) = delay {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
        }
        let result = tokio::task::block_in_place(|| -> Result<PathBuf, QueueError> {
            if fail_shard == Some(task.shard.index) {
                return Err(QueueError::Invalid(format!(
                    "HOMOLOG_QUEUE_TEST_FAIL_SHARD: task {} made to fail",
                    task.shard
                )));
            }
            let runner = runner_for(&mut state.runners, &task)?;
            let records: Vec<Record> = task
                .records
                .iter()
                .map(|r| Record {
                    id: r.id.clone(),
                    description: r.description.clone(),
                    sequence: r.sequence.clone(),
                    line: 0,
                })
                .collect();
            let part = runner.run(
                &records,
                task.shard,
                &task.fingerprint,
                &task.parts_dir,
                &NoProgress,
            )?;
            Ok(part.path)
        });
        let reply_to = delivery
            .properties
            .reply_to()
            .as_ref()
            .map(|r| r.as_str().to_string());
        let status = match &result {
            Ok(part) => StatusMessage::Done {
                run_id: task.run_id.clone(),
                shard: task.shard,
                part: part.clone(),
                worker: name.clone(),
            },
            Err(e) => StatusMessage::Failed {
                run_id: task.run_id.clone(),
                shard: task.shard,
                attempt,
                error: e.to_string(),
                worker: name.clone(),
            },
        };
        if let Some(reply_to) = reply_to {
            publish_status(&out, s, &reply_to, &status).await?;
        }
        let last = options
            .max_tasks
            .is_some_and(|m| state.report.done + state.report.failed + 1 >= m);
        if last {
            // Cancelled while this task is still unacked, the consumer is sent nothing more: a
            // task delivered to a worker that then stops would come back with one delivery of
            // its `max_deliveries` spent.
            ch.basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
                .await
                .map_err(broker(&s.url, "cancelling the consumer"))?;
        }
        match result {
            Ok(part) => {
                tracing::info!("task {} done: {}", task.shard, part.display());
                delivery
                    .ack(BasicAckOptions::default())
                    .await
                    .map_err(broker(&s.url, "acknowledging a task"))?;
                state.report.done += 1;
            }
            Err(e) => {
                tracing::error!("task {} failed (delivery {attempt}): {e}", task.shard);
                delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..Default::default()
                    })
                    .await
                    .map_err(broker(&s.url, "returning a failed task"))?;
                state.report.failed += 1;
            }
        }
        if last {
            break;
        }
    }
    Ok(())
}

/// The runner for the task's configuration, opened once per configuration.
fn runner_for<'r>(
    runners: &'r mut Vec<(String, PartRunner)>,
    task: &TaskMessage,
) -> Result<&'r PartRunner, QueueError> {
    let key = task.fingerprint.config.clone();
    if let Some(i) = runners.iter().position(|(k, _)| *k == key) {
        return Ok(&runners[i].1);
    }
    let config: Config = serde_yaml::from_str(&task.config).map_err(|e| {
        QueueError::Invalid(format!(
            "task {}: its configuration does not parse ({e}); are the run and the worker the same homolog version?",
            task.shard
        ))
    })?;
    config
        .validate()
        .map_err(|e| QueueError::Invalid(format!("task {}: {e}", task.shard)))?;
    let runner = PartRunner::new(&config)?;
    // One configuration at a time keeps one reference in memory.
    runners.clear();
    runners.push((key, runner));
    Ok(&runners[0].1)
}

async fn publish_status(
    ch: &Channel,
    s: &QueueSettings,
    reply_to: &str,
    status: &StatusMessage,
) -> Result<(), QueueError> {
    let body = serde_json::to_vec(status)
        .map_err(|e| QueueError::Invalid(format!("encoding a status message: {e}")))?;
    let props = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into());
    let what = format!("a status to {reply_to}");
    if !publish_confirmed(ch, s, reply_to, &body, props, &what).await? {
        // The run's status queue is gone (the run ended or was stopped): nobody to tell.
        tracing::warn!("status queue {reply_to} no longer exists; the run was stopped");
    }
    Ok(())
}

/// Publishes `body` to queue `queue` (default exchange, mandatory) on a channel in confirm
/// mode and waits for the broker's confirm. `Ok(false)`: no such queue (the message came back).
/// A quorum queue that another client has only just declared can nack the first messages
/// (its replica is still starting); a nack means the broker did not take the message, so it is
/// published again, up to [`PUBLISH_TRIES`] times.
async fn publish_confirmed(
    ch: &Channel,
    s: &QueueSettings,
    queue: &str,
    body: &[u8],
    props: BasicProperties,
    what: &str,
) -> Result<bool, QueueError> {
    for attempt in 1..=PUBLISH_TRIES {
        let confirm = ch
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                body,
                props.clone(),
            )
            .await
            .map_err(broker(&s.url, format!("publishing {what}")))?
            .await
            .map_err(broker(&s.url, format!("confirming {what}")))?;
        let ack = confirm.is_ack();
        if confirm.take_message().is_some() {
            return Ok(false);
        }
        if ack {
            return Ok(true);
        }
        tracing::debug!("{what} nacked (attempt {attempt}); publishing it again");
        tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
    }
    Err(QueueError::Invalid(format!(
        "the broker refused {what} {PUBLISH_TRIES} times (nack); see its log"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_checks() {
        let s = QueueSettings::default();
        assert_eq!(s.tasks_queue(), "homolog.tasks");
        assert_eq!(s.dead_exchange(), "homolog.dead");
        assert_eq!(s.status_queue("r1"), "homolog.run.r1");
        assert!(s.check().is_ok());
        let bad = QueueSettings {
            name: "a b".into(),
            ..QueueSettings::default()
        };
        assert!(bad.check().unwrap_err().to_string().contains("queue name"));
        let bad = QueueSettings {
            prefetch: 0,
            ..QueueSettings::default()
        };
        assert!(bad.check().is_err());
    }

    #[test]
    fn messages_round_trip_as_json() {
        let status = StatusMessage::Failed {
            run_id: "r".into(),
            shard: Shard { index: 1, count: 3 },
            attempt: 2,
            error: "boom".into(),
            worker: "w".into(),
        };
        let json = serde_json::to_string(&status).unwrap();
        assert!(json.contains("\"status\":\"failed\""), "{json}");
        let back: StatusMessage = serde_json::from_str(&json).unwrap();
        assert!(matches!(back, StatusMessage::Failed { attempt: 2, .. }));
    }
}
