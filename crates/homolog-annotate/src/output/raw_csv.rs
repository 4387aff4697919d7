//! Raw result CSVs: one file per query and (model, layer), written and read back.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use homolog_go::Aspect;
use homolog_search::Metric;

use super::{fmt_f, opt_d, write_atomic, ExperimentLayout};
use crate::error::AnnotateError;
use crate::transfer::{AlignmentColumns, RawRow};

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
    h.push("reliability_index");
    h.extend(AlignmentColumns::GLOBAL_NAMES);
    h.extend(["length_query", "length_reference"]);
    h.extend(AlignmentColumns::LOCAL_NAMES);
    h.extend(["distance_metric", "distance_threshold", "taxonomy_id"]);
    h
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
        match a {
            Some(a) => a.values().map(|v| fmt_f(v, p)),
            None => Default::default(),
        }
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
        // A side is present only when all five of its columns are.
        let side = |names: [&str; 5]| -> Result<Option<AlignmentColumns>, AnnotateError> {
            let mut values = [0.0; 5];
            let mut complete = true;
            for (value, name) in values.iter_mut().zip(names) {
                match num(name)? {
                    Some(v) => *value = v,
                    None => complete = false,
                }
            }
            Ok(complete.then(|| AlignmentColumns::from_values(values)))
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
            nw: side(AlignmentColumns::GLOBAL_NAMES)?,
            sw: side(AlignmentColumns::LOCAL_NAMES)?,
            distance_metric,
            distance_threshold: num("distance_threshold")?.map(|v| v as f32),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::read;
    use crate::output::{write_summary_csv, SummaryFormat};
    use crate::summary::tests::row;
    use crate::{summarize, SummarySettings};

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
}
