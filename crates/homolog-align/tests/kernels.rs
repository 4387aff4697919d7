//! All kernels agree: every kernel this CPU runs (AVX-512 / AVX2, 16- and 32-bit lanes)
//! gives exactly the scalar kernel's results (score and traceback statistics) on random
//! pairs of many lengths (so every stripe / lane layout occurs), with several matrices and
//! penalties, and on pairs whose scores overflow 16 bits (which the 16-bit kernels detect
//! and hand to a 32-bit kernel).

mod common;

use common::Rng;
use homolog_align::{Aligner, Kernel, Scoring, SubstitutionMatrix};

const AA: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";

fn wide_kernels() -> Vec<Kernel> {
    Kernel::available()
        .into_iter()
        .filter(|&k| k != Kernel::Scalar)
        .collect()
}

/// Compares every kernel with the scalar one on `q` vs `r`.
fn agree(scoring: &Scoring, q: &[u8], r: &[u8], what: &str) {
    let mut scalar = Aligner::new(scoring.clone()).with_kernel(Kernel::Scalar);
    let nw = scalar.global(q, r);
    let sw = scalar.local(q, r);
    let nws = scalar.global_score(q, r);
    let sws = scalar.local_score(q, r);
    assert_eq!(nw.score, nws);
    assert_eq!(sw.score, sws);
    for k in wide_kernels() {
        let mut a = Aligner::new(scoring.clone()).with_kernel(k);
        let (qs, rs) = (String::from_utf8_lossy(q), String::from_utf8_lossy(r));
        assert_eq!(a.global(q, r), nw, "{k} global, {what}: {qs} vs {rs}");
        assert_eq!(a.local(q, r), sw, "{k} local, {what}: {qs} vs {rs}");
        assert_eq!(a.global_score(q, r), nws, "{k} global score, {what}");
        assert_eq!(a.local_score(q, r), sws, "{k} local score, {what}");
    }
}

#[test]
fn kernels_agree_on_random_pairs_of_every_length() {
    let s = Scoring::default();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let n = if cfg!(debug_assertions) { 150 } else { 1500 };
    for i in 0..n {
        // Short queries cover every (m mod 8, m mod 16, m mod 32) layout.
        let m = if i < 200 {
            1 + i % 100
        } else {
            1 + rng.below(700)
        };
        let q = rng.seq(AA, m);
        let r = match rng.below(3) {
            0 => rng.seq_upto(AA, 400),
            _ => rng.mutate(&q, AA),
        };
        if r.is_empty() {
            continue;
        }
        agree(&s, &q, &r, &format!("pair {i}"));
    }
}

/// BLOSUM62 and three NCBI matrices of the data folder (a failure with HOMOLOG_REQUIRE_DATA
/// when they are missing; BLOSUM62 alone otherwise).
fn matrices() -> Vec<SubstitutionMatrix> {
    let mut matrices = vec![SubstitutionMatrix::blosum62()];
    for name in ["BLOSUM45", "PAM250", "BLOSUM80"] {
        if let Some(path) = homolog_testkit::data_file(&format!("matrices/{name}")) {
            matrices.push(
                SubstitutionMatrix::from_ncbi_file(&path).unwrap_or_else(|e| {
                    panic!("{}: {e}", path.display());
                }),
            );
        }
    }
    matrices
}

const GAPS: [(i32, i32); 6] = [(10, 1), (11, 2), (3, 3), (0, 0), (1, 0), (20, 5)];

#[test]
fn kernels_agree_with_other_matrices_and_penalties() {
    let mut rng = Rng(77);
    let per = if cfg!(debug_assertions) { 20 } else { 150 };
    for matrix in matrices() {
        for (open, ext) in GAPS {
            let s = Scoring::new(matrix.clone(), open, ext).unwrap();
            for i in 0..per {
                let q = rng.seq_upto(AA, 300);
                let r = if i % 2 == 0 {
                    rng.mutate(&q, AA)
                } else {
                    rng.seq_upto(AA, 300)
                };
                if r.is_empty() {
                    continue;
                }
                agree(
                    &s,
                    &q,
                    &r,
                    &format!("{} {open}/{ext} pair {i}", matrix.name()),
                );
            }
        }
    }
}

#[test]
fn low_complexity_pairs_with_many_ties_agree() {
    let s = Scoring::default();
    let mut rng = Rng(5);
    let n = if cfg!(debug_assertions) { 60 } else { 600 };
    for i in 0..n {
        let alpha: &[u8] = [&b"AG"[..], b"LLLLA", b"W", b"KR"][i % 4];
        let q = rng.seq_upto(alpha, 200);
        let r = rng.seq_upto(alpha, 200);
        agree(&s, &q, &r, &format!("low complexity {i}"));
    }
}

/// A matrix over A, C, X with match score `s`.
fn big_matrix(s: i32) -> SubstitutionMatrix {
    let text = format!("   A  C  X\nA {s} -3 -1\nC -3 {s} -1\nX -1 -1 -1\n");
    SubstitutionMatrix::from_ncbi("big", &text).unwrap()
}

/// Largest local score the 8-bit kernels hold with `matrix`: scores reaching
/// `255 - bias` (bias = -min score) may have saturated and go to 16 bits; `None` when the
/// matrix does not fit 8-bit lanes at all.
fn limit8(matrix: &SubstitutionMatrix) -> Option<i32> {
    let syms = matrix.symbols();
    let scores = syms.iter().flat_map(|&a| syms.iter().map(move |&b| (a, b)));
    let (lo, hi) = scores.fold((0, 0), |(lo, hi), (a, b)| {
        let s = matrix.score(a, b);
        (s.min(lo), s.max(hi))
    });
    (hi - lo < 255).then_some(255 + lo)
}

/// The kernel that should produce a result when `k` is forced: 8-bit lanes take local
/// alignments that stay below their limit, 16-bit lanes pairs that fit 16 bits, and the
/// rest goes down the chain (`avx512-8 -> avx512-16 -> avx512-32`, `avx2-8 -> avx2-16 ->
/// avx2-32`).
fn expected_kernel(k: Kernel, local: bool, fits8: bool, fits16: bool) -> Kernel {
    let (k8, k16, k32) = match k {
        Kernel::Avx2x8 | Kernel::Avx2x16 => (Kernel::Avx2x8, Kernel::Avx2x16, Kernel::Avx2x32),
        Kernel::Avx512x8 | Kernel::Avx512x16 => {
            (Kernel::Avx512x8, Kernel::Avx512x16, Kernel::Avx512x32)
        }
        other => return other,
    };
    if k == k8 && local && fits8 {
        k8
    } else if fits16 {
        k16
    } else {
        k32
    }
}

/// Aligns `q` vs `r` with every kernel and checks the result against the scalar kernel and
/// which kernel produced it (`overflows16`: the scores leave 16 bits).
fn overflow_case(scoring: &Scoring, q: &[u8], r: &[u8], overflows16: bool, what: &str) {
    let mut scalar = Aligner::new(scoring.clone()).with_kernel(Kernel::Scalar);
    let want = (scalar.global(q, r), scalar.local(q, r));
    let want_scores = (scalar.global_score(q, r), scalar.local_score(q, r));
    let fits8 = limit8(&scoring.matrix).is_some_and(|l| want.1.score < l);
    let nw_k = |k| expected_kernel(k, false, fits8, !overflows16);
    let sw_k = |k| expected_kernel(k, true, fits8, !overflows16);
    for k in wide_kernels() {
        // Local first, on fresh aligners: no global score of the pair is known, so the
        // 8-bit kernels must detect their overflow at run time.
        let mut a = Aligner::new(scoring.clone()).with_kernel(k);
        assert_eq!(a.local(q, r), want.1, "{k} local first, {what}");
        assert_eq!(a.last_kernel(), Some(sw_k(k)), "{k} local first, {what}");
        let mut a = Aligner::new(scoring.clone()).with_kernel(k);
        assert_eq!(
            a.local_score(q, r),
            want_scores.1,
            "{k} local first, {what}"
        );
        assert_eq!(a.last_kernel(), Some(sw_k(k)), "{k} local first, {what}");
        // Then global before local, as PROTEA's features do (the global score may skip
        // the 8-bit lanes a priori; same results either way).
        let mut a = Aligner::new(scoring.clone()).with_kernel(k);
        let nw = a.global(q, r);
        assert_eq!(a.last_kernel(), Some(nw_k(k)), "{k} global, {what}");
        let sw = a.local(q, r);
        assert_eq!(a.last_kernel(), Some(sw_k(k)), "{k} local, {what}");
        assert_eq!((nw, sw), want, "{k}, {what}");
        let nws = a.global_score(q, r);
        let sws = a.local_score(q, r);
        assert_eq!(
            a.last_kernel(),
            Some(sw_k(k)),
            "{k} local score only, {what}"
        );
        assert_eq!((nws, sws), want_scores, "{k} score only, {what}");
    }
}

#[test]
fn sixteen_bit_overflow_falls_back_to_32_bit_lanes() {
    let s = Scoring::default();
    // W/W scores 11: 3,000 identical W's score 33,000 > i16::MAX.
    let w = vec![b'W'; 3000];
    overflow_case(&s, &w, &w, true, "3000 W");
    // A long identical protein: about 5.3 per residue (release builds only: 49M cells).
    if !cfg!(debug_assertions) {
        let mut rng = Rng(99);
        let p = rng.seq(AA, 7000);
        let mut a = Aligner::new(s.clone()).with_kernel(Kernel::Scalar);
        assert!(a.local_score(&p, &p) > i32::from(i16::MAX));
        overflow_case(&s, &p, &p, true, "identical 7000");
    }
    // Just below and just above the limit, with a big match score: 762 x 43 = 32,766 fits;
    // 763 x 43 = 32,809 does not.
    let big = Scoring::new(big_matrix(43), 10, 1).unwrap();
    let a762 = vec![b'A'; 762];
    overflow_case(&big, &a762, &a762, false, "762 x 43");
    let a763 = vec![b'A'; 763];
    overflow_case(&big, &a763, &a763, true, "763 x 43");
    // Big scores inside a pair that does not overflow overall still agree.
    let mut q = b"CCCC".repeat(50);
    q.extend(vec![b'A'; 200]);
    let mut r = vec![b'A'; 150];
    r.extend(b"CACA".repeat(40));
    overflow_case(
        &Scoring::new(big_matrix(100), 7, 2).unwrap(),
        &q,
        &r,
        false,
        "mixed 100",
    );
}

#[test]
fn long_global_pairs_beyond_the_16_bit_bound_use_32_bit_lanes() {
    // With extend 4, global values of a 5,000 x 4,000 pair can go below -32,768: the a
    // priori bound sends it to 32-bit lanes; a local alignment of the same pair stays
    // within 16 bits.
    let s = Scoring::new(SubstitutionMatrix::blosum62(), 10, 4).unwrap();
    let mut rng = Rng(3);
    let (q, r) = (rng.seq(AA, 5000), rng.seq(AA, 4000));
    for k in wide_kernels() {
        let a = Aligner::new(s.clone()).with_kernel(k);
        // Run-time overflow aside (fits8: the a priori part only).
        let want_nw = expected_kernel(k, false, true, false);
        assert_eq!(a.kernel_for(q.len(), r.len(), false), want_nw, "{k}");
        assert_eq!(a.kernel_for(q.len(), r.len(), true), k, "{k}");
    }
    if !cfg!(debug_assertions) {
        agree(&s, &q, &r, "unrelated 5000 x 4000, 10/4");
    }
}

/// Short pairs, so most local scores stay below the 8-bit limit and the 8-bit kernels run
/// (not just fall back): every matrix and gap setting, random, related and low-complexity
/// pairs of every length up to 130 (every `m mod 64` layout).
#[test]
fn eight_bit_kernels_agree_where_they_run() {
    let eight: Vec<Kernel> = wide_kernels()
        .into_iter()
        .filter(|k| matches!(k, Kernel::Avx2x8 | Kernel::Avx512x8))
        .collect();
    if eight.is_empty() {
        println!("skipped: no 8-bit kernel on this CPU");
        return;
    }
    let mut rng = Rng(808);
    let per = if cfg!(debug_assertions) { 25 } else { 200 };
    let (mut ran, mut total) = (0usize, 0usize);
    for matrix in matrices() {
        for (open, ext) in GAPS {
            let s = Scoring::new(matrix.clone(), open, ext).unwrap();
            for i in 0..per {
                let m = 1 + (i * 7 + rng.below(7)) % 130;
                let q = match i % 5 {
                    4 => rng.seq(b"AAG", m),
                    _ => rng.seq(AA, m),
                };
                let r = match i % 3 {
                    0 => rng.seq_upto(AA, 130),
                    _ => rng.mutate(&q, AA),
                };
                if r.is_empty() {
                    continue;
                }
                agree(
                    &s,
                    &q,
                    &r,
                    &format!("8-bit, {} {open}/{ext} pair {i}", matrix.name()),
                );
                let mut a = Aligner::new(s.clone()).with_kernel(eight[0]);
                a.local(&q, &r);
                ran += usize::from(a.last_kernel() == Some(eight[0]));
                total += 1;
            }
        }
    }
    println!("8-bit kernel ran on {ran} of {total} local alignments");
    // Most of them: the test must exercise the 8-bit kernels, not only their fallback.
    assert!(ran * 2 > total, "{ran} of {total}");
}

#[test]
fn eight_bit_overflow_falls_back_to_16_bit_lanes() {
    let s = Scoring::default();
    // BLOSUM62 scores -4..11: bias 4, so local scores up to 250 stay in 8-bit lanes.
    assert_eq!(limit8(&s.matrix), Some(251));
    let mut a = Aligner::new(s.clone()).with_kernel(Kernel::Scalar);
    // 22 W's (242) + AA (8) = 250 fits; 22 W's + C (9) = 251 may have saturated.
    let mut q250 = vec![b'W'; 22];
    q250.extend(b"AA");
    assert_eq!(a.local_score(&q250, &q250), 250);
    overflow_case(&s, &q250, &q250, false, "local 250");
    let mut q251 = vec![b'W'; 22];
    q251.push(b'C');
    assert_eq!(a.local_score(&q251, &q251), 251);
    overflow_case(&s, &q251, &q251, false, "local 251");
    // The same inside unrelated flanks, the maximum reached mid-sequence and mid-vector.
    let mut rng = Rng(251);
    for (i, core) in [&q250, &q251].into_iter().enumerate() {
        let mut q = rng.seq(b"DE", 90);
        q.extend(core);
        q.extend(rng.seq(b"DE", 40));
        let mut r = rng.seq(b"KR", 33);
        r.extend(core);
        r.extend(rng.seq(b"KR", 70));
        overflow_case(&s, &q, &r, false, &format!("flanked core {i}"));
    }
    // Identical proteins: a few hundred residues leave 8 bits, not 16.
    for len in [60, 120, 400, 1000] {
        let p = rng.seq(AA, len);
        overflow_case(&s, &p, &p, false, &format!("identical {len}"));
    }
    // Related pairs of typical lengths, most of which leave 8 bits.
    for i in 0..20 {
        let q = rng.seq(AA, 100 + 40 * i);
        let r = rng.mutate(&q, AA);
        overflow_case(&s, &q, &r, false, &format!("related {i}"));
    }
    // Scores too wide for bytes (A/A 300, C/A -3): 8-bit lanes are skipped a priori.
    let wide = Scoring::new(big_matrix(300), 10, 1).unwrap();
    assert_eq!(limit8(&wide.matrix), None);
    for k in wide_kernels() {
        let a = Aligner::new(wide.clone()).with_kernel(k);
        assert_eq!(
            a.kernel_for(50, 50, true),
            expected_kernel(k, true, false, true),
            "{k}"
        );
    }
    overflow_case(&wide, b"ACCA", b"ACA", false, "wide matrix");
}
