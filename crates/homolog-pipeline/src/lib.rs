//! The annotation pipeline's stages wired together.
//!
//! Each stage is a library of its own (`homolog-embed`, `homolog-reference`, `homolog-search`,
//! `homolog-annotate`, ...); this crate is the glue a front end calls: [`initialize`] builds the
//! reference folder, [`run`] annotates queries into an experiment folder (full, embed-only or
//! lookup-only), [`embed_to_h5`] only embeds, and [`demo`] runs everything on the real
//! Swiss-Prot proteins the repository ships and scores the result with `homolog-evaluate`. It
//! knows nothing of the command line: progress goes through the [`Progress`] trait and results
//! come back as values that implement `Display`.
//!
//! A run can also be split over processes: [`run_shard`] annotates shard `i` of `N` of the
//! queries into a part folder and [`merge()`] gathers the parts into the experiment folder a
//! single run writes ([`shard`] documents the split and the part layout; docs/distributed.md).
//!
//! Failure discipline: every input is read and checked (queries, reference folder, reference
//! matrices) before the experiment folder is created, so bad input leaves nothing behind. A run
//! writes into `<prefix>_<timestamp>.partial/` and renames it when complete; `resume` continues
//! the newest `.partial` folder of the same prefix, reusing its embeddings.
//!
//! # Example
//!
//! A configuration read from YAML (paths relative to the file), [`initialize`] on a
//! two-protein reference, then a full [`run`] with the default k-mer model:
//!
//! ```rust
//! use homolog_config::Config;
//! use homolog_pipeline::{initialize, run, NoProgress, RunMode, RunOptions};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
//! write(
//!     "ref.fasta",
//!     ">P1\nMKVLAAGIVGLLLAAPQAQAEELKKHGSTWYRNDCQ\n>P2\nMSTNPKPQRKTKRNTNRRPQDVKFPGG\n",
//! );
//! write("ref.tsv", "P1\tGO:0000001\tF\tIDA\nP2\tGO:0000002\tF\tIDA\n");
//! write(
//!     "go.obo",
//!     "[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n\n\
//!      [Term]\nid: GO:0000001\nname: one\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
//!      [Term]\nid: GO:0000002\nname: two\nnamespace: molecular_function\nis_a: GO:0003674\n",
//! );
//! write("queries.fasta", ">Q1\nMKVLAAGIVGLLLAAPQAQAEELKKHGSTWYRNDCA\n");
//! write(
//!     "homolog.yaml",
//!     "input: queries.fasta\n\
//!      reference:\n  path: reference\n  sequences: [ref.fasta]\n  annotations: [ref.tsv]\n  \
//!      ontology: go.obo\n\
//!      lookup:\n  limit_per_entry: 1\n",
//! );
//! let config = Config::load(Some(&dir.path().join("homolog.yaml")), [], &[]).unwrap();
//!
//! let built = initialize(&config, false, &NoProgress).unwrap();
//! assert_eq!(built.manifest.counts.proteins, 2);
//! let options = RunOptions { input: None, mode: RunMode::Full, resume: false };
//! let summary = run(&config, &options, &NoProgress).unwrap();
//! assert_eq!((summary.queries, summary.summary_rows), (1, 1));
//! let csv = std::fs::read_to_string(summary.experiment.join("summary.csv")).unwrap();
//! assert!(csv.lines().nth(1).unwrap().starts_with("Q1,GO:0000001,"), "{csv}");
//! ```

mod adapter;
mod demo;
mod embed;
mod error;
mod initialize;
mod merge;
mod progress;
mod redundancy;
mod reference_store;
mod run;
pub mod shard;

pub use demo::{demo, DemoModel, DemoOptions, DemoReport, DemoScore};
pub use embed::{
    embed_to_h5, failed_list_path, EmbedReport, ModelEmbedReport, FAILED_EMBEDDINGS_FILE,
};
pub use error::PipelineError;
pub use initialize::{initialize, InitReport};
pub use merge::{
    check_parts, find_parts, merge, partial_path, reserve_experiment, MergeOptions, MergeReport,
};
pub use progress::{NoProgress, Progress, StageProgress};
pub use run::{run, RunMode, RunOptions, RunSummary};
pub use shard::{
    check_shardable, run_shard, PartReport, PartRunner, QueryFile, RunFingerprint, Shard,
};

/// Sets the number of worker threads for every parallel stage (once per process).
pub fn set_threads(threads: usize) -> Result<(), PipelineError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| PipelineError::Invalid(format!("cannot set {threads} threads: {e}")))
}
