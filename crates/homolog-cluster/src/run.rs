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
    let mut seconds = HashMap::new();
    let clustering = match opts.method {
        Method::Minibatch => cluster_streaming(&set, opts, comm, &mut seconds)?,
        Method::Kmeans | Method::Lsh => cluster_in_memory(&set, opts, comm, &mut seconds)?,
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
    };
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| ClusterError::Output {
        path: opts.out.clone(),
        reason: e.to_string(),
    })?;
    write_atomic(opts.out.join("summary.json"), &json)?;
    Ok(Some(summary))
}

/// The result of one method on all rows, in global row order, as every process holds it.
struct Clustering {
    labels: Vec<u32>,
    /// Squared distance of each row to its centroid (on normalised rows for cosine).
    dist2: Vec<f32>,
    /// `sizes.len() * dim` values.
    centroids: Vec<f32>,
    sizes: Vec<u64>,
    /// The plot sample's rows and labels, in global row order.
    plot_rows: Vec<f32>,
    plot_labels: Vec<u32>,
    /// Iterations (k-means) or epochs (mini-batch); 0 for LSH.
    iterations: usize,
    converged: bool,
    inertia: f64,
    history: Vec<IterStat>,
    /// LSH buckets (0 for the k-means methods).
    buckets: usize,
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

/// The rows drawn for the plot: the same for every method and process count.
fn plot_sample(opts: &ClusterOptions, n: u64) -> RowSample {
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
    if comm.size() > 1 {
        return Err(ClusterError::Params(
            "mini-batch k-means runs in one process; use --method kmeans with --mpi".into(),
        ));
    }
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
    if opts.kmeans.metric == Metric::Cosine {
        data.normalise();
    }
    seconds.insert("load".into(), loading_started.elapsed().as_secs_f64());
    let clustering_started = Instant::now();
    let local = match opts.method {
        Method::Kmeans => {
            let r = kmeans(&data, n, &opts.kmeans, comm)?;
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
        _ => lsh_in_memory(&data, n, opts, comm)?,
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
    })
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
fn cluster_means(
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
fn gather_assignments(
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
    write_centroids(&opts.out.join("centroids.parquet"), clustering, set.dim())?;
    let (metrics, per_cluster) = match &opts.truth {
        Some(truth) => {
            let (scores, per_cluster) = score_against_truth(truth, &ids, &clustering.labels)?;
            let json = serde_json::to_vec_pretty(&scores).map_err(|e| ClusterError::Output {
                path: truth.clone(),
                reason: e.to_string(),
            })?;
            write_atomic(opts.out.join("metrics.json"), &json)?;
            (Some(scores), Some(per_cluster))
        }
        None => (None, None),
    };
    write_atomic(
        opts.out.join("clusters.tsv"),
        clusters_tsv(&clustering.sizes, per_cluster.as_ref()).as_bytes(),
    )?;
    crate::plot::render(
        &opts.out.join("plot.png"),
        &clustering.plot_rows,
        set.dim(),
        &clustering.plot_labels,
        &clustering.sizes,
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

/// Scores the labels against a truth table: the global scores and each cluster's.
fn score_against_truth(
    truth_path: &Path,
    ids: &[String],
    labels: &[u32],
) -> Result<(Scores, HashMap<u32, ClusterScore>), ClusterError> {
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
    Ok((scores, per_cluster))
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
