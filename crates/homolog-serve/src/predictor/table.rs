//! The reference table: DNA sequences with measured values per task.
//!
//! TSV, UTF-8. Lines starting with `#task` declare a task column's metadata as tab-separated
//! `key=value` pairs (`column`, `type`, `cell_type`, `species`, optional `scale`); other lines
//! starting with `#` are comments; blank lines are skipped. The first other line is the header:
//! `id`, `sequence`, then one column per task. Each row: a unique id, a sequence over
//! `ACGTN` (any case), and a finite number per task.
//!
//! ```text
//! #task<TAB>column=k562<TAB>type=expression<TAB>cell_type=K562<TAB>species=homo_sapiens<TAB>scale=linear
//! id<TAB>sequence<TAB>k562
//! r1<TAB>ACGTAGCTAG...<TAB>0.53
//! ```

use std::collections::HashSet;
use std::path::Path;

use super::config::TaskMeta;
use crate::error::ServeError;

/// A loaded reference table.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceTable {
    /// Row ids.
    pub ids: Vec<String>,
    /// Upper-cased sequences.
    pub sequences: Vec<String>,
    /// One entry per task column, in header order.
    pub tasks: Vec<TaskMeta>,
    /// `values[t][row]`.
    pub values: Vec<Vec<f64>>,
}

fn parse_meta(path: &Path, line: usize, text: &str) -> Result<TaskMeta, ServeError> {
    let err = |message: String| ServeError::Table {
        path: path.to_path_buf(),
        line,
        message,
    };
    let (mut column, mut ty, mut cell, mut species, mut scale) = (None, None, None, None, None);
    for field in text.split('\t').skip(1).filter(|f| !f.trim().is_empty()) {
        let (k, v) = field.split_once('=').ok_or_else(|| {
            err(format!(
                "#task field {field:?} is not key=value; write e.g. column=k562<TAB>type=expression<TAB>cell_type=K562<TAB>species=homo_sapiens"
            ))
        })?;
        let v = Some(v.trim().to_string());
        match k.trim() {
            "column" => column = v,
            "type" => ty = v,
            "cell_type" => cell = v,
            "species" => species = v,
            "scale" => scale = v,
            other => {
                return Err(err(format!(
                "#task key {other:?} is unknown; keys are column, type, cell_type, species, scale"
            )))
            }
        }
    }
    let need =
        |v: Option<String>, k: &str| v.ok_or_else(|| err(format!("#task line lacks {k}=...")));
    let meta = TaskMeta {
        column: need(column, "column")?,
        task_type: need(ty, "type")?,
        cell_type: need(cell, "cell_type")?,
        species: need(species, "species")?,
        scale: scale.unwrap_or_else(|| "linear".into()),
    };
    if meta.scale != "linear" && meta.scale != "log" {
        return Err(err(format!(
            "#task scale {:?} must be linear or log",
            meta.scale
        )));
    }
    Ok(meta)
}

impl ReferenceTable {
    /// Reads a table; `config_tasks` gives metadata for columns without a `#task` line.
    pub fn load(path: &Path, config_tasks: &[TaskMeta]) -> Result<Self, ServeError> {
        let text = std::fs::read_to_string(path).map_err(|source| ServeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text, config_tasks)
    }

    /// Parses table text (`path` is only used in messages).
    pub fn parse(path: &Path, text: &str, config_tasks: &[TaskMeta]) -> Result<Self, ServeError> {
        let err = |line: usize, message: String| ServeError::Table {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut metas: Vec<TaskMeta> = Vec::new();
        let mut header: Option<(usize, Vec<String>)> = None;
        let mut table = ReferenceTable {
            ids: Vec::new(),
            sequences: Vec::new(),
            tasks: Vec::new(),
            values: Vec::new(),
        };
        let mut seen = HashSet::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            if line.starts_with("#task") {
                if header.is_some() {
                    return Err(err(
                        line_no,
                        "#task lines must come before the header".into(),
                    ));
                }
                metas.push(parse_meta(path, line_no, line)?);
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let Some((_, cols)) = &header else {
                if fields.len() < 3 || fields[0] != "id" || fields[1] != "sequence" {
                    return Err(err(
                        line_no,
                        format!(
                            "header must be id<TAB>sequence<TAB><task column>...; got {:?}",
                            fields
                        ),
                    ));
                }
                let cols: Vec<String> = fields[2..].iter().map(|s| s.to_string()).collect();
                for c in &cols {
                    let from_table = metas.iter().filter(|m| &m.column == c).count();
                    let from_config = config_tasks.iter().filter(|m| &m.column == c).count();
                    let meta = match (from_table, from_config) {
                        (1, 0) => metas.iter().find(|m| &m.column == c),
                        (0, 1) => config_tasks.iter().find(|m| &m.column == c),
                        (0, 0) => {
                            return Err(err(line_no, format!(
                                "task column {c:?} has no metadata; add a `#task column={c} type=... cell_type=... species=...` line or a `tasks:` entry in the config"
                            )))
                        }
                        _ => {
                            return Err(err(line_no, format!(
                                "task column {c:?} has metadata more than once (#task lines and config tasks together); give it once"
                            )))
                        }
                    };
                    table.tasks.extend(meta.cloned());
                    table.values.push(Vec::new());
                }
                for m in metas.iter().chain(config_tasks) {
                    if !cols.contains(&m.column) {
                        return Err(err(line_no, format!(
                            "task metadata names column {:?}, which the header does not have (columns: {cols:?})",
                            m.column
                        )));
                    }
                }
                header = Some((line_no, cols));
                continue;
            };
            if fields.len() != cols.len() + 2 {
                return Err(err(
                    line_no,
                    format!(
                        "{} fields, expected {} (id, sequence and {} task values)",
                        fields.len(),
                        cols.len() + 2,
                        cols.len()
                    ),
                ));
            }
            let id = fields[0];
            if id.is_empty() || !seen.insert(id.to_string()) {
                return Err(err(
                    line_no,
                    format!("row id {id:?} is empty or duplicated"),
                ));
            }
            let seq = fields[1].to_ascii_uppercase();
            if seq.is_empty() {
                return Err(err(line_no, format!("row {id:?}: empty sequence")));
            }
            if let Some(b) = seq
                .bytes()
                .find(|b| !matches!(b, b'A' | b'C' | b'G' | b'T' | b'N'))
            {
                return Err(err(
                    line_no,
                    format!(
                        "row {id:?}: sequence has {:?}; only A, C, G, T, N are allowed",
                        b as char
                    ),
                ));
            }
            for (t, f) in fields[2..].iter().enumerate() {
                let v: f64 = f
                    .trim()
                    .parse()
                    .ok()
                    .filter(|x: &f64| x.is_finite())
                    .ok_or_else(|| {
                        err(
                            line_no,
                            format!(
                                "row {id:?}, column {:?}: {f:?} is not a finite number",
                                cols[t]
                            ),
                        )
                    })?;
                table.values[t].push(v);
            }
            table.ids.push(id.to_string());
            table.sequences.push(seq);
        }
        if header.is_none() {
            return Err(err(
                0,
                "no header line (id<TAB>sequence<TAB><task>...)".into(),
            ));
        }
        if table.ids.is_empty() {
            return Err(err(
                0,
                "the table has no rows; a predictor needs at least one reference".into(),
            ));
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_metadata_and_rows() {
        let text = "#task\tcolumn=a\ttype=expression\tcell_type=K562\tspecies=homo_sapiens\n# comment\nid\tsequence\ta\tb\nr1\tacgt\t1.5\t2\nr2\tNNAC\t-1\t0\n";
        let cfg = [TaskMeta {
            column: "b".into(),
            task_type: "accessibility".into(),
            cell_type: "HepG2".into(),
            species: "homo_sapiens".into(),
            scale: "log".into(),
        }];
        let t = ReferenceTable::parse(Path::new("t.tsv"), text, &cfg).unwrap();
        assert_eq!(t.sequences, vec!["ACGT", "NNAC"]);
        assert_eq!(t.tasks[0].scale, "linear");
        assert_eq!(t.tasks[1].cell_type, "HepG2");
        assert_eq!(t.values, vec![vec![1.5, -1.0], vec![2.0, 0.0]]);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let head = "#task\tcolumn=a\ttype=expression\tcell_type=c\tspecies=s\nid\tsequence\ta\n";
        let cases = [
            (
                format!("{head}r1\tACGX\t1\n"),
                "t.tsv:3: row \"r1\": sequence has 'X'",
            ),
            (
                format!("{head}r1\tACG\tNaN\n"),
                "t.tsv:3: row \"r1\", column \"a\"",
            ),
            (
                format!("{head}r1\tACG\t1\nr1\tACG\t1\n"),
                "t.tsv:4: row id \"r1\"",
            ),
            (format!("{head}r1\tACG\n"), "t.tsv:3: 2 fields, expected 3"),
            (
                "id\tsequence\tq\nr\tA\t1\n".to_string(),
                "task column \"q\" has no metadata",
            ),
        ];
        for (text, want) in cases {
            let e = ReferenceTable::parse(Path::new("t.tsv"), &text, &[]).unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
    }
}
