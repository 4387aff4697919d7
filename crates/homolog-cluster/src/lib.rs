//! Phase 2 of read clustering: group read embeddings (homolog-shards) by organism.
//!
//! - [`kmeans`]: k-means++ on a seeded sample + Lloyd iterations; GEMM-based assignment on all
//!   cores; exact fixed-point reductions, so threads and any number of MPI ranks give
//!   bit-identical centroids and assignments.
//! - [`minibatch`]: mini-batch k-means streaming the shards (data larger than memory).
//! - [`lsh`]: SimHash buckets merged by Hamming proximity (leader clustering).
//! - [`metrics`]: ARI, NMI, homogeneity/completeness/V-measure, purity, per-cluster scores
//!   (scikit-learn's definitions).
//! - [`plot`]: the PNG (PCA scatter by cluster + cluster sizes), headless, no fonts.
//! - [`run::cluster_shards`]: the whole stage and its output folder (see [`run`]).
//! - [`comm`]: the collectives behind one trait: [`comm::Local`] (threads) or, with the cargo
//!   feature `mpi`, `comm::MpiComm` over the system OpenMPI; [`run_mpi`] initialises MPI.

pub mod comm;
pub mod error;
pub mod kmeans;
pub mod lsh;
pub mod metrics;
pub mod minibatch;
pub mod plot;
pub mod run;

pub use error::ClusterError;
pub use kmeans::{KMeansParams, Metric};
pub use lsh::LshParams;
pub use run::{cluster_shards, ClusterOptions, ClusterSummary, Method};

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
