//! `initialize`: build (or reuse) the local reference folder.

use std::fmt;

use homolog_config::Config;
use homolog_embed::registry;
use homolog_reference::Manifest;

use crate::embed::effective_settings;
use crate::progress::CallbackBridge;
use crate::{PipelineError, Progress};

/// What `initialize` did.
#[derive(Debug)]
pub struct InitReport {
    pub path: std::path::PathBuf,
    pub reused: bool,
    pub manifest: Manifest,
}

impl fmt::Display for InitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.manifest.counts;
        writeln!(
            f,
            "reference {} ({}): {} proteins, {} unique sequences, {} annotations, {} GO terms",
            self.path.display(),
            if self.reused {
                "unchanged inputs, reused"
            } else {
                "built"
            },
            c.proteins,
            c.sequences,
            c.annotations,
            c.terms
        )?;
        for m in &self.manifest.matrices {
            writeln!(
                f,
                "  matrix {} layer {}: {} x {} {}",
                m.model, m.layer, m.rows, m.dim, m.dtype
            )?;
        }
        Ok(())
    }
}

/// Builds the reference folder `config.reference.path` with the enabled models.
///
/// With `force`, an existing folder is rebuilt even when its inputs are unchanged.
pub fn initialize(
    config: &Config,
    force: bool,
    progress: &dyn Progress,
) -> Result<InitReport, PipelineError> {
    if crate::reference_store::is_store(&config.reference.path) {
        // Built locally, then pushed to the PostgreSQL store (reference_store.rs).
        return crate::reference_store::initialize(config, force, progress);
    }
    let spec = &config.reference;
    if spec.sequences.is_empty() {
        return Err(PipelineError::Invalid(
            "reference.sequences is empty: list the FASTA or UniProt .dat files to build the reference from"
                .into(),
        ));
    }
    let settings: Vec<(String, homolog_embed::ModelSettings)> = config
        .enabled_models()
        .map(|(name, s)| (name.clone(), effective_settings(config, s)))
        .collect();
    let mut embedders = Vec::new();
    for (name, s) in &settings {
        embedders.push(registry::build(name, s)?);
    }
    let models: Vec<homolog_reference::ModelInput<'_>> = settings
        .iter()
        .zip(&embedders)
        .map(|((name, s), e)| (name.clone(), s, e.as_ref()))
        .collect();
    if force && spec.path.exists() {
        tracing::info!("--force: rebuilding {}", spec.path.display());
        // Without its manifest the folder matches no inputs, so the build below replaces it.
        let manifest = spec.path.join("manifest.json");
        if manifest.exists() {
            std::fs::remove_file(&manifest).map_err(PipelineError::io(&manifest))?;
        }
    }
    let bridge = CallbackBridge::new(progress);
    let built =
        homolog_reference::build_detailed(spec, &spec.path, &models, &|stage, done, total| {
            bridge.report(stage, done, total)
        })?;
    Ok(InitReport {
        path: spec.path.clone(),
        reused: built.reused,
        manifest: built.manifest,
    })
}
