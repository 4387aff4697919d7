//! The local reference folder: built by `homolog initialize`, opened by lookup.
//!
//! The reference is the set of proteins with experimental GO annotations (and their
//! embeddings) that lookup transfers annotations from. FANTASIA keeps it in PostgreSQL +
//! pgvector; homolog keeps the same content in a plain folder that needs no running service:
//!
//! ```text
//! <reference>/
//!   manifest.json            counts, source hashes, evidence filter, matrix hashes
//!   proteins.parquet         one row per reference protein
//!   sequences.parquet        one row per unique sequence (= matrix row)
//!   annotations.parquet      GO annotations of the proteins
//!   terms.parquet            GO terms used by the annotations
//!   ontology.obo             a copy of the ontology (the folder is self-contained)
//!   taxonomy.parquet         only when a taxdump was given
//!   matrices/<model>/layer_<k>.f32   (or .f16) one raw little-endian matrix per (model, layer)
//!   .downloads/              default download cache for URL sources (not part of the reference)
//! ```
//!
//! The columns and the manifest fields are documented in `docs/formats.md` ("Reference
//! folder").
//!
//! # Modules and main types
//!
//! - [`BuildSpec`] (the `reference:` section of the YAML config) names the folder and its
//!   inputs as [`Source`]s (local path or http(s) URL, optional SHA-256), with
//!   [`EvidenceCodes`], [`Precision`], [`TaxdumpSources`] and [`PrecomputedSource`].
//! - [`build`] / [`build_detailed`] (`initialize`) read sequences (FASTA, or UniProt `.dat`
//!   detected by a first line `ID   `), annotations (GAF/TSV, or the `.dat` GO lines), the OBO
//!   ontology, an optional taxdump and optional precomputed per-protein HDF5 (the `hdf5`
//!   feature); keep proteins with at least one annotation passing the evidence filter; map alt
//!   ids to primary GO ids and drop unknown/obsolete ones (counted in [`Manifest::dropped`]);
//!   store each unique sequence (md5) once, rows in order of first appearance; and embed them
//!   with the given models ([`ModelInput`]) or copy the precomputed vectors. Everything is
//!   written into a temporary sibling folder and renamed into place; a folder built from
//!   identical inputs is reused ([`Built::reused`]).
//! - [`fetch`]: [`fetch::fetch`] resolves a [`Source`] to a local file: a local path in place, an
//!   http(s) URL streamed to `<name>.part` in the cache, resumed with `Range`, checksummed.
//! - [`Reference::open`] loads the tables with their indexes: sequences by row, the proteins of
//!   a sequence, a [`Protein`] and its [`TermAnnotation`]s, term names, the ontology and the
//!   taxonomy. [`Reference::matrix`] memory-maps an [`EmbeddingMatrix`] after checking its size
//!   and xxh3 hash (see [`OpenOptions`]); matrix row i is sequence row i.
//! - [`ReferenceWriter`] / [`write_reference`] write a complete folder from contents in memory
//!   ([`ReferenceTables`], the ontology, matrices as f32 rows, [`Provenance`]) with the same
//!   writers and the same temporary-sibling-and-rename as the build; [`ReferenceTables::read`]
//!   reads a folder's tables back in file order (a PostgreSQL store or a PIS import goes through
//!   these two).
//! - [`Manifest`] (`manifest.json`), [`ReferenceError`].
//!
//! Evidence codes: the filter ([`BuildSpec::evidence_codes`], default the 8 experimental codes
//! EXP, IDA, IPI, IMP, IGI, IEP, TAS, IC; `all` or `[]` keeps everything) applies to an
//! annotation source only when the source carries codes. A source without any (a 3-column TSV
//! such as the Swiss-Prot 2014 GO subset) is kept whole, a warning is logged and the source is
//! listed under [`Manifest::unfiltered_annotation_sources`]; its annotations have no evidence.
//! In a source that does carry codes, a row without one is dropped.
//!
//! # Examples
//!
//! [`fetch::is_url`] and [`fetch::fetch`] of a local file (used in place, nothing is copied):
//!
//! ```rust
//! use homolog_reference::fetch;
//!
//! assert!(fetch::is_url("https://example.org/go-basic.obo"));
//! assert!(!fetch::is_url("data/go-basic.obo"));
//!
//! let dir = tempfile::tempdir().unwrap();
//! let obo = dir.path().join("go.obo");
//! std::fs::write(&obo, "format-version: 1.2\n").unwrap();
//! let local = fetch::fetch(obo.to_str().unwrap(), &dir.path().join("cache"), None).unwrap();
//! assert_eq!(local, obo);
//! ```
//!
//! A [`BuildSpec`] built in code, [`build`] without embedding models, then [`Reference::open`]:
//!
//! ```rust
//! use homolog_reference::{build, Aspect, BuildSpec, Reference};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = |name: &str| dir.path().join(name);
//! std::fs::write(
//!     path("go.obo"),
//!     "[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n\n\
//!      [Term]\nid: GO:0000003\nname: some function\nnamespace: molecular_function\n\
//!      is_a: GO:0003674\n",
//! )
//! .unwrap();
//! // P1 and P2 share a sequence; P3 has only an electronic (IEA) annotation.
//! std::fs::write(path("seqs.fasta"), ">P1\nMKTAYIAKQR\n>P2\nMKTAYIAKQR\n>P3\nMSSPLKK\n")
//!     .unwrap();
//! std::fs::write(
//!     path("ann.tsv"),
//!     "P1\tGO:0000003\tF\tIDA\nP2\tGO:0000003\tF\tEXP\nP3\tGO:0000003\tF\tIEA\n",
//! )
//! .unwrap();
//!
//! let mut spec = BuildSpec::new(
//!     path("reference"),
//!     vec![path("seqs.fasta").into()],
//!     path("go.obo").into(),
//! );
//! spec.annotations = vec![path("ann.tsv").into()];
//! let manifest = build(&spec, &spec.path, &[], &|_stage, _done, _total| {}).unwrap();
//! assert_eq!((manifest.counts.proteins, manifest.counts.sequences), (2, 1));
//!
//! let reference = Reference::open(&spec.path).unwrap();
//! assert_eq!(reference.sequence(0), "MKTAYIAKQR");
//! assert_eq!(reference.proteins_of_sequence(0), &[0, 1]);
//! let p1 = reference.protein_index("P1").unwrap() as usize;
//! let ann = &reference.annotations_of_protein(p1)[0];
//! assert_eq!(ann.go_id, "GO:0000003");
//! assert_eq!(ann.aspect, Some(Aspect::MolecularFunction));
//! assert_eq!(ann.evidence.as_deref(), Some("IDA"));
//! assert_eq!(reference.term_name("GO:0000003"), Some("some function"));
//! assert!(reference.matrices().is_empty()); // no models, no precomputed embeddings
//! ```

mod build;
mod error;
pub mod fetch;
mod manifest;
mod matrix;
mod spec;
mod tables;
mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use build::{accession_of_id, build, build_detailed, Built, ModelInput, Progress};
pub use error::ReferenceError;
pub use homolog_go::Aspect;
pub use manifest::{
    Counts, Dropped, Manifest, MatrixEntry, SourceEntry, ANNOTATIONS_FILE, FORMAT_VERSION,
    MANIFEST_FILE, ONTOLOGY_FILE, PROTEINS_FILE, SEQUENCES_FILE, TAXONOMY_FILE, TERMS_FILE,
};
pub use matrix::{hash_file_xxh3, EmbeddingMatrix};
pub use spec::{BuildSpec, EvidenceCodes, Precision, PrecomputedSource, Source, TaxdumpSources};
pub use tables::{Protein, TaxonRow, TermAnnotation, TermInfo};
pub use writer::{
    sequence_md5, write_reference, MatrixRows, MatrixSpec, OntologyInput, Provenance,
    ReferenceTables, ReferenceWriter,
};

use homolog_go::Ontology;
use homolog_taxonomy::Taxonomy;

/// How to open a reference.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Check each matrix's xxh3 hash when it is loaded (default true; one sequential read of the
    /// file, a fraction of a second per GB).
    pub verify_hashes: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            verify_hashes: true,
        }
    }
}

/// An opened reference folder: the small tables in memory with their indexes; matrices are
/// loaded on demand with [`Reference::matrix`].
///
/// Indexes (`row`, `idx`) come from this reference; the accessors panic on an out-of-range
/// index, like slice indexing.
pub struct Reference {
    dir: PathBuf,
    manifest: Manifest,
    options: OpenOptions,
    proteins: Vec<Protein>,
    protein_of_accession: HashMap<String, u32>,
    sequences: Vec<String>,
    md5s: Vec<String>,
    /// Proteins of sequence row r: `seq_proteins[seq_offsets[r]..seq_offsets[r + 1]]`.
    seq_offsets: Vec<usize>,
    seq_proteins: Vec<u32>,
    /// Annotations of protein p: `annotations[ann_offsets[p]..ann_offsets[p + 1]]`.
    ann_offsets: Vec<usize>,
    annotations: Vec<TermAnnotation>,
    terms: HashMap<String, TermInfo>,
    taxonomy: Option<Taxonomy>,
}

impl std::fmt::Debug for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reference")
            .field("dir", &self.dir)
            .field("counts", &self.manifest.counts)
            .finish()
    }
}

impl Reference {
    /// Open with default options (hashes verified).
    pub fn open(dir: impl AsRef<Path>) -> Result<Reference, ReferenceError> {
        Self::open_with(dir, OpenOptions::default())
    }

    pub fn open_with(
        dir: impl AsRef<Path>,
        options: OpenOptions,
    ) -> Result<Reference, ReferenceError> {
        let dir = dir.as_ref().to_path_buf();
        if !dir.is_dir() {
            return Err(ReferenceError::NotInitialized {
                reason: "the folder does not exist".into(),
                dir,
            });
        }
        let mpath = dir.join(MANIFEST_FILE);
        if !mpath.is_file() {
            return Err(ReferenceError::NotInitialized {
                reason: format!("{MANIFEST_FILE} is missing"),
                dir,
            });
        }
        let manifest = Manifest::read(&mpath)?;
        let table = |name: &str| -> Result<PathBuf, ReferenceError> {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(ReferenceError::MissingTable {
                    dir: dir.clone(),
                    file: name.to_string(),
                })
            }
        };
        let proteins = tables::read_proteins(&table(PROTEINS_FILE)?)?;
        let (sequences, md5s) = tables::read_sequences(&table(SEQUENCES_FILE)?)?;
        let annotation_rows = tables::read_annotations(&table(ANNOTATIONS_FILE)?)?;
        let terms = tables::read_terms(&table(TERMS_FILE)?)?;
        table(ONTOLOGY_FILE)?;
        let taxonomy = if manifest.has_taxonomy {
            let rows = tables::read_taxonomy(&table(TAXONOMY_FILE)?)?;
            Some(taxonomy_from_rows(&dir.join(TAXONOMY_FILE), &rows)?)
        } else {
            None
        };

        let invalid = |file: &str, msg: String| ReferenceError::Parquet {
            path: dir.join(file),
            message: format!("{msg}; rebuild the reference with `homolog initialize`"),
        };
        if proteins.len() as u64 != manifest.counts.proteins
            || sequences.len() as u64 != manifest.counts.sequences
        {
            return Err(invalid(
                PROTEINS_FILE,
                format!(
                    "{} proteins / {} sequences, the manifest says {} / {}",
                    proteins.len(),
                    sequences.len(),
                    manifest.counts.proteins,
                    manifest.counts.sequences
                ),
            ));
        }

        // proteins_of_sequence: counting sort by sequence row.
        let mut counts = vec![0usize; sequences.len() + 1];
        let mut protein_of_accession = HashMap::with_capacity(proteins.len());
        for (i, p) in proteins.iter().enumerate() {
            let row = p.sequence_row as usize;
            if row >= sequences.len() {
                return Err(invalid(
                    PROTEINS_FILE,
                    format!(
                        "protein {} points at sequence row {row} of {}",
                        p.accession,
                        sequences.len()
                    ),
                ));
            }
            counts[row + 1] += 1;
            protein_of_accession.insert(p.accession.clone(), i as u32);
        }
        for r in 0..sequences.len() {
            counts[r + 1] += counts[r];
        }
        let seq_offsets = counts.clone();
        let mut seq_proteins = vec![0u32; proteins.len()];
        let mut next = counts;
        for (i, p) in proteins.iter().enumerate() {
            let r = p.sequence_row as usize;
            seq_proteins[next[r]] = i as u32;
            next[r] += 1;
        }

        // annotations_of_protein: group rows by protein, keeping file order within a protein.
        let mut grouped: Vec<Vec<TermAnnotation>> = vec![Vec::new(); proteins.len()];
        for (acc, a) in annotation_rows {
            let Some(&p) = protein_of_accession.get(&acc) else {
                return Err(invalid(
                    ANNOTATIONS_FILE,
                    format!("annotation of unknown accession {acc}"),
                ));
            };
            grouped[p as usize].push(a);
        }
        let mut ann_offsets = Vec::with_capacity(proteins.len() + 1);
        let mut annotations = Vec::new();
        ann_offsets.push(0);
        for g in grouped {
            annotations.extend(g);
            ann_offsets.push(annotations.len());
        }

        Ok(Reference {
            terms: terms.into_iter().map(|t| (t.go_id.clone(), t)).collect(),
            dir,
            manifest,
            options,
            proteins,
            protein_of_accession,
            sequences,
            md5s,
            seq_offsets,
            seq_proteins,
            ann_offsets,
            annotations,
            taxonomy,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Unique sequences (= rows of every matrix).
    pub fn n_sequences(&self) -> usize {
        self.sequences.len()
    }

    pub fn n_proteins(&self) -> usize {
        self.proteins.len()
    }

    pub fn sequence(&self, row: usize) -> &str {
        &self.sequences[row]
    }

    /// Lower-case hex md5 of the sequence of `row`.
    pub fn sequence_md5(&self, row: usize) -> &str {
        &self.md5s[row]
    }

    /// Protein indexes sharing the sequence of `row` (at least one), in protein order.
    pub fn proteins_of_sequence(&self, row: usize) -> &[u32] {
        &self.seq_proteins[self.seq_offsets[row]..self.seq_offsets[row + 1]]
    }

    pub fn protein(&self, idx: usize) -> &Protein {
        &self.proteins[idx]
    }

    pub fn proteins(&self) -> &[Protein] {
        &self.proteins
    }

    /// The protein index of an accession.
    pub fn protein_index(&self, accession: &str) -> Option<u32> {
        self.protein_of_accession.get(accession).copied()
    }

    pub fn annotations_of_protein(&self, idx: usize) -> &[TermAnnotation] {
        &self.annotations[self.ann_offsets[idx]..self.ann_offsets[idx + 1]]
    }

    /// Name of a GO term used by the annotations.
    pub fn term_name(&self, go_id: &str) -> Option<&str> {
        self.terms.get(go_id).map(|t| t.name.as_str())
    }

    /// Name and aspect of a GO term used by the annotations.
    pub fn term(&self, go_id: &str) -> Option<&TermInfo> {
        self.terms.get(go_id)
    }

    /// Parse the ontology copy (`ontology.obo`); a few hundred ms for GO, so on demand.
    pub fn ontology(&self) -> Result<Ontology, ReferenceError> {
        Ok(Ontology::from_path(self.dir.join(ONTOLOGY_FILE))?)
    }

    pub fn taxonomy(&self) -> Option<&Taxonomy> {
        self.taxonomy.as_ref()
    }

    /// The (model, layer) pairs with a matrix, in manifest order.
    pub fn matrices(&self) -> Vec<(String, usize)> {
        self.manifest
            .matrices
            .iter()
            .map(|m| (m.model.clone(), m.layer))
            .collect()
    }

    /// The manifest entry of a matrix (backend, embedding type id, dim, dtype).
    pub fn matrix_info(&self, model: &str, layer: usize) -> Option<&MatrixEntry> {
        self.manifest.matrix(model, layer)
    }

    /// Load the matrix of (model, layer): memory-mapped f32 (f16 files are converted to an
    /// owned f32 buffer), size checked, hash checked unless disabled in [`OpenOptions`].
    pub fn matrix(&self, model: &str, layer: usize) -> Result<EmbeddingMatrix, ReferenceError> {
        let entry = self
            .manifest
            .matrix(model, layer)
            .ok_or_else(|| ReferenceError::NoMatrix {
                model: model.to_string(),
                layer,
                available: if self.manifest.matrices.is_empty() {
                    "none (build the reference with precomputed embeddings or enabled models)"
                        .into()
                } else {
                    self.manifest
                        .matrices
                        .iter()
                        .map(|m| format!("{} layer {}", m.model, m.layer))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            })?;
        EmbeddingMatrix::load(&self.dir, entry, self.options.verify_hashes)
    }
}

/// Rebuild a [`Taxonomy`] from `taxonomy.parquet` rows (a root is stored as its own parent).
fn taxonomy_from_rows(path: &Path, rows: &[TaxonRow]) -> Result<Taxonomy, ReferenceError> {
    Taxonomy::from_parts(
        rows.iter().map(|r| (r.taxid, r.parent, r.rank.as_str())),
        rows.iter()
            .filter_map(|r| r.name.as_deref().map(|n| (r.taxid, n))),
    )
    .map_err(|e| {
        ReferenceError::parquet(
            path,
            format!("{e}; rebuild the reference with `homolog initialize`"),
        )
    })
}
