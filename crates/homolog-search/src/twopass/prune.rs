//! Pruning of the first pass: a seed pass gives each query an early `t`, and the main pass
//! stops scoring a (register block of queries, panel of references) at the first check where
//! none of its pairs can reach its queries' `t` any more (see [`Plan`]).

use super::{
    lane_sum, tile, up, BlockTerms, Candidates, Input, Int8Kernel, QueryCodes, QueryRow, RefTerms,
    RowBlocks, Scratch, Width, PANEL,
};

/// Where the first pass may stop scoring a block early ("pruning").
///
/// A seed pass scores every pair on the first `seed` quads only, and per query takes the
/// [`seed_count`] references whose estimated distance is smallest; their exact bounds give an
/// early `t` (the k-th smallest of their `hi`). The main pass then scores each (register
/// block of queries, panel of 16 references) up to the first check, and at each check drops
/// the blocks none of whose pairs can still reach `t`: over the dimensions not yet scored,
/// `|w_q.w_r| <= |w_q| |w_r|` there (Cauchy-Schwarz on the rest of the rows), so
/// `d >= key - e - C |w_q|_rest |w_r|_rest`, with `key` from the partial dot product and `e`
/// the whole rows' error bound (which bounds any part of them too). A dropped pair has
/// `d > t`, so it is in no result; the rest are scored to the end and go on as before.
/// Clustered data (neighbours well apart from the bulk) loses most blocks at the first
/// check; uniform noise none, and [`crate::Pruning::Auto`] then stops checking.
pub(super) struct Plan {
    /// Quads of the seed pass.
    pub(super) seed: usize,
    /// Quads after which the blocks are checked, ascending.
    pub(super) checks: Vec<usize>,
}

impl Plan {
    /// The plan for rows of `dim4 / 4` quads; `None` where rows are too short for it to pay:
    /// under 512 dimensions a check, which costs about as much as scoring 6 quads, is a large
    /// share of the kernel, and so is the seed pass (UniRep-256 embeddings of the yeast
    /// proteome, which prune nothing, took twice as long with seven checks). The seed pass
    /// reads a sixteenth of the dimensions, and at least 32: fewer pick poor seeds.
    pub(super) fn new(dim4: usize) -> Option<Plan> {
        let quads = dim4 / 4;
        if quads < 128 {
            return None;
        }
        let mut checks: Vec<usize> = [3, 4, 6, 8, 12]
            .iter()
            .map(|&sixteenths| quads * sixteenths / 16)
            .collect();
        checks.dedup();
        Some(Plan {
            seed: (quads / 16).max(8),
            checks,
        })
    }

    /// Every cut with per-row terms: the seed's, then the checks'.
    pub(super) fn cuts(&self) -> Vec<usize> {
        std::iter::once(self.seed)
            .chain(self.checks.iter().copied())
            .collect()
    }
}

/// Seeds per query: enough beyond `k` that a few poor estimates still leave k good ones.
fn seed_count(k: usize) -> usize {
    k.saturating_add(8)
}

/// For each cut (in quads, ascending), into `out`: the sum of `codes` before it and `|v|`
/// from it on (rounded up).
pub(super) fn cut_terms(v: &[f64], codes: &[i8], cuts: &[usize], out: &mut [(i32, f32)]) {
    let dim = v.len();
    let at = |cut: usize| (4 * cut).min(dim);
    // Sums of squares from each cut on, from the end.
    let mut tail = 0.0f64;
    let mut end = dim;
    for (slot, &cut) in out.iter_mut().zip(cuts).rev() {
        tail += lane_sum(&v[at(cut)..end], |x| x * x);
        end = at(cut);
        slot.1 = up(tail.sqrt() * (1.0 + 1e-9));
    }
    let mut sum = 0i32;
    let mut start = 0;
    for (slot, &cut) in out.iter_mut().zip(cuts) {
        sum += codes[start..at(cut)]
            .iter()
            .map(|&c| i32::from(c))
            .sum::<i32>();
        start = at(cut);
        slot.0 = sum;
    }
}

/// What a check of the [`Plan`] reads for one tile, at one cut.
pub(super) struct Check<'a> {
    pub(super) tile: &'a [i32],
    pub(super) ld: usize,
    /// References in the block (its last panel may be partial) and panels.
    pub(super) n: usize,
    pub(super) np: usize,
    pub(super) blocks: RowBlocks,
    pub(super) terms: &'a BlockTerms<'a>,
    /// The block's references at the cut.
    pub(super) corr: &'a [i32],
    pub(super) rest: &'a [f32],
    /// Per query of the tile: its terms, `C |w_q|` from the cut on, and `t`.
    pub(super) queries: &'a [QueryRow],
    pub(super) q_rest: &'a [f32],
    pub(super) ts: &'a [f32],
}

/// Switches off each live (block of queries, panel) none of whose pairs can reach its
/// query's `t` any more (see [`Plan`]; the tile holds the dot products up to the cut).
#[inline(always)]
fn check_body(c: &Check, live: &mut [bool]) {
    let t = c.terms;
    let np = c.np;
    // Panels outer: a full panel's terms are fixed-size arrays, which the compiler keeps in
    // vectors without bounds checks.
    for p in 0..np {
        let (j0, j1) = (p * PANEL, ((p + 1) * PANEL).min(c.n));
        let full = j1 - j0 == PANEL;
        for b in 0..c.blocks.count() {
            let flag = &mut live[b * np + p];
            if !*flag {
                continue;
            }
            let mut any = false;
            for i in c.blocks.rows(b) {
                let row = &c.tile[i * c.ld + j0..i * c.ld + j1];
                any |= if full {
                    panel_reaches::<PANEL>(c, t, row, i, j0)
                } else {
                    panel_reaches::<0>(c, t, row, i, j0)
                };
            }
            *flag = any;
        }
    }
}

/// Whether a pair of query `i` with the references `j0..` (the tile `row`; `N` of them when
/// `N > 0`, `row.len()` otherwise) may still be within the query's `t`.
#[inline(always)]
fn panel_reaches<const N: usize>(
    c: &Check,
    t: &BlockTerms,
    row: &[i32],
    i: usize,
    j0: usize,
) -> bool {
    let len = if N > 0 { N } else { row.len() };
    let (row, corr) = (&row[..len], &c.corr[j0..j0 + len]);
    let (base, step) = (&t.base[j0..j0 + len], &t.step[j0..j0 + len]);
    let (residual, recon) = (&t.residual[j0..j0 + len], &t.recon[j0..j0 + len]);
    let (slack, rest) = (&t.slack[j0..j0 + len], &c.rest[j0..j0 + len]);
    let (q, q_rest, limit) = (c.queries[i], c.q_rest[i], c.ts[i]);
    let mut any = false;
    for l in 0..len {
        let dot = (row[l] - corr[l]) as f32;
        let key = (q.base + base[l]) - dot * q.step * step[l];
        let e = q.a * residual[l] + q.b * recon[l] + q.c + slack[l];
        let lo = (key - e) - q_rest * rest[l];
        // A NaN keeps the pair.
        any |= lo <= limit || lo.is_nan();
    }
    any
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn check_avx512(c: &Check, live: &mut [bool]) {
    check_body(c, live)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn check_avx2(c: &Check, live: &mut [bool]) {
    check_body(c, live)
}

/// [`check_body`] at `width` (detected, so the CPU has it).
pub(super) fn check(width: Width, c: &Check, live: &mut [bool]) {
    #[cfg(target_arch = "x86_64")]
    match width {
        // SAFETY: `width` comes from `Width::detect`, which checked the feature.
        Width::Avx512 => return unsafe { check_avx512(c, live) },
        // SAFETY: as above.
        Width::Avx2 => return unsafe { check_avx2(c, live) },
        Width::Baseline => {}
    }
    let _ = width;
    check_body(c, live)
}

/// One row of the seed pass's tile with the terms of its references: `row` the partial dot
/// products, `corr` the seed cut's corrections, `base` and `step` the references' terms,
/// `scale` the query's step times the share of the row scored.
struct SeedRow<'a> {
    row: &'a [i32],
    corr: &'a [i32],
    base: &'a [f32],
    step: &'a [f32],
    scale: f32,
}

/// Estimated keys of the row's pairs (any estimate will do: the seeds' bounds are then
/// computed exactly), into `est`.
#[inline(always)]
fn estimates_body(r: &SeedRow, est: &mut [f32]) {
    let pairs = r.row.iter().zip(r.corr).zip(r.base).zip(r.step);
    for (e, (((&x, &c), &b), &h)) in est.iter_mut().zip(pairs) {
        *e = b - (x - c) as f32 * h * r.scale;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn estimates_avx2(r: &SeedRow, est: &mut [f32]) {
    estimates_body(r, est)
}

/// [`estimates_body`], on AVX2 where the CPU has it.
fn estimates(width: Width, r: &SeedRow, est: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if width != Width::Baseline {
        // SAFETY: `Width::detect` found AVX2 at least.
        return unsafe { estimates_avx2(r, est) };
    }
    let _ = width;
    estimates_body(r, est)
}

/// The seeds of one query: the references with the smallest estimates so far.
struct Seeds {
    /// (estimate, position).
    items: Vec<(f32, u32)>,
    /// Largest estimate worth keeping: the `want`-th smallest at the last compaction.
    cutoff: f32,
    want: usize,
}

impl Seeds {
    fn new(want: usize) -> Seeds {
        Seeds {
            items: Vec::with_capacity(2 * want),
            cutoff: f32::INFINITY,
            want,
        }
    }

    fn push(&mut self, est: f32, position: u32) {
        self.items.push((est, position));
        if self.items.len() >= 2 * self.want {
            self.compact();
        }
    }

    fn compact(&mut self) {
        if self.items.len() > self.want {
            self.items
                .select_nth_unstable_by(self.want - 1, |a, b| a.0.total_cmp(&b.0));
            self.items.truncate(self.want);
            self.cutoff = self
                .items
                .iter()
                .map(|x| x.0)
                .fold(f32::NEG_INFINITY, f32::max);
        }
    }
}

/// What the seed pass of one task reads.
pub(super) struct SeedTask<'a> {
    pub(super) input: &'a Input<'a>,
    pub(super) kernel: Int8Kernel,
    pub(super) width: Width,
    pub(super) refs: &'a RefTerms,
    /// The terms of every reference, by position.
    pub(super) terms: &'a BlockTerms<'a>,
    /// The task's query codes and terms.
    pub(super) qcodes: &'a QueryCodes<'a>,
    pub(super) rows: &'a [QueryRow],
    pub(super) q0: usize,
    /// Reference positions of the task, and per tile.
    pub(super) range: (usize, usize),
    pub(super) block: usize,
    /// Quads of the seed pass, and of a whole row.
    pub(super) quads: (usize, usize),
    /// The seed cut's corrections, by position.
    pub(super) corr: &'a [i32],
    pub(super) hi_max: f32,
}

/// The seed pass of a task (see [`Plan`]): lowers each query's `t` to the k-th smallest
/// upper bound of its seeds. Returns its work in (query, panel, quad)s.
pub(super) fn seed(task: &SeedTask, scratch: &mut Scratch, cands: &mut [Candidates]) -> u64 {
    let input = task.input;
    let m = cands.len();
    let codes = &task.refs.codes;
    let (dim4, plen) = (codes.dim4, codes.panel_len());
    let (s, quads) = task.quads;
    let mut seeds: Vec<Seeds> = (0..m).map(|_| Seeds::new(seed_count(input.k))).collect();
    // The partial dot product scaled to the whole row: only the order matters.
    let scale = quads as f32 / s as f32;
    let mut work = 0u64;
    let (p0, p1) = task.range;
    let mut b0 = p0;
    while b0 < p1 {
        let b1 = (b0 + task.block).min(p1);
        let n = b1 - b0;
        let np = n.div_ceil(PANEL);
        let ld = np * PANEL;
        let panels = &codes.panels[(b0 / PANEL) * plen..(b0 / PANEL + np) * plen];
        tile(
            task.kernel,
            task.qcodes,
            m,
            panels,
            dim4,
            0..s,
            &mut scratch.tile,
            ld,
            None,
        );
        work += (m * np * s) as u64;
        for (i, seeds) in seeds.iter_mut().enumerate() {
            let est = &mut scratch.lo[..n];
            let r = SeedRow {
                row: &scratch.tile[i * ld..i * ld + n],
                corr: &task.corr[b0..b1],
                base: &task.terms.base[b0..b1],
                step: &task.terms.step[b0..b1],
                scale: task.rows[i].step * scale,
            };
            estimates(task.width, &r, est);
            for (jc, chunk) in est.chunks(16).enumerate() {
                let cutoff = seeds.cutoff;
                if !chunk.iter().fold(false, |any, &x| any | (x < cutoff)) {
                    continue;
                }
                for (jj, &e) in chunk.iter().enumerate() {
                    if e < seeds.cutoff {
                        seeds.push(e, (b0 + jc * 16 + jj) as u32);
                    }
                }
            }
        }
        b0 = b1;
    }
    // The seeds' exact bounds, from their whole dot products.
    for (i, (seeds, cand)) in seeds.iter_mut().zip(cands.iter_mut()).enumerate() {
        seeds.compact();
        let q = task.q0 + i;
        let qrow = &task.qcodes.bytes()[i * dim4..(i + 1) * dim4];
        scratch.his.clear();
        for &(_, position) in &seeds.items {
            let position = position as usize;
            if input.prep.is_excluded(q, input.reference_of(position)) {
                continue;
            }
            let x = codes.dot(qrow, position);
            scratch
                .his
                .push(task.terms.upper(x, position, task.rows[i], task.hi_max));
        }
        if scratch.his.len() >= input.k {
            let (_, kth, _) = scratch
                .his
                .select_nth_unstable_by(input.k - 1, f32::total_cmp);
            if *kth < cand.t {
                cand.t = *kth;
            }
        }
    }
    work
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_terms_are_code_sums_before_and_norms_after_each_cut() {
        let v: Vec<f64> = (0..37).map(|i| ((i * 31) % 17) as f64 - 8.0).collect();
        let codes: Vec<i8> = (0..37).map(|i| ((i * 7) % 11) as i8 - 5).collect();
        // Cuts in quads: inside, at the end of the row (dim 37 < 4 * 10) and past it.
        let cuts = [0, 1, 4, 9, 10, 12];
        let mut got = [(0, 0.0); 6];
        cut_terms(&v, &codes, &cuts, &mut got);
        for (&cut, &(sum, rest)) in cuts.iter().zip(&got) {
            let at = (4 * cut).min(37);
            let want_sum: i32 = codes[..at].iter().map(|&c| i32::from(c)).sum();
            let want_rest = v[at..].iter().map(|x| x * x).sum::<f64>().sqrt();
            assert_eq!(sum, want_sum, "cut {cut}");
            // Rounded up, by a relative hair.
            assert!(f64::from(rest) >= want_rest, "cut {cut}");
            assert!(
                f64::from(rest) <= want_rest * (1.0 + 1e-5) + 1e-30,
                "cut {cut}"
            );
        }
    }

    #[test]
    fn plans_need_long_rows_and_cut_inside_them() {
        assert!(Plan::new(508).is_none());
        for dim4 in [512, 516, 1024, 1028, 4096] {
            let plan = Plan::new(dim4).expect("a plan");
            let quads = dim4 / 4;
            assert!(plan.seed >= 8 && plan.seed < plan.checks[0]);
            assert!(plan.checks.windows(2).all(|w| w[0] < w[1]));
            assert!(*plan.checks.last().unwrap() < quads);
            assert_eq!(plan.cuts()[1..], plan.checks[..]);
        }
    }
}
