//! The distributor over real HTTP on loopback, in front of real homolog predictors (plus a
//! deliberately inconsistent one, a slow one behind a delaying relay, a failing one and an
//! unreachable address).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use homolog_game::{decode, encode, parse_response, Format, GameError, Val};
use homolog_serve::predictor::synthetic::{mutate, rng, synthetic};
use homolog_serve::{Distributor, DistributorConfig, PoolEntry};
use homolog_serve::{Predictor, PredictorConfig};
use homolog_testkit::{serve_on_loopback, Stop};
use rand::RngExt;

#[path = "support/relay.rs"]
mod relay;

async fn start_predictor(cfg: PredictorConfig) -> (SocketAddr, Stop) {
    let p = Arc::new(
        tokio::task::spawn_blocking(move || Predictor::new(cfg))
            .await
            .unwrap()
            .unwrap(),
    );
    serve_on_loopback(|l, stop| homolog_serve::serve(l, p, stop)).await
}

async fn start_distributor(
    cfg: DistributorConfig,
) -> Result<(SocketAddr, Stop), homolog_serve::ServeError> {
    let mut d = Distributor::new(cfg)?;
    d.health_check().await?;
    let d = Arc::new(d);
    Ok(serve_on_loopback(|l, stop| homolog_serve::serve(l, d, stop)).await)
}

/// A relay in front of `target` that waits `delay` before forwarding each request, then
/// passes the answer through `rewrite` (status, body) unless that gives `None`.
async fn start_relay(
    target: SocketAddr,
    delay: Duration,
    rewrite: fn(u16, &[u8]) -> Option<Vec<u8>>,
) -> (SocketAddr, Stop) {
    use axum::body::Body;
    use axum::http::Request;
    homolog_io::tls::ensure_crypto_provider();
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let client = client.clone();
        async move {
            tokio::time::sleep(delay).await;
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let resp = relay::forward(&client, &format!("http://{target}"), &parts, bytes).await;
            let (mut head, body) = resp.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let body = match rewrite(head.status.as_u16(), &body) {
                Some(new) => {
                    head.headers.remove("content-length");
                    Body::from(new)
                }
                None => Body::from(body),
            };
            axum::response::Response::from_parts(head, body)
        }
    });
    serve_on_loopback(|l, stop| async move {
        axum::serve(l, app)
            .with_graceful_shutdown(stop)
            .await
            .unwrap()
    })
    .await
}

/// A slow predictor: `target` behind a relay that waits `delay`.
async fn start_slow_relay(target: SocketAddr, delay: Duration) -> (SocketAddr, Stop) {
    start_relay(target, delay, |_, _| None).await
}

/// Answers rewritten by [`start_old_style`] relays.
static OLD_STYLE_ANSWERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// An older GAME predictor: `target`'s JSON answers with `type_actual` written as one string
/// (as DREAM-RNN and GAME's first examples do) instead of GAME's current array. Counts them
/// in [`OLD_STYLE_ANSWERS`].
async fn start_old_style(target: SocketAddr) -> (SocketAddr, Stop) {
    start_relay(target, Duration::ZERO, |status, body| {
        if status != 200 {
            return None;
        }
        // Only JSON (the distributor is told worker_format: json); /formats has no tasks.
        let Val::Object(mut top) = decode(Format::Json, body).ok()? else {
            return None;
        };
        let mut changed = 0;
        for (k, v) in &mut top {
            let (true, Val::Array(tasks)) = (k == "prediction_tasks", v) else {
                continue;
            };
            for t in tasks {
                let Val::Object(fields) = t else { continue };
                for (name, value) in fields {
                    if name == "type_actual" {
                        let Val::Array(list) = value else {
                            panic!("the predictor wrote type_actual as {}", value.brief())
                        };
                        assert_eq!(list.len(), 1);
                        *value = list.remove(0);
                        changed += 1;
                    }
                }
            }
        }
        if changed == 0 {
            return None;
        }
        OLD_STYLE_ANSWERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(encode(Format::Json, &Val::Object(top)).unwrap())
    })
    .await
}

fn pool(addrs: &[SocketAddr]) -> Vec<PoolEntry> {
    addrs
        .iter()
        .enumerate()
        .map(|(i, a)| PoolEntry {
            id: format!("w{}", i + 1),
            pred_ip: a.ip().to_string(),
            pred_port: a.port(),
        })
        .collect()
}

fn write_table(dir: &Path, name: &str, cell_type: &str) -> std::path::PathBuf {
    let mut s = synthetic(11, 4, 8, 120);
    s.table.tasks[0].cell_type = cell_type.to_string();
    let p = dir.join(name);
    std::fs::write(&p, s.table.to_tsv()).unwrap();
    p
}

/// A request with `n` sequences under shuffled ids, flanks, some ranges; JSON bytes in order.
fn request(readout: &str, n: usize) -> Vec<u8> {
    let s = synthetic(11, 4, 1, 120);
    let mut rng = rng(5);
    let mut seqs = Vec::new();
    let mut ranges = Vec::new();
    for i in 0..n {
        let id = format!("s{}", (i * 7919 + 13) % 100_003);
        let len = rng.random_range(60..120);
        seqs.push((
            id.clone(),
            Val::from(mutate(&mut rng, &s.ancestors[i % 4][..len], 0.1)),
        ));
        let r = if i % 3 == 0 {
            Val::Array(vec![Val::UInt(2), Val::UInt(40)])
        } else {
            Val::Array(vec![])
        };
        ranges.push((id, r));
    }
    let tasks = decode(Format::Json, br#"[{"name": "expr", "type": "expression", "cell_type": "K562", "species": "homo_sapiens", "scale": "log"},
        {"name": "atac", "type": "accessibility", "cell_type": "HepG2", "species": "homo_sapiens"}]"#).unwrap();
    let body = Val::Object(vec![
        ("readout".into(), readout.into()),
        ("prediction_tasks".into(), tasks),
        ("upstream_seq".into(), "ACGTT".into()),
        ("downstream_seq".into(), "GGA".into()),
        ("sequences".into(), Val::Object(seqs)),
        ("prediction_ranges".into(), Val::Object(ranges)),
    ]);
    serde_json::to_vec(&body).unwrap()
}

async fn post(addr: SocketAddr, body: Vec<u8>, ct: &str, accept: &str) -> (u16, Vec<u8>) {
    homolog_io::tls::ensure_crypto_provider();
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/predict"))
        .header("content-type", ct)
        .header("accept", accept)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

fn game_error(status: u16, body: &[u8]) -> GameError {
    GameError::from_body(status, &decode(Format::Json, body).unwrap())
        .unwrap_or_else(|| panic!("not a GAME error: {}", String::from_utf8_lossy(body)))
}

fn quick(mut cfg: DistributorConfig) -> DistributorConfig {
    cfg.health_check.timeout_s = 2.0;
    cfg.health_check.interval_ms = 50;
    cfg.connect_timeout_s = 1.0;
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn merged_equals_one_predictor_for_every_readout_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let table = write_table(dir.path(), "ref.tsv", "K562");
    let mut stops = Vec::new();
    let mut addrs = Vec::new();
    for _ in 0..3 {
        let mut cfg = PredictorConfig::with_reference(&table);
        cfg.threads = 1;
        let (a, s) = start_predictor(cfg).await;
        addrs.push(a);
        stops.push(s);
    }
    let (single, _s1) = start_predictor(PredictorConfig::with_reference(&table)).await;
    let (dist, _sd) = start_distributor(quick(DistributorConfig::with_pool(pool(&addrs))))
        .await
        .unwrap();
    for readout in ["point", "track", "interaction_matrix"] {
        let body = request(readout, 23);
        let (s1, direct) = post(single, body.clone(), "application/json", "application/json").await;
        let (s2, merged) = post(dist, body.clone(), "application/json", "application/json").await;
        assert_eq!((s1, s2), (200, 200), "{}", String::from_utf8_lossy(&merged));
        // Byte-identical: same values, same order (the request's shuffled ids), same keys.
        assert_eq!(
            String::from_utf8_lossy(&merged),
            String::from_utf8_lossy(&direct),
            "{readout}"
        );
        // msgpack in and out gives the same content.
        let mp = encode(Format::Msgpack, &decode(Format::Json, &body).unwrap()).unwrap();
        let (s3, merged_mp) = post(dist, mp, "application/msgpack", "application/msgpack").await;
        assert_eq!(s3, 200);
        let a = parse_response(decode(Format::Msgpack, &merged_mp).unwrap()).unwrap();
        let b = parse_response(decode(Format::Json, &direct).unwrap()).unwrap();
        assert_eq!(a, b, "{readout} via msgpack");
    }
    // /formats and /help are the workers'.
    let h = reqwest::get(format!("http://{dist}/help")).await.unwrap();
    assert_eq!(h.status().as_u16(), 200);
    let v: Val = serde_json::from_slice(&h.bytes().await.unwrap()).unwrap();
    assert_eq!(
        v.get("predictor_name"),
        Some(&Val::from("homolog_knn_predictor"))
    );
    // Distributor-side 400s.
    let (st, out) = post(
        dist,
        b"{\"readout\":".to_vec(),
        "application/json",
        "application/json",
    )
    .await;
    assert_eq!(st, 400);
    assert!(game_error(st, &out).messages()[0].contains("not valid JSON"));
    let mut small = quick(DistributorConfig::with_pool(pool(&addrs)));
    small.max_body_bytes = 1000;
    let (d2, _sd2) = start_distributor(small).await.unwrap();
    let (st, out) = post(
        d2,
        request("point", 23),
        "application/json",
        "application/json",
    )
    .await;
    assert_eq!(st, 400);
    assert!(game_error(st, &out).messages()[0]
        .contains("larger than the distributor's limit of 1000 bytes"));
    // Non-ACGTN is the worker's 422, passed through.
    let bad = br#"{"readout":"point","prediction_tasks":[{"name":"e","type":"expression","cell_type":"K562","species":"homo_sapiens"}],"sequences":{"a":"ACGT","b":"ACGT","c":"AXGT","d":"ACGT"}}"#;
    let (st, out) = post(dist, bad.to_vec(), "application/json", "application/json").await;
    assert_eq!(st, 422);
    assert!(game_error(st, &out)
        .messages()
        .join(" ")
        .contains("sequence 'c' has invalid character(s) ['X']"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn inconsistent_slow_failing_and_unreachable_workers() {
    let dir = tempfile::tempdir().unwrap();
    let table = write_table(dir.path(), "ref.tsv", "K562");
    let odd_table = write_table(dir.path(), "odd.tsv", "K562_clone9");
    let (a, _sa) = start_predictor(PredictorConfig::with_reference(&table)).await;
    let (b, _sb) = start_predictor(PredictorConfig::with_reference(&table)).await;
    let (odd, _so) = start_predictor(PredictorConfig::with_reference(&odd_table)).await;
    let mut short = PredictorConfig::with_reference(&table);
    short.max_sequence_length = 30;
    let (failing, _sf) = start_predictor(short).await;
    let (slow, _ss) = start_slow_relay(b, Duration::from_millis(1500)).await;
    let (single, _s1) = start_predictor(PredictorConfig::with_reference(&table)).await;
    // An address nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let body = request("point", 12);
    let (_, direct) = post(single, body.clone(), "application/json", "application/json").await;

    // Inconsistent worker: 422 naming the task, the field and the workers.
    let (d, _x) = start_distributor(quick(DistributorConfig::with_pool(pool(&[a, odd]))))
        .await
        .unwrap();
    let (st, out) = post(d, body.clone(), "application/json", "application/json").await;
    assert_eq!(st, 422);
    let msg = game_error(st, &out).messages().join(" | ");
    assert!(msg.contains("task 'expr': workers disagree on cell_type_actual: 'K562' from worker(s) w1; 'K562_clone9' from worker(s) w2"), "{msg}");
    assert!(
        !msg.contains("task 'atac'"),
        "only the disagreeing task is named: {msg}"
    );

    // Failing worker: its 422 passes through.
    let (d, _x) = start_distributor(quick(DistributorConfig::with_pool(pool(&[a, failing]))))
        .await
        .unwrap();
    let (st, out) = post(d, body.clone(), "application/json", "application/json").await;
    assert_eq!(st, 422);
    let e = game_error(st, &out);
    assert!(
        e.messages()
            .join(" ")
            .contains("longer than this predictor's limit of 30 bp"),
        "{e}"
    );

    // Slow worker: a timeout names it; with a retry the batch goes elsewhere and the answer is
    // the single predictor's.
    let mut cfg = quick(DistributorConfig::with_pool(pool(&[a, slow])));
    cfg.request_timeout_s = 0.5;
    cfg.health_check.enabled = false;
    let (d, _x) = start_distributor(cfg.clone()).await.unwrap();
    let (st, out) = post(d, body.clone(), "application/json", "application/json").await;
    assert_eq!(st, 500);
    let msg = game_error(st, &out).messages().join(" ");
    assert!(
        msg.contains(&format!(
            "predictor w2 ({slow}) did not answer within 0.5 s"
        )),
        "{msg}"
    );
    cfg.retries = 1;
    let (d, _x) = start_distributor(cfg).await.unwrap();
    let (st, out) = post(d, body.clone(), "application/json", "application/json").await;
    assert_eq!(st, 200);
    assert_eq!(out, direct);

    // Unreachable worker: the health check refuses to start...
    let e = start_distributor(quick(DistributorConfig::with_pool(pool(&[a, dead]))))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("predictor w2 at {dead} failed the health check")),
        "{e}"
    );
    // ...or, unchecked, the request is a server_error naming it; with a retry it succeeds.
    let mut cfg = quick(DistributorConfig::with_pool(pool(&[a, dead])));
    cfg.health_check.enabled = false;
    let (d, _x) = start_distributor(cfg.clone()).await.unwrap();
    let (st, out) = post(d, body.clone(), "application/json", "application/json").await;
    assert_eq!(st, 500);
    let e = game_error(st, &out);
    assert_eq!(e.entries[0].0, "server_error");
    assert!(
        e.messages()[0].contains(&format!("predictor w2 ({dead}) is unreachable")),
        "{e}"
    );
    cfg.retries = 1;
    let (d, _x) = start_distributor(cfg).await.unwrap();
    let (st, out) = post(d, body.clone(), "application/json", "application/json").await;
    assert_eq!(st, 200);
    assert_eq!(out, direct);
    // health_check.require_all: false drops the dead worker.
    let mut cfg = quick(DistributorConfig::with_pool(pool(&[a, dead])));
    cfg.health_check.require_all = false;
    let (d, _x) = start_distributor(cfg).await.unwrap();
    let (st, out) = post(d, body, "application/json", "application/json").await;
    assert_eq!(st, 200);
    assert_eq!(out, direct);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn older_predictors_string_type_actual_is_merged_as_games_array() {
    let dir = tempfile::tempdir().unwrap();
    let table = write_table(dir.path(), "ref.tsv", "K562");
    let (a, _sa) = start_predictor(PredictorConfig::with_reference(&table)).await;
    let (b, _sb) = start_predictor(PredictorConfig::with_reference(&table)).await;
    let (old, _so) = start_old_style(b).await;
    let (single, _s1) = start_predictor(PredictorConfig::with_reference(&table)).await;
    let body = request("track", 12);
    let (st, direct) = post(single, body.clone(), "application/json", "application/json").await;
    assert_eq!(st, 200);
    // The old-style worker alone, and next to a current one: the distributor reads its
    // strings, finds them equal to the other worker's arrays, and writes arrays.
    for workers in [vec![old], vec![a, old]] {
        let mut cfg = quick(DistributorConfig::with_pool(pool(&workers)));
        cfg.worker_format = homolog_serve::distributor::WorkerFormat::Json;
        let (d, _x) = start_distributor(cfg).await.unwrap();
        let before = OLD_STYLE_ANSWERS.load(std::sync::atomic::Ordering::SeqCst);
        let (st, out) = post(d, body.clone(), "application/json", "application/json").await;
        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&out));
        assert!(
            OLD_STYLE_ANSWERS.load(std::sync::atomic::Ordering::SeqCst) > before,
            "the old-style worker answered"
        );
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(r#""type_actual":["expression"]"#)
                && text.contains(r#""type_actual":["accessibility"]"#),
            "{text}"
        );
        assert_eq!(text, String::from_utf8_lossy(&direct), "{workers:?}");
    }
}

#[test]
fn batches_balance_length_and_keep_order() {
    let mut seqs = Vec::new();
    for i in 0..10 {
        seqs.push((format!("s{i}"), "A".repeat(if i == 0 { 1200 } else { 100 })));
    }
    let req = homolog_game::PredictRequest {
        request: None,
        readout: homolog_game::Readout::Point,
        tasks: vec![],
        upstream_seq: None,
        downstream_seq: None,
        sequences: seqs,
        prediction_ranges: None,
        extra: vec![],
    };
    let plan = homolog_serve::distributor::plan_batches(&req, 2);
    // The long sequence alone on one side, the nine short ones on the other.
    assert_eq!(plan, vec![vec![0], (1..10).collect::<Vec<_>>()]);
    assert_eq!(homolog_serve::distributor::plan_batches(&req, 50).len(), 10);
}
