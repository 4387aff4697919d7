//! `initialize`: build a reference folder from sequence, annotation, ontology, taxonomy and
//! embedding sources.
//!
//! The build writes everything into a hidden temporary folder next to the target and renames it
//! into place only at the end, so a failed or interrupted build leaves no half folder, and a
//! reader never sees a mix of old and new files. A folder whose manifest records the same input
//! fingerprint is reused as is.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use homolog_embed::{Embedder, ModelSettings};
use homolog_go::annotation::AnnotationFormat;
use homolog_go::Ontology;
use md5::{Digest, Md5};
use sha2::Sha256;

use crate::error::ReferenceError;
use crate::fetch::{fetch_with, FetchOptions, Fetched};
use crate::manifest::*;
use crate::matrix::MatrixWriter;
use crate::spec::{BuildSpec, Precision, Source};
use crate::tables::{self, Protein, TaxonRow, TermAnnotation, TermInfo};

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
    validate(spec, models)?;
    let cache_dir = spec
        .cache_dir
        .clone()
        .unwrap_or_else(|| out_dir.join(".downloads"));

    // 1. Resolve every source (downloads happen here) and hash it.
    let sources = fetch_all(spec, &cache_dir, progress)?;
    let fingerprint = fingerprint(spec, &sources, models);

    // 2. Reuse a complete folder built from the same inputs.
    let manifest_path = out_dir.join(MANIFEST_FILE);
    if manifest_path.is_file() {
        match Manifest::read(&manifest_path) {
            Ok(m) if m.inputs_fingerprint == fingerprint && folder_complete(out_dir, &m) => {
                tracing::info!(
                    "reference at {} is up to date (same inputs); reusing it",
                    out_dir.display()
                );
                return Ok(Built {
                    manifest: m,
                    reused: true,
                });
            }
            Ok(_) => tracing::info!(
                "reference at {} was built from other inputs; rebuilding",
                out_dir.display()
            ),
            Err(e) => tracing::info!(
                "existing reference at {} unusable ({e}); rebuilding",
                out_dir.display()
            ),
        }
    } else if out_dir.exists() && !is_replaceable(out_dir, &cache_dir) {
        return Err(ReferenceError::NotAReference {
            path: out_dir.to_path_buf(),
        });
    } else {
        tracing::info!("building reference at {}", out_dir.display());
    }

    // 3. Build into a temporary sibling folder (removed on any error by TempDir's drop).
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| ReferenceError::io("creating", &parent, e))?;
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "reference".into());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.building-"))
        .tempdir_in(&parent)
        .map_err(|e| ReferenceError::io("creating a temporary folder in", &parent, e))?;

    let manifest = write_folder(spec, &sources, fingerprint, models, tmp.path(), progress)?;

    // 4. Swap it into place.
    let tmp_path = tmp.keep();
    if let Err(e) = swap_into_place(&tmp_path, out_dir, &cache_dir) {
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

fn validate(spec: &BuildSpec, models: &[ModelInput<'_>]) -> Result<(), ReferenceError> {
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
        for layer in layers_of(settings) {
            check(name, layer, "embedding.models")?;
        }
    }
    Ok(())
}

fn layers_of(settings: &ModelSettings) -> Vec<usize> {
    settings.layers.clone()
}

/// Every source resolved to a local file, by role.
struct Sources {
    sequences: Vec<(Source, Fetched)>,
    annotations: Vec<(Source, Fetched)>,
    ontology: (Source, Fetched),
    taxonomy_nodes: Option<(Source, Fetched)>,
    taxonomy_names: Option<(Source, Fetched)>,
    embeddings: Vec<(Source, Fetched)>,
}

impl Sources {
    fn entries(&self, spec: &BuildSpec) -> Vec<SourceEntry> {
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

fn fetch_all(
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
fn fingerprint(spec: &BuildSpec, sources: &Sources, models: &[ModelInput<'_>]) -> String {
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

/// All files the manifest promises exist (sizes and hashes are checked at open).
fn folder_complete(dir: &Path, m: &Manifest) -> bool {
    let mut files = vec![
        PROTEINS_FILE,
        SEQUENCES_FILE,
        ANNOTATIONS_FILE,
        TERMS_FILE,
        ONTOLOGY_FILE,
    ];
    if m.has_taxonomy {
        files.push(TAXONOMY_FILE);
    }
    files.iter().all(|f| dir.join(f).is_file())
        && m.matrices.iter().all(|x| dir.join(&x.file).is_file())
}

/// A target that exists without a manifest may be replaced only if it holds nothing but the
/// download cache (which the default `cache_dir` puts there before the build).
fn is_replaceable(dir: &Path, cache_dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|e| {
        let p = e.path();
        p == cache_dir || e.file_name() == ".downloads"
    })
}

fn swap_into_place(tmp: &Path, out_dir: &Path, cache_dir: &Path) -> Result<(), ReferenceError> {
    if !out_dir.exists() {
        return fs::rename(tmp, out_dir)
            .map_err(|e| ReferenceError::io("renaming into", out_dir, e));
    }
    // Move the old folder aside, the new one in, then carry the download cache over.
    let old = out_dir.with_file_name(format!(
        ".{}.old-{}",
        out_dir.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&old);
    fs::rename(out_dir, &old).map_err(|e| ReferenceError::io("moving aside", out_dir, e))?;
    if let Err(e) = fs::rename(tmp, out_dir) {
        let _ = fs::rename(&old, out_dir);
        return Err(ReferenceError::io("renaming into", out_dir, e));
    }
    let old_cache = old.join(".downloads");
    if cache_dir.starts_with(out_dir) && old_cache.is_dir() {
        let new_cache = out_dir.join(".downloads");
        if let Err(e) = fs::rename(&old_cache, &new_cache) {
            tracing::warn!(
                "could not keep the download cache {}: {e}",
                old_cache.display()
            );
        }
    }
    if let Err(e) = fs::remove_dir_all(&old) {
        tracing::warn!(
            "could not remove the previous reference {}: {e}",
            old.display()
        );
    }
    Ok(())
}

/// One sequence record, whatever the input format.
struct SeqRecord {
    accession: String,
    sequence: String,
    taxonomy_id: Option<u32>,
    organism: Option<String>,
    gene_name: Option<String>,
    /// GO annotations carried by a UniProt `.dat` entry (`DR   GO;` lines).
    go: Vec<homolog_go::Annotation>,
}

/// The accession of a FASTA id: `sp|P12345|NAME_HUMAN` -> `P12345`, anything else as is.
pub fn accession_of_id(id: &str) -> &str {
    let mut parts = id.split('|');
    match (parts.next(), parts.next()) {
        (Some(db), Some(acc)) if matches!(db, "sp" | "tr") && !acc.is_empty() => acc,
        _ => id,
    }
}

/// `OS=`, `OX=` and `GN=` from a UniProt FASTA description.
fn parse_uniprot_description(desc: &str) -> (Option<String>, Option<u32>, Option<String>) {
    // Values run until the next ` XX=` key, so OS= may contain spaces.
    let mut fields: Vec<(&str, String)> = Vec::new();
    for tok in desc.split_whitespace() {
        let key = tok
            .split_once('=')
            .map(|(k, _)| k)
            .filter(|k| k.len() == 2 && k.bytes().all(|b| b.is_ascii_uppercase()));
        match key {
            Some(k) => fields.push((k, tok[3..].to_string())),
            None => {
                if let Some((_, v)) = fields.last_mut() {
                    v.push(' ');
                    v.push_str(tok);
                }
            }
        }
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.clone())
    };
    (
        get("OS").filter(|s| !s.is_empty()),
        get("OX").and_then(|v| v.parse().ok()),
        get("GN").filter(|s| !s.is_empty()),
    )
}

/// True when the file's first line starts with `ID   ` (UniProt flat file), plain or gzip.
fn is_uniprot_dat(path: &Path) -> Result<bool, ReferenceError> {
    let mut head = Vec::with_capacity(5);
    homolog_io::open(path)?
        .take(5)
        .read_to_end(&mut head)
        .map_err(|e| ReferenceError::io("reading", path, e))?;
    Ok(head == b"ID   ")
}

fn read_sequences(
    path: &Path,
    skipped_records: &mut u64,
) -> Result<Vec<SeqRecord>, ReferenceError> {
    if is_uniprot_dat(path)? {
        let entries = homolog_seq::uniprot::read_path(path)?;
        return Ok(entries.into_iter().map(seq_record_from_entry).collect());
    }
    let opts = homolog_seq::ReadOptions {
        on_invalid: homolog_seq::InvalidPolicy::Skip,
        ..Default::default()
    };
    let report = homolog_seq::fasta::read_path(path, &opts)?;
    if !report.skipped.is_empty() {
        let first: Vec<String> = report
            .skipped
            .iter()
            .take(3)
            .map(|s| format!("{} (line {}: {:?})", s.id, s.line, s.reason))
            .collect();
        tracing::warn!(
            "{}: skipped {} records (empty, duplicate or invalid), e.g. {}",
            path.display(),
            report.skipped.len(),
            first.join(", ")
        );
        *skipped_records += report.skipped.len() as u64;
    }
    Ok(report
        .records
        .into_iter()
        .map(|r| {
            let (organism, taxonomy_id, gene_name) = parse_uniprot_description(&r.description);
            SeqRecord {
                accession: accession_of_id(&r.id).to_string(),
                sequence: r.sequence,
                taxonomy_id,
                organism,
                gene_name,
                go: Vec::new(),
            }
        })
        .collect())
}

fn seq_record_from_entry(e: homolog_seq::uniprot::Entry) -> SeqRecord {
    let accession = e.accession.clone();
    let go =
        e.go.iter()
            .map(|g| homolog_go::Annotation {
                accession: accession.clone(),
                go_id: g.go_id.clone(),
                aspect: crate::tables::aspect_from_code(&g.aspect.to_string()),
                evidence: Some(g.evidence.clone()).filter(|e| !e.is_empty()),
                taxon: e.taxonomy_id,
            })
            .collect();
    SeqRecord {
        accession,
        sequence: e.sequence,
        taxonomy_id: e.taxonomy_id,
        organism: e.organism,
        gene_name: e.gene_name,
        go,
    }
}

/// Annotations kept per accession, in source order, deduplicated.
struct AnnotationIndex {
    by_accession: HashMap<String, Vec<TermAnnotation>>,
    seen: HashSet<(String, String, Option<String>)>,
}

impl AnnotationIndex {
    fn new() -> Self {
        AnnotationIndex {
            by_accession: HashMap::new(),
            seen: HashSet::new(),
        }
    }

    /// Filter and map one source's rows; returns whether the filter could apply.
    fn add_source(
        &mut self,
        name: &str,
        rows: Vec<homolog_go::Annotation>,
        spec: &BuildSpec,
        ontology: &Ontology,
        dropped: &mut Dropped,
    ) -> bool {
        let has_codes = rows
            .iter()
            .any(|a| a.evidence.as_deref().is_some_and(|e| !e.trim().is_empty()));
        if !has_codes && !rows.is_empty() && spec.evidence_codes != crate::spec::EvidenceCodes::All
        {
            tracing::warn!(
                "{name}: no evidence codes in this source; the evidence filter cannot apply, so \
                 all its {} annotations are kept",
                rows.len()
            );
        }
        for a in rows {
            let evidence = a
                .evidence
                .map(|e| e.trim().to_ascii_uppercase())
                .filter(|e| !e.is_empty());
            if has_codes {
                match &evidence {
                    None => {
                        dropped.annotations_without_evidence += 1;
                        continue;
                    }
                    Some(code) if !spec.evidence_codes.allows(code) => {
                        dropped.annotations_by_evidence += 1;
                        continue;
                    }
                    _ => {}
                }
            }
            let go_id = a.go_id.trim();
            let Some(primary) = ontology.resolve(go_id) else {
                dropped.annotations_unknown_term += 1;
                continue;
            };
            let Some(term) = ontology.term(primary) else {
                dropped.annotations_unknown_term += 1;
                continue;
            };
            if term.obsolete {
                dropped.annotations_obsolete_term += 1;
                continue;
            }
            if primary != go_id {
                dropped.annotations_alt_id_mapped += 1;
            }
            let key = (a.accession.clone(), primary.to_string(), evidence.clone());
            if !self.seen.insert(key) {
                dropped.annotations_duplicate += 1;
                continue;
            }
            self.by_accession
                .entry(a.accession)
                .or_default()
                .push(TermAnnotation {
                    go_id: primary.to_string(),
                    aspect: term.aspect.or(a.aspect),
                    evidence,
                });
        }
        has_codes
    }
}

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
    let ontology_path = &sources.ontology.1.path;
    let ontology = Ontology::from_path(ontology_path)?;
    progress("read ontology", 1, 1);

    // Sequences.
    let n_seq_sources = sources.sequences.len() as u64;
    let mut records: Vec<SeqRecord> = Vec::new();
    let mut skipped_records = 0u64;
    for (i, (src, f)) in sources.sequences.iter().enumerate() {
        let mut recs = read_sequences(&f.path, &mut skipped_records)?;
        tracing::info!("{}: {} sequence records", src.location, recs.len());
        records.append(&mut recs);
        progress("read sequences", i as u64 + 1, n_seq_sources);
    }

    // Annotations: from the annotation files, or else from the .dat GO lines.
    let mut index = AnnotationIndex::new();
    let mut unfiltered = Vec::new();
    if !sources.annotations.is_empty() {
        let with_dat_go = records.iter().filter(|r| !r.go.is_empty()).count();
        if with_dat_go > 0 {
            tracing::info!(
                "annotation files given: ignoring the GO lines of {with_dat_go} .dat entries"
            );
        }
        for (i, (src, f)) in sources.annotations.iter().enumerate() {
            let rows = homolog_go::annotation::read_path(&f.path, AnnotationFormat::Auto)?;
            tracing::info!("{}: {} annotation rows", src.location, rows.len());
            if !index.add_source(&src.location, rows, spec, &ontology, &mut dropped) {
                unfiltered.push(src.location.clone());
            }
            progress(
                "read annotations",
                i as u64 + 1,
                sources.annotations.len() as u64,
            );
        }
    } else {
        let rows: Vec<_> = records
            .iter_mut()
            .flat_map(|r| std::mem::take(&mut r.go))
            .collect();
        if rows.is_empty() {
            return Err(ReferenceError::Invalid(
                "no GO annotations: give reference.annotations (GAF or TSV), or UniProt .dat \
                 sequences with `DR   GO;` lines"
                    .into(),
            ));
        }
        if !index.add_source(
            "GO lines of the .dat files",
            rows,
            spec,
            &ontology,
            &mut dropped,
        ) {
            unfiltered.push("GO lines of the .dat files".into());
        }
    }

    // Proteins: first record per accession, only those with annotations; rows by md5.
    let mut proteins: Vec<Protein> = Vec::new();
    let mut per_protein: Vec<Vec<TermAnnotation>> = Vec::new();
    let mut sequences: Vec<String> = Vec::new();
    let mut md5s: Vec<String> = Vec::new();
    let mut row_of_md5: HashMap<String, u32> = HashMap::new();
    let mut seen_acc: HashSet<String> = HashSet::new();
    for r in records {
        if !seen_acc.insert(r.accession.clone()) {
            dropped.duplicate_accessions += 1;
            continue;
        }
        let Some(anns) = index.by_accession.remove(&r.accession) else {
            dropped.proteins_without_annotation += 1;
            continue;
        };
        let md5 = hex::encode(Md5::digest(r.sequence.as_bytes()));
        let row = *row_of_md5.entry(md5.clone()).or_insert_with(|| {
            sequences.push(r.sequence);
            md5s.push(md5);
            (sequences.len() - 1) as u32
        });
        proteins.push(Protein {
            accession: r.accession,
            sequence_row: row,
            taxonomy_id: r.taxonomy_id,
            organism: r.organism,
            gene_name: r.gene_name,
        });
        per_protein.push(anns);
    }
    dropped.annotations_without_sequence =
        index.by_accession.values().map(|v| v.len() as u64).sum();
    log_dropped(&dropped, skipped_records);
    if proteins.is_empty() {
        return Err(ReferenceError::Invalid(format!(
            "no reference protein is left: none of the sequences has an annotation passing the \
             evidence filter {:?} (dropped: {dropped:?}); check that annotation accessions match \
             the sequence ids, or relax reference.evidence_codes",
            spec.evidence_codes.to_list()
        )));
    }

    // Tables.
    progress("write tables", 0, 1);
    tables::write_proteins(&dir.join(PROTEINS_FILE), &proteins)?;
    tables::write_sequences(&dir.join(SEQUENCES_FILE), &sequences, &md5s)?;
    tables::write_annotations(&dir.join(ANNOTATIONS_FILE), &proteins, &per_protein)?;
    let mut term_ids: Vec<&str> = per_protein
        .iter()
        .flatten()
        .map(|a| a.go_id.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    term_ids.sort_unstable();
    let terms: Vec<TermInfo> = term_ids
        .iter()
        .filter_map(|id| ontology.term(id))
        .map(|t| TermInfo {
            go_id: t.id.clone(),
            name: t.name.clone(),
            aspect: t.aspect,
        })
        .collect();
    tables::write_terms(&dir.join(TERMS_FILE), &terms)?;
    copy_decompressed(ontology_path, &dir.join(ONTOLOGY_FILE))?;
    let taxa = match &sources.taxonomy_nodes {
        Some((_, nodes)) => {
            let names = sources
                .taxonomy_names
                .as_ref()
                .map(|(_, f)| f.path.as_path());
            let rows = taxonomy_rows(&nodes.path, names)?;
            tables::write_taxonomy(&dir.join(TAXONOMY_FILE), &rows)?;
            Some(rows.len() as u64)
        }
        None => None,
    };
    progress("write tables", 1, 1);

    // Matrices.
    let mut matrices = Vec::new();
    for (p, (_, f)) in spec.embeddings.iter().zip(&sources.embeddings) {
        matrices.push(load_precomputed(
            p,
            &f.path,
            &proteins,
            &sequences,
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
            &sequences,
            spec.precision,
            dir,
            progress,
        )?);
    }

    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        homolog_version: env!("CARGO_PKG_VERSION").to_string(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        inputs_fingerprint: fingerprint,
        sources: sources.entries(spec),
        counts: Counts {
            proteins: proteins.len() as u64,
            sequences: sequences.len() as u64,
            annotations: per_protein.iter().map(|v| v.len() as u64).sum(),
            terms: terms.len() as u64,
            taxa: taxa.unwrap_or(0),
        },
        evidence_codes: spec.evidence_codes.to_list(),
        unfiltered_annotation_sources: unfiltered,
        matrices,
        has_taxonomy: taxa.is_some(),
        dropped,
    };
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| ReferenceError::Invalid(format!("internal: manifest: {e}")))?;
    let mpath = dir.join(MANIFEST_FILE);
    let mut f = fs::File::create(&mpath).map_err(|e| ReferenceError::io("creating", &mpath, e))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.write_all(b"\n"))
        .and_then(|_| f.sync_all())
        .map_err(|e| ReferenceError::io("writing", &mpath, e))?;
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

/// Copy the ontology into the folder as plain text (a gzip source is decompressed so the file
/// is what its name says).
fn copy_decompressed(src: &Path, dst: &Path) -> Result<(), ReferenceError> {
    let mut reader = homolog_io::open(src)?;
    let mut out = fs::File::create(dst).map_err(|e| ReferenceError::io("creating", dst, e))?;
    std::io::copy(&mut reader, &mut out).map_err(|e| ReferenceError::io("copying", src, e))?;
    Ok(())
}

fn taxonomy_rows(nodes: &Path, names: Option<&Path>) -> Result<Vec<TaxonRow>, ReferenceError> {
    let tax = homolog_taxonomy::Taxonomy::from_taxdump(nodes, names)?;
    Ok(tax
        .taxids()
        .map(|taxid| TaxonRow {
            taxid,
            parent: tax.parent(taxid).unwrap_or(taxid),
            rank: tax.rank(taxid).unwrap_or("no rank").to_string(),
            name: tax.name(taxid).map(str::to_string),
        })
        .collect())
}

fn matrix_file(model: &str, layer: usize, precision: Precision) -> String {
    format!("matrices/{model}/layer_{layer}.{}", precision.as_str())
}

/// The `(id, vector)` records of a per-protein HDF5 file.
#[cfg(feature = "hdf5")]
fn per_protein_vectors(
    h5: &Path,
) -> Result<
    impl Iterator<Item = Result<(String, Vec<f32>), homolog_embed::EmbedError>>,
    ReferenceError,
> {
    Ok(homolog_embed::h5::read_per_protein(h5)?)
}

/// Without HDF5 support precomputed embeddings are a configuration error.
#[cfg(not(feature = "hdf5"))]
fn per_protein_vectors(
    h5: &Path,
) -> Result<std::iter::Empty<Result<(String, Vec<f32>), homolog_embed::EmbedError>>, ReferenceError>
{
    Err(ReferenceError::Invalid(format!(
        "{}: precomputed embeddings are HDF5 files, and this build of homolog-reference has no \
         HDF5 support; build it with the `hdf5` feature (the homolog binary has it)",
        h5.display()
    )))
}

fn load_precomputed(
    p: &crate::spec::PrecomputedSource,
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

fn embed_all(
    name: &str,
    settings: &ModelSettings,
    embedder: &dyn Embedder,
    sequences: &[String],
    precision: Precision,
    dir: &Path,
    progress: Progress<'_>,
) -> Result<Vec<MatrixEntry>, ReferenceError> {
    let layers = layers_of(settings);
    let backend = settings.backend_name(name).to_string();
    let type_id = settings.type_id(name)?;
    let dim = embedder.dim();
    let mut writers: Vec<(usize, String, MatrixWriter)> = Vec::new();
    for &layer in &layers {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniprot_ids_and_descriptions() {
        assert_eq!(accession_of_id("sp|P0A7V8|RS4_ECOLI"), "P0A7V8");
        assert_eq!(accession_of_id("tr|A0A0|X"), "A0A0");
        assert_eq!(accession_of_id("P12345"), "P12345");
        assert_eq!(accession_of_id("gi|123|x"), "gi|123|x");
        let (os, ox, gn) = parse_uniprot_description(
            "30S ribosomal protein S4 OS=Escherichia coli (strain K12) OX=83333 GN=rpsD PE=1 SV=2",
        );
        assert_eq!(os.as_deref(), Some("Escherichia coli (strain K12)"));
        assert_eq!(ox, Some(83333));
        assert_eq!(gn.as_deref(), Some("rpsD"));
        assert_eq!(parse_uniprot_description("plain words"), (None, None, None));
    }
}
