//! The predictor's `POST /predict` response: typed form, parsing with schema checks, and
//! serialisation in GAME's key order.
//!
//! Required per task (GAME's Predictor response schema): `name`, `type_requested`,
//! `type_actual`, `cell_type_requested`, `cell_type_actual`, `species_requested`,
//! `species_actual`, `predictions`.
//!
//! `type_actual` is an array of strings in GAME's current schema (the types a predictor
//! combined, e.g. `["dnase", "atac-seq"]`); GAME's older examples and predictors (DREAM-RNN)
//! send one string. Both are read, and [`TaskResult::type_actual`] holds the list, so a
//! response is always written with an array: `"expression"` is read as `["expression"]`. The
//! other label fields are strings, or arrays of strings, accepted and kept as they are.
//! A prediction value is a number, an array of numbers (point,
//! track), an array of arrays of numbers (interaction matrix), or a string / binary blob (an
//! encoded matrix). `trim_upstream` (track readouts) maps ids to non-negative integers.
//! Unknown keys (`aggregation`, `matcher_version`, ...) are kept and re-emitted.

use std::collections::HashSet;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::request::{PredictRequest, TaskRequest};
use crate::value::Val;

/// One task of a prediction response.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskResult {
    /// Task name from the request.
    pub name: String,
    /// Type asked for.
    pub type_requested: Val,
    /// Types predicted: GAME's array of strings (a plain string from an older predictor is
    /// read as a one-element list). Never empty in a parsed response.
    pub type_actual: Vec<String>,
    /// Cell type asked for.
    pub cell_type_requested: Val,
    /// Cell type predicted.
    pub cell_type_actual: Val,
    /// Species asked for.
    pub species_requested: Val,
    /// Species predicted.
    pub species_actual: Val,
    /// Scale asked for, if the request gave one.
    pub scale_prediction_requested: Option<Val>,
    /// Scale of the returned values, if reported.
    pub scale_prediction_actual: Option<Val>,
    /// Other keys (e.g. `aggregation`), in order.
    pub extra: Vec<(String, Val)>,
    /// `(sequence id, prediction)` in order.
    pub predictions: Vec<(String, Val)>,
    /// `(sequence id, bases to drop upstream)`, for track readouts.
    pub trim_upstream: Option<Vec<(String, u64)>>,
}

/// A prediction response.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictResponse {
    /// Name of the predictor (GAME adds it to every response).
    pub predictor_name: Option<String>,
    /// `request` echoed (`"predict"`).
    pub request: Option<String>,
    /// Resolution of track predictions in base pairs.
    pub bin_size: Option<u64>,
    /// One entry per requested task.
    pub tasks: Vec<TaskResult>,
    /// Other top-level keys, in order.
    pub extra: Vec<(String, Val)>,
}

/// `type_actual`'s list: a string is one type (older GAME predictors), a non-empty array of
/// strings is GAME's current form; anything else is `None`.
pub fn type_list(v: &Val) -> Option<Vec<String>> {
    match v {
        Val::Str(s) => Some(vec![s.clone()]),
        Val::Array(items) if !items.is_empty() => items
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// Whether `v` is a string or a non-empty array of strings.
pub fn is_label(v: &Val) -> bool {
    match v {
        Val::Str(_) => true,
        Val::Array(items) => !items.is_empty() && items.iter().all(|x| matches!(x, Val::Str(_))),
        _ => false,
    }
}

fn is_number(v: &Val) -> bool {
    matches!(v, Val::Int(_) | Val::UInt(_) | Val::Float(_))
}

/// Whether `v` has one of the shapes GAME allows for a prediction value.
pub fn is_prediction_value(v: &Val) -> bool {
    match v {
        Val::Int(_) | Val::UInt(_) | Val::Float(_) | Val::Str(_) | Val::Bytes(_) => true,
        Val::Array(items) => {
            items.iter().all(is_number)
                || items
                    .iter()
                    .all(|row| matches!(row, Val::Array(r) if r.iter().all(is_number)))
        }
        _ => false,
    }
}

fn parse_task(index: usize, v: Val, problems: &mut Vec<String>) -> Option<TaskResult> {
    let Val::Object(entries) = v else {
        problems.push(format!(
            "prediction_tasks[{index}] is {}, not an object",
            v.kind()
        ));
        return None;
    };
    let label = entries
        .iter()
        .find(|(k, _)| k == "name")
        .and_then(|(_, v)| v.as_str())
        .map(|n| format!("task '{n}'"))
        .unwrap_or_else(|| format!("prediction_tasks[{index}]"));
    let mut fields: [Option<Val>; 9] = Default::default();
    const NAMES: [&str; 9] = [
        "name",
        "type_requested",
        "type_actual",
        "cell_type_requested",
        "cell_type_actual",
        "species_requested",
        "species_actual",
        "scale_prediction_requested",
        "scale_prediction_actual",
    ];
    let mut predictions = None;
    let mut trim = None;
    let mut extra = Vec::new();
    for (k, v) in entries {
        if let Some(i) = NAMES.iter().position(|n| *n == k) {
            if fields[i].is_some() {
                problems.push(format!("{label}: key '{k}' appears more than once"));
            }
            fields[i] = Some(v);
        } else if k == "predictions" {
            predictions = Some(v);
        } else if k == "trim_upstream" {
            trim = Some(v);
        } else {
            extra.push((k, v));
        }
    }
    let before = problems.len();
    for (i, n) in NAMES.iter().enumerate().take(7) {
        match &fields[i] {
            None => problems.push(format!("{label}: mandatory key '{n}' is missing")),
            Some(v) if i == 0 && !matches!(v, Val::Str(_)) => problems.push(format!(
                "{label}: 'name' should be a string; got {}",
                v.kind()
            )),
            Some(v) if i == 2 && type_list(v).is_none() => problems.push(format!(
                "{label}: 'type_actual' should be an array of strings (GAME's schema; one string is also read); got {}",
                v.brief()
            )),
            Some(v) if !is_label(v) => problems.push(format!(
                "{label}: '{n}' should be a string or an array of strings; got {}",
                v.brief()
            )),
            _ => {}
        }
    }
    for i in 7..9 {
        if let Some(v) = &fields[i] {
            if !matches!(v, Val::Str(_)) {
                problems.push(format!(
                    "{label}: '{}' should be a string; got {}",
                    NAMES[i],
                    v.kind()
                ));
            }
        }
    }
    let preds = match predictions {
        None => {
            problems.push(format!("{label}: mandatory key 'predictions' is missing"));
            Vec::new()
        }
        Some(Val::Object(items)) => {
            let mut seen = HashSet::new();
            for (id, v) in &items {
                if !seen.insert(id.as_str()) {
                    problems.push(format!(
                        "{label}: predictions for sequence '{id}' appear more than once"
                    ));
                }
                if !is_prediction_value(v) {
                    problems.push(format!(
                        "{label}: prediction for sequence '{id}' should be a number, an array of numbers, an array of arrays of numbers or an encoded string; got {}",
                        v.brief()
                    ));
                }
            }
            items
        }
        Some(other) => {
            problems.push(format!(
                "{label}: 'predictions' should be an object {{id: values}}; got {}",
                other.kind()
            ));
            Vec::new()
        }
    };
    let trim_upstream = match trim {
        None => None,
        Some(Val::Object(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (id, v) in items {
                match v {
                    Val::UInt(u) => out.push((id, u)),
                    other => problems.push(format!(
                        "{label}: trim_upstream['{id}'] should be a non-negative integer; got {}",
                        other.brief()
                    )),
                }
            }
            Some(out)
        }
        Some(other) => {
            problems.push(format!(
                "{label}: 'trim_upstream' should be an object {{id: integer}}; got {}",
                other.kind()
            ));
            None
        }
    };
    if problems.len() > before {
        return None;
    }
    let [name, tr, ta, cr, ca, sr, sa, scr, sca] = fields;
    Some(TaskResult {
        name: match name? {
            Val::Str(s) => s,
            _ => return None,
        },
        type_requested: tr?,
        type_actual: type_list(&ta?)?,
        cell_type_requested: cr?,
        cell_type_actual: ca?,
        species_requested: sr?,
        species_actual: sa?,
        scale_prediction_requested: scr,
        scale_prediction_actual: sca,
        extra,
        predictions: preds,
        trim_upstream,
    })
}

/// Checks a decoded response body against GAME's schema; the error lists every problem.
pub fn parse_response(body: Val) -> Result<PredictResponse, Vec<String>> {
    let mut problems = Vec::new();
    let Val::Object(entries) = body else {
        return Err(vec![format!(
            "the response is {}, not an object",
            body.kind()
        )]);
    };
    let (mut name, mut request, mut bin, mut tasks_v) = (None, None, None, None);
    let mut extra = Vec::new();
    for (k, v) in entries {
        match k.as_str() {
            "predictor_name" => match v {
                Val::Str(s) => name = Some(s),
                other => problems.push(format!(
                    "'predictor_name' should be a string; got {}",
                    other.kind()
                )),
            },
            "request" => match v {
                Val::Str(s) => request = Some(s),
                other => problems.push(format!(
                    "'request' should be a string; got {}",
                    other.kind()
                )),
            },
            "bin_size" => match v {
                Val::UInt(u) if u > 0 => bin = Some(u),
                other => problems.push(format!(
                    "'bin_size' should be a positive integer; got {}",
                    other.brief()
                )),
            },
            // GAME's first examples spell it in the singular.
            "prediction_tasks" | "prediction_task" => {
                if tasks_v.is_some() {
                    problems.push("'prediction_tasks' appears more than once".to_string());
                }
                tasks_v = Some(v)
            }
            "error" => problems.push(format!("the body is an error object: {}", v.brief())),
            _ => extra.push((k, v)),
        }
    }
    let mut tasks = Vec::new();
    match tasks_v {
        None => problems.push("mandatory key 'prediction_tasks' is missing".to_string()),
        Some(Val::Array(items)) => {
            for (i, t) in items.into_iter().enumerate() {
                if let Some(t) = parse_task(i, t, &mut problems) {
                    tasks.push(t);
                }
            }
        }
        Some(other) => problems.push(format!(
            "'prediction_tasks' should be an array; got {}",
            other.kind()
        )),
    }
    if problems.is_empty() {
        Ok(PredictResponse {
            predictor_name: name,
            request,
            bin_size: bin,
            tasks,
            extra,
        })
    } else {
        Err(problems)
    }
}

impl PredictResponse {
    /// Checks that this response answers `req`: one task per requested task (by name), and in
    /// each task exactly the requested sequence ids. (`bin_size` is not required: GAME's
    /// DREAM-RNN answers track requests with point values and no `bin_size`.)
    pub fn check_answers(&self, req: &PredictRequest) -> Result<(), Vec<String>> {
        self.check_answers_for(&req.tasks, req.sequences.iter().map(|(k, _)| k.as_str()))
    }

    /// [`check_answers`] for a batch given by its tasks and sequence ids (e.g. a
    /// [`SubsetView`](crate::SubsetView)'s), without building the batch request.
    ///
    /// [`check_answers`]: PredictResponse::check_answers
    pub fn check_answers_for<'a>(
        &self,
        tasks: &[TaskRequest],
        ids: impl ExactSizeIterator<Item = &'a str> + Clone,
    ) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let mut id_set: Option<HashSet<&str>> = None;
        for t in tasks {
            let Some(r) = self.tasks.iter().find(|x| x.name == t.name) else {
                problems.push(format!("no result for requested task '{}'", t.name));
                continue;
            };
            // Fast path: the predictions answer the ids in the order asked (a parsed response
            // has no duplicated id, so this is the same id set).
            if r.predictions.len() == ids.len()
                && r.predictions
                    .iter()
                    .zip(ids.clone())
                    .all(|((k, _), id)| k == id)
            {
                continue;
            }
            let want: &HashSet<&str> = id_set.get_or_insert_with(|| ids.clone().collect());
            let got: HashSet<&str> = r.predictions.iter().map(|(k, _)| k.as_str()).collect();
            let mut missing: Vec<&&str> = want.difference(&got).collect();
            missing.sort();
            if let Some(m) = missing.first() {
                problems.push(format!(
                    "task '{}': no prediction for sequence '{m}' ({} missing in all)",
                    t.name,
                    missing.len()
                ));
            }
            let mut unknown: Vec<&&str> = got.difference(want).collect();
            unknown.sort();
            if let Some(u) = unknown.first() {
                problems.push(format!(
                    "task '{}': prediction for sequence '{u}' that was not requested",
                    t.name
                ));
            }
        }
        for r in &self.tasks {
            if !tasks.iter().any(|t| t.name == r.name) {
                problems.push(format!(
                    "result for task '{}' that was not requested",
                    r.name
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

struct Ordered<'a, T>(&'a [(String, T)]);

impl<T: Serialize> Serialize for Ordered<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for TaskResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("type_requested", &self.type_requested)?;
        m.serialize_entry("type_actual", &self.type_actual)?;
        m.serialize_entry("cell_type_requested", &self.cell_type_requested)?;
        m.serialize_entry("cell_type_actual", &self.cell_type_actual)?;
        m.serialize_entry("species_requested", &self.species_requested)?;
        m.serialize_entry("species_actual", &self.species_actual)?;
        if let Some(v) = &self.scale_prediction_requested {
            m.serialize_entry("scale_prediction_requested", v)?;
        }
        if let Some(v) = &self.scale_prediction_actual {
            m.serialize_entry("scale_prediction_actual", v)?;
        }
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("predictions", &Ordered(&self.predictions))?;
        if let Some(t) = &self.trim_upstream {
            m.serialize_entry("trim_upstream", &Ordered(t))?;
        }
        m.end()
    }
}

impl Serialize for PredictResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(n) = &self.predictor_name {
            m.serialize_entry("predictor_name", n)?;
        }
        if let Some(r) = &self.request {
            m.serialize_entry("request", r)?;
        }
        if let Some(b) = &self.bin_size {
            m.serialize_entry("bin_size", b)?;
        }
        m.serialize_entry("prediction_tasks", &self.tasks)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, Format};

    fn task_with(type_actual: &str) -> String {
        format!(
            r#"{{"prediction_tasks": [{{"name": "t", "type_requested": "expression",
            "type_actual": {type_actual}, "cell_type_requested": "K562", "cell_type_actual": "K562",
            "species_requested": "homo_sapiens", "species_actual": "homo_sapiens",
            "predictions": {{"a": [1.5]}}}}]}}"#
        )
    }

    fn parse(text: &str) -> Result<PredictResponse, Vec<String>> {
        parse_response(decode(Format::Json, text.as_bytes()).unwrap())
    }

    #[test]
    fn type_actual_is_read_as_string_or_array_and_written_as_array() {
        // GAME's current schema: an array, kept as it is.
        let current = parse(&task_with(r#"["dnase", "atac-seq"]"#)).unwrap();
        assert_eq!(current.tasks[0].type_actual, ["dnase", "atac-seq"]);
        // An older predictor's plain string: one type.
        let old = parse(&task_with(r#""expression""#)).unwrap();
        assert_eq!(old.tasks[0].type_actual, ["expression"]);
        // Written back, both are arrays (JSON and msgpack alike).
        let json = String::from_utf8(crate::encode(Format::Json, &old).unwrap()).unwrap();
        assert!(json.contains(r#""type_actual":["expression"]"#), "{json}");
        let mp = crate::encode(Format::Msgpack, &old).unwrap();
        let back = decode(Format::Msgpack, &mp).unwrap();
        let t = &back.get("prediction_tasks").unwrap();
        let Val::Array(tasks) = t else { panic!() };
        assert_eq!(
            tasks[0].get("type_actual"),
            Some(&Val::Array(vec![Val::from("expression")]))
        );
        // The written form reads back to the same response.
        assert_eq!(parse(&json).unwrap(), old);
    }

    #[test]
    fn type_actual_of_another_shape_is_named() {
        for bad in ["[]", "[1]", "12", "{\"a\": 1}", "null"] {
            let e = parse(&task_with(bad)).unwrap_err();
            assert_eq!(e.len(), 1, "{bad}: {e:?}");
            assert!(
                e[0].starts_with("task 't': 'type_actual' should be an array of strings"),
                "{bad}: {e:?}"
            );
        }
    }
}
