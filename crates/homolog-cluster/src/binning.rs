//! The binning methods that read the reads behind the shards (issue 16): `--method markov` (the
//! Markov-chain mixture of [`crate::markov`], threads or MPI ranks); `--method ab` and
//! `--method abcb`: abundance classes from long k-mers counted over the reads, then (abcb)
//! composition k-means on the shards' embeddings within each class; and the abundance column
//! of the joint embedding for `kmeans`/`lsh`.
//!
//! `ab`/`abcb` run in one process: the k-mer counters are one dense array (see
//! [`crate::abundance`]). The counting itself runs over MPI ranks
//! ([`crate::abundance::KmerCounts::count_ranks`]: each rank counts its share of the reads, the
//! counters are all-reduced), but the steps after it (profiles, classes, per-class k-means) are
//! not distributed yet, so `--mpi` is refused for them.
//!
//! Every read of the shards gets a bin: mates share their pair's bin; a read without a complete
//! k-mer whose mate has none either (shorter than k, all N) goes to an explicit `unbinned`
//! cluster (the last id), counted in the summary.

use std::collections::HashMap;
use std::time::Instant;

use homolog_shards::ShardSet;

use crate::abundance::{
    choose_classes, kmeans_1d, mate_groups, profile, ClassChoice, KmerCounts, MateGroups, Profile,
};
use crate::comm::{Comm, Local};
use crate::kmeans::{gather_sample_rows, kmeans, KMeansParams, LocalData, Metric};
use crate::run::{
    cluster_means, load_local, plot_sample, AbundanceSummary, ClusterOptions, Clustering, Method,
};
use crate::ClusterError;

/// The abundance of every shard row: read ids, mate groups and one profile per group.
pub struct RowAbundance {
    /// Read id of each shard row, in global row order.
    pub ids: Vec<String>,
    /// Mate groups over the shard rows.
    pub groups: MateGroups,
    /// Profile of each group (pooled over its reads).
    pub profiles: Vec<Profile>,
    /// The counting, for the summary.
    pub summary: AbundanceSummary,
}

/// The reads behind the shard rows, and their mate groups.
pub struct RowReads {
    /// Read id of each shard row, in global row order.
    pub ids: Vec<String>,
    /// Mate groups over the shard rows.
    pub groups: MateGroups,
    /// Every read of `--reads` (the k-mer counting runs over all of them).
    reads: Vec<Vec<u8>>,
    /// Index into `reads` of each shard row.
    row_read: Vec<usize>,
}

impl RowReads {
    /// The sequences of group `g`'s reads.
    pub fn group_seqs(&self, g: usize) -> impl Iterator<Item = &[u8]> + '_ {
        self.groups.members[g]
            .iter()
            .map(|&r| self.reads[self.row_read[r as usize]].as_slice())
    }
}

/// Reads `opts.reads`, matches them to the shard rows by id, and groups mates.
pub fn row_reads(set: &ShardSet, opts: &ClusterOptions) -> Result<RowReads, ClusterError> {
    let spec = opts.reads.as_deref().ok_or_else(|| {
        ClusterError::Params(
            "this method needs the reads the shards were embedded from: give --reads FILE|DIR|s3://... (the same input as `homolog reads embed --input`)".into(),
        )
    })?;
    let mut ids = Vec::with_capacity(set.manifest.rows as usize);
    for i in 0..set.len() {
        ids.extend(set.read(i, true)?.ids);
    }
    let mut reads: Vec<Vec<u8>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let stream = homolog_reads::ReadStream::open(&[spec])
        .map_err(|e| ClusterError::Params(format!("--reads {spec}: {e}")))?;
    for r in stream {
        let r = r.map_err(|e| ClusterError::Params(format!("--reads {spec}: {e}")))?;
        index.entry(r.id).or_insert(reads.len());
        reads.push(r.seq);
    }
    let mut row_read = Vec::with_capacity(ids.len());
    for id in &ids {
        match index.get(id) {
            Some(&r) => row_read.push(r),
            None => {
                return Err(ClusterError::Params(format!(
                    "read {id:?} of the shards {} is not in --reads {spec}; give the reads the shards were embedded from",
                    opts.input.display()
                )))
            }
        }
    }
    let groups = mate_groups(&ids, opts.abundance.mates);
    if groups.unpaired > 0 {
        tracing::warn!(
            unpaired = groups.unpaired,
            examples = ?groups.unpaired_examples,
            "reads marked as mates (/1, /2, SRA .1/.2) without their mate in the shards are binned alone"
        );
    }
    Ok(RowReads {
        ids,
        groups,
        reads,
        row_read,
    })
}

/// Reads `opts.reads`, counts their k-mers, and scores every shard row's mate group.
pub fn row_abundance(set: &ShardSet, opts: &ClusterOptions) -> Result<RowAbundance, ClusterError> {
    let a = &opts.abundance;
    crate::abundance::validate_k(a.kmer)?;
    let rr = row_reads(set, opts)?;
    let counts = KmerCounts::count(&rr.reads, a.kmer)?;
    let threshold = counts.solid_threshold();
    let profiles: Vec<Profile> = {
        use rayon::prelude::*;
        (0..rr.groups.members.len())
            .into_par_iter()
            .map(|g| {
                let seqs: Vec<&[u8]> = rr.group_seqs(g).collect();
                profile(&seqs, &counts, threshold)
            })
            .collect()
    };
    let RowReads {
        ids, groups, reads, ..
    } = rr;
    let unbinned = groups
        .members
        .iter()
        .zip(&profiles)
        .filter(|(_, p)| p.kmers == 0)
        .map(|(m, _)| m.len() as u64)
        .sum();
    let summary = AbundanceSummary {
        kmer: a.kmer,
        counter_bytes: KmerCounts::memory_bytes(a.kmer),
        occurrences: counts.occurrences,
        distinct: counts.distinct,
        solid_threshold: threshold,
        reads_counted: reads.len() as u64,
        pairs: groups.pairs,
        unpaired: groups.unpaired,
        unbinned,
        unbinned_cluster: None,
        classes: ClassChoice {
            classes: 0,
            bic: Vec::new(),
            reason: String::new(),
        },
        class_sizes: Vec::new(),
        class_centres: Vec::new(),
        clusters_per_class: Vec::new(),
        bins_rule: String::new(),
    };
    Ok(RowAbundance {
        ids,
        groups,
        profiles,
        summary,
    })
}

/// `ab` / `abcb` on one process: see the module docs.
pub(crate) fn cluster_abundance(
    set: &ShardSet,
    opts: &ClusterOptions,
    comm: &dyn Comm,
    seconds: &mut HashMap<String, f64>,
) -> Result<Clustering, ClusterError> {
    crate::run::one_process(
        comm,
        "--method ab/abcb run in one process (the k-mer counters are not yet sharded over MPI ranks); drop --mpi",
    )?;
    let n = set.manifest.rows;
    let started = Instant::now();
    let mut ra = row_abundance(set, opts)?;
    seconds.insert("abundance".into(), started.elapsed().as_secs_f64());
    let clustering_started = Instant::now();
    let groups = &ra.groups;
    // Groups with a signal, and their solid fractions.
    let binned: Vec<u32> = (0..groups.members.len() as u32)
        .filter(|&g| ra.profiles[g as usize].kmers > 0)
        .collect();
    if binned.is_empty() {
        return Err(ClusterError::Params(format!(
            "no read of {} has a complete {}-mer (all shorter than k or all N); nothing to bin by abundance",
            opts.input.display(),
            opts.abundance.kmer
        )));
    }
    let x: Vec<f64> = binned
        .iter()
        .map(|&g| ra.profiles[g as usize].solid_fraction as f64)
        .collect();
    let choice = match opts.abundance.classes {
        Some(c) if c >= 1 => ClassChoice {
            classes: c.min(x.len()),
            bic: Vec::new(),
            reason: "given (--ab-classes)".into(),
        },
        Some(_) => {
            return Err(ClusterError::Params(
                "--ab-classes 0; give at least 1, or auto".into(),
            ))
        }
        None => choose_classes(&x, opts.abundance.max_classes),
    };
    let (class_of, centres) = kmeans_1d(&x, choice.classes);
    let classes = centres.len();
    let mut class_groups: Vec<Vec<u32>> = vec![Vec::new(); classes];
    for (&g, &c) in binned.iter().zip(&class_of) {
        class_groups[c as usize].push(g);
    }
    let class_sizes: Vec<u64> = class_groups
        .iter()
        .map(|gs| {
            gs.iter()
                .map(|&g| groups.members[g as usize].len() as u64)
                .sum()
        })
        .collect();

    // The composition rows (all on this process).
    let mut data = load_local(set, &Local)?;
    if opts.kmeans.metric == Metric::Cosine {
        data.normalise();
    }
    let d = data.dim;
    let mut group_label = vec![u32::MAX; groups.members.len()];
    let mut clusters_per_class = Vec::new();
    let bins_rule;
    match opts.method {
        Method::Ab => {
            for (c, gs) in class_groups.iter().enumerate() {
                gs.iter().for_each(|&g| group_label[g as usize] = c as u32);
            }
            clusters_per_class = vec![1; classes];
            bins_rule = "one bin per abundance class".into();
        }
        _ => {
            // Per class: how many composition clusters.
            let kmer = opts.abundance.kmer;
            let wanted: Vec<usize> = if opts.k_auto {
                bins_rule = format!(
                    "per abundance class max(1, floor(L / {:.0})) composition clusters, L = the class's reads' bases (metabinR's genome-size rule with the class's bases standing in for its estimated genome length)",
                    opts.abundance.genome_size
                );
                class_groups
                    .iter()
                    .map(|gs| {
                        let bases: u64 = gs
                            .iter()
                            .map(|&g| ra.profiles[g as usize].kmers as u64 + (kmer as u64 - 1))
                            .sum();
                        ((bases as f64 / opts.abundance.genome_size).floor() as usize).max(1)
                    })
                    .collect()
            } else {
                bins_rule = format!(
                    "--k {} bins split over the abundance classes in proportion to their reads (largest remainder, at least 1 each)",
                    opts.kmeans.k
                );
                split_bins(opts.kmeans.k.max(classes), &class_sizes)
            };
            let mut next = 0u32;
            for (c, gs) in class_groups.iter().enumerate() {
                let kc = wanted[c].min(gs.len()).max(1);
                clusters_per_class.push(kc);
                if kc == 1 {
                    gs.iter().for_each(|&g| group_label[g as usize] = next);
                    next += 1;
                    continue;
                }
                // One row per mate group: the mean of its reads' embeddings (pooled signal).
                let mut rows = LocalData {
                    dim: d,
                    data: Vec::with_capacity(gs.len() * d),
                    global_idx: (0..gs.len() as u64).collect(),
                };
                for &g in gs {
                    let m = &groups.members[g as usize];
                    let start = rows.data.len();
                    rows.data.resize(start + d, 0.0);
                    for &r in m {
                        for t in 0..d {
                            rows.data[start + t] += data.data[r as usize * d + t] / m.len() as f32;
                        }
                    }
                }
                if opts.kmeans.metric == Metric::Cosine {
                    // The mean of two unit rows is shorter than one: spherical k-means needs
                    // unit rows again.
                    rows.normalise();
                }
                let params = KMeansParams {
                    k: kc,
                    seed: opts.kmeans.seed.wrapping_add(c as u64),
                    ..opts.kmeans.clone()
                };
                let r = kmeans(&rows, gs.len() as u64, &params, &Local)?;
                for (&g, &l) in gs.iter().zip(&r.labels) {
                    group_label[g as usize] = next + l;
                }
                next += kc as u32;
            }
        }
    }
    let (mut clustering, unbinned_cluster) = bins_of_groups(&data, groups, &group_label, opts, n);
    seconds.insert("cluster".into(), clustering_started.elapsed().as_secs_f64());
    let bins = clustering.sizes.len() - unbinned_cluster.is_some() as usize;
    let k_choice = Some(format!(
        "{} abundance classes ({}); {} bins ({}){}",
        classes,
        choice.reason,
        bins,
        bins_rule,
        match unbinned_cluster {
            Some(u) => format!(
                "; {} reads without a complete {}-mer in cluster {u} (unbinned)",
                ra.summary.unbinned, opts.abundance.kmer
            ),
            None => String::new(),
        }
    ));
    ra.summary.unbinned_cluster = unbinned_cluster;
    ra.summary.classes = choice;
    ra.summary.class_sizes = class_sizes;
    ra.summary.class_centres = centres;
    ra.summary.clusters_per_class = clusters_per_class;
    ra.summary.bins_rule = bins_rule;
    clustering.abundance = Some(ra.summary);
    clustering.k_choice = k_choice;
    Ok(clustering)
}

/// `markov`: see [`crate::markov`]. Every mate group with at least one window of order + 1 bases
/// is binned; the others go to the unbinned cluster. Under MPI every rank reads all reads and
/// shards, the EM sums are split over the ranks and all-reduced, and every rank ends with the
/// same bins.
pub(crate) fn cluster_markov(
    set: &ShardSet,
    opts: &ClusterOptions,
    comm: &dyn Comm,
    seconds: &mut HashMap<String, f64>,
) -> Result<Clustering, ClusterError> {
    let params = &opts.markov;
    params.validate()?;
    let n = set.manifest.rows;
    let started = Instant::now();
    let rr = row_reads(set, opts)?;
    let groups = &rr.groups;
    let all = crate::markov::Transitions::new(
        (0..groups.members.len()).map(|g| rr.group_seqs(g)),
        params.order,
    );
    let binned: Vec<usize> = (0..all.len())
        .filter(|&g| !all.group(g).is_empty())
        .collect();
    if binned.is_empty() {
        return Err(ClusterError::Params(format!(
            "no read of {} has {} consecutive A/C/G/T bases (all shorter, or all N); nothing to bin",
            opts.input.display(),
            params.order + 1
        )));
    }
    // Usually every group has windows: keep the set as it is rather than copy it.
    let data_groups = if binned.len() == all.len() {
        all
    } else {
        all.subset(&binned)
    };
    seconds.insert("reads".into(), started.elapsed().as_secs_f64());
    let clustering_started = Instant::now();
    let k = (!opts.k_auto).then_some(opts.kmeans.k);
    let (fit, choice) = crate::markov::bin(&data_groups, k, opts.kmeans.seed, params, comm)?;
    let mut group_label = vec![u32::MAX; groups.members.len()];
    for (&g, &l) in binned.iter().zip(&fit.labels) {
        group_label[g] = l;
    }
    // Empty bins (a chain that lost every group) are dropped: ids stay dense.
    let mut used: Vec<u32> = fit.labels.clone();
    used.sort_unstable();
    used.dedup();
    for l in group_label.iter_mut().filter(|l| **l != u32::MAX) {
        *l = used.binary_search(l).expect("label of a fitted group") as u32;
    }
    let unbinned: u64 = group_label
        .iter()
        .zip(&groups.members)
        .filter(|(&l, _)| l == u32::MAX)
        .map(|(_, m)| m.len() as u64)
        .sum();
    let mut data = load_local(set, &Local)?;
    if opts.kmeans.metric == Metric::Cosine {
        data.normalise();
    }
    let (mut clustering, unbinned_cluster) = bins_of_groups(&data, groups, &group_label, opts, n);
    seconds.insert("cluster".into(), clustering_started.elapsed().as_secs_f64());
    clustering.iterations = fit.iterations;
    clustering.converged = fit.converged;
    clustering.k_choice = Some(format!(
        "{} bins ({}; stability per k: {}){}",
        used.len(),
        choice.reason,
        choice
            .stability
            .iter()
            .map(|(k, s)| format!("{k}: {s:.3}"))
            .collect::<Vec<_>>()
            .join(", "),
        match unbinned_cluster {
            Some(u) => format!(
                "; {unbinned} reads without {} consecutive A/C/G/T bases in cluster {u} (unbinned)",
                params.order + 1
            ),
            None => String::new(),
        }
    ));
    clustering.markov = Some(crate::run::MarkovSummary {
        choice,
        iterations: fit.iterations,
        converged: fit.converged,
        log_likelihood: fit.log_likelihood,
        pairs: groups.pairs,
        unpaired: groups.unpaired,
        unbinned,
        unbinned_cluster,
    });
    Ok(clustering)
}

/// The bins of the shard rows from their groups' labels (`u32::MAX`: no signal, the
/// `unbinned` cluster, given the last id), each bin's mean embedding, the rows' distances to
/// it and the plot sample; also the unbinned cluster's id when it has reads.
fn bins_of_groups(
    data: &LocalData,
    groups: &MateGroups,
    group_label: &[u32],
    opts: &ClusterOptions,
    n: u64,
) -> (Clustering, Option<u32>) {
    let d = data.dim;
    let bins = group_label
        .iter()
        .filter(|&&l| l != u32::MAX)
        .max()
        .map_or(0, |&m| m + 1);
    let unbinned_cluster = group_label.contains(&u32::MAX).then_some(bins);
    let labels: Vec<u32> = groups
        .group_of
        .iter()
        .map(|&g| match group_label[g as usize] {
            u32::MAX => bins,
            l => l,
        })
        .collect();
    let clusters = bins as usize + unbinned_cluster.is_some() as usize;
    let mut sizes = vec![0u64; clusters];
    labels.iter().for_each(|&l| sizes[l as usize] += 1);

    // Centroids: each bin's mean embedding; distances to it.
    let centroids = cluster_means(data, &labels, clusters, n, opts.kmeans.metric, &Local);
    let dist2: Vec<f32> = data
        .data
        .chunks(d)
        .zip(&labels)
        .map(|(x, &l)| {
            x.iter()
                .zip(&centroids[l as usize * d..(l as usize + 1) * d])
                .map(|(a, b)| (a - b) * (a - b))
                .sum()
        })
        .collect();
    let inertia = dist2.iter().map(|&v| v as f64).sum();
    let (plot_idx, plot_rows) = gather_sample_rows(data, &mut plot_sample(opts, n), &Local);
    let plot_labels = plot_idx.iter().map(|&g| labels[g as usize]).collect();
    (
        Clustering {
            labels,
            dist2,
            centroids,
            sizes,
            plot_rows,
            plot_labels,
            iterations: 0,
            converged: true,
            inertia,
            history: Vec::new(),
            buckets: 0,
            abundance: None,
            markov: None,
            k_choice: None,
        },
        unbinned_cluster,
    )
}

/// Splits `total` bins over classes in proportion to their sizes: at least 1 each, largest
/// remainders first.
fn split_bins(total: usize, sizes: &[u64]) -> Vec<usize> {
    let all: u64 = sizes.iter().sum::<u64>().max(1);
    let spare = total.saturating_sub(sizes.len());
    let exact: Vec<f64> = sizes
        .iter()
        .map(|&s| s as f64 / all as f64 * spare as f64)
        .collect();
    let mut out: Vec<usize> = exact.iter().map(|e| 1 + e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let mut left = total.saturating_sub(out.iter().sum());
    for i in order {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::split_bins;

    #[test]
    fn bins_split_in_proportion() {
        assert_eq!(split_bins(10, &[700, 200, 100]), vec![6, 2, 2]);
        assert_eq!(split_bins(3, &[5, 5, 5]), vec![1, 1, 1]);
        assert_eq!(split_bins(4, &[1, 0]).iter().sum::<usize>(), 4);
    }
}
