//! AVX2 lanes of the batch kernel: 16 x `i16` for global and local alignments, 32 x `u8`
//! for local ones (unsigned and saturating with biased scores, as the AVX-512 `u8` lanes)
//! and 32 x `i8` for global ones (signed and saturating, on differences: see
//! [`Lanes::DIFF`]).
//!
//! AVX2 has no byte permutation across a register, so scores are not looked up per cell.
//! Each lane keeps a query profile of its pair (per reference symbol `d`, the scores of the
//! query's residues against `d`, one byte per row), built with `vpshufb` when it takes the
//! pair. A column gives each lane one reference symbol, hence one profile column; the
//! profile columns are transposed 16 at a time (four rounds of unpacks, 32 rows at a time)
//! into rows of lanes, which the column's loop reads back. Masks are vectors (a lane all
//! ones or zero), stored as such. Trace: per row, bit planes (`vpmovmskb`, a bit per lane):
//! diagonal, a second state plane ("not from F" on 16 bits, "from F" on 8; local alignments:
//! "H is 0" where diagonal), `E` opened in the next column and `F` opened; the scalar
//! kernel's byte is rebuilt when a pair is walked.

use std::arch::x86_64::*;

use super::{get_i16, run_group, set_i16, BatchWorkspace, Block, Job, Lanes};
use crate::kernel::{DEL, DIAG, INS, ZERO};
use crate::AlignmentStats;

/// Profile scores against each reference symbol, for `vpshufb`: query symbols `0..16` in
/// `low`, `16..32` in `high`, each 16 bytes repeated in both 128-bit halves.
pub(super) struct Profiles {
    low: Vec<__m256i>,
    high: Vec<__m256i>,
    size: usize,
    /// Bytes per profile column: the group's rows rounded up to 32.
    stride: usize,
}

/// Where the column's transposed scores are.
pub(super) struct Column {
    scores: *const u8,
}

/// Query symbol code of the rows past a lane's query, scored -128 against every residue
/// ([`Lanes::CLEAN_PADDING`]); matrices have fewer symbols.
pub(super) const PADDING: u8 = 31;

/// Lane `l` of [`I16::from_bits`]'s selector: bit `l`.
static LANE_BITS: [u16; 16] = [
    1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768,
];

/// Position of row `k` after the transpose: [`transpose`] leaves row `BIT_REVERSED[k]` in
/// register `k`.
const BIT_REVERSED: [usize; 16] = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];

/// Transposes 16 x 16 bytes in each 128-bit half: byte `k` of register `l` goes to byte `l`
/// of register `BIT_REVERSED[k]` (unpacks interleave the registers' bytes, so four rounds
/// of them reverse the row index's bits).
#[inline(always)]
unsafe fn transpose(a: &mut [__m256i; 16]) {
    let mut b = [_mm256_setzero_si256(); 16];
    for i in 0..8 {
        b[i] = _mm256_unpacklo_epi8(a[2 * i], a[2 * i + 1]);
        b[i + 8] = _mm256_unpackhi_epi8(a[2 * i], a[2 * i + 1]);
    }
    for i in 0..8 {
        a[i] = _mm256_unpacklo_epi16(b[2 * i], b[2 * i + 1]);
        a[i + 8] = _mm256_unpackhi_epi16(b[2 * i], b[2 * i + 1]);
    }
    for i in 0..8 {
        b[i] = _mm256_unpacklo_epi32(a[2 * i], a[2 * i + 1]);
        b[i + 8] = _mm256_unpackhi_epi32(a[2 * i], a[2 * i + 1]);
    }
    for i in 0..8 {
        a[i] = _mm256_unpacklo_epi64(b[2 * i], b[2 * i + 1]);
        a[i + 8] = _mm256_unpackhi_epi64(b[2 * i], b[2 * i + 1]);
    }
}

/// What both AVX2 lane types share: registers and vector masks, the trace byte rebuilt from
/// its planes, and the query profiles with their per-column transposes.
macro_rules! shared_lanes {
    () => {
        type V = __m256i;
        type M = __m256i;
        type Lookup = Profiles;
        type Column = Column;
        const BYTES: usize = 32;
        const MASK_BYTES: usize = 32;
        const CLEAN_PADDING: bool = true;

        #[inline(always)]
        unsafe fn zero() -> __m256i {
            _mm256_setzero_si256()
        }
        #[inline(always)]
        unsafe fn load(p: *const u8) -> __m256i {
            _mm256_loadu_si256(p as *const __m256i)
        }
        #[inline(always)]
        unsafe fn store(p: *mut u8, v: __m256i) {
            _mm256_storeu_si256(p as *mut __m256i, v)
        }
        #[inline(always)]
        unsafe fn and(a: __m256i, b: __m256i) -> __m256i {
            _mm256_and_si256(a, b)
        }
        #[inline(always)]
        unsafe fn or(a: __m256i, b: __m256i) -> __m256i {
            _mm256_or_si256(a, b)
        }
        #[inline(always)]
        unsafe fn mask_mov(src: __m256i, k: __m256i, a: __m256i) -> __m256i {
            _mm256_blendv_epi8(src, a, k)
        }
        #[inline(always)]
        unsafe fn load_mask(p: *const u8) -> __m256i {
            Self::load(p)
        }
        #[inline(always)]
        unsafe fn set_query(lookup: &Profiles, ws: &mut BatchWorkspace, l: usize, qc: &[u8]) {
            set_profile(lookup, ws, l, qc)
        }
        #[inline(always)]
        unsafe fn column(lookup: &Profiles, ws: &mut BatchWorkspace, refs: *const u8) -> Column {
            transpose_column(lookup, ws, refs, Self::N)
        }
    };
}

/// Builds the score tables (scores raised by `bias`, padding rows scored `pad`, as bytes) and
/// sizes the profiles and the column for `rows` rows of `lanes` lanes.
#[inline(always)]
unsafe fn profiles(
    job: &Job,
    bias: i32,
    pad: i32,
    rows: usize,
    lanes: usize,
    ws: &mut BatchWorkspace,
) -> Profiles {
    let matrix = &job.scoring.matrix;
    let size = matrix.size();
    let stride = rows.next_multiple_of(32);
    // Lane `l`'s column for symbol `d` at `(l * size + d) * stride`.
    ws.profile.clear();
    ws.profile
        .resize((lanes * size * stride).div_ceil(64), Block::default());
    ws.column.clear();
    ws.column.resize(stride * lanes / 64, Block::default());
    ws.padded.clear();
    ws.padded.resize(stride, 0);
    let half = |d: usize, from: usize| {
        let mut t = [0u8; 32];
        for a in 0..16 {
            // Symbols past the matrix: padding rows (PADDING).
            let s = if from + a < size {
                matrix.score_idx((from + a) as u8, d as u8) + bias
            } else {
                pad
            };
            t[a] = s as u8;
            t[a + 16] = t[a];
        }
        _mm256_loadu_si256(t.as_ptr() as *const __m256i)
    };
    Profiles {
        low: (0..size).map(|d| half(d, 0)).collect(),
        high: (0..size).map(|d| half(d, 16)).collect(),
        size,
        stride,
    }
}

/// Writes lane `l`'s query profile for the query codes `qc`.
#[inline(always)]
unsafe fn set_profile(lookup: &Profiles, ws: &mut BatchWorkspace, l: usize, qc: &[u8]) {
    let Profiles { size, stride, .. } = *lookup;
    ws.padded[..qc.len()].copy_from_slice(qc);
    ws.padded[qc.len()..].fill(PADDING);
    let profile = super::bytes_mut(&mut ws.profile)
        .as_mut_ptr()
        .add(l * size * stride);
    let fifteen = _mm256_set1_epi8(15);
    for chunk in 0..stride / 32 {
        let q = _mm256_loadu_si256(ws.padded.as_ptr().add(32 * chunk) as *const __m256i);
        let high = _mm256_cmpgt_epi8(q, fifteen);
        for d in 0..size {
            let s = _mm256_blendv_epi8(
                _mm256_shuffle_epi8(lookup.low[d], q),
                _mm256_shuffle_epi8(lookup.high[d], q),
                high,
            );
            _mm256_storeu_si256(profile.add(d * stride + 32 * chunk) as *mut __m256i, s);
        }
    }
}

/// The scores of the column whose reference codes are `refs` (`lanes` bytes, 16 or 32):
/// each lane's profile column, transposed into rows of `lanes` bytes (row `r` at byte
/// `lanes * r`).
#[inline(always)]
unsafe fn transpose_column(
    lookup: &Profiles,
    ws: &mut BatchWorkspace,
    refs: *const u8,
    lanes: usize,
) -> Column {
    let Profiles { size, stride, .. } = *lookup;
    let profile = ws.profile.as_ptr() as *const u8;
    let out = ws.column.as_mut_ptr() as *mut u8;
    // 16 lanes at a time, 32 rows at a time: lane l's rows in register l (rows +16 in the
    // high half), then row k's 16 lanes in one 16-byte half.
    for first in (0..lanes).step_by(16) {
        let from: [*const u8; 16] = std::array::from_fn(|l| {
            let l = first + l;
            profile.add((l * size + usize::from(*refs.add(l))) * stride)
        });
        for t in 0..stride / 32 {
            let mut a: [__m256i; 16] =
                std::array::from_fn(|l| _mm256_loadu_si256(from[l].add(32 * t) as *const __m256i));
            transpose(&mut a);
            for (k, v) in a.iter().enumerate() {
                let row = out.add(lanes * (32 * t + BIT_REVERSED[k]) + first);
                _mm256_storeu2_m128i(row.add(lanes * 16) as *mut __m128i, row as *mut __m128i, *v);
            }
        }
    }
    Column { scores: out }
}

/// The two trace words of the even or `odd` row of a 16-bit lanes' pair of rows, as one:
/// states in the low 32 bits, gaps in the high ones.
#[inline(always)]
fn i16_row(pair: &[u8], odd: bool) -> u64 {
    let at = 8 * usize::from(odd);
    u64::from_ne_bytes(pair[at..at + 8].try_into().unwrap_or_default())
}

/// Bit of lane `l` in a 16-bit lanes' trace word: `vpacksswb` then `vpmovmskb` give, per
/// 128-bit half, 8 lanes of the first register, then 8 of the second.
#[inline(always)]
fn i16_bit(l: usize) -> usize {
    (l % 8) + (l / 8) * 16
}

/// 16-bit lanes' states by (local, diagonal, "not from F" or "H is 0").
const I16_STATES: [u8; 8] = [DEL, INS, DIAG, DIAG, DEL, INS, DIAG, ZERO];

/// 16 x `i16`, saturating.
pub(super) struct I16;

impl Lanes for I16 {
    shared_lanes!();
    type Trace = [u32; 2];
    const N: usize = 16;
    const NEG: i32 = i16::MIN as i32;
    const MAX: i32 = i16::MAX as i32;
    const BIASED: bool = false;

    #[inline(always)]
    unsafe fn splat(x: i32) -> __m256i {
        _mm256_set1_epi16(x.clamp(Self::NEG, Self::MAX) as i16)
    }
    #[inline(always)]
    unsafe fn subs(a: __m256i, b: __m256i) -> __m256i {
        _mm256_subs_epi16(a, b)
    }
    #[inline(always)]
    unsafe fn max(a: __m256i, b: __m256i) -> __m256i {
        _mm256_max_epi16(a, b)
    }
    #[inline(always)]
    unsafe fn eq(a: __m256i, b: __m256i) -> __m256i {
        _mm256_cmpeq_epi16(a, b)
    }
    #[inline(always)]
    unsafe fn gt(a: __m256i, b: __m256i) -> __m256i {
        _mm256_cmpgt_epi16(a, b)
    }
    #[inline(always)]
    unsafe fn ge(a: __m256i, b: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_cmpgt_epi16(a, b), _mm256_cmpeq_epi16(a, b))
    }
    #[inline(always)]
    unsafe fn keep_max(acc: __m256i, k: __m256i, v: __m256i) -> __m256i {
        _mm256_blendv_epi8(acc, _mm256_max_epi16(acc, v), k)
    }
    #[inline(always)]
    unsafe fn bits(k: __m256i) -> u64 {
        // Lanes to bytes (saturating keeps 0 and -1), in order, then their sign bits.
        let bytes = _mm256_permute4x64_epi64::<0b1000>(_mm256_packs_epi16(k, k));
        u64::from(_mm256_movemask_epi8(bytes) as u32 & 0xffff)
    }
    #[inline(always)]
    unsafe fn from_bits(bits: u64) -> __m256i {
        // Lane l holds bit l.
        let lane_bits = _mm256_loadu_si256(LANE_BITS.as_ptr() as *const __m256i);
        let set = _mm256_and_si256(_mm256_set1_epi16(bits as u16 as i16), lane_bits);
        _mm256_cmpeq_epi16(set, lane_bits)
    }
    #[inline(always)]
    unsafe fn diag<const LOCAL: bool>(h_diag: __m256i, s: __m256i, _bias: __m256i) -> __m256i {
        let hd = _mm256_adds_epi16(h_diag, s);
        if LOCAL {
            _mm256_max_epi16(hd, _mm256_setzero_si256())
        } else {
            hd
        }
    }
    #[inline(always)]
    unsafe fn border(j_row: *mut u8, open_neg: __m256i, ext: __m256i) -> (__m256i, __m256i) {
        let j = Self::load(j_row);
        let top = _mm256_subs_epi16(open_neg, _mm256_mullo_epi16(j, ext));
        let zero = _mm256_setzero_si256();
        let diag = Self::mask_mov(_mm256_adds_epi16(top, ext), Self::eq(j, zero), zero);
        Self::store(j_row, _mm256_adds_epi16(j, _mm256_set1_epi16(1)));
        (diag, top)
    }
    #[inline(always)]
    unsafe fn trace<const LOCAL: bool>(
        diag: __m256i,
        hfp: __m256i,
        ft: __m256i,
        h: __m256i,
        e_open: __m256i,
        f_open: __m256i,
    ) -> [u32; 2] {
        // `H` is not from F: the first-pass value beats F (one compare, where `H == F` needs
        // two). Where `diag` is set this does not matter: local alignments put "H is 0" there.
        let not_f = _mm256_cmpgt_epi16(hfp, ft);
        let second = if LOCAL {
            _mm256_blendv_epi8(not_f, _mm256_cmpeq_epi16(h, _mm256_setzero_si256()), diag)
        } else {
            not_f
        };
        let planes = |a: __m256i, b: __m256i| _mm256_movemask_epi8(_mm256_packs_epi16(a, b)) as u32;
        [planes(diag, second), planes(e_open, f_open)]
    }
    #[inline(always)]
    unsafe fn no_trace() -> [u32; 2] {
        [0; 2]
    }
    #[inline(always)]
    unsafe fn store_pair(dst: *mut u8, even: [u32; 2], odd: [u32; 2]) {
        let words = dst as *mut [u32; 4];
        words.write_unaligned([even[0], even[1], odd[0], odd[1]]);
    }
    #[inline(always)]
    fn state(pair: &[u8], odd: bool, l: usize, local: bool) -> u8 {
        let bits = i16_row(pair, odd) >> i16_bit(l);
        I16_STATES[(usize::from(local) << 2) | ((bits & 1) << 1 | (bits >> 8) & 1) as usize]
    }
    #[inline(always)]
    fn e_open(_: &[u8], before: Option<&[u8]>, odd: bool, l: usize) -> bool {
        before.is_none_or(|before| (i16_row(before, odd) >> (i16_bit(l) + 32)) & 1 == 1)
    }
    #[inline(always)]
    fn f_open(pair: &[u8], odd: bool, l: usize) -> bool {
        (i16_row(pair, odd) >> (i16_bit(l) + 40)) & 1 == 1
    }
    fn get(row: &[u8], l: usize) -> i32 {
        get_i16(row, l)
    }
    fn set(row: &mut [u8], l: usize, x: i64) {
        set_i16(row, l, x)
    }
    fn set_mask(row: &mut [u8], l: usize, on: bool) {
        row[2 * l..2 * l + 2].fill(if on { 0xff } else { 0 });
    }

    #[inline(always)]
    unsafe fn lookup(job: &Job, _bias: i32, rows: usize, ws: &mut BatchWorkspace) -> Profiles {
        profiles(job, 0, -128, rows, Self::N, ws)
    }
    #[inline(always)]
    unsafe fn scores(_: &Profiles, column: &Column, u: usize) -> [__m256i; 2] {
        let rows = column.scores.add(32 * u) as *const __m128i;
        [
            _mm256_cvtepi8_epi16(_mm_loadu_si128(rows)),
            _mm256_cvtepi8_epi16(_mm_loadu_si128(rows.add(1))),
        ]
    }
}

/// Lane `l` of [`U8::from_bits`]'s selector: bit `l % 8` of byte `l / 8` of the bits.
static BYTE_OF_LANE: [u8; 32] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3,
];

/// 32 x `u8`, unsigned saturating, biased scores (local alignments).
pub(super) struct U8;

impl Lanes for U8 {
    shared_lanes!();
    type Trace = [u32; 4];
    const N: usize = 32;
    const NEG: i32 = 0;
    const MAX: i32 = u8::MAX as i32;
    const BIASED: bool = true;

    #[inline(always)]
    unsafe fn splat(x: i32) -> __m256i {
        _mm256_set1_epi8(x.clamp(Self::NEG, Self::MAX) as u8 as i8)
    }
    #[inline(always)]
    unsafe fn subs(a: __m256i, b: __m256i) -> __m256i {
        _mm256_subs_epu8(a, b)
    }
    #[inline(always)]
    unsafe fn max(a: __m256i, b: __m256i) -> __m256i {
        _mm256_max_epu8(a, b)
    }
    #[inline(always)]
    unsafe fn eq(a: __m256i, b: __m256i) -> __m256i {
        _mm256_cmpeq_epi8(a, b)
    }
    #[inline(always)]
    unsafe fn gt(a: __m256i, b: __m256i) -> __m256i {
        // No unsigned compare: not `max(a, b) == b`.
        let le = _mm256_cmpeq_epi8(_mm256_max_epu8(a, b), b);
        _mm256_xor_si256(le, _mm256_set1_epi8(-1))
    }
    #[inline(always)]
    unsafe fn ge(a: __m256i, b: __m256i) -> __m256i {
        _mm256_cmpeq_epi8(_mm256_max_epu8(a, b), a)
    }
    #[inline(always)]
    unsafe fn keep_max(acc: __m256i, k: __m256i, v: __m256i) -> __m256i {
        _mm256_blendv_epi8(acc, _mm256_max_epu8(acc, v), k)
    }
    #[inline(always)]
    unsafe fn restart(fp: __m256i, k: __m256i, _zero: __m256i) -> __m256i {
        // The restart value is 0 here and a stored mask is all ones or zero per lane: one
        // and-not where a blend with a zero operand compiles to a compare and an and.
        _mm256_andnot_si256(k, fp)
    }
    #[inline(always)]
    unsafe fn bits(k: __m256i) -> u64 {
        u64::from(_mm256_movemask_epi8(k) as u32)
    }
    #[inline(always)]
    unsafe fn from_bits(bits: u64) -> __m256i {
        // Byte l gets byte l / 8 of the bits, then its bit l % 8 is tested.
        let spread = _mm256_shuffle_epi8(
            _mm256_set1_epi32(bits as u32 as i32),
            _mm256_loadu_si256(BYTE_OF_LANE.as_ptr() as *const __m256i),
        );
        let select = _mm256_set1_epi64x(0x8040_2010_0804_0201u64 as i64);
        _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select)
    }
    #[inline(always)]
    unsafe fn diag<const LOCAL: bool>(h_diag: __m256i, s: __m256i, bias: __m256i) -> __m256i {
        // max(0, h_diag + s): the add saturates only at 255 + min s (checked per column).
        _mm256_subs_epu8(_mm256_adds_epu8(h_diag, s), bias)
    }
    #[inline(always)]
    unsafe fn border(_: *mut u8, _: __m256i, _: __m256i) -> (__m256i, __m256i) {
        // 8-bit lanes hold local alignments only, whose borders are 0.
        (_mm256_setzero_si256(), _mm256_setzero_si256())
    }
    #[inline(always)]
    unsafe fn trace<const LOCAL: bool>(
        diag: __m256i,
        _hfp: __m256i,
        ft: __m256i,
        h: __m256i,
        e_open: __m256i,
        f_open: __m256i,
    ) -> [u32; 4] {
        // `H` is from F (one compare here, where "not from F" needs three).
        let from_f = _mm256_cmpeq_epi8(h, ft);
        let second = if LOCAL {
            _mm256_blendv_epi8(from_f, _mm256_cmpeq_epi8(h, _mm256_setzero_si256()), diag)
        } else {
            from_f
        };
        let plane = |k: __m256i| _mm256_movemask_epi8(k) as u32;
        [plane(diag), plane(second), plane(e_open), plane(f_open)]
    }
    #[inline(always)]
    unsafe fn no_trace() -> [u32; 4] {
        [0; 4]
    }
    #[inline(always)]
    unsafe fn store_pair(dst: *mut u8, even: [u32; 4], odd: [u32; 4]) {
        let words = dst as *mut [u32; 8];
        words.write_unaligned([
            even[0], even[1], even[2], even[3], odd[0], odd[1], odd[2], odd[3],
        ]);
    }
    fn get(row: &[u8], l: usize) -> i32 {
        i32::from(row[l])
    }
    fn set(row: &mut [u8], l: usize, x: i64) {
        row[l] = x.clamp(i64::from(Self::NEG), i64::from(Self::MAX)) as u8;
    }
    fn set_mask(row: &mut [u8], l: usize, on: bool) {
        row[l] = if on { 0xff } else { 0 };
    }

    #[inline(always)]
    unsafe fn lookup(job: &Job, bias: i32, rows: usize, ws: &mut BatchWorkspace) -> Profiles {
        // Padding rows scored 0, i.e. `-bias`: below every real cell, as -128 is on 16 bits.
        profiles(job, bias, 0, rows, Self::N, ws)
    }
    #[inline(always)]
    unsafe fn scores(_: &Profiles, column: &Column, u: usize) -> [__m256i; 2] {
        let rows = column.scores.add(64 * u) as *const __m256i;
        [_mm256_loadu_si256(rows), _mm256_loadu_si256(rows.add(1))]
    }
}

/// 32 x `i8`, signed saturating, global alignments on differences ([`Lanes::DIFF`]):
/// the 8-bit lanes' masks, trace and score rows with unbiased scores.
pub(super) struct I8;

impl Lanes for I8 {
    shared_lanes!();
    type Trace = [u32; 4];
    const N: usize = 32;
    const NEG: i32 = i8::MIN as i32;
    const MAX: i32 = i8::MAX as i32;
    const BIASED: bool = false;
    const DIFF: bool = true;

    #[inline(always)]
    unsafe fn splat(x: i32) -> __m256i {
        _mm256_set1_epi8(x.clamp(Self::NEG, Self::MAX) as i8)
    }
    #[inline(always)]
    unsafe fn subs(a: __m256i, b: __m256i) -> __m256i {
        _mm256_subs_epi8(a, b)
    }
    #[inline(always)]
    unsafe fn max(a: __m256i, b: __m256i) -> __m256i {
        _mm256_max_epi8(a, b)
    }
    #[inline(always)]
    unsafe fn eq(a: __m256i, b: __m256i) -> __m256i {
        _mm256_cmpeq_epi8(a, b)
    }
    #[inline(always)]
    unsafe fn gt(a: __m256i, b: __m256i) -> __m256i {
        _mm256_cmpgt_epi8(a, b)
    }
    #[inline(always)]
    unsafe fn ge(a: __m256i, b: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_cmpgt_epi8(a, b), _mm256_cmpeq_epi8(a, b))
    }
    #[inline(always)]
    unsafe fn keep_max(acc: __m256i, k: __m256i, v: __m256i) -> __m256i {
        _mm256_blendv_epi8(acc, _mm256_max_epi8(acc, v), k)
    }
    #[inline(always)]
    unsafe fn bits(k: __m256i) -> u64 {
        U8::bits(k)
    }
    #[inline(always)]
    unsafe fn from_bits(bits: u64) -> __m256i {
        U8::from_bits(bits)
    }
    #[inline(always)]
    unsafe fn diag<const LOCAL: bool>(h_diag: __m256i, s: __m256i, _bias: __m256i) -> __m256i {
        _mm256_adds_epi8(h_diag, s)
    }
    #[inline(always)]
    unsafe fn border(_: *mut u8, _: __m256i, _: __m256i) -> (__m256i, __m256i) {
        // Differences carry the top border as a step (see `run_group`).
        (_mm256_setzero_si256(), _mm256_setzero_si256())
    }
    #[inline(always)]
    unsafe fn trace<const LOCAL: bool>(
        diag: __m256i,
        hfp: __m256i,
        ft: __m256i,
        h: __m256i,
        e_open: __m256i,
        f_open: __m256i,
    ) -> [u32; 4] {
        U8::trace::<LOCAL>(diag, hfp, ft, h, e_open, f_open)
    }
    #[inline(always)]
    unsafe fn no_trace() -> [u32; 4] {
        [0; 4]
    }
    #[inline(always)]
    unsafe fn store_pair(dst: *mut u8, even: [u32; 4], odd: [u32; 4]) {
        U8::store_pair(dst, even, odd)
    }
    fn get(row: &[u8], l: usize) -> i32 {
        i32::from(row[l] as i8)
    }
    fn set(row: &mut [u8], l: usize, x: i64) {
        row[l] = x.clamp(i64::from(Self::NEG), i64::from(Self::MAX)) as i8 as u8;
    }
    fn set_mask(row: &mut [u8], l: usize, on: bool) {
        U8::set_mask(row, l, on)
    }

    #[inline(always)]
    unsafe fn lookup(job: &Job, _bias: i32, rows: usize, ws: &mut BatchWorkspace) -> Profiles {
        profiles(job, 0, -128, rows, Self::N, ws)
    }
    #[inline(always)]
    unsafe fn scores(lookup: &Profiles, column: &Column, u: usize) -> [__m256i; 2] {
        U8::scores(lookup, column, u)
    }
}

/// [`run_group`] on 16-bit lanes.
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn run_i16<const LOCAL: bool>(
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
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn run_u8(
    ws: &mut BatchWorkspace,
    job: &Job,
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
    left: &mut Vec<usize>,
) {
    run_group::<U8, true>(ws, job, group, out, left)
}

/// [`run_group`] on 8-bit differences (global alignments).
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn run_i8(
    ws: &mut BatchWorkspace,
    job: &Job,
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
    left: &mut Vec<usize>,
) {
    run_group::<I8, false>(ws, job, group, out, left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{E_OPEN, F_OPEN};

    /// The pieces whose layouts the walk relies on: the transpose's row order, lanes to bits
    /// and back, and trace words decoded into the scalar kernel's bytes.
    #[target_feature(enable = "avx2")]
    unsafe fn check_layouts() {
        // Byte k of register l is 16 l + k in the low half, 128 + 16 l + k in the high one.
        let mut a: [__m256i; 16] = std::array::from_fn(|l| {
            let bytes: [u8; 32] = std::array::from_fn(|i| {
                let k = i % 16;
                (if i < 16 { 16 * l + k } else { 128 + 16 * l + k }) as u8
            });
            _mm256_loadu_si256(bytes.as_ptr() as *const __m256i)
        });
        transpose(&mut a);
        for (k, v) in a.iter().enumerate() {
            let mut out = [0u8; 32];
            _mm256_storeu_si256(out.as_mut_ptr() as *mut __m256i, *v);
            for l in 0..16 {
                let row = BIT_REVERSED[k];
                assert_eq!(out[l], (16 * l + row) as u8, "register {k}, lane {l}");
                assert_eq!(out[16 + l], (128 + 16 * l + row) as u8, "high half");
            }
        }

        for bits in [0u64, 1, 0x8000, 0xa5a5, 0xffff, 0x1234] {
            assert_eq!(I16::bits(I16::from_bits(bits)), bits);
        }

        // Lane l: diagonal (l % 4 == 0), from E (l % 4 == 1), from F (else); H is 0 in lanes
        // 0 and 8 (diagonal ones); E opens in the next column in odd lanes, F in lanes >= 8.
        let mask = |f: &dyn Fn(usize) -> bool| {
            I16::from_bits((0..16).filter(|&l| f(l)).map(|l| 1 << l).sum())
        };
        let diag = mask(&|l| l % 4 == 0);
        let from_e = |l: usize| l % 4 == 1;
        let f_wins = mask(&|l| l % 4 >= 2);
        let hfp = _mm256_blendv_epi8(_mm256_set1_epi16(5), _mm256_set1_epi16(1), f_wins);
        let ft = _mm256_blendv_epi8(_mm256_set1_epi16(1), _mm256_set1_epi16(5), f_wins);
        let h_values: [i16; 16] = std::array::from_fn(|l| if l % 8 == 0 { 0 } else { 5 });
        let h = _mm256_loadu_si256(h_values.as_ptr() as *const __m256i);
        let e_next = mask(&|l| l % 2 == 1);
        let f_open = mask(&|l| l >= 8);
        for local in [false, true] {
            let trace = if local {
                I16::trace::<true>(diag, hfp, ft, h, e_next, f_open)
            } else {
                I16::trace::<false>(diag, hfp, ft, h, e_next, f_open)
            };
            let mut pair = [0u8; 16];
            I16::store_pair(pair.as_mut_ptr(), I16::no_trace(), trace);
            for l in 0..16 {
                let state = if l % 4 == 0 {
                    if local && l % 8 == 0 {
                        ZERO
                    } else {
                        DIAG
                    }
                } else if from_e(l) {
                    INS
                } else {
                    DEL
                };
                let f = if l >= 8 { F_OPEN } else { 0 };
                // Column 0 of a pair opens E everywhere; later columns read the previous
                // column's words (here the same pair of rows).
                assert_eq!(I16::code(&pair, None, true, l, local), state | E_OPEN | f);
                let e = if l % 2 == 1 { E_OPEN } else { 0 };
                assert_eq!(I16::code(&pair, Some(&pair), true, l, local), state | e | f);
            }
        }
    }

    /// The 8-bit lanes' bits and trace words, as [`check_layouts`] for 16-bit ones.
    #[target_feature(enable = "avx2")]
    unsafe fn check_u8_layouts() {
        for bits in [0u64, 1, 0x8000_0000, 0xa5a5_5a5a, 0xffff_ffff, 0x1234_5678] {
            assert_eq!(U8::bits(U8::from_bits(bits)), bits);
        }
        // Lane l: diagonal (l % 4 == 0), from E (l % 4 == 1), from F (else); H is 0 in
        // lanes 0 and 8 mod 16; E opens in the next column in odd lanes, F in lanes >= 16.
        let mask = |f: &dyn Fn(usize) -> bool| {
            U8::from_bits((0..32).filter(|&l| f(l)).map(|l| 1u64 << l).sum())
        };
        let diag = mask(&|l| l % 4 == 0);
        let f_wins = mask(&|l| l % 4 >= 2);
        let ft = _mm256_blendv_epi8(_mm256_set1_epi8(1), _mm256_set1_epi8(5), f_wins);
        let h_values: [u8; 32] = std::array::from_fn(|l| if l % 8 == 0 { 0 } else { 5 });
        let h = _mm256_loadu_si256(h_values.as_ptr() as *const __m256i);
        let e_next = mask(&|l| l % 2 == 1);
        let f_open = mask(&|l| l >= 16);
        let trace = U8::trace::<true>(diag, h, ft, h, e_next, f_open);
        let mut pair = [0u8; 32];
        U8::store_pair(pair.as_mut_ptr(), U8::no_trace(), trace);
        for l in 0..32 {
            let state = match l % 4 {
                0 if l % 8 == 0 => ZERO,
                0 => DIAG,
                1 => INS,
                _ => DEL,
            };
            let f = if l >= 16 { F_OPEN } else { 0 };
            assert_eq!(U8::code(&pair, None, true, l, true), state | E_OPEN | f);
            let e = if l % 2 == 1 { E_OPEN } else { 0 };
            assert_eq!(U8::code(&pair, Some(&pair), true, l, true), state | e | f);
            // The even row: no plane set.
            assert_eq!(U8::code(&pair, Some(&pair), false, l, true), INS);
        }
    }

    #[test]
    fn transpose_bits_and_trace_words_round_trip() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            println!("no AVX2 on this CPU: the AVX2 lanes never run here");
            return;
        }
        // SAFETY: AVX2 is available (checked above).
        unsafe {
            check_layouts();
            check_u8_layouts();
        }
    }
}
