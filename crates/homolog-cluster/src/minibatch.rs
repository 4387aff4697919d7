//! Mini-batch k-means (Sculley 2010) that streams the shards, for embeddings larger than memory.
//!
//! One pass gathers the seeded initialisation sample (the same rows [`crate::kmeans`] would
//! choose), k-means++ seeds the centroids, then `epochs` passes visit the shards in order in
//! batches of `batch_size` rows: each batch is assigned to the nearest centroids and every
//! centroid moves towards its rows with a per-centroid learning rate 1/count. Only one shard is
//! in memory at a time. Deterministic for a seed; single process.

use serde::{Deserialize, Serialize};

use homolog_shards::ShardSet;

use crate::kmeans::{assign, kmeans_pp, normalise_row, Metric};
use crate::random::RowSample;
use crate::ClusterError;

/// Parameters of [`minibatch_kmeans`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MiniBatchParams {
    /// Number of clusters.
    pub k: usize,
    /// Rows per batch.
    pub batch_size: usize,
    /// Passes over the shards.
    pub epochs: usize,
    /// Distance.
    pub metric: Metric,
    /// Seed.
    pub seed: u64,
    /// Rows for k-means++ (0 = max(256 k, 10000)).
    pub init_sample: usize,
}

impl Default for MiniBatchParams {
    fn default() -> Self {
        Self {
            k: 10,
            batch_size: 4096,
            epochs: 3,
            metric: Metric::Euclidean,
            seed: 42,
            init_sample: 0,
        }
    }
}

/// Streams `set` and returns the `k * dim` centroids.
pub fn minibatch_kmeans(set: &ShardSet, p: &MiniBatchParams) -> Result<Vec<f32>, ClusterError> {
    let n = set.manifest.rows;
    let d = set.dim();
    if p.k == 0 || p.k as u64 > n {
        return Err(ClusterError::Params(format!(
            "k = {} must be in 1..={n} (the number of reads)",
            p.k
        )));
    }
    if p.batch_size == 0 || p.epochs == 0 {
        return Err(ClusterError::Params(
            "batch size and epochs must be >= 1".into(),
        ));
    }
    let m = if p.init_sample == 0 {
        (256 * p.k).max(10_000) as u64
    } else {
        p.init_sample as u64
    }
    .clamp(p.k as u64, n);
    let offsets = set.offsets();
    let load = |i: usize| -> Result<Vec<f32>, ClusterError> {
        let mut s = set.read(i, false)?.data;
        if p.metric == Metric::Cosine {
            s.chunks_mut(d).for_each(normalise_row);
        }
        Ok(s)
    };
    let mut sample = Vec::new();
    let mut in_sample = RowSample::new(p.seed, m, n);
    for (i, &off) in offsets[..set.len()].iter().enumerate() {
        let s = load(i)?;
        for (r, row) in s.chunks(d).enumerate() {
            if in_sample.contains(off + r as u64) {
                sample.extend_from_slice(row);
            }
        }
    }
    let mut c = kmeans_pp(&sample, d, p.k, p.seed);
    let mut counts = vec![0u64; p.k];
    for epoch in 0..p.epochs {
        for i in 0..set.len() {
            let s = load(i)?;
            for batch in s.chunks(p.batch_size * d) {
                let (lab, _) = assign(batch, d, &c, p.k);
                for (row, &l) in batch.chunks(d).zip(&lab) {
                    let l = l as usize;
                    counts[l] += 1;
                    let eta = 1.0 / counts[l] as f32;
                    for (cv, &xv) in c[l * d..(l + 1) * d].iter_mut().zip(row) {
                        *cv += eta * (xv - *cv);
                    }
                }
                if p.metric == Metric::Cosine {
                    c.chunks_mut(d).for_each(normalise_row);
                }
            }
        }
        tracing::debug!(epoch, "mini-batch epoch done");
    }
    Ok(c)
}
