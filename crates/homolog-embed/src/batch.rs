//! Length-sorted batching around any [`Embedder`], with per-sequence failure reporting.
//!
//! Sequences are sorted by length (longest first, so a batch that exhausts memory does so at
//! the start of a run, not after hours) and cut into batches of `batch_size`; similar lengths
//! in one batch waste little padding in transformer backends. A failing batch is retried one
//! sequence at a time so one bad sequence costs only itself, and it is reported by id: the peer
//! silently skipped failed GPU batches.

use crate::error::EmbedError;
use crate::settings::ModelSettings;
use crate::Embedder;

/// One embedded sequence, handed to the caller's batch callback.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded<'a> {
    /// Position in the input slice.
    pub index: usize,
    /// The record id as given.
    pub id: &'a str,
    /// The sequence as embedded (after prefix truncation to `max_sequence_length`); this is
    /// what FANTASIA stores in `/accession_<id>/sequence`.
    pub sequence: &'a str,
    /// `(layer, vector)` for each requested layer, in the order of `settings.layers`.
    pub vectors: Vec<(usize, Vec<f32>)>,
}

/// Outcome of [`embed_sequences`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmbedSummary {
    /// Number of sequences embedded and delivered.
    pub embedded: usize,
    /// `(id, reason)` of every sequence that could not be embedded, in processing order.
    pub failed: Vec<(String, String)>,
}

/// Prefix of `s` with at most `max` characters.
fn truncate(s: &str, max: Option<usize>) -> &str {
    match max {
        Some(m) => match s.char_indices().nth(m) {
            Some((byte, _)) => &s[..byte],
            None => s,
        },
        None => s,
    }
}

/// Embeds `records` (`(id, sequence)` pairs) with `embedder` at `settings.layers`.
///
/// Sequences are truncated to `settings.max_sequence_length` (prefix), sorted by length,
/// and embedded `settings.batch_size` at a time, fewer when `settings.max_tokens` is set and
/// the batch's padded size (sequences x longest length) would exceed it ([`batch_ranges`]).
/// After each batch, `on_batch` receives that batch's results (in batch order; write and flush
/// there so a killed run keeps finished batches), then `progress(done, total)` is called. An
/// error returned by `on_batch` stops the run and is returned. Sequences that fail (empty,
/// rejected by the backend, wrong output shape, non-finite values) are listed in
/// [`EmbedSummary::failed`], never skipped silently.
///
/// Results come per batch rather than per sequence so callers can flush once per batch; each
/// [`Embedded`] carries id, sequence and `(layer, vector)` pairs.
pub fn embed_sequences<I, S, F, P>(
    embedder: &dyn Embedder,
    records: &[(I, S)],
    settings: &ModelSettings,
    mut on_batch: F,
    mut progress: P,
) -> Result<EmbedSummary, EmbedError>
where
    I: AsRef<str>,
    S: AsRef<str>,
    F: FnMut(Vec<Embedded<'_>>) -> Result<(), EmbedError>,
    P: FnMut(usize, usize),
{
    let model = embedder.name().to_string();
    let bad = |message: String| EmbedError::InvalidSettings {
        model: model.clone(),
        message,
    };
    if settings.batch_size == 0 {
        return Err(bad("batch_size is 0; give a value >= 1".into()));
    }
    if settings.layers.is_empty() {
        return Err(bad(
            "layers is empty; give at least one layer, e.g. [0]".into()
        ));
    }
    let n_layers = embedder.num_layers();
    if let Some(&l) = settings.layers.iter().find(|&&l| l >= n_layers) {
        return Err(bad(format!(
            "layer {l} does not exist (valid layers: 0..={}, 0 = last layer)",
            n_layers.saturating_sub(1)
        )));
    }

    let max_len = settings.truncation();
    let total = records.len();
    let mut summary = EmbedSummary::default();
    let mut done = 0usize;

    // Empty sequences never reach the backend (an empty sequence crashed the peer's workers).
    let mut order: Vec<usize> = Vec::with_capacity(total);
    for (i, (id, seq)) in records.iter().enumerate() {
        if seq.as_ref().trim().is_empty() {
            summary
                .failed
                .push((id.as_ref().to_string(), "empty sequence".to_string()));
            done += 1;
        } else {
            order.push(i);
        }
    }
    let seq_of = |i: usize| truncate(records[i].1.as_ref(), max_len);
    // Stable sort: equal lengths keep input order, so runs are reproducible.
    order.sort_by_key(|&i| std::cmp::Reverse(seq_of(i).len()));

    let lengths: Vec<usize> = order.iter().map(|&i| seq_of(i).chars().count()).collect();
    for range in batch_ranges(&lengths, settings.batch_size, settings.max_tokens) {
        let chunk = &order[range];
        let mut out = Vec::with_capacity(chunk.len());
        let batch: Vec<&str> = chunk.iter().map(|&i| seq_of(i)).collect();
        match run_checked(embedder, &batch, &settings.layers) {
            Ok(vectors) => {
                for (&i, v) in chunk.iter().zip(vectors) {
                    out.push(embedded(records, i, seq_of(i), &settings.layers, v));
                }
            }
            Err(batch_err) => {
                if chunk.len() > 1 {
                    tracing::warn!(
                        "{model}: batch of {} failed ({batch_err}); retrying one by one",
                        chunk.len()
                    );
                }
                for &i in chunk {
                    let one = [seq_of(i)];
                    let result = if chunk.len() == 1 {
                        Err(batch_err.to_string())
                    } else {
                        run_checked(embedder, &one, &settings.layers).map_err(|e| e.to_string())
                    };
                    match result {
                        Ok(mut v) => {
                            let v = v.pop().unwrap_or_default();
                            out.push(embedded(records, i, seq_of(i), &settings.layers, v));
                        }
                        Err(reason) => {
                            let id = records[i].0.as_ref();
                            tracing::warn!("{model}: sequence {id} not embedded: {reason}");
                            summary.failed.push((id.to_string(), reason));
                        }
                    }
                }
            }
        }
        done += chunk.len();
        summary.embedded += out.len();
        if !out.is_empty() {
            on_batch(out)?;
        }
        progress(done, total);
    }
    if order.is_empty() {
        progress(done, total);
    }
    Ok(summary)
}

/// Cuts `lengths` (sorted longest first) into consecutive batches of at most `batch_size`
/// sequences whose padded size (count x first = longest length) stays within `max_tokens`.
/// A sequence longer than the budget forms a batch of its own.
pub fn batch_ranges(
    lengths: &[usize],
    batch_size: usize,
    max_tokens: Option<usize>,
) -> Vec<std::ops::Range<usize>> {
    let mut out = vec![];
    let mut start = 0;
    while start < lengths.len() {
        let longest = lengths[start].max(1);
        let mut n = batch_size.max(1).min(lengths.len() - start);
        if let Some(budget) = max_tokens {
            n = n.min((budget / longest).max(1));
        }
        out.push(start..start + n);
        start += n;
    }
    out
}

fn embedded<'a, I: AsRef<str>, S: AsRef<str>>(
    records: &'a [(I, S)],
    index: usize,
    sequence: &'a str,
    layers: &[usize],
    vectors: Vec<Vec<f32>>,
) -> Embedded<'a> {
    Embedded {
        index,
        id: records[index].0.as_ref(),
        sequence,
        vectors: layers.iter().copied().zip(vectors).collect(),
    }
}

/// Calls the backend and checks the shape and values of what it returns.
fn run_checked(
    embedder: &dyn Embedder,
    batch: &[&str],
    layers: &[usize],
) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
    let out = embedder.embed(batch, layers)?;
    let fail = |reason: String| EmbedError::Backend {
        backend: embedder.name().to_string(),
        reason,
    };
    if out.len() != batch.len() {
        return Err(fail(format!(
            "returned {} results for a batch of {}",
            out.len(),
            batch.len()
        )));
    }
    let dim = embedder.dim();
    for (i, per_seq) in out.iter().enumerate() {
        if per_seq.len() != layers.len() {
            return Err(fail(format!(
                "returned {} layers for sequence #{} (asked for {})",
                per_seq.len(),
                i + 1,
                layers.len()
            )));
        }
        for v in per_seq {
            if v.len() != dim {
                return Err(fail(format!(
                    "returned a vector of length {} for sequence #{} (dim is {dim})",
                    v.len(),
                    i + 1
                )));
            }
            if v.iter().any(|x| !x.is_finite()) {
                return Err(fail(format!(
                    "returned non-finite values (NaN/inf) for sequence #{}",
                    i + 1
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kmer::{KmerEmbedder, KmerParams};

    fn kmer() -> KmerEmbedder {
        KmerEmbedder::new(KmerParams::default()).unwrap()
    }

    #[test]
    fn token_budget_cuts_batches() {
        // Longest first: 100 alone fills a budget of 150; then 3 x 40 = 120 <= 150.
        let lengths = [100, 40, 40, 40, 10, 10];
        assert_eq!(batch_ranges(&lengths, 8, Some(150)), vec![0..1, 1..4, 4..6]);
        assert_eq!(batch_ranges(&lengths, 4, None), vec![0..4, 4..6]);
        // Longer than the budget: alone, not dropped.
        assert_eq!(batch_ranges(&[500, 1], 8, Some(100)), vec![0..1, 1..2]);
        assert_eq!(
            batch_ranges(&[], 8, Some(100)),
            Vec::<std::ops::Range<usize>>::new()
        );
    }

    #[test]
    fn truncation_is_a_prefix() {
        assert_eq!(truncate("MKVLA", Some(3)), "MKV");
        assert_eq!(truncate("MKVLA", Some(10)), "MKVLA");
        assert_eq!(truncate("MKVLA", None), "MKVLA");
    }

    #[test]
    fn batches_sorted_by_length_and_failures_reported() {
        let e = kmer();
        let records = vec![
            ("a", "MKV"),
            ("b", "MKVLAAGIVGLLLAQ"),
            ("bad", "MK1V"),
            ("empty", ""),
            ("c", "MKVLAAG"),
            ("d", "MKVLAAGIVGLLLAQPAMAKK"),
        ];
        let settings = ModelSettings {
            batch_size: 2,
            layers: vec![0, 1],
            ..Default::default()
        };
        let mut batches: Vec<Vec<(String, usize)>> = vec![];
        let mut progress = vec![];
        let summary = embed_sequences(
            &e,
            &records,
            &settings,
            |batch| {
                for item in &batch {
                    assert_eq!(item.vectors.len(), 2);
                    assert_eq!(item.vectors[0].0, 0);
                    assert_eq!(item.vectors[1].0, 1);
                    assert_eq!(item.sequence, records[item.index].1);
                    // Same vector as embedding alone.
                    let alone = e.embed_one(item.sequence, &[0, 1]).unwrap();
                    assert_eq!(item.vectors[0].1, alone[0]);
                }
                batches.push(
                    batch
                        .iter()
                        .map(|x| (x.id.to_string(), x.sequence.len()))
                        .collect(),
                );
                Ok(())
            },
            |done, total| progress.push((done, total)),
        )
        .unwrap();
        assert_eq!(summary.embedded, 4);
        assert_eq!(summary.failed.len(), 2);
        assert_eq!(summary.failed[0].0, "empty");
        assert_eq!(summary.failed[1].0, "bad");
        assert!(summary.failed[1].1.contains("'1'"), "{:?}", summary.failed);
        // Longest first: d(21) b(15) | c(7) bad(4, failed) | a(3)
        assert_eq!(
            batches,
            vec![
                vec![("d".to_string(), 21), ("b".to_string(), 15)],
                vec![("c".to_string(), 7)],
                vec![("a".to_string(), 3)],
            ]
        );
        assert_eq!(progress, vec![(3, 6), (5, 6), (6, 6)]);
    }

    #[test]
    fn truncates_and_stops_on_callback_error() {
        let e = kmer();
        let records = vec![("a".to_string(), "MKVLAAGIVG".to_string())];
        let settings = ModelSettings {
            max_sequence_length: Some(4),
            ..Default::default()
        };
        let mut seen = String::new();
        embed_sequences(
            &e,
            &records,
            &settings,
            |b| {
                seen = b[0].sequence.to_string();
                Ok(())
            },
            |_, _| {},
        )
        .unwrap();
        assert_eq!(seen, "MKVL");

        let err = embed_sequences(
            &e,
            &records,
            &settings,
            |_| {
                Err(EmbedError::Backend {
                    backend: "sink".into(),
                    reason: "disk full".into(),
                })
            },
            |_, _| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("disk full"));
    }

    #[test]
    fn rejects_layers_the_backend_lacks() {
        let e = kmer();
        let settings = ModelSettings {
            layers: vec![5],
            ..Default::default()
        };
        let err =
            embed_sequences(&e, &[("a", "MKV")], &settings, |_| Ok(()), |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("0..=2"), "{err}");
    }

    /// A backend that returns NaN for sequences containing 'W': checks output validation.
    struct NanOnW;
    impl Embedder for NanOnW {
        fn name(&self) -> &str {
            "nan-on-w"
        }
        fn dim(&self) -> usize {
            2
        }
        fn num_layers(&self) -> usize {
            1
        }
        fn embed(&self, batch: &[&str], _: &[usize]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
            Ok(batch
                .iter()
                .map(|s| {
                    let x = if s.contains('W') {
                        f32::NAN
                    } else {
                        s.len() as f32
                    };
                    vec![vec![x, 1.0]]
                })
                .collect())
        }
    }

    #[test]
    fn non_finite_output_fails_only_that_sequence() {
        let settings = ModelSettings {
            batch_size: 8,
            ..Default::default()
        };
        let mut got = vec![];
        let s = embed_sequences(
            &NanOnW,
            &[("x", "MKV"), ("y", "MWV"), ("z", "MK")],
            &settings,
            |b| {
                got.extend(b.into_iter().map(|e| (e.id.to_string(), e.vectors[0].1[0])));
                Ok(())
            },
            |_, _| {},
        )
        .unwrap();
        assert_eq!(s.embedded, 2);
        assert_eq!(s.failed.len(), 1);
        assert_eq!(s.failed[0].0, "y");
        assert!(s.failed[0].1.contains("non-finite"), "{:?}", s.failed);
        assert_eq!(got, vec![("x".to_string(), 3.0), ("z".to_string(), 2.0)]);
    }
}
