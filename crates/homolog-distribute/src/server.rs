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
use homolog_game::{decode, encode, parse_request, Format, GameError};

use crate::dist::Distributor;
use crate::error::DistributeError;

fn error_response(e: &GameError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(homolog_game::codec::JSON),
        )],
        e.to_json(),
    )
        .into_response()
}

async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<axum::body::Bytes, GameError> {
    let too_big = |n: String| {
        GameError::bad_request(format!(
            "request body of {n} bytes is larger than the distributor's limit of {limit} bytes; split the sequences over several requests or raise max_body_bytes"
        ))
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > limit {
            return Err(too_big(len.to_string()));
        }
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.to_string().contains("length limit") {
            too_big(format!("more than {limit}"))
        } else {
            GameError::bad_request(format!("could not read the request body: {e}"))
        }
    })
}

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
    let accept = Format::from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    // Milliseconds spent reading and parsing the request, and in the scatter-gather.
    let (mut parse_ms, mut predict_ms) = (0.0, 0.0);
    let result = async {
        let ct = match headers.get(header::CONTENT_TYPE) {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| GameError::bad_request("Content-Type header is not ASCII"))?,
            ),
        };
        let format = Format::from_content_type(ct)?;
        let bytes = read_body(body, &headers, d.config().max_body_bytes).await?;
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
            (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(accept.mime()),
                )],
                bytes,
            )
                .into_response()
        }
        Err(e) => {
            tracing::warn!(status = e.status, ms, error = %e, "distributor predict");
            error_response(&e)
        }
    }
}

async fn not_found() -> Response {
    let mut r = error_response(&GameError::bad_request(
        "unknown endpoint; a GAME predictor serves GET /formats, GET /help and POST /predict",
    ));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
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
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|source| DistributeError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| DistributeError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let ids: Vec<String> = d
            .workers()
            .iter()
            .map(|w| format!("{}={}", w.entry.id, w.addr()))
            .collect();
        if let Some(path) = address_file {
            write_address(path, local).map_err(|source| DistributeError::Bind {
                addr: addr.clone(),
                source,
            })?;
        }
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

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Writes `ip:port` to `path` atomically (temp file + rename), so a job polling for the file
/// (GAME's Slurm pattern) never reads half of it.
pub fn write_address(path: &std::path::Path, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{}:{}\n", addr.ip(), addr.port()))?;
    std::fs::rename(&tmp, path)
}
