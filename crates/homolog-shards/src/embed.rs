//! Phase 1 of read clustering: reads -> embeddings -> shards.
//!
//! Reads are embedded in batches (the backend parallelises inside a batch) and written in input
//! order, so the same inputs, model and parameters give the same shards on any machine and
//! thread count.

use std::path::Path;

use homolog_embed::Embedder;
use homolog_reads::{Read, ReadsError};

use crate::{gc_fraction, Manifest, ShardError, ShardWriter};

/// Options of [`embed_to_shards`].
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// Rows per shard file.
    pub rows_per_shard: usize,
    /// Reads per call to the backend.
    pub batch_size: usize,
    /// Registry name written to the manifest.
    pub model: String,
    /// Backend parameters written to the manifest.
    pub params: serde_json::Value,
    /// Input names written to the manifest.
    pub inputs: Vec<String>,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        Self {
            rows_per_shard: 100_000,
            batch_size: 8192,
            model: String::new(),
            params: serde_json::Value::Null,
            inputs: Vec::new(),
        }
    }
}

/// Embeds every read of `reads` with `embedder` (layer 0) into shards under `out`.
///
/// `progress(done)` is called after each batch with the number of reads written so far.
pub fn embed_to_shards(
    reads: impl Iterator<Item = Result<Read, ReadsError>>,
    embedder: &dyn Embedder,
    out: &Path,
    opts: &EmbedOptions,
    mut progress: impl FnMut(u64),
) -> Result<Manifest, ShardError> {
    let mut w = ShardWriter::create(
        out,
        &opts.model,
        opts.params.clone(),
        embedder.dim(),
        opts.rows_per_shard,
    )?;
    w.set_inputs(opts.inputs.clone());
    let batch_size = opts.batch_size.max(1);
    let mut batch: Vec<Read> = Vec::with_capacity(batch_size);
    let mut done = 0u64;
    let mut reads = reads.peekable();
    while reads.peek().is_some() {
        batch.clear();
        while batch.len() < batch_size {
            match reads.next() {
                Some(r) => batch.push(r?),
                None => break,
            }
        }
        // Reads hold validated ASCII nucleotides, so this never fails.
        let seqs: Vec<&str> = batch
            .iter()
            .map(|r| std::str::from_utf8(&r.seq).unwrap_or(""))
            .collect();
        let vecs = match embedder.embed(&seqs, &[0]) {
            Ok(v) => v,
            Err(e) => {
                // Name the read: re-embed one by one to find it (rare path).
                for r in &batch {
                    let s = std::str::from_utf8(&r.seq).unwrap_or("");
                    if let Err(e1) = embedder.embed(&[s], &[0]) {
                        return Err(ShardError::Embed {
                            source_name: r.source.to_string(),
                            record: r.record,
                            id: r.id.clone(),
                            message: e1.to_string(),
                        });
                    }
                }
                return Err(ShardError::Embed {
                    source_name: String::new(),
                    record: 0,
                    id: String::new(),
                    message: e.to_string(),
                });
            }
        };
        for (r, v) in batch.iter().zip(&vecs) {
            w.push(
                &r.id,
                &r.source,
                &v[0],
                r.seq.len().min(u32::MAX as usize) as u32,
                gc_fraction(&r.seq),
            )?;
        }
        done += batch.len() as u64;
        progress(done);
    }
    w.finish()
}
