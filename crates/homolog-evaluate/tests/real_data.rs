//! Evaluations on real public benchmarks in shared/data (see SOURCES.md there).
//!
//! Every case is one line `case n_targets n_covered coverage fmax tau precision recall wfmax wtau
//! smin smin_tau` (`-` where there is no IA file) and is checked against up to three references,
//! kept apart on purpose:
//!
//! 1. [`OURS`]: this evaluator's own numbers as [`line`] printed them (`cargo test -p
//!    homolog-evaluate --test real_data -- --nocapture`). A regression guard: any change in
//!    parsing, propagation, thresholds or averaging moves one of them. Checked to
//!    [`REGRESSION_TOLERANCE`] = 1e-9: the 9 printed decimals are within 5e-10 of the computed
//!    value, and the computation is deterministic.
//! 2. [`CAFAEVAL`]: the lines printed by `scripts/evaluate/cafaeval_reference.sh` (CAFA-evaluator,
//!    `cafaeval` 1.3.0 from PyPI, on the same files, with exact k/100 thresholds: see the script),
//!    pasted verbatim. Checked to [`PEER_TOLERANCE`] = 1e-9: 5e-10 for its 9-decimal formatting,
//!    and the rest covers the different float summation order (numpy sums over terms, homolog
//!    over score-sorted prefix sums), which is below 1e-12 for values up to 23.
//! 3. The published goPredSim Fmax ([`PUBLISHED_FMAX`]), with the tolerance explained at
//!    [`PUBLISHED_TOLERANCE`]. Two of the three aspects are outside it: see
//!    `cafa3_no_knowledge_vs_published_gopredsim`.
//!
//! A missing data file fails the tests with `HOMOLOG_REQUIRE_DATA=1` and is reported as
//! `skipped:` otherwise (homolog-testkit).

use std::path::{Path, PathBuf};

use homolog_evaluate::{evaluate_files, render_table, AspectReport, EvaluateRequest};
use homolog_testkit::require_data;

/// This evaluator's numbers (regression values), printed by [`line`]. Today every line equals
/// the corresponding [`CAFAEVAL`] line to the last printed digit; the two tables stay separate so
/// that a deliberate change of ours shows up as a difference between them, not as a silent
/// change of the peer's values.
const OURS: &str = "
idpo/pred_1/roots_dropped 168 168 1.000000000 0.360196442 0.06 0.379504505 0.342757937 - - - -
idpo/pred_2/roots_dropped 168 168 1.000000000 0.341571588 0.85 0.305623722 0.387103175 - - - -
idpo/pred_3/roots_dropped 168 168 1.000000000 0.522653039 0.89 0.492261905 0.557043651 - - - -
idpo/pred_4/roots_dropped 168 168 1.000000000 0.665673125 0.06 0.666666667 0.664682540 - - - -
idpo/pred_5/roots_dropped 168 168 1.000000000 0.543140269 0.38 0.456378066 0.670634921 - - - -
idpo/pred_1/roots_kept 168 168 1.000000000 0.540940589 0.06 0.564527027 0.519246032 - - - -
idpo/pred_2/roots_kept 168 168 1.000000000 0.539604185 0.85 0.504498978 0.579960317 - - - -
idpo/pred_3/roots_kept 168 168 1.000000000 0.668636547 0.89 0.638888889 0.701289683 - - - -
idpo/pred_4/roots_kept 168 168 1.000000000 0.776137421 0.06 0.777777778 0.774503968 - - - -
idpo/pred_5/roots_kept 168 168 1.000000000 0.674768397 0.38 0.596670944 0.776388889 - - - -
cafa3/NK/BPO 846 832 0.983451537 0.359549498 0.44 0.348933356 0.370831893 0.326903036 0.44 21.782687682 1.00
cafa3/NK/MFO 453 451 0.995584989 0.527063680 0.01 0.511452661 0.543657689 0.491098292 0.42 10.380056235 0.61
cafa3/NK/CCO 638 637 0.998432602 0.606477223 0.39 0.582500072 0.632513032 0.531567929 0.46 7.000849402 0.77
cafa3/all/BPO 2139 2114 0.988312295 0.453711565 0.51 0.405861721 0.514352090 0.419677119 0.51 19.006184111 1.00
cafa3/all/MFO 1092 1088 0.996336996 0.558448632 0.29 0.519525239 0.603676747 0.537848259 0.45 9.423317952 0.99
cafa3/all/CCO 1096 1094 0.998175182 0.600940784 0.39 0.580503395 0.622869736 0.522366410 0.39 7.281556111 0.68
cafa3-go2019/NK/BPO 848 848 1.000000000 0.361204860 0.44 0.348300241 0.375102511 0.331201847 0.44 22.646381991 1.00
cafa3-go2019/NK/MFO 454 454 1.000000000 0.525733135 0.01 0.509067999 0.543526318 0.494134817 0.42 10.315098903 0.61
cafa3-go2019/NK/CCO 639 639 1.000000000 0.600552703 0.39 0.574670113 0.628876707 0.531737918 0.39 6.776890611 0.83
";

/// `scripts/evaluate/cafaeval_reference.sh` output, verbatim (cafaeval 1.3.0, numpy 2.4.6, pandas
/// 3.1.1, exact k/100 grid; Smin is the minimum of cafaeval's IA-weighted `s_w`).
const CAFAEVAL: &str = "
idpo/pred_1/roots_dropped 168 168 1.000000000 0.360196442 0.06 0.379504505 0.342757937 - - - -
idpo/pred_2/roots_dropped 168 168 1.000000000 0.341571588 0.85 0.305623722 0.387103175 - - - -
idpo/pred_3/roots_dropped 168 168 1.000000000 0.522653039 0.89 0.492261905 0.557043651 - - - -
idpo/pred_4/roots_dropped 168 168 1.000000000 0.665673125 0.06 0.666666667 0.664682540 - - - -
idpo/pred_5/roots_dropped 168 168 1.000000000 0.543140269 0.38 0.456378066 0.670634921 - - - -
idpo/pred_1/roots_kept 168 168 1.000000000 0.540940589 0.06 0.564527027 0.519246032 - - - -
idpo/pred_2/roots_kept 168 168 1.000000000 0.539604185 0.85 0.504498978 0.579960317 - - - -
idpo/pred_3/roots_kept 168 168 1.000000000 0.668636547 0.89 0.638888889 0.701289683 - - - -
idpo/pred_4/roots_kept 168 168 1.000000000 0.776137421 0.06 0.777777778 0.774503968 - - - -
idpo/pred_5/roots_kept 168 168 1.000000000 0.674768397 0.38 0.596670944 0.776388889 - - - -
cafa3/NK/BPO 846 832 0.983451537 0.359549498 0.44 0.348933356 0.370831893 0.326903036 0.44 21.782687682 1.00
cafa3/NK/MFO 453 451 0.995584989 0.527063680 0.01 0.511452661 0.543657689 0.491098292 0.42 10.380056235 0.61
cafa3/NK/CCO 638 637 0.998432602 0.606477223 0.39 0.582500072 0.632513032 0.531567929 0.46 7.000849402 0.77
cafa3/all/BPO 2139 2114 0.988312295 0.453711565 0.51 0.405861721 0.514352090 0.419677119 0.51 19.006184111 1.00
cafa3/all/MFO 1092 1088 0.996336996 0.558448632 0.29 0.519525239 0.603676747 0.537848259 0.45 9.423317952 0.99
cafa3/all/CCO 1096 1094 0.998175182 0.600940784 0.39 0.580503395 0.622869736 0.522366410 0.39 7.281556111 0.68
cafa3-go2019/NK/BPO 848 848 1.000000000 0.361204860 0.44 0.348300241 0.375102511 0.331201847 0.44 22.646381991 1.00
cafa3-go2019/NK/MFO 454 454 1.000000000 0.525733135 0.01 0.509067999 0.543526318 0.494134817 0.42 10.315098903 0.61
cafa3-go2019/NK/CCO 639 639 1.000000000 0.600552703 0.39 0.574670113 0.628876707 0.531737918 0.39 6.776890611 0.83
";

/// See the module documentation, point 1.
const REGRESSION_TOLERANCE: f64 = 1e-9;
/// See the module documentation, point 2.
const PEER_TOLERANCE: f64 = 1e-9;

/// goPredSim (SeqVec embeddings, k = 1, GOA 2017 lookup) on the CAFA3 no-knowledge benchmark:
/// Fmax 37 ± 2 %, 50 ± 3 %, 57 ± 2 % for BPO, MFO, CCO (Littmann et al. 2021, Sci Rep 11:1160;
/// the goPredSim README). The ± are 95 % confidence intervals from resampling the targets; they
/// are not a tolerance here, since we score the same targets.
const PUBLISHED_FMAX: [(&str, f64); 3] = [("BPO", 0.37), ("MFO", 0.50), ("CCO", 0.57)];
/// The published figures have two decimals, so the unrounded value is within 0.005 of them.
const ROUNDING: f64 = 0.005;
/// The published figures were computed with go_cafa3.obo (2017), which is not obtainable; we use
/// go-basic 2021-12-15. Swapping that for GO 2019-01-29 moves NK Fmax by at most
/// [`MEASURED_GO_2019_SHIFT`] (0.0059 on CCO, checked by `cafa3_ontology_version_shift`). 2017 lies
/// 4.5 years before 2021-12 instead of 2.9, so we allow that shift scaled by 4.5 / 2.9 (0.0092),
/// rounded up to 0.01. A judgement, not a measurement: the 2017 file cannot be tested.
const ONTOLOGY_ALLOWANCE: f64 = 0.01;
/// |ours - published| <= 0.015 counts as reproducing the published Fmax.
const PUBLISHED_TOLERANCE: f64 = ROUNDING + ONTOLOGY_ALLOWANCE;
/// The largest NK Fmax change between go-basic 2021-12-15 and GO 2019-01-29 (0.00592, rounded up).
const MEASURED_GO_2019_SHIFT: f64 = 0.006;

const ASPECTS: [&str; 3] = ["BPO", "MFO", "CCO"];

/// One result in the format of `scripts/evaluate/cafaeval_reference.py`.
fn line(case: &str, r: &AspectReport) -> String {
    let f9 = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.9}"));
    let f2 = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.2}"));
    format!(
        "{case} {} {} {} {} {} {} {} {} {} {} {}",
        r.n_targets,
        r.n_predicted,
        f9(Some(r.coverage)),
        f9(Some(r.fmax)),
        f2(Some(r.threshold)),
        f9(Some(r.precision)),
        f9(Some(r.recall)),
        f9(r.weighted_fmax),
        f2(r.weighted_threshold),
        f9(r.smin),
        f2(r.smin_threshold),
    )
}

const COLUMNS: [&str; 11] = [
    "n_targets",
    "n_covered",
    "coverage",
    "fmax",
    "tau",
    "precision",
    "recall",
    "wfmax",
    "wtau",
    "smin",
    "smin_tau",
];

/// The values of `case` in a table of lines (`-` = None).
fn values(table: &str, source: &str, case: &str) -> Vec<Option<f64>> {
    let fields: Vec<&str> = table
        .lines()
        .map(str::split_whitespace)
        .find_map(|mut f| (f.next() == Some(case)).then(|| f.collect()))
        .unwrap_or_else(|| panic!("no line for {case} in {source}"));
    assert_eq!(fields.len(), COLUMNS.len(), "{source} line {case}");
    fields
        .iter()
        .map(|v| (*v != "-").then(|| v.parse().expect("a number")))
        .collect()
}

/// Asserts that our result for `case` equals the line in `table` within `tol`, column by column.
fn check(table: &str, source: &str, tol: f64, case: &str, r: &AspectReport) {
    let ours = line(case, r);
    let got = values(&ours, "ours", case);
    let want = values(table, source, case);
    for ((name, g), w) in COLUMNS.iter().zip(&got).zip(&want) {
        let ok = match (g, w) {
            (Some(g), Some(w)) => (g - w).abs() <= tol,
            (None, None) => true,
            _ => false,
        };
        assert!(
            ok,
            "{case} {name}: ours {g:?}, {source} {w:?} (tolerance {tol})\nours:   {ours}"
        );
    }
}

/// Regression ([`OURS`]) and peer ([`CAFAEVAL`]) checks of one case.
fn check_both(case: &str, r: &AspectReport) {
    println!("{}", line(case, r));
    check(OURS, "OURS", REGRESSION_TOLERANCE, case, r);
    check(CAFAEVAL, "cafaeval", PEER_TOLERANCE, case, r);
}

/// The files of one CAFA3 evaluation of goPredSim's SeqVec k=1 predictions.
struct Cafa3 {
    aspect: &'static str,
    predictions: PathBuf,
    truth: PathBuf,
    /// The no-knowledge (type1) benchmark list.
    nk_list: PathBuf,
}

fn cafa3(files: &Cafa3, ontology: &Path, ia: &Path, nk: bool) -> AspectReport {
    let mut req = EvaluateRequest::new(&files.predictions, &files.truth, ontology);
    req.ia = Some(ia.to_path_buf());
    req.aspects = vec![files.aspect.to_string()];
    req.benchmark_list = nk.then(|| files.nk_list.clone());
    let e = evaluate_files(&req).unwrap();
    println!(
        "{} nk={nk} {:?}\n{}",
        files.aspect,
        e.stats,
        render_table(&e.reports)
    );
    assert_eq!(e.reports.len(), 1);
    e.reports.into_iter().next().unwrap()
}

/// Goes at the top of a test: the CAFA3 files of each aspect, or `return` (see require_data!).
macro_rules! cafa3_files {
    () => {{
        let mut all = Vec::new();
        for aspect in ASPECTS {
            let lower = aspect.to_ascii_lowercase();
            let b = "go/cafa3_benchmark";
            all.push(Cafa3 {
                aspect,
                predictions: require_data!(&format!(
                    "{b}/gopredsim_seqvec_k1_predictions/targets_1_{lower}.tsv"
                )),
                truth: require_data!(&format!("{b}/groundtruth_leafonly_{aspect}.tsv")),
                nk_list: require_data!(&format!("{b}/lists/{lower}_all_type1.txt")),
            });
        }
        all
    }};
}

#[test]
fn cafa3_no_knowledge_vs_published_gopredsim() {
    // CAFA's headline numbers are on the no-knowledge (type1) benchmark in full mode.
    let files = cafa3_files!();
    let ontology = require_data!("go/go-basic_2021-12-15.obo.gz");
    let ia = require_data!("go/IA_cafa6.tsv");
    // Whether |ours - published| <= PUBLISHED_TOLERANCE. MFO and CCO are not: ours is higher by
    // 0.027 and 0.036, and cafaeval gives the same numbers (below), so the gap is not in the
    // evaluator. The predictions in shared/data are goPredSim's results/ files as regenerated in
    // July 2021 (after the paper): 73-78 % of their rows have score 1.00 (a lookup protein with
    // an identical sequence). The July 2020 version of the same files, from before the paper, has
    // none and scores 0.359 / 0.513 / 0.583 (cafaeval and homolog alike), within the tolerance
    // for all three aspects. See docs/evaluation.md. If a change makes MFO or CCO fall inside,
    // the known gap has changed: find out why and update this table and the docs.
    let within = [("BPO", true), ("MFO", false), ("CCO", false)];
    for ((f, (aspect, published)), (_, expect_within)) in
        files.iter().zip(PUBLISHED_FMAX).zip(within)
    {
        assert_eq!(f.aspect, aspect);
        let r = cafa3(f, &ontology, &ia, true);
        check_both(&format!("cafa3/NK/{aspect}"), &r);
        let gap = r.fmax - published;
        assert_eq!(
            gap.abs() <= PUBLISHED_TOLERANCE,
            expect_within,
            "{aspect} NK Fmax {:.4} vs published {published:.2}: gap {gap:+.4}, tolerance \
             {PUBLISHED_TOLERANCE}; expected {}",
            r.fmax,
            if expect_within {
                "within"
            } else {
                "outside (known gap)"
            },
        );
    }
}

#[test]
fn cafa3_ontology_version_shift() {
    // The same NK evaluation with GO 2019-01-29 (the full go.obo, closer to CAFA3's 2017
    // ontology): how much the ontology version alone moves Fmax (the basis of ONTOLOGY_ALLOWANCE).
    let files = cafa3_files!();
    let go2021 = require_data!("go/go-basic_2021-12-15.obo.gz");
    let go2019 = require_data!("go/go_2019-01-29.obo.gz");
    let ia = require_data!("go/IA_cafa6.tsv");
    let mut shift: f64 = 0.0;
    for f in &files {
        let old = cafa3(f, &go2019, &ia, true);
        check_both(&format!("cafa3-go2019/NK/{}", f.aspect), &old);
        let new = cafa3(f, &go2021, &ia, true);
        shift = shift.max((old.fmax - new.fmax).abs());
    }
    assert!(
        shift <= MEASURED_GO_2019_SHIFT,
        "GO 2019 vs 2021 moves NK Fmax by {shift:.4}, more than the {MEASURED_GO_2019_SHIFT} \
         ONTOLOGY_ALLOWANCE is based on"
    );
}

#[test]
fn cafa3_all_targets_matches_cafaeval() {
    // Whole ground truth (no- and limited-knowledge targets), roots dropped.
    let files = cafa3_files!();
    let ontology = require_data!("go/go-basic_2021-12-15.obo.gz");
    let ia = require_data!("go/IA_cafa6.tsv");
    for f in &files {
        let r = cafa3(f, &ontology, &ia, false);
        check_both(&format!("cafa3/all/{}", f.aspect), &r);
    }
}

#[test]
fn cafa_evaluator_idpo_example() {
    let ex = "go/cafa_evaluator_example";
    let ontology = require_data!(&format!("{ex}/IDPO_disorder_function.obo"));
    let truth = require_data!(&format!("{ex}/ground_truth.tsv"));
    let mut predictions = Vec::new();
    for k in 1..=5 {
        predictions.push(require_data!(&format!("{ex}/predictions/pred_{k}.tsv")));
    }
    for (k, p) in (1..=5).zip(&predictions) {
        for keep_roots in [false, true] {
            let mut req = EvaluateRequest::new(p, &truth, &ontology);
            req.keep_roots = keep_roots;
            let e = evaluate_files(&req).unwrap();
            assert_eq!(e.reports.len(), 1);
            let r = &e.reports[0];
            assert_eq!(r.label(), "disorder_function");
            let roots = if keep_roots { "kept" } else { "dropped" };
            check_both(&format!("idpo/pred_{k}/roots_{roots}"), r);
        }
    }
}
