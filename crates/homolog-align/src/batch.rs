//! Many pairs at once: one pair per lane of a SIMD register (inter-sequence SIMD), with
//! traceback.
//!
//! The striped kernels ([`crate::wide`]) put one query's rows across the lanes; at protein
//! lengths (13 vectors of 32 rows per column for 400 residues) their per-column work (lane
//! shifts, the lazy-F loop, the stripe emulation's sweeps) dominates. Here each lane aligns
//! its own pair: the recurrence is the scalar kernel's ([`crate::kernel::run`]), cell for
//! cell, so there is no lazy-F loop, and parasail's 8-stripe rule becomes a per-row mask
//! (the rows where each lane's stripes start).
//!
//! - **Lanes** (one file per instruction set, [`Lanes`]): on AVX-512 (F, BW, VL, VBMI;
//!   `batch/avx512.rs`), 32 x `i16` (global and local alignments) or 64 x `u8` for local
//!   ones, unsigned and saturating with biased scores, holding `max(0, x)` of every value
//!   `x` exactly as the striped 8-bit kernels do (see "8-bit lanes" in `docs/align.md`); a
//!   pair whose column maximum reaches `255 - bias` is aligned again on 16 bits. On AVX2
//!   (`batch/avx2.rs`), 16 x `i16` and, for local alignments, 32 x `u8` by the same rules.
//!   Global alignments run on 8-bit **differences** ([`Lanes::DIFF`]), 64 x `i8` on AVX-512
//!   (after a once-per-process self-check against the per-pair kernels, `checked`) and
//!   32 x `i8` on AVX2: each value
//!   relative to a neighbouring `H`, so that the values the result depends on stay within a
//!   few gap penalties and scores of 0 however long the pair ([`differences_fit`]), and the
//!   score is the top border plus the steps down the last column.
//! - **Scores**: every cell needs `score(query[i], reference[j])` for a different pair per
//!   lane. AVX-512 looks 64 of them up at once in the substitution matrix held in registers
//!   (`vpermi2b`); AVX2 keeps a query profile per lane and transposes each column's
//!   profile columns (one per lane) into rows. Matrices of at most 25 (AVX-512) or 31 (AVX2) symbols with
//!   scores in `-128..=127` fit.
//! - **Streaming**: a lane that finishes its pair takes the next one at the next column,
//!   so reference lengths cost no padding; pairs are grouped by query length (rows are
//!   computed up to the group's longest query), longest reference first within a group.
//!   A group whose lanes would mostly idle is left to the per-pair kernels.
//! - **Traceback**: every column's trace (4 bits per lane and row: bit planes of the
//!   scalar kernel's state, `E` and `F` bits, see [`Lanes::trace`]) goes to a ring of as many
//!   columns as the group's longest reference; a pair is walked ([`crate::traceback`])
//!   right after its last column, before its columns are reused.
//! - **Range**: 16-bit lanes run without overflow checks: a pair is taken only when its
//!   scores provably fit (the lower bound of the 16-bit striped kernels, and
//!   `max score x min(m, n) < 2^15` above) and its ring fits [`RING_BYTES`]. Other pairs
//!   are left to the per-pair kernels ([`crate::dispatch`]).
//!
//! Results are those of the per-pair kernels, byte for byte (`tests/parasail_parity.rs`,
//! `tests/properties.rs`).

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
mod avx512;
#[cfg(all(test, target_arch = "x86_64"))]
mod emulated;

use crate::kernel::{Params, DEL, DIAG, INS, ZERO};
use crate::kernel_choice::Mode;
use crate::traceback::{self, Seqs};
use crate::{AlignmentStats, BatchLanes, Scoring};

/// Largest ring of traceback columns a group may hold (bytes): a pair is taken when
/// `lanes x m x n / 2` fits (32 lanes, `m` rounded up to even; 64 lanes for 8-bit ones).
pub(crate) const RING_BYTES: usize = 64 << 20;

/// Fewest pairs worth a batch: with fewer, most lanes would idle.
pub(crate) const MIN_PAIRS: usize = 12;

/// One pair of a batch: raw residues (for identities) and symbol codes.
#[derive(Clone, Copy)]
pub(crate) struct Pair<'a> {
    pub(crate) query: &'a [u8],
    pub(crate) reference: &'a [u8],
    pub(crate) qc: &'a [u8],
    pub(crate) rc: &'a [u8],
}

/// Whether this CPU (and build) runs the batch kernel (AVX-512 F, BW, VL and VBMI, or
/// AVX2), which [`Aligner::try_global_many`](crate::Aligner::try_global_many) and
/// [`Aligner::try_local_many`](crate::Aligner::try_local_many) use.
pub fn batch_kernel() -> bool {
    available()
}

/// The lanes [`BatchLanes::Auto`] runs on this CPU (and build): `"avx512"` or `"avx2"`.
pub fn batch_lanes() -> Option<&'static str> {
    engine(BatchLanes::Auto).map(|kind| match kind {
        #[cfg(all(target_arch = "x86_64", homolog_avx512))]
        Kind::Avx512U8 | Kind::Avx512I8 | Kind::Avx512I16 => "avx512",
        Kind::Avx2U8 | Kind::Avx2I8 | Kind::Avx2I16 => "avx2",
        #[cfg(test)]
        Kind::EmulatedU8 | Kind::EmulatedI8 | Kind::EmulatedI16 => "emulated",
    })
}

/// Whether this CPU (and build) runs the batch kernel.
pub(crate) fn available() -> bool {
    engine(BatchLanes::Auto).is_some()
}

/// The lane types a group runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// AVX-512: 64 x `u8` (local alignments).
    #[cfg(all(target_arch = "x86_64", homolog_avx512))]
    Avx512U8,
    /// AVX-512: 64 x `i8` differences (global alignments).
    #[cfg(all(target_arch = "x86_64", homolog_avx512))]
    Avx512I8,
    /// AVX-512: 32 x `i16`.
    #[cfg(all(target_arch = "x86_64", homolog_avx512))]
    Avx512I16,
    /// AVX2: 32 x `u8` (local alignments).
    Avx2U8,
    /// AVX2: 32 x `i8` differences (global alignments).
    Avx2I8,
    /// AVX2: 16 x `i16`.
    Avx2I16,
    /// Tests: portable lanes with the AVX-512 lanes' layout (`batch/emulated.rs`).
    #[cfg(test)]
    EmulatedU8,
    #[cfg(test)]
    EmulatedI8,
    #[cfg(test)]
    EmulatedI16,
}

impl Kind {
    fn lanes(self) -> usize {
        match self {
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kind::Avx512U8 | Kind::Avx512I8 => 64,
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kind::Avx512I16 => 32,
            Kind::Avx2U8 | Kind::Avx2I8 => 32,
            Kind::Avx2I16 => 16,
            #[cfg(test)]
            Kind::EmulatedU8 | Kind::EmulatedI8 | Kind::EmulatedI16 => 8,
        }
    }

    /// Least [`occupancy`] of a group run on these lanes: with AVX-512 they compute about
    /// four lane-cells in the time the per-pair kernels compute one cell, with AVX2 about
    /// two; AVX2's 8-bit differences about four (measured: global batch 0.68 s at 0.45,
    /// 0.61 s at 0.25, 0.62 s at 0.20; the 8-bit local lanes gain nothing below 0.45).
    fn min_occupancy(self) -> f64 {
        match self {
            Kind::Avx2U8 | Kind::Avx2I16 => 0.45,
            _ => 0.25,
        }
    }

    /// The 8-bit kind that runs `local` (or global) alignments before this 16-bit one, if
    /// any.
    fn narrow(self, local: bool) -> Option<Kind> {
        match (self, local) {
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            (Kind::Avx512I16, true) => Some(Kind::Avx512U8),
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            (Kind::Avx512I16, false) => Some(Kind::Avx512I8),
            (Kind::Avx2I16, true) => Some(Kind::Avx2U8),
            (Kind::Avx2I16, false) => Some(Kind::Avx2I8),
            #[cfg(test)]
            (Kind::EmulatedI16, true) => Some(Kind::EmulatedU8),
            #[cfg(test)]
            (Kind::EmulatedI16, false) => Some(Kind::EmulatedI8),
            _ => None,
        }
    }
}

/// The 16-bit lanes `lanes` asks for, where this CPU (and build) runs them.
fn engine(lanes: BatchLanes) -> Option<Kind> {
    if lanes == BatchLanes::Off {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[cfg(homolog_avx512)]
        if lanes == BatchLanes::Auto && avx512::available() {
            return Some(Kind::Avx512I16);
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return Some(Kind::Avx2I16);
        }
    }
    None
}

/// Whether every score of the matrix fits a signed byte (both lookups hold bytes).
fn scores_fit_i8(scoring: &Scoring) -> bool {
    let matrix = &scoring.matrix;
    let size = matrix.size() as u8;
    (0..size)
        .flat_map(|a| (0..size).map(move |b| (a, b)))
        .all(|(a, b)| i8::try_from(matrix.score_idx(a, b)).is_ok())
}

/// Whether `kind`'s score lookup holds this scoring's matrix.
fn lookup_fits(scoring: &Scoring, kind: Kind) -> bool {
    let size = scoring.matrix.size();
    let fits = match kind {
        #[cfg(all(target_arch = "x86_64", homolog_avx512))]
        Kind::Avx512U8 | Kind::Avx512I8 | Kind::Avx512I16 => {
            avx512::columns_per_page(size).is_some()
        }
        Kind::Avx2U8 | Kind::Avx2I8 | Kind::Avx2I16 => {
            (1..=usize::from(avx2::PADDING)).contains(&size)
        }
        #[cfg(test)]
        Kind::EmulatedU8 | Kind::EmulatedI8 | Kind::EmulatedI16 => true,
    };
    fits && scores_fit_i8(scoring)
}

/// Whether the 16-bit batch kernel takes an `m x n` pair with this scoring (both sides
/// non-empty, scores provably in range, ring within [`RING_BYTES`]).
pub(crate) fn takes(scoring: &Scoring, m: usize, n: usize, local: bool) -> bool {
    if m == 0 || n == 0 {
        return false;
    }
    let (open, ext) = (i64::from(scoring.gap_open), i64::from(scoring.gap_extend));
    let max_abs = scoring.matrix.max_abs_score();
    // Every value is at most the best diagonal sum.
    let high = i64::from(scoring.matrix.max_score().max(0)).saturating_mul(m.min(n) as i64);
    ring_fits(m.next_multiple_of(2), n, 32)
        && crate::wide::fits_i16(m, n, max_abs, open, ext, local)
        && high < i64::from(i16::MAX)
}

/// Whether a global alignment's difference recurrence ([`Lanes::DIFF`]) is provably exact
/// on signed bytes with this scoring, for pairs of any length.
///
/// With `S` and `s` the largest and smallest score and `0 <= extend <= open`, in the final
/// `H`: a step down a column is at least `-open` (the true F), a step along a row at least
/// `v = min(-open, s + extend)` and at most `S + open`; the first-pass `H` is at most
/// `d = S - s + open - extend` below the final one; so a step down a column is at most
/// `u = max(S - v, S + open + d)` (from the diagonal, or from an `E` that the row above's
/// first pass saw `d` lower). Two values must then be exact: `H - open` (at least
/// `s - u - open`, as `H` is at least the diagonal value `s - u`) and the row above's
/// `H - open` moved into the row's frame (at least `v - open - u`): the new step is their
/// difference. Values that may fall below the byte (`E`s, `F`s, the stripe-local `F`) only
/// meet exact values above it (the diagonal value, the first-pass and final `H`,
/// `H - open`) in maxima and comparisons, which the clipped value loses as the true one
/// does. BLOSUM62 with open 10, extend 1: lowest -65, highest 45.
pub(crate) fn differences_fit(scoring: &Scoring) -> bool {
    differences_fit_within(scoring, i64::from(i8::MIN), i64::from(i8::MAX))
}

/// [`differences_fit`] for lanes holding `min..=max`.
fn differences_fit_within(scoring: &Scoring, min: i64, max: i64) -> bool {
    let (open, ext) = (i64::from(scoring.gap_open), i64::from(scoring.gap_extend));
    let high = i64::from(scoring.matrix.max_score());
    let low = i64::from(scoring.matrix.min_score());
    let along_min = (-open).min(low + ext);
    let first_pass = high - low + open - ext;
    let down_max = (high - along_min).max(high + open + first_pass);
    let lowest = (low - down_max - open).min(along_min - open - down_max);
    (0..=open).contains(&ext) && lowest > min && down_max.max(high + open) <= max
}

/// Whether a ring of `rows x n` cells of `lanes` lanes (4 bits each) fits [`RING_BYTES`].
fn ring_fits(rows: usize, n: usize, lanes: usize) -> bool {
    rows.checked_mul(n)
        .and_then(|c| c.checked_mul(lanes))
        .is_some_and(|bits4| bits4 / 2 <= RING_BYTES)
}

/// Buffers of the batch kernel, reused across calls.
#[derive(Debug, Default)]
pub(crate) struct BatchWorkspace {
    /// One record of [`Lanes::RECORD`] bytes per row: `H` of the previous column, `E`
    /// (scoring), `E` from the final `H` (traceback) (offsets [`Lanes::H`] ..).
    rows: Vec<Block>,
    /// The rows' masks, [`Lanes::MARKS`] bytes per row: a stripe of the lane's pair starts
    /// here, the row is inside the lane's query. Apart from the records, so that a record
    /// fills whole cache lines (AVX-512: 192 bytes, not 256): every column reads and writes
    /// every record.
    marks: Vec<Block>,
    /// AVX-512: query symbol codes, 64 / lanes rows per block, `lanes` bytes each.
    codes: Vec<Block>,
    /// AVX2: query profile per lane (see `batch/avx2.rs`), the query's codes padded, and
    /// the scores of the current column, transposed into rows.
    profile: Vec<Block>,
    padded: Vec<u8>,
    column: Vec<Block>,
    /// Reference symbol codes of every lane's pair, by column slot: slot `c`, lane `l` at
    /// `c * lanes + l` (written when the lane takes the pair).
    stream: Vec<u8>,
    /// Per column slot, one bit per lane: the lane's pair ends in that column.
    ends: Vec<u64>,
    /// Traceback ring, 4 bits per cell: column slot `c`, rows `2u` and `2u + 1` in the
    /// `lanes` bytes from `(c * rows / 2 + u) * lanes` on, laid out by [`Lanes::store_pair`].
    /// The many-pair calls lend it the per-pair kernels' table ([`crate::dispatch`]).
    pub(crate) ring: Vec<u8>,
}

#[repr(C, align(64))]
#[derive(Debug, Clone, Copy)]
struct Block([u8; 64]);

impl Default for Block {
    fn default() -> Self {
        Block([0; 64])
    }
}

/// The bytes of a block buffer.
fn bytes_mut(blocks: &mut [Block]) -> &mut [u8] {
    // SAFETY: `Block` is `repr(C)` around `[u8; 64]`: the buffer is `64 * len` plain bytes.
    unsafe { std::slice::from_raw_parts_mut(blocks.as_mut_ptr() as *mut u8, blocks.len() * 64) }
}

/// Row `r` of a buffer of `width`-byte rows.
fn row_mut(blocks: &mut [Block], width: usize, r: usize) -> &mut [u8] {
    &mut bytes_mut(blocks)[r * width..(r + 1) * width]
}

/// Sets `blocks` to `rows` copies of `row`.
fn fill_rows(blocks: &mut Vec<Block>, rows: usize, row: &[u8]) {
    blocks.clear();
    blocks.resize((rows * row.len()).div_ceil(64), Block::default());
    for r in bytes_mut(blocks).chunks_exact_mut(row.len()) {
        r.copy_from_slice(row);
    }
}

/// The pair a lane is aligning.
#[derive(Debug, Clone, Copy)]
struct Lane {
    /// Index into the batch's pairs.
    pair: usize,
    /// The pair's lengths.
    m: usize,
    n: usize,
    /// Global column counter at the pair's column 0.
    c0: usize,
    /// Local alignments: best score so far (0: nothing yet) and its cell.
    best: i32,
    end_query: usize,
    end_ref: usize,
}

/// Aligns the pairs of `pairs` that the batch kernel takes (with `scoring`, the stripes
/// and batch lanes of `mode`, global or `local`, with traceback) and stores their statistics in `out` (same
/// index); the others are left as they are. `global_scores` (local alignments) are the
/// pairs' global scores where known: a local score is at least as high, so pairs whose
/// global score already overflows 8-bit lanes start on 16 bits. Does nothing unless
/// [`available`] and enough pairs are taken.
pub(crate) fn align_many(
    ws: &mut BatchWorkspace,
    scoring: &Scoring,
    mode: Mode,
    pairs: &[Pair],
    local: bool,
    global_scores: Option<&[Option<i32>]>,
    out: &mut [Option<AlignmentStats>],
) {
    debug_assert_eq!(pairs.len(), out.len());
    if let Some(kind) = engine(mode.batch) {
        align_many_on(kind, ws, scoring, mode, pairs, local, global_scores, out);
    }
}

/// [`align_many`] on the lanes of `kind` (and its 8-bit kind for local alignments).
#[allow(clippy::too_many_arguments)]
fn align_many_on(
    kind: Kind,
    ws: &mut BatchWorkspace,
    scoring: &Scoring,
    mode: Mode,
    pairs: &[Pair],
    local: bool,
    global_scores: Option<&[Option<i32>]>,
    out: &mut [Option<AlignmentStats>],
) {
    if !lookup_fits(scoring, kind) {
        return;
    }
    let mut wide: Vec<usize> = (0..pairs.len())
        .filter(|&k| takes(scoring, pairs[k].qc.len(), pairs[k].rc.len(), local))
        .collect();
    if wide.len() < MIN_PAIRS {
        return;
    }
    let matrix = &scoring.matrix;
    let job = Job {
        scoring,
        p: scoring.params(mode.lanes),
        bias: crate::wide::bias_u8(matrix),
        pairs,
        local,
        ring_room: ring_room(pairs, &wide),
    };
    if let Some(narrow_kind) = kind.narrow(local).filter(|&k| checked(k)) {
        // Pairs that 8-bit lanes may hold (their ring is twice as wide per cell): local ones
        // whose scores may stay in range, global ones where the scoring's differences fit.
        let narrow;
        let differences = !local && differences_fit(scoring);
        (narrow, wide) = wide.into_iter().partition(|&k| {
            let floor = global_scores
                .and_then(|s| s.get(k).copied().flatten())
                .map_or(0, i64::from);
            (differences || crate::wide::fits_u8(matrix, local, floor))
                && ring_fits(pairs[k].qc.len(), pairs[k].rc.len(), narrow_kind.lanes())
        });
        if !narrow.is_empty() {
            // Pairs whose scores left the bytes (or whose groups would idle) go on 16 bits.
            wide.extend(run_groups(ws, &job, narrow_kind, narrow, out));
        }
    }
    run_groups(ws, &job, kind, wide, out);
}

/// Whether `kind` may run: the AVX-512 difference lanes only where
/// [`avx512_differences_agree`], the others always.
fn checked(kind: Kind) -> bool {
    match kind {
        #[cfg(all(target_arch = "x86_64", homolog_avx512))]
        Kind::Avx512I8 => avx512_differences_agree(),
        _ => true,
    }
}

/// Whether the AVX-512 difference lanes pass [`differences_agree`], checked once per process
/// (a few milliseconds). Their logic is the one the AVX2 and the emulated difference lanes
/// run in every test, but only a CPU with AVX-512 VBMI runs these lanes' instructions; where
/// they fail, global alignments stay on the 16-bit lanes and a warning says so.
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
fn avx512_differences_agree() -> bool {
    static AGREE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AGREE.get_or_init(|| {
        // SAFETY: `run_i8` runs only where the CPU has the instructions.
        let agree = avx512::available()
            && differences_agree(Box::new(|ws, job, group, out, left| unsafe {
                avx512::run_i8(ws, job, group, out, left)
            }));
        if !agree {
            tracing::warn!(
                "the AVX-512 8-bit difference lanes disagree with the per-pair kernels on \
                 this CPU; global alignments run on 16-bit lanes (please report this)"
            );
        }
        agree
    })
}

/// Whether global alignments on the difference lanes `run` equal the per-pair kernels' on
/// fixed pairs that take the differences towards both ends of the bytes (BLOSUM62, gaps
/// 10/1): tryptophan-rich copies with long insertions and deletions, tryptophan runs against
/// acidic ones and against long proteins, and proteins with a tryptophan run inserted; 64
/// pairs, one group of the widest lanes.
#[cfg(any(test, all(target_arch = "x86_64", homolog_avx512)))]
fn differences_agree(run: Box<RunGroup>) -> bool {
    let Ok(scoring) = Scoring::new(crate::SubstitutionMatrix::blosum62(), 10, 1) else {
        return false;
    };
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut residues = |alphabet: &[u8], min: usize, spread: usize| -> Vec<u8> {
        let mut below = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let len = min + below(spread);
        (0..len).map(|_| alphabet[below(alphabet.len())]).collect()
    };
    const AMINO: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";
    let seqs: Vec<(Vec<u8>, Vec<u8>)> = (0..64)
        .map(|k| match k % 4 {
            0 => {
                let q = residues(b"WWWWCHY", 60, 150);
                let mut r = q.clone();
                let insert = residues(b"DEKR", 10, 60);
                let at = insert.len() % r.len();
                r.splice(at..at, insert);
                let (cut, gap) = (r.len() / 3, r.len() / 5);
                r.drain(cut..cut + gap);
                (q, r)
            }
            1 => (residues(b"WC", 20, 200), residues(b"DE", 20, 200)),
            2 => (residues(b"W", 1, 40), residues(AMINO, 100, 150)),
            _ => {
                let q = residues(AMINO, 100, 100);
                let mut r = q.clone();
                let w = residues(b"W", 30, 1);
                r.splice(r.len() / 2..r.len() / 2, w);
                (r, q)
            }
        })
        .collect();
    let (out, left) = global_group(&scoring, &seqs, run);
    let mut one = crate::Aligner::new(scoring.clone()).with_batch(false);
    left.is_empty()
        && seqs
            .iter()
            .zip(&out)
            .all(|((q, r), got)| *got == Some(one.global(q, r)))
}

/// Difference lanes' `run_i8` ([`avx512::run_i8`], [`avx2::run_i8`], the emulated ones).
#[cfg(any(test, all(target_arch = "x86_64", homolog_avx512)))]
type RunGroup<'r> = dyn FnOnce(&mut BatchWorkspace, &Job, &[usize], &mut [Option<AlignmentStats>], &mut Vec<usize>)
    + 'r;

/// Global alignments of `seqs` with `scoring` as one group on the lanes of `run` (however idle
/// they are): the statistics per pair, and the pairs the lanes left.
#[cfg(any(test, all(target_arch = "x86_64", homolog_avx512)))]
fn global_group(
    scoring: &Scoring,
    seqs: &[(Vec<u8>, Vec<u8>)],
    run: Box<RunGroup>,
) -> (Vec<Option<AlignmentStats>>, Vec<usize>) {
    let matrix = &scoring.matrix;
    let codes: Vec<(Vec<u8>, Vec<u8>)> = seqs
        .iter()
        .map(|(q, r)| (matrix.encode(q), matrix.encode(r)))
        .collect();
    let pairs: Vec<Pair> = seqs
        .iter()
        .zip(&codes)
        .map(|((q, r), (qc, rc))| Pair {
            query: q,
            reference: r,
            qc,
            rc,
        })
        .collect();
    let mut group: Vec<usize> = (0..pairs.len()).collect();
    let job = Job {
        scoring,
        p: scoring.params(Mode::auto().lanes),
        bias: crate::wide::bias_u8(matrix),
        pairs: &pairs,
        local: false,
        ring_room: ring_room(&pairs, &group),
    };
    group.sort_by_key(|&k| std::cmp::Reverse(pairs[k].rc.len()));
    let mut out = vec![None; pairs.len()];
    let mut left = Vec::new();
    run(
        &mut BatchWorkspace::default(),
        &job,
        &group,
        &mut out,
        &mut left,
    );
    (out, left)
}

/// What every group of one call shares.
struct Job<'a> {
    scoring: &'a Scoring,
    p: Params,
    /// Added to every score of the 8-bit lanes.
    bias: i32,
    pairs: &'a [Pair<'a>],
    local: bool,
    /// Address space the ring reserves at its first allocation: the largest ring any group
    /// of the call may need ([`ring_room`]).
    ring_room: usize,
}

/// The largest ring a group of `taken` (indices into `pairs`) may need on any lanes: its
/// longest query (rounded up to even) by its longest reference on 64 lanes, at most
/// [`RING_BYTES`]. Reserved once, so that the ring never moves as groups grow, and no more,
/// so that a call on short pairs reserves little.
fn ring_room(pairs: &[Pair], taken: &[usize]) -> usize {
    let (m, n) = taken.iter().fold((0, 0), |(m, n), &k| {
        (m.max(pairs[k].qc.len()), n.max(pairs[k].rc.len()))
    });
    (m.next_multiple_of(2).saturating_mul(n).saturating_mul(64) / 2).min(RING_BYTES)
}

/// Runs the pairs `order` (indices into `job.pairs`) group by group on lanes of `kind`;
/// returns the pairs left undone (8-bit overflow, groups that would idle).
fn run_groups(
    ws: &mut BatchWorkspace,
    job: &Job,
    kind: Kind,
    mut order: Vec<usize>,
    out: &mut [Option<AlignmentStats>],
) -> Vec<usize> {
    let pairs = job.pairs;
    let lanes = kind.lanes();
    let mut left = Vec::new();
    // By query length, then longest reference first.
    order.sort_by_key(|&k| (pairs[k].qc.len(), std::cmp::Reverse(pairs[k].rc.len())));
    let mut rest = &order[..];
    while !rest.is_empty() {
        let take = group_len(rest, pairs, lanes);
        let (group, tail) = rest.split_at(take);
        rest = tail;
        let mut group = group.to_vec();
        group.sort_by_key(|&k| std::cmp::Reverse(pairs[k].rc.len()));
        if group.len() < MIN_PAIRS || occupancy(&group, pairs, lanes) < kind.min_occupancy() {
            // Mostly idle lanes (a few long queries): the per-pair kernels are faster.
            left.extend(group);
            continue;
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `align_many` took `kind` from `engine`, which checked the CPU features.
        unsafe {
            match (kind, job.local) {
                #[cfg(homolog_avx512)]
                (Kind::Avx512U8, _) => avx512::run_u8(ws, job, &group, out, &mut left),
                #[cfg(homolog_avx512)]
                (Kind::Avx512I8, _) => avx512::run_i8(ws, job, &group, out, &mut left),
                #[cfg(homolog_avx512)]
                (Kind::Avx512I16, true) => avx512::run_i16::<true>(ws, job, &group, out, &mut left),
                #[cfg(homolog_avx512)]
                (Kind::Avx512I16, false) => {
                    avx512::run_i16::<false>(ws, job, &group, out, &mut left)
                }
                (Kind::Avx2U8, _) => avx2::run_u8(ws, job, &group, out, &mut left),
                (Kind::Avx2I8, _) => avx2::run_i8(ws, job, &group, out, &mut left),
                (Kind::Avx2I16, true) => avx2::run_i16::<true>(ws, job, &group, out, &mut left),
                (Kind::Avx2I16, false) => avx2::run_i16::<false>(ws, job, &group, out, &mut left),
                #[cfg(test)]
                (Kind::EmulatedU8, _) => emulated::run_u8(ws, job, &group, out, &mut left),
                #[cfg(test)]
                (Kind::EmulatedI8, _) => emulated::run_i8::<128>(ws, job, &group, out, &mut left),
                #[cfg(test)]
                (Kind::EmulatedI16, true) => {
                    emulated::run_i16::<true>(ws, job, &group, out, &mut left)
                }
                #[cfg(test)]
                (Kind::EmulatedI16, false) => {
                    emulated::run_i16::<false>(ws, job, &group, out, &mut left)
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        left.extend(group);
    }
    left
}

/// Share of the lane-cells of a group's run that belong to its pairs: the lanes take the
/// pairs in order as they free up, and every column computes the group's longest query.
fn occupancy(group: &[usize], pairs: &[Pair], lanes: usize) -> f64 {
    let rows = group
        .iter()
        .map(|&k| pairs[k].qc.len())
        .max()
        .unwrap_or(0)
        .next_multiple_of(2);
    let mut free_at = vec![0usize; lanes];
    for &k in group {
        let l = (0..lanes).min_by_key(|&l| free_at[l]).unwrap_or(0);
        free_at[l] += pairs[k].rc.len();
    }
    let columns = free_at.iter().copied().max().unwrap_or(0);
    let cells: usize = group
        .iter()
        .map(|&k| pairs[k].qc.len() * pairs[k].rc.len())
        .sum();
    cells as f64 / (rows * columns * lanes).max(1) as f64
}

/// How many of `sorted` (by query length) form the next group: queries at most a tenth
/// (plus 8 rows) longer than the first, or longer ones until the group has three pairs per
/// lane (so that lanes rarely idle), and a ring within [`RING_BYTES`].
fn group_len(sorted: &[usize], pairs: &[Pair], lanes: usize) -> usize {
    let m0 = pairs[sorted[0]].qc.len();
    let limit = m0 + m0 / 10 + 8;
    let mut max_n = 0;
    let mut take = 0;
    for &k in sorted {
        let (m, n) = (pairs[k].qc.len(), pairs[k].rc.len());
        let n_max = max_n.max(n);
        let padded = m > limit && take >= 3 * lanes;
        if take > 0 && (padded || !ring_fits(m.next_multiple_of(2), n_max, lanes)) {
            break;
        }
        max_n = n_max;
        take += 1;
    }
    take
}

/// Lane `l`'s pair in the traceback ring, for the walk.
#[cfg(target_arch = "x86_64")]
struct LaneCells<'a, L> {
    ring: &'a [u8],
    /// Ring slot of the pair's column 0.
    first: usize,
    slots: usize,
    column_bytes: usize,
    lanes: usize,
    l: usize,
    local: bool,
    kind: std::marker::PhantomData<L>,
}

#[cfg(target_arch = "x86_64")]
impl<L: Lanes> LaneCells<'_, L> {
    /// The bytes `store_pair` wrote for rows `i` and its pair in column `j` of the pair
    /// (ring slot `(c0 + j) mod slots`, `j < n <= slots`).
    #[inline(always)]
    fn pair(&self, i: usize, j: usize) -> &[u8] {
        let slot = self.first + j;
        let slot = if slot >= self.slots {
            slot - self.slots
        } else {
            slot
        };
        let at = slot * self.column_bytes + i / 2 * self.lanes;
        &self.ring[at..at + self.lanes]
    }
}

#[cfg(target_arch = "x86_64")]
impl<L: Lanes> traceback::Cells for LaneCells<'_, L> {
    #[inline(always)]
    fn state(&self, i: usize, j: usize) -> u8 {
        L::state(self.pair(i, j), i % 2 == 1, self.l, self.local)
    }
    #[inline(always)]
    fn e_open(&self, i: usize, j: usize) -> bool {
        let before = (j > 0).then(|| self.pair(i, j - 1));
        L::e_open(self.pair(i, j), before, i % 2 == 1, self.l)
    }
    #[inline(always)]
    fn f_open(&self, i: usize, j: usize) -> bool {
        L::f_open(self.pair(i, j), i % 2 == 1, self.l)
    }
}

/// Statistics of a finished lane's pair: the walk through the ring from its end cell.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
fn finish_lane<L: Lanes>(
    ring: &[u8],
    rows: usize,
    slots: usize,
    lanes: usize,
    l: usize,
    lane: &Lane,
    score: i32,
    seqs: Seqs,
) -> AlignmentStats {
    if seqs.local && lane.best == 0 {
        return AlignmentStats::default();
    }
    let (end_query, end_ref) = if seqs.local {
        (lane.end_query, lane.end_ref)
    } else {
        (lane.m - 1, lane.n - 1)
    };
    let cells = LaneCells::<L> {
        ring,
        first: lane.c0 % slots,
        slots,
        column_bytes: rows / 2 * lanes,
        lanes,
        l,
        local: seqs.local,
        kind: std::marker::PhantomData,
    };
    let mut stats = traceback::walk(cells, end_query, end_ref, seqs);
    stats.score = score;
    stats
}

/// One kind of lane: its register and mask types, arithmetic, score lookup and the layout
/// of its trace. Every method is `unsafe` (the instruction set of the implementing type)
/// and `inline(always)`, so it compiles into that type's `target_feature` entry points,
/// which run [`run_group`].
#[cfg(target_arch = "x86_64")]
trait Lanes {
    /// One register of [`Lanes::N`] lanes.
    type V: Copy;
    /// A comparison result, one lane each.
    type M: Copy;
    /// The trace of one row.
    type Trace: Copy;
    /// The score lookup of one group (tables built from the matrix) and of one column.
    type Lookup;
    type Column;
    /// Pairs per register.
    const N: usize;
    /// Bytes of a register, and of a mask as the per-row buffers store it.
    const BYTES: usize;
    const MASK_BYTES: usize;
    /// Offsets of a row record's fields (see [`BatchWorkspace`]) and its size.
    const H: usize = 0;
    const E: usize = Self::BYTES;
    const EA: usize = 2 * Self::BYTES;
    const RECORD: usize = 3 * Self::BYTES;
    /// Offsets of a row's masks (the valid mask only without [`Lanes::CLEAN_PADDING`]) and
    /// their size.
    const START: usize = 0;
    const VALID: usize = Self::MASK_BYTES;
    const MARKS: usize = if Self::CLEAN_PADDING {
        Self::MASK_BYTES
    } else {
        2 * Self::MASK_BYTES
    };
    /// Minus infinity (also the floor of the value range).
    const NEG: i32;
    /// Largest value.
    const MAX: i32;
    /// Scores are stored as `s + bias` (8-bit lanes).
    const BIASED: bool;
    /// Global alignments on differences (see [`run_group`]): a row's `H` field holds the
    /// step down the column, `H(i, j) - H(i - 1, j)`, and its `E` fields are relative to
    /// the row's `H` in the column they were computed in.
    const DIFF: bool = false;
    /// Rows past a lane's query score every residue at -128 and start from minus infinity
    /// when the lane takes a pair, so in a local alignment their values stay below the
    /// best score so far or the column's maximum (each is a query row's value minus a gap
    /// penalty or plus -128, or 0): the column maximum and its row need no valid mask.
    const CLEAN_PADDING: bool;

    unsafe fn zero() -> Self::V;
    unsafe fn splat(x: i32) -> Self::V;
    unsafe fn load(p: *const u8) -> Self::V;
    unsafe fn store(p: *mut u8, v: Self::V);
    unsafe fn subs(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn max(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn eq(a: Self::V, b: Self::V) -> Self::M;
    unsafe fn gt(a: Self::V, b: Self::V) -> Self::M;
    unsafe fn ge(a: Self::V, b: Self::V) -> Self::M;
    unsafe fn and(a: Self::M, b: Self::M) -> Self::M;
    unsafe fn or(a: Self::M, b: Self::M) -> Self::M;
    /// `k ? a : src`, lane by lane.
    unsafe fn mask_mov(src: Self::V, k: Self::M, a: Self::V) -> Self::V;
    /// `k ? restart : fp`: the stripe-local `F` restarts where a lane's stripe starts
    /// (`restart` is the same for every row; on 8-bit lanes it is their minimum, 0).
    #[inline(always)]
    unsafe fn restart(fp: Self::V, k: Self::M, restart: Self::V) -> Self::V {
        Self::mask_mov(fp, k, restart)
    }
    /// `k ? max(acc, v) : acc`.
    unsafe fn keep_max(acc: Self::V, k: Self::M, v: Self::V) -> Self::V;
    /// A bit per lane (lane `l`: bit `l`), and back.
    unsafe fn bits(k: Self::M) -> u64;
    unsafe fn from_bits(bits: u64) -> Self::M;
    unsafe fn load_mask(p: *const u8) -> Self::M;
    /// The diagonal value `h_diag + s` (local: at least 0; 8-bit lanes: `s` biased).
    unsafe fn diag<const LOCAL: bool>(h_diag: Self::V, s: Self::V, bias: Self::V) -> Self::V;
    /// Global alignments: the top border of the column each lane is at, `H(-1, j)`, and the
    /// diagonal value row 0 takes from it, `H(-1, j - 1)` (0 at `j = 0`), from the lanes'
    /// column numbers `j` at `j_row` (advanced by one).
    unsafe fn border(j_row: *mut u8, open_neg: Self::V, ext: Self::V) -> (Self::V, Self::V);
    /// The trace of one row: per lane, whether `H` came from the diagonal (`diag`), else
    /// from `F` (`H` is `ft`, the true `F`, not above it: the first-pass `hfp`), else from
    /// `E`; whether a local `H` is a 0 (from the diagonal); whether `E` opens in the next
    /// column (`e_open`: a column's trace holds the next one's `E` bits, so a pair's column
    /// 0 opens `E` in every row) and whether `F` opened here.
    ///
    /// Unless a lane type says otherwise, as bit planes (a bit per lane, lane `l` bit
    /// `l % 8` of byte `l / 8`), [`plane_bit`]: the diagonal, a second state plane ("from
    /// F"; local alignments: "H is 0" where diagonal), `E` and `F`.
    unsafe fn trace<const LOCAL: bool>(
        diag: Self::M,
        hfp: Self::V,
        ft: Self::V,
        h: Self::V,
        e_open: Self::M,
        f_open: Self::M,
    ) -> Self::Trace;
    unsafe fn no_trace() -> Self::Trace;
    /// Writes the trace of rows `2u` and `2u + 1`: `N` bytes.
    unsafe fn store_pair(dst: *mut u8, even: Self::Trace, odd: Self::Trace);
    /// The parts of the scalar kernel's trace byte ([`crate::kernel`]) that the walk reads
    /// one at a time, for lane `l` in the even or `odd` row of the `N` bytes `store_pair`
    /// wrote: the state bits, ...
    #[inline(always)]
    fn state(pair: &[u8], odd: bool, l: usize, local: bool) -> u8 {
        // By (local, diagonal, second plane).
        const STATES: [u8; 8] = [INS, DEL, DIAG, DIAG, INS, DEL, DIAG, ZERO];
        let bit = |plane| usize::from(plane_bit(pair, Self::N, odd, plane, l));
        STATES[(usize::from(local) << 2) | (bit(0) << 1) | bit(1)]
    }
    /// ... whether `E` opened, from the bytes of the previous column of the pair (`None`
    /// in its column 0) ...
    #[inline(always)]
    fn e_open(_pair: &[u8], before: Option<&[u8]>, odd: bool, l: usize) -> bool {
        before.is_none_or(|before| plane_bit(before, Self::N, odd, 2, l))
    }
    /// ... and whether `F` opened.
    #[inline(always)]
    fn f_open(pair: &[u8], odd: bool, l: usize) -> bool {
        plane_bit(pair, Self::N, odd, 3, l)
    }
    /// The whole trace byte (state, `E_OPEN`, `F_OPEN`), for the tests of the layouts.
    #[cfg(test)]
    fn code(pair: &[u8], before: Option<&[u8]>, odd: bool, l: usize, local: bool) -> u8 {
        use crate::kernel::{E_OPEN, F_OPEN};
        let e = Self::e_open(pair, before, odd, l);
        let f = Self::f_open(pair, odd, l);
        Self::state(pair, odd, l, local) | (u8::from(e) * E_OPEN) | (u8::from(f) * F_OPEN)
    }
    /// Lane `l` of a row, as a value; sets it to `x` (clamped to the lane range).
    fn get(row: &[u8], l: usize) -> i32;
    fn set(row: &mut [u8], l: usize, x: i64);
    /// Sets lane `l` of a stored mask.
    fn set_mask(row: &mut [u8], l: usize, on: bool);

    /// The lookup of a group of `rows` rows (buffers in `ws` sized for it).
    unsafe fn lookup(job: &Job, bias: i32, rows: usize, ws: &mut BatchWorkspace) -> Self::Lookup;
    /// Lane `l` takes a pair with query codes `qc`.
    unsafe fn set_query(lookup: &Self::Lookup, ws: &mut BatchWorkspace, l: usize, qc: &[u8]);
    /// The column whose reference code for lane `l` is `refs[l]`.
    unsafe fn column(
        lookup: &Self::Lookup,
        ws: &mut BatchWorkspace,
        refs: *const u8,
    ) -> Self::Column;
    /// Scores of rows `2u` and `2u + 1` of the column.
    unsafe fn scores(lookup: &Self::Lookup, column: &Self::Column, u: usize) -> [Self::V; 2];
}

/// Bit of lane `l` in trace plane `plane` (0: diagonal, 1: second state plane, 2: `E`, 3:
/// `F`) of the even or `odd` row, in the bytes that `store_pair` wrote for `lanes` lanes as
/// bit planes: the even row's four planes, then the odd row's, `lanes / 8` bytes each.
#[inline(always)]
fn plane_bit(pair: &[u8], lanes: usize, odd: bool, plane: usize, l: usize) -> bool {
    let at = (4 * usize::from(odd) + plane) * (lanes / 8) + l / 8;
    (pair[at] >> (l % 8)) & 1 == 1
}

/// Lane `l` of a row of `i16` lanes.
fn get_i16(row: &[u8], l: usize) -> i32 {
    i32::from(i16::from_ne_bytes([row[2 * l], row[2 * l + 1]]))
}

/// Sets bit `l` of a `u64` mask stored in the first 8 bytes of `row` (lanes whose masks are
/// bits).
#[cfg(all(target_arch = "x86_64", any(test, homolog_avx512)))]
fn set_mask_bit(row: &mut [u8], l: usize, on: bool) {
    let mut bits = u64::from_ne_bytes(row[..8].try_into().unwrap_or_default());
    if on {
        bits |= 1 << l;
    } else {
        bits &= !(1 << l);
    }
    row[..8].copy_from_slice(&bits.to_ne_bytes());
}

/// Sets lane `l` of a row of `i16` lanes to `x`, clamped.
fn set_i16(row: &mut [u8], l: usize, x: i64) {
    let x = x.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16;
    row[2 * l..2 * l + 2].copy_from_slice(&x.to_ne_bytes());
}

/// Row pairs between the prefetch of a ring line and the store of row pair `u`.
#[cfg(target_arch = "x86_64")]
const STORE_AHEAD: usize = 16;

/// Prefetches (`PREFETCHT0`) the ring line that row pair `u + STORE_AHEAD` of the column at
/// `ring` will be written to. A group's ring outgrows the caches, and a store that misses
/// holds the loop up while the line comes in; the hardware prefetchers did not fetch it in
/// time (`docs/benchmarks.md`: 3-8% faster batches, 15% on rings of 63 MB; `PREFETCHW`,
/// written as inline assembly, measured the same).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn store_ahead(ring: *mut u8, u: usize, lanes: usize) {
    let line = ring.wrapping_add((u + STORE_AHEAD) * lanes);
    // SAFETY: a prefetch reads and writes no memory, and does not fault on any address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line as *const i8)
    };
}

/// The lanes of a row (its record and its masks) that hold `col_max`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn at_max<L: Lanes>((row, marks): (*const u8, *const u8), col_max: L::V) -> L::M {
    let at = L::eq(L::load(row.add(L::H)), col_max);
    if L::CLEAN_PADDING {
        at
    } else {
        L::and(at, L::load_mask(marks.add(L::VALID)))
    }
}

/// Aligns one group of pairs (indices into `job.pairs`, in the order lanes take them);
/// pairs whose 8-bit scores reached the limit go to `left`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn run_group<L: Lanes, const LOCAL: bool>(
    ws: &mut BatchWorkspace,
    job: &Job,
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
    left: &mut Vec<usize>,
) {
    let Job {
        scoring, p, pairs, ..
    } = *job;
    let matrix = &scoring.matrix;
    let n_lanes = L::N;
    let (width, mask_width, record) = (L::BYTES, L::MASK_BYTES, L::RECORD);
    let rows = group
        .iter()
        .map(|&k| pairs[k].qc.len())
        .max()
        .unwrap_or(0)
        .next_multiple_of(2);
    let slots = group.iter().map(|&k| pairs[k].rc.len()).max().unwrap_or(0);
    let (open, ext) = (p.open, p.extend);
    let bias = if L::BIASED { job.bias } else { 0 };
    // 8-bit lanes: a column maximum at this value may have clipped (see `U8::diag`).
    let limit = L::MAX - bias;

    // Values at minus infinity, masks clear.
    let mut empty = vec![0u8; record];
    for l in 0..n_lanes {
        for at in [L::H, L::E, L::EA] {
            L::set(&mut empty[at..at + width], l, i64::from(L::NEG));
        }
    }
    fill_rows(&mut ws.rows, rows, &empty);
    fill_rows(&mut ws.marks, rows, &vec![0u8; L::MARKS]);
    ws.stream.clear();
    ws.stream.resize(slots * n_lanes, 0);
    ws.ends.clear();
    ws.ends.resize(slots, 0);
    // Two rows per byte (4 bits per cell).
    let ring_len = slots * rows / 2 * n_lanes;
    // Room for the call's largest ring at the first allocation: address space only, the
    // pages are touched as groups grow along the call, and the ring never moves. 64 bytes
    // more, so that the ring can start on a cache line: a row pair's trace of 64 lanes is
    // then one whole line.
    if crate::table::grow(&mut ws.ring, ring_len + 64, job.ring_room + 64).is_err() {
        // No memory for this group's ring: its pairs go to the per-pair kernels.
        left.extend_from_slice(group);
        return;
    }
    let skew = ws.ring.as_ptr().align_offset(64);
    let lookup = L::lookup(job, bias, rows, ws);

    let v_open = L::splat(open.clamp(0, i64::from(L::MAX)) as i32);
    let v_ext = L::splat(ext.clamp(0, i64::from(L::MAX)) as i32);
    let v_neg = L::splat(L::NEG);
    let v_zero = L::zero();
    let v_bias = L::splat(bias);
    // First-pass F at a stripe start, after its first step (see `kernel::run`).
    let fp_start = if LOCAL {
        L::splat((-open - ext).clamp(i64::from(L::NEG), 0) as i32)
    } else {
        v_neg
    };

    let mut lanes: Vec<Option<Lane>> = vec![None; n_lanes];
    let mut next = 0;
    let mut c = 0usize;

    // Column -1 of a lane's new pair (rows past its query keep what they hold: they never
    // feed rows above them).
    let assign = |ws: &mut BatchWorkspace, l: usize, k: usize, c: usize| -> Lane {
        let pair = &pairs[k];
        let (m, n) = (pair.qc.len(), pair.rc.len());
        let seg = m.div_ceil(p.lanes.max(1));
        let (h0, e0) = if LOCAL {
            (0, -open)
        } else {
            (-open, -2 * open)
        };
        let records = bytes_mut(&mut ws.rows).chunks_exact_mut(record);
        let marks = bytes_mut(&mut ws.marks).chunks_exact_mut(L::MARKS);
        // Rows to the next stripe start (a counter: `r % seg` costs a division per row).
        let mut to_start = 0;
        for (r, (row, mark)) in records.zip(marks).take(rows).enumerate() {
            if r < m {
                let start = to_start == 0;
                to_start = if start { seg - 1 } else { to_start - 1 };
                // Global: a leading gap of r + 1 query residues, E one more open below it.
                let step = if LOCAL { 0 } else { ext * r as i64 };
                let (h, e) = if L::DIFF {
                    // The steps down that border, and E an open below H.
                    (if r == 0 { -open } else { -ext }, -open)
                } else {
                    (h0 - step, e0 - step)
                };
                L::set(&mut row[L::H..L::H + width], l, h);
                L::set(&mut row[L::E..L::E + width], l, e);
                L::set(&mut row[L::EA..L::EA + width], l, e);
                L::set_mask(&mut mark[L::START..L::START + mask_width], l, start);
                if !L::CLEAN_PADDING {
                    L::set_mask(&mut mark[L::VALID..L::VALID + mask_width], l, true);
                }
            } else if L::CLEAN_PADDING {
                // Rows past the query only need to leave the column maxima.
                for at in [L::H, L::E, L::EA] {
                    L::set(&mut row[at..at + width], l, i64::from(L::NEG));
                }
            } else {
                L::set_mask(&mut mark[L::VALID..L::VALID + mask_width], l, false);
            }
        }
        // Its reference, column by column from `c` on (n <= slots), and its last column.
        let mut slot = c % slots;
        for &d in pair.rc {
            ws.stream[slot * n_lanes + l] = d;
            slot = if slot + 1 == slots { 0 } else { slot + 1 };
        }
        ws.ends[(c + n - 1) % slots] |= 1 << l;
        Lane {
            pair: k,
            m,
            n,
            c0: c,
            best: 0,
            end_query: 0,
            end_ref: 0,
        }
    };
    // Lanes with a pair; per lane (in lane elements): the column within its pair (global
    // borders) and its best local score so far.
    let mut active = 0u64;
    let mut j_of = Block::default();
    // Differences: the top border's step along the row in each lane's column (`-open` in a
    // pair's column 0, `-extend` after), less `open`.
    let mut top = Block::default();
    let v_top_open = L::splat((-ext - open).clamp(i64::from(L::NEG), 0) as i32);
    let mut best_of = Block::default();
    for (l, lane) in lanes.iter_mut().enumerate() {
        if next < group.len() {
            // (Outside `assign`: a closure does not inherit the CPU features.)
            L::set_query(&lookup, ws, l, pairs[group[next]].qc);
            *lane = Some(assign(ws, l, group[next], c));
            L::set(&mut top.0, l, -2 * open);
            active |= 1 << l;
            next += 1;
        }
    }

    let v_limit = L::splat(limit);
    let v_open_neg = L::splat((-open).clamp(i64::from(L::NEG), 0) as i32);
    while active != 0 {
        // This column's scores (each lane's reference residue from the stream), borders
        // from the column within the pair.
        let column = L::column(&lookup, ws, ws.stream.as_ptr().add((c % slots) * n_lanes));
        let (mut h_diag, h_up) = if LOCAL || L::DIFF {
            (v_zero, v_zero)
        } else {
            L::border(j_of.0.as_mut_ptr(), v_open_neg, v_ext)
        };
        // `H - open` of the row above (final and first-pass H): each feeds two gaps.
        let mut h_up_open = L::subs(h_up, v_open);
        let mut hfp_up_open = v_neg;
        let mut ft = v_neg;
        let mut fp = v_neg;
        let mut col_max = v_neg;
        let ring = ws
            .ring
            .as_mut_ptr()
            .add(skew + (c % slots) * rows / 2 * n_lanes);

        // A raw pointer, so the loop does not reload it from `ws` after each store.
        let records = ws.rows.as_mut_ptr() as *mut u8;
        let marks = ws.marks.as_ptr() as *const u8;
        if L::DIFF {
            // The same recurrence on differences: row `r`'s values relative to `H(r, j - 1)`,
            // what comes down from the row above relative to `H(r - 1, j - 1)` until it is
            // moved into row `r`'s frame by the step `H(r, j - 1) - H(r - 1, j - 1)`. Row
            // -1 is the top border: its step along the row is `-open` in a pair's column 0,
            // `-extend` after. Carried down: `H - open` of the row above, final and first
            // pass (each feeds two gaps).
            let mut h_open = L::load(top.0.as_ptr());
            L::store(top.0.as_mut_ptr(), v_top_open);
            let mut hfp_open = v_neg;
            for u in 0..rows / 2 {
                let scores = L::scores(&lookup, &column, u);
                let mut traces = [L::no_trace(); 2];
                for (half, trace) in traces.iter_mut().enumerate() {
                    let r = 2 * u + half;
                    let row = records.add(r * record);
                    let step = L::load(row.add(L::H));
                    let hd = L::subs(scores[half], step);
                    let f_ext = L::subs(ft, v_ext);
                    let k_fopen = L::gt(h_open, f_ext);
                    ft = L::subs(L::max(h_open, f_ext), step);
                    let fpn = L::max(hfp_open, L::subs(fp, v_ext));
                    fp = L::restart(
                        L::subs(fpn, step),
                        L::load_mask(marks.add(r * L::MARKS + L::START)),
                        fp_start,
                    );
                    let e_cur = L::load(row.add(L::E));
                    let hfp = L::max(L::max(hd, e_cur), fp);
                    let hv = L::max(hfp, ft);
                    let e_open = L::subs(hv, v_open);
                    // The new step down: H(r, j) - H(r - 1, j), both in row r's frame (the
                    // opens cancel).
                    L::store(row.add(L::H), L::subs(e_open, L::subs(h_open, step)));
                    hfp_open = L::subs(hfp, v_open);
                    let e_next = L::max(hfp_open, L::subs(e_cur, v_ext));
                    L::store(row.add(L::E), L::subs(e_next, hv));
                    let e_ext = L::subs(L::load(row.add(L::EA)), v_ext);
                    L::store(row.add(L::EA), L::subs(L::max(e_open, e_ext), hv));
                    let e_bit = L::gt(e_open, e_ext);
                    *trace = L::trace::<false>(L::eq(hv, hd), hfp, ft, hv, e_bit, k_fopen);
                    h_open = e_open;
                }
                store_ahead(ring, u, n_lanes);
                L::store_pair(ring.add(u * n_lanes), traces[0], traces[1]);
            }
        } else {
            for u in 0..rows / 2 {
                let scores = L::scores(&lookup, &column, u);
                let mut traces = [L::no_trace(); 2];
                for (half, trace) in traces.iter_mut().enumerate() {
                    let r = 2 * u + half;
                    let row = records.add(r * record);
                    let h_left = L::load(row.add(L::H));
                    let hd = L::diag::<LOCAL>(h_diag, scores[half], v_bias);
                    h_diag = h_left;
                    // True F, from the final H above.
                    let f_open = h_up_open;
                    let f_ext = L::subs(ft, v_ext);
                    ft = L::max(f_open, f_ext);
                    let k_fopen = L::gt(f_open, f_ext);
                    // Stripe-local F, from first-pass H, restarting where the lane's stripes
                    // start.
                    let fpn = L::max(hfp_up_open, L::subs(fp, v_ext));
                    let mark = marks.add(r * L::MARKS);
                    fp = L::restart(fpn, L::load_mask(mark.add(L::START)), fp_start);
                    let e_cur = L::load(row.add(L::E));
                    let hfp = L::max(L::max(hd, e_cur), fp);
                    let hv = L::max(hfp, ft);
                    hfp_up_open = L::subs(hfp, v_open);
                    L::store(row.add(L::E), L::max(hfp_up_open, L::subs(e_cur, v_ext)));
                    let e_open = L::subs(hv, v_open);
                    h_up_open = e_open;
                    let e_ext = L::subs(L::load(row.add(L::EA)), v_ext);
                    L::store(row.add(L::EA), L::max(e_open, e_ext));
                    // Traceback: H state, F bit, and the E bit of the next column.
                    let e_next = L::gt(e_open, e_ext);
                    *trace = L::trace::<LOCAL>(L::eq(hv, hd), hfp, ft, hv, e_next, k_fopen);
                    L::store(row.add(L::H), hv);
                    if LOCAL && L::CLEAN_PADDING {
                        col_max = L::max(col_max, hv);
                    } else if LOCAL {
                        col_max = L::keep_max(col_max, L::load_mask(mark.add(L::VALID)), hv);
                    }
                }
                store_ahead(ring, u, n_lanes);
                L::store_pair(ring.add(u * n_lanes), traces[0], traces[1]);
            }
        }

        if LOCAL {
            // parasail keeps the first column whose maximum beats every earlier one, and in
            // it the first row holding that maximum.
            let best = L::load(best_of.0.as_ptr());
            // 8-bit lanes: the add may have clipped, 16-bit lanes redo the pair.
            let mut over = if L::BIASED {
                L::bits(L::ge(col_max, v_limit)) & active
            } else {
                0
            };
            let mut pending = L::bits(L::gt(col_max, best)) & active & !over;
            while over != 0 {
                let l = over.trailing_zeros() as usize;
                over &= over - 1;
                if let Some(lane) = lanes[l].take() {
                    left.push(lane.pair);
                    ws.ends[(lane.c0 + lane.n - 1) % slots] &= !(1 << l);
                    active &= !(1 << l);
                }
            }
            if pending != 0 {
                L::store(
                    best_of.0.as_mut_ptr(),
                    L::mask_mov(best, L::from_bits(pending), col_max),
                );
                let mut bits = pending;
                while bits != 0 {
                    let l = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if let Some(lane) = &mut lanes[l] {
                        lane.best = L::get(&best_of.0, l);
                        lane.end_ref = c - lane.c0;
                    }
                }
            }
            // Rows of a lane's maximum (the valid mask keeps padding rows out).
            let hit = |r: usize| {
                (
                    records.add(r * record) as *const u8,
                    marks.add(r * L::MARKS),
                )
            };
            let mut r = 0;
            while pending != 0 && r < rows {
                // Four rows at a time while none of them holds a pending maximum (rows is
                // even).
                while r + 4 <= rows {
                    let any = L::or(
                        L::or(
                            at_max::<L>(hit(r), col_max),
                            at_max::<L>(hit(r + 1), col_max),
                        ),
                        L::or(
                            at_max::<L>(hit(r + 2), col_max),
                            at_max::<L>(hit(r + 3), col_max),
                        ),
                    );
                    if L::bits(any) & pending != 0 {
                        break;
                    }
                    r += 4;
                }
                if r == rows {
                    break;
                }
                let found = L::bits(at_max::<L>(hit(r), col_max)) & pending;
                let mut bits = found;
                while bits != 0 {
                    let l = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if let Some(lane) = &mut lanes[l] {
                        lane.end_query = r;
                    }
                }
                pending &= !found;
                r += 1;
            }
        }

        // Lanes at their pair's last column (or given up above): walk, store, take the
        // next pair.
        let slot = c % slots;
        let mut ending = ws.ends[slot] & active;
        ws.ends[slot] &= !ending;
        let mut free = !active & (u64::MAX >> (64 - n_lanes));
        while ending != 0 {
            let l = ending.trailing_zeros() as usize;
            ending &= ending - 1;
            let Some(lane) = lanes[l].take() else {
                continue;
            };
            let pair = &pairs[lane.pair];
            let seqs = Seqs {
                query: pair.query,
                reference: pair.reference,
                qc: pair.qc,
                rc: pair.rc,
                matrix,
                local: LOCAL,
            };
            let score = if LOCAL {
                lane.best
            } else if L::DIFF {
                // The top border's H at the last column, then the steps down to the last row.
                let border = -open - ext * (lane.n as i64 - 1);
                let steps: i64 = (0..lane.m)
                    .map(|r| i64::from(L::get(&row_mut(&mut ws.rows, record, r)[L::H..], l)))
                    .sum();
                (border + steps) as i32
            } else {
                L::get(&row_mut(&mut ws.rows, record, lane.m - 1)[L::H..], l)
            };
            out[lane.pair] = Some(finish_lane::<L>(
                &ws.ring[skew..],
                rows,
                slots,
                n_lanes,
                l,
                &lane,
                score,
                seqs,
            ));
            active &= !(1 << l);
            free |= 1 << l;
        }
        while free != 0 && next < group.len() {
            let l = free.trailing_zeros() as usize;
            free &= free - 1;
            L::set_query(&lookup, ws, l, pairs[group[next]].qc);
            lanes[l] = Some(assign(ws, l, group[next], c + 1));
            next += 1;
            active |= 1 << l;
            L::set(&mut j_of.0, l, 0);
            L::set(&mut top.0, l, -2 * open);
            L::set(&mut best_of.0, l, 0);
        }
        c += 1;
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::{Aligner, SubstitutionMatrix};

    /// A small deterministic generator (xorshift), so the pairs need no dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
        /// A random protein of `min` to `min + spread - 1` residues.
        fn protein(&mut self, min: usize, spread: usize) -> Vec<u8> {
            self.residues(b"ACDEFGHIKLMNPQRSTVWY", min, spread)
        }
        /// As [`Rng::protein`], from `alphabet` only.
        fn residues(&mut self, alphabet: &[u8], min: usize, spread: usize) -> Vec<u8> {
            let len = min + self.below(spread);
            (0..len)
                .map(|_| alphabet[self.below(alphabet.len())])
                .collect()
        }
        /// `seq` with about one residue in `every` substituted, deleted or doubled.
        fn mutate(&mut self, seq: &[u8], every: usize) -> Vec<u8> {
            let mut out = Vec::with_capacity(seq.len() + 8);
            for &c in seq {
                match self.below(every.max(1) * 3) {
                    0 => out.push(b"ACDEFGHIKLMNPQRSTVWY"[self.below(20)]),
                    1 => {}
                    2 => out.extend([c, c]),
                    _ => out.push(c),
                }
            }
            out
        }
    }

    /// Random, related, identical (8-bit overflow), tiny and very different-length pairs.
    fn pairs(rng: &mut Rng, count: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..count)
            .map(|k| match k % 5 {
                0 => (rng.protein(1, 180), rng.protein(1, 180)),
                1 => {
                    let q = rng.protein(20, 160);
                    let r = rng.mutate(&q, 4);
                    (q, r)
                }
                2 => {
                    let q = rng.protein(60, 100);
                    (q.clone(), q)
                }
                3 => (rng.protein(1, 4), rng.protein(1, 30)),
                _ => (rng.protein(5, 20), rng.protein(150, 100)),
            })
            .collect()
    }

    #[test]
    fn the_ring_reserves_what_the_call_may_need() {
        fn pair<'a>(q: &'a [u8], r: &'a [u8]) -> Pair<'a> {
            Pair {
                query: q,
                reference: r,
                qc: q,
                rc: r,
            }
        }
        let (short, long) = (vec![1u8; 101], vec![2u8; 3000]);
        let pairs = [
            pair(&short, &long[..150]),
            pair(&long[..40], &short),
            pair(&long, &long),
        ];
        // The longest query (101, rounded to 102) by the longest reference (150), 64 lanes.
        assert_eq!(ring_room(&pairs, &[0, 1]), 102 * 150 * 32);
        assert_eq!(ring_room(&pairs, &[0, 1, 2]), RING_BYTES);
        assert_eq!(ring_room(&pairs, &[]), 0);
    }

    /// The scorings whose differences fit a byte, and those left to 16-bit lanes.
    #[test]
    fn differences_fit_bounds_the_scoring() {
        let blosum = |open, ext| Scoring::new(SubstitutionMatrix::blosum62(), open, ext).unwrap();
        for (open, ext, fits) in [
            (10, 1, true),
            (25, 1, true),
            (26, 1, false),
            (33, 33, true),
            (34, 34, false),
            (5, 6, false),
            (40, 2, false),
        ] {
            assert_eq!(differences_fit(&blosum(open, ext)), fits, "{open}/{ext}");
        }
    }

    /// Pairs that push the differences towards the ends of a byte: runs of the highest
    /// scores (W), long insertions and deletions, residues that score the lowest against
    /// each other, and very different lengths.
    fn extreme_pairs(rng: &mut Rng, count: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..count)
            .map(|k| match k % 4 {
                0 => {
                    let q = rng.residues(b"WWWWCHY", 60, 150);
                    let mut r = q.clone();
                    let at = rng.below(r.len());
                    let insert = rng.residues(b"DEKR", 10, 60);
                    r.splice(at..at, insert);
                    let cut = rng.below(r.len() / 2);
                    r.drain(cut..cut + rng.below(40).min(r.len() - cut));
                    (q, r)
                }
                1 => (rng.residues(b"WC", 20, 200), rng.residues(b"DE", 20, 200)),
                2 => {
                    let q = rng.residues(b"W", 1, 40);
                    (q, rng.protein(100, 150))
                }
                _ => {
                    let q = rng.protein(100, 100);
                    let mut r = rng.mutate(&q, 3);
                    let insert = rng.residues(b"W", 30, 1);
                    r.splice(r.len() / 2..r.len() / 2, insert);
                    (r, q)
                }
            })
            .collect()
    }

    /// The symbol codes of `seqs` in `matrix`.
    fn encode(seqs: &[(Vec<u8>, Vec<u8>)], matrix: &SubstitutionMatrix) -> Vec<(Vec<u8>, Vec<u8>)> {
        seqs.iter()
            .map(|(q, r)| (matrix.encode(q), matrix.encode(r)))
            .collect()
    }

    /// The batch kernel's pairs of `seqs` with their `codes`.
    fn batch_pairs<'a>(
        seqs: &'a [(Vec<u8>, Vec<u8>)],
        codes: &'a [(Vec<u8>, Vec<u8>)],
    ) -> Vec<Pair<'a>> {
        seqs.iter()
            .zip(codes)
            .map(|((q, r), (qc, rc))| Pair {
                query: q,
                reference: r,
                qc,
                rc,
            })
            .collect()
    }

    /// Difference lanes a test runs: the AVX2 ones, or emulated ones over `-range..range`.
    #[derive(Clone, Copy, Debug)]
    enum DiffLanes {
        #[cfg(all(target_arch = "x86_64", homolog_avx512))]
        Avx512,
        Avx2,
        Emulated(i32),
    }

    /// Aligns `count` extreme pairs globally with `scoring` on `lanes` (all pairs in one
    /// group, however idle its lanes) and checks every result against the per-pair kernels.
    fn check_differences(rng: &mut Rng, scoring: &Scoring, lanes: DiffLanes, count: usize) {
        let seqs = extreme_pairs(rng, count);
        let run: Box<RunGroup> = match lanes {
            // SAFETY: the caller runs AVX-512 lanes only where the CPU has them.
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            DiffLanes::Avx512 => Box::new(|w, j, g, o, l| unsafe { avx512::run_i8(w, j, g, o, l) }),
            // SAFETY: the caller runs AVX2 lanes only where the CPU has AVX2.
            DiffLanes::Avx2 => Box::new(|w, j, g, o, l| unsafe { avx2::run_i8(w, j, g, o, l) }),
            DiffLanes::Emulated(128) => Box::new(emulated::run_i8::<128>),
            DiffLanes::Emulated(64) => Box::new(emulated::run_i8::<64>),
            DiffLanes::Emulated(range) => panic!("no emulated lanes over {range}"),
        };
        let (out, left) = global_group(scoring, &seqs, run);
        assert!(left.is_empty(), "{lanes:?} left {left:?}");
        let mut one = Aligner::new(scoring.clone()).with_batch(false);
        for ((q, r), got) in seqs.iter().zip(&out) {
            assert_eq!(
                got.unwrap_or_default(),
                one.global(q, r),
                "{lanes:?}, open {} extend {}: {} vs {}",
                scoring.gap_open,
                scoring.gap_extend,
                String::from_utf8_lossy(q),
                String::from_utf8_lossy(r)
            );
        }
    }

    /// Global alignments on 8-bit differences (AVX2 and AVX-512 lanes where the CPU has them,
    /// emulated ones everywhere) equal the per-pair kernels on extreme pairs, with scorings at the
    /// edge of [`differences_fit`]: BLOSUM62, and PAM250 (scores -8..=17) and BLOSUM45
    /// from the data folder.
    #[test]
    fn difference_lanes_equal_the_per_pair_kernels() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut lanes = vec![DiffLanes::Emulated(128)];
        if std::arch::is_x86_feature_detected!("avx2") {
            lanes.push(DiffLanes::Avx2);
        }
        #[cfg(all(target_arch = "x86_64", homolog_avx512))]
        if avx512::available() {
            lanes.push(DiffLanes::Avx512);
        }
        let blosum62 = SubstitutionMatrix::blosum62();
        let mut scorings: Vec<(&str, SubstitutionMatrix, i32, i32)> =
            [(10, 1), (25, 1), (33, 33), (3, 0), (0, 0)]
                .map(|(open, ext)| ("BLOSUM62", blosum62.clone(), open, ext))
                .into();
        for (name, gaps) in [
            ("PAM250", [(10, 1), (21, 1)]),
            ("BLOSUM45", [(10, 1), (23, 1)]),
        ] {
            if let Some(path) = homolog_testkit::data_file(&format!("matrices/{name}")) {
                let matrix = SubstitutionMatrix::from_ncbi_file(&path).unwrap();
                scorings.extend(gaps.map(|(open, ext)| (name, matrix.clone(), open, ext)));
            }
        }
        for (name, matrix, open, ext) in scorings {
            let scoring = Scoring::new(matrix, open, ext).unwrap();
            assert!(differences_fit(&scoring), "{name} {open}/{ext}");
            for &lanes in &lanes {
                check_differences(&mut rng, &scoring, lanes, 96);
            }
        }
    }

    /// The AVX-512 lanes' self-check passes lanes that are exact (the emulated ones over the
    /// bytes, and AVX2's where the CPU has it) and fails lanes that are not: emulated lanes
    /// over `-24..24`, which its pairs' values leave (over `-32..32` the results still come
    /// out exact on these pairs).
    #[test]
    fn the_difference_self_check_tells_exact_lanes_from_clipping_ones() {
        assert!(differences_agree(Box::new(emulated::run_i8::<128>)));
        assert!(!differences_agree(Box::new(emulated::run_i8::<24>)));
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked above).
            assert!(differences_agree(Box::new(|w, j, g, o, l| unsafe {
                avx2::run_i8(w, j, g, o, l)
            })));
        }
        #[cfg(all(target_arch = "x86_64", homolog_avx512))]
        assert_eq!(avx512_differences_agree(), avx512::available());
    }

    /// The bound's argument where values do leave the lanes' range: on emulated lanes over
    /// `-64..64`, scorings at the edge of [`differences_fit_within`] for that range clip
    /// values (the `F`s and `E`s the argument lets fall out) and still give the per-pair
    /// kernels' results; one step past the edge they do not.
    #[test]
    fn clipped_differences_stay_exact_within_the_bound() {
        let mut rng = Rng(0x5851_f42d_4c95_7f2d);
        let blosum62 = SubstitutionMatrix::blosum62();
        for (open, ext) in [(9, 1), (12, 12), (6, 3)] {
            let scoring = Scoring::new(blosum62.clone(), open, ext).unwrap();
            assert!(differences_fit_within(&scoring, -64, 63), "{open}/{ext}");
            let before = emulated::clipped();
            check_differences(&mut rng, &scoring, DiffLanes::Emulated(64), 160);
            assert!(
                emulated::clipped() > before,
                "{open}/{ext}: nothing clipped"
            );
        }
        for (open, ext) in [(10, 1), (13, 13)] {
            let scoring = Scoring::new(blosum62.clone(), open, ext).unwrap();
            assert!(!differences_fit_within(&scoring, -64, 63), "{open}/{ext}");
        }
    }

    /// The generic loop's AVX-512 paths (`u64` masks, valid masks, bit-plane traces,
    /// biased 8-bit lanes handing pairs on to 16 bits) and its 8-bit differences, on
    /// emulated lanes, give the per-pair kernels' statistics, global and local, under three
    /// gap penalties (one beyond the differences' bound) and two stripe widths.
    #[test]
    fn emulated_lanes_equal_the_per_pair_kernels() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let blosum = Scoring::default();
        let cheap_gaps = Scoring::new(SubstitutionMatrix::blosum62(), 5, 2).unwrap();
        // Beyond the 8-bit differences' bound: global pairs on 16-bit lanes.
        let dear_gaps = Scoring::new(SubstitutionMatrix::blosum62(), 40, 2).unwrap();
        for (scoring, stripes) in [
            (blosum.clone(), 8),
            (cheap_gaps, 8),
            (blosum, 1),
            (dear_gaps, 8),
        ] {
            let seqs = pairs(&mut rng, 150);
            let mode = Mode {
                lanes: stripes,
                ..Mode::auto()
            };
            let matrix = &scoring.matrix;
            let codes = encode(&seqs, matrix);
            let batch = batch_pairs(&seqs, &codes);
            let mut one = Aligner::new(scoring.clone())
                .with_lanes(stripes)
                .with_batch(false);
            for local in [false, true] {
                let mut out = vec![None; batch.len()];
                let mut ws = BatchWorkspace::default();
                align_many_on(
                    Kind::EmulatedI16,
                    &mut ws,
                    &scoring,
                    mode,
                    &batch,
                    local,
                    None,
                    &mut out,
                );
                let taken = out.iter().filter(|s| s.is_some()).count();
                assert!(taken * 2 > batch.len(), "only {taken} pairs taken");
                for ((q, r), got) in seqs.iter().zip(&out) {
                    let Some(got) = got else { continue };
                    let want = if local {
                        one.local(q, r)
                    } else {
                        one.global(q, r)
                    };
                    assert_eq!(
                        *got,
                        want,
                        "local {local}, {} x {}: {} vs {}",
                        q.len(),
                        r.len(),
                        String::from_utf8_lossy(q),
                        String::from_utf8_lossy(r)
                    );
                }
            }
        }
    }
}
