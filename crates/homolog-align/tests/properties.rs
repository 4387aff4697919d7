//! Cross-checks on random pairs: the parasail-compatible kernels against an independent,
//! textbook three-matrix Gotoh recurrence (scores), traceback against score-only paths, and
//! internal consistency of the statistics.

mod common;

use common::Rng;
use homolog_align::{
    global, global_score, local, local_score, Aligner, BatchLanes, Kernel, Scoring, Traceback,
};

/// Textbook Gotoh over full matrices (no striping, no traceback): the optimal score.
fn naive_score(q: &[u8], r: &[u8], s: &Scoring, local: bool) -> i64 {
    const NEG: i64 = i64::MIN / 4;
    let (m, n) = (q.len(), r.len());
    let (o, e) = (i64::from(s.gap_open), i64::from(s.gap_extend));
    if m == 0 || n == 0 {
        return if local || m + n == 0 {
            0
        } else {
            -(o + (m + n - 1) as i64 * e)
        };
    }
    let mut h = vec![vec![NEG; n + 1]; m + 1];
    let mut ee = vec![vec![NEG; n + 1]; m + 1]; // gap in query (horizontal)
    let mut ff = vec![vec![NEG; n + 1]; m + 1]; // gap in reference (vertical)
    h[0][0] = 0;
    for i in 1..=m {
        h[i][0] = if local { 0 } else { -(o + (i as i64 - 1) * e) };
        ff[i][0] = h[i][0];
    }
    for j in 1..=n {
        h[0][j] = if local { 0 } else { -(o + (j as i64 - 1) * e) };
        ee[0][j] = h[0][j];
    }
    let mut best = 0;
    for i in 1..=m {
        for j in 1..=n {
            ee[i][j] = (h[i][j - 1] - o).max(ee[i][j - 1] - e);
            ff[i][j] = (h[i - 1][j] - o).max(ff[i - 1][j] - e);
            let d = h[i - 1][j - 1] + i64::from(s.matrix.score(q[i - 1], r[j - 1]));
            let mut v = d.max(ee[i][j]).max(ff[i][j]);
            if local {
                v = v.max(0);
            }
            h[i][j] = v;
            best = best.max(v);
        }
    }
    if local {
        best
    } else {
        h[m][n]
    }
}

/// BLOSUM62 with each `(open, extend)` gap setting.
fn blosum62_with_gaps(gaps: &[(i32, i32)]) -> Vec<Scoring> {
    gaps.iter()
        .map(|&(gap_open, gap_extend)| Scoring {
            gap_open,
            gap_extend,
            ..Scoring::default()
        })
        .collect()
}

const ALPHABETS: [&[u8]; 6] = [
    b"AG",
    b"AST",
    b"LIVM",
    b"WPG",
    b"ACDEFGHIKLMNPQRSTVWY",
    b"ACDEFGHIKLMNPQRSTVWYXBZUOacdw",
];

#[test]
fn scores_equal_textbook_gotoh() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let scorings = blosum62_with_gaps(&[(10, 1), (3, 1), (5, 5), (0, 0)]);
    for round in 0..1500 {
        let alphabet = ALPHABETS[rng.below(ALPHABETS.len())];
        let q = rng.seq_0_to(alphabet, 45);
        let r = rng.seq_0_to(alphabet, 45);
        let s = &scorings[round % scorings.len()];
        let want_nw = naive_score(&q, &r, s, false);
        let want_sw = naive_score(&q, &r, s, true);
        let ctx = || {
            format!(
                "q={} r={} open={} extend={}",
                String::from_utf8_lossy(&q),
                String::from_utf8_lossy(&r),
                s.gap_open,
                s.gap_extend
            )
        };
        assert_eq!(i64::from(global(&q, &r, s).score), want_nw, "NW {}", ctx());
        assert_eq!(i64::from(local(&q, &r, s).score), want_sw, "SW {}", ctx());
        assert_eq!(
            i64::from(global_score(&q, &r, s)),
            want_nw,
            "NW score-only {}",
            ctx()
        );
        assert_eq!(
            i64::from(local_score(&q, &r, s)),
            want_sw,
            "SW score-only {}",
            ctx()
        );
        // The stripe width changes tie-breaking machinery, never the optimum.
        for lanes in [1, 3, 4, 16] {
            let mut a = Aligner::new(s.clone()).with_lanes(lanes);
            assert_eq!(
                i64::from(a.global_score(&q, &r)),
                want_nw,
                "lanes {lanes} {}",
                ctx()
            );
            assert_eq!(
                i64::from(a.local(&q, &r).score),
                want_sw,
                "lanes {lanes} {}",
                ctx()
            );
        }
    }
}

#[test]
fn statistics_are_consistent_with_the_sequences() {
    let mut rng = Rng(42);
    let s = Scoring::default();
    let mut a = Aligner::new(s.clone());
    for _ in 0..800 {
        let alphabet = ALPHABETS[rng.below(ALPHABETS.len())];
        let q = rng.seq_0_to(alphabet, 60);
        let r = rng.seq_0_to(alphabet, 60);
        let nw = a.global(&q, &r);
        // A global alignment uses every residue of both sequences exactly once.
        assert_eq!((nw.length - nw.query_gaps) as usize, q.len());
        assert_eq!((nw.length - nw.reference_gaps) as usize, r.len());
        let sw = a.local(&q, &r);
        assert!(sw.score >= 0);
        assert!(sw.identities <= sw.similarities);
        assert!(sw.similarities + sw.query_gaps + sw.reference_gaps <= sw.length);
        assert!((sw.length - sw.query_gaps) as usize <= q.len());
        assert!((sw.length - sw.reference_gaps) as usize <= r.len());
        assert_eq!(sw.length == 0, sw.score == 0);
        // Identical sequences align to themselves without gaps.
        let same = a.global(&q, &q);
        assert_eq!(same.identities as usize, q.len());
        assert_eq!(same.query_gaps + same.reference_gaps, 0);
    }
}

/// The two-pass traceback (score pass with checkpoints, blocks recomputed) reports the very
/// path of the one-pass table: identical statistics for every kernel, on random pairs
/// (unrelated and related), repeats and low-complexity pairs (many equal-scoring paths),
/// lengths on both sides of the block size (16+ columns) and checkpoint boundaries, and
/// other penalties.
#[test]
fn two_pass_traceback_equals_one_pass() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let scorings = blosum62_with_gaps(&[(10, 1), (3, 1), (1, 1), (0, 0)]);
    let rounds = if cfg!(debug_assertions) { 150 } else { 600 };
    let mut compared = 0usize;
    for kernel in Kernel::available() {
        for round in 0..rounds {
            let s = &scorings[round % scorings.len()];
            let alphabet = ALPHABETS[rng.below(ALPHABETS.len())];
            let (q, r) = match round % 5 {
                // Unrelated, up to a few blocks long.
                0 => (rng.seq_upto(alphabet, 300), rng.seq_upto(alphabet, 700)),
                // Related: long local alignments crossing many blocks.
                1 => {
                    let q = rng.seq_upto(alphabet, 500);
                    let r = rng.mutate(&q, alphabet);
                    (q, r)
                }
                // Repeats: periodic sequences, ties everywhere.
                2 => {
                    let unit = rng.seq_upto(alphabet, 6);
                    let q = unit.repeat(1 + rng.below(60));
                    let copies = 1 + rng.below(80);
                    let r = rng.mutate(&unit.repeat(copies), alphabet);
                    (q, r)
                }
                // Low complexity: two residues.
                3 => (rng.seq_upto(b"AG", 200), rng.seq_upto(b"AG", 400)),
                // Short against long, both ways.
                _ => {
                    let short = rng.seq_upto(alphabet, 12);
                    let long = rng.seq_upto(alphabet, 900);
                    if round % 2 == 0 {
                        (short, long)
                    } else {
                        (long, short)
                    }
                }
            };
            let mut one = Aligner::new(s.clone())
                .with_kernel(kernel)
                .with_traceback(Traceback::Full);
            let mut two = Aligner::new(s.clone())
                .with_kernel(kernel)
                .with_traceback(Traceback::TwoPass);
            let ctx = || {
                format!(
                    "{kernel} open {} extend {}: q={} r={}",
                    s.gap_open,
                    s.gap_extend,
                    String::from_utf8_lossy(&q),
                    String::from_utf8_lossy(&r)
                )
            };
            assert_eq!(two.global(&q, &r), one.global(&q, &r), "NW {}", ctx());
            assert_eq!(two.local(&q, &r), one.local(&q, &r), "SW {}", ctx());
            // Local alone (no global score first: 8-bit lanes detect overflow themselves).
            let mut alone = Aligner::new(s.clone())
                .with_kernel(kernel)
                .with_traceback(Traceback::TwoPass);
            assert_eq!(alone.local(&q, &r), one.local(&q, &r), "SW alone {}", ctx());
            compared += 1;
        }
    }
    println!("{compared} pairs compared, two-pass vs one-pass");
}

/// The many-pair calls (the batch kernel, one pair per vector lane, where the CPU has it)
/// give the one-by-one results: random, related, repetitive and short-vs-long pairs, empty
/// ones and pairs too large for the batch, four gap settings, an asymmetric matrix, and
/// parasail's stripe widths 8, 4 and 1.
#[test]
fn many_pair_calls_equal_one_by_one() {
    let asymmetric = homolog_align::SubstitutionMatrix::from_ncbi(
        "skewed",
        "   A  C  G  T  X\nA  5 -4  2 -3  0\nC -1  6 -2  1  0\nG -3  0  4 -2  0\nT  2 -1 -4  7  0\nX  0  0  0  0  1\n",
    )
    .expect("matrix");
    let mut scorings = blosum62_with_gaps(&[(10, 1), (3, 1), (1, 1), (0, 0)]);
    scorings.push(Scoring {
        gap_open: 5,
        gap_extend: 2,
        matrix: asymmetric,
    });
    // Beyond the 8-bit differences' bound: global pairs stay on 16-bit lanes.
    scorings.extend(blosum62_with_gaps(&[(40, 2)]));
    // Every batch engine this CPU runs: the widest (`Auto`), and AVX2's where AVX-512 runs.
    let engines: &[BatchLanes] = match homolog_align::batch_lanes() {
        Some("avx512") => &[BatchLanes::Auto, BatchLanes::Avx2],
        _ => &[BatchLanes::Auto],
    };
    println!(
        "batch kernel on this CPU: {:?}",
        homolog_align::batch_lanes()
    );
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let count = if cfg!(debug_assertions) { 120 } else { 400 };
    let mut compared = 0usize;
    for (k, s) in scorings.iter().enumerate() {
        let alphabet: &[u8] = match k {
            4 => b"ACGTX",
            5 => ALPHABETS[4],
            _ => ALPHABETS[k + 1],
        };
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..count)
            .map(|i| match i % 12 {
                // Protein-like lengths, the batch kernel's main work.
                _ if i % 2 == 0 => {
                    let (m, n) = (250 + rng.below(200), 200 + rng.below(300));
                    let q = rng.seq(alphabet, m);
                    let r = if i % 4 == 0 {
                        rng.mutate(&q, alphabet)
                    } else {
                        rng.seq(alphabet, n)
                    };
                    (q, r)
                }
                1 | 7 => {
                    let q = rng.seq_upto(alphabet, 500);
                    let r = rng.mutate(&q, alphabet);
                    (q, r)
                }
                3 => {
                    let unit = rng.seq_upto(alphabet, 6);
                    let q = unit.repeat(1 + rng.below(60));
                    let copies = 1 + rng.below(80);
                    let r = rng.mutate(&unit.repeat(copies), alphabet);
                    (q, r)
                }
                // Empty and tiny sides.
                9 => (rng.seq_0_to(alphabet, 3), rng.seq_0_to(alphabet, 40)),
                // Beyond the batch's ring (2,000 x 1,500 cells).
                5 => (rng.seq(alphabet, 2000), rng.seq(alphabet, 1500)),
                _ if i % 24 == 11 => (rng.seq_upto(alphabet, 12), rng.seq_upto(alphabet, 900)),
                _ => (rng.seq_upto(alphabet, 900), rng.seq_upto(alphabet, 12)),
            })
            .collect();
        let settings = engines
            .iter()
            .flat_map(|&engine| [8, 4, 1].map(|lanes| (engine, lanes)));
        for (engine, lanes) in settings {
            let mut many = Aligner::new(s.clone())
                .with_lanes(lanes)
                .with_batch_lanes(engine);
            let mut one = Aligner::new(s.clone()).with_lanes(lanes).with_batch(false);
            let nw = many.try_global_many(&pairs);
            let batched_nw = many.last_batched();
            let sw = many.try_local_many(&pairs);
            let batched_sw = many.last_batched();
            println!(
                "scoring {k}, {engine:?}, lanes {lanes}: batched NW {batched_nw}, SW {batched_sw} \
                 of {count}"
            );
            if homolog_align::batch_kernel() {
                // Most pairs are small enough: the batch kernel must have taken them.
                assert!(batched_nw >= count / 2 && batched_sw >= count / 2);
            }
            for (((q, r), nw), sw) in pairs.iter().zip(nw).zip(sw) {
                let ctx = || {
                    format!(
                        "open {} extend {} lanes {lanes}: q={} r={}",
                        s.gap_open,
                        s.gap_extend,
                        String::from_utf8_lossy(q),
                        String::from_utf8_lossy(r)
                    )
                };
                assert_eq!(nw.expect("NW"), one.global(q, r), "NW {}", ctx());
                assert_eq!(sw.expect("SW"), one.local(q, r), "SW {}", ctx());
                compared += 1;
            }
        }
    }
    println!("{compared} pairs compared, many-pair calls vs one by one");
}
