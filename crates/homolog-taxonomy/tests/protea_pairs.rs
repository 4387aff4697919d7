//! Parity with PROTEA's `compute_taxonomy`: every case of
//! `tests/fixtures/protea/taxonomy_pairs.json` (PROTEA's own function run on ete3 databases
//! built from the same taxdumps, see `scripts/protea/regenerate.sh`) must come out field for
//! field identical.
//!
//! - `mini`: a hand-made tree stored in the fixture (reaches `root-only` and `close`); runs
//!   everywhere.
//! - `wol`: the real Web-of-Life taxdump subset read from `$HOMOLOG_DATA/taxonomy` (reported
//!   by homolog-testkit when absent: a failure with HOMOLOG_REQUIRE_DATA).
//!
//! The only accepted difference: where PROTEA raised (`TypeError` when exactly one id is 0),
//! homolog gives the null features.

use std::path::PathBuf;

use homolog_taxonomy::{parse_taxid, TaxonomicRelation, Taxonomy, TaxonomyPairFeatures};
use serde_json::Value;

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/protea/taxonomy_pairs.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/protea/regenerate.sh", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A raw value as PROTEA's `_normalize_tax_id` sees it: `int(str(raw).strip())`.
fn raw_taxid(v: &Value) -> Option<i64> {
    match v {
        Value::Null => None,
        Value::String(s) => parse_taxid(s),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(i),
            // str() of a Python float has a '.', which int() rejects.
            None => parse_taxid(&format!("{:?}", n.as_f64().unwrap())),
        },
        other => panic!("unexpected raw taxid {other}"),
    }
}

fn add_merged(tax: &mut Taxonomy, part: &Value) {
    for pair in part["merged"].as_array().unwrap() {
        let old = pair[0].as_u64().unwrap() as u32;
        let new = pair[1].as_u64().unwrap() as u32;
        tax.add_merged(old, new);
    }
}

/// Compares every case; returns (cases, cases where PROTEA raised).
fn check_cases(tax: &Taxonomy, part: &Value, name: &str) -> (usize, usize) {
    let cases = part["cases"].as_array().unwrap();
    let mut raised = 0;
    let mut relations_seen = std::collections::BTreeSet::new();
    for case in cases {
        let (q, r) = (raw_taxid(&case["query"]), raw_taxid(&case["reference"]));
        let got = tax.pair_features(q, r);
        let ctx = format!("{name} case {case}");
        assert_eq!(got.query_taxonomy_id, q, "{ctx}");
        assert_eq!(got.ref_taxonomy_id, r, "{ctx}");
        if case.get("error").is_some() {
            raised += 1;
            assert_eq!(got, TaxonomyPairFeatures::null(q, r), "{ctx}");
            continue;
        }
        let want = &case["result"];
        assert_eq!(
            got.taxonomic_lca,
            want["taxonomic_lca"].as_i64(),
            "lca, {ctx}"
        );
        assert_eq!(
            got.taxonomic_distance.map(u64::from),
            want["taxonomic_distance"].as_u64(),
            "distance, {ctx}"
        );
        assert_eq!(
            u64::from(got.taxonomic_common_ancestors),
            want["taxonomic_common_ancestors"].as_u64().unwrap(),
            "common ancestors, {ctx}"
        );
        let relation: TaxonomicRelation = want["taxonomic_relation"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(got.taxonomic_relation, relation, "relation, {ctx}");
        relations_seen.insert(relation);
    }
    eprintln!(
        "{name}: {} cases identical to PROTEA ({raised} where PROTEA raised); relations {:?}",
        cases.len(),
        relations_seen
    );
    (cases.len(), raised)
}

#[test]
fn mini_tree_matches_protea() {
    let fx = fixture();
    let part = &fx["mini"];
    let nodes: Vec<(u32, u32, String)> = part["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n[0].as_u64().unwrap() as u32,
                n[1].as_u64().unwrap() as u32,
                n[2].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut tax = Taxonomy::from_parts(nodes, Vec::<(u32, String)>::new()).unwrap();
    add_merged(&mut tax, part);
    let (n, _) = check_cases(&tax, part, "mini");
    assert!(n >= 20);
    // The fixture must keep exercising the rules the real subset cannot reach.
    let relations: Vec<&str> = part["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["result"]["taxonomic_relation"].as_str())
        .collect();
    for needed in [
        "root-only",
        "close",
        "distant",
        "intermediate",
        "same",
        "unrelated",
    ] {
        assert!(
            relations.contains(&needed),
            "no {needed} case in the fixture"
        );
    }
}

#[test]
fn wol_taxdump_matches_protea() {
    let fx = fixture();
    let part = &fx["wol"];
    let Some(root) = homolog_testkit::data_root() else {
        return;
    };
    let files: Vec<PathBuf> = part["taxdump"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| root.join(p.as_str().unwrap()))
        .collect();
    let mut tax = Taxonomy::from_taxdump(&files[0], Some(&files[1])).unwrap();
    add_merged(&mut tax, part);
    let (n, raised) = check_cases(&tax, part, "wol");
    assert!(n >= 200, "only {n} cases");
    assert_eq!(
        raised, 2,
        "PROTEA raised on the two zero-vs-nonzero cases only"
    );
}
