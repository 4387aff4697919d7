//! The lookup's taxonomy filter (FANTASIA's `taxonomy_ids_to_include` /
//! `taxonomy_ids_to_exclude` with `get_descendants`).
//!
//! Semantics, for a reference protein with taxonomy id `t` (or none):
//! - an empty `include_only` allows every taxon; a non-empty one allows only the listed taxa
//!   (and, with `with_descendants`, everything below them);
//! - `exclude` always wins over `include_only`;
//! - a protein with no taxonomy id is allowed unless `include_only` is non-empty (it cannot be
//!   shown to belong to an included taxon, and cannot match an excluded one);
//! - ids not in the taxonomy (or with no taxonomy given) match only themselves.
//!
//! [`TaxonFilter::allows`] answers one question by walking the lineage (an id is below `x` iff
//! `x` is on its lineage), which is cheap for occasional calls. For filtering many references,
//! [`TaxonFilter::compile`] expands the lists to hash sets once, making each check O(1).

use std::collections::HashSet;

use crate::Taxonomy;

/// Include/exclude lists of NCBI taxon ids. In a configuration file (feature `serde`):
/// `{include_only: [...], exclude: [...], get_descendants: bool}`, as FANTASIA names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields, default)
)]
pub struct TaxonFilter {
    /// Allow only these taxa (empty = all).
    pub include_only: Vec<u32>,
    /// Never allow these taxa (wins over `include_only`).
    pub exclude: Vec<u32>,
    /// Expand each listed id to its whole subtree.
    #[cfg_attr(feature = "serde", serde(rename = "get_descendants"))]
    pub with_descendants: bool,
}

impl TaxonFilter {
    /// Whether the filter lets everything through.
    pub fn is_noop(&self) -> bool {
        self.include_only.is_empty() && self.exclude.is_empty()
    }

    /// Whether a protein with taxonomy id `taxid` passes. With `with_descendants` the lineage
    /// comes from `taxonomy`; without a taxonomy, ids match only themselves.
    pub fn allows(&self, taxid: Option<u32>, taxonomy: Option<&Taxonomy>) -> bool {
        let Some(t) = taxid else {
            return self.include_only.is_empty();
        };
        let matches = |list: &[u32]| -> bool {
            if list.is_empty() {
                return false;
            }
            match taxonomy {
                Some(tax) if self.with_descendants && tax.contains(t) => {
                    tax.lineage(t).iter().any(|a| list.contains(a))
                }
                _ => list.contains(&t),
            }
        };
        if matches(&self.exclude) {
            return false;
        }
        self.include_only.is_empty() || matches(&self.include_only)
    }

    /// Expands the lists once (subtrees when `with_descendants`) for O(1) checks.
    pub fn compile(&self, taxonomy: &Taxonomy) -> CompiledTaxonFilter {
        let expand = |list: &[u32]| -> HashSet<u32> {
            if self.with_descendants {
                taxonomy.expand(list).into_iter().collect()
            } else {
                list.iter().copied().collect()
            }
        };
        let mut unknown: Vec<u32> = self
            .include_only
            .iter()
            .chain(&self.exclude)
            .copied()
            .filter(|&t| !taxonomy.contains(t))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        CompiledTaxonFilter {
            include_all: self.include_only.is_empty(),
            include: expand(&self.include_only),
            exclude: expand(&self.exclude),
            unknown,
        }
    }

    /// The filter with exact-id matching only (no taxonomy needed), for O(1) checks.
    pub fn compile_without_taxonomy(&self) -> CompiledTaxonFilter {
        CompiledTaxonFilter {
            include_all: self.include_only.is_empty(),
            include: self.include_only.iter().copied().collect(),
            exclude: self.exclude.iter().copied().collect(),
            unknown: Vec::new(),
        }
    }
}

/// A [`TaxonFilter`] with its lists expanded to sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompiledTaxonFilter {
    include_all: bool,
    include: HashSet<u32>,
    exclude: HashSet<u32>,
    unknown: Vec<u32>,
}

impl CompiledTaxonFilter {
    /// Whether a protein with taxonomy id `taxid` passes (same rules as [`TaxonFilter::allows`]).
    pub fn allows(&self, taxid: Option<u32>) -> bool {
        match taxid {
            None => self.include_all,
            Some(t) => {
                !self.exclude.contains(&t) && (self.include_all || self.include.contains(&t))
            }
        }
    }

    /// Listed ids that are not in the taxonomy (sorted): worth a warning, as they match only
    /// themselves and may be typos.
    pub fn unknown_ids(&self) -> &[u32] {
        &self.unknown
    }

    /// Number of taxa in the expanded include set (0 when everything is included).
    pub fn included_len(&self) -> usize {
        self.include.len()
    }

    /// Number of taxa in the expanded exclude set.
    pub fn excluded_len(&self) -> usize {
        self.exclude.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 -> {2 -> {3, 4 -> {5}}, 6}
    fn small() -> Taxonomy {
        Taxonomy::from_parts(
            [
                (1, 1, "no rank"),
                (2, 1, "x"),
                (3, 2, "x"),
                (4, 2, "x"),
                (5, 4, "x"),
                (6, 1, "x"),
            ],
            Vec::<(u32, &str)>::new(),
        )
        .unwrap()
    }

    /// Both evaluation paths must agree on every input.
    fn check(filter: &TaxonFilter, expected: &[(Option<u32>, bool)]) {
        let t = small();
        let compiled = filter.compile(&t);
        for &(taxid, want) in expected {
            assert_eq!(
                filter.allows(taxid, Some(&t)),
                want,
                "allows({taxid:?}) for {filter:?}"
            );
            assert_eq!(
                compiled.allows(taxid),
                want,
                "compiled({taxid:?}) for {filter:?}"
            );
        }
    }

    #[test]
    fn empty_filter_allows_everything() {
        let f = TaxonFilter::default();
        assert!(f.is_noop());
        check(&f, &[(None, true), (Some(5), true), (Some(77), true)]);
    }

    #[test]
    fn include_only_with_and_without_descendants() {
        let exact = TaxonFilter {
            include_only: vec![2],
            ..Default::default()
        };
        check(
            &exact,
            &[
                (None, false),
                (Some(2), true),
                (Some(5), false),
                (Some(6), false),
            ],
        );
        let subtree = TaxonFilter {
            with_descendants: true,
            ..exact
        };
        check(
            &subtree,
            &[
                (None, false),
                (Some(2), true),
                (Some(5), true),
                (Some(3), true),
                (Some(6), false),
                (Some(1), false),
            ],
        );
        assert_eq!(subtree.compile(&small()).included_len(), 4);
    }

    #[test]
    fn exclude_wins() {
        let f = TaxonFilter {
            include_only: vec![2],
            exclude: vec![4],
            with_descendants: true,
        };
        check(
            &f,
            &[
                (Some(3), true),
                (Some(4), false),
                (Some(5), false),
                (None, false),
            ],
        );
        let only_exclude = TaxonFilter {
            exclude: vec![4],
            with_descendants: true,
            ..Default::default()
        };
        check(
            &only_exclude,
            &[
                (None, true),
                (Some(5), false),
                (Some(6), true),
                (Some(77), true),
            ],
        );
    }

    #[test]
    fn unknown_ids_match_only_themselves_and_are_reported() {
        let f = TaxonFilter {
            include_only: vec![77, 4],
            exclude: vec![88],
            with_descendants: true,
        };
        check(
            &f,
            &[
                (Some(77), true),
                (Some(5), true),
                (Some(88), false),
                (Some(3), false),
            ],
        );
        assert_eq!(f.compile(&small()).unknown_ids(), [77, 88]);
        // Without a taxonomy, matching is exact.
        assert!(!f.allows(Some(5), None));
        assert!(f.allows(Some(4), None));
        assert!(!f.compile_without_taxonomy().allows(Some(5)));
        assert!(f.compile_without_taxonomy().allows(Some(4)));
    }
}
