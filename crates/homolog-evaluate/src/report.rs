//! Human-readable and machine-readable renderings of evaluation reports.

use std::fmt::Write as _;
use std::path::Path;

use crate::{AspectReport, EvalError};

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.digits$}"))
}

/// A Markdown table (also readable in a terminal) with one row per namespace: targets,
/// coverage, Fmax with its threshold, precision and recall, and weighted Fmax / Smin when IA
/// weights were used ("-" otherwise).
pub fn render_table(reports: &[AspectReport]) -> String {
    let header = [
        "aspect", "targets", "coverage", "Fmax", "tau", "P", "R", "wFmax", "w tau", "Smin",
        "Smin tau",
    ];
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            vec![
                r.label().to_string(),
                r.n_targets.to_string(),
                format!("{:.3}", r.coverage),
                format!("{:.3}", r.fmax),
                format!("{:.2}", r.threshold),
                format!("{:.3}", r.precision),
                format!("{:.3}", r.recall),
                opt(r.weighted_fmax, 3),
                opt(r.weighted_threshold, 2),
                opt(r.smin, 3),
                opt(r.smin_threshold, 2),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        out.push('|');
        for (i, c) in cells.iter().enumerate() {
            // Left-align the label, right-align numbers.
            if i == 0 {
                let _ = write!(out, " {c:<w$} |", w = widths[i]);
            } else {
                let _ = write!(out, " {c:>w$} |", w = widths[i]);
            }
        }
        out.push('\n');
    };
    line(
        &mut out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    out.push('|');
    // Markdown alignment row: label left, numbers right.
    for (i, w) in widths.iter().enumerate() {
        out.push(' ');
        out.push_str(&"-".repeat(w.saturating_sub(1)));
        out.push_str(if i == 0 { "- |" } else { ": |" });
    }
    out.push('\n');
    for r in &rows {
        line(&mut out, r);
    }
    out
}

/// Writes every threshold of every report as TSV (columns: aspect, tau, n_covered, coverage,
/// precision, recall, f and, with IA, wprecision, wrecall, wf, ru, mi, s), atomically: a
/// temporary file in the target directory renamed over `path`.
pub fn write_curves_tsv(path: impl AsRef<Path>, reports: &[AspectReport]) -> Result<(), EvalError> {
    let path = path.as_ref();
    let weighted = reports
        .iter()
        .any(|r| r.curve.iter().any(|p| p.weighted.is_some()));
    let mut text = String::from("aspect\ttau\tn_covered\tcoverage\tprecision\trecall\tf");
    if weighted {
        text.push_str("\twprecision\twrecall\twf\tru\tmi\ts");
    }
    text.push('\n');
    for r in reports {
        for p in &r.curve {
            let _ = write!(
                text,
                "{}\t{:.4}\t{}\t{:.6}\t{:.6}\t{:.6}\t{:.6}",
                r.label(),
                p.tau,
                p.n_covered,
                p.coverage,
                p.precision,
                p.recall,
                p.f
            );
            if weighted {
                match &p.weighted {
                    Some(w) => {
                        let _ = write!(
                            text,
                            "\t{:.6}\t{:.6}\t{:.6}\t{:.6}\t{:.6}\t{:.6}",
                            w.precision, w.recall, w.f, w.ru, w.mi, w.s
                        );
                    }
                    None => text.push_str("\t\t\t\t\t\t"),
                }
            }
            text.push('\n');
        }
    }
    Ok(homolog_io::write_atomic(path, text.as_bytes())?)
}
