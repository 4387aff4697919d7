//! The HTTP side: `GET /formats`, `GET /help`, `POST /predict` (axum on tokio).
//!
//! Bodies are read up to `max_body_bytes` (a larger body is a 400 naming the limit); the model
//! runs on the blocking pool so slow predictions never stall the accept loop. Success bodies
//! follow `Accept` (JSON or msgpack), errors are GAME's JSON error object. Every request is
//! logged with its size, status and time.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use homolog_game::{decode, encode, parse_request, Format, GameError};
use serde::Serialize;

use crate::error::ServeError;
use crate::model::Predictor;

/// A GAME error as an HTTP response (always JSON).
pub fn error_response(e: &GameError) -> Response {
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

/// A success body in the format `Accept` asks for.
pub fn success_response<T: Serialize + ?Sized>(headers: &HeaderMap, value: &T) -> Response {
    let format = Format::from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    match encode(format, value) {
        Ok(bytes) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.mime()),
            )],
            bytes,
        )
            .into_response(),
        Err(e) => error_response(&e),
    }
}

/// The request's `Content-Type` as a [`Format`] (400 when unsupported).
pub fn request_format(headers: &HeaderMap) -> Result<Format, GameError> {
    let ct = match headers.get(header::CONTENT_TYPE) {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| {
            GameError::bad_request(
                "Content-Type header is not ASCII; send application/json or application/msgpack",
            )
        })?),
    };
    Format::from_content_type(ct)
}

/// Reads a whole body, refusing more than `limit` bytes with a 400 that names the limit.
pub async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, GameError> {
    let too_big = |n: String| {
        GameError::bad_request(format!(
            "request body of {n} bytes is larger than this server's limit of {limit} bytes; split the sequences over several requests or raise max_body_bytes"
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
        // http-body-util's LengthLimitError ("length limit exceeded") is the only error that
        // mentions the limit; a chunked body has no Content-Length to check up front.
        if e.to_string().contains("length limit") {
            too_big(format!("more than {limit}"))
        } else {
            GameError::bad_request(format!("could not read the request body: {e}"))
        }
    })
}

async fn formats(State(p): State<Arc<Predictor>>, headers: HeaderMap) -> Response {
    success_response(&headers, &p.formats())
}

async fn help(State(p): State<Arc<Predictor>>, headers: HeaderMap) -> Response {
    success_response(&headers, &p.help())
}

async fn predict(State(p): State<Arc<Predictor>>, headers: HeaderMap, body: Body) -> Response {
    let t0 = Instant::now();
    let result = async {
        let format = request_format(&headers)?;
        let bytes = read_body(body, &headers, p.config().max_body_bytes).await?;
        let req = parse_request(decode(format, &bytes)?)?;
        let n = req.sequences.len();
        let p2 = Arc::clone(&p);
        let resp = tokio::task::spawn_blocking(move || p2.predict(&req))
            .await
            .map_err(|e| {
                GameError::server(format!("prediction task panicked or was cancelled: {e}"))
            })??;
        Ok::<_, GameError>((n, resp))
    }
    .await;
    match result {
        Ok((n, resp)) => {
            let out = success_response(&headers, &resp);
            tracing::info!(
                sequences = n,
                status = 200,
                ms = t0.elapsed().as_secs_f64() * 1e3,
                "predict"
            );
            out
        }
        Err(e) => {
            tracing::warn!(status = e.status, ms = t0.elapsed().as_secs_f64() * 1e3, error = %e, "predict");
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

/// The predictor's routes.
pub fn router(p: Arc<Predictor>) -> Router {
    Router::new()
        .route("/formats", get(formats))
        .route("/help", get(help))
        .route("/predict", post(predict))
        .fallback(not_found)
        .layer(DefaultBodyLimit::disable())
        .with_state(p)
}

/// Serves `p` on an already bound listener until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    p: Arc<Predictor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(p))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Loads the predictor from `config`, binds `host:port` (port 0 = any free port), writes the
/// bound `ip:port` to `address_file` if given, and serves until Ctrl-C / SIGTERM.
pub fn run_blocking(
    config: &std::path::Path,
    host: &str,
    port: u16,
    address_file: Option<&std::path::Path>,
) -> Result<(), ServeError> {
    let predictor = Arc::new(Predictor::load(config)?);
    let addr = format!("{host}:{port}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Bind {
            addr: addr.clone(),
            source,
        })?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|source| ServeError::Bind { addr: addr.clone(), source })?;
        let local: SocketAddr = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr: addr.clone(), source })?;
        if let Some(path) = address_file {
            write_address(path, local).map_err(|source| ServeError::Bind { addr: addr.clone(), source })?;
        }
        tracing::info!(%local, name = %predictor.config().predictor_name, "GAME predictor listening");
        eprintln!("homolog predictor {} listening on http://{local}", predictor.config().predictor_name);
        serve(listener, predictor, shutdown_signal())
            .await
            .map_err(|source| ServeError::Bind { addr, source })
    })
}

/// Completes on Ctrl-C or SIGTERM (Slurm's `scancel`).
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
