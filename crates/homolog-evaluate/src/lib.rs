//! CAFA-style evaluation of GO term predictions against a ground truth.
//!
//! homolog predicts GO terms with a score in [0, 1] for each query protein; this crate measures
//! how good those predictions are the way the CAFA challenges do (protein-centric Fmax, plus
//! information-accretion weighted Fmax and Smin when an IA file is given), so homolog's results
//! can be compared with published numbers. Definitions follow CAFA-evaluator
//! (BioComputingUP/CAFA-evaluator, "cafa" normalisation) and the CAFA assessment tool; see
//! `docs/evaluation.md` for the formulas and the CAFA3 check. `homolog evaluate` is a thin
//! wrapper around [`evaluate_files`] and [`render_table`].
//!
//! # Overview
//!
//! - Inputs: [`Predictions`] (rows of [`Prediction`]: target, term, score in `[0, 1]`;
//!   repeated pairs keep the max score), [`GroundTruth`] (rows of [`TruthEntry`]: target,
//!   term), a [`homolog_go::Ontology`] and [`EvalOptions`] (IA weights, threshold step, default
//!   0.01, namespaces, `keep_roots`, benchmark target list).
//! - Entry points: [`evaluate`] (in-memory inputs, one [`AspectReport`] per namespace),
//!   [`evaluate_detailed`] (the same plus [`InputStats`], counts of dropped inputs, in an
//!   [`Evaluation`]), [`evaluate_files`] (reads the files of an [`EvaluateRequest`]).
//!   An invalid threshold step or an unknown namespace is an [`EvalError::Options`].
//! - Readers (plain or gzip): [`read_predictions`] (CAFA/TSV `target term score`, with or
//!   without `AUTHOR`/`MODEL`/`KEYWORDS`/`END` lines, or homolog's `summary.csv` in the wide or
//!   long layout, scored by `final_score`), [`read_predictions_scored`] (the same with the
//!   `summary.csv` score column chosen, e.g. `final_score_kmer_L0` or `max_ri`; scores above 1
//!   are clipped to 1 and counted),
//!   [`read_ground_truth`] (`target term [aspect]`), [`read_ia`] (`term ia`) and
//!   [`read_target_list`] (one target per line, e.g. CAFA's `lists/bpo_all_type1.txt`).
//! - Output: [`AspectReport`] holds the benchmark size, coverage, Fmax with its threshold,
//!   precision and recall, weighted Fmax and Smin (with IA), and the per-threshold curve
//!   ([`ThresholdPoint`], [`WeightedPoint`]). [`AspectReport::aspect`] is `None` for non-GO
//!   namespaces; [`AspectReport::label`] gives "BPO"/"MFO"/"CCO" or the namespace.
//!   [`render_table`] renders reports as a Markdown table, [`write_curves_tsv`] writes the
//!   curves as TSV.
//! - Baseline: [`NaiveBaseline`], CAFA's naive predictor (every target gets every term of a
//!   reference, scored by the term's frequency there), to compare a method against.
//!
//! # Semantics
//!
//! Per namespace (GO aspect, or any OBO namespace such as IDPO's `disorder_function`):
//! 1. Ground-truth terms are resolved (alt ids -> primary; unknown or obsolete terms dropped
//!    and counted) and propagated up `is_a` + `part_of` within their namespace. The
//!    benchmark is every target with at least one ground-truth term in the namespace
//!    (restricted to [`EvalOptions::targets`] when given).
//! 2. Predictions for benchmark targets are propagated: a term's score is the max of its own
//!    score and those of its predicted descendants. Predictions for other targets are ignored.
//! 3. Root terms (terms without parents in the namespace, e.g. GO:0008150) are dropped from
//!    both sides unless `keep_roots` is set: every protein trivially has them.
//! 4. For each threshold tau in step, 2*step, ..., 1.0: precision is averaged over the
//!    targets with at least one term scored >= tau, recall over all benchmark targets;
//!    F = 2PR/(P+R). Fmax is the max over thresholds where some target is covered (ties go
//!    to the lowest tau).
//! 5. With IA weights, each term counts with its information accretion: weighted precision and
//!    recall give weighted Fmax; remaining uncertainty ru and misinformation mi (IA summed over
//!    false negatives / false positives, averaged over benchmark targets) give
//!    Smin = min over tau of sqrt(ru^2 + mi^2).
//!
//! Reports come GO aspects first (BPO, MFO, CCO), then other namespaces by name.
//!
//! # Examples
//!
//! [`evaluate`] on an in-memory ontology, predictions and ground truth, then [`render_table`]:
//!
//! ```rust
//! use homolog_evaluate::{evaluate, render_table, EvalOptions, GroundTruth, Predictions};
//! use homolog_go::{Aspect, Ontology};
//!
//! let obo = "format-version: 1.2
//!
//! [Term]
//! id: GO:0008150
//! name: biological_process
//! namespace: biological_process
//!
//! [Term]
//! id: GO:0000001
//! name: parent process
//! namespace: biological_process
//! is_a: GO:0008150
//!
//! [Term]
//! id: GO:0000002
//! name: child process
//! namespace: biological_process
//! is_a: GO:0000001
//! ";
//! let onto = Ontology::from_reader(obo.as_bytes(), "mini.obo").unwrap();
//!
//! // P1 is annotated with the child term, P2 with the parent (the root is dropped).
//! let truth: GroundTruth = [("P1", "GO:0000002"), ("P2", "GO:0000001")]
//!     .into_iter()
//!     .collect();
//! // Scores propagate up: P1 gets 0.8 and P2 0.5 on both non-root terms.
//! let preds: Predictions = [("P1", "GO:0000002", 0.8), ("P2", "GO:0000002", 0.5)]
//!     .into_iter()
//!     .collect();
//!
//! let reports = evaluate(&preds, &truth, &onto, &EvalOptions::default()).unwrap();
//! assert_eq!(reports.len(), 1);
//! let bpo = &reports[0];
//! assert_eq!(bpo.aspect, Some(Aspect::BiologicalProcess));
//! assert_eq!(bpo.label(), "BPO");
//! assert_eq!(bpo.n_targets, 2);
//! // At tau <= 0.5: P = (1 + 1/2) / 2 = 0.75, R = 1, so F = 6/7 (the best; lowest tau wins).
//! assert!((bpo.fmax - 6.0 / 7.0).abs() < 1e-9);
//! assert!((bpo.threshold - 0.01).abs() < 1e-9);
//! assert_eq!(bpo.weighted_fmax, None); // no IA weights given
//!
//! let table = render_table(&reports);
//! assert!(table.starts_with("| aspect |"));
//! assert!(table.contains("| BPO "));
//! ```
//!
//! [`evaluate_files`] on small files (what `homolog evaluate` does), with IA weights:
//!
//! ```rust
//! use homolog_evaluate::{evaluate_files, EvaluateRequest};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = |name: &str| dir.path().join(name);
//! std::fs::write(
//!     path("go.obo"),
//!     "[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n\n\
//!      [Term]\nid: GO:0000003\nname: some function\nnamespace: molecular_function\n\
//!      is_a: GO:0003674\n",
//! )
//! .unwrap();
//! std::fs::write(path("truth.tsv"), "P1\tGO:0000003\nP2\tGO:0000003\n").unwrap();
//! std::fs::write(path("preds.tsv"), "P1\tGO:0000003\t0.9\nP3\tGO:0000003\t0.4\n").unwrap();
//! std::fs::write(path("ia.tsv"), "GO:0000003\t2.0\n").unwrap();
//!
//! let mut req = EvaluateRequest::new(path("preds.tsv"), path("truth.tsv"), path("go.obo"));
//! req.ia = Some(path("ia.tsv"));
//! let eval = evaluate_files(&req).unwrap();
//!
//! let mfo = &eval.reports[0];
//! assert_eq!(mfo.label(), "MFO");
//! assert_eq!((mfo.n_targets, mfo.n_predicted), (2, 1));
//! // P1 is right (P = 1), P2 is missed (R = 1/2): F = 2/3.
//! assert!((mfo.fmax - 2.0 / 3.0).abs() < 1e-9);
//! assert!((mfo.weighted_fmax.unwrap() - 2.0 / 3.0).abs() < 1e-9);
//! // P2's missed term has IA 2, averaged over 2 targets: ru = 1, mi = 0.
//! assert!((mfo.smin.unwrap() - 1.0).abs() < 1e-9);
//! // P3 has no ground truth, so its prediction is not in the benchmark.
//! assert_eq!(eval.stats.predictions_not_in_benchmark, 1);
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use homolog_go::{Aspect, GoError, Ontology};

mod io;
mod naive;
mod report;

pub use io::{
    read_ground_truth, read_ia, read_predictions, read_predictions_scored, read_target_list,
    PredictionFile,
};
pub use naive::NaiveBaseline;
pub use report::{render_table, write_curves_tsv};

/// Errors from reading evaluation inputs or from invalid options.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Go(#[from] GoError),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid evaluation options: {0}")]
    Options(String),
    /// Reading or atomically writing a file failed (homolog-io names the file and the fix).
    #[error(transparent)]
    File(#[from] homolog_io::Error),
}

/// One predicted (target, term, score).
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub target: String,
    pub term: String,
    pub score: f64,
}

/// A set of predictions. Repeated (target, term) pairs are allowed: the max score counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Predictions {
    pub rows: Vec<Prediction>,
}

impl Predictions {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, target: impl Into<String>, term: impl Into<String>, score: f64) {
        self.rows.push(Prediction {
            target: target.into(),
            term: term.into(),
            score,
        });
    }
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl<T: Into<String>, U: Into<String>> FromIterator<(T, U, f64)> for Predictions {
    fn from_iter<I: IntoIterator<Item = (T, U, f64)>>(iter: I) -> Self {
        let mut p = Predictions::new();
        for (t, u, s) in iter {
            p.push(t, u, s);
        }
        p
    }
}

/// One ground-truth (target, term) pair; `aspect` is the optional third column, kept as read
/// (the namespace used for scoring always comes from the ontology).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthEntry {
    pub target: String,
    pub term: String,
    pub aspect: Option<String>,
}

/// The ground truth (usually leaf terms only; it is propagated before scoring).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroundTruth {
    pub rows: Vec<TruthEntry>,
}

impl GroundTruth {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, target: impl Into<String>, term: impl Into<String>) {
        self.rows.push(TruthEntry {
            target: target.into(),
            term: term.into(),
            aspect: None,
        });
    }
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl<T: Into<String>, U: Into<String>> FromIterator<(T, U)> for GroundTruth {
    fn from_iter<I: IntoIterator<Item = (T, U)>>(iter: I) -> Self {
        let mut g = GroundTruth::new();
        for (t, u) in iter {
            g.push(t, u);
        }
        g
    }
}

/// Evaluation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// Information accretion per term id; enables weighted Fmax and Smin.
    pub ia: Option<HashMap<String, f64>>,
    /// Threshold step: thresholds are step, 2*step, ..., up to 1.0. Must be in (0, 1].
    pub threshold_step: f64,
    /// Namespaces to evaluate (any aspect spelling like "BPO"/"P", or an OBO namespace name);
    /// empty = every namespace that has ground truth.
    pub aspects: Vec<String>,
    /// Keep root terms (terms without parents in their namespace) in the evaluation.
    /// CAFA drops them (default false); CAFA-evaluator keeps them unless `-no_orphans`.
    pub keep_roots: bool,
    /// Restrict the benchmark to these targets (a CAFA benchmark list such as
    /// `bpo_all_type1.txt`); `None` = every target in the ground truth.
    pub targets: Option<HashSet<String>>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            ia: None,
            threshold_step: 0.01,
            aspects: Vec::new(),
            keep_roots: false,
            targets: None,
        }
    }
}

/// Metrics at one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdPoint {
    pub tau: f64,
    /// Benchmark targets with at least one (non-root) term scored >= tau.
    pub n_covered: usize,
    pub coverage: f64,
    pub precision: f64,
    pub recall: f64,
    pub f: f64,
    /// IA-weighted precision, recall, F, remaining uncertainty, misinformation and S
    /// (present when IA weights were given).
    pub weighted: Option<WeightedPoint>,
}

/// IA-weighted metrics at one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedPoint {
    /// Targets with at least one predicted term of positive IA at this threshold.
    pub n_covered: usize,
    pub precision: f64,
    pub recall: f64,
    pub f: f64,
    pub ru: f64,
    pub mi: f64,
    pub s: f64,
}

/// Results for one namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct AspectReport {
    /// The GO aspect, when the namespace is one.
    pub aspect: Option<Aspect>,
    /// OBO namespace, e.g. "biological_process" or "disorder_function".
    pub namespace: String,
    /// Benchmark size: targets with ground truth in this namespace.
    pub n_targets: usize,
    /// Benchmark targets with at least one prediction at the lowest threshold.
    pub n_predicted: usize,
    /// `n_predicted / n_targets`.
    pub coverage: f64,
    pub fmax: f64,
    /// Threshold at Fmax (0 when nothing is covered at any threshold).
    pub threshold: f64,
    /// Precision and recall at Fmax.
    pub precision: f64,
    pub recall: f64,
    pub weighted_fmax: Option<f64>,
    pub weighted_threshold: Option<f64>,
    pub smin: Option<f64>,
    pub smin_threshold: Option<f64>,
    /// All thresholds, ascending.
    pub curve: Vec<ThresholdPoint>,
}

impl AspectReport {
    /// "BPO"/"MFO"/"CCO" for GO aspects, otherwise the namespace.
    pub fn label(&self) -> &str {
        match self.aspect {
            Some(a) => a.short(),
            None => &self.namespace,
        }
    }
}

/// Counts of inputs that did not take part in the evaluation, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputStats {
    /// Ground-truth rows whose term is not in the ontology (not even as an alt id).
    pub truth_unknown_terms: usize,
    /// Ground-truth rows whose term is obsolete in the ontology.
    pub truth_obsolete_terms: usize,
    /// Ground-truth rows given with an alt id and mapped to the primary id.
    pub truth_alt_ids: usize,
    /// Ground-truth rows in namespaces not selected by `EvalOptions::aspects`.
    pub truth_other_namespaces: usize,
    /// Ground-truth rows for targets outside `EvalOptions::targets`.
    pub truth_other_targets: usize,
    /// Prediction rows whose term is unknown or obsolete.
    pub predictions_unknown_terms: usize,
    /// Prediction rows for targets that have no ground truth in the term's namespace.
    pub predictions_not_in_benchmark: usize,
    /// Prediction rows given with an alt id and mapped to the primary id.
    pub predictions_alt_ids: usize,
    /// `summary.csv` score values above 1 clipped to 1 (see [`read_predictions_scored`]).
    pub predictions_clipped: usize,
}

/// Reports plus input bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub reports: Vec<AspectReport>,
    pub stats: InputStats,
}

/// File inputs for [`evaluate_files`] (what `homolog evaluate` takes).
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluateRequest {
    pub predictions: PathBuf,
    pub ground_truth: PathBuf,
    pub ontology: PathBuf,
    pub ia: Option<PathBuf>,
    pub aspects: Vec<String>,
    pub threshold_step: f64,
    pub keep_roots: bool,
    /// A file with one target id per line restricting the benchmark (CAFA `lists/*.txt`).
    pub benchmark_list: Option<PathBuf>,
    /// The `summary.csv` score column (`None` = `final_score`); see
    /// [`read_predictions_scored`].
    pub score: Option<String>,
}

impl EvaluateRequest {
    /// A request with the default options (step 0.01, all namespaces, roots dropped, no IA).
    pub fn new(
        predictions: impl Into<PathBuf>,
        ground_truth: impl Into<PathBuf>,
        ontology: impl Into<PathBuf>,
    ) -> Self {
        EvaluateRequest {
            predictions: predictions.into(),
            ground_truth: ground_truth.into(),
            ontology: ontology.into(),
            ia: None,
            aspects: Vec::new(),
            threshold_step: 0.01,
            keep_roots: false,
            benchmark_list: None,
            score: None,
        }
    }
}

/// Reads the ontology, ground truth, predictions and optional IA file and evaluates.
pub fn evaluate_files(req: &EvaluateRequest) -> Result<Evaluation, EvalError> {
    let onto = Ontology::from_path(&req.ontology)?;
    let truth = read_ground_truth(&req.ground_truth)?;
    let file = read_predictions_scored(&req.predictions, req.score.as_deref())?;
    let ia = req.ia.as_deref().map(read_ia).transpose()?;
    let opts = EvalOptions {
        ia,
        threshold_step: req.threshold_step,
        aspects: req.aspects.clone(),
        keep_roots: req.keep_roots,
        targets: req
            .benchmark_list
            .as_deref()
            .map(read_target_list)
            .transpose()?,
    };
    let mut evaluation = evaluate_detailed(&file.predictions, &truth, &onto, &opts)?;
    evaluation.stats.predictions_clipped = file.clipped;
    Ok(evaluation)
}

/// Evaluates predictions against the ground truth; one report per namespace, GO aspects
/// first in BPO, MFO, CCO order, then other namespaces by name.
pub fn evaluate(
    preds: &Predictions,
    truth: &GroundTruth,
    onto: &Ontology,
    opts: &EvalOptions,
) -> Result<Vec<AspectReport>, EvalError> {
    evaluate_detailed(preds, truth, onto, opts).map(|e| e.reports)
}

/// The thresholds for a step: k/N for k = 1..=N when 1/step is (nearly) an integer N, so a
/// score written as "0.07" passes the threshold 0.07 exactly; otherwise k*step up to 1.
fn thresholds(step: f64) -> Result<Vec<f64>, EvalError> {
    if !(step.is_finite() && step > 0.0 && step <= 1.0) {
        return Err(EvalError::Options(format!(
            "threshold step {step} must be in (0, 1], e.g. 0.01"
        )));
    }
    let n = (1.0 / step).round();
    if n > 1_000_000.0 {
        return Err(EvalError::Options(format!(
            "threshold step {step} gives more than a million thresholds; use >= 1e-6"
        )));
    }
    if ((1.0 / step) - n).abs() < 1e-6 {
        let n = n as u32;
        Ok((1..=n).map(|k| f64::from(k) / f64::from(n)).collect())
    } else {
        let mut v = Vec::new();
        let mut k = 1u32;
        while f64::from(k) * step <= 1.0 + 1e-12 {
            v.push(f64::from(k) * step);
            k += 1;
        }
        Ok(v)
    }
}

/// Per-target scored terms of one namespace, sorted by score descending, with prefix sums.
struct TargetCurve {
    /// Scores, descending.
    scores: Vec<f64>,
    /// Prefix sums over the sorted terms: true positives, IA of predicted, IA of true
    /// positives. Index k = sum over the first k terms.
    tp: Vec<u32>,
    w_pred: Vec<f64>,
    w_tp: Vec<f64>,
    n_gt: usize,
    w_gt: f64,
}

/// Like [`evaluate`], also returning counts of dropped inputs.
pub fn evaluate_detailed(
    preds: &Predictions,
    truth: &GroundTruth,
    onto: &Ontology,
    opts: &EvalOptions,
) -> Result<Evaluation, EvalError> {
    let taus = thresholds(opts.threshold_step)?;
    let mut stats = InputStats::default();
    let spaces = Namespaces::of(onto);
    let selected = spaces.selected(&opts.aspects, onto)?;
    let is_root = spaces.roots(onto);
    let in_eval = |i: u32, ns: u16| {
        spaces.ns_of[i as usize] == ns && (opts.keep_roots || !is_root[i as usize])
    };
    let weights = ia_weights(opts, onto);
    let gt = propagate_truth(truth, onto, opts, &spaces.ns_of, &selected, &mut stats);
    let pr = propagate_predictions(preds, onto, &spaces.ns_of, &gt, &mut stats);

    let mut reports = Vec::new();
    for (&ns, targets) in &gt {
        let empty = HashMap::new();
        let ns_preds = pr.get(&ns).unwrap_or(&empty);
        let curves: Vec<TargetCurve> = targets
            .iter()
            .map(|(target, gt_terms)| {
                let gt_terms: Vec<u32> = gt_terms
                    .iter()
                    .copied()
                    .filter(|&t| in_eval(t, ns))
                    .collect();
                let scored: Vec<(f64, u32)> = ns_preds
                    .get(target)
                    .map(|m| {
                        m.iter()
                            .filter(|(&t, _)| in_eval(t, ns))
                            .map(|(&t, &s)| (s, t))
                            .collect()
                    })
                    .unwrap_or_default();
                TargetCurve::new(&gt_terms, scored, weights.as_deref())
            })
            .collect();
        reports.push(score_namespace(
            &spaces.names[ns as usize],
            &curves,
            &taus,
            weights.is_some(),
        ));
    }
    sort_reports(&mut reports);
    Ok(Evaluation { reports, stats })
}

/// Namespace id of obsolete terms, which are outside every namespace.
const NO_NAMESPACE: u16 = u16::MAX;

/// The ontology's namespaces, numbered in order of first appearance.
struct Namespaces {
    /// Namespace names by id.
    names: Vec<String>,
    /// Namespace id per term index ([`NO_NAMESPACE`] for obsolete terms).
    ns_of: Vec<u16>,
}

impl Namespaces {
    /// Numbers the namespaces of `onto`'s live terms.
    fn of(onto: &Ontology) -> Namespaces {
        let mut names: Vec<String> = Vec::new();
        let mut ids: HashMap<&str, u16> = HashMap::new();
        let mut ns_of: Vec<u16> = Vec::with_capacity(onto.len());
        for t in onto.terms() {
            if t.obsolete {
                ns_of.push(NO_NAMESPACE);
                continue;
            }
            let next = ids.len() as u16;
            let id = *ids.entry(t.namespace.as_str()).or_insert_with(|| {
                names.push(t.namespace.clone());
                next
            });
            ns_of.push(id);
        }
        Namespaces { names, ns_of }
    }

    /// Per namespace id, whether `aspects` selects it (empty: all); an error names an unknown
    /// one.
    fn selected(&self, aspects: &[String], onto: &Ontology) -> Result<Vec<bool>, EvalError> {
        let mut selected = vec![aspects.is_empty(); self.names.len()];
        for want in aspects {
            let ns = Aspect::parse(want)
                .map(|a| a.namespace().to_string())
                .unwrap_or_else(|| want.clone());
            match self.names.iter().position(|n| *n == ns) {
                Some(i) => selected[i] = true,
                None => {
                    return Err(EvalError::Options(format!(
                        "namespace {want:?} is not in the ontology {} (it has: {})",
                        onto.source().display(),
                        self.names.join(", ")
                    )))
                }
            }
        }
        Ok(selected)
    }

    /// Per term index, whether it is a root: a live term with no parent in its namespace.
    fn roots(&self, onto: &Ontology) -> Vec<bool> {
        (0..onto.len() as u32)
            .map(|i| {
                let ns = self.ns_of[i as usize];
                ns != NO_NAMESPACE
                    && !onto
                        .parents_idx(i)
                        .iter()
                        .any(|&p| self.ns_of[p as usize] == ns)
            })
            .collect()
    }
}

/// Per term index, its information accretion (0 when absent, non-finite or negative), when
/// IA weights were given.
fn ia_weights(opts: &EvalOptions, onto: &Ontology) -> Option<Vec<f64>> {
    opts.ia.as_ref().map(|ia| {
        onto.terms()
            .iter()
            .map(|t| {
                ia.get(&t.id)
                    .copied()
                    .filter(|w| w.is_finite() && *w > 0.0)
                    .unwrap_or(0.0)
            })
            .collect()
    })
}

/// The benchmark: namespace -> target -> sorted propagated ground-truth term indices;
/// counts the rows left out in `stats`.
fn propagate_truth<'t>(
    truth: &'t GroundTruth,
    onto: &Ontology,
    opts: &EvalOptions,
    ns_of: &[u16],
    selected: &[bool],
    stats: &mut InputStats,
) -> BTreeMap<u16, BTreeMap<&'t str, Vec<u32>>> {
    let mut gt: BTreeMap<u16, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    for e in &truth.rows {
        if opts
            .targets
            .as_ref()
            .is_some_and(|t| !t.contains(&e.target))
        {
            stats.truth_other_targets += 1;
            continue;
        }
        let Some(i) = onto.index(&e.term) else {
            stats.truth_unknown_terms += 1;
            continue;
        };
        let ns = ns_of[i as usize];
        if ns == NO_NAMESPACE {
            stats.truth_obsolete_terms += 1;
            continue;
        }
        if !selected[ns as usize] {
            stats.truth_other_namespaces += 1;
            continue;
        }
        if onto.id_at(i) != e.term {
            stats.truth_alt_ids += 1;
        }
        let set = gt
            .entry(ns)
            .or_default()
            .entry(e.target.as_str())
            .or_default();
        set.push(i);
        set.extend(
            onto.ancestors_idx(i)
                .iter()
                .filter(|&&a| ns_of[a as usize] == ns),
        );
    }
    for targets in gt.values_mut() {
        for set in targets.values_mut() {
            set.sort_unstable();
            set.dedup();
        }
    }
    gt
}

/// Predictions for benchmark targets: namespace -> target -> term index -> max propagated
/// score; counts the rows left out in `stats`.
fn propagate_predictions<'p>(
    preds: &'p Predictions,
    onto: &Ontology,
    ns_of: &[u16],
    gt: &BTreeMap<u16, BTreeMap<&str, Vec<u32>>>,
    stats: &mut InputStats,
) -> HashMap<u16, HashMap<&'p str, HashMap<u32, f64>>> {
    let mut pr: HashMap<u16, HashMap<&str, HashMap<u32, f64>>> = HashMap::new();
    for p in &preds.rows {
        let Some(i) = onto.index(&p.term) else {
            stats.predictions_unknown_terms += 1;
            continue;
        };
        let ns = ns_of[i as usize];
        if ns == NO_NAMESPACE {
            stats.predictions_unknown_terms += 1;
            continue;
        }
        if !gt
            .get(&ns)
            .is_some_and(|t| t.contains_key(p.target.as_str()))
        {
            stats.predictions_not_in_benchmark += 1;
            continue;
        }
        if onto.id_at(i) != p.term {
            stats.predictions_alt_ids += 1;
        }
        let m = pr
            .entry(ns)
            .or_default()
            .entry(p.target.as_str())
            .or_default();
        for t in std::iter::once(i).chain(onto.ancestors_idx(i).iter().copied()) {
            if ns_of[t as usize] == ns {
                let s = m.entry(t).or_insert(p.score);
                if p.score > *s {
                    *s = p.score;
                }
            }
        }
    }
    pr
}

impl TargetCurve {
    /// The curve of one target from its sorted ground-truth terms `gt_terms` and its
    /// `(score, term)` predictions, terms weighted by `weights` (0 without).
    fn new(gt_terms: &[u32], mut scored: Vec<(f64, u32)>, weights: Option<&[f64]>) -> TargetCurve {
        let w = |t: u32| weights.map_or(0.0, |w| w[t as usize]);
        // Descending score, then term index, for a deterministic order.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut c = TargetCurve {
            scores: Vec::with_capacity(scored.len()),
            tp: vec![0],
            w_pred: vec![0.0],
            w_tp: vec![0.0],
            n_gt: gt_terms.len(),
            w_gt: gt_terms.iter().map(|&t| w(t)).sum(),
        };
        for (s, t) in scored {
            let hit = gt_terms.binary_search(&t).is_ok();
            c.scores.push(s);
            c.tp.push(c.tp.last().copied().unwrap_or(0) + u32::from(hit));
            c.w_pred
                .push(c.w_pred.last().copied().unwrap_or(0.0) + w(t));
            c.w_tp
                .push(c.w_tp.last().copied().unwrap_or(0.0) + if hit { w(t) } else { 0.0 });
        }
        c
    }
}

/// Orders reports GO aspects first (BPO, MFO, CCO), then other namespaces by name.
fn sort_reports(reports: &mut [AspectReport]) {
    reports.sort_by(|a, b| {
        let key = |r: &AspectReport| {
            (
                r.aspect
                    .map_or(3, |a| Aspect::ALL.iter().position(|x| *x == a).unwrap_or(3)),
                r.namespace.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
}

fn score_namespace(
    namespace: &str,
    curves: &[TargetCurve],
    taus: &[f64],
    weighted: bool,
) -> AspectReport {
    let ne = curves.len();
    let nef = ne as f64;
    let mut curve = Vec::with_capacity(taus.len());
    for &tau in taus {
        let (mut n, mut sum_p, mut sum_r) = (0usize, 0.0f64, 0.0f64);
        let (mut wn, mut sum_wp, mut sum_wr, mut ru, mut mi) = (0usize, 0.0, 0.0, 0.0, 0.0);
        for c in curves {
            let k = c.scores.partition_point(|&s| s >= tau);
            let tp = f64::from(c.tp[k]);
            if k > 0 {
                n += 1;
                sum_p += tp / k as f64;
            }
            if c.n_gt > 0 {
                sum_r += tp / c.n_gt as f64;
            }
            if weighted {
                let (wp, wtp) = (c.w_pred[k], c.w_tp[k]);
                if wp > 0.0 {
                    wn += 1;
                    sum_wp += wtp / wp;
                }
                if c.w_gt > 0.0 {
                    sum_wr += wtp / c.w_gt;
                }
                ru += c.w_gt - wtp;
                mi += wp - wtp;
            }
        }
        let precision = if n > 0 { sum_p / n as f64 } else { 0.0 };
        let recall = if ne > 0 { sum_r / nef } else { 0.0 };
        let weighted = weighted.then(|| {
            let precision = if wn > 0 { sum_wp / wn as f64 } else { 0.0 };
            let recall = if ne > 0 { sum_wr / nef } else { 0.0 };
            let (ru, mi) = if ne > 0 {
                (ru / nef, mi / nef)
            } else {
                (0.0, 0.0)
            };
            WeightedPoint {
                n_covered: wn,
                precision,
                recall,
                f: f_measure(precision, recall),
                ru,
                mi,
                s: (ru * ru + mi * mi).sqrt(),
            }
        });
        curve.push(ThresholdPoint {
            tau,
            n_covered: n,
            coverage: if ne > 0 { n as f64 / nef } else { 0.0 },
            precision,
            recall,
            f: f_measure(precision, recall),
            weighted,
        });
    }
    // Best points among thresholds where at least one target is covered; first wins ties.
    let covered = || curve.iter().filter(|p| p.n_covered > 0);
    let best_f = covered().fold(None::<&ThresholdPoint>, |best, p| match best {
        Some(b) if b.f >= p.f => Some(b),
        _ => Some(p),
    });
    let best_wf = covered().fold(None::<(&ThresholdPoint, f64)>, |best, p| {
        let f = p.weighted.as_ref().map_or(0.0, |w| w.f);
        match best {
            Some((b, bf)) if bf >= f => Some((b, bf)),
            _ => Some((p, f)),
        }
    });
    let best_s = covered().fold(None::<(&ThresholdPoint, f64)>, |best, p| {
        let s = p.weighted.as_ref().map_or(f64::INFINITY, |w| w.s);
        match best {
            Some((b, bs)) if bs <= s => Some((b, bs)),
            _ => Some((p, s)),
        }
    });
    let n_predicted = curve.first().map_or(0, |p| p.n_covered);
    AspectReport {
        aspect: Aspect::parse(namespace).filter(|a| a.namespace() == namespace),
        namespace: namespace.to_string(),
        n_targets: ne,
        n_predicted,
        coverage: if ne > 0 {
            n_predicted as f64 / nef
        } else {
            0.0
        },
        fmax: best_f.map_or(0.0, |p| p.f),
        threshold: best_f.map_or(0.0, |p| p.tau),
        precision: best_f.map_or(0.0, |p| p.precision),
        recall: best_f.map_or(0.0, |p| p.recall),
        weighted_fmax: weighted.then(|| best_wf.map_or(0.0, |b| b.1)),
        weighted_threshold: weighted.then(|| best_wf.map_or(0.0, |b| b.0.tau)),
        smin: weighted.then(|| best_s.map_or(0.0, |b| b.1)),
        smin_threshold: weighted.then(|| best_s.map_or(0.0, |b| b.0.tau)),
        curve,
    }
}

fn f_measure(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests;
