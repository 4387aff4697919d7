//! `homolog`: the command-line face of the homolog libraries.
//!
//! This crate only parses arguments, sets up logging and progress bars, loads the configuration
//! and calls `homolog_pipeline`; every stage's logic lives in its library crate.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use homolog_config::Config;
use homolog_pipeline::{DemoModel, DemoOptions, RunMode, RunOptions};

mod cmd_align;
mod cmd_distribute;
mod cmd_docs;
mod cmd_export;
mod cmd_models;
#[cfg(feature = "postgres")]
mod cmd_pis;
mod cmd_queue;
mod cmd_reads;
mod cmd_reference;
mod cmd_serve;
mod progress;

/// Find the relatives of protein sequences through embeddings and alignments, and annotate them
/// with the GO terms of their nearest neighbours (a FANTASIA-compatible pipeline in one binary).
#[derive(Parser)]
#[command(name = "homolog", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct ConfigArgs {
    /// YAML configuration file (see config.example.yaml; defaults apply without one).
    #[arg(short, long, env = "HOMOLOG_CONFIG")]
    config: Option<PathBuf>,
    /// Override one key, e.g. --set lookup.limit_per_entry=3 (repeatable; applied last).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Worker threads (0 = all cores); overrides `threads` in the config.
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// Build the local reference folder (`reference.path`) from the sources in the config.
    Initialize {
        #[command(flatten)]
        config: ConfigArgs,
        /// Rebuild even when a complete reference with the same inputs exists.
        #[arg(long)]
        force: bool,
    },
    /// Annotate query proteins: embed, look up neighbours, transfer GO terms, write an experiment folder.
    Run {
        #[command(flatten)]
        config: ConfigArgs,
        /// Query FASTA (plain or gzip); overrides `input` in the config.
        #[arg(short, long)]
        input: Option<PathBuf>,
        /// Only compute embeddings.h5; no lookup.
        #[arg(long, conflicts_with = "only_lookup")]
        only_embedding: bool,
        /// Only look up and annotate, from an existing embeddings file (--embeddings).
        #[arg(long, requires = "embeddings")]
        only_lookup: bool,
        /// Embeddings HDF5 in FANTASIA's layout, for --only-lookup.
        #[arg(long)]
        embeddings: Option<PathBuf>,
        /// Skip malformed query records with a warning instead of failing (on_invalid: skip).
        #[arg(long)]
        skip_invalid: bool,
        /// Resume the newest unfinished experiment with this prefix instead of starting a new one.
        #[arg(long)]
        resume: bool,
        #[command(flatten)]
        distributed: cmd_queue::DistributedRunArgs,
    },
    /// Compute embeddings for a FASTA file into an HDF5 file (FANTASIA's layout). (With
    /// --model dna-kmer|dna-lsh|dnabert2=DIR or --shard-rows: DNA reads into Parquet shards, the
    /// older spelling of `homolog reads embed`.)
    Embed {
        #[command(flatten)]
        config: ConfigArgs,
        /// Input FASTA (plain or gzip); in read mode FASTQ/FASTA, a folder or s3://bucket/prefix.
        #[arg(short, long)]
        input: PathBuf,
        /// Output HDF5; existing entries are kept and skipped (the run resumes). In read mode, the
        /// shard folder.
        #[arg(short, long)]
        out: PathBuf,
        /// Skip malformed records with a warning instead of failing.
        #[arg(long)]
        skip_invalid: bool,
        #[command(flatten)]
        reads: cmd_reads::EmbedReadOpts,
    },
    /// Score predictions against a ground truth, CAFA-style (Fmax, coverage; weighted Fmax and Smin with --ia).
    Evaluate {
        /// Predictions: homolog's summary.csv (wide or long), or a CAFA/TSV file `target term score`.
        #[arg(long)]
        predictions: PathBuf,
        /// summary.csv score column: a name such as final_score or max_ri takes the best over
        /// models/layers, final_score_<model>_L<layer> one model/layer. Scores above 1 are
        /// clipped to 1 (with a warning). [default: final_score]
        #[arg(long, value_name = "COLUMN")]
        score: Option<String>,
        /// Ground truth TSV: `target term` (leaf or propagated terms).
        #[arg(long)]
        ground_truth: PathBuf,
        /// Ontology (OBO, plain or gzip) used to propagate both sides.
        #[arg(long)]
        ontology: PathBuf,
        /// Information-accretion weights (`term<TAB>ia`) for weighted Fmax and Smin.
        #[arg(long)]
        ia: Option<PathBuf>,
        /// Only these namespaces/aspects (BPO, MFO, CCO, P, F, C or a namespace name; repeatable).
        #[arg(long = "aspect")]
        aspects: Vec<String>,
        /// Restrict the benchmark to the targets listed in this file (one id per line, e.g. a CAFA list).
        #[arg(long)]
        benchmark_list: Option<PathBuf>,
        /// Keep the root terms of each aspect (CAFA drops them).
        #[arg(long)]
        keep_roots: bool,
        /// Step of the decision-threshold grid.
        #[arg(long, default_value_t = 0.01)]
        threshold_step: f64,
    },
    /// Run the pipeline on real Swiss-Prot proteins shipped with homolog and print Fmax against
    /// their held-out annotations next to the naive baseline (no network, no server).
    Demo {
        /// Folder for the demo's data, config, reference, experiment and evaluation.
        #[arg(long, default_value = "homolog-demo")]
        out: PathBuf,
        /// Embedding model: auto (UniRep-64 when its weights are in homolog's cache, else
        /// kmer), kmer, or unirep-64.
        #[arg(long, default_value = "auto", value_parser = parse_demo_model)]
        model: DemoModel,
    },
    /// DNA reads: embed them into Parquet shards (`reads embed`), cluster the shards (`reads cluster`).
    #[command(subcommand)]
    Reads(cmd_reads::ReadsCommand),
    /// Cluster read-embedding shards: the older spelling of `homolog reads cluster`.
    Cluster(cmd_reads::ClusterArgs),
    /// Align (query, reference) pairs and write PROTEA's 12 NW/SW features (Parquet or CSV).
    Align(cmd_align::AlignArgs),
    /// Export PROTEA's re-ranker training data: KNN GO-term candidates with features and
    /// labels as train/eval Parquet plus a manifest, to a folder or s3://bucket/prefix.
    Export(cmd_export::ExportArgs),
    /// Serve a GAME-compatible predictor over HTTP.
    Serve(cmd_serve::ServeArgs),
    /// Impersonate one GAME predictor and scatter each request over a pool of predictors.
    Distribute(cmd_distribute::DistributeArgs),
    /// Embedding backends and their published weights (`models list`, `models fetch unirep-1900`).
    #[command(subcommand)]
    Models(cmd_models::ModelsCommand),
    /// The reference in a PostgreSQL store: `reference push`, `reference pull`.
    #[command(subcommand)]
    Reference(cmd_reference::ReferenceCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cmd_docs::CompletionsArgs),
    /// Print the man page (or write one page per command with --out DIR).
    Man(cmd_docs::ManArgs),
    /// Gather the part folders of a sharded run (`run --shard I/N`) into one experiment folder.
    Merge(cmd_queue::MergeArgs),
    /// Take annotation tasks from a RabbitMQ queue (`run --queue`) until stopped.
    Worker(cmd_queue::WorkerArgs),
    /// Print the effective configuration (defaults + file + environment + --set) as YAML.
    Config {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print the commented example configuration instead.
        #[arg(long)]
        example: bool,
    },
}

/// `homolog --version`: the version, the commit, the optional features compiled in and the CPU
/// kernels the alignment and model code will use on this machine.
fn long_version() -> String {
    let features: Vec<&str> = [
        ("cuda", cfg!(feature = "cuda")),
        ("mpi", cfg!(feature = "mpi")),
        // HDF5 and zlib built from source and linked statically (the default).
        ("static", cfg!(feature = "static")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    format!(
        "{}\ncommit: {}\nfeatures: {}\nCPU kernels: {}",
        env!("CARGO_PKG_VERSION"),
        env!("HOMOLOG_GIT_COMMIT"),
        if features.is_empty() {
            "none (cuda, mpi, static off)".to_string()
        } else {
            features.join(", ")
        },
        cpu_kernels()
    )
}

/// The SIMD levels detected at run time (the dispatch in homolog-align and homolog-models).
fn cpu_kernels() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        let levels: Vec<&str> = [
            ("AVX-512", std::arch::is_x86_feature_detected!("avx512f")),
            ("AVX2", std::arch::is_x86_feature_detected!("avx2")),
            ("FMA", std::arch::is_x86_feature_detected!("fma")),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        if levels.is_empty() {
            "scalar (no AVX2)".to_string()
        } else {
            levels.join(", ")
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        format!("portable ({})", std::env::consts::ARCH)
    }
}

fn main() -> ExitCode {
    let matches = Cli::command().long_version(long_version()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging(cli.verbose, cli.quiet);
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

fn load_config(args: &ConfigArgs) -> Result<Config> {
    let mut config = Config::load(args.config.as_deref(), std::env::vars(), &args.set)?;
    if let Some(t) = args.threads {
        config.threads = t;
    }
    if config.threads > 0 {
        // Ignore the error: the pool can only be built once per process.
        let _ = rayon_pool(config.threads);
    }
    Ok(config)
}

fn parse_demo_model(name: &str) -> Result<DemoModel, String> {
    DemoModel::parse(name).ok_or_else(|| format!("{name:?}: use auto, kmer or unirep-64"))
}

fn rayon_pool(threads: usize) -> Result<()> {
    homolog_pipeline::set_threads(threads).context("setting the number of threads")
}

fn dispatch(command: Command) -> Result<()> {
    let progress = progress::Bars;
    match command {
        Command::Initialize { config, force } => {
            let config = load_config(&config)?;
            let manifest = homolog_pipeline::initialize(&config, force, &progress)?;
            println!("{manifest}");
        }
        Command::Run {
            config,
            input,
            only_embedding,
            only_lookup,
            embeddings,
            skip_invalid,
            resume,
            distributed,
        } => {
            let mut config = load_config(&config)?;
            if skip_invalid {
                config.on_invalid = homolog_config::InvalidPolicy::Skip;
            }
            if distributed.active() {
                let other = only_embedding || only_lookup || resume;
                return cmd_queue::run_distributed(
                    &config,
                    input.as_deref(),
                    &distributed,
                    other,
                    &progress,
                );
            }
            let mode = if only_embedding {
                RunMode::EmbedOnly
            } else if only_lookup {
                RunMode::LookupOnly {
                    embeddings: embeddings.expect("clap requires --embeddings"),
                }
            } else {
                RunMode::Full
            };
            let summary = homolog_pipeline::run(
                &config,
                &RunOptions {
                    input,
                    mode,
                    resume,
                },
                &progress,
            )?;
            println!("{summary}");
        }
        Command::Embed {
            config,
            input,
            out,
            skip_invalid,
            reads,
        } => {
            if let Some(request) = reads.reads_request(&input.to_string_lossy(), &out)? {
                let threads = config.threads.unwrap_or(0);
                return cmd_reads::run_embed_reads(&request, threads);
            }
            let mut config = load_config(&config)?;
            if skip_invalid {
                config.on_invalid = homolog_config::InvalidPolicy::Skip;
            }
            let summary = homolog_pipeline::embed_to_h5(&config, &input, &out, &progress)?;
            println!("{summary}");
        }
        Command::Evaluate {
            predictions,
            score,
            ground_truth,
            ontology,
            ia,
            aspects,
            benchmark_list,
            keep_roots,
            threshold_step,
        } => {
            let mut request =
                homolog_evaluate::EvaluateRequest::new(predictions, ground_truth, ontology);
            request.ia = ia;
            request.aspects = aspects;
            request.benchmark_list = benchmark_list;
            request.keep_roots = keep_roots;
            request.threshold_step = threshold_step;
            request.score = score;
            let evaluation = homolog_evaluate::evaluate_files(&request)?;
            println!("{}", homolog_evaluate::render_table(&evaluation.reports));
        }
        Command::Reads(command) => cmd_reads::run_reads(command)?,
        Command::Cluster(args) => cmd_reads::run(args)?,
        Command::Align(args) => cmd_align::run(args)?,
        Command::Export(args) => cmd_export::run(args)?,
        Command::Serve(args) => cmd_serve::run(args)?,
        Command::Models(command) => cmd_models::run(command)?,
        Command::Reference(command) => cmd_reference::run(command)?,
        Command::Distribute(args) => cmd_distribute::run(args)?,
        Command::Completions(args) => cmd_docs::completions(args)?,
        Command::Man(args) => cmd_docs::man(args)?,
        Command::Merge(args) => cmd_queue::merge(args, &progress)?,
        Command::Worker(args) => cmd_queue::worker(args)?,
        Command::Demo { out, model } => {
            let report = homolog_pipeline::demo(&DemoOptions { out, model }, &progress)?;
            println!("{report}");
        }
        Command::Config { config, example } => {
            if example {
                print!("{}", homolog_config::EXAMPLE_YAML);
            } else {
                print!("{}", load_config(&config)?.to_yaml());
            }
        }
    }
    Ok(())
}
