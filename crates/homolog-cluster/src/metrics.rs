//! External clustering quality against true labels: ARI, NMI, homogeneity, completeness,
//! V-measure, purity, and per-cluster purity/completeness.
//!
//! Definitions follow scikit-learn (`adjusted_rand_score`, `normalized_mutual_info_score` with
//! the arithmetic mean, `homogeneity_completeness_v_measure`); natural logarithms; a test
//! compares with scikit-learn on fixtures (tolerance 1e-9). Purity = sum over clusters of the
//! size of the cluster's most common label, divided by the number of labelled reads.
//! Per cluster: purity = dominant label count / cluster size; completeness = dominant label
//! count / number of reads with that label.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Global scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Reads with a true label that were scored.
    pub labelled: u64,
    /// Adjusted Rand index.
    pub ari: f64,
    /// Normalised mutual information (arithmetic mean of the entropies).
    pub nmi: f64,
    /// Homogeneity.
    pub homogeneity: f64,
    /// Completeness.
    pub completeness: f64,
    /// V-measure (harmonic mean of homogeneity and completeness).
    pub v_measure: f64,
    /// Purity.
    pub purity: f64,
    /// Number of distinct true labels.
    pub true_classes: usize,
    /// Number of predicted clusters that received a labelled read.
    pub clusters: usize,
}

/// One cluster's quality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterScore {
    /// Cluster id.
    pub cluster: u32,
    /// Labelled reads in the cluster.
    pub size: u64,
    /// Most common true label (ties: the smaller label).
    pub dominant: String,
    /// Dominant count / size.
    pub purity: f64,
    /// Dominant count / reads with the dominant label.
    pub completeness: f64,
}

fn comb2(n: u64) -> f64 {
    let n = n as f64;
    n * (n - 1.0) / 2.0
}

fn entropy(counts: impl Iterator<Item = u64>, n: f64) -> f64 {
    counts
        .filter(|&c| c > 0)
        .map(|c| {
            let p = c as f64 / n;
            -p * p.ln()
        })
        .sum()
}

/// Adjusted Rand index from the summed pair counts of the contingency cells, of the first
/// labelling's classes and of the second's, over `n` items.
fn ari_of(sum_comb: f64, sum_a: f64, sum_b: f64, n: u64) -> f64 {
    let expected = if n > 1 { sum_a * sum_b / comb2(n) } else { 0.0 };
    let max_index = 0.5 * (sum_a + sum_b);
    if (max_index - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (sum_comb - expected) / (max_index - expected)
    }
}

/// Adjusted Rand index between two labellings of the same items (1 = the same partition).
pub fn adjusted_rand_index(a: &[u32], b: &[u32]) -> f64 {
    let mut ca: HashMap<u32, u64> = HashMap::new();
    let mut cb: HashMap<u32, u64> = HashMap::new();
    let mut cont: HashMap<(u32, u32), u64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *ca.entry(x).or_default() += 1;
        *cb.entry(y).or_default() += 1;
        *cont.entry((x, y)).or_default() += 1;
    }
    let sum = |m: &mut dyn Iterator<Item = u64>| m.map(comb2).sum::<f64>();
    ari_of(
        sum(&mut cont.values().copied()),
        sum(&mut ca.values().copied()),
        sum(&mut cb.values().copied()),
        a.len().min(b.len()) as u64,
    )
}

/// Scores `pred` against `truth` (same length; `truth[i] = None` = unlabelled, skipped).
pub fn score(truth: &[Option<&str>], pred: &[u32]) -> (Scores, Vec<ClusterScore>) {
    let mut classes: HashMap<&str, u64> = HashMap::new();
    let mut clusters: HashMap<u32, u64> = HashMap::new();
    let mut cont: HashMap<(&str, u32), u64> = HashMap::new();
    let mut n = 0u64;
    for (t, &p) in truth.iter().zip(pred) {
        if let Some(t) = t {
            *classes.entry(t).or_default() += 1;
            *clusters.entry(p).or_default() += 1;
            *cont.entry((t, p)).or_default() += 1;
            n += 1;
        }
    }
    let nf = n as f64;
    let sum_comb: f64 = cont.values().map(|&c| comb2(c)).sum();
    let sum_a: f64 = classes.values().map(|&c| comb2(c)).sum();
    let sum_b: f64 = clusters.values().map(|&c| comb2(c)).sum();
    let ari = ari_of(sum_comb, sum_a, sum_b, n);
    let h_true = entropy(classes.values().copied(), nf);
    let h_pred = entropy(clusters.values().copied(), nf);
    let mut mi = 0.0;
    for (&(t, p), &c) in &cont {
        let c = c as f64;
        mi += c / nf * ((c * nf) / (classes[t] as f64 * clusters[&p] as f64)).ln();
    }
    let mi = mi.max(0.0);
    let nmi = if h_true == 0.0 && h_pred == 0.0 {
        1.0
    } else {
        let denom = 0.5 * (h_true + h_pred);
        if denom == 0.0 {
            0.0
        } else {
            mi / denom
        }
    };
    let homogeneity = if h_true == 0.0 { 1.0 } else { mi / h_true };
    let completeness = if h_pred == 0.0 { 1.0 } else { mi / h_pred };
    let v_measure = if homogeneity + completeness == 0.0 {
        0.0
    } else {
        2.0 * homogeneity * completeness / (homogeneity + completeness)
    };
    // Per cluster: dominant label (ties -> smaller label).
    let mut per: Vec<ClusterScore> = Vec::new();
    let mut ids: Vec<u32> = clusters.keys().copied().collect();
    ids.sort_unstable();
    let mut by_cluster: HashMap<u32, Vec<(&str, u64)>> = HashMap::new();
    for (&(t, p), &c) in &cont {
        by_cluster.entry(p).or_default().push((t, c));
    }
    let mut pure_sum = 0u64;
    for id in ids {
        let v = by_cluster.get(&id).cloned().unwrap_or_default();
        let (dom, cnt) = v
            .iter()
            .copied()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
            .unwrap_or(("", 0));
        pure_sum += cnt;
        let size = clusters[&id];
        per.push(ClusterScore {
            cluster: id,
            size,
            dominant: dom.to_string(),
            purity: cnt as f64 / size as f64,
            completeness: cnt as f64 / classes.get(dom).copied().unwrap_or(1) as f64,
        });
    }
    let purity = if n == 0 { 0.0 } else { pure_sum as f64 / nf };
    (
        Scores {
            labelled: n,
            ari,
            nmi,
            homogeneity,
            completeness,
            v_measure,
            purity,
            true_classes: classes.len(),
            clusters: clusters.len(),
        },
        per,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &[&str], p: &[u32]) -> Scores {
        let t: Vec<Option<&str>> = t.iter().map(|x| Some(*x)).collect();
        score(&t, p).0
    }

    #[test]
    fn perfect_and_permuted() {
        let r = s(&["a", "a", "b", "b", "c"], &[2, 2, 0, 0, 1]);
        assert!((r.ari - 1.0).abs() < 1e-12 && (r.nmi - 1.0).abs() < 1e-12);
        assert_eq!(r.purity, 1.0);
    }

    #[test]
    fn matches_scikit_learn_values() {
        // sklearn 1.x: adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.24242424242424243,
        // normalized_mutual_info_score(...) = 0.5158037429793889,
        // homogeneity_completeness_v_measure(...) = (0.6666666666666669, 0.420619835714305,
        // 0.5158037429793889).
        let r = s(&["0", "0", "0", "1", "1", "1"], &[0, 0, 1, 1, 2, 2]);
        assert!((r.ari - 0.24242424242424243).abs() < 1e-12, "{}", r.ari);
        assert!((r.nmi - 0.5158037429793889).abs() < 1e-12, "{}", r.nmi);
        assert!((r.homogeneity - 0.6666666666666669).abs() < 1e-12);
        assert!((r.completeness - 0.420619835714305).abs() < 1e-12);
        assert!((r.purity - 5.0 / 6.0).abs() < 1e-12);
        let ari = super::adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
        assert!((ari - 0.24242424242424243).abs() < 1e-12, "{ari}");
        assert_eq!(super::adjusted_rand_index(&[0, 0, 1], &[5, 5, 2]), 1.0);
    }

    #[test]
    fn unlabelled_reads_are_skipped_and_per_cluster() {
        let t = [Some("a"), None, Some("a"), Some("b")];
        let (g, per) = score(&t, &[0, 5, 0, 0]);
        assert_eq!(g.labelled, 3);
        assert_eq!(per.len(), 1);
        assert_eq!(per[0].dominant, "a");
        assert!((per[0].purity - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(per[0].completeness, 1.0);
    }
}
