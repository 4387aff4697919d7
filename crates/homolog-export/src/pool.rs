//! The reference pool the neighbours come from: one embedding row per distinct sequence, the
//! proteins of each row, and their GO annotations split by aspect.
//!
//! [`ReferencePool::from_reference`] reads a `homolog initialize` folder; [`PoolBuilder`]
//! builds a small pool in code (tests, examples).

use std::collections::HashMap;

use homolog_go::Aspect;
use homolog_reference::{EmbeddingMatrix, Reference};

use crate::releases::aspect_index;
use crate::ExportError;

/// One annotation of a reference protein.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolAnnotation {
    /// Index into [`ReferencePool::term_id`].
    pub term: u32,
    /// Evidence code, when the source had one.
    pub evidence: Option<String>,
}

/// One reference protein.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolProtein {
    /// Accession.
    pub accession: String,
    /// Its embedding / sequence row.
    pub row: u32,
    /// NCBI taxid, when known.
    pub taxid: Option<i64>,
    /// Annotations per aspect (P, F, C), in the reference's order; a term annotated under two
    /// evidence codes appears twice (two votes, as in PROTEA).
    pub annotations: [Vec<PoolAnnotation>; 3],
}

enum Matrix {
    Mapped(EmbeddingMatrix),
    Owned(Vec<f32>),
}

/// The neighbour pool of an export.
pub struct ReferencePool {
    dim: usize,
    matrix: Matrix,
    sequences: Vec<String>,
    row_proteins: Vec<Vec<u32>>,
    proteins: Vec<PoolProtein>,
    by_accession: HashMap<String, u32>,
    term_ids: Vec<String>,
    term_frequency: Vec<u32>,
    /// Per aspect, per row: whether the row has a protein annotated in that aspect.
    aspect_rows: [Vec<bool>; 3],
}

impl std::fmt::Debug for ReferencePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferencePool")
            .field("rows", &self.rows())
            .field("dim", &self.dim)
            .field("proteins", &self.proteins.len())
            .field("terms", &self.term_ids.len())
            .finish()
    }
}

/// A protein given to [`PoolBuilder`]: accession, taxid, annotations (GO id, aspect, evidence).
type BuilderProtein = (String, Option<i64>, Vec<(String, Aspect, Option<String>)>);

/// Builds a [`ReferencePool`] in code: one row per protein.
#[derive(Debug, Default)]
pub struct PoolBuilder {
    dim: usize,
    matrix: Vec<f32>,
    sequences: Vec<String>,
    proteins: Vec<BuilderProtein>,
}

impl PoolBuilder {
    /// An empty pool of `dim`-dimensional embeddings.
    pub fn new(dim: usize) -> Self {
        PoolBuilder {
            dim,
            ..Default::default()
        }
    }

    /// Adds a protein with its own row: accession, sequence, embedding, taxid and
    /// annotations `(GO id, aspect, evidence)`.
    pub fn protein(
        mut self,
        accession: &str,
        sequence: &str,
        embedding: &[f32],
        taxid: Option<i64>,
        annotations: &[(&str, Aspect, Option<&str>)],
    ) -> Self {
        self.matrix.extend_from_slice(embedding);
        self.sequences.push(sequence.to_string());
        self.proteins.push((
            accession.to_string(),
            taxid,
            annotations
                .iter()
                .map(|(g, a, e)| (g.to_string(), *a, e.map(str::to_string)))
                .collect(),
        ));
        self
    }

    /// The pool; an embedding of the wrong length is an error.
    pub fn build(self) -> Result<ReferencePool, ExportError> {
        if self.dim == 0 || self.matrix.len() != self.sequences.len() * self.dim {
            return Err(ExportError::Invalid(format!(
                "pool builder: {} values for {} proteins of dimension {}",
                self.matrix.len(),
                self.sequences.len(),
                self.dim
            )));
        }
        let mut terms = Terms::default();
        let proteins = self
            .proteins
            .into_iter()
            .enumerate()
            .map(|(i, (accession, taxid, anns))| {
                let mut annotations: [Vec<PoolAnnotation>; 3] = Default::default();
                for (go, aspect, evidence) in anns {
                    annotations[aspect_index(aspect)].push(PoolAnnotation {
                        term: terms.intern(&go),
                        evidence,
                    });
                }
                PoolProtein {
                    accession,
                    row: i as u32,
                    taxid,
                    annotations,
                }
            })
            .collect();
        let row_proteins = (0..self.sequences.len() as u32).map(|i| vec![i]).collect();
        Ok(ReferencePool::assemble(
            self.dim,
            Matrix::Owned(self.matrix),
            self.sequences,
            row_proteins,
            proteins,
            terms.ids,
        ))
    }
}

#[derive(Default)]
struct Terms {
    ids: Vec<String>,
    index: HashMap<String, u32>,
}

impl Terms {
    fn intern(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.push(id.to_string());
        self.index.insert(id.to_string(), i);
        i
    }
}

impl ReferencePool {
    /// The pool of a reference folder with the matrix of (`model`, `layer`). Annotations
    /// without a GO aspect are left out (they are not in PROTEA's per-aspect maps either).
    pub fn from_reference(
        reference: &Reference,
        model: &str,
        layer: usize,
    ) -> Result<ReferencePool, ExportError> {
        if reference.matrix_info(model, layer).is_none() {
            let have: Vec<String> = reference
                .matrices()
                .iter()
                .map(|(m, l)| format!("{m} layer {l}"))
                .collect();
            return Err(ExportError::Invalid(format!(
                "the reference {} has no embeddings for model {model} layer {layer} (it has: {}); \
                 set `model`/`layer` in the export config to one of those, or add the model to the \
                 reference and re-run `homolog initialize`",
                reference.dir().display(),
                if have.is_empty() {
                    "none".into()
                } else {
                    have.join(", ")
                }
            )));
        }
        let matrix = reference.matrix(model, layer)?;
        let dim = matrix.dim();
        let rows = reference.n_sequences();
        if matrix.rows() != rows {
            return Err(ExportError::Invalid(format!(
                "{}: the {model} layer {layer} matrix has {} rows for {rows} sequences; rebuild the reference",
                reference.dir().display(),
                matrix.rows()
            )));
        }
        let mut terms = Terms::default();
        let mut proteins = Vec::with_capacity(reference.n_proteins());
        for (i, p) in reference.proteins().iter().enumerate() {
            let mut annotations: [Vec<PoolAnnotation>; 3] = Default::default();
            for a in reference.annotations_of_protein(i) {
                if let Some(aspect) = a.aspect {
                    annotations[aspect_index(aspect)].push(PoolAnnotation {
                        term: terms.intern(&a.go_id),
                        evidence: a.evidence.clone(),
                    });
                }
            }
            proteins.push(PoolProtein {
                accession: p.accession.clone(),
                row: p.sequence_row,
                taxid: p.taxonomy_id.map(i64::from),
                annotations,
            });
        }
        let sequences = (0..rows)
            .map(|r| reference.sequence(r).to_string())
            .collect();
        let row_proteins = (0..rows)
            .map(|r| reference.proteins_of_sequence(r).to_vec())
            .collect();
        Ok(ReferencePool::assemble(
            dim,
            Matrix::Mapped(matrix),
            sequences,
            row_proteins,
            proteins,
            terms.ids,
        ))
    }

    fn assemble(
        dim: usize,
        matrix: Matrix,
        sequences: Vec<String>,
        mut row_proteins: Vec<Vec<u32>>,
        proteins: Vec<PoolProtein>,
        term_ids: Vec<String>,
    ) -> ReferencePool {
        let mut term_frequency = vec![0u32; term_ids.len()];
        for p in &proteins {
            for a in p.annotations.iter().flatten() {
                term_frequency[a.term as usize] += 1;
            }
        }
        // Ascending protein index within a row: a fixed order for ties at equal distance.
        for r in &mut row_proteins {
            r.sort_unstable();
        }
        let aspect_rows = std::array::from_fn(|a| {
            row_proteins
                .iter()
                .map(|ps| {
                    ps.iter()
                        .any(|&p| !proteins[p as usize].annotations[a].is_empty())
                })
                .collect()
        });
        let by_accession = proteins
            .iter()
            .enumerate()
            .map(|(i, p)| (p.accession.clone(), i as u32))
            .collect();
        ReferencePool {
            dim,
            matrix,
            sequences,
            row_proteins,
            proteins,
            by_accession,
            term_ids,
            term_frequency,
            aspect_rows,
        }
    }

    /// Embedding dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Rows (distinct sequences).
    pub fn rows(&self) -> usize {
        self.sequences.len()
    }
    /// The row-major `rows × dim` matrix.
    pub fn matrix(&self) -> &[f32] {
        match &self.matrix {
            Matrix::Mapped(m) => m.as_slice(),
            Matrix::Owned(v) => v,
        }
    }
    /// The sequence of a row.
    pub fn sequence(&self, row: u32) -> &str {
        &self.sequences[row as usize]
    }
    /// Proteins of a row, ascending.
    pub fn row_proteins(&self, row: u32) -> &[u32] {
        &self.row_proteins[row as usize]
    }
    /// A protein.
    pub fn protein(&self, p: u32) -> &PoolProtein {
        &self.proteins[p as usize]
    }
    /// All proteins.
    pub fn proteins(&self) -> &[PoolProtein] {
        &self.proteins
    }
    /// The protein with this accession.
    pub fn protein_index(&self, accession: &str) -> Option<u32> {
        self.by_accession.get(accession).copied()
    }
    /// The GO id of a pool term.
    pub fn term_id(&self, term: u32) -> &str {
        &self.term_ids[term as usize]
    }
    /// Number of distinct terms.
    pub fn n_terms(&self) -> usize {
        self.term_ids.len()
    }
    /// PROTEA's `go_term_frequency`: annotations of the term over the whole pool.
    pub fn term_frequency(&self, term: u32) -> u32 {
        self.term_frequency[term as usize]
    }
    /// PROTEA's `ref_annotation_density`: the protein's annotations in all three aspects.
    pub fn annotation_density(&self, p: u32) -> usize {
        self.proteins[p as usize]
            .annotations
            .iter()
            .map(Vec::len)
            .sum()
    }
    /// Per row: whether it holds a protein annotated in aspect `a` (0 = P, 1 = F, 2 = C).
    pub fn aspect_rows(&self, a: usize) -> &[bool] {
        &self.aspect_rows[a]
    }
}
