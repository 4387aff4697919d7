//! `homolog merge`: gathers the part folders of a sharded run (see [`crate::shard`]) into one
//! experiment folder equal to the single-process run's.
//!
//! What the merge reproduces, and how:
//! - `embeddings.h5`: every part's accessions copied into one file (HDF5 lists them by name,
//!   so the file reads the same whatever the order of the parts);
//! - `query_idx` of the raw rows: a single run numbers queries by their position in its
//!   `embeddings.h5`; a part numbered them within the shard, so the merge renumbers them from
//!   the merged file;
//! - row order: a single run builds rows layer by layer ((model, layer) in configuration order),
//!   queries by index within a layer; the merged rows are sorted the same way (stable, so a
//!   query's own rows keep their order);
//! - raw CSVs, `summary.csv` (whose wide header spans every query's (model, layer) columns)
//!   and the TopGO files (sorted by accession, the ensemble over all layers) are then written
//!   from all rows by the same code as a single run, from the parts' full-precision values;
//! - `experiment_config.yaml`: the merge's configuration, which must be the one the parts
//!   were made with (checked through the parts' fingerprint; `threads` may differ);
//! - `failed_embeddings.tsv`: per model, the parts' failures in shard order (the same set as a
//!   single run's; a single run lists them in its batch order).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use homolog_annotate::ExperimentLayout;
use homolog_config::Config;
use homolog_embed::h5::{FantasiaReader, FantasiaWriter};

use crate::run::{experiment_dir, finished_name, RunSummary};
use crate::shard::{config_hash, read_part_rows, sync_path, PartManifest, Shard, PART_MANIFEST};
use crate::{EmbedReport, ModelEmbedReport, PipelineError, Progress};

/// What to merge and where.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Part folders, or folders holding part folders (`part-*-of-*`).
    pub parts: Vec<PathBuf>,
    /// The experiment folder to create (it is written as `<out>.partial` and renamed; an
    /// existing `<out>.partial` is reused). Default: a new
    /// `<base_directory>/experiments/<prefix>_<timestamp>`.
    pub out: Option<PathBuf>,
    /// Merge the parts present when some are missing (their queries are then absent from the
    /// experiment, and [`MergeReport::missing`] lists them) instead of failing.
    pub allow_missing: bool,
    /// Delete the merged part folders (and the parts folder when it is left empty) after a
    /// successful merge.
    pub remove_parts: bool,
}

/// What [`merge`] produced.
#[derive(Debug)]
pub struct MergeReport {
    /// The experiment, as a single run reports it.
    pub run: RunSummary,
    /// Parts merged.
    pub parts: usize,
    /// Shards with no part (only with [`MergeOptions::allow_missing`]).
    pub missing: Vec<Shard>,
}

impl fmt::Display for MergeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "merged {} parts", self.parts)?;
        if !self.missing.is_empty() {
            let list: Vec<String> = self.missing.iter().map(Shard::to_string).collect();
            writeln!(
                f,
                "  missing parts (their queries are not in the experiment): {}",
                list.join(", ")
            )?;
        }
        write!(f, "{}", self.run)
    }
}

/// Reserves a new experiment folder: creates `<base>/experiments/<prefix>_<timestamp>.partial`
/// and returns the finished name (without `.partial`), for [`MergeOptions::out`].
pub fn reserve_experiment(config: &Config) -> Result<PathBuf, PipelineError> {
    let partial = experiment_dir(config, false)?;
    std::fs::create_dir_all(&partial).map_err(PipelineError::io(&partial))?;
    Ok(finished_name(&partial))
}

/// `<out>.partial`: where the experiment `out` is written before its rename.
pub fn partial_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// Finds the part folders under `paths` (each a part folder or a folder of them) and reads
/// their manifests, sorted by shard.
pub fn find_parts(paths: &[PathBuf]) -> Result<Vec<(PathBuf, PartManifest)>, PipelineError> {
    let mut found = Vec::new();
    for p in paths {
        if p.join(PART_MANIFEST).is_file() {
            found.push(p.clone());
            continue;
        }
        if !p.is_dir() {
            return Err(PipelineError::Invalid(format!(
                "{}: no such folder; pass part folders (part-*-of-*) or the folder holding them",
                p.display()
            )));
        }
        let mut here: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(PipelineError::io(p))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|c| {
                c.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("part-") && !n.starts_with('.'))
                    && c.join(PART_MANIFEST).is_file()
            })
            .collect();
        here.sort();
        found.extend(here);
    }
    let mut parts = Vec::with_capacity(found.len());
    for dir in found {
        let manifest = PartManifest::read(&dir)?;
        parts.push((dir, manifest));
    }
    parts.sort_by_key(|(_, m)| m.shard);
    Ok(parts)
}

/// Checks that `parts` belong to one run made with `config`; returns the shards without a part.
pub fn check_parts(
    config: &Config,
    parts: &[(PathBuf, PartManifest)],
) -> Result<Vec<Shard>, PipelineError> {
    let Some((first_dir, first)) = parts.first() else {
        return Err(PipelineError::Invalid(
            "no part folders (part-*-of-*/part.json) found; run the shards first (homolog run --shard I/N)"
                .into(),
        ));
    };
    let hash = config_hash(config);
    let mut seen: BTreeMap<usize, &Path> = BTreeMap::new();
    for (dir, m) in parts {
        if m.fingerprint.config != hash {
            return Err(PipelineError::Invalid(format!(
                "{}: the part was made with another configuration than this one (only `threads` may \
                 differ); merge with the --config the shards ran with",
                dir.display()
            )));
        }
        if m.fingerprint != first.fingerprint || m.shard.count != first.shard.count {
            return Err(PipelineError::Invalid(format!(
                "{} and {} are parts of different runs (query file or shard count differ)",
                first_dir.display(),
                dir.display()
            )));
        }
        if let Some(prev) = seen.insert(m.shard.index, dir) {
            return Err(PipelineError::Invalid(format!(
                "shard {} twice: {} and {}",
                m.shard,
                prev.display(),
                dir.display()
            )));
        }
    }
    let count = first.shard.count;
    Ok((0..count)
        .filter(|i| !seen.contains_key(i))
        .map(|index| Shard { index, count })
        .collect())
}

/// Gathers the parts into one experiment folder (see the module docs).
pub fn merge(
    config: &Config,
    options: &MergeOptions,
    progress: &dyn Progress,
) -> Result<MergeReport, PipelineError> {
    crate::shard::check_shardable(config)?;
    let parts = find_parts(&options.parts)?;
    let missing = check_parts(config, &parts)?;
    if !missing.is_empty() && !options.allow_missing {
        let list: Vec<String> = missing.iter().map(Shard::to_string).collect();
        return Err(PipelineError::Invalid(format!(
            "{} of {} parts missing: shards {}; run them (homolog run --shard I/N, or resubmit \
             those array tasks), or merge what is there with --allow-missing",
            missing.len(),
            parts[0].1.shard.count,
            list.join(", ")
        )));
    }
    let done = match &options.out {
        Some(out) => out.clone(),
        None => reserve_experiment(config)?,
    };
    if done.exists() {
        return Err(PipelineError::Invalid(format!(
            "{} already exists; not overwriting a finished experiment",
            done.display()
        )));
    }
    let partial = partial_path(&done);
    std::fs::create_dir_all(&partial).map_err(PipelineError::io(&partial))?;
    let layout = ExperimentLayout::new(&partial);
    let mut summary = RunSummary::default();
    homolog_io::write_atomic(layout.experiment_config(), config.to_yaml().as_bytes())?;

    // Embeddings: every part's accessions into one file.
    let h5 = layout.embeddings();
    let accessions = summary.timed("merge embeddings", |_| merge_embeddings(&parts, &h5))?;
    summary.queries = accessions.len();
    let index: HashMap<&str, u32> = accessions
        .iter()
        .enumerate()
        .map(|(i, a)| (a.as_str(), i as u32))
        .collect();

    // The embedding report and failed list, per model in configuration order.
    let fingerprint = &parts[0].1.fingerprint;
    let mut models: Vec<ModelEmbedReport> = config
        .enabled_models()
        .map(|(name, _)| ModelEmbedReport {
            model: name.clone(),
            ..Default::default()
        })
        .collect();
    let mut lookups: Vec<(String, usize, usize, usize)> = Vec::new();
    for (_, m) in &parts {
        for e in &m.embedding {
            if let Some(r) = models.iter_mut().find(|r| r.model == e.model) {
                r.embedded += e.embedded;
                r.failed.extend(e.failed.iter().cloned());
            }
        }
        for (model, layer, q, hits) in &m.lookups {
            match lookups
                .iter_mut()
                .find(|(m2, l2, _, _)| m2 == model && l2 == layer)
            {
                Some(entry) => {
                    entry.2 += q;
                    entry.3 += hits;
                }
                None => lookups.push((model.clone(), *layer, *q, *hits)),
            }
        }
        summary.aligned_pairs += m.aligned_pairs;
    }
    let failed_path = partial.join(crate::embed::FAILED_EMBEDDINGS_FILE);
    let failed_list = crate::embed::write_failed_list(&models, &failed_path)?;
    summary.failed_embeddings = models.iter().map(|m| m.failed.len()).sum();
    summary.skipped_records = fingerprint.skipped;
    summary.embedding = Some(EmbedReport {
        path: h5.clone(),
        models,
        skipped_records: fingerprint.skipped,
        failed_list,
    });
    summary.lookups = lookups;

    // Raw rows: renumbered and ordered as a single run holds them.
    let layer_order: HashMap<(String, u32), usize> = config
        .enabled_models()
        .flat_map(|(name, s)| s.layers.iter().map(move |&l| (name.clone(), l as u32)))
        .enumerate()
        .map(|(i, key)| (key, i))
        .collect();
    let rows = summary.timed("read parts", |_| -> Result<_, PipelineError> {
        let mut rows = Vec::new();
        for (dir, _) in &parts {
            for mut r in read_part_rows(dir)? {
                let qi = index.get(r.accession.as_str()).ok_or_else(|| {
                    PipelineError::Invalid(format!(
                        "{}: a row names query {:?}, which has no embedding in the part; the part is damaged, re-run that shard",
                        dir.display(),
                        r.accession
                    ))
                })?;
                r.query_idx = Some(*qi);
                rows.push(r);
            }
        }
        let mut keyed = Vec::with_capacity(rows.len());
        for r in rows {
            let layer = layer_order
                .get(&(r.model_name.clone(), r.layer_index))
                .copied()
                .ok_or_else(|| {
                    PipelineError::Invalid(format!(
                        "a part holds rows of {} layer {}, which the configuration does not enable",
                        r.model_name, r.layer_index
                    ))
                })?;
            keyed.push(((layer, r.query_idx), r));
        }
        keyed.sort_by_key(|(k, _)| *k);
        Ok(keyed.into_iter().map(|(_, r)| r).collect::<Vec<_>>())
    })?;
    let ontology = || -> Result<homolog_go::obo::Ontology, PipelineError> {
        let reference = homolog_reference::Reference::open_with(
            crate::reference_store::local_reference(&config.reference.path)?,
            homolog_reference::OpenOptions {
                verify_hashes: false,
            },
        )?;
        Ok(reference.ontology()?)
    };
    let bar = progress.stage("merge outputs", 1);
    crate::run::write_outputs(config, &ontology, rows, &layout, &mut summary)?;
    bar.inc(1);
    bar.finish();

    // Parts may live inside the experiment (a queue run's `<out>.partial/parts`): remove them
    // before the rename, once every output is written.
    if options.remove_parts {
        remove_parts(&parts);
    }
    sync_path(&partial)?;
    std::fs::rename(&partial, &done).map_err(PipelineError::io(&done))?;
    if let Some(report) = summary.embedding.as_mut() {
        report.path = done.join("embeddings.h5");
        if report.failed_list.is_some() {
            report.failed_list = Some(done.join(crate::embed::FAILED_EMBEDDINGS_FILE));
        }
    }
    summary.experiment = done;
    Ok(MergeReport {
        run: summary,
        parts: parts.len(),
        missing,
    })
}

/// Copies every part's embeddings into `out`; returns the merged file's accessions in its
/// order (the order a single run's query indices follow).
fn merge_embeddings(
    parts: &[(PathBuf, PartManifest)],
    out: &Path,
) -> Result<Vec<String>, PipelineError> {
    let mut writer = FantasiaWriter::open(out)?;
    for (dir, m) in parts {
        let path = ExperimentLayout::new(dir).embeddings();
        if m.queries == 0 && !path.exists() {
            continue;
        }
        let reader = FantasiaReader::open(&path)?;
        for q in reader.iter() {
            let q = q?;
            for (type_id, layer, vector) in &q.vectors {
                writer.write(&q.accession, &q.sequence, *type_id, *layer, vector)?;
            }
        }
        writer.flush()?;
    }
    writer.close()?;
    sync_path(out)?;
    Ok(FantasiaReader::open(out)?.accessions().to_vec())
}

/// Deletes merged part folders, then their parent folders when left empty.
fn remove_parts(parts: &[(PathBuf, PartManifest)]) {
    let mut parents = Vec::new();
    for (dir, _) in parts {
        if let Err(e) = std::fs::remove_dir_all(dir) {
            tracing::warn!("could not remove part {}: {e}", dir.display());
        }
        if let Some(p) = dir.parent() {
            parents.push(p.to_path_buf());
        }
    }
    parents.sort();
    parents.dedup();
    for p in parents {
        // Only when empty (a concurrent run's parts stay).
        let _ = std::fs::remove_dir(&p);
    }
}
