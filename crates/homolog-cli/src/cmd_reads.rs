//! `homolog reads embed` (phase 1 of read clustering: reads -> shards) and `homolog reads
//! cluster` (phase 2: shards -> clusters): argument layers over `homolog_shards::embed::embed_reads`
//! and homolog-cluster. `homolog cluster` and the read mode of `homolog embed` are the older
//! spellings of the same two commands.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use homolog_shards::embed::EmbedReadsRequest;

/// `homolog reads ...`: DNA reads, from FASTQ/FASTA to clusters.
#[derive(Subcommand, Debug)]
pub enum ReadsCommand {
    /// Phase 1: embed reads (FASTQ/FASTA, plain or gzip; a folder; s3://bucket/prefix) with a DNA
    /// read backend into a folder of Parquet shards with a manifest.
    Embed(ReadsEmbedArgs),
    /// Phase 2: cluster read-embedding shards (k-means, mini-batch k-means or LSH), on threads or
    /// MPI ranks.
    Cluster(ClusterArgs),
}

/// Options of `homolog reads embed`.
#[derive(Args, Debug, Clone)]
pub struct ReadsEmbedArgs {
    /// Reads: FASTQ/FASTA (plain or gzip), a folder of them, or s3://bucket/prefix.
    #[arg(short, long)]
    pub input: String,
    /// Output shard folder (must not hold shards yet).
    #[arg(short, long)]
    pub out: PathBuf,
    /// DNA read backend: dna-kmer (canonical k-mer frequencies), dna-lsh (LSHvec-style hashing),
    /// or dnabert2=CHECKPOINT_DIR (a Hugging Face DNABERT-2 folder; mean-pooled last layer).
    #[arg(long, default_value = "dna-kmer")]
    pub model: String,
    /// Rows per Parquet shard.
    #[arg(long, default_value_t = 100_000)]
    pub shard_rows: usize,
    #[command(flatten)]
    pub backend: ReadBackendOpts,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

impl ReadsEmbedArgs {
    fn request(&self) -> EmbedReadsRequest {
        EmbedReadsRequest {
            input: self.input.clone(),
            out: self.out.clone(),
            model: self.model.clone(),
            shard_rows: self.shard_rows,
            batch_size: self.backend.batch_size,
            kmer: self.backend.kmer,
            dim: self.backend.dim,
            seed: self.backend.seed,
        }
    }
}

/// The backend options both spellings of phase 1 share (flattened into their arguments).
#[derive(Args, Debug, Clone)]
pub struct ReadBackendOpts {
    /// k-mer size (dna-kmer default 4 = tetranucleotides; dna-lsh default 8).
    #[arg(long)]
    pub kmer: Option<usize>,
    /// Output dimension (dna-lsh; default 64). dna-kmer's follows from k.
    #[arg(long)]
    pub dim: Option<usize>,
    /// Seed of the dna-lsh hyperplanes.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Reads per embedding batch.
    #[arg(long, default_value_t = 8192)]
    pub batch_size: usize,
}

/// Runs `homolog reads ...`.
pub fn run_reads(command: ReadsCommand) -> Result<()> {
    match command {
        ReadsCommand::Embed(args) => run_embed_reads(&args.request(), args.threads),
        ReadsCommand::Cluster(args) => run(args),
    }
}

/// Clustering method.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MethodArg {
    /// Lloyd k-means, all reads in memory (threads or MPI ranks).
    Kmeans,
    /// Mini-batch k-means streaming the shards (larger than memory; one process).
    Minibatch,
    /// SimHash buckets merged by Hamming proximity.
    Lsh,
    /// Abundance classes from long k-mers counted over --reads (one process).
    Ab,
    /// Abundance classes, then composition k-means within each class (one process).
    Abcb,
    /// A mixture of Markov chains over the bases of --reads, fitted by EM (one process); the
    /// recommended binning (docs/clustering.md).
    Markov,
}

/// `--k N` or `--k auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KArg {
    /// Chosen from the data.
    Auto,
    /// Given.
    N(usize),
}

impl std::str::FromStr for KArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(KArg::Auto);
        }
        s.parse()
            .map(KArg::N)
            .map_err(|_| format!("{s:?} is neither a number of clusters nor `auto`"))
    }
}

/// Distance.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MetricArg {
    /// Euclidean distance.
    Euclidean,
    /// Cosine distance (1 - cos); rows are L2-normalised (spherical k-means).
    Cosine,
}

/// Options of `homolog cluster`.
#[derive(Args, Debug, Clone)]
pub struct ClusterArgs {
    /// Shard folder written by `homolog reads embed --out DIR` (with manifest.json).
    #[arg(short, long)]
    pub input: PathBuf,
    /// Output folder: assignments.parquet, clusters.tsv, centroids.parquet, summary.json,
    /// plot.png, and metrics.json with --truth.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Clustering method.
    #[arg(long, value_enum, default_value = "kmeans")]
    pub method: MethodArg,
    /// Number of clusters (k-means, mini-batch, markov; abcb: bins in all, split over the
    /// abundance classes); for LSH the most clusters kept (0 = no cap). `auto`: chosen from the
    /// data (markov: the largest k whose random starts agree; abcb: per abundance class from
    /// --genome-size; kmeans, lsh: knee of the k-means inertia); the summary says what was
    /// chosen and why.
    #[arg(short, long, default_value = "10")]
    pub k: KArg,
    /// Distance.
    #[arg(long, value_enum, default_value = "euclidean")]
    pub metric: MetricArg,
    /// Seed of the sampling, k-means++ and LSH hyperplanes (same seed + data = same result).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// k-means: maximum Lloyd iterations.
    #[arg(long, default_value_t = 100)]
    pub max_iter: usize,
    /// k-means: tolerance on the centroid shift, relative to the data variance (scikit-learn's tol).
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// Rows used by k-means++ (0 = max(256 k, 10000)).
    #[arg(long, default_value_t = 0)]
    pub init_sample: usize,
    /// Mini-batch: rows per batch.
    #[arg(long, default_value_t = 4096)]
    pub batch_size: usize,
    /// Mini-batch: passes over the shards.
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// LSH: SimHash code length in bits (1..=64).
    #[arg(long, default_value_t = 16)]
    pub bits: usize,
    /// LSH: buckets within this Hamming distance of a larger bucket join it (0..=3).
    #[arg(long, default_value_t = 1)]
    pub radius: usize,
    /// True labels (`read_id<TAB>label`, or CAMISIM's reads_mapping.tsv[.gz]): writes ARI, NMI,
    /// purity, completeness (metrics.json, clusters.tsv).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// The reads the shards were embedded from (same as `reads embed --input`): markov scores
    /// their bases; ab, abcb and --abundance-weight count their long k-mers.
    #[arg(long)]
    pub reads: Option<String>,
    /// ab/abcb: canonical k-mer size of the abundance counting (8..=14; 4^k x 4 bytes of
    /// counters: 4 MiB at 10, 64 MiB at 12, 1 GiB at 14).
    #[arg(long, default_value_t = 10)]
    pub ab_kmer: usize,
    /// ab/abcb: number of abundance classes, or `auto` (lowest BIC over 1..=6).
    #[arg(long, default_value = "auto")]
    pub ab_classes: KArg,
    /// abcb with --k auto: expected average genome size in bases (metabinR's rule).
    #[arg(long, default_value_t = 3.0e6)]
    pub genome_size: f64,
    /// Do not pool mates (`/1` `/2`, SRA `.N.1` `.N.2`, or one id twice): by default a pair gets one bin.
    #[arg(long)]
    pub no_mates: bool,
    /// kmeans/lsh: average the embeddings of mates (`/1` `/2`, SRA `.N.1` `.N.2`, or one id twice) before
    /// clustering, so a pair gets one bin (one process). ab/abcb always pool mates.
    #[arg(long)]
    pub pool_mates: bool,
    /// kmeans/lsh with --reads: append an abundance column with this weight (its variance is
    /// weight x the embedding's summed variance); 0 = off.
    #[arg(long, default_value_t = 0.0)]
    pub abundance_weight: f64,
    /// markov: order of the chains (bases of context, 1..=7).
    #[arg(long, default_value_t = 5)]
    pub markov_order: usize,
    /// markov: multiplier of the reads' log-likelihoods before the posteriors are taken (0..1].
    #[arg(long, default_value_t = 0.15)]
    pub markov_temperature: f64,
    /// Reads in the PCA plot sample.
    #[arg(long, default_value_t = 5000)]
    pub plot_sample: usize,
    /// Run as MPI ranks (start with `mpirun -np N homolog cluster ... --mpi`); needs a build
    /// with `--features mpi`.
    #[arg(long)]
    pub mpi: bool,
    /// Worker threads per process (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

fn options(a: &ClusterArgs) -> homolog_cluster::ClusterOptions {
    use homolog_cluster::{Method, Metric};
    let mut o = homolog_cluster::ClusterOptions {
        input: a.input.clone(),
        out: a.out.clone(),
        method: match a.method {
            MethodArg::Kmeans => Method::Kmeans,
            MethodArg::Minibatch => Method::Minibatch,
            MethodArg::Lsh => Method::Lsh,
            MethodArg::Ab => Method::Ab,
            MethodArg::Abcb => Method::Abcb,
            MethodArg::Markov => Method::Markov,
        },
        reads: a.reads.clone(),
        k_auto: a.k == KArg::Auto,
        pool_mates: a.pool_mates,
        batch_size: a.batch_size,
        epochs: a.epochs,
        truth: a.truth.clone(),
        plot_sample: a.plot_sample,
        ..Default::default()
    };
    // `auto` keeps the default 10 as the fallback/upper reference; the method decides.
    let k = match a.k {
        KArg::N(k) => k,
        KArg::Auto => 10,
    };
    o.kmeans.k = k;
    o.abundance.kmer = a.ab_kmer;
    o.abundance.classes = match a.ab_classes {
        KArg::Auto => None,
        KArg::N(c) => Some(c),
    };
    o.abundance.genome_size = a.genome_size;
    o.abundance.mates = !a.no_mates;
    o.abundance.weight = a.abundance_weight;
    o.markov.order = a.markov_order;
    o.markov.temperature = a.markov_temperature;
    o.kmeans.metric = match a.metric {
        MetricArg::Euclidean => Metric::Euclidean,
        MetricArg::Cosine => Metric::Cosine,
    };
    o.kmeans.seed = a.seed;
    o.kmeans.max_iter = a.max_iter;
    o.kmeans.tol = a.tol;
    o.kmeans.init_sample = a.init_sample;
    o.lsh.bits = a.bits;
    o.lsh.radius = a.radius;
    // With `--k auto` the clustering replaces this cap with the chosen k.
    o.lsh.max_clusters = k;
    o.lsh.seed = a.seed;
    o
}

fn set_threads(n: usize) {
    if n > 0 {
        // An error only means the pool was already built (tests calling run twice).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
}

/// Runs `homolog reads cluster` (also spelled `homolog cluster`).
pub fn run(args: ClusterArgs) -> Result<()> {
    set_threads(args.threads);
    let opts = options(&args);
    let summary = if args.mpi {
        homolog_cluster::run_mpi(&opts)
    } else {
        homolog_cluster::cluster_shards(&opts, &homolog_cluster::comm::Local)
    }
    .with_context(|| format!("clustering {}", args.input.display()))?;
    if let Some(s) = summary {
        println!(
            "clustered {} reads ({} model, dim {}) into {} clusters with {:?} on {} process(es) in {:.2} s; outputs in {}",
            s.rows,
            s.model,
            s.dim,
            s.clusters,
            opts.method,
            s.processes,
            s.seconds.get("total").copied().unwrap_or(0.0),
            args.out.display()
        );
        if let Some(why) = &s.k_choice {
            println!("bins: {why}");
        }
        if let Some(m) = &s.markov {
            println!(
                "markov: order {} chains, {} EM iterations{}, {} pairs pooled, {} unpaired mates, {} unbinned reads",
                args.markov_order,
                m.iterations,
                if m.converged { "" } else { " (not converged)" },
                m.pairs,
                m.unpaired,
                m.unbinned
            );
        }
        if let Some(ab) = &s.abundance {
            println!(
                "abundance: {}-mers ({} MiB of counters), {} reads counted, {} pairs pooled, {} unpaired mates, {} unbinned reads",
                ab.kmer,
                ab.counter_bytes >> 20,
                ab.reads_counted,
                ab.pairs,
                ab.unpaired,
                ab.unbinned
            );
        }
        if let Some(m) = s.metrics {
            println!(
                "against the truth ({} labelled reads, {} classes): ARI {:.4}  NMI {:.4}  purity {:.4}  completeness {:.4}",
                m.labelled, m.true_classes, m.ari, m.nmi, m.purity, m.completeness
            );
        }
    }
    Ok(())
}

/// The read/shard options of `homolog embed` (flattened into its arguments), the older spelling
/// of `homolog reads embed`: with `--model` naming a DNA read backend (dna-kmer, dna-lsh,
/// dnabert2) or with `--shard-rows`, `homolog embed` reads FASTQ/FASTA reads and writes a folder
/// of Parquet shards instead of an HDF5 file.
#[derive(Args, Debug, Clone)]
pub struct EmbedReadOpts {
    /// DNA read backend (read/shard mode; same as `homolog reads embed --model`): dna-kmer
    /// (default with --shard-rows), dna-lsh, or dnabert2=CHECKPOINT_DIR. --input is then
    /// FASTQ/FASTA (plain or gzip), a folder of them or s3://bucket/prefix, and --out a shard folder.
    #[arg(long)]
    pub model: Option<String>,
    /// Rows per Parquet shard (read/shard mode; default 100000).
    #[arg(long)]
    pub shard_rows: Option<usize>,
    #[command(flatten)]
    pub backend: ReadBackendOpts,
}

impl EmbedReadOpts {
    /// The `homolog reads embed` request these options spell, or `None` when they do not select
    /// the read/shard mode; an error for a `--model` that is not a DNA read backend (protein
    /// models come from the configuration).
    pub fn reads_request(
        &self,
        input: &str,
        out: &std::path::Path,
    ) -> Result<Option<EmbedReadsRequest>> {
        match self.model.as_deref() {
            Some(m) if homolog_shards::embed::is_read_model(m) => {}
            Some(m) => bail!(
                "--model {m:?} is not a DNA read backend (dna-kmer, dna-lsh, dnabert2); protein \
                 models for `homolog embed` come from `embedding.models` in the configuration"
            ),
            None if self.shard_rows.is_none() => return Ok(None),
            None => {}
        }
        let defaults = EmbedReadsRequest::default();
        Ok(Some(EmbedReadsRequest {
            input: input.to_string(),
            out: out.to_path_buf(),
            model: self.model.clone().unwrap_or(defaults.model),
            shard_rows: self.shard_rows.unwrap_or(defaults.shard_rows),
            batch_size: self.backend.batch_size,
            kmer: self.backend.kmer,
            dim: self.backend.dim,
            seed: self.backend.seed,
        }))
    }
}

/// Runs phase 1: reads -> embeddings -> shards, and prints what was written.
pub fn run_embed_reads(request: &EmbedReadsRequest, threads: usize) -> Result<()> {
    set_threads(threads);
    let t = std::time::Instant::now();
    let m = homolog_shards::embed::embed_reads(request, |n| tracing::debug!(reads = n, "embedded"))
        .with_context(|| {
            format!(
                "embedding the reads of {} into {}",
                request.input,
                request.out.display()
            )
        })?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "embedded {} reads with {} (dim {}) into {} shards in {:.2} s ({:.0} reads/s); manifest {}",
        m.rows,
        m.model,
        m.dim,
        m.shards.len(),
        secs,
        m.rows as f64 / secs.max(1e-9),
        request.out.join(homolog_shards::MANIFEST).display()
    );
    Ok(())
}
