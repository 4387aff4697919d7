//! The small tables of the reference as Parquet files, and their in-memory rows.
//!
//! Parquet (not a database) because the folder must be readable by any tool (pandas, DuckDB,
//! Spark) and copyable as plain files: that is the fix for the peer's PostgreSQL dumps that
//! break across server versions.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema};
use homolog_go::Aspect;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::ReferenceError;

/// One reference protein (a row of `proteins.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protein {
    pub accession: String,
    /// Row in `sequences.parquet` and in every matrix.
    pub sequence_row: u32,
    pub taxonomy_id: Option<u32>,
    pub organism: Option<String>,
    pub gene_name: Option<String>,
}

/// One GO annotation of a reference protein (a row of `annotations.parquet`; alt ids are mapped
/// to primary ids at build time, the aspect comes from the ontology's namespace).
pub use homolog_go::TermAnnotation;

/// A GO term used by the annotations (a row of `terms.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermInfo {
    pub go_id: String,
    pub name: String,
    pub aspect: Option<Aspect>,
}

/// A taxdump node (a row of `taxonomy.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxonRow {
    pub taxid: u32,
    pub parent: u32,
    pub rank: String,
    pub name: Option<String>,
}

/// The aspect for a one-letter code ('P', 'F', 'C').
pub(crate) fn aspect_from_code(code: &str) -> Option<Aspect> {
    let c = code.chars().next()?;
    [
        Aspect::BiologicalProcess,
        Aspect::MolecularFunction,
        Aspect::CellularComponent,
    ]
    .into_iter()
    .find(|a| a.code() == c)
}

/// One column of a table to write.
struct Column {
    name: &'static str,
    values: ArrayRef,
    nullable: bool,
}

/// A column without nulls.
fn required(name: &'static str, values: ArrayRef) -> Column {
    Column {
        name,
        values,
        nullable: false,
    }
}

/// A column that may hold nulls.
fn nullable(name: &'static str, values: ArrayRef) -> Column {
    Column {
        name,
        values,
        nullable: true,
    }
}

fn write_batch(path: &Path, columns: Vec<Column>) -> Result<(), ReferenceError> {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(c.name, c.values.data_type().clone(), c.nullable))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|c| c.values).collect(),
    )
    .map_err(|e| ReferenceError::parquet(path, e))?;
    let file = File::create(path).map_err(|e| ReferenceError::io("creating", path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut w = ArrowWriter::try_new(file, schema, Some(props))
        .map_err(|e| ReferenceError::parquet(path, e))?;
    w.write(&batch)
        .map_err(|e| ReferenceError::parquet(path, e))?;
    w.close().map_err(|e| ReferenceError::parquet(path, e))?;
    Ok(())
}

/// A whole Parquet file read into column vectors, with typed, named accessors that give a
/// clear error for a wrong schema.
struct Table {
    path: std::path::PathBuf,
    batches: Vec<RecordBatch>,
}

impl Table {
    fn read(path: &Path) -> Result<Table, ReferenceError> {
        let file = File::open(path).map_err(|e| ReferenceError::io("opening", path, e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.with_batch_size(65_536).build())
            .map_err(|e| ReferenceError::parquet(path, e))?;
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ReferenceError::parquet(path, e))?;
        Ok(Table {
            path: path.to_path_buf(),
            batches,
        })
    }

    fn column<'a, T: 'static>(
        &'a self,
        batch: &'a RecordBatch,
        name: &str,
        ty: DataType,
    ) -> Result<&'a T, ReferenceError> {
        let col = batch.column_by_name(name).ok_or_else(|| {
            ReferenceError::parquet(&self.path, format!("column `{name}` is missing"))
        })?;
        if col.data_type() != &ty {
            return Err(ReferenceError::parquet(
                &self.path,
                format!(
                    "column `{name}` has type {}, expected {ty}",
                    col.data_type()
                ),
            ));
        }
        col.as_any()
            .downcast_ref::<T>()
            .ok_or_else(|| ReferenceError::parquet(&self.path, format!("column `{name}`")))
    }

    fn strings(
        &self,
        batch: &RecordBatch,
        name: &str,
    ) -> Result<Vec<Option<String>>, ReferenceError> {
        let a: &StringArray = self.column(batch, name, DataType::Utf8)?;
        Ok((0..a.len())
            .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
            .collect())
    }

    fn required_strings(
        &self,
        batch: &RecordBatch,
        name: &str,
    ) -> Result<Vec<String>, ReferenceError> {
        self.no_nulls(name, self.strings(batch, name)?)
    }

    fn u32s(&self, batch: &RecordBatch, name: &str) -> Result<Vec<Option<u32>>, ReferenceError> {
        let a: &UInt32Array = self.column(batch, name, DataType::UInt32)?;
        Ok((0..a.len())
            .map(|i| (!a.is_null(i)).then(|| a.value(i)))
            .collect())
    }

    fn required_u32s(&self, batch: &RecordBatch, name: &str) -> Result<Vec<u32>, ReferenceError> {
        self.no_nulls(name, self.u32s(batch, name)?)
    }

    /// The values of column `name`, or an error at its first null.
    fn no_nulls<T>(&self, name: &str, values: Vec<Option<T>>) -> Result<Vec<T>, ReferenceError> {
        values
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                s.ok_or_else(|| {
                    ReferenceError::parquet(
                        &self.path,
                        format!("column `{name}` is null at row {i}"),
                    )
                })
            })
            .collect()
    }
}

fn str_col<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

fn u32_col(values: impl Iterator<Item = Option<u32>>) -> ArrayRef {
    Arc::new(values.collect::<UInt32Array>())
}

pub(crate) fn write_proteins(path: &Path, proteins: &[Protein]) -> Result<(), ReferenceError> {
    write_batch(
        path,
        vec![
            required(
                "accession",
                str_col(proteins.iter().map(|p| Some(p.accession.as_str()))),
            ),
            required(
                "sequence_row",
                u32_col(proteins.iter().map(|p| Some(p.sequence_row))),
            ),
            nullable(
                "taxonomy_id",
                u32_col(proteins.iter().map(|p| p.taxonomy_id)),
            ),
            nullable(
                "organism",
                str_col(proteins.iter().map(|p| p.organism.as_deref())),
            ),
            nullable(
                "gene_name",
                str_col(proteins.iter().map(|p| p.gene_name.as_deref())),
            ),
        ],
    )
}

pub(crate) fn read_proteins(path: &Path) -> Result<Vec<Protein>, ReferenceError> {
    let t = Table::read(path)?;
    let mut out = Vec::new();
    for b in &t.batches {
        let acc = t.required_strings(b, "accession")?;
        let row = t.required_u32s(b, "sequence_row")?;
        let tax = t.u32s(b, "taxonomy_id")?;
        let org = t.strings(b, "organism")?;
        let gene = t.strings(b, "gene_name")?;
        for ((((accession, sequence_row), taxonomy_id), organism), gene_name) in
            acc.into_iter().zip(row).zip(tax).zip(org).zip(gene)
        {
            out.push(Protein {
                accession,
                sequence_row,
                taxonomy_id,
                organism,
                gene_name,
            });
        }
    }
    Ok(out)
}

/// `sequences.parquet`: (row, sequence, md5); row i must be at position i.
pub(crate) fn write_sequences(
    path: &Path,
    sequences: &[String],
    md5s: &[String],
) -> Result<(), ReferenceError> {
    write_batch(
        path,
        vec![
            required("row", u32_col((0..sequences.len() as u32).map(Some))),
            required(
                "sequence",
                str_col(sequences.iter().map(|s| Some(s.as_str()))),
            ),
            required("md5", str_col(md5s.iter().map(|s| Some(s.as_str())))),
        ],
    )
}

pub(crate) fn read_sequences(path: &Path) -> Result<(Vec<String>, Vec<String>), ReferenceError> {
    let t = Table::read(path)?;
    let (mut seqs, mut md5s) = (Vec::new(), Vec::new());
    for b in &t.batches {
        let rows = t.required_u32s(b, "row")?;
        let s = t.required_strings(b, "sequence")?;
        let m = t.required_strings(b, "md5")?;
        for ((row, s), m) in rows.into_iter().zip(s).zip(m) {
            if row as usize != seqs.len() {
                return Err(ReferenceError::parquet(
                    path,
                    format!(
                        "row {} found at position {}; rows must be 0..n in order",
                        row,
                        seqs.len()
                    ),
                ));
            }
            seqs.push(s);
            md5s.push(m);
        }
    }
    Ok((seqs, md5s))
}

/// `annotations.parquet`: (accession, go_id, aspect, evidence), grouped by protein.
pub(crate) fn write_annotations(
    path: &Path,
    proteins: &[Protein],
    per_protein: &[Vec<TermAnnotation>],
) -> Result<(), ReferenceError> {
    let rows: Vec<(&str, &TermAnnotation)> = proteins
        .iter()
        .zip(per_protein)
        .flat_map(|(p, anns)| anns.iter().map(move |a| (p.accession.as_str(), a)))
        .collect();
    let aspects: Vec<Option<String>> = rows
        .iter()
        .map(|(_, a)| a.aspect.map(|x| x.code().to_string()))
        .collect();
    write_batch(
        path,
        vec![
            required("accession", str_col(rows.iter().map(|(acc, _)| Some(*acc)))),
            required(
                "go_id",
                str_col(rows.iter().map(|(_, a)| Some(a.go_id.as_str()))),
            ),
            nullable("aspect", str_col(aspects.iter().map(|a| a.as_deref()))),
            nullable(
                "evidence",
                str_col(rows.iter().map(|(_, a)| a.evidence.as_deref())),
            ),
        ],
    )
}

/// Returns (accession, annotation) rows in file order.
pub(crate) fn read_annotations(
    path: &Path,
) -> Result<Vec<(String, TermAnnotation)>, ReferenceError> {
    let t = Table::read(path)?;
    let mut out = Vec::new();
    for b in &t.batches {
        let acc = t.required_strings(b, "accession")?;
        let go = t.required_strings(b, "go_id")?;
        let asp = t.strings(b, "aspect")?;
        let ev = t.strings(b, "evidence")?;
        for (((accession, go_id), aspect), evidence) in acc.into_iter().zip(go).zip(asp).zip(ev) {
            out.push((
                accession,
                TermAnnotation {
                    go_id,
                    aspect: aspect.as_deref().and_then(aspect_from_code),
                    evidence,
                },
            ));
        }
    }
    Ok(out)
}

pub(crate) fn write_terms(path: &Path, terms: &[TermInfo]) -> Result<(), ReferenceError> {
    let aspects: Vec<Option<String>> = terms
        .iter()
        .map(|t| t.aspect.map(|x| x.code().to_string()))
        .collect();
    write_batch(
        path,
        vec![
            required(
                "go_id",
                str_col(terms.iter().map(|t| Some(t.go_id.as_str()))),
            ),
            required("name", str_col(terms.iter().map(|t| Some(t.name.as_str())))),
            nullable("aspect", str_col(aspects.iter().map(|a| a.as_deref()))),
        ],
    )
}

pub(crate) fn read_terms(path: &Path) -> Result<Vec<TermInfo>, ReferenceError> {
    let t = Table::read(path)?;
    let mut out = Vec::new();
    for b in &t.batches {
        let go = t.required_strings(b, "go_id")?;
        let name = t.required_strings(b, "name")?;
        let asp = t.strings(b, "aspect")?;
        for ((go_id, name), aspect) in go.into_iter().zip(name).zip(asp) {
            out.push(TermInfo {
                go_id,
                name,
                aspect: aspect.as_deref().and_then(aspect_from_code),
            });
        }
    }
    Ok(out)
}

pub(crate) fn write_taxonomy(path: &Path, taxa: &[TaxonRow]) -> Result<(), ReferenceError> {
    write_batch(
        path,
        vec![
            required("taxid", u32_col(taxa.iter().map(|t| Some(t.taxid)))),
            required("parent", u32_col(taxa.iter().map(|t| Some(t.parent)))),
            required("rank", str_col(taxa.iter().map(|t| Some(t.rank.as_str())))),
            nullable("name", str_col(taxa.iter().map(|t| t.name.as_deref()))),
        ],
    )
}

pub(crate) fn read_taxonomy(path: &Path) -> Result<Vec<TaxonRow>, ReferenceError> {
    let t = Table::read(path)?;
    let mut out = Vec::new();
    for b in &t.batches {
        let id = t.required_u32s(b, "taxid")?;
        let parent = t.required_u32s(b, "parent")?;
        let rank = t.required_strings(b, "rank")?;
        let name = t.strings(b, "name")?;
        for (((taxid, parent), rank), name) in id.into_iter().zip(parent).zip(rank).zip(name) {
            out.push(TaxonRow {
                taxid,
                parent,
                rank,
                name,
            });
        }
    }
    Ok(out)
}
