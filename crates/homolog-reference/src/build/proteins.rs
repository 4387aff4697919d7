//! The reference proteins and their unique sequences.

use std::collections::{HashMap, HashSet};

use md5::{Digest, Md5};

use super::annotations::AnnotationIndex;
use super::inputs::SeqRecord;
use crate::manifest::Dropped;
use crate::tables::{Protein, TermAnnotation};

/// The proteins kept, their annotations and the unique sequences they share.
pub(super) struct ProteinTable {
    pub(super) proteins: Vec<Protein>,
    /// Annotations of `proteins[i]` at `annotations[i]`.
    pub(super) annotations: Vec<Vec<TermAnnotation>>,
    /// Unique sequences in order of first appearance (= matrix rows).
    pub(super) sequences: Vec<String>,
    /// MD5 (hex) of `sequences[i]`.
    pub(super) md5s: Vec<String>,
}

impl ProteinTable {
    /// Keeps the first record per accession, and only accessions with annotations; stores each
    /// sequence (by md5) once. Annotations left in `index` have no sequence and are counted as
    /// dropped.
    pub(super) fn new(
        records: Vec<SeqRecord>,
        index: &mut AnnotationIndex,
        dropped: &mut Dropped,
    ) -> ProteinTable {
        let mut proteins: Vec<Protein> = Vec::new();
        let mut annotations: Vec<Vec<TermAnnotation>> = Vec::new();
        let mut sequences: Vec<String> = Vec::new();
        let mut md5s: Vec<String> = Vec::new();
        let mut row_of_md5: HashMap<String, u32> = HashMap::new();
        let mut seen_acc: HashSet<String> = HashSet::new();
        for r in records {
            if !seen_acc.insert(r.accession.clone()) {
                dropped.duplicate_accessions += 1;
                continue;
            }
            let Some(anns) = index.by_accession.remove(&r.accession) else {
                dropped.proteins_without_annotation += 1;
                continue;
            };
            let md5 = hex::encode(Md5::digest(r.sequence.as_bytes()));
            let row = *row_of_md5.entry(md5.clone()).or_insert_with(|| {
                sequences.push(r.sequence);
                md5s.push(md5);
                (sequences.len() - 1) as u32
            });
            proteins.push(Protein {
                accession: r.accession,
                sequence_row: row,
                taxonomy_id: r.taxonomy_id,
                organism: r.organism,
                gene_name: r.gene_name,
            });
            annotations.push(anns);
        }
        dropped.annotations_without_sequence =
            index.by_accession.values().map(|v| v.len() as u64).sum();
        ProteinTable {
            proteins,
            annotations,
            sequences,
            md5s,
        }
    }

    /// The number of annotations over all proteins.
    pub(super) fn annotation_count(&self) -> u64 {
        self.annotations.iter().map(|v| v.len() as u64).sum()
    }
}
