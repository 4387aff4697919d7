//! What a GAME server answers, without HTTP: the [`GameService`] trait that the predictor and
//! the distributor implement, and the [`Reply`] of a `GET` endpoint.
//!
//! [`crate::server::router`] turns any `GameService` into GAME's three routes; everything
//! about HTTP (content negotiation, body limits, request parsing, error objects, logging) lives
//! there, once, so the two servers cannot drift apart.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use homolog_game::{encode, Format, GameError, PredictRequest, PredictResponse};
use serde::Serialize;

/// The answer to `GET /formats` or `GET /help`: status, `Content-Type` and body, as they go on
/// the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status (200 for a server's own answer; a relayed one keeps its worker's).
    pub status: u16,
    /// `Content-Type` of `body`.
    pub content_type: String,
    /// The encoded body.
    pub body: Bytes,
}

impl Reply {
    /// A 200 with `value` encoded in `format`.
    pub fn encode<T: Serialize + ?Sized>(format: Format, value: &T) -> Result<Reply, GameError> {
        Ok(Reply {
            status: 200,
            content_type: format.mime().to_string(),
            body: Bytes::from(encode(format, value)?),
        })
    }
}

/// A GAME predictor as the router sees it: `GET /formats`, `GET /help` and `POST /predict` on
/// an already parsed and validated request.
///
/// Implemented by [`crate::Predictor`] (feature `predictor`) and [`crate::Distributor`]
/// (feature `distributor`). The request-time errors are [`GameError`]s: the router answers
/// them with GAME's error object and their status (400, 422, 500).
pub trait GameService: Send + Sync + 'static {
    /// Whose limit an over-large request body exceeds, in the 400's message: "this server's",
    /// "the distributor's".
    const BODY_LIMIT_OWNER: &'static str;

    /// The message of the log line written for every `POST /predict`.
    const LOG_NAME: &'static str;

    /// The largest request body accepted, in bytes.
    fn max_body_bytes(&self) -> usize;

    /// The `GET /formats` answer; `accept` is the request's `Accept` header.
    fn formats(
        &self,
        accept: Option<&str>,
    ) -> impl Future<Output = Result<Reply, GameError>> + Send;

    /// The `GET /help` answer; `accept` is the request's `Accept` header.
    fn help(&self, accept: Option<&str>) -> impl Future<Output = Result<Reply, GameError>> + Send;

    /// Answers a request that [`homolog_game::parse_request`] accepted (so its 400s are
    /// already excluded); the router encodes the response as `Accept` asks.
    fn predict(
        self: Arc<Self>,
        request: PredictRequest,
    ) -> impl Future<Output = Result<PredictResponse, GameError>> + Send;

    /// Called once the server listens on `local` (logs and the console line).
    fn listening(&self, local: SocketAddr) {
        tracing::info!(%local, "GAME server listening");
    }
}
