//! Tests on the real public GO files in shared/data (see SOURCES.md there). A missing data
//! folder is reported by homolog-testkit (a failure with HOMOLOG_REQUIRE_DATA).

use homolog_go::annotation::{self, AnnotationFormat};
use homolog_go::{Aspect, Ontology, EXPERIMENTAL_EVIDENCE};

#[test]
fn go_basic_2021() {
    let d = homolog_testkit::require_data!();
    let o = Ontology::from_path(d.join("go/go-basic_2021-12-15.obo.gz")).unwrap();
    assert_eq!(o.len(), 47_261);
    assert_eq!(o.data_version(), Some("releases/2021-12-15"));
    let count = |a: Aspect| o.terms().iter().filter(|t| t.aspect == Some(a)).count();
    assert_eq!(count(Aspect::BiologicalProcess), 30_487);
    assert_eq!(count(Aspect::MolecularFunction), 12_305);
    assert_eq!(count(Aspect::CellularComponent), 4_469);

    let t = o.term("GO:0006468").unwrap();
    assert_eq!(t.name, "protein phosphorylation");
    assert_eq!(t.namespace, "biological_process");
    assert_eq!(t.is_a, vec!["GO:0006464", "GO:0016310"]);
    // Closure sizes cross-checked with an independent Python parser (is_a + part_of).
    let anc = o.ancestors("GO:0006468");
    assert_eq!(anc.len(), 18);
    assert!(anc.contains("GO:0008150"));
    assert_eq!(o.ancestors("GO:0031966").len(), 14);
    assert!(o.ancestors("GO:0031966").contains("GO:0005575"));
    let total: usize = (0..o.len() as u32).map(|i| o.ancestors_idx(i).len()).sum();
    assert_eq!(total, 610_960);
    // alt_id GO:0019952 belongs to GO:0000003 (reproduction).
    assert_eq!(o.resolve("GO:0019952"), Some("GO:0000003"));
    let roots: Vec<&str> = o.roots().into_iter().map(|i| o.id_at(i)).collect();
    assert_eq!(roots.len(), 3, "{roots:?}");
    for a in Aspect::ALL {
        assert!(roots.contains(&a.root_id()));
    }
    // A BP leaf set: the root and an intermediate term collapse away.
    let leaves = o.leaves(["GO:0008150", "GO:0006464", "GO:0006468", "GO:0005634"]);
    assert_eq!(leaves, vec!["GO:0006468", "GO:0005634"]);
}

#[test]
fn go_full_2019_does_not_follow_has_part() {
    let d = homolog_testkit::require_data!();
    let o = Ontology::from_path(d.join("go/go_2019-01-29.obo.gz")).unwrap();
    assert_eq!(o.len(), 47_347);
    let t = o.term("GO:0000045").unwrap();
    assert!(t
        .other_relationships
        .iter()
        .any(|(r, x)| r == "has_part" && x == "GO:0019778"));
    let anc = o.ancestors("GO:0000045");
    assert_eq!(anc.len(), 17);
    assert!(!anc.contains("GO:0019778"));
    let total: usize = (0..o.len() as u32).map(|i| o.ancestors_idx(i).len()).sum();
    assert_eq!(total, 756_577);
    // part_of crosses aspects in full GO: protein kinase activity is part_of a process.
    assert!(o.ancestors("GO:0004672").contains("GO:0008150"));
}

#[test]
fn goa_human_gaf() {
    let d = homolog_testkit::require_data!();
    let s = annotation::read_path_detailed(
        d.join("proteins/goa_human_2019-01-14.gaf.gz"),
        AnnotationFormat::Auto,
    )
    .unwrap();
    assert_eq!(s.format, AnnotationFormat::Gaf);
    assert_eq!(s.records.len() + s.dropped_not, 475_402);
    assert_eq!(s.records.len(), 474_215);
    assert!(s.records.iter().all(|a| a.taxon == Some(9606)));
    assert!(s.records.iter().all(|a| a.aspect.is_some()));
    let exp = annotation::filter_evidence(s.records, EXPERIMENTAL_EVIDENCE);
    assert_eq!(exp.len(), 297_936);
    let proteins: std::collections::HashSet<&str> =
        exp.iter().map(|a| a.accession.as_str()).collect();
    assert_eq!(proteins.len(), 15_595);
}

#[test]
fn swissprot_tsv() {
    let d = homolog_testkit::require_data!();
    let s = annotation::read_path_detailed(
        d.join("proteins/swissprot2014_go_subset/swissprot2014_5000_go.tsv.gz"),
        AnnotationFormat::Auto,
    )
    .unwrap();
    assert_eq!(s.format, AnnotationFormat::Tsv);
    assert!(s.had_header);
    assert_eq!(s.records.len(), 51_738);
    let n = |a: Aspect| s.records.iter().filter(|r| r.aspect == Some(a)).count();
    assert_eq!(n(Aspect::CellularComponent), 12_531);
    assert_eq!(n(Aspect::MolecularFunction), 19_276);
    assert_eq!(n(Aspect::BiologicalProcess), 19_931);
    assert_eq!(s.records[0].accession, "A0AF11");
    assert_eq!(s.records[0].go_id, "GO:0004045");
}

#[test]
fn idpo_generic_obo() {
    let d = homolog_testkit::require_data!();
    let o = Ontology::from_path(d.join("go/cafa_evaluator_example/IDPO_disorder_function.obo"))
        .unwrap();
    assert_eq!(o.namespaces(), vec!["disorder_function"]);
    assert!(o.terms().iter().all(|t| t.aspect.is_none()));
    let anc = o.ancestors("IDPO:00502");
    let mut v: Vec<_> = anc.into_iter().collect();
    v.sort();
    assert_eq!(v, vec!["IDPO:00000", "IDPO:00501"]);
}
