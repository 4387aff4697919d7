//! GAME's evaluator side in Python (requests + msgpack, written from the spec) drives the
//! distributor in front of two homolog predictors, on loopback.
//!
//! The Python packages come from scripts/setup.d/60-game.sh. Without them the test says it
//! skipped, or fails when HOMOLOG_REQUIRE_DATA is set (CI): see homolog-testkit.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use homolog_serve::predictor::synthetic::{mutate, rng, synthetic};
use homolog_serve::{Distributor, DistributorConfig, PoolEntry};
use homolog_serve::{Predictor, PredictorConfig};
use homolog_testkit::serve_on_loopback;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn python_evaluator_against_the_distributor() {
    homolog_testkit::require_python!(["requests", "msgpack"], "scripts/setup.d/60-game.sh");
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
        let (a, stop) = serve_on_loopback(|l, shutdown| homolog_serve::serve(l, p, shutdown)).await;
        stops.push(stop);
        pool.push(PoolEntry {
            id: (i + 1).to_string(),
            pred_ip: "127.0.0.1".into(),
            pred_port: a.port(),
        });
    }
    let mut d = Distributor::new(DistributorConfig::with_pool(pool)).unwrap();
    d.health_check().await.unwrap();
    let d = Arc::new(d);
    let (addr, _stop) = serve_on_loopback(|l, shutdown| homolog_serve::serve(l, d, shutdown)).await;

    // The request file: ids in a non-sorted order, a range, flanks.
    let mut rng = rng(8);
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
