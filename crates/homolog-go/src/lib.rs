//! Gene Ontology support for homolog: the OBO ontology graph and GO annotation files.
//!
//! Every later stage needs the ontology: the reference builder keeps only experimentally
//! supported annotations ([`EXPERIMENTAL_EVIDENCE`]), the annotation stage collapses predicted
//! terms to leaves ([`obo::Ontology::leaves`]) and the evaluator propagates predictions and
//! ground truth to the root ([`obo::Ontology::propagate_idx`]). This crate parses those files
//! once, with errors that name the file, the line and what to fix, and answers ancestor queries
//! fast enough to propagate thousands of proteins.
//!
//! - [`Aspect`]: the three GO namespaces, with every common spelling (`P`/`BPO`/
//!   `biological_process`, ...).
//! - [`obo`]: OBO 1.2/1.4 parser (plain or gzip, detected by magic bytes) and
//!   [`obo::Ontology`] with interned term indices and precomputed `is_a` + `part_of` closures.
//!   Ids are plain strings, so non-GO OBO files (e.g. the IDPO disorder ontology) work too.
//! - [`annotation`]: GAF 2.x and simple TSV annotation readers.
//!
//! CONTRACT (implemented as written):
//! - `Aspect::{BiologicalProcess, MolecularFunction, CellularComponent}` with `code() -> char`
//!   ('P','F','C'), `namespace() -> &str` ("biological_process", ...), `short() -> &str`
//!   ("BPO","MFO","CCO"), and `Aspect::parse(&str)` accepting all of those spellings.
//! - `obo::Ontology::from_path(path)` (plain or gzip) / `from_reader`; `Term { id, name,
//!   namespace: String, aspect: Option<Aspect>, is_a: Vec<String>, part_of: Vec<String>,
//!   alt_ids, obsolete: bool, replaced_by: Vec<String> }`. `Ontology::term(id)`,
//!   `resolve(id) -> Option<&str>` (alt_id -> primary), `ancestors(id) -> HashSet<String>`
//!   (is_a + part_of closure, without id itself), `propagate(ids) -> HashSet<String>`
//!   (ids plus all ancestors), `leaves(ids) -> Vec<String>`.
//! - `annotation::Annotation { accession, go_id, aspect: Option<Aspect>, evidence:
//!   Option<String>, taxon: Option<u32> }`; `annotation::read_path(path,
//!   AnnotationFormat::{Auto, Gaf, Tsv})`; GAF `NOT` qualifiers dropped.
//! - `EXPERIMENTAL_EVIDENCE: &[&str] = [EXP, IDA, IPI, IMP, IGI, IEP, TAS, IC]`.
//! - `GoError` (thiserror) naming path and line.
//!
//! Additions beyond the contract: `from_reader` takes a source name for error messages;
//! `Term` also has `consider` and `other_relationships`; index-based queries
//! (`index`, `ancestors_idx`, `parents_idx`, `propagate_idx`, `leaves_idx`);
//! `Aspect::root_id()`; `annotation::read_path_detailed` with counts of dropped rows;
//! `Ontology::replacement` (follows a single `replaced_by`); `open_maybe_gz`.

use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};

pub mod annotation;
pub mod obo;

pub use annotation::{Annotation, AnnotationFormat, TermAnnotation};
pub use obo::{Ontology, Term};

/// Evidence codes FANTASIA treats as experimental (the reference table keeps only these).
pub const EXPERIMENTAL_EVIDENCE: &[&str] = &["EXP", "IDA", "IPI", "IMP", "IGI", "IEP", "TAS", "IC"];

/// True when `code` is one of [`EXPERIMENTAL_EVIDENCE`] (case-insensitive, surrounding
/// whitespace ignored).
pub fn is_experimental(code: &str) -> bool {
    let code = code.trim();
    EXPERIMENTAL_EVIDENCE
        .iter()
        .any(|e| e.eq_ignore_ascii_case(code))
}

/// Errors from reading ontology and annotation files. Each names the file and, where there is
/// one, the 1-based line number.
#[derive(Debug, thiserror::Error)]
pub enum GoError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    /// A damaged gzip stream or an unsupported compression, from homolog-io.
    #[error(transparent)]
    Input(homolog_io::Error),
}

impl GoError {
    pub(crate) fn parse(path: &Path, line: usize, message: impl Into<String>) -> Self {
        GoError::Parse {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

/// The three GO aspects (namespaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Aspect {
    BiologicalProcess,
    MolecularFunction,
    CellularComponent,
}

impl Aspect {
    /// All aspects in CAFA's customary order (BPO, MFO, CCO).
    pub const ALL: [Aspect; 3] = [
        Aspect::BiologicalProcess,
        Aspect::MolecularFunction,
        Aspect::CellularComponent,
    ];

    /// GAF aspect code: 'P', 'F' or 'C'.
    pub fn code(self) -> char {
        match self {
            Aspect::BiologicalProcess => 'P',
            Aspect::MolecularFunction => 'F',
            Aspect::CellularComponent => 'C',
        }
    }

    /// OBO namespace name.
    pub fn namespace(self) -> &'static str {
        match self {
            Aspect::BiologicalProcess => "biological_process",
            Aspect::MolecularFunction => "molecular_function",
            Aspect::CellularComponent => "cellular_component",
        }
    }

    /// CAFA short name: "BPO", "MFO", "CCO".
    pub fn short(self) -> &'static str {
        match self {
            Aspect::BiologicalProcess => "BPO",
            Aspect::MolecularFunction => "MFO",
            Aspect::CellularComponent => "CCO",
        }
    }

    /// The GO root term of this aspect.
    pub fn root_id(self) -> &'static str {
        match self {
            Aspect::BiologicalProcess => "GO:0008150",
            Aspect::MolecularFunction => "GO:0003674",
            Aspect::CellularComponent => "GO:0005575",
        }
    }

    /// Parses any common spelling, case-insensitively: `P`/`F`/`C`, `BPO`/`MFO`/`CCO`,
    /// `BP`/`MF`/`CC`, `biological_process`/..., `process`/`function`/`component`.
    pub fn parse(s: &str) -> Option<Aspect> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        match s.as_str() {
            "p" | "bp" | "bpo" | "biological_process" | "process" => {
                Some(Aspect::BiologicalProcess)
            }
            "f" | "mf" | "mfo" | "molecular_function" | "function" => {
                Some(Aspect::MolecularFunction)
            }
            "c" | "cc" | "cco" | "cellular_component" | "component" => {
                Some(Aspect::CellularComponent)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short())
    }
}

impl std::str::FromStr for Aspect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Aspect::parse(s).ok_or_else(|| {
            format!("unknown GO aspect {s:?}; use P/F/C, BPO/MFO/CCO or biological_process/molecular_function/cellular_component")
        })
    }
}

/// Opens `path` for reading, transparently gunzipping when the file starts with the gzip
/// magic bytes (so a misnamed `.obo` that is really gzip, or the reverse, still works); see
/// [`homolog_io::open`]. Public so sibling crates read GO-related text files the same way.
pub fn open_maybe_gz(path: &Path) -> Result<Box<dyn BufRead + 'static>, GoError> {
    Ok(Box::new(homolog_io::open(path)?))
}

impl From<homolog_io::Error> for GoError {
    fn from(e: homolog_io::Error) -> GoError {
        match e {
            homolog_io::Error::Read { path, source } => GoError::Io { path, source },
            homolog_io::Error::NotText {
                path,
                line,
                problem,
            } => GoError::Parse {
                path,
                line,
                message: match problem {
                    homolog_io::TextProblem::InvalidUtf8 => "invalid UTF-8",
                    homolog_io::TextProblem::Nul => "NUL bytes",
                }
                .to_string()
                    + "; is this a text (or gzip) file?",
            },
            other => GoError::Input(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aspect_spellings() {
        for a in Aspect::ALL {
            assert_eq!(Aspect::parse(&a.code().to_string()), Some(a));
            assert_eq!(Aspect::parse(a.short()), Some(a));
            assert_eq!(Aspect::parse(a.namespace()), Some(a));
            assert_eq!(Aspect::parse(&a.namespace().to_uppercase()), Some(a));
            assert_eq!(a.to_string().parse::<Aspect>(), Ok(a));
        }
        assert_eq!(Aspect::parse("bp"), Some(Aspect::BiologicalProcess));
        assert_eq!(Aspect::parse("x"), None);
        assert!("nope".parse::<Aspect>().unwrap_err().contains("BPO"));
        assert_eq!(Aspect::MolecularFunction.code(), 'F');
        assert_eq!(Aspect::CellularComponent.root_id(), "GO:0005575");
    }

    #[test]
    fn experimental_codes() {
        assert_eq!(EXPERIMENTAL_EVIDENCE.len(), 8);
        assert!(is_experimental("IDA"));
        assert!(is_experimental(" ic "));
        assert!(!is_experimental("IEA"));
        assert!(!is_experimental("IBA"));
    }

    #[test]
    fn gzip_and_plain_read_the_same_and_other_compressions_are_refused() {
        use std::io::Write;
        let text = "format-version: 1.2\n\n[Term]\nid: GO:0008150\nname: bp\n\
                    namespace: biological_process\n";
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        let gz = enc.finish().unwrap();
        let plain = Ontology::from_reader(text.as_bytes(), "p.obo").unwrap();
        let zipped = Ontology::from_reader(&gz[..], "g.obo").unwrap();
        assert_eq!(plain.len(), zipped.len());
        let err = Ontology::from_reader(&b"BZh91AY&SY"[..], "b.obo").unwrap_err();
        assert_eq!(
            err.to_string(),
            homolog_io::unsupported_compression_message(Path::new("b.obo"), "bzip2")
        );
        let err = Ontology::from_reader(&b"[Term]\nid: A\0\n"[..], "n.obo").unwrap_err();
        assert!(err.to_string().starts_with("n.obo:2: NUL bytes"), "{err}");
    }
}
