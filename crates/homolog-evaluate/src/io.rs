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
/// line) or from homolog's `summary.csv` (comma-separated with a header naming `accession`,
/// `go_id` and `final_score`, or, in the wide layout, one `final_score_<model>_L<layer>` per
/// model and layer; other columns are ignored and the max score per (accession, go_id) over
/// rows and score columns is kept). Scores must lie in [0, 1].
pub fn read_predictions(path: impl AsRef<Path>) -> Result<Predictions, EvalError> {
    let path = path.as_ref();
    let reader = open_maybe_gz(path)?;
    let mut lines = Lines::new(reader, path);
    // Sniff the first non-empty line to pick the format.
    let (first_no, first) = loop {
        match lines.next_line()? {
            None => return Ok(Predictions::new()),
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((no, l)) => break (no, l.to_string()),
        }
    };
    let is_csv = first.contains(',')
        && first
            .split(',')
            .any(|c| c.trim().trim_matches('"').eq_ignore_ascii_case("go_id"));
    if is_csv {
        read_summary_csv(first, first_no, lines, path)
    } else {
        read_cafa(first, first_no, lines, path)
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

fn read_summary_csv(
    first: String,
    first_no: u64,
    lines: Lines<'_>,
    path: &Path,
) -> Result<Predictions, EvalError> {
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
    // The long layout has one `final_score`; the wide (FANTASIA) layout has one
    // `final_score_<model>_L<layer>` per model and layer: the best of them scores the term.
    let score_cols: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            let h = h.trim().to_ascii_lowercase();
            h == "final_score" || h.starts_with("final_score_")
        })
        .map(|(i, _)| i)
        .collect();
    let (Some(ia), Some(ig), false) = (col("accession"), col("go_id"), score_cols.is_empty())
    else {
        return Err(parse_err(
            path,
            first_no,
            format!(
                "summary CSV needs columns accession, go_id and final_score (or final_score_<model>_L<layer>); found: {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    let mut table = MaxTable::new();
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
        for &i in &score_cols {
            // A model/layer that did not predict this term leaves its column empty.
            if !get(i).is_empty() {
                let s = parse_score(get(i), path, line)?;
                best = Some(best.map_or(s, |b: f64| b.max(s)));
            }
        }
        if let Some(score) = best {
            table.add(acc, go, score);
        }
    }
    Ok(table.out)
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
