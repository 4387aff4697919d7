//! Portable lanes for the tests: 8 lanes of `i32` holding the values of 16-bit, biased
//! 8-bit or signed 8-bit difference lanes, with the AVX-512 lanes' layout choices (`u64` masks, a valid mask for
//! padding rows, bit-plane traces). They run the generic loop ([`run_group`]) through the
//! paths that only the AVX-512 lanes take on real CPUs, on any CPU, so those paths are
//! tested where AVX-512 is missing.

use super::{run_group, BatchWorkspace, Block, Job, Lanes};
use crate::AlignmentStats;

const LANES: usize = 8;

type Values = [i32; LANES];

/// The substitution matrix (scores raised by the bias) and its size.
pub(super) struct Table {
    scores: Vec<i32>,
    size: usize,
}

/// One column: each lane's reference code, and the query codes of every row.
pub(super) struct Column {
    refs: [u8; LANES],
    codes: *const u8,
}

/// 16-bit lanes (`NARROW` false), biased 8-bit ones (`NARROW` true) or, with a `RANGE`,
/// signed differences in `-RANGE..RANGE` (128: bytes; smaller ones test the bound of
/// `differences_fit` where values do leave the range).
pub(super) struct Emulated<const NARROW: bool, const RANGE: i32 = 0>;

thread_local! {
    /// Subtractions of a value above minus infinity whose result the difference lanes
    /// clipped, on this thread.
    static CLIPPED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many subtractions the emulated difference lanes have clipped on this thread.
pub(super) fn clipped() -> u64 {
    CLIPPED.with(|c| c.get())
}

fn each(f: impl Fn(usize) -> i32) -> Values {
    std::array::from_fn(f)
}

fn mask(f: impl Fn(usize) -> bool) -> u64 {
    (0..LANES).filter(|&l| f(l)).map(|l| 1u64 << l).sum()
}

impl<const NARROW: bool, const RANGE: i32> Emulated<NARROW, RANGE> {
    fn clamp(x: i32) -> i32 {
        x.clamp(Self::NEG, Self::MAX)
    }
}

impl<const NARROW: bool, const RANGE: i32> Lanes for Emulated<NARROW, RANGE> {
    type V = Values;
    type M = u64;
    type Trace = [u8; 4];
    type Lookup = Table;
    type Column = Column;
    const N: usize = LANES;
    const BYTES: usize = 4 * LANES;
    const MASK_BYTES: usize = 8;
    const NEG: i32 = if RANGE > 0 {
        -RANGE
    } else if NARROW {
        0
    } else {
        i16::MIN as i32
    };
    const MAX: i32 = if RANGE > 0 {
        RANGE - 1
    } else if NARROW {
        u8::MAX as i32
    } else {
        i16::MAX as i32
    };
    const BIASED: bool = NARROW && RANGE == 0;
    const DIFF: bool = RANGE > 0;
    const CLEAN_PADDING: bool = false;

    unsafe fn zero() -> Values {
        [0; LANES]
    }
    unsafe fn splat(x: i32) -> Values {
        [Self::clamp(x); LANES]
    }
    unsafe fn load(p: *const u8) -> Values {
        (p as *const Values).read_unaligned()
    }
    unsafe fn store(p: *mut u8, v: Values) {
        (p as *mut Values).write_unaligned(v)
    }
    unsafe fn subs(a: Values, b: Values) -> Values {
        let out = each(|l| Self::clamp(a[l] - b[l]));
        if RANGE > 0 {
            // Values clipped from a real value (not from minus infinity, the lowest value).
            let clipped = (0..LANES)
                .filter(|&l| a[l] > Self::NEG && out[l] != a[l] - b[l])
                .count() as u64;
            CLIPPED.with(|c| c.set(c.get() + clipped));
        }
        out
    }
    unsafe fn max(a: Values, b: Values) -> Values {
        each(|l| a[l].max(b[l]))
    }
    unsafe fn eq(a: Values, b: Values) -> u64 {
        mask(|l| a[l] == b[l])
    }
    unsafe fn gt(a: Values, b: Values) -> u64 {
        mask(|l| a[l] > b[l])
    }
    unsafe fn ge(a: Values, b: Values) -> u64 {
        mask(|l| a[l] >= b[l])
    }
    unsafe fn and(a: u64, b: u64) -> u64 {
        a & b
    }
    unsafe fn or(a: u64, b: u64) -> u64 {
        a | b
    }
    unsafe fn mask_mov(src: Values, k: u64, a: Values) -> Values {
        each(|l| if k >> l & 1 == 1 { a[l] } else { src[l] })
    }
    unsafe fn keep_max(acc: Values, k: u64, v: Values) -> Values {
        each(|l| {
            if k >> l & 1 == 1 {
                acc[l].max(v[l])
            } else {
                acc[l]
            }
        })
    }
    unsafe fn bits(k: u64) -> u64 {
        k
    }
    unsafe fn from_bits(bits: u64) -> u64 {
        bits & ((1 << LANES) - 1)
    }
    unsafe fn load_mask(p: *const u8) -> u64 {
        (p as *const u64).read_unaligned()
    }
    unsafe fn diag<const LOCAL: bool>(h_diag: Values, s: Values, bias: Values) -> Values {
        if NARROW && RANGE == 0 {
            // Saturating unsigned add, then the bias off (at least 0).
            each(|l| ((h_diag[l] + s[l]).min(Self::MAX) - bias[l]).max(0))
        } else {
            each(|l| {
                let hd = Self::clamp(h_diag[l] + s[l]);
                if LOCAL {
                    hd.max(0)
                } else {
                    hd
                }
            })
        }
    }
    unsafe fn border(j_row: *mut u8, open_neg: Values, ext: Values) -> (Values, Values) {
        if NARROW || RANGE > 0 {
            return ([0; LANES], [0; LANES]);
        }
        let j = Self::load(j_row);
        let top = each(|l| Self::clamp(open_neg[l] - j[l] * ext[l]));
        let diag = each(|l| {
            if j[l] == 0 {
                0
            } else {
                Self::clamp(top[l] + ext[l])
            }
        });
        Self::store(j_row, each(|l| j[l] + 1));
        (diag, top)
    }
    unsafe fn trace<const LOCAL: bool>(
        diag: u64,
        _hfp: Values,
        ft: Values,
        h: Values,
        e_open: u64,
        f_open: u64,
    ) -> [u8; 4] {
        let from_f = mask(|l| h[l] == ft[l]);
        let second = if LOCAL {
            (from_f & !diag) | (diag & mask(|l| h[l] == 0))
        } else {
            from_f
        };
        [diag, second, e_open, f_open].map(|k| k as u8)
    }
    unsafe fn no_trace() -> [u8; 4] {
        [0; 4]
    }
    unsafe fn store_pair(dst: *mut u8, even: [u8; 4], odd: [u8; 4]) {
        let bytes = [
            even[0], even[1], even[2], even[3], odd[0], odd[1], odd[2], odd[3],
        ];
        (dst as *mut [u8; LANES]).write_unaligned(bytes)
    }
    fn get(row: &[u8], l: usize) -> i32 {
        i32::from_ne_bytes(row[4 * l..4 * l + 4].try_into().unwrap_or_default())
    }
    fn set(row: &mut [u8], l: usize, x: i64) {
        let x = x.clamp(i64::from(Self::NEG), i64::from(Self::MAX)) as i32;
        row[4 * l..4 * l + 4].copy_from_slice(&x.to_ne_bytes());
    }
    fn set_mask(row: &mut [u8], l: usize, on: bool) {
        super::set_mask_bit(row, l, on)
    }

    unsafe fn lookup(job: &Job, bias: i32, rows: usize, ws: &mut BatchWorkspace) -> Table {
        let matrix = &job.scoring.matrix;
        let size = matrix.size();
        ws.codes.clear();
        ws.codes
            .resize((rows * LANES).div_ceil(64), Block::default());
        let scores = (0..size * size)
            .map(|k| matrix.score_idx((k / size) as u8, (k % size) as u8) + bias)
            .collect();
        Table { scores, size }
    }
    unsafe fn set_query(_: &Table, ws: &mut BatchWorkspace, l: usize, qc: &[u8]) {
        let codes = super::bytes_mut(&mut ws.codes);
        for (r, &q) in qc.iter().enumerate() {
            codes[r * LANES + l] = q;
        }
    }
    unsafe fn column(_: &Table, ws: &mut BatchWorkspace, refs: *const u8) -> Column {
        Column {
            refs: (refs as *const [u8; LANES]).read_unaligned(),
            codes: ws.codes.as_ptr() as *const u8,
        }
    }
    unsafe fn scores(table: &Table, column: &Column, u: usize) -> [Values; 2] {
        // Rows past a lane's query read another pair's codes: the valid mask ignores them.
        std::array::from_fn(|half| {
            let r = 2 * u + half;
            each(|l| {
                let q = usize::from(*column.codes.add(r * LANES + l));
                table.scores[q * table.size + usize::from(column.refs[l])]
            })
        })
    }
}

/// [`run_group`] on emulated 16-bit lanes.
pub(super) fn run_i16<const LOCAL: bool>(
    ws: &mut BatchWorkspace,
    job: &Job,
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
    left: &mut Vec<usize>,
) {
    // SAFETY: the emulated lanes need no CPU feature.
    unsafe { run_group::<Emulated<false>, LOCAL>(ws, job, group, out, left) }
}

/// [`run_group`] on emulated 8-bit lanes (local alignments).
pub(super) fn run_u8(
    ws: &mut BatchWorkspace,
    job: &Job,
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
    left: &mut Vec<usize>,
) {
    // SAFETY: as above.
    unsafe { run_group::<Emulated<true>, true>(ws, job, group, out, left) }
}

/// [`run_group`] on emulated differences in `-RANGE..RANGE` (global alignments).
pub(super) fn run_i8<const RANGE: i32>(
    ws: &mut BatchWorkspace,
    job: &Job,
    group: &[usize],
    out: &mut [Option<AlignmentStats>],
    left: &mut Vec<usize>,
) {
    // SAFETY: as above.
    unsafe { run_group::<Emulated<true, RANGE>, false>(ws, job, group, out, left) }
}
