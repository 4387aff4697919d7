//! Taxonomic features of a (query taxon, reference taxon) pair, with PROTEA's exact rules.
//!
//! PROTEA (`protea/core/feature_engineering.py`, `compute_taxonomy`) describes how far a
//! reference protein's organism is from the query's with four values computed from the two
//! NCBI lineages (as ete3 returns them: root first, the taxon itself last). This module
//! reproduces them value for value, quirks included, so that an export written by homolog
//! can be read by models trained on PROTEA's:
//!
//! - the distance counts the *nodes* from each taxon up to and including the deepest common
//!   ancestor, summed: two siblings are at distance 4, a taxon and its parent at 2 (one more
//!   per side than the number of edges);
//! - identical ids are `same` (distance 0, one common ancestor, the id as the LCA) before
//!   any lookup, so two equal ids that the taxonomy does not know are still `same`;
//! - ancestor/descendant are tested on the ids as given, while lineages are looked up after
//!   translating merged ids: a merged (retired) id is thus a `descendant` of the id it was
//!   merged into, and that id its `ancestor`;
//! - `child` and `parent` are in PROTEA's vocabulary but can never be returned: a direct
//!   parent is inside the lineage, so the earlier ancestor/descendant tests always win;
//! - `root-only` needs exactly one common ancestor and that ancestor to be taxid 1;
//!   otherwise up to 2 common ancestors is `distant` (also two taxa in different trees of a
//!   forest: no common ancestor at all), 3 to 15 `intermediate`, more than 15 `close`;
//! - a missing or unparsable id, or an id the taxonomy does not know, gives the null
//!   features: no LCA, no distance, 0 common ancestors, `unrelated`.
//!
//! One deliberate difference: PROTEA raises `TypeError` when exactly one of the two ids is 0
//! (ete3 returns no lineage for a falsy id); here 0 is an unknown id like any other.

use std::fmt;
use std::str::FromStr;

use crate::Taxonomy;

/// PROTEA's name for how a query taxon relates to a reference taxon (`taxonomic_relation`).
///
/// Spelled as PROTEA spells it by [`as_str`](TaxonomicRelation::as_str) and
/// [`Display`](fmt::Display), parsed back by [`FromStr`]:
///
/// ```
/// use homolog_taxonomy::TaxonomicRelation;
///
/// assert_eq!(TaxonomicRelation::RootOnly.as_str(), "root-only");
/// assert_eq!("close".parse::<TaxonomicRelation>(), Ok(TaxonomicRelation::Close));
/// assert!(TaxonomicRelation::Ancestor.is_close());
/// assert!(!TaxonomicRelation::Intermediate.is_close());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaxonomicRelation {
    /// The two ids are equal.
    Same,
    /// The query id is on the reference's lineage (an ancestor of it).
    Ancestor,
    /// The reference id is on the query's lineage.
    Descendant,
    /// The reference is the query's parent (unreachable in PROTEA's order, see the module doc).
    Child,
    /// The query is the reference's parent (unreachable likewise).
    Parent,
    /// The only common ancestor is the root, taxid 1.
    RootOnly,
    /// At most 2 common ancestors.
    Distant,
    /// 3 to 15 common ancestors.
    Intermediate,
    /// More than 15 common ancestors.
    Close,
    /// An id is missing or unknown (the null features).
    Unrelated,
}

impl TaxonomicRelation {
    /// Every relation, in PROTEA's order of tests.
    pub const ALL: [TaxonomicRelation; 10] = [
        TaxonomicRelation::Same,
        TaxonomicRelation::Ancestor,
        TaxonomicRelation::Descendant,
        TaxonomicRelation::Child,
        TaxonomicRelation::Parent,
        TaxonomicRelation::RootOnly,
        TaxonomicRelation::Distant,
        TaxonomicRelation::Intermediate,
        TaxonomicRelation::Close,
        TaxonomicRelation::Unrelated,
    ];

    /// PROTEA's spelling (`same`, `ancestor`, ..., `root-only`, ..., `unrelated`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaxonomicRelation::Same => "same",
            TaxonomicRelation::Ancestor => "ancestor",
            TaxonomicRelation::Descendant => "descendant",
            TaxonomicRelation::Child => "child",
            TaxonomicRelation::Parent => "parent",
            TaxonomicRelation::RootOnly => "root-only",
            TaxonomicRelation::Distant => "distant",
            TaxonomicRelation::Intermediate => "intermediate",
            TaxonomicRelation::Close => "close",
            TaxonomicRelation::Unrelated => "unrelated",
        }
    }

    /// Whether PROTEA's voter consensus counts this relation as taxonomically close
    /// (`tax_voters_close_frac`): same, ancestor, descendant, child, parent or close.
    pub fn is_close(self) -> bool {
        matches!(
            self,
            TaxonomicRelation::Same
                | TaxonomicRelation::Ancestor
                | TaxonomicRelation::Descendant
                | TaxonomicRelation::Child
                | TaxonomicRelation::Parent
                | TaxonomicRelation::Close
        )
    }
}

impl fmt::Display for TaxonomicRelation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of PROTEA's relation names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown taxonomic relation {0:?}; expected one of same, ancestor, descendant, child, \
         parent, root-only, distant, intermediate, close, unrelated"
)]
pub struct UnknownRelation(pub String);

impl FromStr for TaxonomicRelation {
    type Err = UnknownRelation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaxonomicRelation::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRelation(s.to_string()))
    }
}

/// The taxonomy features of one (query, reference) pair, named as PROTEA's export columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaxonomyPairFeatures {
    /// `query_taxonomy_id`: the query's taxid as given (`None` when it has none).
    pub query_taxonomy_id: Option<i64>,
    /// `ref_taxonomy_id`: the reference's taxid as given.
    pub ref_taxonomy_id: Option<i64>,
    /// `taxonomic_lca`: the deepest common ancestor; the id itself for `same`; `None` for the
    /// null features or when the taxa share no ancestor (different trees of a forest).
    pub taxonomic_lca: Option<i64>,
    /// `taxonomic_distance`: nodes from each taxon up to and including the LCA, summed
    /// (edges + 2); 0 for `same`; `None` when there is no LCA.
    pub taxonomic_distance: Option<u32>,
    /// `taxonomic_common_ancestors`: the size of the intersection of the two lineages (each
    /// lineage includes its taxon and the root); 1 for `same`, 0 for the null features.
    pub taxonomic_common_ancestors: u32,
    /// `taxonomic_relation`.
    pub taxonomic_relation: TaxonomicRelation,
}

impl TaxonomyPairFeatures {
    /// PROTEA's null features (missing or unknown id): no LCA, no distance, 0 common
    /// ancestors, `unrelated`.
    pub fn null(query: Option<i64>, reference: Option<i64>) -> TaxonomyPairFeatures {
        TaxonomyPairFeatures {
            query_taxonomy_id: query,
            ref_taxonomy_id: reference,
            taxonomic_lca: None,
            taxonomic_distance: None,
            taxonomic_common_ancestors: 0,
            taxonomic_relation: TaxonomicRelation::Unrelated,
        }
    }
}

/// Parses a taxid the way PROTEA normalises raw values (Python's `int(str(raw).strip())`):
/// surrounding whitespace is ignored, an optional `+`/`-` sign and ASCII digits with single
/// `_` separators between digits are accepted (`" 562 "`, `"+562"`, `"5_62"`, `"0562"`);
/// anything else (`"562.0"`, `"abc"`, `""`) is `None`.
///
/// Differences from Python, both on inputs no taxonomy holds: non-ASCII digits are
/// rejected and values beyond `i64` are `None` (Python's integers are unbounded).
///
/// ```
/// use homolog_taxonomy::parse_taxid;
///
/// assert_eq!(parse_taxid(" 562\n"), Some(562));
/// assert_eq!(parse_taxid("5_62"), Some(562));
/// assert_eq!(parse_taxid("-5"), Some(-5));
/// assert_eq!(parse_taxid("562.0"), None);
/// assert_eq!(parse_taxid("5__62"), None);
/// ```
pub fn parse_taxid(raw: &str) -> Option<i64> {
    // Python's str.strip() also removes the ASCII separators 0x1C..0x1F.
    let s = raw.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c));
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let bytes = digits.as_bytes();
    if bytes.is_empty() || !bytes[0].is_ascii_digit() || !bytes[bytes.len() - 1].is_ascii_digit() {
        return None;
    }
    let mut value: i64 = 0;
    let mut previous_underscore = false;
    for &b in bytes {
        if b == b'_' {
            if previous_underscore {
                return None;
            }
            previous_underscore = true;
            continue;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        previous_underscore = false;
        // Accumulate negatively so that i64::MIN parses too.
        value = value.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

impl Taxonomy {
    /// The taxonomy features of a (query, reference) taxid pair, exactly as PROTEA's
    /// `compute_taxonomy` computes them (see the [module documentation](crate::pair) for the
    /// rules and their quirks). Merged ids registered with [`load_merged`](Taxonomy::load_merged)
    /// or [`add_merged`](Taxonomy::add_merged) are translated the way ete3 translates them.
    ///
    /// ```
    /// use homolog_taxonomy::{TaxonomicRelation, Taxonomy};
    ///
    /// // 1 -> 131567 -> 2 -> 561 -> {562, 620}, and 131567 -> 2157
    /// let tax = Taxonomy::from_parts(
    ///     [
    ///         (1, 1, "no rank"),
    ///         (131567, 1, "no rank"),
    ///         (2, 131567, "superkingdom"),
    ///         (561, 2, "genus"),
    ///         (562, 561, "species"),
    ///         (620, 561, "genus"),
    ///         (2157, 131567, "superkingdom"),
    ///     ],
    ///     Vec::<(u32, &str)>::new(),
    /// )?;
    /// let f = tax.pair_features(Some(562), Some(620));
    /// assert_eq!(f.taxonomic_lca, Some(561));
    /// assert_eq!(f.taxonomic_distance, Some(4)); // nodes 562, 561 + 620, 561
    /// assert_eq!(f.taxonomic_common_ancestors, 4); // 561, 2, 131567, 1
    /// assert_eq!(f.taxonomic_relation, TaxonomicRelation::Intermediate);
    ///
    /// let relation = |q, r| tax.pair_features(q, r).taxonomic_relation;
    /// assert_eq!(relation(Some(561), Some(562)), TaxonomicRelation::Ancestor);
    /// assert_eq!(relation(Some(562), Some(2157)), TaxonomicRelation::Distant);
    /// assert_eq!(relation(Some(562), Some(9606)), TaxonomicRelation::Unrelated); // unknown id
    /// assert_eq!(relation(Some(9606), Some(9606)), TaxonomicRelation::Same); // equal ids first
    /// assert_eq!(relation(None, Some(562)), TaxonomicRelation::Unrelated);
    /// # Ok::<(), homolog_taxonomy::TaxonomyError>(())
    /// ```
    pub fn pair_features(
        &self,
        query: Option<i64>,
        reference: Option<i64>,
    ) -> TaxonomyPairFeatures {
        let null = TaxonomyPairFeatures::null(query, reference);
        let (Some(t1), Some(t2)) = (query, reference) else {
            return null;
        };
        if t1 == t2 {
            return TaxonomyPairFeatures {
                taxonomic_lca: Some(t1),
                taxonomic_distance: Some(0),
                taxonomic_common_ancestors: 1,
                taxonomic_relation: TaxonomicRelation::Same,
                ..null
            };
        }
        let (Some(i1), Some(i2)) = (self.lineage_node(t1), self.lineage_node(t2)) else {
            return null;
        };
        let lca = self.lca_index(i1, i2);
        // The lineages are paths to a root, so their intersection is the LCA's lineage.
        let common = lca.map_or(0, |l| self.depth[l] + 1);
        let distance = lca
            .map(|l| (self.depth[i1] - self.depth[l] + 1) + (self.depth[i2] - self.depth[l] + 1));
        let relation = self.classify(t1, t2, i1, i2, common, lca);
        TaxonomyPairFeatures {
            taxonomic_lca: lca.map(|l| i64::from(self.taxids[l])),
            taxonomic_distance: distance,
            taxonomic_common_ancestors: common,
            taxonomic_relation: relation,
            ..null
        }
    }

    /// PROTEA's `_classify_relation`, in its order. `t1`/`t2` are the ids as given, `i1`/`i2`
    /// the nodes whose lineages were used (after merged-id translation).
    fn classify(
        &self,
        t1: i64,
        t2: i64,
        i1: usize,
        i2: usize,
        common: u32,
        lca: Option<usize>,
    ) -> TaxonomicRelation {
        // "t1 in lineage(t2)": the given id itself must be a node on that path.
        let on_lineage = |t: i64, of: usize| {
            self.exact_node(t)
                .is_some_and(|n| self.walk_up(of).any(|j| j == n))
        };
        let parent_is = |of: usize, t: i64| {
            let p = self.parent[of] as usize;
            p != of && i64::from(self.taxids[p]) == t
        };
        if on_lineage(t1, i2) {
            TaxonomicRelation::Ancestor
        } else if on_lineage(t2, i1) {
            TaxonomicRelation::Descendant
        } else if parent_is(i1, t2) {
            TaxonomicRelation::Child
        } else if parent_is(i2, t1) {
            TaxonomicRelation::Parent
        } else if common == 1 && lca.is_some_and(|l| self.taxids[l] == 1) {
            TaxonomicRelation::RootOnly
        } else if common <= 2 {
            TaxonomicRelation::Distant
        } else if common <= 15 {
            TaxonomicRelation::Intermediate
        } else {
            TaxonomicRelation::Close
        }
    }

    /// The node of a taxid as given (no merged-id translation).
    fn exact_node(&self, taxid: i64) -> Option<usize> {
        self.idx(u32::try_from(taxid).ok()?)
    }

    /// The node whose lineage ete3 would return for `taxid`: the node itself, else the node
    /// it was merged into.
    fn lineage_node(&self, taxid: i64) -> Option<usize> {
        self.idx(self.resolve(u32::try_from(taxid).ok()?)?)
    }

    /// Index of the deepest common ancestor; `None` across trees.
    pub(crate) fn lca_index(&self, mut i: usize, mut j: usize) -> Option<usize> {
        while self.depth[i] > self.depth[j] {
            i = self.parent[i] as usize;
        }
        while self.depth[j] > self.depth[i] {
            j = self.parent[j] as usize;
        }
        while i != j {
            let (pi, pj) = (self.parent[i] as usize, self.parent[j] as usize);
            if pi == i && pj == j {
                return None;
            }
            i = pi;
            j = pj;
        }
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 -> {131567 -> {2 -> {10 -> {11, 12}}, 2157}, 10239 -> 20}; a second tree 7 -> 8.
    fn tree() -> Taxonomy {
        let mut t = Taxonomy::from_parts(
            [
                (1, 1, "no rank"),
                (131567, 1, "no rank"),
                (2, 131567, "superkingdom"),
                (10, 2, "genus"),
                (11, 10, "species"),
                (12, 10, "species"),
                (2157, 131567, "superkingdom"),
                (10239, 1, "superkingdom"),
                (20, 10239, "species"),
                (7, 7, "no rank"),
                (8, 7, "species"),
            ],
            Vec::<(u32, &str)>::new(),
        )
        .unwrap();
        t.add_merged(500, 11);
        t.add_merged(501, 4242);
        t
    }

    fn rel(t: &Taxonomy, a: i64, b: i64) -> TaxonomicRelation {
        t.pair_features(Some(a), Some(b)).taxonomic_relation
    }

    #[test]
    fn relations_follow_protea_order() {
        use TaxonomicRelation::*;
        let t = tree();
        assert_eq!(rel(&t, 11, 11), Same);
        assert_eq!(rel(&t, 10, 11), Ancestor);
        assert_eq!(rel(&t, 11, 10), Descendant); // a direct parent is never `child`
        assert_eq!(rel(&t, 1, 20), Ancestor);
        assert_eq!(rel(&t, 20, 11), RootOnly);
        assert_eq!(rel(&t, 11, 2157), Distant);
        assert_eq!(rel(&t, 11, 12), Intermediate);
        assert_eq!(rel(&t, 11, 8), Distant); // different trees: no common ancestor
        assert_eq!(rel(&t, 8, 7), Descendant);
        assert_eq!(rel(&t, 11, 99), Unrelated);
        assert_eq!(rel(&t, 500, 11), Descendant); // merged id vs its target
        assert_eq!(rel(&t, 11, 500), Ancestor);
        assert_eq!(rel(&t, 500, 12), Intermediate);
        assert_eq!(rel(&t, 501, 11), Unrelated); // merged into an unknown id
        assert_eq!(rel(&t, 0, 11), Unrelated); // PROTEA raises here
        assert_eq!(rel(&t, -3, -3), Same);
    }

    #[test]
    fn distances_count_nodes_not_edges() {
        let t = tree();
        let f = t.pair_features(Some(11), Some(12));
        assert_eq!(f.taxonomic_lca, Some(10));
        assert_eq!(f.taxonomic_distance, Some(4));
        assert_eq!(f.taxonomic_common_ancestors, 4); // 10, 2, 131567, 1
        let f = t.pair_features(Some(10), Some(11));
        assert_eq!((f.taxonomic_lca, f.taxonomic_distance), (Some(10), Some(3)));
        let f = t.pair_features(Some(20), Some(11));
        assert_eq!((f.taxonomic_lca, f.taxonomic_distance), (Some(1), Some(8)));
        assert_eq!(f.taxonomic_common_ancestors, 1);
        let f = t.pair_features(Some(11), Some(8));
        assert_eq!(f.taxonomic_lca, None);
        assert_eq!(f.taxonomic_distance, None);
        assert_eq!(f.taxonomic_common_ancestors, 0);
        let f = t.pair_features(Some(500), Some(11));
        assert_eq!((f.taxonomic_lca, f.taxonomic_distance), (Some(11), Some(2)));
        let same_unknown = t.pair_features(Some(99), Some(99));
        assert_eq!(same_unknown.taxonomic_lca, Some(99));
        assert_eq!(same_unknown.taxonomic_distance, Some(0));
        assert_eq!(same_unknown.taxonomic_common_ancestors, 1);
        assert_eq!(
            t.pair_features(None, Some(11)),
            TaxonomyPairFeatures::null(None, Some(11))
        );
    }

    #[test]
    fn relation_names_round_trip() {
        for r in TaxonomicRelation::ALL {
            assert_eq!(r.as_str().parse::<TaxonomicRelation>(), Ok(r));
            assert_eq!(r.to_string(), r.as_str());
        }
        assert!("Same".parse::<TaxonomicRelation>().is_err());
        let close: Vec<_> = TaxonomicRelation::ALL
            .into_iter()
            .filter(|r| r.is_close())
            .map(TaxonomicRelation::as_str)
            .collect();
        assert_eq!(
            close,
            ["same", "ancestor", "descendant", "child", "parent", "close"]
        );
    }

    #[test]
    fn parses_like_python_int() {
        for (raw, want) in [
            ("562", Some(562)),
            ("  562\t", Some(562)),
            ("\u{1f}562\u{a0}", Some(562)),
            ("+562", Some(562)),
            ("-562", Some(-562)),
            ("0562", Some(562)),
            ("5_6_2", Some(562)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("_562", None),
            ("562_", None),
            ("5__62", None),
            ("+", None),
            ("", None),
            ("  ", None),
            ("562.0", None),
            ("5 62", None),
            ("0x10", None),
            ("++5", None),
        ] {
            assert_eq!(parse_taxid(raw), want, "{raw:?}");
        }
    }
}
