//! The embedding matrices: precomputed vectors copied in, or sequences embedded by a model.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use homolog_embed::{Embedder, ModelSettings};

use super::inputs::accession_of_id;
use super::proteins::ProteinTable;
use super::sources::Sources;
use super::{ModelInput, Progress};
use crate::error::ReferenceError;
use crate::manifest::MatrixEntry;
use crate::matrix::MatrixWriter;
use crate::spec::{BuildSpec, Precision, PrecomputedSource};
use crate::tables::Protein;

/// Writes a matrix per precomputed source, then per (model, layer), in that order.
pub(super) fn write_matrices(
    spec: &BuildSpec,
    sources: &Sources,
    models: &[ModelInput<'_>],
    table: &ProteinTable,
    dir: &Path,
    progress: Progress<'_>,
) -> Result<Vec<MatrixEntry>, ReferenceError> {
    let mut matrices = Vec::new();
    for (p, (_, f)) in spec.embeddings.iter().zip(&sources.embeddings) {
        matrices.push(load_precomputed(
            p,
            &f.path,
            &table.proteins,
            &table.sequences,
            spec.precision,
            dir,
            progress,
        )?);
    }
    for (name, settings, embedder) in models {
        matrices.extend(embed_all(
            name,
            settings,
            *embedder,
            &table.sequences,
            spec.precision,
            dir,
            progress,
        )?);
    }
    Ok(matrices)
}

/// `matrices/<model>/layer_<k>.<f32|f16>`, relative to the folder.
fn matrix_file(model: &str, layer: usize, precision: Precision) -> String {
    format!("matrices/{model}/layer_{layer}.{}", precision.as_str())
}

/// One `(id, vector)` record of a per-protein HDF5 file.
type ProteinVector = Result<(String, Vec<f32>), homolog_embed::EmbedError>;

/// The `(id, vector)` records of a per-protein HDF5 file.
#[cfg(feature = "hdf5")]
fn per_protein_vectors(h5: &Path) -> Result<impl Iterator<Item = ProteinVector>, ReferenceError> {
    Ok(homolog_embed::h5::read_per_protein(h5)?)
}

/// Without HDF5 support precomputed embeddings are a configuration error.
#[cfg(not(feature = "hdf5"))]
fn per_protein_vectors(h5: &Path) -> Result<std::iter::Empty<ProteinVector>, ReferenceError> {
    Err(ReferenceError::Invalid(format!(
        "{}: precomputed embeddings are HDF5 files, and this build of homolog-reference has no \
         HDF5 support; build it with the `hdf5` feature (the homolog binary has it)",
        h5.display()
    )))
}

/// Copies one precomputed per-protein HDF5 file into a matrix, one row per unique sequence.
fn load_precomputed(
    p: &PrecomputedSource,
    h5: &Path,
    proteins: &[Protein],
    sequences: &[String],
    precision: Precision,
    dir: &Path,
    progress: Progress<'_>,
) -> Result<MatrixEntry, ReferenceError> {
    let stage = format!("load {} layer {}", p.model, p.layer);
    let backend = p.backend.clone().unwrap_or_else(|| p.model.clone());
    let type_id = match p.embedding_type_id {
        Some(t) => t,
        None => homolog_embed::registry::default_type_id(&backend).map_err(|e| {
            ReferenceError::Invalid(format!(
                "reference.embeddings for `{}`: {e}; set embedding_type_id or a known backend",
                p.model
            ))
        })?,
    };
    let row_of: HashMap<&str, u32> = proteins
        .iter()
        .map(|p| (p.accession.as_str(), p.sequence_row))
        .collect();
    let file = matrix_file(&p.model, p.layer, precision);
    let path = dir.join(&file);
    let total = sequences.len() as u64;
    let mut writer: Option<MatrixWriter> = None;
    let (mut filled, mut unknown) = (0u64, 0u64);
    for item in per_protein_vectors(h5)? {
        let (id, vector) = item?;
        let row = row_of
            .get(id.as_str())
            .or_else(|| row_of.get(accession_of_id(&id)))
            .copied();
        let Some(row) = row else {
            unknown += 1;
            continue;
        };
        let w = match &mut writer {
            Some(w) => w,
            None => writer.insert(MatrixWriter::create(
                &path,
                sequences.len(),
                vector.len(),
                precision,
            )?),
        };
        if w.is_filled(row as usize) {
            continue; // another accession with the same sequence already gave this row
        }
        w.write_row(row as usize, &vector, &format!("{id} in {}", h5.display()))?;
        filled += 1;
        if filled % 1024 == 0 || filled == total {
            progress(&stage, filled, total);
        }
    }
    if unknown > 0 {
        tracing::info!(
            "{}: {unknown} vectors for accessions not in the reference were ignored",
            h5.display()
        );
    }
    let missing: Vec<usize> = match &writer {
        Some(w) => w.missing_rows(),
        None => (0..sequences.len()).collect(),
    };
    if !missing.is_empty() {
        let missing_set: HashSet<u32> = missing.iter().map(|&r| r as u32).collect();
        let mut first: Vec<&str> = Vec::new();
        let mut seen = HashSet::new();
        for pr in proteins {
            if missing_set.contains(&pr.sequence_row) && seen.insert(pr.sequence_row) {
                first.push(&pr.accession);
                if first.len() == 5 {
                    break;
                }
            }
        }
        return Err(ReferenceError::MissingEmbeddings {
            model: p.model.clone(),
            layer: p.layer,
            source_file: h5.display().to_string(),
            missing: missing.len(),
            total: sequences.len(),
            first: first.join(", "),
        });
    }
    let w = writer.expect("no missing rows implies a writer");
    let dim = w.dim() as u64;
    let xxh3 = w.finish()?;
    Ok(MatrixEntry {
        model: p.model.clone(),
        backend,
        embedding_type_id: type_id,
        layer: p.layer,
        dtype: precision.as_str().into(),
        rows: sequences.len() as u64,
        dim,
        file,
        xxh3,
    })
}

/// Embeds every unique sequence with one model, one matrix per layer.
fn embed_all(
    name: &str,
    settings: &ModelSettings,
    embedder: &dyn Embedder,
    sequences: &[String],
    precision: Precision,
    dir: &Path,
    progress: Progress<'_>,
) -> Result<Vec<MatrixEntry>, ReferenceError> {
    let backend = settings.backend_name(name).to_string();
    let type_id = settings.type_id(name)?;
    let dim = embedder.dim();
    let mut writers: Vec<(usize, String, MatrixWriter)> = Vec::new();
    for &layer in &settings.layers {
        let file = matrix_file(name, layer, precision);
        let w = MatrixWriter::create(&dir.join(&file), sequences.len(), dim, precision)?;
        writers.push((layer, file, w));
    }
    let items: Vec<(String, &str)> = sequences
        .iter()
        .enumerate()
        .map(|(i, s)| (i.to_string(), s.as_str()))
        .collect();
    let stage = format!("embed {name}");
    let total = sequences.len() as u64;
    // A write error cannot travel through the embedder's error type; keep it here and stop
    // the run with a placeholder that is replaced below.
    let mut failure: Option<ReferenceError> = None;
    progress(&stage, 0, total);
    let result = homolog_embed::embed_sequences(
        embedder,
        &items,
        settings,
        |batch| {
            for e in batch {
                for (layer, v) in e.vectors {
                    if let Some((_, _, w)) = writers.iter_mut().find(|(l, _, _)| *l == layer) {
                        if let Err(err) = w.write_row(
                            e.index,
                            &v,
                            &format!("sequence row {} by model `{name}`", e.index),
                        ) {
                            failure = Some(err);
                            return Err(homolog_embed::EmbedError::Backend {
                                backend: backend.clone(),
                                reason: "stopped: the reference matrix could not be written".into(),
                            });
                        }
                    }
                }
            }
            Ok(())
        },
        |done, total| progress(&stage, done as u64, total as u64),
    );
    if let Some(e) = failure {
        return Err(e);
    }
    let summary = result?;
    if !summary.failed.is_empty() {
        let first: Vec<String> = summary
            .failed
            .iter()
            .take(3)
            .map(|(id, why)| {
                let row: usize = id.parse().unwrap_or(0);
                format!(
                    "sequence row {row} ({}...): {why}",
                    &sequences[row][..sequences[row].len().min(20)]
                )
            })
            .collect();
        return Err(ReferenceError::Invalid(format!(
            "model `{name}` could not embed {} of {} reference sequences, e.g. {}; the build is \
             aborted rather than writing a matrix with holes",
            summary.failed.len(),
            sequences.len(),
            first.join("; ")
        )));
    }
    let mut out = Vec::new();
    for (layer, file, w) in writers {
        let missing = w.missing_rows();
        if !missing.is_empty() {
            return Err(ReferenceError::Invalid(format!(
                "model `{name}` returned no layer-{layer} vector for {} of {} sequences (first row \
                 {}); the build is aborted rather than writing a matrix with holes",
                missing.len(),
                sequences.len(),
                missing[0]
            )));
        }
        let xxh3 = w.finish()?;
        out.push(MatrixEntry {
            model: name.to_string(),
            backend: backend.clone(),
            embedding_type_id: type_id,
            layer,
            dtype: precision.as_str().into(),
            rows: sequences.len() as u64,
            dim: dim as u64,
            file,
            xxh3,
        });
    }
    Ok(out)
}
