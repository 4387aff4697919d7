//! Phase 2 end to end: open the shards, cluster (k-means, mini-batch or LSH) on this process's
//! share, gather the results and (rank 0) write the output folder:
//!
//! ```text
//! clusters/
//!   assignments.parquet   read_id: utf8, cluster: uint32, distance: float32   (input order)
//!   clusters.tsv          cluster, size [, dominant_label, purity, completeness]
//!   centroids.parquet     cluster: uint32, size: uint64, centroid: fixed_size_list<float32>[dim]
//!   metrics.json          ARI, NMI, homogeneity, completeness, V-measure, purity (with --truth)
//!   plot.png              PCA of a sample coloured by cluster | cluster sizes
//!   summary.json          method, parameters, rows, iterations, convergence, inertia, timings
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{
    ArrayRef, FixedSizeListArray, Float32Array, RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use serde::{Deserialize, Serialize};

use homolog_io::write_atomic;
use homolog_shards::{write_parquet_atomic, ShardSet};

use crate::comm::Comm;
use crate::error::io;
use crate::kmeans::{
    assign, fixed_scale, gather_sample_rows, kmeans, local_sums, normalise_row, IterStat,
    KMeansParams, LocalData, Metric,
};
use crate::lsh::{lsh_cluster, LshParams};
use crate::metrics::{score, ClusterScore, Scores};
use crate::minibatch::{minibatch_kmeans, MiniBatchParams};
use crate::random::RowSample;
use crate::ClusterError;

/// Clustering method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Lloyd k-means over all rows in memory (threads or MPI ranks).
    Kmeans,
    /// Mini-batch k-means streaming the shards (one process).
    Minibatch,
    /// SimHash buckets merged by Hamming proximity (threads or MPI ranks).
    Lsh,
    /// Abundance classes alone (long k-mers counted over `reads`; one process).
    Ab,
    /// Abundance classes, then composition k-means within each (one process).
    Abcb,
    /// A mixture of Markov chains over the reads' bases (`reads`), fitted by EM (one process).
    Markov,
}

/// The abundance options (`--method ab`, `abcb`, and the joint embedding of `kmeans`/`lsh`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AbundanceOptions {
    /// Canonical k-mer size of the counting (8..=14).
    pub kmer: usize,
    /// Abundance classes; `None` = chosen by BIC (see `abundance::choose_classes`).
    pub classes: Option<usize>,
    /// Most classes tried when choosing.
    pub max_classes: usize,
    /// Expected average genome size (bases): `abcb` gives an abundance class
    /// max(1, floor(distinct k-mers of its reads / genome_size)) composition clusters
    /// (metabinR's rule) unless the number of bins is given.
    pub genome_size: f64,
    /// Pool the signals of mates (`/1` `/2`, SRA `.N.1` `.N.2`, or the same id twice) so a pair gets one bin.
    pub mates: bool,
    /// `kmeans`/`lsh` with reads: weight of the abundance column appended to each row (its
    /// variance is `weight` x the summed per-dimension variance of the embedding); 0 = off.
    pub weight: f64,
}

impl Default for AbundanceOptions {
    fn default() -> Self {
        Self {
            kmer: 10,
            classes: None,
            max_classes: 6,
            genome_size: 3.0e6,
            mates: true,
            weight: 0.0,
        }
    }
}

/// What the abundance pass found (in `summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbundanceSummary {
    /// k.
    pub kmer: usize,
    /// Bytes of the k-mer counters.
    pub counter_bytes: u64,
    /// k-mer occurrences counted over the sample.
    pub occurrences: u64,
    /// Distinct canonical k-mers seen.
    pub distinct: u64,
    /// A k-mer is solid when its sample count is at least this.
    pub solid_threshold: u32,
    /// Reads in `reads` (all counted).
    pub reads_counted: u64,
    /// Mate pairs pooled.
    pub pairs: u64,
    /// Reads marked as mates whose mate is missing (binned alone).
    pub unpaired: u64,
    /// Reads without a complete k-mer (shorter than k, or all N) whose mate has none either:
    /// they go to the `unbinned` cluster.
    pub unbinned: u64,
    /// The cluster id holding the unbinned reads, when there are any.
    pub unbinned_cluster: Option<u32>,
    /// How the number of abundance classes was chosen.
    pub classes: crate::abundance::ClassChoice,
    /// Reads (binned) per abundance class, classes by increasing abundance.
    pub class_sizes: Vec<u64>,
    /// Centre (mean solid fraction) of each class.
    pub class_centres: Vec<f64>,
    /// abcb: composition clusters per class and why.
    pub clusters_per_class: Vec<usize>,
    /// abcb: the rule behind `clusters_per_class`.
    pub bins_rule: String,
}

/// What the Markov-chain mixture did (`--method markov`, in `summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkovSummary {
    /// How the number of bins was chosen.
    pub choice: crate::markov::MarkovChoice,
    /// EM iterations of the final fit.
    pub iterations: usize,
    /// Whether the final fit's log-likelihood settled.
    pub converged: bool,
    /// Tempered log-likelihood of the groups under the final mixture.
    pub log_likelihood: f64,
    /// Mate pairs pooled.
    pub pairs: u64,
    /// Reads marked as mates whose mate is missing (binned alone).
    pub unpaired: u64,
    /// Reads without a complete window of order + 1 bases whose mate has none either: they go
    /// to the `unbinned` cluster.
    pub unbinned: u64,
    /// The cluster id holding the unbinned reads, when there are any.
    pub unbinned_cluster: Option<u32>,
}

/// Everything [`cluster_shards`] needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterOptions {
    /// Shard folder (with manifest.json).
    pub input: PathBuf,
    /// Output folder.
    pub out: PathBuf,
    /// Method.
    pub method: Method,
    /// k-means parameters (k, metric and seed are shared with mini-batch).
    pub kmeans: KMeansParams,
    /// Mini-batch rows per batch.
    pub batch_size: usize,
    /// Mini-batch passes.
    pub epochs: usize,
    /// LSH parameters (`max_clusters` 0 = no cap).
    pub lsh: LshParams,
    /// Truth table (`read_id<TAB>label`, or CAMISIM's reads_mapping.tsv[.gz]).
    pub truth: Option<PathBuf>,
    /// Rows in the plot sample.
    pub plot_sample: usize,
    /// The reads the shards were embedded from (file, folder or s3:// prefix): needed by `ab`,
    /// `abcb` and the joint embedding.
    #[serde(default)]
    pub reads: Option<String>,
    /// Abundance options.
    #[serde(default)]
    pub abundance: AbundanceOptions,
    /// `--method markov`: the Markov-chain mixture.
    #[serde(default)]
    pub markov: crate::markov::MarkovParams,
    /// `--k auto`: the number of bins is chosen from the data (abcb: per class from the genome
    /// size; kmeans: elbow of the inertia on the initialisation sample).
    #[serde(default)]
    pub k_auto: bool,
    /// kmeans/lsh: replace each read's row by the mean row of its mate group (`/1` `/2`, SRA `.N.1`/`.N.2`, or the
    /// same id twice) before clustering, so a pair gets one bin (one process; ab/abcb pool
    /// mates through `abundance.mates`).
    #[serde(default)]
    pub pool_mates: bool,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            input: PathBuf::new(),
            out: PathBuf::new(),
            method: Method::Kmeans,
            kmeans: KMeansParams::default(),
            batch_size: 4096,
            epochs: 3,
            lsh: LshParams::default(),
            truth: None,
            plot_sample: 5000,
            reads: None,
            abundance: AbundanceOptions::default(),
            markov: crate::markov::MarkovParams::default(),
            k_auto: false,
            pool_mates: false,
        }
    }
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// Options used.
    pub options: ClusterOptions,
    /// Embedding model of the shards.
    pub model: String,
    /// Rows clustered.
    pub rows: u64,
    /// Dimension.
    pub dim: usize,
    /// Processes (MPI ranks; 1 = threads only).
    pub processes: usize,
    /// Non-empty clusters.
    pub clusters: usize,
    /// Iterations (k-means) or epochs (mini-batch); 0 for LSH.
    pub iterations: usize,
    /// Whether k-means converged before max_iter.
    pub converged: bool,
    /// Sum of squared euclidean distances to the centroids.
    pub inertia: f64,
    /// Per-iteration statistics (k-means).
    pub history: Vec<IterStat>,
    /// LSH buckets (LSH only).
    pub buckets: usize,
    /// Seconds: loading, clustering, writing.
    pub seconds: HashMap<String, f64>,
    /// Scores against the truth table.
    pub metrics: Option<Scores>,
    /// The abundance pass (ab, abcb, joint embedding).
    #[serde(default)]
    pub abundance: Option<AbundanceSummary>,
    /// The Markov-chain mixture (markov).
    #[serde(default)]
    pub markov: Option<MarkovSummary>,
    /// How the number of bins was chosen, in words.
    #[serde(default)]
    pub k_choice: Option<String>,
}

/// Reads a truth table: `read_id<TAB>label` per line (`#` comments; a header whose first field
/// is `read_id` or `anonymous_read_id` is skipped); plain or gzip. CAMISIM's
/// `reads_mapping.tsv.gz` (anonymous_read_id, genome_id, tax_id, read_id) works as is.
pub fn read_truth(path: &Path) -> Result<HashMap<String, String>, ClusterError> {
    let mut lines = homolog_io::Lines::open(path)?;
    let mut out = HashMap::new();
    while let Some((line_no, line)) = lines.next_line()? {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut it = line.split('\t');
        let (id, label) = (it.next().unwrap_or(""), it.next());
        if line_no == 1 && (id == "read_id" || id == "anonymous_read_id") {
            continue;
        }
        let label = label
            .filter(|l| !l.is_empty())
            .ok_or_else(|| ClusterError::Truth {
                path: path.to_path_buf(),
                line: line_no,
                reason: "expected `read_id<TAB>label`".into(),
            })?;
        out.insert(id.to_string(), label.to_string());
    }
    Ok(out)
}

/// Loads the shards of this process (shard i goes to rank i mod size).
pub fn load_local(set: &ShardSet, comm: &dyn Comm) -> Result<LocalData, ClusterError> {
    let offsets = set.offsets();
    let mut data = LocalData {
        dim: set.dim(),
        ..Default::default()
    };
    for i in (0..set.len()).filter(|i| i % comm.size() == comm.rank()) {
        let s = set.read(i, false)?;
        data.data.extend_from_slice(&s.data);
        data.global_idx
            .extend((0..s.rows as u64).map(|r| offsets[i] + r));
    }
    Ok(data)
}

/// Clusters the shards; rank 0 writes the outputs and gets `Some(summary)`, other ranks `None`.
pub fn cluster_shards(
    opts: &ClusterOptions,
    comm: &dyn Comm,
) -> Result<Option<ClusterSummary>, ClusterError> {
    let started = Instant::now();
    let set = ShardSet::open(&opts.input)?;
    let n = set.manifest.rows;
    if n == 0 {
        return Err(ClusterError::Params(format!(
            "{} holds no reads; nothing to cluster",
            opts.input.display()
        )));
    }
    if opts.method == Method::Minibatch && (opts.k_auto || opts.abundance.weight > 0.0) {
        return Err(ClusterError::Params(
            "mini-batch k-means takes neither --k auto nor --abundance-weight; use --method kmeans"
                .into(),
        ));
    }
    let mut seconds = HashMap::new();
    let clustering = match opts.method {
        Method::Minibatch => cluster_streaming(&set, opts, comm, &mut seconds)?,
        Method::Kmeans | Method::Lsh => cluster_in_memory(&set, opts, comm, &mut seconds)?,
        Method::Markov => crate::binning::cluster_markov(&set, opts, comm, &mut seconds)?,
        Method::Ab | Method::Abcb => {
            crate::binning::cluster_abundance(&set, opts, comm, &mut seconds)?
        }
    };
    if comm.rank() != 0 {
        return Ok(None);
    }
    let writing = Instant::now();
    let metrics = write_outputs(&set, opts, &clustering)?;
    seconds.insert("write".into(), writing.elapsed().as_secs_f64());
    seconds.insert("total".into(), started.elapsed().as_secs_f64());
    let summary = ClusterSummary {
        options: opts.clone(),
        model: set.manifest.model.clone(),
        rows: n,
        dim: set.dim(),
        processes: comm.size(),
        clusters: clustering.sizes.iter().filter(|&&s| s > 0).count(),
        iterations: clustering.iterations,
        converged: clustering.converged,
        inertia: clustering.inertia,
        history: clustering.history,
        buckets: clustering.buckets,
        seconds,
        metrics,
        abundance: clustering.abundance.clone(),
        markov: clustering.markov.clone(),
        k_choice: clustering.k_choice.clone(),
    };
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| ClusterError::Output {
        path: opts.out.clone(),
        reason: e.to_string(),
    })?;
    write_atomic(opts.out.join("summary.json"), &json)?;
    Ok(Some(summary))
}

/// The result of one method on all rows, in global row order, as every process holds it.
pub(crate) struct Clustering {
    pub(crate) labels: Vec<u32>,
    /// Squared distance of each row to its centroid (on normalised rows for cosine).
    pub(crate) dist2: Vec<f32>,
    /// `sizes.len() * dim` values.
    pub(crate) centroids: Vec<f32>,
    pub(crate) sizes: Vec<u64>,
    /// The plot sample's rows and labels, in global row order.
    pub(crate) plot_rows: Vec<f32>,
    pub(crate) plot_labels: Vec<u32>,
    /// Iterations (k-means) or epochs (mini-batch); 0 for LSH.
    pub(crate) iterations: usize,
    pub(crate) converged: bool,
    pub(crate) inertia: f64,
    pub(crate) history: Vec<IterStat>,
    /// LSH buckets (0 for the k-means methods).
    pub(crate) buckets: usize,
    /// The abundance pass, when one ran.
    pub(crate) abundance: Option<AbundanceSummary>,
    /// The Markov-chain mixture, when it ran.
    pub(crate) markov: Option<MarkovSummary>,
    /// How k was chosen (`--k auto`).
    pub(crate) k_choice: Option<String>,
}

/// What one process's in-memory method produced for its own rows.
struct LocalClustering {
    labels: Vec<u32>,
    dist2: Vec<f32>,
    centroids: Vec<f32>,
    sizes: Vec<u64>,
    iterations: usize,
    converged: bool,
    history: Vec<IterStat>,
    buckets: usize,
}

/// Errors with `why` when the run spans several MPI ranks, for steps that run in one process.
pub(crate) fn one_process(comm: &dyn Comm, why: &str) -> Result<(), ClusterError> {
    if comm.size() > 1 {
        return Err(ClusterError::Params(why.into()));
    }
    Ok(())
}

/// The rows drawn for the plot: the same for every method and process count.
pub(crate) fn plot_sample(opts: &ClusterOptions, n: u64) -> RowSample {
    RowSample::new(opts.kmeans.seed ^ 0x706c_6f74, opts.plot_sample as u64, n)
}

/// Mini-batch k-means streaming the shards, then one more streaming pass for the assignments,
/// exact sizes, inertia and plot sample (one process).
fn cluster_streaming(
    set: &ShardSet,
    opts: &ClusterOptions,
    comm: &dyn Comm,
    seconds: &mut HashMap<String, f64>,
) -> Result<Clustering, ClusterError> {
    one_process(
        comm,
        "mini-batch k-means runs in one process; use --method kmeans with --mpi",
    )?;
    let (k, d, metric) = (opts.kmeans.k, set.dim(), opts.kmeans.metric);
    let params = MiniBatchParams {
        k,
        batch_size: opts.batch_size,
        epochs: opts.epochs,
        metric,
        seed: opts.kmeans.seed,
        init_sample: opts.kmeans.init_sample,
    };
    let clustering_started = Instant::now();
    let centroids = minibatch_kmeans(set, &params)?;
    let mut in_plot = plot_sample(opts, set.manifest.rows);
    let (mut labels, mut dist2) = (Vec::new(), Vec::new());
    let (mut plot_rows, mut plot_labels) = (Vec::new(), Vec::new());
    for (i, &offset) in set.offsets()[..set.len()].iter().enumerate() {
        let mut shard = set.read(i, false)?.data;
        if metric == Metric::Cosine {
            shard.chunks_mut(d).for_each(normalise_row);
        }
        let (shard_labels, shard_dist2) = assign(&shard, d, &centroids, k);
        for (r, row) in shard.chunks(d).enumerate() {
            if in_plot.contains(offset + r as u64) {
                plot_rows.extend_from_slice(row);
                plot_labels.push(shard_labels[r]);
            }
        }
        labels.extend(shard_labels);
        dist2.extend(shard_dist2);
    }
    seconds.insert("cluster".into(), clustering_started.elapsed().as_secs_f64());
    let mut sizes = vec![0u64; k];
    labels.iter().for_each(|&l| sizes[l as usize] += 1);
    let inertia = dist2.iter().map(|&v| v as f64).sum::<f64>();
    Ok(Clustering {
        labels,
        dist2,
        centroids,
        sizes,
        plot_rows,
        plot_labels,
        iterations: opts.epochs,
        converged: false,
        inertia,
        history: Vec::new(),
        buckets: 0,
        abundance: None,
        markov: None,
        k_choice: None,
    })
}

/// k-means or LSH on this process's rows in memory, then the results gathered to every
/// process in global row order.
fn cluster_in_memory(
    set: &ShardSet,
    opts: &ClusterOptions,
    comm: &dyn Comm,
    seconds: &mut HashMap<String, f64>,
) -> Result<Clustering, ClusterError> {
    let n = set.manifest.rows;
    let loading_started = Instant::now();
    let mut data = load_local(set, comm)?;
    if opts.pool_mates {
        pool_mate_rows(set, &mut data, comm)?;
    }
    if opts.kmeans.metric == Metric::Cosine {
        data.normalise();
    }
    seconds.insert("load".into(), loading_started.elapsed().as_secs_f64());
    let mut abundance = None;
    if opts.abundance.weight > 0.0 {
        let started = Instant::now();
        abundance = Some(append_abundance(set, opts, &mut data, comm)?);
        seconds.insert("abundance".into(), started.elapsed().as_secs_f64());
    }
    let clustering_started = Instant::now();
    let mut params = opts.kmeans.clone();
    let mut lsh_opts = opts.clone();
    let mut k_choice = None;
    if opts.k_auto {
        // LSH takes the same k as its cap: uncapped leader clustering of 150 bp reads leaves
        // thousands of tiny buckets.
        let (k, why) = elbow_k(&data, n, &opts.kmeans, comm)?;
        params.k = k;
        lsh_opts.lsh.max_clusters = k;
        k_choice = Some(why);
    }
    let local = match opts.method {
        Method::Kmeans => {
            let r = kmeans(&data, n, &params, comm)?;
            seconds.insert("init".into(), r.init_seconds);
            LocalClustering {
                labels: r.labels,
                dist2: r.dist2,
                centroids: r.centroids,
                sizes: r.sizes,
                iterations: r.iterations,
                converged: r.converged,
                history: r.history,
                buckets: 0,
            }
        }
        _ => lsh_in_memory(&data, n, &lsh_opts, comm)?,
    };
    seconds.insert("cluster".into(), clustering_started.elapsed().as_secs_f64());
    let (labels, dist2) = gather_assignments(&data, &local.labels, &local.dist2, n, comm);
    let (plot_idx, plot_rows) = gather_sample_rows(&data, &mut plot_sample(opts, n), comm);
    let plot_labels = plot_idx.iter().map(|&g| labels[g as usize]).collect();
    let mut inertia = [local.dist2.iter().map(|&v| v as f64).sum::<f64>()];
    comm.sum_f64(&mut inertia);
    Ok(Clustering {
        labels,
        dist2,
        centroids: local.centroids,
        sizes: local.sizes,
        plot_rows,
        plot_labels,
        iterations: local.iterations,
        converged: local.converged,
        inertia: inertia[0],
        history: local.history,
        buckets: local.buckets,
        abundance,
        markov: None,
        k_choice,
    })
}

/// `--pool-mates`: every row becomes the mean row of its mate group. Identical rows get the
/// same nearest centroid (k-means) and the same SimHash code (LSH), so mates cannot be split,
/// and each read's profile draws on twice the k-mers.
fn pool_mate_rows(
    set: &ShardSet,
    data: &mut LocalData,
    comm: &dyn Comm,
) -> Result<(), ClusterError> {
    one_process(
        comm,
        "--pool-mates runs in one process (mates may sit on different ranks); drop --mpi",
    )?;
    let mut ids = Vec::with_capacity(data.rows());
    for i in 0..set.len() {
        ids.extend(set.read(i, true)?.ids);
    }
    let groups = crate::abundance::mate_groups(&ids, true);
    if groups.unpaired > 0 {
        tracing::warn!(
            unpaired = groups.unpaired,
            examples = ?groups.unpaired_examples,
            "reads marked as mates (/1, /2, SRA .1/.2) without their mate in the shards are clustered alone"
        );
    }
    let d = data.dim;
    let mut mean = vec![0f32; d];
    for m in groups.members.iter().filter(|m| m.len() > 1) {
        mean.iter_mut().for_each(|v| *v = 0.0);
        for &r in m {
            for (t, v) in mean.iter_mut().enumerate() {
                *v += data.data[r as usize * d + t] / m.len() as f32;
            }
        }
        for &r in m {
            data.data[r as usize * d..(r as usize + 1) * d].copy_from_slice(&mean);
        }
    }
    Ok(())
}

/// Most clusters `--k auto` tries for k-means.
const AUTO_K_MAX: usize = 20;

/// `--k auto` for k-means: inertia of k-means on the initialisation sample for k = 1..=20,
/// then the "knee" (Satopaa et al.'s kneedle): the k where the normalised inertia drop
/// exceeds the normalised k by the most.
fn elbow_k(
    data: &LocalData,
    n: u64,
    params: &KMeansParams,
    comm: &dyn Comm,
) -> Result<(usize, String), ClusterError> {
    let d = data.dim;
    let max_k = AUTO_K_MAX.min(n as usize).max(1);
    let probe = KMeansParams {
        k: max_k,
        ..params.clone()
    };
    let m = probe.sample_size(n);
    let sample = crate::kmeans::gather_sample(data, params.seed, m, n, comm);
    let rows = (sample.len() / d.max(1)) as u64;
    let local = LocalData {
        dim: d,
        global_idx: (0..rows).collect(),
        data: sample,
    };
    let mut inertia = Vec::new();
    for k in 1..=max_k.min(rows as usize) {
        let p = KMeansParams {
            k,
            ..params.clone()
        };
        inertia.push(kmeans(&local, rows, &p, &crate::comm::Local)?.inertia);
    }
    let last = inertia.len();
    if last < 3 {
        return Ok((
            last.max(1),
            format!("--k auto: only {last} candidate k; used {}", last.max(1)),
        ));
    }
    let (first, end) = (inertia[0], inertia[last - 1]);
    let span = (first - end).max(f64::MIN_POSITIVE);
    let best = (0..last)
        .max_by(|&a, &b| {
            let score = |i: usize| (first - inertia[i]) / span - i as f64 / (last - 1) as f64;
            score(a).total_cmp(&score(b)).then(b.cmp(&a))
        })
        .map_or(1, |i| i + 1);
    Ok((
        best,
        format!(
            "--k auto: k = {best}, the knee of the k-means inertia on a {rows}-row sample over k = 1..={last} (inertia {:?})",
            inertia.iter().map(|v| (v * 1000.0).round() / 1000.0).collect::<Vec<_>>()
        ),
    ))
}

/// The joint embedding: appends each row's abundance (its mate group's solid-k-mer fraction,
/// standardised, with variance `weight` x the embedding's summed per-dimension variance) as
/// one more column. Reads without a complete k-mer get the mean (0 after standardising).
fn append_abundance(
    set: &ShardSet,
    opts: &ClusterOptions,
    data: &mut LocalData,
    comm: &dyn Comm,
) -> Result<AbundanceSummary, ClusterError> {
    let ra = crate::binning::row_abundance(set, opts)?;
    let values: Vec<f64> = ra
        .groups
        .group_of
        .iter()
        .map(|&g| {
            let p = &ra.profiles[g as usize];
            if p.kmers == 0 {
                f64::NAN
            } else {
                p.solid_fraction as f64
            }
        })
        .collect();
    let known: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let mean = known.iter().sum::<f64>() / known.len().max(1) as f64;
    let sd = (known.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>()
        / known.len().max(1) as f64)
        .sqrt()
        .max(1e-12);
    // Summed per-dimension variance of the embedding over all processes.
    let d = data.dim;
    let mut sums = vec![0f64; 2 * d + 1];
    for row in data.data.chunks(d) {
        for (t, &v) in row.iter().enumerate() {
            sums[t] += v as f64;
            sums[d + t] += v as f64 * v as f64;
        }
        sums[2 * d] += 1.0;
    }
    comm.sum_f64(&mut sums);
    let rows = sums[2 * d].max(1.0);
    let total_var: f64 = (0..d)
        .map(|t| (sums[d + t] / rows - (sums[t] / rows).powi(2)).max(0.0))
        .sum();
    let scale = (opts.abundance.weight * total_var).sqrt() / sd;
    let mut out = Vec::with_capacity(data.rows() * (d + 1));
    for (row, &g) in data.data.chunks(d).zip(&data.global_idx) {
        out.extend_from_slice(row);
        let v = values[g as usize];
        out.push(if v.is_nan() {
            0.0
        } else {
            ((v - mean) * scale) as f32
        });
    }
    data.data = out;
    data.dim = d + 1;
    let mut summary = ra.summary;
    summary.bins_rule = format!(
        "joint embedding: {d} embedding dimensions + 1 abundance column (weight {})",
        opts.abundance.weight
    );
    Ok(summary)
}

/// LSH clustering of this process's rows, with centroids (exact cluster means) and each row's
/// squared distance to its centroid.
fn lsh_in_memory(
    data: &LocalData,
    n: u64,
    opts: &ClusterOptions,
    comm: &dyn Comm,
) -> Result<LocalClustering, ClusterError> {
    let d = data.dim;
    let r = lsh_cluster(data, n, &opts.lsh, comm)?;
    let centroids = cluster_means(data, &r.labels, r.sizes.len(), n, opts.kmeans.metric, comm);
    let dist2 = data
        .data
        .chunks(d)
        .zip(&r.labels)
        .map(|(x, &l)| {
            x.iter()
                .zip(&centroids[l as usize * d..(l as usize + 1) * d])
                .map(|(a, b)| (a - b) * (a - b))
                .sum()
        })
        .collect();
    Ok(LocalClustering {
        labels: r.labels,
        dist2,
        centroids,
        sizes: r.sizes,
        iterations: 0,
        converged: true,
        history: Vec::new(),
        buckets: r.buckets,
    })
}

/// Exact means of `clusters` clusters over all processes (fixed-point sums, so independent of
/// the partition); L2-normalised for cosine.
pub(crate) fn cluster_means(
    data: &LocalData,
    labels: &[u32],
    clusters: usize,
    n: u64,
    metric: Metric,
    comm: &dyn Comm,
) -> Vec<f32> {
    let d = data.dim;
    let local_max = data.data.iter().fold(0f32, |a, &v| a.max(v.abs())) as f64;
    let scale = fixed_scale(comm.max_f64(local_max), n);
    let mut sums = local_sums(&data.data, d, labels, clusters, scale);
    comm.sum_i64(&mut sums);
    let mut centroids = vec![0f32; clusters * d];
    for j in 0..clusters {
        let count = sums[clusters * d + j].max(1) as f64;
        for t in 0..d {
            centroids[j * d + t] = (sums[j * d + t] as f64 / scale / count) as f32;
        }
        if metric == Metric::Cosine {
            normalise_row(&mut centroids[j * d..(j + 1) * d]);
        }
    }
    centroids
}

/// Gathers every process's (global index, label, squared distance) to every process, in global
/// row order.
pub(crate) fn gather_assignments(
    data: &LocalData,
    labels: &[u32],
    dist2: &[f32],
    n: u64,
    comm: &dyn Comm,
) -> (Vec<u32>, Vec<f32>) {
    let mut packed: Vec<u64> = Vec::with_capacity(data.rows() * 2);
    for ((&g, &l), &dd) in data.global_idx.iter().zip(labels).zip(dist2) {
        packed.push(g);
        packed.push(((l as u64) << 32) | dd.to_bits() as u64);
    }
    let all = comm.gather_u64(&packed);
    let mut all_labels = vec![0u32; n as usize];
    let mut all_dist2 = vec![0f32; n as usize];
    for p in all.chunks(2) {
        all_labels[p[0] as usize] = (p[1] >> 32) as u32;
        all_dist2[p[0] as usize] = f32::from_bits(p[1] as u32);
    }
    (all_labels, all_dist2)
}

/// Writes the output folder except `summary.json` (see the module docs); returns the scores
/// when a truth table was given.
fn write_outputs(
    set: &ShardSet,
    opts: &ClusterOptions,
    clustering: &Clustering,
) -> Result<Option<Scores>, ClusterError> {
    std::fs::create_dir_all(&opts.out).map_err(io(&opts.out))?;
    let mut ids: Vec<String> = Vec::with_capacity(set.manifest.rows as usize);
    for i in 0..set.len() {
        ids.extend(set.read(i, true)?.ids);
    }
    write_assignments(
        &opts.out.join("assignments.parquet"),
        &ids,
        clustering,
        opts.kmeans.metric,
    )?;
    // The joint embedding adds a column: take the dimension from the centroids.
    let dim = clustering.centroids.len() / clustering.sizes.len().max(1);
    write_centroids(&opts.out.join("centroids.parquet"), clustering, dim)?;
    let (metrics, per_cluster, contingency) = match &opts.truth {
        Some(truth) => {
            let (scores, per_cluster, contingency) =
                score_against_truth(truth, &ids, &clustering.labels)?;
            let json = serde_json::to_vec_pretty(&scores).map_err(|e| ClusterError::Output {
                path: truth.clone(),
                reason: e.to_string(),
            })?;
            write_atomic(opts.out.join("metrics.json"), &json)?;
            (Some(scores), Some(per_cluster), Some(contingency))
        }
        None => (None, None, None),
    };
    write_atomic(
        opts.out.join("clusters.tsv"),
        clusters_tsv(&clustering.sizes, per_cluster.as_ref()).as_bytes(),
    )?;
    let input = opts
        .reads
        .clone()
        .unwrap_or_else(|| opts.input.display().to_string());
    let method = serde_json::to_value(opts.method)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let text = crate::plot::PlotText {
        title: format!(
            "{input} | method {method} | {} bins{} | {} reads",
            clustering.sizes.len(),
            if opts.k_auto { " (k auto)" } else { "" },
            ids.len()
        ),
        unbinned: clustering
            .abundance
            .as_ref()
            .and_then(|a| a.unbinned_cluster)
            .or_else(|| clustering.markov.as_ref().and_then(|m| m.unbinned_cluster)),
        contingency,
    };
    crate::plot::render(
        &opts.out.join("plot.png"),
        &clustering.plot_rows,
        dim,
        &clustering.plot_labels,
        &clustering.sizes,
        &text,
    )?;
    Ok(metrics)
}

fn arrow_error(path: &Path) -> impl Fn(arrow::error::ArrowError) -> ClusterError + '_ {
    move |e| ClusterError::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// `assignments.parquet`: read id, cluster and distance (euclidean, or `1 - cos`) per row.
fn write_assignments(
    path: &Path,
    ids: &[String],
    clustering: &Clustering,
    metric: Metric,
) -> Result<(), ClusterError> {
    let distance: Vec<f32> = clustering
        .dist2
        .iter()
        .map(|&v| match metric {
            Metric::Euclidean => v.sqrt(),
            Metric::Cosine => v / 2.0,
        })
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("read_id", DataType::Utf8, false),
        Field::new("cluster", DataType::UInt32, false),
        Field::new("distance", DataType::Float32, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(ids.to_vec())) as ArrayRef,
            Arc::new(UInt32Array::from(clustering.labels.clone())),
            Arc::new(Float32Array::from(distance)),
        ],
    )
    .map_err(arrow_error(path))?;
    write_parquet_atomic(path, &batch)?;
    Ok(())
}

/// `centroids.parquet`: cluster, size and centroid per cluster.
fn write_centroids(path: &Path, clustering: &Clustering, d: usize) -> Result<(), ClusterError> {
    let clusters = clustering.sizes.len();
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let centroids = FixedSizeListArray::try_new(
        item.clone(),
        d as i32,
        Arc::new(Float32Array::from(clustering.centroids.clone())),
        None,
    )
    .map_err(arrow_error(path))?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("cluster", DataType::UInt32, false),
        Field::new("size", DataType::UInt64, false),
        Field::new("centroid", DataType::FixedSizeList(item, d as i32), false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(UInt32Array::from((0..clusters as u32).collect::<Vec<_>>())) as ArrayRef,
            Arc::new(UInt64Array::from(clustering.sizes.clone())),
            Arc::new(centroids),
        ],
    )
    .map_err(arrow_error(path))?;
    write_parquet_atomic(path, &batch)?;
    Ok(())
}

/// Scores the labels against a truth table: the global scores, each cluster's, and the
/// bins x labels table of the plot.
fn score_against_truth(
    truth_path: &Path,
    ids: &[String],
    labels: &[u32],
) -> Result<(Scores, HashMap<u32, ClusterScore>, crate::plot::Contingency), ClusterError> {
    let truth = read_truth(truth_path)?;
    let truth_labels: Vec<Option<&str>> = ids
        .iter()
        .map(|i| truth.get(i).map(String::as_str))
        .collect();
    let (scores, per_cluster) = score(&truth_labels, labels);
    if scores.labelled == 0 {
        tracing::warn!("no read id of the shards is in {}; check that the truth table's first column holds the read ids", truth_path.display());
    }
    let per_cluster = per_cluster.into_iter().map(|c| (c.cluster, c)).collect();
    let contingency = crate::plot::Contingency::new(&truth_labels, labels);
    Ok((scores, per_cluster, contingency))
}

/// `clusters.tsv`: size per cluster, plus dominant label, purity and completeness when scored.
fn clusters_tsv(sizes: &[u64], per_cluster: Option<&HashMap<u32, ClusterScore>>) -> String {
    let mut tsv = String::from(if per_cluster.is_some() {
        "cluster\tsize\tdominant_label\tpurity\tcompleteness\n"
    } else {
        "cluster\tsize\n"
    });
    for (c, s) in sizes.iter().enumerate() {
        match per_cluster {
            Some(scores) => match scores.get(&(c as u32)) {
                Some(x) => tsv.push_str(&format!(
                    "{c}\t{s}\t{}\t{:.6}\t{:.6}\n",
                    x.dominant, x.purity, x.completeness
                )),
                None => tsv.push_str(&format!("{c}\t{s}\t\t\t\n")),
            },
            None => tsv.push_str(&format!("{c}\t{s}\n")),
        }
    }
    tsv
}
