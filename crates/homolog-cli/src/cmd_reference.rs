//! `homolog reference`: the reference in a PostgreSQL store (homolog-pgstore): push a folder
//! into a store (in full or `--add`), pull a store back into a folder; and FANTASIA's PIS
//! database converted into a folder (`import-pis`, homolog-pis, in cmd_pis.rs).

use std::path::PathBuf;

use anyhow::Result;

use crate::ConfigArgs;

/// The reference store subcommands.
#[derive(clap::Subcommand)]
pub enum ReferenceCommand {
    /// Push a reference folder (`reference.path`, or --folder) into a PostgreSQL store; a full
    /// push replaces the store, --add appends only what the store lacks.
    Push(PushArgs),
    /// Pull a PostgreSQL store into a reference folder (a folder pushed in full comes back
    /// byte-identical).
    Pull(PullArgs),
    /// Convert FANTASIA's reference (a PIS PostgreSQL + pgvector database) into a reference
    /// folder that lookup reads without PostgreSQL.
    #[cfg(feature = "postgres")]
    ImportPis(crate::cmd_pis::ImportPisArgs),
}

/// `homolog reference push`.
#[derive(clap::Args)]
pub struct PushArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The store: postgres://user[:password]@host[:port]/database[?schema=name] (default schema
    /// `homolog`). Default: `reference.path` when it is such a URL (then give --folder).
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// The reference folder to push (default: `reference.path` of the config).
    #[arg(long, value_name = "DIR")]
    pub folder: Option<PathBuf>,
    /// Add the proteins, sequences, annotations, terms, taxa and embeddings the store does not
    /// hold yet, instead of replacing it (the folder must use the store's ontology, evidence
    /// filter, models, layers and precision).
    #[arg(long)]
    pub add: bool,
    /// Replace the store even when it already holds exactly this folder.
    #[arg(long, conflicts_with = "add")]
    pub force: bool,
    /// Embedding columns of a new store: auto (pgvector when the extension is there), real
    /// (`real[]`) or pgvector.
    #[arg(long, default_value = "auto", value_parser = ["auto", "real", "pgvector"])]
    pub storage: String,
}

/// `homolog reference pull`.
#[derive(clap::Args)]
pub struct PullArgs {
    /// The store: postgres://user[:password]@host[:port]/database[?schema=name].
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The folder to write (absent, empty, or a reference folder, which is replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[cfg(feature = "postgres")]
pub fn run(command: ReferenceCommand) -> Result<()> {
    use anyhow::{bail, Context};
    use homolog_pgstore::{is_store_url, PushOptions, StorageChoice};

    match command {
        ReferenceCommand::Push(args) => {
            let config = crate::load_config(&args.config)?;
            let configured = config.reference.path.to_string_lossy().into_owned();
            let (folder, url) = match (args.folder, args.to) {
                (folder, Some(url)) => (folder.unwrap_or(config.reference.path.clone()), url),
                (Some(folder), None) if is_store_url(&configured) => (folder, configured),
                (_, None) => bail!(
                    "say which store to push to: --to postgres://user@host/db (or set \
                     reference.path to that URL and give the folder with --folder)"
                ),
            };
            if is_store_url(&folder.to_string_lossy()) {
                bail!(
                    "reference.path is a store URL; give the reference folder to push with \
                     --folder DIR"
                );
            }
            let options = PushOptions {
                add: args.add,
                force: args.force,
                storage: match args.storage.as_str() {
                    "real" => StorageChoice::RealArray,
                    "pgvector" => StorageChoice::PgVector,
                    _ => StorageChoice::Auto,
                },
            };
            let report = homolog_pgstore::push(&folder, &url, &options)
                .with_context(|| format!("pushing {}", folder.display()))?;
            if report.up_to_date {
                println!(
                    "{}: already holds {} (revision {}); nothing pushed",
                    report.location,
                    folder.display(),
                    report.revision
                );
            } else {
                let a = &report.added;
                println!(
                    "{}: revision {} ({} embeddings): added {} proteins, {} sequences, {} \
                     annotations, {} GO terms, {} taxa, {} embedding vectors",
                    report.location,
                    report.revision,
                    report.storage.as_str(),
                    a.proteins,
                    a.sequences,
                    a.annotations,
                    a.terms,
                    a.taxa,
                    a.embeddings
                );
            }
        }
        ReferenceCommand::ImportPis(args) => crate::cmd_pis::run(args)?,
        ReferenceCommand::Pull(args) => {
            let pulled = homolog_pgstore::pull(&args.from, &args.out)?;
            let m = pulled.manifest.as_ref().map(|m| &m.counts);
            println!(
                "{}: store revision {}{}",
                pulled.dir.display(),
                pulled.revision,
                m.map(|c| format!(
                    ", {} proteins, {} sequences, {} annotations",
                    c.proteins, c.sequences, c.annotations
                ))
                .unwrap_or_default()
            );
        }
    }
    Ok(())
}

#[cfg(not(feature = "postgres"))]
pub fn run(_command: ReferenceCommand) -> Result<()> {
    anyhow::bail!(
        "this homolog was built without PostgreSQL support; rebuild it with the `postgres` \
         feature (on by default)"
    )
}
