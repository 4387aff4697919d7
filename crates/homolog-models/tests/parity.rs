//! Parity with Python `transformers`: tiny random-weight checkpoints of every architecture and
//! their reference outputs are built by `scripts/models/make_fixtures.py` (committed under
//! tests/fixtures). Every hidden state, every pooled vector and every per-residue vector must
//! match within 1e-4 (f32); token ids must be identical; results must not depend on batching.
//! Both forward paths are held to this: the fused CPU kernels (f32 on CPU, the default) and
//! candle's generic ops (used for f16/bf16 and CUDA; `generic_path_matches_the_references_too`).
//! Whether the committed fixtures are what the script builds with its pinned package versions is
//! checked by `scripts/models/check_fixtures.sh` (it needs torch, so it is not part of this run).

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use homolog_models::{LanguageModel, LoadOptions, ModelKind, Precision};

const TOL: f32 = 1e-4;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

struct Reference {
    sequences: Vec<String>,
    num_states: usize,
    tensors: std::collections::HashMap<String, Tensor>,
}

fn reference(name: &str) -> Reference {
    let dir = fixtures().join(name);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
            .unwrap();
    let sequences = meta["sequences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let num_states = meta["num_hidden_states"].as_u64().unwrap() as usize;
    let tensors =
        candle_core::safetensors::load(dir.join("reference.safetensors"), &Device::Cpu).unwrap();
    Reference {
        sequences,
        num_states,
        tensors,
    }
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn check_model(kind: ModelKind) {
    let name = kind.name();
    let model = LanguageModel::load(kind, &fixtures().join(name), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let r = reference(name);
    assert_eq!(model.num_hidden_states(), r.num_states, "{name}");
    let s = r.num_states;

    // Token ids and every hidden state, one sequence at a time.
    for (i, seq) in r.sequences.iter().enumerate() {
        let want_ids: Vec<u32> = r.tensors[&format!("ids_{i}")]
            .to_vec1::<i64>()
            .unwrap()
            .into_iter()
            .map(|x| x as u32)
            .collect();
        let tk = model.tokenize(seq).unwrap();
        assert_eq!(tk.ids, want_ids, "{name}: token ids of {seq:?}");
        let hs = model.hidden_states(seq).unwrap();
        let want = r.tensors[&format!("hidden_{i}")].to_vec3::<f32>().unwrap();
        assert_eq!(hs.len(), want.len());
        for (state, (got, exp)) in hs.iter().zip(&want).enumerate() {
            let d = max_diff(&got.concat(), &exp.concat());
            assert!(
                d <= TOL,
                "{name}: seq {i} hidden state {state}: max abs diff {d}"
            );
        }
    }

    // One padded batch, every layer (k = hidden_states[-(k+1)]), pooled and per residue.
    let layers: Vec<usize> = (0..s).collect();
    let seqs: Vec<&str> = r.sequences.iter().map(String::as_str).collect();
    let out = model.embed(&seqs, &layers, true).unwrap();
    for (i, e) in out.iter().enumerate() {
        let pooled = r.tensors[&format!("pooled_{i}")].to_vec2::<f32>().unwrap();
        let hidden = r.tensors[&format!("hidden_{i}")].to_vec3::<f32>().unwrap();
        let tk = model.tokenize(seqs[i]).unwrap();
        for (j, &k) in layers.iter().enumerate() {
            let d = max_diff(&e.pooled[j], &pooled[s - 1 - k]);
            assert!(
                d <= TOL,
                "{name}: seq {i} layer {k} pooled: max abs diff {d}"
            );
            let pr = &e.per_residue.as_ref().unwrap()[j];
            let want = &hidden[s - 1 - k][tk.residues.clone()];
            assert_eq!(pr.len(), want.len());
            let d = max_diff(&pr.concat(), &want.concat());
            assert!(
                d <= TOL,
                "{name}: seq {i} layer {k} per-residue: max abs diff {d}"
            );
        }
    }

    // Batch composition does not change results: alone == in the batch.
    for (i, seq) in seqs.iter().enumerate() {
        let alone = model.embed(&[seq], &[0, 1], false).unwrap();
        for j in 0..2 {
            let d = max_diff(&alone[0].pooled[j], &out[i].pooled[j]);
            assert!(d <= 1e-5, "{name}: seq {i} alone vs batch: {d}");
        }
    }
}

#[test]
fn esm2_matches_transformers() {
    check_model(ModelKind::Esm2);
}

#[test]
fn prot_t5_matches_transformers_from_pytorch_bin() {
    check_model(ModelKind::ProtT5);
}

#[test]
fn prost_t5_matches_transformers() {
    check_model(ModelKind::ProstT5);
}

#[test]
fn ankh3_matches_transformers() {
    check_model(ModelKind::Ankh3);
}

#[test]
fn dnabert2_matches_reference_forward() {
    check_model(ModelKind::DnaBert2);
}

#[test]
fn esmc_matches_the_esm_package_from_its_pth_state_dict() {
    check_model(ModelKind::EsmC);
}

/// ESM C in f16 and bf16 (candle's generic ops) stays near the f32 reference.
#[test]
fn esmc_reduced_precision_stays_close() {
    let dir = fixtures().join("esmc");
    let f32m = LanguageModel::load(ModelKind::EsmC, &dir, &LoadOptions::default()).unwrap();
    let want = f32m.embed(&["MKTAYIAKQRQISFVK"], &[0], false).unwrap();
    for p in [Precision::F16, Precision::Bf16] {
        let opts = LoadOptions {
            precision: p,
            ..LoadOptions::default()
        };
        let m = LanguageModel::load(ModelKind::EsmC, &dir, &opts).unwrap();
        let got = m.embed(&["MKTAYIAKQRQISFVK"], &[0], false).unwrap();
        let d = max_diff(&got[0].pooled[0], &want[0].pooled[0]);
        assert!(d < 0.1, "esmc {p:?}: max abs diff {d}");
    }
}

#[test]
fn esmc_config_must_match_its_weights() {
    let src = fixtures().join("esmc");
    let tmp = std::env::temp_dir().join(format!("homolog-models-esmc-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("data/weights")).unwrap();
    std::fs::copy(
        src.join("data/weights/esmc_tiny.pth"),
        tmp.join("data/weights/esmc_tiny.pth"),
    )
    .unwrap();
    let load = |cfg: &str| {
        std::fs::write(tmp.join("config.json"), cfg).unwrap();
        LanguageModel::load(ModelKind::EsmC, &tmp, &LoadOptions::default())
    };
    let e = load(r#"{"model_type": "esmc", "n_heads": 4, "n_layers": 5}"#).unwrap_err();
    assert!(e.to_string().contains("n_layers"), "{e}");
    let e = load(r#"{"model_type": "esmc"}"#).unwrap_err();
    assert!(e.to_string().contains("n_heads"), "{e}");
    let e = load(r#"{"model_type": "esm", "n_heads": 4}"#).unwrap_err();
    assert!(e.to_string().contains("model_type"), "{e}");
    // d_model and n_layers come from the weights.
    let m = load(r#"{"model_type": "esmc", "n_heads": 4}"#).unwrap();
    assert_eq!((m.dim(), m.num_hidden_states()), (64, 4));
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn t5_buckets_match_transformers() {
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("t5_buckets.json")).unwrap())
            .unwrap();
    let first = t["first"].as_i64().unwrap();
    for (key, nb) in [("b32_d128", 32), ("b64_d128", 64)] {
        for (i, want) in t[key].as_array().unwrap().iter().enumerate() {
            let rel = first + i as i64;
            let got = homolog_models::t5_encoder::relative_bucket(rel, nb, 128);
            assert_eq!(got as u64, want.as_u64().unwrap(), "{key} rel {rel}");
        }
    }
}

#[test]
fn reduced_precision_stays_close() {
    let dir = fixtures().join("esm2");
    let f32m = LanguageModel::load(ModelKind::Esm2, &dir, &LoadOptions::default()).unwrap();
    for p in [Precision::Bf16, Precision::F16] {
        let m = LanguageModel::load(
            ModelKind::Esm2,
            &dir,
            &LoadOptions {
                precision: p,
                ..Default::default()
            },
        )
        .unwrap();
        let a = f32m.embed(&["MKTAYIAKQR", "PROTEIN"], &[0], false).unwrap();
        let b = m.embed(&["MKTAYIAKQR", "PROTEIN"], &[0], false).unwrap();
        for (x, y) in a.iter().zip(&b) {
            let d = max_diff(&x.pooled[0], &y.pooled[0]);
            assert!(d < 0.1, "{p:?}: {d}");
        }
    }
}

#[test]
fn mismatching_config_names_the_key() {
    // A T5 checkpoint loaded as ESM-2, and ESM-2 as T5: the error names `model_type`.
    let e = LanguageModel::load(
        ModelKind::Esm2,
        &fixtures().join("prot_t5"),
        &LoadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("model_type") && e.contains("\"t5\""), "{e}");
    let e = LanguageModel::load(
        ModelKind::ProtT5,
        &fixtures().join("esm2"),
        &LoadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("model_type") && e.contains("esm"), "{e}");
    // ProtT5 weights with Ankh's checks: relu is not Ankh's feed-forward.
    let e = LanguageModel::load(
        ModelKind::Ankh3,
        &fixtures().join("prot_t5"),
        &LoadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("feed_forward_proj"), "{e}");
    // ProtT5 has no <AA2fold>.
    let e = LanguageModel::load(
        ModelKind::ProstT5,
        &fixtures().join("prot_t5"),
        &LoadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("<AA2fold>"), "{e}");
    // A config with a key changed to a wrong value.
    let tmp = std::env::temp_dir().join(format!("homolog-models-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for f in std::fs::read_dir(fixtures().join("esm2")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, tmp.join(f.file_name().unwrap())).unwrap();
    }
    let cfg = std::fs::read_to_string(tmp.join("config.json")).unwrap();
    // The ESM-2 load error with `from` replaced by `to` in config.json.
    let load_with = |from: &str, to: &str| {
        std::fs::write(tmp.join("config.json"), cfg.replace(from, to)).unwrap();
        LanguageModel::load(ModelKind::Esm2, &tmp, &LoadOptions::default())
            .unwrap_err()
            .to_string()
    };
    let e = load_with("\"rotary\"", "\"absolute\"");
    assert!(e.contains("position_embedding_type"), "{e}");
    // Heads that do not divide the hidden size (the fixture has 4 heads of a 32-wide model).
    let e = load_with("\"num_attention_heads\": 4", "\"num_attention_heads\": 5");
    assert!(
        e.contains("num_attention_heads") && e.contains("5 does not divide hidden_size"),
        "{e}"
    );
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn bad_requests_are_errors() {
    let m = LanguageModel::load(
        ModelKind::Esm2,
        &fixtures().join("esm2"),
        &LoadOptions::default(),
    )
    .unwrap();
    let e = m.embed(&["MKV"], &[99], false).unwrap_err().to_string();
    assert!(e.contains("layer 99") && e.contains("0..=3"), "{e}");
    let e = m.embed(&["MKV", ""], &[0], false).unwrap_err().to_string();
    assert!(e.contains("#2") && e.contains("empty"), "{e}");
    // <mask> is one token for three characters: per-residue output is not defined.
    let e = m.embed(&["MK<mask>V"], &[0], true).unwrap_err().to_string();
    assert!(e.contains("per-residue"), "{e}");
    assert_eq!(m.embed(&[], &[0], false).unwrap(), vec![]);
}

/// bio_embeddings' golden per-residue outputs of the real ProtT5-XL and ESM-1b (same vocabulary
/// as ESM-2) have one row per residue: our tokenisation must give the same residue tokens.
#[test]
fn tokenisation_matches_published_reference_outputs() {
    let dir = homolog_testkit::require_data!("embeddings/reference_outputs");
    let fasta = std::fs::read_to_string(dir.join("input.fasta")).unwrap();
    let mut records = vec![];
    let mut id = String::new();
    for line in fasta.lines() {
        if let Some(h) = line.strip_prefix('>') {
            id = h.trim().to_string();
        } else if !line.trim().is_empty() {
            records.push((id.clone(), line.trim().to_string()));
        }
    }
    assert_eq!(records.len(), 2);
    for (file, kind) in [
        ("prottrans_t5_xl_u50.npz", ModelKind::ProtT5),
        ("esm1b.npz", ModelKind::Esm2),
    ] {
        let npz: std::collections::HashMap<String, Tensor> = Tensor::read_npz(dir.join(file))
            .unwrap()
            .into_iter()
            .collect();
        let m = LanguageModel::load(kind, &fixtures().join(kind.name()), &LoadOptions::default())
            .unwrap();
        for (id, seq) in &records {
            let rows = npz[id].dims()[0];
            let tk = m.tokenize(seq).unwrap();
            assert_eq!(tk.residues.len(), rows, "{file} {id}");
            assert_eq!(tk.residues.len(), seq.len());
            // And the residue tokens are the residues themselves (no <unk>).
            let unk = m.tokenizer().token_id("<unk>").unwrap();
            assert!(!tk.ids[tk.residues.clone()].contains(&unk), "{file} {id}");
        }
    }
}

/// The same parity checks on candle's generic ops (the path of f16/bf16 and CUDA): this test
/// runs the five forward-pass parity tests of this binary again in a child process with
/// `HOMOLOG_MODELS_GENERIC=1`, which turns the fused CPU kernels off for the whole process.
#[test]
fn generic_path_matches_the_references_too() {
    if std::env::var_os("HOMOLOG_MODELS_GENERIC").is_some() {
        return; // the child itself
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "esm2_matches_transformers",
            "prot_t5_matches_transformers_from_pytorch_bin",
            "prost_t5_matches_transformers",
            "ankh3_matches_transformers",
            "dnabert2_matches_reference_forward",
            "--test-threads",
            "2",
        ])
        .env("HOMOLOG_MODELS_GENERIC", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "generic path:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("test result: ok. 5 passed"),
        "the generic run did not run the five parity tests:\n{stdout}"
    );
}
