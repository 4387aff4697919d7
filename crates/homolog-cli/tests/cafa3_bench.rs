//! The CAFA3 benchmark at CI size: `bench/cafa3/run.sh small kmer` (the 5,000-protein Swiss-Prot
//! January 2014 subset as reference, all 3,328 CAFA3 targets, `kmer` scored by FANTASIA's
//! formula and by homolog's neighbour vote, plus the naive and MMseqs2 best-hit baselines) with this build's binary. It checks only that the run completes and that
//! its result table is whole and well-formed; quality is the benchmark's business, not a test's.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

const METHODS: [&str; 4] = ["kmer", "kmer+vote", "naive", "blast"];
const TYPES: [&str; 2] = ["type1", "type2"];
const ASPECTS: [&str; 3] = ["BPO", "MFO", "CCO"];
const HEADER: &str = "method\ttype\taspect\ttargets\tcoverage\tFmax\ttau\tP\tR\twFmax\tSmin";

/// Checks results.tsv: the header, one row per (method, type, aspect) and nothing else, a
/// positive target count, and coverage, Fmax, its threshold, P, R and weighted Fmax in [0, 1].
/// Smin is a sum of information accretion (bits), not a fraction: it must be finite and >= 0.
fn check_results(text: &str) -> Result<(), String> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(format!("header is not {HEADER:?}"));
    }
    let mut seen = HashSet::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 11 {
            return Err(format!("row {line:?} has {} fields, not 11", f.len()));
        }
        let key = (f[0].to_string(), f[1].to_string(), f[2].to_string());
        let known = METHODS.contains(&f[0]) && TYPES.contains(&f[1]) && ASPECTS.contains(&f[2]);
        if !known || !seen.insert(key) {
            return Err(format!("unexpected or repeated row {line:?}"));
        }
        match f[3].parse::<usize>() {
            Ok(n) if n > 0 => {}
            _ => {
                return Err(format!(
                    "targets {:?} is not a positive count: {line:?}",
                    f[3]
                ))
            }
        }
        for (name, cell) in ["coverage", "Fmax", "tau", "P", "R", "wFmax"]
            .iter()
            .zip(&f[4..10])
        {
            let v: f64 = cell
                .parse()
                .map_err(|_| format!("{name} {cell:?} is not a number"))?;
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} {v} outside [0, 1]: {line:?}"));
            }
        }
        let smin: f64 = f[10]
            .parse()
            .map_err(|_| format!("Smin {:?} is not a number", f[10]))?;
        if !smin.is_finite() || smin < 0.0 {
            return Err(format!("Smin {smin} is not finite and >= 0: {line:?}"));
        }
    }
    let expected = METHODS.len() * TYPES.len() * ASPECTS.len();
    if seen.len() != expected {
        return Err(format!("{} rows, expected {expected}", seen.len()));
    }
    Ok(())
}

fn good_table() -> String {
    let mut t = format!("{HEADER}\n");
    for m in METHODS {
        for ty in TYPES {
            for a in ASPECTS {
                t.push_str(&format!(
                    "{m}\t{ty}\t{a}\t800\t1.000\t0.300\t0.20\t0.3\t0.3\t0.2\t12.5\n"
                ));
            }
        }
    }
    t
}

#[test]
fn the_checker_rejects_bad_tables() {
    let good = good_table();
    assert_eq!(check_results(&good), Ok(()));
    let first_row = good.lines().nth(1).unwrap().to_string();
    let bad = [
        good.replacen("\t0.300\t", "\t1.300\t", 1),    // Fmax > 1
        good.replacen("\t1.000\t", "\t-0.100\t", 1),   // coverage < 0
        good.replacen("\t0.2\t12.5", "\t0.2\tNaN", 1), // Smin not a number
        good.replacen("\t800\t", "\t0\t", 1),          // no targets
        good.replacen(&format!("{first_row}\n"), "", 1), // a missing row
        format!("{good}{first_row}\n"),                // a repeated row
        good.replacen("method", "model", 1),           // a wrong header
        good.replacen("\t12.5\n", "\n", 1),            // a short row
    ];
    for (i, table) in bad.iter().enumerate() {
        assert!(check_results(table).is_err(), "bad table {i} accepted");
    }
}

fn tool_present(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn cafa3_small_benchmark_runs_with_kmer() {
    homolog_testkit::require_data!("proteins/swissprot2014_go_subset");
    homolog_testkit::require_data!("go/cafa3_benchmark");
    homolog_testkit::require_data!("go/go-basic_2021-12-15.obo.gz");
    homolog_testkit::require_data!("go/IA_cafa6.tsv");
    for (tool, arg, fix) in [
        (
            "mmseqs",
            "version",
            "install Debian's mmseqs2 (scripts/setup.sh --test)",
        ),
        (
            "python3",
            "--version",
            "install python3 (scripts/setup.sh --test)",
        ),
    ] {
        if !tool_present(tool, arg) {
            homolog_testkit::unavailable(format!("{tool} not found"), fix);
            return;
        }
    }
    let root = homolog_testkit::repository_root();
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("results");
    let start = std::time::Instant::now();
    let run = Command::new("bash")
        .arg(root.join("bench/cafa3/run.sh"))
        .args(["small", "kmer"])
        .env("HOMOLOG_BIN", env!("CARGO_BIN_EXE_homolog"))
        .env("HOMOLOG_DATA", homolog_testkit::data_dir())
        .env("CAFA3_OUT", &out_dir)
        .env("TMPDIR", dir.path())
        .env_remove("CAFA3_WORK")
        .env_remove("CAFA3_BASELINES")
        .env_remove("CAFA3_SCORE")
        .env_remove("CAFA3_K")
        .env_remove("CAFA3_SCORING")
        .env_remove("CAFA3_VOTE_K")
        .env_remove("CAFA3_VOTERS")
        .env_remove("HOMOLOG_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "run.sh small kmer failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    eprintln!("run.sh small kmer took {:.0?}", start.elapsed());

    let results = std::fs::read_to_string(out_dir.join("results.tsv")).unwrap();
    if let Err(e) = check_results(&results) {
        panic!("results.tsv: {e}\n{results}");
    }
    let times = std::fs::read_to_string(out_dir.join("times.tsv")).unwrap();
    for stage in [
        "initialize",
        "embed",
        "lookup",
        "lookup+align",
        "lookup+align+vote",
        "naive",
        "mmseqs-search",
        "total",
    ] {
        assert!(
            times.lines().any(|l| l.split('\t').next() == Some(stage)),
            "times.tsv lacks {stage}:\n{times}"
        );
    }
    assert!(Path::new(&out_dir.join("results.md")).is_file());
    // The work folder (a temp folder of the script) is removed at the end.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "results")
        .collect();
    assert!(leftovers.is_empty(), "run.sh left {leftovers:?}");
}
