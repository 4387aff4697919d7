//! Long pairs: a one-pass traceback takes one byte per cell (so a 35,000-residue pair needs
//! 1.23 GB, within 8 GiB), a two-pass one (the default above 64 Mi cells) a bounded
//! `O(sqrt(n) m)` with the same results, and long alignments stay consistent: the traced
//! score equals the linear-memory score, the path covers both sequences (global) and the
//! kernels agree. The 35,000 x 35,000 pair itself runs in `bench/align/run.sh` (too slow
//! for a debug test), which measures its peak RSS.

use homolog_align::{Aligner, Kernel, Scoring, Traceback};

/// Deterministic related pair: a random protein and a copy with ~20% substitutions and
/// some insertions/deletions.
fn related_pair(len: usize, seed: u64) -> (Vec<u8>, Vec<u8>) {
    const AA: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let a: Vec<u8> = (0..len).map(|_| AA[(next() % 20) as usize]).collect();
    let mut b = Vec::with_capacity(len);
    for &c in &a {
        match next() % 100 {
            0..=14 => b.push(AA[(next() % 20) as usize]),
            15 => {}
            16 => {
                b.push(c);
                b.extend((0..(next() % 5)).map(|_| AA[(next() % 20) as usize]));
            }
            _ => b.push(c),
        }
    }
    (a, b)
}

#[test]
fn memory_is_one_byte_per_cell() {
    // An upper bound: the query rounded up to the widest kernel's 64 lanes (avx512-8).
    assert_eq!(
        Aligner::traceback_bytes_needed(35_000, 35_000),
        35_008 * 35_000
    );
    assert!(Aligner::traceback_bytes_needed(35_000, 35_000) < 8 << 30);
    assert_eq!(Aligner::traceback_bytes_needed(9, 10), 64 * 10);
    let (q, r) = related_pair(3_001, 7);
    let mut a = Aligner::default().with_traceback(Traceback::Full);
    a.global(&q, &r);
    let lanes = a.last_kernel().unwrap().lanes();
    assert_eq!(
        a.traceback_bytes(),
        q.len().div_ceil(lanes) * lanes * r.len()
    );
    assert!(a.traceback_bytes() <= Aligner::traceback_bytes_needed(q.len(), r.len()));
}

#[test]
fn long_pair_is_consistent_and_kernels_agree() {
    let (q, r) = related_pair(12_000, 11);
    let mut a = Aligner::new(Scoring::default());
    let nw = a.global(&q, &r);
    let sw = a.local(&q, &r);
    println!(
        "{} x {}: AVX2 {}; nw {nw:?}; sw {sw:?}",
        q.len(),
        r.len(),
        a.uses_simd(q.len(), r.len())
    );
    assert_eq!(nw.score, a.global_score(&q, &r));
    assert_eq!(sw.score, a.local_score(&q, &r));
    assert_eq!((nw.length - nw.query_gaps) as usize, q.len());
    assert_eq!((nw.length - nw.reference_gaps) as usize, r.len());
    // ~80% identity by construction.
    assert!(nw.identities as f64 / nw.length as f64 > 0.7, "{nw:?}");
    assert!(sw.score >= nw.score);
    // The scalar kernel (64-bit scores) on a shorter long pair gives the same statistics.
    let (q2, r2) = related_pair(2_500, 13);
    let mut s = Aligner::new(Scoring::default()).with_kernel(Kernel::Scalar);
    assert_eq!(a.global(&q2, &r2), s.global(&q2, &r2));
    assert_eq!(a.local(&q2, &r2), s.local(&q2, &r2));
}

#[test]
fn huge_penalties_fall_back_to_64_bit_scores() {
    // Scores beyond the 32-bit lanes' bound must take the scalar (i64) path and stay exact.
    let big = Scoring {
        gap_open: 1 << 29,
        gap_extend: 1 << 28,
        ..Scoring::default()
    };
    let mut a = Aligner::new(big);
    assert!(!a.uses_simd(10, 10));
    let st = a.global("ACDEFGHIK", "ACDEFGHIKLMN");
    // 9 matches (53) then one gap of 3 costing 2^29 + 2 * 2^28 = 2^30.
    assert_eq!(st.length, 12);
    assert_eq!(st.reference_gaps, 0);
    assert_eq!(st.query_gaps, 3);
    assert_eq!(st.score, 53 - (1 << 30));
}

#[test]
fn two_passes_hold_a_fraction_of_the_table_and_give_the_same_results() {
    // The 35,000 x 35,000 pair: at least 4x less than one pass (in fact 16x).
    let full = Aligner::traceback_bytes_needed(35_000, 35_000);
    let two = Aligner::two_pass_bytes_needed(35_000, 35_000);
    println!("35,000 x 35,000: one pass {full} bytes, two passes at most {two}");
    assert!(two * 16 <= full, "{two} vs {full}");
    // A pair past the one-pass limit: the default traces it in two passes, within the
    // bound, with the one-pass results.
    let (q, r) = related_pair(9_000, 17);
    assert!(q.len() * r.len() > Traceback::AUTO_FULL_CELLS);
    assert!(Traceback::Auto.is_two_pass(q.len(), r.len()));
    let mut one = Aligner::default().with_traceback(Traceback::Full);
    let mut sw_one = Aligner::default().with_traceback(Traceback::Full);
    let (nw_full, sw_full) = (one.global(&q, &r), sw_one.local(&q, &r));
    let (mut nw_two, mut sw_two) = (Aligner::default(), Aligner::default());
    assert_eq!(nw_two.traceback(), Traceback::from_env());
    let nw_two = (nw_two.global(&q, &r), nw_two.traceback_bytes());
    let sw_two = (sw_two.local(&q, &r), sw_two.traceback_bytes());
    assert_eq!(nw_two.0, nw_full);
    assert_eq!(sw_two.0, sw_full);
    let bound = Aligner::two_pass_bytes_needed(q.len(), r.len());
    if Traceback::from_env() == Traceback::Auto {
        // A local alignment may try 8-, 16- and 32-bit lanes, each with its checkpoints.
        for (what, bytes, kernels) in [("NW", nw_two.1, 1), ("SW", sw_two.1, 3)] {
            println!(
                "{what}: two passes held {bytes} bytes (one pass: {})",
                one.traceback_bytes()
            );
            assert!(
                bytes <= kernels * bound,
                "{what}: {bytes} > {kernels} x {bound}"
            );
            assert!(bytes * 4 <= one.traceback_bytes(), "{what}: {bytes}");
        }
    }
}
