//! Which (query, reference) sequence pairs a set of hits needs aligned. The aligners
//! themselves ([`PairAligner`], [`MemoAligner`], [`CachedAligner`], [`align_pairs`]) live in
//! homolog-pairs and are re-exported here.

use std::collections::HashSet;

pub use homolog_pairs::aligner::{
    align_pairs, CachedAligner, MemoAligner, PairAligner, PairMetrics,
};

/// The unique (query sequence, reference sequence) pairs a set of queries' hits will need,
/// in first-appearance order: feed this to [`align_pairs`] before [`crate::transfer`].
///
/// Hits whose row is outside the reference are skipped here; [`crate::transfer`] reports them.
pub fn pairs_for_hits<'a, R: crate::ReferenceData + ?Sized>(
    reference: &'a R,
    queries: &[(&'a str, &'a [homolog_search::Hit])],
) -> Vec<(&'a str, &'a str)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (query_sequence, hits) in queries {
        for hit in hits.iter() {
            if (hit.reference as usize) >= reference.sequence_count() {
                continue;
            }
            let pair = (*query_sequence, reference.sequence(hit.reference));
            if seen.insert(pair) {
                out.push(pair);
            }
        }
    }
    out
}
