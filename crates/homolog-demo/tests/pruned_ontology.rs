//! The shipped ontology is go-basic pruned to what the demo's annotations need: for every
//! annotated GO id it must resolve, propagate and count as a root exactly as in the full file,
//! so evaluating with either gives the same numbers.

use std::collections::BTreeSet;

use homolog_go::Ontology;

fn annotated_terms() -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    for name in [
        homolog_demo::REFERENCE_ANNOTATIONS,
        homolog_demo::QUERIES_TRUTH,
    ] {
        let bytes = homolog_demo::embedded(name).unwrap();
        let mut lines = homolog_io::Lines::from_reader(bytes, name).unwrap();
        while let Some((_, l)) = lines.next_line().unwrap() {
            if let Some(term) = l.split('\t').nth(1).filter(|t| t.starts_with("GO:")) {
                terms.insert(term.to_string());
            }
        }
    }
    terms
}

/// Primary ids of a term's ancestors within its namespace, or `None` when unknown/obsolete.
fn closure(onto: &Ontology, id: &str) -> Option<(String, String, BTreeSet<String>)> {
    let term = onto.term(id)?;
    if term.obsolete {
        return Some((term.id.clone(), "obsolete".into(), BTreeSet::new()));
    }
    let i = onto.index(id)?;
    let ancestors = onto
        .ancestors_idx(i)
        .iter()
        .filter(|&&a| onto.term_at(a).namespace == term.namespace)
        .map(|&a| onto.id_at(a).to_string())
        .collect();
    Some((term.id.clone(), term.namespace.clone(), ancestors))
}

#[test]
fn pruned_ontology_propagates_every_annotated_term_as_the_full_one() {
    let full = homolog_testkit::require_data!("go/go-basic_2021-12-15.obo.gz");
    let full = Ontology::from_path(full).unwrap();
    let pruned = homolog_demo::embedded(homolog_demo::ONTOLOGY).unwrap();
    let pruned = Ontology::from_reader(pruned, "go-basic-demo.obo.gz").unwrap();
    assert_eq!(pruned.data_version(), full.data_version());

    let terms = annotated_terms();
    assert!(terms.len() > 5000, "{}", terms.len());
    for id in &terms {
        assert_eq!(closure(&pruned, id), closure(&full, id), "{id}");
    }
    // Roots: the same three, and no other parentless live term.
    let roots = |o: &Ontology| {
        o.roots()
            .into_iter()
            .map(|i| o.id_at(i).to_string())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        roots(&pruned),
        ["GO:0003674", "GO:0005575", "GO:0008150"]
            .map(String::from)
            .into()
    );
    assert!(roots(&pruned).is_subset(&roots(&full)));
}
