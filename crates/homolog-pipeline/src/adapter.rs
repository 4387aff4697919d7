//! `homolog_reference::Reference` seen through `homolog_annotate::ReferenceData`, with the
//! taxonomy filter applied.

use homolog_annotate::{ReferenceData, TermAnnotation};
use homolog_reference::Reference;
use homolog_taxonomy::TaxonFilter;

use crate::PipelineError;

/// The reference as transfer sees it: only proteins the taxonomy filter allows.
pub(crate) struct ReferenceView<'a> {
    reference: &'a Reference,
    /// Per sequence row, the allowed proteins (`None` when no filter is active).
    allowed_proteins: Option<Vec<Vec<u32>>>,
}

impl<'a> ReferenceView<'a> {
    pub(crate) fn new(
        reference: &'a Reference,
        taxonomy: &TaxonFilter,
    ) -> Result<Self, PipelineError> {
        let no_aspect = (0..reference.n_proteins())
            .flat_map(|p| reference.annotations_of_protein(p))
            .filter(|a| a.aspect.is_none())
            .count();
        if no_aspect > 0 {
            tracing::warn!(
                "{no_aspect} reference annotations have no GO aspect and are not transferred"
            );
        }
        let active = !taxonomy.is_noop();
        let allowed_proteins = if active {
            let tax = reference.taxonomy();
            if taxonomy.with_descendants && tax.is_none() {
                return Err(PipelineError::Invalid(
                    "taxonomy.get_descendants needs a taxdump in the reference (reference.taxonomy) - rebuild it with `homolog initialize`".into(),
                ));
            }
            let compiled = match tax {
                Some(t) => taxonomy.compile(t),
                None => taxonomy.compile_without_taxonomy(),
            };
            let rows = (0..reference.n_sequences())
                .map(|row| {
                    reference
                        .proteins_of_sequence(row)
                        .iter()
                        .copied()
                        .filter(|&p| compiled.allows(reference.protein(p as usize).taxonomy_id))
                        .collect()
                })
                .collect();
            Some(rows)
        } else {
            None
        };
        Ok(Self {
            reference,
            allowed_proteins,
        })
    }

    /// The reference's ontology (for collapsing predictions to leaf terms).
    pub(crate) fn ontology(&self) -> Result<homolog_go::obo::Ontology, PipelineError> {
        Ok(self.reference.ontology()?)
    }

    /// Rows the search may return: those with at least one allowed protein (`None` = all).
    pub(crate) fn allowed_rows(&self) -> Option<Vec<bool>> {
        self.allowed_proteins
            .as_ref()
            .map(|rows| rows.iter().map(|p| !p.is_empty()).collect())
    }
}

impl ReferenceData for ReferenceView<'_> {
    fn sequence_count(&self) -> usize {
        self.reference.n_sequences()
    }
    fn sequence(&self, row: u32) -> &str {
        self.reference.sequence(row as usize)
    }
    fn proteins_of_sequence(&self, row: u32) -> &[u32] {
        match &self.allowed_proteins {
            Some(rows) => &rows[row as usize],
            None => self.reference.proteins_of_sequence(row as usize),
        }
    }
    fn protein_accession(&self, protein: u32) -> &str {
        &self.reference.protein(protein as usize).accession
    }
    fn protein_taxonomy_id(&self, protein: u32) -> Option<u32> {
        self.reference.protein(protein as usize).taxonomy_id
    }
    fn protein_organism(&self, protein: u32) -> Option<&str> {
        self.reference.protein(protein as usize).organism.as_deref()
    }
    fn protein_gene_name(&self, protein: u32) -> Option<&str> {
        self.reference
            .protein(protein as usize)
            .gene_name
            .as_deref()
    }
    fn annotations_of_protein(&self, protein: u32) -> &[TermAnnotation] {
        self.reference.annotations_of_protein(protein as usize)
    }
    fn term_name(&self, go_id: &str) -> Option<&str> {
        self.reference.term_name(go_id)
    }
}
