//! All kernels agree: every kernel this CPU runs (AVX-512 / AVX2, 16- and 32-bit lanes)
//! gives exactly the scalar kernel's results (score and traceback statistics) on random
//! pairs of many lengths (so every stripe / lane layout occurs), with several matrices and
//! penalties, and on pairs whose scores overflow 16 bits (which the 16-bit kernels detect
//! and hand to a 32-bit kernel).

use homolog_align::{Aligner, Kernel, Scoring, SubstitutionMatrix};

/// Deterministic xorshift generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn seq(&mut self, alphabet: &[u8], len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
    /// 1 to `max` residues.
    fn seq_upto(&mut self, alphabet: &[u8], max: usize) -> Vec<u8> {
        let len = 1 + self.below(max);
        self.seq(alphabet, len)
    }
    /// A mutated copy of `s` (substitutions, insertions, deletions), so pairs are related.
    fn mutate(&mut self, s: &[u8], alphabet: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len() + 8);
        for &c in s {
            match self.below(20) {
                0..=2 => out.push(alphabet[self.below(alphabet.len())]),
                3 => {}
                4 => {
                    out.push(c);
                    let k = self.below(4);
                    out.extend((0..k).map(|_| alphabet[self.below(alphabet.len())]));
                }
                _ => out.push(c),
            }
        }
        out
    }
}

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

#[test]
fn kernels_agree_with_other_matrices_and_penalties() {
    let mut rng = Rng(77);
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/matrices");
    let data = std::env::var_os("HOMOLOG_DATA")
        .map(|d| std::path::PathBuf::from(d).join("matrices"))
        .unwrap_or(dir);
    let mut matrices = vec![SubstitutionMatrix::blosum62()];
    for name in ["BLOSUM45", "PAM250", "BLOSUM80"] {
        if let Ok(m) = SubstitutionMatrix::from_ncbi_file(data.join(name)) {
            matrices.push(m);
        }
    }
    let per = if cfg!(debug_assertions) { 20 } else { 150 };
    for matrix in matrices {
        for (open, ext) in [(10, 1), (11, 2), (3, 3), (0, 0), (1, 0), (20, 5)] {
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

/// Runs `f` on an aligner per kernel and checks the result and the kernel that produced it.
fn overflow_case(scoring: &Scoring, q: &[u8], r: &[u8], overflows: bool, what: &str) {
    let mut scalar = Aligner::new(scoring.clone()).with_kernel(Kernel::Scalar);
    let want = (scalar.global(q, r), scalar.local(q, r));
    let want_scores = (scalar.global_score(q, r), scalar.local_score(q, r));
    for k in wide_kernels() {
        let mut a = Aligner::new(scoring.clone()).with_kernel(k);
        let nw = a.global(q, r);
        let used_nw = a.last_kernel().unwrap();
        let sw = a.local(q, r);
        let used_sw = a.last_kernel().unwrap();
        assert_eq!((nw, sw), want, "{k}, {what}");
        assert_eq!(
            (a.global_score(q, r), a.local_score(q, r)),
            want_scores,
            "{k} score only, {what}"
        );
        let sixteen = matches!(k, Kernel::Avx2x16 | Kernel::Avx512x16);
        for used in [used_nw, used_sw] {
            if sixteen && overflows {
                // Overflow detected: the pair went to a 32-bit kernel.
                assert!(
                    matches!(used, Kernel::Avx2x32 | Kernel::Avx512x32),
                    "{k} -> {used}, {what}"
                );
            } else {
                assert_eq!(used, k, "{what}");
            }
        }
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
        let first = a.kernel_for(q.len(), r.len(), false);
        if matches!(k, Kernel::Avx2x16 | Kernel::Avx512x16) {
            assert!(matches!(first, Kernel::Avx2x32 | Kernel::Avx512x32), "{k}");
            assert_eq!(a.kernel_for(q.len(), r.len(), true), k);
        } else {
            assert_eq!(first, k);
        }
    }
    if !cfg!(debug_assertions) {
        agree(&s, &q, &r, "unrelated 5000 x 4000, 10/4");
    }
}
