//! The whole export: read everything, stream the release pairs chunk by chunk, write the
//! files, upload when the destination is `s3://`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use homolog_align::{PairFeatures, Scoring};
use homolog_embed::h5::FantasiaReader;
use homolog_features::{EmbeddingPca, PcaError, EMB_PCA_DIM};
use homolog_go::Ontology;
use homolog_pairs::{align_batch, BatchOptions, BatchReport, PairCache};
use homolog_reference::{OpenOptions, Reference};
use homolog_search::Metric;
use homolog_taxonomy::Taxonomy;
use rayon::prelude::*;

use crate::candidates::{
    build_rows, carrier_rows, find_neighbours, CandidateRow, QueryInput, RowContext,
};
use crate::config::{ExportConfig, QuerySource, ResolvedPair, Split};
use crate::manifest::{
    hash_file, FeatureInfo, FileInfo, InputHash, Manifest, PairInfo, PcaInfo, Producer,
    ReferenceInfo, SplitCounts, EVAL_FILE, MANIFEST_FILE, TRAIN_FILE,
};
use crate::output::{ParquetSink, S3Target, S3Upload};
use crate::pool::ReferencePool;
use crate::releases::{
    normalise_protein_id, read_release, CategoryTable, PairTruth, ProteinTruth, Release,
};
use crate::schema::{column_names, schema_digest, SCHEMA_VERSION};
use crate::semantics::{Anc2Vec, IcScratch, IcSimilarity};
use crate::ExportError;

/// What [`export`] did.
#[derive(Debug, Clone)]
pub struct ExportReport {
    /// Where the files went (a folder or `s3://...`).
    pub out: String,
    /// The manifest written.
    pub manifest: Manifest,
    /// Alignment work over the whole export.
    pub alignment: BatchReport,
    /// Wall-clock seconds of the row-building phase (search, alignment, features, Parquet),
    /// the rate's denominator; loading the inputs is excluded.
    pub seconds: f64,
    /// Seconds spent loading the inputs and fitting the PCA.
    pub setup_seconds: f64,
}

impl ExportReport {
    /// Rows written, both splits.
    pub fn rows(&self) -> u64 {
        self.manifest.rows.values().map(|c| c.total).sum()
    }
}

impl std::fmt::Display for ExportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "export: {}", self.out)?;
        for (split, c) in &self.manifest.rows {
            let cats: Vec<String> = c
                .by_category
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            writeln!(
                f,
                "  {split}: {} rows ({}), {} positive",
                c.total,
                if cats.is_empty() {
                    "none".into()
                } else {
                    cats.join(", ")
                },
                c.positives
            )?;
        }
        for p in &self.manifest.release_pairs {
            writeln!(
                f,
                "  {} ({}): {} queries, {} rows; {} proteins without embeddings; unknown GO ids: {} earlier, {} later",
                p.name,
                p.split,
                p.queries,
                p.rows.total,
                p.missing_embeddings,
                p.earlier.unknown_go_ids,
                p.later.unknown_go_ids
            )?;
        }
        let a = &self.alignment;
        writeln!(
            f,
            "  alignments: {} pairs, {} distinct, {} from the cache, {} aligned",
            a.pairs, a.unique, a.cache_hits, a.computed
        )?;
        let rate = if self.seconds > 0.0 {
            self.rows() as f64 / self.seconds
        } else {
            0.0
        };
        write!(
            f,
            "  {:.1} s ({rate:.0} rows/s), plus {:.1} s loading inputs",
            self.seconds, self.setup_seconds
        )
    }
}

/// Settings of [`rows_for_queries`].
#[derive(Debug, Clone)]
pub struct RowSettings {
    /// Neighbours per (query, aspect).
    pub k: usize,
    /// Embedding distance.
    pub metric: Metric,
    /// Skip a query's own reference entry.
    pub exclude_self: bool,
    /// Compute the alignment features.
    pub alignment: bool,
    /// Alignment worker threads (0 = the current rayon pool, 1 = serial).
    pub threads: usize,
}

impl Default for RowSettings {
    fn default() -> Self {
        RowSettings {
            k: crate::config::DEFAULT_K,
            metric: Metric::Cosine,
            exclude_self: true,
            alignment: true,
            threads: 0,
        }
    }
}

/// The rows of a batch of queries, in query order (aspects P, F, C; candidates in vote
/// order): neighbours, alignments (through `cache` when given), features. `truths[i]` is
/// query i's categories and gained terms; `pca` projects the query embeddings.
pub fn rows_for_queries(
    ctx: &RowContext<'_>,
    queries: &[QueryInput],
    truths: &[&ProteinTruth],
    pca: Option<&EmbeddingPca>,
    settings: &RowSettings,
    cache: Option<&PairCache>,
) -> Result<(Vec<CandidateRow>, BatchReport), ExportError> {
    let pool = ctx.pool;
    let neighbours = find_neighbours(
        pool,
        queries,
        settings.k,
        settings.metric,
        settings.exclude_self,
    )?;
    // The (query, carrier) pairs, aligned in one batch through the cache.
    let mut wanted: Vec<(usize, u32)> = Vec::new();
    if settings.alignment {
        for (qi, (n, t)) in neighbours.iter().zip(truths).enumerate() {
            for row in carrier_rows(pool, t, n) {
                if !queries[qi].sequence.is_empty() && !pool.sequence(row).is_empty() {
                    wanted.push((qi, row));
                }
            }
        }
    }
    let seqs: Vec<(&[u8], &[u8])> = wanted
        .iter()
        .map(|&(qi, row)| {
            (
                queries[qi].sequence.as_bytes(),
                pool.sequence(row).as_bytes(),
            )
        })
        .collect();
    let options = BatchOptions {
        scoring: Scoring::default(),
        threads: settings.threads,
        ..BatchOptions::default()
    };
    let (values, report) = if seqs.is_empty() {
        (Vec::new(), BatchReport::default())
    } else {
        align_batch(&seqs, &options, cache, &|_| {}).map_err(|e| match e {
            homolog_pairs::PairsError::Align { index, source, .. } => {
                ExportError::Invalid(format!(
                    "aligning query {} with reference row {}: {source}",
                    queries[wanted[index].0].accession, wanted[index].1
                ))
            }
            other => other.into(),
        })?
    };
    let mut per_query: Vec<HashMap<u32, PairFeatures>> = vec![HashMap::new(); queries.len()];
    for (&(qi, row), v) in wanted.iter().zip(&values) {
        per_query[qi].insert(row, v.features);
    }
    let nan = [f32::NAN; EMB_PCA_DIM];
    let rows: Vec<Vec<CandidateRow>> = queries
        .par_iter()
        .enumerate()
        .map_init(IcScratch::default, |scratch, (qi, q)| {
            let proj = match pca {
                Some(p) => {
                    let mut out = nan;
                    p.project_into(&q.embedding, &mut out)?;
                    out
                }
                None => nan,
            };
            Ok(build_rows(
                ctx,
                q,
                truths[qi],
                &neighbours[qi],
                settings.alignment.then_some(&per_query[qi]),
                &proj,
                scratch,
            ))
        })
        .collect::<Result<_, PcaError>>()?;
    Ok((rows.into_iter().flatten().collect(), report))
}

/// Fits the PCA on the pool (an even stride of at most `max_rows` rows); `None` with a
/// warning when the pool is too small for 16 components.
pub fn fit_pca(pool: &ReferencePool, max_rows: usize) -> Result<Option<EmbeddingPca>, ExportError> {
    let dim = pool.dim();
    let rows = pool.rows();
    let m = pool.matrix();
    let take = rows.min(max_rows.max(1));
    let sample: Vec<f32> = if take == rows {
        m.to_vec()
    } else {
        // Row floor(i * rows / take): deterministic and spread over the whole pool.
        (0..take)
            .flat_map(|i| {
                let r = i * rows / take;
                m[r * dim..(r + 1) * dim].iter().copied()
            })
            .collect()
    };
    match EmbeddingPca::fit(&sample, dim, EMB_PCA_DIM) {
        Ok(p) => Ok(Some(p)),
        Err(PcaError::ComponentCount { rows, dim, .. }) => {
            tracing::warn!(
                "embedding PCA: the reference has {rows} rows of dimension {dim}, fewer than 16 components need; emb_pca_query_* are NaN"
            );
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads `accession<TAB>taxid` lines.
fn read_taxids(path: &Path) -> Result<HashMap<String, i64>, ExportError> {
    let bad = |m: String| ExportError::input(path, m);
    let mut lines = homolog_io::Lines::open(path).map_err(|e| bad(e.to_string()))?;
    let mut out = HashMap::new();
    while let Some((n, line)) = lines.next_line().map_err(|e| bad(e.to_string()))? {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut f = line.split('\t');
        let (Some(acc), Some(tax)) = (f.next(), f.next()) else {
            return Err(bad(format!("line {n}: expected `accession<TAB>taxid`")));
        };
        match homolog_taxonomy::parse_taxid(tax) {
            Some(t) => {
                out.insert(normalise_protein_id(acc).to_string(), t);
            }
            None if n == 1 => {} // a header line
            None => return Err(bad(format!("line {n}: {tax:?} is not a taxid"))),
        }
    }
    Ok(out)
}

/// A query pool: the embeddings file and its accession keys by protein id.
struct QueryPool {
    reader: FantasiaReader,
    key_of: HashMap<String, String>,
    taxids: HashMap<String, i64>,
}

impl QueryPool {
    fn open(source: &QuerySource) -> Result<QueryPool, ExportError> {
        if !source.embeddings.is_file() {
            return Err(ExportError::input(
                &source.embeddings,
                "query embeddings not found; make them with `homolog embed --config <homolog config> -i queries.fasta -o queries.h5` (same model as the reference)",
            ));
        }
        let reader = FantasiaReader::open(&source.embeddings)?;
        let mut key_of = HashMap::new();
        for key in reader.accessions() {
            key_of.insert(key.clone(), key.clone());
            // `sp|P12345|NAME` is stored as `sp_P12345_NAME`: also find it by `P12345`.
            let parts: Vec<&str> = key.splitn(3, '_').collect();
            if parts.len() == 3 && matches!(parts[0], "sp" | "tr") {
                key_of
                    .entry(parts[1].to_string())
                    .or_insert_with(|| key.clone());
            }
        }
        let taxids = match &source.taxonomy {
            Some(p) => read_taxids(p)?,
            None => HashMap::new(),
        };
        Ok(QueryPool {
            reader,
            key_of,
            taxids,
        })
    }

    fn key(&self, protein: &str) -> Option<&String> {
        self.key_of
            .get(protein)
            .or_else(|| self.key_of.get(&homolog_embed::h5::accession_key(protein)))
    }
}

/// Runs the export described by `config` into `out`: a local folder (created if needed) or
/// `s3://bucket/prefix`.
pub fn export(config: &ExportConfig, out: &str) -> Result<ExportReport, ExportError> {
    let threads = config.threads;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| ExportError::Invalid(format!("cannot start {threads} worker threads: {e}")))?;
    pool.install(|| export_inner(config, out))
}

fn export_inner(config: &ExportConfig, out: &str) -> Result<ExportReport, ExportError> {
    let started = Instant::now();
    let target = S3Target::parse(out)?;
    let s3 = match &target {
        Some(t) => {
            let s3 = S3Upload::connect(t)?;
            s3.preflight()?;
            Some(s3)
        }
        None => None,
    };
    // S3: stage locally, upload at the end.
    let staging = match &target {
        Some(_) => {
            Some(tempfile::tempdir().map_err(|e| ExportError::output(std::env::temp_dir(), e))?)
        }
        None => None,
    };
    let out_dir: PathBuf = match &staging {
        Some(t) => t.path().to_path_buf(),
        None => PathBuf::from(out),
    };
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| ExportError::output(&out_dir, format!("cannot create the folder ({e})")))?;

    let mut inputs: Vec<InputHash> = Vec::new();
    let mut add_input = |role: String, path: &Path| -> Result<(), ExportError> {
        if inputs
            .iter()
            .any(|i| i.role == role && Path::new(&i.path) == path)
        {
            return Ok(());
        }
        let (sha256, bytes) = hash_file(path)?;
        inputs.push(InputHash {
            role,
            path: path.display().to_string(),
            bytes,
            sha256,
        });
        Ok(())
    };

    // The reference, its ontology and optional inputs.
    let reference = Reference::open_with(
        &config.reference,
        OpenOptions {
            verify_hashes: true,
        },
    )?;
    add_input(
        "reference_manifest".into(),
        &config.reference.join(homolog_reference::MANIFEST_FILE),
    )?;
    let rpool = ReferencePool::from_reference(&reference, &config.model, config.layer)?;
    let entry = reference
        .matrix_info(&config.model, config.layer)
        .expect("checked by from_reference")
        .clone();
    let onto: Ontology = reference.ontology()?;
    let term_onto: Vec<Option<u32>> = (0..rpool.n_terms() as u32)
        .map(|t| onto.index(rpool.term_id(t)))
        .collect();
    let (own_taxonomy, taxonomy_source) = match &config.taxonomy {
        Some(t) => {
            let mut tax = Taxonomy::from_taxdump(&t.nodes, t.names.as_deref())?;
            add_input("taxonomy_nodes".into(), &t.nodes)?;
            if let Some(m) = &t.merged {
                tax.load_merged(m)?;
                add_input("taxonomy_merged".into(), m)?;
            }
            (Some(tax), Some("config".to_string()))
        }
        None => (None, reference.taxonomy().map(|_| "reference".to_string())),
    };
    let taxonomy = own_taxonomy.as_ref().or(reference.taxonomy());
    let anc2vec = match &config.go_embeddings {
        Some(p) => {
            add_input("go_embeddings".into(), p)?;
            Some(Anc2Vec::load(p)?)
        }
        None => None,
    };
    let ic = match &config.ia {
        Some(p) => {
            add_input("ia".into(), p)?;
            Some(IcSimilarity::load(p, &onto)?)
        }
        None => None,
    };
    let pca = fit_pca(&rpool, config.pca_max_rows)?;
    let cache = match (&config.alignment.cache, config.alignment.enabled) {
        (Some(p), true) => Some(PairCache::open(p)?),
        _ => None,
    };

    // Releases (each read once) and pairs.
    let pairs: Vec<ResolvedPair> = config.resolved_pairs();
    let mut releases: HashMap<(String, Vec<PathBuf>), Release> = HashMap::new();
    let mut get_release = |spec: &crate::config::ReleaseSpec| -> Result<Release, ExportError> {
        let key = (spec.name.clone(), spec.annotations.clone());
        if let Some(r) = releases.get(&key) {
            return Ok(r.clone());
        }
        let r = read_release(spec, &onto, &config.evidence_codes)?;
        releases.insert(key, r.clone());
        Ok(r)
    };
    let mut query_pools: HashMap<PathBuf, QueryPool> = HashMap::new();
    let type_id = entry.embedding_type_id;

    // Read every release, list and query pool before any row is computed, so a bad input
    // stops the export at once.
    struct Prepared {
        earlier: Release,
        later: Release,
        lists: bool,
        truth: PairTruth,
    }
    let mut prepared = Vec::with_capacity(pairs.len());
    for pair in &pairs {
        let earlier = get_release(&pair.earlier)?;
        let later = get_release(&pair.later)?;
        for f in pair.earlier.annotations.iter() {
            add_input(format!("release:{}", pair.earlier.name), f)?;
        }
        for f in pair.later.annotations.iter() {
            add_input(format!("release:{}", pair.later.name), f)?;
        }
        let lists = match &pair.later.categories {
            Some(c) => {
                let table = CategoryTable::read(c)?;
                for f in
                    c.nk.values()
                        .chain(c.lk.values())
                        .chain(c.pk.values())
                        .flatten()
                {
                    add_input(format!("categories:{}", pair.later.name), f)?;
                }
                Some(table)
            }
            None => None,
        };
        let truth = PairTruth::build(&earlier, &later, lists.as_ref(), &onto);
        if !query_pools.contains_key(&pair.queries.embeddings) {
            let qp = QueryPool::open(&pair.queries)?;
            add_input("query_embeddings".into(), &pair.queries.embeddings)?;
            if let Some(t) = &pair.queries.taxonomy {
                add_input("query_taxonomy".into(), t)?;
            }
            query_pools.insert(pair.queries.embeddings.clone(), qp);
        }
        prepared.push(Prepared {
            earlier,
            later,
            lists: lists.is_some(),
            truth,
        });
    }
    let setup_seconds = started.elapsed().as_secs_f64();
    let phase = Instant::now();

    let mut train = ParquetSink::create(&out_dir.join(TRAIN_FILE))?;
    let mut eval = ParquetSink::create(&out_dir.join(EVAL_FILE))?;
    let mut totals: BTreeMap<String, SplitCounts> = BTreeMap::new();
    totals.insert("train".into(), SplitCounts::default());
    totals.insert("eval".into(), SplitCounts::default());
    let mut alignment = BatchReport::default();
    let mut pair_infos = Vec::new();
    let settings = RowSettings {
        k: config.k,
        metric: config.metric,
        exclude_self: config.exclude_self,
        alignment: config.alignment.enabled,
        threads: config.threads,
    };
    for (pair, prep) in pairs.iter().zip(&prepared) {
        let truth = &prep.truth;
        let qpool = &query_pools[&pair.queries.embeddings];
        let mut missing = 0u64;
        let mut members: Vec<(&String, &ProteinTruth, &String)> = Vec::new();
        for (id, t) in &truth.proteins {
            match qpool.key(id) {
                Some(key) => members.push((id, t, key)),
                None => missing += 1,
            }
        }
        if missing > 0 {
            tracing::warn!(
                "pair {}: {missing} of {} proteins have no embedding in {}; they are left out",
                pair.name,
                truth.proteins.len(),
                pair.queries.embeddings.display()
            );
        }
        let skipped_unknown_category = members
            .iter()
            .map(|(_, t, _)| t.category.iter().filter(|c| c.is_none()).count() as u64)
            .sum();
        let ctx = RowContext {
            pool: &rpool,
            onto: &onto,
            term_onto: &term_onto,
            taxonomy,
            anc2vec: anc2vec.as_ref(),
            ic: ic.as_ref(),
            k: config.k,
            release_pair: Arc::from(pair.name.as_str()),
        };
        let mut counts = SplitCounts::default();
        let mut exported = 0u64;
        for (ci, chunk) in members.chunks(config.chunk_queries).enumerate() {
            let mut queries = Vec::with_capacity(chunk.len());
            let mut truths = Vec::with_capacity(chunk.len());
            for (id, t, key) in chunk {
                let q = qpool.reader.get(key)?;
                let Some(v) = q.vector(type_id, config.layer) else {
                    tracing::warn!(
                        "{}: {} has no embedding for {} (type {type_id}) layer {}; left out",
                        pair.queries.embeddings.display(),
                        key,
                        config.model,
                        config.layer
                    );
                    missing += 1;
                    continue;
                };
                queries.push(QueryInput {
                    accession: (*id).clone(),
                    sequence: q.sequence.clone(),
                    embedding: v.to_vec(),
                    taxid: qpool.taxids.get(*id).copied(),
                });
                truths.push(*t);
            }
            let (rows, rep) = rows_for_queries(
                &ctx,
                &queries,
                &truths,
                pca.as_ref(),
                &settings,
                cache.as_ref(),
            )?;
            exported += queries.len() as u64;
            alignment.pairs += rep.pairs;
            alignment.unique += rep.unique;
            alignment.cache_hits += rep.cache_hits;
            alignment.computed += rep.computed;
            for r in &rows {
                counts.total += 1;
                *counts
                    .by_category
                    .entry(r.category.as_str().into())
                    .or_default() += 1;
                if r.label {
                    counts.positives += 1;
                    *counts
                        .positives_by_category
                        .entry(r.category.as_str().into())
                        .or_default() += 1;
                }
            }
            match pair.split {
                Split::Train => train.write_chunk(&rows)?,
                Split::Eval => eval.write_chunk(&rows)?,
            }
            tracing::info!(
                "pair {}: chunk {} ({} queries, {} rows; {} pairs aligned, {} from the cache)",
                pair.name,
                ci + 1,
                queries.len(),
                rows.len(),
                rep.computed,
                rep.cache_hits
            );
        }
        totals
            .get_mut(pair.split.as_str())
            .expect("both splits present")
            .add(&counts);
        pair_infos.push(PairInfo {
            name: pair.name.clone(),
            split: pair.split.as_str().into(),
            earlier: prep.earlier.report.clone(),
            later: prep.later.report.clone(),
            categories_from_lists: prep.lists,
            query_embeddings: pair.queries.embeddings.display().to_string(),
            proteins: truth.proteins.len() as u64,
            missing_embeddings: missing,
            queries: exported,
            skipped_unknown_category,
            rows: counts,
        });
    }

    // Both data files complete before either replaces an older one.
    let train = train.finish()?;
    let eval = eval.finish()?;
    let (train_rows, train_groups) = (train.rows, train.row_groups);
    let (eval_rows, eval_groups) = (eval.rows, eval.row_groups);
    train.commit()?;
    eval.commit()?;
    let seconds = phase.elapsed().as_secs_f64();
    let mut files = BTreeMap::new();
    for (name, rows, row_groups) in [
        (TRAIN_FILE, train_rows, train_groups),
        (EVAL_FILE, eval_rows, eval_groups),
    ] {
        let (sha256, bytes) = hash_file(&out_dir.join(name))?;
        files.insert(
            name.to_string(),
            FileInfo {
                rows,
                row_groups,
                bytes,
                sha256,
            },
        );
    }
    let manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        schema_digest: schema_digest(),
        columns: column_names().into_iter().map(str::to_string).collect(),
        producer: Producer::default(),
        k: config.k,
        model: config.model.clone(),
        layer: config.layer,
        metric: config.metric.as_str().into(),
        exclude_self: config.exclude_self,
        chunk_queries: config.chunk_queries,
        reference: ReferenceInfo {
            path: config.reference.display().to_string(),
            inputs_fingerprint: reference.manifest().inputs_fingerprint.clone(),
            proteins: reference.n_proteins() as u64,
            sequences: reference.n_sequences() as u64,
            matrix_xxh3: entry.xxh3.clone(),
        },
        features: FeatureInfo {
            alignment: config.alignment.enabled,
            taxonomy: taxonomy_source,
            anc2vec_terms: anc2vec.as_ref().map(Anc2Vec::len),
            ontology_similarity: ic.is_some(),
            pca: pca.as_ref().map(|p| PcaInfo {
                rows: p.rows(),
                explained_variance_ratio: p.explained_variance_ratio(),
            }),
        },
        release_pairs: pair_infos,
        rows: totals,
        files,
        inputs,
    };
    homolog_io::write_atomic(out_dir.join(MANIFEST_FILE), manifest.to_json().as_bytes())?;
    let out_name = match (&target, &s3) {
        (Some(t), Some(s3)) => {
            s3.upload(&out_dir, &[TRAIN_FILE, EVAL_FILE, MANIFEST_FILE])?;
            format!("s3://{}/{}", t.bucket, t.prefix)
        }
        _ => out_dir.display().to_string(),
    };
    Ok(ExportReport {
        out: out_name,
        manifest,
        alignment,
        seconds,
        setup_seconds,
    })
}
