//! FANTASIA's redundancy filter on real yeast proteins, with the real MMseqs2.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use homolog_config::Config;
use homolog_pipeline::{initialize, run, NoProgress, RunMode, RunOptions};
use homolog_reference::Source;

/// The first `n` proteins of the shared yeast proteome, as (accession, sequence), skipping
/// very short and very long ones so MMseqs2 and the test stay quick.
fn yeast(n: usize) -> Option<Vec<(String, String)>> {
    let path = homolog_testkit::data_file("proteins/yeast_UP000002311_2025-10-19.fasta.gz")?;
    let mut out: Vec<(String, String)> = Vec::new();
    for line in homolog_testkit::gz_lines(&path) {
        if let Some(header) = line.strip_prefix('>') {
            if out
                .last()
                .is_some_and(|(_, s)| !(80..=600).contains(&s.len()))
            {
                out.pop();
            }
            if out.len() == n {
                break;
            }
            let id = header.split_whitespace().next().unwrap();
            out.push((id.split('|').nth(1).unwrap().to_string(), String::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line.trim());
        }
    }
    out.truncate(n);
    Some(out)
}

fn mmseqs_available() -> bool {
    let ok = std::process::Command::new("mmseqs")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        homolog_testkit::unavailable(
            "MMseqs2 (`mmseqs`) not found",
            "install Debian's mmseqs2 (scripts/setup.sh --test)",
        );
    }
    ok
}

/// A 20-protein reference, each protein with its own GO term, and two queries: an exact copy
/// of reference protein 3 and a copy of protein 5 with every 8th residue changed (~87%
/// identity, under the 0.95 threshold).
fn setup(dir: &Path, proteins: &[(String, String)]) -> Config {
    let w = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap();
        Source::new(dir.join(name).to_string_lossy())
    };
    let fasta: String = proteins
        .iter()
        .map(|(acc, seq)| format!(">sp|{acc}|X_YEAST protein OX=559292\n{seq}\n"))
        .collect();
    let terms: Vec<String> = (0..proteins.len())
        .map(|i| format!("GO:{:07}", 1000 + i))
        .collect();
    let tsv: String = proteins
        .iter()
        .zip(&terms)
        .map(|((acc, _), t)| format!("{acc}\t{t}\tF\tIDA\n"))
        .collect();
    let mut obo = String::from(
        "format-version: 1.2\n\n[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n",
    );
    for t in &terms {
        obo.push_str(&format!(
            "\n[Term]\nid: {t}\nname: term {t}\nnamespace: molecular_function\nis_a: GO:0003674\n"
        ));
    }
    let mutant: String = proteins[5]
        .1
        .chars()
        .enumerate()
        .map(|(i, c)| match (i % 8 == 7, c) {
            (true, 'A') => 'G',
            (true, _) => 'A',
            (false, c) => c,
        })
        .collect();
    w(
        "queries.fasta",
        &format!(">SAME3\n{}\n>NEAR5\n{mutant}\n", proteins[3].1),
    );

    let mut config = Config {
        base_directory: dir.join("out"),
        input: Some(dir.join("queries.fasta")),
        ..Config::default()
    };
    config.reference.path = dir.join("reference");
    config.reference.sequences = vec![w("ref.fasta", &fasta)];
    config.reference.annotations = vec![w("ref.tsv", &tsv)];
    config.reference.ontology = w("go.obo", &obo);
    config.lookup.alignment = false;
    config.lookup.limit_per_entry = 1;
    initialize(&config, false, &NoProgress).unwrap();
    config
}

/// Runs and returns (query -> neighbour protein ids, experiment folder).
fn neighbours(config: &Config) -> (HashMap<String, BTreeSet<String>>, std::path::PathBuf) {
    let summary = run(
        config,
        &RunOptions {
            input: None,
            mode: RunMode::Full,
            resume: false,
        },
        &NoProgress,
    )
    .unwrap();
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for entry in homolog_testkit::files_under(&summary.experiment.join("raw_results")).into_values()
    {
        let mut reader = csv::Reader::from_path(&entry).unwrap();
        let headers = reader.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (acc, protein) = (col("accession"), col("protein_id"));
        for record in reader.records() {
            let record = record.unwrap();
            out.entry(record[acc].to_string())
                .or_default()
                .insert(record[protein].to_string());
        }
    }
    (out, summary.experiment)
}

#[test]
fn a_query_identical_to_a_reference_never_gets_it_as_a_neighbour() {
    let Some(proteins) = yeast(20) else { return };
    if !mmseqs_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut config = setup(dir.path(), &proteins);
    let same = &proteins[3].0;
    let near = &proteins[5].0;

    // Without the filter each query's nearest neighbour is its source protein.
    let (plain, experiment) = neighbours(&config);
    assert_eq!(plain["SAME3"], BTreeSet::from([same.clone()]));
    assert_eq!(plain["NEAR5"], BTreeSet::from([near.clone()]));
    assert!(!experiment.join("clusters.tsv").exists());

    // At 95% identity the identical reference is masked; the 87% one is not.
    config.redundancy.identity = 0.95;
    config.redundancy.coverage = 0.7;
    let (filtered, experiment) = neighbours(&config);
    assert!(
        !filtered["SAME3"].contains(same),
        "masked reference {same} still a neighbour: {:?}",
        filtered["SAME3"]
    );
    assert_eq!(filtered["SAME3"].len(), 1, "k = 1 still gives a neighbour");
    assert_eq!(filtered["NEAR5"], BTreeSet::from([near.clone()]));

    // clusters.tsv: SAME3 shares a cluster with the reference; NEAR5 with no reference.
    let text = std::fs::read_to_string(experiment.join("clusters.tsv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("cluster\trepresentative\tkind\tmember"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    let cluster_of = |member: &str| {
        rows.iter()
            .find(|r| r[3] == member)
            .unwrap_or_else(|| panic!("{member} not in clusters.tsv:\n{text}"))[0]
    };
    assert_eq!(cluster_of("SAME3"), cluster_of(same));
    let near_cluster = cluster_of("NEAR5");
    assert!(rows
        .iter()
        .filter(|r| r[0] == near_cluster)
        .all(|r| r[2] == "query"));
}

#[test]
fn a_missing_mmseqs_is_a_clear_error() {
    let Some(proteins) = yeast(8) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut config = setup(dir.path(), &proteins);
    config.redundancy.identity = 0.9;
    config.redundancy.mmseqs = dir.path().join("no-such-mmseqs");
    let err = run(
        &config,
        &RunOptions {
            input: None,
            mode: RunMode::Full,
            resume: false,
        },
        &NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("not found") && err.contains("redundancy.mmseqs"),
        "{err}"
    );
}
