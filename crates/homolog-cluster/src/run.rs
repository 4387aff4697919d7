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
    assign, fixed_scale, in_sample, kmeans, local_sums, normalise_row, IterStat, KMeansParams,
    LocalData, Metric,
};
use crate::lsh::{lsh_cluster, LshParams};
use crate::metrics::{score, ClusterScore, Scores};
use crate::minibatch::{minibatch_kmeans, MiniBatchParams};
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
    let t0 = std::time::Instant::now();
    let set = ShardSet::open(&opts.input)?;
    let (n, d) = (set.manifest.rows, set.dim());
    if n == 0 {
        return Err(ClusterError::Params(format!(
            "{} holds no reads; nothing to cluster",
            opts.input.display()
        )));
    }
    let k = opts.kmeans.k;
    let metric = opts.kmeans.metric;
    let mut seconds = HashMap::new();
    let (
        labels,
        dist2,
        centroids,
        sizes,
        plot_rows,
        plot_labels,
        iterations,
        converged,
        inertia,
        history,
        buckets,
    );
    let plot_m = opts.plot_sample as u64;
    let plot_seed = opts.kmeans.seed ^ 0x706c_6f74;
    if opts.method == Method::Minibatch {
        if comm.size() > 1 {
            return Err(ClusterError::Params(
                "mini-batch k-means runs in one process; use --method kmeans with --mpi".into(),
            ));
        }
        let p = MiniBatchParams {
            k,
            batch_size: opts.batch_size,
            epochs: opts.epochs,
            metric,
            seed: opts.kmeans.seed,
            init_sample: opts.kmeans.init_sample,
        };
        let tc = std::time::Instant::now();
        let c = minibatch_kmeans(&set, &p)?;
        // Final streaming pass: assignments, exact sizes, inertia, plot sample.
        let offsets = set.offsets();
        let (mut lab, mut dst, mut pr, mut pl) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, &off) in offsets[..set.len()].iter().enumerate() {
            let mut s = set.read(i, false)?.data;
            if metric == Metric::Cosine {
                s.chunks_mut(d).for_each(normalise_row);
            }
            let (l, dd) = assign(&s, d, &c, k);
            for (r, row) in s.chunks(d).enumerate() {
                if in_sample(plot_seed, off + r as u64, plot_m, n) {
                    pr.extend_from_slice(row);
                    pl.push(l[r]);
                }
            }
            lab.extend(l);
            dst.extend(dd);
        }
        seconds.insert("cluster".into(), tc.elapsed().as_secs_f64());
        let mut sz = vec![0u64; k];
        lab.iter().for_each(|&l| sz[l as usize] += 1);
        inertia = dst.iter().map(|&v| v as f64).sum::<f64>();
        (labels, dist2, centroids, sizes, plot_rows, plot_labels) = (lab, dst, c, sz, pr, pl);
        (iterations, converged, history, buckets) = (opts.epochs, false, Vec::new(), 0);
    } else {
        let tl = std::time::Instant::now();
        let mut data = load_local(&set, comm)?;
        if metric == Metric::Cosine {
            data.normalise();
        }
        seconds.insert("load".into(), tl.elapsed().as_secs_f64());
        let tc = std::time::Instant::now();
        let (local_labels, local_dist, c, sz, it, conv, hist, nb) = match opts.method {
            Method::Kmeans => {
                let r = kmeans(&data, n, &opts.kmeans, comm)?;
                seconds.insert("init".into(), r.init_seconds);
                (
                    r.labels,
                    r.dist2,
                    r.centroids,
                    r.sizes,
                    r.iterations,
                    r.converged,
                    r.history,
                    0,
                )
            }
            _ => {
                let r = lsh_cluster(&data, n, &opts.lsh, comm)?;
                let kk = r.sizes.len();
                // Centroids = exact means of the clusters.
                let local_max = data.data.iter().fold(0f32, |a, &v| a.max(v.abs())) as f64;
                let scale = fixed_scale(comm.max_f64(local_max), n);
                let mut sums = local_sums(&data.data, d, &r.labels, kk, scale);
                comm.sum_i64(&mut sums);
                let mut c = vec![0f32; kk * d];
                for j in 0..kk {
                    let cnt = sums[kk * d + j].max(1) as f64;
                    for t in 0..d {
                        c[j * d + t] = (sums[j * d + t] as f64 / scale / cnt) as f32;
                    }
                    if metric == Metric::Cosine {
                        normalise_row(&mut c[j * d..(j + 1) * d]);
                    }
                }
                let dist: Vec<f32> = data
                    .data
                    .chunks(d)
                    .zip(&r.labels)
                    .map(|(x, &l)| {
                        x.iter()
                            .zip(&c[l as usize * d..(l as usize + 1) * d])
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum()
                    })
                    .collect();
                (r.labels, dist, c, r.sizes, 0, true, Vec::new(), r.buckets)
            }
        };
        seconds.insert("cluster".into(), tc.elapsed().as_secs_f64());
        // Gather (global index, label, distance) to every process, put in global order.
        let mut packed: Vec<u64> = Vec::with_capacity(data.rows() * 2);
        for ((&g, &l), &dd) in data.global_idx.iter().zip(&local_labels).zip(&local_dist) {
            packed.push(g);
            packed.push(((l as u64) << 32) | dd.to_bits() as u64);
        }
        let all = comm.gather_u64(&packed);
        let mut lab = vec![0u32; n as usize];
        let mut dst = vec![0f32; n as usize];
        for p in all.chunks(2) {
            lab[p[0] as usize] = (p[1] >> 32) as u32;
            dst[p[0] as usize] = f32::from_bits(p[1] as u32);
        }
        // Plot sample.
        let mut pidx = Vec::new();
        let mut prow = Vec::new();
        for (i, &g) in data.global_idx.iter().enumerate() {
            if in_sample(plot_seed, g, plot_m, n) {
                pidx.push(g);
                prow.extend_from_slice(&data.data[i * d..(i + 1) * d]);
            }
        }
        let gi = comm.gather_u64(&pidx);
        let gr = comm.gather_f32(&prow);
        let mut order: Vec<usize> = (0..gi.len()).collect();
        order.sort_by_key(|&i| gi[i]);
        let mut pr = Vec::with_capacity(gr.len());
        let mut pl = Vec::with_capacity(gi.len());
        for i in order {
            pr.extend_from_slice(&gr[i * d..(i + 1) * d]);
            pl.push(lab[gi[i] as usize]);
        }
        let mut inr = [local_dist.iter().map(|&v| v as f64).sum::<f64>()];
        comm.sum_f64(&mut inr);
        (labels, dist2, centroids, sizes, plot_rows, plot_labels) = (lab, dst, c, sz, pr, pl);
        (iterations, converged, history, buckets, inertia) = (it, conv, hist, nb, inr[0]);
    }
    if comm.rank() != 0 {
        return Ok(None);
    }
    // Rank 0 writes everything.
    let tw = std::time::Instant::now();
    std::fs::create_dir_all(&opts.out).map_err(io(&opts.out))?;
    let mut ids: Vec<String> = Vec::with_capacity(n as usize);
    for i in 0..set.len() {
        ids.extend(set.read(i, true)?.ids);
    }
    let distance: Vec<f32> = dist2
        .iter()
        .map(|&v| match metric {
            Metric::Euclidean => v.sqrt(),
            Metric::Cosine => v / 2.0,
        })
        .collect();
    let out_err = |p: &Path, e: arrow::error::ArrowError| ClusterError::Output {
        path: p.to_path_buf(),
        reason: e.to_string(),
    };
    let p = opts.out.join("assignments.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("read_id", DataType::Utf8, false),
        Field::new("cluster", DataType::UInt32, false),
        Field::new("distance", DataType::Float32, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(ids.clone())) as ArrayRef,
            Arc::new(UInt32Array::from(labels.clone())),
            Arc::new(Float32Array::from(distance)),
        ],
    )
    .map_err(|e| out_err(&p, e))?;
    write_parquet_atomic(&p, &batch)?;
    let p = opts.out.join("centroids.parquet");
    let kk = sizes.len();
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let cent = FixedSizeListArray::try_new(
        item.clone(),
        d as i32,
        Arc::new(Float32Array::from(centroids.clone())),
        None,
    )
    .map_err(|e| out_err(&p, e))?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("cluster", DataType::UInt32, false),
        Field::new("size", DataType::UInt64, false),
        Field::new("centroid", DataType::FixedSizeList(item, d as i32), false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(UInt32Array::from((0..kk as u32).collect::<Vec<_>>())) as ArrayRef,
            Arc::new(UInt64Array::from(sizes.clone())),
            Arc::new(cent),
        ],
    )
    .map_err(|e| out_err(&p, e))?;
    write_parquet_atomic(&p, &batch)?;
    // Metrics.
    let mut metrics = None;
    let mut per: HashMap<u32, ClusterScore> = HashMap::new();
    if let Some(tp) = &opts.truth {
        let truth = read_truth(tp)?;
        let t: Vec<Option<&str>> = ids
            .iter()
            .map(|i| truth.get(i).map(String::as_str))
            .collect();
        let (g, pc) = score(&t, &labels);
        if g.labelled == 0 {
            tracing::warn!("no read id of the shards is in {}; check that the truth table's first column holds the read ids", tp.display());
        }
        per = pc.into_iter().map(|c| (c.cluster, c)).collect();
        let j = serde_json::to_vec_pretty(&g).map_err(|e| ClusterError::Output {
            path: tp.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(opts.out.join("metrics.json"), &j)?;
        metrics = Some(g);
    }
    let mut tsv = String::from(if opts.truth.is_some() {
        "cluster\tsize\tdominant_label\tpurity\tcompleteness\n"
    } else {
        "cluster\tsize\n"
    });
    for (c, s) in sizes.iter().enumerate() {
        if opts.truth.is_some() {
            match per.get(&(c as u32)) {
                Some(x) => tsv.push_str(&format!(
                    "{c}\t{s}\t{}\t{:.6}\t{:.6}\n",
                    x.dominant, x.purity, x.completeness
                )),
                None => tsv.push_str(&format!("{c}\t{s}\t\t\t\n")),
            }
        } else {
            tsv.push_str(&format!("{c}\t{s}\n"));
        }
    }
    write_atomic(opts.out.join("clusters.tsv"), tsv.as_bytes())?;
    crate::plot::render(
        &opts.out.join("plot.png"),
        &plot_rows,
        d,
        &plot_labels,
        &sizes,
    )?;
    seconds.insert("write".into(), tw.elapsed().as_secs_f64());
    seconds.insert("total".into(), t0.elapsed().as_secs_f64());
    let summary = ClusterSummary {
        options: opts.clone(),
        model: set.manifest.model.clone(),
        rows: n,
        dim: d,
        processes: comm.size(),
        clusters: sizes.iter().filter(|&&s| s > 0).count(),
        iterations,
        converged,
        inertia,
        history,
        buckets,
        seconds,
        metrics,
    };
    let j = serde_json::to_vec_pretty(&summary).map_err(|e| ClusterError::Output {
        path: opts.out.clone(),
        reason: e.to_string(),
    })?;
    write_atomic(opts.out.join("summary.json"), &j)?;
    Ok(Some(summary))
}
