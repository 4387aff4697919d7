//! Pairwise protein alignment: global (NW) and local (SW), affine gaps, full traceback.
//!
//! CONTRACT:
//! - `SubstitutionMatrix::blosum62()`, `SubstitutionMatrix::from_ncbi(text)`.
//! - `Scoring { matrix, gap_open: i32, gap_extend: i32 }` with parasail's convention: a gap of
//!   length L costs open + (L-1) * extend. `Scoring::default()` = BLOSUM62, 10, 1.
//! - `global(query, reference, &Scoring) -> AlignmentStats`, `local(...) -> AlignmentStats`.
//! - `AlignmentStats { score: i32, length: u32, identities: u32, similarities: u32,
//!   query_gaps: u32, reference_gaps: u32 }` with `identity()`, `similarity()`,
//!   `gaps_fraction()` (0 when length is 0).
//! - `PairFeatures` (PROTEA's 12 fields) from `features(query, reference, &Scoring)`.
