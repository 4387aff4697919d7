//! OBO 1.2/1.4 ontology parser and the [`Ontology`] graph.
//!
//! Only `[Term]` stanzas are read (`[Typedef]` and `[Instance]` are skipped). The closure used
//! everywhere (ancestors, propagation, leaves) follows `is_a` and `relationship: part_of` only:
//! that is the convention of CAFA, goPredSim and FANTASIA. Other relationship types
//! (`has_part`, `regulates`, `occurs_in`, ...) are kept in [`Term::other_relationships`] but
//! never followed: `has_part` points the "wrong" way and would make the closure of the full
//! `go.obo` cyclic and far too large.
//!
//! Term ids are interned as `u32` indices in file order, and the ancestor set of every term is
//! computed once at load time and stored compactly (CSR layout, sorted), so `ancestors_idx` is a
//! slice lookup and propagating thousands of proteins costs only the size of their closures.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use homolog_io::Lines;

use crate::{Aspect, GoError};

/// One `[Term]` stanza.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    /// Primary id, e.g. `GO:0008150`.
    pub id: String,
    pub name: String,
    /// The stanza's `namespace`, or the header's `default-namespace` when absent.
    pub namespace: String,
    /// `Some` when the namespace is one of the three GO aspects.
    pub aspect: Option<Aspect>,
    /// Direct `is_a` parents (comments and trailing modifiers stripped).
    pub is_a: Vec<String>,
    /// Direct `relationship: part_of` parents.
    pub part_of: Vec<String>,
    /// Other `relationship:` lines as (type, target); kept for callers, never followed.
    pub other_relationships: Vec<(String, String)>,
    pub alt_ids: Vec<String>,
    pub obsolete: bool,
    pub replaced_by: Vec<String>,
    pub consider: Vec<String>,
}

/// A parsed ontology with interned ids and precomputed `is_a` + `part_of` ancestor sets.
#[derive(Debug, Clone)]
pub struct Ontology {
    source: PathBuf,
    format_version: Option<String>,
    data_version: Option<String>,
    terms: Vec<Term>,
    by_id: HashMap<String, u32>,
    alt: HashMap<String, u32>,
    parents: Vec<Vec<u32>>,
    anc_start: Vec<u32>,
    anc: Vec<u32>,
}

/// Applies one `tag: value` line of a `[Term]` stanza (started on `stanza_line`) to `t`; tags
/// homolog does not use are ignored.
fn read_term_tag(
    t: &mut Term,
    tag: &str,
    value: &str,
    path: &Path,
    line_no: usize,
    stanza_line: usize,
) -> Result<(), GoError> {
    let need_id = |v: &str, what: &str| -> Result<String, GoError> {
        let tok = first_token(v);
        if tok.is_empty() {
            Err(GoError::parse(
                path,
                line_no,
                format!("empty `{what}:` value; expected a term id"),
            ))
        } else {
            Ok(tok.to_string())
        }
    };
    match tag {
        "id" => {
            if !t.id.is_empty() {
                return Err(GoError::parse(
                    path,
                    line_no,
                    format!(
                        "second `id:` in the stanza of {} (started on line {stanza_line})",
                        t.id
                    ),
                ));
            }
            t.id = need_id(value, "id")?;
        }
        "name" => t.name = text_value(value).to_string(),
        "namespace" => t.namespace = first_token(value).to_string(),
        "is_a" => t.is_a.push(need_id(value, "is_a")?),
        "alt_id" => t.alt_ids.push(need_id(value, "alt_id")?),
        "replaced_by" => t.replaced_by.push(need_id(value, "replaced_by")?),
        "consider" => t.consider.push(need_id(value, "consider")?),
        "is_obsolete" => t.obsolete = first_token(value) == "true",
        "relationship" => {
            let body = value.split('!').next().unwrap_or("");
            let body = body.split('{').next().unwrap_or("");
            let mut it = body.split_whitespace();
            match (it.next(), it.next()) {
                (Some("part_of"), Some(target)) => {
                    t.part_of.push(target.to_string())
                }
                (Some(rel), Some(target)) => t
                    .other_relationships
                    .push((rel.to_string(), target.to_string())),
                _ => {
                    return Err(GoError::parse(
                        path,
                        line_no,
                        format!(
                            "`relationship: {value}` needs a type and a target id, e.g. `relationship: part_of GO:0005634`"
                        ),
                    ))
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Strips a trailing `! comment` and `{qualifiers}` and returns the first token: the form every
/// id-valued tag (`is_a`, `alt_id`, `replaced_by`, `consider`) takes.
fn first_token(value: &str) -> &str {
    let v = value.split('!').next().unwrap_or("");
    let v = v.split('{').next().unwrap_or("");
    v.split_whitespace().next().unwrap_or("")
}

/// Value of a free-text tag (`name`): taken whole, because names may contain `!` and GO
/// never puts comments or modifiers on them.
fn text_value(value: &str) -> &str {
    value.trim()
}

#[derive(PartialEq)]
enum Stanza {
    Header,
    Term,
    Other,
}

impl Ontology {
    /// Reads an OBO file, plain or gzip (detected by the magic bytes, not the extension).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, GoError> {
        Self::parse(&mut Lines::open(path)?)
    }

    /// Reads OBO text (plain or gzip) from any reader; `source` names it in error messages.
    pub fn from_reader<R: Read>(reader: R, source: impl AsRef<Path>) -> Result<Self, GoError> {
        Self::parse(&mut Lines::from_reader(reader, source.as_ref())?)
    }

    fn parse<R: Read>(lines: &mut Lines<R>) -> Result<Self, GoError> {
        let path = &lines.path().to_path_buf();
        let mut terms: Vec<Term> = Vec::new();
        // Line where each term's stanza started, for duplicate-id messages.
        let mut term_lines: Vec<usize> = Vec::new();
        let mut format_version = None;
        let mut data_version = None;
        let mut default_namespace: Option<String> = None;
        let mut state = Stanza::Header;
        let mut current: Option<Term> = None;
        let mut current_line = 0usize;

        let finish = |t: Option<Term>,
                      start: usize,
                      terms: &mut Vec<Term>,
                      term_lines: &mut Vec<usize>|
         -> Result<(), GoError> {
            if let Some(mut t) = t {
                if t.id.is_empty() {
                    return Err(GoError::parse(
                        path,
                        start,
                        "[Term] stanza has no `id:` line; every term needs one",
                    ));
                }
                t.aspect = Aspect::parse(&t.namespace).filter(|a| a.namespace() == t.namespace);
                terms.push(t);
                term_lines.push(start);
            }
            Ok(())
        };

        while let Some((line_no, line)) = lines.next_line()? {
            let l = line.trim();
            if l.is_empty() || l.starts_with('!') {
                continue;
            }
            if l.starts_with('[') {
                finish(current.take(), current_line, &mut terms, &mut term_lines)?;
                state = if l == "[Term]" {
                    current = Some(Term::default());
                    current_line = line_no;
                    Stanza::Term
                } else if l.ends_with(']') {
                    Stanza::Other
                } else {
                    return Err(GoError::parse(
                        path,
                        line_no,
                        format!("malformed stanza header {l:?}; expected e.g. [Term]"),
                    ));
                };
                continue;
            }
            let Some((tag, value)) = l.split_once(':') else {
                return Err(GoError::parse(
                    path,
                    line_no,
                    format!("expected `tag: value`, found {l:?}; is this an OBO file?"),
                ));
            };
            let tag = tag.trim();
            let value = value.trim();
            match state {
                Stanza::Header => match tag {
                    "format-version" => format_version = Some(value.to_string()),
                    "data-version" => data_version = Some(value.to_string()),
                    "default-namespace" => default_namespace = Some(value.to_string()),
                    _ => {}
                },
                Stanza::Other => {}
                Stanza::Term => {
                    let Some(t) = current.as_mut() else { continue };
                    read_term_tag(t, tag, value, path, line_no, current_line)?;
                }
            }
        }
        finish(current.take(), current_line, &mut terms, &mut term_lines)?;

        if terms.is_empty() {
            return Err(GoError::Invalid {
                path: path.to_path_buf(),
                message: "no [Term] stanzas found; is this an OBO ontology file?".into(),
            });
        }
        if let Some(ns) = default_namespace {
            for t in terms.iter_mut().filter(|t| t.namespace.is_empty()) {
                t.namespace = ns.clone();
                t.aspect = Aspect::parse(&ns).filter(|a| a.namespace() == ns);
            }
        }
        Self::build(path, format_version, data_version, terms, &term_lines)
    }

    fn build(
        path: &Path,
        format_version: Option<String>,
        data_version: Option<String>,
        terms: Vec<Term>,
        term_lines: &[usize],
    ) -> Result<Self, GoError> {
        let n = terms.len();
        if n >= u32::MAX as usize {
            return Err(GoError::Invalid {
                path: path.to_path_buf(),
                message: format!("{n} terms is more than this parser supports"),
            });
        }
        let mut by_id: HashMap<String, u32> = HashMap::with_capacity(n);
        for (i, t) in terms.iter().enumerate() {
            if let Some(&prev) = by_id.get(&t.id) {
                return Err(GoError::parse(
                    path,
                    term_lines[i],
                    format!(
                        "duplicate term id {} (first defined in the stanza on line {}); merge the two stanzas",
                        t.id, term_lines[prev as usize]
                    ),
                ));
            }
            by_id.insert(t.id.clone(), i as u32);
        }
        // Alt ids: a primary id always wins; among terms claiming the same alt id, a live
        // term wins over an obsolete one, then the first in the file.
        let mut alt: HashMap<String, u32> = HashMap::new();
        for (i, t) in terms.iter().enumerate() {
            for a in &t.alt_ids {
                if by_id.contains_key(a) {
                    continue;
                }
                match alt.get(a) {
                    Some(&j) if !terms[j as usize].obsolete || t.obsolete => {}
                    _ => {
                        alt.insert(a.clone(), i as u32);
                    }
                }
            }
        }
        let lookup = |id: &str| by_id.get(id).or_else(|| alt.get(id)).copied();
        // Parent edges: is_a + part_of, resolved through alt ids; targets missing from the file
        // (e.g. cross-ontology links) are dropped. Obsolete terms get no parents.
        let mut parents: Vec<Vec<u32>> = Vec::with_capacity(n);
        for (i, t) in terms.iter().enumerate() {
            let mut p: Vec<u32> = if t.obsolete {
                Vec::new()
            } else {
                t.is_a
                    .iter()
                    .chain(&t.part_of)
                    .filter_map(|id| lookup(id))
                    .filter(|&j| j as usize != i)
                    .collect()
            };
            p.sort_unstable();
            p.dedup();
            parents.push(p);
        }
        // Ancestor closure per term by DFS with a stamp array: linear in the closure sizes and
        // safe against cycles (a cyclic file simply yields a term among its own ancestors,
        // which is removed).
        let mut anc_start = Vec::with_capacity(n + 1);
        let mut anc: Vec<u32> = Vec::new();
        let mut mark = vec![u32::MAX; n];
        let mut stack: Vec<u32> = Vec::new();
        for i in 0..n {
            anc_start.push(anc.len() as u32);
            let start = anc.len();
            stack.extend_from_slice(&parents[i]);
            mark[i] = i as u32;
            while let Some(p) = stack.pop() {
                if mark[p as usize] != i as u32 {
                    mark[p as usize] = i as u32;
                    anc.push(p);
                    stack.extend_from_slice(&parents[p as usize]);
                }
            }
            anc[start..].sort_unstable();
        }
        if anc.len() >= u32::MAX as usize {
            return Err(GoError::Invalid {
                path: path.to_path_buf(),
                message: "ancestor closure too large".into(),
            });
        }
        anc_start.push(anc.len() as u32);
        Ok(Ontology {
            source: path.to_path_buf(),
            format_version,
            data_version,
            terms,
            by_id,
            alt,
            parents,
            anc_start,
            anc,
        })
    }

    /// File the ontology was read from (or the source name given to `from_reader`).
    pub fn source(&self) -> &Path {
        &self.source
    }
    /// Header `format-version`, e.g. "1.2".
    pub fn format_version(&self) -> Option<&str> {
        self.format_version.as_deref()
    }
    /// Header `data-version`, e.g. "releases/2021-12-15".
    pub fn data_version(&self) -> Option<&str> {
        self.data_version.as_deref()
    }
    /// Number of `[Term]` stanzas, obsolete ones included.
    pub fn len(&self) -> usize {
        self.terms.len()
    }
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
    /// All terms in file order; a term's position is its index.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Index of a primary or alternative id.
    pub fn index(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).or_else(|| self.alt.get(id)).copied()
    }
    /// Term by primary or alternative id.
    pub fn term(&self, id: &str) -> Option<&Term> {
        self.index(id).map(|i| &self.terms[i as usize])
    }
    /// Term at an index from [`Ontology::index`]. Panics on an index not from this ontology.
    pub fn term_at(&self, idx: u32) -> &Term {
        &self.terms[idx as usize]
    }
    /// Primary id at an index.
    pub fn id_at(&self, idx: u32) -> &str {
        &self.terms[idx as usize].id
    }
    /// Primary id of a primary or alternative id; `None` if unknown. Obsolete terms resolve
    /// to themselves (see [`Ontology::replacement`] to follow `replaced_by`).
    pub fn resolve(&self, id: &str) -> Option<&str> {
        self.index(id).map(|i| self.id_at(i))
    }
    /// For an obsolete term with exactly one `replaced_by`, the live replacement's primary id;
    /// for a live term, its own primary id; otherwise `None`.
    pub fn replacement(&self, id: &str) -> Option<&str> {
        let t = self.term(id)?;
        if !t.obsolete {
            return Some(&t.id);
        }
        match t.replaced_by.as_slice() {
            [r] => self.term(r).filter(|r| !r.obsolete).map(|r| r.id.as_str()),
            _ => None,
        }
    }
    /// Aspect of a term (via its namespace), if it is a GO term.
    pub fn aspect(&self, id: &str) -> Option<Aspect> {
        self.term(id).and_then(|t| t.aspect)
    }
    /// Distinct namespaces in first-seen order.
    pub fn namespaces(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.terms
            .iter()
            .map(|t| t.namespace.as_str())
            .filter(|ns| seen.insert(*ns))
            .collect()
    }
    /// Live terms without parents (the roots of each namespace).
    pub fn roots(&self) -> Vec<u32> {
        (0..self.terms.len() as u32)
            .filter(|&i| !self.terms[i as usize].obsolete && self.parents[i as usize].is_empty())
            .collect()
    }

    /// Direct `is_a` + `part_of` parents, sorted.
    pub fn parents_idx(&self, idx: u32) -> &[u32] {
        &self.parents[idx as usize]
    }
    /// All `is_a` + `part_of` ancestors (not the term itself), sorted.
    pub fn ancestors_idx(&self, idx: u32) -> &[u32] {
        let i = idx as usize;
        &self.anc[self.anc_start[i] as usize..self.anc_start[i + 1] as usize]
    }
    /// True when `ancestor` is a strict ancestor of `idx`.
    pub fn is_ancestor_idx(&self, ancestor: u32, idx: u32) -> bool {
        self.ancestors_idx(idx).binary_search(&ancestor).is_ok()
    }
    /// The given indices plus all their ancestors, sorted and deduplicated.
    pub fn propagate_idx(&self, ids: &[u32]) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::with_capacity(ids.len() * 16);
        for &i in ids {
            out.push(i);
            out.extend_from_slice(self.ancestors_idx(i));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
    /// The indices that are not an ancestor of another index in the set, deduplicated, in
    /// input order.
    pub fn leaves_idx(&self, ids: &[u32]) -> Vec<u32> {
        let set: HashSet<u32> = ids.iter().copied().collect();
        let mut covered: HashSet<u32> = HashSet::new();
        for &i in &set {
            for &a in self.ancestors_idx(i) {
                if set.contains(&a) {
                    covered.insert(a);
                }
            }
        }
        let mut seen = HashSet::new();
        ids.iter()
            .copied()
            .filter(|i| !covered.contains(i) && seen.insert(*i))
            .collect()
    }

    /// Primary ids of all ancestors of `id` (without `id` itself); empty if unknown.
    pub fn ancestors(&self, id: &str) -> HashSet<String> {
        match self.index(id) {
            Some(i) => self
                .ancestors_idx(i)
                .iter()
                .map(|&a| self.id_at(a).to_string())
                .collect(),
            None => HashSet::new(),
        }
    }

    /// The ids themselves (as given, plus the primary id when an alt id was given) and the
    /// primary ids of all their ancestors. Unknown ids are kept as they are.
    pub fn propagate<I, S>(&self, ids: I) -> HashSet<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = HashSet::new();
        for id in ids {
            let id = id.as_ref();
            out.insert(id.to_string());
            if let Some(i) = self.index(id) {
                out.insert(self.id_at(i).to_string());
                out.extend(
                    self.ancestors_idx(i)
                        .iter()
                        .map(|&a| self.id_at(a).to_string()),
                );
            }
        }
        out
    }

    /// Drops every id that is an ancestor of another id in the set (the most specific terms
    /// remain). Ids are compared after alt-id resolution; the first spelling seen is kept,
    /// in input order. Unknown ids are kept (nothing is known to be below them).
    pub fn leaves<I, S>(&self, ids: I) -> Vec<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let ids: Vec<String> = ids.into_iter().map(|s| s.as_ref().to_string()).collect();
        let known: Vec<u32> = ids.iter().filter_map(|id| self.index(id)).collect();
        let keep: HashSet<u32> = self.leaves_idx(&known).into_iter().collect();
        let mut seen_idx = HashSet::new();
        let mut seen_unknown = HashSet::new();
        ids.into_iter()
            .filter(|id| match self.index(id) {
                Some(i) => keep.contains(&i) && seen_idx.insert(i),
                None => seen_unknown.insert(id.clone()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOY: &str = "format-version: 1.2
data-version: test/1
default-namespace: toy_ns

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0000002
name: child ! not a comment in names
namespace: biological_process
alt_id: GO:0000099
is_a: GO:0008150 ! biological_process

[Term]
id: GO:0000003
name: grandchild
namespace: biological_process
is_a: GO:0000099 {source=\"x\"} ! via alt id
relationship: part_of GO:0000004 ! part
relationship: has_part GO:0000005

[Term]
id: GO:0000004
name: whole
namespace: biological_process
is_a: GO:0008150

[Term]
id: GO:0000005
name: has-part target
namespace: biological_process
is_a: GO:0000003

[Term]
id: GO:0000006
name: obsolete thing
namespace: biological_process
is_obsolete: true
replaced_by: GO:0000004

[Term]
id: X:1
name: default namespace term

[Typedef]
id: part_of
name: part of
is_transitive: true
";

    fn toy() -> Ontology {
        Ontology::from_reader(TOY.as_bytes(), "toy.obo").unwrap()
    }

    #[test]
    fn parses_fields() {
        let o = toy();
        assert_eq!(o.len(), 7);
        assert_eq!(o.data_version(), Some("test/1"));
        assert_eq!(o.format_version(), Some("1.2"));
        let t = o.term("GO:0000003").unwrap();
        assert_eq!(t.is_a, vec!["GO:0000099"]);
        assert_eq!(t.part_of, vec!["GO:0000004"]);
        assert_eq!(
            t.other_relationships,
            vec![("has_part".to_string(), "GO:0000005".to_string())]
        );
        assert_eq!(t.aspect, Some(Aspect::BiologicalProcess));
        assert_eq!(
            o.term("GO:0000002").unwrap().name,
            "child ! not a comment in names"
        );
        assert_eq!(o.term("X:1").unwrap().namespace, "toy_ns");
        assert_eq!(o.term("X:1").unwrap().aspect, None);
        assert!(o.term("part_of").is_none(), "Typedef stanzas are skipped");
        assert_eq!(o.namespaces(), vec!["biological_process", "toy_ns"]);
    }

    #[test]
    fn closure_follows_is_a_and_part_of_only() {
        let o = toy();
        let anc = o.ancestors("GO:0000003");
        let want: HashSet<String> = ["GO:0000002", "GO:0000004", "GO:0008150"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(anc, want);
        // has_part is not followed: GO:0000005 is below GO:0000003, not above it.
        assert!(!anc.contains("GO:0000005"));
        assert!(o.ancestors("GO:0000005").contains("GO:0000003"));
        assert!(o.ancestors("GO:0008150").is_empty());
        assert!(o.ancestors("GO:9999999").is_empty());
        let i3 = o.index("GO:0000003").unwrap();
        let root = o.index("GO:0008150").unwrap();
        assert!(o.is_ancestor_idx(root, i3));
        assert!(!o.is_ancestor_idx(i3, root));
    }

    #[test]
    fn alt_ids_and_obsolete() {
        let o = toy();
        assert_eq!(o.resolve("GO:0000099"), Some("GO:0000002"));
        assert_eq!(o.resolve("GO:0000002"), Some("GO:0000002"));
        assert_eq!(o.resolve("GO:1234567"), None);
        let obs = o.term("GO:0000006").unwrap();
        assert!(obs.obsolete);
        assert!(o.ancestors("GO:0000006").is_empty());
        assert_eq!(o.replacement("GO:0000006"), Some("GO:0000004"));
        assert_eq!(o.replacement("GO:0000099"), Some("GO:0000002"));
        let roots: Vec<&str> = o.roots().into_iter().map(|i| o.id_at(i)).collect();
        assert_eq!(roots, vec!["GO:0008150", "X:1"]);
    }

    #[test]
    fn propagate_and_leaves() {
        let o = toy();
        let p = o.propagate(["GO:0000099", "UNKNOWN:1"]);
        let mut v: Vec<_> = p.into_iter().collect();
        v.sort();
        assert_eq!(
            v,
            vec!["GO:0000002", "GO:0000099", "GO:0008150", "UNKNOWN:1"]
        );
        let leaves = o.leaves([
            "GO:0008150",
            "GO:0000003",
            "GO:0000099",
            "GO:0000004",
            "U:1",
            "U:1",
        ]);
        assert_eq!(leaves, vec!["GO:0000003", "U:1"]);
        let leaves = o.leaves(["GO:0000002", "GO:0000099", "GO:0000004"]);
        assert_eq!(leaves, vec!["GO:0000002", "GO:0000004"]);
        let i = o.index("GO:0000003").unwrap();
        let prop = o.propagate_idx(&[i]);
        assert_eq!(prop.len(), 4);
    }

    #[test]
    fn errors_name_line() {
        let bad = "[Term]\nname: no id\n\n[Term]\nid: A:1\n";
        let e = Ontology::from_reader(bad.as_bytes(), "bad.obo").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad.obo:1: [Term] stanza has no `id:` line; every term needs one"
        );
        let dup = "[Term]\nid: A:1\n\n[Term]\nid: A:1\n";
        let e = Ontology::from_reader(dup.as_bytes(), "dup.obo").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("dup.obo:4: duplicate term id A:1"),
            "{e}"
        );
        let e = Ontology::from_reader("hello world\n".as_bytes(), "x.obo").unwrap_err();
        assert!(
            e.to_string().contains("x.obo:1: expected `tag: value`"),
            "{e}"
        );
        let e = Ontology::from_reader("format-version: 1.2\n".as_bytes(), "e.obo").unwrap_err();
        assert!(e.to_string().contains("no [Term] stanzas"), "{e}");
        let e = Ontology::from_reader(
            "[Term]\nid: A:1\nrelationship: part_of\n".as_bytes(),
            "r.obo",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("r.obo:3:"), "{e}");
        let e = Ontology::from_reader(&b"[Term]\nid: A:\xff\n"[..], "u.obo").unwrap_err();
        assert!(e.to_string().starts_with("u.obo:2: invalid UTF-8"), "{e}");
    }

    #[test]
    fn cycles_do_not_hang() {
        let cyc = "[Term]\nid: A:1\nis_a: A:2\n\n[Term]\nid: A:2\nis_a: A:1\n";
        let o = Ontology::from_reader(cyc.as_bytes(), "c.obo").unwrap();
        let a: Vec<_> = o.ancestors("A:1").into_iter().collect();
        assert_eq!(a, vec!["A:2".to_string()]);
    }
}
