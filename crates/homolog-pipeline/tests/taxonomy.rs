//! The taxonomy filter: include-only / exclude lists, with and without descendants.

use std::collections::HashSet;
use std::path::Path;

use homolog_config::Config;
use homolog_pipeline::{initialize, run, NoProgress, RunMode, RunOptions};
use homolog_reference::{Source, TaxdumpSources};

const SEQ: &str = "MKVLAAGIVGLLLAAPQAQAEELKKHGSTWYRNDCQEGHILKMFPSTWYV";

/// Reference: three proteins with the query's sequence in three taxa, each with its own term.
fn setup(dir: &Path) -> Config {
    let w = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap();
        Source::new(dir.join(name).to_string_lossy())
    };
    let fasta = w(
        "ref.fasta",
        &format!(
            ">ECOLI1 protein OX=562\n{SEQ}\n>ARCH1 protein OX=2287\n{SEQ}\n>BSUB1 protein OX=1423\n{SEQ}\n"
        ),
    );
    let go = w(
        "ref.tsv",
        "ECOLI1\tGO:0000001\tF\tIDA\nARCH1\tGO:0000002\tF\tIDA\nBSUB1\tGO:0000003\tF\tIDA\n",
    );
    let obo = w(
        "go.obo",
        "format-version: 1.2\n\n[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n\n\
         [Term]\nid: GO:0000001\nname: one\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
         [Term]\nid: GO:0000002\nname: two\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
         [Term]\nid: GO:0000003\nname: three\nnamespace: molecular_function\nis_a: GO:0003674\n",
    );
    // 1 root; 2 Bacteria > 1224 Proteobacteria > 562 E. coli; 2 > 1239 Firmicutes > 1423;
    // 2157 Archaea > 2287.
    let node = |id: u32, parent: u32, rank: &str| format!("{id}\t|\t{parent}\t|\t{rank}\t|\n");
    let nodes = w(
        "nodes.dmp",
        &[
            node(1, 1, "no rank"),
            node(2, 1, "superkingdom"),
            node(1224, 2, "phylum"),
            node(562, 1224, "species"),
            node(1239, 2, "phylum"),
            node(1423, 1239, "species"),
            node(2157, 1, "superkingdom"),
            node(2287, 2157, "species"),
        ]
        .concat(),
    );
    w("queries.fasta", &format!(">Q1\n{SEQ}\n"));

    let mut config = Config {
        base_directory: dir.join("out"),
        input: Some(dir.join("queries.fasta")),
        ..Config::default()
    };
    config.reference.path = dir.join("reference");
    config.reference.sequences = vec![fasta];
    config.reference.annotations = vec![go];
    config.reference.ontology = obo;
    config.reference.taxonomy = Some(TaxdumpSources { nodes, names: None });
    config.lookup.alignment = false;
    initialize(&config, false, &NoProgress).unwrap();
    config
}

fn predicted(config: &Config) -> HashSet<String> {
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
    let mut reader = csv::Reader::from_path(summary.experiment.join("summary.csv")).unwrap();
    let go = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "go_id")
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[go].to_string())
        .collect()
}

fn set(ids: &[&str]) -> HashSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn taxonomy_filters_decide_which_proteins_transfer() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = setup(dir.path());
    assert_eq!(
        predicted(&config),
        set(&["GO:0000001", "GO:0000002", "GO:0000003"])
    );

    config.taxonomy.exclude = vec![2287];
    assert_eq!(predicted(&config), set(&["GO:0000001", "GO:0000003"]));

    // Excluding Archaea itself removes nothing without descendants...
    config.taxonomy.exclude = vec![2157];
    assert_eq!(
        predicted(&config),
        set(&["GO:0000001", "GO:0000002", "GO:0000003"])
    );
    // ...and its species with them.
    config.taxonomy.with_descendants = true;
    assert_eq!(predicted(&config), set(&["GO:0000001", "GO:0000003"]));

    config.taxonomy.exclude = vec![];
    config.taxonomy.include_only = vec![1224];
    assert_eq!(predicted(&config), set(&["GO:0000001"]));

    config.taxonomy.include_only = vec![2];
    config.taxonomy.exclude = vec![1239];
    assert_eq!(predicted(&config), set(&["GO:0000001"]));
}
