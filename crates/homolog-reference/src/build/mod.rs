//! `initialize`: build a reference folder from sequence, annotation, ontology, taxonomy and
//! embedding sources.
//!
//! The build writes everything into a hidden temporary folder next to the target and renames it
//! into place only at the end, so a failed or interrupted build leaves no half folder, and a
//! reader never sees a mix of old and new files. A folder whose manifest records the same input
//! fingerprint is reused as is.

mod annotations;
mod embed;
mod folder;
mod inputs;
pub(crate) mod place;
mod proteins;
mod sources;
mod validate;

use std::fs;
use std::path::Path;

use homolog_embed::{Embedder, ModelSettings};
use homolog_go::Ontology;

pub(crate) use folder::copy_decompressed as read_decompressed_into;
pub use inputs::accession_of_id;

use crate::error::ReferenceError;
use crate::manifest::*;
use crate::spec::BuildSpec;
use annotations::collect_annotations;
use proteins::ProteinTable;
use sources::Sources;

/// A model to embed the reference with: (model name as in the config, its settings, the
/// loaded embedder). Every unique sequence is embedded at each of `settings.layers`.
pub type ModelInput<'a> = (String, &'a ModelSettings, &'a dyn Embedder);

/// Progress callback: (stage, done, total).
pub type Progress<'a> = &'a dyn Fn(&str, u64, u64);

/// What [`build_detailed`] did.
#[derive(Debug, Clone)]
pub struct Built {
    pub manifest: Manifest,
    /// True when an existing folder with the same inputs was kept instead of rebuilt.
    pub reused: bool,
}

/// Build (or reuse) the reference at `out_dir`; see the crate docs. `out_dir` is normally
/// `spec.path` resolved by the caller (e.g. relative to the config file).
pub fn build(
    spec: &BuildSpec,
    out_dir: &Path,
    models: &[ModelInput<'_>],
    progress: Progress<'_>,
) -> Result<Manifest, ReferenceError> {
    build_detailed(spec, out_dir, models, progress).map(|b| b.manifest)
}

/// [`build`], also saying whether the existing folder was reused.
pub fn build_detailed(
    spec: &BuildSpec,
    out_dir: &Path,
    models: &[ModelInput<'_>],
    progress: Progress<'_>,
) -> Result<Built, ReferenceError> {
    validate::validate(spec, models)?;
    let cache_dir = spec
        .cache_dir
        .clone()
        .unwrap_or_else(|| out_dir.join(".downloads"));

    // 1. Resolve every source (downloads happen here) and hash it.
    let sources = sources::fetch_all(spec, &cache_dir, progress)?;
    let fingerprint = sources::fingerprint(spec, &sources, models);

    // 2. Reuse a complete folder built from the same inputs.
    if let Some(manifest) = place::reusable_manifest(out_dir, &cache_dir, &fingerprint)? {
        return Ok(Built {
            manifest,
            reused: true,
        });
    }

    // 3. Build into a temporary sibling folder.
    let tmp = place::temp_sibling(out_dir)?;
    let manifest = write_folder(spec, &sources, fingerprint, models, tmp.path(), progress)?;

    // 4. Swap it into place.
    let tmp_path = tmp.keep();
    if let Err(e) = place::swap_into_place(&tmp_path, out_dir, &cache_dir) {
        let _ = fs::remove_dir_all(&tmp_path);
        return Err(e);
    }
    tracing::info!(
        "reference written to {}: {} proteins, {} sequences, {} annotations, {} terms, {} matrices",
        out_dir.display(),
        manifest.counts.proteins,
        manifest.counts.sequences,
        manifest.counts.annotations,
        manifest.counts.terms,
        manifest.matrices.len()
    );
    Ok(Built {
        manifest,
        reused: false,
    })
}

/// Reads the inputs, writes the tables, matrices and manifest into `dir`, and returns the
/// manifest.
fn write_folder(
    spec: &BuildSpec,
    sources: &Sources,
    fingerprint: String,
    models: &[ModelInput<'_>],
    dir: &Path,
    progress: Progress<'_>,
) -> Result<Manifest, ReferenceError> {
    let mut dropped = Dropped::default();

    // Ontology first: annotations are mapped through it.
    progress("read ontology", 0, 1);
    let ontology = Ontology::from_path(&sources.ontology.1.path)?;
    progress("read ontology", 1, 1);

    let (mut records, skipped_records) =
        inputs::read_sequence_sources(&sources.sequences, progress)?;
    let mut index = collect_annotations(
        spec,
        sources,
        &ontology,
        &mut records,
        &mut dropped,
        progress,
    )?;
    let table = ProteinTable::new(records, &mut index, &mut dropped);
    log_dropped(&dropped, skipped_records);
    if table.proteins.is_empty() {
        return Err(ReferenceError::Invalid(format!(
            "no reference protein is left: none of the sequences has an annotation passing the \
             evidence filter {:?} (dropped: {dropped:?}); check that annotation accessions match \
             the sequence ids, or relax reference.evidence_codes",
            spec.evidence_codes.to_list()
        )));
    }

    progress("write tables", 0, 1);
    let written = folder::write_tables(dir, &table, &ontology, sources)?;
    progress("write tables", 1, 1);

    let matrices = embed::write_matrices(spec, sources, models, &table, dir, progress)?;

    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        homolog_version: env!("CARGO_PKG_VERSION").to_string(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        inputs_fingerprint: fingerprint,
        sources: sources.entries(spec),
        counts: Counts {
            proteins: table.proteins.len() as u64,
            sequences: table.sequences.len() as u64,
            annotations: table.annotation_count(),
            terms: written.terms,
            taxa: written.taxa.unwrap_or(0),
        },
        evidence_codes: spec.evidence_codes.to_list(),
        unfiltered_annotation_sources: index.unfiltered,
        matrices,
        has_taxonomy: written.taxa.is_some(),
        dropped,
    };
    manifest.write(&dir.join(MANIFEST_FILE))?;
    Ok(manifest)
}

fn log_dropped(d: &Dropped, skipped_records: u64) {
    let items = [
        (
            d.annotations_by_evidence,
            "annotations with an evidence code outside the filter",
        ),
        (
            d.annotations_without_evidence,
            "annotations without an evidence code (in sources that have codes)",
        ),
        (
            d.annotations_unknown_term,
            "annotations with a GO id not in the ontology",
        ),
        (
            d.annotations_obsolete_term,
            "annotations with an obsolete GO id",
        ),
        (d.annotations_duplicate, "duplicate annotations"),
        (
            d.annotations_without_sequence,
            "annotations of accessions without a sequence",
        ),
        (
            d.duplicate_accessions,
            "sequence records repeating an accession (first kept)",
        ),
        (
            d.proteins_without_annotation,
            "proteins without an annotation left",
        ),
        (
            skipped_records,
            "unreadable sequence records (empty, duplicate id or invalid residues)",
        ),
    ];
    for (n, what) in items {
        if n > 0 {
            tracing::warn!("dropped {n} {what}");
        }
    }
    if d.annotations_alt_id_mapped > 0 {
        tracing::info!(
            "mapped {} annotations from alt_id to primary GO id",
            d.annotations_alt_id_mapped
        );
    }
}
