//! Batch alignment of (query, reference) pair lists: PROTEA's 12 alignment features for
//! every pair, computed once per distinct ordered sequence pair, in parallel, through a
//! persistent SQLite cache.
//!
//! PROTEA aligns each (query, neighbour) pair with parasail from Python (about 2 ms a pair),
//! needs a process pool because parasail holds the GIL, and caches the features in SQLite.
//! This crate does the same with [`homolog_align`] (AVX2 striped kernel, exact parasail
//! results) on a rayon thread pool:
//!
//! 1. **Deduplicate** by ordered sequence pair (equal sequences under different ids align
//!    once; `(a, b)` and `(b, a)` are different pairs: the features are not symmetric).
//! 2. **Cache lookup** ([`PairCache`], see [`cache`] for the file format and the safety
//!    rules) in batches of [`BatchOptions::chunk`] pairs.
//! 3. **Align** the misses in parallel, each worker with its own [`homolog_align::Aligner`]
//!    (buffers reused); write them back in one transaction per chunk.
//! 4. **Results in input order**, one per input pair.
//!
//! Determinism: each pair's features are a pure function of its two sequences and the
//! scoring, and the cache stores them losslessly (shortest round-trip floats plus a
//! checksum), so serial, parallel-cold and parallel-warm runs give byte-identical outputs
//! (`tests/batch.rs`).
//!
//! Files: [`read_pairs`] (TSV `query_id reference_id`), [`read_sequences`] (FASTA),
//! [`write_features`] (CSV/TSV/Parquet, atomic). [`run`] does everything for the
//! `homolog align` command.
//!
//! # Example
//!
//! [`align_batch`] on three pairs, the first and last the same sequences, through a cache
//! file; a second run finds every pair in the cache:
//!
//! ```rust
//! use homolog_pairs::{align_batch, BatchOptions, PairCache};
//!
//! let pairs: [(&[u8], &[u8]); 3] = [
//!     (b"MKTAYIAKQR", b"MKTAYIAKQR"),
//!     (b"MKTAYIAKQR", b"MKTAWIAKR"),
//!     (b"MKTAYIAKQR", b"MKTAYIAKQR"),
//! ];
//! let dir = tempfile::tempdir().unwrap();
//! let cache = PairCache::open(dir.path().join("pairs.sqlite")).unwrap();
//! let options = BatchOptions::default();
//!
//! let (features, report) = align_batch(&pairs, &options, Some(&cache), &|_| {}).unwrap();
//! assert_eq!((report.pairs, report.unique, report.computed), (3, 2, 2));
//! assert_eq!(features.len(), 3);
//! assert_eq!(features[0].features.identity_nw, 1.0);
//! assert!(features[1].features.identity_nw < 1.0);
//! assert_eq!(features[0], features[2]);
//!
//! let (again, report) = align_batch(&pairs, &options, Some(&cache), &|_| {}).unwrap();
//! assert_eq!((report.cache_hits, report.computed), (2, 0));
//! assert_eq!(again, features);
//! ```

pub mod aligner;
pub mod cache;
mod error;
mod io;

use std::collections::HashMap;
use std::path::PathBuf;

use homolog_align::{Aligner, PairFeatures, Scoring};
use rayon::prelude::*;

pub use aligner::{align_pairs, CachedAligner, MemoAligner, PairAligner, PairMetrics};
pub use cache::{
    cache_key, sequence_digest, CacheOptions, CachedPair, OnInvalid, PairCache, SequenceDigest,
};
pub use error::PairsError;
pub use io::{
    output_columns, read_pairs, read_sequences, write_features, OutputFormat, PairRecord,
};

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Substitution matrix and gap penalties (BLOSUM62, 10, 1 by default).
    pub scoring: Scoring,
    /// Worker threads: 0 = all cores (rayon's global pool), 1 = serial (no thread pool).
    pub threads: usize,
    /// Distinct pairs per cache round trip (read batch, parallel alignment, write
    /// transaction). Bounds memory and the work lost if the run is interrupted; larger
    /// chunks let the batch kernel group more pairs of similar lengths (fewer idle lanes).
    pub chunk: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            scoring: Scoring::default(),
            threads: 0,
            chunk: 65_536,
        }
    }
}

/// Fewest missing pairs one thread aligns in one call (the batch kernel needs a few dozen
/// pairs of similar lengths to fill its lanes).
const MIN_RUN: usize = 256;

/// Splits `items` into at most `runs` contiguous runs of about equal total `work`, each
/// of at least [`MIN_RUN`] items (but the last).
fn equal_work_runs(items: &[usize], work: impl Fn(usize) -> usize, runs: usize) -> Vec<&[usize]> {
    let total: usize = items.iter().map(|&k| work(k)).sum();
    let target = total.div_ceil(runs.max(1)).max(1);
    let mut out = Vec::with_capacity(runs);
    let (mut start, mut acc) = (0, 0);
    for (at, &k) in items.iter().enumerate() {
        acc += work(k);
        if acc >= target && at + 1 - start >= MIN_RUN && out.len() + 1 < runs {
            out.push(&items[start..=at]);
            (start, acc) = (at + 1, 0);
        }
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// Counts of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Input pairs.
    pub pairs: usize,
    /// Distinct ordered sequence pairs among them.
    pub unique: usize,
    /// Distinct pairs found in the cache.
    pub cache_hits: usize,
    /// Distinct pairs aligned.
    pub computed: usize,
}

/// Aligns every `(query, reference)` sequence pair; returns one [`CachedPair`] per input
/// pair, in input order. `progress` is called with the number of distinct pairs finished
/// since its last call (total = [`BatchReport::unique`]).
///
/// A pair that cannot be aligned (its traceback table cannot be allocated) is an error
/// naming its input index ([`PairsError::Align`], ids left empty for the caller to fill).
pub fn align_batch(
    pairs: &[(&[u8], &[u8])],
    options: &BatchOptions,
    cache: Option<&PairCache>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Vec<CachedPair>, BatchReport), PairsError> {
    options
        .scoring
        .validate()
        .map_err(|source| PairsError::Align {
            index: 0,
            query_id: String::new(),
            reference_id: String::new(),
            source,
        })?;
    // Distinct ordered pairs, in first-appearance order.
    let mut slot: HashMap<(&[u8], &[u8]), usize> = HashMap::with_capacity(pairs.len());
    let mut unique: Vec<(usize, &[u8], &[u8])> = Vec::new();
    let mut which = Vec::with_capacity(pairs.len());
    for (i, &(q, r)) in pairs.iter().enumerate() {
        let s = *slot.entry((q, r)).or_insert_with(|| {
            unique.push((i, q, r));
            unique.len() - 1
        });
        which.push(s);
    }
    let mut report = BatchReport {
        pairs: pairs.len(),
        unique: unique.len(),
        ..BatchReport::default()
    };
    let mut values: Vec<Option<CachedPair>> = vec![None; unique.len()];
    let chunk = options.chunk.max(1);
    let work = |values: &mut Vec<Option<CachedPair>>,
                report: &mut BatchReport|
     -> Result<(), PairsError> {
        for (c, part) in unique.chunks(chunk).enumerate() {
            let base = c * chunk;
            let keys: Vec<String> = match cache {
                // MD5 of both sequences per pair: a visible share of a warm run, so parallel.
                Some(_) => part
                    .par_iter()
                    .map(|&(_, q, r)| cache_key(q, r, &options.scoring))
                    .collect(),
                None => Vec::new(),
            };
            let found = match cache {
                Some(cache) => cache.get_many(&keys)?,
                None => vec![None; part.len()],
            };
            let hits = found.iter().filter(|v| v.is_some()).count();
            report.cache_hits += hits;
            if hits > 0 {
                progress(hits as u64);
            }
            let missing: Vec<usize> = (0..part.len()).filter(|&k| found[k].is_none()).collect();
            // Global then local alignment of a run of missing pairs, many at a time (the
            // aligner's batch kernel groups them by length, so runs are kept long).
            let align_run =
                |aligner: &mut Aligner, ks: &[usize]| -> Result<Vec<CachedPair>, PairsError> {
                    let seqs: Vec<(&[u8], &[u8])> =
                        ks.iter().map(|&k| (part[k].1, part[k].2)).collect();
                    let stats = aligner.try_global_local_many(&seqs);
                    progress(ks.len() as u64);
                    ks.iter()
                        .zip(stats)
                        .map(|(&k, stats)| {
                            let (index, q, r) = part[k];
                            let (nw, sw) = stats.map_err(|source| PairsError::Align {
                                index,
                                query_id: String::new(),
                                reference_id: String::new(),
                                source,
                            })?;
                            Ok(CachedPair::from_stats(&nw, &sw, q.len(), r.len()))
                        })
                        .collect()
                };
            let computed: Vec<CachedPair> = if options.threads == 1 {
                align_run(&mut Aligner::new(options.scoring.clone()), &missing)?
            } else {
                // One run per thread: the batch kernel groups a run's pairs by length, and
                // the longer the run the fewer idle lanes (two runs per thread measured
                // 15% slower on the benchmark pairs). Runs of equal work, not of equal
                // counts: inputs often come in blocks of very different lengths.
                let cells = |k: usize| part[k].1.len() * part[k].2.len();
                let runs = equal_work_runs(&missing, cells, rayon::current_num_threads());
                let runs: Vec<Vec<CachedPair>> = runs
                    .into_par_iter()
                    .map_init(
                        || Aligner::new(options.scoring.clone()),
                        |aligner, ks| align_run(aligner, ks),
                    )
                    .collect::<Result<_, _>>()?;
                runs.into_iter().flatten().collect()
            };
            report.computed += computed.len();
            for (k, v) in found.into_iter().enumerate() {
                if v.is_some() {
                    values[base + k] = v;
                }
            }
            let mut to_store = Vec::with_capacity(computed.len());
            for (&k, v) in missing.iter().zip(computed) {
                values[base + k] = Some(v);
                if cache.is_some() {
                    to_store.push((keys[k].clone(), v));
                }
            }
            if let Some(cache) = cache {
                cache.put_many(&to_store)?;
            }
        }
        Ok(())
    };
    // threads = 1 also gets its own pool, so that the parallel helpers (keys, cache decoding)
    // stay on one thread too.
    if options.threads >= 1 {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .build()
            .map_err(|e| PairsError::Output {
                path: PathBuf::from("<thread pool>"),
                message: format!("cannot start {} threads: {e}", options.threads),
            })?;
        pool.install(|| work(&mut values, &mut report))?;
    } else {
        work(&mut values, &mut report)?;
    }
    let out = which
        .into_iter()
        .map(|s| values[s].expect("every distinct pair is filled above"))
        .collect();
    Ok((out, report))
}

/// Everything `homolog align` needs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Pairs file (see [`read_pairs`]).
    pub pairs: PathBuf,
    /// FASTA files holding every id the pairs name.
    pub sequences: Vec<PathBuf>,
    /// Output file; the format follows the extension unless `format` is set.
    pub out: PathBuf,
    /// Output format override.
    pub format: Option<OutputFormat>,
    /// Cache file (created if absent); `None` = no cache.
    pub cache: Option<PathBuf>,
    /// Cache opening options.
    pub cache_options: CacheOptions,
    /// Batch settings.
    pub batch: BatchOptions,
}

/// Reads the pairs and sequences, aligns (through the cache), writes the features in input
/// order. `progress(total)` is called once before aligning, then `tick(n)` as pairs finish.
pub fn run(
    options: &RunOptions,
    start: &dyn Fn(u64),
    tick: &(dyn Fn(u64) + Sync),
) -> Result<BatchReport, PairsError> {
    let format = match options.format {
        Some(f) => f,
        None => OutputFormat::from_path(&options.out).ok_or_else(|| PairsError::Output {
            path: options.out.clone(),
            message: "unknown output extension: use .parquet, .csv or .tsv (or --format)".into(),
        })?,
    };
    let records = read_pairs(&options.pairs)?;
    let seqs = read_sequences(&options.sequences)?;
    let mut pairs = Vec::with_capacity(records.len());
    for rec in &records {
        let get = |id: &str| {
            seqs.get(id)
                .map(|s| s.as_bytes())
                .ok_or_else(|| PairsError::UnknownId {
                    path: options.pairs.clone(),
                    line: rec.line,
                    id: id.to_string(),
                })
        };
        pairs.push((get(&rec.query)?, get(&rec.reference)?));
    }
    let cache = match &options.cache {
        Some(p) => Some(PairCache::open_with(p, options.cache_options)?),
        None => None,
    };
    let distinct = {
        let mut s = std::collections::HashSet::new();
        pairs.iter().filter(|p| s.insert(**p)).count()
    };
    start(distinct as u64);
    let (values, report) =
        align_batch(&pairs, &options.batch, cache.as_ref(), tick).map_err(|e| match e {
            PairsError::Align { index, source, .. } => PairsError::Align {
                index,
                query_id: records[index].query.clone(),
                reference_id: records[index].reference.clone(),
                source,
            },
            other => other,
        })?;
    let ids: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.query.as_str(), r.reference.as_str()))
        .collect();
    let features: Vec<PairFeatures> = values.iter().map(|v| v.features).collect();
    write_features(&options.out, format, &ids, &features)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_share_the_work_not_the_count() {
        // 10,000 items: the first 2,000 cost 10 each, the rest 1 (28,000 in all).
        let items: Vec<usize> = (0..10_000).collect();
        let work = |k: usize| if k < 2000 { 10 } else { 1 };
        let runs = equal_work_runs(&items, work, 2);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs.concat(), items);
        let sums: Vec<usize> = runs
            .iter()
            .map(|r| r.iter().map(|&k| work(k)).sum())
            .collect();
        assert_eq!(sums, vec![14_000, 14_000]);
        // A run has at least MIN_RUN items even where fewer would carry its share.
        let runs = equal_work_runs(&items[..1000], |k| if k < 100 { 100 } else { 1 }, 2);
        assert_eq!(runs[0].len(), MIN_RUN);
        // Never a run under MIN_RUN items but the last, never more runs than asked.
        let runs = equal_work_runs(&items, |_| 1, 16);
        assert!(runs.len() <= 16);
        assert!(runs[..runs.len() - 1].iter().all(|r| r.len() >= MIN_RUN));
        assert_eq!(runs.concat(), items);
        assert!(equal_work_runs(&[], |_| 1, 4).is_empty());
        assert_eq!(equal_work_runs(&items, |_| 0, 4).concat(), items);
    }
}
