//! TopGO files per (model, layer, aspect) and their ensemble.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{fmt_f, write_atomic, ExperimentLayout};
use crate::error::AnnotateError;
use crate::transfer::RawRow;

/// Layout of the TopGO files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TopgoFormat {
    /// FANTASIA's: `accession<TAB>go_id<TAB>reliability_index` per line, no header. Per
    /// model/layer: every distinct (accession, term, RI) triple; ensemble: the best RI per
    /// (accession, term) over all models and layers.
    #[default]
    Fantasia,
    /// topGO's `readMappings` gene2GO map: `accession<TAB>GO:1, GO:2, ...` per accession.
    Gene2go,
}

type TopgoKey<'a> = (&'a str, u32, char);

/// Writes `topgo/<model>/layer_<k>/<P|F|C>.topgo` for each (model, layer, aspect) present in
/// `rows`, and `topgo/ensemble/<P|F|C>.topgo` over all of them. Accessions are sorted; within
/// an accession, lines keep row order (FANTASIA's per-file order). RIs get `precision`
/// decimals. `rows` is a slice of rows or an iterator of references (e.g.
/// [`ThresholdedOutputs::topgo_rows`](crate::ThresholdedOutputs::topgo_rows)). Returns the
/// written paths.
pub fn write_topgo<'r>(
    layout: &ExperimentLayout,
    rows: impl IntoIterator<Item = &'r RawRow>,
    format: TopgoFormat,
    precision: usize,
) -> Result<Vec<PathBuf>, AnnotateError> {
    let mut sorted: Vec<&RawRow> = rows.into_iter().collect();
    // Stable: keeps row order within an accession.
    sorted.sort_by(|a, b| a.accession.cmp(&b.accession));

    let mut per_layer: BTreeMap<TopgoKey, Vec<&RawRow>> = BTreeMap::new();
    // Best row per (aspect, accession, go_id) over all models/layers.
    let mut ensemble: BTreeMap<(char, &str, &str), &RawRow> = BTreeMap::new();
    for r in &sorted {
        let code = r.category.code();
        per_layer
            .entry((r.model_name.as_str(), r.layer_index, code))
            .or_default()
            .push(r);
        ensemble
            .entry((code, r.accession.as_str(), r.go_id.as_str()))
            .and_modify(|best| {
                if r.reliability_index > best.reliability_index {
                    *best = r;
                }
            })
            .or_insert(r);
    }

    let mut written = Vec::new();
    for ((model, layer, _), group) in &per_layer {
        let path = layout.topgo_file(model, *layer, group[0].category);
        write_topgo_file(&path, group, format, precision, true)?;
        written.push(path);
    }
    let mut ensemble_by_aspect: BTreeMap<char, Vec<&RawRow>> = BTreeMap::new();
    for ((code, _, _), r) in ensemble {
        ensemble_by_aspect.entry(code).or_default().push(r);
    }
    for group in ensemble_by_aspect.values() {
        let path = layout.topgo_ensemble_file(group[0].category);
        write_topgo_file(&path, group, format, precision, false)?;
        written.push(path);
    }
    Ok(written)
}

fn write_topgo_file(
    path: &Path,
    rows: &[&RawRow],
    format: TopgoFormat,
    precision: usize,
    dedup_triples: bool,
) -> Result<(), AnnotateError> {
    write_atomic(path, |w| match format {
        TopgoFormat::Fantasia => {
            let mut seen: HashSet<(&str, &str, String)> = HashSet::new();
            for r in rows {
                let ri = fmt_f(r.reliability_index, precision);
                if dedup_triples
                    && !seen.insert((r.accession.as_str(), r.go_id.as_str(), ri.clone()))
                {
                    continue;
                }
                writeln!(w, "{}\t{}\t{}", r.accession, r.go_id, ri)?;
            }
            Ok(())
        }
        TopgoFormat::Gene2go => {
            let mut by_acc: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for r in rows {
                by_acc
                    .entry(r.accession.as_str())
                    .or_default()
                    .insert(r.go_id.as_str());
            }
            for (acc, terms) in by_acc {
                let terms: Vec<&str> = terms.into_iter().collect();
                writeln!(w, "{acc}\t{}", terms.join(", "))?;
            }
            Ok(())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::read;
    use crate::summary::tests::row;
    use homolog_go::Aspect;

    fn topgo_rows() -> Vec<RawRow> {
        let mut f = row("Q2", "GO:F", "m", 0, 0.4, None, None, "P1");
        f.category = Aspect::MolecularFunction;
        vec![
            row("Q2", "GO:A", "m", 0, 0.3, None, None, "P1"),
            row("Q1", "GO:B", "m", 0, 0.2, None, None, "P1"),
            row("Q1", "GO:A", "m", 0, 0.1, None, None, "P1"),
            row("Q1", "GO:A", "m", 0, 0.1, None, None, "P2"), // same triple: once
            row("Q1", "GO:A", "m", 0, 0.3, None, None, "P3"), // other RI: kept
            row("Q1", "GO:A", "n", 1, 0.05, None, None, "P1"),
            f,
        ]
    }

    #[test]
    fn topgo_fantasia_format() {
        let dir = tempfile::tempdir().unwrap();
        let layout = ExperimentLayout::new(dir.path());
        let paths = write_topgo(&layout, &topgo_rows(), TopgoFormat::Fantasia, 4).unwrap();
        let bp = Aspect::BiologicalProcess;
        let mf = Aspect::MolecularFunction;
        assert_eq!(
            paths,
            // (model, layer, letter) order, then the ensemble by letter.
            vec![
                layout.topgo_file("m", 0, mf),
                layout.topgo_file("m", 0, bp),
                layout.topgo_file("n", 1, bp),
                layout.topgo_ensemble_file(mf),
                layout.topgo_ensemble_file(bp),
            ]
        );
        assert_eq!(read(&paths[0]), "Q2\tGO:F\t0.6000\n");
        // Accessions sorted, row order within one; duplicate triples once.
        assert_eq!(
            read(&paths[1]),
            "Q1\tGO:B\t0.8000\nQ1\tGO:A\t0.9000\nQ1\tGO:A\t0.7000\nQ2\tGO:A\t0.7000\n"
        );
        assert_eq!(read(&paths[2]), "Q1\tGO:A\t0.9500\n");
        assert_eq!(read(&paths[3]), "Q2\tGO:F\t0.6000\n");
        // Ensemble: best RI per (accession, term) over m/0 and n/1, sorted.
        assert_eq!(
            read(&paths[4]),
            "Q1\tGO:A\t0.9500\nQ1\tGO:B\t0.8000\nQ2\tGO:A\t0.7000\n"
        );
    }

    #[test]
    fn topgo_gene2go_format() {
        let dir = tempfile::tempdir().unwrap();
        let layout = ExperimentLayout::new(dir.path());
        write_topgo(&layout, &topgo_rows(), TopgoFormat::Gene2go, 4).unwrap();
        let bp = Aspect::BiologicalProcess;
        assert_eq!(
            read(&layout.topgo_file("m", 0, bp)),
            "Q1\tGO:A, GO:B\nQ2\tGO:A\n"
        );
        assert_eq!(
            read(&layout.topgo_ensemble_file(bp)),
            "Q1\tGO:A, GO:B\nQ2\tGO:A\n"
        );
    }
}
