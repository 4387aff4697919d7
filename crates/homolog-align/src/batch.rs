//! Many pairs at once: one pair per lane of an AVX-512 register (inter-sequence SIMD), with
//! traceback.
//!
//! The striped kernels ([`crate::wide`]) put one query's rows across the lanes; at protein
//! lengths (13 vectors of 32 rows per column for 400 residues) their per-column work (lane
//! shifts, the lazy-F loop, the stripe emulation's sweeps) dominates. Here each lane aligns
//! its own pair: the recurrence is the scalar kernel's ([`crate::kernel::run`]), cell for
//! cell, so there is no lazy-F loop, and parasail's 8-stripe rule becomes a per-row mask
//! (the rows where each lane's stripes start).
//!
//! - **Lanes**: 32 x `i16` (global and local alignments), or 64 x `u8` for local ones,
//!   unsigned and saturating with biased scores, holding `max(0, x)` of every value `x`
//!   exactly as the striped 8-bit kernels do (see "8-bit lanes" in `docs/align.md`); a pair
//!   whose column maximum reaches `255 - bias` is aligned again on 16 bits.
//! - **Scores**: every cell needs `score(query[i], reference[j])` for a different pair per
//!   lane. The substitution matrix lives in ten registers as five 128-byte pages of
//!   `128 / size` matrix columns each; a column fixes each lane's reference residue, hence
//!   its page (a mask per page) and offset, and 64 query residues (two rows of 32 lanes or
//!   one of 64) are looked up with five `vpermi2b` and four blends (AVX-512 VBMI). Matrices
//!   of at most 25 symbols with scores in `-128..=127` fit.
//! - **Streaming**: a lane that finishes its pair takes the next one at the next column,
//!   so reference lengths cost no padding; pairs are grouped by query length (rows are
//!   computed up to the group's longest query), longest reference first within a group.
//!   A group whose lanes would mostly idle is left to the per-pair kernels.
//! - **Traceback**: every column's trace bytes (the scalar kernel's byte, one per lane and
//!   row) go to a ring of as many columns as the group's longest reference; a pair is walked
//!   ([`crate::traceback`]) right after its last column, before its columns are reused.
//! - **Range**: 16-bit lanes run without overflow checks: a pair is taken only when its
//!   scores provably fit (the lower bound of the 16-bit striped kernels, and
//!   `max score x min(m, n) < 2^15` above) and its ring fits [`RING_BYTES`]. Other pairs
//!   are left to the per-pair kernels ([`crate::dispatch`]).
//!
//! Results are those of the per-pair kernels, byte for byte (`tests/parasail_parity.rs`,
//! `tests/properties.rs`).

#[cfg(all(target_arch = "x86_64", homolog_avx512))]
use std::arch::x86_64::*;

use crate::kernel::Params;
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
use crate::kernel::{DEL, DIAG, E_OPEN, F_OPEN, INS, ZERO};
use crate::traceback::{self, Seqs};
use crate::{AlignmentStats, Scoring};

/// Largest ring of traceback columns a group may hold (bytes): a pair is taken when
/// `lanes x m x n / 2` fits (32 lanes, `m` rounded up to even; 64 lanes for 8-bit ones).
pub(crate) const RING_BYTES: usize = 64 << 20;

/// Fewest pairs worth a batch: with fewer, most lanes would idle.
pub(crate) const MIN_PAIRS: usize = 12;

/// Least [`occupancy`] of a group run by the batch kernel: it computes about four lane-cells
/// in the time the per-pair kernels compute one cell.
const MIN_OCCUPANCY: f64 = 0.25;

/// Pages of the score lookup (128 table bytes each).
const PAGES: usize = 5;

/// One pair of a batch: raw residues (for identities) and symbol codes.
#[derive(Clone, Copy)]
pub(crate) struct Pair<'a> {
    pub(crate) query: &'a [u8],
    pub(crate) reference: &'a [u8],
    pub(crate) qc: &'a [u8],
    pub(crate) rc: &'a [u8],
}

/// Whether this CPU (and build) runs the batch kernel (AVX-512 F, BW, VL and VBMI), which
/// [`Aligner::try_global_many`](crate::Aligner::try_global_many) and
/// [`Aligner::try_local_many`](crate::Aligner::try_local_many) use.
pub fn batch_kernel() -> bool {
    available()
}

/// Whether this CPU (and build) runs the batch kernel.
pub(crate) fn available() -> bool {
    #[cfg(all(target_arch = "x86_64", homolog_avx512))]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512vbmi")
    }
    #[cfg(not(all(target_arch = "x86_64", homolog_avx512)))]
    {
        false
    }
}

/// Matrix columns per 128-byte page, when the matrix fits the lookup.
fn columns_per_page(scoring: &Scoring) -> Option<usize> {
    let matrix = &scoring.matrix;
    let size = matrix.size();
    if size == 0 || size > 128 {
        return None;
    }
    let per = 128 / size;
    let bytes_fit = (0..size as u8)
        .flat_map(|a| (0..size as u8).map(move |b| (a, b)))
        .all(|(a, b)| i8::try_from(matrix.score_idx(a, b)).is_ok());
    (size.div_ceil(per) <= PAGES && bytes_fit).then_some(per)
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

/// Whether a ring of `rows x n` cells of `lanes` lanes (4 bits each) fits [`RING_BYTES`].
fn ring_fits(rows: usize, n: usize, lanes: usize) -> bool {
    rows.checked_mul(n)
        .and_then(|c| c.checked_mul(lanes))
        .is_some_and(|bits4| bits4 / 2 <= RING_BYTES)
}

/// Buffers of the batch kernel, reused across calls. Every per-row vector is one 64-byte
/// block (32 x `i16` or 64 x `u8`), every per-row mask one `u64` (a bit per lane).
#[derive(Debug, Default)]
pub(crate) struct BatchWorkspace {
    /// `H` of the previous column, `E` (scoring) and `E` from the final `H` (traceback).
    h: Vec<Block>,
    e: Vec<Block>,
    ea: Vec<Block>,
    /// `E` of the next column opened here.
    ebit: Vec<u64>,
    /// A stripe of the lane's pair starts here.
    start: Vec<u64>,
    /// The row is inside the lane's query.
    valid: Vec<u64>,
    /// Query symbol codes: 64 / lanes rows per block, `lanes` bytes each.
    codes: Vec<Block>,
    /// Reference symbol codes of every lane's pair, by column slot: slot `c`, lane `l` at
    /// `c * lanes + l` (written when the lane takes the pair).
    stream: Vec<u8>,
    /// Per column slot, one bit per lane: the lane's pair ends in that column.
    ends: Vec<u64>,
    /// Traceback ring, 4 bits per cell: column slot `c`, row `r`, lane `l` in byte
    /// `(c * rows / 2 + r / 2) * lanes + l` (low nibble: even rows).
    ring: Vec<u8>,
}

#[repr(C, align(64))]
#[derive(Debug, Clone, Copy)]
struct Block([u8; 64]);

impl Default for Block {
    fn default() -> Self {
        Block([0; 64])
    }
}

impl Block {
    /// The block as 32 `i16` lanes.
    fn lanes16(&self) -> &[i16; 32] {
        // SAFETY: 64 bytes aligned to 64 are 32 aligned `i16`, and every bit pattern is one.
        unsafe { &*(self.0.as_ptr() as *const [i16; 32]) }
    }
    fn lanes16_mut(&mut self) -> &mut [i16; 32] {
        // SAFETY: as in `lanes16`, and `self` is borrowed mutably.
        unsafe { &mut *(self.0.as_mut_ptr() as *mut [i16; 32]) }
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

/// Aligns the pairs of `pairs` that the batch kernel takes (with `scoring`, `p.lanes`
/// stripes, global or `local`, with traceback) and stores their statistics in `out` (same
/// index); the others are left as they are. `global_scores` (local alignments) are the
/// pairs' global scores where known: a local score is at least as high, so pairs whose
/// global score already overflows 8-bit lanes start on 16 bits. Does nothing unless
/// [`available`] and enough pairs are taken.
pub(crate) fn align_many(
    ws: &mut BatchWorkspace,
    scoring: &Scoring,
    p: Params,
    pairs: &[Pair],
    local: bool,
    global_scores: Option<&[Option<i32>]>,
    out: &mut [Option<AlignmentStats>],
) {
    debug_assert_eq!(pairs.len(), out.len());
    let Some(per_page) = columns_per_page(scoring) else {
        return;
    };
    if !available() {
        return;
    }
    let wide: Vec<usize> = (0..pairs.len())
        .filter(|&k| takes(scoring, pairs[k].qc.len(), pairs[k].rc.len(), local))
        .collect();
    if wide.len() < MIN_PAIRS {
        return;
    }
    let matrix = &scoring.matrix;
    let bias = crate::wide::bias_u8(matrix);
    // Local pairs that 8-bit lanes may hold (their ring is twice as wide per cell).
    let (narrow, mut wide): (Vec<usize>, Vec<usize>) = wide.into_iter().partition(|&k| {
        let floor = global_scores
            .and_then(|s| s.get(k).copied().flatten())
            .map_or(0, i64::from);
        crate::wide::fits_u8(matrix, local, floor)
            && ring_fits(pairs[k].qc.len(), pairs[k].rc.len(), 64)
    });
    let job = Job {
        scoring,
        p,
        per_page,
        bias,
        pairs,
        local,
    };
    if !narrow.is_empty() {
        // Pairs whose scores left the bytes (or whose groups would idle) go on 16 bits.
        wide.extend(run_groups(ws, &job, true, narrow, out));
    }
    run_groups(ws, &job, false, wide, out);
}

/// What every group of one call shares.
struct Job<'a> {
    scoring: &'a Scoring,
    p: Params,
    per_page: usize,
    /// Added to every score of the 8-bit lanes.
    bias: i32,
    pairs: &'a [Pair<'a>],
    local: bool,
}

/// Runs the pairs `order` (indices into `job.pairs`) group by group on 8-bit (`narrow`,
/// local alignments) or 16-bit lanes; returns the pairs left undone (8-bit overflow, groups
/// that would idle).
fn run_groups(
    ws: &mut BatchWorkspace,
    job: &Job,
    narrow: bool,
    mut order: Vec<usize>,
    out: &mut [Option<AlignmentStats>],
) -> Vec<usize> {
    let pairs = job.pairs;
    let lanes = if narrow { 64 } else { 32 };
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
        if group.len() < MIN_PAIRS || occupancy(&group, pairs, lanes) < MIN_OCCUPANCY {
            // Mostly idle lanes (a few long queries): the per-pair kernels are faster.
            left.extend(group);
            continue;
        }
        #[cfg(all(target_arch = "x86_64", homolog_avx512))]
        // SAFETY: `align_many` checked the CPU features (`available`).
        unsafe {
            match (narrow, job.local) {
                (true, _) => run_u8(ws, job, &group, out, &mut left),
                (false, true) => run_i16::<true>(ws, job, &group, out, &mut left),
                (false, false) => run_i16::<false>(ws, job, &group, out, &mut left),
            }
        }
        #[cfg(not(all(target_arch = "x86_64", homolog_avx512)))]
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

/// Statistics of a finished lane's pair: the walk through the ring from its end cell.
#[allow(clippy::too_many_arguments)]
fn finish_lane(
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
    // Column j of the pair is ring slot (c0 + j) mod slots, j < n <= slots.
    let first = lane.c0 % slots;
    let cell = move |i: usize, j: usize| {
        let slot = first + j;
        let slot = if slot >= slots { slot - slots } else { slot };
        (ring[(slot * rows / 2 + i / 2) * lanes + l] >> ((i % 2) * 4)) & 0xf
    };
    let mut stats = traceback::walk(cell, end_query, end_ref, seqs);
    stats.score = score;
    stats
}

/// One kind of lane: its width, arithmetic and the shape of its score lookup and trace
/// bytes. Every method is `unsafe` (AVX-512 F, BW, VL, VBMI) and `inline(always)`, so it
/// compiles into the `target_feature` entry points ([`run_i16`], [`run_u8`]).
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
trait Lanes {
    /// Pairs per register.
    const N: usize;
    /// Rows per 64 query codes (64 / N).
    const ROWS: usize = 64 / Self::N;
    /// Minus infinity (also the floor of the value range).
    const NEG: i32;
    /// Largest value.
    const MAX: i32;
    /// Scores are stored as `s + bias` (8-bit lanes).
    const BIASED: bool;

    unsafe fn splat(x: i32) -> __m512i;
    unsafe fn subs(a: __m512i, b: __m512i) -> __m512i;
    unsafe fn max(a: __m512i, b: __m512i) -> __m512i;
    unsafe fn eq(a: __m512i, b: __m512i) -> u64;
    unsafe fn gt(a: __m512i, b: __m512i) -> u64;
    unsafe fn ge(a: __m512i, b: __m512i) -> u64;
    /// `k ? a : src`, lane by lane.
    unsafe fn mask_mov(src: __m512i, k: u64, a: __m512i) -> __m512i;
    /// `k ? max(a, b) : src`.
    unsafe fn mask_max(src: __m512i, k: u64, a: __m512i, b: __m512i) -> __m512i;
    /// Scores of row `half` (of [`Lanes::ROWS`]) from the looked-up bytes.
    unsafe fn scores(bytes: __m512i, half: usize) -> __m512i;
    /// The diagonal value `h_diag + s` (local: at least 0; 8-bit lanes: `s` biased).
    unsafe fn diag<const LOCAL: bool>(h_diag: __m512i, s: __m512i, bias: __m512i) -> __m512i;
    /// The trace bytes of one row (in the low `N` bytes): `H` state (diagonal over `F` over
    /// `E`, zero when a local diagonal value is 0), `E` bit, `F` bit.
    unsafe fn trace(diag: u64, del: u64, zero: u64, e_open: u64, f_open: u64) -> __m512i;
    /// Writes the trace of rows `2u` (low nibbles) and `2u + 1` (high nibbles): `N` bytes.
    unsafe fn store_pair(dst: *mut u8, even: __m512i, odd: __m512i);
    /// Lane `l` of a block, as a value.
    fn get(block: &Block, l: usize) -> i32;
    /// Sets lane `l` of a block to `x` (clamped to the lane range).
    fn set(block: &mut Block, l: usize, x: i64);
}

/// 32 x `i16`, saturating.
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
struct I16;

#[cfg(all(target_arch = "x86_64", homolog_avx512))]
impl Lanes for I16 {
    const N: usize = 32;
    const NEG: i32 = i16::MIN as i32;
    const MAX: i32 = i16::MAX as i32;
    const BIASED: bool = false;

    #[inline(always)]
    unsafe fn splat(x: i32) -> __m512i {
        _mm512_set1_epi16(x.clamp(Self::NEG, Self::MAX) as i16)
    }
    #[inline(always)]
    unsafe fn subs(a: __m512i, b: __m512i) -> __m512i {
        _mm512_subs_epi16(a, b)
    }
    #[inline(always)]
    unsafe fn max(a: __m512i, b: __m512i) -> __m512i {
        _mm512_max_epi16(a, b)
    }
    #[inline(always)]
    unsafe fn eq(a: __m512i, b: __m512i) -> u64 {
        u64::from(_mm512_cmpeq_epi16_mask(a, b))
    }
    #[inline(always)]
    unsafe fn gt(a: __m512i, b: __m512i) -> u64 {
        u64::from(_mm512_cmpgt_epi16_mask(a, b))
    }
    #[inline(always)]
    unsafe fn ge(a: __m512i, b: __m512i) -> u64 {
        u64::from(_mm512_cmpge_epi16_mask(a, b))
    }
    #[inline(always)]
    unsafe fn mask_mov(src: __m512i, k: u64, a: __m512i) -> __m512i {
        _mm512_mask_mov_epi16(src, k as u32, a)
    }
    #[inline(always)]
    unsafe fn mask_max(src: __m512i, k: u64, a: __m512i, b: __m512i) -> __m512i {
        _mm512_mask_max_epi16(src, k as u32, a, b)
    }
    #[inline(always)]
    unsafe fn scores(bytes: __m512i, half: usize) -> __m512i {
        if half == 0 {
            _mm512_cvtepi8_epi16(_mm512_castsi512_si256(bytes))
        } else {
            _mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64::<1>(bytes))
        }
    }
    #[inline(always)]
    unsafe fn diag<const LOCAL: bool>(h_diag: __m512i, s: __m512i, _bias: __m512i) -> __m512i {
        let hd = _mm512_adds_epi16(h_diag, s);
        if LOCAL {
            _mm512_max_epi16(hd, _mm512_setzero_si512())
        } else {
            hd
        }
    }
    #[inline(always)]
    unsafe fn trace(diag: u64, del: u64, zero: u64, e_open: u64, f_open: u64) -> __m512i {
        let b = |x: u8| _mm256_set1_epi8(x as i8);
        let mut state = _mm256_mask_mov_epi8(b(INS), del as u32, b(DEL));
        state = _mm256_mask_mov_epi8(state, diag as u32, b(DIAG));
        state = _mm256_mask_mov_epi8(state, zero as u32, b(ZERO));
        let mut bits = _mm256_maskz_mov_epi8(f_open as u32, b(F_OPEN));
        bits = _mm256_mask_add_epi8(bits, e_open as u32, bits, b(E_OPEN));
        _mm512_castsi256_si512(_mm256_or_si256(state, bits))
    }
    #[inline(always)]
    unsafe fn store_pair(dst: *mut u8, even: __m512i, odd: __m512i) {
        // Bytes below 16: a 16-bit shift moves each byte's nibble up within the byte.
        let odd = _mm256_slli_epi16::<4>(_mm512_castsi512_si256(odd));
        let packed = _mm256_or_si256(_mm512_castsi512_si256(even), odd);
        _mm256_storeu_si256(dst as *mut __m256i, packed);
    }
    fn get(block: &Block, l: usize) -> i32 {
        i32::from(block.lanes16()[l])
    }
    fn set(block: &mut Block, l: usize, x: i64) {
        block.lanes16_mut()[l] = x.clamp(i64::from(Self::NEG), i64::from(Self::MAX)) as i16;
    }
}

/// 64 x `u8`, unsigned saturating, biased scores (local alignments).
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
struct U8;

#[cfg(all(target_arch = "x86_64", homolog_avx512))]
impl Lanes for U8 {
    const N: usize = 64;
    const NEG: i32 = 0;
    const MAX: i32 = u8::MAX as i32;
    const BIASED: bool = true;

    #[inline(always)]
    unsafe fn splat(x: i32) -> __m512i {
        _mm512_set1_epi8(x.clamp(Self::NEG, Self::MAX) as u8 as i8)
    }
    #[inline(always)]
    unsafe fn subs(a: __m512i, b: __m512i) -> __m512i {
        _mm512_subs_epu8(a, b)
    }
    #[inline(always)]
    unsafe fn max(a: __m512i, b: __m512i) -> __m512i {
        _mm512_max_epu8(a, b)
    }
    #[inline(always)]
    unsafe fn eq(a: __m512i, b: __m512i) -> u64 {
        _mm512_cmpeq_epi8_mask(a, b)
    }
    #[inline(always)]
    unsafe fn gt(a: __m512i, b: __m512i) -> u64 {
        _mm512_cmpgt_epu8_mask(a, b)
    }
    #[inline(always)]
    unsafe fn ge(a: __m512i, b: __m512i) -> u64 {
        _mm512_cmpge_epu8_mask(a, b)
    }
    #[inline(always)]
    unsafe fn mask_mov(src: __m512i, k: u64, a: __m512i) -> __m512i {
        _mm512_mask_mov_epi8(src, k, a)
    }
    #[inline(always)]
    unsafe fn mask_max(src: __m512i, k: u64, a: __m512i, b: __m512i) -> __m512i {
        _mm512_mask_max_epu8(src, k, a, b)
    }
    #[inline(always)]
    unsafe fn scores(bytes: __m512i, _half: usize) -> __m512i {
        bytes
    }
    #[inline(always)]
    unsafe fn diag<const LOCAL: bool>(h_diag: __m512i, s: __m512i, bias: __m512i) -> __m512i {
        // max(0, h_diag + s): the add saturates only at 255 + min s (checked per column).
        _mm512_subs_epu8(_mm512_adds_epu8(h_diag, s), bias)
    }
    #[inline(always)]
    unsafe fn trace(diag: u64, del: u64, zero: u64, e_open: u64, f_open: u64) -> __m512i {
        let b = |x: u8| _mm512_set1_epi8(x as i8);
        let mut state = _mm512_mask_mov_epi8(b(INS), del, b(DEL));
        state = _mm512_mask_mov_epi8(state, diag, b(DIAG));
        state = _mm512_mask_mov_epi8(state, zero, b(ZERO));
        let mut bits = _mm512_maskz_mov_epi8(f_open, b(F_OPEN));
        bits = _mm512_mask_add_epi8(bits, e_open, bits, b(E_OPEN));
        _mm512_or_si512(state, bits)
    }
    #[inline(always)]
    unsafe fn store_pair(dst: *mut u8, even: __m512i, odd: __m512i) {
        // Bytes below 16: a 16-bit shift moves each byte's nibble up within the byte.
        let packed = _mm512_or_si512(even, _mm512_slli_epi16::<4>(odd));
        _mm512_storeu_si512(dst as *mut __m512i, packed);
    }
    fn get(block: &Block, l: usize) -> i32 {
        i32::from(block.0[l])
    }
    fn set(block: &mut Block, l: usize, x: i64) {
        block.0[l] = x.clamp(i64::from(Self::NEG), i64::from(Self::MAX)) as u8;
    }
}

/// Scores of 64 cells: `table[page(d)][w(d) * size + q]` for the query codes `codes` and the
/// column's per-lane reference offsets `dw` and page masks `pages` (page 0: no bit set).
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
#[inline(always)]
unsafe fn lookup(
    codes: __m512i,
    dw: __m512i,
    tabs: &[__m512i; 2 * PAGES],
    pages: &[u64; PAGES],
) -> __m512i {
    let idx = _mm512_add_epi8(codes, dw);
    let mut bytes = _mm512_permutex2var_epi8(tabs[0], idx, tabs[1]);
    for g in 1..PAGES {
        let page = _mm512_permutex2var_epi8(tabs[2 * g], idx, tabs[2 * g + 1]);
        bytes = _mm512_mask_blend_epi8(pages[g], bytes, page);
    }
    bytes
}

/// [`run_group`] on 16-bit lanes.
///
/// # Safety
/// The CPU must have AVX-512 F, BW, VL and VBMI.
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
unsafe fn run_i16<const LOCAL: bool>(
    ws: &mut BatchWorkspace,
    job: &Job,
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
    left: &mut Vec<usize>,
) {
    run_group::<I16, LOCAL>(ws, job, group, out, left)
}

/// [`run_group`] on 8-bit lanes (local alignments).
///
/// # Safety
/// The CPU must have AVX-512 F, BW, VL and VBMI.
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
unsafe fn run_u8(
    ws: &mut BatchWorkspace,
    job: &Job,
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
    left: &mut Vec<usize>,
) {
    run_group::<U8, true>(ws, job, group, out, left)
}

/// Aligns one group of pairs (indices into `job.pairs`, in the order lanes take them);
/// pairs whose 8-bit scores reached the limit go to `left`.
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
#[inline(always)]
unsafe fn run_group<L: Lanes, const LOCAL: bool>(
    ws: &mut BatchWorkspace,
    job: &Job,
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
    left: &mut Vec<usize>,
) {
    let Job {
        scoring,
        p,
        per_page,
        bias,
        pairs,
        ..
    } = *job;
    let matrix = &scoring.matrix;
    let size = matrix.size();
    let n_lanes = L::N;
    let rows = group
        .iter()
        .map(|&k| pairs[k].qc.len())
        .max()
        .unwrap_or(0)
        .next_multiple_of(2);
    let slots = group.iter().map(|&k| pairs[k].rc.len()).max().unwrap_or(0);
    let (open, ext) = (p.open, p.extend);
    let bias = if L::BIASED { bias } else { 0 };
    // 8-bit lanes: a column maximum at this value may have clipped (see `U8::diag`).
    let limit = L::MAX - bias;

    let mut neg_block = Block::default();
    for l in 0..n_lanes {
        L::set(&mut neg_block, l, i64::from(L::NEG));
    }
    ws.h.clear();
    ws.h.resize(rows, neg_block);
    ws.e.clear();
    ws.e.resize(rows, neg_block);
    ws.ea.clear();
    ws.ea.resize(rows, neg_block);
    for v in [&mut ws.ebit, &mut ws.start, &mut ws.valid] {
        v.clear();
        v.resize(rows, 0);
    }
    ws.codes.clear();
    ws.codes.resize(rows / L::ROWS, Block::default());
    ws.stream.clear();
    ws.stream.resize(slots * n_lanes, 0);
    ws.ends.clear();
    ws.ends.resize(slots, 0);
    // Two rows per byte (4-bit trace codes).
    let ring_len = slots * rows / 2 * n_lanes;
    if ws.ring.len() < ring_len {
        ws.ring.resize(ring_len, 0);
    }

    // Score pages: page `g` holds matrix columns (reference symbols) `g * per_page ..`,
    // byte `w * size + a` = score(query symbol a, reference symbol g * per_page + w)
    // (+ bias on 8-bit lanes).
    let mut table = [0u8; PAGES * 128];
    for d in 0..size {
        let (g, w) = (d / per_page, d % per_page);
        for a in 0..size {
            let s = matrix.score_idx(a as u8, d as u8) + bias;
            table[g * 128 + w * size + a] = s as u8;
        }
    }
    // Per reference symbol: its offset in its page, and the page.
    let mut offsets = Block::default();
    let mut page_of = Block::default();
    for d in 0..size {
        offsets.0[d] = ((d % per_page) * size) as u8;
        page_of.0[d] = (d / per_page) as u8;
    }
    let offsets = _mm512_load_si512(offsets.0.as_ptr() as *const __m512i);
    let page_of = _mm512_load_si512(page_of.0.as_ptr() as *const __m512i);
    let mut tabs = [_mm512_setzero_si512(); 2 * PAGES];
    for (k, v) in tabs.iter_mut().enumerate() {
        *v = _mm512_loadu_si512(table.as_ptr().add(64 * k) as *const __m512i);
    }

    let v_open = L::splat(open.clamp(0, i64::from(L::MAX)) as i32);
    let v_ext = L::splat(ext.clamp(0, i64::from(L::MAX)) as i32);
    let v_neg = L::splat(L::NEG);
    let v_zero = _mm512_setzero_si512();
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
        let bit = 1u64 << l;
        let (h0, e0) = if LOCAL {
            (0, -open)
        } else {
            (-open, -2 * open)
        };
        let cells = ws.h[..m]
            .iter_mut()
            .zip(&mut ws.e[..m])
            .zip(&mut ws.ea[..m]);
        for (r, ((h, e), ea)) in cells.enumerate() {
            // Global: a leading gap of r + 1 query residues, E one more open below it.
            let step = if LOCAL { 0 } else { ext * r as i64 };
            L::set(h, l, h0 - step);
            L::set(e, l, e0 - step);
            L::set(ea, l, e0 - step);
        }
        for ((ebit, valid), start) in ws.ebit[..m]
            .iter_mut()
            .zip(&mut ws.valid[..m])
            .zip(&mut ws.start[..m])
        {
            *ebit |= bit;
            *valid |= bit;
            *start &= !bit;
        }
        for (r, &q) in pair.qc.iter().enumerate() {
            ws.codes[r / L::ROWS].0[(r % L::ROWS) * n_lanes + l] = q;
        }
        for r in (0..m).step_by(seg) {
            ws.start[r] |= bit;
        }
        // Rows past the query only need to leave the column maxima.
        for valid in &mut ws.valid[m..] {
            *valid &= !bit;
        }
        // Its reference, column by column from `c` on (n <= slots), and its last column.
        let mut slot = c % slots;
        for &d in pair.rc {
            ws.stream[slot * n_lanes + l] = d;
            slot = if slot + 1 == slots { 0 } else { slot + 1 };
        }
        ws.ends[(c + n - 1) % slots] |= bit;
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
    let mut best_of = Block::default();
    for (l, lane) in lanes.iter_mut().enumerate() {
        if next < group.len() {
            *lane = Some(assign(ws, l, group[next], c));
            active |= 1 << l;
            next += 1;
        }
    }

    let v_one = L::splat(1);
    let v_limit = L::splat(limit);
    let v_open_neg = L::splat((-open).clamp(i64::from(L::NEG), 0) as i32);
    while active != 0 {
        // This column's reference residue per lane: page masks and offset from the stream,
        // borders from the column within the pair.
        let column = ws.stream.as_ptr().add((c % slots) * n_lanes);
        let d = if n_lanes == 32 {
            _mm512_broadcast_i64x4(_mm256_loadu_si256(column as *const __m256i))
        } else {
            _mm512_loadu_si512(column as *const __m512i)
        };
        let v_dw = _mm512_permutexvar_epi8(d, offsets);
        let page = _mm512_permutexvar_epi8(d, page_of);
        let mut pages = [0u64; PAGES];
        for (g, k) in pages.iter_mut().enumerate().skip(1) {
            *k = _mm512_cmpeq_epi8_mask(page, _mm512_set1_epi8(g as i8));
        }
        let (mut h_diag, h_up) = if LOCAL {
            (v_zero, v_zero)
        } else {
            // H(-1, j) = -open - j extend; H(-1, j - 1) feeds row 0's diagonal (0 at j = 0).
            let j = _mm512_load_si512(j_of.0.as_ptr() as *const __m512i);
            let top = _mm512_subs_epi16(v_open_neg, _mm512_mullo_epi16(j, v_ext));
            let diag = L::mask_mov(_mm512_adds_epi16(top, v_ext), L::eq(j, v_zero), v_zero);
            _mm512_store_si512(
                j_of.0.as_mut_ptr() as *mut __m512i,
                _mm512_adds_epi16(j, v_one),
            );
            (diag, top)
        };
        // `H - open` of the row above (final and first-pass H): each feeds two gaps.
        let mut h_up_open = L::subs(h_up, v_open);
        let mut hfp_up_open = v_neg;
        let mut ft = v_neg;
        let mut fp = v_neg;
        let mut col_max = v_neg;
        let ring = ws.ring.as_mut_ptr().add((c % slots) * rows / 2 * n_lanes);

        // Raw pointers, so the loop does not reload them from `ws` after each store.
        let codes = ws.codes.as_ptr() as *const __m512i;
        let starts = ws.start.as_ptr();
        let ebits = ws.ebit.as_mut_ptr();
        let valid = ws.valid.as_ptr();
        let hp = ws.h.as_mut_ptr() as *mut __m512i;
        let ep = ws.e.as_mut_ptr() as *mut __m512i;
        let eap = ws.ea.as_mut_ptr() as *mut __m512i;
        let lookup = |t: usize| lookup(_mm512_load_si512(codes.add(t)), v_dw, &tabs, &pages);
        for u in 0..rows / 2 {
            // Rows 2u and 2u + 1: one lookup of 64 codes (16-bit lanes) or two.
            let looked = if L::ROWS == 2 {
                [lookup(u), v_zero]
            } else {
                [lookup(2 * u), lookup(2 * u + 1)]
            };
            let mut traces = [v_zero; 2];
            for (half, trace) in traces.iter_mut().enumerate() {
                let r = 2 * u + half;
                let sc = if L::ROWS == 2 {
                    L::scores(looked[0], half)
                } else {
                    looked[half]
                };
                let h_left = _mm512_load_si512(hp.add(r));
                let hd = L::diag::<LOCAL>(h_diag, sc, v_bias);
                h_diag = h_left;
                // True F, from the final H above.
                let f_open = h_up_open;
                let f_ext = L::subs(ft, v_ext);
                ft = L::max(f_open, f_ext);
                let k_fopen = L::gt(f_open, f_ext);
                // Stripe-local F, from first-pass H, restarting where the lane's stripes
                // start.
                let fpn = L::max(hfp_up_open, L::subs(fp, v_ext));
                fp = L::mask_mov(fpn, *starts.add(r), fp_start);
                let e_cur = _mm512_load_si512(ep.add(r));
                let hfp = L::max(L::max(hd, e_cur), fp);
                let hv = L::max(hfp, ft);
                hfp_up_open = L::subs(hfp, v_open);
                _mm512_store_si512(ep.add(r), L::max(hfp_up_open, L::subs(e_cur, v_ext)));
                // Traceback byte: H state, E bit (from the previous column), F bit.
                let k_diag = L::eq(hv, hd);
                let k_zero = if LOCAL { k_diag & L::eq(hv, v_zero) } else { 0 };
                *trace = L::trace(k_diag, L::eq(hv, ft), k_zero, *ebits.add(r), k_fopen);
                let e_open = L::subs(hv, v_open);
                h_up_open = e_open;
                let e_ext = L::subs(_mm512_load_si512(eap.add(r)), v_ext);
                _mm512_store_si512(eap.add(r), L::max(e_open, e_ext));
                *ebits.add(r) = L::gt(e_open, e_ext);
                _mm512_store_si512(hp.add(r), hv);
                if LOCAL {
                    col_max = L::mask_max(col_max, *valid.add(r), col_max, hv);
                }
            }
            L::store_pair(ring.add(u * n_lanes), traces[0], traces[1]);
        }

        if LOCAL {
            // parasail keeps the first column whose maximum beats every earlier one, and in
            // it the first row holding that maximum.
            let best = _mm512_load_si512(best_of.0.as_ptr() as *const __m512i);
            // 8-bit lanes: the add may have clipped, 16-bit lanes redo the pair.
            let mut over = if L::BIASED {
                L::ge(col_max, v_limit) & active
            } else {
                0
            };
            let mut pending = L::gt(col_max, best) & active & !over;
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
                _mm512_store_si512(
                    best_of.0.as_mut_ptr() as *mut __m512i,
                    L::mask_mov(best, pending, col_max),
                );
                let mut bits = pending;
                while bits != 0 {
                    let l = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if let Some(lane) = &mut lanes[l] {
                        lane.best = L::get(&best_of, l);
                        lane.end_ref = c - lane.c0;
                    }
                }
            }
            let mut r = 0;
            while pending != 0 && r < rows {
                // Four rows at a time while none of them holds a pending maximum (rows is
                // even, and the valid mask keeps padding rows out).
                while r + 4 <= rows {
                    let any = (0..4).fold(0, |k, d| {
                        k | (L::eq(_mm512_load_si512(hp.add(r + d)), col_max) & ws.valid[r + d])
                    });
                    if any & pending != 0 {
                        break;
                    }
                    r += 4;
                }
                if r == rows {
                    break;
                }
                let hit = L::eq(_mm512_load_si512(hp.add(r)), col_max) & ws.valid[r] & pending;
                let mut bits = hit;
                while bits != 0 {
                    let l = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if let Some(lane) = &mut lanes[l] {
                        lane.end_query = r;
                    }
                }
                pending &= !hit;
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
            } else {
                L::get(&ws.h[lane.m - 1], l)
            };
            out[lane.pair] = Some(finish_lane(
                &ws.ring, rows, slots, n_lanes, l, &lane, score, seqs,
            ));
            active &= !(1 << l);
            free |= 1 << l;
        }
        while free != 0 && next < group.len() {
            let l = free.trailing_zeros() as usize;
            free &= free - 1;
            lanes[l] = Some(assign(ws, l, group[next], c + 1));
            next += 1;
            active |= 1 << l;
            L::set(&mut j_of, l, 0);
            L::set(&mut best_of, l, 0);
        }
        c += 1;
    }
}
