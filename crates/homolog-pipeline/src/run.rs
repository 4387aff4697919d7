//! `run`: queries -> embeddings.h5 -> nearest neighbours -> GO transfer -> experiment folder.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use homolog_annotate::ExperimentLayout;
use homolog_config::Config;
use homolog_embed::h5::FantasiaReader;
use homolog_reference::{OpenOptions, Reference};
use homolog_search::{Hit, RowFilter, SearchParams};

use crate::adapter::ReferenceView;
use crate::embed::{embed_records, read_queries};
use crate::{PipelineError, Progress};

/// Which part of the pipeline to run.
#[derive(Debug, Clone)]
pub enum RunMode {
    /// Embed, look up, annotate.
    Full,
    /// Only write embeddings.h5.
    EmbedOnly,
    /// Look up and annotate from an existing embeddings file.
    LookupOnly { embeddings: PathBuf },
}

/// Options of one run besides the configuration.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Query FASTA; overrides `config.input`.
    pub input: Option<PathBuf>,
    pub mode: RunMode,
    /// Continue the newest unfinished experiment of this prefix.
    pub resume: bool,
}

/// What a run produced.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub experiment: PathBuf,
    pub queries: usize,
    pub skipped_records: usize,
    pub failed_embeddings: usize,
    /// Per (model, layer): queries searched and hits kept.
    pub lookups: Vec<(String, usize, usize, usize)>,
    pub raw_rows: usize,
    /// Rows written to summary.csv (after the output thresholds).
    pub summary_rows: usize,
    /// Predictions dropped by `postprocess.min_score` / `min_reliability`.
    pub dropped_predictions: usize,
    pub aligned_pairs: usize,
    /// (query, reference) pairs masked by the redundancy filter, when it ran.
    pub redundancy_masked: Option<usize>,
    /// What the embedding step did (absent for lookup-only runs).
    pub embedding: Option<crate::EmbedReport>,
    /// Wall time of each stage that ran, in order (seconds): `open reference`, `embed`,
    /// `redundancy` (when the filter is on), `lookup`, `align`, `transfer`, `write raw`, `summary`, `write summary`.
    pub stage_seconds: Vec<(&'static str, f64)>,
}

impl RunSummary {
    /// Runs `f` and records its wall time as stage `name`.
    pub(crate) fn timed<T>(&mut self, name: &'static str, f: impl FnOnce(&mut Self) -> T) -> T {
        let start = std::time::Instant::now();
        let out = f(self);
        self.stage_seconds
            .push((name, start.elapsed().as_secs_f64()));
        out
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "experiment: {}", self.experiment.display())?;
        writeln!(
            f,
            "  queries: {} ({} malformed records skipped, {} failed to embed)",
            self.queries, self.skipped_records, self.failed_embeddings
        )?;
        if let Some(e) = &self.embedding {
            for m in &e.models {
                writeln!(f, "  {}", m.line())?;
            }
            if let Some(list) = &e.failed_list {
                writeln!(f, "  failed sequences listed in {}", list.display())?;
            }
        }
        if let Some(masked) = self.redundancy_masked {
            writeln!(
                f,
                "  redundancy filter: {masked} (query, reference) pairs masked (clusters.tsv)"
            )?;
        }
        for (model, layer, q, hits) in &self.lookups {
            writeln!(f, "  {model} layer {layer}: {q} queries, {hits} neighbours")?;
        }
        if !self.lookups.is_empty() {
            writeln!(
                f,
                "  {} alignments, {} raw rows, {} summary rows",
                self.aligned_pairs, self.raw_rows, self.summary_rows
            )?;
            if self.dropped_predictions > 0 {
                writeln!(
                    f,
                    "  {} predictions below postprocess.min_score/min_reliability not written",
                    self.dropped_predictions
                )?;
            }
        }
        if !self.stage_seconds.is_empty() {
            let stages: Vec<String> = self
                .stage_seconds
                .iter()
                .map(|(name, s)| format!("{name} {s:.1} s"))
                .collect();
            writeln!(f, "  time: {}", stages.join(", "))?;
        }
        Ok(())
    }
}

/// Runs the annotation pipeline into a new (or resumed) experiment folder.
pub fn run(
    config: &Config,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunSummary, PipelineError> {
    // 1. Read and check every input before creating anything.
    let queries = match &options.mode {
        RunMode::Full | RunMode::EmbedOnly => {
            let input = options
                .input
                .as_ref()
                .or(config.input.as_ref())
                .ok_or_else(|| {
                    PipelineError::Invalid(
                        "no query file: pass --input FILE or set `input:` in the config".into(),
                    )
                })?;
            Some(read_queries(config, input)?)
        }
        RunMode::LookupOnly { embeddings } => {
            if !embeddings.is_file() {
                return Err(PipelineError::Invalid(format!(
                    "embeddings file {} does not exist; run `homolog run --only-embedding` or `homolog embed` first",
                    embeddings.display()
                )));
            }
            None
        }
    };
    let mut summary = RunSummary::default();
    let lookup = match options.mode {
        RunMode::EmbedOnly => None,
        _ => Some(summary.timed("open reference", |_| open_lookup(config))?),
    };

    // 2. The experiment folder: written as `.partial` and renamed when complete.
    let partial = experiment_dir(config, options.resume)?;
    std::fs::create_dir_all(&partial).map_err(PipelineError::io(&partial))?;
    let layout = ExperimentLayout::new(&partial);
    homolog_io::write_atomic(layout.experiment_config(), config.to_yaml().as_bytes())?;

    let embeddings = match &options.mode {
        RunMode::LookupOnly { embeddings } => embeddings.clone(),
        _ => {
            let queries = queries.as_ref().expect("read above");
            summary.skipped_records = queries.skipped;
            let h5 = layout.embeddings();
            let failed = partial.join(crate::embed::FAILED_EMBEDDINGS_FILE);
            let report = summary.timed("embed", |_| {
                embed_records(config, &queries.records, &h5, &failed, progress)
            })?;
            summary.failed_embeddings = report.failed();
            summary.embedding = Some(report);
            h5
        }
    };

    if let Some((reference, matrices)) = &lookup {
        lookup_and_annotate(
            config,
            reference,
            matrices,
            &embeddings,
            &layout,
            progress,
            &mut summary,
            None,
        )?;
    } else if let Some(q) = &queries {
        summary.queries = q.records.len();
    }

    // 3. Complete: drop the `.partial` suffix.
    let done = finished_name(&partial);
    if done.exists() {
        return Err(PipelineError::Invalid(format!(
            "{} already exists; not overwriting a finished experiment",
            done.display()
        )));
    }
    std::fs::rename(&partial, &done).map_err(PipelineError::io(&done))?;
    if let Some(report) = summary.embedding.as_mut() {
        if report.failed_list.is_some() {
            report.failed_list = Some(done.join(crate::embed::FAILED_EMBEDDINGS_FILE));
        }
    }
    summary.experiment = done;
    Ok(summary)
}

pub(crate) type Matrices = Vec<(String, usize, u32, homolog_reference::EmbeddingMatrix)>;

/// Opens the reference and every matrix the enabled models need (verifying hashes).
pub(crate) fn open_lookup(config: &Config) -> Result<(Reference, Matrices), PipelineError> {
    // `reference.path` may be a PostgreSQL store: its cached pull is opened (reference_store.rs).
    let reference_dir = crate::reference_store::local_reference(&config.reference.path)?;
    let reference = Reference::open_with(
        &reference_dir,
        OpenOptions {
            verify_hashes: config.lookup.verify_reference,
        },
    )?;
    let mut matrices = Vec::new();
    for (name, settings) in config.enabled_models() {
        let type_id = settings.type_id(name)?;
        for &layer in &settings.layers {
            if reference.matrix_info(name, layer).is_none() {
                let have: Vec<String> = reference
                    .matrices()
                    .iter()
                    .map(|(m, l)| format!("{m} layer {l}"))
                    .collect();
                return Err(PipelineError::Invalid(format!(
                    "the reference {} has no embeddings for model {name} layer {layer} (it has: {}); \
                     enable that model/layer and re-run `homolog initialize`",
                    config.reference.path.display(),
                    if have.is_empty() { "none".to_string() } else { have.join(", ") }
                )));
            }
            let matrix = reference.matrix(name, layer)?;
            matrices.push((name.clone(), layer, type_id, matrix));
        }
    }
    Ok((reference, matrices))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn lookup_and_annotate(
    config: &Config,
    reference: &Reference,
    matrices: &Matrices,
    embeddings: &Path,
    layout: &ExperimentLayout,
    progress: &dyn Progress,
    summary: &mut RunSummary,
    rows_out: Option<&mut Vec<homolog_annotate::RawRow>>,
) -> Result<(), PipelineError> {
    let mut lookup_start = std::time::Instant::now();
    let view = ReferenceView::new(reference, &config.taxonomy)?;
    let filter = RowFilter {
        allowed: view.allowed_rows(),
        excluded_per_query: None,
    };
    let h5 = FantasiaReader::open(embeddings)?;
    let queries: Vec<homolog_embed::h5::QueryEmbeddings> = h5
        .accessions()
        .iter()
        .map(|a| h5.get(a))
        .collect::<Result<_, _>>()?;
    summary.queries = queries.len();

    // FANTASIA's redundancy filter: references in a query's MMseqs2 cluster are masked.
    let redundancy = if config.redundancy.enabled() {
        let mask = summary.timed("redundancy", |_| {
            crate::redundancy::mask(
                &config.redundancy,
                reference,
                &queries,
                layout.root(),
                &layout.clusters(),
            )
        })?;
        summary.redundancy_masked = Some(mask.masked_pairs);
        lookup_start = std::time::Instant::now();
        Some(mask)
    } else {
        None
    };

    // Search every (model, layer); keep hits per query.
    let mut all_hits: Vec<crate::run::LayerHits> = Vec::new();
    for (model, layer, type_id, matrix) in matrices {
        let settings = &config.embedding.models[model];
        // Indices of the queries that have a vector for this (model, layer), and the vectors.
        let mut present = Vec::new();
        let mut flat = Vec::new();
        for (qi, q) in queries.iter().enumerate() {
            match q.vector(*type_id, *layer) {
                Some(v) if v.len() == matrix.dim() => {
                    present.push(qi);
                    flat.extend_from_slice(v);
                }
                Some(v) => {
                    return Err(PipelineError::Invalid(format!(
                        "{}: accession {} has a {}-d vector for {model} layer {layer}, the reference has {}-d; \
                         were they made with the same model settings?",
                        embeddings.display(),
                        q.accession,
                        v.len(),
                        matrix.dim()
                    )))
                }
                None => {
                    tracing::warn!(
                        "{}: {} has no embedding for {model} (type {type_id}) layer {layer}; not annotated with it",
                        embeddings.display(),
                        q.accession
                    );
                }
            }
        }
        let params = SearchParams {
            metric: config.lookup.distance_metric,
            k: config.lookup.limit_per_entry,
            threshold: settings.distance_threshold,
            keep_ties: config.lookup.keep_ties,
            query_chunk: config.lookup.query_chunk,
        };
        let bar = progress.stage(&format!("lookup {model}/{layer}"), present.len() as u64);
        // The search parallelises within a call; calling it per block of queries only gives the
        // progress bar something to show (a block still streams the whole reference once).
        let dim = matrix.dim();
        let mut hits = Vec::with_capacity(present.len());
        for (b, block) in flat.chunks(LOOKUP_PROGRESS_BLOCK * dim.max(1)).enumerate() {
            // The redundancy mask is per query: slice it to this block's queries.
            let block_filter;
            let filter = match &redundancy {
                None => &filter,
                Some(mask) => {
                    let start = b * LOOKUP_PROGRESS_BLOCK;
                    let end = start + block.len() / dim.max(1);
                    block_filter = RowFilter {
                        allowed: filter.allowed.clone(),
                        excluded_per_query: Some(
                            present[start..end]
                                .iter()
                                .map(|&qi| mask.per_query[qi].clone())
                                .collect(),
                        ),
                    };
                    &block_filter
                }
            };
            hits.extend(homolog_search::search(
                block,
                matrix.as_slice(),
                dim,
                &params,
                filter,
            )?);
            bar.inc((block.len() / dim.max(1)) as u64);
        }
        bar.finish();
        let n_hits = hits.iter().map(Vec::len).sum();
        summary
            .lookups
            .push((model.clone(), *layer, present.len(), n_hits));
        let mut per_query: HashMap<usize, Vec<Hit>> = HashMap::new();
        for (i, h) in present.into_iter().zip(hits) {
            per_query.insert(i, h);
        }
        all_hits.push(LayerHits {
            model: model.clone(),
            layer: *layer,
            type_id: *type_id,
            threshold: settings.distance_threshold,
            per_query,
        });
    }

    summary
        .stage_seconds
        .push(("lookup", lookup_start.elapsed().as_secs_f64()));
    crate::run::annotate_and_write(
        config, &view, &queries, &all_hits, layout, progress, summary, rows_out,
    )
}

/// Queries per progress step of the lookup.
const LOOKUP_PROGRESS_BLOCK: usize = 4096;

/// Hits of one (model, layer) lookup, by query index.
pub(crate) struct LayerHits {
    pub model: String,
    pub layer: usize,
    pub type_id: u32,
    pub threshold: Option<f32>,
    pub per_query: HashMap<usize, Vec<Hit>>,
}

/// Builds the raw rows ([`build_rows`]) and writes the outputs ([`write_outputs`]), or, with
/// `rows_out` (a shard's part), hands the rows back instead of writing them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn annotate_and_write(
    config: &Config,
    view: &ReferenceView<'_>,
    queries: &[homolog_embed::h5::QueryEmbeddings],
    hits: &[LayerHits],
    layout: &ExperimentLayout,
    progress: &dyn Progress,
    summary: &mut RunSummary,
    rows_out: Option<&mut Vec<homolog_annotate::RawRow>>,
) -> Result<(), PipelineError> {
    let rows = build_rows(config, view, queries, hits, progress, summary)?;
    match rows_out {
        Some(out) => {
            *out = rows;
            Ok(())
        }
        None => write_outputs(config, &|| view.ontology(), rows, layout, summary),
    }
}

/// Aligns and transfers: the raw rows of `queries` (layer by layer in `hits` order, queries by
/// index within a layer), collapsed to leaf terms when configured. Every row depends on its own
/// query only, so the rows of a subset of the queries equal the full run's rows of that subset
/// (up to `query_idx`, the index in the run's embeddings file).
pub(crate) fn build_rows(
    config: &Config,
    view: &ReferenceView<'_>,
    queries: &[homolog_embed::h5::QueryEmbeddings],
    hits: &[LayerHits],
    progress: &dyn Progress,
    summary: &mut RunSummary,
) -> Result<Vec<homolog_annotate::RawRow>, PipelineError> {
    use homolog_annotate as annotate;
    let post = &config.postprocess;
    let settings = annotate::TransferSettings {
        metric: config.lookup.distance_metric,
        limit_per_entry: config.lookup.limit_per_entry,
        ri: config.lookup.ri_mode,
        alignment: config.lookup.alignment,
        keep_sequences: post.keep_sequences,
        precision: config.lookup.precision,
    };

    // Align every unique (query, neighbour) pair once, in parallel, before building rows.
    // With `lookup.alignment_cache`, features come from (and go to) the persistent SQLite
    // cache; an invalid cache file stops the run with its path and how to fix it.
    let aligner: Box<dyn annotate::PairAligner> = match &config.lookup.alignment_cache {
        Some(path) if config.lookup.alignment => Box::new(
            annotate::CachedAligner::open(path, homolog_align::Scoring::default())
                .map_err(|e| PipelineError::Invalid(e.to_string()))?,
        ),
        _ => Box::new(annotate::MemoAligner::new(homolog_align::Scoring::default())),
    };
    let aligner = &*aligner;
    if config.lookup.alignment {
        let per_query: Vec<(&str, &[Hit])> = hits
            .iter()
            .flat_map(|lh| {
                lh.per_query
                    .iter()
                    .map(|(&qi, h)| (queries[qi].sequence.as_str(), h.as_slice()))
            })
            .collect();
        summary.timed("align", |summary| {
            let pairs = annotate::pairs_for_hits(view, &per_query);
            summary.aligned_pairs = pairs.len();
            let bar = progress.stage("align", pairs.len() as u64);
            annotate::align_pairs(aligner, &pairs);
            bar.inc(pairs.len() as u64);
            bar.finish();
        });
    }

    let transfer_start = std::time::Instant::now();
    let mut rows = Vec::new();
    for lh in hits {
        let model = annotate::ModelLayer {
            model: &lh.model,
            layer: lh.layer as u32,
            embedding_type_id: Some(lh.type_id),
            distance_threshold: lh.threshold,
        };
        let mut order: Vec<&usize> = lh.per_query.keys().collect();
        order.sort();
        for &qi in order {
            let q = &queries[qi];
            let input = annotate::QueryInput {
                id: &q.accession,
                sequence: &q.sequence,
                index: Some(qi as u32),
            };
            rows.extend(annotate::transfer(
                view,
                &input,
                &model,
                &lh.per_query[&qi],
                &settings,
                aligner,
            )?);
        }
    }
    if post.collapse {
        let ontology = view.ontology()?;
        rows = annotate::collapse_to_leaves(rows, &ontology);
    }
    summary.raw_rows = rows.len();
    summary
        .stage_seconds
        .push(("transfer", transfer_start.elapsed().as_secs_f64()));
    Ok(rows)
}

/// Writes the raw CSVs, `summary.csv` and the TopGO files from all raw rows of a run. The
/// summary's wide header spans every query's (model, layer) columns, so this runs once over
/// all rows (after a merge too). `ontology` is only called for `postprocess.score: vote`.
pub(crate) fn write_outputs(
    config: &Config,
    ontology: &dyn Fn() -> Result<homolog_go::obo::Ontology, PipelineError>,
    rows: Vec<homolog_annotate::RawRow>,
    layout: &ExperimentLayout,
    summary: &mut RunSummary,
) -> Result<(), PipelineError> {
    use homolog_annotate as annotate;
    let post = &config.postprocess;
    summary.raw_rows = rows.len();
    summary.timed("write raw", |_| {
        annotate::write_raw_results(
            layout,
            &rows,
            &annotate::RawCsvOptions {
                precision: config.lookup.precision,
                keep_sequences: post.keep_sequences,
            },
        )
    })?;
    let summary_start = std::time::Instant::now();
    let (summary_rows, columns): (_, Vec<String>) = match post.score {
        annotate::ScoreMethod::Fantasia => (
            annotate::summarize(
                &rows,
                config.lookup.limit_per_entry,
                config.lookup.precision,
                &post.summary,
            )?,
            annotate::SummaryPlan::new(&post.summary)?
                .columns()
                .to_vec(),
        ),
        annotate::ScoreMethod::Vote => (
            annotate::summarize_votes(&rows, &ontology()?, &post.vote)?,
            annotate::VOTE_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .collect(),
        ),
    };
    let kept = annotate::apply_output_thresholds(
        &rows,
        summary_rows,
        post.min_score,
        post.min_reliability,
        config.lookup.precision,
    )?;
    if kept.dropped_predictions > 0 {
        tracing::info!(
            "postprocess.min_score/min_reliability: {} of {} predictions dropped from summary.csv and TopGO",
            kept.dropped_predictions,
            kept.dropped_predictions + kept.summary.len()
        );
    }
    summary.summary_rows = kept.summary.len();
    summary.dropped_predictions = kept.dropped_predictions;
    summary
        .stage_seconds
        .push(("summary", summary_start.elapsed().as_secs_f64()));
    let write_start = std::time::Instant::now();
    annotate::write_summary_csv_columns(
        &layout.summary(),
        &kept.summary,
        &columns,
        post.summary_format,
        config.lookup.precision,
    )?;
    if config.lookup.topgo {
        annotate::write_topgo(
            layout,
            kept.topgo_rows.iter().copied(),
            post.topgo_format,
            config.lookup.precision,
        )?;
    }
    summary
        .stage_seconds
        .push(("write summary", write_start.elapsed().as_secs_f64()));
    Ok(())
}

/// A new `<base>/experiments/<prefix>_<YYYYMMDDHHMMSS>.partial`, or with `resume` the newest
/// existing `.partial` of this prefix.
pub(crate) fn experiment_dir(config: &Config, resume: bool) -> Result<PathBuf, PipelineError> {
    let root = config.base_directory.join("experiments");
    if resume {
        let mut partials: Vec<PathBuf> = std::fs::read_dir(&root)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            n.starts_with(&format!("{}_", config.prefix)) && n.ends_with(".partial")
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        partials.sort();
        if let Some(p) = partials.pop() {
            tracing::info!("resuming {}", p.display());
            return Ok(p);
        }
        tracing::info!(
            "--resume: no unfinished experiment of prefix {:?}; starting a new one",
            config.prefix
        );
    }
    let mut stamp = chrono::Local::now().format("%Y%m%d%H%M%S").to_string();
    // Two runs in the same second get distinct folders.
    let mut n = 1;
    while root
        .join(format!("{}_{stamp}.partial", config.prefix))
        .exists()
        || root.join(format!("{}_{stamp}", config.prefix)).exists()
    {
        n += 1;
        stamp = format!("{}-{n}", chrono::Local::now().format("%Y%m%d%H%M%S"));
    }
    Ok(root.join(format!("{}_{stamp}.partial", config.prefix)))
}

pub(crate) fn finished_name(partial: &Path) -> PathBuf {
    let name = partial
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".partial"))
        .expect("experiment folders end in .partial");
    partial.with_file_name(name)
}
