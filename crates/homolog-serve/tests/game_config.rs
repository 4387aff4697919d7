//! GAME Predictor Distributor's own `distributor_config.yaml` (a byte-for-byte copy in
//! `tests/fixtures/`, see its README) loads as GAME writes it, and bad values are errors that
//! say what, where and how to fix.

use std::path::{Path, PathBuf};

use homolog_serve::{Distributor, DistributorConfig, PoolEntry};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/game_distributor_config.yaml")
}

/// Loads `text` written to a file; the error as its message (which starts with the path).
fn load(text: &str) -> Result<DistributorConfig, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("distributor_config.yaml");
    std::fs::write(&path, text).unwrap();
    DistributorConfig::load(&path).map_err(|e| {
        let m = e.to_string();
        assert!(
            m.starts_with(&path.display().to_string()),
            "the message names the file: {m}"
        );
        m
    })
}

#[test]
fn games_example_config_loads_into_its_pool() {
    let cfg = DistributorConfig::load(&fixture()).unwrap();
    assert_eq!(cfg.base_url_template, "http://{pred_ip}:{pred_port}");
    assert_eq!(
        cfg.predictor_pool,
        vec![
            PoolEntry {
                id: "worker_1".into(),
                pred_ip: "172.16.32.64".into(),
                pred_port: 8000,
            },
            PoolEntry {
                id: "worker_2".into(),
                pred_ip: "172.16.32.64".into(),
                pred_port: 8001,
            },
        ]
    );
    // homolog's own settings keep their defaults.
    let defaults = DistributorConfig::with_pool(cfg.predictor_pool.clone());
    assert_eq!(cfg, defaults);
    // The template gives the URLs the workers are reached at.
    assert_eq!(
        cfg.worker_urls().unwrap(),
        ["http://172.16.32.64:8000", "http://172.16.32.64:8001"]
    );
    let d = Distributor::new(cfg).unwrap();
    let addrs: Vec<String> = d.workers().iter().map(|w| w.addr()).collect();
    assert_eq!(addrs, ["172.16.32.64:8000", "172.16.32.64:8001"]);
}

#[test]
fn ports_as_numbers_or_strings_and_the_template_is_optional() {
    let cfg = load(
        "predictor_pool:\n  - {id: 1, pred_ip: 10.0.0.5, pred_port: 5101}\n  - {id: w2, pred_ip: \"::1\", pred_port: \" 5102 \"}\n",
    )
    .unwrap();
    assert_eq!(cfg.predictor_pool[0].id, "1");
    assert_eq!(cfg.predictor_pool[0].pred_port, 5101);
    assert_eq!(cfg.predictor_pool[1].pred_port, 5102);
    assert_eq!(
        cfg.worker_urls().unwrap(),
        ["http://10.0.0.5:5101", "http://[::1]:5102"]
    );
    // A template with a path prefix (a predictor behind a reverse proxy), braces escaped as
    // in Python's str.format, a trailing slash dropped.
    let cfg = load(
        "base_url_template: \"http://{pred_ip}:{pred_port}/game/\"\npredictor_pool:\n  - {id: a, pred_ip: gpu01, pred_port: \"8000\"}\n",
    )
    .unwrap();
    assert_eq!(cfg.worker_urls().unwrap(), ["http://gpu01:8000/game"]);
    let d = Distributor::new(cfg).unwrap();
    assert_eq!(d.workers()[0].base, "http://gpu01:8000/game");
    assert_eq!(d.workers()[0].addr(), "gpu01:8000/game");
}

#[test]
fn bad_values_say_what_where_and_how_to_fix() {
    let cases: [(&str, &[&str]); 9] = [
        (
            "predictor_pool:\n  - {id: 1, pred_ip: h, pred_port: \"51o1\"}\n",
            &[
                "predictor_pool[0].pred_port",
                "\"51o1\" is not a port number",
                "as a number (pred_port: 5101) or a quoted string (pred_port: \"5101\")",
                "line 2",
            ],
        ),
        (
            "predictor_pool:\n  - {id: 1, pred_ip: h, pred_port: 5001}\n  - {id: 2, pred_ip: h, pred_port: 70000}\n",
            &["predictor_pool[1].pred_port", "port 70000 is out of range", "line 3"],
        ),
        (
            "predictor_pool:\n  - {id: 1, pred_ip: h, pred_port: \"0\"}\n",
            &["port 0 is out of range"],
        ),
        (
            "predictor_pool:\n  - {id: 1, pred_ip: h, pred_port: 50.5}\n",
            &["pred_port", "invalid type: floating point", "a port number"],
        ),
        (
            "base_url_template: \"http://{host}:{pred_port}\"\npredictor_pool:\n  - {id: 1, pred_ip: h, pred_port: 1}\n",
            &[
                "unknown placeholder {host}",
                "GAME's placeholders are {pred_ip} and {pred_port}",
            ],
        ),
        (
            "base_url_template: \"http://{pred_ip:{pred_port}\"\npredictor_pool:\n  - {id: 1, pred_ip: h, pred_port: 1}\n",
            &["unknown placeholder {pred_ip:{pred_port}"],
        ),
        (
            "base_url_template: \"https://{pred_ip}:{pred_port}\"\npredictor_pool:\n  - {id: w1, pred_ip: h, pred_port: 1}\n",
            &[
                "gives \"https://h:1\" for worker \"w1\"",
                "must start with http://",
            ],
        ),
        (
            "base_url_template: \"http://{pred_ip}:{pred_port}\"\npredictor_pool:\n  - {id: 1, pred_ip: h, pred_port: 1, base_url: x}\n",
            &["unknown field `base_url`", "GAME's format"],
        ),
        (
            "base_url_template: \"http://{pred_ip}:{pred_port}\"\npredictor_pool:\n  - {id: 1, pred_ip: h, pred_port: 1}\n  - {id: \"1\", pred_ip: h, pred_port: 2}\n",
            &["id \"1\" is used twice"],
        ),
    ];
    for (text, wants) in cases {
        let m = load(text).unwrap_err();
        for want in wants {
            assert!(m.contains(want), "{want:?} not in: {m}");
        }
    }
}
