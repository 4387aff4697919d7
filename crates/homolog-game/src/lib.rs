//! GAME (Genomic API for Model Evaluation) messages, shared by homolog's predictor
//! (`homolog-serve`) and distributor (`homolog-distribute`).
//!
//! GAME connects Evaluators and Predictors over HTTP: `GET /formats`, `GET /help`,
//! `POST /predict`, JSON or msgpack by `Content-Type`/`Accept`, and an error object
//! `{"error": [{"bad_prediction_request" | "prediction_request_failed" | "server_error": msg}]}`
//! answered with 400 / 422 / 500. This crate holds everything about those messages and nothing
//! about HTTP servers:
//!
//! - [`Val`]: an ordered JSON/msgpack value (keeps the evaluator's sequence order and detects
//!   duplicated ids);
//! - [`codec`]: content negotiation ([`Format`]) and decoding/encoding;
//! - [`request`]: [`parse_request`] validates an evaluator request into a [`PredictRequest`]
//!   (400s), [`PredictRequest::regions`] prepares the model's input (flanks, ranges, `ACGTN`;
//!   422s), [`PredictRequest::subset`] cuts a batch and [`PredictRequest::subset_view`]
//!   borrows one (the distributor encodes batches from it without copying the sequences);
//! - [`response`]: [`PredictResponse`] and [`parse_response`] with GAME's response schema;
//! - [`help`]: `/formats` and `/help` bodies;
//! - [`GameError`]: the error object with its status;
//! - `http` (feature `axum`): the axum helpers both servers share (error and success
//!   responses, content negotiation, body limits, 404, shutdown, address files).
//!
//! Every real GAME example in `shared/data/game` is checked in `tests/examples.rs`; see
//! `docs/game.md` for the rules and where homolog is deliberately more lenient than GAME.

pub mod codec;
pub mod error;
pub mod help;
#[cfg(feature = "axum")]
pub mod http;
pub mod request;
pub mod response;
pub mod value;

pub use codec::{decode, encode, Format};
pub use error::{ErrorKind, GameError};
pub use help::{check_help, parse_formats, Formats};
pub use request::{parse_request, PredictRequest, Range, Readout, Region, SubsetView, TaskRequest};
pub use response::{parse_response, PredictResponse, TaskResult};
pub use value::Val;
