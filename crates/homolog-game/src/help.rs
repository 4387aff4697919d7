//! `GET /help` and `GET /formats` bodies.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::value::Val;

/// The body of `GET /formats`, as GAME's predictors send it.
#[derive(Debug, Clone, PartialEq)]
pub struct Formats {
    /// Predictor name (GAME prepends it to every success body).
    pub predictor_name: String,
    /// MIME types accepted in `Content-Type`.
    pub request_formats: Vec<String>,
    /// MIME types that `Accept` can select.
    pub response_formats: Vec<String>,
}

impl Serialize for Formats {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("predictor_name", &self.predictor_name)?;
        m.serialize_entry("predictor_supported_request_formats", &self.request_formats)?;
        m.serialize_entry(
            "predictor_supported_response_formats",
            &self.response_formats,
        )?;
        m.end()
    }
}

/// Reads a `/formats` body; `None` when the two format lists are not there.
pub fn parse_formats(v: &Val) -> Option<Formats> {
    let list = |key: &str| -> Option<Vec<String>> {
        match v.get(key)? {
            Val::Array(items) => items
                .iter()
                .map(|x| x.as_str().map(|s| s.to_ascii_lowercase()))
                .collect(),
            _ => None,
        }
    };
    Some(Formats {
        predictor_name: v
            .get("predictor_name")
            .and_then(Val::as_str)
            .unwrap_or("")
            .to_string(),
        request_formats: list("predictor_supported_request_formats")?,
        response_formats: list("predictor_supported_response_formats")?,
    })
}

/// Checks a help message against GAME's help schema (every key optional). Returns the
/// problems found; empty means valid.
///
/// `expression_strand_specific` may be a boolean or the strings "true"/"false" (GAME's own
/// examples send a string). `cell_types` and `species` must have length 1 or the length of
/// `features`.
pub fn check_help(v: &Val) -> Vec<String> {
    let mut p = Vec::new();
    let Val::Object(entries) = v else {
        return vec![format!("the help message is {}, not an object", v.kind())];
    };
    let mut n_features = None;
    for (k, val) in entries {
        match k.as_str() {
            "model" | "version" | "publication" | "build_date" | "container_authors"
            | "model_authors" | "predictor_name"
                if !matches!(val, Val::Str(_)) =>
            {
                p.push(format!("'{k}' should be a string; got {}", val.kind()));
            }
            "features" | "cell_types" | "species" => match val {
                Val::Array(items) if items.iter().all(|x| matches!(x, Val::Str(_))) => {
                    if k == "features" {
                        n_features = Some(items.len());
                    }
                }
                other => p.push(format!(
                    "'{k}' should be an array of strings; got {}",
                    other.brief()
                )),
            },
            "input_size" | "bin_size" if !matches!(val, Val::UInt(_)) => {
                p.push(format!(
                    "'{k}' should be a non-negative integer; got {}",
                    val.brief()
                ));
            }
            "expression_strand_specific" => {
                let ok = matches!(val, Val::Bool(_))
                    || matches!(val, Val::Str(s) if s == "true" || s == "false");
                if !ok {
                    p.push(format!("'{k}' should be a boolean; got {}", val.brief()));
                }
            }
            _ => {}
        }
    }
    if let Some(n) = n_features {
        for key in ["cell_types", "species"] {
            if let Some(Val::Array(items)) = v.get(key) {
                if items.len() != 1 && items.len() != n {
                    p.push(format!(
                        "'{key}' has {} entries; it should have 1 or as many as 'features' ({n})",
                        items.len()
                    ));
                }
            }
        }
    }
    p
}
