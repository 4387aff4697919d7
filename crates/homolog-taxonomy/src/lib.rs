//! NCBI taxonomy from a taxdump (`nodes.dmp`, `names.dmp`, plain or gzip).
//!
//! CONTRACT:
//! - `Taxonomy::from_taxdump(nodes: &Path, names: Option<&Path>) -> Result<Taxonomy, TaxonomyError>`
//! - `Taxonomy::parent(taxid) -> Option<u32>`, `name(taxid) -> Option<&str>`, `rank(taxid) -> Option<&str>`
//! - `Taxonomy::lineage(taxid) -> Vec<u32>` (taxid first, root last)
//! - `Taxonomy::descendants(taxid) -> Vec<u32>` (including taxid itself)
//! - `Taxonomy::contains(taxid) -> bool`
//! - `TaxonFilter { include_only: Vec<u32>, exclude: Vec<u32>, with_descendants: bool }`
//!   with `TaxonFilter::allows(&self, taxid: Option<u32>, taxonomy: Option<&Taxonomy>) -> bool`.
