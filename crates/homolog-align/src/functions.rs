//! One-off alignments: [`global`], [`local`], their score-only forms and [`features`]. Each
//! call allocates fresh buffers; align many pairs with an [`Aligner`] instead.

use crate::dispatch::{align_infallible, score_only};
use crate::kernel::Workspace;
use crate::kernel_choice::Mode;
use crate::{Aligner, AlignmentStats, PairFeatures, Scoring};

/// Global alignment (Needleman-Wunsch, parasail `nw_trace_striped_32` semantics).
///
/// Aborts like any allocation failure if the `len(query) * len(reference)` byte traceback
/// cannot be allocated; use [`Aligner::try_global`] to get an error instead.
///
/// # Examples
///
/// ```
/// use homolog_align::{global, Scoring};
///
/// // BLOSUM62, gap open 10, extend 1 (parasail's and FANTASIA's setting).
/// let nw = global("HEAGAWGHEE", "PAWHEAE", &Scoring::default());
/// assert_eq!(nw.score, 3);
/// // Both sequences end to end: 10 columns, 3 of them gaps in the reference.
/// assert_eq!((nw.length, nw.identities, nw.reference_gaps), (10, 3, 3));
/// assert!((nw.identity() - 0.3).abs() < 1e-12);
/// ```
pub fn global(
    query: impl AsRef<[u8]>,
    reference: impl AsRef<[u8]>,
    scoring: &Scoring,
) -> AlignmentStats {
    one_off(query.as_ref(), reference.as_ref(), scoring, false)
}

/// Local alignment (Smith-Waterman, parasail `sw_trace_striped_32` semantics); score >= 0.
///
/// Same allocation note as [`global`].
///
/// # Examples
///
/// ```
/// use homolog_align::{local, Scoring};
///
/// // The best local match is AWGHE against AW-HE: 4 + 11 - 10 (gap) + 8 + 5.
/// let sw = local("HEAGAWGHEE", "PAWHEAE", &Scoring::default());
/// assert_eq!(sw.score, 18);
/// assert_eq!((sw.length, sw.identities, sw.reference_gaps), (5, 4, 1));
/// // Nothing scores above 0: an empty alignment.
/// assert_eq!(local("W", "P", &Scoring::default()).length, 0);
/// ```
pub fn local(
    query: impl AsRef<[u8]>,
    reference: impl AsRef<[u8]>,
    scoring: &Scoring,
) -> AlignmentStats {
    one_off(query.as_ref(), reference.as_ref(), scoring, true)
}

/// Score of [`global`] only, in linear memory.
pub fn global_score(
    query: impl AsRef<[u8]>,
    reference: impl AsRef<[u8]>,
    scoring: &Scoring,
) -> i32 {
    one_off_score(query.as_ref(), reference.as_ref(), scoring, false)
}

/// Score of [`local`] only, in linear memory.
pub fn local_score(query: impl AsRef<[u8]>, reference: impl AsRef<[u8]>, scoring: &Scoring) -> i32 {
    one_off_score(query.as_ref(), reference.as_ref(), scoring, true)
}

/// PROTEA's 12 features: [`global`] and [`local`] of `query` against `reference`.
pub fn features(
    query: impl AsRef<[u8]>,
    reference: impl AsRef<[u8]>,
    scoring: &Scoring,
) -> PairFeatures {
    Aligner::new(scoring.clone()).features(query, reference)
}

fn one_off(query: &[u8], reference: &[u8], scoring: &Scoring, local: bool) -> AlignmentStats {
    let mut ws = Workspace::default();
    align_infallible(&mut ws, scoring, Mode::auto(), query, reference, local)
}

fn one_off_score(query: &[u8], reference: &[u8], scoring: &Scoring, local: bool) -> i32 {
    let mut ws = Workspace::default();
    score_only(&mut ws, scoring, Mode::auto(), query, reference, local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SubstitutionMatrix;

    fn st(score: i32, length: u32, id: u32, sim: u32, qg: u32, rg: u32) -> AlignmentStats {
        AlignmentStats {
            score,
            length,
            identities: id,
            similarities: sim,
            query_gaps: qg,
            reference_gaps: rg,
        }
    }

    #[test]
    fn single_residues() {
        let s = Scoring::default();
        assert_eq!(global("A", "A", &s), st(4, 1, 1, 1, 0, 0));
        assert_eq!(local("A", "A", &s), st(4, 1, 1, 1, 0, 0));
        // I/V scores +3: similar, not identical.
        assert_eq!(global("I", "V", &s), st(3, 1, 0, 1, 0, 0));
        // W/P scores -4: global must align them, local aligns nothing.
        assert_eq!(global("W", "P", &s), st(-4, 1, 0, 0, 0, 0));
        assert_eq!(local("W", "P", &s), AlignmentStats::default());
    }

    #[test]
    fn textbook_pair_by_hand() {
        // HEAGAWGHEE / PAWHEAE (Durbin et al.), BLOSUM62, 10/1.
        let s = Scoring::default();
        // Local: AWGHE over AW-HE = A/A 4 + W/W 11 - 10 (gap) + H/H 8 + E/E 5 = 18.
        assert_eq!(local("HEAGAWGHEE", "PAWHEAE", &s), st(18, 5, 4, 4, 0, 1));
        assert_eq!(local_score("HEAGAWGHEE", "PAWHEAE", &s), 18);
        let nw = global("HEAGAWGHEE", "PAWHEAE", &s);
        assert_eq!(nw, st(3, 10, 3, 3, 0, 3));
        assert_eq!(global_score("HEAGAWGHEE", "PAWHEAE", &s), 3);
    }

    #[test]
    fn gap_costs_open_plus_extend_per_extra_residue() {
        let s = Scoring::default();
        // WW matched (22) plus one reference gap of length 3: 22 - (10 + 2 * 1) = 10.
        assert_eq!(global("WWWWW", "WW", &s), st(10, 5, 2, 2, 0, 3));
        // Same the other way round: the gap is in the query.
        assert_eq!(global("WW", "WWWWW", &s), st(10, 5, 2, 2, 3, 0));
        // End gaps are penalised: a leading gap of 1 costs the full open.
        assert_eq!(global("AW", "W", &s), st(1, 2, 1, 1, 0, 1));
        assert_eq!(local("AW", "W", &s), st(11, 1, 1, 1, 0, 0));
        let custom = Scoring {
            gap_open: 3,
            gap_extend: 2,
            ..Scoring::default()
        };
        // 22 - (3 + 2 * 2) = 15.
        assert_eq!(global_score("WWWWW", "WW", &custom), 15);
    }

    #[test]
    fn empty_sequences_never_panic() {
        let s = Scoring::default();
        assert_eq!(global("", "", &s), AlignmentStats::default());
        assert_eq!(global("", "ACD", &s), st(-12, 3, 0, 0, 3, 0));
        assert_eq!(global("ACDEF", "", &s), st(-14, 5, 0, 0, 0, 5));
        assert_eq!(global_score("", "ACD", &s), -12);
        assert_eq!(local("", "ACD", &s), AlignmentStats::default());
        assert_eq!(local_score("ACD", "", &s), 0);
        let f = features("", "ACD", &s);
        assert_eq!(f.alignment_score_nw, -12);
        assert_eq!(f.identity_nw, 0.0);
        assert_eq!(f.gaps_pct_nw, 1.0);
        assert_eq!(f.alignment_length_sw, 0);
        assert_eq!(f.identity_sw, 0.0);
        assert_eq!((f.length_query, f.length_ref), (0, 3));
    }

    #[test]
    fn lowercase_and_unknown_residues() {
        let s = Scoring::default();
        assert_eq!(
            global("heagawghee", "pawheae", &s),
            global("HEAGAWGHEE", "PAWHEAE", &s)
        );
        // U and O are outside BLOSUM62: scored as '*' (parasail), U/U is still an identity.
        assert_eq!(global("U", "U", &s), st(1, 1, 1, 1, 0, 0));
        assert_eq!(global("U", "O", &s), st(1, 1, 0, 1, 0, 0));
        assert_eq!(global("U", "A", &s), st(-4, 1, 0, 0, 0, 0));
        let x = Scoring {
            matrix: SubstitutionMatrix::blosum62().with_fallback(b'X').unwrap(),
            ..Scoring::default()
        };
        assert_eq!(global("U", "A", &x).score, 0);
    }

    #[test]
    fn ratios_and_features() {
        let s = Scoring::default();
        let nw = global("HEAGAWGHEE", "PAWHEAE", &s);
        assert!((nw.identity() - 0.3).abs() < 1e-12);
        assert!((nw.similarity() - 0.3).abs() < 1e-12);
        assert!((nw.gaps_fraction() - 0.3).abs() < 1e-12);
        assert_eq!(AlignmentStats::default().identity(), 0.0);
        let f = features("HEAGAWGHEE", "PAWHEAE", &s);
        assert_eq!(f.alignment_score_nw, 3);
        assert_eq!(f.alignment_score_sw, 18);
        assert_eq!(f.alignment_length_sw, 5);
        assert!((f.identity_sw - 0.8).abs() < 1e-12);
        assert!((f.gaps_pct_sw - 0.2).abs() < 1e-12);
        assert_eq!((f.length_query, f.length_ref), (10, 7));
        let v = f.values();
        assert_eq!(v.len(), PairFeatures::FIELD_NAMES.len());
        assert_eq!(v[2], 3.0);
        assert_eq!(v[11], 7.0);
        // Not symmetric: lengths swap.
        let g = features("PAWHEAE", "HEAGAWGHEE", &s);
        assert_eq!((g.length_query, g.length_ref), (7, 10));
    }
}
