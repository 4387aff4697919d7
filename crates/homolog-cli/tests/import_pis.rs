//! `homolog reference import-pis` against the PIS fixture database (scripts/pis/make_fixture.py,
//! started by scripts/services.d/53-pgvector.sh; see crates/homolog-pis/tests/import.rs).

use std::process::Command;

use homolog_reference::Reference;

fn homolog(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_homolog"))
        .args(args)
        .env_remove("HOMOLOG_PIS_URL")
        .output()
        .unwrap()
}

#[test]
fn import_pis_writes_a_reference_folder() {
    let url = std::env::var("HOMOLOG_PIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5434/pis_fixture".into());
    let Some(obo) = homolog_testkit::data_file("go/go_2019-01-29.obo.gz") else {
        return;
    };
    if let Err(e) = postgres::Client::connect(&url, postgres::NoTls) {
        homolog_testkit::unavailable(
            format!("PIS fixture database {url}: {e}"),
            "run scripts/setup.d/57-pgvector.sh and scripts/services.sh, or set HOMOLOG_PIS_URL",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ref");
    let os = |s: &str| std::ffi::OsString::from(s);
    let args: Vec<std::ffi::OsString> = vec![
        os("reference"),
        os("import-pis"),
        os("--from"),
        os(&url),
        os("--out"),
        out.clone().into(),
        os("--ontology"),
        obo.clone().into(),
        os("--evidence-codes"),
        os("all"),
        os("--model"),
        os("Prot-T5"),
        os("--layer"),
        os("0"),
        os("--layer"),
        os("1"),
        os("--limit"),
        os("50"),
        os("--precision"),
        os("f32"),
    ];
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let run = homolog(&refs);
    assert!(
        run.status.success(),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let reference = Reference::open(&out).unwrap();
    assert_eq!(reference.n_proteins(), 50);
    assert_eq!(reference.manifest().evidence_codes, ["all"]);
    let mut m = reference.matrices();
    m.sort();
    assert_eq!(m, [("prot_t5".to_string(), 0), ("prot_t5".to_string(), 1)]);
    assert_eq!(reference.matrix_info("prot_t5", 0).unwrap().dtype, "f32");

    // A bad precision is a clear error with a non-zero exit.
    let mut bad = refs.clone();
    let last = bad.len() - 1;
    let f64 = os("f64");
    bad[last] = f64.as_os_str();
    let run = homolog(&bad);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("--precision f64: use f16 or f32"), "{err}");
}
