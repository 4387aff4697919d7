//! The HTTP side of every GAME service: `GET /formats`, `GET /help`, `POST /predict` (axum on
//! tokio), and serving until shutdown.
//!
//! Request bodies are read up to [`GameService::max_body_bytes`] (a larger body is a 400
//! naming the limit), decoded by `Content-Type` and validated by
//! [`homolog_game::parse_request`] before the service sees them. Success bodies follow
//! `Accept` (JSON or msgpack); errors are GAME's JSON error object with its status; any other
//! path is a 404 listing the endpoints. Every `POST /predict` is logged with its status and
//! milliseconds (in total, reading and parsing, in the service, encoding).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use homolog_game::{decode, encode, parse_request, GameError};

use crate::error::ServeError;
use crate::http::{
    body_response, error_response, not_found, read_body, request_format, response_format,
    shutdown_signal,
};
use crate::service::{GameService, Reply};

/// A [`Reply`] as an HTTP response (an invalid status is a 502, an invalid content type JSON).
fn reply_response(r: Result<Reply, GameError>) -> Response {
    match r {
        Ok(r) => {
            let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let ct = HeaderValue::from_str(&r.content_type)
                .unwrap_or(HeaderValue::from_static(homolog_game::codec::JSON));
            (status, [(header::CONTENT_TYPE, ct)], r.body).into_response()
        }
        Err(e) => error_response(&e),
    }
}

fn accept(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

async fn formats<S: GameService>(State(s): State<Arc<S>>, headers: HeaderMap) -> Response {
    reply_response(s.formats(accept(&headers)).await)
}

async fn help<S: GameService>(State(s): State<Arc<S>>, headers: HeaderMap) -> Response {
    reply_response(s.help(accept(&headers)).await)
}

async fn predict<S: GameService>(
    State(s): State<Arc<S>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let t0 = Instant::now();
    let format_out = response_format(&headers);
    // Milliseconds spent reading and parsing the request, and in the service.
    let (mut sequences, mut parse_ms, mut predict_ms) = (0, 0.0, 0.0);
    let result = async {
        let format = request_format(&headers)?;
        let bytes = read_body(body, &headers, s.max_body_bytes(), S::BODY_LIMIT_OWNER).await?;
        let req = parse_request(decode(format, &bytes)?)?;
        drop(bytes);
        sequences = req.sequences.len();
        parse_ms = t0.elapsed().as_secs_f64() * 1e3;
        let resp = Arc::clone(&s).predict(req).await?;
        predict_ms = t0.elapsed().as_secs_f64() * 1e3 - parse_ms;
        encode(format_out, &resp)
    }
    .await;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    match result {
        Ok(bytes) => {
            tracing::info!(
                sequences,
                status = 200,
                ms,
                parse_ms,
                predict_ms,
                encode_ms = ms - parse_ms - predict_ms,
                bytes = bytes.len(),
                "{}",
                S::LOG_NAME
            );
            body_response(format_out, bytes)
        }
        Err(e) => {
            tracing::warn!(status = e.status, ms, error = %e, "{}", S::LOG_NAME);
            error_response(&e)
        }
    }
}

/// GAME's routes over `service`: `GET /formats`, `GET /help`, `POST /predict`, and a 404 with
/// a GAME error object for anything else.
///
/// ```
/// # #[cfg(feature = "predictor")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
///
/// use axum::body::Body;
/// use axum::http::Request;
/// use homolog_serve::predictor::synthetic::synthetic;
/// use homolog_serve::{router, Predictor, PredictorConfig};
/// use tower::ServiceExt; // oneshot: one request through the router, no socket
///
/// let s = synthetic(1, 2, 4, 60);
/// let p = Predictor::with_table(PredictorConfig::with_reference("synthetic.tsv"), s.table)
///     .unwrap();
/// let app = router(Arc::new(p));
///
/// let request = Request::post("/predict")
///     .header("content-type", "application/json")
///     .header("accept", "application/msgpack")
///     .body(Body::from(format!(
///         r#"{{"readout": "point", "sequences": {{"q": "{}"}},
///             "prediction_tasks": [{{"name": "e", "type": "expression",
///                                    "cell_type": "K562", "species": "homo_sapiens"}}]}}"#,
///         s.ancestors[0]
///     )))
///     .unwrap();
/// let response = app.clone().oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["content-type"], "application/msgpack");
///
/// let unknown = Request::get("/nope").body(Body::empty()).unwrap();
/// assert_eq!(app.oneshot(unknown).await.unwrap().status(), 404);
/// # }
/// # #[cfg(not(feature = "predictor"))]
/// # fn main() {}
/// ```
pub fn router<S: GameService>(service: Arc<S>) -> Router {
    Router::new()
        .route("/formats", get(formats::<S>))
        .route("/help", get(help::<S>))
        .route("/predict", post(predict::<S>))
        .fallback(not_found)
        .layer(DefaultBodyLimit::disable())
        .with_state(service)
}

/// Serves `service` on an already bound listener until `shutdown` completes.
pub async fn serve<S: GameService>(
    listener: tokio::net::TcpListener,
    service: Arc<S>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(service))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Starts a multi-threaded tokio runtime, builds the service with `start` on it, binds
/// `host:port` (port 0 = any free port), writes the bound `ip:port` to `address_file` if
/// given (once the service is ready, so a job waiting for the file finds it answering), and
/// serves until Ctrl-C / SIGTERM.
///
/// [`crate::predictor::run_blocking`] and [`crate::distributor::run_blocking`] (the CLI's
/// entry points) call it.
pub fn run_blocking<S, F>(
    host: &str,
    port: u16,
    address_file: Option<&std::path::Path>,
    start: F,
) -> Result<(), ServeError>
where
    S: GameService,
    F: Future<Output = Result<S, ServeError>>,
{
    let addr = format!("{host}:{port}");
    let bind_error = |source| ServeError::Bind {
        addr: addr.clone(),
        source,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(bind_error)?;
    rt.block_on(async {
        let service = Arc::new(start.await?);
        let (listener, local): (_, SocketAddr) = crate::http::listen(&addr, address_file)
            .await
            .map_err(bind_error)?;
        service.listening(local);
        serve(listener, service, shutdown_signal())
            .await
            .map_err(bind_error)
    })
}
