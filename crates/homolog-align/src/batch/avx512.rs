//! AVX-512 lanes of the batch kernel (F, BW, VL, VBMI): 32 x `i16`, 64 x `u8` (local
//! alignments) and 64 x `i8` differences (global alignments, [`Lanes::DIFF`]).
//!
//! Scores: the substitution matrix lives in ten registers as five 128-byte pages of
//! `128 / size` matrix columns each; a column fixes each lane's reference residue, hence its
//! page (a mask per page) and offset, and 64 query residues (two rows of 32 lanes or one of
//! 64) are looked up with five `vpermi2b` and four blends; a page that none of the column's
//! lanes needs is skipped (the last one holds the rare symbols B, Z, X and `*` of NCBI's
//! matrices). Masks are `u64` bit masks (a bit per lane), stored as such. Trace: per row,
//! the comparisons' masks as bit planes (see [`Lanes::trace`]).

use std::arch::x86_64::*;

use super::{get_i16, run_group, set_i16, BatchWorkspace, Block, Job, Lanes};
use crate::AlignmentStats;

/// Pages of the score lookup (128 table bytes each).
const PAGES: usize = 5;

/// Whether this CPU has the instructions.
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512vbmi")
}

/// Matrix columns per 128-byte page, when `size` symbols fit the lookup.
pub(super) fn columns_per_page(size: usize) -> Option<usize> {
    if size == 0 || size > 128 {
        return None;
    }
    let per = 128 / size;
    (size.div_ceil(per) <= PAGES).then_some(per)
}

/// The matrix in registers: pages of matrix columns, and per reference symbol its offset
/// in its page and the page.
pub(super) struct Pages {
    tabs: [__m512i; 2 * PAGES],
    offsets: __m512i,
    page_of: __m512i,
}

/// One column: per lane the offset of its reference symbol's matrix column, the lanes of
/// each page (page 0: no bit set), and the query codes.
pub(super) struct PageColumn {
    dw: __m512i,
    pages: [u64; PAGES],
    codes: *const __m512i,
}

/// Builds the lookup (scores raised by `bias`) and sizes the code rows for `rows` rows of
/// `lanes` lanes.
#[inline(always)]
unsafe fn pages(job: &Job, bias: i32, rows: usize, lanes: usize, ws: &mut BatchWorkspace) -> Pages {
    let matrix = &job.scoring.matrix;
    let size = matrix.size();
    // `align_many` checked that the matrix fits.
    let per_page = columns_per_page(size).unwrap_or(1);
    ws.codes.clear();
    ws.codes
        .resize((rows * lanes).div_ceil(64), Block::default());
    // Page `g` holds matrix columns (reference symbols) `g * per_page ..`, byte
    // `w * size + a` = score(query symbol a, reference symbol g * per_page + w) (+ bias).
    let mut table = [0u8; PAGES * 128];
    for d in 0..size {
        let (g, w) = (d / per_page, d % per_page);
        for a in 0..size {
            let s = matrix.score_idx(a as u8, d as u8) + bias;
            table[g * 128 + w * size + a] = s as u8;
        }
    }
    let mut offsets = Block::default();
    let mut page_of = Block::default();
    for d in 0..size {
        offsets.0[d] = ((d % per_page) * size) as u8;
        page_of.0[d] = (d / per_page) as u8;
    }
    let mut tabs = [_mm512_setzero_si512(); 2 * PAGES];
    for (k, v) in tabs.iter_mut().enumerate() {
        *v = _mm512_loadu_si512(table.as_ptr().add(64 * k) as *const __m512i);
    }
    Pages {
        tabs,
        offsets: _mm512_loadu_si512(offsets.0.as_ptr() as *const __m512i),
        page_of: _mm512_loadu_si512(page_of.0.as_ptr() as *const __m512i),
    }
}

/// Writes lane `l`'s query codes: row `r` at byte `r * lanes + l`.
#[inline(always)]
fn set_codes(ws: &mut BatchWorkspace, lanes: usize, l: usize, qc: &[u8]) {
    let codes = super::bytes_mut(&mut ws.codes);
    for (r, &q) in qc.iter().enumerate() {
        codes[r * lanes + l] = q;
    }
}

/// The column of the reference codes `refs` (`lanes` bytes).
#[inline(always)]
unsafe fn page_column(
    pages: &Pages,
    ws: &BatchWorkspace,
    refs: *const u8,
    lanes: usize,
) -> PageColumn {
    let d = if lanes == 32 {
        _mm512_broadcast_i64x4(_mm256_loadu_si256(refs as *const __m256i))
    } else {
        _mm512_loadu_si512(refs as *const __m512i)
    };
    let page = _mm512_permutexvar_epi8(d, pages.page_of);
    let mut masks = [0u64; PAGES];
    for (g, k) in masks.iter_mut().enumerate().skip(1) {
        *k = _mm512_cmpeq_epi8_mask(page, _mm512_set1_epi8(g as i8));
    }
    PageColumn {
        dw: _mm512_permutexvar_epi8(d, pages.offsets),
        pages: masks,
        codes: ws.codes.as_ptr() as *const __m512i,
    }
}

/// Scores of the 64 cells of code block `t`: `table[page(d)][w(d) * size + q]`.
#[inline(always)]
unsafe fn lookup(pages: &Pages, column: &PageColumn, t: usize) -> __m512i {
    let tabs = &pages.tabs;
    let idx = _mm512_add_epi8(_mm512_loadu_si512(column.codes.add(t)), column.dw);
    let mut bytes = _mm512_permutex2var_epi8(tabs[0], idx, tabs[1]);
    for g in 1..PAGES {
        // The same branch for every row of the column: predicted.
        if column.pages[g] != 0 {
            let page = _mm512_permutex2var_epi8(tabs[2 * g], idx, tabs[2 * g + 1]);
            bytes = _mm512_mask_blend_epi8(column.pages[g], bytes, page);
        }
    }
    bytes
}

/// What the AVX-512 lane types share: registers, `u64` masks, bit-plane traces and the page
/// lookup (`N` lanes).
macro_rules! shared_lanes {
    () => {
        type V = __m512i;
        type M = u64;
        type Trace = [u64; 4];
        type Lookup = Pages;
        type Column = PageColumn;
        const BYTES: usize = 64;
        const MASK_BYTES: usize = 8;
        const CLEAN_PADDING: bool = false;

        #[inline(always)]
        unsafe fn zero() -> __m512i {
            _mm512_setzero_si512()
        }
        #[inline(always)]
        unsafe fn load(p: *const u8) -> __m512i {
            _mm512_loadu_si512(p as *const __m512i)
        }
        #[inline(always)]
        unsafe fn store(p: *mut u8, v: __m512i) {
            _mm512_storeu_si512(p as *mut __m512i, v)
        }
        #[inline(always)]
        unsafe fn and(a: u64, b: u64) -> u64 {
            a & b
        }
        #[inline(always)]
        unsafe fn or(a: u64, b: u64) -> u64 {
            a | b
        }
        #[inline(always)]
        unsafe fn bits(k: u64) -> u64 {
            k
        }
        #[inline(always)]
        unsafe fn from_bits(bits: u64) -> u64 {
            bits
        }
        #[inline(always)]
        unsafe fn load_mask(p: *const u8) -> u64 {
            (p as *const u64).read_unaligned()
        }
        #[inline(always)]
        unsafe fn trace<const LOCAL: bool>(
            diag: u64,
            _hfp: __m512i,
            ft: __m512i,
            h: __m512i,
            e_open: u64,
            f_open: u64,
        ) -> [u64; 4] {
            // `H` is from F (one compare); local alignments put "H is 0" where diagonal.
            let from_f = Self::eq(h, ft);
            let second = if LOCAL {
                (from_f & !diag) | (diag & Self::eq(h, _mm512_setzero_si512()))
            } else {
                from_f
            };
            [diag, second, e_open, f_open]
        }
        #[inline(always)]
        unsafe fn no_trace() -> [u64; 4] {
            [0; 4]
        }
        fn set_mask(row: &mut [u8], l: usize, on: bool) {
            super::set_mask_bit(row, l, on)
        }
        #[inline(always)]
        unsafe fn lookup(job: &Job, bias: i32, rows: usize, ws: &mut BatchWorkspace) -> Pages {
            pages(job, bias, rows, Self::N, ws)
        }
        #[inline(always)]
        unsafe fn set_query(_: &Pages, ws: &mut BatchWorkspace, l: usize, qc: &[u8]) {
            set_codes(ws, Self::N, l, qc)
        }
        #[inline(always)]
        unsafe fn column(pages: &Pages, ws: &mut BatchWorkspace, refs: *const u8) -> PageColumn {
            page_column(pages, ws, refs, Self::N)
        }
    };
}

/// 32 x `i16`, saturating.
pub(super) struct I16;

impl Lanes for I16 {
    shared_lanes!();
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
    unsafe fn keep_max(acc: __m512i, k: u64, v: __m512i) -> __m512i {
        _mm512_mask_max_epi16(acc, k as u32, acc, v)
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
    unsafe fn border(j_row: *mut u8, open_neg: __m512i, ext: __m512i) -> (__m512i, __m512i) {
        let j = Self::load(j_row);
        let top = _mm512_subs_epi16(open_neg, _mm512_mullo_epi16(j, ext));
        let zero = _mm512_setzero_si512();
        let diag = Self::mask_mov(_mm512_adds_epi16(top, ext), Self::eq(j, zero), zero);
        Self::store(j_row, _mm512_adds_epi16(j, _mm512_set1_epi16(1)));
        (diag, top)
    }
    #[inline(always)]
    unsafe fn store_pair(dst: *mut u8, even: [u64; 4], odd: [u64; 4]) {
        // 32 lanes: planes of 32 bits.
        let words: [u32; 8] =
            std::array::from_fn(|k| (if k < 4 { even[k] } else { odd[k - 4] }) as u32);
        (dst as *mut [u32; 8]).write_unaligned(words);
    }
    fn get(row: &[u8], l: usize) -> i32 {
        get_i16(row, l)
    }
    fn set(row: &mut [u8], l: usize, x: i64) {
        set_i16(row, l, x)
    }
    #[inline(always)]
    unsafe fn scores(pages: &Pages, column: &PageColumn, u: usize) -> [__m512i; 2] {
        // One block of 64 codes is rows 2u and 2u + 1.
        let bytes = lookup(pages, column, u);
        [
            _mm512_cvtepi8_epi16(_mm512_castsi512_si256(bytes)),
            _mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64::<1>(bytes)),
        ]
    }
}

/// 64 x `u8`, unsigned saturating, biased scores (local alignments).
pub(super) struct U8;

impl Lanes for U8 {
    shared_lanes!();
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
    unsafe fn keep_max(acc: __m512i, k: u64, v: __m512i) -> __m512i {
        _mm512_mask_max_epu8(acc, k, acc, v)
    }
    #[inline(always)]
    unsafe fn diag<const LOCAL: bool>(h_diag: __m512i, s: __m512i, bias: __m512i) -> __m512i {
        // max(0, h_diag + s): the add saturates only at 255 + min s (checked per column).
        _mm512_subs_epu8(_mm512_adds_epu8(h_diag, s), bias)
    }
    #[inline(always)]
    unsafe fn border(_: *mut u8, _: __m512i, _: __m512i) -> (__m512i, __m512i) {
        // 8-bit lanes hold local alignments only, whose borders are 0.
        (_mm512_setzero_si512(), _mm512_setzero_si512())
    }
    #[inline(always)]
    unsafe fn store_pair(dst: *mut u8, even: [u64; 4], odd: [u64; 4]) {
        let words = [
            even[0], even[1], even[2], even[3], odd[0], odd[1], odd[2], odd[3],
        ];
        (dst as *mut [u64; 8]).write_unaligned(words);
    }
    fn get(row: &[u8], l: usize) -> i32 {
        i32::from(row[l])
    }
    fn set(row: &mut [u8], l: usize, x: i64) {
        row[l] = x.clamp(i64::from(Self::NEG), i64::from(Self::MAX)) as u8;
    }
    #[inline(always)]
    unsafe fn scores(pages: &Pages, column: &PageColumn, u: usize) -> [__m512i; 2] {
        // One block of 64 codes per row.
        [
            lookup(pages, column, 2 * u),
            lookup(pages, column, 2 * u + 1),
        ]
    }
}

/// 64 x `i8`, signed saturating, global alignments on differences ([`Lanes::DIFF`]): the
/// 8-bit lanes' masks, trace planes and score lookup with unbiased scores (a negative score
/// is its two's complement byte in the pages).
pub(super) struct I8;

impl Lanes for I8 {
    shared_lanes!();
    const N: usize = 64;
    const NEG: i32 = i8::MIN as i32;
    const MAX: i32 = i8::MAX as i32;
    const BIASED: bool = false;
    const DIFF: bool = true;

    #[inline(always)]
    unsafe fn splat(x: i32) -> __m512i {
        _mm512_set1_epi8(x.clamp(Self::NEG, Self::MAX) as i8)
    }
    #[inline(always)]
    unsafe fn subs(a: __m512i, b: __m512i) -> __m512i {
        _mm512_subs_epi8(a, b)
    }
    #[inline(always)]
    unsafe fn max(a: __m512i, b: __m512i) -> __m512i {
        _mm512_max_epi8(a, b)
    }
    #[inline(always)]
    unsafe fn eq(a: __m512i, b: __m512i) -> u64 {
        _mm512_cmpeq_epi8_mask(a, b)
    }
    #[inline(always)]
    unsafe fn gt(a: __m512i, b: __m512i) -> u64 {
        _mm512_cmpgt_epi8_mask(a, b)
    }
    #[inline(always)]
    unsafe fn ge(a: __m512i, b: __m512i) -> u64 {
        _mm512_cmpge_epi8_mask(a, b)
    }
    #[inline(always)]
    unsafe fn mask_mov(src: __m512i, k: u64, a: __m512i) -> __m512i {
        _mm512_mask_mov_epi8(src, k, a)
    }
    #[inline(always)]
    unsafe fn keep_max(acc: __m512i, k: u64, v: __m512i) -> __m512i {
        _mm512_mask_max_epi8(acc, k, acc, v)
    }
    #[inline(always)]
    unsafe fn diag<const LOCAL: bool>(h_diag: __m512i, s: __m512i, _bias: __m512i) -> __m512i {
        _mm512_adds_epi8(h_diag, s)
    }
    #[inline(always)]
    unsafe fn border(_: *mut u8, _: __m512i, _: __m512i) -> (__m512i, __m512i) {
        // Differences carry the top border as a step (see `run_group`).
        (_mm512_setzero_si512(), _mm512_setzero_si512())
    }
    #[inline(always)]
    unsafe fn store_pair(dst: *mut u8, even: [u64; 4], odd: [u64; 4]) {
        U8::store_pair(dst, even, odd)
    }
    fn get(row: &[u8], l: usize) -> i32 {
        i32::from(row[l] as i8)
    }
    fn set(row: &mut [u8], l: usize, x: i64) {
        row[l] = x.clamp(i64::from(Self::NEG), i64::from(Self::MAX)) as i8 as u8;
    }
    #[inline(always)]
    unsafe fn scores(pages: &Pages, column: &PageColumn, u: usize) -> [__m512i; 2] {
        U8::scores(pages, column, u)
    }
}

/// [`run_group`] on 16-bit lanes.
///
/// # Safety
/// The CPU must have AVX-512 F, BW, VL and VBMI ([`available`]).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
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
/// The CPU must have AVX-512 F, BW, VL and VBMI ([`available`]).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
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
/// The CPU must have AVX-512 F, BW, VL and VBMI ([`available`]).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
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
    use crate::kernel::{DEL, DIAG, E_OPEN, F_OPEN, INS, ZERO};

    /// Trace planes decoded into the scalar kernel's bytes, for `L`'s `N` lanes: lane `l`
    /// diagonal (l % 4 == 0), from E (l % 4 == 1), from F (else); H is 0 in lanes 0 mod 8;
    /// E opens in the next column in odd lanes, F in the upper half.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
    unsafe fn check_planes<L: Lanes<V = __m512i, M = u64>>(values: impl Fn(u8) -> __m512i) {
        let n = L::N;
        let mask = |f: &dyn Fn(usize) -> bool| (0..n).filter(|&l| f(l)).map(|l| 1u64 << l).sum();
        let diag = mask(&|l| l % 4 == 0);
        let f_wins = mask(&|l| l % 4 >= 2);
        let h = L::mask_mov(values(5), mask(&|l| l % 8 == 0), values(0));
        let ft = L::mask_mov(values(1), f_wins, values(5));
        let e_next = mask(&|l| l % 2 == 1);
        let f_open = mask(&|l| l >= n / 2);
        for local in [false, true] {
            let trace = if local {
                L::trace::<true>(diag, h, ft, h, e_next, f_open)
            } else {
                L::trace::<false>(diag, h, ft, h, e_next, f_open)
            };
            let mut pair = vec![0u8; n];
            L::store_pair(pair.as_mut_ptr(), L::no_trace(), trace);
            for l in 0..n {
                let state = match l % 4 {
                    0 if local && l % 8 == 0 => ZERO,
                    0 => DIAG,
                    1 => INS,
                    _ => DEL,
                };
                let f = if l >= n / 2 { F_OPEN } else { 0 };
                assert_eq!(
                    L::code(&pair, None, true, l, local),
                    state | E_OPEN | f,
                    "lane {l}"
                );
                let e = if l % 2 == 1 { E_OPEN } else { 0 };
                assert_eq!(L::code(&pair, Some(&pair), true, l, local), state | e | f);
                // The even row: no plane set.
                assert_eq!(L::code(&pair, Some(&pair), false, l, local), INS);
            }
        }
    }

    #[test]
    fn trace_planes_round_trip() {
        if !available() {
            println!("no AVX-512 (F, BW, VL, VBMI) on this CPU: the AVX-512 lanes never run here");
            return;
        }
        // SAFETY: the CPU has the instructions (checked above).
        unsafe {
            check_planes::<I16>(|x| _mm512_set1_epi16(i16::from(x)));
            check_planes::<U8>(|x| _mm512_set1_epi8(x as i8));
            check_planes::<I8>(|x| _mm512_set1_epi8(x as i8));
        }
    }
}
