//! Many pairs at once: one pair per 16-bit lane of an AVX-512 register (inter-sequence
//! SIMD), with traceback.
//!
//! The striped kernels ([`crate::wide`]) put one query's rows across the lanes; at protein
//! lengths (13 vectors of 32 rows per column for 400 residues) their per-column work (lane
//! shifts, the lazy-F loop, the stripe emulation's sweeps) dominates. Here each of the 32
//! lanes aligns its own pair: the recurrence is the scalar kernel's ([`crate::kernel::run`]),
//! cell for cell, so there is no lazy-F loop, and parasail's 8-stripe rule becomes a
//! per-row mask (the rows where each lane's stripes start).
//!
//! - **Scores**: every cell needs `score(query[i], reference[j])` for a different pair per
//!   lane. The substitution matrix lives in ten registers as five 128-byte pages of
//!   `128 / size` matrix rows each, indexed by the reference residue; a column fixes each
//!   lane's reference residue, hence its page (a mask per page) and row offset, and two
//!   rows of query residues (64 bytes) are looked up with five `vpermi2b` and four blends
//!   (AVX-512 VBMI). Matrices of at most 25 symbols with scores in `-128..=127` fit.
//! - **Streaming**: a lane that finishes its pair takes the next one at the next column,
//!   so reference lengths cost no padding; pairs are grouped by query length (rows are
//!   computed up to the group's longest query), longest reference first within a group.
//! - **Traceback**: every column's trace bytes (the scalar kernel's byte, 32 lanes per row)
//!   go to a ring of as many columns as the group's longest reference; a pair is walked
//!   ([`crate::traceback`]) right after its last column, before its columns are reused.
//! - **Range**: 16-bit lanes without run-time overflow checks: a pair is taken only when
//!   its scores provably fit (the same lower bound as the 16-bit striped kernels, and
//!   `max score x min(m, n) < 2^15` above) and its ring fits [`RING_BYTES`]. Other pairs
//!   are left to the per-pair kernels ([`crate::dispatch`]).
//!
//! Results are those of the per-pair kernels, byte for byte (`tests/parasail_parity.rs`,
//! `tests/properties.rs`).

#[cfg(all(target_arch = "x86_64", homolog_avx512))]
use std::arch::x86_64::*;

use crate::kernel::{Params, DEL, DIAG, E_OPEN, F_OPEN, INS, ZERO};
use crate::traceback::{self, Seqs};
use crate::{AlignmentStats, Scoring};

/// Lanes (pairs) per register.
pub(crate) const LANES: usize = 32;

/// Largest ring of traceback columns a group may hold (bytes): a pair is taken when
/// `32 x m x n` (`m` rounded up to even) fits.
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

/// Matrix rows per 128-byte page, when the matrix fits the lookup.
fn rows_per_page(scoring: &Scoring) -> Option<usize> {
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

/// Whether the batch kernel takes an `m x n` pair with this scoring (both sides non-empty,
/// 16-bit scores provably in range, ring within [`RING_BYTES`]).
pub(crate) fn takes(scoring: &Scoring, m: usize, n: usize, local: bool) -> bool {
    if m == 0 || n == 0 {
        return false;
    }
    let ring = m
        .next_multiple_of(2)
        .checked_mul(n)
        .and_then(|c| c.checked_mul(LANES));
    let (open, ext) = (i64::from(scoring.gap_open), i64::from(scoring.gap_extend));
    let max_abs = scoring.matrix.max_abs_score();
    // Every value is at most the best diagonal sum.
    let high = i64::from(scoring.matrix.max_score().max(0)).saturating_mul(m.min(n) as i64);
    ring.is_some_and(|b| b <= RING_BYTES)
        && crate::wide::fits_i16(m, n, max_abs, open, ext, local)
        && high < i64::from(i16::MAX)
}

/// Buffers of the batch kernel, reused across calls.
#[derive(Debug, Default)]
pub(crate) struct BatchWorkspace {
    /// `H` of the previous column, `E` (scoring) and `E` from the final `H` (traceback), per
    /// row, one vector of 32 lanes each.
    h: Vec<Lanes16>,
    e: Vec<Lanes16>,
    ea: Vec<Lanes16>,
    /// Per row, one bit per lane: `E` of the next column opened here.
    ebit: Vec<u32>,
    /// Per row, one bit per lane: a stripe of the lane's pair starts here.
    start: Vec<u32>,
    /// Per row, one bit per lane: the row is inside the lane's query.
    valid: Vec<u32>,
    /// Query symbol codes of rows `2t` (bytes 0-31) and `2t + 1` (32-63), per lane.
    codes: Vec<Codes>,
    /// Traceback ring: column slot `c`, row `r`, lane `l` at `(c * rows + r) * 32 + l`.
    ring: Vec<u8>,
}

#[repr(C, align(64))]
#[derive(Debug, Clone, Copy, Default)]
struct Lanes16([i16; LANES]);

#[repr(C, align(64))]
#[derive(Debug, Clone, Copy)]
struct Codes([u8; 2 * LANES]);

impl Default for Codes {
    fn default() -> Self {
        Codes([0; 2 * LANES])
    }
}

/// The pair a lane is aligning.
#[derive(Debug, Clone, Copy)]
struct Lane {
    /// Index into the batch's pairs.
    pair: usize,
    /// Current column (reference position) and the pair's lengths.
    j: usize,
    m: usize,
    n: usize,
    /// Global column counter at the pair's column 0.
    c0: usize,
    /// Local alignments: best score so far (0: nothing yet) and its cell.
    best: i32,
    end_query: usize,
    end_ref: usize,
}

/// Aligns the pairs of `pairs` that [`takes`] accepts (with `scoring`, `p.lanes` stripes,
/// global or `local`, with traceback) and stores their statistics in `out` (same index);
/// the others are left as they are. Does nothing unless [`available`] and enough pairs are
/// taken.
pub(crate) fn align_many(
    ws: &mut BatchWorkspace,
    scoring: &Scoring,
    p: Params,
    pairs: &[Pair],
    local: bool,
    out: &mut [Option<AlignmentStats>],
) {
    debug_assert_eq!(pairs.len(), out.len());
    let Some(per_page) = rows_per_page(scoring) else {
        return;
    };
    if !available() {
        return;
    }
    let mut order: Vec<usize> = (0..pairs.len())
        .filter(|&k| takes(scoring, pairs[k].qc.len(), pairs[k].rc.len(), local))
        .collect();
    if order.len() < MIN_PAIRS {
        return;
    }
    // By query length, then longest reference first.
    order.sort_by_key(|&k| (pairs[k].qc.len(), std::cmp::Reverse(pairs[k].rc.len())));
    let mut rest = &order[..];
    while !rest.is_empty() {
        let take = group_len(rest, pairs);
        let (group, tail) = rest.split_at(take);
        rest = tail;
        let mut group = group.to_vec();
        group.sort_by_key(|&k| std::cmp::Reverse(pairs[k].rc.len()));
        if occupancy(&group, pairs) < MIN_OCCUPANCY {
            // Mostly idle lanes (a few long queries): the per-pair kernels are faster.
            continue;
        }
        #[cfg(all(target_arch = "x86_64", homolog_avx512))]
        // SAFETY: `available()` checked the CPU features.
        unsafe {
            if local {
                run_group::<true>(ws, scoring, p, per_page, pairs, &group, out);
            } else {
                run_group::<false>(ws, scoring, p, per_page, pairs, &group, out);
            }
        }
        #[cfg(not(all(target_arch = "x86_64", homolog_avx512)))]
        let _ = (&group, per_page, &mut *ws, p);
    }
}

/// Share of the lane-cells of a group's run that belong to its pairs: the lanes take the
/// pairs in order as they free up, and every column computes the group's longest query.
fn occupancy(group: &[usize], pairs: &[Pair]) -> f64 {
    let rows = group
        .iter()
        .map(|&k| pairs[k].qc.len())
        .max()
        .unwrap_or(0)
        .next_multiple_of(2);
    let mut free_at = [0usize; LANES];
    for &k in group {
        let l = (0..LANES).min_by_key(|&l| free_at[l]).unwrap_or(0);
        free_at[l] += pairs[k].rc.len();
    }
    let columns = free_at.iter().copied().max().unwrap_or(0);
    let cells: usize = group
        .iter()
        .map(|&k| pairs[k].qc.len() * pairs[k].rc.len())
        .sum();
    cells as f64 / (rows * columns * LANES).max(1) as f64
}

/// How many of `sorted` (by query length) form the next group: queries at most a tenth
/// (plus 8 rows) longer than the first, or longer ones until the group has
/// [`GROUP_PAIRS`] pairs (three per lane, so that lanes rarely idle), and a ring within
/// [`RING_BYTES`].
fn group_len(sorted: &[usize], pairs: &[Pair]) -> usize {
    let m0 = pairs[sorted[0]].qc.len();
    let limit = m0 + m0 / 10 + 8;
    let mut max_n = 0;
    let mut take = 0;
    for &k in sorted {
        let (m, n) = (pairs[k].qc.len(), pairs[k].rc.len());
        let rows = m.next_multiple_of(2);
        let n_max = max_n.max(n);
        let padded = m > limit && take >= GROUP_PAIRS;
        if take > 0 && (padded || rows * n_max * LANES > RING_BYTES) {
            break;
        }
        max_n = n_max;
        take += 1;
    }
    take
}

/// Pairs a group takes even when their queries are longer than its rule says.
const GROUP_PAIRS: usize = 3 * LANES;

/// Diagonal steps between a traceback read and its prefetch.
const AHEAD: usize = 8;

/// Statistics of a finished lane's pair: the walk through the ring from its end cell.
fn finish_lane<const LOCAL: bool>(
    ring: &[u8],
    rows: usize,
    slots: usize,
    l: usize,
    lane: &Lane,
    score: i32,
    seqs: Seqs,
) -> AlignmentStats {
    if LOCAL && lane.best == 0 {
        return AlignmentStats::default();
    }
    let (end_query, end_ref) = if LOCAL {
        (lane.end_query, lane.end_ref)
    } else {
        (lane.m - 1, lane.n - 1)
    };
    // Column j of the pair is ring slot (c0 + j) mod slots, j < n <= slots.
    let first = lane.c0 % slots;
    let index = |i: usize, j: usize| {
        let slot = first + j;
        let slot = if slot >= slots { slot - slots } else { slot };
        (slot * rows + i) * LANES + l
    };
    let cell = |i: usize, j: usize| {
        // The walk is a chain of dependent loads a column apart; fetch the cell a few
        // diagonal steps ahead (where most paths go) while this one is decoded.
        #[cfg(target_arch = "x86_64")]
        if i >= AHEAD && j >= AHEAD {
            // SAFETY: a prefetch never faults; the address is inside the ring.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    ring.as_ptr().add(index(i - AHEAD, j - AHEAD)) as *const i8,
                );
            }
        }
        ring[index(i, j)]
    };
    let mut stats = traceback::walk(cell, end_query, end_ref, seqs);
    stats.score = score;
    stats
}

/// The i16 value of an in-range score.
fn clamp16(x: i64) -> i16 {
    x.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// Aligns one group of pairs (indices into `pairs`, in the order lanes take them).
///
/// # Safety
/// The CPU must have AVX-512 F, BW, VL and VBMI.
#[cfg(all(target_arch = "x86_64", homolog_avx512))]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
unsafe fn run_group<const LOCAL: bool>(
    ws: &mut BatchWorkspace,
    scoring: &Scoring,
    p: Params,
    per_page: usize,
    pairs: &[Pair],
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
) {
    let matrix = &scoring.matrix;
    let size = matrix.size();
    let rows = group
        .iter()
        .map(|&k| pairs[k].qc.len())
        .max()
        .unwrap_or(0)
        .next_multiple_of(2);
    let slots = group.iter().map(|&k| pairs[k].rc.len()).max().unwrap_or(0);
    let (open, ext) = (p.open, p.extend);
    let neg = i16::MIN;

    ws.h.clear();
    ws.h.resize(rows, Lanes16::default());
    ws.e.clear();
    ws.e.resize(rows, Lanes16([neg; LANES]));
    ws.ea.clear();
    ws.ea.resize(rows, Lanes16([neg; LANES]));
    for v in [&mut ws.ebit, &mut ws.start, &mut ws.valid] {
        v.clear();
        v.resize(rows, 0);
    }
    ws.codes.clear();
    ws.codes.resize(rows / 2, Codes::default());
    let ring_len = slots * rows * LANES;
    if ws.ring.len() < ring_len {
        ws.ring.resize(ring_len, 0);
    }

    // Score pages: page `g` holds matrix columns (reference symbols) `g * per_page ..`,
    // byte `w * size + a` = score(query symbol a, reference symbol g * per_page + w).
    let mut table = [0i8; PAGES * 128];
    for d in 0..size {
        let (g, w) = (d / per_page, d % per_page);
        for a in 0..size {
            table[g * 128 + w * size + a] = matrix.score_idx(a as u8, d as u8) as i8;
        }
    }
    let mut tabs = [_mm512_setzero_si512(); 2 * PAGES];
    for (k, v) in tabs.iter_mut().enumerate() {
        *v = _mm512_loadu_si512(table.as_ptr().add(64 * k) as *const __m512i);
    }

    let v_open = _mm512_set1_epi16(clamp16(open));
    let v_ext = _mm512_set1_epi16(clamp16(ext));
    let v_neg = _mm512_set1_epi16(neg);
    let v_zero = _mm512_setzero_si512();
    // First-pass F at a stripe start, after its first step (see `kernel::run`).
    let fp_start = if LOCAL {
        _mm512_set1_epi16(clamp16(-open - ext))
    } else {
        v_neg
    };
    let b_ins = _mm256_set1_epi8(INS as i8);
    let b_del = _mm256_set1_epi8(DEL as i8);
    let b_diag = _mm256_set1_epi8(DIAG as i8);
    let b_zero = _mm256_set1_epi8(ZERO as i8);
    let b_eopen = _mm256_set1_epi8(E_OPEN as i8);
    let b_fopen = _mm256_set1_epi8(F_OPEN as i8);

    let mut lanes: [Option<Lane>; LANES] = [None; LANES];
    let mut next = 0;
    let mut c = 0usize;

    // Column -1 of a lane's new pair (rows past its query are left as they are: they never
    // feed rows above them).
    let assign = |ws: &mut BatchWorkspace, l: usize, k: usize, c: usize| -> Lane {
        let pair = &pairs[k];
        let (m, n) = (pair.qc.len(), pair.rc.len());
        let seg = m.div_ceil(p.lanes.max(1));
        let bit = 1u32 << l;
        for r in 0..rows {
            let (h, e) = if r >= m {
                (neg, neg)
            } else if LOCAL {
                (0, clamp16(-open))
            } else {
                let h = -open - ext * r as i64;
                (clamp16(h), clamp16(h - open))
            };
            ws.h[r].0[l] = h;
            ws.e[r].0[l] = e;
            ws.ea[r].0[l] = e;
            let inside = r < m;
            ws.ebit[r] = (ws.ebit[r] & !bit) | if inside { bit } else { 0 };
            ws.valid[r] = (ws.valid[r] & !bit) | if inside { bit } else { 0 };
            let starts = inside && r % seg == 0;
            ws.start[r] = (ws.start[r] & !bit) | if starts { bit } else { 0 };
            ws.codes[r / 2].0[(r % 2) * LANES + l] = if inside { pair.qc[r] } else { 0 };
        }
        Lane {
            pair: k,
            j: 0,
            m,
            n,
            c0: c,
            best: 0,
            end_query: 0,
            end_ref: 0,
        }
    };
    for (l, lane) in lanes.iter_mut().enumerate() {
        if next < group.len() {
            *lane = Some(assign(ws, l, group[next], c));
            next += 1;
        }
    }

    let mut dw = [0u8; 2 * LANES];
    let mut diag = [0i16; LANES];
    let mut top = [0i16; LANES];
    while lanes.iter().any(Option::is_some) {
        // This column's reference residue per lane: page masks, row offset, borders.
        let mut pages = [0u64; PAGES];
        for (l, lane) in lanes.iter().enumerate() {
            let (d, j) = match lane {
                Some(lane) => (pairs[lane.pair].rc[lane.j] as usize, lane.j),
                None => (0, 0),
            };
            let (g, w) = (d / per_page, d % per_page);
            dw[l] = (w * size) as u8;
            dw[l + LANES] = dw[l];
            pages[g] |= (1u64 << l) | (1u64 << (l + LANES));
            if !LOCAL {
                let jj = j as i64;
                diag[l] = if j == 0 {
                    0
                } else {
                    clamp16(-open - ext * (jj - 1))
                };
                top[l] = clamp16(-open - ext * jj);
            }
        }
        let v_dw = _mm512_loadu_si512(dw.as_ptr() as *const __m512i);
        let (k1, k2, k3, k4) = (pages[1], pages[2], pages[3], pages[4]);
        let (mut h_diag, h_up) = if LOCAL {
            (v_zero, v_zero)
        } else {
            (
                _mm512_loadu_si512(diag.as_ptr() as *const __m512i),
                _mm512_loadu_si512(top.as_ptr() as *const __m512i),
            )
        };
        // `H - open` of the row above (final and first-pass H): each feeds two gaps.
        let mut h_up_open = _mm512_subs_epi16(h_up, v_open);
        let mut hfp_up_open = v_neg;
        let mut ft = v_neg;
        let mut fp = v_neg;
        let mut col_max = v_neg;
        let slot = (c % slots) * rows * LANES;
        let ring = ws.ring.as_mut_ptr().add(slot);

        // Raw pointers, so the loop does not reload them from `ws` after each store.
        let codes = ws.codes.as_ptr() as *const __m512i;
        let starts = ws.start.as_ptr();
        let ebits = ws.ebit.as_mut_ptr();
        let valid = ws.valid.as_ptr();
        let hp = ws.h.as_mut_ptr() as *mut __m512i;
        let ep = ws.e.as_mut_ptr() as *mut __m512i;
        let eap = ws.ea.as_mut_ptr() as *mut __m512i;
        for t in 0..rows / 2 {
            let idx = _mm512_add_epi8(_mm512_load_si512(codes.add(t)), v_dw);
            let s0 = _mm512_permutex2var_epi8(tabs[0], idx, tabs[1]);
            let s1 = _mm512_permutex2var_epi8(tabs[2], idx, tabs[3]);
            let s2 = _mm512_permutex2var_epi8(tabs[4], idx, tabs[5]);
            let s3 = _mm512_permutex2var_epi8(tabs[6], idx, tabs[7]);
            let s4 = _mm512_permutex2var_epi8(tabs[8], idx, tabs[9]);
            let mut s = _mm512_mask_blend_epi8(k1, s0, s1);
            s = _mm512_mask_blend_epi8(k2, s, s2);
            s = _mm512_mask_blend_epi8(k3, s, s3);
            s = _mm512_mask_blend_epi8(k4, s, s4);
            let scores = [
                _mm512_cvtepi8_epi16(_mm512_castsi512_si256(s)),
                _mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64::<1>(s)),
            ];
            for (half, &sc) in scores.iter().enumerate() {
                let r = 2 * t + half;
                let h_left = _mm512_load_si512(hp.add(r));
                let mut hd = _mm512_adds_epi16(h_diag, sc);
                if LOCAL {
                    hd = _mm512_max_epi16(hd, v_zero);
                }
                h_diag = h_left;
                // True F, from the final H above.
                let f_open = h_up_open;
                let f_ext = _mm512_subs_epi16(ft, v_ext);
                ft = _mm512_max_epi16(f_open, f_ext);
                let k_fopen = _mm512_cmpgt_epi16_mask(f_open, f_ext);
                // Stripe-local F, from first-pass H, restarting where the lane's stripes
                // start.
                let k_start = *starts.add(r);
                let fpn = _mm512_max_epi16(hfp_up_open, _mm512_subs_epi16(fp, v_ext));
                fp = _mm512_mask_mov_epi16(fpn, k_start, fp_start);
                let e_cur = _mm512_load_si512(ep.add(r));
                let hfp = _mm512_max_epi16(_mm512_max_epi16(hd, e_cur), fp);
                let hv = _mm512_max_epi16(hfp, ft);
                hfp_up_open = _mm512_subs_epi16(hfp, v_open);
                _mm512_store_si512(
                    ep.add(r),
                    _mm512_max_epi16(hfp_up_open, _mm512_subs_epi16(e_cur, v_ext)),
                );
                // Traceback byte: H state, E bit (from the previous column), F bit.
                let k_diag = _mm512_cmpeq_epi16_mask(hv, hd);
                let k_del = _mm512_cmpeq_epi16_mask(hv, ft);
                let mut state = _mm256_mask_mov_epi8(b_ins, k_del, b_del);
                state = _mm256_mask_mov_epi8(state, k_diag, b_diag);
                if LOCAL {
                    let k_zero = k_diag & _mm512_cmpeq_epi16_mask(hv, v_zero);
                    state = _mm256_mask_mov_epi8(state, k_zero, b_zero);
                }
                let mut bits = _mm256_maskz_mov_epi8(k_fopen, b_fopen);
                bits = _mm256_mask_add_epi8(bits, *ebits.add(r), bits, b_eopen);
                _mm256_storeu_si256(
                    ring.add(r * LANES) as *mut __m256i,
                    _mm256_or_si256(state, bits),
                );
                let e_open = _mm512_subs_epi16(hv, v_open);
                h_up_open = e_open;
                let e_ext = _mm512_subs_epi16(_mm512_load_si512(eap.add(r)), v_ext);
                _mm512_store_si512(eap.add(r), _mm512_max_epi16(e_open, e_ext));
                *ebits.add(r) = _mm512_cmpgt_epi16_mask(e_open, e_ext);
                _mm512_store_si512(hp.add(r), hv);
                if LOCAL {
                    col_max = _mm512_mask_max_epi16(col_max, *valid.add(r), col_max, hv);
                }
            }
        }

        if LOCAL {
            // parasail keeps the first column whose maximum beats every earlier one, and in
            // it the first row holding that maximum.
            let mut maxes = [0i16; LANES];
            _mm512_storeu_si512(maxes.as_mut_ptr() as *mut __m512i, col_max);
            let mut pending = 0u32;
            for (l, lane) in lanes.iter_mut().enumerate() {
                if let Some(lane) = lane {
                    if i32::from(maxes[l]) > lane.best {
                        lane.best = i32::from(maxes[l]);
                        lane.end_ref = lane.j;
                        pending |= 1 << l;
                    }
                }
            }
            let mut r = 0;
            while pending != 0 && r < rows {
                let hit = _mm512_cmpeq_epi16_mask(_mm512_load_si512(hp.add(r)), col_max)
                    & ws.valid[r]
                    & pending;
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

        // Lanes at their pair's last column: walk, store, take the next pair.
        for (l, slot) in lanes.iter_mut().enumerate() {
            let Some(lane) = slot else { continue };
            lane.j += 1;
            if lane.j < lane.n {
                continue;
            }
            let lane = *lane;
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
                i32::from(ws.h[lane.m - 1].0[l])
            };
            out[lane.pair] = Some(finish_lane::<LOCAL>(
                &ws.ring, rows, slots, l, &lane, score, seqs,
            ));
            *slot = if next < group.len() {
                next += 1;
                Some(assign(ws, l, group[next - 1], c + 1))
            } else {
                None
            };
        }
        c += 1;
    }
}
