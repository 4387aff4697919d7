//! Push, add, pull and cache against a real PostgreSQL (`scripts/services.sh` starts one on
//! 127.0.0.1:5433; `HOMOLOG_PG_URL` overrides the URL). Each test works in its own schema and
//! drops it. The references are built from real data: the yeast proteome with its 2014 GO
//! annotations, GO basic 2021, the WoL taxdump and k-mer embeddings.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use homolog_embed::ModelSettings;
use homolog_pgstore::*;
use homolog_reference::*;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5433/postgres";

/// The server's URL, or `None` (skip, or fail under HOMOLOG_REQUIRE_SERVICES) when it is down.
fn server() -> Option<String> {
    let url = std::env::var("HOMOLOG_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    let cfg: postgres::Config = url.parse().expect("HOMOLOG_PG_URL parses");
    match cfg.connect(postgres::NoTls) {
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

/// A uniquely named schema on the server, dropped at the end of the test.
struct Schema {
    url: String,
}

impl Schema {
    fn new(server: &str, name: &str) -> Schema {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let schema = format!("t_{name}_{}_{nanos}", std::process::id());
        let sep = if server.contains('?') { '&' } else { '?' };
        Schema {
            url: format!("{server}{sep}schema={schema}"),
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = drop_store(&self.url);
    }
}

/// Reference folders built once per test binary: `a` from the first half of the yeast
/// proteome, `b` from the second half, `ab` from both files (in that order).
struct Refs {
    _dir: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    ab: PathBuf,
    /// `a` without embeddings (incompatible with the store of `a`).
    a_plain: PathBuf,
    /// `a` with f32 matrices (the others are f16).
    a32: PathBuf,
}

fn no_progress(_: &str, _: u64, _: u64) {}

fn refs() -> Option<&'static Refs> {
    static REFS: OnceLock<Option<Refs>> = OnceLock::new();
    REFS.get_or_init(|| {
        let data = homolog_testkit::data_root()?;
        let dir = tempfile::tempdir().unwrap();
        let lines =
            homolog_testkit::gz_lines(&data.join("proteins/yeast_UP000002311_2025-10-19.fasta.gz"));
        let starts: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with('>'))
            .map(|(i, _)| i)
            .collect();
        let cut = starts[starts.len() / 2];
        let a_fasta = dir.path().join("a.fasta");
        let b_fasta = dir.path().join("b.fasta");
        fs::write(&a_fasta, lines[..cut].join("\n") + "\n").unwrap();
        fs::write(&b_fasta, lines[cut..].join("\n") + "\n").unwrap();
        let settings = ModelSettings {
            backend: Some("kmer".into()),
            k: Some(3),
            dim: Some(24),
            layers: vec![0, 1],
            batch_size: 512,
            ..Default::default()
        };
        let embedder = homolog_embed::registry::build("kmer", &settings).unwrap();
        let models: Vec<ModelInput> = vec![("kmer".into(), &settings, embedder.as_ref())];
        let build_one = |name: &str, fastas: &[&Path], with_models: bool, precision: Precision| {
            let mut spec = BuildSpec::new(
                dir.path().join(name),
                fastas.iter().map(|f| Source::from(*f)).collect(),
                data.join("go/go-basic_2021-12-15.obo.gz").into(),
            );
            spec.annotations = vec![data.join("proteins/yeast_UP000002311_go2014.tsv.gz").into()];
            spec.taxonomy = Some(TaxdumpSources {
                nodes: data.join("taxonomy/wol_taxdump_nodes.dmp.gz").into(),
                names: Some(data.join("taxonomy/wol_taxdump_names.dmp.gz").into()),
            });
            spec.precision = precision;
            let m: &[ModelInput] = if with_models { &models } else { &[] };
            build(&spec, &spec.path, m, &no_progress).unwrap();
            spec.path
        };
        Some(Refs {
            a: build_one("a", &[&a_fasta], true, Precision::F16),
            b: build_one("b", &[&b_fasta], true, Precision::F16),
            ab: build_one("ab", &[&a_fasta, &b_fasta], true, Precision::F16),
            a_plain: build_one("a_plain", &[&a_fasta], false, Precision::F16),
            a32: build_one("a32", &[&a_fasta], true, Precision::F32),
            _dir: dir,
        })
    })
    .as_ref()
}

fn assert_same_files(a: &Path, b: &Path, skip: &[&str]) {
    let (fa, fb) = (
        homolog_testkit::file_bytes_under(a),
        homolog_testkit::file_bytes_under(b),
    );
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "same file list in {} and {}",
        a.display(),
        b.display()
    );
    for (name, bytes) in &fa {
        if skip.contains(&name.as_str()) {
            continue;
        }
        assert!(
            bytes == &fb[name],
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn full_push_pulls_back_byte_identical() {
    let Some(server) = server() else { return };
    let Some(refs) = refs() else { return };
    let store = Schema::new(&server, "full");
    let report = push(&refs.a, &store.url, &PushOptions::default()).unwrap();
    assert_eq!((report.revision, report.up_to_date), (1, false));
    let m = Reference::open(&refs.a).unwrap().manifest().clone();
    assert_eq!(report.added.proteins, m.counts.proteins);
    assert_eq!(report.added.sequences, m.counts.sequences);
    assert_eq!(report.added.annotations, m.counts.annotations);
    assert_eq!(report.added.taxa, m.counts.taxa);
    assert_eq!(report.added.embeddings, 2 * m.counts.sequences);

    let out = tempfile::tempdir().unwrap();
    let pulled = pull(&store.url, &out.path().join("ref")).unwrap();
    assert_same_files(&refs.a, &pulled.dir, &[]);
    assert!(Reference::open(&pulled.dir)
        .unwrap()
        .matrix("kmer", 1)
        .is_ok());

    // The same folder again is a no-op; --force replaces the store (new identity).
    let again = push(&refs.a, &store.url, &PushOptions::default()).unwrap();
    assert!(again.up_to_date);
    let c1 = cache(&store.url, out.path()).unwrap();
    assert!(c1.written);
    let c2 = cache(&store.url, out.path()).unwrap();
    assert!(
        !c2.written && c2.dir == c1.dir,
        "unchanged store reuses the cache"
    );
    let forced = push(
        &refs.a,
        &store.url,
        &PushOptions {
            force: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!forced.up_to_date);
    let c3 = cache(&store.url, out.path()).unwrap();
    assert!(
        c3.written && c3.dir != c1.dir && !c1.dir.exists(),
        "new store, new cache, old removed"
    );
    assert_same_files(&refs.a, &c3.dir, &[]);
}

#[test]
fn incremental_add_equals_a_full_push_of_the_union() {
    let Some(server) = server() else { return };
    let Some(refs) = refs() else { return };
    let grown = Schema::new(&server, "grown");
    push(&refs.a, &grown.url, &PushOptions::default()).unwrap();
    let add = PushOptions {
        add: true,
        ..Default::default()
    };
    let report = push(&refs.b, &grown.url, &add).unwrap();
    assert_eq!(report.revision, 2);
    let (ma, mb, mab) = (
        Manifest::read(&refs.a.join(MANIFEST_FILE)).unwrap(),
        Manifest::read(&refs.b.join(MANIFEST_FILE)).unwrap(),
        Manifest::read(&refs.ab.join(MANIFEST_FILE)).unwrap(),
    );
    assert_eq!(report.added.proteins, mb.counts.proteins);
    assert_eq!(
        report.added.sequences,
        mab.counts.sequences - ma.counts.sequences,
        "shared sequences are stored once"
    );
    // Adding the union now adds nothing.
    let again = push(&refs.ab, &grown.url, &add).unwrap();
    assert_eq!(again.added, Added::default());
    assert_eq!(again.revision, 3);

    let out = tempfile::tempdir().unwrap();
    let pulled = pull(&grown.url, &out.path().join("grown")).unwrap();
    // Every table and matrix is byte-identical to the union built in one go; the manifest
    // differs only in provenance (sources, dropped counters, fingerprint, time).
    assert_same_files(&refs.ab, &pulled.dir, &[MANIFEST_FILE]);
    let got = pulled.manifest.unwrap();
    assert_eq!(got.counts, mab.counts);
    assert_eq!(got.matrices, mab.matrices);
    assert_ne!(got.inputs_fingerprint, ma.inputs_fingerprint);
    assert!(got.sources.len() > ma.sources.len());

    // A full push of the union pulls back to the same tables and matrices.
    let union = Schema::new(&server, "union");
    push(&refs.ab, &union.url, &PushOptions::default()).unwrap();
    let pulled_union = pull(&union.url, &out.path().join("union")).unwrap();
    assert_same_files(&pulled_union.dir, &pulled.dir, &[MANIFEST_FILE]);
}

/// The database-side scan and homolog's exact search on the pulled matrix find the same
/// neighbours.
#[test]
fn database_scan_agrees_with_exact_search_on_the_pulled_matrix() {
    let Some(server) = server() else { return };
    let Some(refs) = refs() else { return };
    let store = Schema::new(&server, "scan");
    push(&refs.a, &store.url, &PushOptions::default()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let pulled = cache(&store.url, out.path()).unwrap();
    let reference = Reference::open(&pulled.dir).unwrap();
    let matrix = reference.matrix("kmer", 0).unwrap();
    let queries: Vec<usize> = vec![0, 17, matrix.rows() - 1];
    let flat: Vec<f32> = queries
        .iter()
        .flat_map(|&q| matrix.row(q).to_vec())
        .collect();
    let params = homolog_search::SearchParams {
        k: 5,
        ..Default::default()
    };
    let hits = homolog_search::search(
        &flat,
        matrix.as_slice(),
        matrix.dim(),
        &params,
        &homolog_search::RowFilter::none(),
    )
    .unwrap();
    for (qi, &q) in queries.iter().enumerate() {
        let db = db_top_k(&store.url, "kmer", 0, matrix.row(q), 5).unwrap();
        assert_eq!(db.len(), 5);
        for (h, (row, dist)) in hits[qi].iter().zip(&db) {
            assert!(
                (h.distance as f64 - dist).abs() < 1e-4,
                "query {q}: exact {h:?} vs database ({row}, {dist})"
            );
        }
        assert_eq!(
            db[0].0 as usize, q,
            "a stored vector is its own nearest neighbour"
        );
    }
}

#[test]
fn bad_urls_missing_stores_and_incompatible_adds_are_clear_errors() {
    let Some(server) = server() else { return };
    let Some(refs) = refs() else { return };
    let out = tempfile::tempdir().unwrap();

    let e = pull(
        "postgres://postgres@127.0.0.1:5433/postgres?schema=No-Such",
        out.path(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("invalid PostgreSQL store URL"), "{e}");
    let e = push(&refs.a, "mysql://x@h/db", &PushOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not start with postgres://"), "{e}");

    // Nothing listens on port 1.
    let e = pull("postgres://postgres@127.0.0.1:1/postgres", out.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot connect to the PostgreSQL store"), "{e}");
    assert!(e.contains("127.0.0.1:1/postgres"), "{e}");

    let missing = Schema::new(&server, "missing");
    let e = pull(&missing.url, &out.path().join("x")).unwrap_err();
    assert!(matches!(e, PgStoreError::NoStore { .. }), "{e}");
    assert!(e.to_string().contains("homolog reference push"), "{e}");
    let add = PushOptions {
        add: true,
        ..Default::default()
    };
    let e = push(&refs.a, &missing.url, &add).unwrap_err();
    assert!(matches!(e, PgStoreError::NoStore { .. }), "{e}");
    assert!(!out.path().join("x").exists());

    // A schema with someone else's tables is never replaced.
    let foreign = Schema::new(&server, "foreign");
    let schema = foreign.url.rsplit_once("schema=").unwrap().1.to_string();
    let mut c = client(&server);
    c.batch_execute(&format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.mine (x int)"
    ))
    .unwrap();
    let e = push(&refs.a, &foreign.url, &PushOptions::default()).unwrap_err();
    assert!(matches!(e, PgStoreError::NotAStore { .. }), "{e}");
    assert!(e.to_string().contains("mine"), "{e}");
    c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();

    // Adding a folder without the store's matrices is refused, and changes nothing.
    let store = Schema::new(&server, "incompatible");
    push(&refs.a, &store.url, &PushOptions::default()).unwrap();
    let e = push(&refs.a_plain, &store.url, &add).unwrap_err();
    assert!(matches!(e, PgStoreError::Incompatible { .. }), "{e}");
    assert!(e.to_string().contains("kmer layer 0"), "{e}");
    let pulled = pull(&store.url, &out.path().join("after")).unwrap();
    assert_eq!(pulled.revision, 1);
    assert_same_files(&refs.a, &pulled.dir, &[]);

    // Pulling over an unrelated folder is refused.
    let unrelated = out.path().join("unrelated");
    fs::create_dir(&unrelated).unwrap();
    fs::write(unrelated.join("notes.txt"), "mine").unwrap();
    let e = pull(&store.url, &unrelated).unwrap_err().to_string();
    assert!(e.contains("is not a homolog reference"), "{e}");
}

/// A plain client of the test server.
fn client(url: &str) -> postgres::Client {
    url.parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap()
}

/// The pgvector server (`scripts/services.d/53-pgvector.sh`, 127.0.0.1:5434;
/// `HOMOLOG_PGVECTOR_URL` overrides it): f16 matrices go to `halfvec`, f32 ones to `vector`,
/// both pull back byte-identical, and pgvector's `<=>` scan finds the exact neighbours.
#[test]
fn pgvector_columns_round_trip_and_scan() {
    let url = std::env::var("HOMOLOG_PGVECTOR_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5434/postgres".to_string());
    if let Err(e) = StoreLocation::parse(&url).unwrap().connect() {
        homolog_testkit::unavailable(
            format!("no PostgreSQL with pgvector at {url} ({e})"),
            "run scripts/setup.d/57-pgvector.sh and scripts/services.sh",
        );
        return;
    }
    let Some(refs) = refs() else { return };
    let out = tempfile::tempdir().unwrap();
    for (name, folder) in [("half", &refs.a), ("full", &refs.a32)] {
        let store = Schema::new(&url, name);
        let options = PushOptions {
            storage: StorageChoice::PgVector,
            ..Default::default()
        };
        let report = push(folder, &store.url, &options).unwrap();
        assert_eq!(report.storage, Storage::PgVector);
        let pulled = pull(&store.url, &out.path().join(name)).unwrap();
        assert_same_files(folder, &pulled.dir, &[]);

        let reference = Reference::open(&pulled.dir).unwrap();
        let matrix = reference.matrix("kmer", 1).unwrap();
        let q = matrix.rows() / 3;
        let exact = homolog_search::search(
            matrix.row(q),
            matrix.as_slice(),
            matrix.dim(),
            &homolog_search::SearchParams {
                k: 4,
                ..Default::default()
            },
            &homolog_search::RowFilter::none(),
        )
        .unwrap();
        let db = db_top_k(&store.url, "kmer", 1, matrix.row(q), 4).unwrap();
        assert_eq!(db[0].0 as usize, q);
        for (h, (row, dist)) in exact[0].iter().zip(&db) {
            assert!(
                (h.distance as f64 - dist).abs() < 1e-3,
                "exact {h:?} vs pgvector ({row}, {dist})"
            );
        }
    }
    // Asking for pgvector where there is none is a clear error.
    if let Some(plain) = server() {
        let store = Schema::new(&plain, "novector");
        let e = push(
            &refs.a,
            &store.url,
            &PushOptions {
                storage: StorageChoice::PgVector,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("install pgvector"), "{e}");
    }
}
