//! LSH clustering: SimHash codes (signs of projections on seeded random hyperplanes through the
//! sample mean), buckets of equal codes, and buckets merged by Hamming proximity.
//!
//! Merging is leader clustering, not single linkage (which chains everything into one cluster
//! once buckets are dense): buckets are visited by size (largest first, then code), and each
//! joins the largest existing leader within `radius` bits, or becomes a leader. With `max_clusters`
//! set, only that many largest clusters are kept and every other bucket joins its nearest kept
//! leader in Hamming distance (ties: the larger cluster). Cluster ids are renumbered by size.
//! Bucket counts are gathered to every process, so ranks agree without moving rows.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::comm::Comm;
use crate::kmeans::{gather_sample, LocalData};
use crate::random::{gaussian, seeded};
use crate::ClusterError;

/// Parameters of [`lsh_cluster`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LshParams {
    /// Code length in bits (1..=64).
    pub bits: usize,
    /// Buckets within this Hamming distance of a leader join it (0..=3).
    pub radius: usize,
    /// Keep at most this many clusters (0 = no limit).
    pub max_clusters: usize,
    /// Seed of the hyperplanes and of the centring sample.
    pub seed: u64,
}

impl Default for LshParams {
    fn default() -> Self {
        Self {
            bits: 16,
            radius: 1,
            max_clusters: 0,
            seed: 42,
        }
    }
}

/// Result: local labels and global sizes.
#[derive(Debug, Clone)]
pub struct LshResult {
    /// Cluster of each local row.
    pub labels: Vec<u32>,
    /// Global cluster sizes (index = cluster id, largest first).
    pub sizes: Vec<u64>,
    /// Number of distinct codes (buckets).
    pub buckets: usize,
}

fn neighbours(code: u64, bits: usize, radius: usize, out: &mut Vec<u64>) {
    out.clear();
    out.push(code);
    if radius >= 1 {
        for i in 0..bits {
            out.push(code ^ (1 << i));
        }
    }
    if radius >= 2 {
        for i in 0..bits {
            for j in i + 1..bits {
                out.push(code ^ (1 << i) ^ (1 << j));
            }
        }
    }
    if radius >= 3 {
        for i in 0..bits {
            for j in i + 1..bits {
                for l in j + 1..bits {
                    out.push(code ^ (1 << i) ^ (1 << j) ^ (1 << l));
                }
            }
        }
    }
}

/// SimHash codes of the local rows.
pub fn codes(data: &LocalData, planes: &[f32], center: &[f32], bits: usize) -> Vec<u64> {
    use rayon::prelude::*;
    let d = data.dim;
    data.data
        .par_chunks(d.max(1))
        .map(|r| {
            let mut c = 0u64;
            for b in 0..bits {
                let h = &planes[b * d..(b + 1) * d];
                let s: f32 = r
                    .iter()
                    .zip(h)
                    .zip(center)
                    .map(|((x, w), m)| (x - m) * w)
                    .sum();
                if s >= 0.0 {
                    c |= 1 << b;
                }
            }
            c
        })
        .collect()
}

/// Clusters the rows of every process by SimHash buckets.
pub fn lsh_cluster(
    data: &LocalData,
    n_total: u64,
    params: &LshParams,
    comm: &dyn Comm,
) -> Result<LshResult, ClusterError> {
    if !(1..=64).contains(&params.bits) {
        return Err(ClusterError::Params(format!(
            "bits = {} must be in 1..=64",
            params.bits
        )));
    }
    if params.radius > 3 {
        return Err(ClusterError::Params(format!(
            "radius = {} must be in 0..=3",
            params.radius
        )));
    }
    let d = data.dim;
    // Centre on the mean of a seeded sample: hyperplanes through the origin would put all
    // non-negative profiles (k-mer frequencies) on the same side of most planes.
    let sample = gather_sample(data, params.seed, 20_000, n_total, comm);
    let m = (sample.len() / d.max(1)).max(1);
    let mut center = vec![0f32; d];
    for r in sample.chunks(d.max(1)) {
        for (c, v) in center.iter_mut().zip(r) {
            *c += v / m as f32;
        }
    }
    let mut rng = seeded(params.seed ^ 0x004C_5348);
    let planes: Vec<f32> = (0..params.bits * d)
        .map(|_| gaussian(&mut rng) as f32)
        .collect();
    let local_codes = codes(data, &planes, &center, params.bits);

    // Global bucket counts.
    let mut counts: HashMap<u64, u64> = HashMap::new();
    for &c in &local_codes {
        *counts.entry(c).or_default() += 1;
    }
    let mut flat: Vec<u64> = Vec::with_capacity(counts.len() * 2);
    for (&c, &n) in &counts {
        flat.push(c);
        flat.push(n);
    }
    let all = comm.gather_u64(&flat);
    let mut global: HashMap<u64, u64> = HashMap::new();
    for p in all.chunks(2) {
        *global.entry(p[0]).or_default() += p[1];
    }
    let mut buckets: Vec<(u64, u64)> = global.into_iter().collect();
    buckets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    // Leader clustering.
    let mut leader_of: HashMap<u64, usize> = HashMap::new(); // leader code -> cluster
    let mut leaders: Vec<u64> = Vec::new();
    let mut size: Vec<u64> = Vec::new();
    let mut cluster_of: HashMap<u64, usize> = HashMap::new();
    let mut nb = Vec::new();
    for &(code, n) in &buckets {
        neighbours(code, params.bits, params.radius, &mut nb);
        // Leaders are created largest first, so the smallest cluster index is the largest.
        let best = nb.iter().filter_map(|c| leader_of.get(c).copied()).min();
        let c = match best {
            Some(c) => c,
            None => {
                leaders.push(code);
                size.push(0);
                leader_of.insert(code, leaders.len() - 1);
                leaders.len() - 1
            }
        };
        size[c] += n;
        cluster_of.insert(code, c);
    }
    // Optional cap on the number of clusters.
    if params.max_clusters > 0 && leaders.len() > params.max_clusters {
        let mut order: Vec<usize> = (0..leaders.len()).collect();
        order.sort_by(|&a, &b| size[b].cmp(&size[a]).then(a.cmp(&b)));
        let kept: Vec<usize> = order[..params.max_clusters].to_vec();
        let mut new_size = vec![0u64; leaders.len()];
        for &(code, n) in &buckets {
            let c = cluster_of[&code];
            let target = if kept.contains(&c) {
                c
            } else {
                *kept
                    .iter()
                    .min_by_key(|&&l| {
                        (
                            (leaders[l] ^ code).count_ones(),
                            std::cmp::Reverse(size[l]),
                            l,
                        )
                    })
                    .expect("max_clusters >= 1")
            };
            cluster_of.insert(code, target);
            new_size[target] += n;
        }
        size = new_size;
    }
    // Renumber by size (desc), then by old id.
    let mut order: Vec<usize> = (0..leaders.len()).filter(|&c| size[c] > 0).collect();
    order.sort_by(|&a, &b| size[b].cmp(&size[a]).then(a.cmp(&b)));
    let mut renum = vec![u32::MAX; leaders.len()];
    for (new, &old) in order.iter().enumerate() {
        renum[old] = new as u32;
    }
    let labels = local_codes.iter().map(|c| renum[cluster_of[c]]).collect();
    let sizes = order.iter().map(|&c| size[c]).collect();
    Ok(LshResult {
        labels,
        sizes,
        buckets: buckets.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comm::Local;

    #[test]
    fn separates_two_groups_and_caps_clusters() {
        let mut rng = seeded(9);
        let mut data = Vec::new();
        for g in 0..2 {
            for _ in 0..300 {
                for j in 0..8 {
                    let base = if (j % 2 == 0) == (g == 0) { 4.0 } else { -4.0 };
                    data.push(base + 0.2 * gaussian(&mut rng) as f32);
                }
            }
        }
        let x = LocalData {
            data,
            dim: 8,
            global_idx: (0..600).collect(),
        };
        let p = LshParams {
            bits: 12,
            radius: 1,
            max_clusters: 2,
            seed: 1,
        };
        let r = lsh_cluster(&x, 600, &p, &Local).unwrap();
        assert_eq!(r.sizes.iter().sum::<u64>(), 600);
        assert!(r.sizes.len() <= 2);
        let a = r.labels[0];
        assert!(r.labels[..300].iter().all(|&l| l == a));
        assert!(r.labels[300..].iter().all(|&l| l != a));
        assert!(lsh_cluster(&x, 600, &LshParams { bits: 65, ..p }, &Local).is_err());
    }
}
