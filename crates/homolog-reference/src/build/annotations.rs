//! Annotation rows filtered by evidence, mapped to primary GO ids and deduplicated.

use std::collections::{HashMap, HashSet};

use homolog_go::annotation::AnnotationFormat;
use homolog_go::Ontology;

use super::inputs::SeqRecord;
use super::sources::Sources;
use super::Progress;
use crate::error::ReferenceError;
use crate::manifest::Dropped;
use crate::spec::{BuildSpec, EvidenceCodes};
use crate::tables::TermAnnotation;

/// Annotations kept per accession, in source order, deduplicated.
pub(super) struct AnnotationIndex {
    pub(super) by_accession: HashMap<String, Vec<TermAnnotation>>,
    seen: HashSet<(String, String, Option<String>)>,
    /// Sources without evidence codes, kept whole ([`Manifest::unfiltered_annotation_sources`]).
    ///
    /// [`Manifest::unfiltered_annotation_sources`]: crate::Manifest::unfiltered_annotation_sources
    pub(super) unfiltered: Vec<String>,
}

impl AnnotationIndex {
    fn new() -> Self {
        AnnotationIndex {
            by_accession: HashMap::new(),
            seen: HashSet::new(),
            unfiltered: Vec::new(),
        }
    }

    /// Filter and map one source's rows; a source without evidence codes is kept whole and
    /// listed as unfiltered.
    fn add_source(
        &mut self,
        name: &str,
        rows: Vec<homolog_go::Annotation>,
        spec: &BuildSpec,
        ontology: &Ontology,
        dropped: &mut Dropped,
    ) {
        let has_codes = rows
            .iter()
            .any(|a| a.evidence.as_deref().is_some_and(|e| !e.trim().is_empty()));
        if !has_codes && !rows.is_empty() && spec.evidence_codes != EvidenceCodes::All {
            tracing::warn!(
                "{name}: no evidence codes in this source; the evidence filter cannot apply, so \
                 all its {} annotations are kept",
                rows.len()
            );
        }
        for a in rows {
            let evidence = a
                .evidence
                .map(|e| e.trim().to_ascii_uppercase())
                .filter(|e| !e.is_empty());
            if has_codes {
                match &evidence {
                    None => {
                        dropped.annotations_without_evidence += 1;
                        continue;
                    }
                    Some(code) if !spec.evidence_codes.allows(code) => {
                        dropped.annotations_by_evidence += 1;
                        continue;
                    }
                    _ => {}
                }
            }
            let go_id = a.go_id.trim();
            let Some(primary) = ontology.resolve(go_id) else {
                dropped.annotations_unknown_term += 1;
                continue;
            };
            let Some(term) = ontology.term(primary) else {
                dropped.annotations_unknown_term += 1;
                continue;
            };
            if term.obsolete {
                dropped.annotations_obsolete_term += 1;
                continue;
            }
            if primary != go_id {
                dropped.annotations_alt_id_mapped += 1;
            }
            let key = (a.accession.clone(), primary.to_string(), evidence.clone());
            if !self.seen.insert(key) {
                dropped.annotations_duplicate += 1;
                continue;
            }
            self.by_accession
                .entry(a.accession)
                .or_default()
                .push(TermAnnotation {
                    go_id: primary.to_string(),
                    aspect: term.aspect.or(a.aspect),
                    evidence,
                });
        }
        if !has_codes {
            self.unfiltered.push(name.to_string());
        }
    }
}

/// The annotations of the reference: from the annotation files when there are any, else from
/// the GO lines of the `.dat` sequence records (taken out of `records`).
pub(super) fn collect_annotations(
    spec: &BuildSpec,
    sources: &Sources,
    ontology: &Ontology,
    records: &mut [SeqRecord],
    dropped: &mut Dropped,
    progress: Progress<'_>,
) -> Result<AnnotationIndex, ReferenceError> {
    let mut index = AnnotationIndex::new();
    if !sources.annotations.is_empty() {
        let with_dat_go = records.iter().filter(|r| !r.go.is_empty()).count();
        if with_dat_go > 0 {
            tracing::info!(
                "annotation files given: ignoring the GO lines of {with_dat_go} .dat entries"
            );
        }
        for (i, (src, f)) in sources.annotations.iter().enumerate() {
            let rows = homolog_go::annotation::read_path(&f.path, AnnotationFormat::Auto)?;
            tracing::info!("{}: {} annotation rows", src.location, rows.len());
            index.add_source(&src.location, rows, spec, ontology, dropped);
            progress(
                "read annotations",
                i as u64 + 1,
                sources.annotations.len() as u64,
            );
        }
    } else {
        let rows: Vec<_> = records
            .iter_mut()
            .flat_map(|r| std::mem::take(&mut r.go))
            .collect();
        if rows.is_empty() {
            return Err(ReferenceError::Invalid(
                "no GO annotations: give reference.annotations (GAF or TSV), or UniProt .dat \
                 sequences with `DR   GO;` lines"
                    .into(),
            ));
        }
        index.add_source("GO lines of the .dat files", rows, spec, ontology, dropped);
    }
    Ok(index)
}
