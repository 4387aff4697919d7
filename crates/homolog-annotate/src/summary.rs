//! FANTASIA's post-processing summary: aggregate raw rows per (accession, GO term, model,
//! layer), add the normalised support count, weight the chosen aggregates into `final_score`.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use homolog_go::Aspect;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::AnnotateError;
use crate::output::{SummaryFormat, TopgoFormat};
use crate::transfer::{AlignmentColumns, RawRow};
use crate::vote::{ScoreMethod, VoteSettings};

/// A YAML/JSON mapping that keeps its keys in file order (FANTASIA's Python dicts do, and the
/// order of `metrics` decides the order of the summary columns). Duplicate keys are an error.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// Keys and values in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl<V, K: Into<String>> FromIterator<(K, V)> for OrderedMap<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        OrderedMap(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V2<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, V)> = Vec::new();
                while let Some((k, v)) = access.next_entry::<String, V>()? {
                    if out.iter().any(|(e, _)| *e == k) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{k}`")));
                    }
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        deserializer.deserialize_map(V2(PhantomData))
    }
}

/// An aggregation of a raw column within a (accession, GO, model, layer) group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// Smallest non-missing value.
    Min,
    /// Largest non-missing value.
    Max,
    /// Arithmetic mean of the non-missing values (`avg` accepted, as FANTASIA).
    #[serde(alias = "avg")]
    Mean,
}

impl Aggregation {
    /// Name used in column names (`min`, `max`, `mean`).
    pub fn name(self) -> &'static str {
        match self {
            Aggregation::Min => "min",
            Aggregation::Max => "max",
            Aggregation::Mean => "mean",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "min" => Some(Aggregation::Min),
            "max" => Some(Aggregation::Max),
            "mean" | "avg" => Some(Aggregation::Mean),
            _ => None,
        }
    }
}

/// A raw weight: one number for every aggregation of a metric, or one per aggregation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WeightSpec {
    /// `identity: 0.2` (applies to each configured aggregation) or `max_id_g: 0.2`.
    Value(f64),
    /// `reliability_index: { max: 0.4 }`.
    PerAggregation(OrderedMap<f64>),
}

/// FANTASIA's `postprocess.summary` section.
///
/// Defaults are FANTASIA's: RI max, NW/SW identity min/max/mean, aliases `ri`, `id_g`,
/// `id_l`, weights 0.4 RI max + 0.2 max global identity + 0.2 max local identity + 0.2
/// count, prefix `w_`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SummarySettings {
    /// Add `count` = rows of the group / k.
    pub include_counts: bool,
    /// Divide `count` by `limit_per_entry` (FANTASIA always does; `false` gives raw counts).
    pub normalize_count_by_limit_per_entry: bool,
    /// Also emit the unnormalised row count as `count_raw` (never weighted). FANTASIA has the
    /// key but does not emit the column; homolog defaults it to `false`.
    pub export_raw_count: bool,
    /// Raw column -> aggregations, in output order.
    pub metrics: OrderedMap<Vec<Aggregation>>,
    /// Raw column -> short name used in output columns.
    pub aliases: OrderedMap<String>,
    /// Raw weights by `<agg>_<alias>`, by metric or alias (number or `{agg: number}`), or
    /// `count`; normalised to sum 1 over the weighted columns.
    pub weights: OrderedMap<WeightSpec>,
    /// Prefix of the weighted columns.
    pub weighted_prefix: String,
}

impl Default for SummarySettings {
    fn default() -> Self {
        use Aggregation::*;
        SummarySettings {
            include_counts: true,
            normalize_count_by_limit_per_entry: true,
            export_raw_count: false,
            metrics: [
                ("reliability_index", vec![Max]),
                ("identity", vec![Min, Max, Mean]),
                ("identity_sw", vec![Min, Max, Mean]),
            ]
            .into_iter()
            .collect(),
            aliases: [
                ("reliability_index", "ri".to_string()),
                ("identity", "id_g".to_string()),
                ("identity_sw", "id_l".to_string()),
            ]
            .into_iter()
            .collect(),
            weights: [
                (
                    "reliability_index",
                    WeightSpec::PerAggregation([("max", 0.4)].into_iter().collect()),
                ),
                ("max_id_g", WeightSpec::Value(0.2)),
                ("max_id_l", WeightSpec::Value(0.2)),
                ("count", WeightSpec::Value(0.2)),
            ]
            .into_iter()
            .collect(),
            weighted_prefix: "w_".to_string(),
        }
    }
}

/// FANTASIA's whole `postprocess` section, with homolog's additions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostprocessSettings {
    /// Keep query/reference sequences in the raw CSV.
    pub keep_sequences: bool,
    /// Collapse predictions to leaf terms before the summary (homolog; FANTASIA v3/goPredSim
    /// behaviour, off by default as in FANTASIA v4).
    pub collapse: bool,
    /// Layout of `summary.csv` (homolog; `wide` is FANTASIA's).
    pub summary_format: SummaryFormat,
    /// Layout of the TopGO files (homolog; `fantasia` is FANTASIA's).
    pub topgo_format: TopgoFormat,
    /// The summary specification.
    pub summary: SummarySettings,
    /// Drop predictions (summary rows and their TopGO lines) whose `final_score` is below
    /// this (homolog; `None` = off). See [`apply_output_thresholds`](crate::apply_output_thresholds).
    pub min_score: Option<f64>,
    /// Drop predictions whose best reliability index is below this, and TopGO lines whose
    /// reliability index is (homolog; `None` = off).
    pub min_reliability: Option<f64>,
    /// How `final_score` is computed (homolog; `fantasia`, FANTASIA's weighted sum, is the
    /// default; `vote` is homolog's neighbour vote, see [`summarize_votes`](crate::summarize_votes)).
    pub score: ScoreMethod,
    /// Settings of `score: vote` (homolog).
    pub vote: VoteSettings,
}

impl Default for PostprocessSettings {
    fn default() -> Self {
        PostprocessSettings {
            keep_sequences: false,
            collapse: false,
            summary_format: SummaryFormat::Wide,
            topgo_format: TopgoFormat::Fantasia,
            summary: SummarySettings::default(),
            min_score: None,
            min_reliability: None,
            score: ScoreMethod::Fantasia,
            vote: VoteSettings::default(),
        }
    }
}

/// Raw numeric columns a summary metric may aggregate.
pub const SUMMARY_SOURCE_COLUMNS: &[&str] = &summary_source_columns();

/// `distance`, `reliability_index`, the global and local alignment columns, then the lengths.
const fn summary_source_columns() -> [&'static str; 16] {
    let global = AlignmentColumns::GLOBAL_NAMES;
    let local = AlignmentColumns::LOCAL_NAMES;
    let mut out = [""; 16];
    out[0] = "distance";
    out[1] = "reliability_index";
    let mut i = 0;
    while i < global.len() {
        out[2 + i] = global[i];
        out[2 + global.len() + i] = local[i];
        i += 1;
    }
    out[12] = "query_len";
    out[13] = "ref_len";
    out[14] = "length_query";
    out[15] = "length_reference";
    out
}

/// Errors unless `column`, a key of `postprocess.summary.<section>`, is one of
/// [`SUMMARY_SOURCE_COLUMNS`].
fn check_source_column(section: &str, column: &str) -> Result<(), AnnotateError> {
    if SUMMARY_SOURCE_COLUMNS.contains(&column) {
        return Ok(());
    }
    Err(AnnotateError::setting(
        format!("postprocess.summary.{section}.{column}"),
        format!(
            "unknown raw column; valid: {}",
            SUMMARY_SOURCE_COLUMNS.join(", ")
        ),
    ))
}

/// The value of a raw numeric column of a row (`None` when missing).
pub fn raw_value(row: &RawRow, column: &str) -> Option<f64> {
    let usize_f = |v: Option<usize>| v.map(|x| x as f64);
    let position = |names: [&str; 5]| names.iter().position(|&n| n == column);
    if let Some(i) = position(AlignmentColumns::GLOBAL_NAMES) {
        return row.nw.map(|a| a.values()[i]);
    }
    if let Some(i) = position(AlignmentColumns::LOCAL_NAMES) {
        return row.sw.map(|a| a.values()[i]);
    }
    match column {
        "distance" => Some(row.distance),
        "reliability_index" => Some(row.reliability_index),
        "query_len" | "length_query" => usize_f(row.query_len),
        "ref_len" | "length_reference" => usize_f(row.ref_len),
        _ => None,
    }
}

#[derive(Debug, Clone)]
enum Source {
    Metric(String, Aggregation),
    Count,
    CountRaw,
}

#[derive(Debug, Clone)]
struct Item {
    name: String,
    source: Source,
    /// Normalised weight, when the item contributes to `final_score`.
    weight: Option<f64>,
}

/// The resolved column plan of a summary: which aggregates, which weights.
#[derive(Debug, Clone)]
pub struct SummaryPlan {
    items: Vec<Item>,
    columns: Arc<[String]>,
    has_final: bool,
}

impl SummaryPlan {
    /// Resolves and validates settings. Unlike FANTASIA (which ignores them silently), unknown
    /// metrics, aggregations and weight keys that match nothing are errors, because a typo
    /// there silently changes `final_score`.
    pub fn new(settings: &SummarySettings) -> Result<Self, AnnotateError> {
        let mut items: Vec<(Item, f64)> = Vec::new();
        let mut used_keys: Vec<&str> = Vec::new();
        for (key, spec) in settings.weights.iter() {
            if let WeightSpec::PerAggregation(per) = spec {
                for (a, v) in per.iter() {
                    if Aggregation::parse(a).is_none() {
                        return Err(AnnotateError::setting(
                            format!("postprocess.summary.weights.{key}.{a}"),
                            "unknown aggregation; use min, max or mean",
                        ));
                    }
                    check_weight(key, *v)?;
                }
            }
        }
        for (alias_src, _) in settings.aliases.iter() {
            check_source_column("aliases", alias_src)?;
        }
        for (column, aggs) in settings.metrics.iter() {
            check_source_column("metrics", column)?;
            let alias = settings
                .aliases
                .get(column)
                .map(String::as_str)
                .unwrap_or(column);
            for &agg in aggs {
                let name = format!("{}_{alias}", agg.name());
                if items.iter().any(|(i, _)| i.name == name) {
                    return Err(AnnotateError::setting(
                        format!("postprocess.summary.metrics.{column}"),
                        format!("column `{name}` would appear twice"),
                    ));
                }
                let w = resolve_weight(settings, column, alias, agg, &name, &mut used_keys)?;
                items.push((
                    Item {
                        name,
                        source: Source::Metric(column.to_string(), agg),
                        weight: None,
                    },
                    w.unwrap_or(f64::NAN),
                ));
            }
        }
        let count_w = settings.weights.get("count");
        if settings.include_counts {
            let w = match count_w {
                None => f64::NAN,
                Some(WeightSpec::Value(v)) => {
                    used_keys.push("count");
                    check_weight("count", *v)?
                }
                Some(WeightSpec::PerAggregation(_)) => {
                    return Err(AnnotateError::setting(
                        "postprocess.summary.weights.count",
                        "must be a number",
                    ))
                }
            };
            items.push((
                Item {
                    name: "count".into(),
                    source: Source::Count,
                    weight: None,
                },
                w,
            ));
        } else if count_w.is_some() {
            return Err(AnnotateError::setting(
                "postprocess.summary.weights.count",
                "is set but include_counts is false; enable include_counts or drop the weight",
            ));
        }
        if settings.export_raw_count {
            items.push((
                Item {
                    name: "count_raw".into(),
                    source: Source::CountRaw,
                    weight: None,
                },
                f64::NAN,
            ));
        }
        for (key, _) in settings.weights.iter() {
            if used_keys.contains(&key) {
                continue;
            }
            if could_name_a_column(settings, key) {
                // E.g. a default weight for a metric the user removed: FANTASIA ignores it.
                tracing::warn!(
                    "postprocess.summary.weights.{key} matches no configured summary column; ignored"
                );
                continue;
            }
            let names: Vec<&str> = items.iter().map(|(i, _)| i.name.as_str()).collect();
            return Err(AnnotateError::setting(
                format!("postprocess.summary.weights.{key}"),
                format!(
                    "names no metric, alias or column; weight a metric, an alias or one of: {}",
                    names.join(", ")
                ),
            ));
        }
        let total: f64 = items.iter().map(|(_, w)| *w).filter(|w| !w.is_nan()).sum();
        let has_final = total > 0.0;
        let mut plan_items = Vec::with_capacity(items.len());
        let mut columns = Vec::new();
        for (mut item, w) in items {
            columns.push(item.name.clone());
            if has_final && !w.is_nan() {
                item.weight = Some(w / total);
                columns.push(format!("{}{}", settings.weighted_prefix, item.name));
            }
            plan_items.push(item);
        }
        if has_final {
            columns.push("final_score".into());
        }
        Ok(SummaryPlan {
            items: plan_items,
            columns: columns.into(),
            has_final,
        })
    }

    /// Output column names in FANTASIA's order: each aggregate followed by its weighted
    /// column, then `count` (and `w_count`), then `final_score`.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Whether the summary has a `final_score` column (some weight is positive).
    pub fn has_final_score(&self) -> bool {
        self.has_final
    }

    /// Normalised weight of a column (`None` when it does not enter `final_score`).
    pub fn weight(&self, column: &str) -> Option<f64> {
        self.items
            .iter()
            .find(|i| i.name == column)
            .and_then(|i| i.weight)
    }
}

/// Whether a weight key has the shape of something weightable: `count`, a raw column, an
/// alias, or `<agg>_<column or alias>`. Anything else is a typo.
fn could_name_a_column(settings: &SummarySettings, key: &str) -> bool {
    let is_name = |n: &str| {
        SUMMARY_SOURCE_COLUMNS.contains(&n) || settings.aliases.iter().any(|(_, a)| a == n)
    };
    if key == "count" || is_name(key) {
        return true;
    }
    ["min_", "max_", "mean_"]
        .iter()
        .any(|p| key.strip_prefix(p).is_some_and(is_name))
}

fn check_weight(key: &str, v: f64) -> Result<f64, AnnotateError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(AnnotateError::setting(
            format!("postprocess.summary.weights.{key}"),
            format!("{v} is not a finite, non-negative number"),
        ))
    }
}

/// FANTASIA's weight lookup: `<agg>_<alias>` first, then the metric name, then its alias (a
/// number applies to every aggregation, a mapping per aggregation).
fn resolve_weight<'s>(
    settings: &'s SummarySettings,
    column: &'s str,
    alias: &'s str,
    agg: Aggregation,
    out_name: &str,
    used: &mut Vec<&'s str>,
) -> Result<Option<f64>, AnnotateError> {
    for (key, spec) in settings.weights.iter() {
        if key == out_name {
            if let WeightSpec::Value(v) = spec {
                used.push(key);
                return check_weight(key, *v).map(Some);
            }
        }
    }
    for key in [column, alias] {
        let Some((k, spec)) = settings.weights.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        match spec {
            WeightSpec::Value(v) => {
                used.push(k);
                return check_weight(k, *v).map(Some);
            }
            WeightSpec::PerAggregation(per) => {
                used.push(k);
                // Aggregation names were validated in `SummaryPlan::new`.
                if let Some((_, v)) = per.iter().find(|(a, _)| Aggregation::parse(a) == Some(agg)) {
                    return check_weight(k, *v).map(Some);
                }
            }
        }
    }
    Ok(None)
}

/// One summary row: a (accession, GO term, model, layer) group.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Query accession.
    pub accession: String,
    /// GO id.
    pub go_id: String,
    /// Aspect of the term.
    pub category: Aspect,
    /// Model name.
    pub model_name: String,
    /// Layer index.
    pub layer_index: u32,
    /// Raw rows in the group.
    pub rows: usize,
    /// Distinct reference proteins of the group, sorted.
    pub proteins: Vec<String>,
    /// Column names (shared by all rows of one summary), see [`SummaryPlan::columns`].
    pub columns: Arc<[String]>,
    /// Values in column order; `None` where the source column was missing in every row.
    pub values: Vec<Option<f64>>,
    /// `final_score`, when any weight is set.
    pub final_score: Option<f64>,
}

impl SummaryRow {
    /// The value of a column by name.
    pub fn get(&self, column: &str) -> Option<f64> {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| self.values[i])
    }
}

/// Rounds like a write + read of the raw CSV with `precision` decimals, so a summary computed
/// in memory equals one computed from the written files (FANTASIA summarises the files).
pub fn round_to(x: f64, precision: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.precision$}").parse().unwrap_or(x)
}

/// Aggregates raw rows per (accession, go_id, model_name, layer_index), FANTASIA's
/// `post_processing`:
///
/// - each configured metric/aggregation over the group's rows (values rounded to `precision`
///   first, as FANTASIA reads them back from the raw CSV; missing values are skipped);
/// - `count` = rows in the group / `limit_per_entry` (rows, not distinct hits, as FANTASIA);
/// - weighted column = `round(value * w / sum(w), precision)` with a missing value as 0;
///   `final_score` = sum of the weighted columns.
///
/// Output is sorted by (accession, go_id, model_name, layer_index).
pub fn summarize(
    rows: &[RawRow],
    limit_per_entry: usize,
    precision: usize,
    settings: &SummarySettings,
) -> Result<Vec<SummaryRow>, AnnotateError> {
    if limit_per_entry == 0 {
        return Err(AnnotateError::setting(
            "limit_per_entry",
            "must be at least 1 (it normalises the summary count)",
        ));
    }
    let plan = SummaryPlan::new(settings)?;
    let mut groups: BTreeMap<(&str, &str, &str, u32), Vec<&RawRow>> = BTreeMap::new();
    for r in rows {
        groups
            .entry((&r.accession, &r.go_id, &r.model_name, r.layer_index))
            .or_default()
            .push(r);
    }
    let k = if settings.normalize_count_by_limit_per_entry {
        limit_per_entry as f64
    } else {
        1.0
    };
    let mut out = Vec::with_capacity(groups.len());
    for ((accession, go_id, model, layer), group) in groups {
        let mut values = Vec::with_capacity(plan.columns.len());
        let mut final_score = 0.0;
        for item in &plan.items {
            let v = match &item.source {
                Source::Metric(col, agg) => aggregate(&group, col, *agg, precision),
                Source::Count => Some(group.len() as f64 / k),
                Source::CountRaw => Some(group.len() as f64),
            };
            values.push(v);
            if let Some(w) = item.weight {
                let contrib = round_to(v.unwrap_or(0.0) * w, precision);
                values.push(Some(contrib));
                final_score += contrib;
            }
        }
        if plan.has_final {
            values.push(Some(final_score));
        }
        let mut proteins: Vec<String> = group.iter().map(|r| r.protein_id.clone()).collect();
        proteins.sort();
        proteins.dedup();
        out.push(SummaryRow {
            accession: accession.to_string(),
            go_id: go_id.to_string(),
            category: group[0].category,
            model_name: model.to_string(),
            layer_index: layer,
            rows: group.len(),
            proteins,
            columns: plan.columns.clone(),
            values,
            final_score: plan.has_final.then_some(final_score),
        });
    }
    Ok(out)
}

fn aggregate(group: &[&RawRow], column: &str, agg: Aggregation, precision: usize) -> Option<f64> {
    let mut it = group
        .iter()
        .filter_map(|r| raw_value(r, column))
        .map(|v| round_to(v, precision));
    let first = it.next()?;
    Some(match agg {
        Aggregation::Min => it.fold(first, f64::min),
        Aggregation::Max => it.fold(first, f64::max),
        Aggregation::Mean => {
            let (sum, n) = it.fold((first, 1usize), |(s, n), v| (s + v, n + 1));
            sum / n as f64
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use homolog_search::Metric;

    #[test]
    fn source_columns_and_values() {
        assert_eq!(
            SUMMARY_SOURCE_COLUMNS,
            [
                "distance",
                "reliability_index",
                "identity",
                "similarity",
                "alignment_score",
                "gaps_percentage",
                "alignment_length",
                "identity_sw",
                "similarity_sw",
                "alignment_score_sw",
                "gaps_percentage_sw",
                "alignment_length_sw",
                "query_len",
                "ref_len",
                "length_query",
                "length_reference",
            ]
        );
        let mut r = row("Q", "GO:A", "m", 0, 0.25, Some(0.5), Some(0.75), "P");
        r.sw.as_mut().unwrap().gaps = 0.125;
        assert_eq!(raw_value(&r, "identity"), Some(0.5));
        assert_eq!(raw_value(&r, "alignment_score_sw"), Some(10.0));
        assert_eq!(raw_value(&r, "gaps_percentage_sw"), Some(0.125));
        assert_eq!(raw_value(&r, "length_reference"), Some(100.0));
        assert_eq!(raw_value(&r, "nope"), None);
    }

    fn side(identity: f64) -> Option<AlignmentColumns> {
        Some(AlignmentColumns {
            identity,
            similarity: identity,
            score: 10.0,
            gaps: 0.0,
            length: 100.0,
        })
    }

    /// A raw row with the fields the summary reads.
    // A positional test helper reads better at call sites than a builder here.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn row(
        acc: &str,
        go: &str,
        model: &str,
        layer: u32,
        distance: f64,
        id_g: Option<f64>,
        id_l: Option<f64>,
        protein: &str,
    ) -> RawRow {
        RawRow {
            accession: acc.into(),
            model_name: model.into(),
            embedding_type_id: Some(3),
            layer_index: layer,
            distance,
            go_id: go.into(),
            category: Aspect::BiologicalProcess,
            evidence_code: Some("IDA".into()),
            go_description: None,
            protein_id: protein.into(),
            organism: None,
            gene_name: None,
            taxonomy_id: None,
            query_idx: None,
            ref_idx: Some(0),
            query_len: Some(100),
            ref_len: Some(100),
            sequence_query: None,
            sequence_reference: None,
            reliability_index: 1.0 - distance,
            nw: id_g.and_then(side),
            sw: id_l.and_then(side),
            distance_metric: Metric::Cosine,
            distance_threshold: None,
        }
    }

    fn two_rows() -> Vec<RawRow> {
        vec![
            row("Q", "GO:A", "m", 0, 0.1, Some(0.5), Some(0.8), "P2"),
            row("Q", "GO:A", "m", 0, 0.3, Some(0.25), Some(0.6), "P1"),
        ]
    }

    #[test]
    fn default_columns_are_fantasias() {
        let plan = SummaryPlan::new(&SummarySettings::default()).unwrap();
        assert_eq!(
            plan.columns(),
            [
                "max_ri",
                "w_max_ri",
                "min_id_g",
                "max_id_g",
                "w_max_id_g",
                "mean_id_g",
                "min_id_l",
                "max_id_l",
                "w_max_id_l",
                "mean_id_l",
                "count",
                "w_count",
                "final_score"
            ]
        );
        assert_eq!(plan.weight("max_ri"), Some(0.4));
        assert_eq!(plan.weight("count"), Some(0.2));
        assert_eq!(plan.weight("mean_id_g"), None);
    }

    #[test]
    fn final_score_matches_hand_computation() {
        let s = summarize(&two_rows(), 2, 4, &SummarySettings::default()).unwrap();
        assert_eq!(s.len(), 1);
        let r = &s[0];
        assert_eq!(r.rows, 2);
        assert_eq!(r.proteins, vec!["P1", "P2"]);
        let close = |name: &str, want: f64| {
            let got = r.get(name).unwrap();
            assert!((got - want).abs() < 1e-12, "{name}: {got} != {want}");
        };
        close("max_ri", 0.9);
        close("min_id_g", 0.25);
        close("max_id_g", 0.5);
        close("mean_id_g", 0.375);
        close("min_id_l", 0.6);
        close("max_id_l", 0.8);
        close("mean_id_l", 0.7);
        close("count", 1.0);
        // 0.4*0.9 + 0.2*0.5 + 0.2*0.8 + 0.2*1.0
        close("w_max_ri", 0.36);
        close("w_max_id_g", 0.1);
        close("w_max_id_l", 0.16);
        close("w_count", 0.2);
        close("final_score", 0.82);
        assert!((r.final_score.unwrap() - 0.82).abs() < 1e-12);
    }

    #[test]
    fn weights_are_normalised_and_missing_values_count_as_zero() {
        let yaml = "
weights:
  reliability_index: {max: 2}
  id_g: 1          # alias, applies to min, max and mean
  count: 1
";
        let settings: SummarySettings = serde_yaml::from_str(yaml).unwrap();
        let plan = SummaryPlan::new(&settings).unwrap();
        // 2 + 3 x 1 + 1 = 6
        assert_eq!(plan.weight("max_ri"), Some(2.0 / 6.0));
        assert_eq!(plan.weight("min_id_g"), Some(1.0 / 6.0));
        assert_eq!(plan.weight("mean_id_g"), Some(1.0 / 6.0));
        assert_eq!(plan.weight("max_id_l"), None);
        // No alignment: identity missing -> contributes 0; k = 4 -> count 0.5.
        let rows = vec![
            row("Q", "GO:A", "m", 0, 0.1, None, None, "P1"),
            row("Q", "GO:A", "m", 0, 0.4, None, None, "P1"),
        ];
        let s = summarize(&rows, 4, 4, &settings).unwrap();
        let r = &s[0];
        assert_eq!(r.get("max_id_g"), None);
        assert_eq!(r.get("w_max_id_g"), Some(0.0));
        // round(0.9 * 2/6, 4) = 0.3; round(0.5 / 6, 4) = 0.0833
        assert_eq!(r.get("w_max_ri"), Some(0.3));
        assert_eq!(r.get("w_count"), Some(0.0833));
        assert!((r.final_score.unwrap() - 0.3833).abs() < 1e-12);
        assert_eq!(r.get("count"), Some(0.5));
    }

    #[test]
    fn groups_by_accession_term_model_layer() {
        let rows = vec![
            row("Q2", "GO:A", "m", 0, 0.1, Some(1.0), Some(1.0), "P1"),
            row("Q1", "GO:B", "m", 1, 0.2, Some(1.0), Some(1.0), "P1"),
            row("Q1", "GO:B", "m", 0, 0.2, Some(1.0), Some(1.0), "P1"),
            row("Q1", "GO:A", "m", 0, 0.2, Some(1.0), Some(1.0), "P1"),
        ];
        let s = summarize(&rows, 1, 4, &SummarySettings::default()).unwrap();
        let keys: Vec<(&str, &str, u32)> = s
            .iter()
            .map(|r| (r.accession.as_str(), r.go_id.as_str(), r.layer_index))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("Q1", "GO:A", 0),
                ("Q1", "GO:B", 0),
                ("Q1", "GO:B", 1),
                ("Q2", "GO:A", 0)
            ]
        );
    }

    #[test]
    fn inputs_are_rounded_like_the_raw_csv() {
        // 1 - 0.123456 = 0.876544 -> 0.8765 at 4 decimals.
        let rows = vec![row(
            "Q",
            "GO:A",
            "m",
            0,
            0.123456,
            Some(0.33333),
            Some(0.1),
            "P",
        )];
        let s = summarize(&rows, 1, 4, &SummarySettings::default()).unwrap();
        assert_eq!(s[0].get("max_ri"), Some(0.8765));
        assert_eq!(s[0].get("mean_id_g"), Some(0.3333));
    }

    #[test]
    fn fantasia_config_section_parses() {
        // FANTASIA's own `postprocess` block (config.yaml), with homolog's keys defaulted.
        let yaml = r#"
keep_sequences: False
summary:
  include_counts: true
  normalize_count_by_limit_per_entry: true
  export_raw_count: true
  metrics:
    reliability_index: [ max ]
    identity: [ min, max, mean ]
    identity_sw: [ min, max, mean ]
  aliases:
    reliability_index: ri
    identity: id_g
    identity_sw: id_l
  weights:
    reliability_index: { max: 0.4 }
    max_id_g: 0.20
    max_id_l: 0.20
    count: 0.2
  weighted_prefix: "w_"
"#;
        let p: PostprocessSettings = serde_yaml::from_str(yaml).unwrap();
        assert!(!p.keep_sequences);
        let expected = SummarySettings {
            export_raw_count: true,
            ..SummarySettings::default()
        };
        assert_eq!(p.summary, expected);
        let plan = SummaryPlan::new(&p.summary).unwrap();
        assert!(plan.columns().contains(&"count_raw".to_string()));
        // Round trip through YAML keeps the order of `metrics`.
        let back: PostprocessSettings =
            serde_yaml::from_str(&serde_yaml::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn bad_settings_are_rejected_with_the_key() {
        let err = |yaml: &str| -> String {
            match serde_yaml::from_str::<SummarySettings>(yaml) {
                Err(e) => e.to_string(),
                Ok(s) => SummaryPlan::new(&s).unwrap_err().to_string(),
            }
        };
        assert!(err("metricz: {}").contains("unknown field `metricz`"));
        assert!(err("metrics: {identiti: [max]}").contains("metrics.identiti"));
        assert!(err("metrics: {identity: [median]}").contains("median"));
        assert!(err("weights: {max_id_q: 0.2}").contains("weights.max_id_q"));
        assert!(err("weights: {reliability_index: {mx: 0.4}}").contains("mx"));
        assert!(err("weights: {count: -1}").contains("non-negative"));
        assert!(err("include_counts: false").contains("weights.count"));
        assert!(err("aliases: {distanse: d}").contains("aliases.distanse"));
        assert!(err("metrics: {identity: [max]}\nmetrics: {}").contains("duplicate"));
    }

    #[test]
    fn default_weights_for_removed_metrics_are_ignored() {
        // Only RI is aggregated; the default weights for max_id_g/max_id_l match nothing.
        let settings: SummarySettings =
            serde_yaml::from_str("metrics: {reliability_index: [max]}").unwrap();
        let plan = SummaryPlan::new(&settings).unwrap();
        // 0.4 and 0.2 renormalised over the two weighted columns left.
        assert_eq!(plan.weight("max_ri"), Some(0.4 / (0.4 + 0.2)));
        assert_eq!(
            plan.columns(),
            ["max_ri", "w_max_ri", "count", "w_count", "final_score"]
        );
    }

    #[test]
    fn without_weights_there_is_no_final_score() {
        let settings = SummarySettings {
            weights: OrderedMap::default(),
            ..SummarySettings::default()
        };
        let s = summarize(&two_rows(), 2, 4, &settings).unwrap();
        assert_eq!(s[0].final_score, None);
        assert!(!s[0]
            .columns
            .iter()
            .any(|c| c.starts_with("w_") || c == "final_score"));
    }

    #[test]
    fn raw_count_when_not_normalised() {
        let settings = SummarySettings {
            normalize_count_by_limit_per_entry: false,
            ..SummarySettings::default()
        };
        let s = summarize(&two_rows(), 5, 4, &settings).unwrap();
        assert_eq!(s[0].get("count"), Some(2.0));
    }
}
