//! `path: hf:<name>` through the registry, offline: a Hugging Face cache laid out as
//! huggingface_hub leaves it (here filled with the tiny ESM-2 checkpoint under FANTASIA's
//! repository name) is used without any request. This binary holds one test only, because it
//! sets the process's HF_* variables (the download itself is tested in homolog-models against a
//! loopback server, with options passed explicitly).
#![cfg(feature = "transformers")]

use std::path::PathBuf;

use homolog_embed::{registry, ModelSettings};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

#[test]
fn hf_paths_use_the_hugging_face_cache_offline() {
    let fixture = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../homolog-models/tests/fixtures/esm2"
    ));
    let cache = tempfile::tempdir().unwrap();
    let root = cache.path().join("models--facebook--esm2_t33_650M_UR50D");
    let snap = root.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::create_dir_all(root.join("refs")).unwrap();
    std::fs::write(root.join("refs/main"), COMMIT).unwrap();
    for name in [
        "config.json",
        "model.safetensors",
        "vocab.txt",
        "tokenizer_config.json",
    ] {
        std::fs::copy(fixture.join(name), snap.join(name)).unwrap();
    }
    std::env::set_var("HF_HUB_CACHE", cache.path());
    std::env::set_var("HF_HUB_OFFLINE", "1");
    // Never reached: offline mode makes no request.
    std::env::set_var("HF_ENDPOINT", "http://127.0.0.1:9");
    std::env::remove_var("HF_TOKEN");

    for path in [
        "hf:esm2_t33_650M_UR50D",
        "hf:facebook/esm2_t33_650M_UR50D",
        "hf:facebook/esm2_t33_650M_UR50D@main",
    ] {
        let s = ModelSettings {
            path: Some(path.into()),
            ..Default::default()
        };
        let e = registry::build("ESM", &s).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!((e.dim(), e.num_layers()), (32, 4), "{path}");
    }

    // Not in the cache: the error says offline mode is on and how to fill the cache.
    let s = ModelSettings {
        path: Some("hf:ProstT5".into()),
        ..Default::default()
    };
    let err = registry::build("prost_t5", &s).err().unwrap().to_string();
    assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
    assert!(err.contains("Rostlab/ProstT5"), "{err}");
    assert!(!cache.path().join("models--Rostlab--ProstT5").exists());

    // A FANTASIA name of another backend is refused before any lookup.
    let s = ModelSettings {
        path: Some("hf:ProstT5".into()),
        ..Default::default()
    };
    let err = registry::build("esm2", &s).err().unwrap().to_string();
    assert!(err.contains("backend prost_t5, not esm2"), "{err}");
}
