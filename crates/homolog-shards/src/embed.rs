//! Phase 1 of read clustering: reads -> embeddings -> shards.
//!
//! Reads are embedded in batches (the backend parallelises inside a batch) and written in input
//! order, so the same inputs, model and parameters give the same shards on any machine and
//! thread count.

use std::path::{Path, PathBuf};

use homolog_embed::{Embedder, ModelSettings};
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

/// What `homolog reads embed` asks for: reads -> a DNA read backend -> a shard folder.
#[derive(Debug, Clone)]
pub struct EmbedReadsRequest {
    /// A FASTQ/FASTA file (plain or gzip), a folder of them, or `s3://bucket/prefix`.
    pub input: String,
    /// The shard folder to write.
    pub out: PathBuf,
    /// `dna-kmer`, `dna-lsh`, or `dnabert2=CHECKPOINT_DIR`.
    pub model: String,
    /// Rows per shard file.
    pub shard_rows: usize,
    /// Reads per call to the backend.
    pub batch_size: usize,
    /// k-mer size (the backend's default when `None`).
    pub kmer: Option<usize>,
    /// Output dimension (dna-lsh).
    pub dim: Option<usize>,
    /// Seed of the dna-lsh hyperplanes.
    pub seed: Option<u64>,
}

impl Default for EmbedReadsRequest {
    fn default() -> Self {
        Self {
            input: String::new(),
            out: PathBuf::new(),
            model: "dna-kmer".into(),
            shard_rows: 100_000,
            batch_size: 8192,
            kmer: None,
            dim: None,
            seed: None,
        }
    }
}

/// The DNA read backends ([`EmbedReadsRequest::model`] names one of these).
pub const READ_MODELS: [&str; 3] = ["dna-kmer", "dna-lsh", "dnabert2"];

/// Splits `NAME=PATH` (a checkpoint folder for a language-model backend) from a plain name.
fn split_model(model: &str) -> (&str, Option<&str>) {
    match model.split_once('=') {
        Some((name, path)) => (name, Some(path)),
        None => (model, None),
    }
}

/// Whether `model` (a name, or `NAME=PATH`) names a DNA read backend.
pub fn is_read_model(model: &str) -> bool {
    homolog_embed::registry::resolve(split_model(model).0)
        .is_ok_and(|b| READ_MODELS.contains(&b.name))
}

/// Embeds every read of `request.input` into shards under `request.out` (phase 1 of read
/// clustering). The manifest records the backend with its parameters as resolved (defaults
/// filled in). `progress(done)` is called after each batch.
pub fn embed_reads(
    request: &EmbedReadsRequest,
    progress: impl FnMut(u64),
) -> Result<Manifest, ShardError> {
    let (model, path) = split_model(&request.model);
    if request.shard_rows == 0 {
        return Err(ShardError::Options("--shard-rows must be >= 1".into()));
    }
    let info = homolog_embed::registry::resolve(model)?;
    if !READ_MODELS.contains(&info.name) {
        return Err(ShardError::Options(format!(
            "model {model:?} is not a DNA read backend ({}); protein models embed FASTA files \
             with `homolog embed` and the configuration's `embedding.models`",
            READ_MODELS.join(", ")
        )));
    }
    if info.name == "dnabert2" && path.is_none() {
        return Err(ShardError::Options(
            "--model dnabert2 needs its checkpoint folder: --model dnabert2=/path/to/DNABERT-2-117M"
                .into(),
        ));
    }
    let settings = ModelSettings {
        backend: Some(model.to_string()),
        path: path.map(PathBuf::from),
        k: request.kmer,
        dim: request.dim,
        seed: request.seed,
        ..Default::default()
    };
    let embedder = homolog_embed::registry::build(model, &settings)?;
    let params = match info.name {
        "dna-kmer" => serde_json::json!({
            "k": request.kmer.unwrap_or(homolog_embed::dna_kmer::DnaKmerParams::DEFAULT_K),
        }),
        "dna-lsh" => {
            let d = homolog_embed::dna_kmer::DnaLshParams::default();
            serde_json::json!({
                "k": request.kmer.unwrap_or(d.k),
                "dim": request.dim.unwrap_or(d.dim),
                "seed": request.seed.unwrap_or(d.seed),
            })
        }
        _ => serde_json::json!({ "path": path }),
    };
    let inputs = homolog_reads::inputs(&request.input)?;
    let opts = EmbedOptions {
        rows_per_shard: request.shard_rows,
        batch_size: request.batch_size,
        model: info.name.to_string(),
        params,
        inputs: inputs.iter().map(|i| i.name()).collect(),
    };
    let stream = homolog_reads::ReadStream::from_inputs(inputs);
    embed_to_shards(stream, embedder.as_ref(), &request.out, &opts, progress)
}
