//! Annotation releases of the query proteins, and what a pair of them says: each (protein,
//! aspect)'s category and the GO terms it gained.
//!
//! - A release is read from GAF or TSV files ([`read_release`]). GO ids are mapped to the
//!   reference ontology's primary ids (alt ids followed, an obsolete term replaced when it
//!   names exactly one live `replaced_by`); ids the ontology does not know are counted and
//!   reported, never fatal ([`ReleaseReport`]). The aspect comes from the ontology.
//! - [`PairTruth::build`] compares an earlier and a later release. **Label**: a candidate term
//!   is positive when it is in the later release's annotations of that protein and aspect
//!   propagated up `is_a`/`part_of`, and not already in the earlier release's (propagated):
//!   the terms the protein gained, as CAFA scores them. **Category** per (protein, aspect),
//!   PROTEA's and CAFA's: NK when the earlier release has no annotation of the protein at all,
//!   LK when it has some but none in this aspect, PK when it has some in this aspect; or, when
//!   the later release gives [`CategoryLists`], from the lists.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use homolog_go::annotation::{read_path_detailed, AnnotationFormat};
use homolog_go::{Aspect, Ontology};
use serde::Serialize;

use crate::config::{parse_aspect_key, CategoryLists, EvidenceFilter, ReleaseSpec};
use crate::ExportError;

/// Position of an aspect in per-aspect arrays (P, F, C: the export's row order).
pub fn aspect_index(a: Aspect) -> usize {
    match a {
        Aspect::BiologicalProcess => 0,
        Aspect::MolecularFunction => 1,
        Aspect::CellularComponent => 2,
    }
}

/// The aspects in row order.
pub const ASPECTS: [Aspect; 3] = Aspect::ALL;

/// How many unknown GO ids a report lists by name.
const EXAMPLES: usize = 10;

/// A (protein, aspect)'s category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Category {
    /// No knowledge: no annotation of the protein in the earlier release.
    NK,
    /// Limited knowledge: annotations in other aspects only.
    LK,
    /// Partial knowledge: annotations in this aspect already.
    PK,
}

impl Category {
    /// `NK`, `LK` or `PK`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::NK => "NK",
            Category::LK => "LK",
            Category::PK => "PK",
        }
    }
}

/// What reading a release kept and dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReleaseReport {
    /// The release's name.
    pub name: String,
    /// Its annotation files.
    pub files: Vec<PathBuf>,
    /// Annotation rows read (after GAF `NOT` rows, which the reader drops).
    pub rows: u64,
    /// Rows dropped by the evidence filter.
    pub dropped_evidence: u64,
    /// Rows naming a GO id the ontology does not know (counted, not fatal).
    pub unknown_go_ids: u64,
    /// The first distinct unknown ids, for the report.
    pub unknown_go_id_examples: Vec<String>,
    /// Rows naming an obsolete term without a single live replacement (dropped).
    pub obsolete_dropped: u64,
    /// Rows whose obsolete term was replaced by its `replaced_by`.
    pub obsolete_replaced: u64,
    /// Rows naming a term outside the three GO aspects (dropped).
    pub no_aspect: u64,
    /// Distinct (protein, term) annotations kept.
    pub annotations: u64,
    /// Proteins with at least one kept annotation.
    pub proteins: u64,
}

/// The annotations of one release: per protein, the ontology indices of its terms per aspect
/// (as annotated, not propagated; sorted, distinct).
#[derive(Debug, Clone, Default)]
pub struct Release {
    /// Per protein id, per aspect (P, F, C).
    pub terms: HashMap<String, [Vec<u32>; 3]>,
    /// What reading it did.
    pub report: ReleaseReport,
}

/// A protein id as a release names it: UniProt's `sp|ACC|NAME` becomes `ACC`.
pub fn normalise_protein_id(id: &str) -> &str {
    homolog_reference::accession_of_id(id.trim())
}

/// Reads a release's annotation files (GAF 2.x or TSV, plain or gzip) against `onto`.
pub fn read_release(
    spec: &ReleaseSpec,
    onto: &Ontology,
    filter: &EvidenceFilter,
) -> Result<Release, ExportError> {
    let mut report = ReleaseReport {
        name: spec.name.clone(),
        files: spec.annotations.clone(),
        ..Default::default()
    };
    let mut sets: HashMap<String, [BTreeSet<u32>; 3]> = HashMap::new();
    let mut unknown_seen: HashSet<String> = HashSet::new();
    for path in &spec.annotations {
        if !path.is_file() {
            return Err(ExportError::input(
                path,
                format!(
                    "annotation file of release {:?} not found; fix the path in the export config",
                    spec.name
                ),
            ));
        }
        let set = read_path_detailed(path, AnnotationFormat::Auto)?;
        // A file that carries evidence codes is filtered; one without any (a plain
        // `protein<TAB>term` list such as a CAFA ground truth) is taken whole.
        let has_codes = set.records.iter().any(|a| a.evidence.is_some());
        for a in set.records {
            report.rows += 1;
            if has_codes && !filter.keeps(a.evidence.as_deref()) {
                report.dropped_evidence += 1;
                continue;
            }
            let Some(idx) = onto.index(a.go_id.trim()) else {
                report.unknown_go_ids += 1;
                if unknown_seen.insert(a.go_id.clone())
                    && report.unknown_go_id_examples.len() < EXAMPLES
                {
                    report.unknown_go_id_examples.push(a.go_id.clone());
                }
                continue;
            };
            let idx = if onto.term_at(idx).obsolete {
                match onto
                    .replacement(onto.id_at(idx))
                    .and_then(|r| onto.index(r))
                {
                    Some(r) => {
                        report.obsolete_replaced += 1;
                        r
                    }
                    None => {
                        report.obsolete_dropped += 1;
                        continue;
                    }
                }
            } else {
                idx
            };
            let Some(aspect) = onto.term_at(idx).aspect else {
                report.no_aspect += 1;
                continue;
            };
            let protein = normalise_protein_id(&a.accession).to_string();
            sets.entry(protein).or_default()[aspect_index(aspect)].insert(idx);
        }
    }
    if report.unknown_go_ids > 0 {
        tracing::warn!(
            "release {}: {} annotation rows name GO ids the reference ontology does not know (e.g. {}); they are left out",
            spec.name,
            report.unknown_go_ids,
            report.unknown_go_id_examples.join(", ")
        );
    }
    let terms: HashMap<String, [Vec<u32>; 3]> = sets
        .into_iter()
        .map(|(p, s)| (p, s.map(|set| set.into_iter().collect())))
        .collect();
    report.annotations = terms.values().flatten().map(|v| v.len() as u64).sum();
    report.proteins = terms.len() as u64;
    Ok(Release { terms, report })
}

/// Protein lists naming categories (see [`CategoryLists`]), read.
#[derive(Debug, Clone, Default)]
pub struct CategoryTable {
    nk: HashSet<String>,
    lk: [HashSet<String>; 3],
    pk: [HashSet<String>; 3],
}

fn read_list(path: &Path) -> Result<Vec<String>, ExportError> {
    let mut lines =
        homolog_io::Lines::open(path).map_err(|e| ExportError::input(path, e.to_string()))?;
    let mut out = Vec::new();
    while let Some((_, line)) = lines
        .next_line()
        .map_err(|e| ExportError::input(path, e.to_string()))?
    {
        let id = line.split_whitespace().next().unwrap_or("");
        if !id.is_empty() && !id.starts_with('#') {
            out.push(normalise_protein_id(id).to_string());
        }
    }
    Ok(out)
}

impl CategoryTable {
    /// Reads the lists.
    pub fn read(lists: &CategoryLists) -> Result<CategoryTable, ExportError> {
        let mut t = CategoryTable::default();
        let per_aspect = |map: &BTreeMap<String, Vec<PathBuf>>,
                          mut put: Box<dyn FnMut(usize, String) + '_>|
         -> Result<(), ExportError> {
            for (key, files) in map {
                let a = parse_aspect_key(key).ok_or_else(|| {
                    ExportError::Invalid(format!("categories key {key:?} is not an aspect"))
                })?;
                for f in files {
                    for id in read_list(f)? {
                        put(aspect_index(a), id);
                    }
                }
            }
            Ok(())
        };
        let mut nk = HashSet::new();
        per_aspect(
            &lists.nk,
            Box::new(|_, id| {
                nk.insert(id);
            }),
        )?;
        let mut lk: [HashSet<String>; 3] = Default::default();
        per_aspect(
            &lists.lk,
            Box::new(|a, id| {
                lk[a].insert(id);
            }),
        )?;
        let mut pk: [HashSet<String>; 3] = Default::default();
        per_aspect(
            &lists.pk,
            Box::new(|a, id| {
                pk[a].insert(id);
            }),
        )?;
        t.nk = nk;
        t.lk = lk;
        t.pk = pk;
        Ok(t)
    }

    /// The listed category of (protein, aspect), if any: NK before PK before LK.
    pub fn category(&self, protein: &str, aspect: usize) -> Option<Category> {
        if self.nk.contains(protein) {
            Some(Category::NK)
        } else if self.pk[aspect].contains(protein) {
            Some(Category::PK)
        } else if self.lk[aspect].contains(protein) {
            Some(Category::LK)
        } else {
            None
        }
    }

    /// Every protein listed.
    pub fn proteins(&self) -> impl Iterator<Item = &String> {
        self.nk
            .iter()
            .chain(self.lk.iter().flatten())
            .chain(self.pk.iter().flatten())
    }
}

/// One protein of a release pair.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProteinTruth {
    /// Category per aspect (P, F, C); `None` when the lists do not say.
    pub category: [Option<Category>; 3],
    /// Terms gained per aspect: later (propagated) minus earlier (propagated); sorted.
    pub gained: [Vec<u32>; 3],
    /// The protein's terms in the earlier release, every aspect, as annotated (PROTEA's
    /// "query known" set); sorted.
    pub known: Vec<u32>,
}

impl ProteinTruth {
    /// Whether `term` (an ontology index) was gained in `aspect`.
    pub fn label(&self, aspect: usize, term: u32) -> bool {
        self.gained[aspect].binary_search(&term).is_ok()
    }
}

/// Categories and labels of one release pair, per protein.
#[derive(Debug, Clone, Default)]
pub struct PairTruth {
    /// By protein id (sorted: the export's query order).
    pub proteins: BTreeMap<String, ProteinTruth>,
}

impl PairTruth {
    /// The pair's proteins: every protein that gained a term, plus every protein a category
    /// list names.
    pub fn build(
        earlier: &Release,
        later: &Release,
        lists: Option<&CategoryTable>,
        onto: &Ontology,
    ) -> PairTruth {
        let empty: [Vec<u32>; 3] = Default::default();
        let mut ids: BTreeSet<&String> = BTreeSet::new();
        ids.extend(later.terms.keys());
        if let Some(l) = lists {
            ids.extend(l.proteins());
        }
        let mut proteins = BTreeMap::new();
        for id in ids {
            let old = earlier.terms.get(id).unwrap_or(&empty);
            let new = later.terms.get(id).unwrap_or(&empty);
            let any_old = old.iter().any(|v| !v.is_empty());
            let mut truth = ProteinTruth::default();
            for a in 0..3 {
                let was = onto.propagate_idx(&old[a]);
                truth.gained[a] = onto
                    .propagate_idx(&new[a])
                    .into_iter()
                    .filter(|t| was.binary_search(t).is_err())
                    .collect();
                truth.category[a] = match lists {
                    Some(l) => l.category(id, a),
                    None if !any_old => Some(Category::NK),
                    None if old[a].is_empty() => Some(Category::LK),
                    None => Some(Category::PK),
                };
            }
            let mut known: Vec<u32> = old.iter().flatten().copied().collect();
            known.sort_unstable();
            known.dedup();
            truth.known = known;
            let listed = lists.is_some_and(|_| truth.category.iter().any(Option::is_some));
            if truth.gained.iter().any(|g| !g.is_empty()) || listed {
                proteins.insert(id.clone(), truth);
            }
        }
        PairTruth { proteins }
    }
}
