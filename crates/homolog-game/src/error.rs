//! GAME's error object: `{"error": [{"<key>": "<message>"}, ...]}` with its HTTP status.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::value::Val;

/// The three GAME error categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 400: the request was unacceptable; the model did not run.
    BadPredictionRequest,
    /// 422: the request was valid but the model could not complete the prediction.
    PredictionRequestFailed,
    /// 500: a backend problem (a worker unreachable, a serialisation failure).
    ServerError,
}

impl ErrorKind {
    /// The key used in the error object.
    pub fn key(self) -> &'static str {
        match self {
            ErrorKind::BadPredictionRequest => "bad_prediction_request",
            ErrorKind::PredictionRequestFailed => "prediction_request_failed",
            ErrorKind::ServerError => "server_error",
        }
    }

    /// The HTTP status code GAME pairs with the key.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadPredictionRequest => 400,
            ErrorKind::PredictionRequestFailed => 422,
            ErrorKind::ServerError => 500,
        }
    }

    /// The kind for an error key, if it is one of GAME's three.
    pub fn from_key(key: &str) -> Option<ErrorKind> {
        match key {
            "bad_prediction_request" => Some(ErrorKind::BadPredictionRequest),
            "prediction_request_failed" => Some(ErrorKind::PredictionRequestFailed),
            "server_error" => Some(ErrorKind::ServerError),
            _ => None,
        }
    }

    /// The kind GAME uses for an HTTP status (400 -> bad request, 422 -> failed, else server).
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadPredictionRequest,
            422 => ErrorKind::PredictionRequestFailed,
            _ => ErrorKind::ServerError,
        }
    }
}

/// A GAME error response: a status and one or more `(key, message)` entries.
///
/// Messages name the offending field or sequence id and say how to fix it. All entries of an
/// error built here share one kind; an error parsed from a peer may mix kinds (the status is
/// then the one the peer sent).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} ({}): {}", .status, self.primary_key(), self.entries.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; "))]
pub struct GameError {
    /// HTTP status to answer with.
    pub status: u16,
    /// `(error key, message)` pairs, in order.
    pub entries: Vec<(String, String)>,
}

impl GameError {
    /// One message of one kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        GameError {
            status: kind.status(),
            entries: vec![(kind.key().to_string(), message.into())],
        }
    }

    /// Several messages of one kind (at least one; an empty list gets a generic message).
    pub fn many(kind: ErrorKind, messages: Vec<String>) -> Self {
        let mut entries: Vec<(String, String)> = messages
            .into_iter()
            .map(|m| (kind.key().to_string(), m))
            .collect();
        if entries.is_empty() {
            entries.push((kind.key().to_string(), "unspecified error".to_string()));
        }
        GameError {
            status: kind.status(),
            entries,
        }
    }

    /// 400 `bad_prediction_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadPredictionRequest, message)
    }

    /// 422 `prediction_request_failed`.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PredictionRequestFailed, message)
    }

    /// 500 `server_error`.
    pub fn server(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ServerError, message)
    }

    /// The kind matching [`GameError::status`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::from_status(self.status)
    }

    fn primary_key(&self) -> &str {
        self.entries
            .first()
            .map(|(k, _)| k.as_str())
            .unwrap_or("server_error")
    }

    /// The messages only.
    pub fn messages(&self) -> Vec<&str> {
        self.entries.iter().map(|(_, m)| m.as_str()).collect()
    }

    /// The JSON body (GAME sends errors as JSON whatever the `Accept` header says).
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising strings into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_else(|_| {
            br#"{"error":[{"server_error":"error serialisation failed"}]}"#.to_vec()
        })
    }

    /// Parses an error body sent by a GAME predictor with HTTP status `status`.
    ///
    /// Accepts GAME's current form `{"error": [{key: message}, ...]}` and the legacy flat form
    /// `{key: message, ...}` of early GAME examples; messages that are not strings are rendered
    /// as JSON. Returns `None` when the body holds no recognisable error entry.
    pub fn from_body(status: u16, body: &Val) -> Option<GameError> {
        let render = |v: &Val| match v {
            Val::Str(s) => s.clone(),
            other => other.brief(),
        };
        let mut entries = Vec::new();
        match body.get("error") {
            Some(Val::Array(items)) => {
                for item in items {
                    match item {
                        Val::Object(kv) => {
                            for (k, v) in kv {
                                entries.push((k.clone(), render(v)));
                            }
                        }
                        other => entries.push(("server_error".to_string(), render(other))),
                    }
                }
            }
            Some(Val::Object(kv)) => {
                for (k, v) in kv {
                    entries.push((k.clone(), render(v)));
                }
            }
            Some(other) => entries.push(("server_error".to_string(), render(other))),
            None => {
                if let Val::Object(kv) = body {
                    for (k, v) in kv {
                        if ErrorKind::from_key(k).is_some() {
                            entries.push((k.clone(), render(v)));
                        }
                    }
                }
            }
        }
        if entries.is_empty() {
            None
        } else {
            Some(GameError { status, entries })
        }
    }
}

impl Serialize for GameError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Entries<'a>(&'a [(String, String)]);
        struct Entry<'a>(&'a str, &'a str);
        impl Serialize for Entry<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(self.0, self.1)?;
                m.end()
            }
        }
        impl Serialize for Entries<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for (k, m) in self.0 {
                    seq.serialize_element(&Entry(k, m))?;
                }
                seq.end()
            }
        }
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("error", &Entries(&self.entries))?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_shape_and_round_trip() {
        let e = GameError::many(
            ErrorKind::BadPredictionRequest,
            vec!["a".into(), "b".into()],
        );
        assert_eq!(
            String::from_utf8(e.to_json()).unwrap(),
            r#"{"error":[{"bad_prediction_request":"a"},{"bad_prediction_request":"b"}]}"#
        );
        let v: Val = serde_json::from_slice(&e.to_json()).unwrap();
        assert_eq!(GameError::from_body(400, &v).unwrap(), e);
        assert_eq!(e.kind(), ErrorKind::BadPredictionRequest);
    }

    #[test]
    fn legacy_flat_form() {
        let v: Val = serde_json::from_str(r#"{"server_error": "disk full"}"#).unwrap();
        let e = GameError::from_body(500, &v).unwrap();
        assert_eq!(e.entries, vec![("server_error".into(), "disk full".into())]);
        let v: Val = serde_json::from_str(r#"{"predictions": 1}"#).unwrap();
        assert!(GameError::from_body(500, &v).is_none());
    }
}
