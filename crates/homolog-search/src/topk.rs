//! Streaming top-k selection with optional tie extension.
//!
//! A [`TopK`] accumulates candidate hits for one query in an unsorted buffer and compacts it
//! with `select_nth_unstable` whenever it doubles, so the amortised cost per admitted candidate
//! is O(1) and memory stays at about `2 * max(k, kept)` hits. `bound` is the admission cutoff:
//! once `k` hits are kept, nothing farther than the current k-th distance can ever enter the
//! final result, which lets the scan skip almost every candidate with a single comparison.

use std::cmp::Ordering;

use crate::Hit;

/// Total order used everywhere: distance first, then reference index.
#[inline]
pub(crate) fn hit_order(a: &Hit, b: &Hit) -> Ordering {
    a.distance
        .total_cmp(&b.distance)
        .then(a.reference.cmp(&b.reference))
}

/// Minimum buffer size before the first compaction; avoids compacting every few pushes for tiny k.
const MIN_SLACK: usize = 32;

#[derive(Debug, Clone)]
pub(crate) struct TopK {
    hits: Vec<Hit>,
    /// Admit candidates with `distance <= bound`.
    bound: f32,
    /// Compact when `hits.len()` reaches this.
    next_compact: usize,
}

impl TopK {
    /// `limit` is the distance threshold (or +inf when none).
    pub(crate) fn new(limit: f32, k: usize) -> Self {
        TopK {
            hits: Vec::new(),
            bound: limit,
            next_compact: k.saturating_mul(2).max(k.saturating_add(MIN_SLACK)),
        }
    }

    #[inline]
    pub(crate) fn bound(&self) -> f32 {
        self.bound
    }

    /// Adds a candidate the caller has already checked against [`TopK::bound`].
    #[inline]
    pub(crate) fn push(&mut self, hit: Hit, k: usize, keep_ties: bool) {
        self.hits.push(hit);
        if self.hits.len() >= self.next_compact {
            self.compact(k, keep_ties);
        }
    }

    /// Adds every hit of an already-selected partial list (merging per-segment results).
    pub(crate) fn extend(&mut self, hits: Vec<Hit>, k: usize, keep_ties: bool) {
        for hit in hits {
            if hit.distance <= self.bound {
                self.push(hit, k, keep_ties);
            }
        }
    }

    /// Keeps the first `k` hits by (distance, reference) plus, with `keep_ties`, every hit whose
    /// distance equals the k-th one; tightens `bound` to the k-th distance.
    fn compact(&mut self, k: usize, keep_ties: bool) {
        if self.hits.len() > k && k > 0 {
            self.hits.select_nth_unstable_by(k - 1, hit_order);
            let kth = self.hits[k - 1].distance;
            let mut kept = k;
            if keep_ties {
                for i in k..self.hits.len() {
                    if self.hits[i].distance == kth {
                        self.hits.swap(kept, i);
                        kept += 1;
                    }
                }
            }
            self.hits.truncate(kept);
            if kth < self.bound {
                self.bound = kth;
            }
        }
        // Doubling keeps compaction amortised O(1) even when many exact ties are kept.
        self.next_compact = self
            .hits
            .len()
            .saturating_mul(2)
            .max(k.saturating_add(MIN_SLACK));
    }

    /// Final selection, sorted by (distance, reference).
    pub(crate) fn finish(mut self, k: usize, keep_ties: bool) -> Vec<Hit> {
        self.compact(k, keep_ties);
        self.hits.sort_unstable_by(hit_order);
        self.hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(reference: u32, distance: f32) -> Hit {
        Hit {
            reference,
            distance,
        }
    }

    fn run(cands: &[(u32, f32)], k: usize, ties: bool, limit: f32) -> Vec<(u32, f32)> {
        let mut t = TopK::new(limit, k);
        for &(r, d) in cands {
            if d <= t.bound() {
                t.push(h(r, d), k, ties);
            }
        }
        t.finish(k, ties)
            .into_iter()
            .map(|x| (x.reference, x.distance))
            .collect()
    }

    #[test]
    fn keeps_k_smallest_in_order() {
        let c: Vec<(u32, f32)> = (0..100).map(|i| (i, ((i * 37) % 100) as f32)).collect();
        let got = run(&c, 3, false, f32::INFINITY);
        // distances 0, 1, 2 come from i*37 % 100 == 0, 1, 2 -> i = 0, 73, 46
        assert_eq!(got, vec![(0, 0.0), (73, 1.0), (46, 2.0)]);
    }

    #[test]
    fn ties_extend_past_k_only_when_asked() {
        let mut c: Vec<(u32, f32)> = (0..200).map(|i| (i, 5.0)).collect();
        c.push((500, 1.0));
        let got = run(&c, 2, true, f32::INFINITY);
        assert_eq!(got.len(), 201);
        assert_eq!(got[0], (500, 1.0));
        assert_eq!(got[1], (0, 5.0));
        assert_eq!(got[200], (199, 5.0));
        let got = run(&c, 2, false, f32::INFINITY);
        assert_eq!(got, vec![(500, 1.0), (0, 5.0)]);
    }

    #[test]
    fn limit_filters_and_fewer_than_k_is_fine() {
        let c = [(0, 0.5), (1, 0.2), (2, 0.9)];
        assert_eq!(run(&c, 10, false, 0.5), vec![(1, 0.2), (0, 0.5)]);
    }

    #[test]
    fn merge_of_partials_breaks_equal_distance_by_index() {
        let mut t = TopK::new(f32::INFINITY, 1);
        t.extend(vec![h(9, 1.0)], 1, false);
        t.extend(vec![h(3, 1.0)], 1, false);
        let got = t.finish(1, false);
        assert_eq!(got, vec![h(3, 1.0)]);
    }
}
