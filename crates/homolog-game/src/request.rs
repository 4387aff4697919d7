//! The evaluator's `POST /predict` request: typed form, validation, serialisation, and the
//! preparation of the sequences a model sees (flanks, ranges, alphabet).
//!
//! Validation follows GAME's reference predictor (`schema_validation.py`,
//! `error_checking_functions.py`) and collects every problem before answering:
//! - 400 `bad_prediction_request` ([`parse_request`]): body not an object, a mandatory key
//!   (`readout`, `prediction_tasks`, `sequences`) missing, wrong types, `readout` or `scale` not
//!   one of GAME's values, a `type` GAME does not define, duplicate task names or sequence ids,
//!   ids with characters outside printable ASCII, `prediction_ranges` ids that differ from
//!   `sequences`, ranges that are not `[]` or two integers `0 <= start <= end`.
//! - 422 `prediction_request_failed` ([`PredictRequest::regions`]): an empty sequence, a base
//!   outside `ACGTN` (either case, flanks included), a range past the end of the flanked
//!   sequence.
//!
//! Deliberate leniencies, because GAME's own examples need them: the legacy key
//! `prediction_task` is read as `prediction_tasks`; an optional `request` must be `"predict"`;
//! sequence ids may use any printable ASCII character except space (GAME's spec lists
//! `[A-Za-z0-9-._~#@%^&*()]`, but its real evaluator data uses ids such as
//! `7:70038969:G:T:A:wC`). Unknown top-level and task keys are kept and forwarded.

use std::collections::HashSet;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::error::{ErrorKind, GameError};
use crate::value::Val;

/// GAME's readout types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Readout {
    /// One value per sequence.
    Point,
    /// One value per bin along the sequence.
    Track,
    /// A bins x bins matrix per sequence.
    InteractionMatrix,
}

impl Readout {
    /// GAME's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Readout::Point => "point",
            Readout::Track => "track",
            Readout::InteractionMatrix => "interaction_matrix",
        }
    }

    /// Parses GAME's spelling.
    pub fn parse(s: &str) -> Option<Readout> {
        match s {
            "point" => Some(Readout::Point),
            "track" => Some(Readout::Track),
            "interaction_matrix" => Some(Readout::InteractionMatrix),
            _ => None,
        }
    }
}

/// A `[start, end]` prediction range (0-based, inclusive); `None` is `[]` (whole sequence).
pub type Range = Option<(u64, u64)>;

/// One requested prediction task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    /// Unique task name (echoed in the response).
    pub name: String,
    /// Requested type (`expression`, `accessibility`, `binding_<x>`, ...).
    pub task_type: String,
    /// Requested cell type.
    pub cell_type: String,
    /// Requested species.
    pub species: String,
    /// Requested scale: `linear` or `log`.
    pub scale: Option<String>,
    /// Other keys, kept in order and forwarded.
    pub extra: Vec<(String, Val)>,
}

/// A validated `POST /predict` request.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictRequest {
    /// `request` as sent (`"predict"`), if present.
    pub request: Option<String>,
    /// Requested readout.
    pub readout: Readout,
    /// Requested tasks, in order.
    pub tasks: Vec<TaskRequest>,
    /// Upstream flank added to every sequence.
    pub upstream_seq: Option<String>,
    /// Downstream flank added to every sequence.
    pub downstream_seq: Option<String>,
    /// `(id, sequence)` in request order.
    pub sequences: Vec<(String, String)>,
    /// `(id, range)`, in the order sent, when `prediction_ranges` was given.
    pub prediction_ranges: Option<Vec<(String, Range)>>,
    /// Other top-level keys, kept in order and forwarded.
    pub extra: Vec<(String, Val)>,
}

/// The sequence a model sees for one request entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Sequence id.
    pub id: String,
    /// `upstream + sequence + downstream`, upper-cased.
    pub flanked: String,
    /// Start of the prediction range in `flanked` (0 when no range).
    pub start: usize,
    /// One past the end of the prediction range in `flanked`.
    pub end: usize,
}

impl Region {
    /// The part to predict: `flanked[start..end]`.
    pub fn target(&self) -> &str {
        &self.flanked[self.start..self.end]
    }
}

/// Type values GAME defines: exact names and prefixes.
const TYPE_NAMES: [&str; 3] = ["accessibility", "expression", "chromatin_conformation"];
const TYPE_PREFIXES: [&str; 3] = ["binding_", "expression_", "conformation_"];

/// Whether `t` is a prediction type GAME defines (case-insensitive).
pub fn is_known_type(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    TYPE_NAMES.contains(&l.as_str())
        || TYPE_PREFIXES
            .iter()
            .any(|p| l.starts_with(p) && l.len() > p.len())
}

/// Whether a sequence id is acceptable: non-empty printable ASCII without spaces.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_graphic())
}

struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, m: String) {
        self.0.push(m);
    }
}

fn take_string(v: Val, what: &str, p: &mut Problems) -> Option<String> {
    match v {
        Val::Str(s) => Some(s),
        Val::Array(_) => {
            p.push(format!(
                "{what} should have exactly one value, a string; got an array"
            ));
            None
        }
        other => {
            p.push(format!("{what} should be a string; got {}", other.kind()));
            None
        }
    }
}

fn parse_task(index: usize, v: Val, p: &mut Problems) -> Option<TaskRequest> {
    let Val::Object(entries) = v else {
        p.push(format!(
            "prediction_tasks[{index}] should be an object with keys name, type, cell_type, species (scale optional); got {}",
            v.kind()
        ));
        return None;
    };
    let label = entries
        .iter()
        .find(|(k, _)| k == "name")
        .and_then(|(_, v)| v.as_str())
        .map(|n| format!("prediction task '{n}'"))
        .unwrap_or_else(|| format!("prediction_tasks[{index}]"));
    let (mut name, mut ty, mut cell, mut species, mut scale) = (None, None, None, None, None);
    let mut extra = Vec::new();
    let mut seen = HashSet::new();
    for (k, v) in entries {
        if !seen.insert(k.clone()) {
            p.push(format!("{label}: key '{k}' appears more than once"));
            continue;
        }
        let what = format!("{label}: '{k}'");
        match k.as_str() {
            "name" => name = take_string(v, &what, p),
            "type" => ty = take_string(v, &what, p),
            "cell_type" => cell = take_string(v, &what, p),
            "species" => species = take_string(v, &what, p),
            "scale" => scale = Some(take_string(v, &what, p)),
            _ => extra.push((k, v)),
        }
    }
    let missing: Vec<&str> = [
        ("name", seen.contains("name")),
        ("type", seen.contains("type")),
        ("cell_type", seen.contains("cell_type")),
        ("species", seen.contains("species")),
    ]
    .iter()
    .filter(|(_, present)| !present)
    .map(|(k, _)| *k)
    .collect();
    if !missing.is_empty() {
        p.push(format!(
            "Mandatory keys missing from {label}: {}",
            missing.join(", ")
        ));
    }
    if let Some(t) = &ty {
        if !is_known_type(t) {
            p.push(format!(
                "{label}: prediction type '{t}' is not recognized; use accessibility, expression, expression_<x>, binding_<molecule>, conformation_<x> or chromatin_conformation"
            ));
        }
    }
    if let Some(Some(s)) = &scale {
        if s != "linear" && s != "log" {
            p.push(format!(
                "{label}: scale '{s}' is not recognized; choose 'linear' or 'log'"
            ));
        }
    }
    Some(TaskRequest {
        name: name?,
        task_type: ty?,
        cell_type: cell?,
        species: species?,
        scale: match scale {
            None => None,
            Some(s) => Some(s?),
        },
        extra,
    })
}

fn parse_range(id: &str, v: &Val, p: &mut Problems) -> Option<Range> {
    let Val::Array(items) = v else {
        p.push(format!(
            "prediction_ranges['{id}'] should be an array [start, end] or []; got {}",
            v.kind()
        ));
        return None;
    };
    if items.is_empty() {
        return Some(None);
    }
    if items.len() != 2 {
        p.push(format!(
            "prediction_ranges['{id}'] must have 2 elements [start, end] (or be [] for the whole sequence); got {}",
            items.len()
        ));
        return None;
    }
    let mut nums = [0i128; 2];
    for (i, it) in items.iter().enumerate() {
        nums[i] = match *it {
            Val::UInt(u) => u as i128,
            Val::Int(x) => x as i128,
            _ => {
                p.push(format!(
                    "prediction_ranges['{id}'] values must be integers; got {}",
                    Val::Array(items.clone()).brief()
                ));
                return None;
            }
        };
    }
    let [s, e] = nums;
    if s < 0 || e < 0 {
        p.push(format!(
            "prediction_ranges['{id}']: indices must be non-negative (0-based); got [{s}, {e}]"
        ));
        return None;
    }
    if s > e {
        p.push(format!(
            "prediction_ranges['{id}']: start ({s}) cannot be greater than end ({e}); ranges are [start, end], inclusive"
        ));
        return None;
    }
    Some(Some((s as u64, e as u64)))
}

/// Validates a decoded request body (see the module docs); all problems go into one 400.
pub fn parse_request(body: Val) -> Result<PredictRequest, GameError> {
    let mut p = Problems(Vec::new());
    let Val::Object(entries) = body else {
        return Err(GameError::bad_request(format!(
            "the request must be a JSON/msgpack object with keys readout, prediction_tasks, sequences; got {}",
            body.kind()
        )));
    };
    let top = TopLevel::split(entries, &mut p);
    top.check_mandatory_keys(&mut p);
    check_request_kind(&top.request, &mut p);
    let readout = parse_readout(top.readout, &mut p);
    let tasks = parse_tasks(top.tasks, &mut p);
    // Checks borrow the decoded entries (no id is copied to be checked); the entries are moved
    // into the request once every check has run.
    let (ids, keep) = check_sequences(&top.sequences, &mut p);
    let range_check = check_ranges(&top.ranges, &ids, top.seen.contains("sequences"), &mut p);
    drop(ids);
    if !p.0.is_empty() {
        return Err(GameError::many(ErrorKind::BadPredictionRequest, p.0));
    }
    Ok(PredictRequest {
        request: top.request.flatten(),
        // Present whenever no problem was recorded.
        readout: readout.unwrap_or(Readout::Point),
        tasks,
        upstream_seq: top.upstream.flatten(),
        downstream_seq: top.downstream.flatten(),
        sequences: kept_sequences(top.sequences, keep),
        prediction_ranges: range_check.and_then(|keep| kept_ranges(top.ranges, keep)),
        extra: top.extra,
    })
}

/// The top-level entries of a request body, sorted by key (`Some(None)`: present but invalid).
struct TopLevel {
    /// Keys met, with `prediction_task` counted as `prediction_tasks`.
    seen: HashSet<String>,
    request: Option<Option<String>>,
    readout: Option<Option<String>>,
    tasks: Option<Val>,
    sequences: Option<Val>,
    ranges: Option<Val>,
    upstream: Option<Option<String>>,
    downstream: Option<Option<String>>,
    /// Unknown keys, kept in order and forwarded.
    extra: Vec<(String, Val)>,
}

impl TopLevel {
    /// Sorts the entries by key, reporting repeated keys and non-string scalars.
    fn split(entries: Vec<(String, Val)>, p: &mut Problems) -> TopLevel {
        let mut top = TopLevel {
            seen: HashSet::new(),
            request: None,
            readout: None,
            tasks: None,
            sequences: None,
            ranges: None,
            upstream: None,
            downstream: None,
            extra: Vec::new(),
        };
        for (k, v) in entries {
            // GAME's own examples use the legacy singular key.
            let key = if k == "prediction_task" {
                "prediction_tasks".to_string()
            } else {
                k
            };
            if !top.seen.insert(key.clone()) {
                p.push(format!(
                    "top-level key '{key}' appears more than once (prediction_task and prediction_tasks count as one)"
                ));
                continue;
            }
            match key.as_str() {
                "request" => top.request = take_string(v, "'request'", p).map(Some),
                "readout" => top.readout = take_string(v, "'readout'", p).map(Some),
                "prediction_tasks" => top.tasks = Some(v),
                "sequences" => top.sequences = Some(v),
                "prediction_ranges" => top.ranges = Some(v),
                "upstream_seq" => top.upstream = take_string(v, "'upstream_seq'", p).map(Some),
                "downstream_seq" => {
                    top.downstream = take_string(v, "'downstream_seq'", p).map(Some)
                }
                _ => top.extra.push((key, v)),
            }
        }
        top
    }

    /// Reports the mandatory keys the body lacks.
    fn check_mandatory_keys(&self, p: &mut Problems) {
        let missing: Vec<&str> = ["readout", "prediction_tasks", "sequences"]
            .into_iter()
            .filter(|k| !self.seen.contains(*k))
            .collect();
        if !missing.is_empty() {
            p.push(format!(
                "The following mandatory top-level keys are missing from the request: {}",
                missing.join(", ")
            ));
        }
    }
}

/// Reports a `request` other than `"predict"`.
fn check_request_kind(request: &Option<Option<String>>, p: &mut Problems) {
    if let Some(Some(r)) = request {
        if r != "predict" {
            p.push(format!(
                "'request' is '{r}', but POST /predict only serves 'predict' (ask GET /help for help)"
            ));
        }
    }
}

/// Parses `readout`, reporting a value GAME does not define.
fn parse_readout(readout: Option<Option<String>>, p: &mut Problems) -> Option<Readout> {
    let r = readout.flatten()?;
    let parsed = Readout::parse(&r);
    if parsed.is_none() {
        p.push(format!(
            "readout '{r}' is not recognized; choose from ['point', 'track', 'interaction_matrix']"
        ));
    }
    parsed
}

/// Parses `prediction_tasks`, reporting a non-array, an empty list and repeated names.
fn parse_tasks(tasks_v: Option<Val>, p: &mut Problems) -> Vec<TaskRequest> {
    let mut tasks = Vec::new();
    match tasks_v {
        Some(Val::Array(items)) => {
            if items.is_empty() {
                p.push("prediction_tasks is empty; give at least one task".to_string());
            }
            let mut names = HashSet::new();
            for (i, t) in items.into_iter().enumerate() {
                if let Some(task) = parse_task(i, t, p) {
                    if !names.insert(task.name.clone()) {
                        p.push(format!(
                            "prediction task name '{}' is used more than once; task names must be unique",
                            task.name
                        ));
                    }
                    tasks.push(task);
                }
            }
        }
        Some(other) => p.push(format!(
            "prediction_tasks should be an array of task objects; got {}",
            other.kind()
        )),
        None => {}
    }
    tasks
}

/// Checks `sequences`: returns the ids seen and, per entry, whether to keep it (the first of
/// each id, with a string value).
fn check_sequences<'v>(seqs_v: &'v Option<Val>, p: &mut Problems) -> (HashSet<&'v str>, Vec<bool>) {
    let seq_items: &[(String, Val)] = match seqs_v {
        Some(Val::Object(items)) => items,
        Some(other) => {
            p.push(format!(
                "sequences should be an object {{id: DNA string}}; got {}",
                other.kind()
            ));
            &[]
        }
        None => &[],
    };
    if matches!(seqs_v, Some(Val::Object(items)) if items.is_empty()) {
        p.push("sequences is empty; give at least one {id: sequence} entry".to_string());
    }
    let mut ids: HashSet<&str> = HashSet::with_capacity(seq_items.len());
    let mut keep = vec![false; seq_items.len()];
    for (i, (id, s)) in seq_items.iter().enumerate() {
        if !is_valid_id(id) {
            p.push(format!(
                "Sequence ID key {id:?} has an invalid character present; ids are non-empty printable ASCII without spaces"
            ));
        }
        if !ids.insert(id.as_str()) {
            p.push(format!(
                "Duplicate sequence ID key in sequences: sequence ID key '{id}' is duplicated"
            ));
            continue;
        }
        match s {
            Val::Str(_) => keep[i] = true,
            other => p.push(format!(
                "sequences['{id}'] should be a DNA string; got {}",
                other.kind()
            )),
        }
    }
    (ids, keep)
}

/// Checks `prediction_ranges` against the sequence ids `ids`: `None` when no range object was
/// given, else the parsed range of each entry (`None` for a dropped one).
fn check_ranges(
    ranges_v: &Option<Val>,
    ids: &HashSet<&str>,
    sequences_given: bool,
    p: &mut Problems,
) -> Option<Vec<Option<Range>>> {
    let items = match ranges_v {
        None => return None,
        Some(Val::Object(items)) => items,
        Some(other) => {
            p.push(format!(
                "prediction_ranges should be an object {{id: [start, end]}}; got {}",
                other.kind()
            ));
            return None;
        }
    };
    let mut rids: HashSet<&str> = HashSet::with_capacity(items.len());
    let mut range_keep = Vec::with_capacity(items.len());
    for (id, v) in items {
        if !rids.insert(id.as_str()) {
            p.push(format!(
                "prediction_ranges: sequence id '{id}' appears more than once"
            ));
            range_keep.push(None);
            continue;
        }
        range_keep.push(parse_range(id, v, p));
    }
    if sequences_given && rids != *ids {
        p.push(range_ids_mismatch(ids, &rids));
    }
    Some(range_keep)
}

/// The problem for range ids `rids` that differ from sequence ids `ids` (at most 5 of each
/// side shown).
fn range_ids_mismatch(ids: &HashSet<&str>, rids: &HashSet<&str>) -> String {
    let mut missing: Vec<&str> = ids.difference(rids).copied().collect();
    let mut unknown: Vec<&str> = rids.difference(ids).copied().collect();
    missing.sort();
    unknown.sort();
    let show = |v: &[&str]| {
        let mut s: Vec<String> = v.iter().take(5).map(|x| format!("'{x}'")).collect();
        if v.len() > 5 {
            s.push(format!("... ({} in all)", v.len()));
        }
        s.join(", ")
    };
    let mut m = "sequence ids in prediction_ranges do not match those in sequences".to_string();
    if !missing.is_empty() {
        m.push_str(&format!("; no range for {}", show(&missing)));
    }
    if !unknown.is_empty() {
        m.push_str(&format!("; ranges for unknown ids {}", show(&unknown)));
    }
    m.push_str(" (give [] for a whole sequence)");
    m
}

/// Moves the kept `sequences` entries (see [`check_sequences`]) out of the body.
fn kept_sequences(seqs_v: Option<Val>, keep: Vec<bool>) -> Vec<(String, String)> {
    match seqs_v {
        Some(Val::Object(items)) => items
            .into_iter()
            .zip(keep)
            .filter_map(|((id, s), k)| match s {
                Val::Str(s) if k => Some((id, s)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Moves the kept `prediction_ranges` entries (see [`check_ranges`]) out of the body.
fn kept_ranges(ranges_v: Option<Val>, keep: Vec<Option<Range>>) -> Option<Vec<(String, Range)>> {
    match ranges_v {
        Some(Val::Object(items)) => Some(
            items
                .into_iter()
                .zip(keep)
                .filter_map(|((id, _), r)| r.map(|r| (id, r)))
                .collect(),
        ),
        _ => None,
    }
}

/// Reports the bases outside `ACGTN` in `s` (case-insensitive), in first-seen order.
fn invalid_bases(s: &str) -> Vec<char> {
    let mut bad: Vec<char> = Vec::new();
    for c in s.chars() {
        if !matches!(c.to_ascii_uppercase(), 'A' | 'C' | 'G' | 'T' | 'N') && !bad.contains(&c) {
            bad.push(c);
        }
    }
    bad
}

impl PredictRequest {
    /// The range of sequence `id`, if ranges were given and name it.
    pub fn range_of(&self, id: &str) -> Range {
        self.prediction_ranges
            .as_ref()
            .and_then(|r| r.iter().find(|(k, _)| k == id).map(|(_, r)| *r))
            .flatten()
    }

    /// Flanks every sequence, checks its alphabet and applies its range.
    ///
    /// Ranges index the flanked sequence, as in GAME's reference predictor. All problems are
    /// reported in one 422 `prediction_request_failed` naming the sequence ids.
    pub fn regions(&self) -> Result<Vec<Region>, GameError> {
        let up = self.upstream_seq.as_deref().unwrap_or("");
        let down = self.downstream_seq.as_deref().unwrap_or("");
        let mut problems = Vec::new();
        for (what, flank) in [("upstream_seq", up), ("downstream_seq", down)] {
            let bad = invalid_bases(flank);
            if !bad.is_empty() {
                problems.push(format!(
                    "{what} has invalid character(s) {bad:?}; flanks may only contain A, C, G, T, N"
                ));
            }
        }
        let ranges: std::collections::HashMap<&str, Range> = self
            .prediction_ranges
            .iter()
            .flatten()
            .map(|(k, r)| (k.as_str(), *r))
            .collect();
        let mut out = Vec::with_capacity(self.sequences.len());
        for (id, seq) in &self.sequences {
            if seq.is_empty() {
                problems.push(format!("sequence '{id}' is empty"));
                continue;
            }
            let bad = invalid_bases(seq);
            if !bad.is_empty() {
                problems.push(format!(
                    "sequence '{id}' has invalid character(s) {bad:?}; sequences may only contain A, C, G, T, N"
                ));
                continue;
            }
            let mut flanked = String::with_capacity(up.len() + seq.len() + down.len());
            flanked.push_str(up);
            flanked.push_str(seq);
            flanked.push_str(down);
            flanked.make_ascii_uppercase();
            let len = flanked.len();
            let (start, end) = match ranges.get(id.as_str()).copied().flatten() {
                None => (0, len),
                Some((s, e)) => {
                    if s as usize >= len || e as usize >= len {
                        problems.push(format!(
                            "Invalid range for '{id}': [{s}, {e}] is out of bounds; the maximum valid index for its flanked sequence of length {len} is {}",
                            len - 1
                        ));
                        continue;
                    }
                    (s as usize, e as usize + 1)
                }
            };
            out.push(Region {
                id: id.clone(),
                flanked,
                start,
                end,
            });
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(GameError::many(
                ErrorKind::PredictionRequestFailed,
                problems,
            ))
        }
    }

    /// The range of every sequence, aligned with `sequences` (`None` entries for ids without
    /// one), when `prediction_ranges` was given: one pass instead of a [`range_of`] look-up
    /// per sequence.
    ///
    /// [`range_of`]: PredictRequest::range_of
    pub fn ranges_by_index(&self) -> Option<Vec<Range>> {
        let given = self.prediction_ranges.as_ref()?;
        // Usually in the same order as `sequences`; else look the ids up.
        let aligned = given.len() == self.sequences.len()
            && given
                .iter()
                .zip(&self.sequences)
                .all(|((a, _), (b, _))| a == b);
        if aligned {
            return Some(given.iter().map(|(_, r)| *r).collect());
        }
        let by_id: std::collections::HashMap<&str, Range> =
            given.iter().rev().map(|(k, r)| (k.as_str(), *r)).collect();
        Some(
            self.sequences
                .iter()
                .map(|(id, _)| by_id.get(id.as_str()).copied().flatten())
                .collect(),
        )
    }

    /// A borrowed view of the batch [`subset`] would build: serialises to the same bytes
    /// without copying the sequences. `ranges` is [`ranges_by_index`] (computed once per
    /// request).
    ///
    /// [`subset`]: PredictRequest::subset
    /// [`ranges_by_index`]: PredictRequest::ranges_by_index
    pub fn subset_view<'a>(
        &'a self,
        indices: &'a [usize],
        ranges: Option<&'a [Range]>,
    ) -> SubsetView<'a> {
        SubsetView {
            req: self,
            indices,
            ranges,
        }
    }

    /// A copy of this request with only the sequences whose indices are in `indices` (in that
    /// order) and their ranges: one distributor batch.
    pub fn subset(&self, indices: &[usize]) -> PredictRequest {
        let sequences: Vec<(String, String)> =
            indices.iter().map(|&i| self.sequences[i].clone()).collect();
        let ranges = self.ranges_by_index();
        let prediction_ranges = ranges.map(|r| {
            indices
                .iter()
                .map(|&i| (self.sequences[i].0.clone(), r[i]))
                .collect()
        });
        PredictRequest {
            request: self.request.clone(),
            readout: self.readout,
            tasks: self.tasks.clone(),
            upstream_seq: self.upstream_seq.clone(),
            downstream_seq: self.downstream_seq.clone(),
            sequences,
            prediction_ranges,
            extra: self.extra.clone(),
        }
    }
}

struct OrderedStrings<'a>(&'a [(String, String)]);

impl Serialize for OrderedStrings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct Ranges<'a>(&'a [(String, Range)]);

impl Serialize for Ranges<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, r) in self.0 {
            match r {
                None => m.serialize_entry(k, &[] as &[u64])?,
                Some((a, b)) => m.serialize_entry(k, &[*a, *b])?,
            }
        }
        m.end()
    }
}

impl Serialize for TaskRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("type", &self.task_type)?;
        m.serialize_entry("cell_type", &self.cell_type)?;
        m.serialize_entry("species", &self.species)?;
        if let Some(sc) = &self.scale {
            m.serialize_entry("scale", sc)?;
        }
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One batch of a request, borrowed: see [`PredictRequest::subset_view`].
#[derive(Debug, Clone, Copy)]
pub struct SubsetView<'a> {
    req: &'a PredictRequest,
    indices: &'a [usize],
    ranges: Option<&'a [Range]>,
}

impl<'a> SubsetView<'a> {
    /// The whole request.
    pub fn request(&self) -> &'a PredictRequest {
        self.req
    }

    /// The batch's sequence indices in the whole request.
    pub fn indices(&self) -> &'a [usize] {
        self.indices
    }

    /// The batch's `(id, sequence)` pairs in order.
    pub fn sequences(&self) -> impl ExactSizeIterator<Item = &'a (String, String)> + Clone + 'a {
        let seqs = &self.req.sequences;
        self.indices.iter().map(move |&i| &seqs[i])
    }
}

struct ViewStrings<'a>(SubsetView<'a>);

impl Serialize for ViewStrings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.indices.len()))?;
        for (k, v) in self.0.sequences() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct ViewRanges<'a>(SubsetView<'a>, &'a [Range]);

impl Serialize for ViewRanges<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.indices.len()))?;
        for &i in self.0.indices {
            let k = &self.0.req.sequences[i].0;
            match self.1[i] {
                None => m.serialize_entry(k, &[] as &[u64])?,
                Some((a, b)) => m.serialize_entry(k, &[a, b])?,
            }
        }
        m.end()
    }
}

/// The top-level keys in GAME's order, with `sequences` and `prediction_ranges` given.
fn serialize_request<S: Serializer, Q: Serialize, R: Serialize>(
    req: &PredictRequest,
    s: S,
    sequences: &Q,
    ranges: Option<&R>,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
    if let Some(r) = &req.request {
        m.serialize_entry("request", r)?;
    }
    m.serialize_entry("readout", req.readout.as_str())?;
    m.serialize_entry("prediction_tasks", &req.tasks)?;
    if let Some(u) = &req.upstream_seq {
        m.serialize_entry("upstream_seq", u)?;
    }
    if let Some(d) = &req.downstream_seq {
        m.serialize_entry("downstream_seq", d)?;
    }
    m.serialize_entry("sequences", sequences)?;
    if let Some(r) = ranges {
        m.serialize_entry("prediction_ranges", r)?;
    }
    for (k, v) in &req.extra {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

impl Serialize for PredictRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_request(
            self,
            s,
            &OrderedStrings(&self.sequences),
            self.prediction_ranges.as_deref().map(Ranges).as_ref(),
        )
    }
}

impl Serialize for SubsetView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A request with prediction_ranges always gives its batches prediction_ranges.
        let ranges = match (&self.req.prediction_ranges, self.ranges) {
            (None, _) => None,
            (Some(_), Some(r)) => Some(ViewRanges(*self, r)),
            (Some(_), None) => {
                return Err(serde::ser::Error::custom(
                    "SubsetView of a request with prediction_ranges needs ranges_by_index()",
                ))
            }
        };
        serialize_request(self.req, s, &ViewStrings(*self), ranges.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<PredictRequest, GameError> {
        parse_request(serde_json::from_str(json).unwrap())
    }

    const OK: &str = r#"{"readout": "track",
        "prediction_tasks": [{"name": "t1", "type": "expression", "cell_type": "K562", "species": "homo_sapiens", "scale": "log", "x": 1}],
        "upstream_seq": "AC", "downstream_seq": "gt",
        "sequences": {"b": "ACGTN", "a": "acgt"},
        "prediction_ranges": {"b": [0, 2], "a": []}, "matcher": true}"#;

    #[test]
    fn valid_request_keeps_order_and_round_trips() {
        let r = parse(OK).unwrap();
        assert_eq!(r.sequences[0].0, "b");
        assert_eq!(r.tasks[0].extra.len(), 1);
        assert_eq!(r.extra.len(), 1);
        let regions = r.regions().unwrap();
        assert_eq!(regions[0].target(), "ACA");
        assert_eq!(regions[1].target(), "ACACGTGT");
        let again = parse(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(again, r);
        let sub = r.subset(&[1]);
        assert_eq!(sub.sequences, vec![("a".to_string(), "acgt".to_string())]);
        assert_eq!(sub.prediction_ranges, Some(vec![("a".to_string(), None)]));
    }

    #[test]
    fn subset_view_serialises_like_subset() {
        // Ranges in request order, in another order, and absent.
        let shuffled = OK.replace(
            r#""prediction_ranges": {"b": [0, 2], "a": []}"#,
            r#""prediction_ranges": {"a": [], "b": [0, 2]}"#,
        );
        let plain = OK.replace(r#""prediction_ranges": {"b": [0, 2], "a": []}, "#, "");
        for json in [OK, shuffled.as_str(), plain.as_str()] {
            let r = parse(json).unwrap();
            let ranges = r.ranges_by_index();
            for idx in [vec![0, 1], vec![1], vec![0], vec![1, 0]] {
                let view = r.subset_view(&idx, ranges.as_deref());
                for f in [crate::Format::Json, crate::Format::Msgpack] {
                    assert_eq!(
                        crate::encode(f, &view).unwrap(),
                        crate::encode(f, &r.subset(&idx)).unwrap(),
                        "{json} {idx:?}"
                    );
                }
            }
        }
        let r = parse(&shuffled).unwrap();
        assert_eq!(r.ranges_by_index(), Some(vec![Some((0, 2)), None]));
        assert!(crate::encode(crate::Format::Json, &r.subset_view(&[0], None)).is_err());
    }

    #[test]
    fn wrong_types_and_values_are_400_naming_the_field() {
        let cases = [
            (r#"[1]"#, "must be a JSON/msgpack object"),
            (
                r#"{"readout": 3, "prediction_tasks": [], "sequences": {}}"#,
                "'readout' should be a string",
            ),
            (
                r#"{"readout": "pointy", "prediction_tasks": [], "sequences": {"a": "A"}}"#,
                "readout 'pointy' is not recognized",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "foo", "cell_type": "c", "species": "s"}], "sequences": {"a": "A"}}"#,
                "prediction type 'foo'",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "species": "s"}], "sequences": {"a": "A"}}"#,
                "Mandatory keys missing from prediction task 't': cell_type",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "c", "species": "s", "scale": "ln"}], "sequences": {"a": "A"}}"#,
                "scale 'ln'",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "c", "species": "s"}], "sequences": {"a": "A", "a": "C"}}"#,
                "sequence ID key 'a' is duplicated",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "c", "species": "s"}], "sequences": {"a b": "A"}}"#,
                "invalid character",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "c", "species": "s"}], "sequences": {"a": 5}}"#,
                "sequences['a'] should be a DNA string",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "c", "species": "s"}], "sequences": {"a": "A"}, "prediction_ranges": {"b": []}}"#,
                "no range for 'a'; ranges for unknown ids 'b'",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "c", "species": "s"}], "sequences": {"a": "A"}, "prediction_ranges": {"a": [1.5, 2]}}"#,
                "must be integers",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "c", "species": "s"}], "sequences": {"a": "A"}, "prediction_ranges": {"a": [3, 2]}}"#,
                "start (3) cannot be greater than end (2)",
            ),
            (
                r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "c", "species": "s"}, {"name": "t", "type": "expression", "cell_type": "c", "species": "s"}], "sequences": {"a": "A"}}"#,
                "name 't' is used more than once",
            ),
        ];
        for (json, want) in cases {
            let e = parse(json).unwrap_err();
            assert_eq!(e.status, 400, "{json}");
            let all = e.messages().join(" | ");
            assert!(all.contains(want), "{json}: {all}");
        }
    }

    #[test]
    fn bad_bases_and_ranges_are_422() {
        let r = parse(r#"{"readout": "point", "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "c", "species": "s"}], "sequences": {"ok": "ACGT", "bad": "ACXU", "empty": ""}, "prediction_ranges": {"ok": [0, 4], "bad": [], "empty": []}}"#).unwrap();
        let e = r.regions().unwrap_err();
        assert_eq!(e.status, 422);
        let all = e.messages().join(" | ");
        assert!(
            all.contains("'bad' has invalid character(s) ['X', 'U']"),
            "{all}"
        );
        assert!(all.contains("sequence 'empty' is empty"), "{all}");
        assert!(all.contains("Invalid range for 'ok'"), "{all}");
    }
}
