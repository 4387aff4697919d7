//! Feature formulas against values computed by hand on a four-protein pool.
//!
//! Pool (2-d embeddings, cosine distance), query q = (1, 0.1), k = 3:
//!
//! | protein | embedding | taxid | F annotations | P | C |
//! |---|---|---|---|---|---|
//! | R1 | (1, 0) | 562 | A (IDA), B (IDA), B (EXP) | P1 | |
//! | R2 | (0.8, 0.6) | 561 | B (IMP) | | C1 |
//! | R3 | (0, 1) | 9606 (not in the taxonomy) | C | | |
//! | R4 | (-1, 0) | none | A | | |
//!
//! F neighbours: R1, R2, R3 (R4 is 4th). P: R1 only. C: R2 only.

use std::sync::Arc;

use homolog_export::semantics::{Anc2Vec, IcSimilarity};
use homolog_export::{
    rows_for_queries, Category, PoolBuilder, ProteinTruth, QueryInput, RowContext, RowSettings,
};
use homolog_go::{Aspect, Ontology};
use homolog_taxonomy::{TaxonomicRelation, Taxonomy};

const OBO: &str = "\
[Term]\nid: GO:0003674\nname: mf\nnamespace: molecular_function\n\n\
[Term]\nid: GO:000000A\nname: a\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
[Term]\nid: GO:000000B\nname: b\nnamespace: molecular_function\nis_a: GO:000000A\n\n\
[Term]\nid: GO:000000C\nname: c\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
[Term]\nid: GO:0008150\nname: bp\nnamespace: biological_process\n\n\
[Term]\nid: GO:00000P1\nname: p1\nnamespace: biological_process\nis_a: GO:0008150\n\n\
[Term]\nid: GO:0005575\nname: cc\nnamespace: cellular_component\n\n\
[Term]\nid: GO:00000C1\nname: c1\nnamespace: cellular_component\nis_a: GO:0005575\n";

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-6, "{what}: {a} != {b}");
}

/// Cosine distance as the search computes it, from the vectors.
fn cos_dist(q: [f64; 2], r: [f64; 2]) -> f64 {
    let dot = q[0] * r[0] + q[1] * r[1];
    1.0 - dot / ((q[0] * q[0] + q[1] * q[1]).sqrt() * (r[0] * r[0] + r[1] * r[1]).sqrt())
}

#[test]
fn hand_computed_features() {
    let onto = Ontology::from_reader(OBO.as_bytes(), "mini.obo").unwrap();
    let (f, p, c) = (
        Aspect::MolecularFunction,
        Aspect::BiologicalProcess,
        Aspect::CellularComponent,
    );
    let pool = PoolBuilder::new(2)
        .protein(
            "R1",
            "MKTAYIAKQRQISFVKSHFSRQ",
            &[1.0, 0.0],
            Some(562),
            &[
                ("GO:000000A", f, Some("IDA")),
                ("GO:000000B", f, Some("IDA")),
                ("GO:000000B", f, Some("EXP")),
                ("GO:00000P1", p, Some("TAS")),
            ],
        )
        .protein(
            "R2",
            "MKTAWIAKQRQISFVKSHF",
            &[0.8, 0.6],
            Some(561),
            &[("GO:000000B", f, Some("IMP")), ("GO:00000C1", c, None)],
        )
        .protein(
            "R3",
            "GGGGSSSS",
            &[0.0, 1.0],
            Some(9606),
            &[("GO:000000C", f, None)],
        )
        .protein(
            "R4",
            "MKV",
            &[-1.0, 0.0],
            None,
            &[("GO:000000A", f, Some("IDA"))],
        )
        .build()
        .unwrap();
    let taxonomy = Taxonomy::from_parts(
        [
            (1, 1, "no rank"),
            (2, 1, "superkingdom"),
            (561, 2, "genus"),
            (562, 561, "species"),
        ],
        Vec::<(u32, &str)>::new(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let npz = dir.path().join("anc2vec.npz");
    homolog_export::npz::write_anc2vec_npz(
        &npz,
        &["GO:000000A", "GO:000000B", "GO:000000C", "GO:0003674"],
        &[1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0],
        2,
    )
    .unwrap();
    let anc2vec = Anc2Vec::load(&npz).unwrap();
    assert_eq!(anc2vec.len(), 3); // the root's vector is all zero
    let ia: std::collections::HashMap<String, f64> = [
        ("GO:000000A", 1.0),
        ("GO:000000B", 2.0),
        ("GO:000000C", 3.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let ic = IcSimilarity::from_ia(&ia, &onto);
    let term_onto: Vec<Option<u32>> = (0..pool.n_terms() as u32)
        .map(|t| onto.index(pool.term_id(t)))
        .collect();
    let ctx = RowContext {
        pool: &pool,
        onto: &onto,
        term_onto: &term_onto,
        taxonomy: Some(&taxonomy),
        anc2vec: Some(&anc2vec),
        ic: Some(&ic),
        k: 3,
        release_pair: Arc::from("t0->t1"),
    };
    let query = QueryInput {
        accession: "Q".into(),
        sequence: "MKTAYIAKQRQISFVKSHFSRQ".into(),
        embedding: vec![1.0, 0.1],
        taxid: Some(562),
    };
    // Earlier: A in F. Later: B and C in F. F is PK, P is LK, C has no category.
    let idx = |id: &str| onto.index(id).unwrap();
    let mut truth = ProteinTruth {
        category: [Some(Category::LK), Some(Category::PK), None],
        known: vec![idx("GO:000000A")],
        ..Default::default()
    };
    let was = onto.propagate_idx(&[idx("GO:000000A")]);
    truth.gained[1] = onto
        .propagate_idx(&[idx("GO:000000B"), idx("GO:000000C")])
        .into_iter()
        .filter(|t| !was.contains(t))
        .collect();
    let settings = RowSettings {
        k: 3,
        threads: 1,
        ..RowSettings::default()
    };
    let (rows, report) =
        rows_for_queries(&ctx, &[query], &[&truth], None, &settings, None).unwrap();

    // P first (one candidate), then F (A, B, C in vote order); C has no category.
    let ids: Vec<(&str, Aspect)> = rows.iter().map(|r| (r.go_id.as_str(), r.aspect)).collect();
    assert_eq!(
        ids,
        [
            ("GO:00000P1", p),
            ("GO:000000A", f),
            ("GO:000000B", f),
            ("GO:000000C", f)
        ]
    );
    // Alignment pairs: query x R1 (P and F carrier), R3; distinct 2.
    assert_eq!((report.pairs, report.unique), (2, 2));

    let q = [1.0, 0.1];
    let d1 = cos_dist(q, [1.0, 0.0]);
    let d2 = cos_dist(q, [0.8, 0.6]);
    let d3 = cos_dist(q, [0.0, 1.0]);
    // All neighbours of the query: F d1 d2 d3, P d1, C d2.
    let all = [d1, d2, d3, d1, d2];
    let mean = all.iter().sum::<f64>() / 5.0;
    let std = (all.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / 5.0).sqrt();

    let (pr, a, b, cc) = (&rows[0], &rows[1], &rows[2], &rows[3]);
    assert_eq!(pr.category, Category::LK);
    assert!(!pr.label);
    assert_eq!(pr.evidence_code, "TAS");
    for r in &rows[1..] {
        assert_eq!(r.category, Category::PK);
        close(r.neighbor_distance_std, std, "neighbor_distance_std");
        assert_eq!(r.release_pair.as_ref(), "t0->t1");
        assert!(r.emb_pca.iter().all(|v| v.is_nan())); // no PCA given
        assert_eq!(r.qualifier, "");
    }
    // Labels: B and C gained, A already known.
    assert_eq!((a.label, b.label, cc.label), (false, true, true));

    // A: one vote (R1; R4 is not among the 3 nearest).
    assert_eq!(a.vote_count, 1.0);
    assert_eq!(a.k_position, 1.0);
    close(a.distance, d1, "A distance");
    close(a.neighbor_vote_fraction, 1.0 / 3.0, "A fraction");
    close(a.neighbor_mean_distance, d1, "A mean");
    assert_eq!(a.go_term_frequency, 2.0); // R1 and R4
    assert_eq!(a.ref_annotation_density, 4.0); // R1: 3 F + 1 P
    assert_eq!(a.ref_protein_accession, "R1");
    assert_eq!(a.evidence_code, "IDA");

    // B: R1 votes twice (IDA, EXP), R2 once.
    assert_eq!(b.vote_count, 3.0);
    assert_eq!(b.k_position, 1.0);
    close(b.neighbor_vote_fraction, 1.0, "B fraction");
    close(b.neighbor_min_distance, d1, "B min");
    close(b.neighbor_mean_distance, (2.0 * d1 + d2) / 3.0, "B mean");
    assert_eq!(b.go_term_frequency, 3.0);
    assert_eq!(b.evidence_code, "IDA"); // the carrier's first annotation with B

    // C: R3 only, third.
    assert_eq!(cc.vote_count, 1.0);
    assert_eq!(cc.k_position, 3.0);
    close(cc.distance, d3, "C distance");
    assert_eq!(cc.ref_annotation_density, 1.0);
    assert_eq!(cc.evidence_code, "");

    // Alignment against the carrier: identical sequences for R1.
    let al = a.alignment.unwrap();
    assert_eq!(al.identity_nw, 1.0);
    assert_eq!((al.length_query, al.length_ref), (22, 22));
    assert_eq!(b.alignment, a.alignment); // same carrier
    assert_eq!(cc.alignment.unwrap().length_ref, 8);

    // Taxonomy of the carrier pair.
    let ta = a.taxonomy.unwrap();
    assert_eq!(ta.taxonomic_relation, TaxonomicRelation::Same);
    assert_eq!(
        (ta.query_taxonomy_id, ta.ref_taxonomy_id),
        (Some(562), Some(562))
    );
    let tc = cc.taxonomy.unwrap();
    assert_eq!(tc.taxonomic_relation, TaxonomicRelation::Unrelated); // 9606 unknown
    assert_eq!(tc.taxonomic_common_ancestors, 0);
    assert_eq!(tc.taxonomic_distance, None);
    // Voters of B: R1 twice (same, 1 common ancestor), R2 once (descendant: 561 is on the
    // query's lineage; lineages share 1, 2, 561).
    close(b.tax_voters.same_frac, 2.0 / 3.0, "same frac");
    close(b.tax_voters.close_frac, 1.0, "close frac");
    close(
        b.tax_voters.mean_common_ancestors,
        (1.0 + 1.0 + 3.0) / 3.0,
        "mean common",
    );
    close(cc.tax_voters.same_frac, 0.0, "C same");
    close(cc.tax_voters.mean_common_ancestors, 0.0, "C common");

    // anc2vec: unit A = (1,0), B = (.707,.707), C = (0,1); the neighbour centroid is along
    // (1,1); the query knew A.
    let h = std::f64::consts::FRAC_1_SQRT_2;
    close(a.anc2vec.neighbor_cos, h, "A cos");
    close(a.anc2vec.neighbor_maxcos, 1.0, "A maxcos (itself)");
    close(b.anc2vec.neighbor_cos, 1.0, "B cos");
    close(b.anc2vec.query_known_cos, h, "B known cos");
    close(b.anc2vec.query_known_maxcos, h, "B known maxcos");
    close(cc.anc2vec.query_known_cos, 0.0, "C known cos");
    assert_eq!(b.anc2vec.has_emb, 1.0);
    assert_eq!(b.anc2vec.query_known_count, 1.0);
    // P1 has no vector.
    assert_eq!(pr.anc2vec.has_emb, 0.0);
    assert!(pr.anc2vec.neighbor_cos.is_nan());

    // IC: IA(root) 0, A 1, B 2, C 3 -> IC(A) = 1, IC(B) = 3, IC(C) = 3.
    close(b.ontology.go_ic, 3.0, "IC(B)");
    close(b.ontology.resnik_neighbor_max, 1.0, "Resnik(B, {A, C})"); // MICA(B, A) = A
    close(b.ontology.lin_neighbor_max, 2.0 * 1.0 / 4.0, "Lin(B, A)");
    close(
        b.ontology.lin_neighbor_mean,
        (0.5 + 0.0) / 2.0,
        "mean Lin(B, {A, C})",
    );
    close(b.ontology.lin_query_known_max, 0.5, "Lin(B, known A)");
    close(
        cc.ontology.resnik_neighbor_max,
        0.0,
        "C shares only the root",
    );
    assert!(pr.ontology.lin_neighbor_max.is_nan()); // P1 has no other neighbour term
    assert!(pr.ontology.lin_query_known_max.is_nan()); // no known P term
}

#[test]
fn self_is_excluded_and_k_counts_proteins() {
    let onto = Ontology::from_reader(OBO.as_bytes(), "mini.obo").unwrap();
    let f = Aspect::MolecularFunction;
    let pool = PoolBuilder::new(2)
        .protein("Q", "MKV", &[1.0, 0.0], None, &[("GO:000000A", f, None)])
        .protein("R1", "MKV", &[0.9, 0.1], None, &[("GO:000000B", f, None)])
        .protein("R2", "MKV", &[0.5, 0.5], None, &[("GO:000000C", f, None)])
        .build()
        .unwrap();
    let term_onto: Vec<Option<u32>> = (0..pool.n_terms() as u32)
        .map(|t| onto.index(pool.term_id(t)))
        .collect();
    let ctx = RowContext {
        pool: &pool,
        onto: &onto,
        term_onto: &term_onto,
        taxonomy: None,
        anc2vec: None,
        ic: None,
        k: 2,
        release_pair: Arc::from("x"),
    };
    let query = QueryInput {
        accession: "Q".into(),
        sequence: "MKV".into(),
        embedding: vec![1.0, 0.0],
        taxid: None,
    };
    let truth = ProteinTruth {
        category: [Some(Category::NK); 3],
        ..Default::default()
    };
    let run = |exclude_self| {
        let settings = RowSettings {
            k: 2,
            exclude_self,
            alignment: false,
            ..RowSettings::default()
        };
        rows_for_queries(
            &ctx,
            std::slice::from_ref(&query),
            &[&truth],
            None,
            &settings,
            None,
        )
        .unwrap()
        .0
    };
    let ids = |rows: Vec<homolog_export::CandidateRow>| -> Vec<String> {
        rows.into_iter().map(|r| r.ref_protein_accession).collect()
    };
    assert_eq!(ids(run(true)), ["R1", "R2"]);
    assert_eq!(ids(run(false)), ["Q", "R1"]);
    // Without alignment and taxonomy those columns are empty.
    let rows = run(true);
    assert!(rows[0].alignment.is_none() && rows[0].taxonomy.is_none());
    assert!(rows[0].tax_voters.same_frac.is_nan());
}
