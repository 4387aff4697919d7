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
//! - [`Aligner::try_global_many`], [`Aligner::try_local_many`] and
//!   [`Aligner::try_global_local_many`] align many pairs per call with the same results: on
//!   CPUs with AVX-512 VBMI or AVX2 ([`batch_kernel`], [`BatchLanes`]) most of them go
//!   through the batch kernel, one pair per vector lane (`docs/align.md`, "Many pairs at
//!   once"), several times faster than one pair at a time.
//! - [`Scoring`] (matrix + gap penalties, default BLOSUM62 / 10 / 1) and
//!   [`SubstitutionMatrix`] (embedded parasail BLOSUM62, NCBI text files).
//!
//! ```
//! use homolog_align::{features, global, local, Aligner, Scoring, SubstitutionMatrix};
//!
//! // FANTASIA's and PROTEA's setting: parasail's BLOSUM62, gap open 10, extend 1.
//! let scoring = Scoring::default();
//! assert_eq!(global("HEAGAWGHEE", "PAWHEAE", &scoring).score, 3);
//! assert_eq!(local("HEAGAWGHEE", "PAWHEAE", &scoring).score, 18);
//! assert_eq!(features("HEAGAWGHEE", "PAWHEAE", &scoring).alignment_length_sw, 5);
//!
//! // Other matrices: NCBI text (here a two-letter one), custom penalties.
//! let text = "   A  W  *\nA  4 -3 -4\nW -3 11 -4\n* -4 -4  1\n";
//! let matrix = SubstitutionMatrix::from_ncbi("aw", text)?;
//! let mut aligner = Aligner::new(Scoring::new(matrix, 5, 1)?);
//! // WW matched (22), one gap of 2 in the reference: 22 - (5 + 1).
//! assert_eq!(aligner.global_score("WAAW", "WW"), 16);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
//! A one-pass traceback takes one byte per cell (`H` state in two bits, `E`/`F` open bits),
//! the query rounded up to whole vectors (8 to 64 rows): a 4,000 x 4,000 pair needs 16 MB, a
//! 35,000 x 35,000 pair 1.23 GB ([`Aligner::traceback_bytes_needed`]), one table shared by
//! all kernels (a pair handed on after an overflow reuses it). Larger pairs (more than
//! [`Traceback::AUTO_FULL_CELLS`] cells) are traced in **two passes** by default: a score
//! pass saving the kernel's column state every `k` columns, then the traceback recomputed
//! block by block from those checkpoints, right to left, with the same kernel, so the walk
//! reads the very bytes of the one-pass table (identical results by construction; tested on
//! every fixture pair and on random pairs); about `2 m sqrt(4 s n)` bytes for `s`-byte lanes
//! (35,000 x 35,000: 50 MB) for about the time of a score pass plus a one-pass traceback
//! ([`Aligner::with_traceback`] or `HOMOLOG_ALIGN_TRACEBACK=auto|full|two-pass` choose;
//! see [`Traceback`]). Score-only functions use linear memory. The
//! query profile is kept while the query and matrix stay the same (NW then SW of a pair, one
//! query against many references). `examples/align_bench.rs` prints pairs/s and GCUPS per
//! kernel and the long pair's memory; figures in `docs/align.md`.

// Source layout: the public types and functions live in `scoring`, `stats`, `matrix`,
// `error`, `functions` (one-off alignments), `aligner` and `kernel_choice` (`Kernel` and the
// plan of kernels for a pair), re-exported here. `dispatch` runs one alignment through its
// plan and `traceback` counts the statistics (`twopass`: the two-pass traceback and
// [`Traceback`]); the kernels are `kernel` (scalar, and what
// all kernels share), `simd` (AVX2 8 x 32-bit) and `wide` (16- to 64-lane AVX2/AVX-512).
mod aligner;
mod batch;
mod dispatch;
mod error;
mod functions;
mod kernel;
mod kernel_choice;
pub mod matrix;
mod scoring;
#[cfg(target_arch = "x86_64")]
mod simd;
mod stats;
mod table;
mod traceback;
mod twopass;
#[cfg(target_arch = "x86_64")]
mod wide;

pub use aligner::Aligner;
pub use batch::{batch_kernel, batch_lanes};
pub use error::{AlignError, MatrixError};
pub use functions::{features, global, global_score, local, local_score};
pub use kernel_choice::{best_kernel, BatchLanes, Kernel};
pub use matrix::SubstitutionMatrix;
pub use scoring::Scoring;
pub use stats::{AlignmentStats, PairFeatures};
pub use twopass::Traceback;

/// Stripe width of parasail's `*_striped_32` kernels on AVX2 (8 x 32-bit lanes), which the
/// tie-breaking of [`global`] and [`local`] reproduces by default.
pub const PARASAIL_LANES: usize = 8;
