//! Gene Ontology support for homolog: the OBO ontology graph and GO annotation files.
//!
//! Every later stage needs the ontology: the reference builder keeps only experimentally
//! supported annotations ([`EXPERIMENTAL_EVIDENCE`]), the annotation stage collapses predicted
//! terms to leaves ([`obo::Ontology::leaves`]) and the evaluator propagates predictions and
//! ground truth to the root ([`obo::Ontology::propagate_idx`]). This crate parses those files
//! once, with errors ([`GoError`]) that name the file, the line and what to fix, and answers
//! ancestor queries fast enough to propagate thousands of proteins.
//!
//! - [`Aspect`]: the three GO namespaces, with every common spelling (`P`/`BPO`/`BP`/
//!   `biological_process`/`process`, ...), `code()` (`P`/`F`/`C`), `namespace()`, `short()`
//!   (`BPO`/`MFO`/`CCO`) and `root_id()`.
//! - [`obo`]: OBO 1.2/1.4 parser (plain or gzip, detected by magic bytes) and
//!   [`obo::Ontology`] of [`obo::Term`]s, with interned term indices and precomputed `is_a` +
//!   `part_of` closures (other relationships are kept but never followed). Ids are plain
//!   strings, so non-GO OBO files (e.g. the IDPO disorder ontology) work too. String queries
//!   (`term`, `resolve` for alt ids, `replacement` for obsolete terms, `ancestors`,
//!   `propagate`, `leaves`) have index-based twins (`index`, `ancestors_idx`, `parents_idx`,
//!   `propagate_idx`, `leaves_idx`) for hot loops.
//! - [`annotation`]: GAF 2.x and simple TSV annotation readers ([`annotation::read_path`],
//!   [`annotation::read_path_detailed`], [`annotation::read_reader`]) producing
//!   [`Annotation`] rows; GAF rows with a `NOT` qualifier are dropped. [`TermAnnotation`] is
//!   one GO annotation of a known protein as a reference stores it.
//! - [`EXPERIMENTAL_EVIDENCE`] (`EXP IDA IPI IMP IGI IEP TAS IC`), [`is_experimental`] and
//!   [`annotation::filter_evidence`].
//! - [`open_maybe_gz`]: opens a text file that may be gzip, for sibling crates.
//!
//! # Examples
//!
//! Loading an ontology ([`Ontology::from_reader`] here; [`Ontology::from_path`] for files)
//! and querying ancestors, propagation and leaves:
//!
//! ```rust
//! use homolog_go::{Aspect, Ontology};
//!
//! let obo = "\
//! format-version: 1.2
//! data-version: releases/2024-01-01
//!
//! [Term]
//! id: GO:0003674
//! name: molecular_function
//! namespace: molecular_function
//!
//! [Term]
//! id: GO:0005488
//! name: binding
//! namespace: molecular_function
//! is_a: GO:0003674 ! molecular_function
//!
//! [Term]
//! id: GO:0005515
//! name: protein binding
//! namespace: molecular_function
//! alt_id: GO:0001948
//! is_a: GO:0005488 ! binding
//!
//! [Term]
//! id: GO:0005575
//! name: cellular_component
//! namespace: cellular_component
//!
//! [Term]
//! id: GO:0005622
//! name: intracellular anatomical structure
//! namespace: cellular_component
//! is_a: GO:0005575
//!
//! [Term]
//! id: GO:0005737
//! name: cytoplasm
//! namespace: cellular_component
//! relationship: part_of GO:0005622
//!
//! [Term]
//! id: GO:0000004
//! name: obsolete binding term
//! namespace: molecular_function
//! is_obsolete: true
//! replaced_by: GO:0005515
//! ";
//! let go = Ontology::from_reader(obo.as_bytes(), "mini.obo")?;
//! assert_eq!(go.len(), 7);
//! assert_eq!(go.data_version(), Some("releases/2024-01-01"));
//! assert_eq!(go.term("GO:0005515").unwrap().name, "protein binding");
//! assert_eq!(go.aspect("GO:0005737"), Some(Aspect::CellularComponent));
//! assert_eq!(go.resolve("GO:0001948"), Some("GO:0005515")); // alt_id -> primary id
//! assert_eq!(go.replacement("GO:0000004"), Some("GO:0005515")); // obsolete -> replaced_by
//!
//! let mut anc: Vec<String> = go.ancestors("GO:0005515").into_iter().collect();
//! anc.sort();
//! assert_eq!(anc, ["GO:0003674", "GO:0005488"]); // the term itself is not included
//!
//! // Propagation follows is_a and part_of up to the root and keeps the ids themselves.
//! let mut up: Vec<String> = go.propagate(["GO:0005737"]).into_iter().collect();
//! up.sort();
//! assert_eq!(up, ["GO:0005575", "GO:0005622", "GO:0005737"]);
//!
//! // Leaves: the most specific terms of a set.
//! assert_eq!(go.leaves(["GO:0003674", "GO:0005515", "GO:0005488"]), ["GO:0005515"]);
//!
//! // Index-based twins for hot loops.
//! let i = go.index("GO:0005515").unwrap();
//! let ids: Vec<&str> = go.propagate_idx(&[i]).into_iter().map(|j| go.id_at(j)).collect();
//! assert_eq!(ids.len(), 3);
//! # Ok::<(), homolog_go::GoError>(())
//! ```
//!
//! Reading GAF annotations from any reader (plain or gzip); `NOT` rows are dropped and
//! counted:
//!
//! ```rust
//! use homolog_go::annotation::{filter_evidence, read_reader};
//! use homolog_go::{AnnotationFormat, Aspect, EXPERIMENTAL_EVIDENCE};
//!
//! let gaf = "!gaf-version: 2.2\n\
//! UniProtKB\tP0A7V8\trpsD\tenables\tGO:0019843\tPMID:1\tIDA\t\tF\tS4\t\tprotein\ttaxon:83333\t20200101\tUniProt\n\
//! UniProtKB\tP0A7V8\trpsD\tNOT|enables\tGO:0003677\tPMID:2\tIDA\t\tF\tS4\t\tprotein\ttaxon:83333\t20200101\tUniProt\n\
//! UniProtKB\tP0A7V8\trpsD\tinvolved_in\tGO:0006412\tGO_REF:2\tIEA\t\tP\tS4\t\tprotein\ttaxon:83333\t20200101\tUniProt\n";
//! let set = read_reader(gaf.as_bytes(), AnnotationFormat::Auto, "mini.gaf")?;
//! assert_eq!(set.format, AnnotationFormat::Gaf); // detected from `!gaf-version`
//! assert_eq!(set.dropped_not, 1);
//! let a = &set.records[0];
//! assert_eq!((a.accession.as_str(), a.go_id.as_str()), ("P0A7V8", "GO:0019843"));
//! assert_eq!(a.aspect, Some(Aspect::MolecularFunction));
//! assert_eq!(a.taxon, Some(83333));
//! assert!(a.is_experimental());
//!
//! let experimental = filter_evidence(set.records, EXPERIMENTAL_EVIDENCE);
//! assert_eq!(experimental.len(), 1); // the IEA row is not experimental
//! # Ok::<(), homolog_go::GoError>(())
//! ```
//!
//! Reading a TSV file (`accession<TAB>go_id<TAB>aspect[<TAB>evidence]`, header optional) and
//! turning rows into the per-protein [`TermAnnotation`] a reference stores:
//!
//! ```rust
//! use homolog_go::annotation::{read_path, read_path_detailed};
//! use homolog_go::{AnnotationFormat, Aspect, TermAnnotation};
//!
//! let path = std::env::temp_dir().join(format!("homolog_go_doc_{}.tsv", std::process::id()));
//! std::fs::write(
//!     &path,
//!     "accession\tgo_id\taspect\tevidence\n\
//!      P12345\tGO:0005737\tC\tIDA\n\
//!      P12345\tGO:0006412\tBPO\n\
//!      Q99999\tGO:0003674\n",
//! )?;
//!
//! let detailed = read_path_detailed(&path, AnnotationFormat::Auto)?;
//! assert_eq!(detailed.format, AnnotationFormat::Tsv);
//! assert!(detailed.had_header);
//!
//! let rows = read_path(&path, AnnotationFormat::Tsv)?;
//! assert_eq!(rows.len(), 3);
//! assert_eq!(rows[1].aspect, Some(Aspect::BiologicalProcess));
//! assert_eq!(rows[2].aspect, None); // the aspect column may be missing
//! assert_eq!(rows[1].evidence, None);
//!
//! let stored: Vec<TermAnnotation> = rows
//!     .iter()
//!     .filter(|r| r.accession == "P12345")
//!     .map(|r| TermAnnotation {
//!         go_id: r.go_id.clone(),
//!         aspect: r.aspect,
//!         evidence: r.evidence.clone(),
//!     })
//!     .collect();
//! assert_eq!(stored[0].go_id, "GO:0005737");
//! assert_eq!(stored[0].evidence.as_deref(), Some("IDA"));
//!
//! std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Aspect spellings and evidence codes:
//!
//! ```rust
//! use homolog_go::{is_experimental, Aspect};
//!
//! for s in ["F", "MFO", "mf", "molecular_function", "function"] {
//!     assert_eq!(Aspect::parse(s), Some(Aspect::MolecularFunction));
//! }
//! assert_eq!(Aspect::CellularComponent.code(), 'C');
//! assert_eq!(Aspect::BiologicalProcess.short(), "BPO");
//! assert_eq!(Aspect::BiologicalProcess.root_id(), "GO:0008150");
//! assert!(is_experimental(" ida "));
//! assert!(!is_experimental("IEA"));
//! ```

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
/// [`homolog_io::open()`]. Public so sibling crates read GO-related text files the same way.
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
