//! The export's YAML configuration (`homolog export --config export.yaml`).
//!
//! Relative paths are resolved against the configuration file's folder, so a config and its
//! inputs can move together. Unknown keys are errors that name the key (a typo must not
//! silently turn a feature off).
//!
//! ```yaml
//! reference: reference/            # a `homolog initialize` folder holding the model's matrix
//! model: kmer                      # the (model, layer) whose embeddings find the neighbours
//! layer: 0
//! k: 5                             # neighbours per query and GO aspect
//! queries:
//!   embeddings: queries.h5         # `homolog embed` / `homolog run --only-embedding` output
//!   taxonomy: query_taxids.tsv     # optional: accession<TAB>taxid
//! alignment:
//!   cache: alignments.sqlite       # optional: PROTEA's SQLite alignment cache
//! releases:                        # oldest first; the last one is the test release
//!   - name: t0
//!     annotations: [t0.gaf.gz]
//!   - name: t1
//!     annotations: [t1.gaf.gz]
//!   - name: t2
//!     annotations: [t2.gaf.gz]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use homolog_go::Aspect;
use homolog_search::Metric;
use serde::{Deserialize, Serialize};

use crate::ExportError;

/// Default neighbours per (query, aspect): PROTEA's `limit_per_entry`.
pub const DEFAULT_K: usize = 5;
/// Default queries per chunk (one Parquet row group per split and chunk).
pub const DEFAULT_CHUNK_QUERIES: usize = 256;

/// The whole export configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// The reference folder (`homolog initialize`): proteins, their GO annotations, the
    /// ontology, the optional taxonomy and the embedding matrix of `model`/`layer`.
    pub reference: PathBuf,
    /// Embedding model name as the reference stores it (e.g. `kmer`, `prot_t5`).
    pub model: String,
    /// Layer of `model`.
    #[serde(default)]
    pub layer: usize,
    /// Neighbours per (query, GO aspect).
    #[serde(default = "default_k")]
    pub k: usize,
    /// Embedding distance.
    #[serde(default)]
    pub metric: Metric,
    /// Worker threads: 0 = all cores, 1 = serial. Outputs do not depend on it.
    #[serde(default)]
    pub threads: usize,
    /// Queries per chunk: the unit of streaming (one row group per split and chunk).
    #[serde(default = "default_chunk")]
    pub chunk_queries: usize,
    /// Never use a query's own reference entry (same accession) as its neighbour.
    #[serde(default = "yes")]
    pub exclude_self: bool,
    /// Alignment features.
    #[serde(default)]
    pub alignment: AlignmentSection,
    /// A taxdump for the taxonomy features; without one the reference's own taxonomy is used
    /// (when it has one), else the taxonomy columns are empty.
    #[serde(default)]
    pub taxonomy: Option<TaxdumpSection>,
    /// The default query pool of every release pair.
    #[serde(default)]
    pub queries: Option<QuerySource>,
    /// anc2vec GO-term embeddings (NPZ with `embeddings` and `go_ids`) for the `anc2vec_*`
    /// columns.
    #[serde(default)]
    pub go_embeddings: Option<PathBuf>,
    /// Information accretion per GO term (`GO:id<TAB>ia`, e.g. CAFA's IA file) for the
    /// ontology similarity columns (`go_ic`, `go_resnik_*`, `go_lin_*`).
    #[serde(default)]
    pub ia: Option<PathBuf>,
    /// The PCA is fitted on at most this many reference rows (an even stride beyond it).
    #[serde(default = "default_pca_rows")]
    pub pca_max_rows: usize,
    /// Which annotations of a release count for labels and categories.
    #[serde(default)]
    pub evidence_codes: EvidenceFilter,
    /// A chain of releases, oldest first: train = every consecutive pair but the last, eval =
    /// the last train release -> the test release (the last entry).
    #[serde(default)]
    pub releases: Vec<ReleaseSpec>,
    /// Release pairs given one by one (added after the pairs of `releases`).
    #[serde(default)]
    pub pairs: Vec<PairSpec>,
}

fn default_k() -> usize {
    DEFAULT_K
}
fn default_chunk() -> usize {
    DEFAULT_CHUNK_QUERIES
}
fn default_pca_rows() -> usize {
    homolog_features::PROTEA_MAX_FIT_ROWS
}
fn yes() -> bool {
    true
}

/// `alignment:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignmentSection {
    /// Compute the 12 NW/SW features (else they are null).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// PROTEA's SQLite cache file (created if absent; shared safely between processes).
    #[serde(default)]
    pub cache: Option<PathBuf>,
}

impl Default for AlignmentSection {
    fn default() -> Self {
        Self {
            enabled: true,
            cache: None,
        }
    }
}

/// `taxonomy:`: an NCBI taxdump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxdumpSection {
    /// `nodes.dmp` (plain or gzip).
    pub nodes: PathBuf,
    /// `names.dmp` (optional).
    #[serde(default)]
    pub names: Option<PathBuf>,
    /// `merged.dmp` (optional): retired ids are translated before the lineage lookup.
    #[serde(default)]
    pub merged: Option<PathBuf>,
}

/// Where the query proteins come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySource {
    /// Embeddings in FANTASIA's HDF5 layout (with each protein's sequence), holding the
    /// vectors of `model`/`layer`.
    pub embeddings: PathBuf,
    /// Optional `accession<TAB>taxid` table of the queries' NCBI taxids.
    #[serde(default)]
    pub taxonomy: Option<PathBuf>,
}

/// Evidence codes kept from release annotation files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EvidenceFilter {
    /// The experimental codes EXP, IDA, IPI, IMP, IGI, IEP, TAS, IC
    /// (`homolog_go::EXPERIMENTAL_EVIDENCE`). A file without any code is kept whole.
    #[default]
    Experimental,
    /// Every annotation.
    All,
    /// These codes (a file without any code is kept whole).
    Codes(Vec<String>),
}

impl Serialize for EvidenceFilter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EvidenceFilter::Experimental => s.serialize_str("experimental"),
            EvidenceFilter::All => s.serialize_str("all"),
            EvidenceFilter::Codes(c) => c.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for EvidenceFilter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            List(Vec<String>),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) => match w.trim().to_ascii_lowercase().as_str() {
                "experimental" => Ok(EvidenceFilter::Experimental),
                "all" => Ok(EvidenceFilter::All),
                _ => Err(serde::de::Error::custom(format!(
                    "evidence_codes: {w:?}; use experimental, all, or a list such as [EXP, IDA]"
                ))),
            },
            Raw::List(l) => Ok(EvidenceFilter::Codes(l)),
        }
    }
}

impl EvidenceFilter {
    /// Whether an annotation with `code` is kept (in a file that carries codes).
    pub fn keeps(&self, code: Option<&str>) -> bool {
        match (self, code) {
            (EvidenceFilter::All, _) => true,
            (_, None) => false,
            (EvidenceFilter::Experimental, Some(c)) => homolog_go::is_experimental(c.trim()),
            (EvidenceFilter::Codes(list), Some(c)) => {
                list.iter().any(|k| k.trim().eq_ignore_ascii_case(c.trim()))
            }
        }
    }
}

/// One annotation release of the query proteins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    /// A short name (manifest, `release_pair` column).
    pub name: String,
    /// Annotation files (GAF 2.x, or TSV `accession<TAB>go_id[<TAB>aspect[<TAB>evidence]]`,
    /// plain or gzip). None: nothing is known about the queries in this release.
    #[serde(default)]
    pub annotations: Vec<PathBuf>,
    /// For the pair that ends at this release: the categories from protein lists instead of
    /// from the earlier release (CAFA's type1 = NK, type2 = LK lists).
    #[serde(default)]
    pub categories: Option<CategoryLists>,
}

/// Per-aspect protein lists (one id per line) naming each (protein, aspect)'s category.
/// Keys: `P`/`F`/`C` or `BPO`/`MFO`/`CCO`. A protein listed NK for any aspect is NK in all
/// three (it had no annotation at all); LK and PK apply to the aspect listed. A (protein,
/// aspect) in no list has no known category and gives no rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryLists {
    #[serde(default)]
    pub nk: BTreeMap<String, Vec<PathBuf>>,
    #[serde(default)]
    pub lk: BTreeMap<String, Vec<PathBuf>>,
    #[serde(default)]
    pub pk: BTreeMap<String, Vec<PathBuf>>,
}

/// Train or eval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// `train.parquet`.
    Train,
    /// `eval.parquet`.
    Eval,
}

impl Split {
    /// `train` or `eval`.
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Eval => "eval",
        }
    }
}

/// One (earlier, later) release pair given explicitly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    /// Which file its rows go to.
    pub split: Split,
    /// The query pool (default: the top-level `queries`).
    #[serde(default)]
    pub queries: Option<QuerySource>,
    /// What was known at the cut-off.
    pub earlier: ReleaseSpec,
    /// What was known later: the labels.
    pub later: ReleaseSpec,
}

/// A release pair ready to run: split, releases and query pool resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedPair {
    /// `earlier->later`.
    pub name: String,
    pub split: Split,
    pub queries: QuerySource,
    pub earlier: ReleaseSpec,
    pub later: ReleaseSpec,
}

/// Parses an aspect key of the category lists.
pub fn parse_aspect_key(key: &str) -> Option<Aspect> {
    Aspect::parse(key)
}

impl ExportConfig {
    /// Reads a YAML file; relative paths become relative to its folder; checks the values.
    pub fn load(path: impl AsRef<Path>) -> Result<ExportConfig, ExportError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ExportError::Config {
            path: path.to_path_buf(),
            message: format!("cannot read it ({e})"),
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        Self::from_yaml(&text, base, path)
    }

    /// Parses YAML text; relative paths are resolved against `base`; `source` names the text
    /// in error messages.
    pub fn from_yaml(text: &str, base: &Path, source: &Path) -> Result<ExportConfig, ExportError> {
        let mut config: ExportConfig =
            serde_yaml::from_str(text).map_err(|e| ExportError::Config {
                path: source.to_path_buf(),
                message: e.to_string(),
            })?;
        config.resolve_paths(base);
        config.validate(source)?;
        Ok(config)
    }

    /// Makes every relative path relative to `base`.
    pub fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() && !base.as_os_str().is_empty() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.reference);
        if let Some(c) = self.alignment.cache.as_mut() {
            fix(c)
        }
        if let Some(t) = self.taxonomy.as_mut() {
            fix(&mut t.nodes);
            t.names.iter_mut().for_each(fix);
            t.merged.iter_mut().for_each(fix);
        }
        let fix_queries = |q: &mut QuerySource| {
            fix(&mut q.embeddings);
            q.taxonomy.iter_mut().for_each(fix);
        };
        if let Some(q) = self.queries.as_mut() {
            fix_queries(q);
        }
        self.go_embeddings.iter_mut().for_each(fix);
        self.ia.iter_mut().for_each(fix);
        let fix_release = |r: &mut ReleaseSpec| {
            r.annotations.iter_mut().for_each(fix);
            if let Some(c) = r.categories.as_mut() {
                for lists in [&mut c.nk, &mut c.lk, &mut c.pk] {
                    lists.values_mut().flatten().for_each(fix);
                }
            }
        };
        self.releases.iter_mut().for_each(fix_release);
        for p in &mut self.pairs {
            if let Some(q) = p.queries.as_mut() {
                fix_queries(q);
            }
            fix_release(&mut p.earlier);
            fix_release(&mut p.later);
        }
    }

    /// Checks values that serde cannot.
    pub fn validate(&self, source: &Path) -> Result<(), ExportError> {
        let bad = |message: String| ExportError::Config {
            path: source.to_path_buf(),
            message,
        };
        if self.k == 0 {
            return Err(bad(
                "k is 0; give the number of neighbours per aspect (PROTEA uses 5)".into(),
            ));
        }
        if self.chunk_queries == 0 {
            return Err(bad(
                "chunk_queries is 0; give at least 1 (256 is the default)".into(),
            ));
        }
        if self.model.trim().is_empty() {
            return Err(bad(
                "model is empty; name the reference's embedding model, e.g. model: kmer".into(),
            ));
        }
        if self.releases.len() == 1 {
            return Err(bad(
                "releases lists one release; a chain needs at least two (the last is the test release)".into(),
            ));
        }
        if self.releases.is_empty() && self.pairs.is_empty() {
            return Err(bad(
                "no release pairs: give `releases:` (oldest first, the last is the test release) or `pairs:`".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for r in &self.releases {
            if !names.insert(r.name.as_str()) {
                return Err(bad(format!(
                    "release name {:?} appears twice in `releases`",
                    r.name
                )));
            }
        }
        for r in self
            .releases
            .iter()
            .chain(self.pairs.iter().flat_map(|p| [&p.earlier, &p.later]))
        {
            if r.name.trim().is_empty() {
                return Err(bad(
                    "a release has an empty name; give each release a name".into()
                ));
            }
            if let Some(c) = &r.categories {
                for key in c.nk.keys().chain(c.lk.keys()).chain(c.pk.keys()) {
                    if parse_aspect_key(key).is_none() {
                        return Err(bad(format!(
                            "release {}: categories key {key:?} is not an aspect; use P, F, C (or BPO, MFO, CCO)",
                            r.name
                        )));
                    }
                }
            }
        }
        let needs_default =
            self.pairs.iter().any(|p| p.queries.is_none()) || !self.releases.is_empty();
        if needs_default && self.queries.is_none() {
            return Err(bad(
                "no `queries:`; give queries.embeddings (an embeddings.h5 from `homolog embed`)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The release pairs in output order: the chain's train pairs, its eval pair, then the
    /// explicit `pairs`.
    pub fn resolved_pairs(&self) -> Vec<ResolvedPair> {
        let mut out = Vec::new();
        let n = self.releases.len();
        let default_queries = self.queries.clone();
        if n >= 2 {
            for i in 0..n - 1 {
                let split = if i + 2 == n {
                    Split::Eval
                } else {
                    Split::Train
                };
                let (e, l) = (&self.releases[i], &self.releases[i + 1]);
                out.push(ResolvedPair {
                    name: format!("{}->{}", e.name, l.name),
                    split,
                    queries: default_queries.clone().expect("validated"),
                    earlier: e.clone(),
                    later: l.clone(),
                });
            }
        }
        for p in &self.pairs {
            out.push(ResolvedPair {
                name: format!("{}->{}", p.earlier.name, p.later.name),
                split: p.split,
                queries: p
                    .queries
                    .clone()
                    .or_else(|| default_queries.clone())
                    .expect("validated"),
                earlier: p.earlier.clone(),
                later: p.later.clone(),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "reference: ref\nmodel: kmer\nqueries:\n  embeddings: q.h5\nreleases:\n  - name: a\n    annotations: [a.tsv]\n  - name: b\n    annotations: [b.tsv]\n  - name: c\n    annotations: [/abs/c.tsv]\n";

    #[test]
    fn chain_gives_train_pairs_then_eval_and_paths_resolve() {
        let c = ExportConfig::from_yaml(YAML, Path::new("/cfg"), Path::new("x.yaml")).unwrap();
        assert_eq!(c.k, 5);
        assert_eq!(c.reference, Path::new("/cfg/ref"));
        let pairs = c.resolved_pairs();
        let names: Vec<(&str, Split)> = pairs.iter().map(|p| (p.name.as_str(), p.split)).collect();
        assert_eq!(names, [("a->b", Split::Train), ("b->c", Split::Eval)]);
        assert_eq!(pairs[1].later.annotations[0], Path::new("/abs/c.tsv"));
        assert_eq!(pairs[0].queries.embeddings, Path::new("/cfg/q.h5"));
    }

    #[test]
    fn typos_and_bad_values_are_named() {
        let e = ExportConfig::from_yaml(
            &format!("{YAML}kk: 3\n"),
            Path::new(""),
            Path::new("x.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("kk"), "{e}");
        let e = ExportConfig::from_yaml(
            &YAML.replace("model: kmer", "model: kmer\nk: 0"),
            Path::new(""),
            Path::new("x.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("k is 0"), "{e}");
        let e = ExportConfig::from_yaml(
            &format!("{YAML}evidence_codes: some\n"),
            Path::new(""),
            Path::new("x.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("experimental, all"), "{e}");
    }

    #[test]
    fn evidence_filter() {
        assert!(EvidenceFilter::Experimental.keeps(Some("IDA")));
        assert!(!EvidenceFilter::Experimental.keeps(Some("IEA")));
        assert!(EvidenceFilter::All.keeps(None));
        assert!(EvidenceFilter::Codes(vec!["iea".into()]).keeps(Some("IEA")));
    }
}
