//! The taxonomic voter consensus of a candidate GO term: `tax_voters_same_frac`,
//! `tax_voters_close_frac` and `tax_voters_mean_common_ancestors`.
//!
//! In PROTEA's export every annotation of every nearest neighbour is a vote for its GO term
//! (a neighbour annotated twice with the same term, say under two evidence codes, votes
//! twice; the neighbours of the three aspects' searches all vote). These features describe
//! the voters of one (query, term) pair through the taxonomy features of each
//! (query, voting neighbour) pair ([`TaxonomyPairFeatures`]):
//!
//! - `tax_voters_same_frac` = votes from neighbours whose relation is `same` / `vote_count`;
//! - `tax_voters_close_frac` = votes from neighbours whose relation
//!   [is close](TaxonomicRelation::is_close) (same, ancestor, descendant, child, parent or
//!   close) / `vote_count`;
//! - `tax_voters_mean_common_ancestors` = mean of `taxonomic_common_ancestors` over the votes
//!   whose pair has taxonomy features (a pair with an unknown taxid counts its 0); NaN when
//!   none has.
//!
//! A vote whose pair has no taxonomy features still counts in `vote_count` (the denominator)
//! but in no numerator. When the export runs without taxonomy, all three are NaN
//! ([`TaxVoterFractions::MISSING`]), as they are for a candidate no neighbour voted for.

use std::collections::HashMap;
use std::hash::Hash;

use homolog_taxonomy::{TaxonomicRelation, TaxonomyPairFeatures};

/// The three voter-consensus columns of one (query, GO term) candidate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaxVoterFractions {
    /// `tax_voters_same_frac`.
    pub same_frac: f64,
    /// `tax_voters_close_frac`.
    pub close_frac: f64,
    /// `tax_voters_mean_common_ancestors`.
    pub mean_common_ancestors: f64,
}

impl TaxVoterFractions {
    /// All NaN: taxonomy features off, or a candidate without KNN votes.
    pub const MISSING: TaxVoterFractions = TaxVoterFractions {
        same_frac: f64::NAN,
        close_frac: f64::NAN,
        mean_common_ancestors: f64::NAN,
    };

    /// The export's column names, in field order.
    pub const COLUMNS: [&'static str; 3] = [
        "tax_voters_same_frac",
        "tax_voters_close_frac",
        "tax_voters_mean_common_ancestors",
    ];
}

/// Per-term vote counters.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    votes: u32,
    same: u32,
    close: u32,
    common_sum: u64,
    common_n: u32,
}

/// Tallies the votes of one query's neighbours, per GO term (any hashable term key).
///
/// ```
/// use homolog_features::TaxVoterTally;
/// use homolog_taxonomy::Taxonomy;
///
/// let tax = Taxonomy::from_parts(
///     [(1, 1, "no rank"), (2, 1, "superkingdom"), (561, 2, "genus"), (562, 561, "species")],
///     Vec::<(u32, &str)>::new(),
/// )?;
/// let query_taxid = Some(562);
/// // Neighbour A (same species) is annotated with GO:1 and GO:2; neighbour B (its genus)
/// // with GO:1; neighbour C (unknown taxid) with GO:1.
/// let a = tax.pair_features(query_taxid, Some(562));
/// let b = tax.pair_features(query_taxid, Some(561));
/// let c = tax.pair_features(query_taxid, Some(9606));
/// let mut tally = TaxVoterTally::new();
/// tally.add_neighbour(["GO:1", "GO:2"], Some(&a));
/// tally.add_neighbour(["GO:1"], Some(&b));
/// tally.add_neighbour(["GO:1"], Some(&c));
///
/// let go1 = tally.fractions(&"GO:1").unwrap();
/// assert_eq!(tally.votes(&"GO:1"), 3);
/// assert_eq!(go1.same_frac, 1.0 / 3.0);
/// assert_eq!(go1.close_frac, 2.0 / 3.0); // same + descendant
/// assert_eq!(go1.mean_common_ancestors, (1.0 + 3.0 + 0.0) / 3.0);
/// assert!(tally.fractions(&"GO:3").is_none()); // no vote: use TaxVoterFractions::MISSING
/// # Ok::<(), homolog_taxonomy::TaxonomyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TaxVoterTally<T> {
    terms: HashMap<T, Counts>,
}

impl<T: Eq + Hash> Default for TaxVoterTally<T> {
    fn default() -> Self {
        TaxVoterTally {
            terms: HashMap::new(),
        }
    }
}

impl<T: Eq + Hash> TaxVoterTally<T> {
    /// An empty tally.
    pub fn new() -> Self {
        Self::default()
    }

    /// One vote for `term` from a neighbour whose (query, neighbour) taxonomy features are
    /// `pair` (`None` when the pair has none, e.g. taxonomy off for it).
    pub fn add_vote(&mut self, term: T, pair: Option<&TaxonomyPairFeatures>) {
        let c = self.terms.entry(term).or_default();
        c.votes += 1;
        if let Some(p) = pair {
            c.same += u32::from(p.taxonomic_relation == TaxonomicRelation::Same);
            c.close += u32::from(p.taxonomic_relation.is_close());
            c.common_sum += u64::from(p.taxonomic_common_ancestors);
            c.common_n += 1;
        }
    }

    /// One vote per annotation of a neighbour (repeat a term to vote for it twice, as
    /// PROTEA counts an annotation list with repeats).
    pub fn add_neighbour<I>(&mut self, annotations: I, pair: Option<&TaxonomyPairFeatures>)
    where
        I: IntoIterator<Item = T>,
    {
        for term in annotations {
            self.add_vote(term, pair);
        }
    }

    /// Votes counted for `term` (PROTEA's `vote_count` when the tally saw every neighbour).
    pub fn votes(&self, term: &T) -> u32 {
        self.terms.get(term).map_or(0, |c| c.votes)
    }

    /// The voter consensus of `term`; `None` when nobody voted for it (the export then
    /// writes [`TaxVoterFractions::MISSING`]).
    pub fn fractions(&self, term: &T) -> Option<TaxVoterFractions> {
        let c = self.terms.get(term)?;
        let votes = f64::from(c.votes.max(1));
        Some(TaxVoterFractions {
            same_frac: f64::from(c.same) / votes,
            close_frac: f64::from(c.close) / votes,
            mean_common_ancestors: if c.common_n > 0 {
                c.common_sum as f64 / f64::from(c.common_n)
            } else {
                f64::NAN
            },
        })
    }

    /// Terms with at least one vote.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether no vote was counted.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(relation: TaxonomicRelation, common: u32) -> TaxonomyPairFeatures {
        TaxonomyPairFeatures {
            taxonomic_relation: relation,
            taxonomic_common_ancestors: common,
            ..TaxonomyPairFeatures::null(Some(1), Some(2))
        }
    }

    #[test]
    fn repeated_annotations_vote_twice_and_missing_pairs_only_dilute() {
        let mut t = TaxVoterTally::new();
        let same = pair(TaxonomicRelation::Same, 1);
        let close = pair(TaxonomicRelation::Close, 17);
        let far = pair(TaxonomicRelation::Distant, 2);
        t.add_neighbour([7, 7, 8], Some(&same));
        t.add_neighbour([7], Some(&close));
        t.add_neighbour([7], Some(&far));
        t.add_neighbour([7, 9], None);
        assert_eq!(t.votes(&7), 5);
        let f = t.fractions(&7).unwrap();
        assert_eq!(f.same_frac, 2.0 / 5.0);
        assert_eq!(f.close_frac, 3.0 / 5.0);
        assert_eq!(f.mean_common_ancestors, (1.0 + 1.0 + 17.0 + 2.0) / 4.0);
        let nine = t.fractions(&9).unwrap();
        assert_eq!((nine.same_frac, nine.close_frac), (0.0, 0.0));
        assert!(nine.mean_common_ancestors.is_nan());
        assert_eq!(t.len(), 3);
        assert!(t.fractions(&10).is_none());
        assert_eq!(t.votes(&10), 0);
        assert!(TaxVoterFractions::MISSING.same_frac.is_nan());
    }

    #[test]
    fn every_close_relation_counts() {
        let mut t = TaxVoterTally::new();
        for r in TaxonomicRelation::ALL {
            t.add_vote("x", Some(&pair(r, 3)));
        }
        let f = t.fractions(&"x").unwrap();
        assert_eq!(f.close_frac, 6.0 / 10.0);
        assert_eq!(f.same_frac, 1.0 / 10.0);
        assert_eq!(f.mean_common_ancestors, 3.0);
        assert!(TaxVoterTally::<u32>::new().is_empty());
    }
}
