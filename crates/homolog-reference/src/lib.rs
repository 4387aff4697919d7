//! The local reference folder: built by `initialize`, opened by lookup in O(1).
//!
//! CONTRACT:
//! - `build(&BuildSpec, &Path out_dir, embedders, progress) -> Result<Manifest, ReferenceError>`:
//!   reads sequences (FASTA or UniProt `.dat`), annotations (GAF/TSV), the ontology (OBO),
//!   optional taxdump and optional precomputed per-protein HDF5; keeps proteins with at least one
//!   annotation whose evidence is in the filter; deduplicates sequences; writes Parquet tables,
//!   one matrix per (model, layer), the ontology copy and `manifest.json`, atomically.
//! - `fetch::fetch(source: &str, cache_dir, expected_sha256: Option<&str>) -> Result<PathBuf>`:
//!   local path or http(s) URL, streamed to `<name>.part`, resumed with Range, checksummed.
//! - `Reference::open(dir) -> Result<Reference, ReferenceError>`;
//!   `n_sequences()`, `sequence(row) -> &str`, `proteins_of_sequence(row) -> &[u32]`,
//!   `protein(idx) -> &Protein { accession, sequence_row, taxonomy_id: Option<u32>, organism,
//!   gene_name }`, `annotations_of_protein(idx) -> &[RefAnnotation { go_id, aspect, evidence }]`,
//!   `term_name(go_id)`, `ontology() -> Result<Ontology>`, `taxonomy() -> Option<&Taxonomy>`,
//!   `matrix(model, layer) -> Result<EmbeddingMatrix>` (mmap, hash-verified; `as_slice()`,
//!   `rows()`, `dim()`); matrix row i = sequence row i.
