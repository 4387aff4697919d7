//! The experiment folder and the files written into it: raw CSVs, `summary.csv`, TopGO.
//!
//! Every file is written atomically: into a temporary file in the target directory, then
//! renamed over the target, so a crash never leaves a half-written CSV that a later stage
//! would read as complete.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use homolog_go::Aspect;
use homolog_search::Metric;
use serde::{Deserialize, Serialize};

use crate::error::AnnotateError;
use crate::summary::SummaryRow;
use crate::transfer::{AlignmentColumns, RawRow};

/// Paths of a FANTASIA-style experiment folder (design.md section 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentLayout {
    root: PathBuf,
}

impl ExperimentLayout {
    /// A layout rooted at an existing or future experiment folder.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ExperimentLayout { root: root.into() }
    }

    /// FANTASIA's naming: `<base>/experiments/<prefix>_<timestamp>`; `timestamp` is
    /// `YYYYMMDDHHMMSS` by convention (the caller formats it).
    pub fn timestamped(base: impl AsRef<Path>, prefix: &str, timestamp: &str) -> Self {
        Self::new(
            base.as_ref()
                .join("experiments")
                .join(format!("{prefix}_{timestamp}")),
        )
    }

    /// The experiment folder.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `experiment_config.yaml`: the effective configuration.
    pub fn experiment_config(&self) -> PathBuf {
        self.root.join("experiment_config.yaml")
    }
    /// `model_provenance.yaml`.
    pub fn model_provenance(&self) -> PathBuf {
        self.root.join("model_provenance.yaml")
    }
    /// `embeddings.h5`.
    pub fn embeddings(&self) -> PathBuf {
        self.root.join("embeddings.h5")
    }
    /// `sequences.fasta` (FANTASIA's Q*/R* sequence index).
    pub fn sequences_fasta(&self) -> PathBuf {
        self.root.join("sequences.fasta")
    }
    /// `summary.csv`.
    pub fn summary(&self) -> PathBuf {
        self.root.join("summary.csv")
    }
    /// `raw_results/`.
    pub fn raw_results_dir(&self) -> PathBuf {
        self.root.join("raw_results")
    }
    /// `raw_results/<model>/layer_<k>/` with FANTASIA's sanitised model name.
    pub fn raw_result_dir(&self, model: &str, layer: u32) -> PathBuf {
        self.raw_results_dir()
            .join(sanitize_file_component(model))
            .join(format!("layer_{layer}"))
    }
    /// `raw_results/<model>/layer_<k>/<accession>.csv` (model and accession sanitised).
    pub fn raw_result_file(&self, model: &str, layer: u32, accession: &str) -> PathBuf {
        self.raw_result_dir(model, layer)
            .join(format!("{}.csv", sanitize_file_component(accession)))
    }
    /// `topgo/`.
    pub fn topgo_dir(&self) -> PathBuf {
        self.root.join("topgo")
    }
    /// `topgo/<model>/layer_<k>/<P|F|C>.topgo`.
    pub fn topgo_file(&self, model: &str, layer: u32, aspect: Aspect) -> PathBuf {
        self.topgo_dir()
            .join(topgo_model_component(model))
            .join(format!("layer_{layer}"))
            .join(format!("{}.topgo", aspect.code()))
    }
    /// `topgo/ensemble/<P|F|C>.topgo`.
    pub fn topgo_ensemble_file(&self, aspect: Aspect) -> PathBuf {
        self.topgo_dir()
            .join("ensemble")
            .join(format!("{}.topgo", aspect.code()))
    }
}

/// FANTASIA's `_sanitize` for file names: trim, lower-case, whitespace runs -> `_`, every
/// character outside `[a-z0-9._-]` -> `_`; empty -> `model`.
pub fn sanitize_file_component(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut in_space = false;
    for c in lower.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push('_');
            }
            in_space = true;
            continue;
        }
        in_space = false;
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
            out.push(c);
        } else {
            // One '_' per character, as Python's per-character regex substitution.
            out.push('_');
        }
    }
    if out.is_empty() {
        "model".to_string()
    } else {
        out
    }
}

/// FANTASIA names TopGO model folders with the raw model name; homolog does too unless the
/// name could not be a single path component, then it sanitises it.
fn topgo_model_component(model: &str) -> String {
    let unsafe_name =
        model.is_empty() || model == "." || model == ".." || model.contains(['/', '\\', '\0']);
    if unsafe_name {
        sanitize_file_component(model)
    } else {
        model.to_string()
    }
}

/// Writes a file atomically ([`homolog_io::with_atomic_writer`]): temp file in the same
/// directory, flush, sync, rename over `path`. Parent directories are created.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), AnnotateError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| AnnotateError::io("creating directory", dir, e))?;
    }
    homolog_io::with_atomic_writer(path, |w| {
        write(w).map_err(|e| AnnotateError::io("writing", path, e))
    })
}

/// Options of the raw CSV writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawCsvOptions {
    /// Decimal places of float columns.
    pub precision: usize,
    /// Write `sequence_query` / `sequence_reference`.
    pub keep_sequences: bool,
}

impl Default for RawCsvOptions {
    fn default() -> Self {
        RawCsvOptions {
            precision: 4,
            keep_sequences: false,
        }
    }
}

/// Raw CSV header: FANTASIA v4's columns in FANTASIA's order, then homolog's `taxonomy_id`.
pub fn raw_csv_header(keep_sequences: bool) -> Vec<&'static str> {
    let mut h = vec![
        "accession",
        "model_name",
        "embedding_type_id",
        "layer_index",
        "distance",
        "go_id",
        "category",
        "evidence_code",
        "go_description",
        "protein_id",
        "organism",
        "gene_name",
        "query_idx",
        "ref_idx",
        "query_len",
        "ref_len",
    ];
    if keep_sequences {
        h.extend(["sequence_query", "sequence_reference"]);
    }
    h.extend([
        "reliability_index",
        "identity",
        "similarity",
        "alignment_score",
        "gaps_percentage",
        "alignment_length",
        "length_query",
        "length_reference",
        "identity_sw",
        "similarity_sw",
        "alignment_score_sw",
        "gaps_percentage_sw",
        "alignment_length_sw",
        "distance_metric",
        "distance_threshold",
        "taxonomy_id",
    ]);
    h
}

fn fmt_f(v: f64, precision: usize) -> String {
    format!("{v:.precision$}")
}

fn opt_f(v: Option<f64>, precision: usize) -> String {
    v.map(|x| fmt_f(x, precision)).unwrap_or_default()
}

fn opt_d<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn raw_record(r: &RawRow, opts: &RawCsvOptions) -> Vec<String> {
    let p = opts.precision;
    let mut rec = vec![
        r.accession.clone(),
        r.model_name.clone(),
        opt_d(r.embedding_type_id),
        r.layer_index.to_string(),
        fmt_f(r.distance, p),
        r.go_id.clone(),
        r.category.code().to_string(),
        r.evidence_code.clone().unwrap_or_default(),
        r.go_description.clone().unwrap_or_default(),
        r.protein_id.clone(),
        r.organism.clone().unwrap_or_default(),
        r.gene_name.clone().unwrap_or_default(),
        opt_d(r.query_idx),
        opt_d(r.ref_idx),
        opt_d(r.query_len),
        opt_d(r.ref_len),
    ];
    if opts.keep_sequences {
        rec.push(r.sequence_query.clone().unwrap_or_default());
        rec.push(r.sequence_reference.clone().unwrap_or_default());
    }
    rec.push(fmt_f(r.reliability_index, p));
    let side = |a: Option<AlignmentColumns>| -> [String; 5] {
        [
            opt_f(a.map(|x| x.identity), p),
            opt_f(a.map(|x| x.similarity), p),
            opt_f(a.map(|x| x.score), p),
            opt_f(a.map(|x| x.gaps), p),
            opt_f(a.map(|x| x.length), p),
        ]
    };
    rec.extend(side(r.nw));
    // FANTASIA's `length_query`/`length_reference` come with the alignment metrics.
    let aligned = r.nw.is_some() || r.sw.is_some();
    rec.push(if aligned {
        opt_d(r.query_len)
    } else {
        String::new()
    });
    rec.push(if aligned {
        opt_d(r.ref_len)
    } else {
        String::new()
    });
    rec.extend(side(r.sw));
    rec.push(r.distance_metric.as_str().to_string());
    rec.push(opt_d(r.distance_threshold));
    rec.push(opt_d(r.taxonomy_id));
    rec
}

/// Writes rows to one raw CSV (atomically), header first, in row order.
pub fn write_raw_csv(
    path: &Path,
    rows: &[RawRow],
    opts: &RawCsvOptions,
) -> Result<(), AnnotateError> {
    write_atomic(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(raw_csv_header(opts.keep_sequences))?;
        for r in rows {
            csv.write_record(raw_record(r, opts))?;
        }
        csv.flush()
    })
}

/// Writes `raw_results/<model>/layer_<k>/<accession>.csv` for every (model, layer, query) of
/// `rows`, keeping row order within a file. Returns the written paths, sorted.
///
/// Errors when two distinct query ids sanitise to the same file name (FANTASIA would silently
/// append one to the other).
pub fn write_raw_results(
    layout: &ExperimentLayout,
    rows: &[RawRow],
    opts: &RawCsvOptions,
) -> Result<Vec<PathBuf>, AnnotateError> {
    let mut files: BTreeMap<PathBuf, (&str, Vec<RawRow>)> = BTreeMap::new();
    for r in rows {
        let path = layout.raw_result_file(&r.model_name, r.layer_index, &r.accession);
        let entry = files
            .entry(path.clone())
            .or_insert_with(|| (r.accession.as_str(), Vec::new()));
        if entry.0 != r.accession {
            return Err(AnnotateError::FileNameCollision {
                first: entry.0.to_string(),
                second: r.accession.clone(),
                path,
            });
        }
        entry.1.push(r.clone());
    }
    let mut written = Vec::with_capacity(files.len());
    for (path, (_, group)) in files {
        write_raw_csv(&path, &group, opts)?;
        written.push(path);
    }
    Ok(written)
}

/// Parses an aspect the way FANTASIA's and GO's files spell it: `P`/`F`/`C`, `BP`/`MF`/`CC`,
/// `BPO`/`MFO`/`CCO` or the namespace name.
pub fn parse_aspect(s: &str) -> Option<Aspect> {
    Aspect::parse(s)
}

/// Reads a raw CSV written by homolog or by FANTASIA v4 (columns are found by name, so extra
/// or reordered columns are fine). Required: `accession`, `model_name`, `layer_index`,
/// `distance`, `go_id`, `category`, `protein_id`, `reliability_index`. A missing
/// `distance_metric` column means cosine (FANTASIA's default).
pub fn read_raw_csv(path: &Path) -> Result<Vec<RawRow>, AnnotateError> {
    let file = std::fs::File::open(path).map_err(|e| AnnotateError::io("opening", path, e))?;
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let csv_err = |line: u64, message: String| AnnotateError::Csv {
        path: path.to_path_buf(),
        line,
        message,
    };
    let headers = rdr
        .headers()
        .map_err(|e| csv_err(1, e.to_string()))?
        .clone();
    let col: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    for required in [
        "accession",
        "model_name",
        "layer_index",
        "distance",
        "go_id",
        "category",
        "protein_id",
        "reliability_index",
    ] {
        if !col.contains_key(required) {
            return Err(csv_err(
                1,
                format!("missing column `{required}`; is this a FANTASIA/homolog raw-result CSV?"),
            ));
        }
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            csv_err(line, e.to_string())
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |name: &str| -> Option<&str> {
            col.get(name)
                .and_then(|&i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let req = |name: &str| -> Result<&str, AnnotateError> {
            get(name).ok_or_else(|| csv_err(line, format!("empty `{name}`")))
        };
        let num = |name: &str| -> Result<Option<f64>, AnnotateError> {
            get(name)
                .map(|s| {
                    s.parse::<f64>()
                        .map_err(|_| csv_err(line, format!("`{name}` = '{s}' is not a number")))
                })
                .transpose()
        };
        // Integers may be written as floats by pandas ("12.0").
        let int = |name: &str| -> Result<Option<u64>, AnnotateError> {
            Ok(num(name)?.and_then(|v| (v >= 0.0 && v.fract() == 0.0).then_some(v as u64)))
        };
        let side = |suffix: &str| -> Result<Option<AlignmentColumns>, AnnotateError> {
            let f = |base: &str| num(&format!("{base}{suffix}"));
            match (
                f("identity")?,
                f("similarity")?,
                f("alignment_score")?,
                f("gaps_percentage")?,
                f("alignment_length")?,
            ) {
                (Some(identity), Some(similarity), Some(score), Some(gaps), Some(length)) => {
                    Ok(Some(AlignmentColumns {
                        identity,
                        similarity,
                        score,
                        gaps,
                        length,
                    }))
                }
                _ => Ok(None),
            }
        };
        let layer = req("layer_index")?;
        let layer_index = layer
            .parse::<f64>()
            .ok()
            .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v <= f64::from(u32::MAX))
            .map(|v| v as u32)
            .ok_or_else(|| {
                csv_err(
                    line,
                    format!("`layer_index` = '{layer}' is not a layer number (legacy layer-less results are not supported)"),
                )
            })?;
        let category = req("category")?;
        let category = parse_aspect(category).ok_or_else(|| {
            csv_err(
                line,
                format!("`category` = '{category}' is not an aspect (P, F, C, BP, MF, CC)"),
            )
        })?;
        let distance_metric = match get("distance_metric") {
            None => Metric::Cosine,
            Some(m) if m.eq_ignore_ascii_case("cosine") => Metric::Cosine,
            Some(m) if m.eq_ignore_ascii_case("euclidean") => Metric::Euclidean,
            Some(m) => {
                return Err(csv_err(
                    line,
                    format!("`distance_metric` = '{m}'; expected cosine or euclidean"),
                ))
            }
        };
        let to_u32 = |v: Option<u64>| v.and_then(|x| u32::try_from(x).ok());
        let s = |name: &str| get(name).map(str::to_string);
        out.push(RawRow {
            accession: req("accession")?.to_string(),
            model_name: req("model_name")?.to_string(),
            embedding_type_id: to_u32(int("embedding_type_id")?),
            layer_index,
            distance: num("distance")?.unwrap_or(f64::NAN),
            go_id: req("go_id")?.to_string(),
            category,
            evidence_code: s("evidence_code"),
            go_description: s("go_description"),
            protein_id: req("protein_id")?.to_string(),
            organism: s("organism"),
            gene_name: s("gene_name"),
            taxonomy_id: to_u32(int("taxonomy_id")?),
            query_idx: to_u32(int("query_idx")?),
            ref_idx: to_u32(int("ref_idx")?),
            query_len: int("query_len")?.map(|v| v as usize),
            ref_len: int("ref_len")?.map(|v| v as usize),
            sequence_query: s("sequence_query"),
            sequence_reference: s("sequence_reference"),
            reliability_index: num("reliability_index")?.unwrap_or(f64::NAN),
            nw: side("")?,
            sw: side("_sw")?,
            distance_metric,
            distance_threshold: num("distance_threshold")?.map(|v| v as f32),
        });
    }
    Ok(out)
}

/// Layout of `summary.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SummaryFormat {
    /// FANTASIA's: one row per (accession, go_id) with `term_count`, then every summary column
    /// pivoted per (model, layer) as `<column>_<model>_L<layer>`, then `proteins`
    /// (pipe-separated).
    #[default]
    Wide,
    /// homolog's: one row per (accession, go_id, model, layer) with `category`, the row count
    /// as `term_count`, the summary columns, then `proteins`.
    Long,
}

/// Writes `summary.csv` (atomically) in the chosen layout. Floats get `precision` decimals;
/// missing values are empty.
pub fn write_summary_csv(
    path: &Path,
    rows: &[SummaryRow],
    format: SummaryFormat,
    precision: usize,
) -> Result<(), AnnotateError> {
    // Column names in first-seen order over all rows (one plan gives one list).
    let mut columns: Vec<&str> = Vec::new();
    let mut seen_cols = HashSet::new();
    for r in rows {
        for c in r.columns.iter() {
            if seen_cols.insert(c.as_str()) {
                columns.push(c);
            }
        }
    }
    match format {
        SummaryFormat::Long => write_atomic(path, |w| {
            let mut csv = csv::Writer::from_writer(w);
            let mut header = vec![
                "accession",
                "go_id",
                "category",
                "model_name",
                "layer_index",
                "term_count",
            ];
            header.extend(columns.iter().copied());
            header.push("proteins");
            csv.write_record(&header)?;
            for r in rows {
                let mut rec = vec![
                    r.accession.clone(),
                    r.go_id.clone(),
                    r.category.code().to_string(),
                    r.model_name.clone(),
                    r.layer_index.to_string(),
                    r.rows.to_string(),
                ];
                rec.extend(columns.iter().map(|c| opt_f(r.get(c), precision)));
                rec.push(r.proteins.join("|"));
                csv.write_record(&rec)?;
            }
            csv.flush()
        }),
        SummaryFormat::Wide => {
            let model_layers: BTreeSet<(&str, u32)> = rows
                .iter()
                .map(|r| (r.model_name.as_str(), r.layer_index))
                .collect();
            let mut by_term: BTreeMap<(&str, &str), Vec<&SummaryRow>> = BTreeMap::new();
            for r in rows {
                by_term
                    .entry((r.accession.as_str(), r.go_id.as_str()))
                    .or_default()
                    .push(r);
            }
            write_atomic(path, |w| {
                let mut csv = csv::Writer::from_writer(w);
                let mut header = vec![
                    "accession".to_string(),
                    "go_id".to_string(),
                    "term_count".to_string(),
                ];
                for c in &columns {
                    for (m, l) in &model_layers {
                        header.push(format!("{c}_{m}_L{l}"));
                    }
                }
                header.push("proteins".to_string());
                csv.write_record(&header)?;
                for ((acc, go), group) in &by_term {
                    let term_count: usize = group.iter().map(|r| r.rows).sum();
                    let mut rec = vec![acc.to_string(), go.to_string(), term_count.to_string()];
                    for c in &columns {
                        for (m, l) in &model_layers {
                            let v = group
                                .iter()
                                .find(|r| r.model_name == *m && r.layer_index == *l)
                                .and_then(|r| r.get(c));
                            rec.push(opt_f(v, precision));
                        }
                    }
                    let proteins: BTreeSet<&str> = group
                        .iter()
                        .flat_map(|r| r.proteins.iter().map(String::as_str))
                        .collect();
                    rec.push(proteins.into_iter().collect::<Vec<_>>().join("|"));
                    csv.write_record(&rec)?;
                }
                csv.flush()
            })
        }
    }
}

/// Layout of the TopGO files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TopgoFormat {
    /// FANTASIA's: `accession<TAB>go_id<TAB>reliability_index` per line, no header. Per
    /// model/layer: every distinct (accession, term, RI) triple; ensemble: the best RI per
    /// (accession, term) over all models and layers.
    #[default]
    Fantasia,
    /// topGO's `readMappings` gene2GO map: `accession<TAB>GO:1, GO:2, ...` per accession.
    Gene2go,
}

type TopgoKey<'a> = (&'a str, u32, char);

/// Writes `topgo/<model>/layer_<k>/<P|F|C>.topgo` for each (model, layer, aspect) present in
/// `rows`, and `topgo/ensemble/<P|F|C>.topgo` over all of them. Accessions are sorted; within
/// an accession, lines keep row order (FANTASIA's per-file order). RIs get `precision`
/// decimals. Returns the written paths.
pub fn write_topgo(
    layout: &ExperimentLayout,
    rows: &[RawRow],
    format: TopgoFormat,
    precision: usize,
) -> Result<Vec<PathBuf>, AnnotateError> {
    let mut sorted: Vec<&RawRow> = rows.iter().collect();
    // Stable: keeps row order within an accession.
    sorted.sort_by(|a, b| a.accession.cmp(&b.accession));

    let mut per_layer: BTreeMap<TopgoKey, Vec<&RawRow>> = BTreeMap::new();
    // Best row per (aspect, accession, go_id) over all models/layers.
    let mut ensemble: BTreeMap<(char, &str, &str), &RawRow> = BTreeMap::new();
    for r in &sorted {
        let code = r.category.code();
        per_layer
            .entry((r.model_name.as_str(), r.layer_index, code))
            .or_default()
            .push(r);
        ensemble
            .entry((code, r.accession.as_str(), r.go_id.as_str()))
            .and_modify(|best| {
                if r.reliability_index > best.reliability_index {
                    *best = r;
                }
            })
            .or_insert(r);
    }

    let mut written = Vec::new();
    for ((model, layer, _), group) in &per_layer {
        let path = layout.topgo_file(model, *layer, group[0].category);
        write_topgo_file(&path, group, format, precision, true)?;
        written.push(path);
    }
    let mut ensemble_by_aspect: BTreeMap<char, Vec<&RawRow>> = BTreeMap::new();
    for ((code, _, _), r) in ensemble {
        ensemble_by_aspect.entry(code).or_default().push(r);
    }
    for group in ensemble_by_aspect.values() {
        let path = layout.topgo_ensemble_file(group[0].category);
        write_topgo_file(&path, group, format, precision, false)?;
        written.push(path);
    }
    Ok(written)
}

fn write_topgo_file(
    path: &Path,
    rows: &[&RawRow],
    format: TopgoFormat,
    precision: usize,
    dedup_triples: bool,
) -> Result<(), AnnotateError> {
    write_atomic(path, |w| match format {
        TopgoFormat::Fantasia => {
            let mut seen: HashSet<(&str, &str, String)> = HashSet::new();
            for r in rows {
                let ri = fmt_f(r.reliability_index, precision);
                if dedup_triples
                    && !seen.insert((r.accession.as_str(), r.go_id.as_str(), ri.clone()))
                {
                    continue;
                }
                writeln!(w, "{}\t{}\t{}", r.accession, r.go_id, ri)?;
            }
            Ok(())
        }
        TopgoFormat::Gene2go => {
            let mut by_acc: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for r in rows {
                by_acc
                    .entry(r.accession.as_str())
                    .or_default()
                    .insert(r.go_id.as_str());
            }
            for (acc, terms) in by_acc {
                let terms: Vec<&str> = terms.into_iter().collect();
                writeln!(w, "{acc}\t{}", terms.join(", "))?;
            }
            Ok(())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::row;
    use crate::{summarize, SummarySettings};

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn layout_paths_follow_fantasia() {
        let l = ExperimentLayout::timestamped("/base", "run", "20250101120000");
        assert_eq!(l.root(), Path::new("/base/experiments/run_20250101120000"));
        assert_eq!(
            l.raw_result_file("Prot-T5", 2, "sp|P1 X"),
            Path::new(
                "/base/experiments/run_20250101120000/raw_results/prot-t5/layer_2/sp_p1_x.csv"
            )
        );
        assert_eq!(
            l.topgo_file("Prot-T5", 0, Aspect::MolecularFunction),
            Path::new("/base/experiments/run_20250101120000/topgo/Prot-T5/layer_0/F.topgo")
        );
        assert_eq!(
            l.topgo_ensemble_file(Aspect::CellularComponent),
            Path::new("/base/experiments/run_20250101120000/topgo/ensemble/C.topgo")
        );
        assert_eq!(l.summary().file_name().unwrap(), "summary.csv");
    }

    #[test]
    fn sanitize_matches_fantasia() {
        assert_eq!(sanitize_file_component("  Prot T5  "), "prot_t5");
        assert_eq!(sanitize_file_component("a  \t b"), "a_b");
        assert_eq!(sanitize_file_component("sp|Q9/X:1"), "sp_q9_x_1");
        assert_eq!(sanitize_file_component("ÄB"), "_b");
        assert_eq!(sanitize_file_component("   "), "model");
    }

    #[test]
    fn raw_csv_header_and_values() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = row("Q1", "GO:A", "m", 0, 0.1, Some(0.5), Some(0.8), "P1");
        a.go_description = Some("a, with comma".into());
        a.taxonomy_id = Some(9606);
        a.distance_threshold = Some(0.5);
        let b = row("Q1", "GO:B", "m", 0, 0.25, None, None, "P2");
        let path = dir.path().join("x.csv");
        write_raw_csv(&path, &[a, b], &RawCsvOptions::default()).unwrap();
        let text = read(&path);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "accession,model_name,embedding_type_id,layer_index,distance,go_id,category,\
             evidence_code,go_description,protein_id,organism,gene_name,query_idx,ref_idx,\
             query_len,ref_len,reliability_index,identity,similarity,alignment_score,\
             gaps_percentage,alignment_length,length_query,length_reference,identity_sw,\
             similarity_sw,alignment_score_sw,gaps_percentage_sw,alignment_length_sw,\
             distance_metric,distance_threshold,taxonomy_id"
        );
        assert_eq!(
            lines[1],
            "Q1,m,3,0,0.1000,GO:A,P,IDA,\"a, with comma\",P1,,,,0,100,100,0.9000,0.5000,\
             0.5000,10.0000,0.0000,100.0000,100,100,0.8000,0.8000,10.0000,0.0000,100.0000,\
             cosine,0.5,9606"
        );
        assert_eq!(
            lines[2],
            "Q1,m,3,0,0.2500,GO:B,P,IDA,,P2,,,,0,100,100,0.7500,,,,,,,,,,,,,cosine,,"
        );
        assert_eq!(lines.len(), 3);
        let with_seq = raw_csv_header(true);
        assert_eq!(
            &with_seq[16..19],
            ["sequence_query", "sequence_reference", "reliability_index"]
        );
    }

    #[test]
    fn raw_results_round_trip_and_summary_is_value_preserving() {
        let dir = tempfile::tempdir().unwrap();
        let layout = ExperimentLayout::new(dir.path());
        let rows = vec![
            row(
                "Q1",
                "GO:A",
                "m",
                0,
                0.123456,
                Some(0.512345),
                Some(0.8),
                "P1",
            ),
            row("Q1", "GO:A", "m", 0, 0.3, Some(0.25), Some(0.6), "P2"),
            row("Q2", "GO:B", "m", 0, 0.2, None, None, "P1"),
            row("Q1", "GO:A", "m", 1, 0.2, Some(0.25), Some(0.6), "P2"),
        ];
        let opts = RawCsvOptions::default();
        let paths = write_raw_results(&layout, &rows, &opts).unwrap();
        assert_eq!(
            paths,
            vec![
                layout.raw_result_file("m", 0, "Q1"),
                layout.raw_result_file("m", 0, "Q2"),
                layout.raw_result_file("m", 1, "Q1"),
            ]
        );
        let mut back = Vec::new();
        for p in &paths {
            back.extend(read_raw_csv(p).unwrap());
        }
        assert_eq!(back.len(), 4);
        assert_eq!(back[0].distance, 0.1235);
        assert_eq!(back[0].nw.unwrap().identity, 0.5123);
        assert_eq!(back[2].nw, None);
        assert_eq!(back[0].category, Aspect::BiologicalProcess);
        let settings = SummarySettings::default();
        let mem = summarize(&rows, 3, 4, &settings).unwrap();
        let disk = summarize(&back, 3, 4, &settings).unwrap();
        assert_eq!(mem, disk);
        // And the files written from both are byte-identical.
        let a = dir.path().join("a.csv");
        let b = dir.path().join("b.csv");
        write_summary_csv(&a, &mem, SummaryFormat::Wide, 4).unwrap();
        write_summary_csv(&b, &disk, SummaryFormat::Wide, 4).unwrap();
        assert_eq!(read(&a), read(&b));
    }

    #[test]
    fn colliding_file_names_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let layout = ExperimentLayout::new(dir.path());
        let rows = vec![
            row("Q|1", "GO:A", "m", 0, 0.1, None, None, "P"),
            row("q_1", "GO:A", "m", 0, 0.1, None, None, "P"),
        ];
        let err = write_raw_results(&layout, &rows, &RawCsvOptions::default()).unwrap_err();
        assert!(err.to_string().contains("'Q|1' and 'q_1'"), "{err}");
    }

    #[test]
    fn read_rejects_bad_rows_with_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.csv");
        std::fs::write(
            &p,
            "accession,model_name,layer_index,distance,go_id,category,protein_id,reliability_index\n\
             Q,m,0,0.1,GO:A,P,P1,0.9\n\
             Q,m,0,0.1,GO:A,X,P1,0.9\n",
        )
        .unwrap();
        let err = read_raw_csv(&p).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("'X'"), "{err}");
        std::fs::write(&p, "accession,go_id\nQ,GO:A\n").unwrap();
        let err = read_raw_csv(&p).unwrap_err().to_string();
        assert!(err.contains("missing column `model_name`"), "{err}");
    }

    fn summary_rows() -> Vec<SummaryRow> {
        let rows = vec![
            row("Q1", "GO:A", "m", 0, 0.1, Some(0.5), Some(0.8), "P2"),
            row("Q1", "GO:A", "m", 0, 0.3, Some(0.25), Some(0.6), "P1"),
            row("Q1", "GO:A", "n", 2, 0.2, Some(1.0), Some(1.0), "P3"),
            row("Q2", "GO:B", "n", 2, 0.5, Some(1.0), Some(1.0), "P1"),
        ];
        let settings: SummarySettings = serde_yaml::from_str(
            "metrics: {reliability_index: [max]}\nweights: {reliability_index: 1, count: 1}",
        )
        .unwrap();
        summarize(&rows, 2, 4, &settings).unwrap()
    }

    #[test]
    fn wide_summary_is_pivoted_per_model_layer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.csv");
        write_summary_csv(&p, &summary_rows(), SummaryFormat::Wide, 4).unwrap();
        assert_eq!(
            read(&p),
            "accession,go_id,term_count,max_ri_m_L0,max_ri_n_L2,w_max_ri_m_L0,w_max_ri_n_L2,\
             count_m_L0,count_n_L2,w_count_m_L0,w_count_n_L2,final_score_m_L0,final_score_n_L2,proteins\n\
             Q1,GO:A,3,0.9000,0.8000,0.4500,0.4000,1.0000,0.5000,0.5000,0.2500,0.9500,0.6500,P1|P2|P3\n\
             Q2,GO:B,1,,0.5000,,0.2500,,0.5000,,0.2500,,0.5000,P1\n"
        );
    }

    #[test]
    fn long_summary_has_one_row_per_group() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.csv");
        write_summary_csv(&p, &summary_rows(), SummaryFormat::Long, 4).unwrap();
        assert_eq!(
            read(&p),
            "accession,go_id,category,model_name,layer_index,term_count,max_ri,w_max_ri,count,w_count,final_score,proteins\n\
             Q1,GO:A,P,m,0,2,0.9000,0.4500,1.0000,0.5000,0.9500,P1|P2\n\
             Q1,GO:A,P,n,2,1,0.8000,0.4000,0.5000,0.2500,0.6500,P3\n\
             Q2,GO:B,P,n,2,1,0.5000,0.2500,0.5000,0.2500,0.5000,P1\n"
        );
    }

    fn topgo_rows() -> Vec<RawRow> {
        let mut f = row("Q2", "GO:F", "m", 0, 0.4, None, None, "P1");
        f.category = Aspect::MolecularFunction;
        vec![
            row("Q2", "GO:A", "m", 0, 0.3, None, None, "P1"),
            row("Q1", "GO:B", "m", 0, 0.2, None, None, "P1"),
            row("Q1", "GO:A", "m", 0, 0.1, None, None, "P1"),
            row("Q1", "GO:A", "m", 0, 0.1, None, None, "P2"), // same triple: once
            row("Q1", "GO:A", "m", 0, 0.3, None, None, "P3"), // other RI: kept
            row("Q1", "GO:A", "n", 1, 0.05, None, None, "P1"),
            f,
        ]
    }

    #[test]
    fn topgo_fantasia_format() {
        let dir = tempfile::tempdir().unwrap();
        let layout = ExperimentLayout::new(dir.path());
        let paths = write_topgo(&layout, &topgo_rows(), TopgoFormat::Fantasia, 4).unwrap();
        let bp = Aspect::BiologicalProcess;
        let mf = Aspect::MolecularFunction;
        assert_eq!(
            paths,
            // (model, layer, letter) order, then the ensemble by letter.
            vec![
                layout.topgo_file("m", 0, mf),
                layout.topgo_file("m", 0, bp),
                layout.topgo_file("n", 1, bp),
                layout.topgo_ensemble_file(mf),
                layout.topgo_ensemble_file(bp),
            ]
        );
        assert_eq!(read(&paths[0]), "Q2\tGO:F\t0.6000\n");
        // Accessions sorted, row order within one; duplicate triples once.
        assert_eq!(
            read(&paths[1]),
            "Q1\tGO:B\t0.8000\nQ1\tGO:A\t0.9000\nQ1\tGO:A\t0.7000\nQ2\tGO:A\t0.7000\n"
        );
        assert_eq!(read(&paths[2]), "Q1\tGO:A\t0.9500\n");
        assert_eq!(read(&paths[3]), "Q2\tGO:F\t0.6000\n");
        // Ensemble: best RI per (accession, term) over m/0 and n/1, sorted.
        assert_eq!(
            read(&paths[4]),
            "Q1\tGO:A\t0.9500\nQ1\tGO:B\t0.8000\nQ2\tGO:A\t0.7000\n"
        );
    }

    #[test]
    fn topgo_gene2go_format() {
        let dir = tempfile::tempdir().unwrap();
        let layout = ExperimentLayout::new(dir.path());
        write_topgo(&layout, &topgo_rows(), TopgoFormat::Gene2go, 4).unwrap();
        let bp = Aspect::BiologicalProcess;
        assert_eq!(
            read(&layout.topgo_file("m", 0, bp)),
            "Q1\tGO:A, GO:B\nQ2\tGO:A\n"
        );
        assert_eq!(
            read(&layout.topgo_ensemble_file(bp)),
            "Q1\tGO:A, GO:B\nQ2\tGO:A\n"
        );
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/f.txt");
        write_atomic(&p, |w| w.write_all(b"one")).unwrap();
        write_atomic(&p, |w| w.write_all(b"two")).unwrap();
        // A failing writer leaves the old content in place.
        let err = write_atomic(&p, |_| Err(io::Error::other("boom"))).unwrap_err();
        assert!(err.to_string().contains("boom"));
        assert_eq!(read(&p), "two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f.txt")]);
    }
}
