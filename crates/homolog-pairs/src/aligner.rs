//! Pairwise NW/SW metrics for (query, reference) sequence pairs, memoised and batchable: the
//! aligners the annotation stage asks per hit.
//!
//! FANTASIA aligns every unique (query sequence, reference sequence) pair of a batch with
//! parasail (`nw_trace_striped_32` / `sw_trace_striped_32`, BLOSUM62, open 10, extend 1) in a
//! process pool, then joins the metrics back onto the rows. Here [`align_pairs`] aligns all
//! unique pairs of a set in parallel (rayon) and fills the aligner's memo; later
//! [`PairAligner::align`] calls are memo hits. [`CachedAligner`] adds the persistent SQLite
//! cache ([`crate::PairCache`], PROTEA's layout): [`align_pairs`] first calls
//! [`PairAligner::prepare`], which for the cached aligner reads all known pairs in batches,
//! aligns the rest in parallel and stores them. Both key pairs by the MD5 digests of their
//! sequences ([`sequence_digest`]), the scheme of the cache key.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use homolog_align::{AlignmentStats, Scoring};
use rayon::prelude::*;

use crate::cache::{sequence_digest, SequenceDigest};

/// Global (NW) and local (SW) alignment statistics of one ordered pair.
#[derive(Debug, Clone, PartialEq)]
pub struct PairMetrics {
    /// Needleman-Wunsch (FANTASIA's `identity`, `similarity`, ... columns).
    pub nw: AlignmentStats,
    /// Smith-Waterman (FANTASIA's `*_sw` columns).
    pub sw: AlignmentStats,
}

impl PairMetrics {
    /// Metrics of a pair with an empty side: every count 0, score 0 (FANTASIA's empty-alignment
    /// convention, and what keeps an empty sequence from crashing the run).
    pub fn empty() -> Self {
        PairMetrics {
            nw: empty_stats(),
            sw: empty_stats(),
        }
    }
}

fn empty_stats() -> AlignmentStats {
    AlignmentStats {
        score: 0,
        length: 0,
        identities: 0,
        similarities: 0,
        query_gaps: 0,
        reference_gaps: 0,
    }
}

/// Computes NW and SW metrics of an ordered (query, reference) pair.
pub trait PairAligner: Send + Sync {
    /// Aligns `query` against `reference`. Not symmetric: gaps and lengths are per side.
    fn align(&self, query: &str, reference: &str) -> PairMetrics;

    /// Called by [`align_pairs`] with all pairs of a batch before any [`PairAligner::align`]
    /// call, so an aligner can fetch or compute them in bulk. Default: nothing.
    fn prepare(&self, pairs: &[(&str, &str)]) {
        let _ = pairs;
    }
}

/// Key of an ordered pair in the memo: the MD5 digests of both sequences, the same digests
/// the persistent cache's key is made of ([`crate::cache_key`]), so the memo holds 32 bytes per
/// pair instead of two sequences.
type PairKey = (SequenceDigest, SequenceDigest);

fn pair_key(query: &str, reference: &str) -> PairKey {
    (
        sequence_digest(query.as_bytes()),
        sequence_digest(reference.as_bytes()),
    )
}

/// Metrics by pair, shared by the threads of a batch. A poisoned lock only means another thread
/// panicked mid-insert; the map is still a valid cache, so it stays in use.
#[derive(Debug, Default)]
struct Memo(RwLock<HashMap<PairKey, PairMetrics>>);

impl Memo {
    fn get(&self, key: &PairKey) -> Option<PairMetrics> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }
    fn contains(&self, key: &PairKey) -> bool {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(key)
    }
    fn insert(&self, key: PairKey, metrics: PairMetrics) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, metrics);
    }
    fn len(&self) -> usize {
        self.0.read().unwrap_or_else(|e| e.into_inner()).len()
    }
    fn clear(&self) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The default aligner: `homolog_align::{global, local}` with a [`Scoring`] (BLOSUM62, 10/1 by
/// default) and an in-memory memo keyed by the ordered sequence pair.
#[derive(Debug, Default)]
pub struct MemoAligner {
    scoring: Scoring,
    memo: Memo,
}

impl MemoAligner {
    /// An aligner with the given scoring.
    pub fn new(scoring: Scoring) -> Self {
        MemoAligner {
            scoring,
            memo: Memo::default(),
        }
    }

    /// Number of memoised pairs.
    pub fn memo_len(&self) -> usize {
        self.memo.len()
    }

    /// Forgets all memoised pairs (e.g. between query chunks, to bound memory).
    pub fn clear(&self) {
        self.memo.clear();
    }

    fn compute(&self, query: &str, reference: &str) -> PairMetrics {
        if query.is_empty() || reference.is_empty() {
            return PairMetrics::empty();
        }
        // The fallible API: a pair too long for its traceback table (or bad penalties) must
        // not abort the whole run.
        let mut aligner = homolog_align::Aligner::new(self.scoring.clone());
        let nw = aligner.try_global(query, reference);
        let sw = aligner.try_local(query, reference);
        match (nw, sw) {
            (Ok(nw), Ok(sw)) => PairMetrics { nw, sw },
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(
                    query_len = query.len(),
                    reference_len = reference.len(),
                    "alignment failed ({e}); writing empty alignment metrics for this pair"
                );
                PairMetrics::empty()
            }
        }
    }
}

impl PairAligner for MemoAligner {
    fn align(&self, query: &str, reference: &str) -> PairMetrics {
        let key = pair_key(query, reference);
        if let Some(m) = self.memo.get(&key) {
            return m;
        }
        let metrics = self.compute(query, reference);
        self.memo.insert(key, metrics.clone());
        metrics
    }

    /// Aligns the pairs not memoised yet many at a time ([`crate::align_batch`] without a
    /// cache: the batch kernel where the CPU has it), with the same metrics as
    /// [`PairAligner::align`] one by one.
    fn prepare(&self, pairs: &[(&str, &str)]) {
        // Empty sequences keep FANTASIA's empty-metrics rule (see `PairMetrics::empty`).
        let todo: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .filter(|(q, r)| !q.is_empty() && !r.is_empty() && !self.memo.contains(&pair_key(q, r)))
            .map(|(q, r)| (q.as_bytes(), r.as_bytes()))
            .collect();
        if todo.is_empty() {
            return;
        }
        let options = crate::BatchOptions {
            scoring: self.scoring.clone(),
            ..crate::BatchOptions::default()
        };
        match crate::align_batch(&todo, &options, None, &|_| {}) {
            Ok((values, _)) => {
                for ((q, r), v) in todo.iter().zip(values) {
                    let (nw, sw) = v.stats();
                    self.memo.insert(
                        (sequence_digest(q), sequence_digest(r)),
                        PairMetrics { nw, sw },
                    );
                }
            }
            // A pair that cannot be aligned fails the whole batch: align them one by one,
            // where such a pair gets empty metrics and a warning.
            Err(e) => tracing::warn!("batch alignment: {e}; aligning these pairs one by one"),
        }
    }
}

/// [`PairAligner`] backed by a persistent SQLite alignment cache
/// ([`crate::PairCache`]: key `md5(q):md5(r):open:extend:matrix`, PROTEA's 12 fields),
/// with an in-memory memo in front. Pairs prepared by [`align_pairs`] cost one batched cache
/// read; misses are aligned in parallel and written back in batches, so the next run (or
/// another process sharing the file) finds them. Metrics equal [`MemoAligner`]'s exactly.
#[derive(Debug)]
pub struct CachedAligner {
    scoring: Scoring,
    cache: crate::PairCache,
    memo: Memo,
}

impl CachedAligner {
    /// Opens (or creates) the cache file; an invalid file is an error (see
    /// [`crate::cache`]).
    pub fn open(
        path: impl AsRef<std::path::Path>,
        scoring: Scoring,
    ) -> Result<Self, crate::PairsError> {
        Ok(CachedAligner {
            scoring,
            cache: crate::PairCache::open(path)?,
            memo: Memo::default(),
        })
    }

    /// The cache file.
    pub fn cache(&self) -> &crate::PairCache {
        &self.cache
    }

    /// Fetches or computes `pairs` through the cache and memoises them; returns the counts
    /// (pairs found in the cache, pairs aligned).
    pub fn warm(&self, pairs: &[(&str, &str)]) -> Result<crate::BatchReport, crate::PairsError> {
        let todo: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .filter(|(q, r)| !self.memo.contains(&pair_key(q, r)))
            .map(|(q, r)| (q.as_bytes(), r.as_bytes()))
            .collect();
        let options = crate::BatchOptions {
            scoring: self.scoring.clone(),
            ..crate::BatchOptions::default()
        };
        let (values, report) = crate::align_batch(&todo, &options, Some(&self.cache), &|_| {})?;
        for ((q, r), v) in todo.iter().zip(values) {
            let (nw, sw) = v.stats();
            self.memo.insert(
                (sequence_digest(q), sequence_digest(r)),
                PairMetrics { nw, sw },
            );
        }
        Ok(report)
    }
}

impl PairAligner for CachedAligner {
    fn align(&self, query: &str, reference: &str) -> PairMetrics {
        let key = pair_key(query, reference);
        if let Some(m) = self.memo.get(&key) {
            return m;
        }
        if query.is_empty() || reference.is_empty() {
            return PairMetrics::empty();
        }
        if let Err(e) = self.warm(&[(query, reference)]) {
            tracing::warn!("alignment cache: {e}; aligning this pair without the cache");
            return MemoAligner::new(self.scoring.clone()).compute(query, reference);
        }
        self.memo
            .get(&key)
            .unwrap_or_else(|| MemoAligner::new(self.scoring.clone()).compute(query, reference))
    }

    fn prepare(&self, pairs: &[(&str, &str)]) {
        // Empty sequences keep FANTASIA's empty-metrics rule (see `PairMetrics::empty`),
        // which differs from the aligner's defined values; they never enter the cache.
        let real: Vec<(&str, &str)> = pairs
            .iter()
            .copied()
            .filter(|(q, r)| !q.is_empty() && !r.is_empty())
            .collect();
        match self.warm(&real) {
            Ok(rep) => tracing::info!(
                pairs = rep.unique,
                cache_hits = rep.cache_hits,
                aligned = rep.computed,
                "alignment cache {}",
                self.cache.path().display()
            ),
            Err(e) => tracing::warn!("alignment cache: {e}; aligning this batch without the cache"),
        }
    }
}

/// Aligns every unique ordered pair in `pairs` in parallel (rayon) and returns the metrics by
/// pair. With a memoising aligner this also warms its memo, so later
/// [`PairAligner::align`] calls for these pairs are lookups.
///
/// Results are value-preserving: the same pairs give the same metrics whatever the thread
/// count or order, because each pair is computed independently.
pub fn align_pairs<'a>(
    aligner: &dyn PairAligner,
    pairs: &[(&'a str, &'a str)],
) -> HashMap<(&'a str, &'a str), PairMetrics> {
    let mut seen = HashSet::with_capacity(pairs.len());
    let unique: Vec<(&'a str, &'a str)> =
        pairs.iter().copied().filter(|p| seen.insert(*p)).collect();
    aligner.prepare(&unique);
    unique
        .into_par_iter()
        .map(|(q, r)| ((q, r), aligner.align(q, r)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sequences_align_fully() {
        let a = MemoAligner::default();
        let m = a.align("MKVLAAGIVG", "MKVLAAGIVG");
        assert_eq!(m.nw.length, 10);
        assert_eq!(m.nw.identities, 10);
        assert_eq!(m.sw.identities, 10);
        assert_eq!(m.nw.query_gaps + m.nw.reference_gaps, 0);
        assert_eq!(a.memo_len(), 1);
        // Second call is a memo hit with the same value.
        assert_eq!(a.align("MKVLAAGIVG", "MKVLAAGIVG"), m);
        assert_eq!(a.memo_len(), 1);
    }

    #[test]
    fn empty_sequence_gives_empty_metrics() {
        let a = MemoAligner::default();
        assert_eq!(a.align("", "MKV"), PairMetrics::empty());
        assert_eq!(a.align("MKV", ""), PairMetrics::empty());
    }

    #[test]
    fn align_pairs_dedups_and_matches_serial() {
        let a = MemoAligner::default();
        let pairs = [
            ("MKVLA", "MKVIA"),
            ("MKVLA", "MKVIA"),
            ("MKVIA", "MKVLA"),
            ("WWW", "MKV"),
        ];
        let batch = align_pairs(&a, &pairs);
        assert_eq!(batch.len(), 3);
        assert_eq!(a.memo_len(), 3);
        let fresh = MemoAligner::default();
        for (q, r) in pairs {
            assert_eq!(batch[&(q, r)], fresh.align(q, r));
        }
    }

    #[test]
    fn cached_aligner_equals_memo_aligner_cold_and_warm() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("align.sqlite");
        let pairs = [
            ("MKVLAAGIVG", "MKVIAAGLVG"),
            ("HEAGAWGHEE", "PAWHEAE"),
            ("PAWHEAE", "HEAGAWGHEE"),
            ("WWWW", "PPPP"),
            ("", "MKV"),
            ("MKTAYIAKQRQISFVKSHFSRQ", "MKTAYIAKQISFVKSHFSRQ"),
        ];
        let memo = MemoAligner::default();
        let expected = align_pairs(&memo, &pairs);
        let cold = CachedAligner::open(&path, Scoring::default()).unwrap();
        assert_eq!(align_pairs(&cold, &pairs), expected);
        // Empty-sequence pairs stay out of the cache.
        assert_eq!(cold.cache().len().unwrap(), 5);
        drop(cold);
        let warm = CachedAligner::open(&path, Scoring::default()).unwrap();
        let rep = warm.warm(&pairs[..4]).unwrap();
        assert_eq!((rep.cache_hits, rep.computed), (4, 0));
        for (q, r) in pairs {
            assert_eq!(warm.align(q, r), memo.align(q, r), "{q} {r}");
        }
        // A pair never prepared is aligned on demand and cached.
        assert_eq!(warm.align("ACDEF", "ACDEG"), memo.align("ACDEF", "ACDEG"));
        assert_eq!(warm.cache().len().unwrap(), 6);
    }
}
