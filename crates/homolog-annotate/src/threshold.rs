//! Output thresholds (`postprocess.min_score`, `postprocess.min_reliability`): drop weak
//! predictions from `summary.csv` and the TopGO files.
//!
//! A prediction is one (accession, GO term, model, layer) group, one summary row. It is kept
//! when its `final_score` >= `min_score` and its best reliability index >= `min_reliability`:
//! its `max_ri` column when the summary has one (FANTASIA's: the max over its raw rows; a vote
//! summary's: the max over the voters carrying the term), else the max over its raw rows. Values are compared
//! as written, i.e. rounded to `precision` decimals, so a row that shows `0.5000` passes a
//! threshold of 0.5. Kept rows are not recomputed: the thresholds choose rows, never change
//! them. Raw CSVs keep every row (they are the full record of the transfer).

use std::collections::HashMap;

use crate::error::AnnotateError;
use crate::summary::{round_to, SummaryRow};
use crate::transfer::RawRow;

/// `(accession, go_id, model_name, layer_index)`, a prediction.
type Key<'a> = (&'a str, &'a str, &'a str, u32);

/// What [`apply_output_thresholds`] keeps.
#[derive(Debug)]
pub struct ThresholdedOutputs<'r> {
    /// The summary rows that pass both thresholds, in input order.
    pub summary: Vec<SummaryRow>,
    /// The raw rows the TopGO files are written from: rows of kept predictions whose own
    /// reliability index passes `min_reliability` (each FANTASIA TopGO line carries one RI).
    pub topgo_rows: Vec<&'r RawRow>,
    /// Summary rows dropped.
    pub dropped_predictions: usize,
}

/// Checks `min_score` (finite, >= 0; `final_score` may exceed 1) and `min_reliability`
/// (within [0, 1]); `None` is off.
pub fn check_output_thresholds(
    min_score: Option<f64>,
    min_reliability: Option<f64>,
) -> Result<(), AnnotateError> {
    if let Some(s) = min_score.filter(|s| !(s.is_finite() && *s >= 0.0)) {
        return Err(AnnotateError::setting(
            "postprocess.min_score",
            format!("{s} must be a number >= 0 (or null for no threshold)"),
        ));
    }
    if let Some(r) = min_reliability.filter(|r| !(0.0..=1.0).contains(r)) {
        return Err(AnnotateError::setting(
            "postprocess.min_reliability",
            format!("{r} must be within [0, 1] (or null for no threshold)"),
        ));
    }
    Ok(())
}

/// Applies the output thresholds to `summary` (computed from `rows`) and selects the raw rows
/// for the TopGO files; see the module documentation for the rule. With both thresholds off,
/// everything is kept. `min_score` on a summary without `final_score` (no weights) is an error.
pub fn apply_output_thresholds<'r>(
    rows: &'r [RawRow],
    summary: Vec<SummaryRow>,
    min_score: Option<f64>,
    min_reliability: Option<f64>,
    precision: usize,
) -> Result<ThresholdedOutputs<'r>, AnnotateError> {
    check_output_thresholds(min_score, min_reliability)?;
    if min_score.is_none() && min_reliability.is_none() {
        return Ok(ThresholdedOutputs {
            summary,
            topgo_rows: rows.iter().collect(),
            dropped_predictions: 0,
        });
    }
    let ri = |r: &RawRow| round_to(r.reliability_index, precision);
    let key = |r: &'r RawRow| -> Key<'r> {
        (
            r.accession.as_str(),
            r.go_id.as_str(),
            r.model_name.as_str(),
            r.layer_index,
        )
    };
    // Per prediction: its number and best RI.
    let mut groups: HashMap<Key<'r>, (usize, f64)> = HashMap::new();
    for r in rows {
        let next = groups.len();
        let v = ri(r);
        groups
            .entry(key(r))
            .and_modify(|(_, b)| *b = b.max(v))
            .or_insert((next, v));
    }
    let before = summary.len();
    let mut keep_group = vec![false; groups.len()];
    let mut kept = Vec::with_capacity(summary.len());
    for s in summary {
        if let Some(min) = min_score {
            let Some(score) = s.final_score else {
                return Err(AnnotateError::setting(
                    "postprocess.min_score",
                    "the summary has no final_score (postprocess.summary.weights is empty); \
                     set weights or drop min_score",
                ));
            };
            if round_to(score, precision) < min {
                continue;
            }
        }
        let k = (
            s.accession.as_str(),
            s.go_id.as_str(),
            s.model_name.as_str(),
            s.layer_index,
        );
        // The row's own `max_ri` when it has one: FANTASIA's equals the best RI of its raw
        // rows, and a vote row's is the best RI of the voters carrying the term (an ancestor
        // term's vote row has no raw rows at all).
        let group = groups.get(&k).copied();
        let Some(best_ri) = s.get("max_ri").or(group.map(|(_, ri)| ri)) else {
            continue;
        };
        if min_reliability.is_some_and(|min| round_to(best_ri, precision) < min) {
            continue;
        }
        if let Some((id, _)) = group {
            keep_group[id] = true;
        }
        kept.push(s);
    }
    let topgo_rows = rows
        .iter()
        .filter(|r| keep_group[groups[&key(r)].0] && min_reliability.is_none_or(|min| ri(r) >= min))
        .collect();
    Ok(ThresholdedOutputs {
        dropped_predictions: before - kept.len(),
        summary: kept,
        topgo_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::read;
    use crate::summary::tests::row;
    use crate::{
        summarize, write_summary_csv, write_topgo, ExperimentLayout, SummaryFormat,
        SummarySettings, TopgoFormat,
    };
    use homolog_go::Aspect;

    /// Three predictions of Q1 and one of Q2, hand-computed with the default summary settings
    /// and k = 2, precision 4 (final_score = 0.4 max_ri + 0.2 max_id_g + 0.2 max_id_l +
    /// 0.2 count):
    ///
    /// | prediction  | rows (RI)  | max_ri | max_id_g | max_id_l | count | final_score |
    /// |-------------|------------|--------|----------|----------|-------|-------------|
    /// | Q1 GO:A m/0 | 0.9, 0.5   | 0.9    | 0.5      | 0.5      | 1.0   | 0.76        |
    /// | Q1 GO:B m/0 | 0.5        | 0.5    | 0.5      | 0.5      | 0.5   | 0.50        |
    /// | Q1 GO:A n/1 | 0.45       | 0.45   | 0.5      | 0.5      | 0.5   | 0.48        |
    /// | Q2 GO:C m/0 | 0.7        | 0.7    | 1.0      | 1.0      | 0.5   | 0.78        |
    fn rows() -> Vec<RawRow> {
        let mut c = row("Q2", "GO:C", "m", 0, 0.3, Some(1.0), Some(1.0), "P4");
        c.category = Aspect::MolecularFunction;
        vec![
            row("Q1", "GO:A", "m", 0, 0.1, Some(0.5), Some(0.5), "P1"),
            row("Q1", "GO:A", "m", 0, 0.5, Some(0.5), Some(0.5), "P2"),
            row("Q1", "GO:B", "m", 0, 0.5, Some(0.5), Some(0.5), "P2"),
            row("Q1", "GO:A", "n", 1, 0.55, Some(0.5), Some(0.5), "P3"),
            c,
        ]
    }

    fn kept(
        min_score: Option<f64>,
        min_reliability: Option<f64>,
    ) -> (Vec<String>, Vec<String>, usize) {
        let raw = rows();
        let summary = summarize(&raw, 2, 4, &SummarySettings::default()).unwrap();
        let out = apply_output_thresholds(&raw, summary, min_score, min_reliability, 4).unwrap();
        let name = |a: &str, g: &str, m: &str, l: u32| format!("{a} {g} {m}/{l}");
        let s = out
            .summary
            .iter()
            .map(|r| name(&r.accession, &r.go_id, &r.model_name, r.layer_index))
            .collect();
        let t = out
            .topgo_rows
            .iter()
            .map(|r| {
                format!(
                    "{} {:.2}",
                    name(&r.accession, &r.go_id, &r.model_name, r.layer_index),
                    r.reliability_index
                )
            })
            .collect();
        (s, t, out.dropped_predictions)
    }

    #[test]
    fn hand_computed_final_scores() {
        let s = summarize(&rows(), 2, 4, &SummarySettings::default()).unwrap();
        let f: Vec<f64> = s
            .iter()
            .map(|r| round_to(r.final_score.unwrap(), 4))
            .collect();
        // Sorted by (accession, go_id, model, layer).
        assert_eq!(f, [0.76, 0.48, 0.5, 0.78]);
    }

    #[test]
    fn off_keeps_everything() {
        let (s, t, dropped) = kept(None, None);
        assert_eq!((s.len(), t.len(), dropped), (4, 5, 0));
    }

    #[test]
    fn min_score_keeps_rows_at_the_threshold() {
        // 0.5 is exactly Q1 GO:B's final_score: kept; 0.48 is below: dropped.
        let (s, t, dropped) = kept(Some(0.5), None);
        assert_eq!(s, ["Q1 GO:A m/0", "Q1 GO:B m/0", "Q2 GO:C m/0"]);
        assert_eq!(
            t,
            [
                "Q1 GO:A m/0 0.90",
                "Q1 GO:A m/0 0.50",
                "Q1 GO:B m/0 0.50",
                "Q2 GO:C m/0 0.70"
            ]
        );
        assert_eq!(dropped, 1);
        let (s, _, _) = kept(Some(0.7600), None);
        assert_eq!(s, ["Q1 GO:A m/0", "Q2 GO:C m/0"]);
    }

    #[test]
    fn min_reliability_on_the_best_ri_and_per_topgo_line() {
        // 0.5 = the best RI of Q1 GO:B: kept; Q1 GO:A n/1 (0.45) dropped. In TopGO, the 0.5
        // line of Q1 GO:A m/0 stays (at the threshold).
        let (s, t, _) = kept(None, Some(0.5));
        assert_eq!(s, ["Q1 GO:A m/0", "Q1 GO:B m/0", "Q2 GO:C m/0"]);
        assert_eq!(t.len(), 4);
        // 0.6: Q1 GO:A m/0 is kept by its best RI (0.9), but its 0.5 line leaves TopGO.
        let (s, t, dropped) = kept(None, Some(0.6));
        assert_eq!(s, ["Q1 GO:A m/0", "Q2 GO:C m/0"]);
        assert_eq!(t, ["Q1 GO:A m/0 0.90", "Q2 GO:C m/0 0.70"]);
        assert_eq!(dropped, 2);
        // Both: a prediction must pass each.
        let (s, _, _) = kept(Some(0.77), Some(0.6));
        assert_eq!(s, ["Q2 GO:C m/0"]);
    }

    #[test]
    fn written_files_hold_exactly_the_kept_predictions() {
        let raw = rows();
        let summary = summarize(&raw, 2, 4, &SummarySettings::default()).unwrap();
        let out = apply_output_thresholds(&raw, summary, Some(0.5), Some(0.5), 4).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let layout = ExperimentLayout::new(dir.path());
        let p = dir.path().join("long.csv");
        write_summary_csv(&p, &out.summary, SummaryFormat::Long, 4).unwrap();
        let text = read(&p);
        let keys: Vec<String> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').take(5).collect::<Vec<_>>().join(","))
            .collect();
        assert_eq!(keys, ["Q1,GO:A,P,m,0", "Q1,GO:B,P,m,0", "Q2,GO:C,F,m,0"]);
        assert!(text.contains(",0.5000,P2\n"), "{text}"); // GO:B's final_score, at the threshold
                                                          // Wide: no kept prediction is n/1, so its columns are gone; term_count and proteins
                                                          // count the kept rows only.
        let p = dir.path().join("wide.csv");
        write_summary_csv(&p, &out.summary, SummaryFormat::Wide, 4).unwrap();
        let text = read(&p);
        assert!(!text.contains("_n_L1"), "{text}");
        let q1a = text.lines().nth(1).unwrap();
        assert!(q1a.starts_with("Q1,GO:A,2,0.9000,0.3600,"), "{text}");
        assert!(q1a.ends_with(",0.7600,P1|P2"), "{text}");
        assert_eq!(text.lines().count(), 4);

        write_topgo(
            &layout,
            out.topgo_rows.iter().copied(),
            TopgoFormat::Fantasia,
            4,
        )
        .unwrap();
        let bp = Aspect::BiologicalProcess;
        assert_eq!(
            read(&layout.topgo_file("m", 0, bp)),
            "Q1\tGO:A\t0.9000\nQ1\tGO:A\t0.5000\nQ1\tGO:B\t0.5000\n"
        );
        assert!(!layout.topgo_file("n", 1, bp).exists());
        assert_eq!(
            read(&layout.topgo_ensemble_file(bp)),
            "Q1\tGO:A\t0.9000\nQ1\tGO:B\t0.5000\n"
        );
        assert_eq!(
            read(&layout.topgo_ensemble_file(Aspect::MolecularFunction)),
            "Q2\tGO:C\t0.7000\n"
        );
    }

    #[test]
    fn bad_thresholds_name_the_key() {
        let e = check_output_thresholds(Some(-0.1), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("postprocess.min_score") && e.contains(">= 0"),
            "{e}"
        );
        let e = check_output_thresholds(None, Some(1.5))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("postprocess.min_reliability") && e.contains("[0, 1]"),
            "{e}"
        );
        assert!(check_output_thresholds(Some(1.2), Some(1.0)).is_ok());
        let settings = SummarySettings {
            weights: Default::default(),
            ..SummarySettings::default()
        };
        let raw = rows();
        let summary = summarize(&raw, 2, 4, &settings).unwrap();
        let e = apply_output_thresholds(&raw, summary, Some(0.1), None, 4)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no final_score"), "{e}");
    }
}
