//! Pairwise protein alignment: global (Needleman-Wunsch) and local (Smith-Waterman) with affine
//! gaps (Gotoh) and full traceback, scored exactly like parasail.
//!
//! FANTASIA and PROTEA describe every query/reference hit by alignment statistics (identity,
//! similarity, gap fraction, score, length) computed with parasail's `nw_trace_striped_32` and
//! `sw_trace_striped_32`, BLOSUM62, gap open 10, extend 1. homolog needs the same numbers without
//! a C library, so this crate re-implements those two functions and is tested pair by pair
//! against parasail itself (`tests/parasail_parity.rs`, fixture made by
//! `scripts/parasail/make_fixtures.sh`).
//!
//! # API
//!
//! - [`global`] / [`local`] -> [`AlignmentStats`]; [`global_score`] / [`local_score`] compute
//!   only the score in linear memory (no traceback table).
//! - [`features`] -> [`PairFeatures`], PROTEA's 12 alignment fields.
//! - [`Aligner`] does the same with buffers reused across calls (use it in loops), and
//!   `try_*` variants that return [`AlignError`] instead of aborting when the traceback table
//!   cannot be allocated.
//! - [`Scoring`] (matrix + gap penalties, default BLOSUM62 / 10 / 1) and
//!   [`SubstitutionMatrix`] (embedded parasail BLOSUM62, NCBI text files).
//!
//! Sequences are bytes (`&str` or `&[u8]`); lower case is accepted. Residues outside the
//! matrix alphabet are scored as the matrix's fallback symbol: `*` for the embedded BLOSUM62
//! (parasail's rule, so `U`, `O`, `J` score -4 against residues), `X` for matrices read with
//! [`SubstitutionMatrix::from_ncbi`] (see [`SubstitutionMatrix::blosum62`] for why they differ).
//!
//! # Definitions
//!
//! - Gap of length L costs `open + (L - 1) * extend` (parasail's convention). In global
//!   alignments, end gaps cost the same as internal ones.
//! - Statistics are counted on the traceback path, as FANTASIA/PROTEA count parasail's
//!   traceback strings: `length` = columns; `identities` = columns whose residues are equal
//!   (case-insensitive byte comparison; `|`); `similarities` = identities plus residue pairs with
//!   a positive substitution score (`:`); `query_gaps` = columns with `-` in the query;
//!   `reference_gaps` = columns with `-` in the reference.
//! - Empty input never panics: global of empty vs L residues is one gap of length L (score
//!   `-(open + (L-1) * extend)`, or 0 when both are empty); local with an empty side, or with no
//!   positive-scoring cell, is score 0 with an empty alignment (length 0). parasail itself
//!   rejects empty sequences and, when no cell is positive, returns its internal minus-infinity
//!   as the local score; homolog returns 0 there.
//!
//! # Exact parasail semantics (tie-breaking)
//!
//! Several alignments often share the optimal score; which one parasail reports decides the
//! statistics. Rows are query residues `i`, columns reference residues `j`; `H` is the best
//! score of a cell, `E` of a gap in the query (horizontal), `F` of a gap in the reference
//! (vertical). parasail's striped kernel with 32-bit lanes on AVX2 hardware splits the query
//! into 8 stripes of `ceil(m / 8)` rows ([`PARASAIL_LANES`]), and that layout shows through:
//!
//! 1. **`H` traceback**: diagonal if `H` equals the diagonal score (in local mode, `H == 0`
//!    marks the start instead); else reference gap (`F`) if `H == F`; else query gap (`E`).
//!    So ties prefer diagonal > reference gap > query gap.
//! 2. **Gap traceback**: a gap *extends* when opening and extending tie (`E` opened only if
//!    `H_left - open > E_left - extend` strictly; same for `F`).
//! 3. **`E` uses the first-pass `H`**: the `E` value that enters the next column is opened
//!    from the cell's `H` *before* parasail's lazy-F correction, i.e. without vertical gaps that
//!    cross a stripe boundary or come down from the top border (a reference gap is never
//!    followed directly by a query gap there). This never changes the optimal score (the two
//!    gaps can be swapped at equal cost; `tests/properties.rs` checks scores against a textbook
//!    Gotoh), only which equal-scoring path is traced. The `E` traceback bits use the corrected
//!    `H`, exactly as parasail does.
//! 4. **Local end cell**: the first reference column (smallest `j`) whose best cell reaches the
//!    maximum, and in it the smallest query row `i` with that score.
//! 5. **Traceback walk**: from the end cell in the diagonal state; a gap state reads the cell's
//!    open/extend bit before stepping; global alignments finish the border with gaps, local ones
//!    stop at a zero cell.
//!
//! With these rules every score and statistic equals parasail 2.6's on the 11,317 fixture
//! pairs (11,058 real ones; 0 mismatches, every kernel). [`Aligner::with_lanes`] emulates
//! other stripe widths (4 for parasail on SSE4.1-only CPUs); on the original 2,453-pair
//! fixture, widths 1, 4 and 8 gave the same statistics, while changing rule 1 or 2 breaks
//! about 15% of them.
//!
//! # Kernels
//!
//! All kernels compute the same values and give identical results ([`Kernel`]); they differ
//! in vector width and speed. Chosen at run time ([`Kernel::Auto`]), or forced with
//! [`Aligner::with_kernel`] / `HOMOLOG_ALIGN_KERNEL=scalar|avx2-32|avx2-16|avx2-8|avx512-32|
//! avx512-16|avx512-8`.
//!
//! - **AVX2 32 x 8-bit / AVX-512 64 x 8-bit** (`wide` module; local alignments only):
//!   unsigned saturating bytes holding `max(0, x)` of every value, exact for local
//!   alignments (see the `wide` module docs), with the profile biased by `-min s`. A column
//!   maximum reaching `255 - bias` (BLOSUM62: 251) means a score may have saturated: the
//!   run stops and the pair goes to 16-bit lanes. When the same aligner has just aligned
//!   the pair globally with a score at or above that limit (a local score is never lower),
//!   the 8-bit lanes are skipped. Global alignments start at 16 bits: their values are
//!   negative and leave a byte within a few hundred residues. [`Kernel::Auto`] uses 8-bit
//!   lanes for local alignments with traceback (measured faster); score-only local
//!   alignments start at 16 bits (no gain measured, `docs/align.md`).
//! - **AVX2 16 x 16-bit** (`wide` module, the default for global alignments on AVX2 CPUs)
//!   and **AVX-512 32 x 16-bit / 16 x 32-bit** (AVX-512 F+BW, built with Rust 1.89+):
//!   striped kernels with 16 to 64 lanes that still reproduce parasail's **8-stripe**
//!   tie-breaking: the first-pass vertical gap restarts at the 8-stripe starts inside lanes
//!   and is carried across lane boundaries inside a stripe, and the true vertical gap is made
//!   consistent below those restarts (see the `wide` module docs). 16-bit lanes saturate:
//!   the pair goes to a 32-bit kernel when its values could go below `-32,000` (a priori:
//!   `3 open + (m + n + 2) extend + max|s|`, global only) or when a diagonal score reached
//!   `i16::MAX` during the run.
//! - **AVX2 8 x 32-bit** (`simd` module): parasail's own layout, a first pass, an exact lazy-F
//!   loop and a trace pass per column; used when all scores provably fit in 32 bits
//!   (`(m + n + 2)(max|s| + extend) + 2 open < 2^26`), as is the AVX-512 32-bit kernel.
//! - **Scalar** (`kernel` module): the same recurrence with 64-bit scores, for every other
//!   case (no AVX2, other stripe widths, huge penalties or lengths).
//!
//! Fallback chains: `avx512-8` -> `avx512-16` -> `avx512-32` -> `avx2-32` -> `scalar`;
//! `avx2-8` -> `avx2-16` -> `avx2-32` -> `scalar`. [`Aligner::last_kernel`] says which
//! kernel produced a result. Tests check every kernel against parasail on every fixture pair
//! and against the scalar kernel on random, low-complexity, other-matrix and 8- and
//! 16-bit-overflowing pairs.
//!
//! # Memory and speed
//!
//! The traceback takes one byte per cell (`H` state in two bits, `E`/`F` open bits), the query
//! rounded up to whole vectors (8 to 64 rows): a 5,000 x 5,000 pair needs 25 MB, a
//! 35,000 x 35,000 pair 1.23 GB ([`Aligner::traceback_bytes_needed`]), one table shared by
//! all kernels (a pair handed on after an overflow reuses it); score-only functions use
//! linear memory. The query profile is kept while the query and matrix stay the same
//! (NW then SW of a pair, one query against many references). `examples/align_bench.rs`
//! prints pairs/s and GCUPS per kernel; figures in `docs/align.md`.

mod error;
mod kernel;
pub mod matrix;
#[cfg(target_arch = "x86_64")]
mod simd;
mod traceback;
#[cfg(target_arch = "x86_64")]
mod wide;

pub use error::{AlignError, MatrixError};
pub use matrix::SubstitutionMatrix;

use kernel::{Params, Workspace};

/// Stripe width of parasail's `*_striped_32` kernels on AVX2 (8 x 32-bit lanes), which the
/// tie-breaking of [`global`] and [`local`] reproduces by default.
pub const PARASAIL_LANES: usize = 8;

/// Which dynamic-programming kernel computes the alignments. All give identical results
/// (scores, end cells, tie-breaking, statistics: parasail's 8-stripe semantics whatever the
/// vector width); only speed differs.
///
/// A kernel that cannot take a pair falls back along a fixed chain: `avx512-8` ->
/// `avx512-16` -> `avx512-32` -> `avx2-32` -> `scalar`, `avx2-8` -> `avx2-16` -> `avx2-32`
/// -> `scalar`. A kernel is skipped when the CPU lacks its features, when the pair's scores
/// provably do not fit its lanes (8-bit lanes: every global alignment), or (8- and 16-bit
/// lanes) when a score reached the lane maximum at run time, in which case the pair is
/// aligned again with the next kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// The fastest kernel this CPU runs (detected at run time, measured on the alignment
    /// benchmark, `docs/align.md`): `avx2-8` for local alignments with traceback and
    /// `avx2-16` for the rest (global ones, score-only local ones), else the AVX-512
    /// kernels, ..., else `scalar`, with the fallbacks above. [`Aligner::with_lanes`] other
    /// than [`PARASAIL_LANES`] always uses the scalar kernel.
    #[default]
    Auto,
    /// The portable scalar kernel (64-bit scores) for every pair.
    Scalar,
    /// AVX2, 8 x 32-bit lanes (parasail's own layout).
    Avx2x32,
    /// AVX2, 16 x 16-bit lanes, saturating, with overflow detection.
    Avx2x16,
    /// AVX-512 (F, BW), 16 x 32-bit lanes.
    Avx512x32,
    /// AVX-512 (F, BW), 32 x 16-bit lanes, saturating, with overflow detection.
    Avx512x16,
    /// AVX2, 32 x 8-bit lanes, unsigned saturating, with overflow detection; local
    /// alignments only (global ones start at the next kernel, `avx2-16`).
    Avx2x8,
    /// AVX-512 (F, BW), 64 x 8-bit lanes, like [`Kernel::Avx2x8`] (global: `avx512-16`).
    Avx512x8,
}

impl Kernel {
    /// Every kernel choice, [`Kernel::Auto`] first.
    pub const ALL: [Kernel; 8] = [
        Kernel::Auto,
        Kernel::Scalar,
        Kernel::Avx2x32,
        Kernel::Avx2x16,
        Kernel::Avx512x32,
        Kernel::Avx512x16,
        Kernel::Avx2x8,
        Kernel::Avx512x8,
    ];

    /// Preference order of [`Kernel::Auto`] (measured, `docs/align.md`).
    const AUTO_ORDER: [Kernel; 7] = [
        Kernel::Avx2x8,
        Kernel::Avx2x16,
        Kernel::Avx512x8,
        Kernel::Avx512x16,
        Kernel::Avx512x32,
        Kernel::Avx2x32,
        Kernel::Scalar,
    ];

    /// The name used by `HOMOLOG_ALIGN_KERNEL`: `auto`, `scalar`, `avx2-32`, `avx2-16`,
    /// `avx512-32`, `avx512-16`, `avx2-8`, `avx512-8`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Auto => "auto",
            Kernel::Scalar => "scalar",
            Kernel::Avx2x32 => "avx2-32",
            Kernel::Avx2x16 => "avx2-16",
            Kernel::Avx512x32 => "avx512-32",
            Kernel::Avx512x16 => "avx512-16",
            Kernel::Avx2x8 => "avx2-8",
            Kernel::Avx512x8 => "avx512-8",
        }
    }

    /// The kernel named `name` (see [`Kernel::name`]; case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        Kernel::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The kernel named by the environment variable `HOMOLOG_ALIGN_KERNEL` (e.g. `scalar`,
    /// `avx2-16`), else [`Kernel::Auto`]. An unknown name also means `Auto`, with a warning on
    /// stderr (once per process) listing the known names, since results never depend on it.
    pub fn from_env() -> Self {
        let Ok(value) = std::env::var("HOMOLOG_ALIGN_KERNEL") else {
            return Kernel::Auto;
        };
        Kernel::parse(&value).unwrap_or_else(|| {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                let known: Vec<&str> = Kernel::ALL.iter().map(|k| k.name()).collect();
                eprintln!(
                    "warning: HOMOLOG_ALIGN_KERNEL={value:?} is not a kernel name ({}); using auto",
                    known.join(", ")
                );
            });
            Kernel::Auto
        })
    }

    /// Whether this CPU (and this build) can run the kernel; always true for `Auto` and
    /// `Scalar`.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Auto | Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x32 => simd::available(),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x16 => <wide::Avx2I16 as wide::Vector>::available(),
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x32 => <wide::Avx512I32 as wide::Vector>::available(),
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x16 => <wide::Avx512I16 as wide::Vector>::available(),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x8 => <wide::Avx2U8 as wide::Vector>::available(),
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x8 => <wide::Avx512U8 as wide::Vector>::available(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The concrete kernels this CPU runs, fastest first (the last is `Scalar`).
    pub fn available() -> Vec<Kernel> {
        Kernel::AUTO_ORDER
            .into_iter()
            .filter(|k| k.is_available())
            .collect()
    }

    /// The next kernel of the fallback chain.
    fn fallback(self) -> Option<Kernel> {
        match self {
            Kernel::Avx512x8 => Some(Kernel::Avx512x16),
            Kernel::Avx2x8 => Some(Kernel::Avx2x16),
            Kernel::Avx512x16 => Some(Kernel::Avx512x32),
            Kernel::Avx512x32 | Kernel::Avx2x16 => Some(Kernel::Avx2x32),
            Kernel::Avx2x32 => Some(Kernel::Scalar),
            Kernel::Auto | Kernel::Scalar => None,
        }
    }

    /// Lanes per vector (1 for the scalar kernel, 0 for `Auto`).
    pub fn lanes(self) -> usize {
        match self {
            Kernel::Auto => 0,
            Kernel::Scalar => 1,
            Kernel::Avx2x32 => 8,
            Kernel::Avx2x16 | Kernel::Avx512x32 => 16,
            Kernel::Avx512x16 | Kernel::Avx2x8 => 32,
            Kernel::Avx512x8 => 64,
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Name of the kernel [`Kernel::Auto`] starts with on this CPU ([`Kernel::name`]:
/// `"avx2-8"`, `"avx2-16"`, ..., `"scalar"`). An 8-bit kernel takes only local alignments
/// with traceback; the others start at the next kernel of its chain (`avx2-16`).
pub fn best_kernel() -> &'static str {
    Kernel::available()[0].name()
}

/// Most lanes of any kernel: traceback tables are at most the query rounded up to this.
const MAX_LANES: usize = 64;

/// Substitution matrix and affine gap penalties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoring {
    /// Substitution scores.
    pub matrix: SubstitutionMatrix,
    /// Cost of the first residue of a gap (parasail's `open`).
    pub gap_open: i32,
    /// Cost of each further residue of a gap (parasail's `gap`).
    pub gap_extend: i32,
}

impl Default for Scoring {
    /// BLOSUM62 (parasail's), open 10, extend 1: FANTASIA's and PROTEA's setting.
    fn default() -> Self {
        Self {
            matrix: SubstitutionMatrix::blosum62(),
            gap_open: 10,
            gap_extend: 1,
        }
    }
}

impl Scoring {
    /// Checked constructor: penalties must be non-negative costs.
    pub fn new(
        matrix: SubstitutionMatrix,
        gap_open: i32,
        gap_extend: i32,
    ) -> Result<Self, AlignError> {
        let s = Self {
            matrix,
            gap_open,
            gap_extend,
        };
        s.validate()?;
        Ok(s)
    }

    /// Errors if a penalty is negative (the `try_*` functions call this).
    pub fn validate(&self) -> Result<(), AlignError> {
        if self.gap_open < 0 || self.gap_extend < 0 {
            return Err(AlignError::InvalidGap {
                open: self.gap_open,
                extend: self.gap_extend,
            });
        }
        Ok(())
    }

    /// `open:extend:matrix`, e.g. `10:1:blosum62`: the suffix of PROTEA's alignment cache key.
    pub fn cache_tag(&self) -> String {
        format!(
            "{}:{}:{}",
            self.gap_open,
            self.gap_extend,
            self.matrix.name()
        )
    }

    fn params(&self, lanes: usize) -> Params {
        Params {
            open: i64::from(self.gap_open),
            extend: i64::from(self.gap_extend),
            lanes,
        }
    }
}

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

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn to_i32(s: i64) -> i32 {
    s.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Global alignment (Needleman-Wunsch, parasail `nw_trace_striped_32` semantics).
///
/// Aborts like any allocation failure if the `len(query) * len(reference)` byte traceback
/// cannot be allocated; use [`Aligner::try_global`] to get an error instead.
pub fn global(
    query: impl AsRef<[u8]>,
    reference: impl AsRef<[u8]>,
    scoring: &Scoring,
) -> AlignmentStats {
    let mut ws = Workspace::default();
    align_infallible(
        &mut ws,
        scoring,
        Mode::auto(),
        query.as_ref(),
        reference.as_ref(),
        false,
    )
}

/// Local alignment (Smith-Waterman, parasail `sw_trace_striped_32` semantics); score >= 0.
///
/// Same allocation note as [`global`].
pub fn local(
    query: impl AsRef<[u8]>,
    reference: impl AsRef<[u8]>,
    scoring: &Scoring,
) -> AlignmentStats {
    let mut ws = Workspace::default();
    align_infallible(
        &mut ws,
        scoring,
        Mode::auto(),
        query.as_ref(),
        reference.as_ref(),
        true,
    )
}

/// Score of [`global`] only, in linear memory.
pub fn global_score(
    query: impl AsRef<[u8]>,
    reference: impl AsRef<[u8]>,
    scoring: &Scoring,
) -> i32 {
    let mut ws = Workspace::default();
    score_only(
        &mut ws,
        scoring,
        Mode::auto(),
        query.as_ref(),
        reference.as_ref(),
        false,
    )
}

/// Score of [`local`] only, in linear memory.
pub fn local_score(query: impl AsRef<[u8]>, reference: impl AsRef<[u8]>, scoring: &Scoring) -> i32 {
    let mut ws = Workspace::default();
    score_only(
        &mut ws,
        scoring,
        Mode::auto(),
        query.as_ref(),
        reference.as_ref(),
        true,
    )
}

/// PROTEA's 12 features: [`global`] and [`local`] of `query` against `reference`.
pub fn features(
    query: impl AsRef<[u8]>,
    reference: impl AsRef<[u8]>,
    scoring: &Scoring,
) -> PairFeatures {
    Aligner::new(scoring.clone()).features(query, reference)
}

/// Aligns many pairs with one scoring, reusing its buffers (profile, rows, traceback table).
#[derive(Debug)]
pub struct Aligner {
    scoring: Scoring,
    mode: Mode,
    ws: Workspace,
}

impl Default for Aligner {
    fn default() -> Self {
        Self::new(Scoring::default())
    }
}

impl Aligner {
    /// An aligner with parasail's AVX2 tie-breaking ([`PARASAIL_LANES`]).
    pub fn new(scoring: Scoring) -> Self {
        Self {
            scoring,
            mode: Mode::auto(),
            ws: Workspace::default(),
        }
    }

    /// Emulates parasail's striped kernels with `lanes` stripes (8 = AVX2 32-bit, 4 = SSE4.1
    /// 32-bit; 1 = a plain Gotoh recurrence without the stripe quirk). 0 is treated as 1.
    /// Widths other than [`PARASAIL_LANES`] run on the scalar kernel.
    pub fn with_lanes(mut self, lanes: usize) -> Self {
        self.mode.lanes = lanes.max(1);
        self
    }

    /// Chooses the kernel (default [`Kernel::from_env`]); results do not depend on it.
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        self.mode.kernel = kernel;
        self
    }

    /// Whether the AVX2 kernel would align an `m x n` pair with this aligner's settings.
    pub fn uses_simd(&self, m: usize, n: usize) -> bool {
        self.kernel_for(m, n, false) != Kernel::Scalar
    }

    /// The kernel that an `m x n` global (`local = false`) or local alignment tries first
    /// with this aligner's settings (never [`Kernel::Auto`]). A 16-bit kernel may still hand
    /// the pair to a 32-bit one at run time ([`Aligner::last_kernel`] tells).
    pub fn kernel_for(&self, m: usize, n: usize, local: bool) -> Kernel {
        self.mode
            .plan(&self.scoring, m, n, local)
            .next()
            .unwrap_or(Kernel::Scalar)
    }

    /// The kernel that computed the last alignment (`None` before the first one and after
    /// a pair with an empty side, which needs no kernel).
    pub fn last_kernel(&self) -> Option<Kernel> {
        self.ws.last
    }

    /// Upper bound of the traceback table an `m x n` traced alignment needs: one byte per
    /// cell, the query rounded up to whole vectors of the widest kernel (64 lanes; a
    /// 35,000 x 35,000 pair: 1.23 GB).
    pub fn traceback_bytes_needed(m: usize, n: usize) -> usize {
        m.div_ceil(MAX_LANES)
            .saturating_mul(MAX_LANES)
            .saturating_mul(n)
    }

    /// Bytes of traceback table currently allocated (one byte per cell of the last traced
    /// pair, rounded up to whole stripes).
    pub fn traceback_bytes(&self) -> usize {
        // All kernels share one table (the 8-lane kernel borrows it during a run).
        self.ws.trace.capacity()
    }

    /// The scoring in use.
    pub fn scoring(&self) -> &Scoring {
        &self.scoring
    }

    /// See [`global`].
    pub fn global(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> AlignmentStats {
        align_infallible(
            &mut self.ws,
            &self.scoring,
            self.mode,
            query.as_ref(),
            reference.as_ref(),
            false,
        )
    }

    /// See [`local`].
    pub fn local(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> AlignmentStats {
        align_infallible(
            &mut self.ws,
            &self.scoring,
            self.mode,
            query.as_ref(),
            reference.as_ref(),
            true,
        )
    }

    /// [`Aligner::global`] that reports invalid penalties or an unallocatable traceback.
    pub fn try_global(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> Result<AlignmentStats, AlignError> {
        self.scoring.validate()?;
        align(
            &mut self.ws,
            &self.scoring,
            self.mode,
            query.as_ref(),
            reference.as_ref(),
            false,
        )
    }

    /// [`Aligner::local`] that reports invalid penalties or an unallocatable traceback.
    pub fn try_local(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> Result<AlignmentStats, AlignError> {
        self.scoring.validate()?;
        align(
            &mut self.ws,
            &self.scoring,
            self.mode,
            query.as_ref(),
            reference.as_ref(),
            true,
        )
    }

    /// See [`global_score`].
    pub fn global_score(&mut self, query: impl AsRef<[u8]>, reference: impl AsRef<[u8]>) -> i32 {
        score_only(
            &mut self.ws,
            &self.scoring,
            self.mode,
            query.as_ref(),
            reference.as_ref(),
            false,
        )
    }

    /// See [`local_score`].
    pub fn local_score(&mut self, query: impl AsRef<[u8]>, reference: impl AsRef<[u8]>) -> i32 {
        score_only(
            &mut self.ws,
            &self.scoring,
            self.mode,
            query.as_ref(),
            reference.as_ref(),
            true,
        )
    }

    /// See [`features`].
    pub fn features(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> PairFeatures {
        let (q, r) = (query.as_ref(), reference.as_ref());
        let nw = self.global(q, r);
        let sw = self.local(q, r);
        PairFeatures::from_stats(&nw, &sw, q.len(), r.len())
    }

    /// [`Aligner::features`] that reports errors instead of aborting.
    pub fn try_features(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> Result<PairFeatures, AlignError> {
        let (q, r) = (query.as_ref(), reference.as_ref());
        let nw = self.try_global(q, r)?;
        let sw = self.try_local(q, r)?;
        Ok(PairFeatures::from_stats(&nw, &sw, q.len(), r.len()))
    }
}

/// Result for a pair with an empty side (the kernels need both sides non-empty).
fn empty_case(scoring: &Scoring, m: usize, n: usize, local: bool) -> AlignmentStats {
    if local || m + n == 0 {
        return AlignmentStats::default();
    }
    let len = (m + n) as i64;
    let score = -(i64::from(scoring.gap_open) + (len - 1) * i64::from(scoring.gap_extend));
    AlignmentStats {
        score: to_i32(score),
        length: to_u32(m + n),
        query_gaps: to_u32(n),
        reference_gaps: to_u32(m),
        ..AlignmentStats::default()
    }
}

fn align_infallible(
    ws: &mut Workspace,
    scoring: &Scoring,
    mode: Mode,
    query: &[u8],
    reference: &[u8],
    local: bool,
) -> AlignmentStats {
    match align(ws, scoring, mode, query, reference, local) {
        Ok(stats) => stats,
        // `align` fails only when the traceback cannot be allocated: abort as `Vec` would.
        Err(e) => {
            let bytes = match e {
                AlignError::TooLarge { bytes, .. } => bytes,
                AlignError::InvalidGap { .. } => 1,
            };
            std::alloc::handle_alloc_error(
                std::alloc::Layout::from_size_align(bytes.min(isize::MAX as usize), 1)
                    .unwrap_or(std::alloc::Layout::new::<u8>()),
            )
        }
    }
}

/// Stripe width and kernel choice of an [`Aligner`].
#[derive(Debug, Clone, Copy)]
struct Mode {
    lanes: usize,
    kernel: Kernel,
}

impl Mode {
    fn auto() -> Self {
        Mode {
            lanes: PARASAIL_LANES,
            kernel: Kernel::from_env(),
        }
    }

    /// The kernels to try for an `m x n` pair, in order: the requested one and its
    /// fallbacks, skipping those the CPU lacks or whose lanes provably cannot hold the
    /// scores. Ends with [`Kernel::Scalar`].
    fn plan(
        &self,
        scoring: &Scoring,
        m: usize,
        n: usize,
        local: bool,
    ) -> impl Iterator<Item = Kernel> {
        self.plan_with(scoring, m, n, local, true, 0)
    }

    /// [`Mode::plan`] with or without traceback (`traced`), for a local alignment known to
    /// score at least `local_floor` (the global score of the same pair: a local alignment
    /// scores at least as much), which skips 8- and 16-bit lanes that would only detect
    /// their overflow and hand the pair on (with a second traceback table for a long pair). [`Kernel::Auto`] also skips them for score-only local
    /// alignments, where they measured no faster (`docs/align.md`).
    fn plan_with(
        &self,
        scoring: &Scoring,
        m: usize,
        n: usize,
        local: bool,
        traced: bool,
        local_floor: i64,
    ) -> impl Iterator<Item = Kernel> {
        let start = if self.lanes != PARASAIL_LANES {
            Kernel::Scalar
        } else if self.kernel == Kernel::Auto {
            Kernel::available()[0]
        } else {
            self.kernel
        };
        let max_abs = scoring.matrix.max_abs_score();
        let (open, ext) = (i64::from(scoring.gap_open), i64::from(scoring.gap_extend));
        #[cfg(target_arch = "x86_64")]
        let fits_u8 = (traced || self.kernel != Kernel::Auto)
            && wide::fits_u8(&scoring.matrix, local, local_floor);
        std::iter::successors(Some(start), |k| k.fallback()).filter(move |k| {
            k.is_available()
                && match k {
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2x32 | Kernel::Avx512x32 => simd::fits_i32(m, n, max_abs, open, ext),
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2x16 | Kernel::Avx512x16 => {
                        wide::fits_i16(m, n, max_abs, open, ext, local)
                            && local_floor < i64::from(i16::MAX)
                    }
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2x8 | Kernel::Avx512x8 => fits_u8,
                    _ => true,
                }
        })
    }
}

/// The last global alignment of a workspace: callers align a pair globally and then
/// locally (PROTEA's features), and the local score is at least the global one, so a high
/// global score says in advance that 8- or 16-bit lanes would overflow. Only the kernel choice
/// depends on it, never a result (the 8-bit kernels also detect overflow themselves).
#[derive(Debug, Default)]
pub(crate) struct GlobalHint {
    query: Vec<u8>,
    reference: Vec<u8>,
    score: Option<i32>,
}

impl GlobalHint {
    fn record(&mut self, query: &[u8], reference: &[u8], score: i32) {
        self.query.clear();
        self.query.extend_from_slice(query);
        self.reference.clear();
        self.reference.extend_from_slice(reference);
        self.score = Some(score);
    }

    /// Lower bound of the local score of this pair (0 when unknown). The workspace belongs
    /// to one aligner, so the scoring is the same.
    fn local_floor(&self, query: &[u8], reference: &[u8]) -> i64 {
        match self.score {
            Some(s) if self.query == query && self.reference == reference => i64::from(s).max(0),
            _ => 0,
        }
    }
}

/// Sequences and parameters of one alignment.
struct Job<'a> {
    query: &'a [u8],
    reference: &'a [u8],
    qc: &'a [u8],
    rc: &'a [u8],
    matrix: &'a SubstitutionMatrix,
    p: Params,
    local: bool,
    /// With traceback (else score only).
    traced: bool,
}

impl Job<'_> {
    fn too_large(&self, bytes: usize) -> AlignError {
        AlignError::TooLarge {
            query_len: self.query.len(),
            reference_len: self.reference.len(),
            bytes,
        }
    }

    /// Statistics of the traced path (`cell(i, j)` reads the table) or, score only, the
    /// score alone.
    fn finish(&self, out: kernel::KernelOut, cell: impl Fn(usize, usize) -> u8) -> AlignmentStats {
        if out.empty {
            return AlignmentStats::default();
        }
        let mut stats = if self.traced {
            traceback::walk(
                cell,
                out.end_query,
                out.end_ref,
                self.local,
                self.query,
                self.reference,
                self.qc,
                self.rc,
                self.matrix,
            )
        } else {
            AlignmentStats::default()
        };
        stats.score = to_i32(out.score);
        stats
    }
}

/// Makes `trace` at least `bytes` long (the kernels overwrite every byte they use, so a
/// longer table is not cleared); `Err(bytes)` if it cannot be allocated.
#[cfg(target_arch = "x86_64")]
fn reserve_bytes(trace: &mut Vec<u8>, bytes: usize) -> Result<(), usize> {
    if trace.len() < bytes {
        // Free the old table first: never two at once.
        *trace = Vec::new();
        trace.try_reserve_exact(bytes).map_err(|_| bytes)?;
        trace.resize(bytes, 0);
    }
    Ok(())
}

fn run_scalar(ws: &mut Workspace, job: &Job) -> Result<AlignmentStats, AlignError> {
    let m = job.query.len();
    let matrix = job.matrix;
    ws.set_query(job.qc, matrix.size(), |a, b| matrix.score_idx(a, b));
    let out = match (job.local, job.traced) {
        (true, true) | (false, true) => {
            ws.reserve_trace(m, job.reference.len())
                .map_err(|b| job.too_large(b))?;
            if job.local {
                kernel::run::<true, true>(ws, m, job.rc, job.p)
            } else {
                kernel::run::<false, true>(ws, m, job.rc, job.p)
            }
        }
        (true, false) => kernel::run::<true, false>(ws, m, job.rc, job.p),
        (false, false) => kernel::run::<false, false>(ws, m, job.rc, job.p),
    };
    let trace = &ws.trace;
    Ok(job.finish(out, |i, j| trace[j * m + i]))
}

#[cfg(target_arch = "x86_64")]
fn run_avx2_32(ws: &mut Workspace, job: &Job) -> Result<AlignmentStats, AlignError> {
    // One traceback table for every kernel: lend the shared one to the 8-lane kernel, so a
    // pair handed on from a wide kernel does not hold two tables (1.2 GB each at 35,000
    // residues).
    std::mem::swap(&mut ws.simd.trace, &mut ws.trace);
    let result = run_avx2_32_lent(ws, job);
    std::mem::swap(&mut ws.simd.trace, &mut ws.trace);
    result
}

#[cfg(target_arch = "x86_64")]
fn run_avx2_32_lent(ws: &mut Workspace, job: &Job) -> Result<AlignmentStats, AlignError> {
    let matrix = job.matrix;
    let sw = &mut ws.simd;
    sw.set_query(job.qc, matrix);
    let out = match (job.local, job.traced) {
        (_, true) => {
            sw.reserve_trace(job.reference.len())
                .map_err(|b| job.too_large(b))?;
            if job.local {
                sw.run::<true, true>(job.rc, job.p)
            } else {
                sw.run::<false, true>(job.rc, job.p)
            }
        }
        (true, false) => sw.run::<true, false>(job.rc, job.p),
        (false, false) => sw.run::<false, false>(job.rc, job.p),
    };
    let sw = &ws.simd;
    Ok(job.finish(out, |i, j| sw.trace[sw.trace_index(i, j)]))
}

/// Runs wide kernel `V`; `Ok(None)` when a 16-bit score may have overflowed.
#[cfg(target_arch = "x86_64")]
fn run_wide<V: wide::Vector>(
    w: &mut wide::WideWorkspace<V::E>,
    trace: &mut Vec<u8>,
    job: &Job,
) -> Result<Option<AlignmentStats>, AlignError> {
    let matrix = job.matrix;
    let bias = if V::BIASED { wide::bias_u8(matrix) } else { 0 };
    w.set_query(V::LANES, V::PAD, V::NEG, bias, job.qc, matrix);
    let out = if job.traced {
        let n = job.reference.len();
        let bytes = w.trace_bytes(n).ok_or(job.too_large(usize::MAX))?;
        reserve_bytes(trace, bytes).map_err(|b| job.too_large(b))?;
        if job.local {
            wide::run::<V, true, true>(w, trace, job.rc, job.p)
        } else {
            wide::run::<V, false, true>(w, trace, job.rc, job.p)
        }
    } else if job.local {
        wide::run::<V, true, false>(w, &mut [], job.rc, job.p)
    } else {
        wide::run::<V, false, false>(w, &mut [], job.rc, job.p)
    };
    Ok(out.map(|out| job.finish(out, |i, j| trace[w.trace_index(i, j)])))
}

fn compute(
    ws: &mut Workspace,
    scoring: &Scoring,
    mode: Mode,
    query: &[u8],
    reference: &[u8],
    local: bool,
    traced: bool,
) -> Result<AlignmentStats, AlignError> {
    let (m, n) = (query.len(), reference.len());
    if m == 0 || n == 0 {
        ws.last = None;
        return Ok(empty_case(scoring, m, n, local));
    }
    let matrix = &scoring.matrix;
    let qc = matrix.encode(query);
    let rc = matrix.encode(reference);
    let job = Job {
        query,
        reference,
        qc: &qc,
        rc: &rc,
        matrix,
        p: scoring.params(mode.lanes),
        local,
        traced,
    };
    let floor = if local {
        ws.hint.local_floor(query, reference)
    } else {
        0
    };
    for k in mode.plan_with(scoring, m, n, local, traced, floor) {
        let done = match k {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x32 => Some(run_avx2_32(ws, &job)?),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x16 => run_wide::<wide::Avx2I16>(&mut ws.w16, &mut ws.trace, &job)?,
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x32 => run_wide::<wide::Avx512I32>(&mut ws.w32, &mut ws.trace, &job)?,
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x16 => run_wide::<wide::Avx512I16>(&mut ws.w16, &mut ws.trace, &job)?,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x8 => run_wide::<wide::Avx2U8>(&mut ws.w8, &mut ws.trace, &job)?,
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x8 => run_wide::<wide::Avx512U8>(&mut ws.w8, &mut ws.trace, &job)?,
            _ => Some(run_scalar(ws, &job)?),
        };
        if let Some(stats) = done {
            ws.last = Some(k);
            if !local {
                ws.hint.record(query, reference, stats.score);
            }
            return Ok(stats);
        }
    }
    unreachable!("the kernel plan ends with the scalar kernel")
}

fn align(
    ws: &mut Workspace,
    scoring: &Scoring,
    mode: Mode,
    query: &[u8],
    reference: &[u8],
    local: bool,
) -> Result<AlignmentStats, AlignError> {
    compute(ws, scoring, mode, query, reference, local, true)
}

fn score_only(
    ws: &mut Workspace,
    scoring: &Scoring,
    mode: Mode,
    query: &[u8],
    reference: &[u8],
    local: bool,
) -> i32 {
    match compute(ws, scoring, mode, query, reference, local, false) {
        Ok(stats) => stats.score,
        // Score-only runs allocate no traceback table: they cannot fail.
        Err(e) => unreachable!("score-only alignment failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn scoring_validation_and_cache_tag() {
        assert_eq!(Scoring::default().cache_tag(), "10:1:blosum62");
        assert!(Scoring::new(SubstitutionMatrix::blosum62(), -1, 1).is_err());
        let bad = Scoring {
            gap_extend: -2,
            ..Scoring::default()
        };
        let mut a = Aligner::new(bad);
        let e = a.try_global("A", "A").unwrap_err();
        assert!(e.to_string().contains("extend=-2"), "{e}");
        let mut ok = Aligner::default();
        assert_eq!(ok.try_local("AW", "W").unwrap().score, 11);
        assert_eq!(ok.try_features("A", "A").unwrap().alignment_score_sw, 4);
    }

    #[test]
    fn aligner_reuse_gives_identical_results() {
        let s = Scoring::default();
        let mut a = Aligner::new(s.clone());
        let pairs = [
            ("HEAGAWGHEE", "PAWHEAE"),
            ("A", "WWWW"),
            ("MKTAYIAKQR", "MKTAYIAKQR"),
            ("", "A"),
        ];
        for _ in 0..2 {
            for (q, r) in pairs {
                assert_eq!(a.global(q, r), global(q, r, &s));
                assert_eq!(a.local(q, r), local(q, r, &s));
                assert_eq!(a.global_score(q, r), global(q, r, &s).score);
                assert_eq!(a.local_score(q, r), local(q, r, &s).score);
            }
        }
    }

    #[test]
    fn kernel_names_round_trip_and_fallbacks_end_in_scalar() {
        for k in Kernel::ALL {
            assert_eq!(Kernel::parse(k.name()), Some(k));
            assert_eq!(Kernel::parse(&k.name().to_uppercase()), Some(k));
            assert_eq!(k.to_string(), k.name());
        }
        assert_eq!(Kernel::parse("avx2"), None);
        assert_eq!(Kernel::available().last(), Some(&Kernel::Scalar));
        assert_eq!(best_kernel(), Kernel::available()[0].name());
        // Every chain ends in the scalar kernel, so every pair has a kernel.
        let s = Scoring::default();
        for k in Kernel::ALL {
            let a = Aligner::new(s.clone()).with_kernel(k);
            let plan: Vec<Kernel> = a.mode.plan(&s, 10, 10, false).collect();
            assert_eq!(plan.last(), Some(&Kernel::Scalar), "{k}");
            assert!(plan.iter().all(|k| k.is_available()));
        }
        // Other stripe widths only run on the scalar kernel.
        let a = Aligner::new(s.clone())
            .with_kernel(Kernel::Avx2x16)
            .with_lanes(4);
        assert_eq!(a.kernel_for(100, 100, true), Kernel::Scalar);
    }

    #[test]
    fn a_known_global_score_skips_8_bit_lanes() {
        let s = Scoring::default();
        let mut a = Aligner::new(s.clone()).with_kernel(Kernel::Avx2x8);
        // BLOSUM62: 8-bit lanes hold local scores up to 250 (bias 4).
        let first =
            |a: &Aligner, traced, floor| a.mode.plan_with(&s, 50, 50, true, traced, floor).next();
        if Kernel::Avx2x8.is_available() {
            assert_eq!(first(&a, true, 250), Some(Kernel::Avx2x8));
            assert_eq!(first(&a, true, 251), Some(Kernel::Avx2x16));
            assert_eq!(first(&a, true, 32_767), Some(Kernel::Avx2x32));
            // Forced: score-only too; auto: 8-bit lanes only with traceback.
            assert_eq!(first(&a, false, 0), Some(Kernel::Avx2x8));
            let auto = Aligner::new(s.clone()).with_kernel(Kernel::Auto);
            if Kernel::available()[0] == Kernel::Avx2x8 {
                assert_eq!(first(&auto, true, 0), Some(Kernel::Avx2x8));
                assert_eq!(first(&auto, false, 0), Some(Kernel::Avx2x16));
            }
        }
        let q = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ";
        assert!(a.global_score(q, q) >= 251);
        assert!(a.ws.hint.local_floor(q.as_bytes(), q.as_bytes()) >= 251);
        // Another pair, or the same one swapped, is not known.
        assert_eq!(a.ws.hint.local_floor(q.as_bytes(), b"MKT"), 0);
        let r = &q[1..];
        assert_eq!(a.ws.hint.local_floor(r.as_bytes(), q.as_bytes()), 0);
        // Negative global scores say nothing.
        a.global("WWWW", "PPPP");
        assert_eq!(a.ws.hint.local_floor(b"WWWW", b"PPPP"), 0);
    }

    #[test]
    fn a_pair_handed_on_holds_one_traceback_table() {
        // 3,000 W's score 33,000: the 16-bit kernels overflow at run time and hand the pair
        // to a 32-bit one; the kernels share one table, so memory stays one table.
        let w = "W".repeat(3000);
        for k in Kernel::available() {
            let mut a = Aligner::default().with_kernel(k);
            let nw = a.global(&w, &w);
            let sw = a.local(&w, &w);
            assert_eq!((nw.score, sw.score), (33_000, 33_000), "{k}");
            assert!(
                a.traceback_bytes() <= Aligner::traceback_bytes_needed(3000, 3000),
                "{k}: {} bytes",
                a.traceback_bytes()
            );
        }
    }

    #[test]
    fn traceback_uses_one_byte_per_cell() {
        let q = "ACDEFGHIKLMNPQRSTVWY".repeat(100);
        let r = "YWVTSRQPNMLKIHGFEDCA".repeat(75);
        let mut a = Aligner::default();
        let stats = a.global(&q, &r);
        // One byte per cell, the query rounded up to whole vectors of the kernel used.
        let lanes = a.last_kernel().unwrap().lanes();
        assert_eq!(
            a.traceback_bytes(),
            2000usize.div_ceil(lanes) * lanes * 1500
        );
        assert!(a.traceback_bytes() <= Aligner::traceback_bytes_needed(2000, 1500));
        assert_eq!(stats.length - stats.query_gaps, 2000);
        assert_eq!(stats.length - stats.reference_gaps, 1500);
        let mut ws = Workspace::default();
        assert_eq!(ws.reserve_trace(usize::MAX / 2, 4), Err(usize::MAX));
    }
}
