//! `homolog reference push/pull` and `reference.path: postgres://...` end to end, against a
//! real PostgreSQL (`scripts/services.sh` starts one on 127.0.0.1:5433; `HOMOLOG_PG_URL`
//! overrides the URL), on a reference built from the real Swiss-Prot 2014 GO subset (5,000
//! proteins) with GO basic 2021, and FANTASIA's 33 E. coli test proteins as queries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5433/postgres";

fn homolog(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homolog"))
        .args(args)
        .env_remove("HOMOLOG_CONFIG")
        .env("RUST_LOG", "warn")
        .env("HOMOLOG_CACHE", cache)
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

/// A clear failure: non-zero exit, an `error:` line with every needle, no panic.
fn fails_with(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure; stderr:\n{stderr}");
    assert!(stderr.contains("error:"), "no error line in:\n{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
}

/// The server's URL, or `None` (skip, or fail under HOMOLOG_REQUIRE_SERVICES) when it is down.
fn server() -> Option<String> {
    let url = std::env::var("HOMOLOG_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    let location = homolog_pgstore::StoreLocation::parse(&url).expect("HOMOLOG_PG_URL parses");
    match location.connect() {
        Ok(_) => Some(url),
        Err(e) => {
            homolog_testkit::unavailable(
                format!("no PostgreSQL at {url} ({e})"),
                "run scripts/setup.d/55-postgres.sh and scripts/services.sh",
            );
            None
        }
    }
}

/// Store URLs in uniquely named schemas, dropped at the end.
struct Schemas(Vec<String>);

impl Schemas {
    fn url(&mut self, server: &str, name: &str) -> String {
        let schema = format!("cli_{name}_{}", std::process::id());
        let sep = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{sep}schema={schema}");
        let _ = homolog_pgstore::drop_store(&url);
        self.0.push(url.clone());
        url
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        for url in &self.0 {
            let _ = homolog_pgstore::drop_store(url);
        }
    }
}

fn config(dir: &Path, name: &str, reference_path: &str, data: &Path) -> PathBuf {
    let sub = data.join("proteins/swissprot2014_go_subset");
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &path,
        format!(
            "base_directory: {name}_out\nprefix: {name}\nreference:\n  path: {reference_path}\n  \
             sequences: [{}]\n  annotations: [{}]\n  ontology: {}\nlookup:\n  limit_per_entry: 3\n",
            sub.join("swissprot2014_5000.fasta.gz").display(),
            sub.join("swissprot2014_5000_go.tsv.gz").display(),
            data.join("go/go-basic_2021-12-15.obo.gz").display(),
        ),
    )
    .unwrap();
    path
}

/// The summary.csv of the only experiment under `<dir>/<name>_out/experiments`.
fn summary(dir: &Path, name: &str) -> Vec<u8> {
    let exps: Vec<PathBuf> = std::fs::read_dir(dir.join(format!("{name}_out/experiments")))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(exps.len(), 1, "{exps:?}");
    std::fs::read(exps[0].join("summary.csv")).unwrap()
}

#[test]
fn push_pull_and_runs_from_a_store_match_the_folder() {
    let Some(server) = server() else { return };
    let data = homolog_testkit::require_data!();
    let queries = data.join("proteins/fantasia_test_ecoli33.fa");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cache = dir.join("cache");
    let mut schemas = Schemas(Vec::new());

    // The folder run.
    let folder_cfg = config(dir, "folder", "reference", &data);
    let c = folder_cfg.to_str().unwrap();
    ok(&homolog(&["initialize", "--config", c], &cache));
    ok(&homolog(
        &["run", "--config", c, "--input", queries.to_str().unwrap()],
        &cache,
    ));
    let expected = summary(dir, "folder");
    assert!(expected.len() > 1000, "the run found annotations");

    // Push, pull: byte-identical folder.
    let url = schemas.url(&server, "pushed");
    let out = ok(&homolog(
        &["reference", "push", "--config", c, "--to", &url],
        &cache,
    ));
    assert!(out.contains("revision 1"), "{out}");
    let out = ok(&homolog(
        &["reference", "push", "--config", c, "--to", &url],
        &cache,
    ));
    assert!(out.contains("nothing pushed"), "{out}");
    let pulled = dir.join("pulled");
    ok(&homolog(
        &[
            "reference",
            "pull",
            "--from",
            &url,
            "--out",
            pulled.to_str().unwrap(),
        ],
        &cache,
    ));
    assert!(
        homolog_testkit::file_bytes_under(&dir.join("reference"))
            == homolog_testkit::file_bytes_under(&pulled),
        "pulled folder differs"
    );

    // A run whose reference.path is the store: the same summary.csv.
    let store_cfg = config(dir, "store", &url, &data);
    let s = store_cfg.to_str().unwrap();
    ok(&homolog(
        &["run", "--config", s, "--input", queries.to_str().unwrap()],
        &cache,
    ));
    assert!(summary(dir, "store") == expected, "summary.csv differs");
    assert!(
        std::fs::read_dir(&cache).unwrap().next().is_some(),
        "the store was pulled into HOMOLOG_CACHE"
    );

    // `initialize` with a store URL builds locally and pushes; a run from it matches too.
    let url2 = schemas.url(&server, "initialized");
    let init_cfg = config(dir, "init", &url2, &data);
    let i = init_cfg.to_str().unwrap();
    let out = ok(&homolog(&["initialize", "--config", i], &cache));
    assert!(out.contains("schema cli_initialized"), "{out}");
    ok(&homolog(
        &["run", "--config", i, "--input", queries.to_str().unwrap()],
        &cache,
    ));
    assert!(summary(dir, "init") == expected, "summary.csv differs");

    // Clear errors: unreachable server, missing store, bad URL, no target.
    fails_with(
        &homolog(
            &[
                "reference",
                "pull",
                "--from",
                "postgres://postgres@127.0.0.1:1/postgres",
                "--out",
                dir.join("x").to_str().unwrap(),
            ],
            &cache,
        ),
        &["cannot connect to the PostgreSQL store", "127.0.0.1:1"],
    );
    let missing = schemas.url(&server, "missing");
    let missing_cfg = config(dir, "missing", &missing, &data);
    fails_with(
        &homolog(
            &[
                "run",
                "--config",
                missing_cfg.to_str().unwrap(),
                "--input",
                queries.to_str().unwrap(),
            ],
            &cache,
        ),
        &["no homolog reference store", "homolog reference push"],
    );
    fails_with(
        &homolog(
            &[
                "reference",
                "push",
                "--config",
                c,
                "--to",
                "postgres://h/db?schema=Bad",
            ],
            &cache,
        ),
        &["invalid PostgreSQL store URL"],
    );
    fails_with(
        &homolog(&["reference", "push", "--config", c], &cache),
        &["--to postgres://"],
    );
}
