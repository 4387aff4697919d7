//! `homolog distribute`: a GAME predictor distributor that impersonates one predictor and
//! scatters each /predict over the predictors of `predictor_pool`. See docs/game.md.

use std::path::PathBuf;

use anyhow::Context;

/// Options of `homolog distribute`.
#[derive(clap::Args, Debug)]
pub struct DistributeArgs {
    /// Distributor config (YAML), GAME's format, so GAME's own distributor_config.yaml works:
    /// `predictor_pool: [{id, pred_ip, pred_port}]` (ports as numbers or quoted strings),
    /// optional `base_url_template` (default `http://{pred_ip}:{pred_port}`), plus homolog's
    /// optional timeouts, retries, concurrency and size limits (see docs/game.md).
    #[arg(long)]
    pub config: PathBuf,
    /// Address to listen on (evaluators connect here).
    pub host: String,
    /// Port to listen on; 0 picks a free port.
    pub port: u16,
    /// Write the bound "ip:port" to this file once listening and every predictor passed the
    /// health check (atomically), for an evaluator job that waits for it.
    #[arg(long)]
    pub address_file: Option<PathBuf>,
}

/// Runs the distributor until Ctrl-C or SIGTERM.
pub fn run(args: DistributeArgs) -> anyhow::Result<()> {
    homolog_serve::distributor::run_blocking(
        &args.config,
        &args.host,
        args.port,
        args.address_file.as_deref(),
    )
    .with_context(|| format!("running the GAME distributor of {}", args.config.display()))
}
