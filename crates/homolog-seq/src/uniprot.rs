//! UniProt flat-file (`.dat`, Swiss-Prot/TrEMBL text format) reader, plain or gzip.
//!
//! Only the lines the reference needs are interpreted; every other line type (`DT`, `RN`, `CC`,
//! `FT`, other `DR` databases, ...) is skipped, so new line types in future releases do not
//! break reading. Interpreted lines:
//! - `ID   ENTRY_NAME  Reviewed;  123 AA.` -> [`Entry::entry_name`] (starts an entry)
//! - `AC   P12345; Q99999;` (may repeat) -> first = [`Entry::accession`], rest = secondary
//! - `DE   RecName: Full=...;` (or `SubName:` for TrEMBL) -> [`Entry::protein_name`]
//! - `OS   ...` (may repeat, joined, final `.` dropped) -> [`Entry::organism`]
//! - `OX   NCBI_TaxID=9606;` -> [`Entry::taxonomy_id`]
//! - `GN   Name=...;` (first `Name=`) -> [`Entry::gene_name`]
//! - `DR   GO; GO:0005737; C:cytoplasm; IDA:UniProtKB.` -> [`Entry::go`]
//! - `SQ   SEQUENCE   123 AA; ...` then residue lines -> [`Entry::sequence`]; the length on the
//!   `SQ` line is checked against the residues read
//! - `//` ends the entry.
//!
//! `{ECO:...}` evidence tags are removed from values. An entry without `ID`, `AC` or sequence,
//! a length mismatch, a malformed `OX`/`GO` line or a missing final `//` is an error naming the
//! file, line and entry.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::alphabet::Alphabet;
use crate::error::SeqError;
use crate::input::Lines;

/// A GO cross-reference (`DR   GO; ...` line).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct GoXref {
    /// `GO:0005737`.
    pub go_id: String,
    /// `P` (biological process), `F` (molecular function) or `C` (cellular component).
    pub aspect: char,
    /// Term name as written in the entry, e.g. `cytoplasm`.
    pub term_name: String,
    /// Evidence code, e.g. `IDA` (from `IDA:UniProtKB`).
    pub evidence: String,
}

/// One UniProt entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Primary accession (first on the first `AC` line).
    pub accession: String,
    /// The other accessions, in file order.
    pub secondary_accessions: Vec<String>,
    /// Entry name from the `ID` line, e.g. `RS4_ECOLI`.
    pub entry_name: String,
    /// Recommended (or submitted) full protein name from `DE`.
    pub protein_name: Option<String>,
    /// Organism from `OS`, e.g. `Escherichia coli (strain K12)`.
    pub organism: Option<String>,
    /// NCBI taxonomy id from `OX   NCBI_TaxID=`.
    pub taxonomy_id: Option<u32>,
    /// First `Name=` of the `GN` lines.
    pub gene_name: Option<String>,
    /// Upper-case residues from the `SQ` block.
    pub sequence: String,
    /// GO cross-references in file order.
    pub go: Vec<GoXref>,
    /// 1-based line of the `ID` line.
    pub line: usize,
}

/// Reads all entries of a UniProt flat file (plain or gzip).
pub fn read_path(path: impl AsRef<Path>) -> Result<Vec<Entry>, SeqError> {
    Reader::from_path(path)?.collect()
}

/// Streaming UniProt reader: an iterator of `Result<Entry, SeqError>` that ends after the first
/// error.
pub struct Reader {
    lines: Lines,
    buf: String,
    entries: usize,
    done: bool,
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.lines.path())
            .field("line", &self.lines.line_no())
            .finish_non_exhaustive()
    }
}

/// An entry being assembled.
#[derive(Default)]
struct Partial {
    entry: Entry,
    accessions: Vec<String>,
    organism: Option<String>,
    declared_len: Option<usize>,
    in_sequence: bool,
    saw_sq: bool,
}

impl Reader {
    /// Opens a `.dat` file (plain or gzip).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Reader, SeqError> {
        Ok(Reader::new(Lines::open(path.as_ref())?))
    }

    /// Reads from any byte source (plain or gzip); `label` names it in errors.
    pub fn from_reader(
        reader: impl Read + Send + 'static,
        label: impl Into<PathBuf>,
    ) -> Result<Reader, SeqError> {
        Ok(Reader::new(Lines::from_reader(
            Box::new(reader),
            label.into(),
        )?))
    }

    fn new(lines: Lines) -> Reader {
        Reader {
            lines,
            buf: String::new(),
            entries: 0,
            done: false,
        }
    }

    fn err(&self, id: Option<&str>, message: impl Into<String>) -> SeqError {
        SeqError::UniProt {
            path: self.lines.path().to_path_buf(),
            line: self.lines.line_no(),
            id: id.map(str::to_string),
            message: message.into(),
        }
    }

    fn next_inner(&mut self) -> Result<Option<Entry>, SeqError> {
        let mut partial: Option<Partial> = None;
        while self.lines.next_line(&mut self.buf)? {
            let line = self.buf.trim_end();
            if line.is_empty() {
                continue;
            }
            let Some(p) = partial.as_mut() else {
                partial = Some(self.start_entry(line)?);
                continue;
            };
            if line == "//" {
                let p = partial.take().unwrap_or_default();
                return self.finish(p).map(Some);
            }
            if p.in_sequence {
                self.push_sequence_line(p, line)?;
            } else {
                self.read_field(p, line)?;
            }
        }
        match partial {
            Some(p) => Err(self.err(
                Some(&p.entry.entry_name),
                format!(
                    "the file ends inside the entry that starts on line {}; it is truncated \
                     (re-download it) or the final '//' is missing",
                    p.entry.line
                ),
            )),
            None if self.entries == 0 => Err(SeqError::Empty {
                path: self.lines.path().to_path_buf(),
            }),
            None => Ok(None),
        }
    }

    /// The entry begun by `line`, which must be its `ID` line.
    fn start_entry(&self, line: &str) -> Result<Partial, SeqError> {
        if let Some(rest) = line.strip_prefix("ID ") {
            let name = rest.split_whitespace().next().unwrap_or("");
            if name.is_empty() {
                return Err(self.err(None, "the ID line has no entry name"));
            }
            return Ok(Partial {
                entry: Entry {
                    entry_name: name.to_string(),
                    line: self.lines.line_no(),
                    ..Entry::default()
                },
                ..Partial::default()
            });
        }
        let hint = if line.starts_with('>') {
            "this looks like FASTA: read it as FASTA"
        } else {
            "each entry must start with an 'ID   ' line; is this a UniProt .dat file?"
        };
        Err(self.err(None, format!("unexpected line {:?}; {hint}", clip(line))))
    }

    /// Appends the residues of one line of the sequence block (after `SQ`).
    fn push_sequence_line(&self, p: &mut Partial, line: &str) -> Result<(), SeqError> {
        let id = &p.entry.entry_name;
        if !line.starts_with(' ') {
            return Err(self.err(
                Some(id),
                format!(
                    "line {:?} inside the sequence block; the entry is missing its \
                     closing '//'",
                    clip(line)
                ),
            ));
        }
        for c in line.chars().filter(|c| !c.is_whitespace()) {
            match Alphabet::Protein.normalize(c) {
                Some(r) => p.entry.sequence.push(r),
                None => {
                    return Err(self.err(
                        Some(id),
                        format!(
                            "invalid residue {c:?} in the sequence block; fix or remove \
                             the entry"
                        ),
                    ))
                }
            }
        }
        Ok(())
    }

    /// Takes what the entry needs from one field line (`AC`, `DE`, `OS`, `OX`, `GN`, GO `DR`,
    /// `SQ`); other fields are ignored.
    fn read_field(&self, p: &mut Partial, line: &str) -> Result<(), SeqError> {
        let (code, value) = split_code(line);
        match code {
            "AC" => p.accessions.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string),
            ),
            "DE" if p.entry.protein_name.is_none() => {
                let v = value.trim_start();
                if let Some(full) = v
                    .strip_prefix("RecName: Full=")
                    .or_else(|| v.strip_prefix("SubName: Full="))
                {
                    p.entry.protein_name = Some(clean_value(full));
                }
            }
            "OS" => {
                let os = p.organism.get_or_insert_with(String::new);
                if !os.is_empty() {
                    os.push(' ');
                }
                os.push_str(value.trim());
            }
            "OX" => {
                let taxid = parse_taxid(value).ok_or_else(|| {
                    self.err(
                        Some(&p.entry.entry_name),
                        format!(
                            "malformed OX line {:?}; expected 'OX   NCBI_TaxID=<number>;'",
                            clip(line)
                        ),
                    )
                })?;
                p.entry.taxonomy_id = Some(taxid);
            }
            "GN" if p.entry.gene_name.is_none() => {
                p.entry.gene_name = value
                    .split(';')
                    .map(str::trim)
                    .find_map(|f| f.strip_prefix("Name="))
                    .map(clean_value)
                    .filter(|v| !v.is_empty());
            }
            "DR" if value.starts_with("GO;") => {
                let xref = parse_go(value).ok_or_else(|| {
                    self.err(
                        Some(&p.entry.entry_name),
                        format!(
                            "malformed GO cross-reference {:?}; expected \
                             'DR   GO; GO:0005737; C:cytoplasm; IDA:UniProtKB.'",
                            clip(line)
                        ),
                    )
                })?;
                p.entry.go.push(xref);
            }
            "SQ" => {
                p.saw_sq = true;
                p.in_sequence = true;
                p.declared_len = value
                    .split_whitespace()
                    .skip_while(|w| *w != "SEQUENCE")
                    .nth(1)
                    .and_then(|n| n.parse().ok());
            }
            "ID" => {
                return Err(self.err(
                    Some(&p.entry.entry_name),
                    "a new ID line before the previous entry ended; the previous entry is \
                     missing its closing '//'",
                ))
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks a complete entry (the `//` line has just been read).
    fn finish(&mut self, p: Partial) -> Result<Entry, SeqError> {
        let Partial {
            mut entry,
            accessions,
            organism,
            declared_len,
            saw_sq,
            ..
        } = p;
        let id = entry.entry_name.clone();
        let mut acc = accessions.into_iter();
        entry.accession = acc
            .next()
            .ok_or_else(|| self.err(Some(&id), "the entry has no AC line; add its accession"))?;
        entry.secondary_accessions = acc.collect();
        entry.organism = organism
            .map(|o| o.trim_end_matches('.').trim().to_string())
            .filter(|o| !o.is_empty());
        if !saw_sq || entry.sequence.is_empty() {
            return Err(self.err(
                Some(&id),
                "the entry has no sequence (SQ block); add it or remove the entry",
            ));
        }
        if let Some(n) = declared_len {
            if n != entry.sequence.len() {
                return Err(self.err(
                    Some(&id),
                    format!(
                        "the SQ line declares {n} residues but the block holds {}; the \
                         sequence is damaged, re-download the file",
                        entry.sequence.len()
                    ),
                ));
            }
        }
        self.entries += 1;
        Ok(entry)
    }
}

impl Iterator for Reader {
    type Item = Result<Entry, SeqError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.next_inner();
        match result {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(self.lines.prefer_gzip_error(e)))
            }
        }
    }
}

/// Splits `XX   value` into the two-letter code and the value.
fn split_code(line: &str) -> (&str, &str) {
    match (line.get(..2), line.get(2..)) {
        (Some(code), Some(rest)) => (code, rest.strip_prefix("   ").unwrap_or(rest)),
        _ => (line, ""),
    }
}

/// Removes `{ECO:...}` evidence tags and trailing `;`/`.`/spaces from a value.
fn clean_value(v: &str) -> String {
    let v = match v.find(" {") {
        Some(i) => &v[..i],
        None => v,
    };
    v.trim_end_matches([';', '.', ' ']).trim().to_string()
}

/// `NCBI_TaxID=9606;` or `NCBI_TaxID=9606 {ECO:...};` -> 9606.
fn parse_taxid(value: &str) -> Option<u32> {
    let rest = value.trim().strip_prefix("NCBI_TaxID=")?;
    let digits: &str = &rest[..rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len())];
    digits.parse().ok()
}

/// `GO; GO:0005737; C:cytoplasm; IDA:UniProtKB.` -> [`GoXref`]. The term name may itself
/// contain `;`, so the id is the second field, the evidence the last and the name everything in
/// between.
fn parse_go(value: &str) -> Option<GoXref> {
    let fields: Vec<&str> = value.split(';').map(str::trim).collect();
    if fields.len() < 4 {
        return None;
    }
    let go_id = fields[1];
    if !go_id.starts_with("GO:")
        || go_id.len() != 10
        || !go_id[3..].bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let named = fields[2..fields.len() - 1].join("; ");
    let (aspect, term_name) = named.split_once(':')?;
    let aspect = match aspect {
        "P" | "F" | "C" => aspect.chars().next()?,
        _ => return None,
    };
    let evidence = fields[fields.len() - 1].trim_end_matches('.');
    let evidence = evidence.split(':').next().unwrap_or("").trim();
    if evidence.is_empty() {
        return None;
    }
    Some(GoXref {
        go_id: go_id.to_string(),
        aspect,
        term_name: term_name.trim().to_string(),
        evidence: evidence.to_string(),
    })
}

/// Shortens a line for an error message.
fn clip(line: &str) -> String {
    if line.chars().count() <= 80 {
        line.to_string()
    } else {
        let head: String = line.chars().take(77).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_lines_parse_into_their_four_parts() {
        let x = parse_go("GO; GO:0005737; C:cytoplasm; IDA:UniProtKB.").unwrap();
        assert_eq!(
            x,
            GoXref {
                go_id: "GO:0005737".into(),
                aspect: 'C',
                term_name: "cytoplasm".into(),
                evidence: "IDA".into()
            }
        );
        let y = parse_go("GO; GO:0016020; C:membrane; IEA:InterPro.").unwrap();
        assert_eq!(y.evidence, "IEA");
        let z = parse_go("GO; GO:0000001; F:a; b; TAS:X.").unwrap();
        assert_eq!(z.term_name, "a; b");
        for bad in [
            "GO; GO:0005737; C:cytoplasm",
            "GO; GO:12; C:x; IDA:U.",
            "GO; GO:0005737; Q:cytoplasm; IDA:U.",
            "GO; GO:0005737; C:cytoplasm; .",
        ] {
            assert_eq!(parse_go(bad), None, "{bad}");
        }
    }

    #[test]
    fn taxid_and_values_lose_evidence_tags() {
        assert_eq!(parse_taxid("NCBI_TaxID=83333;"), Some(83333));
        assert_eq!(
            parse_taxid("NCBI_TaxID=9606 {ECO:0000313|EMBL:X};"),
            Some(9606)
        );
        assert_eq!(parse_taxid("NCBI_TaxID=;"), None);
        assert_eq!(parse_taxid("TaxID=1;"), None);
        assert_eq!(
            clean_value("rpsD {ECO:0000255|HAMAP-Rule:MF_01306};"),
            "rpsD"
        );
        assert_eq!(
            clean_value("30S ribosomal protein S4;"),
            "30S ribosomal protein S4"
        );
    }

    #[test]
    fn split_code_handles_short_lines() {
        assert_eq!(split_code("AC   P1;"), ("AC", "P1;"));
        assert_eq!(split_code("X"), ("X", ""));
        assert_eq!(split_code("SQ"), ("SQ", ""));
    }
}
