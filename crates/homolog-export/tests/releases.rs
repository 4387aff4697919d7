//! Labels and categories on a hand-made pair of releases, and what reading a release reports.

use std::path::Path;

use homolog_export::config::{CategoryLists, EvidenceFilter, ReleaseSpec};
use homolog_export::releases::{read_release, CategoryTable};
use homolog_export::{Category, PairTruth};
use homolog_go::Ontology;

const OBO: &str = "\
[Term]\nid: GO:0003674\nname: mf\nnamespace: molecular_function\n\n\
[Term]\nid: GO:0000001\nname: a\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
[Term]\nid: GO:0000002\nname: b\nnamespace: molecular_function\nis_a: GO:0000001\nalt_id: GO:0000022\n\n\
[Term]\nid: GO:0000003\nname: old\nnamespace: molecular_function\nis_obsolete: true\nreplaced_by: GO:0000002\n\n\
[Term]\nid: GO:0000004\nname: gone\nnamespace: molecular_function\nis_obsolete: true\n\n\
[Term]\nid: GO:0008150\nname: bp\nnamespace: biological_process\n\n\
[Term]\nid: GO:0000010\nname: p\nnamespace: biological_process\nis_a: GO:0008150\n\n\
[Term]\nid: GO:0005575\nname: cc\nnamespace: cellular_component\n\n\
[Term]\nid: GO:0000020\nname: c\nnamespace: cellular_component\nis_a: GO:0005575\n";

fn gaf_line(acc: &str, go: &str, evidence: &str, aspect: &str) -> String {
    format!("UniProtKB\t{acc}\tSYM\t\t{go}\tPMID:1\t{evidence}\t\t{aspect}\tname\t\tprotein\ttaxon:9606\t20190101\tUniProt\n")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn labels_and_categories_of_two_releases() {
    let onto = Ontology::from_reader(OBO.as_bytes(), "mini.obo").unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Earlier (a TSV without evidence: kept whole): Q1 has A (F); Q2 has P (P); Q3 nothing.
    let earlier = write(
        dir.path(),
        "t0.tsv",
        "accession\tgo_id\taspect\nQ1\tGO:0000001\tF\nsp|Q2|Q2_HUMAN\tGO:0000010\tP\n",
    );
    // Later (a GAF with evidence): Q1 gains B through its alt id; Q2 gains A; Q3 gains C;
    // Q1 keeps A; an IEA row, an unknown id twice, an obsolete id with and one without a
    // replacement.
    let mut gaf = String::from("!gaf-version: 2.1\n");
    gaf += &gaf_line("Q1", "GO:0000001", "IDA", "F");
    gaf += &gaf_line("Q1", "GO:0000022", "EXP", "F");
    gaf += &gaf_line("Q2", "GO:0000001", "IMP", "F");
    gaf += &gaf_line("Q2", "GO:0000020", "IEA", "C");
    gaf += &gaf_line("Q3", "GO:0000020", "IDA", "C");
    gaf += &gaf_line("Q3", "GO:9999999", "IDA", "C");
    gaf += &gaf_line("Q4", "GO:9999999", "IDA", "F");
    gaf += &gaf_line("Q4", "GO:0000003", "IDA", "F");
    gaf += &gaf_line("Q5", "GO:0000004", "IDA", "F");
    let later = write(dir.path(), "t1.gaf", &gaf);

    let spec = |name: &str, files: Vec<std::path::PathBuf>| ReleaseSpec {
        name: name.into(),
        annotations: files,
        categories: None,
    };
    let filter = EvidenceFilter::Experimental;
    let e = read_release(&spec("t0", vec![earlier]), &onto, &filter).unwrap();
    let l = read_release(&spec("t1", vec![later]), &onto, &filter).unwrap();
    assert_eq!(e.report.rows, 2);
    assert_eq!(e.report.dropped_evidence, 0); // no codes in the file: kept whole
    assert_eq!(l.report.rows, 9);
    assert_eq!(l.report.dropped_evidence, 1);
    assert_eq!(l.report.unknown_go_ids, 2);
    assert_eq!(l.report.unknown_go_id_examples, ["GO:9999999"]);
    assert_eq!(
        (l.report.obsolete_replaced, l.report.obsolete_dropped),
        (1, 1)
    );
    assert_eq!(l.report.proteins, 4); // Q1, Q2, Q3, Q4

    let truth = PairTruth::build(&e, &l, None, &onto);
    let idx = |id: &str| onto.index(id).unwrap();
    let ids: Vec<&str> = truth.proteins.keys().map(String::as_str).collect();
    // Q4 gained B (the obsolete term's replacement), with nothing before: NK.
    assert_eq!(ids, ["Q1", "Q2", "Q3", "Q4"]);
    let (f, p, c) = (1, 0, 2);

    let q1 = &truth.proteins["Q1"];
    assert_eq!(
        q1.category,
        [Some(Category::LK), Some(Category::PK), Some(Category::LK)]
    );
    assert!(q1.label(f, idx("GO:0000002"))); // gained
    assert!(!q1.label(f, idx("GO:0000001"))); // known before
    assert!(!q1.label(f, idx("GO:0003674"))); // known before (propagated)
    assert_eq!(q1.known, [idx("GO:0000001")]);

    let q2 = &truth.proteins["Q2"];
    assert_eq!(
        q2.category,
        [Some(Category::PK), Some(Category::LK), Some(Category::LK)]
    );
    assert!(q2.label(f, idx("GO:0000001")));
    assert!(q2.label(f, idx("GO:0003674"))); // the root, propagated, is new in F
    assert!(!q2.label(f, idx("GO:0000002"))); // a descendant is not implied
    assert!(!q2.label(c, idx("GO:0000020"))); // only an IEA row
    assert!(!q2.label(p, idx("GO:0000010")));

    let q3 = &truth.proteins["Q3"];
    assert_eq!(q3.category, [Some(Category::NK); 3]);
    assert_eq!(q3.gained[c], {
        let mut v = vec![idx("GO:0000020"), idx("GO:0005575")];
        v.sort();
        v
    });
    assert!(q3.known.is_empty());

    // With lists, the lists decide, and a protein in no list for an aspect has no category.
    let nk = write(dir.path(), "nk.txt", "Q3\n");
    let lk = write(dir.path(), "lk.txt", "# comment\nQ2\n");
    let mut lists = CategoryLists::default();
    lists.nk.insert("CCO".into(), vec![nk]);
    lists.lk.insert("MFO".into(), vec![lk]);
    let table = CategoryTable::read(&lists).unwrap();
    let truth = PairTruth::build(&e, &l, Some(&table), &onto);
    assert_eq!(truth.proteins["Q3"].category, [Some(Category::NK); 3]);
    assert_eq!(
        truth.proteins["Q2"].category,
        [None, Some(Category::LK), None]
    );
    assert_eq!(truth.proteins["Q1"].category, [None, None, None]);
}

#[test]
fn a_missing_release_file_is_named() {
    let onto = Ontology::from_reader(OBO.as_bytes(), "mini.obo").unwrap();
    let spec = ReleaseSpec {
        name: "t9".into(),
        annotations: vec!["/nonexistent/t9.gaf".into()],
        categories: None,
    };
    let e = read_release(&spec, &onto, &EvidenceFilter::All)
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/t9.gaf") && e.contains("t9"), "{e}");
}
