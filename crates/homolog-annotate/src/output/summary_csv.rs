//! `summary.csv` in FANTASIA's wide layout or homolog's long one.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{opt_f, write_atomic};
use crate::error::AnnotateError;
use crate::summary::SummaryRow;

/// Layout of `summary.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SummaryFormat {
    /// FANTASIA's: one row per (accession, go_id) with `term_count`, then every summary column
    /// pivoted per (model, layer) as `<column>_<model>_L<layer>`, then `proteins`
    /// (pipe-separated).
    #[default]
    Wide,
    /// homolog's: one row per (accession, go_id, model, layer) with `category`, the row count
    /// as `term_count`, the summary columns, then `proteins`.
    Long,
}

/// Writes `summary.csv` (atomically) in the chosen layout. Floats get `precision` decimals;
/// missing values are empty. The summary columns are those of the rows; see
/// [`write_summary_csv_columns`] to name them when `rows` may be empty.
pub fn write_summary_csv(
    path: &Path,
    rows: &[SummaryRow],
    format: SummaryFormat,
    precision: usize,
) -> Result<(), AnnotateError> {
    // Column names in first-seen order over all rows (one plan gives one list).
    let mut columns: Vec<String> = Vec::new();
    let mut seen_cols = HashSet::new();
    for r in rows {
        for c in r.columns.iter() {
            if seen_cols.insert(c.as_str()) {
                columns.push(c.clone());
            }
        }
    }
    write_summary_csv_columns(path, rows, &columns, format, precision)
}

/// [`write_summary_csv`] with the summary columns given (e.g.
/// [`SummaryPlan::columns`](crate::SummaryPlan::columns)), so a summary without rows (no hits,
/// or everything below the output thresholds) still has the long layout's full header. The
/// wide layout's columns also need a (model, layer) from the rows.
pub fn write_summary_csv_columns(
    path: &Path,
    rows: &[SummaryRow],
    columns: &[String],
    format: SummaryFormat,
    precision: usize,
) -> Result<(), AnnotateError> {
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    match format {
        SummaryFormat::Long => write_atomic(path, |w| {
            let mut csv = csv::Writer::from_writer(w);
            let mut header = vec![
                "accession",
                "go_id",
                "category",
                "model_name",
                "layer_index",
                "term_count",
            ];
            header.extend(columns.iter().copied());
            header.push("proteins");
            csv.write_record(&header)?;
            for r in rows {
                let mut rec = vec![
                    r.accession.clone(),
                    r.go_id.clone(),
                    r.category.code().to_string(),
                    r.model_name.clone(),
                    r.layer_index.to_string(),
                    r.rows.to_string(),
                ];
                rec.extend(columns.iter().map(|c| opt_f(r.get(c), precision)));
                rec.push(r.proteins.join("|"));
                csv.write_record(&rec)?;
            }
            csv.flush()
        }),
        SummaryFormat::Wide => {
            let model_layers: BTreeSet<(&str, u32)> = rows
                .iter()
                .map(|r| (r.model_name.as_str(), r.layer_index))
                .collect();
            let mut by_term: BTreeMap<(&str, &str), Vec<&SummaryRow>> = BTreeMap::new();
            for r in rows {
                by_term
                    .entry((r.accession.as_str(), r.go_id.as_str()))
                    .or_default()
                    .push(r);
            }
            write_atomic(path, |w| {
                let mut csv = csv::Writer::from_writer(w);
                let mut header = vec![
                    "accession".to_string(),
                    "go_id".to_string(),
                    "term_count".to_string(),
                ];
                for c in &columns {
                    for (m, l) in &model_layers {
                        header.push(format!("{c}_{m}_L{l}"));
                    }
                }
                header.push("proteins".to_string());
                csv.write_record(&header)?;
                for ((acc, go), group) in &by_term {
                    let term_count: usize = group.iter().map(|r| r.rows).sum();
                    let mut rec = vec![acc.to_string(), go.to_string(), term_count.to_string()];
                    for c in &columns {
                        for (m, l) in &model_layers {
                            let v = group
                                .iter()
                                .find(|r| r.model_name == *m && r.layer_index == *l)
                                .and_then(|r| r.get(c));
                            rec.push(opt_f(v, precision));
                        }
                    }
                    let proteins: BTreeSet<&str> = group
                        .iter()
                        .flat_map(|r| r.proteins.iter().map(String::as_str))
                        .collect();
                    rec.push(proteins.into_iter().collect::<Vec<_>>().join("|"));
                    csv.write_record(&rec)?;
                }
                csv.flush()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::read;
    use crate::summary::tests::row;
    use crate::{summarize, SummarySettings};

    fn summary_rows() -> Vec<SummaryRow> {
        let rows = vec![
            row("Q1", "GO:A", "m", 0, 0.1, Some(0.5), Some(0.8), "P2"),
            row("Q1", "GO:A", "m", 0, 0.3, Some(0.25), Some(0.6), "P1"),
            row("Q1", "GO:A", "n", 2, 0.2, Some(1.0), Some(1.0), "P3"),
            row("Q2", "GO:B", "n", 2, 0.5, Some(1.0), Some(1.0), "P1"),
        ];
        let settings: SummarySettings = serde_yaml::from_str(
            "metrics: {reliability_index: [max]}\nweights: {reliability_index: 1, count: 1}",
        )
        .unwrap();
        summarize(&rows, 2, 4, &settings).unwrap()
    }

    #[test]
    fn wide_summary_is_pivoted_per_model_layer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.csv");
        write_summary_csv(&p, &summary_rows(), SummaryFormat::Wide, 4).unwrap();
        assert_eq!(
            read(&p),
            "accession,go_id,term_count,max_ri_m_L0,max_ri_n_L2,w_max_ri_m_L0,w_max_ri_n_L2,\
             count_m_L0,count_n_L2,w_count_m_L0,w_count_n_L2,final_score_m_L0,final_score_n_L2,proteins\n\
             Q1,GO:A,3,0.9000,0.8000,0.4500,0.4000,1.0000,0.5000,0.5000,0.2500,0.9500,0.6500,P1|P2|P3\n\
             Q2,GO:B,1,,0.5000,,0.2500,,0.5000,,0.2500,,0.5000,P1\n"
        );
    }

    #[test]
    fn empty_summary_keeps_the_given_columns() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.csv");
        let columns = summary_rows()[0].columns.to_vec();
        write_summary_csv_columns(&p, &[], &columns, SummaryFormat::Long, 4).unwrap();
        assert_eq!(
            read(&p),
            "accession,go_id,category,model_name,layer_index,term_count,max_ri,w_max_ri,count,w_count,final_score,proteins\n"
        );
    }

    #[test]
    fn long_summary_has_one_row_per_group() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.csv");
        write_summary_csv(&p, &summary_rows(), SummaryFormat::Long, 4).unwrap();
        assert_eq!(
            read(&p),
            "accession,go_id,category,model_name,layer_index,term_count,max_ri,w_max_ri,count,w_count,final_score,proteins\n\
             Q1,GO:A,P,m,0,2,0.9000,0.4500,1.0000,0.5000,0.9500,P1|P2\n\
             Q1,GO:A,P,n,2,1,0.8000,0.4000,0.5000,0.2500,0.6500,P3\n\
             Q2,GO:B,P,n,2,1,0.5000,0.2500,0.5000,0.2500,0.5000,P1\n"
        );
    }
}
