//! docs/configuration.md is `homolog_config::reference_markdown()`: this fails when the schema
//! (the Rust types, their defaults, config.example.yaml's comments) and the page differ.
//! `HOMOLOG_BLESS=1 cargo test -p homolog-config --test reference` rewrites the page.

use std::path::PathBuf;

#[test]
fn configuration_page_matches_the_schema() {
    let page = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    let generated = homolog_config::reference_markdown();
    if std::env::var_os("HOMOLOG_BLESS").is_some_and(|v| v != "0") {
        std::fs::write(&page, &generated).unwrap();
        eprintln!("wrote {}", page.display());
        return;
    }
    let on_disk = std::fs::read_to_string(&page).unwrap_or_default();
    if on_disk != generated {
        // The first differing line, so the failure says what changed.
        let (n, (want, got)) = generated
            .lines()
            .chain(std::iter::repeat(""))
            .zip(on_disk.lines().chain(std::iter::repeat("")))
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .expect("the texts differ, so some line does");
        panic!(
            "{} is out of date with the configuration schema (line {}):\n  page:   {got}\n  schema: {want}\n\
             Regenerate it: HOMOLOG_BLESS=1 cargo test -p homolog-config --test reference",
            page.display(),
            n + 1
        );
    }
}

#[test]
fn page_lists_every_key_of_the_example() {
    // A key of config.example.yaml appears in the page (models under `<name>`).
    let page = homolog_config::reference_markdown();
    for line in homolog_config::EXAMPLE_YAML.lines() {
        let text = line.trim_start();
        if text.starts_with('#') || text.is_empty() {
            continue;
        }
        let Some((key, _)) = text.split_once(':') else {
            continue;
        };
        // Entries of maps documented as a whole (metrics, aliases, weights, the model name).
        if [
            "kmer",
            "reliability_index",
            "identity",
            "identity_sw",
            "max_id_g",
            "max_id_l",
            "count",
        ]
        .contains(&key)
        {
            continue;
        }
        // A row, or the heading of a section (`## `lookup``, `### `postprocess.vote``).
        let row = format!("| `{key}` |");
        let heading = format!("{key}`\n");
        assert!(
            page.contains(&row) || page.contains(&heading),
            "{key} is not in the page"
        );
    }
}
