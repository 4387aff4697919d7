//! homolog's YAML configuration: schema, defaults, overrides and validation.
//!
//! One file configures every stage (design.md section 1). The schema follows FANTASIA's
//! `config.yaml` where FANTASIA has a setting (`base_directory`, `prefix`, `embedding.models.<name>`
//! with `enabled`, `batch_size`, `layer_index`, `distance_threshold`; `lookup.distance_metric`,
//! `limit_per_entry`, `topgo`; `taxonomy.include_only`, `exclude`, `get_descendants`;
//! `postprocess`), so a FANTASIA user recognises it, and it adds the `reference` section that
//! replaces FANTASIA's database.
//!
//! Precedence, lowest first: built-in defaults, the YAML file, `HOMOLOG_*` environment variables,
//! command-line flags. Environment variables address a key by its path with `__` between
//! levels, e.g. `HOMOLOG_PREFIX=exp1` or `HOMOLOG_LOOKUP__LIMIT_PER_ENTRY=3`; the value is read
//! as YAML (so `3`, `true`, `[0, 1]` work). Only variables whose first path segment is a
//! top-level key are applied, so unrelated `HOMOLOG_*` variables (e.g. `HOMOLOG_DATA`) are left
//! alone. Every level is parsed with `deny_unknown_fields`: a typo is an error that names the key
//! and where it came from, never silently ignored (a FANTASIA pain).
//!
//! [`Config::load`] does all of that; [`EXAMPLE_YAML`] is the commented example file
//! (`config.example.yaml`) with every key and its default, and [`reference_markdown`] generates
//! the reference page `docs/configuration.md` (every key's type, default and allowed values)
//! from the schema, the defaults and that file's comments.
//!
//! # Example
//!
//! A file that sets two keys, a `HOMOLOG_*` variable and a `--set` override on top of it;
//! relative paths become relative to the file's folder:
//!
//! ```rust
//! use homolog_config::{Config, RiMode};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let file = dir.path().join("homolog.yaml");
//! std::fs::write(&file, "prefix: exp1\nlookup:\n  limit_per_entry: 3\n").unwrap();
//!
//! let env = [("HOMOLOG_LOOKUP__RI_MODE".to_string(), "gopredsim".to_string())];
//! let overrides = ["lookup.limit_per_entry=5".to_string()];
//! let config = Config::load(Some(&file), env, &overrides).unwrap();
//! assert_eq!(config.prefix, "exp1");
//! assert_eq!(config.lookup.limit_per_entry, 5); // the override wins over the file
//! assert_eq!(config.lookup.ri_mode, RiMode::GoPredSim);
//! assert_eq!(config.base_directory, dir.path().join("homolog_runs"));
//!
//! // Unknown keys are errors that name the key.
//! std::fs::write(&file, "lookup:\n  limit_per_entri: 3\n").unwrap();
//! let err = Config::load(Some(&file), [], &[]).unwrap_err();
//! assert!(err.to_string().contains("limit_per_entri"), "{err}");
//!
//! // The example file is a valid configuration.
//! std::fs::write(&file, homolog_config::EXAMPLE_YAML).unwrap();
//! assert!(Config::load(Some(&file), [], &[]).is_ok());
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub mod reference;
pub use reference::reference_markdown;

use homolog_annotate::PostprocessSettings;
// The stages' own option types, as the configuration spells them.
pub use homolog_annotate::RiMode;
use homolog_embed::ModelSettings;
use homolog_reference::{BuildSpec, Source};
use homolog_search::Metric;
pub use homolog_seq::fasta::InvalidPolicy;
pub use homolog_taxonomy::TaxonFilter;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;

/// The commented example configuration, with every default spelled out.
pub const EXAMPLE_YAML: &str = include_str!("../../../config.example.yaml");

/// Errors reading, overriding or validating a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}\n  hint: pass an existing file with --config (see config.example.yaml)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}\n  hint: compare with config.example.yaml, which lists every key and its default")]
    Parse { origin: String, message: String },
    #[error("invalid override {spec:?}: {message}")]
    Override { spec: String, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole configuration file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder under which `experiments/<prefix>_<timestamp>/` is created.
    pub base_directory: PathBuf,
    /// Experiment name prefix.
    pub prefix: String,
    /// Query FASTA (plain or gzip); `--input` overrides it.
    pub input: Option<PathBuf>,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    /// Policy for malformed query records.
    pub on_invalid: InvalidPolicy,
    /// The local reference folder and the sources `initialize` builds it from.
    pub reference: BuildSpec,
    pub embedding: EmbeddingSection,
    pub lookup: LookupSection,
    /// `redundancy:`: FANTASIA's MMseqs2 redundancy filter (off unless `identity` > 0).
    pub redundancy: RedundancySection,
    /// `taxonomy:`: restrict which reference proteins may transfer annotations.
    pub taxonomy: TaxonFilter,
    /// Summary, collapse and output layouts (FANTASIA's `postprocess`).
    pub postprocess: PostprocessSettings,
}

impl Default for Config {
    fn default() -> Self {
        let mut models = BTreeMap::new();
        models.insert("kmer".to_string(), ModelSettings::default());
        Self {
            base_directory: PathBuf::from("homolog_runs"),
            prefix: "run".to_string(),
            input: None,
            threads: 0,
            on_invalid: InvalidPolicy::Error,
            reference: BuildSpec::default(),
            embedding: EmbeddingSection {
                max_sequence_length: None,
                models,
            },
            lookup: LookupSection::default(),
            redundancy: RedundancySection::default(),
            taxonomy: TaxonFilter::default(),
            postprocess: PostprocessSettings::default(),
        }
    }
}

/// `embedding:`: the models and their per-model settings.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct EmbeddingSection {
    /// Prefix truncation applied to every model that does not set its own.
    pub max_sequence_length: Option<usize>,
    /// Model name -> settings. The name selects the backend unless `backend` is set.
    pub models: BTreeMap<String, ModelSettings>,
}

/// `redundancy:`: FANTASIA's redundancy filter. MMseqs2 clusters the queries together with
/// the reference sequences (`--min-seq-id identity --cov-mode 1 -c coverage`); a reference in a
/// query's cluster is never that query's neighbour.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedundancySection {
    /// Minimum sequence identity for two sequences to share a cluster; 0 turns the filter off.
    pub identity: f64,
    /// Minimum coverage of the cluster member (`-c`, with `--cov-mode 1`).
    pub coverage: f64,
    /// MMseqs2 threads; 0 = the run's `threads`.
    pub threads: usize,
    /// The `mmseqs` executable (a name looked up on PATH, or a path).
    pub mmseqs: PathBuf,
}

impl Default for RedundancySection {
    fn default() -> Self {
        Self {
            identity: 0.0,
            coverage: 0.7,
            threads: 0,
            mmseqs: PathBuf::from("mmseqs"),
        }
    }
}

impl RedundancySection {
    /// Whether the filter runs (`identity` > 0).
    pub fn enabled(&self) -> bool {
        self.identity > 0.0
    }
}

/// `lookup:`: nearest-neighbour search and transfer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LookupSection {
    pub distance_metric: Metric,
    /// k: neighbours kept per query (after the per-model distance threshold).
    pub limit_per_entry: usize,
    /// goPredSim mode: also keep neighbours tied with the k-th distance.
    pub keep_ties: bool,
    /// Reliability index: `fantasia` (per hit) or `gopredsim` (sum over hits / k).
    pub ri_mode: RiMode,
    /// Compute NW/SW alignment metrics for every (query, neighbour) pair.
    pub alignment: bool,
    /// Write TopGO files.
    pub topgo: bool,
    /// Decimal places in CSV outputs.
    pub precision: usize,
    /// Queries per block in the distance computation (0 = automatic); bounds memory.
    pub query_chunk: usize,
    /// Verify reference matrix hashes when opening them.
    pub verify_reference: bool,
    /// Persistent SQLite cache of NW/SW alignment features (PROTEA's layout), shared across
    /// runs and processes; `None` = align in memory only.
    pub alignment_cache: Option<PathBuf>,
}

impl Default for LookupSection {
    fn default() -> Self {
        Self {
            distance_metric: Metric::Cosine,
            limit_per_entry: 5,
            keep_ties: false,
            ri_mode: RiMode::Fantasia,
            alignment: true,
            topgo: true,
            precision: 4,
            query_chunk: 0,
            verify_reference: true,
            alignment_cache: None,
        }
    }
}

impl Config {
    /// Reads `path` (or defaults when `None`), applies `HOMOLOG_*` variables from `env` and then
    /// the `key.path=value` overrides, and validates the result.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &[String],
    ) -> Result<Config, ConfigError> {
        let (mut tree, origin) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                let tree: Value = serde_yaml::from_str(&text).map_err(|e| ConfigError::Parse {
                    origin: format!("config file {}", p.display()),
                    message: e.to_string(),
                })?;
                let tree = if tree.is_null() {
                    Value::Mapping(Default::default())
                } else {
                    tree
                };
                (tree, format!("config file {}", p.display()))
            }
            None => (Value::Mapping(Default::default()), "defaults".to_string()),
        };
        if !tree.is_mapping() {
            return Err(ConfigError::Parse {
                origin,
                message: "the top level must be a mapping of `key: value` lines".into(),
            });
        }
        // Relative paths in the file are relative to the file, so a config works from any cwd.
        let base = path.and_then(Path::parent).map(Path::to_path_buf);

        let top_keys = top_level_keys();
        let mut sources = vec![origin];
        let mut env: Vec<(String, String)> = env.into_iter().collect();
        env.sort();
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("HOMOLOG_") else {
                continue;
            };
            let segments: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            if !top_keys.contains(&segments[0].as_str()) {
                continue;
            }
            set_path(&mut tree, &segments, parse_scalar(&value)).map_err(|message| {
                ConfigError::Override {
                    spec: format!("{name}={value}"),
                    message,
                }
            })?;
            sources.push(format!("environment variable {name}"));
        }
        for spec in overrides {
            let (key, value) = spec.split_once('=').ok_or_else(|| ConfigError::Override {
                spec: spec.clone(),
                message: "expected key.path=value, e.g. lookup.limit_per_entry=3".into(),
            })?;
            let segments: Vec<String> = key.trim().split('.').map(str::to_string).collect();
            set_path(&mut tree, &segments, parse_scalar(value)).map_err(|message| {
                ConfigError::Override {
                    spec: spec.clone(),
                    message,
                }
            })?;
            sources.push(format!("--set {key}"));
        }

        let mut config: Config = serde_yaml::from_value(tree).map_err(|e| ConfigError::Parse {
            origin: sources.join(" + "),
            message: e.to_string(),
        })?;
        if let Some(base) = base {
            config.resolve_relative_paths(&base);
        }
        config.validate()?;
        Ok(config)
    }

    /// Makes relative paths in the config relative to `base` (the config file's folder).
    fn resolve_relative_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() && !p.as_os_str().is_empty() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.base_directory);
        if let Some(input) = &mut self.input {
            fix(input);
        }
        if let Some(cache) = &mut self.lookup.alignment_cache {
            fix(cache);
        }
        resolve_reference_paths(&mut self.reference, base);
        for model in self.embedding.models.values_mut() {
            if let Some(p) = &mut model.path {
                fix(p);
            }
        }
    }

    /// Checks ranges and names; every message says the valid range or the known names.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.prefix.is_empty() || self.prefix.contains(['/', '\\']) {
            return invalid(format!(
                "prefix {:?} must be a non-empty name without '/' (it names the experiment folder)",
                self.prefix
            ));
        }
        if self.lookup.limit_per_entry == 0 {
            return invalid(
                "lookup.limit_per_entry must be at least 1 (the number of neighbours kept per query)"
                    .into(),
            );
        }
        for (key, value) in [
            ("redundancy.identity", self.redundancy.identity),
            ("redundancy.coverage", self.redundancy.coverage),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return invalid(format!(
                    "{key} is {value}; use a fraction from 0 to 1 (redundancy.identity 0 turns the filter off)"
                ));
            }
        }
        if self.lookup.precision > 12 {
            return invalid(format!(
                "lookup.precision is {}; use 0..=12 decimal places",
                self.lookup.precision
            ));
        }
        let enabled: Vec<_> = self.enabled_models().collect();
        if enabled.is_empty() {
            return invalid(format!(
                "no model is enabled under embedding.models (configured: {}); set `enabled: true` on one",
                self.embedding.models.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        for (name, model) in &self.embedding.models {
            // Unknown backends are reported with the list of known ones by the registry.
            model
                .validate(name)
                .map_err(|e| ConfigError::Invalid(format!("embedding.models.{name}: {e}")))?;
            if let Some(t) = model.distance_threshold {
                let max = match self.lookup.distance_metric {
                    Metric::Cosine => 2.0,
                    Metric::Euclidean => f32::INFINITY,
                };
                if !(0.0..=max).contains(&t) {
                    return invalid(format!(
                        "embedding.models.{name}.distance_threshold is {t}; with the {} metric it must be in [0, {max}] (or null for none)",
                        metric_name(self.lookup.distance_metric)
                    ));
                }
            }
        }
        let plan = homolog_annotate::SummaryPlan::new(&self.postprocess.summary)
            .map_err(|e| ConfigError::Invalid(format!("postprocess.summary: {e}")))?;
        let post = &self.postprocess;
        homolog_annotate::check_output_thresholds(post.min_score, post.min_reliability)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if post.score == homolog_annotate::ScoreMethod::Vote {
            if !self.lookup.alignment {
                return invalid(
                    "postprocess.score: vote ranks neighbours by their Smith-Waterman alignment, \
                     but lookup.alignment is false; set lookup.alignment: true or use score: fantasia"
                        .into(),
                );
            }
            if post.vote.voters == 0 {
                return invalid(
                    "postprocess.vote.voters is 0; at least one neighbour must vote (default 3)"
                        .into(),
                );
            }
        }
        if post.min_score.is_some()
            && post.score == homolog_annotate::ScoreMethod::Fantasia
            && !plan.has_final_score()
        {
            return invalid(
                "postprocess.min_score filters on final_score, but postprocess.summary.weights \
                 gives no final_score; set weights or drop min_score"
                    .into(),
            );
        }
        if self.taxonomy.with_descendants && self.taxonomy.is_noop() {
            return invalid(
                "taxonomy.get_descendants is true but include_only and exclude are both empty"
                    .into(),
            );
        }
        Ok(())
    }

    /// The enabled models, by name.
    pub fn enabled_models(&self) -> impl Iterator<Item = (&String, &ModelSettings)> {
        self.embedding.models.iter().filter(|(_, m)| m.enabled)
    }

    /// The effective configuration as YAML (written into every experiment folder).
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).expect("the config serialises")
    }
}

/// Makes the local paths of the reference section relative to `base`; URLs stay as they are.
fn resolve_reference_paths(spec: &mut BuildSpec, base: &Path) {
    let fix_path = |p: &mut PathBuf| {
        if p.is_relative() && !p.as_os_str().is_empty() {
            *p = base.join(&*p);
        }
    };
    let fix_source = |s: &mut Source| {
        if !s.location.is_empty()
            && !homolog_reference::fetch::is_url(&s.location)
            && Path::new(&s.location).is_relative()
        {
            s.location = base.join(&s.location).to_string_lossy().into_owned();
        }
    };
    // A PostgreSQL store URL (`postgres://...`) is not a local path.
    if !spec.path.to_string_lossy().contains("://") {
        fix_path(&mut spec.path);
    }
    if let Some(c) = &mut spec.cache_dir {
        fix_path(c);
    }
    spec.sequences.iter_mut().for_each(fix_source);
    spec.annotations.iter_mut().for_each(fix_source);
    fix_source(&mut spec.ontology);
    if let Some(t) = &mut spec.taxonomy {
        fix_source(&mut t.nodes);
        if let Some(n) = &mut t.names {
            fix_source(n);
        }
    }
    for e in &mut spec.embeddings {
        fix_source(&mut e.source);
    }
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Cosine => "cosine",
        Metric::Euclidean => "euclidean",
    }
}

fn top_level_keys() -> Vec<&'static str> {
    vec![
        "base_directory",
        "prefix",
        "input",
        "threads",
        "on_invalid",
        "reference",
        "embedding",
        "lookup",
        "taxonomy",
        "postprocess",
    ]
}

/// Reads an override value as YAML so numbers, booleans and lists keep their type.
fn parse_scalar(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn set_path(tree: &mut Value, segments: &[String], value: Value) -> Result<(), String> {
    let mut node = tree;
    for (i, seg) in segments.iter().enumerate() {
        if seg.is_empty() {
            return Err("empty key segment".into());
        }
        let map = match node {
            Value::Mapping(m) => m,
            Value::Null => {
                *node = Value::Mapping(Default::default());
                match node {
                    Value::Mapping(m) => m,
                    _ => unreachable!(),
                }
            }
            _ => {
                return Err(format!(
                    "`{}` is not a section, cannot set `{seg}` inside it",
                    segments[..i].join(".")
                ))
            }
        };
        let key = Value::String(seg.clone());
        if i + 1 == segments.len() {
            map.insert(key, value);
            return Ok(());
        }
        node = map.entry(key).or_insert(Value::Null);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(yaml: &str, env: &[(&str, &str)], sets: &[&str]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        std::fs::write(&path, yaml).unwrap();
        Config::load(
            Some(&path),
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            &sets.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn example_config_parses_and_equals_the_defaults() {
        let from_example: Config = serde_yaml::from_str(EXAMPLE_YAML).unwrap();
        let defaults = Config::default();
        assert_eq!(from_example.to_yaml(), defaults.to_yaml());
    }

    #[test]
    fn env_then_flags_override_the_file() {
        let c = load_str(
            "prefix: a\nlookup:\n  limit_per_entry: 2\n",
            &[
                ("HOMOLOG_PREFIX", "b"),
                ("HOMOLOG_LOOKUP__LIMIT_PER_ENTRY", "3"),
                ("HOMOLOG_DATA", "/not/a/config/key"),
            ],
            &["lookup.limit_per_entry=4"],
        )
        .unwrap();
        assert_eq!(c.prefix, "b");
        assert_eq!(c.lookup.limit_per_entry, 4);
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = load_str("lookup:\n  limit_per_entri: 2\n", &[], &[]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("limit_per_entri"), "{msg}");
        let err = load_str("", &[("HOMOLOG_LOOKUP__BOGUS", "1")], &[]).unwrap_err();
        assert!(err.to_string().contains("HOMOLOG_LOOKUP__BOGUS"), "{err}");
    }

    #[test]
    fn threshold_out_of_range_names_the_range() {
        let err = load_str(
            "embedding:\n  models:\n    kmer:\n      distance_threshold: 3.5\n",
            &[],
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("[0, 2]"), "{err}");
    }

    #[test]
    fn unknown_model_lists_known_ones() {
        let err = load_str(
            "embedding:\n  models:\n    protbert:\n      enabled: true\n",
            &[],
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("kmer"), "{err}");
    }

    #[test]
    fn zero_k_is_rejected() {
        let err = load_str("lookup:\n  limit_per_entry: 0\n", &[], &[]).unwrap_err();
        assert!(err.to_string().contains("at least 1"));
    }

    #[test]
    fn output_thresholds_are_validated() {
        let c = load_str(
            "postprocess:\n  min_score: 1.2\n  min_reliability: 0.5\n",
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(c.postprocess.min_score, Some(1.2));
        assert_eq!(c.postprocess.min_reliability, Some(0.5));
        let defaults = Config::default();
        assert_eq!(defaults.postprocess.min_score, None);
        assert_eq!(defaults.postprocess.min_reliability, None);
        for (yaml, want) in [
            ("  min_score: -0.5\n", "postprocess.min_score"),
            ("  min_score: .nan\n", "postprocess.min_score"),
            (
                "  min_reliability: 1.5\n",
                "min_reliability`: 1.5 must be within [0, 1]",
            ),
            (
                "  min_score: 0.5\n  summary:\n    weights: {}\n",
                "gives no final_score",
            ),
        ] {
            let err = load_str(&format!("postprocess:\n{yaml}"), &[], &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{yaml}: {err}");
        }
        let c = load_str("", &[], &["postprocess.min_reliability=0.3"]).unwrap();
        assert_eq!(c.postprocess.min_reliability, Some(0.3));
    }

    #[test]
    fn relative_paths_follow_the_config_file() {
        let c = load_str("input: q.fasta\n", &[], &[]).unwrap();
        assert!(c.input.unwrap().is_absolute());
    }
}
