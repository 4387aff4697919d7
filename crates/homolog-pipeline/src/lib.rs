//! The annotation pipeline's stages wired together.
//!
//! Each stage is a library of its own (`homolog-embed`, `homolog-reference`, `homolog-search`,
//! `homolog-annotate`, ...); this crate is the glue a front end calls: [`initialize`] builds the
//! reference folder, [`run`] annotates queries into an experiment folder (full, embed-only or
//! lookup-only), [`embed_to_h5`] only embeds, [`evaluate_files`] scores predictions and [`demo`]
//! runs everything on simulated data. It knows nothing of the command line: progress goes
//! through the [`Progress`] trait and results come back as values that implement `Display`.
//!
//! Failure discipline: every input is read and checked (queries, reference folder, reference
//! matrices) before the experiment folder is created, so bad input leaves nothing behind. A run
//! writes into `<prefix>_<timestamp>.partial/` and renames it when complete; `resume` continues
//! the newest `.partial` folder of the same prefix, reusing its embeddings.

mod adapter;
mod demo;
mod embed;
mod error;
mod initialize;
mod progress;
mod run;

pub use demo::{demo, DemoOptions, DemoReport};
pub use embed::{
    embed_to_h5, failed_list_path, EmbedReport, ModelEmbedReport, FAILED_EMBEDDINGS_FILE,
};
pub use error::PipelineError;
pub use initialize::{initialize, InitReport};
pub use progress::{NoProgress, Progress, StageProgress};
pub use run::{run, RunMode, RunOptions, RunSummary};

/// Sets the number of worker threads for every parallel stage (once per process).
pub fn set_threads(threads: usize) -> Result<(), PipelineError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| PipelineError::Invalid(format!("cannot set {threads} threads: {e}")))
}
