//! Integration test on real data: 5,000 GO-annotated Swiss-Prot proteins (Jan 2014).
//!
//! Every tenth protein is held out as a query; the other 4,500 form the reference. homolog
//! annotates the queries with `kmer` embeddings, and the annotations it recovers must clearly
//! beat transferring the annotations of the same number of random reference proteins.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::process::Command;

fn gz_lines(path: &std::path::Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap();
    BufReader::new(flate2::read::MultiGzDecoder::new(file))
        .lines()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn kmer_annotation_beats_random_neighbours_on_swissprot() {
    let subset = homolog_testkit::require_data!("proteins/swissprot2014_go_subset");
    let obo = homolog_testkit::require_data!("go/go-basic_2021-12-15.obo.gz");
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n);

    // Split the FASTA: every tenth record is a query.
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
    let (mut refs, mut queries) = (Vec::new(), Vec::new());
    for (i, r) in records.iter().enumerate() {
        if i % 10 == 0 {
            queries.push(r)
        } else {
            refs.push(r)
        }
    }
    let write_fasta = |name: &str, recs: &[&(String, String)]| {
        let mut f = std::fs::File::create(path(name)).unwrap();
        for (id, seq) in recs {
            writeln!(f, ">{id}\n{seq}").unwrap();
        }
    };
    write_fasta("ref.fasta", &refs);
    write_fasta("queries.fasta", &queries);
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

    let config = path("config.yaml");
    std::fs::write(
        &config,
        format!(
            "base_directory: out\nprefix: sp\nreference:\n  path: reference\n  sequences: [ref.fasta]\n  annotations: [ref_go.tsv]\n  ontology: {}\nlookup:\n  limit_per_entry: 1\n  alignment: true\n",
            obo.display()
        ),
    )
    .unwrap();
    let homolog = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_homolog"))
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "homolog {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let cfg = config.to_str().unwrap();
    homolog(&["initialize", "--config", cfg]);
    homolog(&[
        "run",
        "--config",
        cfg,
        "--input",
        path("queries.fasta").to_str().unwrap(),
    ]);

    let exp = std::fs::read_dir(path("out/experiments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
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
