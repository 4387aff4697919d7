//! Input (pair lists, sequence files) and output (CSV/TSV, Parquet) of a batch.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema};
use homolog_align::PairFeatures;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::PairsError;

/// One line of a pairs file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRecord {
    /// Query sequence id.
    pub query: String,
    /// Reference sequence id.
    pub reference: String,
    /// 1-based line in the pairs file.
    pub line: usize,
}

/// Reads a pairs file: one pair a line, `query_id<TAB>reference_id` (further columns are
/// ignored; without a tab, whitespace separates). Empty lines and lines starting with `#`
/// are skipped, and so is a first line `query<TAB>reference` (or `query_id`/`reference_id`,
/// `ref`): a header.
pub fn read_pairs(path: impl AsRef<Path>) -> Result<Vec<PairRecord>, PairsError> {
    let path = path.as_ref();
    let mut lines = homolog_io::Lines::open(path)?;
    let mut out = Vec::new();
    let mut first = true;
    while let Some((line_no, line)) = lines.next_line()? {
        let text = line.trim_end_matches(['\r', '\n']);
        if text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = if text.contains('\t') {
            text.split('\t').map(str::trim).collect()
        } else {
            text.split_whitespace().collect()
        };
        let was_first = std::mem::replace(&mut first, false);
        if fields.len() < 2 || fields[0].is_empty() || fields[1].is_empty() {
            return Err(PairsError::PairsFile {
                path: path.to_path_buf(),
                line: line_no,
                message: format!("expected two ids (query_id<TAB>reference_id), found {text:?}"),
            });
        }
        let header = |s: &str| {
            matches!(
                s.to_ascii_lowercase().as_str(),
                "query" | "query_id" | "reference" | "reference_id" | "ref" | "ref_id"
            )
        };
        if was_first && header(fields[0]) && header(fields[1]) {
            continue;
        }
        out.push(PairRecord {
            query: fields[0].to_string(),
            reference: fields[1].to_string(),
            line: line_no,
        });
    }
    Ok(out)
}

/// Reads FASTA files (plain or gzip) into id -> sequence (upper case). Records with an
/// empty sequence are rejected by the reader with file, line and id. The same id in two
/// files is fine when the sequences are equal, an error otherwise.
pub fn read_sequences(paths: &[PathBuf]) -> Result<HashMap<String, String>, PairsError> {
    let mut out: HashMap<String, String> = HashMap::new();
    let mut origin: HashMap<String, (PathBuf, usize)> = HashMap::new();
    for path in paths {
        let report =
            homolog_seq::fasta::read_path(path, &homolog_seq::fasta::ReadOptions::default())?;
        for rec in report.records {
            if let Some(prev) = out.get(&rec.id) {
                if *prev != rec.sequence {
                    let (p, l) = &origin[&rec.id];
                    return Err(PairsError::PairsFile {
                        path: path.clone(),
                        line: rec.line,
                        message: format!(
                            "id {:?} was already read with another sequence from {} line {l}; \
                             ids must be unique across the sequence files",
                            rec.id,
                            p.display()
                        ),
                    });
                }
                continue;
            }
            origin.insert(rec.id.clone(), (path.clone(), rec.line));
            out.insert(rec.id, rec.sequence);
        }
    }
    Ok(out)
}

/// Output format, from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Apache Parquet (`.parquet`, `.pq`), zstd-compressed.
    Parquet,
    /// Comma-separated (`.csv`).
    Csv,
    /// Tab-separated (`.tsv`, `.tab`, `.txt`).
    Tsv,
}

impl OutputFormat {
    /// The format for `path`'s extension; `None` when it is not one of the above.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "pq" => Some(Self::Parquet),
            "csv" => Some(Self::Csv),
            "tsv" | "tab" | "txt" => Some(Self::Tsv),
            _ => None,
        }
    }
}

/// Column names of the output: `query`, `reference`, then PROTEA's 12 fields.
pub fn output_columns() -> Vec<&'static str> {
    let mut cols = vec!["query", "reference"];
    cols.extend(PairFeatures::FIELD_NAMES);
    cols
}

/// Writes rows (ids + features, in the given order) to `path` atomically (temporary file in
/// the same folder, then rename). Floats are written in Rust's shortest round-trip form, so
/// equal values always give equal bytes.
pub fn write_features(
    path: &Path,
    format: OutputFormat,
    ids: &[(&str, &str)],
    features: &[PairFeatures],
) -> Result<(), PairsError> {
    debug_assert_eq!(ids.len(), features.len());
    let out_err = |message: String| PairsError::Output {
        path: path.to_path_buf(),
        message,
    };
    match format {
        OutputFormat::Csv | OutputFormat::Tsv => {
            let sep = if format == OutputFormat::Csv {
                b','
            } else {
                b'\t'
            };
            homolog_io::with_atomic_writer(path, |file| {
                let mut w = csv::WriterBuilder::new().delimiter(sep).from_writer(file);
                let e = |e: csv::Error| out_err(e.to_string());
                w.write_record(output_columns()).map_err(e)?;
                for ((q, r), f) in ids.iter().zip(features) {
                    // Integer fields print alike as integers and as their exact f64 values.
                    let mut row = vec![q.to_string(), r.to_string()];
                    row.extend(f.values().map(|v| v.to_string()));
                    w.write_record(&row).map_err(e)?;
                }
                let inner = w.into_inner().map_err(|e| out_err(e.to_string()))?;
                inner.flush().map_err(|e| out_err(e.to_string()))
            })
        }
        OutputFormat::Parquet => {
            let f64s = |get: fn(&PairFeatures) -> f64| -> ArrayRef {
                Arc::new(Float64Array::from_iter_values(features.iter().map(get)))
            };
            let i32s = |get: fn(&PairFeatures) -> i32| -> ArrayRef {
                Arc::new(Int32Array::from_iter_values(features.iter().map(get)))
            };
            let u32s = |get: fn(&PairFeatures) -> u32| -> ArrayRef {
                Arc::new(UInt32Array::from_iter_values(features.iter().map(get)))
            };
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from_iter_values(ids.iter().map(|p| p.0))),
                Arc::new(StringArray::from_iter_values(ids.iter().map(|p| p.1))),
                f64s(|f| f.identity_nw),
                f64s(|f| f.similarity_nw),
                i32s(|f| f.alignment_score_nw),
                f64s(|f| f.gaps_pct_nw),
                u32s(|f| f.alignment_length_nw),
                f64s(|f| f.identity_sw),
                f64s(|f| f.similarity_sw),
                i32s(|f| f.alignment_score_sw),
                f64s(|f| f.gaps_pct_sw),
                u32s(|f| f.alignment_length_sw),
                u32s(|f| f.length_query),
                u32s(|f| f.length_ref),
            ];
            let fields: Vec<Field> = output_columns()
                .into_iter()
                .zip(&columns)
                .map(|(name, col)| Field::new(name, col.data_type().clone(), false))
                .collect();
            debug_assert!(matches!(fields[0].data_type(), DataType::Utf8));
            let schema = Arc::new(Schema::new(fields));
            let batch = RecordBatch::try_new(schema.clone(), columns)
                .map_err(|e| out_err(e.to_string()))?;
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(Default::default()))
                .build();
            Ok(homolog_io::write_parquet_atomic(path, &batch, props)?)
        }
    }
}
