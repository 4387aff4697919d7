//! pgvector's `vector` and `halfvec` values in PostgreSQL's binary format.
//!
//! Both types send a 2-byte big-endian dimension, 2 unused bytes, then `dim` big-endian values:
//! IEEE float4 for `vector`, IEEE binary16 for `halfvec` (pgvector's `vector_send` /
//! `halfvec_send`). Values are widened to `f32` (exact for binary16).

use std::error::Error;

use postgres::types::{FromSql, Type};

/// Which pgvector type a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorKind {
    /// `vector`: float4 values.
    Vector,
    /// `halfvec`: binary16 values.
    HalfVec,
}

impl VectorKind {
    /// The kind for a PostgreSQL type name (`vector`, `halfvec`).
    pub fn from_type_name(name: &str) -> Option<VectorKind> {
        match name {
            "vector" => Some(VectorKind::Vector),
            "halfvec" => Some(VectorKind::HalfVec),
            _ => None,
        }
    }

    /// The PostgreSQL type name.
    pub fn type_name(self) -> &'static str {
        match self {
            VectorKind::Vector => "vector",
            VectorKind::HalfVec => "halfvec",
        }
    }

    fn value_bytes(self) -> usize {
        match self {
            VectorKind::Vector => 4,
            VectorKind::HalfVec => 2,
        }
    }
}

/// A pgvector value read from the server, widened to `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct PgVector {
    pub kind: VectorKind,
    pub values: Vec<f32>,
}

/// Decodes the binary wire format of a `vector` or `halfvec`.
pub fn decode(kind: VectorKind, raw: &[u8]) -> Result<Vec<f32>, String> {
    if raw.len() < 4 {
        return Err(format!(
            "{} value of {} bytes (a 4-byte header at least)",
            kind.type_name(),
            raw.len()
        ));
    }
    let dim = u16::from_be_bytes([raw[0], raw[1]]) as usize;
    let body = &raw[4..];
    if body.len() != dim * kind.value_bytes() {
        return Err(format!(
            "{} value says {dim} dimensions but carries {} bytes of values",
            kind.type_name(),
            body.len()
        ));
    }
    Ok(match kind {
        VectorKind::Vector => body
            .chunks_exact(4)
            .map(|b| f32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        VectorKind::HalfVec => body
            .chunks_exact(2)
            .map(|b| half::f16::from_be_bytes([b[0], b[1]]).to_f32())
            .collect(),
    })
}

impl<'a> FromSql<'a> for PgVector {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        let kind = VectorKind::from_type_name(ty.name())
            .ok_or_else(|| format!("type {} is not a pgvector vector", ty.name()))?;
        Ok(PgVector {
            kind,
            values: decode(kind, raw)?,
        })
    }

    fn accepts(ty: &Type) -> bool {
        VectorKind::from_type_name(ty.name()).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_vector_and_halfvec() {
        let mut raw = vec![0, 2, 0, 0];
        raw.extend_from_slice(&1.5f32.to_be_bytes());
        raw.extend_from_slice(&(-0.1f32).to_be_bytes());
        assert_eq!(decode(VectorKind::Vector, &raw).unwrap(), [1.5, -0.1]);

        let mut raw = vec![0, 3, 0, 0];
        for v in [0.5f32, -2.0, 0.1] {
            raw.extend_from_slice(&half::f16::from_f32(v).to_be_bytes());
        }
        let got = decode(VectorKind::HalfVec, &raw).unwrap();
        assert_eq!(got[..2], [0.5, -2.0]);
        assert_eq!(got[2], half::f16::from_f32(0.1).to_f32());
    }

    #[test]
    fn rejects_truncated_values() {
        assert!(decode(VectorKind::Vector, &[0, 1]).is_err());
        let err = decode(VectorKind::HalfVec, &[0, 2, 0, 0, 1, 2]).unwrap_err();
        assert!(err.contains("2 dimensions"), "{err}");
    }
}
