//! Parity with parasail 2.6: every score and traceback statistic of `global`/`local` must equal
//! `parasail_nw_trace_striped_32` / `parasail_sw_trace_striped_32` (BLOSUM62, 10, 1) on the
//! pairs of `tests/fixtures/parasail_blosum62_10_1.tsv.gz` (made by
//! `scripts/parasail/make_fixtures.sh`; over 10,000 real pairs). Real pairs read their
//! sequences from the MMseqs2 example set and the Swiss-Prot subset under HOMOLOG_DATA; inline
//! pairs carry them in the fixture. Both kernels are checked: the default one (AVX2 where the
//! CPU has it) on every pair, the scalar one on every inline pair and every 8th real pair.

use std::collections::HashMap;
use std::io::Read;
use std::io::{BufRead, BufReader};

use homolog_align::{
    global, global_score, local, local_score, Aligner, AlignmentStats, BatchLanes, Kernel, Scoring,
    Traceback,
};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/parasail_blosum62_10_1.tsv.gz"
);

/// First-token id -> upper-case sequence of a gzipped FASTA file.
fn read_fasta_gz(path: &std::path::Path) -> HashMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = HashMap::new();
    let mut id: Option<String> = None;
    let mut seq = Vec::new();
    for line in reader.lines() {
        let line = line.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Some(h) = line.strip_prefix('>') {
            if let Some(prev) = id.take() {
                out.insert(prev, std::mem::take(&mut seq));
            }
            id = Some(h.split_whitespace().next().unwrap_or_default().to_string());
        } else {
            seq.extend(line.trim().bytes());
        }
    }
    if let Some(prev) = id {
        out.insert(prev, seq);
    }
    out
}

struct Case {
    name: String,
    inline: bool,
    query: Vec<u8>,
    reference: Vec<u8>,
    nw: AlignmentStats,
    sw: AlignmentStats,
}

fn stats(v: &[i64]) -> AlignmentStats {
    AlignmentStats {
        score: v[0] as i32,
        length: v[1] as u32,
        identities: v[2] as u32,
        similarities: v[3] as u32,
        query_gaps: v[4] as u32,
        reference_gaps: v[5] as u32,
    }
}

/// Loads the fixture. Without the data folder (reported by the test kit: a failure with
/// HOMOLOG_REQUIRE_DATA) only the inline (hand-made) pairs are returned; the flag says whether
/// the real pairs loaded.
fn load_cases() -> (Vec<Case>, bool) {
    let ex = homolog_testkit::data_file("proteins/mmseqs2_example");
    let sp =
        homolog_testkit::data_file("proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz");
    let have_data = ex.is_some() && sp.is_some();
    let (query_set, db_set, sp_set) = match (ex, sp) {
        (Some(ex), Some(sp)) => (
            read_fasta_gz(&ex.join("QUERY.fasta.gz")),
            read_fasta_gz(&ex.join("DB.fasta.gz")),
            read_fasta_gz(&sp),
        ),
        _ => (HashMap::new(), HashMap::new(), HashMap::new()),
    };
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(FIXTURE).expect("fixture readable"))
        .read_to_string(&mut text)
        .expect("fixture is gzipped UTF-8");
    let mut cases = Vec::new();
    let mut header_seen = false;
    for (no, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 16, "fixture line {}: 16 fields expected", no + 1);
        if !have_data && !f[0].starts_with("inline:") {
            continue;
        }
        let resolve = |id: &str, inline: &str| -> Vec<u8> {
            if id.starts_with("inline:") {
                inline.as_bytes().to_vec()
            } else if let Some(k) = id.strip_prefix("QUERY:") {
                query_set
                    .get(k)
                    .unwrap_or_else(|| panic!("{k} not in QUERY"))
                    .clone()
            } else if let Some(k) = id.strip_prefix("DB:") {
                db_set
                    .get(k)
                    .unwrap_or_else(|| panic!("{k} not in DB"))
                    .clone()
            } else if let Some(k) = id.strip_prefix("SP:") {
                sp_set
                    .get(k)
                    .unwrap_or_else(|| panic!("{k} not in the Swiss-Prot subset"))
                    .clone()
            } else {
                panic!("fixture line {}: bad id {id}", no + 1)
            }
        };
        let nums: Vec<i64> = f[4..]
            .iter()
            .map(|v| v.parse().expect("integer field"))
            .collect();
        cases.push(Case {
            name: format!("{} vs {}", f[0], f[1]),
            inline: f[0].starts_with("inline:"),
            query: resolve(f[0], f[2]),
            reference: resolve(f[1], f[3]),
            nw: stats(&nums[..6]),
            sw: stats(&nums[6..]),
        });
    }
    (cases, have_data)
}

/// Compares `aligner` with parasail on `cases`; returns the number of pairs checked.
fn check(cases: &[&Case], mut aligner: Aligner, label: &str) -> usize {
    let (mut nw_score_bad, mut sw_score_bad, mut nw_stat_bad, mut sw_stat_bad) = (0, 0, 0, 0);
    let mut report = Vec::new();
    // Which kernel produced each local alignment (8- and 16-bit kernels may hand over).
    let mut sw_kernels: HashMap<Kernel, usize> = HashMap::new();
    for c in cases {
        let nw = aligner.global(&c.query, &c.reference);
        let sw = aligner.local(&c.query, &c.reference);
        if let Some(k) = aligner.last_kernel() {
            *sw_kernels.entry(k).or_default() += 1;
        }
        if nw.score != c.nw.score {
            nw_score_bad += 1;
        } else if nw != c.nw {
            nw_stat_bad += 1;
        }
        if sw.score != c.sw.score {
            sw_score_bad += 1;
        } else if sw != c.sw {
            sw_stat_bad += 1;
        }
        if nw != c.nw || sw != c.sw {
            report.push(format!(
                "{} (len {} x {}):\n  nw got {nw:?}\n  nw exp {:?}\n  sw got {sw:?}\n  sw exp {:?}",
                c.name,
                c.query.len(),
                c.reference.len(),
                c.nw,
                c.sw
            ));
        }
    }
    let n = cases.len();
    println!(
        "{label}: {n} pairs: NW score mismatches {nw_score_bad}, NW stat-only mismatches \
         {nw_stat_bad}, SW score mismatches {sw_score_bad}, SW stat-only mismatches {sw_stat_bad}"
    );
    let mut used: Vec<_> = sw_kernels.into_iter().collect();
    used.sort_by_key(|&(k, n)| (std::cmp::Reverse(n), k.name()));
    println!("{label}: local alignments by kernel: {used:?}");
    for r in report.iter().take(10) {
        println!("{r}");
    }
    assert!(
        report.is_empty(),
        "{label}: {} of {n} pairs differ from parasail",
        report.len()
    );
    n
}

#[test]
fn scores_and_statistics_equal_parasail() {
    let (cases, have_data) = load_cases();
    if !have_data {
        return;
    }
    // The real pairs are what this test is about: the 259 inline ones alone must not pass it.
    let real = cases.iter().filter(|c| !c.inline).count();
    let inline = cases.len() - real;
    assert!(real >= 11_000, "fixture resolved only {real} real pairs");
    assert!(inline >= 250, "fixture has only {inline} inline pairs");
    let all: Vec<&Case> = cases.iter().collect();
    let aligner = Aligner::new(Scoring::default()).with_kernel(Kernel::Auto);
    println!(
        "default kernel: {} (AVX2 used for a 100 x 100 pair: {})",
        homolog_align::best_kernel(),
        aligner.uses_simd(100, 100)
    );
    check(&all, aligner, "default kernel");
    // The two-pass traceback (checkpointed score pass, blocks recomputed) on every pair.
    let two_pass = Aligner::new(Scoring::default()).with_traceback(Traceback::TwoPass);
    check(&all, two_pass, "default kernel, two-pass traceback");
}

#[test]
fn scalar_kernel_equals_parasail() {
    let (cases, _) = load_cases();
    let mut k = 0;
    let some: Vec<&Case> = cases
        .iter()
        .filter(|c| {
            k += 1;
            c.inline || k % 8 == 0
        })
        .collect();
    let aligner = Aligner::new(Scoring::default()).with_kernel(Kernel::Scalar);
    assert!(!aligner.uses_simd(100, 100));
    check(&some, aligner, "scalar kernel");
}

#[test]
fn score_only_paths_and_free_functions_agree() {
    let (cases, _) = load_cases();
    let scoring = Scoring::default();
    // Every 11th pair keeps the debug-build test quick while covering all pair kinds.
    for c in cases.iter().step_by(11) {
        assert_eq!(
            global_score(&c.query, &c.reference, &scoring),
            c.nw.score,
            "{}",
            c.name
        );
        assert_eq!(
            local_score(&c.query, &c.reference, &scoring),
            c.sw.score,
            "{}",
            c.name
        );
        assert_eq!(global(&c.query, &c.reference, &scoring), c.nw, "{}", c.name);
        assert_eq!(local(&c.query, &c.reference, &scoring), c.sw, "{}", c.name);
    }
}

/// Every kernel this CPU runs (AVX-512 and AVX2, 8-, 16- and 32-bit lanes, scalar), forced with
/// [`Aligner::with_kernel`], gives parasail's results on the fixture. Release builds check
/// every pair; debug builds every 8th (plus the inline ones).
#[test]
fn every_kernel_equals_parasail() {
    let (cases, _) = load_cases();
    let step = if cfg!(debug_assertions) { 8 } else { 1 };
    let some: Vec<&Case> = cases
        .iter()
        .enumerate()
        .filter(|(i, c)| c.inline || i % step == 0)
        .map(|(_, c)| c)
        .collect();
    let kernels = homolog_align::Kernel::available();
    println!("kernels on this CPU: {kernels:?}");
    assert_eq!(kernels.last(), Some(&Kernel::Scalar));
    for k in kernels {
        if k == Kernel::Scalar && step == 1 {
            // Covered by `scalar_kernel_equals_parasail` (every 8th pair); the full set
            // takes a while at scalar speed.
            continue;
        }
        let aligner = Aligner::new(Scoring::default()).with_kernel(k);
        // 8-bit lanes take local alignments only; global ones start at 16 bits.
        let global_k = match k {
            Kernel::Avx2x8 => Kernel::Avx2x16,
            Kernel::Avx512x8 => Kernel::Avx512x16,
            other => other,
        };
        assert_eq!(aligner.kernel_for(100, 100, false), global_k);
        assert_eq!(aligner.kernel_for(100, 100, true), k);
        for traceback in [Traceback::Full, Traceback::TwoPass] {
            let aligner = Aligner::new(Scoring::default())
                .with_kernel(k)
                .with_traceback(traceback);
            check(&some, aligner, &format!("{k}, {traceback} traceback"));
            if global_k != k {
                local_alone(&some, k, traceback);
            }
        }
    }
}

/// Local alignments without the global one first: `check` aligns globally first, whose
/// score lets an 8-bit kernel skip pairs it cannot hold; here every overflow must be
/// detected at run time.
fn local_alone(cases: &[&Case], k: Kernel, traceback: Traceback) {
    let mut aligner = Aligner::new(Scoring::default())
        .with_kernel(k)
        .with_traceback(traceback);
    let (mut own, mut bad) = (0, Vec::new());
    for c in cases {
        let sw = aligner.local(&c.query, &c.reference);
        own += usize::from(aligner.last_kernel() == Some(k));
        if sw != c.sw {
            bad.push(format!("{}: got {sw:?}, expected {:?}", c.name, c.sw));
        }
    }
    println!(
        "{k} ({traceback}) local alone: {} pairs, {own} on {k}, {} differ from parasail",
        cases.len(),
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "{k} local alone: {:#?}",
        &bad[..bad.len().min(10)]
    );
}

/// The many-pair calls (the batch kernel, one pair per vector lane, where the CPU has
/// AVX-512 VBMI) give parasail's results on every pair, all pairs in one call and in calls
/// of a few dozen pairs.
#[test]
fn many_pair_calls_equal_parasail() {
    let (cases, _) = load_cases();
    let pairs: Vec<(&[u8], &[u8])> = cases
        .iter()
        .map(|c| (c.query.as_slice(), c.reference.as_slice()))
        .collect();
    // Every batch engine this CPU runs: the widest (`Auto`), and AVX2's where AVX-512 runs.
    let engines: &[BatchLanes] = match homolog_align::batch_lanes() {
        Some("avx512") => &[BatchLanes::Auto, BatchLanes::Avx2],
        _ => &[BatchLanes::Auto],
    };
    let mut bad = Vec::new();
    let calls = engines
        .iter()
        .flat_map(|&engine| [(engine, pairs.len()), (engine, 40)]);
    for (engine, chunk) in calls {
        let mut aligner = Aligner::default()
            .with_kernel(Kernel::Auto)
            .with_batch_lanes(engine);
        for (k, part) in pairs.chunks(chunk).enumerate() {
            let nw = aligner.try_global_many(part);
            let sw = aligner.try_local_many(part);
            for (i, (nw, sw)) in nw.into_iter().zip(sw).enumerate() {
                let c = &cases[k * chunk + i];
                let (nw, sw) = (nw.expect("global"), sw.expect("local"));
                if nw != c.nw || sw != c.sw {
                    bad.push(format!(
                        "{} (len {} x {}, {engine:?}, calls of {chunk}):\n  nw got {nw:?}\n  \
                         nw exp {:?}\n  \
                         sw got {sw:?}\n  sw exp {:?}",
                        c.name,
                        c.query.len(),
                        c.reference.len(),
                        c.nw,
                        c.sw
                    ));
                }
            }
        }
    }
    println!(
        "many-pair calls ({engines:?}): {} pairs twice each, {} differ from parasail",
        pairs.len(),
        bad.len()
    );
    assert!(bad.is_empty(), "{}", bad[..bad.len().min(10)].join("\n"));
}
