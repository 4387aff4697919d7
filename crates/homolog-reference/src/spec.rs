//! `BuildSpec`: the `reference:` section of homolog's YAML config (what to build and from what).

use std::fmt;
use std::path::PathBuf;

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// What `initialize` builds: the reference folder and its inputs.
///
/// Every field has a default so a config that only runs lookups can say just `path:`;
/// `initialize` checks that `sequences` and `ontology` are given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BuildSpec {
    /// The reference folder (created atomically; replaced only by a complete new build).
    pub path: PathBuf,
    /// Protein sequences: FASTA or UniProt flat `.dat` (detected by a first line starting `ID   `),
    /// plain or gzip.
    pub sequences: Vec<Source>,
    /// GO annotations (GAF 2.x or TSV). May be empty when the sequences are `.dat` files, whose
    /// `DR   GO;` lines are then the annotations.
    #[serde(default)]
    pub annotations: Vec<Source>,
    /// The GO ontology (OBO), copied into the folder.
    pub ontology: Source,
    /// Optional NCBI taxdump, stored as `taxonomy.parquet` for taxonomy filters.
    #[serde(default)]
    pub taxonomy: Option<TaxdumpSources>,
    /// Precomputed per-protein embeddings (HDF5, one dataset per accession).
    #[serde(default)]
    pub embeddings: Vec<PrecomputedSource>,
    /// Which evidence codes keep an annotation (default: the 8 experimental codes).
    #[serde(default)]
    pub evidence_codes: EvidenceCodes,
    /// Storage precision of the matrices.
    #[serde(default)]
    pub precision: Precision,
    /// Where downloads are cached (default `<path>/.downloads`).
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
}

impl Default for BuildSpec {
    fn default() -> Self {
        BuildSpec::new("reference", Vec::new(), Source::new(""))
    }
}

impl BuildSpec {
    /// A spec with the defaults for everything but the required inputs.
    pub fn new(path: impl Into<PathBuf>, sequences: Vec<Source>, ontology: Source) -> Self {
        BuildSpec {
            path: path.into(),
            sequences,
            annotations: Vec::new(),
            ontology,
            taxonomy: None,
            embeddings: Vec::new(),
            evidence_codes: EvidenceCodes::default(),
            precision: Precision::default(),
            cache_dir: None,
        }
    }
}

/// A file: a local path or an http(s) URL, optionally with its expected SHA-256.
///
/// In YAML either a plain string or `{ location: ..., sha256: ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub location: String,
    pub sha256: Option<String>,
}

impl Source {
    pub fn new(location: impl Into<String>) -> Self {
        Source {
            location: location.into(),
            sha256: None,
        }
    }

    pub fn with_sha256(location: impl Into<String>, sha256: impl Into<String>) -> Self {
        Source {
            location: location.into(),
            sha256: Some(sha256.into()),
        }
    }
}

impl From<&str> for Source {
    fn from(s: &str) -> Self {
        Source::new(s)
    }
}

impl From<&std::path::Path> for Source {
    fn from(p: &std::path::Path) -> Self {
        Source::new(p.to_string_lossy().into_owned())
    }
}

impl From<PathBuf> for Source {
    fn from(p: PathBuf) -> Self {
        Source::new(p.to_string_lossy().into_owned())
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SourceRepr {
    Plain(String),
    Full(SourceFull),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFull {
    location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `null` means "not given" (an empty location), as the example config writes it.
        match Option::<SourceRepr>::deserialize(d).map_err(|_| {
            de::Error::custom(
                "a source must be a path/URL string or { location: <path or URL>, sha256: <hex> }",
            )
        })? {
            None => Ok(Source::new("")),
            Some(SourceRepr::Plain(location)) => Ok(Source::new(location)),
            Some(SourceRepr::Full(f)) => {
                if let Some(h) = &f.sha256 {
                    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(de::Error::custom(format!(
                            "sha256 of {} must be 64 hex digits, got {h:?}",
                            f.location
                        )));
                    }
                }
                Ok(Source {
                    location: f.location,
                    sha256: f.sha256.map(|h| h.to_ascii_lowercase()),
                })
            }
        }
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.sha256 {
            None if self.location.is_empty() => s.serialize_none(),
            None => s.serialize_str(&self.location),
            Some(h) => SourceFull {
                location: self.location.clone(),
                sha256: Some(h.clone()),
            }
            .serialize(s),
        }
    }
}

/// NCBI taxdump files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxdumpSources {
    pub nodes: Source,
    /// Scientific names; without them `taxonomy.parquet` has no names.
    #[serde(default)]
    pub names: Option<Source>,
}

/// Precomputed per-protein embeddings for one (model, layer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrecomputedSource {
    /// The model name the lookup will ask for (a key of the `embedding.models` config).
    pub model: String,
    /// Layer index (0 = last layer, FANTASIA's convention).
    #[serde(default)]
    pub layer: usize,
    /// The HDF5 file: one 1-D dataset per accession (UniProt `per-protein.h5` layout).
    pub source: Source,
    /// The backend that produced the vectors (default: `model`); recorded in the manifest.
    #[serde(default)]
    pub backend: Option<String>,
    /// FANTASIA embedding type id (default from the backend, see
    /// `homolog_embed::registry::default_type_id`).
    #[serde(default)]
    pub embedding_type_id: Option<u32>,
}

/// Evidence codes that keep an annotation: a list, or "all".
///
/// The filter applies to a source only when that source carries evidence codes; a source
/// without any (e.g. a 3-column TSV) is kept whole, and the build logs a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceCodes {
    /// Keep every annotation.
    All,
    /// Keep annotations whose code is in the list (upper-case).
    Only(Vec<String>),
}

impl Default for EvidenceCodes {
    fn default() -> Self {
        EvidenceCodes::Only(
            homolog_go::EXPERIMENTAL_EVIDENCE
                .iter()
                .map(|s| s.to_string())
                .collect(),
        )
    }
}

impl EvidenceCodes {
    /// Whether an annotation with this code passes (codes compare case-insensitively).
    pub fn allows(&self, code: &str) -> bool {
        match self {
            EvidenceCodes::All => true,
            EvidenceCodes::Only(list) => list.iter().any(|c| c.eq_ignore_ascii_case(code.trim())),
        }
    }

    /// The codes as stored in the manifest: `["all"]` or the sorted list.
    pub fn to_list(&self) -> Vec<String> {
        match self {
            EvidenceCodes::All => vec!["all".to_string()],
            EvidenceCodes::Only(list) => {
                let mut v: Vec<String> = list.iter().map(|c| c.to_ascii_uppercase()).collect();
                v.sort();
                v.dedup();
                v
            }
        }
    }
}

impl Serialize for EvidenceCodes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EvidenceCodes::All => s.serialize_str("all"),
            EvidenceCodes::Only(list) => list.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for EvidenceCodes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = EvidenceCodes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"all\" or a list of GO evidence codes such as [EXP, IDA]")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EvidenceCodes, E> {
                if v.eq_ignore_ascii_case("all") {
                    Ok(EvidenceCodes::All)
                } else {
                    Err(E::custom(format!(
                        "evidence_codes: expected \"all\" or a list of codes, got {v:?}"
                    )))
                }
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<EvidenceCodes, A::Error> {
                let mut codes = Vec::new();
                while let Some(c) = seq.next_element::<String>()? {
                    let c = c.trim().to_ascii_uppercase();
                    if c.is_empty() || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        return Err(de::Error::custom(format!(
                            "evidence_codes: {c:?} is not an evidence code (e.g. EXP, IDA, TAS)"
                        )));
                    }
                    if c == "ALL" {
                        return Ok(EvidenceCodes::All);
                    }
                    codes.push(c);
                }
                // An empty list means "no filter", as documented.
                Ok(if codes.is_empty() {
                    EvidenceCodes::All
                } else {
                    EvidenceCodes::Only(codes)
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Storage precision of the matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 4 bytes per value, memory-mapped at lookup (default).
    #[default]
    F32,
    /// 2 bytes per value (IEEE half, like FANTASIA's pgvector `halfvec`); converted to an owned
    /// f32 buffer when opened.
    F16,
}

impl Precision {
    pub fn bytes(self) -> u64 {
        match self {
            Precision::F32 => 4,
            Precision::F16 => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
        }
    }

    pub fn parse(s: &str) -> Option<Precision> {
        match s {
            "f32" => Some(Precision::F32),
            "f16" => Some(Precision::F16),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_accepts_string_and_map() {
        let s: Source = serde_json::from_str("\"a/b.fasta\"").unwrap();
        assert_eq!(s, Source::new("a/b.fasta"));
        let h = "AB".repeat(32);
        let s: Source = serde_json::from_str(&format!(
            "{{\"location\":\"http://x/y\",\"sha256\":\"{h}\"}}"
        ))
        .unwrap();
        assert_eq!(s.sha256.as_deref(), Some("ab".repeat(32).as_str()));
        assert_eq!(serde_json::to_string(&Source::new("p")).unwrap(), "\"p\"");
        let bad = serde_json::from_str::<Source>("{\"location\":\"x\",\"sha256\":\"zz\"}");
        assert!(bad.unwrap_err().to_string().contains("64 hex"));
    }

    #[test]
    fn evidence_codes_forms() {
        let e: EvidenceCodes = serde_json::from_str("\"all\"").unwrap();
        assert_eq!(e, EvidenceCodes::All);
        let e: EvidenceCodes = serde_json::from_str("[]").unwrap();
        assert_eq!(e, EvidenceCodes::All);
        let e: EvidenceCodes = serde_json::from_str("[\"exp\",\"IDA\"]").unwrap();
        assert!(e.allows("EXP") && e.allows("ida") && !e.allows("IEA"));
        assert!(serde_json::from_str::<EvidenceCodes>("\"some\"").is_err());
        let d = EvidenceCodes::default();
        assert_eq!(d.to_list().len(), 8);
        assert!(d.allows("TAS") && !d.allows("IEA"));
    }

    #[test]
    fn spec_defaults_and_unknown_fields() {
        let j = r#"{"path":"ref","sequences":["s.fa"],"ontology":"go.obo"}"#;
        let s: BuildSpec = serde_json::from_str(j).unwrap();
        assert_eq!(s.precision, Precision::F32);
        assert_eq!(s.evidence_codes, EvidenceCodes::default());
        assert!(s.annotations.is_empty() && s.taxonomy.is_none() && s.cache_dir.is_none());
        let j = r#"{"path":"ref","sequences":[],"ontology":"go.obo","colour":1}"#;
        assert!(serde_json::from_str::<BuildSpec>(j)
            .unwrap_err()
            .to_string()
            .contains("colour"));
        let j = r#"{"model":"prot_t5","source":"e.h5"}"#;
        let p: PrecomputedSource = serde_json::from_str(j).unwrap();
        assert_eq!(p.layer, 0);
    }
}
