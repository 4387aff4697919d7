//! CAFA's naive baseline: every target gets every term of a reference, scored by how often the
//! term occurs there. It knows nothing about the target, so a method has to beat it to show it
//! learned anything from the sequence.

use std::collections::HashMap;

use homolog_go::Ontology;

use crate::{Namespaces, Predictions, NO_NAMESPACE};

/// Term frequencies of a reference: a term's score is the fraction of the reference proteins
/// annotated in the term's namespace that carry it, after propagating every protein's
/// annotations to their `is_a`/`part_of` ancestors in the same namespace (so a parent scores
/// at least as high as any child). Alt ids count as their primary term; unknown and obsolete
/// terms are left out, as the evaluator leaves them out.
///
/// ```
/// use homolog_evaluate::NaiveBaseline;
/// use homolog_go::Ontology;
///
/// let obo = "[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n\n\
///            [Term]\nid: GO:0000001\nname: a\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
///            [Term]\nid: GO:0000002\nname: b\nnamespace: molecular_function\nis_a: GO:0000001\n";
/// let onto = Ontology::from_reader(obo.as_bytes(), "mini.obo").unwrap();
/// // P1 has the child term, P2 the parent: the parent is in both, the child in one of two.
/// let naive = NaiveBaseline::fit([("P1", "GO:0000002"), ("P2", "GO:0000001")], &onto);
/// assert_eq!(naive.frequency("GO:0000001"), Some(1.0));
/// assert_eq!(naive.frequency("GO:0000002"), Some(0.5));
/// let preds = naive.predict(["Q1", "Q2"], 0.6);
/// assert_eq!(preds.len(), 2 * 2); // the root and GO:0000001 for each target; 0.5 < 0.6
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NaiveBaseline {
    /// (primary term id, frequency in its namespace), by term id.
    terms: Vec<(String, f64)>,
    /// (namespace, reference proteins with at least one term in it), by namespace.
    proteins: Vec<(String, usize)>,
}

impl NaiveBaseline {
    /// Counts the terms of `annotations`, (protein, GO id) pairs in any order (a protein's
    /// pairs need not be adjacent; repeated pairs count once).
    pub fn fit<I, P, T>(annotations: I, onto: &Ontology) -> NaiveBaseline
    where
        I: IntoIterator<Item = (P, T)>,
        P: AsRef<str>,
        T: AsRef<str>,
    {
        let spaces = Namespaces::of(onto);
        let ns_of = |i: u32| spaces.ns_of[i as usize];
        let mut by_protein: HashMap<String, Vec<u32>> = HashMap::new();
        for (protein, term) in annotations {
            let Some(i) = onto.index(term.as_ref()) else {
                continue;
            };
            if ns_of(i) != NO_NAMESPACE {
                by_protein
                    .entry(protein.as_ref().to_string())
                    .or_default()
                    .push(i);
            }
        }

        let mut term_count = vec![0usize; onto.len()];
        let mut ns_count = vec![0usize; spaces.names.len()];
        let mut closure: Vec<u32> = Vec::new();
        let mut in_ns = vec![false; spaces.names.len()];
        for terms in by_protein.values() {
            closure.clear();
            for &i in terms {
                let ns = ns_of(i);
                closure.push(i);
                closure.extend(onto.ancestors_idx(i).iter().filter(|&&a| ns_of(a) == ns));
            }
            closure.sort_unstable();
            closure.dedup();
            in_ns.fill(false);
            for &t in &closure {
                term_count[t as usize] += 1;
                in_ns[ns_of(t) as usize] = true;
            }
            for (count, &seen) in ns_count.iter_mut().zip(&in_ns) {
                *count += usize::from(seen);
            }
        }

        let mut terms: Vec<(String, f64)> = term_count
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(i, &n)| {
                let i = i as u32;
                let total = ns_count[ns_of(i) as usize];
                (onto.id_at(i).to_string(), n as f64 / total as f64)
            })
            .collect();
        terms.sort_by(|a, b| a.0.cmp(&b.0));
        let mut proteins: Vec<(String, usize)> = spaces
            .names
            .iter()
            .cloned()
            .zip(ns_count)
            .filter(|(_, n)| *n > 0)
            .collect();
        proteins.sort();
        NaiveBaseline { terms, proteins }
    }

    /// Every term seen, with its frequency, by term id.
    pub fn frequencies(&self) -> &[(String, f64)] {
        &self.terms
    }

    /// The frequency of a term by primary id (`None` when no reference protein has it).
    pub fn frequency(&self, term: &str) -> Option<f64> {
        self.terms
            .binary_search_by(|(t, _)| t.as_str().cmp(term))
            .ok()
            .map(|i| self.terms[i].1)
    }

    /// Reference proteins with at least one term in each namespace (the denominators).
    pub fn proteins_per_namespace(&self) -> &[(String, usize)] {
        &self.proteins
    }

    /// The same scored terms for every target. Terms scoring below `min_score` are left out:
    /// with `min_score` the evaluator's threshold step they could never pass a threshold, and a
    /// reference has thousands of rare terms.
    pub fn predict<'a>(
        &self,
        targets: impl IntoIterator<Item = &'a str>,
        min_score: f64,
    ) -> Predictions {
        let kept: Vec<&(String, f64)> =
            self.terms.iter().filter(|(_, s)| *s >= min_score).collect();
        let mut preds = Predictions::new();
        for target in targets {
            for (term, score) in &kept {
                preds.push(target, term.as_str(), *score);
            }
        }
        preds
    }
}
