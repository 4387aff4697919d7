//! Phase 2 of read clustering: group read embeddings (homolog-shards) by organism.
//!
//! - [`kmeans`]: k-means++ on a seeded sample + Lloyd iterations; GEMM-based assignment on all
//!   cores; exact fixed-point reductions, so threads and any number of MPI ranks give
//!   bit-identical centroids and assignments.
//! - [`minibatch`]: mini-batch k-means streaming the shards (data larger than memory).
//! - [`lsh`]: SimHash buckets merged by Hamming proximity (leader clustering).
//! - [`metrics`]: ARI, NMI, homogeneity/completeness/V-measure, purity, per-cluster scores
//!   (scikit-learn's definitions).
//! - [`abundance`]: long canonical k-mers counted over the whole sample (dense counters, any
//!   thread count gives the same counts), reads' abundance profiles, mate pairs, 1-D classes.
//! - [`binning`]: `--method ab` (abundance classes) and `abcb` (composition k-means within each
//!   class), and the abundance column of the joint embedding.
//! - [`markov`]: `--method markov`, a mixture of strand-symmetric Markov chains over the reads'
//!   bases fitted by EM, its number of bins chosen by the agreement of random starts.
//! - [`plot`]: the PNG (PCA scatter by cluster + cluster sizes), headless, no fonts.
//! - [`run::cluster_shards`]: the whole stage and its output folder (see [`run`]).
//! - [`comm`]: the collectives behind one trait: [`comm::Local`] (threads) or, with the cargo
//!   feature `mpi`, `comm::MpiComm` over the system OpenMPI; [`run_mpi`] initialises MPI.
//!
//! Every random choice (samples, k-means++ picks, LSH hyperplanes) comes from seeded ChaCha8
//! streams, so a seed gives the same clusters on any machine, thread count or number of ranks.
//!
//! # Example
//!
//! Reads from two "genomes" of very different G+C, embedded as tetranucleotide profiles, fall
//! into two clusters that match the truth table:
//!
//! ```rust
//! use homolog_cluster::comm::Local;
//! use homolog_cluster::{cluster_shards, ClusterOptions};
//! use homolog_shards::embed::{embed_reads, EmbedReadsRequest};
//!
//! let dir = std::env::temp_dir().join(format!("homolog_cluster_doc_{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let (mut fasta, mut truth) = (String::new(), String::new());
//! for i in 0..40 {
//!     let (genome, read) = if i % 2 == 0 {
//!         ("at_rich", "ATTATAAATTGATTATCATATTTAAT")
//!     } else {
//!         ("gc_rich", "GCCGCGGGCAGCCGCTGGCGCCCGGC")
//!     };
//!     fasta.push_str(&format!(">read{i}\n{}\n", read.repeat(1 + i % 3)));
//!     truth.push_str(&format!("read{i}\t{genome}\n"));
//! }
//! std::fs::write(dir.join("reads.fa"), fasta)?;
//! std::fs::write(dir.join("truth.tsv"), truth)?;
//! embed_reads(
//!     &EmbedReadsRequest {
//!         input: dir.join("reads.fa").to_str().unwrap().to_string(),
//!         out: dir.join("shards"),
//!         ..Default::default() // dna-kmer, k = 4
//!     },
//!     |_done| {},
//! )?;
//!
//! let mut options = ClusterOptions {
//!     input: dir.join("shards"),
//!     out: dir.join("clusters"),
//!     truth: Some(dir.join("truth.tsv")),
//!     ..Default::default() // k-means, euclidean, seed 42
//! };
//! options.kmeans.k = 2;
//! // `Local` runs on threads; rank 0 (the only one here) gets the summary.
//! let summary = cluster_shards(&options, &Local)?.expect("rank 0");
//! assert_eq!((summary.rows, summary.clusters), (40, 2));
//! let scores = summary.metrics.expect("scored against the truth table");
//! assert!(scores.ari > 0.999 && scores.purity == 1.0);
//! for file in ["assignments.parquet", "centroids.parquet", "clusters.tsv", "plot.png"] {
//!     assert!(dir.join("clusters").join(file).exists());
//! }
//!
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod abundance;
pub mod binning;
pub mod comm;
pub mod error;
pub mod kmeans;
pub mod lsh;
pub mod markov;
pub mod metrics;
pub mod minibatch;
pub mod plot;
mod random;
pub mod run;

pub use error::ClusterError;
pub use kmeans::{KMeansParams, Metric};
pub use lsh::LshParams;
pub use run::{
    cluster_shards, AbundanceOptions, AbundanceSummary, ClusterOptions, ClusterSummary,
    MarkovSummary, Method,
};

/// Whether this build can run MPI ranks (cargo feature `mpi`).
pub const MPI_ENABLED: bool = cfg!(feature = "mpi");

/// Runs [`cluster_shards`] as one MPI rank (start with `mpirun -np N ...`): initialises MPI,
/// clusters this rank's share of the shards; rank 0 writes the outputs and returns the summary.
#[cfg(feature = "mpi")]
pub fn run_mpi(opts: &ClusterOptions) -> Result<Option<ClusterSummary>, ClusterError> {
    let universe = mpi::initialize()
        .ok_or_else(|| ClusterError::Mpi("MPI is already initialised in this process".into()))?;
    let comm = comm::MpiComm::new(&universe);
    cluster_shards(opts, &comm)
}

/// Without the `mpi` feature: an error that says how to get it.
#[cfg(not(feature = "mpi"))]
pub fn run_mpi(_opts: &ClusterOptions) -> Result<Option<ClusterSummary>, ClusterError> {
    Err(ClusterError::Mpi(
        "this homolog was built without MPI; rebuild with `cargo build --release -p homolog-cli --features mpi` (needs Debian libopenmpi-dev and libclang-dev), or drop --mpi to use threads".into(),
    ))
}
