//! Import FANTASIA's reference, a PIS database (CBBIO/protein-information-system on PostgreSQL
//! with pgvector), into a homolog reference folder, so that the reference FANTASIA publishes can
//! be used without PostgreSQL.
//!
//! [`import`] connects with the synchronous `postgres` client, checks the schema, reads the
//! tables and writes the folder through [`homolog_reference::ReferenceWriter`] (temporary
//! sibling, renamed into place when complete):
//!
//! | PIS | reference folder |
//! |---|---|
//! | `accession.code` (the primary one; else `protein.id`) | `proteins.accession` |
//! | `protein.taxonomy_id` (text; the first of a comma list) | `proteins.taxonomy_id` |
//! | `protein.organism`, `protein.gene_name` | `proteins.organism`, `proteins.gene_name` |
//! | `sequence.sequence` (one row per distinct sequence) | `sequences.parquet` |
//! | `protein_go_term_annotation` (+ `go_terms.category`) | `annotations.parquet` (with evidence) |
//! | `sequence_embeddings` of one (`embedding_type_id`, `layer_index`) | `matrices/<model>/layer_<k>.f16` (`halfvec`) or `.f32` (`vector`) |
//!
//! What is kept, as `homolog initialize` does: annotations whose evidence code passes
//! [`ImportOptions::evidence_codes`] (default the 8 experimental codes; PIS's `UNKNOWN`, written
//! for a GO reference without a code, counts as no code and passes only `all`) and whose GO id
//! the ontology knows (alt ids mapped to the primary id, obsolete and unknown ids dropped and
//! counted in the manifest's `dropped`); proteins with at least one annotation left and a
//! vector in every selected matrix. Proteins are written in accession order; sequence rows in
//! order of first use.
//!
//! Model names ([`ModelMapping`]): a PIS embedding type is matched to homolog's model registry
//! by its `name`, then its `model_name` (`ESM` -> `esm2`, `Prost-T5` -> `prost_t5`, `Prot-T5`
//! -> `prot_t5`, `Ankh3-Large` -> `ankh3`, `ESM3c` -> `esmc`); a type the registry does not know
//! keeps its own name (lower case, other characters than letters, digits, `-` and `_` turned
//! into `_`). The matrix entry keeps the PIS type id as `embedding_type_id` and the layer as
//! `layer` (PIS's `layer_index` k = `hidden_states[-(k+1)]`, homolog's convention too); the
//! manifest lists each matrix's PIS origin as an `embeddings:<model>:<layer>` source. A
//! database from before PIS stored layers (no `layer_index` column) gives layer 0.
//!
//! Memory: the protein and annotation tables are held once (as the folder's tables); vectors
//! are streamed from a server-side portal in batches of [`ImportOptions::batch_rows`] rows
//! straight into the matrix file, so a 600k x 1024 table never sits in memory.
//!
//! ```no_run
//! use homolog_pis::{import, ImportOptions};
//!
//! let options = ImportOptions::new("go-basic.obo");
//! let report = import("postgres://postgres@localhost:5432/BioData", "reference".as_ref(), &options)?;
//! println!("{} proteins, {} matrices", report.manifest.counts.proteins, report.models.len());
//! # Ok::<(), homolog_pis::PisError>(())
//! ```

mod error;
mod import;
pub mod vector;

use std::path::PathBuf;

pub use error::PisError;
pub use import::{import, redact_url};
pub use vector::{PgVector, VectorKind};

/// The evidence filter and the matrix precision, as the reference folder defines them.
pub use homolog_reference::{EvidenceCodes, Precision};

use homolog_reference::Manifest;

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The GO ontology (OBO, plain or gzip) copied into the folder and used to resolve the
    /// annotations' GO ids: PIS has no ontology of its own.
    pub ontology: PathBuf,
    /// Evidence codes to keep (default the experimental ones).
    pub evidence_codes: EvidenceCodes,
    /// Embedding types to import, by homolog model name, PIS type name or PIS type id; empty =
    /// every type that has vectors.
    pub models: Vec<String>,
    /// Layers to import; empty = every layer that has vectors.
    pub layers: Vec<usize>,
    /// At most this many proteins (the first by accession, after filtering).
    pub limit: Option<usize>,
    /// How the matrices are stored; `None` = as in the database (`halfvec` -> f16, `vector` ->
    /// f32), which is exact.
    pub precision: Option<Precision>,
    /// Rows fetched per round trip while streaming vectors.
    pub batch_rows: usize,
}

impl ImportOptions {
    /// Defaults: experimental evidence, every model and layer, no limit, stored precision.
    pub fn new(ontology: impl Into<PathBuf>) -> ImportOptions {
        ImportOptions {
            ontology: ontology.into(),
            evidence_codes: EvidenceCodes::default(),
            models: Vec::new(),
            layers: Vec::new(),
            limit: None,
            precision: None,
            batch_rows: 2048,
        }
    }
}

/// How one PIS (embedding type, layer) became a matrix of the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelMapping {
    /// `sequence_embedding_type.id` (kept as the matrix's `embedding_type_id`).
    pub type_id: u32,
    /// `sequence_embedding_type.name`.
    pub pis_name: String,
    /// `sequence_embedding_type.model_name`.
    pub pis_model_name: Option<String>,
    /// The homolog model name (the matrix folder).
    pub model: String,
    /// Whether homolog's model registry knows the type (else the PIS name was kept).
    pub known: bool,
    pub layer: usize,
    /// The column's pgvector type.
    pub kind: VectorKind,
    pub dim: usize,
    pub precision: Precision,
}

/// What [`import`] did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The manifest written (counts, matrices, dropped annotations).
    pub manifest: Manifest,
    /// One entry per matrix, in manifest order.
    pub models: Vec<ModelMapping>,
    /// Proteins in the database.
    pub proteins_read: u64,
    /// Proteins left out because they have no annotation after filtering.
    pub proteins_without_annotation: u64,
    /// Proteins left out because their sequence lacks a vector in a selected matrix.
    pub proteins_without_embedding: u64,
    /// Proteins left out because they have no (or an empty) sequence.
    pub proteins_without_sequence: u64,
    /// Proteins left out by [`ImportOptions::limit`].
    pub proteins_over_limit: u64,
    /// Kept proteins whose `taxonomy_id` is not a number (imported without one).
    pub taxonomy_ids_unparsed: u64,
}
