//! Numerical parity with scikit-learn's Lloyd k-means: from the same initial centroids on the
//! same float32 data, homolog's [`lloyd`] must give the same labels, centroids within 1e-4
//! (absolute; sklearn accumulates centre sums in float32, homolog in exact fixed point), the
//! same inertia within 1e-5 (relative) and the same number of iterations.
//! The reference comes from `scripts/cluster/sklearn_kmeans.py` (scikit-learn, installed by
//! scripts/setup.d/50-cluster.sh); without it the test
//! kit skips visibly, or fails with HOMOLOG_REQUIRE_DATA.

use std::path::Path;
use std::process::Command;

use homolog_cluster::comm::Local;
use homolog_cluster::kmeans::{lloyd, LocalData};
use homolog_cluster::KMeansParams;

/// scikit-learn's result on the script's data (python3 with scikit-learn must be present: the
/// test kit reports it missing, a failure with HOMOLOG_REQUIRE_DATA); a failing script fails.
fn reference(out: &Path) -> serde_json::Value {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/cluster/sklearn_kmeans.py");
    let o = Command::new("python3")
        .arg(script)
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "scikit-learn reference failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

fn f32s(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn lloyd_matches_scikit_learn() {
    homolog_testkit::require_python!(["sklearn", "numpy"], "scripts/setup.d/50-cluster.sh");
    let tmp = tempfile::tempdir().unwrap();
    let r = reference(&tmp.path().join("ref.json"));
    let (n, d, k) = (
        r["n"].as_u64().unwrap() as usize,
        r["dim"].as_u64().unwrap() as usize,
        r["k"].as_u64().unwrap() as usize,
    );
    let data = LocalData {
        data: f32s(&r["x"]),
        dim: d,
        global_idx: (0..n as u64).collect(),
    };
    let params = KMeansParams {
        k,
        max_iter: 300,
        ..Default::default()
    };
    let res = lloyd(&data, n as u64, f32s(&r["init"]), 0.0, &params, &Local).unwrap();

    let want: Vec<u32> = r["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let differ = res.labels.iter().zip(&want).filter(|(a, b)| a != b).count();
    assert_eq!(differ, 0, "{differ} of {n} labels differ from scikit-learn");
    let centers = f32s(&r["centers"]);
    let dc = res
        .centroids
        .iter()
        .zip(&centers)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(dc <= 1e-4, "centroids differ by {dc}");
    let inertia = r["inertia"].as_f64().unwrap();
    let rel = (res.inertia - inertia).abs() / inertia;
    assert!(
        rel <= 1e-5,
        "inertia {} vs {inertia} (rel {rel})",
        res.inertia
    );
    assert_eq!(
        res.iterations as u64,
        r["n_iter"].as_u64().unwrap(),
        "iterations (sklearn {})",
        r["sklearn"]
    );
    assert!(res.converged);
}
