//! CAFA-style evaluation of GO predictions against a ground truth.
//!
//! CONTRACT:
//! - `Predictions` = (target, term, score in [0,1]); `GroundTruth` = (target, term).
//! - `read_predictions(path)`: CAFA/TSV `target term score` or homolog `summary.csv`
//!   (columns accession, go_id, final_score); `read_ground_truth(path)`: `target term`.
//! - `evaluate(&preds, &truth, &Ontology, &EvalOptions) -> Vec<AspectReport>`; both sides are
//!   propagated up is_a + part_of before scoring; `EvalOptions { ia: Option<HashMap<String,f64>>,
//!   thresholds step 0.01, ... }`.
//! - `AspectReport { aspect, n_targets, coverage, fmax, threshold, precision, recall,
//!   weighted_fmax: Option<f64>, smin: Option<f64> }`.
