//! The HTTP side: `GET /formats`, `GET /help`, `POST /predict` (axum on tokio).
//!
//! Bodies are read up to `max_body_bytes` (a larger body is a 400 naming the limit); the model
//! runs on the blocking pool so slow predictions never stall the accept loop. Success bodies
//! follow `Accept` (JSON or msgpack), errors are GAME's JSON error object. Every request is
//! logged with its size, status and time.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use homolog_game::{decode, parse_request, GameError};

use crate::error::ServeError;
use crate::model::Predictor;

pub use homolog_game::http::{
    error_response, not_found, request_format, shutdown_signal, success_response, write_address,
};

/// Reads a whole body, refusing more than `limit` bytes with a 400 that names the limit.
pub async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, GameError> {
    homolog_game::http::read_body(body, headers, limit, "this server's").await
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
        let (listener, local) = homolog_game::http::listen(&addr, address_file)
            .await
            .map_err(|source| ServeError::Bind { addr: addr.clone(), source })?;
        tracing::info!(%local, name = %predictor.config().predictor_name, "GAME predictor listening");
        eprintln!("homolog predictor {} listening on http://{local}", predictor.config().predictor_name);
        serve(listener, predictor, shutdown_signal())
            .await
            .map_err(|source| ServeError::Bind { addr, source })
    })
}
