//! Distributed `run`: `--shard I/N` (one shard into a part folder), `--queue URL` (tasks over
//! RabbitMQ, gathered and merged), `homolog worker` and `homolog merge` (docs/distributed.md).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use homolog_config::Config;
use homolog_pipeline::{MergeOptions, Progress, Shard};

use crate::{load_config, ConfigArgs};

/// `homolog run` options that spread the run over processes.
#[derive(Args, Clone, Debug, Default)]
pub struct DistributedRunArgs {
    /// Annotate only shard I (0-based) of N contiguous blocks of the queries into a part folder
    /// under --parts-dir; `homolog merge` gathers the parts (e.g. a Slurm array task).
    #[arg(
        long,
        value_name = "I/N",
        conflicts_with = "queue",
        requires = "parts_dir"
    )]
    pub shard: Option<String>,
    /// Split the queries into tasks on this RabbitMQ broker (amqp://user:password@host:5672/%2f),
    /// wait for `homolog worker`s to annotate them, and merge the parts.
    #[arg(long, value_name = "URL")]
    pub queue: Option<String>,
    /// Queries per task with --queue.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub task_size: usize,
    /// Where the parts go (shared by every worker; with --queue default
    /// `<experiment>.partial/parts`).
    #[arg(long, value_name = "DIR")]
    pub parts_dir: Option<PathBuf>,
    /// Prefix of the queue names (runs and workers must agree).
    #[arg(long, value_name = "NAME", default_value = "homolog")]
    pub queue_name: String,
    /// Deliveries of a task before it is dead-lettered.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_deliveries: u32,
}

impl DistributedRunArgs {
    /// Whether the run is sharded or queued.
    pub fn active(&self) -> bool {
        self.shard.is_some() || self.queue.is_some()
    }
}

/// `homolog run --shard` / `--queue`. `other_modes` is set when --only-embedding,
/// --only-lookup or --resume was also given, which do not combine with these.
pub fn run_distributed(
    config: &Config,
    input: Option<&Path>,
    args: &DistributedRunArgs,
    other_modes: bool,
    progress: &dyn Progress,
) -> Result<()> {
    if other_modes {
        bail!("--shard/--queue annotate whole shards; they do not combine with --only-embedding, --only-lookup or --resume");
    }
    if let Some(spec) = &args.shard {
        let shard = Shard::parse(spec)?;
        let parts = args
            .parts_dir
            .as_deref()
            .expect("clap requires --parts-dir");
        let report = homolog_pipeline::run_shard(config, input, shard, parts, progress)?;
        print!("{report}");
        return Ok(());
    }
    let url = args.queue.as_deref().expect("checked by active()");
    queued(config, input, url, args, progress)
}

#[cfg(feature = "queue")]
fn queued(
    config: &Config,
    input: Option<&Path>,
    url: &str,
    args: &DistributedRunArgs,
    progress: &dyn Progress,
) -> Result<()> {
    let settings = homolog_queue::QueueSettings {
        url: url.to_string(),
        name: args.queue_name.clone(),
        max_deliveries: args.max_deliveries,
        ..Default::default()
    };
    let report = homolog_queue::run_queued(
        config,
        input,
        args.parts_dir.clone(),
        args.task_size,
        &settings,
        progress,
    )?;
    print!("{report}");
    if let Some(failure) = report.failure() {
        bail!(failure);
    }
    Ok(())
}

#[cfg(not(feature = "queue"))]
fn queued(
    _: &Config,
    _: Option<&Path>,
    _: &str,
    _: &DistributedRunArgs,
    _: &dyn Progress,
) -> Result<()> {
    bail!("this homolog was built without the `queue` feature; rebuild with --features queue or use --shard")
}

/// `homolog merge`.
#[derive(Args)]
pub struct MergeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Part folders, or folders holding them (part-*-of-*), e.g. the shards' --parts-dir.
    #[arg(long, required = true, num_args = 1.., value_name = "DIR")]
    parts: Vec<PathBuf>,
    /// The experiment folder to create [default: <base_directory>/experiments/<prefix>_<timestamp>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Merge the parts present when some shards have none (their queries are left out) instead
    /// of failing.
    #[arg(long)]
    allow_missing: bool,
    /// Delete the part folders once merged.
    #[arg(long)]
    remove_parts: bool,
}

pub fn merge(args: MergeArgs, progress: &dyn Progress) -> Result<()> {
    let config = load_config(&args.config)?;
    let report = homolog_pipeline::merge(
        &config,
        &MergeOptions {
            parts: args.parts,
            out: args.out,
            allow_missing: args.allow_missing,
            remove_parts: args.remove_parts,
        },
        progress,
    )?;
    print!("{report}");
    Ok(())
}

/// `homolog worker`.
#[derive(Args)]
pub struct WorkerArgs {
    /// Configuration of the worker itself (threads; the annotation settings come with each task).
    #[command(flatten)]
    config: ConfigArgs,
    /// The RabbitMQ broker (amqp://user:password@host:5672/%2f).
    #[arg(long, value_name = "URL", env = "HOMOLOG_AMQP_URL")]
    queue: String,
    /// Prefix of the queue names (as the run's --queue-name).
    #[arg(long, value_name = "NAME", default_value = "homolog")]
    queue_name: String,
    /// Tasks held at once (AMQP prefetch); 1 suits tasks of minutes.
    #[arg(long, value_name = "N", default_value_t = 1)]
    prefetch: u16,
    /// Deliveries of a task before it is dead-lettered (as the run's --max-deliveries).
    #[arg(long, value_name = "N", default_value_t = 3)]
    max_deliveries: u32,
    /// Stop after this many tasks (default: run until stopped).
    #[arg(long, value_name = "N")]
    max_tasks: Option<usize>,
}

#[cfg(feature = "queue")]
pub fn worker(args: WorkerArgs) -> Result<()> {
    // Loads (and checks) the worker's own configuration: threads.
    load_config(&args.config)?;
    let report = homolog_queue::work(&homolog_queue::WorkerOptions {
        settings: homolog_queue::QueueSettings {
            url: args.queue,
            name: args.queue_name,
            prefetch: args.prefetch,
            max_deliveries: args.max_deliveries,
        },
        max_tasks: args.max_tasks,
    })?;
    print!("{report}");
    Ok(())
}

#[cfg(not(feature = "queue"))]
pub fn worker(_: WorkerArgs) -> Result<()> {
    bail!("this homolog was built without the `queue` feature; rebuild with --features queue")
}
