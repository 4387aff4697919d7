//! The predictor over real HTTP on loopback: endpoints, formats, readouts, GAME errors, and
//! GAME's real example requests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use homolog_testkit::{serve_on_loopback, Stop};

use homolog_game::{check_help, decode, parse_response, Format, GameError, PredictResponse, Val};
use homolog_serve::predictor::synthetic::{family_value, mutate, rng, synthetic};
use homolog_serve::{Predictor, PredictorConfig, TaskMatching};
use serde_json::json;

struct Server {
    addr: SocketAddr,
    _stop: Stop,
}

async fn start(cfg: PredictorConfig) -> Server {
    let p = Arc::new(
        tokio::task::spawn_blocking(move || Predictor::new(cfg))
            .await
            .unwrap()
            .unwrap(),
    );
    let (addr, stop) = serve_on_loopback(|l, shutdown| homolog_serve::serve(l, p, shutdown)).await;
    Server { addr, _stop: stop }
}

fn write_table(dir: &Path) -> (PathBuf, Vec<String>) {
    let s = synthetic(7, 3, 12, 150);
    let path = dir.join("ref.tsv");
    std::fs::write(&path, s.table.to_tsv()).unwrap();
    (path, s.ancestors)
}

async fn post(
    addr: SocketAddr,
    body: Vec<u8>,
    ct: Option<&str>,
    accept: Option<&str>,
) -> (u16, String, Vec<u8>) {
    homolog_io::tls::ensure_crypto_provider();
    let client = reqwest::Client::new();
    let mut rq = client.post(format!("http://{addr}/predict")).body(body);
    if let Some(c) = ct {
        rq = rq.header("content-type", c);
    }
    if let Some(a) = accept {
        rq = rq.header("accept", a);
    }
    let r = rq.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

fn ok_response(status: u16, body: &[u8]) -> PredictResponse {
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(body));
    parse_response(decode(Format::Json, body).unwrap()).unwrap()
}

fn error_of(status: u16, body: &[u8]) -> GameError {
    let v = decode(Format::Json, body).unwrap();
    GameError::from_body(status, &v)
        .unwrap_or_else(|| panic!("not a GAME error: {}", String::from_utf8_lossy(body)))
}

/// A point request for `n` mutated family members under shuffled-looking ids, as JSON bytes in
/// its own key order (serde_json's map would sort the ids), and each id's family.
fn point_request(ancestors: &[String], n: usize) -> (Vec<u8>, Vec<(String, usize)>) {
    let mut rng = rng(99);
    let mut seqs = Vec::new();
    let mut truth = Vec::new();
    for i in 0..n {
        let f = i % ancestors.len();
        // Shuffled-looking ids: order must be the request's, not sorted.
        let id = format!("q{}_{}", (i * 7919) % 1000, f);
        seqs.push((id.clone(), Val::from(mutate(&mut rng, &ancestors[f], 0.1))));
        truth.push((id, f));
    }
    let body = Val::Object(vec![
        ("request".into(), "predict".into()),
        ("readout".into(), "point".into()),
        ("prediction_tasks".into(), decode(Format::Json, br#"[
            {"name": "expr", "type": "expression", "cell_type": "K562", "species": "homo_sapiens", "scale": "linear"},
            {"name": "atac", "type": "accessibility", "cell_type": "HepG2", "species": "homo_sapiens"}]"#).unwrap()),
        ("sequences".into(), Val::Object(seqs)),
    ]);
    (serde_json::to_vec(&body).unwrap(), truth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_point_predictions_and_msgpack() {
    let dir = tempfile::tempdir().unwrap();
    let (table, anc) = write_table(dir.path());
    let srv = start(PredictorConfig::with_reference(table)).await;
    homolog_io::tls::ensure_crypto_provider();
    let client = reqwest::Client::new();

    let f = client
        .get(format!("http://{}/formats", srv.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(f.status().as_u16(), 200);
    let fv: Val = serde_json::from_slice(&f.bytes().await.unwrap()).unwrap();
    let formats = homolog_game::parse_formats(&fv).unwrap();
    assert!(formats
        .request_formats
        .contains(&"application/msgpack".to_string()));
    let h = client
        .get(format!("http://{}/help", srv.addr))
        .send()
        .await
        .unwrap();
    let hv: Val = serde_json::from_slice(&h.bytes().await.unwrap()).unwrap();
    assert_eq!(check_help(&hv), Vec::<String>::new());
    assert_eq!(hv.get("cell_types").unwrap().brief(), r#"["K562","HepG2"]"#);

    let (body, truth) = point_request(&anc, 12);
    let (st, ct, out) = post(srv.addr, body.clone(), Some("application/json"), None).await;
    assert_eq!(ct, "application/json");
    let resp = ok_response(st, &out);
    assert_eq!(
        resp.predictor_name.as_deref(),
        Some("homolog_knn_predictor")
    );
    let expr = &resp.tasks[0];
    assert_eq!(expr.cell_type_actual, Val::from("K562"));
    assert_eq!(expr.scale_prediction_actual, Some(Val::from("linear")));
    // Request order kept, and every query recovers its family's value.
    for ((id, f), (pid, v)) in truth.iter().zip(&expr.predictions) {
        assert_eq!(id, pid);
        let Val::Array(x) = v else { panic!() };
        let x = x[0].as_f64().unwrap();
        assert!(
            (x - family_value(*f, 0)).abs() < 0.2,
            "{id}: {x} vs {}",
            family_value(*f, 0)
        );
    }
    let atac = &resp.tasks[1];
    assert_eq!(atac.type_actual, ["accessibility"]);
    // GAME's current schema: type_actual is an array of strings on the wire.
    let wire: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        wire["prediction_tasks"][1]["type_actual"],
        json!(["accessibility"])
    );
    assert_eq!(
        wire["prediction_tasks"][1]["cell_type_actual"],
        json!("HepG2")
    );
    assert_eq!(
        atac.scale_prediction_actual, None,
        "no scale requested, none reported"
    );

    // msgpack in, msgpack out: same content.
    let mp = homolog_game::encode(Format::Msgpack, &decode(Format::Json, &body).unwrap()).unwrap();
    let (st2, ct2, out2) = post(
        srv.addr,
        mp,
        Some("application/msgpack"),
        Some("application/msgpack"),
    )
    .await;
    assert_eq!(st2, 200);
    assert_eq!(ct2, "application/msgpack");
    let resp2 = parse_response(decode(Format::Msgpack, &out2).unwrap()).unwrap();
    assert_eq!(resp2, resp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn track_matrix_ranges_and_scales() {
    let dir = tempfile::tempdir().unwrap();
    let (table, anc) = write_table(dir.path());
    let srv = start(PredictorConfig::with_reference(table)).await;
    let seq = &anc[1][..95];
    let req = json!({"readout": "track", "upstream_seq": "ACGTA", "downstream_seq": "TT",
        "prediction_tasks": [{"name": "e", "type": "expression", "cell_type": "K562", "species": "homo_sapiens", "scale": "log"}],
        "sequences": {"a": seq, "b": seq}, "prediction_ranges": {"a": [], "b": [3, 12]}});
    let (st, _, out) = post(srv.addr, serde_json::to_vec(&req).unwrap(), None, None).await;
    let resp = ok_response(st, &out);
    assert_eq!(resp.bin_size, Some(10));
    let t = &resp.tasks[0];
    let len = |v: &Val| match v {
        Val::Array(x) => x.len(),
        _ => 0,
    };
    assert_eq!(len(&t.predictions[0].1), (5 + 95 + 2usize).div_ceil(10));
    assert_eq!(len(&t.predictions[1].1), 1);
    assert_eq!(
        t.trim_upstream.as_ref().unwrap(),
        &vec![("a".to_string(), 0), ("b".to_string(), 0)]
    );
    // Linear K562 values are all > -1, so log was honoured: log2(1 + 4) for family 1.
    assert_eq!(t.scale_prediction_actual, Some(Val::from("log")));
    let Val::Array(bins) = &t.predictions[0].1 else {
        panic!()
    };
    let mid = bins[4].as_f64().unwrap();
    assert!(
        (mid - (1.0 + family_value(1, 0)).log2()).abs() < 0.2,
        "{mid}"
    );

    let req = json!({"readout": "interaction_matrix",
        "prediction_tasks": [{"name": "e", "type": "expression", "cell_type": "K562", "species": "homo_sapiens"}],
        "sequences": {"a": &anc[0][..40]}});
    let (st, _, out) = post(srv.addr, serde_json::to_vec(&req).unwrap(), None, None).await;
    let resp = ok_response(st, &out);
    let Val::Array(rows) = &resp.tasks[0].predictions[0].1 else {
        panic!()
    };
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| len(r) == 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn game_errors_and_status_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (table, anc) = write_table(dir.path());
    let mut cfg = PredictorConfig::with_reference(&table);
    cfg.max_body_bytes = 4000;
    cfg.task_matching = TaskMatching::Exact;
    cfg.readouts = vec!["point".into(), "track".into()];
    let srv = start(cfg).await;
    let task = json!([{"name": "e", "type": "expression", "cell_type": "K562", "species": "homo_sapiens"}]);
    let cases: Vec<(Vec<u8>, Option<&str>, u16, &str)> = vec![
        (b"{\"readout\": \"point\",".to_vec(), None, 400, "not valid JSON"),
        (b"\x93\x01".to_vec(), Some("application/msgpack"), 400, "not valid msgpack"),
        (b"{}".to_vec(), Some("text/csv"), 400, "Unsupported Content-Type"),
        (serde_json::to_vec(&json!({"readout": ["point"], "prediction_tasks": task, "sequences": {"a": "ACGT"}})).unwrap(), None, 400, "'readout' should have exactly one value"),
        (serde_json::to_vec(&json!({"readout": "point", "prediction_tasks": task, "sequences": {"a": 12}})).unwrap(), None, 400, "sequences['a'] should be a DNA string"),
        (serde_json::to_vec(&json!({"readout": "point", "prediction_tasks": task, "sequences": {"a": "ACGU", "b": "ACGT"}})).unwrap(), None, 422, "sequence 'a' has invalid character(s) ['U']"),
        (serde_json::to_vec(&json!({"readout": "point", "prediction_tasks": task, "sequences": {"a": "ACGT"}, "prediction_ranges": {"a": [2, 9]}})).unwrap(), None, 422, "Invalid range for 'a'"),
        (serde_json::to_vec(&json!({"readout": "interaction_matrix", "prediction_tasks": task, "sequences": {"a": "ACGT"}})).unwrap(), None, 422, "readout 'interaction_matrix' is not served"),
        (serde_json::to_vec(&json!({"readout": "point", "prediction_tasks": [{"name": "x", "type": "binding_ctcf", "cell_type": "K562", "species": "homo_sapiens"}], "sequences": {"a": "ACGT"}})).unwrap(), None, 422, "no task of type 'binding_ctcf'"),
        (serde_json::to_vec(&json!({"readout": "point", "prediction_tasks": task, "sequences": {"a": anc[0].repeat(30)}})).unwrap(), None, 400, "larger than this server's limit of 4000 bytes"),
    ];
    for (body, ct, want_status, want) in cases {
        let (st, ctype, out) = post(
            srv.addr,
            body,
            ct.or(Some("application/json")),
            Some("application/msgpack"),
        )
        .await;
        assert_eq!(st, want_status, "{want}: {}", String::from_utf8_lossy(&out));
        assert_eq!(ctype, "application/json", "errors are always JSON");
        let e = error_of(st, &out);
        let key = match want_status {
            400 => "bad_prediction_request",
            422 => "prediction_request_failed",
            _ => "server_error",
        };
        assert!(e.entries.iter().all(|(k, _)| k == key), "{e}");
        assert!(e.messages().join(" | ").contains(want), "{want}: {e}");
    }
    let r = reqwest::get(format!("http://{}/nope", srv.addr))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

/// A reference table from GAME's real data: the 1,000 MPRA sequences of the DREAM-RNN sample
/// request with DREAM-RNN's predictions as their K562 values.
pub fn dream_table(dir: &Path) -> String {
    let req: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("dream_rnn/evaluator_data/evaluator_input_sample_test.json"))
            .unwrap(),
    )
    .unwrap();
    let resp: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(
            "dream_rnn/predictions/dreamRNN_predictor_return_evaluator_input_sample_test.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let preds = &resp["prediction_tasks"][0]["predictions"];
    let mut out = String::from("#task\tcolumn=k562\ttype=expression\tcell_type=K562\tspecies=homo_sapiens\tscale=linear\nid\tsequence\tk562\n");
    for (id, s) in req["sequences"].as_object().unwrap() {
        out.push_str(&format!(
            "{id}\t{}\t{}\n",
            s.as_str().unwrap(),
            preds[id][0].as_f64().unwrap()
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn game_example_requests_get_game_answers() {
    let data = homolog_testkit::require_data!("game");
    let tmp = tempfile::tempdir().unwrap();
    let table = tmp.path().join("dream.tsv");
    std::fs::write(&table, dream_table(&data)).unwrap();
    let srv = start(PredictorConfig::with_reference(&table)).await;
    for (rel, status) in [
        (
            "dream_rnn/evaluator_data/evaluator_input_sample_test.json",
            200,
        ),
        (
            "dream_rnn/evaluator_data/evaluator_message_gosai_5seqs.json",
            200,
        ),
        (
            "dream_rnn/evaluator_data/evaluator_message_more_complex.json",
            200,
        ),
        (
            "dream_rnn/evaluator_data/evaluator_message_simple_test.json",
            200,
        ),
        ("examples/sampleRequest1/evaluator_message.json", 400),
        ("examples/sampleRequest1/evaluator_message_auto.json", 400),
        ("examples/sampleRequest2/evaluator_message.json", 400),
        (
            "examples/helpExample/evaluator_message_onlyINFO_final.json",
            400,
        ),
    ] {
        let body = std::fs::read(data.join(rel)).unwrap();
        let (st, _, out) = post(srv.addr, body.clone(), Some("application/json"), None).await;
        assert_eq!(st, status, "{rel}: {}", String::from_utf8_lossy(&out));
        if st == 200 {
            let resp = ok_response(st, &out);
            let req = homolog_game::parse_request(decode(Format::Json, &body).unwrap()).unwrap();
            resp.check_answers(&req).unwrap();
            // Every sample sequence is in the table: its own value is among its neighbours,
            // so the prediction is finite and the K562 metadata is reported.
            assert_eq!(resp.tasks[0].cell_type_actual, Val::from("K562"));
        } else {
            let e = error_of(st, &out);
            assert_eq!(e.entries[0].0, "bad_prediction_request");
        }
    }
}
