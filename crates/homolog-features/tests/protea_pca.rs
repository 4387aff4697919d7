//! Parity of [`EmbeddingPca`] with scikit-learn's PCA on real embeddings.
//!
//! `tests/fixtures/protea/embedding_pca.json` (written by `scripts/protea/pca_fixture.py`)
//! holds scikit-learn's `PCA(n_components=16, svd_solver="full")` fitted on 40 SeqVec
//! embeddings of `$HOMOLOG_DATA/embeddings/cath50_seqvec/cath-db.h5` (converted to f64) and
//! its projections of those 40 and of 10 held-out queries, for all 1024 dimensions (fewer
//! rows than dimensions: the Gram route) and for the first 32 (the covariance route). The
//! embeddings themselves are read from the data folder (reported by homolog-testkit when
//! absent: a failure with HOMOLOG_REQUIRE_DATA).
//!
//! Tolerances: mean 1e-12 absolute; explained variance 1e-9 relative; components (32-d
//! case) 1e-9 absolute; projections, compared up to the sign of each component, 1e-6 of
//! that component's largest absolute query projection (homolog stores them as f32, whose
//! rounding is ~6e-8 relative).

use std::collections::HashMap;
use std::path::PathBuf;

use homolog_features::EmbeddingPca;
use serde_json::Value;

const H5: &str = "embeddings/cath50_seqvec/cath-db.h5";

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/protea/embedding_pca.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/protea/regenerate.sh", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(floats).collect()
}

/// Rows of `keys`, first `dims` values of each, row-major.
fn rows(embeddings: &HashMap<String, Vec<f32>>, keys: &Value, dims: usize) -> Vec<f32> {
    keys.as_array()
        .unwrap()
        .iter()
        .flat_map(|k| {
            let key = k.as_str().unwrap();
            let v = embeddings
                .get(key)
                .unwrap_or_else(|| panic!("{key} not in {H5}"));
            v[..dims].iter().copied()
        })
        .collect()
}

/// Largest |got - s·want| over a projection matrix, the sign s chosen per component, relative
/// to the component's scale; also whether the best sign was + for every component.
fn projection_error(got: &[f32], want: &[Vec<f64>], k: usize, scale: &[f64]) -> (f64, usize) {
    let mut worst = 0.0f64;
    let mut same_sign = 0;
    for c in 0..k {
        let diff = |s: f64| {
            want.iter()
                .enumerate()
                .map(|(r, row)| (f64::from(got[r * k + c]) - s * row[c]).abs())
                .fold(0.0, f64::max)
        };
        let (plus, minus) = (diff(1.0), diff(-1.0));
        same_sign += usize::from(plus <= minus);
        worst = worst.max(plus.min(minus) / scale[c]);
    }
    (worst, same_sign)
}

#[test]
fn seqvec_pca_matches_scikit_learn() {
    let fx = fixture();
    let Some(h5) = homolog_testkit::data_file(H5) else {
        return;
    };
    let embeddings: HashMap<String, Vec<f32>> = homolog_embed::h5::read_per_protein(&h5)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let k = fx["n_components"].as_u64().unwrap() as usize;
    let cases = fx["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 2);
    for (name, case) in cases {
        let dims = case["dims"].as_u64().unwrap() as usize;
        let pool = rows(&embeddings, &case["pool"], dims);
        let queries = rows(&embeddings, &case["queries"], dims);
        let pca = EmbeddingPca::fit(&pool, dims, k).unwrap();
        assert_eq!((pca.dim(), pca.n_components(), pca.rows()), (dims, k, 40));

        let mean_err = pca
            .mean()
            .iter()
            .zip(floats(&case["mean"]))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(mean_err <= 1e-12, "{name}: mean differs by {mean_err}");

        let ev = floats(&case["explained_variance"]);
        let ev_err = pca
            .explained_variance()
            .iter()
            .zip(&ev)
            .map(|(a, b)| ((a - b) / b).abs())
            .fold(0.0, f64::max);
        assert!(
            ev_err <= 1e-9,
            "{name}: explained variance differs by {ev_err} (relative)"
        );
        let ratio_err = pca
            .explained_variance_ratio()
            .iter()
            .zip(floats(&case["explained_variance_ratio"]))
            .map(|(a, b)| ((a - b) / b).abs())
            .fold(0.0, f64::max);
        assert!(
            ratio_err <= 1e-9,
            "{name}: variance ratio differs by {ratio_err}"
        );

        let mut component_err = f64::NAN;
        if let Some(components) = case.get("components") {
            component_err = 0.0;
            for (c, want) in matrix(components).iter().enumerate() {
                let got = pca.component(c).unwrap();
                let plus = got
                    .iter()
                    .zip(want)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                let minus = got
                    .iter()
                    .zip(want)
                    .map(|(a, b)| (a + b).abs())
                    .fold(0.0, f64::max);
                component_err = component_err.max(plus.min(minus));
            }
            assert!(
                component_err <= 1e-9,
                "{name}: components differ by {component_err}"
            );
        }

        let scale = floats(&case["query_projection_max_abs"]);
        let (pool_err, pool_signs) = projection_error(
            &pca.project_rows(&pool).unwrap(),
            &matrix(&case["pool_projection"]),
            k,
            &scale,
        );
        let (query_err, query_signs) = projection_error(
            &pca.project_rows(&queries).unwrap(),
            &matrix(&case["query_projection"]),
            k,
            &scale,
        );
        eprintln!(
            "{name}: mean {mean_err:.2e}, explained variance {ev_err:.2e} (rel), components \
             {component_err:.2e}, pool projections {pool_err:.2e}, query projections \
             {query_err:.2e} (relative to each component's scale); same sign as sklearn on \
             {query_signs}/{k} components"
        );
        assert!(
            pool_err <= 1e-6,
            "{name}: pool projections differ by {pool_err}"
        );
        assert!(
            query_err <= 1e-6,
            "{name}: query projections differ by {query_err}"
        );
        assert_eq!(pool_signs, query_signs);
    }
}
