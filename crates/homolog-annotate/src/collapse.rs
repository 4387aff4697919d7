//! Collapse predictions to the most specific terms (FANTASIA v3, goPredSim).
//!
//! Within one query and one (model, layer), a predicted term that is an ancestor (is_a /
//! part_of closure) of another predicted term adds nothing a GO-aware consumer could not infer,
//! so it is dropped; of the rows left for each remaining term, the best one is kept.

use std::collections::{HashMap, HashSet};

use crate::summary::SummaryRow;
use crate::transfer::RawRow;

/// Where collapse gets ancestor sets from.
pub trait AncestorSource {
    /// All ancestors of a term (is_a + part_of closure, without the term). Unknown terms have
    /// none, so they are never dropped.
    fn ancestors_of(&self, go_id: &str) -> HashSet<String>;

    /// The id terms are compared by (an ontology maps alt ids to primary ids, the spelling its
    /// ancestor sets use). Default: the id itself.
    fn canonical(&self, go_id: &str) -> String {
        go_id.to_string()
    }
}

impl AncestorSource for homolog_go::obo::Ontology {
    fn ancestors_of(&self, go_id: &str) -> HashSet<String> {
        self.ancestors(go_id)
    }
    fn canonical(&self, go_id: &str) -> String {
        self.resolve(go_id).unwrap_or(go_id).to_string()
    }
}

/// A precomputed closure: term -> its ancestors.
impl AncestorSource for HashMap<String, HashSet<String>> {
    fn ancestors_of(&self, go_id: &str) -> HashSet<String> {
        self.get(go_id).cloned().unwrap_or_default()
    }
}

/// A prediction that can be collapsed: a query, a (model, layer), a term and a score.
pub trait Prediction {
    /// Query accession.
    fn query(&self) -> &str;
    /// Model name.
    fn model(&self) -> &str;
    /// Layer index.
    fn layer(&self) -> u32;
    /// Predicted GO id.
    fn go_id(&self) -> &str;
    /// Higher is better; decides which row of a term survives.
    fn score(&self) -> f64;
}

/// The accessors of [`Prediction`] for the row types, which name these fields alike.
macro_rules! prediction_fields {
    () => {
        fn query(&self) -> &str {
            &self.accession
        }
        fn model(&self) -> &str {
            &self.model_name
        }
        fn layer(&self) -> u32 {
            self.layer_index
        }
        fn go_id(&self) -> &str {
            &self.go_id
        }
    };
}

impl Prediction for RawRow {
    prediction_fields!();
    /// The reliability index.
    fn score(&self) -> f64 {
        self.reliability_index
    }
}

impl Prediction for SummaryRow {
    prediction_fields!();
    /// `final_score`, or the first summary value when no weights are set.
    fn score(&self) -> f64 {
        self.final_score
            .or_else(|| self.values.first().copied().flatten())
            .unwrap_or(f64::NEG_INFINITY)
    }
}

/// Drops every predicted term that is an ancestor of another predicted term of the same
/// (query, model, layer), then keeps one row per remaining term: the highest score, the
/// earliest on ties. Surviving rows keep their input order.
pub fn collapse_to_leaves<T: Prediction>(items: Vec<T>, ontology: &dyn AncestorSource) -> Vec<T> {
    // Canonical id of each item, computed once.
    let mut canon_memo: HashMap<&str, String> = HashMap::new();
    for it in &items {
        canon_memo
            .entry(it.go_id())
            .or_insert_with(|| ontology.canonical(it.go_id()));
    }
    let canon = |it: &T| canon_memo[it.go_id()].as_str();
    // (query, model, layer) -> its predicted terms.
    let mut terms: HashMap<(&str, &str, u32), HashSet<&str>> = HashMap::new();
    for it in &items {
        terms
            .entry((it.query(), it.model(), it.layer()))
            .or_default()
            .insert(canon(it));
    }
    let mut ancestor_memo: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut dropped: HashMap<(&str, &str, u32), HashSet<String>> = HashMap::new();
    for (key, group_terms) in &terms {
        let mut covered = HashSet::new();
        for &t in group_terms {
            let anc = ancestor_memo
                .entry(t)
                .or_insert_with(|| ontology.ancestors_of(t));
            covered.extend(
                anc.iter()
                    .filter(|a| group_terms.contains(a.as_str()))
                    .cloned(),
            );
        }
        dropped.insert(*key, covered);
    }
    // Best row index per (group, term).
    let mut best: HashMap<(&str, &str, u32, &str), usize> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        let key = (it.query(), it.model(), it.layer());
        let term = canon(it);
        if dropped[&key].contains(term) {
            continue;
        }
        best.entry((key.0, key.1, key.2, term))
            .and_modify(|b| {
                if it.score() > items[*b].score() {
                    *b = i;
                }
            })
            .or_insert(i);
    }
    let keep: HashSet<usize> = best.into_values().collect();
    items
        .into_iter()
        .enumerate()
        .filter_map(|(i, it)| keep.contains(&i).then_some(it))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::row;
    use homolog_go::obo::Ontology;

    /// GO:1 root; GO:2 is_a 1; GO:3 part_of 2; GO:4 is_a 1; GO:5 alt_id GO:9.
    const OBO: &str = "format-version: 1.2

[Term]
id: GO:0000001
name: root
namespace: biological_process

[Term]
id: GO:0000002
name: two
namespace: biological_process
is_a: GO:0000001 ! root

[Term]
id: GO:0000003
name: three
namespace: biological_process
relationship: part_of GO:0000002 ! two

[Term]
id: GO:0000004
name: four
namespace: biological_process
is_a: GO:0000001 ! root

[Term]
id: GO:0000005
name: five
namespace: biological_process
alt_id: GO:0000009
is_a: GO:0000004 ! four
";

    fn ontology() -> Ontology {
        Ontology::from_reader(OBO.as_bytes(), "tiny.obo").unwrap()
    }

    fn r(acc: &str, go: u32, layer: u32, d: f64) -> RawRow {
        row(acc, &format!("GO:{go:07}"), "m", layer, d, None, None, "P")
    }

    fn keys(rows: &[RawRow]) -> Vec<(String, u32, String, f64)> {
        rows.iter()
            .map(|x| {
                (
                    x.accession.clone(),
                    x.layer_index,
                    x.go_id.clone(),
                    x.reliability_index,
                )
            })
            .collect()
    }

    #[test]
    fn drops_ancestors_and_keeps_best_row_per_leaf() {
        let rows = vec![
            r("Q", 1, 0, 0.1),
            r("Q", 3, 0, 0.4),
            r("Q", 2, 0, 0.1),
            r("Q", 3, 0, 0.2), // best GO:3 row of Q/layer 0
            r("Q", 4, 0, 0.3),
            r("Q", 1, 1, 0.1), // other layer: own group
            r("Q", 2, 1, 0.1),
            r("Q2", 1, 0, 0.5), // other query: root alone stays
        ];
        let out = collapse_to_leaves(rows, &ontology());
        let want = vec![
            ("Q".to_string(), 0, "GO:0000003".to_string(), 0.8),
            ("Q".to_string(), 0, "GO:0000004".to_string(), 0.7),
            ("Q".to_string(), 1, "GO:0000002".to_string(), 0.9),
            ("Q2".to_string(), 0, "GO:0000001".to_string(), 0.5),
        ];
        let got = keys(&out);
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((&g.0, g.1, &g.2), (&w.0, w.1, &w.2));
            assert!((g.3 - w.3).abs() < 1e-12, "{g:?} vs {w:?}");
        }
    }

    #[test]
    fn alt_ids_and_unknown_terms() {
        // GO:9 is an alt id of GO:5 (child of GO:4): GO:4 goes. GO:X is unknown: it stays.
        let rows = vec![
            r("Q", 4, 0, 0.1),
            r("Q", 9, 0, 0.2),
            row("Q", "GO:X", "m", 0, 0.1, None, None, "P"),
        ];
        let out = collapse_to_leaves(rows, &ontology());
        let got: Vec<&str> = out.iter().map(|x| x.go_id.as_str()).collect();
        assert_eq!(got, vec!["GO:0000009", "GO:X"]);
    }

    #[test]
    fn works_on_summary_rows() {
        let rows = vec![r("Q", 1, 0, 0.1), r("Q", 2, 0, 0.1), r("Q", 2, 0, 0.3)];
        let summary = crate::summarize(&rows, 1, 4, &crate::SummarySettings::default()).unwrap();
        assert_eq!(summary.len(), 2);
        let out = collapse_to_leaves(summary, &ontology());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].go_id, "GO:0000002");
        assert_eq!(out[0].rows, 2);
    }
}
