//! Alignment statistics: [`AlignmentStats`] of one alignment and PROTEA's [`PairFeatures`]
//! of a pair.

/// Score and traceback statistics of one alignment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AlignmentStats {
    /// Alignment score (saturated to the `i32` range).
    pub score: i32,
    /// Columns of the alignment.
    pub length: u32,
    /// Columns with identical residues.
    pub identities: u32,
    /// Identities plus columns with a positive substitution score.
    pub similarities: u32,
    /// Columns with a gap in the query.
    pub query_gaps: u32,
    /// Columns with a gap in the reference.
    pub reference_gaps: u32,
}

impl AlignmentStats {
    /// `identities / length` (0 for an empty alignment).
    pub fn identity(&self) -> f64 {
        ratio(self.identities, self.length)
    }

    /// `similarities / length` (0 for an empty alignment).
    pub fn similarity(&self) -> f64 {
        ratio(self.similarities, self.length)
    }

    /// `(query_gaps + reference_gaps) / length` (0 for an empty alignment).
    pub fn gaps_fraction(&self) -> f64 {
        ratio(self.query_gaps + self.reference_gaps, self.length)
    }
}

fn ratio(num: u32, den: u32) -> f64 {
    if den == 0 {
        0.0
    } else {
        f64::from(num) / f64::from(den)
    }
}

/// PROTEA's 12 alignment features of a (query, reference) pair.
///
/// Fractions are in [0, 1] (`gaps_pct_*` keeps PROTEA's name but is a fraction, like
/// FANTASIA's `gaps`). An empty alignment gives 0 for every alignment field except the score.
/// Not symmetric: swapping query and reference swaps the lengths (and may change tie-breaking).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PairFeatures {
    /// NW identities / length.
    pub identity_nw: f64,
    /// NW similarities / length.
    pub similarity_nw: f64,
    /// NW score.
    pub alignment_score_nw: i32,
    /// NW (query + reference gaps) / length.
    pub gaps_pct_nw: f64,
    /// NW columns.
    pub alignment_length_nw: u32,
    /// SW identities / length.
    pub identity_sw: f64,
    /// SW similarities / length.
    pub similarity_sw: f64,
    /// SW score.
    pub alignment_score_sw: i32,
    /// SW (query + reference gaps) / length.
    pub gaps_pct_sw: f64,
    /// SW columns.
    pub alignment_length_sw: u32,
    /// Query residues.
    pub length_query: u32,
    /// Reference residues.
    pub length_ref: u32,
}

impl PairFeatures {
    /// PROTEA's field names, in the order of [`PairFeatures::values`].
    pub const FIELD_NAMES: [&'static str; 12] = [
        "identity_nw",
        "similarity_nw",
        "alignment_score_nw",
        "gaps_pct_nw",
        "alignment_length_nw",
        "identity_sw",
        "similarity_sw",
        "alignment_score_sw",
        "gaps_pct_sw",
        "alignment_length_sw",
        "length_query",
        "length_ref",
    ];

    /// Builds the features from the two alignments and the sequence lengths.
    pub fn from_stats(
        nw: &AlignmentStats,
        sw: &AlignmentStats,
        length_query: usize,
        length_ref: usize,
    ) -> Self {
        Self {
            identity_nw: nw.identity(),
            similarity_nw: nw.similarity(),
            alignment_score_nw: nw.score,
            gaps_pct_nw: nw.gaps_fraction(),
            alignment_length_nw: nw.length,
            identity_sw: sw.identity(),
            similarity_sw: sw.similarity(),
            alignment_score_sw: sw.score,
            gaps_pct_sw: sw.gaps_fraction(),
            alignment_length_sw: sw.length,
            length_query: to_u32(length_query),
            length_ref: to_u32(length_ref),
        }
    }

    /// The values as `f64`, in [`PairFeatures::FIELD_NAMES`] order.
    pub fn values(&self) -> [f64; 12] {
        [
            self.identity_nw,
            self.similarity_nw,
            f64::from(self.alignment_score_nw),
            self.gaps_pct_nw,
            f64::from(self.alignment_length_nw),
            self.identity_sw,
            self.similarity_sw,
            f64::from(self.alignment_score_sw),
            self.gaps_pct_sw,
            f64::from(self.alignment_length_sw),
            f64::from(self.length_query),
            f64::from(self.length_ref),
        ]
    }
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn to_i32(s: i64) -> i32 {
    s.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}
