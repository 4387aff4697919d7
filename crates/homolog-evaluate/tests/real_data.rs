//! Evaluations on real public benchmarks in shared/data (see SOURCES.md there).
//!
//! Reference values marked "cafaeval" come from CAFA-evaluator 1.3.0 (PyPI `cafaeval`) run on
//! the same files with `-no_orphans` (roots dropped) or without it (roots kept), with its
//! threshold grid replaced by exact decimals k/100: numpy's `arange(0.01, 1, 0.01)` yields
//! e.g. 0.07000000000000001, which would reject a score written as 0.07 at tau = 0.07.

use std::path::{Path, PathBuf};

use homolog_evaluate::{evaluate_files, render_table, AspectReport, EvaluateRequest};

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("HOMOLOG_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: data not found at {}", dir.display());
        None
    }
}

fn near(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.6}, want {want:.6} (+-{tol})"
    );
}

/// goPredSim SeqVec k=1 predictions on one CAFA3 aspect, go-basic 2021, CAFA6 IA.
fn cafa3(d: &Path, aspect: &str, list: Option<&str>) -> AspectReport {
    let b = d.join("go/cafa3_benchmark");
    let lower = aspect.to_ascii_lowercase();
    let mut req = EvaluateRequest::new(
        b.join(format!(
            "gopredsim_seqvec_k1_predictions/targets_1_{lower}.tsv"
        )),
        b.join(format!("groundtruth_leafonly_{aspect}.tsv")),
        d.join("go/go-basic_2021-12-15.obo.gz"),
    );
    req.ia = Some(d.join("go/IA_cafa6.tsv"));
    req.aspects = vec![aspect.to_string()];
    req.benchmark_list = list.map(|t| b.join(format!("lists/{lower}_all_{t}.txt")));
    let e = evaluate_files(&req).unwrap();
    println!(
        "{aspect} {list:?} {:?}\n{}",
        e.stats,
        render_table(&e.reports)
    );
    assert_eq!(e.reports.len(), 1);
    e.reports.into_iter().next().unwrap()
}

#[test]
fn cafa3_no_knowledge_matches_published_gopredsim() {
    // CAFA's headline numbers are on the no-knowledge (type1) benchmark in full mode;
    // goPredSim reports Fmax 0.37 BPO / 0.50 MFO / 0.57 CCO for SeqVec k=1.
    let Some(d) = data_dir() else { return };
    for (aspect, published, n) in [("BPO", 0.37, 846), ("MFO", 0.50, 453), ("CCO", 0.57, 638)] {
        let r = cafa3(&d, aspect, Some("type1"));
        assert_eq!(r.n_targets, n, "{aspect} benchmark size");
        near(
            r.fmax,
            published,
            0.04,
            &format!("{aspect} NK Fmax vs published"),
        );
    }
}

#[test]
fn cafa3_all_targets_matches_cafaeval() {
    // Whole ground truth (no- and limited-knowledge), roots dropped; cafaeval values.
    let Some(d) = data_dir() else { return };
    let bpo = cafa3(&d, "BPO", None);
    assert_eq!(bpo.n_targets, 2139);
    near(bpo.fmax, 0.453712, 1e-6, "BPO Fmax");
    near(bpo.threshold, 0.51, 1e-9, "BPO tau");
    near(bpo.precision, 0.405862, 1e-6, "BPO P");
    near(bpo.recall, 0.514352, 1e-6, "BPO R");
    near(bpo.coverage, 0.988312, 1e-6, "BPO coverage");
    near(bpo.weighted_fmax.unwrap(), 0.419677, 1e-6, "BPO wFmax");
    near(bpo.smin.unwrap(), 19.006184, 1e-6, "BPO Smin");

    let mfo = cafa3(&d, "MFO", None);
    near(mfo.fmax, 0.558449, 1e-6, "MFO Fmax");
    near(mfo.threshold, 0.29, 1e-9, "MFO tau");
    near(mfo.precision, 0.519525, 1e-6, "MFO P");
    near(mfo.recall, 0.603677, 1e-6, "MFO R");
    near(mfo.coverage, 0.996337, 1e-6, "MFO coverage");
    near(mfo.weighted_fmax.unwrap(), 0.537848, 1e-6, "MFO wFmax");
    near(mfo.weighted_threshold.unwrap(), 0.45, 1e-9, "MFO w tau");

    let cco = cafa3(&d, "CCO", None);
    near(cco.fmax, 0.600941, 1e-6, "CCO Fmax");
    near(cco.threshold, 0.39, 1e-9, "CCO tau");
    near(cco.coverage, 0.998175, 1e-6, "CCO coverage");
    near(cco.weighted_fmax.unwrap(), 0.522366, 1e-6, "CCO wFmax");
    near(cco.smin.unwrap(), 7.281556, 1e-6, "CCO Smin");
    near(cco.smin_threshold.unwrap(), 0.68, 1e-9, "CCO Smin tau");
}

#[test]
fn cafa_evaluator_idpo_example() {
    let Some(d) = data_dir() else { return };
    let ex = d.join("go/cafa_evaluator_example");
    // (file, roots dropped: Fmax tau P R, roots kept: Fmax tau P R), from cafaeval.
    let want = [
        (
            "pred_1.tsv",
            [0.360196, 0.06, 0.379505, 0.342758],
            [0.540941, 0.06, 0.564527, 0.519246],
        ),
        (
            "pred_2.tsv",
            [0.341572, 0.85, 0.305624, 0.387103],
            [0.539604, 0.85, 0.504499, 0.579960],
        ),
        (
            "pred_3.tsv",
            [0.522653, 0.89, 0.492262, 0.557044],
            [0.668637, 0.89, 0.638889, 0.701290],
        ),
        (
            "pred_4.tsv",
            [0.665673, 0.06, 0.666667, 0.664683],
            [0.776137, 0.06, 0.777778, 0.774504],
        ),
        (
            "pred_5.tsv",
            [0.543140, 0.38, 0.456378, 0.670635],
            [0.674768, 0.38, 0.596671, 0.776389],
        ),
    ];
    for (file, dropped, kept) in want {
        for (keep_roots, w) in [(false, dropped), (true, kept)] {
            let mut req = EvaluateRequest::new(
                ex.join("predictions").join(file),
                ex.join("ground_truth.tsv"),
                ex.join("IDPO_disorder_function.obo"),
            );
            req.keep_roots = keep_roots;
            let e = evaluate_files(&req).unwrap();
            assert_eq!(e.reports.len(), 1);
            let r = &e.reports[0];
            assert_eq!(r.label(), "disorder_function");
            assert_eq!(r.n_targets, 168, "{file}");
            let what = format!("{file} keep_roots={keep_roots}");
            near(r.fmax, w[0], 1e-6, &format!("{what} Fmax"));
            near(r.threshold, w[1], 1e-9, &format!("{what} tau"));
            near(r.precision, w[2], 1e-6, &format!("{what} P"));
            near(r.recall, w[3], 1e-6, &format!("{what} R"));
        }
    }
}
