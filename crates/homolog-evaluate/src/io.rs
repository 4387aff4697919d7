//! Readers for predictions, ground truth and information accretion files (plain or gzip).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read};
use std::path::Path;

use homolog_go::open_maybe_gz;

use crate::{EvalError, GroundTruth, Predictions, TruthEntry};

/// Keyword lines of the CAFA submission format, skipped in prediction files.
const CAFA_KEYWORDS: &[&str] = &["AUTHOR", "MODEL", "KEYWORDS", "ACCURACY", "END"];

fn parse_err(path: &Path, line: u64, message: impl Into<String>) -> EvalError {
    EvalError::Parse {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// Reads lines, reporting io and UTF-8 errors with the path and line number.
struct Lines<'a> {
    reader: Box<dyn BufRead + 'a>,
    path: &'a Path,
    line_no: u64,
    buf: String,
}

impl<'a> Lines<'a> {
    fn new(reader: Box<dyn BufRead + 'a>, path: &'a Path) -> Self {
        Lines {
            reader,
            path,
            line_no: 0,
            buf: String::new(),
        }
    }
    /// Next line (1-based number, text without its line ending), or None at EOF.
    fn next_line(&mut self) -> Result<Option<(u64, &str)>, EvalError> {
        self.buf.clear();
        let n = self.reader.read_line(&mut self.buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                parse_err(
                    self.path,
                    self.line_no + 1,
                    "invalid UTF-8; is this a text (or gzip) file?",
                )
            } else {
                EvalError::Io {
                    path: self.path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        Ok(Some((
            self.line_no,
            self.buf.trim_end_matches(['\n', '\r']),
        )))
    }

    /// Next line that is neither blank nor a `#` comment, trimmed, with its number.
    fn next_content_line(&mut self) -> Result<Option<(u64, &str)>, EvalError> {
        let no = loop {
            let Some((no, l)) = self.next_line()? else {
                return Ok(None);
            };
            let l = l.trim();
            if !l.is_empty() && !l.starts_with('#') {
                break no;
            }
        };
        Ok(Some((no, self.buf.trim())))
    }
}

/// The first two whitespace-separated tokens of `line` and the tokens after them; an error
/// that shows the line and what was `expected` when there are fewer.
fn two_tokens<'l>(
    line: &'l str,
    path: &Path,
    no: u64,
    expected: &str,
) -> Result<(&'l str, &'l str, std::str::SplitWhitespace<'l>), EvalError> {
    let mut tok = line.split_whitespace();
    match (tok.next(), tok.next()) {
        (Some(a), Some(b)) => Ok((a, b, tok)),
        _ => Err(parse_err(
            path,
            no,
            format!("expected `{expected}`, found {line:?}"),
        )),
    }
}

/// Reads predictions from a CAFA-style whitespace-separated file (`target term score`,
/// optionally wrapped in `AUTHOR`/`MODEL`/`KEYWORDS`/`END` lines, optionally with one header
/// line) or from homolog's `summary.csv` (either layout), scored by `final_score`: see
/// [`read_predictions_scored`], of which this is the default.
pub fn read_predictions(path: impl AsRef<Path>) -> Result<Predictions, EvalError> {
    read_predictions_scored(path, None).map(|f| f.predictions)
}

/// Predictions read from a file, with how their scores were obtained.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictionFile {
    pub predictions: Predictions,
    /// The `summary.csv` columns the scores came from, e.g. `final_score_kmer_L0` (wide
    /// layout) or `final_score` (long layout); empty for CAFA/TSV files.
    pub score_columns: Vec<String>,
    /// Score values above 1 that were clipped to 1 (`summary.csv` only).
    pub clipped: usize,
}

/// Columns of `summary.csv` that identify a prediction rather than score it.
const SUMMARY_KEY_COLUMNS: &[&str] = &[
    "accession",
    "go_id",
    "category",
    "model_name",
    "layer_index",
    "proteins",
];

/// Reads predictions like [`read_predictions`], choosing the score column of a `summary.csv`.
///
/// A `summary.csv` is recognised by a comma-separated header naming `go_id`; both layouts
/// homolog writes are read:
/// - wide (FANTASIA's): one row per (accession, go_id), columns `<column>_<model>_L<layer>`;
/// - long: one row per (accession, go_id, model, layer), columns `model_name`, `layer_index`
///   and `<column>`.
///
/// `score` names the column (default `final_score`). A bare name (`final_score`, `max_ri`)
/// takes every model/layer, and a (accession, go_id) pair is scored by its best value over
/// them and over repeated rows, the rule FANTASIA's TopGO ensemble uses. A name with a
/// suffix (`final_score_kmer_L0`) takes that one model/layer, in either layout. An unknown
/// name is an error that lists the available columns.
///
/// Scores above 1 are clipped to 1 and counted ([`PredictionFile::clipped`], logged as a
/// warning): FANTASIA's `count` (rows / k) and so `final_score` exceed 1 when several
/// reference proteins share a neighbour's sequence. Negative, infinite and NaN scores are
/// errors with the file and line. In CAFA/TSV files every score must lie in [0, 1], since a
/// score above 1 there usually means another scale (e.g. percent) that clipping would hide;
/// `score` must be `None` for them.
pub fn read_predictions_scored(
    path: impl AsRef<Path>,
    score: Option<&str>,
) -> Result<PredictionFile, EvalError> {
    let path = path.as_ref();
    let reader = open_maybe_gz(path)?;
    let mut lines = Lines::new(reader, path);
    // Sniff the first non-empty line to pick the format.
    let (first_no, first) = loop {
        match lines.next_line()? {
            None => return Ok(PredictionFile::default()),
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((no, l)) => break (no, l.to_string()),
        }
    };
    let is_csv = first.contains(',')
        && first
            .split(',')
            .any(|c| c.trim().trim_matches('"').eq_ignore_ascii_case("go_id"));
    if is_csv {
        let file = read_summary_csv(first, first_no, lines, path, score)?;
        if file.clipped > 0 {
            tracing::warn!(
                "{}: {} score values above 1 clipped to 1 (FANTASIA's count and final_score can \
                 exceed 1 when several reference proteins share a sequence; see docs/evaluation.md)",
                path.display(),
                file.clipped
            );
        }
        Ok(file)
    } else {
        if let Some(name) = score {
            return Err(parse_err(
                path,
                first_no,
                format!(
                    "--score {name} picks a summary.csv column, but this is a CAFA/TSV file \
                     (`target term score`, one score per line); drop --score"
                ),
            ));
        }
        Ok(PredictionFile {
            predictions: read_cafa(first, first_no, lines, path)?,
            ..PredictionFile::default()
        })
    }
}

fn parse_score(s: &str, path: &Path, line: u64) -> Result<f64, EvalError> {
    let v: f64 = s.trim().parse().map_err(|_| {
        parse_err(
            path,
            line,
            format!("score {s:?} is not a number; expected a value in [0, 1]"),
        )
    })?;
    if !(0.0..=1.0).contains(&v) {
        return Err(parse_err(
            path,
            line,
            format!("score {v} is outside [0, 1]; rescale the scores first"),
        ));
    }
    Ok(v)
}

/// Collapses repeated (target, term) pairs to their max score, keeping first-seen order.
struct MaxTable {
    index: HashMap<(String, String), usize>,
    out: Predictions,
}

impl MaxTable {
    fn new() -> Self {
        MaxTable {
            index: HashMap::new(),
            out: Predictions::new(),
        }
    }
    fn add(&mut self, target: &str, term: &str, score: f64) {
        match self.index.get(&(target.to_string(), term.to_string())) {
            Some(&i) => {
                let s = &mut self.out.rows[i].score;
                if score > *s {
                    *s = score;
                }
            }
            None => {
                self.index
                    .insert((target.to_string(), term.to_string()), self.out.rows.len());
                self.out.push(target, term, score);
            }
        }
    }
}

fn read_cafa(
    first: String,
    first_no: u64,
    mut lines: Lines<'_>,
    path: &Path,
) -> Result<Predictions, EvalError> {
    let mut table = MaxTable::new();
    let mut seen_data = false;
    let mut handle = |line: &str, no: u64, table: &mut MaxTable| -> Result<(), EvalError> {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            return Ok(());
        }
        let mut tok = l.split_whitespace();
        let (a, b, c) = (tok.next(), tok.next(), tok.next());
        if a.is_some_and(|a| CAFA_KEYWORDS.contains(&a)) {
            return Ok(());
        }
        let first_data = !std::mem::replace(&mut seen_data, true);
        match (a, b, c) {
            (Some(t), Some(term), Some(score)) => {
                // One header line such as "target term score" is allowed.
                if first_data && score.parse::<f64>().is_err() {
                    return Ok(());
                }
                table.add(t, term, parse_score(score, path, no)?);
                Ok(())
            }
            _ => Err(parse_err(
                path,
                no,
                format!("expected `target term score` (whitespace-separated), found {l:?}"),
            )),
        }
    };
    handle(&first, first_no, &mut table)?;
    while let Some((no, l)) = lines.next_line()? {
        handle(l, no, &mut table)?;
    }
    Ok(table.out)
}

/// A score column of a `summary.csv` and, in the long layout, the (model, layer) its rows
/// must have.
struct ScoreSource {
    column: usize,
    model_layer: Option<(String, u32)>,
}

/// Splits `<model>_L<layer>` (what follows `<column>_` in a wide header; `L` in any case).
fn split_model_layer(rest: &str) -> Option<(&str, u32)> {
    let at = rest.to_ascii_lowercase().rfind("_l")?;
    let layer = rest[at + 2..].parse().ok()?;
    (at > 0).then_some((&rest[..at], layer))
}

/// Resolves the score column name `name` against a `summary.csv` header.
fn score_sources(headers: &csv::StringRecord, name: &str, long: bool) -> Vec<ScoreSource> {
    let lower = name.trim().to_ascii_lowercase();
    let norm: Vec<String> = headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if let Some(i) = norm.iter().position(|h| *h == lower) {
        return vec![ScoreSource {
            column: i,
            model_layer: None,
        }];
    }
    if long {
        // `<column>_<model>_L<layer>`: the longest header that prefixes the name wins.
        // (ASCII lower-casing keeps byte offsets, so `lower`'s offsets index `name`.)
        let name = name.trim();
        let best = norm
            .iter()
            .enumerate()
            .filter(|(_, h)| {
                !SUMMARY_KEY_COLUMNS.contains(&h.as_str()) && lower.starts_with(&format!("{h}_"))
            })
            .filter_map(|(i, h)| {
                split_model_layer(&name[h.len() + 1..]).map(|(m, l)| (i, h.len(), m, l))
            })
            .max_by_key(|&(_, len, _, _)| len);
        return best
            .map(|(column, _, m, l)| {
                vec![ScoreSource {
                    column,
                    model_layer: Some((m.to_string(), l)),
                }]
            })
            .unwrap_or_default();
    }
    // Wide: every `<name>_<model>_L<layer>` column. `count_raw_kmer_L0` also starts with
    // `count_`; a suffix that ends with another candidate's suffix belongs to a longer column
    // name, so only the shortest suffixes are kept.
    let prefix = format!("{lower}_");
    let candidates: Vec<(usize, &str)> = norm
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let rest = h.strip_prefix(&prefix)?;
            split_model_layer(rest).map(|_| (i, rest))
        })
        .collect();
    candidates
        .iter()
        .filter(|(_, rest)| {
            !candidates
                .iter()
                .any(|(_, other)| rest.len() > other.len() && rest.ends_with(&format!("_{other}")))
        })
        .map(|&(column, _)| ScoreSource {
            column,
            model_layer: None,
        })
        .collect()
}

fn read_summary_csv(
    first: String,
    first_no: u64,
    lines: Lines<'_>,
    path: &Path,
    score: Option<&str>,
) -> Result<PredictionFile, EvalError> {
    // Rebuild a reader starting at the header line for the csv crate (quoting support).
    let rest = lines.reader;
    let input = std::io::Cursor::new(format!("{first}\n")).chain(rest);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let line_of = |pos: Option<&csv::Position>| pos.map_or(first_no, |p| p.line() + first_no - 1);
    let headers = rdr
        .headers()
        .map_err(|e| parse_err(path, first_no, format!("bad CSV header: {e}")))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(ia), Some(ig)) = (col("accession"), col("go_id")) else {
        return Err(parse_err(
            path,
            first_no,
            format!(
                "summary CSV needs columns accession and go_id; found: {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    let long_cols = col("model_name").zip(col("layer_index"));
    let name = score.unwrap_or("final_score");
    if SUMMARY_KEY_COLUMNS.contains(&name.trim().to_ascii_lowercase().as_str()) {
        return Err(parse_err(
            path,
            first_no,
            format!(
                "--score {name} names a key column, not a score; {}",
                available(&headers)
            ),
        ));
    }
    let sources = score_sources(&headers, name, long_cols.is_some());
    if sources.is_empty() && rdr.records().next().is_none() {
        // A wide summary without rows has no <column>_<model>_L<layer> columns to resolve.
        tracing::warn!("{}: no predictions (header only)", path.display());
        return Ok(PredictionFile::default());
    }
    if sources.is_empty() {
        let what = if score.is_none() {
            "no final_score column (was postprocess.summary.weights empty?); pick a score with \
             --score COLUMN"
                .to_string()
        } else {
            format!("no score column {name}")
        };
        return Err(parse_err(
            path,
            first_no,
            format!("{what}; {}", available(&headers)),
        ));
    }
    let score_columns: Vec<String> = sources
        .iter()
        .map(|s| match &s.model_layer {
            Some((m, l)) => format!("{}_{m}_L{l}", headers[s.column].trim()),
            None => headers[s.column].trim().to_string(),
        })
        .collect();
    tracing::info!(
        "{}: scoring by {} (the best value per accession and GO term)",
        path.display(),
        score_columns.join(", ")
    );

    let mut table = MaxTable::new();
    let mut clipped = 0;
    let mut matched_rows = 0usize;
    let mut seen_model_layers: HashSet<(String, String)> = HashSet::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = line_of(e.position());
            parse_err(path, line, format!("bad CSV row: {e}"))
        })?;
        let line = line_of(rec.position());
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let (acc, go) = (get(ia), get(ig));
        if acc.is_empty() || go.is_empty() {
            return Err(parse_err(path, line, "empty accession or go_id"));
        }
        let mut best: Option<f64> = None;
        for s in &sources {
            if let (Some((m, l)), Some((im, il))) = (&s.model_layer, long_cols) {
                seen_model_layers.insert((get(im).to_string(), get(il).to_string()));
                if !get(im).eq_ignore_ascii_case(m) || get(il).parse::<u32>().ok() != Some(*l) {
                    continue;
                }
            }
            matched_rows += 1;
            // A model/layer that did not predict this term leaves its column empty.
            let cell = get(s.column);
            if cell.is_empty() {
                continue;
            }
            let mut v = parse_summary_score(cell, headers[s.column].trim(), path, line)?;
            if v > 1.0 {
                clipped += 1;
                v = 1.0;
            }
            best = Some(best.map_or(v, |b: f64| b.max(v)));
        }
        if let Some(score) = best {
            table.add(acc, go, score);
        }
    }
    if matched_rows == 0 && !seen_model_layers.is_empty() {
        let mut have: Vec<String> = seen_model_layers
            .into_iter()
            .map(|(m, l)| format!("{m} layer {l}"))
            .collect();
        have.sort();
        return Err(parse_err(
            path,
            first_no,
            format!(
                "--score {name}: no row has that model and layer; the file has {}",
                have.join(", ")
            ),
        ));
    }
    Ok(PredictionFile {
        predictions: table.out,
        score_columns,
        clipped,
    })
}

/// "available: ..." for errors: the columns `--score` can name.
fn available(headers: &csv::StringRecord) -> String {
    let cols: Vec<&str> = headers
        .iter()
        .map(str::trim)
        .filter(|h| !SUMMARY_KEY_COLUMNS.contains(&h.to_ascii_lowercase().as_str()))
        .collect();
    format!(
        "available columns: {} (a name without the _<model>_L<layer> suffix takes the best over \
         models and layers)",
        cols.join(", ")
    )
}

/// A `summary.csv` score: any non-negative finite number (values above 1 are clipped by the
/// caller).
fn parse_summary_score(s: &str, column: &str, path: &Path, line: u64) -> Result<f64, EvalError> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) => Err(parse_err(
            path,
            line,
            format!("{column} is {v}; scores must be finite and non-negative"),
        )),
        Err(_) => Err(parse_err(
            path,
            line,
            format!("{column} {s:?} is not a number; pick a numeric column with --score"),
        )),
    }
}

/// Reads a ground truth file: whitespace-separated `target term [aspect]`, one pair per line;
/// a first line whose term has no `:` is taken as a header and skipped.
pub fn read_ground_truth(path: impl AsRef<Path>) -> Result<GroundTruth, EvalError> {
    let path = path.as_ref();
    let reader = open_maybe_gz(path)?;
    let mut lines = Lines::new(reader, path);
    let mut gt = GroundTruth::new();
    let mut first = true;
    while let Some((no, l)) = lines.next_content_line()? {
        let (target, term, mut rest) = two_tokens(l, path, no, "target term [aspect]")?;
        if std::mem::replace(&mut first, false) && !term.contains(':') {
            continue;
        }
        gt.rows.push(TruthEntry {
            target: target.to_string(),
            term: term.to_string(),
            aspect: rest.next().map(str::to_string),
        });
    }
    Ok(gt)
}

/// Reads an information accretion file: `term<TAB>ia` per line (whitespace-separated; a
/// non-numeric first line is a header). Non-finite values count as 0, as in CAFA-evaluator.
pub fn read_ia(path: impl AsRef<Path>) -> Result<HashMap<String, f64>, EvalError> {
    let path = path.as_ref();
    let reader = open_maybe_gz(path)?;
    let mut lines = Lines::new(reader, path);
    let mut ia = HashMap::new();
    let mut first = true;
    while let Some((no, l)) = lines.next_content_line()? {
        let (term, v, _) = two_tokens(l, path, no, "term ia")?;
        let is_first = std::mem::replace(&mut first, false);
        let value: f64 = match v.parse() {
            Ok(x) => x,
            Err(_) if is_first => continue,
            Err(_) => {
                return Err(parse_err(
                    path,
                    no,
                    format!("information accretion {v:?} is not a number"),
                ))
            }
        };
        if value < 0.0 {
            return Err(parse_err(
                path,
                no,
                format!("information accretion {value} is negative"),
            ));
        }
        ia.insert(
            term.to_string(),
            if value.is_finite() { value } else { 0.0 },
        );
    }
    Ok(ia)
}

/// Reads a benchmark list: one target id per line (first whitespace-separated token; blank
/// lines and `#` comments skipped), as in CAFA's `lists/bpo_all_type1.txt`.
pub fn read_target_list(path: impl AsRef<Path>) -> Result<HashSet<String>, EvalError> {
    let path = path.as_ref();
    let reader = open_maybe_gz(path)?;
    let mut lines = Lines::new(reader, path);
    let mut out = HashSet::new();
    while let Some((_, l)) = lines.next_line()? {
        if let Some(t) = l.split_whitespace().next().filter(|t| !t.starts_with('#')) {
            out.insert(t.to_string());
        }
    }
    Ok(out)
}
