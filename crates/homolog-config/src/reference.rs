//! The configuration reference page (`docs/configuration.md`), generated from the schema.
//!
//! Three sources, each the authority for one column, so the page cannot drift from the code:
//! - keys and defaults: [`Config::default`] serialised, walked in field order;
//! - descriptions: the comment above each key in [`EXAMPLE_YAML`] (`config.example.yaml`);
//! - enum values: asked of serde itself, by deserialising a value no enum has and reading the
//!   `unknown variant ..., expected ...` error, so a new variant shows up without editing here.
//!
//! What the Rust types cannot say in words (the YAML type, ranges checked by
//! [`Config::validate`]) is in [`KEYS`], one row per key. The crate's tests hold that table to
//! the schema: every key of the defaults has a row and every row a key, each row's sample value
//! deserialises, `null` is accepted exactly where the type says `or null`, and every key has a
//! comment in the example file. `crates/homolog-config/tests/reference.rs` compares the page
//! with this generator (`HOMOLOG_BLESS=1` rewrites it).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_yaml::{Mapping, Value};

use crate::{set_path, Config, EXAMPLE_YAML};

/// Maps whose keys the user chooses: documented once, with `<name>` for the key; the example's
/// first entry stands for all of them.
const NAMED_MAPS: &[&str] = &["embedding.models"];
/// The placeholder for a user-chosen map key.
const NAME: &str = "<name>";
/// The value in [`KeyDoc::variants`] templates where an enum value goes.
const PROBE: &str = "__homolog_probe__";

/// One documented key.
#[derive(Debug, Clone, Copy)]
pub struct KeyDoc {
    /// Dotted path; `<name>` for a key of a user-chosen map (see `NAMED_MAPS`).
    pub path: &'static str,
    /// The YAML type, as a user writes it. `or null` exactly when `null` is accepted (checked).
    pub ty: &'static str,
    /// Ranges and forms beyond the type (checked by [`Config::validate`]); enum values are not
    /// written here but generated from `variants`.
    pub allowed: &'static str,
    /// A valid value other than the default, as YAML; the tests deserialise it at `path`.
    pub sample: &'static str,
    /// For enums: YAML for this key with `__homolog_probe__` where an enum value goes; the
    /// allowed values are read from serde's error for it.
    pub variants: Option<&'static str>,
    /// Text generated from the code (the backend registry, a range constant), appended to
    /// `allowed`.
    pub generated: Option<fn() -> String>,
}

const fn key(
    path: &'static str,
    ty: &'static str,
    allowed: &'static str,
    sample: &'static str,
) -> KeyDoc {
    KeyDoc {
        path,
        ty,
        allowed,
        sample,
        variants: None,
        generated: None,
    }
}

const fn enumeration(path: &'static str) -> KeyDoc {
    KeyDoc {
        path,
        ty: "string",
        allowed: "",
        sample: "",
        variants: Some(PROBE),
        generated: None,
    }
}

fn code_list(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn backends() -> String {
    code_list(homolog_embed::registry::known())
}

fn summary_columns() -> String {
    code_list(homolog_annotate::SUMMARY_SOURCE_COLUMNS)
}

fn kmer_k() -> String {
    use homolog_embed::kmer::KmerParams;
    format!(
        "kmer: 1 to {} (null = {})",
        KmerParams::MAX_K,
        KmerParams::default().k
    )
}

fn kmer_dim() -> String {
    use homolog_embed::kmer::KmerParams;
    format!(
        "kmer: 1 to {} (null = {})",
        KmerParams::MAX_DIM,
        KmerParams::default().dim
    )
}

/// Every key of the configuration, one row each (the page follows the schema's order).
pub const KEYS: &[KeyDoc] = &[
    key("base_directory", "path", "", "runs"),
    key("prefix", "string", "non-empty, no `/`", "exp1"),
    key("input", "path or null", "", "queries.fasta"),
    key("threads", "integer", "0 = all cores", "4"),
    enumeration("on_invalid"),
    key("reference.path", "path", "", "ref"),
    key(
        "reference.sequences",
        "list of sources",
        "",
        "[uniprot_sprot.dat.gz]",
    ),
    key(
        "reference.annotations",
        "list of sources",
        "",
        "[goa_uniprot.gaf.gz]",
    ),
    key(
        "reference.ontology",
        "source or null",
        "required by `homolog initialize`",
        "go-basic.obo",
    ),
    key(
        "reference.taxonomy",
        "`{nodes: source, names: source}` or null",
        "`names` may be left out",
        "{nodes: nodes.dmp, names: names.dmp}",
    ),
    key(
        "reference.embeddings",
        "list of `{model, layer, source, backend, embedding_type_id}`",
        "`model` names an `embedding.models` key; `layer` defaults to 0",
        "[{model: prot_t5, layer: 0, source: per-protein.h5}]",
    ),
    key(
        "reference.evidence_codes",
        "list of strings, or `all`",
        "GO evidence codes; `all` or `[]` keeps every annotation",
        "all",
    ),
    enumeration("reference.precision"),
    key("reference.cache_dir", "path or null", "", "downloads"),
    key(
        "embedding.max_sequence_length",
        "integer or null",
        "0 or null = no limit",
        "1000",
    ),
    key(
        "embedding.models",
        "mapping: model name → settings",
        "at least one model enabled",
        "{esm2: {enabled: true, path: esm2_t6}}",
    ),
    key("embedding.models.<name>.enabled", "boolean", "", "false"),
    KeyDoc {
        generated: Some(backends),
        ..key(
            "embedding.models.<name>.backend",
            "string or null",
            "null = the model's key; backends:",
            "esm2",
        )
    },
    key(
        "embedding.models.<name>.path",
        "path or null",
        "a checkpoint folder, `hf:org/name[@revision]` or `hf:` + a FANTASIA model name",
        "hf:esm2_t33_650M_UR50D",
    ),
    key("embedding.models.<name>.batch_size", "integer", "≥ 1", "8"),
    key(
        "embedding.models.<name>.max_tokens",
        "integer or null",
        "≥ 1",
        "4096",
    ),
    key(
        "embedding.models.<name>.layers",
        "list of integers",
        "non-empty; each below the model's layer count (`layer_index` is accepted too)",
        "[0, 1]",
    ),
    key(
        "embedding.models.<name>.distance_threshold",
        "number, `false` or null",
        "≥ 0, and ≤ 2 with the cosine metric; `false` = null = none",
        "0.5",
    ),
    key(
        "embedding.models.<name>.embedding_type_id",
        "integer or null",
        "≥ 1",
        "3",
    ),
    key(
        "embedding.models.<name>.max_sequence_length",
        "integer or null",
        "0 or null = no limit",
        "1000",
    ),
    KeyDoc {
        generated: Some(kmer_k),
        ..key("embedding.models.<name>.k", "integer or null", "", "4")
    },
    KeyDoc {
        generated: Some(kmer_dim),
        ..key("embedding.models.<name>.dim", "integer or null", "", "512")
    },
    key("embedding.models.<name>.seed", "integer or null", "", "7"),
    key(
        "embedding.models.<name>.device",
        "string or null",
        "`cpu`, `cuda`, `cuda:N`",
        "cuda:1",
    ),
    key(
        "embedding.models.<name>.precision",
        "string or null",
        "`fp32`, `fp16`, `bf16`",
        "fp16",
    ),
    enumeration("lookup.distance_metric"),
    key("lookup.limit_per_entry", "integer", "≥ 1", "30"),
    key("lookup.keep_ties", "boolean", "", "true"),
    enumeration("lookup.ri_mode"),
    key("lookup.alignment", "boolean", "", "false"),
    key("lookup.topgo", "boolean", "", "false"),
    key("lookup.precision", "integer", "0 to 12", "6"),
    key("lookup.query_chunk", "integer", "0 = automatic", "256"),
    key("lookup.verify_reference", "boolean", "", "false"),
    key(
        "lookup.alignment_cache",
        "path or null",
        "",
        "alignments.sqlite",
    ),
    key("redundancy.identity", "number", "0 to 1; 0 = off", "0.95"),
    key("redundancy.coverage", "number", "0 to 1", "0.8"),
    key(
        "redundancy.threads",
        "integer",
        "0 = the run's threads",
        "4",
    ),
    key(
        "redundancy.mmseqs",
        "path",
        "a name on PATH or a path",
        "/opt/mmseqs/bin/mmseqs",
    ),
    key(
        "taxonomy.include_only",
        "list of integers",
        "NCBI taxon ids",
        "[9606]",
    ),
    key(
        "taxonomy.exclude",
        "list of integers",
        "NCBI taxon ids",
        "[9606]",
    ),
    key(
        "taxonomy.get_descendants",
        "boolean",
        "needs `include_only` or `exclude`",
        "true",
    ),
    key("postprocess.keep_sequences", "boolean", "", "true"),
    key("postprocess.collapse", "boolean", "", "true"),
    enumeration("postprocess.summary_format"),
    enumeration("postprocess.topgo_format"),
    key("postprocess.summary.include_counts", "boolean", "", "false"),
    key(
        "postprocess.summary.normalize_count_by_limit_per_entry",
        "boolean",
        "",
        "false",
    ),
    key(
        "postprocess.summary.export_raw_count",
        "boolean",
        "",
        "true",
    ),
    KeyDoc {
        variants: Some("{reliability_index: [__homolog_probe__]}"),
        generated: Some(summary_columns),
        ..key(
            "postprocess.summary.metrics",
            "mapping: raw column → list of aggregations",
            "columns:",
            "{identity: [max]}",
        )
    },
    KeyDoc {
        generated: Some(summary_columns),
        ..key(
            "postprocess.summary.aliases",
            "mapping: raw column → string",
            "columns:",
            "{identity: idg}",
        )
    },
    key(
        "postprocess.summary.weights",
        "mapping: column → number, or metric → `{aggregation: number}`",
        "keys: `<aggregation>_<alias>`, a metric, an alias, or `count`",
        "{max_ri: 1.0}",
    ),
    key(
        "postprocess.summary.weighted_prefix",
        "string",
        "",
        "weighted_",
    ),
    key(
        "postprocess.min_score",
        "number or null",
        "≥ 0; needs a `final_score`",
        "0.5",
    ),
    key(
        "postprocess.min_reliability",
        "number or null",
        "0 to 1",
        "0.3",
    ),
    enumeration("postprocess.score"),
    key(
        "postprocess.vote.voters",
        "integer",
        "≥ 1 with `score: vote`",
        "5",
    ),
];

/// The page `docs/configuration.md`: every key with its type, default, allowed values and the
/// example file's comment, one table per section.
///
/// # Panics
///
/// When the schema and [`KEYS`] disagree (a key without a row, a row without a key): the
/// crate's tests say which, and this page cannot be generated until the row is added.
pub fn reference_markdown() -> String {
    let defaults = defaults_tree();
    let comments = example_comments();
    let mut leaves = Vec::new();
    walk(&defaults, "", &mut leaves);
    if let Some(problem) = coverage_problems(&leaves).into_iter().next() {
        panic!("{problem}");
    }

    let mut out = String::new();
    out.push_str(
        "<!-- Generated by homolog_config::reference_markdown() from the configuration schema \
         (the Rust types and their defaults, config.example.yaml's comments); do not edit. \
         Regenerate: HOMOLOG_BLESS=1 cargo test -p homolog-config --test reference -->\n\n",
    );
    out.push_str("# Configuration reference\n\n");
    out.push_str(
        "Every key of homolog's YAML configuration with its type, default and allowed values. \
         `homolog config --example` (the repository's `config.example.yaml`) prints the same \
         keys as a commented file; `homolog config --config FILE` prints the effective \
         configuration.\n\n\
         - Precedence, lowest first: these defaults, the file given with `--config`, `HOMOLOG_*` \
         environment variables, command-line flags. A variable names a key by its path with \
         `__` between levels, upper-case (`HOMOLOG_LOOKUP__LIMIT_PER_ENTRY=3`); \
         `--set lookup.limit_per_entry=3` does the same on the command line. Both values are \
         read as YAML (`3`, `true`, `[0, 1]`).\n\
         - Unknown keys are errors that name the key; invalid values are reported with the \
         valid range or the known names.\n\
         - Relative paths are relative to the folder of the configuration file.\n\
         - A *source* is a path or an http(s) URL, or `{location: URL, sha256: HEX}` to verify \
         the download.\n\
         - `<name>` stands for a key you choose (a model name).\n",
    );

    // One table per section (the keys' parent), sections in the order they first appear.
    let mut sections: Vec<(&str, Vec<&str>)> = Vec::new();
    for path in &leaves {
        let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
        match sections.iter_mut().find(|(p, _)| *p == parent) {
            Some((_, keys)) => keys.push(path),
            None => sections.push((parent, vec![path])),
        }
    }
    for (parent, keys) in sections {
        match parent {
            "" => out.push_str("\n## Top level\n\n"),
            p if !p.contains('.') => {
                let _ = write!(out, "\n## `{p}`\n\n");
            }
            p => {
                let _ = write!(out, "\n### `{p}`\n\n");
            }
        }
        if let Some(text) = comments.get(parent) {
            let _ = writeln!(out, "{}\n", cell(text));
        }
        out.push_str("| Key | Type | Default | Allowed values | Description |\n");
        out.push_str("|---|---|---|---|---|\n");
        for path in keys {
            row(&mut out, path, &defaults, &comments);
        }
    }
    out
}

/// One table row.
fn row(out: &mut String, path: &str, defaults: &Value, comments: &BTreeMap<String, String>) {
    let doc = find(path).expect("coverage checked");
    let default = match value_at(defaults, path) {
        // A user-chosen map: its entries, whose settings have their own table.
        Some(Value::Mapping(m)) if NAMED_MAPS.contains(&path) => flow_map_keys(m),
        Some(v) => flow(v),
        None => "—".to_string(),
    };
    let description = comments.get(path).map_or("", String::as_str);
    let _ = writeln!(
        out,
        "| `{}` | {} | `{}` | {} | {} |",
        path.rsplit('.').next().unwrap_or(path),
        cell(doc.ty),
        cell(&default),
        cell(&allowed_values(doc)),
        cell(description),
    );
}

/// The allowed-values cell: the row's words, then the enum values serde reports and the
/// generated lists.
fn allowed_values(doc: &KeyDoc) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(template) = doc.variants {
        let values = enum_values(doc.path, template).unwrap_or_else(|| {
            panic!(
                "{}: no `unknown variant` error for {template}; not an enum?",
                doc.path
            )
        });
        parts.push(
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    match (doc.allowed, doc.generated) {
        ("", Some(text)) => parts.push(text()),
        (words, Some(text)) => parts.push(format!("{words} {}", text())),
        ("", None) => {}
        (words, None) => parts.push(words.to_string()),
    }
    parts.join("; ")
}

/// The defaults as a YAML tree, in the schema's field order.
fn defaults_tree() -> Value {
    serde_yaml::to_value(Config::default()).expect("the defaults serialise")
}

/// The documented paths of the defaults: leaves, and maps documented as a whole. The first
/// entry of a user-chosen map stands for all (`<name>`).
fn walk(node: &Value, prefix: &str, out: &mut Vec<String>) {
    let Value::Mapping(map) = node else {
        return;
    };
    for (k, v) in map {
        let Some(k) = k.as_str() else { continue };
        let path = if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        };
        if NAMED_MAPS.contains(&path.as_str()) {
            out.push(path.clone());
            if let Some((_, first)) = v.as_mapping().and_then(|m| m.iter().next()) {
                walk(first, &format!("{path}.{NAME}"), out);
            }
        } else if v.is_mapping() && find(&path).is_none() {
            walk(v, &path, out);
        } else {
            out.push(path);
        }
    }
}

fn find(path: &str) -> Option<&'static KeyDoc> {
    KEYS.iter().find(|k| k.path == path)
}

/// Keys of the schema without a row in [`KEYS`], and rows without a key.
fn coverage_problems(leaves: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for leaf in leaves {
        if find(leaf).is_none() {
            problems.push(format!(
                "configuration key `{leaf}` has no row in homolog_config::reference::KEYS; add one \
                 (its type, allowed values and a sample value)"
            ));
        }
    }
    for doc in KEYS {
        if !leaves.iter().any(|l| l == doc.path) {
            problems.push(format!(
                "homolog_config::reference::KEYS has a row for `{}`, which the schema does not have",
                doc.path
            ));
        }
    }
    problems
}

/// The default value at a documented path (`<name>` = the first entry of the map).
fn value_at<'a>(tree: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = tree;
    for seg in path.split('.') {
        let map = node.as_mapping()?;
        node = if seg == NAME {
            map.iter().next()?.1
        } else {
            map.get(seg)?
        };
    }
    Some(node)
}

/// A path with `<name>` replaced by the defaults' model name, for deserialising at it.
fn concrete(path: &str) -> Vec<String> {
    let first_model = Config::default()
        .embedding
        .models
        .keys()
        .next()
        .cloned()
        .unwrap_or_else(|| "kmer".to_string());
    path.split('.')
        .map(|s| {
            if s == NAME {
                first_model.clone()
            } else {
                s.to_string()
            }
        })
        .collect()
}

/// Deserialises the defaults with `value` (YAML) at `path`, without validation: what serde
/// alone accepts.
fn try_value_at(path: &str, value: &str) -> Result<Config, String> {
    let mut tree = defaults_tree();
    let value: Value = serde_yaml::from_str(value).map_err(|e| e.to_string())?;
    set_path(&mut tree, &concrete(path), value)?;
    serde_yaml::from_value(tree).map_err(|e| e.to_string())
}

/// The variants serde lists for a value no enum has, from its `unknown variant` error.
fn enum_values(path: &str, template: &str) -> Option<Vec<String>> {
    let err = try_value_at(path, template).err()?;
    let (_, rest) = err.split_once("unknown variant")?;
    let (_, expected) = rest.split_once("expected")?;
    // serde writes `a`, `a` or `b`, or one of `a`, `b`, `c`; a location may follow the list.
    let values: Vec<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    (!values.is_empty()).then_some(values)
}

/// Comments of `config.example.yaml`, by the path of the key below them (`<name>` for the first
/// entry of a user-chosen map). A blank line ends a comment block without a key.
fn example_comments() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for line in EXAMPLE_YAML.lines() {
        let text = line.trim_start();
        if text.is_empty() {
            pending.clear();
            continue;
        }
        if let Some(comment) = text.strip_prefix('#') {
            pending.push(comment.trim());
            continue;
        }
        let indent = line.len() - text.len();
        let Some((key, _)) = text.split_once(':') else {
            pending.clear();
            continue;
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        stack.push((indent, key.trim().to_string()));
        let mut path = String::new();
        for (_, k) in &stack {
            let segment = if NAMED_MAPS.contains(&path.as_str()) {
                NAME
            } else {
                k.as_str()
            };
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(segment);
        }
        if !pending.is_empty() {
            out.insert(path, pending.join(" "));
            pending.clear();
        }
    }
    out
}

/// A YAML value on one line (flow style), for the Default column.
fn flow(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            // Quote what YAML would read as another type or as flow syntax.
            let plain = !s.is_empty()
                && serde_yaml::from_str::<Value>(s).ok() == Some(Value::String(s.clone()))
                && !s.contains([',', '[', ']', '{', '}', '#', ':']);
            if plain {
                s.clone()
            } else {
                format!("{s:?}")
            }
        }
        Value::Sequence(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Mapping(map) => flow_map(map),
        Value::Tagged(t) => format!("!{} {}", t.tag, flow(&t.value)),
    }
}

fn flow_map_keys(map: &Mapping) -> String {
    let items: Vec<String> = map.keys().map(|k| format!("{}: {{…}}", flow(k))).collect();
    format!("{{{}}}", items.join(", "))
}

fn flow_map(map: &Mapping) -> String {
    let items: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// Text for a Markdown table cell: `|` escaped, and outside code spans `<` and `>` too (the
/// comments write placeholders such as `<prefix>`, which Markdown would take for HTML tags).
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut code = false;
    for c in text.chars() {
        match c {
            '`' => {
                code = !code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            '<' if !code => out.push_str("&lt;"),
            '>' if !code => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves() -> Vec<String> {
        let mut out = Vec::new();
        walk(&defaults_tree(), "", &mut out);
        out
    }

    #[test]
    fn every_key_has_a_row_and_every_row_a_key() {
        let problems = coverage_problems(&leaves());
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_sample_value_deserialises() {
        for doc in KEYS {
            if doc.variants.is_none() {
                assert!(!doc.sample.is_empty(), "{}: no sample value", doc.path);
            }
            if doc.sample.is_empty() {
                continue;
            }
            if let Err(e) = try_value_at(doc.path, doc.sample) {
                panic!(
                    "{}: sample {:?} does not deserialise: {e}",
                    doc.path, doc.sample
                );
            }
        }
    }

    #[test]
    fn null_is_accepted_exactly_where_the_type_says_so() {
        for doc in KEYS {
            // serde_yaml reads null as an empty list or mapping; those types do not say null.
            if doc.ty.starts_with("list") || doc.ty.starts_with("mapping") {
                continue;
            }
            let accepted = try_value_at(doc.path, "null").is_ok();
            let says = doc.ty.ends_with("or null");
            assert_eq!(
                accepted,
                says,
                "{}: null is {}accepted but the type reads {:?}",
                doc.path,
                if accepted { "" } else { "not " },
                doc.ty
            );
        }
    }

    #[test]
    fn enum_rows_are_the_enums() {
        for doc in KEYS {
            let found = enum_values(doc.path, doc.variants.unwrap_or(PROBE));
            match doc.variants {
                Some(_) => {
                    let values = found.unwrap_or_else(|| panic!("{}: not an enum", doc.path));
                    // Each value serde names deserialises.
                    for v in values {
                        let yaml = doc.variants.unwrap().replace(PROBE, &v);
                        try_value_at(doc.path, &yaml)
                            .unwrap_or_else(|e| panic!("{}: {v}: {e}", doc.path));
                    }
                }
                None => assert!(
                    found.is_none(),
                    "{} is an enum ({found:?}); make its row an enumeration",
                    doc.path
                ),
            }
        }
    }

    #[test]
    fn every_key_and_section_has_a_comment_in_the_example() {
        let comments = example_comments();
        let missing: Vec<_> = leaves()
            .into_iter()
            .filter(|p| !comments.contains_key(p))
            .collect();
        assert!(
            missing.is_empty(),
            "keys without a comment above them in config.example.yaml: {missing:?}"
        );
    }

    #[test]
    fn cells_escape_pipes_and_placeholders_outside_code() {
        assert_eq!(cell("a <b> | `<c> | d`"), "a &lt;b&gt; \\| `<c> \\| d`");
    }

    #[test]
    fn flow_values() {
        let v: Value = serde_yaml::from_str("{a: [1, x], b: null, c: 'true', d: 'a: b'}").unwrap();
        assert_eq!(flow(&v), r#"{a: [1, x], b: null, c: "true", d: "a: b"}"#);
    }
}
