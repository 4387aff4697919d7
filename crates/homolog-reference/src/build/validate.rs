//! Checks of the spec and the models before anything is fetched or written.

use std::collections::HashSet;

use super::ModelInput;
use crate::error::ReferenceError;
use crate::spec::BuildSpec;

/// Rejects a spec without sequences or ontology, and model names that cannot name a folder or
/// that give a (model, layer) matrix twice.
pub(super) fn validate(spec: &BuildSpec, models: &[ModelInput<'_>]) -> Result<(), ReferenceError> {
    if spec.sequences.is_empty() {
        return Err(ReferenceError::Invalid(
            "reference.sequences is empty: give at least one FASTA or UniProt .dat file".into(),
        ));
    }
    if spec.ontology.location.trim().is_empty() {
        return Err(ReferenceError::Invalid(
            "reference.ontology is not set: give the GO ontology (OBO file or URL), e.g. go-basic.obo"
                .into(),
        ));
    }
    let mut seen = HashSet::new();
    let mut check = |model: &str, layer: usize, what: &str| -> Result<(), ReferenceError> {
        if model.is_empty()
            || model.starts_with('.')
            || !model
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(ReferenceError::Invalid(format!(
                "{what}: model name {model:?} must be letters, digits, '-', '_' or '.' (it names \
                 a folder of the reference)"
            )));
        }
        if !seen.insert((model.to_string(), layer)) {
            return Err(ReferenceError::Invalid(format!(
                "{what}: model `{model}` layer {layer} is given twice (precomputed embeddings and \
                 enabled models must not overlap)"
            )));
        }
        Ok(())
    };
    for p in &spec.embeddings {
        check(&p.model, p.layer, "reference.embeddings")?;
    }
    for (name, settings, _) in models {
        for &layer in &settings.layers {
            check(name, layer, "embedding.models")?;
        }
    }
    Ok(())
}
