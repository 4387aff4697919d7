//! Sharded runs: shard `i` of `N` of the queries is annotated into a *part* folder, and
//! [`merge`](crate::merge()) gathers the parts into one experiment folder equal to a
//! single-process run's.
//!
//! The split is deterministic and in input order: the `n` usable records of the query file are
//! cut into `N` contiguous, balanced blocks (`[i n / N, (i + 1) n / N)`), so every process that
//! reads the same file and configuration agrees on which queries a shard holds. A queue run
//! picks `N = ceil(n / task_size)`, which keeps every block at most `task_size` records.
//!
//! A part folder `part-<iiiii>-of-<nnnnn>/` holds:
//! - `part.json`: the [`PartManifest`] (shard, the run's [`RunFingerprint`], counts, the
//!   sequences that failed to embed);
//! - `embeddings.h5`: the shard's embeddings in FANTASIA's layout;
//! - `rows.msgpack`: the shard's raw rows, lossless (MessagePack of full-precision values), as
//!   the single-process run holds them in memory before writing any output.
//!
//! Everything a single-process run computes per query (embedding, search, alignment, transfer,
//! collapse) is done in the part; what depends on all queries at once (the query index, which is
//! the position in the run's `embeddings.h5`, the wide summary's header, file order, the TopGO
//! ensemble) is done once by the merge. A part is written into a hidden temporary folder, its
//! files synced, and renamed into place, so it either exists whole or not at all; a rerun of a
//! shard whose part exists (with the same fingerprint) does nothing.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use homolog_annotate::{AlignmentColumns, ExperimentLayout, RawRow};
use homolog_config::Config;
use homolog_seq::fasta::Record;
use serde::{Deserialize, Serialize};

use crate::embed::{embed_records, read_queries};
use crate::run::{lookup_and_annotate, open_lookup, Matrices, RunSummary};
use crate::{PipelineError, Progress};

/// Version of the part folder layout.
pub const PART_FORMAT: u32 = 1;
/// The manifest file of a part folder.
pub const PART_MANIFEST: &str = "part.json";
/// The raw rows of a part folder.
pub const PART_ROWS: &str = "rows.msgpack";

/// Shard `index` (0-based) of `count` contiguous blocks of the queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Shard `index` of `count`; `index` must be below `count`.
    pub fn new(index: usize, count: usize) -> Result<Self, PipelineError> {
        if count == 0 || index >= count {
            return Err(PipelineError::Invalid(format!(
                "shard {index}/{count}: the index counts from 0 and must be below the number of shards (e.g. 0/4 .. 3/4)"
            )));
        }
        Ok(Shard { index, count })
    }

    /// Parses `I/N` (0-based index `I`, e.g. Slurm's `$SLURM_ARRAY_TASK_ID/$N` with
    /// `--array=0-(N-1)`).
    pub fn parse(spec: &str) -> Result<Self, PipelineError> {
        let bad = || {
            PipelineError::Invalid(format!(
                "--shard {spec:?}: expected INDEX/COUNT with a 0-based index, e.g. 0/4"
            ))
        };
        let (i, n) = spec.split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse().map_err(|_| bad())?;
        let n = n.trim().parse().map_err(|_| bad())?;
        Shard::new(i, n)
    }

    /// The number of shards that keeps each at most `task_size` of `records` (at least one).
    pub fn count_for_task_size(records: usize, task_size: usize) -> usize {
        records.div_ceil(task_size.max(1)).max(1)
    }

    /// Indices of this shard's records among `records` usable records.
    pub fn range(&self, records: usize) -> Range<usize> {
        (self.index * records / self.count)..((self.index + 1) * records / self.count)
    }

    /// The part folder's name, `part-<index>-of-<count>` (zero-padded, so names sort by index).
    pub fn part_name(&self) -> String {
        format!("part-{:05}-of-{:05}", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What every part of one run shares: the configuration and the query file. The merge
/// refuses parts whose fingerprints differ, or differ from its own configuration's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFingerprint {
    /// xxh3 of the effective configuration's YAML (`threads` excluded: it does not change
    /// results).
    pub config: String,
    /// xxh3 of the usable query records (id and sequence, in order).
    pub input: String,
    /// Usable query records in the whole file.
    pub records: usize,
    /// Malformed records skipped in the whole file.
    pub skipped: usize,
}

impl RunFingerprint {
    /// The fingerprint of `config` and the query file's usable `records`.
    pub fn new(config: &Config, records: &[Record], skipped: usize) -> Self {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for r in records {
            h.update(r.id.as_bytes());
            h.update(b"\t");
            h.update(r.sequence.as_bytes());
            h.update(b"\n");
        }
        RunFingerprint {
            config: config_hash(config),
            input: format!("{:016x}", h.digest()),
            records: records.len(),
            skipped,
        }
    }
}

/// xxh3 of `config`'s YAML with `threads` set to 0.
pub(crate) fn config_hash(config: &Config) -> String {
    let mut c = config.clone();
    c.threads = 0;
    format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(c.to_yaml().as_bytes())
    )
}

/// What one model's embedding step did in a part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartEmbedding {
    pub model: String,
    pub embedded: usize,
    /// `(id, reason)` of the sequences that could not be embedded.
    pub failed: Vec<(String, String)>,
}

/// `part.json`: what a part holds and which run it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartManifest {
    pub format: u32,
    pub shard: Shard,
    pub fingerprint: RunFingerprint,
    /// Records of this shard.
    pub queries: usize,
    /// First and last query id of the shard (for messages about a missing part).
    pub first_query: Option<String>,
    pub last_query: Option<String>,
    pub embedding: Vec<PartEmbedding>,
    /// Per (model, layer): queries searched and neighbours kept.
    pub lookups: Vec<(String, usize, usize, usize)>,
    pub aligned_pairs: usize,
    pub raw_rows: usize,
    /// The homolog version that wrote the part.
    pub producer: String,
}

impl PartManifest {
    /// Reads `dir/part.json`.
    pub fn read(dir: &Path) -> Result<Self, PipelineError> {
        let path = dir.join(PART_MANIFEST);
        let bytes = std::fs::read(&path).map_err(PipelineError::io(&path))?;
        let manifest: PartManifest = serde_json::from_slice(&bytes).map_err(|e| {
            PipelineError::Invalid(format!(
                "{}: not a homolog part manifest ({e}); was the part written by another version?",
                path.display()
            ))
        })?;
        if manifest.format != PART_FORMAT {
            return Err(PipelineError::Invalid(format!(
                "{}: part format {} (this homolog reads format {PART_FORMAT}); re-run that shard",
                path.display(),
                manifest.format
            )));
        }
        Ok(manifest)
    }
}

/// What [`PartRunner::run`] did.
#[derive(Debug, Clone)]
pub struct PartReport {
    /// The part folder.
    pub path: PathBuf,
    pub manifest: PartManifest,
    /// The part already existed (a re-run or a redelivered task): nothing was computed.
    pub reused: bool,
}

impl fmt::Display for PartReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.manifest;
        writeln!(
            f,
            "part {} ({} queries){}: {}",
            m.shard,
            m.queries,
            if self.reused {
                ", already complete"
            } else {
                ""
            },
            self.path.display()
        )?;
        for e in &m.embedding {
            writeln!(
                f,
                "  {}: {} embedded, {} failed",
                e.model,
                e.embedded,
                e.failed.len()
            )?;
        }
        for (model, layer, q, hits) in &m.lookups {
            writeln!(f, "  {model} layer {layer}: {q} queries, {hits} neighbours")?;
        }
        writeln!(
            f,
            "  {} alignments, {} raw rows",
            m.aligned_pairs, m.raw_rows
        )
    }
}

/// Annotates shards of one configuration into part folders, keeping the reference open between
/// shards (a queue worker runs many).
pub struct PartRunner {
    config: Config,
    reference: homolog_reference::Reference,
    matrices: Matrices,
}

impl PartRunner {
    /// Checks that `config` can be sharded and opens its reference.
    pub fn new(config: &Config) -> Result<Self, PipelineError> {
        check_shardable(config)?;
        let (reference, matrices) = open_lookup(config)?;
        Ok(PartRunner {
            config: config.clone(),
            reference,
            matrices,
        })
    }

    /// The configuration the runner annotates with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Annotates `records` (the shard's records, in input order) into
    /// `parts_dir/<shard.part_name()>`. When that part exists with the same fingerprint, returns
    /// it untouched; with another fingerprint, fails.
    pub fn run(
        &self,
        records: &[Record],
        shard: Shard,
        fingerprint: &RunFingerprint,
        parts_dir: &Path,
        progress: &dyn Progress,
    ) -> Result<PartReport, PipelineError> {
        let dest = parts_dir.join(shard.part_name());
        if let Some(report) = existing_part(&dest, shard, fingerprint)? {
            return Ok(report);
        }
        std::fs::create_dir_all(parts_dir).map_err(PipelineError::io(parts_dir))?;
        let tmp = parts_dir.join(format!(
            ".{}.{}-{:x}.tmp",
            shard.part_name(),
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir(&tmp).map_err(PipelineError::io(&tmp))?;
        let result = self.write_part(records, shard, fingerprint, &tmp, progress);
        let manifest = match result {
            Ok(m) => m,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        sync_path(&tmp)?;
        match std::fs::rename(&tmp, &dest) {
            Ok(()) => {}
            Err(e) => {
                // Another process finished the same shard first: its part stands.
                let _ = std::fs::remove_dir_all(&tmp);
                if let Some(report) = existing_part(&dest, shard, fingerprint)? {
                    return Ok(report);
                }
                return Err(PipelineError::Io {
                    path: dest,
                    source: e,
                });
            }
        }
        sync_path(parts_dir)?;
        Ok(PartReport {
            path: dest,
            manifest,
            reused: false,
        })
    }

    fn write_part(
        &self,
        records: &[Record],
        shard: Shard,
        fingerprint: &RunFingerprint,
        dir: &Path,
        progress: &dyn Progress,
    ) -> Result<PartManifest, PipelineError> {
        let config = &self.config;
        let layout = ExperimentLayout::new(dir);
        let h5 = layout.embeddings();
        let mut summary = RunSummary::default();
        let mut rows = Vec::new();
        let mut embedding = Vec::new();
        if !records.is_empty() {
            let failed = dir.join(crate::embed::FAILED_EMBEDDINGS_FILE);
            let report = embed_records(config, records, &h5, &failed, progress)?;
            embedding = report
                .models
                .into_iter()
                .map(|m| PartEmbedding {
                    model: m.model,
                    embedded: m.embedded + m.reused,
                    failed: m.failed,
                })
                .collect();
            sync_path(&h5)?;
            lookup_and_annotate(
                config,
                &self.reference,
                &self.matrices,
                &h5,
                &layout,
                progress,
                &mut summary,
                Some(&mut rows),
            )?;
        }
        let part_rows: Vec<PartRow> = rows.iter().map(PartRow::from).collect();
        let bytes = rmp_serde::to_vec(&part_rows).map_err(|e| {
            PipelineError::Invalid(format!("encoding the raw rows of part {shard}: {e}"))
        })?;
        homolog_io::write_atomic(dir.join(PART_ROWS), &bytes)?;
        let manifest = PartManifest {
            format: PART_FORMAT,
            shard,
            fingerprint: fingerprint.clone(),
            queries: records.len(),
            first_query: records.first().map(|r| r.id.clone()),
            last_query: records.last().map(|r| r.id.clone()),
            embedding,
            lookups: summary.lookups,
            aligned_pairs: summary.aligned_pairs,
            raw_rows: rows.len(),
            producer: env!("CARGO_PKG_VERSION").to_string(),
        };
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| PipelineError::Invalid(format!("encoding part.json: {e}")))?;
        homolog_io::write_atomic(dir.join(PART_MANIFEST), &json)?;
        Ok(manifest)
    }
}

/// The part at `dest` when it exists and belongs to the same run; an error when it belongs to
/// another.
fn existing_part(
    dest: &Path,
    shard: Shard,
    fingerprint: &RunFingerprint,
) -> Result<Option<PartReport>, PipelineError> {
    if !dest.join(PART_MANIFEST).is_file() {
        return Ok(None);
    }
    let manifest = PartManifest::read(dest)?;
    if manifest.shard != shard || &manifest.fingerprint != fingerprint {
        return Err(PipelineError::Invalid(format!(
            "{} holds a part of another run (different configuration, query file or shard count); \
             remove it or use another parts folder",
            dest.display()
        )));
    }
    tracing::info!("part {shard} already complete in {}", dest.display());
    Ok(Some(PartReport {
        path: dest.to_path_buf(),
        manifest,
        reused: true,
    }))
}

/// Refuses settings whose results depend on all queries at once.
pub fn check_shardable(config: &Config) -> Result<(), PipelineError> {
    if config.redundancy.enabled() {
        return Err(PipelineError::Invalid(
            "redundancy.identity > 0: the redundancy filter clusters all queries together, so a \
             shard's masks would differ from a single run's; run it in one process, or set \
             redundancy.identity: 0 to shard"
                .into(),
        ));
    }
    Ok(())
}

/// Flushes a file or folder to disk (a folder: its entries, so a rename into it is durable).
pub(crate) fn sync_path(path: &Path) -> Result<(), PipelineError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(PipelineError::io(path))
}

/// `homolog run --shard I/N`: reads and checks the whole query file, and annotates shard `I`'s
/// records into `parts_dir`.
pub fn run_shard(
    config: &Config,
    input: Option<&Path>,
    shard: Shard,
    parts_dir: &Path,
    progress: &dyn Progress,
) -> Result<PartReport, PipelineError> {
    check_shardable(config)?;
    let queries = QueryFile::read(config, input)?;
    let range = shard.range(queries.records.len());
    let runner = PartRunner::new(config)?;
    runner.run(
        &queries.records[range],
        shard,
        &queries.fingerprint,
        parts_dir,
        progress,
    )
}

/// The whole query file of a sharded run, read and checked as a single run reads it.
#[derive(Debug, Clone)]
pub struct QueryFile {
    /// Usable records, in file order.
    pub records: Vec<Record>,
    /// Malformed records skipped (`on_invalid: skip`).
    pub skipped: usize,
    pub fingerprint: RunFingerprint,
}

impl QueryFile {
    /// Reads `input` (else the config's `input`).
    pub fn read(config: &Config, input: Option<&Path>) -> Result<Self, PipelineError> {
        let input = input.or(config.input.as_deref()).ok_or_else(|| {
            PipelineError::Invalid(
                "no query file: pass --input FILE or set `input:` in the config".into(),
            )
        })?;
        let queries = read_queries(config, input)?;
        let fingerprint = RunFingerprint::new(config, &queries.records, queries.skipped);
        Ok(QueryFile {
            records: queries.records,
            skipped: queries.skipped,
            fingerprint,
        })
    }
}

/// A [`RawRow`] as a part stores it: every value at full precision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PartRow {
    accession: String,
    model_name: String,
    embedding_type_id: Option<u32>,
    layer_index: u32,
    distance: f64,
    go_id: String,
    category: char,
    evidence_code: Option<String>,
    go_description: Option<String>,
    protein_id: String,
    organism: Option<String>,
    gene_name: Option<String>,
    taxonomy_id: Option<u32>,
    query_idx: Option<u32>,
    ref_idx: Option<u32>,
    query_len: Option<usize>,
    ref_len: Option<usize>,
    sequence_query: Option<String>,
    sequence_reference: Option<String>,
    reliability_index: f64,
    nw: Option<[f64; 5]>,
    sw: Option<[f64; 5]>,
    distance_metric: homolog_search::Metric,
    distance_threshold: Option<f32>,
}

impl From<&RawRow> for PartRow {
    fn from(r: &RawRow) -> Self {
        PartRow {
            accession: r.accession.clone(),
            model_name: r.model_name.clone(),
            embedding_type_id: r.embedding_type_id,
            layer_index: r.layer_index,
            distance: r.distance,
            go_id: r.go_id.clone(),
            category: r.category.code(),
            evidence_code: r.evidence_code.clone(),
            go_description: r.go_description.clone(),
            protein_id: r.protein_id.clone(),
            organism: r.organism.clone(),
            gene_name: r.gene_name.clone(),
            taxonomy_id: r.taxonomy_id,
            query_idx: r.query_idx,
            ref_idx: r.ref_idx,
            query_len: r.query_len,
            ref_len: r.ref_len,
            sequence_query: r.sequence_query.clone(),
            sequence_reference: r.sequence_reference.clone(),
            reliability_index: r.reliability_index,
            nw: r.nw.map(|a| a.values()),
            sw: r.sw.map(|a| a.values()),
            distance_metric: r.distance_metric,
            distance_threshold: r.distance_threshold,
        }
    }
}

impl PartRow {
    pub(crate) fn into_raw(self, part: &Path) -> Result<RawRow, PipelineError> {
        let category =
            homolog_annotate::parse_aspect(&self.category.to_string()).ok_or_else(|| {
                PipelineError::Invalid(format!(
                    "{}: row of {} has aspect {:?}; the part is damaged, re-run that shard",
                    part.display(),
                    self.accession,
                    self.category
                ))
            })?;
        Ok(RawRow {
            accession: self.accession,
            model_name: self.model_name,
            embedding_type_id: self.embedding_type_id,
            layer_index: self.layer_index,
            distance: self.distance,
            go_id: self.go_id,
            category,
            evidence_code: self.evidence_code,
            go_description: self.go_description,
            protein_id: self.protein_id,
            organism: self.organism,
            gene_name: self.gene_name,
            taxonomy_id: self.taxonomy_id,
            query_idx: self.query_idx,
            ref_idx: self.ref_idx,
            query_len: self.query_len,
            ref_len: self.ref_len,
            sequence_query: self.sequence_query,
            sequence_reference: self.sequence_reference,
            reliability_index: self.reliability_index,
            nw: self.nw.map(AlignmentColumns::from_values),
            sw: self.sw.map(AlignmentColumns::from_values),
            distance_metric: self.distance_metric,
            distance_threshold: self.distance_threshold,
        })
    }
}

/// Reads a part's raw rows.
pub(crate) fn read_part_rows(part: &Path) -> Result<Vec<RawRow>, PipelineError> {
    let path = part.join(PART_ROWS);
    let bytes = std::fs::read(&path).map_err(PipelineError::io(&path))?;
    let rows: Vec<PartRow> = rmp_serde::from_slice(&bytes).map_err(|e| {
        PipelineError::Invalid(format!(
            "{}: unreadable rows ({e}); the part is damaged, re-run that shard",
            path.display()
        ))
    })?;
    rows.into_iter().map(|r| r.into_raw(part)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_in_balanced_contiguous_blocks() {
        let ranges: Vec<_> = (0..4)
            .map(|i| Shard::new(i, 4).unwrap().range(10))
            .collect();
        assert_eq!(ranges, [0..2, 2..5, 5..7, 7..10]);
        // Every record in exactly one shard, in order, for any sizes.
        for n in 0..30 {
            for count in 1..8 {
                let mut next = 0;
                for i in 0..count {
                    let r = Shard::new(i, count).unwrap().range(n);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
        assert_eq!(Shard::count_for_task_size(25, 10), 3);
        assert_eq!(Shard::count_for_task_size(0, 10), 1);
        assert!(Shard::new(0, 3).unwrap().range(25).len() <= 10);
        assert_eq!(Shard::parse(" 2/8").unwrap(), Shard { index: 2, count: 8 });
        assert_eq!(
            Shard::new(3, 12).unwrap().part_name(),
            "part-00003-of-00012"
        );
        for bad in ["4/4", "1", "a/2", "0/0", "-1/3"] {
            let err = Shard::parse(bad).unwrap_err().to_string();
            assert!(
                err.contains("0-based") || err.contains("from 0"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn fingerprint_ignores_threads_only() {
        let records = vec![Record {
            id: "Q1".into(),
            sequence: "MKV".into(),
            line: 1,
            ..Default::default()
        }];
        let config = Config::default();
        let a = RunFingerprint::new(&config, &records, 0);
        let mut threads = config.clone();
        threads.threads = 7;
        assert_eq!(a, RunFingerprint::new(&threads, &records, 0));
        let mut k = config.clone();
        k.lookup.limit_per_entry = 2;
        assert_ne!(a.config, RunFingerprint::new(&k, &records, 0).config);
        let mut other = records.clone();
        other[0].sequence.push('A');
        assert_ne!(a.input, RunFingerprint::new(&config, &other, 0).input);
    }
}
