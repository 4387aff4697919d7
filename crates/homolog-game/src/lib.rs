//! GAME (Genomic API for Model Evaluation) messages: the types, validation and codecs that
//! homolog's GAME server (`homolog-serve`: the predictor and the distributor) speaks.
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
//! - [`GameError`]: the error object with its status.
//!
//! Every real GAME example (the `game/` folder of homolog's test data, `$HOMOLOG_DATA`) is
//! checked in `tests/examples.rs`; see `docs/game.md` for the rules and where homolog is
//! deliberately more lenient than GAME.
//!
//! # Reading a request, writing a response
//!
//! ```
//! use homolog_game::{decode, encode, parse_request, parse_response, Format, GameError};
//! use homolog_game::{PredictResponse, TaskResult, Val};
//!
//! let body = br#"{"readout": "point", "upstream_seq": "AC",
//!     "prediction_tasks": [{"name": "e", "type": "expression",
//!                           "cell_type": "K562", "species": "homo_sapiens"}],
//!     "sequences": {"s2": "GGTTA", "s1": "acgt"},
//!     "prediction_ranges": {"s2": [1, 3], "s1": []}}"#;
//! let request = parse_request(decode(Format::Json, body).unwrap()).unwrap();
//! // The evaluator's order, not sorted.
//! assert_eq!(request.sequences[0].0, "s2");
//! // What a model sees: flanked, upper-cased, cut to the range (inclusive, 0-based, in the
//! // flanked sequence).
//! let regions = request.regions().unwrap();
//! assert_eq!((regions[0].target(), regions[1].target()), ("CGG", "ACACGT"));
//!
//! let task = &request.tasks[0];
//! let response = PredictResponse {
//!     predictor_name: Some("example".into()),
//!     request: None,
//!     bin_size: None,
//!     tasks: vec![TaskResult {
//!         name: task.name.clone(),
//!         type_requested: task.task_type.clone().into(),
//!         type_actual: vec!["expression".into()],
//!         cell_type_requested: task.cell_type.clone().into(),
//!         cell_type_actual: "K562".into(),
//!         species_requested: task.species.clone().into(),
//!         species_actual: "homo_sapiens".into(),
//!         scale_prediction_requested: None,
//!         scale_prediction_actual: None,
//!         extra: Vec::new(),
//!         predictions: regions
//!             .iter()
//!             .map(|r| (r.id.clone(), Val::Array(vec![Val::Float(r.target().len() as f64)])))
//!             .collect(),
//!         trim_upstream: None,
//!     }],
//!     extra: Vec::new(),
//! };
//! response.check_answers(&request).unwrap();
//! let json = String::from_utf8(encode(Format::Json, &response).unwrap()).unwrap();
//! assert!(json.contains(r#""type_actual":["expression"]"#), "{json}");
//! assert!(json.contains(r#""predictions":{"s2":[3.0],"s1":[6.0]}"#), "{json}");
//!
//! // msgpack carries the same message.
//! let packed = encode(Format::Msgpack, &response).unwrap();
//! assert_eq!(parse_response(decode(Format::Msgpack, &packed).unwrap()).unwrap(), response);
//!
//! // A request GAME's schema refuses: a 400 with GAME's error object.
//! let bad = parse_request(decode(Format::Json, br#"{"readout": "point"}"#).unwrap());
//! let e: GameError = bad.unwrap_err();
//! assert_eq!(e.status, 400);
//! let text = String::from_utf8(e.to_json()).unwrap();
//! assert!(text.starts_with(r#"{"error":[{"bad_prediction_request":"#), "{text}");
//! ```

pub mod codec;
pub mod error;
pub mod help;
pub mod request;
pub mod response;
pub mod value;

pub use codec::{decode, encode, Format};
pub use error::{ErrorKind, GameError};
pub use help::{check_help, parse_formats, Formats};
pub use request::{parse_request, PredictRequest, Range, Readout, Region, SubsetView, TaskRequest};
pub use response::{parse_response, PredictResponse, TaskResult};
pub use value::Val;
