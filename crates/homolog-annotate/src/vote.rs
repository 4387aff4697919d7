//! homolog's neighbour-vote score (`postprocess.score: vote`): the GO terms of the
//! best-aligned neighbours, weighted by their alignment scores.
//!
//! FANTASIA's `final_score` weighs each term by the best reliability index and identity of the
//! neighbours that carry it, so a term carried by one close neighbour scores like a term all
//! neighbours agree on, and the embedding's nearest neighbours vote even when an alignment shows
//! a better relative among the k. The vote score instead re-ranks the k embedding neighbours by
//! their Smith-Waterman score and lets the best `voters` of them vote (the DiamondScore of
//! DeepGOPlus, calibrated by identity):
//!
//! For a query, a (model, layer) and an aspect, let V be the `voters` neighbours with the highest
//! SW alignment score among the query's neighbours that have annotations in that aspect (ties
//! broken by protein id), `s(v)` the SW score of v and `T(v)` v's terms in the aspect with all
//! their `is_a`/`part_of` ancestors. Then for every term t in the union of the `T(v)`:
//!
//! ```text
//! support(t)     = sum(s(v) for v in V if t in T(v)) / sum(s(v) for v in V)
//! final_score(t) = support(t) * max(identity_sw(v) for v in V)
//! ```
//!
//! `support` is the share of the voters' alignment evidence that agrees on t; the factor of the
//! best local identity puts queries with only distant relatives below those with close ones, so
//! one decision threshold fits all queries (CAFA's Fmax uses one). Scores lie in [0, 1]. When
//! every voter's SW score is 0 (nothing aligns), each voter weighs 1.
//!
//! Every term of the propagated union is a prediction, ancestors included, because an ancestor
//! carried by several voters through different children has more support than any child. The
//! summary columns are [`VOTE_COLUMNS`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use homolog_go::obo::Ontology;
use homolog_go::Aspect;
use serde::{Deserialize, Serialize};

use crate::error::AnnotateError;
use crate::summary::SummaryRow;
use crate::transfer::RawRow;

/// How `final_score` is computed (`postprocess.score`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreMethod {
    /// FANTASIA's weighted sum of the `postprocess.summary` aggregates.
    #[default]
    Fantasia,
    /// homolog's neighbour vote (see [`summarize_votes`]); needs `lookup.alignment`.
    Vote,
}

/// `postprocess.vote`: settings of the neighbour-vote score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VoteSettings {
    /// How many neighbours vote per query and aspect: those with the highest SW score among
    /// the `lookup.limit_per_entry` embedding neighbours.
    pub voters: usize,
}

impl Default for VoteSettings {
    fn default() -> Self {
        VoteSettings { voters: 3 }
    }
}

/// Columns of a vote summary, in order: voters of the aspect, voters carrying the term, best
/// reliability index and best SW identity among those, `support`, `final_score`.
pub const VOTE_COLUMNS: [&str; 6] = [
    "voters",
    "votes",
    "max_ri",
    "max_id_l",
    "support",
    "final_score",
];

/// One neighbour of a query in one (model, layer): its best alignment and terms per aspect.
struct Neighbour<'r> {
    protein: &'r str,
    sw_score: f64,
    sw_identity: f64,
    best_ri: f64,
    /// Ontology indices of its annotated terms, per aspect (P, F, C).
    terms: [Vec<u32>; 3],
}

/// What one term collects from the voters that carry it.
#[derive(Default)]
struct Tally<'r> {
    weight: f64,
    votes: usize,
    max_ri: f64,
    max_id_l: f64,
    proteins: Vec<&'r str>,
}

fn aspect_slot(a: Aspect) -> usize {
    match a {
        Aspect::BiologicalProcess => 0,
        Aspect::MolecularFunction => 1,
        Aspect::CellularComponent => 2,
    }
}

/// Summarises raw rows into vote predictions, one [`SummaryRow`] per (accession, GO term,
/// model, layer) with the [`VOTE_COLUMNS`], sorted like [`summarize`](crate::summarize).
/// Terms are propagated with `ontology` (alternative ids resolved); a row whose GO id the
/// ontology does not know, or whose aspect disagrees with the ontology's, is skipped (and
/// counted in the log). Rows without a local alignment are an error: the vote ranks
/// neighbours by it.
pub fn summarize_votes(
    rows: &[RawRow],
    ontology: &Ontology,
    settings: &VoteSettings,
) -> Result<Vec<SummaryRow>, AnnotateError> {
    if settings.voters == 0 {
        return Err(AnnotateError::setting(
            "postprocess.vote.voters",
            "must be at least 1 (the number of best-aligned neighbours that vote)",
        ));
    }
    let columns: Arc<[String]> = VOTE_COLUMNS.iter().map(|c| c.to_string()).collect();
    // (accession, model, layer) -> neighbours by protein id.
    type QueryKey<'r> = (&'r str, &'r str, u32);
    let mut queries: BTreeMap<QueryKey<'_>, BTreeMap<&str, Neighbour<'_>>> = BTreeMap::new();
    let mut unknown = 0usize;
    for r in rows {
        let Some(sw) = r.sw else {
            return Err(AnnotateError::setting(
                "postprocess.score",
                format!(
                    "`vote` ranks neighbours by their local alignment, but the row of query '{}' \
                     and protein '{}' has none; set lookup.alignment: true",
                    r.accession, r.protein_id
                ),
            ));
        };
        let n = queries
            .entry((&r.accession, &r.model_name, r.layer_index))
            .or_default()
            .entry(&r.protein_id)
            .or_insert_with(|| Neighbour {
                protein: &r.protein_id,
                sw_score: sw.score,
                sw_identity: sw.identity,
                best_ri: r.reliability_index,
                terms: Default::default(),
            });
        n.best_ri = n.best_ri.max(r.reliability_index);
        match ontology.index(&r.go_id) {
            Some(i) if ontology.term_at(i).aspect == Some(r.category) => {
                n.terms[aspect_slot(r.category)].push(i)
            }
            _ => unknown += 1,
        }
    }
    if unknown > 0 {
        tracing::warn!(
            "postprocess.score vote: {unknown} raw rows name a GO id the ontology does not know \
             (or in another aspect); they do not vote"
        );
    }

    let mut out = Vec::new();
    let mut ancestors: HashMap<u32, Vec<u32>> = HashMap::new();
    for ((accession, model, layer), neighbours) in queries {
        let mut predictions: Vec<SummaryRow> = Vec::new();
        for aspect in [
            Aspect::BiologicalProcess,
            Aspect::MolecularFunction,
            Aspect::CellularComponent,
        ] {
            let slot = aspect_slot(aspect);
            let mut voters: Vec<&Neighbour> = neighbours
                .values()
                .filter(|n| !n.terms[slot].is_empty())
                .collect();
            if voters.is_empty() {
                continue;
            }
            voters.sort_by(|a, b| {
                b.sw_score
                    .total_cmp(&a.sw_score)
                    .then_with(|| a.protein.cmp(b.protein))
            });
            voters.truncate(settings.voters);
            let uniform = voters.iter().all(|v| v.sw_score <= 0.0);
            let weight = |v: &Neighbour| if uniform { 1.0 } else { v.sw_score.max(0.0) };
            let total: f64 = voters.iter().map(|v| weight(v)).sum();
            let best_identity = voters.iter().map(|v| v.sw_identity).fold(0.0, f64::max);
            let mut tally: BTreeMap<u32, Tally> = BTreeMap::new();
            for v in &voters {
                let mut carried: Vec<u32> = Vec::new();
                for &t in &v.terms[slot] {
                    carried.push(t);
                    let anc = ancestors.entry(t).or_insert_with(|| {
                        ontology
                            .ancestors_idx(t)
                            .iter()
                            .copied()
                            .filter(|&a| ontology.term_at(a).aspect == Some(aspect))
                            .collect()
                    });
                    carried.extend_from_slice(anc);
                }
                carried.sort_unstable();
                carried.dedup();
                for t in carried {
                    let e = tally.entry(t).or_default();
                    e.weight += weight(v);
                    e.votes += 1;
                    e.max_ri = e.max_ri.max(v.best_ri);
                    e.max_id_l = e.max_id_l.max(v.sw_identity);
                    e.proteins.push(v.protein);
                }
            }
            for (t, e) in tally {
                let support = e.weight / total;
                let score = support * best_identity;
                let mut proteins: Vec<String> = e.proteins.iter().map(|p| p.to_string()).collect();
                proteins.sort();
                predictions.push(SummaryRow {
                    accession: accession.to_string(),
                    go_id: ontology.id_at(t).to_string(),
                    category: aspect,
                    model_name: model.to_string(),
                    layer_index: layer,
                    rows: e.votes,
                    proteins,
                    columns: columns.clone(),
                    values: vec![
                        Some(voters.len() as f64),
                        Some(e.votes as f64),
                        Some(e.max_ri),
                        Some(e.max_id_l),
                        Some(support),
                        Some(score),
                    ],
                    final_score: Some(score),
                });
            }
        }
        out.extend(predictions);
    }
    out.sort_by(|a, b| {
        (&a.accession, &a.go_id, &a.model_name, a.layer_index).cmp(&(
            &b.accession,
            &b.go_id,
            &b.model_name,
            b.layer_index,
        ))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::row;

    /// P: root R, A is_a R, B is_a R, A1 is_a A. F: root M, M1 is_a M.
    fn ontology() -> Ontology {
        let obo = "format-version: 1.2\n\n\
            [Term]\nid: GO:R\nname: r\nnamespace: biological_process\n\n\
            [Term]\nid: GO:A\nname: a\nnamespace: biological_process\nis_a: GO:R\n\n\
            [Term]\nid: GO:B\nname: b\nnamespace: biological_process\nis_a: GO:R\n\n\
            [Term]\nid: GO:A1\nname: a1\nnamespace: biological_process\nis_a: GO:A\nalt_id: GO:ALT\n\n\
            [Term]\nid: GO:M\nname: m\nnamespace: molecular_function\n\n\
            [Term]\nid: GO:M1\nname: m1\nnamespace: molecular_function\nis_a: GO:M\n";
        Ontology::from_reader(obo.as_bytes(), "test.obo").unwrap()
    }

    /// A raw row of query Q from protein `p` with SW score `s` and SW identity `id`.
    fn vote_row(p: &str, go: &str, cat: &str, s: f64, id: f64) -> RawRow {
        let mut r = row("Q", go, "m", 0, 0.5, Some(0.5), Some(id), p);
        r.category = Aspect::parse(cat).unwrap();
        let sw = r.sw.as_mut().unwrap();
        sw.score = s;
        sw.identity = id;
        r
    }

    fn scores(out: &[SummaryRow]) -> Vec<(String, Vec<f64>)> {
        out.iter()
            .map(|r| {
                let v = r.values.iter().map(|x| (x.unwrap() * 1e6).round() / 1e6);
                (r.go_id.clone(), v.collect())
            })
            .collect()
    }

    /// Hand-computed: P voters (3 best by SW): p1 (60, id 0.9: A1), p2 (30, id 0.5: B),
    /// p3 (10, id 0.4: A via the alt id of A1 -> A1); p4 (5: B) is the fourth and does not vote.
    /// Total 100, best identity 0.9. A1: p1 + p3 = 70 -> support 0.7, score 0.63; A: same;
    /// B: 30 -> 0.3, 0.27; R: all -> 1.0, 0.9. F: only p2 (M1), so its identity 0.5 calibrates.
    #[test]
    fn hand_computed_votes() {
        let rows = vec![
            vote_row("p1", "GO:A1", "P", 60.0, 0.9),
            vote_row("p2", "GO:B", "P", 30.0, 0.5),
            vote_row("p2", "GO:M1", "F", 30.0, 0.5),
            vote_row("p3", "GO:ALT", "P", 10.0, 0.4),
            vote_row("p4", "GO:B", "P", 5.0, 0.95),
            vote_row("p1", "GO:NOPE", "P", 60.0, 0.9),
        ];
        let out = summarize_votes(&rows, &ontology(), &VoteSettings::default()).unwrap();
        // columns: voters, votes, max_ri, max_id_l, support, final_score
        assert_eq!(
            scores(&out),
            vec![
                ("GO:A".into(), vec![3.0, 2.0, 0.5, 0.9, 0.7, 0.63]),
                ("GO:A1".into(), vec![3.0, 2.0, 0.5, 0.9, 0.7, 0.63]),
                ("GO:B".into(), vec![3.0, 1.0, 0.5, 0.5, 0.3, 0.27]),
                ("GO:M".into(), vec![1.0, 1.0, 0.5, 0.5, 1.0, 0.5]),
                ("GO:M1".into(), vec![1.0, 1.0, 0.5, 0.5, 1.0, 0.5]),
                ("GO:R".into(), vec![3.0, 3.0, 0.5, 0.9, 1.0, 0.9]),
            ]
        );
        assert_eq!(out[0].proteins, ["p1", "p3"]);
        assert_eq!(out[0].category, Aspect::BiologicalProcess);
        assert_eq!(out[3].category, Aspect::MolecularFunction);
        assert!(out.iter().all(|r| r.final_score == r.values[5]));
    }

    #[test]
    fn every_voter_weighs_one_when_nothing_aligns() {
        let rows = vec![
            vote_row("p1", "GO:A", "P", 0.0, 0.0),
            vote_row("p2", "GO:B", "P", 0.0, 0.0),
        ];
        let out = summarize_votes(&rows, &ontology(), &VoteSettings { voters: 5 }).unwrap();
        let support: Vec<f64> = out.iter().map(|r| r.get("support").unwrap()).collect();
        assert_eq!(support, [0.5, 0.5, 1.0]); // A, B, R
        assert!(out.iter().all(|r| r.final_score == Some(0.0)));
    }

    #[test]
    fn needs_alignments_and_voters() {
        let mut r = vote_row("p1", "GO:A", "P", 1.0, 1.0);
        r.sw = None;
        let e = summarize_votes(&[r], &ontology(), &VoteSettings::default()).unwrap_err();
        assert!(e.to_string().contains("lookup.alignment: true"), "{e}");
        let e = summarize_votes(&[], &ontology(), &VoteSettings { voters: 0 }).unwrap_err();
        assert!(e.to_string().contains("postprocess.vote.voters"), "{e}");
    }
}
