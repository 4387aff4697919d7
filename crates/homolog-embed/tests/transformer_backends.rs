//! The transformer backends through the registry and the token-budget batching, on the tiny
//! checkpoints that homolog-models' parity tests check against transformers.
#![cfg(feature = "transformers")]

use std::path::PathBuf;

use homolog_embed::{embed_sequences, registry, ModelSettings};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../homolog-models/tests/fixtures"
    ))
    .join(name)
}

#[test]
fn registry_builds_every_transformer_backend() {
    for (key, dir, dim, layers) in [
        ("ESM", "esm2", 32, 4),
        ("Prot-T5", "prot_t5", 32, 4),
        ("Prost-T5", "prost_t5", 32, 4),
        ("Ankh3-Large", "ankh3", 32, 4),
        ("DNABERT-2", "dnabert2", 48, 4),
        ("ESM3c", "esmc", 64, 4),
    ] {
        let s = ModelSettings {
            path: Some(fixture(dir)),
            ..Default::default()
        };
        let e = registry::build(key, &s).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!((e.dim(), e.num_layers()), (dim, layers), "{key}");
    }
}

#[test]
fn token_budget_batches_do_not_change_results() {
    let settings = ModelSettings {
        path: Some(fixture("esm2")),
        layers: vec![0, 3],
        batch_size: 8,
        max_tokens: Some(60),
        ..Default::default()
    };
    let e = registry::build("esm2", &settings).unwrap();
    let records: Vec<(String, String)> = [
        "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKLSDGHRHDVRAPDYDDWUTPTGLKNINRLQEYLNELDGVSHLQLTAETHWGREAWVENISMPALSHQVTKLPAVRIPGDDRPLVLAAALKAGRSLYADQ",
        "PROTEIN",
        "SEQWENCE",
        "MSDNGELVKLLAE",
        "MKV",
        "",
        "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAK",
    ]
    .iter()
    .enumerate()
    .map(|(i, s)| (format!("p{i}"), s.to_string()))
    .collect();
    let mut batches = vec![];
    let mut got = vec![];
    let summary = embed_sequences(
        e.as_ref(),
        &records,
        &settings,
        |b| {
            batches.push(b.len());
            got.extend(b.into_iter().map(|x| (x.index, x.vectors)));
            Ok(())
        },
        |_, _| {},
    )
    .unwrap();
    assert_eq!(summary.embedded, 6);
    assert_eq!(
        summary.failed,
        vec![("p5".to_string(), "empty sequence".to_string())]
    );
    // The 306-residue protein runs alone; 45 x 1 fits 60; the four short ones share one batch
    // (4 x 13 = 52 <= 60).
    assert_eq!(batches, vec![1, 1, 4]);
    for (index, vectors) in got {
        let alone = e.embed(&[records[index].1.as_str()], &[0, 3]).unwrap();
        for (j, (layer, v)) in vectors.iter().enumerate() {
            assert_eq!(*layer, settings.layers[j]);
            let d = v
                .iter()
                .zip(&alone[0][j])
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(d <= 1e-5, "p{index} layer {layer}: {d}");
        }
    }
}

#[test]
fn transformer_settings_errors_say_how_to_fix() {
    let e = registry::build("esm2", &ModelSettings::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("needs `path:`"), "{e}");
    let e = registry::build(
        "esm2",
        &ModelSettings {
            path: Some(fixture("esm2")),
            precision: Some("int4".into()),
            ..Default::default()
        },
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("fp32, fp16 or bf16"), "{e}");
    let e = registry::build(
        "esm2",
        &ModelSettings {
            path: Some(fixture("prot_t5")),
            ..Default::default()
        },
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("model_type"), "{e}");
    if !cfg!(feature = "cuda") {
        let e = registry::build(
            "esm2",
            &ModelSettings {
                path: Some(fixture("esm2")),
                device: Some("cuda:0".into()),
                ..Default::default()
            },
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("--features cuda"), "{e}");
    }
    // A checkpoint decides its own depth: layer 3 exists in the 3-layer fixture, 4 does not.
    let s = ModelSettings {
        path: Some(fixture("esm2")),
        layers: vec![4],
        ..Default::default()
    };
    s.validate("esm2").unwrap();
    let e = registry::build("esm2", &s).unwrap();
    let err = embed_sequences(e.as_ref(), &[("a", "MKV")], &s, |_| Ok(()), |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("layer 4"), "{err}");
}
