//! End-to-end tests of the `homolog` binary: demo, run modes, resume, and the bad-input suite.
//! Everything but the demo runs on a small simulated reference (`homolog_demo::write_demo`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use homolog_demo::{write_demo, DemoSpec};

fn homolog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homolog"))
        .args(args)
        .env_remove("HOMOLOG_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the homolog binary runs")
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "homolog failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Asserts a clear failure: non-zero exit, an `error:` line containing every `needle`.
fn fails_with(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr:\n{stderr}"
    );
    assert!(stderr.contains("error:"), "no error line in:\n{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
    }
    assert!(
        !stderr.contains("panicked"),
        "panic instead of an error:\n{stderr}"
    );
}

/// A small simulated reference built with `homolog initialize`, and its config path.
struct Fixture {
    dir: tempfile::TempDir,
    config: PathBuf,
    queries: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let spec = DemoSpec {
            families: 12,
            ..DemoSpec::default()
        };
        let files = write_demo(&spec, &dir.path().join("data")).unwrap();
        let config = dir.path().join("config.yaml");
        std::fs::write(
            &config,
            format!(
                "base_directory: out\nprefix: t\nreference:\n  path: reference\n  sequences: [{}]\n  annotations: [{}]\n  ontology: {}\nlookup:\n  limit_per_entry: 3\n",
                files.reference_fasta.display(),
                files.reference_annotations.display(),
                files.ontology.display()
            ),
        )
        .unwrap();
        ok(&homolog(&[
            "initialize",
            "--config",
            config.to_str().unwrap(),
        ]));
        Fixture {
            dir,
            config,
            queries: files.queries_fasta,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, extra: &[&str]) -> Output {
        let mut args = vec!["run", "--config", self.config.to_str().unwrap()];
        args.extend_from_slice(extra);
        homolog(&args)
    }

    /// Experiment folders created so far (finished or not).
    fn experiments(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.path("out/experiments")) {
            Ok(d) => {
                let mut v: Vec<PathBuf> = d.map(|e| e.unwrap().path()).collect();
                v.sort();
                v
            }
            Err(_) => Vec::new(),
        }
    }
}

fn write(path: &Path, bytes: &[u8]) -> String {
    std::fs::write(path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn full_run_writes_the_documented_experiment_folder() {
    let fx = Fixture::new();
    let stdout = ok(&fx.run(&["--input", fx.queries.to_str().unwrap()]));
    let exps = fx.experiments();
    assert_eq!(exps.len(), 1, "{exps:?}");
    let exp = &exps[0];
    let name = exp.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("t_") && !name.ends_with(".partial"),
        "{name}"
    );
    assert!(stdout.contains(name), "{stdout}");
    // The run reports each stage's wall time, in pipeline order.
    let times = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("time: "))
        .unwrap_or_else(|| panic!("no time line in\n{stdout}"));
    let stages: Vec<&str> = times
        .split(", ")
        .map(|s| s.rsplitn(3, ' ').nth(2).unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "open reference",
            "embed",
            "lookup",
            "align",
            "transfer",
            "write raw",
            "summary",
            "write summary"
        ],
        "{times}"
    );
    for f in ["experiment_config.yaml", "embeddings.h5", "summary.csv"] {
        assert!(exp.join(f).is_file(), "missing {f}");
    }
    let raw = exp.join("raw_results/kmer/layer_0");
    let n_raw = std::fs::read_dir(&raw).unwrap().count();
    assert_eq!(n_raw, 12, "one raw CSV per query in {}", raw.display());
    for aspect in ["P", "F", "C"] {
        for dir in ["topgo/ensemble", "topgo/kmer/layer_0"] {
            let file = exp.join(dir).join(format!("{aspect}.topgo"));
            let text = std::fs::read_to_string(&file).unwrap();
            // accession<TAB>GO id<TAB>reliability index
            let first = text.lines().next().unwrap();
            assert_eq!(first.split('\t').count(), 3, "{}: {first}", file.display());
        }
    }
    let summary = std::fs::read_to_string(exp.join("summary.csv")).unwrap();
    let header = summary.lines().next().unwrap();
    for col in [
        "accession",
        "go_id",
        "final_score_kmer_L0",
        "max_ri_kmer_L0",
    ] {
        assert!(
            header.split(',').any(|h| h == col),
            "summary header {header}"
        );
    }
    // The effective config is written and loads again.
    ok(&homolog(&[
        "config",
        "--config",
        exp.join("experiment_config.yaml").to_str().unwrap(),
    ]));
}

#[test]
fn embed_only_then_lookup_only_equals_a_full_run() {
    let fx = Fixture::new();
    let q = fx.queries.to_str().unwrap();
    ok(&fx.run(&["--input", q, "--only-embedding"]));
    let first = fx.experiments().pop().unwrap();
    assert!(first.join("embeddings.h5").is_file());
    assert!(!first.join("summary.csv").exists());
    ok(&fx.run(&[
        "--only-lookup",
        "--embeddings",
        first.join("embeddings.h5").to_str().unwrap(),
    ]));
    ok(&fx.run(&["--input", q]));
    let exps = fx.experiments();
    assert_eq!(exps.len(), 3);
    let lookup_only = std::fs::read_to_string(exps[1].join("summary.csv")).unwrap();
    let full = std::fs::read_to_string(exps[2].join("summary.csv")).unwrap();
    assert_eq!(lookup_only, full);
}

/// `homolog demo` with an empty weights cache: the shipped Swiss-Prot proteins, the `kmer` model
/// (saying why), and Fmax per aspect next to the naive baseline.
#[test]
fn demo_runs_on_the_shipped_proteins_and_beats_the_naive_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let cache = dir.path().join("empty-cache");
    let demo = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_homolog"))
            .args(["demo", "--out", out.to_str().unwrap()])
            .args(extra)
            .env_remove("HOMOLOG_CONFIG")
            .env("HOMOLOG_CACHE", &cache)
            .env("RUST_LOG", "warn")
            .output()
            .expect("the homolog binary runs")
    };
    let stdout = ok(&demo(&[]));
    assert!(
        stdout.contains("500 held-out Swiss-Prot proteins annotated from 4489 reference proteins"),
        "{stdout}"
    );
    assert!(
        stdout.contains("model: kmer (no usable UniRep-64 weights")
            && stdout.contains("homolog models fetch unirep-64"),
        "{stdout}"
    );
    // | aspect | proteins | kmer Fmax | threshold | coverage | naive Fmax |
    for aspect in ["BPO", "MFO", "CCO"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {aspect} |")))
            .unwrap_or_else(|| panic!("no {aspect} row in\n{stdout}"));
        let cells: Vec<f64> = row
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .skip(1)
            .map(|c| c.parse().unwrap())
            .collect();
        let [proteins, fmax, _tau, coverage, naive] = cells[..] else {
            panic!("{row}")
        };
        assert!(proteins > 400.0, "{row}");
        for v in [fmax, coverage, naive] {
            assert!((0.0..=1.0).contains(&v), "{row}");
        }
        // The data are fixed and kmer is deterministic: transfer from neighbours must beat
        // guessing by term frequency.
        assert!(fmax > naive + 0.05, "{row}");
    }
    let exp = stdout
        .lines()
        .find_map(|l| l.strip_prefix("experiment: "))
        .unwrap();
    assert!(Path::new(exp).join("summary.csv").is_file());
    let tables = std::fs::read_to_string(out.join("evaluation.md")).unwrap();
    assert!(
        tables.contains("## naive") && tables.contains("| CCO "),
        "{tables}"
    );
    assert!(stdout.contains("scoring: neighbour vote"), "{stdout}");
    // The written config repeats the annotation, with the vote (it needs the alignments).
    let config = out.join("config.yaml");
    assert!(std::fs::read_to_string(&config)
        .unwrap()
        .contains("score: vote"));
    ok(&homolog(&["run", "--config", config.to_str().unwrap()]));

    // Asking for UniRep-64 without its weights is an error that says how to get them.
    fails_with(
        &demo(&["--model", "unirep-64"]),
        &["unirep-64", "homolog models fetch unirep-64"],
    );
    fails_with(&demo(&["--model", "esm9"]), &["esm9", "kmer"]);
}

#[test]
fn bad_queries_fail_clearly_and_leave_no_experiment() {
    let fx = Fixture::new();
    let run_on = |path: &str| fx.run(&["--input", path]);

    let empty = write(&fx.path("empty.fa"), b"");
    fails_with(&run_on(&empty), &["empty.fa"]);

    let binary = write(
        &fx.path("binary.fa"),
        &[0x7f, b'E', b'L', b'F', 0, 1, 2, 0xff, 0xfe],
    );
    fails_with(&run_on(&binary), &["binary.fa"]);

    let no_seq = write(
        &fx.path("noseq.fa"),
        b">P1 first\nMKV\n>P2 empty\n>P3\nMKL\n",
    );
    fails_with(&run_on(&no_seq), &["noseq.fa:3", "P2"]);

    let dup = write(&fx.path("dup.fa"), b">P1\nMKV\n>P2\nMKL\n>P1\nMKA\n");
    fails_with(&run_on(&dup), &["dup.fa:5", "P1"]);

    let bad_chars = write(&fx.path("chars.fa"), b">P1\nMK1V\n");
    fails_with(&run_on(&bad_chars), &["chars.fa", "P1"]);

    // A truncated gzip: the first half of a real gzip stream.
    let mut gz = Vec::new();
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
        for i in 0..2000 {
            writeln!(
                enc,
                ">Q{i}\nMKVLAAGIVGLLLAAPQAQAMKVLAAGIVGLLLAAPQAQA{}",
                i % 7
            )
            .unwrap();
        }
        enc.finish().unwrap();
    }
    let half = gz.len() / 2;
    let truncated = write(&fx.path("trunc.fa.gz"), &gz[..half]);
    fails_with(&run_on(&truncated), &["trunc.fa.gz"]);

    let missing = fx.path("nope.fa");
    fails_with(&run_on(missing.to_str().unwrap()), &["nope.fa"]);

    assert!(fx.experiments().is_empty(), "{:?}", fx.experiments());

    // With --skip-invalid the same file runs, skipping the bad record.
    let stdout = ok(&fx.run(&["--input", &no_seq, "--skip-invalid"]));
    assert!(stdout.contains("1 malformed records skipped"), "{stdout}");
}

#[test]
fn config_and_reference_problems_fail_clearly() {
    let fx = Fixture::new();
    let q = fx.queries.to_str().unwrap();

    let out = fx.run(&[
        "--input",
        q,
        "--set",
        "embedding.models.protbert.enabled=true",
    ]);
    fails_with(&out, &["protbert", "kmer"]);

    let out = fx.run(&["--input", q, "--set", "reference.path=missing_ref"]);
    fails_with(&out, &["missing_ref", "initialize"]);

    let out = fx.run(&["--input", q, "--set", "lookup.limit_per_entri=3"]);
    fails_with(&out, &["limit_per_entri"]);

    // Flip bytes in the middle of the reference matrix: the hash check must catch it.
    let matrix = fx.path("reference/matrices/kmer/layer_0.f32");
    let mut bytes = std::fs::read(&matrix).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    bytes[mid + 1] ^= 0x55;
    std::fs::write(&matrix, bytes).unwrap();
    fails_with(&fx.run(&["--input", q]), &["layer_0.f32", "initialize"]);

    assert!(fx.experiments().is_empty(), "{:?}", fx.experiments());
}

#[test]
fn resume_continues_an_unfinished_experiment_and_reuses_its_embeddings() {
    let fx = Fixture::new();
    let q = fx.queries.to_str().unwrap();
    ok(&fx.run(&["--input", q]));
    let finished = fx.experiments().pop().unwrap();
    let expected = std::fs::read_to_string(finished.join("summary.csv")).unwrap();

    // Make it look like a run killed after embedding: `.partial`, no summary yet.
    let partial = finished.with_file_name(format!(
        "{}.partial",
        finished.file_name().unwrap().to_str().unwrap()
    ));
    std::fs::rename(&finished, &partial).unwrap();
    std::fs::remove_file(partial.join("summary.csv")).unwrap();
    std::fs::remove_dir_all(partial.join("raw_results")).unwrap();

    let stdout = ok(&fx.run(&["--input", q, "--resume"]));
    assert!(
        stdout.contains("0 embedded, 12 already present"),
        "{stdout}"
    );
    assert_eq!(fx.experiments(), vec![finished.clone()]);
    assert_eq!(
        std::fs::read_to_string(finished.join("summary.csv")).unwrap(),
        expected
    );
}

/// Shell completions and man pages come from the clap definitions: every shell gets a script
/// naming the subcommands, and `man --out` writes one page per command.
#[test]
fn completions_and_man_pages_are_generated() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(&homolog(&["completions", shell]));
        for word in ["homolog", "initialize", "export", "evaluate"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    fails_with(&homolog(&["completions", "tcsh"]), &["tcsh"]);
    let page = ok(&homolog(&["man"]));
    assert!(page.contains(".TH homolog 1"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    ok(&homolog(&["man", "--out", dir.path().to_str().unwrap()]));
    for name in ["homolog", "homolog-run", "homolog-export", "homolog-reads"] {
        let page = std::fs::read_to_string(dir.path().join(format!("{name}.1"))).unwrap();
        assert!(page.contains(&format!(".TH {name} 1")), "{name}: {page}");
    }
}

/// `--version` says what was built: version, commit, optional features and the CPU kernels.
#[test]
fn version_reports_commit_features_and_cpu_kernels() {
    let text = ok(&homolog(&["--version"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("homolog {}", env!("CARGO_PKG_VERSION")),
        "{text}"
    );
    for (i, key) in ["commit: ", "features: ", "CPU kernels: "]
        .iter()
        .enumerate()
    {
        let value = lines[i + 1]
            .strip_prefix(key)
            .unwrap_or_else(|| panic!("{text}"));
        assert!(!value.is_empty(), "{text}");
    }
    assert_eq!(
        lines[2].contains("mpi") && !lines[2].contains("mpi off"),
        cfg!(feature = "mpi"),
        "{text}"
    );
}
