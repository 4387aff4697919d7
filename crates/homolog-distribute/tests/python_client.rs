//! GAME's evaluator side in Python (requests + msgpack, written from the spec) drives the
//! distributor in front of two homolog predictors, on loopback.
//!
//! The Python packages come from scripts/setup.d/60-game.sh. Without them the test skips with a
//! message, unless HOMOLOG_REQUIRE_SERVICES is set (CI), where it fails.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use homolog_distribute::{Distributor, DistributorConfig, PoolEntry};
use homolog_serve::synthetic::{mutate, synthetic, Rng};
use homolog_serve::{Predictor, PredictorConfig};

fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import requests, msgpack"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("HOMOLOG_REQUIRE_SERVICES").is_some() {
            panic!("python3 with requests and msgpack is required (HOMOLOG_REQUIRE_SERVICES is set); run scripts/setup.d/60-game.sh");
        }
        println!(
            "skipped: python3 with requests and msgpack not found; run scripts/setup.d/60-game.sh"
        );
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn python_evaluator_against_the_distributor() {
    if !python_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = synthetic(3, 4, 6, 100);
    let table = dir.path().join("ref.tsv");
    std::fs::write(&table, s.table.to_tsv()).unwrap();
    let mut pool = Vec::new();
    let mut stops = Vec::new();
    for i in 0..2 {
        let cfg = PredictorConfig::with_reference(&table);
        let p = Arc::new(
            tokio::task::spawn_blocking(move || Predictor::new(cfg))
                .await
                .unwrap()
                .unwrap(),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(homolog_serve::serve(l, p, async {
            let _ = rx.await;
        }));
        stops.push(tx);
        pool.push(PoolEntry {
            id: (i + 1).to_string(),
            pred_ip: "127.0.0.1".into(),
            pred_port: a.port(),
        });
    }
    let mut d = Distributor::new(DistributorConfig::with_pool(pool)).unwrap();
    d.health_check().await.unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(homolog_distribute::serve(l, Arc::new(d), async {
        let _ = rx.await;
    }));

    // The request file: ids in a non-sorted order, a range, flanks.
    let mut rng = Rng::new(8);
    let mut seqs = String::new();
    for i in 0..9 {
        if i > 0 {
            seqs.push(',');
        }
        seqs.push_str(&format!(
            "\"z{}\": \"{}\"",
            9 - i,
            mutate(&mut rng, &s.ancestors[i % 4], 0.1)
        ));
    }
    let req = format!(
        r#"{{"request": "predict", "readout": "point", "upstream_seq": "AAC", "downstream_seq": "",
           "prediction_tasks": [{{"name": "e", "type": "expression", "cell_type": "K562", "species": "homo_sapiens", "scale": "linear"}}],
           "sequences": {{{seqs}}}}}"#
    );
    let req_path = dir.path().join("request.json");
    std::fs::write(&req_path, req).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/evaluator_client.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg("127.0.0.1")
            .arg(addr.port().to_string())
            .arg(req_path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "python evaluator failed:\n{text}");
    assert!(text.contains("all checks passed"));
}
