//! What GO transfer needs to know about the reference, and an in-memory implementation.
//!
//! The reference is organised like FANTASIA's PIS database: unique *sequences* (one embedding
//! row each, the rows `homolog_search::Hit::reference` points at), *proteins* that share a
//! sequence, and GO *annotations* per protein. This crate only reads it through
//! [`ReferenceData`], so the CLI can adapt `homolog_reference::Reference` (or anything else)
//! without this crate depending on it.

use std::collections::HashMap;

use homolog_go::TermAnnotation;

/// Read access to a reference table: sequences (search rows), proteins and their annotations.
///
/// Sequence rows are `0..sequence_count()`; protein ids are whatever
/// [`proteins_of_sequence`](ReferenceData::proteins_of_sequence) returns. Callers check a row
/// against `sequence_count()` before asking for it; implementations may panic on rows out of
/// range (the in-memory one does).
pub trait ReferenceData: Sync {
    /// Number of unique sequences (rows of the embedding matrix).
    fn sequence_count(&self) -> usize;
    /// Amino-acid sequence of a row.
    fn sequence(&self, row: u32) -> &str;
    /// Proteins whose sequence is this row (a hit expands to all of them).
    fn proteins_of_sequence(&self, row: u32) -> &[u32];
    /// Accession of a protein (FANTASIA's `protein_id`, e.g. a UniProt accession).
    fn protein_accession(&self, protein: u32) -> &str;
    /// NCBI taxonomy id of a protein.
    fn protein_taxonomy_id(&self, protein: u32) -> Option<u32>;
    /// Organism name of a protein.
    fn protein_organism(&self, protein: u32) -> Option<&str>;
    /// Gene name of a protein.
    fn protein_gene_name(&self, protein: u32) -> Option<&str>;
    /// GO annotations of a protein.
    fn annotations_of_protein(&self, protein: u32) -> &[TermAnnotation];
    /// Name of a GO term (FANTASIA's `go_description`).
    fn term_name(&self, go_id: &str) -> Option<&str>;
}

/// A reference protein for [`InMemoryReference::add_protein`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProteinRecord {
    /// Accession (e.g. `P12345`).
    pub accession: String,
    /// Organism name.
    pub organism: Option<String>,
    /// Gene name.
    pub gene_name: Option<String>,
    /// NCBI taxonomy id.
    pub taxonomy_id: Option<u32>,
    /// GO annotations.
    pub annotations: Vec<TermAnnotation>,
}

/// A reference held in memory: for tests, the demo, and small references.
///
/// Sequence rows are assigned in order of first appearance; identical sequences share a row,
/// exactly as PIS's `sequence` table deduplicates them. Embeddings for the search must be
/// stacked in the same row order.
#[derive(Debug, Clone, Default)]
pub struct InMemoryReference {
    sequences: Vec<String>,
    row_of_sequence: HashMap<String, u32>,
    proteins_of_row: Vec<Vec<u32>>,
    proteins: Vec<ProteinRecord>,
    term_names: HashMap<String, String>,
}

impl InMemoryReference {
    /// An empty reference.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a sequence (or finds it) and returns its row.
    pub fn add_sequence(&mut self, sequence: &str) -> u32 {
        if let Some(&row) = self.row_of_sequence.get(sequence) {
            return row;
        }
        let row = u32::try_from(self.sequences.len()).expect("more than u32::MAX sequences");
        self.sequences.push(sequence.to_string());
        self.row_of_sequence.insert(sequence.to_string(), row);
        self.proteins_of_row.push(Vec::new());
        row
    }

    /// Adds a protein with its sequence; returns `(protein id, sequence row)`.
    pub fn add_protein(&mut self, record: ProteinRecord, sequence: &str) -> (u32, u32) {
        let row = self.add_sequence(sequence);
        let id = u32::try_from(self.proteins.len()).expect("more than u32::MAX proteins");
        self.proteins.push(record);
        self.proteins_of_row[row as usize].push(id);
        (id, row)
    }

    /// Records the name of a GO term.
    pub fn add_term_name(&mut self, go_id: impl Into<String>, name: impl Into<String>) {
        self.term_names.insert(go_id.into(), name.into());
    }

    /// Row of a sequence, if present.
    pub fn row_of(&self, sequence: &str) -> Option<u32> {
        self.row_of_sequence.get(sequence).copied()
    }

    /// Number of proteins.
    pub fn protein_count(&self) -> usize {
        self.proteins.len()
    }

    /// A protein record.
    pub fn protein(&self, protein: u32) -> Option<&ProteinRecord> {
        self.proteins.get(protein as usize)
    }
}

impl ReferenceData for InMemoryReference {
    fn sequence_count(&self) -> usize {
        self.sequences.len()
    }
    fn sequence(&self, row: u32) -> &str {
        &self.sequences[row as usize]
    }
    fn proteins_of_sequence(&self, row: u32) -> &[u32] {
        &self.proteins_of_row[row as usize]
    }
    fn protein_accession(&self, protein: u32) -> &str {
        &self.proteins[protein as usize].accession
    }
    fn protein_taxonomy_id(&self, protein: u32) -> Option<u32> {
        self.proteins[protein as usize].taxonomy_id
    }
    fn protein_organism(&self, protein: u32) -> Option<&str> {
        self.proteins[protein as usize].organism.as_deref()
    }
    fn protein_gene_name(&self, protein: u32) -> Option<&str> {
        self.proteins[protein as usize].gene_name.as_deref()
    }
    fn annotations_of_protein(&self, protein: u32) -> &[TermAnnotation] {
        &self.proteins[protein as usize].annotations
    }
    fn term_name(&self, go_id: &str) -> Option<&str> {
        self.term_names.get(go_id).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sequences_share_a_row() {
        let mut r = InMemoryReference::new();
        let (p0, r0) = r.add_protein(
            ProteinRecord {
                accession: "A".into(),
                ..Default::default()
            },
            "MKV",
        );
        let (p1, r1) = r.add_protein(
            ProteinRecord {
                accession: "B".into(),
                ..Default::default()
            },
            "MKV",
        );
        let (_, r2) = r.add_protein(ProteinRecord::default(), "MKW");
        assert_eq!((p0, p1), (0, 1));
        assert_eq!((r0, r1, r2), (0, 0, 1));
        assert_eq!(r.sequence_count(), 2);
        assert_eq!(r.proteins_of_sequence(0), &[0, 1]);
        assert_eq!(r.protein_accession(1), "B");
        assert_eq!(r.row_of("MKW"), Some(1));
    }
}
