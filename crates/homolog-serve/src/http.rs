//! The HTTP pieces of the GAME server, below the router ([`crate::server`]): GAME error and
//! success responses, content negotiation, bounded body reading, the 404 fallback, graceful
//! shutdown, and the address file of GAME's Slurm pattern.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use homolog_game::codec::{Format, JSON};
use homolog_game::GameError;

/// A GAME error as an HTTP response (always JSON).
pub fn error_response(e: &GameError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))],
        e.to_json(),
    )
        .into_response()
}

/// An already encoded success body with its content type.
pub fn body_response(format: Format, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.mime()),
        )],
        bytes,
    )
        .into_response()
}

/// The response format `Accept` asks for.
pub fn response_format(headers: &HeaderMap) -> Format {
    Format::from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
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

/// Reads a whole body, refusing more than `limit` bytes with a 400 that names the limit as
/// `whose` limit ("this server's", "the distributor's").
pub async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    whose: &str,
) -> Result<Bytes, GameError> {
    let too_big = |n: String| {
        GameError::bad_request(format!(
            "request body of {n} bytes is larger than {whose} limit of {limit} bytes; split the sequences over several requests or raise max_body_bytes"
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

/// The fallback route: 404 with a `bad_prediction_request` object listing GAME's endpoints.
pub async fn not_found() -> Response {
    let mut r = error_response(&GameError::bad_request(
        "unknown endpoint; a GAME predictor serves GET /formats, GET /help and POST /predict",
    ));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
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
    let text = format!("{}:{}\n", addr.ip(), addr.port());
    homolog_io::write_atomic(path, text.as_bytes()).map_err(std::io::Error::other)
}

/// Binds `addr` (`host:port`; port 0 = any free port) and, if `address_file` is given, writes
/// the bound `ip:port` there (see [`write_address`]). Returns the listener and its address.
pub async fn listen(
    addr: &str,
    address_file: Option<&std::path::Path>,
) -> std::io::Result<(tokio::net::TcpListener, std::net::SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    if let Some(path) = address_file {
        write_address(path, local)?;
    }
    Ok((listener, local))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn body_limit_names_whose_limit() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("20"));
        let e = read_body(Body::from(vec![b'x'; 20]), &h, 10, "the distributor's")
            .await
            .unwrap_err();
        assert_eq!(e.status, 400);
        assert!(
            e.messages()[0].contains(
                "request body of 20 bytes is larger than the distributor's limit of 10 bytes"
            ),
            "{e}"
        );
        // Without Content-Length the limit still holds.
        let e = read_body(
            Body::from(vec![b'x'; 20]),
            &HeaderMap::new(),
            10,
            "this server's",
        )
        .await
        .unwrap_err();
        assert!(
            e.messages()[0].contains("more than 10 bytes is larger than this server's limit"),
            "{e}"
        );
        let ok = read_body(Body::from("abc"), &HeaderMap::new(), 10, "this server's")
            .await
            .unwrap();
        assert_eq!(&ok[..], b"abc");
    }

    #[tokio::test]
    async fn errors_are_json_with_their_status() {
        let r = not_found().await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[header::CONTENT_TYPE], JSON);
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
        assert_eq!(request_format(&h).unwrap_err().status, 400);
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/msgpack"),
        );
        assert_eq!(response_format(&h), Format::Msgpack);
    }
}
