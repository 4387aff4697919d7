//! `demo`: the whole pipeline on simulated protein families, with no server and no weights.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use homolog_config::Config;
use homolog_demo::{write_demo, DemoSpec};
use homolog_reference::Source;

use crate::{initialize, run, PipelineError, Progress, RunMode, RunOptions};

/// Where and with which seed to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub out: PathBuf,
    pub seed: u64,
}

/// What the demo found.
#[derive(Debug)]
pub struct DemoReport {
    pub experiment: PathBuf,
    pub queries: usize,
    pub truth: usize,
    pub recovered: usize,
    pub random_baseline: f64,
    pub evaluation: String,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "experiment: {}", self.experiment.display())?;
        writeln!(
            f,
            "recovered {} of {} held-out annotations ({:.1}%) for {} query proteins; \
             a random-neighbour baseline recovers {:.1}%",
            self.recovered,
            self.truth,
            100.0 * self.recovered as f64 / self.truth.max(1) as f64,
            self.queries,
            100.0 * self.random_baseline
        )?;
        write!(f, "{}", self.evaluation)
    }
}

/// Simulates families into `out/data`, builds `out/reference`, annotates the held-out members
/// into `out/experiments/...` and scores the result against their true annotations.
pub fn demo(options: &DemoOptions, progress: &dyn Progress) -> Result<DemoReport, PipelineError> {
    let spec = DemoSpec {
        seed: options.seed,
        ..DemoSpec::default()
    };
    let data = options.out.join("data");
    let files = write_demo(&spec, &data)?;
    tracing::info!(
        "simulated {} reference proteins and {} queries in {}",
        files.n_reference,
        files.n_queries,
        data.display()
    );

    let mut config = Config {
        base_directory: options.out.clone(),
        prefix: "demo".into(),
        ..Config::default()
    };
    config.reference.path = options.out.join("reference");
    config.reference.sequences = vec![Source::new(path_str(&files.reference_fasta))];
    config.reference.annotations = vec![Source::new(path_str(&files.reference_annotations))];
    config.reference.ontology = Source::new(path_str(&files.ontology));
    config.lookup.limit_per_entry = 3;
    config.validate()?;
    let config_path = options.out.join("config.yaml");
    std::fs::write(&config_path, config.to_yaml()).map_err(PipelineError::io(&config_path))?;

    let init = initialize(&config, false, progress)?;
    tracing::info!("{}", init.to_string().trim_end());
    let summary = run(
        &config,
        &RunOptions {
            input: Some(files.queries_fasta.clone()),
            mode: RunMode::Full,
            resume: false,
        },
        progress,
    )?;

    let truth = read_pairs(&files.queries_truth, 0, 1)?;
    let summary_csv = summary.experiment.join("summary.csv");
    let predicted = read_csv_pairs(&summary_csv)?;
    let recovered = truth.iter().filter(|p| predicted.contains(*p)).count();
    let random_baseline = random_neighbour_recall(
        &files.reference_annotations,
        &truth,
        config.lookup.limit_per_entry,
        options.seed,
    )?;
    let evaluation = homolog_evaluate::evaluate_files(&homolog_evaluate::EvaluateRequest::new(
        &summary_csv,
        &files.queries_truth,
        &files.ontology,
    ))?;
    let evaluation = homolog_evaluate::render_table(&evaluation.reports);
    Ok(DemoReport {
        experiment: summary.experiment,
        queries: summary.queries,
        truth: truth.len(),
        recovered,
        random_baseline,
        evaluation,
    })
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// (col a, col b) pairs of a TSV with a header line.
fn read_pairs(path: &Path, a: usize, b: usize) -> Result<HashSet<(String, String)>, PipelineError> {
    let text = std::fs::read_to_string(path).map_err(PipelineError::io(path))?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((f.get(a)?.to_string(), f.get(b)?.to_string()))
        })
        .collect())
}

/// (accession, go_id) pairs of summary.csv.
fn read_csv_pairs(path: &Path) -> Result<HashSet<(String, String)>, PipelineError> {
    let bad = |e: csv::Error| PipelineError::Invalid(format!("{}: {e}", path.display()));
    let mut reader = csv::Reader::from_path(path).map_err(bad)?;
    let header = reader.headers().map_err(bad)?.clone();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            PipelineError::Invalid(format!("{}: no column {name:?}", path.display()))
        })
    };
    let (acc, go) = (col("accession")?, col("go_id")?);
    let mut pairs = HashSet::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        pairs.insert((record[acc].to_string(), record[go].to_string()));
    }
    Ok(pairs)
}

/// Recall of transferring the annotations of `k` reference proteins drawn at random per query.
fn random_neighbour_recall(
    annotations: &Path,
    truth: &HashSet<(String, String)>,
    k: usize,
    seed: u64,
) -> Result<f64, PipelineError> {
    let mut by_protein: HashMap<String, HashSet<String>> = HashMap::new();
    for (acc, go) in read_pairs(annotations, 0, 1)? {
        by_protein.entry(acc).or_default().insert(go);
    }
    let mut proteins: Vec<&String> = by_protein.keys().collect();
    proteins.sort();
    let queries: HashSet<&String> = truth.iter().map(|(q, _)| q).collect();
    let mut queries: Vec<&String> = queries.into_iter().collect();
    queries.sort();
    // A small LCG is enough to draw neighbours reproducibly for a baseline.
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut hit = 0usize;
    for q in queries {
        let mut terms = HashSet::new();
        for _ in 0..k {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let p = proteins[(state >> 33) as usize % proteins.len()];
            terms.extend(by_protein[p].iter().cloned());
        }
        hit += truth
            .iter()
            .filter(|(tq, t)| tq == q && terms.contains(t))
            .count();
    }
    Ok(hit as f64 / truth.len().max(1) as f64)
}
