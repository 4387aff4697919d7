//! Unit tests with a hand-computed toy case (expected values derived by hand in comments).

use super::*;

const TOY: &str = "[Term]\nid: T:R\nname: root\nnamespace: toy\n\n\
[Term]\nid: T:A\nname: a\nnamespace: toy\nis_a: T:R\nalt_id: T:OLD\n\n\
[Term]\nid: T:B\nname: b\nnamespace: toy\nis_a: T:R\n\n\
[Term]\nid: T:A1\nname: a1\nnamespace: toy\nis_a: T:A\n\n\
[Term]\nid: T:A2\nname: a2\nnamespace: toy\nis_a: T:A\n\n\
[Term]\nid: T:X\nname: gone\nnamespace: toy\nis_obsolete: true\n";

fn toy() -> Ontology {
    Ontology::from_reader(TOY.as_bytes(), "toy.obo").unwrap()
}

fn truth() -> GroundTruth {
    [("p1", "T:A1"), ("p2", "T:B"), ("p3", "T:A2")]
        .into_iter()
        .collect()
}

fn preds() -> Predictions {
    [
        ("p1", "T:A1", 0.8),
        ("p1", "T:B", 0.3),
        ("p2", "T:A2", 0.6),
        ("p4", "T:A", 0.9), // not in the benchmark: ignored
    ]
    .into_iter()
    .collect()
}

fn opts(step: f64) -> EvalOptions {
    EvalOptions {
        threshold_step: step,
        ..Default::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn hand_computed_fmax() {
    // Roots dropped. Propagated truth: p1 {A1,A}, p2 {B}, p3 {A2,A}.
    // Propagated predictions: p1 {A1 .8, A .8, B .3}, p2 {A2 .6, A .6}.
    // tau <= .3: P = (2/3 + 0)/2 = 1/3, R = (1 + 0 + 0)/3 = 1/3, F = 1/3.
    // .3 < tau <= .6: P = (1 + 0)/2 = 1/2, R = 1/3, F = 0.4.
    // .6 < tau <= .8: P = 1, R = 1/3, F = 0.5  -> Fmax 0.5 at the first such tau, 0.7.
    let e = evaluate_detailed(&preds(), &truth(), &toy(), &opts(0.1)).unwrap();
    assert_eq!(e.reports.len(), 1);
    let r = &e.reports[0];
    assert_eq!(r.namespace, "toy");
    assert_eq!(r.aspect, None);
    assert_eq!(r.label(), "toy");
    assert_eq!(r.n_targets, 3);
    assert_eq!(r.n_predicted, 2);
    assert!(close(r.coverage, 2.0 / 3.0));
    assert!(close(r.fmax, 0.5), "{}", r.fmax);
    assert!(close(r.threshold, 0.7));
    assert!(close(r.precision, 1.0));
    assert!(close(r.recall, 1.0 / 3.0));
    assert_eq!(r.curve.len(), 10);
    assert!(close(r.curve[0].f, 1.0 / 3.0));
    assert!(close(r.curve[4].f, 0.4));
    assert_eq!(r.curve[8].n_covered, 0);
    assert_eq!(r.weighted_fmax, None);
    assert_eq!(r.smin, None);
    assert_eq!(e.stats.predictions_not_in_benchmark, 1);
}

#[test]
fn hand_computed_keep_roots() {
    // Root kept: truth p1 {A1,A,R}, p2 {B,R}, p3 {A2,A,R}; p2 now gets R right.
    // tau <= .3: P = (3/4 + 1/3)/2, R = (1 + 1/2 + 0)/3 = 1/2, F = 0.52.
    // .3 < tau <= .6: P = (1 + 1/3)/2 = 2/3, R = 1/2, F = 4/7  <- Fmax at 0.4.
    // .6 < tau <= .8: P = 1, R = 1/3, F = 0.5.
    let o = EvalOptions {
        keep_roots: true,
        ..opts(0.1)
    };
    let r = &evaluate(&preds(), &truth(), &toy(), &o).unwrap()[0];
    assert!(close(r.curve[0].f, 0.52), "{}", r.curve[0].f);
    assert!(close(r.fmax, 4.0 / 7.0), "{}", r.fmax);
    assert!(close(r.threshold, 0.4));
    assert!(close(r.precision, 2.0 / 3.0));
    assert!(close(r.recall, 0.5));
}

#[test]
fn hand_computed_weighted() {
    // IA: A 1, A1 2, A2 3, B 0.5, R 0. Truth IA: p1 3, p2 0.5, p3 4.
    // tau <= .3: wP = (3/3.5 + 0)/2 = 3/7, wR = 1/3; ru = (0 + .5 + 4)/3 = 1.5,
    //            mi = (.5 + 4 + 0)/3 = 1.5, S = 1.5*sqrt(2).
    // .3 < tau <= .6: wP = 1/2, wR = 1/3, ru = 1.5, mi = 4/3.
    // .6 < tau <= .8: wP = 1, wR = 1/3, wF = 0.5, ru = 1.5, mi = 0, S = 1.5 (Smin).
    let ia: HashMap<String, f64> = [("T:A", 1.0), ("T:A1", 2.0), ("T:A2", 3.0), ("T:B", 0.5)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let o = EvalOptions {
        ia: Some(ia),
        ..opts(0.1)
    };
    let r = &evaluate(&preds(), &truth(), &toy(), &o).unwrap()[0];
    let w0 = r.curve[0].weighted.as_ref().unwrap();
    assert!(close(w0.precision, 3.0 / 7.0));
    assert!(close(w0.recall, 1.0 / 3.0));
    assert!(close(w0.ru, 1.5) && close(w0.mi, 1.5));
    assert!(close(w0.s, 1.5 * 2f64.sqrt()));
    let w4 = r.curve[4].weighted.as_ref().unwrap();
    assert!(close(w4.mi, 4.0 / 3.0));
    assert!(close(r.weighted_fmax.unwrap(), 0.5));
    assert!(close(r.weighted_threshold.unwrap(), 0.7));
    assert!(close(r.smin.unwrap(), 1.5));
    assert!(close(r.smin_threshold.unwrap(), 0.7));
    // Unweighted numbers are unchanged by IA.
    assert!(close(r.fmax, 0.5));
}

#[test]
fn alt_unknown_obsolete_and_duplicates() {
    let mut t = truth();
    t.push("p1", "T:OLD"); // alt id of T:A: counted, same propagated set
    t.push("p1", "T:X"); // obsolete
    t.push("p1", "T:NOPE"); // unknown
    let mut p = preds();
    p.push("p1", "T:A1", 0.1); // lower duplicate: max (0.8) wins
    p.push("p2", "T:X", 0.9);
    p.push("p2", "T:OLD", 0.2);
    let e = evaluate_detailed(&p, &t, &toy(), &opts(0.1)).unwrap();
    assert_eq!(e.stats.truth_alt_ids, 1);
    assert_eq!(e.stats.truth_obsolete_terms, 1);
    assert_eq!(e.stats.truth_unknown_terms, 1);
    assert_eq!(e.stats.predictions_unknown_terms, 1);
    assert_eq!(e.stats.predictions_alt_ids, 1);
    let r = &e.reports[0];
    assert!(close(r.fmax, 0.5), "{}", r.fmax);
    assert!(close(r.curve[0].f, 1.0 / 3.0));
}

#[test]
fn threshold_grid() {
    let t = thresholds(0.01).unwrap();
    assert_eq!(t.len(), 100);
    assert_eq!(t[6], 0.07);
    assert_eq!(t[56], 0.57);
    assert_eq!(*t.last().unwrap(), 1.0);
    assert_eq!(thresholds(0.3).unwrap().len(), 3);
    assert!(thresholds(0.0).is_err());
    assert!(thresholds(1.5).is_err());
    assert!(thresholds(f64::NAN).is_err());
}

#[test]
fn aspect_selection() {
    let o = EvalOptions {
        aspects: vec!["BPO".into()],
        ..opts(0.1)
    };
    let e = evaluate(&preds(), &truth(), &toy(), &o).unwrap_err();
    assert!(
        e.to_string()
            .contains("\"BPO\" is not in the ontology toy.obo (it has: toy)"),
        "{e}"
    );
    let o = EvalOptions {
        aspects: vec!["toy".into()],
        ..opts(0.1)
    };
    assert_eq!(evaluate(&preds(), &truth(), &toy(), &o).unwrap().len(), 1);
}

#[test]
fn empty_predictions_score_zero() {
    let r = &evaluate(&Predictions::new(), &truth(), &toy(), &opts(0.01)).unwrap()[0];
    assert_eq!(r.fmax, 0.0);
    assert_eq!(r.coverage, 0.0);
    assert_eq!(r.n_targets, 3);
}

#[test]
fn table_renders() {
    let reports = evaluate(&preds(), &truth(), &toy(), &opts(0.1)).unwrap();
    let t = render_table(&reports);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with("| aspect | targets | coverage |"),
        "{t}"
    );
    assert!(
        lines[2].contains("| toy    |       3 |    0.667 | 0.500 | 0.70 | 1.000 | 0.333 |"),
        "{t}"
    );
    assert!(lines[2].ends_with("- |        - |"), "{t}");
}

#[test]
fn benchmark_target_filter() {
    // Only p1 and p3 are benchmark targets: p2's truth and predictions are ignored.
    // tau <= .3: P = 2/3 (p1 only), R = (1 + 0)/2, F = 4/7.
    // .3 < tau <= .8: P = 1, R = 1/2, F = 2/3  <- Fmax at 0.4.
    let o = EvalOptions {
        targets: Some(["p1", "p3"].iter().map(|s| s.to_string()).collect()),
        ..opts(0.1)
    };
    let e = evaluate_detailed(&preds(), &truth(), &toy(), &o).unwrap();
    let r = &e.reports[0];
    assert_eq!(r.n_targets, 2);
    assert_eq!(e.stats.truth_other_targets, 1);
    assert!(close(r.fmax, 2.0 / 3.0), "{}", r.fmax);
    assert!(close(r.threshold, 0.4));
}

mod readers {
    use crate::*;
    use std::io::Write;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        p
    }

    #[test]
    fn cafa_format_with_keywords_and_duplicates() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            &d,
            "p.txt",
            "AUTHOR team\nMODEL 1\nKEYWORDS homolog.\nT1 GO:1 0.50\nT1\tGO:1\t0.70\nT1 GO:2 0.1\nEND\n",
        );
        let got = read_predictions(&p).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got.rows[0].score, 0.7);
        assert_eq!(got.rows[1].term, "GO:2");
        let h = write(&d, "h.tsv", "target\tterm\tscore\nT1\tGO:1\t1\n");
        assert_eq!(read_predictions(&h).unwrap().len(), 1);
    }

    #[test]
    fn summary_csv_takes_max_final_score() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            &d,
            "summary.csv",
            "accession,go_id,model,final_score\nQ1,GO:1,esm,0.25\nQ1,GO:1,prot_t5,0.75\n\"Q2\",GO:2,esm,0.5\n",
        );
        let got = read_predictions(&p).unwrap();
        assert_eq!(
            got.rows,
            vec![
                Prediction {
                    target: "Q1".into(),
                    term: "GO:1".into(),
                    score: 0.75
                },
                Prediction {
                    target: "Q2".into(),
                    term: "GO:2".into(),
                    score: 0.5
                },
            ]
        );
        let bad = write(&d, "bad.csv", "accession,go_id,score\nQ1,GO:1,0.1\n");
        let e = read_predictions(&bad).unwrap_err().to_string();
        assert!(
            e.contains("bad.csv:1: no final_score column (was postprocess.summary.weights empty?); pick a score with --score COLUMN; available columns: score"),
            "{e}"
        );
        let bad = write(&d, "bad1.csv", "acc,go_id,final_score\nQ1,GO:1,0.1\n");
        let e = read_predictions(&bad).unwrap_err().to_string();
        assert!(
            e.contains("bad1.csv:1: summary CSV needs columns accession and go_id; found: acc, go_id, final_score"),
            "{e}"
        );
        // FANTASIA's wide layout: the best score over models/layers; empty cells are skipped.
        let wide = write(
            &d,
            "wide.csv",
            "accession,go_id,term_count,final_score_esm_L0,final_score_kmer_L0,proteins\nQ1,GO:1,2,0.2,0.6,P1\nQ1,GO:2,1,,0.3,P2\n",
        );
        let got = read_predictions(&wide).unwrap();
        assert_eq!(
            got.rows,
            vec![
                Prediction {
                    target: "Q1".into(),
                    term: "GO:1".into(),
                    score: 0.6
                },
                Prediction {
                    target: "Q1".into(),
                    term: "GO:2".into(),
                    score: 0.3
                },
            ]
        );
        let bad = write(
            &d,
            "bad2.csv",
            "accession,go_id,final_score\nQ1,GO:1,0.1\nQ1,GO:2,x\n",
        );
        let e = read_predictions(&bad).unwrap_err().to_string();
        assert!(
            e.contains("bad2.csv:3: final_score \"x\" is not a number"),
            "{e}"
        );
    }

    /// A long-layout summary with two models, one score above 1.
    const LONG: &str = "accession,go_id,category,model_name,layer_index,term_count,max_ri,count,count_raw,final_score,proteins
Q1,GO:1,F,kmer,0,6,0.9,1.2,6,1.04,P1|P2
Q1,GO:1,F,kmer4,0,1,0.5,0.2,1,0.4,P3
Q1,GO:2,F,kmer4,0,1,0.7,0.2,1,0.3,P3
";

    /// The same predictions in the wide layout (columns sorted by model, then layer).
    const WIDE: &str = "accession,go_id,term_count,max_ri_kmer_L0,max_ri_kmer4_L0,count_kmer_L0,count_kmer4_L0,count_raw_kmer_L0,count_raw_kmer4_L0,final_score_kmer_L0,final_score_kmer4_L0,proteins
Q1,GO:1,7,0.9,0.5,1.2,0.2,6,1,1.04,0.4,P1|P2|P3
Q1,GO:2,1,,0.7,,0.2,,1,,0.3,P3
";

    fn scores(f: &PredictionFile) -> Vec<(String, f64)> {
        f.predictions
            .rows
            .iter()
            .map(|p| (p.term.clone(), p.score))
            .collect()
    }

    #[test]
    fn summary_score_columns_in_both_layouts() {
        let d = tempfile::tempdir().unwrap();
        let long = write(&d, "long.csv", LONG);
        let wide = write(&d, "wide.csv", WIDE);
        let s = |t: &str, v: f64| (t.to_string(), v);
        for p in [&long, &wide] {
            // Default: final_score, best over models; 1.04 is clipped to 1.
            let f = read_predictions_scored(p, None).unwrap();
            assert_eq!(scores(&f), vec![s("GO:1", 1.0), s("GO:2", 0.3)], "{p:?}");
            assert_eq!(f.clipped, 1);
            // One model/layer, same spelling in both layouts.
            let f = read_predictions_scored(p, Some("final_score_kmer4_L0")).unwrap();
            assert_eq!(scores(&f), vec![s("GO:1", 0.4), s("GO:2", 0.3)], "{p:?}");
            assert_eq!((f.clipped, f.score_columns.len()), (0, 1));
            let f = read_predictions_scored(p, Some("final_score_kmer_L0")).unwrap();
            assert_eq!(scores(&f), vec![s("GO:1", 1.0)], "{p:?}");
            // Another column; `count` does not pick up `count_raw_*`.
            let f = read_predictions_scored(p, Some("max_ri")).unwrap();
            assert_eq!(scores(&f), vec![s("GO:1", 0.9), s("GO:2", 0.7)], "{p:?}");
            let f = read_predictions_scored(p, Some("count")).unwrap();
            assert_eq!(scores(&f), vec![s("GO:1", 1.0), s("GO:2", 0.2)], "{p:?}");
            assert_eq!(f.clipped, 1);
            // Unknown names and key columns list what is there.
            let e = read_predictions_scored(p, Some("min_ri"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(":1: no score column min_ri; available columns: "),
                "{e}"
            );
            assert!(e.contains("final_score") && !e.contains("proteins"), "{e}");
            let e = read_predictions_scored(p, Some("proteins"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("names a key column, not a score"), "{e}");
        }
        assert_eq!(
            read_predictions_scored(&wide, None).unwrap().score_columns,
            ["final_score_kmer_L0", "final_score_kmer4_L0"]
        );
        assert_eq!(
            read_predictions_scored(&long, None).unwrap().score_columns,
            ["final_score"]
        );
        let e = read_predictions_scored(&long, Some("final_score_esm_L0"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no row has that model and layer; the file has kmer layer 0, kmer4 layer 0"),
            "{e}"
        );
        // --score is for summary.csv only.
        let tsv = write(&d, "p.tsv", "T1 GO:1 0.5\n");
        let e = read_predictions_scored(&tsv, Some("final_score"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("p.tsv:1: --score final_score picks a summary.csv column"),
            "{e}"
        );
    }

    #[test]
    fn summary_without_rows_has_no_predictions() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "empty.csv", "accession,go_id,term_count,proteins\n");
        let f = read_predictions_scored(&p, None).unwrap();
        assert!(f.predictions.is_empty() && f.score_columns.is_empty());
    }

    #[test]
    fn summary_scores_negative_or_nan_are_errors() {
        let d = tempfile::tempdir().unwrap();
        for (v, want) in [
            (
                "-0.1",
                "final_score is -0.1; scores must be finite and non-negative",
            ),
            ("NaN", "final_score is NaN"),
            ("inf", "final_score is inf"),
        ] {
            let p = write(
                &d,
                "s.csv",
                &format!("accession,go_id,final_score\nQ1,GO:1,0.5\nQ1,GO:2,{v}\n"),
            );
            let e = read_predictions(&p).unwrap_err().to_string();
            assert!(e.contains(&format!("s.csv:3: {want}")), "{e}");
        }
    }

    #[test]
    fn evaluate_files_counts_clipped_scores() {
        let d = tempfile::tempdir().unwrap();
        let obo = write(
            &d,
            "go.obo",
            "[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n\n\
             [Term]\nid: GO:1\nname: one\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
             [Term]\nid: GO:2\nname: two\nnamespace: molecular_function\nis_a: GO:0003674\n",
        );
        let truth = write(&d, "gt.tsv", "Q1\tGO:1\n");
        let long = write(&d, "long.csv", LONG);
        let mut req = EvaluateRequest::new(&long, &truth, &obo);
        let e = evaluate_files(&req).unwrap();
        assert_eq!(e.stats.predictions_clipped, 1);
        // GO:1 scored 1 is right, GO:2 (0.3) is wrong: F = 1 for tau in (0.3, 1].
        assert!((e.reports[0].fmax - 1.0).abs() < 1e-12);
        req.score = Some("final_score_kmer4_L0".into());
        let e = evaluate_files(&req).unwrap();
        assert_eq!(e.stats.predictions_clipped, 0);
        assert!((e.reports[0].threshold - 0.31).abs() < 1e-12);
    }

    #[test]
    fn prediction_errors_name_line() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "p.tsv", "T1 GO:1 0.5\nT1 GO:2 1.5\n");
        let e = read_predictions(&p).unwrap_err().to_string();
        assert!(
            e.ends_with("p.tsv:2: score 1.5 is outside [0, 1]; rescale the scores first"),
            "{e}"
        );
        let p = write(&d, "q.tsv", "T1 GO:1 0.5\nT1 GO:2\n");
        let e = read_predictions(&p).unwrap_err().to_string();
        assert!(e.contains("q.tsv:2: expected `target term score`"), "{e}");
        let missing = d.path().join("nope.tsv");
        let e = read_predictions(&missing).unwrap_err().to_string();
        assert!(e.contains("nope.tsv"), "{e}");
    }

    #[test]
    fn ground_truth_ia_and_lists() {
        let d = tempfile::tempdir().unwrap();
        let g = write(&d, "g.tsv", "target\tterm\nT1\tGO:1\nT2\tGO:2\tBPO\n\n");
        let gt = read_ground_truth(&g).unwrap();
        assert_eq!(gt.len(), 2);
        assert_eq!(gt.rows[1].aspect.as_deref(), Some("BPO"));
        let ia = write(&d, "ia.tsv", "GO:1\t0.5\nGO:2\tinf\n");
        let ia = read_ia(&ia).unwrap();
        assert_eq!(ia["GO:1"], 0.5);
        assert_eq!(ia["GO:2"], 0.0);
        let bad = write(&d, "ia2.tsv", "GO:1\t0.5\nGO:2\tmuch\n");
        let e = read_ia(&bad).unwrap_err().to_string();
        assert!(
            e.contains("ia2.tsv:2: information accretion \"much\""),
            "{e}"
        );
        let l = write(&d, "l.txt", "T1\n\nT2\n");
        let l = read_target_list(&l).unwrap();
        assert!(l.contains("T1") && l.contains("T2") && l.len() == 2);
    }

    #[test]
    fn curves_written_atomically() {
        let d = tempfile::tempdir().unwrap();
        let onto = super::toy();
        let r = evaluate(&super::preds(), &super::truth(), &onto, &super::opts(0.1)).unwrap();
        let out = d.path().join("curve.tsv");
        write_curves_tsv(&out, &r).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 11);
        assert_eq!(
            lines[0],
            "aspect\ttau\tn_covered\tcoverage\tprecision\trecall\tf"
        );
        assert_eq!(
            lines[7],
            "toy\t0.7000\t1\t0.333333\t1.000000\t0.333333\t0.500000"
        );
        // Only the final file is left in the directory.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}

mod naive {
    use super::{close, toy};
    use crate::*;

    #[test]
    fn frequencies_by_hand() {
        // p1: T:A1 -> {A1, A, R}; p2: T:OLD (alt of A) -> {A, R}, repeated; p3: T:B -> {B, R};
        // p4: only obsolete and unknown terms -> not a reference protein at all.
        let ann = [
            ("p1", "T:A1"),
            ("p2", "T:OLD"),
            ("p2", "T:OLD"),
            ("p3", "T:B"),
            ("p4", "T:X"),
            ("p4", "T:NOPE"),
        ];
        let naive = NaiveBaseline::fit(ann, &toy());
        assert_eq!(naive.proteins_per_namespace(), &[("toy".to_string(), 3)]);
        let want = [
            ("T:A", 2.0 / 3.0),
            ("T:A1", 1.0 / 3.0),
            ("T:B", 1.0 / 3.0),
            ("T:R", 1.0),
        ];
        let got = naive.frequencies();
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((t, f), (wt, wf)) in got.iter().zip(want) {
            assert_eq!(t, wt);
            assert!(close(*f, wf), "{t}: {f}");
        }
        assert_eq!(naive.frequency("T:A2"), None);
        assert_eq!(naive.frequency("T:X"), None);
        let preds = naive.predict(["q1", "q2"], 0.5);
        let rows: Vec<(&str, &str)> = preds
            .rows
            .iter()
            .map(|p| (p.target.as_str(), p.term.as_str()))
            .collect();
        assert_eq!(
            rows,
            [("q1", "T:A"), ("q1", "T:R"), ("q2", "T:A"), ("q2", "T:R")]
        );
    }

    #[test]
    fn every_namespace_has_its_own_denominator() {
        let obo = "[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n\n\
                   [Term]\nid: GO:0000001\nname: f\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
                   [Term]\nid: GO:0005575\nname: cellular_component\nnamespace: cellular_component\n\n\
                   [Term]\nid: GO:0000002\nname: c\nnamespace: cellular_component\nis_a: GO:0005575\n";
        let onto = Ontology::from_reader(obo.as_bytes(), "two.obo").unwrap();
        // Three proteins with a function, one of them also with a component.
        let ann = [
            ("p1", "GO:0000001"),
            ("p2", "GO:0003674"),
            ("p3", "GO:0003674"),
            ("p3", "GO:0000002"),
        ];
        let naive = NaiveBaseline::fit(ann, &onto);
        assert!(close(naive.frequency("GO:0000001").unwrap(), 1.0 / 3.0));
        // Every protein annotated in CC has the component: 1 of 1, not 1 of 3.
        assert!(close(naive.frequency("GO:0000002").unwrap(), 1.0));
    }

    /// The same frequencies as the naive baseline of bench/cafa3/baselines.py (the CAFA3
    /// benchmark's Python implementation) on the real Swiss-Prot subset and go-basic.
    #[test]
    fn matches_the_python_baseline_on_real_data() {
        let ann_path = homolog_testkit::require_data!(
            "proteins/swissprot2014_go_subset/swissprot2014_5000_go.tsv.gz"
        );
        let obo_path = homolog_testkit::require_data!("go/go-basic_2021-12-15.obo.gz");
        if !homolog_testkit::python_with(&["gzip"], "scripts/setup.sh --test") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let targets = dir.path().join("t.fasta");
        std::fs::write(&targets, ">T1\nMKV\n").unwrap();
        let script = homolog_testkit::repository_root().join("bench/cafa3/baselines.py");
        let prefix = dir.path().join("naive");
        let out = std::process::Command::new("python3")
            .arg(&script)
            .arg("naive")
            .arg("--annotations")
            .arg(&ann_path)
            .arg("--ontology")
            .arg(&obo_path)
            .arg("--targets")
            .arg(&targets)
            .arg("--out-prefix")
            .arg(&prefix)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut python: Vec<(String, f64)> = Vec::new();
        for aspect in ["BPO", "MFO", "CCO"] {
            let text =
                std::fs::read_to_string(format!("{}_{aspect}.tsv", prefix.display())).unwrap();
            for l in text.lines() {
                let f: Vec<&str> = l.split('\t').collect();
                python.push((f[1].to_string(), f[2].parse().unwrap()));
            }
        }
        python.sort_by(|a, b| a.0.cmp(&b.0));

        let onto = Ontology::from_path(&obo_path).unwrap();
        let truth = read_ground_truth(&ann_path).unwrap();
        let naive = NaiveBaseline::fit(
            truth
                .rows
                .iter()
                .map(|r| (r.target.as_str(), r.term.as_str())),
            &onto,
        );
        let ours = naive.predict(["T1"], 0.01);
        let mut ours: Vec<(String, f64)> =
            ours.rows.into_iter().map(|p| (p.term, p.score)).collect();
        ours.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(ours.len() > 100, "{}", ours.len());
        assert_eq!(ours.len(), python.len());
        for ((t, s), (pt, ps)) in ours.iter().zip(&python) {
            assert_eq!(t, pt);
            // Python wrote six decimals.
            assert!((s - ps).abs() <= 5e-7, "{t}: {s} vs {ps}");
        }
    }
}
