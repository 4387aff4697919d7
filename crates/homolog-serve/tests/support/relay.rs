//! Forwarding for the test and bench relays (stand-ins for slow or latency-bound predictors):
//! shared by `tests/distribute.rs` and `examples/game_bench.rs` through `#[path]`.

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

/// Sends the request (method, path, Content-Type, Accept, body) to `base` (`http://ip:port`)
/// and returns the answer's status, Content-Type and body as they are.
pub async fn forward(client: &reqwest::Client, base: &str, parts: &Parts, body: Bytes) -> Response {
    let mut rq = client
        .request(parts.method.clone(), format!("{base}{}", parts.uri.path()))
        .body(body);
    for (k, v) in parts.headers.iter() {
        if k == "content-type" || k == "accept" {
            rq = rq.header(k.as_str(), v.as_bytes());
        }
    }
    let r = rq.send().await.expect("relay: target unreachable");
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").cloned();
    let b = r.bytes().await.expect("relay: reading the target's answer");
    let mut resp = Response::new(Body::from(b));
    *resp.status_mut() = StatusCode::from_u16(status).expect("status from an HTTP answer");
    if let Some(ct) = ct {
        resp.headers_mut().insert(
            "content-type",
            HeaderValue::from_bytes(ct.as_bytes()).expect("header from an HTTP answer"),
        );
    }
    resp
}
