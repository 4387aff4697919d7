//! [`Val`]: a JSON/msgpack value that keeps object keys in document order and keeps duplicates.
//!
//! Why not `serde_json::Value`: GAME messages are keyed by sequence id and the evaluator expects
//! predictions back in its own order, and a duplicated sequence id must be reported (GAME lists
//! it as a `bad_prediction_request`), not silently overwritten. `serde_json`'s map sorts keys and
//! keeps the last duplicate unless the workspace-wide `preserve_order` feature is switched on,
//! which would change every other crate's output. `Val` deserialises from any self-describing
//! format (JSON, msgpack) through `deserialize_any`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A generic message value with ordered object entries.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// JSON `null` / msgpack nil.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer (negative, or from a signed msgpack type).
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// Raw bytes (msgpack `bin`); GAME allows binary-encoded interaction matrices.
    Bytes(Vec<u8>),
    /// An array.
    Array(Vec<Val>),
    /// An object, entries in document order, duplicates kept.
    Object(Vec<(String, Val)>),
}

impl Val {
    /// A short name of the value's type for error messages ("a string", "an array", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "a boolean",
            Val::Int(_) | Val::UInt(_) => "an integer",
            Val::Float(_) => "a number",
            Val::Str(_) => "a string",
            Val::Bytes(_) => "binary data",
            Val::Array(_) => "an array",
            Val::Object(_) => "an object",
        }
    }

    /// The number as `f64` when this is any numeric value.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Val::Int(i) => Some(i as f64),
            Val::UInt(u) => Some(u as f64),
            Val::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The string slice when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Looks a key up in an object (first occurrence).
    pub fn get(&self, key: &str) -> Option<&Val> {
        match self {
            Val::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A compact JSON-like rendering for messages (strings quoted, long values cut).
    pub fn brief(&self) -> String {
        let s = match serde_json::to_string(self) {
            Ok(s) => s,
            Err(_) => format!("<{}>", self.kind()),
        };
        if s.chars().count() > 80 {
            let cut: String = s.chars().take(77).collect();
            format!("{cut}...")
        } else {
            s
        }
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val::Str(s.to_string())
    }
}

impl From<String> for Val {
    fn from(s: String) -> Self {
        Val::Str(s)
    }
}

impl From<f64> for Val {
    fn from(x: f64) -> Self {
        Val::Float(x)
    }
}

impl Serialize for Val {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Val::Null => s.serialize_unit(),
            Val::Bool(b) => s.serialize_bool(*b),
            Val::Int(i) => s.serialize_i64(*i),
            Val::UInt(u) => s.serialize_u64(*u),
            Val::Float(f) => s.serialize_f64(*f),
            Val::Str(t) => s.serialize_str(t),
            Val::Bytes(b) => s.serialize_bytes(b),
            Val::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Val::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON or msgpack value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Val, E> {
        Ok(Val::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Val, E> {
        Ok(if v >= 0 {
            Val::UInt(v as u64)
        } else {
            Val::Int(v)
        })
    }
    fn visit_u64<E>(self, v: u64) -> Result<Val, E> {
        Ok(Val::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Val, E> {
        Ok(Val::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Val, E> {
        Ok(Val::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Val, E> {
        Ok(Val::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Val, E> {
        Ok(Val::Bytes(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Val, E> {
        Ok(Val::Bytes(v))
    }
    fn visit_unit<E>(self) -> Result<Val, E> {
        Ok(Val::Null)
    }
    fn visit_none<E>(self) -> Result<Val, E> {
        Ok(Val::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
        Val::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Val::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(key) = map.next_key::<KeyString>()? {
            let value = map.next_value()?;
            entries.push((key.0, value));
        }
        Ok(Val::Object(entries))
    }
}

/// An object key: GAME keys are strings; msgpack may carry integer keys, which are
/// rendered as decimal strings rather than rejected.
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string object key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyString, E> {
                Ok(KeyString(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<KeyString, E> {
                String::from_utf8(v.to_vec())
                    .map(KeyString)
                    .map_err(|_| E::custom("object key is binary data that is not UTF-8"))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_duplicates() {
        let v: Val = serde_json::from_str(r#"{"b": 1, "a": [1.5, "x"], "b": null}"#).unwrap();
        let Val::Object(e) = &v else { panic!() };
        assert_eq!(
            e.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["b", "a", "b"]
        );
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"b":1,"a":[1.5,"x"],"b":null}"#
        );
    }

    #[test]
    fn msgpack_round_trip() {
        let v = Val::Object(vec![
            ("z".into(), Val::Int(-3)),
            (
                "a".into(),
                Val::Array(vec![Val::Float(0.25), Val::Bool(true)]),
            ),
            ("m".into(), Val::Bytes(vec![1, 2, 3])),
        ]);
        let bytes = rmp_serde::to_vec(&v).unwrap();
        let back: Val = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, v);
    }
}
