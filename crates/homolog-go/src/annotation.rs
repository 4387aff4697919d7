//! GO annotation readers: GAF 2.x and a simple TSV, plain or gzip.
//!
//! GAF (GO Annotation File) columns used, 1-based: 2 DB Object ID (the accession), 4 Qualifier,
//! 5 GO ID, 7 Evidence code, 9 Aspect (P/F/C), 13 Taxon (`taxon:9606`, the first one when
//! `taxon:a|taxon:b`). Rows whose qualifier contains `NOT` are negative statements ("this
//! protein does *not* do X") and are dropped. `!` lines are comments.
//!
//! TSV: `accession<TAB>go_id<TAB>aspect[<TAB>evidence]`, with or without a header line (a first
//! line whose second column has no `:` is taken as a header). The aspect column may be empty
//! or missing.
//!
//! [`AnnotationFormat::Auto`] picks GAF when a `!gaf-version` line is present or the first data
//! row has at least 9 tab-separated columns, TSV otherwise.

use std::io::Read;
use std::path::Path;

use homolog_io::Lines;

use crate::{Aspect, GoError};

/// One (protein, GO term) annotation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Annotation {
    pub accession: String,
    pub go_id: String,
    pub aspect: Option<Aspect>,
    pub evidence: Option<String>,
    pub taxon: Option<u32>,
}

impl Annotation {
    /// True when the evidence code is one of [`crate::EXPERIMENTAL_EVIDENCE`].
    pub fn is_experimental(&self) -> bool {
        self.evidence.as_deref().is_some_and(crate::is_experimental)
    }
}

/// One GO annotation of a known protein: what a reference stores per protein and what transfer
/// copies to a query (the protein is implied by where it is stored).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TermAnnotation {
    /// Primary GO id, e.g. `GO:0005737`.
    pub go_id: String,
    /// Aspect (FANTASIA's `category`: P, F or C); `None` for terms of non-GO ontologies, which
    /// are not transferred.
    pub aspect: Option<Aspect>,
    /// Evidence code (EXP, IDA, ...), when the source had one.
    pub evidence: Option<String>,
}

/// Input format of an annotation file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnnotationFormat {
    /// Decide from the content (see the module docs).
    #[default]
    Auto,
    Gaf,
    Tsv,
}

impl std::str::FromStr for AnnotationFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "gaf" => Ok(Self::Gaf),
            "tsv" => Ok(Self::Tsv),
            _ => Err(format!(
                "unknown annotation format {s:?}; use auto, gaf or tsv"
            )),
        }
    }
}

/// Annotations plus what was skipped while reading them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnnotationSet {
    pub records: Vec<Annotation>,
    /// The format actually read (never `Auto`).
    pub format: AnnotationFormat,
    /// GAF rows dropped because their qualifier contains `NOT`.
    pub dropped_not: usize,
    /// True when a TSV header line was detected and skipped.
    pub had_header: bool,
}

/// Reads a GAF or TSV annotation file (plain or gzip).
pub fn read_path(
    path: impl AsRef<Path>,
    format: AnnotationFormat,
) -> Result<Vec<Annotation>, GoError> {
    read_path_detailed(path, format).map(|s| s.records)
}

/// Like [`read_path`], also reporting the format detected and the rows dropped.
pub fn read_path_detailed(
    path: impl AsRef<Path>,
    format: AnnotationFormat,
) -> Result<AnnotationSet, GoError> {
    parse(&mut Lines::open(path)?, format)
}

/// Reads annotations from any reader (plain or gzip); `source` names it in error messages.
pub fn read_reader<R: Read>(
    reader: R,
    format: AnnotationFormat,
    source: impl AsRef<Path>,
) -> Result<AnnotationSet, GoError> {
    parse(&mut Lines::from_reader(reader, source.as_ref())?, format)
}

/// Keeps the annotations whose evidence code is in `codes` (case-insensitive).
pub fn filter_evidence(records: Vec<Annotation>, codes: &[&str]) -> Vec<Annotation> {
    records
        .into_iter()
        .filter(|a| {
            a.evidence
                .as_deref()
                .is_some_and(|e| codes.iter().any(|c| c.eq_ignore_ascii_case(e.trim())))
        })
        .collect()
}

fn parse<R: Read>(
    lines: &mut Lines<R>,
    format: AnnotationFormat,
) -> Result<AnnotationSet, GoError> {
    let path = &lines.path().to_path_buf();
    let mut set = AnnotationSet {
        format,
        ..Default::default()
    };
    let mut first_data = true;
    while let Some((line_no, line)) = lines.next_line()? {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('!') {
            if set.format == AnnotationFormat::Auto
                && line.to_ascii_lowercase().contains("gaf-version")
            {
                set.format = AnnotationFormat::Gaf;
            }
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if set.format == AnnotationFormat::Auto {
            set.format = if cols.len() >= 9 {
                AnnotationFormat::Gaf
            } else {
                AnnotationFormat::Tsv
            };
        }
        let is_first = std::mem::replace(&mut first_data, false);
        match set.format {
            AnnotationFormat::Gaf => match gaf_row(&cols, path, line_no)? {
                Some(a) => set.records.push(a),
                None => set.dropped_not += 1,
            },
            _ => {
                if is_first && cols.get(1).is_some_and(|c| !c.contains(':')) {
                    set.had_header = true;
                    continue;
                }
                set.records.push(tsv_row(&cols, path, line_no)?);
            }
        }
    }
    if set.format == AnnotationFormat::Auto {
        // Empty input: nothing to detect; report TSV so callers never see Auto.
        set.format = AnnotationFormat::Tsv;
    }
    Ok(set)
}

fn check_go_id(id: &str, path: &Path, line: usize, col: usize) -> Result<(), GoError> {
    if id.is_empty() || !id.contains(':') || id.contains(char::is_whitespace) {
        return Err(GoError::parse(
            path,
            line,
            format!("column {col}: {id:?} is not a term id like GO:0008150"),
        ));
    }
    Ok(())
}

/// Parses one GAF row; `Ok(None)` for a `NOT` row.
fn gaf_row(cols: &[&str], path: &Path, line: usize) -> Result<Option<Annotation>, GoError> {
    if cols.len() < 9 {
        return Err(GoError::parse(
            path,
            line,
            format!(
                "GAF row has {} tab-separated columns, expected at least 9 (15-17 in GAF 2.x); is the file tab-separated?",
                cols.len()
            ),
        ));
    }
    if cols[3].split('|').any(|q| q.trim() == "NOT") {
        return Ok(None);
    }
    let accession = cols[1].trim();
    if accession.is_empty() {
        return Err(GoError::parse(
            path,
            line,
            "column 2 (DB Object ID) is empty",
        ));
    }
    let go_id = cols[4].trim();
    check_go_id(go_id, path, line, 5)?;
    let aspect = match cols[8].trim() {
        "" => None,
        a => Some(Aspect::parse(a).ok_or_else(|| {
            GoError::parse(
                path,
                line,
                format!("column 9 (Aspect) is {a:?}; expected P, F or C"),
            )
        })?),
    };
    let evidence = Some(cols[6].trim())
        .filter(|e| !e.is_empty())
        .map(str::to_string);
    let taxon = match cols.get(12).map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => {
            let first = t.split('|').next().unwrap_or(t);
            let num = first.strip_prefix("taxon:").unwrap_or(first);
            Some(num.trim().parse::<u32>().map_err(|_| {
                GoError::parse(
                    path,
                    line,
                    format!("column 13 (Taxon) is {t:?}; expected e.g. taxon:9606"),
                )
            })?)
        }
    };
    Ok(Some(Annotation {
        accession: accession.to_string(),
        go_id: go_id.to_string(),
        aspect,
        evidence,
        taxon,
    }))
}

fn tsv_row(cols: &[&str], path: &Path, line: usize) -> Result<Annotation, GoError> {
    if cols.len() < 2 {
        return Err(GoError::parse(
            path,
            line,
            "expected `accession<TAB>go_id<TAB>aspect[<TAB>evidence]`, found a single column; is the file tab-separated?",
        ));
    }
    let accession = cols[0].trim();
    if accession.is_empty() {
        return Err(GoError::parse(path, line, "column 1 (accession) is empty"));
    }
    let go_id = cols[1].trim();
    check_go_id(go_id, path, line, 2)?;
    let aspect = match cols.get(2).map(|a| a.trim()).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(Aspect::parse(a).ok_or_else(|| {
            GoError::parse(
                path,
                line,
                format!(
                    "column 3 (aspect) is {a:?}; expected P/F/C, BPO/MFO/CCO or a namespace name"
                ),
            )
        })?),
    };
    let evidence = cols
        .get(3)
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .map(str::to_string);
    Ok(Annotation {
        accession: accession.to_string(),
        go_id: go_id.to_string(),
        aspect,
        evidence,
        taxon: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAF: &str = "!gaf-version: 2.1\n!comment\n\
UniProtKB\tP1\tS\t\tGO:0005515\tPMID:1\tIPI\tUniProtKB:P2\tF\tname\tsyn\tprotein\ttaxon:9606\t20190101\tUniProt\t\t\n\
UniProtKB\tP1\tS\tNOT|enables\tGO:0003674\tPMID:1\tIDA\t\tF\tname\tsyn\tprotein\ttaxon:9606\t20190101\tUniProt\t\t\n\
UniProtKB\tP3\tS\tcontributes_to\tGO:0008150\tGO_REF:1\tIEA\t\tP\tname\tsyn\tprotein\ttaxon:10090|taxon:9606\t20190101\tUniProt\t\t\n";

    #[test]
    fn reads_gaf() {
        let s = read_reader(GAF.as_bytes(), AnnotationFormat::Auto, "t.gaf").unwrap();
        assert_eq!(s.format, AnnotationFormat::Gaf);
        assert_eq!(s.dropped_not, 1);
        assert_eq!(s.records.len(), 2);
        assert_eq!(
            s.records[0],
            Annotation {
                accession: "P1".into(),
                go_id: "GO:0005515".into(),
                aspect: Some(Aspect::MolecularFunction),
                evidence: Some("IPI".into()),
                taxon: Some(9606),
            }
        );
        assert_eq!(s.records[1].taxon, Some(10090));
        assert!(s.records[0].is_experimental());
        assert!(!s.records[1].is_experimental());
        let exp = filter_evidence(s.records, crate::EXPERIMENTAL_EVIDENCE);
        assert_eq!(exp.len(), 1);
    }

    #[test]
    fn reads_tsv_with_and_without_header() {
        let with = "accession\tgo_id\taspect\nA1\tGO:0000001\tP\nA2\tGO:0000002\tMFO\tIDA\n";
        let s = read_reader(with.as_bytes(), AnnotationFormat::Auto, "a.tsv").unwrap();
        assert!(s.had_header);
        assert_eq!(s.format, AnnotationFormat::Tsv);
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.records[1].aspect, Some(Aspect::MolecularFunction));
        assert_eq!(s.records[1].evidence.as_deref(), Some("IDA"));
        let without = "A1\tGO:0000001\tC\nA1\tGO:0000002\n";
        let s = read_reader(without.as_bytes(), AnnotationFormat::Tsv, "b.tsv").unwrap();
        assert!(!s.had_header);
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.records[0].aspect, Some(Aspect::CellularComponent));
        assert_eq!(s.records[1].aspect, None);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e =
            read_reader("A1\tGO:1\tX\n".as_bytes(), AnnotationFormat::Tsv, "c.tsv").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.tsv:1: column 3 (aspect) is \"X\""),
            "{e}"
        );
        let e = read_reader(
            "h\tgo\nA1 GO:1\n".as_bytes(),
            AnnotationFormat::Tsv,
            "d.tsv",
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("d.tsv:2: expected `accession"),
            "{e}"
        );
        let bad_gaf = "!gaf-version: 2.2\nDB\tP1\tS\n";
        let e = read_reader(bad_gaf.as_bytes(), AnnotationFormat::Auto, "e.gaf").unwrap_err();
        assert!(e.to_string().starts_with("e.gaf:2: GAF row has 3"), "{e}");
        let bad_taxon = "DB\tP1\tS\t\tGO:1\tR\tIDA\t\tF\tn\ts\tprotein\thuman\n";
        let e = read_reader(bad_taxon.as_bytes(), AnnotationFormat::Gaf, "f.gaf").unwrap_err();
        assert!(e.to_string().contains("f.gaf:1: column 13 (Taxon)"), "{e}");
    }

    #[test]
    fn format_from_str() {
        assert_eq!("GAF".parse::<AnnotationFormat>(), Ok(AnnotationFormat::Gaf));
        assert!("csv".parse::<AnnotationFormat>().is_err());
    }
}
