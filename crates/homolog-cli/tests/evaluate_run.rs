//! `homolog run` on real data, then `homolog evaluate` on the `summary.csv` it wrote, as a new
//! user does: wide and long layouts, one and two models, and the output thresholds.
//!
//! Reference: the 5,000 proteins of the Jan-2014 Swiss-Prot GO subset (all evidence kept,
//! `evidence_codes: []`); queries: 50 CAFA3 benchmark targets (the first 48 and two whose
//! `final_score` exceeds 1, see [`OVER_ONE`]); ground truth: the CAFA3 leaf-only files of all
//! three aspects, restricted to those 50 targets; ontology: go-basic 2021-12-15. Models: `kmer`
//! (k = 3) and `kmer4` (the kmer backend with k = 4).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use homolog_evaluate::{evaluate_files, EvaluateRequest};

const REFERENCE_PROTEINS: usize = 5000;
const QUERIES: usize = 50;
/// CAFA3 targets with summary rows whose `count` is 1.2 and `final_score` 1.04 in this setup
/// (6 rows / k = 5: proteins sharing a neighbour's sequence); T37020011177 is the row the
/// issue's `evaluate` refused. They make the run's own output exercise the clipping.
const OVER_ONE: [&str; 2] = ["T37020011177", "T833330002381"];

use homolog_testkit::gz_lines;

/// The first `n` FASTA records of a gzipped file, as (id, sequence).
fn first_records(path: &Path, n: usize) -> Vec<(String, String)> {
    let mut records: Vec<(String, String)> = Vec::new();
    for line in gz_lines(path) {
        if let Some(h) = line.strip_prefix('>') {
            if records.len() == n {
                break;
            }
            let id = h.split_whitespace().next().unwrap().to_string();
            records.push((id, String::new()));
        } else if let Some(last) = records.last_mut() {
            last.1.push_str(line.trim());
        }
    }
    records
}

fn write_fasta(path: &Path, records: &[(String, String)]) {
    let mut f = std::fs::File::create(path).unwrap();
    for (id, seq) in records {
        writeln!(f, ">{id}\n{seq}").unwrap();
    }
}

fn homolog(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_homolog"))
        .args(args)
        .env_remove("HOMOLOG_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "homolog {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: PathBuf,
    queries: PathBuf,
    truth: PathBuf,
    targets: PathBuf,
    obo: PathBuf,
}

fn setup(subset: &Path, cafa: &Path, obo: PathBuf) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();

    let refs = first_records(
        &subset.join("swissprot2014_5000.fasta.gz"),
        REFERENCE_PROTEINS,
    );
    write_fasta(&root.join("ref.fasta"), &refs);
    let ref_ids: HashSet<&str> = refs.iter().map(|(id, _)| id.as_str()).collect();
    let mut tsv = std::fs::File::create(root.join("ref_go.tsv")).unwrap();
    for line in gz_lines(&subset.join("swissprot2014_5000_go.tsv.gz")) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() >= 3 && f[1].starts_with("GO:") && ref_ids.contains(f[0]) {
            writeln!(tsv, "{line}").unwrap();
        }
    }
    drop(tsv);

    let targets = first_records(&cafa.join("cafa3_targets.fasta.gz"), usize::MAX);
    let mut queries: Vec<(String, String)> = targets[..QUERIES - OVER_ONE.len()].to_vec();
    queries.extend(
        targets
            .iter()
            .filter(|(id, _)| OVER_ONE.contains(&id.as_str()))
            .cloned(),
    );
    assert_eq!(queries.len(), QUERIES);
    write_fasta(&root.join("queries.fasta"), &queries);
    let mut list = std::fs::File::create(root.join("targets.txt")).unwrap();
    for (id, _) in &queries {
        writeln!(list, "{id}").unwrap();
    }
    // One ground-truth file over the three aspects: the ontology gives each term's namespace.
    let mut truth = String::new();
    for aspect in ["BPO", "MFO", "CCO"] {
        let path = cafa.join(format!("groundtruth_leafonly_{aspect}.tsv"));
        truth.push_str(&std::fs::read_to_string(path).unwrap());
    }
    std::fs::write(root.join("truth.tsv"), truth).unwrap();

    let config = root.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "base_directory: out\nprefix: cafa\n\
             reference:\n  path: reference\n  sequences: [ref.fasta]\n  annotations: [ref_go.tsv]\n  \
             ontology: {}\n  evidence_codes: []\n\
             embedding:\n  models:\n    kmer: {{}}\n    kmer4: {{backend: kmer, k: 4}}\n",
            obo.display()
        ),
    )
    .unwrap();
    homolog(&["initialize", "--config", config.to_str().unwrap()]);
    Setup {
        _dir: dir,
        config,
        queries: root.join("queries.fasta"),
        truth: root.join("truth.tsv"),
        targets: root.join("targets.txt"),
        obo,
        root,
    }
}

impl Setup {
    /// `homolog run` with `--set` overrides; returns the new experiment folder.
    fn run(&self, prefix: &str, sets: &[&str]) -> PathBuf {
        let mut args = vec![
            "run",
            "--config",
            self.config.to_str().unwrap(),
            "--input",
            self.queries.to_str().unwrap(),
        ];
        let prefix = format!("prefix={prefix}");
        for s in sets.iter().chain([&prefix.as_str()]) {
            args.extend(["--set", s]);
        }
        homolog(&args);
        let experiments = self.root.join("out/experiments");
        let mut found: Vec<PathBuf> = std::fs::read_dir(experiments)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.starts_with(&format!("{}_", &prefix["prefix=".len()..]))
            })
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        found.pop().unwrap()
    }

    /// Evaluates a summary.csv with the CLI (it must succeed and print a table) and with the
    /// library; checks every reported number; returns "BPO 0.123 MFO ... CCO ..." (Fmax).
    fn evaluate(&self, summary: &Path, score: Option<&str>) -> String {
        let mut args = vec![
            "evaluate",
            "--predictions",
            summary.to_str().unwrap(),
            "--ground-truth",
            self.truth.to_str().unwrap(),
            "--ontology",
            self.obo.to_str().unwrap(),
            "--benchmark-list",
            self.targets.to_str().unwrap(),
        ];
        if let Some(s) = score {
            args.extend(["--score", s]);
        }
        let out = homolog(&args);
        let table = String::from_utf8_lossy(&out.stdout).into_owned();
        for aspect in ["BPO", "MFO", "CCO"] {
            assert!(table.contains(&format!("| {aspect} ")), "{table}");
        }

        let mut req = EvaluateRequest::new(summary, &self.truth, &self.obo);
        req.benchmark_list = Some(self.targets.clone());
        req.score = score.map(str::to_string);
        let eval = evaluate_files(&req).unwrap();
        assert_eq!(eval.reports.len(), 3);
        let warned = String::from_utf8_lossy(&out.stderr).contains("above 1 clipped to 1");
        assert_eq!(warned, eval.stats.predictions_clipped > 0);
        let unit = |name: &str, v: f64| assert!((0.0..=1.0).contains(&v), "{name} = {v}");
        let mut fmax = Vec::new();
        for r in &eval.reports {
            assert!(r.n_targets > 0 && r.n_targets <= QUERIES, "{}", r.n_targets);
            for (name, v) in [
                ("coverage", r.coverage),
                ("fmax", r.fmax),
                ("threshold", r.threshold),
                ("precision", r.precision),
                ("recall", r.recall),
            ] {
                unit(name, v);
            }
            for p in &r.curve {
                for (name, v) in [
                    ("tau", p.tau),
                    ("coverage", p.coverage),
                    ("precision", p.precision),
                    ("recall", p.recall),
                    ("f", p.f),
                ] {
                    unit(name, v);
                }
            }
            fmax.push(format!("{} {:.3}", r.label(), r.fmax));
        }
        let line = format!(
            "{} (clipped {})",
            fmax.join(" "),
            eval.stats.predictions_clipped
        );
        eprintln!("{}: {line}", summary.display());
        line
    }
}

/// The rows of a long summary.csv as (header, records).
fn read_long(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    (header, r.records().map(Result::unwrap).collect())
}

fn column(header: &csv::StringRecord, name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no {name} in {header:?}"))
}

#[test]
fn evaluate_reads_what_run_writes_on_cafa3_targets() {
    let subset = homolog_testkit::require_data!("proteins/swissprot2014_go_subset");
    let cafa = homolog_testkit::require_data!("go/cafa3_benchmark");
    let obo = homolog_testkit::require_data!("go/go-basic_2021-12-15.obo.gz");
    let s = setup(&subset, &cafa, obo);
    let one = ["embedding.models.kmer4.enabled=false"];
    let long = "postprocess.summary_format=long";

    // One model, wide (FANTASIA's layout, the default) and long: the same predictions.
    let wide1 = s.run("wide1", &one).join("summary.csv");
    let long1 = s.run("long1", &[one[0], long]).join("summary.csv");
    let header = std::fs::read_to_string(&wide1).unwrap();
    assert!(header
        .lines()
        .next()
        .unwrap()
        .contains("final_score_kmer_L0"));
    let a = s.evaluate(&wide1, None);
    assert_eq!(a, s.evaluate(&long1, None), "wide and long disagree");
    // The case: final_score 1.04 for T37020011177 GO:0003735, clipped to 1.
    let (header, rows) = read_long(&long1);
    let row = rows
        .iter()
        .find(|r| &r[0] == "T37020011177" && &r[1] == "GO:0003735")
        .expect("the issue's row");
    assert_eq!(&row[column(&header, "count")], "1.2000");
    assert_eq!(&row[column(&header, "final_score")], "1.0400");
    assert!(!a.ends_with("(clipped 0)"), "{a}");

    // Two models: the default is the best final_score over both; --score picks one.
    let wide2 = s.run("wide2", &[]).join("summary.csv");
    let long2 = s.run("long2", &[long]).join("summary.csv");
    let header = std::fs::read_to_string(&wide2).unwrap();
    assert!(header
        .lines()
        .next()
        .unwrap()
        .contains("final_score_kmer4_L0"));
    let both = s.evaluate(&wide2, None);
    assert_eq!(both, s.evaluate(&long2, None), "wide and long disagree");
    for layout in [&wide2, &long2] {
        let kmer = s.evaluate(layout, Some("final_score_kmer_L0"));
        assert_eq!(kmer, a, "kmer alone must equal the one-model run");
        s.evaluate(layout, Some("final_score_kmer4_L0"));
        s.evaluate(layout, Some("max_ri"));
    }

    // Output thresholds: the filtered summary is exactly the unfiltered one's rows with
    // final_score >= 0.18 and max_ri >= 0.09, and every TopGO line has RI >= 0.09 (k-mer
    // cosine RIs are low: on these data the median final_score is 0.16, the median max_ri 0.08).
    let exp = s.run(
        "thresholds",
        &[
            long,
            "postprocess.min_score=0.18",
            "postprocess.min_reliability=0.09",
        ],
    );
    let (header, all) = read_long(&long2);
    let (header_f, kept) = read_long(&exp.join("summary.csv"));
    assert_eq!(header, header_f);
    let (fs, ri) = (column(&header, "final_score"), column(&header, "max_ri"));
    let num = |r: &csv::StringRecord, i: usize| r[i].parse::<f64>().unwrap();
    let expected: Vec<&csv::StringRecord> = all
        .iter()
        .filter(|r| num(r, fs) >= 0.18 && num(r, ri) >= 0.09)
        .collect();
    assert!(!expected.is_empty() && expected.len() < all.len());
    assert_eq!(kept.iter().collect::<Vec<_>>(), expected);
    let mut topgo_lines = 0;
    for entry in walk(&exp.join("topgo")) {
        for line in std::fs::read_to_string(&entry).unwrap().lines() {
            let ri: f64 = line.rsplit('\t').next().unwrap().parse().unwrap();
            assert!(ri >= 0.09, "{}: {line}", entry.display());
            topgo_lines += 1;
        }
    }
    assert!(topgo_lines > 0);
    eprintln!(
        "thresholds: {} of {} summary rows kept, {topgo_lines} TopGO lines",
        kept.len(),
        all.len()
    );
    s.evaluate(&exp.join("summary.csv"), None);

    // homolog's neighbour vote: its own columns, scores in [0, 1], ancestors of voted terms
    // included (the aspect roots get every voter), and the thresholds apply to every row,
    // including ancestor rows that have no raw rows of their own.
    let vote = [long, "postprocess.score=vote", "lookup.limit_per_entry=10"];
    let vote_long = s.run("vote", &vote).join("summary.csv");
    let (header, rows) = read_long(&vote_long);
    let col = |name| column(&header, name);
    let (voters, votes, ri, support, fs) = (
        col("voters"),
        col("votes"),
        col("max_ri"),
        col("support"),
        col("final_score"),
    );
    assert!(
        header.iter().all(|h| h != "count" && h != "w_max_ri"),
        "{header:?}"
    );
    let mut roots = 0;
    for r in &rows {
        let (n, v) = (num(r, voters), num(r, votes));
        assert!(v >= 1.0 && v <= n && n <= 3.0, "{r:?}");
        assert!((0.0..=1.0).contains(&num(r, support)), "{r:?}");
        assert!(num(r, fs) <= num(r, support) + 1e-4, "{r:?}");
        if ["GO:0008150", "GO:0003674", "GO:0005575"].contains(&&r[1]) {
            assert_eq!(v, n, "a root is carried by every voter: {r:?}");
            roots += 1;
        }
    }
    assert!(roots > 0);
    let v = s.evaluate(&vote_long, None);
    assert!(v.ends_with("(clipped 0)"), "{v}");
    let vote_wide = s.run("vote_wide", &vote[1..]).join("summary.csv");
    assert_eq!(s.evaluate(&vote_wide, Some("final_score_kmer_L0")), {
        let one_model = s.run("vote_one", &[vote[0], vote[1], vote[2], one[0]]);
        s.evaluate(&one_model.join("summary.csv"), None)
    });
    let sets = [
        vote[0],
        vote[1],
        vote[2],
        "postprocess.min_score=0.3",
        "postprocess.min_reliability=0.09",
    ];
    let (_, kept) = read_long(&s.run("vote_thresholds", &sets).join("summary.csv"));
    let expected: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| num(r, fs) >= 0.3 && num(r, ri) >= 0.09)
        .collect();
    assert!(!expected.is_empty() && expected.len() < rows.len());
    assert_eq!(kept.iter().collect::<Vec<_>>(), expected);

    // An unknown --score names the file and lists the columns it could have been.
    let out = Command::new(env!("CARGO_BIN_EXE_homolog"))
        .args(["evaluate", "--predictions", wide2.to_str().unwrap()])
        .args(["--ground-truth", s.truth.to_str().unwrap()])
        .args([
            "--ontology",
            s.obo.to_str().unwrap(),
            "--score",
            "final_scor",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("summary.csv:1: no score column final_scor; available columns: ")
            && stderr.contains("final_score_kmer4_L0"),
        "{stderr}"
    );
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
