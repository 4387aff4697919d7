//! `homolog export`: PROTEA's re-ranker training data (train/eval Parquet and a manifest).

use std::path::PathBuf;

use anyhow::{Context, Result};

/// Export KNN GO-term candidates with PROTEA's features and temporal labels: train.parquet,
/// eval.parquet and manifest.json in a folder or under s3://bucket/prefix (docs/export.md).
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Export configuration (YAML: reference, model/layer, k, queries, releases; see
    /// docs/export.md). Relative paths in it are relative to its folder.
    #[arg(short, long, value_name = "YAML")]
    pub config: PathBuf,
    /// Output folder (created if needed), or s3://bucket/prefix (credentials and endpoint
    /// from the AWS_* environment variables).
    #[arg(short, long, value_name = "DIR|S3_URL")]
    pub out: String,
    /// Worker threads (0 = all cores); overrides `threads` in the config. The files do not
    /// depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Queries per chunk (one row group each); overrides `chunk_queries`.
    #[arg(long)]
    pub chunk_queries: Option<usize>,
}

/// Runs `homolog export`.
pub fn run(args: ExportArgs) -> Result<()> {
    let mut config = homolog_export::ExportConfig::load(&args.config)?;
    if let Some(t) = args.threads {
        config.threads = t;
    }
    if let Some(c) = args.chunk_queries {
        anyhow::ensure!(c > 0, "--chunk-queries must be at least 1");
        config.chunk_queries = c;
    }
    let report = homolog_export::export(&config, &args.out)
        .with_context(|| format!("exporting {} to {}", args.config.display(), args.out))?;
    println!("{report}");
    Ok(())
}
