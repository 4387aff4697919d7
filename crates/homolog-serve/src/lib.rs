//! homolog's GAME server: one HTTP front end for GAME's predictor API (`GET /formats`,
//! `GET /help`, `POST /predict`), over a [`GameService`] trait that two services implement.
//!
//! - [`predictor`] (feature `predictor`): `homolog serve predictor`, k-nearest-reference
//!   regression over DNA embeddings ([`Predictor`]);
//! - [`distributor`] (feature `distributor`): `homolog distribute`, which looks like one
//!   predictor and scatters each request over a pool of them, checks that their task
//!   alignments agree and gathers the answers in request order ([`Distributor`]);
//! - [`service`]: the [`GameService`] trait and a `GET` endpoint's [`Reply`];
//! - [`server`]: [`router`] (GAME's routes over any service: content negotiation, body limits,
//!   request validation, GAME error objects, logging), [`serve`] on a bound listener, and
//!   [`server::run_blocking`] (runtime, address file, Ctrl-C / SIGTERM);
//! - [`http`]: the response, body and shutdown helpers under the router;
//! - [`ServeError`]: why a server could not start (request-time errors are
//!   [`homolog_game::GameError`]s).
//!
//! The messages themselves (request validation, response schema, codecs) are `homolog-game`'s;
//! docs/game.md describes the API, the configs and the status codes.
//!
//! Both features are on by default. Without `predictor` the crate does not depend on
//! homolog-embed, homolog-search or rayon; without `distributor`, not on the HTTP client.
//!
//! # Calling a service without a socket
//!
//! A predictor over a synthetic reference table, asked through the trait the router uses:
//!
//! ```
//! # #[cfg(feature = "predictor")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::sync::Arc;
//!
//! use homolog_game::{decode, parse_request, Format, Val};
//! use homolog_serve::predictor::synthetic::synthetic;
//! use homolog_serve::{GameService, Predictor, PredictorConfig};
//!
//! // 2 families of 6 references, 60 bp; family 1's K562 expression is 4.0.
//! let s = synthetic(1, 2, 6, 60);
//! let mut config = PredictorConfig::with_reference("synthetic.tsv"); // not read: the table is given
//! config.k = 3;
//! let predictor = Predictor::with_table(config, s.table).unwrap();
//! let predictor = Arc::new(predictor);
//!
//! let formats = predictor.formats(Some("application/json")).await.unwrap();
//! assert_eq!((formats.status, formats.content_type.as_str()), (200, "application/json"));
//!
//! let body = format!(
//!     r#"{{"readout": "point", "sequences": {{"q": "{}"}},
//!         "prediction_tasks": [{{"name": "e", "type": "expression",
//!                                "cell_type": "K562", "species": "homo_sapiens"}}]}}"#,
//!     s.ancestors[1]
//! );
//! let request = parse_request(decode(Format::Json, body.as_bytes()).unwrap()).unwrap();
//! let response = predictor.predict(request).await.unwrap();
//! let (id, Val::Array(values)) = &response.tasks[0].predictions[0] else { panic!() };
//! assert_eq!(id, "q");
//! assert!((values[0].as_f64().unwrap() - 4.0).abs() < 0.1);
//! # }
//! # #[cfg(not(feature = "predictor"))]
//! # fn main() {}
//! ```
//!
//! [`router`] serves the same service over HTTP (its example sends a request through it in
//! process); [`serve`] runs it on a listener:
//!
//! ```no_run
//! # #[cfg(feature = "predictor")]
//! # #[tokio::main]
//! # async fn main() -> std::io::Result<()> {
//! use std::sync::Arc;
//!
//! use homolog_serve::{serve, Predictor, PredictorConfig};
//!
//! let predictor = Predictor::new(PredictorConfig::with_reference("reference.tsv")).unwrap();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:5001").await?;
//! serve(listener, Arc::new(predictor), homolog_serve::http::shutdown_signal()).await
//! # }
//! # #[cfg(not(feature = "predictor"))]
//! # fn main() {}
//! ```

#[cfg(feature = "distributor")]
pub mod distributor;
pub mod error;
pub mod http;
#[cfg(feature = "predictor")]
pub mod predictor;
pub mod server;
pub mod service;

#[cfg(feature = "distributor")]
pub use distributor::{Distributor, DistributorConfig, PoolEntry};
pub use error::ServeError;
#[cfg(feature = "predictor")]
pub use predictor::{Predictor, PredictorConfig, TaskMatching};
pub use server::{router, serve};
pub use service::{GameService, Reply};
