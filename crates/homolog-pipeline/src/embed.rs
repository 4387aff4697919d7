//! Embedding queries into FANTASIA's HDF5 layout, resumably.

use std::fmt;
use std::path::Path;

use homolog_config::Config;
use homolog_embed::h5::{accession_key, FantasiaWriter};
use homolog_embed::registry::{self, RareResidues};
use homolog_embed::{embed_sequences, ModelSettings};
use homolog_seq::fasta::{self, ReadOptions, Record};
use homolog_seq::Alphabet;

use crate::{PipelineError, Progress};

/// Query records read from a FASTA file, and what was skipped.
pub(crate) struct Queries {
    pub records: Vec<Record>,
    pub skipped: usize,
}

/// Reads and checks the whole query file before anything is written.
pub(crate) fn read_queries(config: &Config, path: &Path) -> Result<Queries, PipelineError> {
    let options = ReadOptions {
        alphabet: Alphabet::Protein,
        on_invalid: config.on_invalid,
    };
    let report = fasta::read_path(path, &options)?;
    for s in &report.skipped {
        tracing::warn!(
            "{}: skipped record {:?} at line {}: {}",
            path.display(),
            s.id,
            s.line,
            s.reason
        );
    }
    if report.records.is_empty() {
        return Err(PipelineError::Invalid(format!(
            "{}: no usable sequence ({} skipped); nothing to annotate",
            path.display(),
            report.skipped.len()
        )));
    }
    // Two ids that differ only in '|' vs '_' would share one HDF5 group: refuse early.
    let mut keys = std::collections::HashMap::new();
    for r in &report.records {
        if let Some(prev) = keys.insert(accession_key(&r.id), &r.id) {
            return Err(PipelineError::Invalid(format!(
                "{}: ids {prev:?} and {:?} (line {}) map to the same HDF5 key {:?}; rename one",
                path.display(),
                r.id,
                r.line,
                accession_key(&r.id)
            )));
        }
    }
    Ok(Queries {
        skipped: report.skipped.len(),
        records: report.records,
    })
}

/// The effective settings of a model: section-wide defaults filled in.
pub(crate) fn effective_settings(config: &Config, settings: &ModelSettings) -> ModelSettings {
    let mut s = settings.clone();
    if s.max_sequence_length.is_none() {
        s.max_sequence_length = config.embedding.max_sequence_length;
    }
    s
}

/// What the embedding step did for one model.
#[derive(Debug, Default)]
pub struct ModelEmbedReport {
    pub model: String,
    /// Sequences embedded in this run.
    pub embedded: usize,
    /// Sequences already in the file (a resumed run).
    pub reused: usize,
    /// `(id, reason)` of the sequences that could not be embedded.
    pub failed: Vec<(String, String)>,
}

/// What [`embed_to_h5`] did.
#[derive(Debug, Default)]
pub struct EmbedReport {
    pub path: std::path::PathBuf,
    pub models: Vec<ModelEmbedReport>,
    pub skipped_records: usize,
    /// The TSV listing every sequence that could not be embedded (`model`, `id`, `reason`);
    /// written only when some failed.
    pub failed_list: Option<std::path::PathBuf>,
}

/// Name of the failed-sequence list in an experiment folder.
pub const FAILED_EMBEDDINGS_FILE: &str = "failed_embeddings.tsv";

impl EmbedReport {
    /// Number of (model, sequence) pairs that could not be embedded.
    pub fn failed(&self) -> usize {
        self.models.iter().map(|m| m.failed.len()).sum()
    }
}

/// Writes the failed sequences of every model to `path` as TSV (`model`, `id`, `reason`), or
/// removes a stale list from an earlier run when none failed. Returns the path when written.
pub(crate) fn write_failed_list(
    models: &[ModelEmbedReport],
    path: &Path,
) -> Result<Option<std::path::PathBuf>, PipelineError> {
    if models.iter().all(|m| m.failed.is_empty()) {
        if path.exists() {
            std::fs::remove_file(path).map_err(PipelineError::io(path))?;
        }
        return Ok(None);
    }
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let mut text = String::from("model\tid\treason\n");
    for m in models {
        for (id, why) in &m.failed {
            text.push_str(&format!(
                "{}\t{}\t{}\n",
                clean(&m.model),
                clean(id),
                clean(why)
            ));
        }
    }
    std::fs::write(path, text).map_err(PipelineError::io(path))?;
    Ok(Some(path.to_path_buf()))
}

impl ModelEmbedReport {
    pub(crate) fn line(&self) -> String {
        format!(
            "{}: {} embedded, {} already present, {} failed",
            self.model,
            self.embedded,
            self.reused,
            self.failed.len()
        )
    }
}

impl fmt::Display for EmbedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "embeddings: {}", self.path.display())?;
        for m in &self.models {
            writeln!(f, "  {}", m.line())?;
            for (id, why) in m.failed.iter().take(10) {
                writeln!(f, "    failed {id}: {why}")?;
            }
        }
        if let Some(list) = &self.failed_list {
            writeln!(
                f,
                "  {} sequences failed to embed; list: {}",
                self.failed(),
                list.display()
            )?;
        }
        if self.skipped_records > 0 {
            writeln!(
                f,
                "  {} malformed input records skipped",
                self.skipped_records
            )?;
        }
        Ok(())
    }
}

/// Embeds `records` with every enabled model into `h5`, skipping what it already holds, and
/// lists the sequences that failed in `failed_list` (see [`write_failed_list`]).
pub(crate) fn embed_records(
    config: &Config,
    records: &[Record],
    h5: &Path,
    failed_list: &Path,
    progress: &dyn Progress,
) -> Result<EmbedReport, PipelineError> {
    let mut writer = FantasiaWriter::open(h5)?;
    let mut report = EmbedReport {
        path: h5.to_path_buf(),
        ..Default::default()
    };
    let originals: std::collections::HashMap<&str, &str> = records
        .iter()
        .map(|r| (r.id.as_str(), r.sequence.as_str()))
        .collect();
    for (name, settings) in config.enabled_models() {
        let settings = effective_settings(config, settings);
        let info = registry::resolve(settings.backend_name(name))?;
        let embedder = registry::build(name, &settings)?;
        let type_id = settings.type_id(name)?;
        let todo: Vec<(String, String)> = records
            .iter()
            .filter(|r| !writer.contains_all(&accession_key(&r.id), type_id, &settings.layers))
            .map(|r| {
                let seq = match info.rare_residues {
                    RareResidues::ToX => {
                        homolog_seq::map_rare(&r.sequence, homolog_seq::RareResidues::ToX)
                    }
                    RareResidues::Keep => r.sequence.clone(),
                };
                (r.id.clone(), seq)
            })
            .collect();
        let reused = records.len() - todo.len();
        if reused > 0 {
            tracing::info!(
                "{name}: {reused} sequences already in {}, skipped",
                h5.display()
            );
        }
        let bar = progress.stage(&format!("embed {name}"), todo.len() as u64);
        let mut last = 0usize;
        let summary = embed_sequences(
            embedder.as_ref(),
            &todo,
            &settings,
            |batch| {
                for e in batch {
                    // Store the query's own sequence (not the model's mapped or truncated input):
                    // it is what alignments and outputs refer to.
                    let original = originals.get(e.id).copied().unwrap_or(e.sequence);
                    for (layer, vector) in &e.vectors {
                        writer.write(&accession_key(e.id), original, type_id, *layer, vector)?;
                    }
                }
                writer.flush()
            },
            |done, _| {
                bar.inc((done - last) as u64);
                last = done;
            },
        )?;
        bar.finish();
        for (id, why) in &summary.failed {
            tracing::error!("{name}: could not embed {id}: {why}");
        }
        report.models.push(ModelEmbedReport {
            model: name.clone(),
            embedded: summary.embedded,
            reused,
            failed: summary.failed,
        });
    }
    writer.close()?;
    report.failed_list = write_failed_list(&report.models, failed_list)?;
    Ok(report)
}

/// Where `homolog embed` lists the failed sequences: next to `out`, `<out stem>.failed.tsv`.
pub fn failed_list_path(out: &Path) -> std::path::PathBuf {
    out.with_extension("failed.tsv")
}

/// `homolog embed`: FASTA in, FANTASIA-layout HDF5 out (created or extended). Sequences that
/// cannot be embedded are counted in the report and listed in [`failed_list_path`].
pub fn embed_to_h5(
    config: &Config,
    input: &Path,
    out: &Path,
    progress: &dyn Progress,
) -> Result<EmbedReport, PipelineError> {
    let queries = read_queries(config, input)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(PipelineError::io(parent))?;
    }
    let mut report = embed_records(
        config,
        &queries.records,
        out,
        &failed_list_path(out),
        progress,
    )?;
    report.skipped_records = queries.skipped;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_list_is_written_and_stale_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FAILED_EMBEDDINGS_FILE);
        let models = vec![
            ModelEmbedReport {
                model: "ESM".into(),
                embedded: 3,
                failed: vec![("P1|x".into(), "too long\tfor memory".into())],
                ..Default::default()
            },
            ModelEmbedReport {
                model: "ProtT5".into(),
                ..Default::default()
            },
        ];
        assert_eq!(
            write_failed_list(&models, &path).unwrap(),
            Some(path.clone())
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "model\tid\treason\nESM\tP1|x\ttoo long for memory\n");
        let report = EmbedReport {
            models,
            failed_list: Some(path.clone()),
            ..Default::default()
        };
        assert_eq!(report.failed(), 1);
        assert!(report
            .to_string()
            .contains("1 sequences failed to embed; list: "));
        // A later run where nothing failed removes the stale list.
        let ok = vec![ModelEmbedReport::default()];
        assert_eq!(write_failed_list(&ok, &path).unwrap(), None);
        assert!(!path.exists());
        assert_eq!(
            failed_list_path(Path::new("out/emb.h5")),
            Path::new("out/emb.failed.tsv")
        );
    }
}
