//! The distributor's HTTP side: it looks like one GAME predictor.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use homolog_game::http::{
    body_response, error_response, not_found, read_body, request_format, response_format,
};
use homolog_game::{decode, encode, parse_request};

pub use homolog_game::http::{shutdown_signal, write_address};

use crate::dist::Distributor;
use crate::error::DistributeError;

async fn forward(d: &Distributor, path: &str, headers: &HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    match d.forward_get(path, accept).await {
        Ok((status, ct, body)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let ct = HeaderValue::from_str(&ct)
                .unwrap_or(HeaderValue::from_static(homolog_game::codec::JSON));
            (status, [(header::CONTENT_TYPE, ct)], body).into_response()
        }
        Err(e) => error_response(&e),
    }
}

async fn formats(State(d): State<Arc<Distributor>>, headers: HeaderMap) -> Response {
    forward(&d, "/formats", &headers).await
}

async fn help(State(d): State<Arc<Distributor>>, headers: HeaderMap) -> Response {
    forward(&d, "/help", &headers).await
}

async fn predict(State(d): State<Arc<Distributor>>, headers: HeaderMap, body: Body) -> Response {
    let t0 = Instant::now();
    let accept = response_format(&headers);
    // Milliseconds spent reading and parsing the request, and in the scatter-gather.
    let (mut parse_ms, mut predict_ms) = (0.0, 0.0);
    let result = async {
        let format = request_format(&headers)?;
        let bytes = read_body(
            body,
            &headers,
            d.config().max_body_bytes,
            "the distributor's",
        )
        .await?;
        let req = parse_request(decode(format, &bytes)?)?;
        drop(bytes);
        parse_ms = t0.elapsed().as_secs_f64() * 1e3;
        let resp = d.predict(req).await?;
        predict_ms = t0.elapsed().as_secs_f64() * 1e3 - parse_ms;
        encode(accept, &resp)
    }
    .await;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    match result {
        Ok(bytes) => {
            tracing::info!(
                status = 200,
                ms,
                parse_ms,
                predict_ms,
                encode_ms = ms - parse_ms - predict_ms,
                bytes = bytes.len(),
                "distributor predict"
            );
            body_response(accept, bytes)
        }
        Err(e) => {
            tracing::warn!(status = e.status, ms, error = %e, "distributor predict");
            error_response(&e)
        }
    }
}

/// The distributor's routes (the same as a predictor's).
pub fn router(d: Arc<Distributor>) -> Router {
    Router::new()
        .route("/formats", get(formats))
        .route("/help", get(help))
        .route("/predict", post(predict))
        .fallback(not_found)
        .layer(DefaultBodyLimit::disable())
        .with_state(d)
}

/// Serves on a bound listener until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    d: Arc<Distributor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(d))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Loads the config, checks the workers, binds `host:port`, writes the bound `ip:port` to
/// `address_file` if given, and serves until Ctrl-C / SIGTERM.
pub fn run_blocking(
    config: &std::path::Path,
    host: &str,
    port: u16,
    address_file: Option<&std::path::Path>,
) -> Result<(), DistributeError> {
    let cfg = crate::DistributorConfig::load(config)?;
    let addr = format!("{host}:{port}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| DistributeError::Bind {
            addr: addr.clone(),
            source,
        })?;
    rt.block_on(async {
        let mut d = Distributor::new(cfg)?;
        d.health_check().await?;
        let (listener, local) = homolog_game::http::listen(&addr, address_file)
            .await
            .map_err(|source| DistributeError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let ids: Vec<String> = d
            .workers()
            .iter()
            .map(|w| format!("{}={}", w.entry.id, w.addr()))
            .collect();
        tracing::info!(%local, workers = %ids.join(","), "GAME distributor listening");
        eprintln!(
            "homolog distributor listening on http://{local} over {} predictor(s): {}",
            ids.len(),
            ids.join(", ")
        );
        serve(listener, Arc::new(d), shutdown_signal())
            .await
            .map_err(|source| DistributeError::Bind { addr, source })
    })
}
