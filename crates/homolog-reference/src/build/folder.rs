//! The tables and the ontology copy written into the reference folder.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use homolog_go::Ontology;

use super::proteins::ProteinTable;
use super::sources::Sources;
use crate::error::ReferenceError;
use crate::manifest::*;
use crate::tables::{self, TaxonRow, TermInfo};

/// What [`write_tables`] wrote, for the manifest's counts.
pub(super) struct TableCounts {
    pub(super) terms: u64,
    /// Taxa in `taxonomy.parquet`; `None` without a taxdump.
    pub(super) taxa: Option<u64>,
}

/// Writes the protein, sequence, annotation, term and (with a taxdump) taxonomy tables and the
/// ontology copy into `dir`.
pub(super) fn write_tables(
    dir: &Path,
    table: &ProteinTable,
    ontology: &Ontology,
    sources: &Sources,
) -> Result<TableCounts, ReferenceError> {
    tables::write_proteins(&dir.join(PROTEINS_FILE), &table.proteins)?;
    tables::write_sequences(&dir.join(SEQUENCES_FILE), &table.sequences, &table.md5s)?;
    tables::write_annotations(
        &dir.join(ANNOTATIONS_FILE),
        &table.proteins,
        &table.annotations,
    )?;
    let terms = used_terms(table, ontology);
    tables::write_terms(&dir.join(TERMS_FILE), &terms)?;
    copy_decompressed(&sources.ontology.1.path, &dir.join(ONTOLOGY_FILE))?;
    let taxa = match &sources.taxonomy_nodes {
        Some((_, nodes)) => {
            let names = sources
                .taxonomy_names
                .as_ref()
                .map(|(_, f)| f.path.as_path());
            let rows = taxonomy_rows(&nodes.path, names)?;
            tables::write_taxonomy(&dir.join(TAXONOMY_FILE), &rows)?;
            Some(rows.len() as u64)
        }
        None => None,
    };
    Ok(TableCounts {
        terms: terms.len() as u64,
        taxa,
    })
}

/// The GO terms the annotations use, sorted by id.
fn used_terms(table: &ProteinTable, ontology: &Ontology) -> Vec<TermInfo> {
    let mut term_ids: Vec<&str> = table
        .annotations
        .iter()
        .flatten()
        .map(|a| a.go_id.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    term_ids.sort_unstable();
    term_ids
        .iter()
        .filter_map(|id| ontology.term(id))
        .map(|t| TermInfo {
            go_id: t.id.clone(),
            name: t.name.clone(),
            aspect: t.aspect,
        })
        .collect()
}

/// Copy the ontology into the folder as plain text (a gzip source is decompressed so the file
/// is what its name says).
pub(crate) fn copy_decompressed(src: &Path, dst: &Path) -> Result<(), ReferenceError> {
    let mut reader = homolog_io::open(src)?;
    let mut out = fs::File::create(dst).map_err(|e| ReferenceError::io("creating", dst, e))?;
    std::io::copy(&mut reader, &mut out).map_err(|e| ReferenceError::io("copying", src, e))?;
    Ok(())
}

fn taxonomy_rows(nodes: &Path, names: Option<&Path>) -> Result<Vec<TaxonRow>, ReferenceError> {
    let tax = homolog_taxonomy::Taxonomy::from_taxdump(nodes, names)?;
    Ok(tax
        .taxids()
        .map(|taxid| TaxonRow {
            taxid,
            parent: tax.parent(taxid).unwrap_or(taxid),
            rank: tax.rank(taxid).unwrap_or("no rank").to_string(),
            name: tax.name(taxid).map(str::to_string),
        })
        .collect())
}
