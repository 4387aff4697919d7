//! The predictor's model: k nearest references in embedding space, similarity-weighted mean
//! of their measured values.
//!
//! For a point readout the prediction target (flanked sequence cut to its range) is embedded
//! once; its `k` nearest reference sequences (homolog-search, exact) give weights
//! `w = 1 - d` (cosine, clamped at 0) or `w = 0.5 / (0.5 + d)` (euclidean; FANTASIA's
//! reliability indices) and the prediction is `sum(w v) / sum(w)` (the plain mean if every weight
//! is 0). Track readouts cut the target into bins of `bin_size` bp (the last one shorter) and
//! predict each bin from a window of `window` bp centred on it (clamped to the flanked
//! sequence): one value per bin, `trim_upstream` 0 since bin 0 starts at the range start.
//! Interaction matrices use the same bins: entry `(i, j)` is `max(0, cos(e_i, e_j))` times the
//! mean of the two bins' predictions, a similarity-weighted contact proxy (homolog's own; the
//! reference table holds no contact data).
//!
//! Scales: each table task has a scale. A request for the other scale is converted
//! (`log2(1 + x)` / `2^x - 1`) when every reference value of the task allows it (all > -1 for
//! linear -> log); otherwise values stay in the table's scale and `scale_prediction_actual`
//! says so. The decision depends only on the table, so every worker of a distributor answers
//! the same.

use std::sync::Arc;

use homolog_embed::{EmbedError, Embedder, ModelSettings};
use homolog_game::{
    Formats, GameError, PredictRequest, PredictResponse, Readout, Region, TaskRequest, TaskResult,
    Val,
};
use homolog_search::{search, Metric, RowFilter, SearchParams};

use super::config::{PredictorConfig, TaskMatching, TaskMeta};
use super::table::ReferenceTable;
use crate::error::ServeError;
use homolog_embed::dna_kmer::{DnaKmerEmbedder, DnaKmerParams, KmerWeighting};

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Builds the embedding model named by `settings`.
///
/// `dna-kmer-canonical` is homolog-embed's `dna-kmer` with `sqrt` weights, L2-normalised
/// ([`KmerWeighting::SqrtUnit`]; default k = 5); any other name (`dna-kmer`, the default, with
/// relative frequencies) goes to the registry as it is.
pub fn build_embedder(settings: &ModelSettings) -> Result<Arc<dyn Embedder>, EmbedError> {
    let name = settings
        .backend
        .clone()
        .unwrap_or_else(|| "dna-kmer".into());
    if normalise(&name) != "dnakmercanonical" {
        return homolog_embed::registry::build(&name, settings).map(Arc::from);
    }
    let params = DnaKmerParams {
        k: settings.k.unwrap_or(5),
        weighting: KmerWeighting::SqrtUnit,
    };
    DnaKmerEmbedder::new(params)
        .map(|e| Arc::new(e) as Arc<dyn Embedder>)
        .map_err(|message| EmbedError::InvalidSettings {
            model: name,
            message,
        })
}

/// A ready predictor: reference embeddings, values, and the settings to use them.
pub struct Predictor {
    config: PredictorConfig,
    table: ReferenceTable,
    embedder: Arc<dyn Embedder>,
    layer: usize,
    /// Row-major reference embeddings.
    reference: Vec<f32>,
    /// Per task: whether values can be shown on the other scale.
    convertible: Vec<bool>,
    pool: rayon::ThreadPool,
}

impl std::fmt::Debug for Predictor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Predictor")
            .field("name", &self.config.predictor_name)
            .field("references", &self.table.ids.len())
            .field("tasks", &self.table.tasks.len())
            .field("embedder", &self.embedder.name())
            .finish()
    }
}

fn matches(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Predictor {
    /// Loads the config file, the reference table, and embeds the reference.
    pub fn load(config_path: &std::path::Path) -> Result<Self, ServeError> {
        let cfg = PredictorConfig::load(config_path)?;
        Self::new(cfg)
    }

    /// Builds a predictor from a checked config (its `reference` path as given).
    pub fn new(config: PredictorConfig) -> Result<Self, ServeError> {
        config
            .validate()
            .map_err(|message| ServeError::config("<config>", message))?;
        let table = ReferenceTable::load(&config.reference, &config.tasks)?;
        Self::with_table(config, table)
    }

    /// Builds a predictor from a config and an already loaded table.
    pub fn with_table(config: PredictorConfig, table: ReferenceTable) -> Result<Self, ServeError> {
        let embedder = build_embedder(&config.embedding)?;
        let layer = config.embedding.layers.first().copied().unwrap_or(0);
        let mut builder = rayon::ThreadPoolBuilder::new();
        if config.threads > 0 {
            builder = builder.num_threads(config.threads);
        }
        let pool = builder.build().map_err(|e| {
            ServeError::config(
                "<config>",
                format!("threads: cannot start {} threads: {e}", config.threads),
            )
        })?;
        let seqs: Vec<&str> = table.sequences.iter().map(String::as_str).collect();
        let reference = pool.install(|| embed_flat(embedder.as_ref(), &seqs, layer))?;
        let convertible = table
            .values
            .iter()
            .zip(&table.tasks)
            .map(|(v, t)| t.scale == "log" || v.iter().all(|&x| x > -1.0))
            .collect();
        tracing::info!(
            references = table.ids.len(),
            tasks = table.tasks.len(),
            embedder = embedder.name(),
            dim = embedder.dim(),
            "predictor ready"
        );
        Ok(Predictor {
            config,
            table,
            embedder,
            layer,
            reference,
            convertible,
            pool,
        })
    }

    /// The config in use.
    pub fn config(&self) -> &PredictorConfig {
        &self.config
    }

    /// The reference table in use.
    pub fn table(&self) -> &ReferenceTable {
        &self.table
    }

    /// The `GET /formats` body.
    pub fn formats_body(&self) -> Formats {
        let all: Vec<String> = homolog_game::codec::SUPPORTED_FORMATS
            .iter()
            .map(|s| s.to_string())
            .collect();
        Formats {
            predictor_name: self.config.predictor_name.clone(),
            request_formats: all.clone(),
            response_formats: all,
        }
    }

    /// The `GET /help` body: GAME's help keys from the table, then the config's `help` keys.
    pub fn help_body(&self) -> Val {
        let strs = |f: &dyn Fn(&TaskMeta) -> &str| {
            Val::Array(self.table.tasks.iter().map(|t| Val::from(f(t))).collect())
        };
        let mut entries: Vec<(String, Val)> = vec![
            (
                "predictor_name".into(),
                self.config.predictor_name.clone().into(),
            ),
            (
                "model".into(),
                "homolog k-nearest-reference regression".into(),
            ),
            ("version".into(), env!("CARGO_PKG_VERSION").into()),
            ("features".into(), strs(&|t| &t.task_type)),
            ("cell_types".into(), strs(&|t| &t.cell_type)),
            ("species".into(), strs(&|t| &t.species)),
            ("bin_size".into(), Val::UInt(self.config.bin_size as u64)),
            (
                "expression_strand_specific".into(),
                // Canonical k-mer backends count a word and its reverse complement together.
                Val::Bool(!matches!(
                    self.embedder.name(),
                    "dna-kmer-canonical" | "dna-kmer" | "dna-lsh"
                )),
            ),
            (
                "readouts".into(),
                Val::Array(
                    self.config
                        .readouts
                        .iter()
                        .map(|r| Val::from(r.as_str()))
                        .collect(),
                ),
            ),
            ("embedding".into(), self.embedder.name().into()),
            ("neighbours".into(), Val::UInt(self.config.k as u64)),
            ("references".into(), Val::UInt(self.table.ids.len() as u64)),
        ];
        if self.config.max_sequence_length > 0 {
            entries.push((
                "input_size".into(),
                Val::UInt(self.config.max_sequence_length as u64),
            ));
        }
        for (k, v) in &self.config.help {
            let Some(key) = k.as_str() else { continue };
            let val = yaml_to_val(v);
            match entries.iter_mut().find(|(ek, _)| ek == key) {
                Some(e) => e.1 = val,
                None => entries.push((key.to_string(), val)),
            }
        }
        Val::Object(entries)
    }

    fn pick_task(&self, t: &TaskRequest) -> Result<usize, GameError> {
        let tasks = &self.table.tasks;
        let exact = tasks.iter().position(|m| {
            matches(&m.task_type, &t.task_type)
                && matches(&m.cell_type, &t.cell_type)
                && matches(&m.species, &t.species)
        });
        if let Some(i) = exact {
            return Ok(i);
        }
        if self.config.task_matching == TaskMatching::Exact {
            let have: Vec<String> = tasks
                .iter()
                .map(|m| format!("{}/{}/{}", m.task_type, m.cell_type, m.species))
                .collect();
            return Err(GameError::failed(format!(
                "prediction task '{}': this predictor has no task of type '{}', cell_type '{}', species '{}'; it predicts (type/cell_type/species) {}",
                t.name, t.task_type, t.cell_type, t.species, have.join(", ")
            )));
        }
        let by = |f: &dyn Fn(&TaskMeta) -> bool| tasks.iter().position(f);
        Ok(
            by(&|m| matches(&m.task_type, &t.task_type) && matches(&m.species, &t.species))
                .or_else(|| by(&|m| matches(&m.task_type, &t.task_type)))
                .or_else(|| by(&|m| matches(&m.species, &t.species)))
                .unwrap_or(0),
        )
    }

    /// Answers a validated request (400s are already excluded): 422 for unserved readouts,
    /// bad bases or ranges, over-long targets and unmatched tasks (exact matching); 500 if the
    /// model fails.
    ///
    /// Runs the model on the calling thread (and the predictor's thread pool); the server
    /// calls it through [`GameService::predict`](crate::GameService::predict), which moves it
    /// to tokio's blocking pool.
    pub fn predict_blocking(&self, req: &PredictRequest) -> Result<PredictResponse, GameError> {
        self.check_readout_served(req.readout)?;
        let regions = req.regions()?;
        self.check_target_lengths(&regions)?;
        let picks: Vec<usize> = req
            .tasks
            .iter()
            .map(|t| self.pick_task(t))
            .collect::<Result<_, _>>()?;
        let neighbours = self.neighbours(req.readout, &regions)?;
        let tasks = req
            .tasks
            .iter()
            .zip(&picks)
            .map(|(t, &ti)| self.task_result(req.readout, t, ti, &neighbours))
            .collect();
        Ok(PredictResponse {
            predictor_name: Some(self.config.predictor_name.clone()),
            request: Some("predict".into()),
            bin_size: (req.readout != Readout::Point).then_some(self.config.bin_size as u64),
            tasks,
            extra: Vec::new(),
        })
    }

    /// 422 unless the config serves `readout`.
    fn check_readout_served(&self, readout: Readout) -> Result<(), GameError> {
        if self.config.readouts.iter().any(|r| r == readout.as_str()) {
            return Ok(());
        }
        Err(GameError::failed(format!(
            "readout '{}' is not served by this predictor; it serves {:?}",
            readout.as_str(),
            self.config.readouts
        )))
    }

    /// 422 naming every region whose target exceeds `max_sequence_length` (0: no limit).
    fn check_target_lengths(&self, regions: &[Region]) -> Result<(), GameError> {
        let max = self.config.max_sequence_length;
        if max == 0 {
            return Ok(());
        }
        let long: Vec<String> = regions
            .iter()
            .filter(|r| r.end - r.start > max)
            .map(|r| {
                format!(
                    "sequence '{}': prediction target of {} bp is longer than this predictor's limit of {} bp; cut it with prediction_ranges",
                    r.id,
                    r.end - r.start,
                    max
                )
            })
            .collect();
        if long.is_empty() {
            Ok(())
        } else {
            Err(GameError::many(
                homolog_game::ErrorKind::PredictionRequestFailed,
                long,
            ))
        }
    }

    /// Embeds the windows of `regions` for `readout` and finds their nearest references.
    fn neighbours<'r>(
        &self,
        readout: Readout,
        regions: &'r [Region],
    ) -> Result<Neighbours<'r>, GameError> {
        // Windows to embed: one per region (point) or one per bin.
        let mut windows: Vec<&str> = Vec::new();
        let mut spans: Vec<std::ops::Range<usize>> = Vec::with_capacity(regions.len());
        for r in regions {
            let first = windows.len();
            match readout {
                Readout::Point => windows.push(r.target()),
                Readout::Track | Readout::InteractionMatrix => {
                    for (s, e) in bins(r, self.config.bin_size) {
                        windows.push(window_of(r, s, e, self.config.window));
                    }
                }
            }
            spans.push(first..windows.len());
        }
        let embeddings = self
            .pool
            .install(|| embed_flat(self.embedder.as_ref(), &windows, self.layer))
            .map_err(|e| GameError::server(format!("embedding the request failed: {e}")))?;
        let hits = self.nearest_references(&embeddings)?;
        Ok(Neighbours {
            regions,
            spans,
            embeddings,
            dim: self.embedder.dim(),
            hits,
        })
    }

    /// The `k` nearest references of each embedded window, `(reference, distance)` nearest
    /// first.
    fn nearest_references(&self, embeddings: &[f32]) -> Result<Vec<Vec<(u32, f64)>>, GameError> {
        let dim = self.embedder.dim();
        // The f32 GEMM search finds candidates; their distances are then recomputed exactly in
        // f64 and re-ranked, so a prediction does not depend on which other sequences share
        // its request (a distributor's batches must reproduce one predictor bit for bit).
        let params = SearchParams {
            metric: self.config.metric,
            k: self.config.k + EXTRA_CANDIDATES,
            ..SearchParams::default()
        };
        let candidates = self
            .pool
            .install(|| {
                search(
                    embeddings,
                    &self.reference,
                    dim,
                    &params,
                    &RowFilter::none(),
                )
            })
            .map_err(|e| GameError::server(format!("neighbour search failed: {e}")))?;
        let metric = self.config.metric;
        Ok(candidates
            .iter()
            .enumerate()
            .map(|(w, hs)| {
                let q = &embeddings[w * dim..(w + 1) * dim];
                let mut exact: Vec<(u32, f64)> = hs
                    .iter()
                    .map(|h| {
                        let r = h.reference as usize;
                        (
                            h.reference,
                            exact_distance(metric, q, &self.reference[r * dim..(r + 1) * dim]),
                        )
                    })
                    .collect();
                exact.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                exact.truncate(self.config.k);
                exact
            })
            .collect())
    }

    /// The scale task `t`'s values are given in: the requested one when table task `ti`
    /// allows converting to it, else the table's.
    fn target_scale<'a>(&'a self, t: &'a TaskRequest, ti: usize) -> &'a str {
        let meta = &self.table.tasks[ti];
        match &t.scale {
            Some(s) if *s != meta.scale && self.convertible[ti] => s.as_str(),
            _ => meta.scale.as_str(),
        }
    }

    /// The answer to requested task `t`, predicted from table task `ti`.
    fn task_result(
        &self,
        readout: Readout,
        t: &TaskRequest,
        ti: usize,
        n: &Neighbours<'_>,
    ) -> TaskResult {
        let meta = &self.table.tasks[ti];
        let values = &self.table.values[ti];
        let target_scale = self.target_scale(t, ti);
        let predict_one = |w: usize| -> f64 {
            let raw = weighted_mean(&n.hits[w], values, self.config.metric);
            convert_scale(&meta.scale, target_scale, raw)
        };
        let mut predictions = Vec::with_capacity(n.regions.len());
        for (r, span) in n.regions.iter().zip(&n.spans) {
            let vals: Vec<f64> = span.clone().map(predict_one).collect();
            let value = match readout {
                Readout::Point | Readout::Track => {
                    Val::Array(vals.into_iter().map(Val::Float).collect())
                }
                Readout::InteractionMatrix => interaction_matrix(&vals, n.window_rows(span), n.dim),
            };
            predictions.push((r.id.clone(), value));
        }
        let trim_upstream = (readout == Readout::Track)
            .then(|| n.regions.iter().map(|r| (r.id.clone(), 0u64)).collect());
        let mut extra = Vec::new();
        if readout != Readout::Point {
            extra.push((
                "aggregation".to_string(),
                Val::Object(vec![(
                    "neighbours".into(),
                    "similarity-weighted mean".into(),
                )]),
            ));
        }
        TaskResult {
            name: t.name.clone(),
            type_requested: t.task_type.clone().into(),
            type_actual: vec![meta.task_type.clone()],
            cell_type_requested: t.cell_type.clone().into(),
            cell_type_actual: meta.cell_type.clone().into(),
            species_requested: t.species.clone().into(),
            species_actual: meta.species.clone().into(),
            scale_prediction_requested: t.scale.clone().map(Val::Str),
            scale_prediction_actual: t.scale.as_ref().map(|_| Val::from(target_scale)),
            extra,
            predictions,
            trim_upstream,
        }
    }
}

/// The embedded windows of one request's regions and their nearest references.
struct Neighbours<'r> {
    regions: &'r [Region],
    /// Per region: the indices of its windows.
    spans: Vec<std::ops::Range<usize>>,
    /// Row-major window embeddings.
    embeddings: Vec<f32>,
    dim: usize,
    /// Per window: `(reference, distance)` of its `k` nearest references, nearest first.
    hits: Vec<Vec<(u32, f64)>>,
}

impl Neighbours<'_> {
    /// The embedding rows of the windows in `span`.
    fn window_rows(&self, span: &std::ops::Range<usize>) -> &[f32] {
        &self.embeddings[span.start * self.dim..span.end * self.dim]
    }
}

/// The weight of a neighbour at distance `d`.
fn neighbour_weight(metric: Metric, d: f64) -> f64 {
    match metric {
        Metric::Cosine => (1.0 - d).max(0.0),
        Metric::Euclidean => 0.5 / (0.5 + d),
    }
}

/// The similarity-weighted mean of the neighbours' `values` (the plain mean if every weight is
/// 0; 0 without neighbours).
fn weighted_mean(hits: &[(u32, f64)], values: &[f64], metric: Metric) -> f64 {
    let (mut num, mut den, mut sum) = (0.0, 0.0, 0.0);
    for &(r, d) in hits {
        let v = values[r as usize];
        let wt = neighbour_weight(metric, d);
        num += wt * v;
        den += wt;
        sum += v;
    }
    if den > 0.0 {
        num / den
    } else if !hits.is_empty() {
        sum / hits.len() as f64
    } else {
        0.0
    }
}

/// `x` converted from scale `from` to scale `to` (`linear`/`log`, `log2(1 + x)`).
fn convert_scale(from: &str, to: &str, x: f64) -> f64 {
    match (from, to) {
        ("linear", "log") => (1.0 + x).log2(),
        ("log", "linear") => x.exp2() - 1.0,
        _ => x,
    }
}

/// The contact proxy of bins with predictions `vals` and row-major `dim`-wide embeddings
/// `rows`: entry `(i, j)` is `max(0, cos(e_i, e_j))` times the mean of the two predictions.
fn interaction_matrix(vals: &[f64], rows: &[f32], dim: usize) -> Val {
    let n = vals.len();
    let row = |i: usize| &rows[i * dim..(i + 1) * dim];
    let mut matrix = Vec::with_capacity(n);
    for i in 0..n {
        let mut out = Vec::with_capacity(n);
        for j in 0..n {
            let s = cosine(row(i), row(j)).max(0.0);
            out.push(Val::Float(s * (vals[i] + vals[j]) / 2.0));
        }
        matrix.push(Val::Array(out));
    }
    Val::Array(matrix)
}

/// `[start, end)` of each bin of a region's target.
fn bins(r: &Region, bin: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    (r.start..r.end)
        .step_by(bin)
        .map(move |s| (s, (s + bin).min(r.end)))
}

/// The `window`-bp stretch of the flanked sequence centred on bin `[s, e)` (at least the bin).
fn window_of(r: &Region, s: usize, e: usize, window: usize) -> &str {
    let len = r.flanked.len();
    let w = window.max(e - s).min(len);
    let centre = (s + e) / 2;
    let mut start = centre.saturating_sub(w / 2);
    if start + w > len {
        start = len - w;
    }
    &r.flanked[start..start + w]
}

/// Candidates fetched beyond `k` so that f32 rounding in the search cannot change which `k`
/// neighbours the exact f64 re-ranking keeps.
const EXTRA_CANDIDATES: usize = 4;

/// The distance of `metric` computed in f64 (cosine of a zero vector: distance 1).
fn exact_distance(metric: Metric, q: &[f32], r: &[f32]) -> f64 {
    match metric {
        Metric::Cosine => 1.0 - cosine(q, r),
        Metric::Euclidean => q
            .iter()
            .zip(r)
            .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
            .sum::<f64>()
            .sqrt(),
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        ab += x as f64 * y as f64;
        aa += x as f64 * x as f64;
        bb += y as f64 * y as f64;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}

/// Embeds in batches of 256 and flattens to a row-major matrix.
fn embed_flat(e: &dyn Embedder, seqs: &[&str], layer: usize) -> Result<Vec<f32>, EmbedError> {
    let mut out = Vec::with_capacity(seqs.len() * e.dim());
    for chunk in seqs.chunks(256) {
        for v in e.embed(chunk, &[layer])? {
            out.extend_from_slice(&v[0]);
        }
    }
    Ok(out)
}

fn yaml_to_val(v: &serde_yaml::Value) -> Val {
    match v {
        serde_yaml::Value::Null => Val::Null,
        serde_yaml::Value::Bool(b) => Val::Bool(*b),
        serde_yaml::Value::Number(n) => n
            .as_u64()
            .map(Val::UInt)
            .or_else(|| n.as_i64().map(Val::Int))
            .unwrap_or_else(|| Val::Float(n.as_f64().unwrap_or(0.0))),
        serde_yaml::Value::String(s) => Val::Str(s.clone()),
        serde_yaml::Value::Sequence(items) => Val::Array(items.iter().map(yaml_to_val).collect()),
        serde_yaml::Value::Mapping(m) => Val::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = k
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{k:?}"));
                    (key, yaml_to_val(v))
                })
                .collect(),
        ),
        serde_yaml::Value::Tagged(t) => yaml_to_val(&t.value),
    }
}
