//! `homolog serve predictor`: a GAME-compatible predictor (GET /formats, GET /help,
//! POST /predict) over homolog's k-nearest-reference model. See docs/game.md.

use std::path::PathBuf;

use anyhow::Context;

/// Serve a model over an HTTP API.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// What to serve.
    #[command(subcommand)]
    pub what: ServeWhat,
}

/// Servable APIs.
#[derive(clap::Subcommand, Debug)]
pub enum ServeWhat {
    /// A GAME predictor: predictions are the similarity-weighted mean of the k nearest
    /// reference sequences' measured values (reference table and model named by --config).
    Predictor(PredictorArgs),
}

/// Options of `homolog serve predictor`.
#[derive(clap::Args, Debug)]
pub struct PredictorArgs {
    /// Predictor config (YAML): reference table, task metadata, embedding model, k, bin size,
    /// limits (see docs/game.md).
    #[arg(long)]
    pub config: PathBuf,
    /// Address to listen on (0.0.0.0 to accept connections from other nodes).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free port (printed, and written to --address-file).
    #[arg(long, default_value_t = 5001)]
    pub port: u16,
    /// Write the bound "ip:port" to this file once listening (atomically), for jobs that wait
    /// for the predictor through the file system as GAME's Slurm scripts do.
    #[arg(long)]
    pub address_file: Option<PathBuf>,
}

/// Runs `homolog serve ...` until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    match args.what {
        ServeWhat::Predictor(a) => homolog_serve::predictor::run_blocking(
            &a.config,
            &a.host,
            a.port,
            a.address_file.as_deref(),
        )
        .with_context(|| format!("serving the GAME predictor of {}", a.config.display())),
    }
}
