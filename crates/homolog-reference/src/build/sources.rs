//! The build's inputs: every source fetched to a local file, and the fingerprint over them.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{ModelInput, Progress};
use crate::error::ReferenceError;
use crate::fetch::{fetch_with, FetchOptions, Fetched};
use crate::manifest::{SourceEntry, FORMAT_VERSION};
use crate::spec::{BuildSpec, Source};

/// Every source resolved to a local file, by role.
pub(super) struct Sources {
    pub(super) sequences: Vec<(Source, Fetched)>,
    pub(super) annotations: Vec<(Source, Fetched)>,
    pub(super) ontology: (Source, Fetched),
    pub(super) taxonomy_nodes: Option<(Source, Fetched)>,
    pub(super) taxonomy_names: Option<(Source, Fetched)>,
    pub(super) embeddings: Vec<(Source, Fetched)>,
}

impl Sources {
    pub(super) fn entries(&self, spec: &BuildSpec) -> Vec<SourceEntry> {
        let e = |role: String, (s, f): &(Source, Fetched)| SourceEntry {
            role,
            location: s.location.clone(),
            sha256: f.sha256.clone(),
            size: f.size,
        };
        let mut out = Vec::new();
        out.extend(self.sequences.iter().map(|x| e("sequences".into(), x)));
        out.extend(self.annotations.iter().map(|x| e("annotations".into(), x)));
        out.push(e("ontology".into(), &self.ontology));
        out.extend(
            self.taxonomy_nodes
                .iter()
                .map(|x| e("taxonomy_nodes".into(), x)),
        );
        out.extend(
            self.taxonomy_names
                .iter()
                .map(|x| e("taxonomy_names".into(), x)),
        );
        out.extend(
            self.embeddings
                .iter()
                .zip(&spec.embeddings)
                .map(|(x, p)| e(format!("embeddings:{}:{}", p.model, p.layer), x)),
        );
        out
    }
}

/// Resolves every source of the spec (downloads happen here) and hashes it.
pub(super) fn fetch_all(
    spec: &BuildSpec,
    cache: &Path,
    progress: Progress<'_>,
) -> Result<Sources, ReferenceError> {
    let total = (spec.sequences.len()
        + spec.annotations.len()
        + 1
        + spec
            .taxonomy
            .as_ref()
            .map_or(0, |t| 1 + t.names.is_some() as usize)
        + spec.embeddings.len()) as u64;
    let mut done = 0u64;
    let opts = FetchOptions::default();
    let mut one = |s: &Source| -> Result<(Source, Fetched), ReferenceError> {
        let f = fetch_with(&s.location, cache, s.sha256.as_deref(), &opts)?;
        done += 1;
        progress("fetch", done, total);
        Ok((s.clone(), f))
    };
    Ok(Sources {
        sequences: spec
            .sequences
            .iter()
            .map(&mut one)
            .collect::<Result<_, _>>()?,
        annotations: spec
            .annotations
            .iter()
            .map(&mut one)
            .collect::<Result<_, _>>()?,
        ontology: one(&spec.ontology)?,
        taxonomy_nodes: spec.taxonomy.as_ref().map(|t| one(&t.nodes)).transpose()?,
        taxonomy_names: spec
            .taxonomy
            .as_ref()
            .and_then(|t| t.names.as_ref())
            .map(&mut one)
            .transpose()?,
        embeddings: spec
            .embeddings
            .iter()
            .map(|p| one(&p.source))
            .collect::<Result<_, _>>()?,
    })
}

/// SHA-256 over everything that determines the folder's content.
pub(super) fn fingerprint(
    spec: &BuildSpec,
    sources: &Sources,
    models: &[ModelInput<'_>],
) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    put(&format!("format {FORMAT_VERSION}"));
    for e in sources.entries(spec) {
        put(&e.role);
        put(&e.sha256);
    }
    put(&spec.evidence_codes.to_list().join(","));
    put(spec.precision.as_str());
    for p in &spec.embeddings {
        put(&format!(
            "{:?}",
            (&p.model, p.layer, &p.backend, p.embedding_type_id)
        ));
    }
    for (name, settings, embedder) in models {
        // Debug of the settings covers every knob (k, dim, seed, truncation, ...); a change of
        // batch size also rebuilds, which is harmless.
        put(&format!(
            "{name} {} {} {settings:?}",
            embedder.name(),
            embedder.dim()
        ));
    }
    hex::encode(h.finalize())
}
