//! Sequence records from FASTA or UniProt `.dat` files.

use std::io::Read;
use std::path::Path;

use super::Progress;
use crate::error::ReferenceError;
use crate::fetch::Fetched;
use crate::spec::Source;

/// One sequence record, whatever the input format.
pub(super) struct SeqRecord {
    pub(super) accession: String,
    pub(super) sequence: String,
    pub(super) taxonomy_id: Option<u32>,
    pub(super) organism: Option<String>,
    pub(super) gene_name: Option<String>,
    /// GO annotations carried by a UniProt `.dat` entry (`DR   GO;` lines).
    pub(super) go: Vec<homolog_go::Annotation>,
}

/// The accession of a FASTA id: `sp|P12345|NAME_HUMAN` -> `P12345`, anything else as is.
pub fn accession_of_id(id: &str) -> &str {
    let mut parts = id.split('|');
    match (parts.next(), parts.next()) {
        (Some(db), Some(acc)) if matches!(db, "sp" | "tr") && !acc.is_empty() => acc,
        _ => id,
    }
}

/// `OS=`, `OX=` and `GN=` from a UniProt FASTA description.
fn parse_uniprot_description(desc: &str) -> (Option<String>, Option<u32>, Option<String>) {
    // Values run until the next ` XX=` key, so OS= may contain spaces.
    let mut fields: Vec<(&str, String)> = Vec::new();
    for tok in desc.split_whitespace() {
        let key = tok
            .split_once('=')
            .map(|(k, _)| k)
            .filter(|k| k.len() == 2 && k.bytes().all(|b| b.is_ascii_uppercase()));
        match key {
            Some(k) => fields.push((k, tok[3..].to_string())),
            None => {
                if let Some((_, v)) = fields.last_mut() {
                    v.push(' ');
                    v.push_str(tok);
                }
            }
        }
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.clone())
    };
    (
        get("OS").filter(|s| !s.is_empty()),
        get("OX").and_then(|v| v.parse().ok()),
        get("GN").filter(|s| !s.is_empty()),
    )
}

/// True when the file's first line starts with `ID   ` (UniProt flat file), plain or gzip.
fn is_uniprot_dat(path: &Path) -> Result<bool, ReferenceError> {
    let mut head = Vec::with_capacity(5);
    homolog_io::open(path)?
        .take(5)
        .read_to_end(&mut head)
        .map_err(|e| ReferenceError::io("reading", path, e))?;
    Ok(head == b"ID   ")
}

/// All sequence records of the sequence sources, in source order, and the number of
/// unreadable records skipped.
pub(super) fn read_sequence_sources(
    sources: &[(Source, Fetched)],
    progress: Progress<'_>,
) -> Result<(Vec<SeqRecord>, u64), ReferenceError> {
    let mut records: Vec<SeqRecord> = Vec::new();
    let mut skipped_records = 0u64;
    for (i, (src, f)) in sources.iter().enumerate() {
        let mut recs = read_sequences(&f.path, &mut skipped_records)?;
        tracing::info!("{}: {} sequence records", src.location, recs.len());
        records.append(&mut recs);
        progress("read sequences", i as u64 + 1, sources.len() as u64);
    }
    Ok((records, skipped_records))
}

fn read_sequences(
    path: &Path,
    skipped_records: &mut u64,
) -> Result<Vec<SeqRecord>, ReferenceError> {
    if is_uniprot_dat(path)? {
        let entries = homolog_seq::uniprot::read_path(path)?;
        return Ok(entries.into_iter().map(seq_record_from_entry).collect());
    }
    let opts = homolog_seq::ReadOptions {
        on_invalid: homolog_seq::InvalidPolicy::Skip,
        ..Default::default()
    };
    let report = homolog_seq::fasta::read_path(path, &opts)?;
    if !report.skipped.is_empty() {
        let first: Vec<String> = report
            .skipped
            .iter()
            .take(3)
            .map(|s| format!("{} (line {}: {:?})", s.id, s.line, s.reason))
            .collect();
        tracing::warn!(
            "{}: skipped {} records (empty, duplicate or invalid), e.g. {}",
            path.display(),
            report.skipped.len(),
            first.join(", ")
        );
        *skipped_records += report.skipped.len() as u64;
    }
    Ok(report
        .records
        .into_iter()
        .map(|r| {
            let (organism, taxonomy_id, gene_name) = parse_uniprot_description(&r.description);
            SeqRecord {
                accession: accession_of_id(&r.id).to_string(),
                sequence: r.sequence,
                taxonomy_id,
                organism,
                gene_name,
                go: Vec::new(),
            }
        })
        .collect())
}

fn seq_record_from_entry(e: homolog_seq::uniprot::Entry) -> SeqRecord {
    let accession = e.accession.clone();
    let go =
        e.go.iter()
            .map(|g| homolog_go::Annotation {
                accession: accession.clone(),
                go_id: g.go_id.clone(),
                aspect: crate::tables::aspect_from_code(&g.aspect.to_string()),
                evidence: Some(g.evidence.clone()).filter(|e| !e.is_empty()),
                taxon: e.taxonomy_id,
            })
            .collect();
    SeqRecord {
        accession,
        sequence: e.sequence,
        taxonomy_id: e.taxonomy_id,
        organism: e.organism,
        gene_name: e.gene_name,
        go,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniprot_ids_and_descriptions() {
        assert_eq!(accession_of_id("sp|P0A7V8|RS4_ECOLI"), "P0A7V8");
        assert_eq!(accession_of_id("tr|A0A0|X"), "A0A0");
        assert_eq!(accession_of_id("P12345"), "P12345");
        assert_eq!(accession_of_id("gi|123|x"), "gi|123|x");
        let (os, ox, gn) = parse_uniprot_description(
            "30S ribosomal protein S4 OS=Escherichia coli (strain K12) OX=83333 GN=rpsD PE=1 SV=2",
        );
        assert_eq!(os.as_deref(), Some("Escherichia coli (strain K12)"));
        assert_eq!(ox, Some(83333));
        assert_eq!(gn.as_deref(), Some("rpsD"));
        assert_eq!(parse_uniprot_description("plain words"), (None, None, None));
    }
}
