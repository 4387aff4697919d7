//! Wire formats: JSON and msgpack, chosen by `Content-Type` (requests) and `Accept` (responses),
//! as GAME's predictor content handler does.
//!
//! - A request without `Content-Type` is read as JSON (GAME's default). Parameters such as
//!   `; charset=utf-8` are ignored (GAME compares the whole header; homolog is more lenient).
//!   Any other type is a 400 naming the header and the supported types.
//! - A success response is msgpack when `Accept` mentions a msgpack type, else JSON. Errors are
//!   always JSON.

use serde::Serialize;

use crate::error::GameError;
use crate::value::Val;

/// MIME type of JSON bodies.
pub const JSON: &str = "application/json";
/// MIME type of msgpack bodies (GAME's spelling).
pub const MSGPACK: &str = "application/msgpack";
/// Request formats homolog reads, as advertised by `GET /formats`.
pub const SUPPORTED_FORMATS: [&str; 2] = [JSON, MSGPACK];

/// A body encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `application/json`.
    Json,
    /// `application/msgpack` (also accepted: `application/x-msgpack`, `application/vnd.msgpack`).
    Msgpack,
}

fn is_msgpack_mime(m: &str) -> bool {
    matches!(
        m,
        "application/msgpack" | "application/x-msgpack" | "application/vnd.msgpack"
    )
}

impl Format {
    /// The MIME type to put in `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Json => JSON,
            Format::Msgpack => MSGPACK,
        }
    }

    /// The request format named by a `Content-Type` header (missing or empty = JSON).
    pub fn from_content_type(header: Option<&str>) -> Result<Format, GameError> {
        let Some(raw) = header else {
            return Ok(Format::Json);
        };
        let mime = raw
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if mime.is_empty() || mime == JSON {
            Ok(Format::Json)
        } else if is_msgpack_mime(&mime) {
            Ok(Format::Msgpack)
        } else {
            Err(GameError::bad_request(format!(
                "Unsupported Content-Type {raw:?}; send the body as one of {SUPPORTED_FORMATS:?}"
            )))
        }
    }

    /// The response format an `Accept` header asks for: msgpack when it names a msgpack type.
    pub fn from_accept(header: Option<&str>) -> Format {
        let Some(raw) = header else {
            return Format::Json;
        };
        let wants_msgpack = raw.split(',').any(|part| {
            let mime = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            is_msgpack_mime(&mime)
        });
        if wants_msgpack {
            Format::Msgpack
        } else {
            Format::Json
        }
    }
}

/// Decodes a body into an ordered [`Val`]; malformed input is a 400 that says where.
pub fn decode(format: Format, body: &[u8]) -> Result<Val, GameError> {
    match format {
        Format::Json => serde_json::from_slice::<Val>(body).map_err(|e| {
            GameError::bad_request(format!(
                "request body is not valid JSON: {e}; fix the JSON syntax (GAME messages are one JSON object)"
            ))
        }),
        Format::Msgpack => rmp_serde::from_slice::<Val>(body).map_err(|e| {
            GameError::bad_request(format!(
                "request body is not valid msgpack: {e}; send a msgpack map, or JSON with Content-Type: application/json"
            ))
        }),
    }
}

/// Encodes a value; a failure is a 500 (it can only come from a non-string map key or a
/// non-finite float in JSON).
pub fn encode<T: Serialize + ?Sized>(format: Format, value: &T) -> Result<Vec<u8>, GameError> {
    match format {
        Format::Json => serde_json::to_vec(value).map_err(|e| {
            GameError::server(format!("failed to serialise the response as JSON: {e}"))
        }),
        Format::Msgpack => rmp_serde::to_vec_named(value).map_err(|e| {
            GameError::server(format!("failed to serialise the response as msgpack: {e}"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_negotiation() {
        assert_eq!(Format::from_content_type(None).unwrap(), Format::Json);
        assert_eq!(
            Format::from_content_type(Some("Application/JSON; charset=utf-8")).unwrap(),
            Format::Json
        );
        assert_eq!(
            Format::from_content_type(Some("application/msgpack")).unwrap(),
            Format::Msgpack
        );
        let e = Format::from_content_type(Some("text/plain")).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.entries[0].1.contains("text/plain"));
        assert_eq!(Format::from_accept(None), Format::Json);
        assert_eq!(Format::from_accept(Some("*/*")), Format::Json);
        assert_eq!(
            Format::from_accept(Some("application/json, application/msgpack;q=0.9")),
            Format::Msgpack
        );
    }

    #[test]
    fn malformed_bodies_are_400() {
        let e = decode(Format::Json, b"{\"a\": 1,}").unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.entries[0].1.contains("line 1"), "{e}");
        assert_eq!(decode(Format::Msgpack, &[0xc1]).unwrap_err().status, 400);
    }
}
