//! The public way to write a complete reference folder from contents held in memory (another
//! store pulled down, a PIS database imported), and to read a folder's tables back in file
//! order.
//!
//! [`ReferenceWriter`] writes the same files `initialize` writes, with the same table and
//! matrix writers, into a hidden temporary sibling of the target, and renames it into place in
//! [`ReferenceWriter::commit`]: a failed or dropped writer leaves the target untouched. The
//! manifest's counts, matrix entries (rows, dim, file name, xxh3) and `has_taxonomy` are
//! computed from what was written; the rest of it (version, time, fingerprint, sources,
//! evidence filter, dropped counters) comes from the caller's [`Provenance`].
//!
//! Writing the [`ReferenceTables`] read from a folder, its ontology and its matrices with the
//! [`Provenance`] of its manifest gives a byte-identical folder: Parquet output is
//! deterministic for equal rows, and the manifest is the same struct serialised the same way.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use crate::build::{place, read_decompressed_into};
use crate::error::ReferenceError;
use crate::manifest::*;
use crate::matrix::MatrixWriter;
use crate::spec::Precision;
use crate::tables::{self, Protein, TaxonRow, TermAnnotation, TermInfo};

/// The small tables of a reference, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReferenceTables {
    /// One row per protein; `sequence_row` indexes `sequences`.
    pub proteins: Vec<Protein>,
    /// Unique sequences; row i is row i of every matrix.
    pub sequences: Vec<String>,
    /// Lower-case hex MD5 of `sequences[i]` (see [`sequence_md5`]).
    pub md5s: Vec<String>,
    /// The annotations of `proteins[i]` at `annotations[i]`.
    pub annotations: Vec<Vec<TermAnnotation>>,
    /// The GO terms the annotations use (the builder writes them sorted by id).
    pub terms: Vec<TermInfo>,
    /// Taxdump nodes (`taxonomy.parquet`); `None` for a reference without taxonomy.
    pub taxonomy: Option<Vec<TaxonRow>>,
}

/// Lower-case hex MD5 of a sequence, as stored in `sequences.parquet`.
pub fn sequence_md5(sequence: &str) -> String {
    hex::encode(Md5::digest(sequence.as_bytes()))
}

impl ReferenceTables {
    /// Reads the tables of the reference folder `dir` in file order (annotations regrouped by
    /// protein, in file order within a protein, as [`crate::Reference::open`] does).
    pub fn read(dir: &Path) -> Result<ReferenceTables, ReferenceError> {
        let manifest = Manifest::read(&dir.join(MANIFEST_FILE))?;
        let proteins = tables::read_proteins(&dir.join(PROTEINS_FILE))?;
        let (sequences, md5s) = tables::read_sequences(&dir.join(SEQUENCES_FILE))?;
        let mut index = std::collections::HashMap::with_capacity(proteins.len());
        for (i, p) in proteins.iter().enumerate() {
            index.insert(p.accession.as_str(), i);
        }
        let mut annotations = vec![Vec::new(); proteins.len()];
        for (acc, a) in tables::read_annotations(&dir.join(ANNOTATIONS_FILE))? {
            let Some(&i) = index.get(acc.as_str()) else {
                return Err(ReferenceError::parquet(
                    dir.join(ANNOTATIONS_FILE),
                    format!("annotation of unknown accession {acc}; rebuild the reference"),
                ));
            };
            annotations[i].push(a);
        }
        let terms = tables::read_terms(&dir.join(TERMS_FILE))?;
        let taxonomy = if manifest.has_taxonomy {
            Some(tables::read_taxonomy(&dir.join(TAXONOMY_FILE))?)
        } else {
            None
        };
        Ok(ReferenceTables {
            proteins,
            sequences,
            md5s,
            annotations,
            terms,
            taxonomy,
        })
    }

    /// The number of annotations over all proteins.
    pub fn annotation_count(&self) -> u64 {
        self.annotations.iter().map(|a| a.len() as u64).sum()
    }

    /// Checks the invariants `Reference::open` relies on, with a message naming the offending
    /// row.
    pub fn validate(&self) -> Result<(), ReferenceError> {
        let bad = |msg: String| Err(ReferenceError::Invalid(format!("reference tables: {msg}")));
        if self.sequences.len() != self.md5s.len() {
            return bad(format!(
                "{} sequences but {} md5s; give one md5 per sequence",
                self.sequences.len(),
                self.md5s.len()
            ));
        }
        if self.annotations.len() != self.proteins.len() {
            return bad(format!(
                "{} proteins but {} annotation lists; give one list per protein",
                self.proteins.len(),
                self.annotations.len()
            ));
        }
        if self.sequences.len() > u32::MAX as usize {
            return bad(format!(
                "{} sequences (at most 2^32 - 1)",
                self.sequences.len()
            ));
        }
        let mut seen_md5 = HashSet::with_capacity(self.md5s.len());
        for (row, (s, m)) in self.sequences.iter().zip(&self.md5s).enumerate() {
            if s.is_empty() {
                return bad(format!("sequence row {row} is empty"));
            }
            if sequence_md5(s) != *m {
                return bad(format!(
                    "md5 of sequence row {row} is {m}, the sequence's md5 is {}",
                    sequence_md5(s)
                ));
            }
            if !seen_md5.insert(m.as_str()) {
                return bad(format!(
                    "sequence row {row} repeats an earlier sequence (md5 {m}); store each \
                     sequence once and point the proteins at that row"
                ));
            }
        }
        let mut used = vec![false; self.sequences.len()];
        let mut seen_acc = HashSet::with_capacity(self.proteins.len());
        for p in &self.proteins {
            if p.accession.is_empty() {
                return bad("a protein has an empty accession".into());
            }
            if !seen_acc.insert(p.accession.as_str()) {
                return bad(format!("accession {} appears twice", p.accession));
            }
            match used.get_mut(p.sequence_row as usize) {
                Some(u) => *u = true,
                None => {
                    return bad(format!(
                        "protein {} points at sequence row {} of {}",
                        p.accession,
                        p.sequence_row,
                        self.sequences.len()
                    ))
                }
            }
        }
        if let Some(row) = used.iter().position(|u| !u) {
            return bad(format!(
                "sequence row {row} belongs to no protein; drop it or add its proteins"
            ));
        }
        Ok(())
    }
}

/// The manifest fields the caller decides (the rest is computed by the writer).
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// Version of homolog that produced the content.
    pub homolog_version: String,
    /// RFC 3339 UTC time.
    pub created: String,
    /// What identifies the content's inputs (see [`Manifest::inputs_fingerprint`]).
    pub inputs_fingerprint: String,
    pub sources: Vec<SourceEntry>,
    /// Evidence codes kept (`["all"]` for no filter).
    pub evidence_codes: Vec<String>,
    pub unfiltered_annotation_sources: Vec<String>,
    pub dropped: Dropped,
}

impl Provenance {
    /// This homolog version, the current time, no sources, no evidence filter recorded.
    pub fn new(inputs_fingerprint: impl Into<String>) -> Provenance {
        Provenance {
            homolog_version: env!("CARGO_PKG_VERSION").to_string(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            inputs_fingerprint: inputs_fingerprint.into(),
            sources: Vec::new(),
            evidence_codes: vec!["all".into()],
            unfiltered_annotation_sources: Vec::new(),
            dropped: Dropped::default(),
        }
    }

    /// The provenance recorded in an existing manifest (to rewrite that folder as it was).
    pub fn of(manifest: &Manifest) -> Provenance {
        Provenance {
            homolog_version: manifest.homolog_version.clone(),
            created: manifest.created.clone(),
            inputs_fingerprint: manifest.inputs_fingerprint.clone(),
            sources: manifest.sources.clone(),
            evidence_codes: manifest.evidence_codes.clone(),
            unfiltered_annotation_sources: manifest.unfiltered_annotation_sources.clone(),
            dropped: manifest.dropped.clone(),
        }
    }
}

/// Where the ontology copy (`ontology.obo`) comes from.
#[derive(Debug, Clone, Copy)]
pub enum OntologyInput<'a> {
    /// The OBO text itself.
    Text(&'a str),
    /// An OBO file (plain or gzip; written decompressed).
    File(&'a Path),
}

/// What a matrix is: the manifest entry without the computed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixSpec {
    /// Model name as in the config (a single path component: no `/`, not starting with `.`).
    pub model: String,
    pub backend: String,
    pub embedding_type_id: u32,
    pub layer: usize,
    /// How the values are stored on disk (rows are given as f32).
    pub precision: Precision,
    pub dim: usize,
}

impl MatrixSpec {
    /// The spec of an existing manifest entry (`None` for an unknown dtype).
    pub fn of(entry: &MatrixEntry) -> Option<MatrixSpec> {
        Some(MatrixSpec {
            model: entry.model.clone(),
            backend: entry.backend.clone(),
            embedding_type_id: entry.embedding_type_id,
            layer: entry.layer,
            precision: Precision::parse(&entry.dtype)?,
            dim: entry.dim as usize,
        })
    }

    /// `matrices/<model>/layer_<k>.<f32|f16>`, relative to the folder (as `initialize` names it).
    pub fn file(&self) -> String {
        format!(
            "matrices/{}/layer_{}.{}",
            self.model,
            self.layer,
            self.precision.as_str()
        )
    }
}

/// One matrix being filled: `rows x dim`, one row per sequence row, in any order, each once.
pub struct MatrixRows {
    spec: MatrixSpec,
    rows: u64,
    writer: MatrixWriter,
}

impl std::fmt::Debug for MatrixRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixRows")
            .field("spec", &self.spec)
            .field("rows", &self.rows)
            .finish()
    }
}

impl MatrixRows {
    /// Writes sequence row `row` (`dim` finite values; f16 matrices round each value).
    pub fn write_row(&mut self, row: usize, values: &[f32]) -> Result<(), ReferenceError> {
        let what = format!(
            "sequence row {row} ({} layer {})",
            self.spec.model, self.spec.layer
        );
        self.writer.write_row(row, values, &what)
    }

    /// Sequence rows not written yet.
    pub fn missing_rows(&self) -> Vec<usize> {
        self.writer.missing_rows()
    }

    pub fn spec(&self) -> &MatrixSpec {
        &self.spec
    }
}

/// Writes a reference folder: tables and ontology at [`create`](ReferenceWriter::create),
/// then each matrix ([`matrix`](ReferenceWriter::matrix) + [`add_matrix`](ReferenceWriter::add_matrix)),
/// then [`commit`](ReferenceWriter::commit) writes the manifest and renames the folder into
/// place.
///
/// ```rust
/// use homolog_reference::{
///     sequence_md5, MatrixSpec, OntologyInput, Precision, Protein, Provenance, Reference,
///     ReferenceTables, ReferenceWriter, TermAnnotation, TermInfo, Aspect,
/// };
///
/// let dir = tempfile::tempdir().unwrap();
/// let target = dir.path().join("reference");
/// let seq = "MKTAYIAKQR".to_string();
/// let tables = ReferenceTables {
///     proteins: vec![Protein {
///         accession: "P1".into(),
///         sequence_row: 0,
///         taxonomy_id: Some(9606),
///         organism: None,
///         gene_name: None,
///     }],
///     md5s: vec![sequence_md5(&seq)],
///     sequences: vec![seq],
///     annotations: vec![vec![TermAnnotation {
///         go_id: "GO:0003674".into(),
///         aspect: Some(Aspect::MolecularFunction),
///         evidence: Some("IDA".into()),
///     }]],
///     terms: vec![TermInfo {
///         go_id: "GO:0003674".into(),
///         name: "molecular_function".into(),
///         aspect: Some(Aspect::MolecularFunction),
///     }],
///     taxonomy: None,
/// };
/// let obo = "[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n";
/// let mut writer = ReferenceWriter::create(&target, &tables, OntologyInput::Text(obo)).unwrap();
/// let mut m = writer
///     .matrix(MatrixSpec {
///         model: "prot_t5".into(),
///         backend: "t5-encoder".into(),
///         embedding_type_id: 3,
///         layer: 0,
///         precision: Precision::F16,
///         dim: 2,
///     })
///     .unwrap();
/// m.write_row(0, &[0.5, -1.0]).unwrap();
/// writer.add_matrix(m).unwrap();
/// let manifest = writer.commit(Provenance::new("imported")).unwrap();
/// assert_eq!(manifest.counts.proteins, 1);
///
/// let reference = Reference::open(&target).unwrap();
/// assert_eq!(reference.matrix("prot_t5", 0).unwrap().row(0), &[0.5, -1.0]);
/// ```
pub struct ReferenceWriter {
    target: PathBuf,
    tmp: tempfile::TempDir,
    counts: Counts,
    has_taxonomy: bool,
    matrices: Vec<MatrixEntry>,
}

impl std::fmt::Debug for ReferenceWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceWriter")
            .field("target", &self.target)
            .field("counts", &self.counts)
            .finish()
    }
}

impl ReferenceWriter {
    /// Validates `tables` ([`ReferenceTables::validate`]) and writes them and the ontology copy
    /// into a temporary sibling of `target`. `target` may be absent, an existing reference
    /// (replaced at commit) or an empty folder; anything else is refused.
    pub fn create(
        target: &Path,
        tables: &ReferenceTables,
        ontology: OntologyInput<'_>,
    ) -> Result<ReferenceWriter, ReferenceError> {
        tables.validate()?;
        place::check_replaceable(target, &target.join(".downloads"))?;
        let tmp = place::temp_sibling(target)?;
        let dir = tmp.path();
        tables::write_proteins(&dir.join(PROTEINS_FILE), &tables.proteins)?;
        tables::write_sequences(&dir.join(SEQUENCES_FILE), &tables.sequences, &tables.md5s)?;
        tables::write_annotations(
            &dir.join(ANNOTATIONS_FILE),
            &tables.proteins,
            &tables.annotations,
        )?;
        tables::write_terms(&dir.join(TERMS_FILE), &tables.terms)?;
        if let Some(taxa) = &tables.taxonomy {
            tables::write_taxonomy(&dir.join(TAXONOMY_FILE), taxa)?;
        }
        let obo = dir.join(ONTOLOGY_FILE);
        match ontology {
            OntologyInput::Text(text) => {
                std::fs::write(&obo, text).map_err(|e| ReferenceError::io("writing", &obo, e))?
            }
            OntologyInput::File(src) => read_decompressed_into(src, &obo)?,
        }
        Ok(ReferenceWriter {
            target: target.to_path_buf(),
            tmp,
            counts: Counts {
                proteins: tables.proteins.len() as u64,
                sequences: tables.sequences.len() as u64,
                annotations: tables.annotation_count(),
                terms: tables.terms.len() as u64,
                taxa: tables.taxonomy.as_ref().map_or(0, |t| t.len() as u64),
            },
            has_taxonomy: tables.taxonomy.is_some(),
            matrices: Vec::new(),
        })
    }

    /// Starts the matrix of `spec` (one row per sequence). Errors for a (model, layer) already
    /// added, a zero dimension or a model name that is not a plain file name.
    pub fn matrix(&self, spec: MatrixSpec) -> Result<MatrixRows, ReferenceError> {
        let m = &spec.model;
        if m.is_empty() || m.starts_with('.') || m.contains(['/', '\\']) {
            return Err(ReferenceError::Invalid(format!(
                "matrix model name {m:?} cannot name a folder: use a non-empty name without `/` \
                 or `\\` that does not start with `.`"
            )));
        }
        if spec.dim == 0 {
            return Err(ReferenceError::Invalid(format!(
                "matrix {m} layer {} has dimension 0",
                spec.layer
            )));
        }
        if self
            .matrices
            .iter()
            .any(|e| e.model == *m && e.layer == spec.layer)
        {
            return Err(ReferenceError::Invalid(format!(
                "matrix {m} layer {} is given twice",
                spec.layer
            )));
        }
        let rows = self.counts.sequences;
        let writer = MatrixWriter::create(
            &self.tmp.path().join(spec.file()),
            rows as usize,
            spec.dim,
            spec.precision,
        )?;
        Ok(MatrixRows { spec, rows, writer })
    }

    /// Finishes a matrix (every row must have been written) and records it for the manifest,
    /// in the order added.
    pub fn add_matrix(&mut self, rows: MatrixRows) -> Result<&MatrixEntry, ReferenceError> {
        let missing = rows.writer.missing_rows();
        if !missing.is_empty() {
            return Err(ReferenceError::Invalid(format!(
                "matrix {} layer {}: {} of {} sequence rows have no vector (first: {:?})",
                rows.spec.model,
                rows.spec.layer,
                missing.len(),
                rows.rows,
                &missing[..missing.len().min(5)]
            )));
        }
        let xxh3 = rows.writer.finish()?;
        let s = rows.spec;
        self.matrices.push(MatrixEntry {
            file: s.file(),
            model: s.model,
            backend: s.backend,
            embedding_type_id: s.embedding_type_id,
            layer: s.layer,
            dtype: s.precision.as_str().to_string(),
            rows: rows.rows,
            dim: s.dim as u64,
            xxh3,
        });
        Ok(self.matrices.last().expect("just pushed"))
    }

    /// Writes `manifest.json` and renames the folder over the target (an existing reference
    /// there is replaced; its `.downloads` cache is kept). Returns the manifest.
    pub fn commit(self, provenance: Provenance) -> Result<Manifest, ReferenceError> {
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            homolog_version: provenance.homolog_version,
            created: provenance.created,
            inputs_fingerprint: provenance.inputs_fingerprint,
            sources: provenance.sources,
            counts: self.counts,
            evidence_codes: provenance.evidence_codes,
            unfiltered_annotation_sources: provenance.unfiltered_annotation_sources,
            matrices: self.matrices,
            has_taxonomy: self.has_taxonomy,
            dropped: provenance.dropped,
        };
        manifest.write(&self.tmp.path().join(MANIFEST_FILE))?;
        let tmp_path = self.tmp.keep();
        if let Err(e) =
            place::swap_into_place(&tmp_path, &self.target, &self.target.join(".downloads"))
        {
            let _ = std::fs::remove_dir_all(&tmp_path);
            return Err(e);
        }
        Ok(manifest)
    }
}

/// Writes a complete reference folder in one call: `matrices` are (spec, row-major values with
/// `sequences x dim` entries). See [`ReferenceWriter`] for the streaming form.
pub fn write_reference(
    target: &Path,
    tables: &ReferenceTables,
    ontology: OntologyInput<'_>,
    matrices: &[(MatrixSpec, &[f32])],
    provenance: Provenance,
) -> Result<Manifest, ReferenceError> {
    let mut w = ReferenceWriter::create(target, tables, ontology)?;
    for (spec, values) in matrices {
        let n = tables.sequences.len() * spec.dim;
        if values.len() != n {
            return Err(ReferenceError::Invalid(format!(
                "matrix {} layer {} has {} values, expected {} sequences x {} = {n}",
                spec.model,
                spec.layer,
                values.len(),
                tables.sequences.len(),
                spec.dim
            )));
        }
        let mut rows = w.matrix(spec.clone())?;
        for (row, v) in values.chunks_exact(spec.dim.max(1)).enumerate() {
            rows.write_row(row, v)?;
        }
        w.add_matrix(rows)?;
    }
    w.commit(provenance)
}
