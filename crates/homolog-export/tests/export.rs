//! The whole export on a small synthetic reference folder (built with `homolog_reference`,
//! embedded by a tiny deterministic embedder): files, manifest, streaming, byte-identical
//! output with 1 or all threads and a cold or warm alignment cache, and the S3 upload against
//! the project's moto server (scripts/services.sh; skipped visibly without it, a failure with
//! HOMOLOG_REQUIRE_SERVICES=1).

use std::io::Write;
use std::path::{Path, PathBuf};

use homolog_embed::h5::FantasiaWriter;
use homolog_embed::{EmbedError, Embedder, ModelSettings};
use homolog_export::{export, ExportConfig};
use homolog_reference::{build, BuildSpec};

/// Amino-acid composition plus two order features: 22 dimensions, deterministic.
struct Composition;

const AA: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";

fn composition(seq: &str) -> Vec<f32> {
    let mut v = vec![0f32; 22];
    let s = seq.as_bytes();
    for &c in s {
        if let Some(i) = AA.iter().position(|&a| a == c) {
            v[i] += 1.0;
        }
    }
    let n = s.len().max(1) as f32;
    v.iter_mut().for_each(|x| *x /= n);
    v[20] = s.windows(2).filter(|w| w[0] == w[1]).count() as f32 / n;
    v[21] = (s.len() as f32).ln() / 10.0;
    v
}

impl Embedder for Composition {
    fn name(&self) -> &str {
        "composition"
    }
    fn dim(&self) -> usize {
        22
    }
    fn num_layers(&self) -> usize {
        1
    }
    fn embed(&self, batch: &[&str], layers: &[usize]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
        Ok(batch
            .iter()
            .map(|s| layers.iter().map(|_| composition(s)).collect())
            .collect())
    }
}

const TYPE_ID: u32 = 77;

const OBO: &str = "\
[Term]\nid: GO:0003674\nname: mf\nnamespace: molecular_function\n\n\
[Term]\nid: GO:0000001\nname: a\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
[Term]\nid: GO:0000002\nname: b\nnamespace: molecular_function\nis_a: GO:0000001\n\n\
[Term]\nid: GO:0000003\nname: c\nnamespace: molecular_function\nis_a: GO:0003674\n\n\
[Term]\nid: GO:0008150\nname: bp\nnamespace: biological_process\n\n\
[Term]\nid: GO:0000010\nname: p\nnamespace: biological_process\nis_a: GO:0008150\n\n\
[Term]\nid: GO:0000011\nname: p2\nnamespace: biological_process\nis_a: GO:0000010\n\n\
[Term]\nid: GO:0005575\nname: cc\nnamespace: cellular_component\n\n\
[Term]\nid: GO:0000020\nname: c\nnamespace: cellular_component\nis_a: GO:0005575\n";

const TERMS: [(&str, char); 6] = [
    ("GO:0000001", 'F'),
    ("GO:0000002", 'F'),
    ("GO:0000003", 'F'),
    ("GO:0000010", 'P'),
    ("GO:0000011", 'P'),
    ("GO:0000020", 'C'),
];

/// A pseudo-random protein sequence (xorshift; no crate needed).
fn sequence(seed: u64, len: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            AA[(x % 20) as usize] as char
        })
        .collect()
}

/// The inputs: 60 reference proteins, 40 queries (embeddings.h5), two releases of the
/// queries and a config. Returns the config path.
fn setup(dir: &Path) -> PathBuf {
    let p = |n: &str| dir.join(n);
    std::fs::write(p("go.obo"), OBO).unwrap();
    let mut fasta = String::new();
    let mut ann = String::from("accession\tgo_id\taspect\tevidence\n");
    for i in 0..60u64 {
        fasta += &format!(">R{i}\n{}\n", sequence(i, 30 + (i as usize * 7) % 50));
        for (j, (go, aspect)) in TERMS.iter().enumerate() {
            if (i + j as u64).is_multiple_of(3) || (i * 7 + j as u64).is_multiple_of(5) {
                let ev = if j.is_multiple_of(2) { "IDA" } else { "EXP" };
                ann += &format!("R{i}\t{go}\t{aspect}\t{ev}\n");
            }
        }
    }
    std::fs::write(p("ref.fasta"), fasta).unwrap();
    std::fs::write(p("ref.tsv"), ann).unwrap();
    let mut spec = BuildSpec::new(
        p("reference"),
        vec![p("ref.fasta").into()],
        p("go.obo").into(),
    );
    spec.annotations = vec![p("ref.tsv").into()];
    let settings = ModelSettings {
        embedding_type_id: Some(TYPE_ID),
        layers: vec![0],
        ..ModelSettings::default()
    };
    build(
        &spec,
        &spec.path,
        &[("comp".to_string(), &settings, &Composition)],
        &|_, _, _| {},
    )
    .unwrap();

    // Queries: 40, some sharing a reference sequence (Q0 is R0's twin).
    let mut h5 = FantasiaWriter::open(p("queries.h5")).unwrap();
    let mut t0 = String::new();
    let mut t1 = String::new();
    for i in 0..40u64 {
        let seq = if i < 5 {
            sequence(i, 30 + (i as usize * 7) % 50)
        } else {
            sequence(1000 + i, 40 + i as usize)
        };
        h5.write(&format!("Q{i}"), &seq, TYPE_ID, 0, &composition(&seq))
            .unwrap();
        // Earlier: a third of the queries know a term.
        if i.is_multiple_of(3) {
            t0 += &format!("Q{i}\tGO:0000001\tF\n");
        }
        if i.is_multiple_of(4) {
            t0 += &format!("Q{i}\tGO:0000010\tP\n");
        }
        // Later: most gain something; one row names an unknown GO id.
        match i % 4 {
            0 => t1 += &format!("Q{i}\tGO:0000002\tF\nQ{i}\tGO:0000011\tP\n"),
            1 => t1 += &format!("Q{i}\tGO:0000020\tC\n"),
            2 => t1 += &format!("Q{i}\tGO:0000003\tF\n"),
            _ => {}
        }
    }
    t1 += "Q1\tGO:7777777\tF\n";
    h5.close().unwrap();
    // A third release for the chain: later still.
    let t2: String = (0..40).map(|i| format!("Q{i}\tGO:0000001\tF\n")).collect();
    std::fs::write(p("t0.tsv"), t0).unwrap();
    std::fs::write(p("t1.tsv"), t1).unwrap();
    std::fs::write(p("t2.tsv"), t2).unwrap();
    let config = p("export.yaml");
    let mut f = std::fs::File::create(&config).unwrap();
    write!(
        f,
        "reference: reference\nmodel: comp\nlayer: 0\nk: 3\nchunk_queries: 7\n\
         alignment:\n  cache: cache.sqlite\n\
         queries:\n  embeddings: queries.h5\n\
         releases:\n  - name: t0\n    annotations: [t0.tsv]\n  - name: t1\n    annotations: [t1.tsv]\n  - name: t2\n    annotations: [t2.tsv]\n"
    )
    .unwrap();
    config
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["train.parquet", "eval.parquet", "manifest.json"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read(dir.join(n)).unwrap()))
        .collect()
}

#[test]
fn byte_identical_across_threads_and_cache_state() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = setup(dir.path());
    let mut config = ExportConfig::load(&config_path).unwrap();

    // Cold cache, one thread.
    config.threads = 1;
    let a = dir.path().join("a");
    let report = export(&config, a.to_str().unwrap()).unwrap();
    // The eval pair re-uses pairs the train pair put in the cache.
    assert!(report.alignment.computed > 0);
    assert_eq!(
        report.alignment.cache_hits + report.alignment.computed,
        report.alignment.unique
    );
    // Warm cache, all threads.
    config.threads = 0;
    let b = dir.path().join("b");
    let warm = export(&config, b.to_str().unwrap()).unwrap();
    assert_eq!(warm.alignment.computed, 0);
    assert_eq!(warm.alignment.cache_hits, report.alignment.unique);
    // No cache, two threads.
    config.threads = 2;
    config.alignment.cache = None;
    let c = dir.path().join("c");
    export(&config, c.to_str().unwrap()).unwrap();

    let fa = files(&a);
    assert_eq!(fa, files(&b), "cold 1 thread vs warm all threads");
    assert_eq!(fa, files(&c), "cold 1 thread vs no cache 2 threads");

    // The manifest: chain t0->t1 (train), t1->t2 (eval); counts agree with the files.
    let m: serde_json::Value = serde_json::from_slice(&fa[2].1).unwrap();
    assert_eq!(m["schema_version"], 1);
    assert_eq!(m["k"], 3);
    assert_eq!(m["model"], "comp");
    assert_eq!(m["release_pairs"][0]["name"], "t0->t1");
    assert_eq!(m["release_pairs"][0]["split"], "train");
    assert_eq!(m["release_pairs"][1]["name"], "t1->t2");
    assert_eq!(m["release_pairs"][1]["split"], "eval");
    // The unknown GO id is counted, not fatal.
    assert_eq!(m["release_pairs"][0]["later"]["unknown_go_ids"], 1);
    assert_eq!(
        m["release_pairs"][0]["later"]["unknown_go_id_examples"][0],
        "GO:7777777"
    );
    let train_rows = m["rows"]["train"]["total"].as_u64().unwrap();
    assert!(train_rows > 0 && m["rows"]["train"]["positives"].as_u64().unwrap() > 0);
    assert_eq!(
        m["files"]["train.parquet"]["rows"].as_u64().unwrap(),
        train_rows
    );
    // 30 queries gain in t0->t1 (i % 4 != 3): 5 chunks of 7 -> 5 row groups.
    assert_eq!(m["release_pairs"][0]["queries"], 30);
    assert_eq!(m["files"]["train.parquet"]["row_groups"], 5);
    assert_eq!(m["features"]["pca"]["rows"], 60);
    assert_eq!(
        m["schema_digest"].as_str().unwrap(),
        homolog_export::schema::schema_digest()
    );
    let roles: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"query_embeddings") && roles.contains(&"release:t1"),
        "{roles:?}"
    );

    // The Parquet schema is the documented one, with one row group per chunk.
    let reader = parquet::file::reader::SerializedFileReader::new(
        std::fs::File::open(a.join("train.parquet")).unwrap(),
    )
    .unwrap();
    use parquet::file::reader::FileReader;
    assert_eq!(reader.metadata().num_row_groups(), 5);
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(a.join("train.parquet")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        builder.schema().as_ref(),
        homolog_export::schema::schema().as_ref()
    );
}

#[test]
fn an_existing_export_is_replaced_whole_and_bad_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = setup(dir.path());
    let config = ExportConfig::load(&config_path).unwrap();
    let out = dir.path().join("out");
    export(&config, out.to_str().unwrap()).unwrap();
    let before = files(&out);
    // A wrong model: a clear error, and the previous export untouched.
    let mut bad = config.clone();
    bad.model = "prot_t5".into();
    let e = export(&bad, out.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        e.contains("no embeddings for model prot_t5") && e.contains("comp layer 0"),
        "{e}"
    );
    assert_eq!(files(&out), before);
    // Missing query embeddings.
    let mut bad = config.clone();
    bad.queries.as_mut().unwrap().embeddings = dir.path().join("nope.h5");
    let e = export(&bad, out.to_str().unwrap()).unwrap_err().to_string();
    assert!(e.contains("nope.h5") && e.contains("homolog embed"), "{e}");
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

fn s3_endpoint() -> Option<String> {
    let ep =
        std::env::var("HOMOLOG_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:5055".into());
    let host_port = ep.trim_start_matches("http://").to_string();
    homolog_testkit::listening(&host_port, "S3 server").then_some(ep)
}

/// CreateBucket with a bare HTTP PUT (moto accepts unsigned requests).
fn create_bucket(ep: &str, bucket: &str) {
    use std::io::Read;
    let hostport = ep.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(hostport).unwrap();
    write!(s, "PUT /{bucket} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
}

fn list(bucket: &str) -> Vec<(String, u64)> {
    use object_store::ObjectStore;
    let store = homolog_io::s3::builder_from_env(bucket).build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use futures_util::StreamExt;
        let mut out: Vec<(String, u64)> = store
            .list(None)
            .map(|o| {
                let o = o.unwrap();
                (o.location.to_string(), o.size)
            })
            .collect()
            .await;
        out.sort();
        out
    })
}

#[test]
fn uploads_to_s3_and_fails_cleanly() {
    let Some(ep) = s3_endpoint() else { return };
    // Set before any other thread of this test binary reads the environment.
    std::env::set_var("AWS_ENDPOINT_URL", &ep);
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    std::env::set_var("AWS_REGION", "us-east-1");
    let bucket = format!("homolog-export-{}", std::process::id());
    create_bucket(&ep, &bucket);
    let dir = tempfile::tempdir().unwrap();
    let config = ExportConfig::load(setup(dir.path())).unwrap();
    let report = export(&config, &format!("s3://{bucket}/runs/one/")).unwrap();
    assert_eq!(report.out, format!("s3://{bucket}/runs/one"));
    let local = dir.path().join("local");
    export(&config, local.to_str().unwrap()).unwrap();
    let objects = list(&bucket);
    let expect: Vec<(String, u64)> = ["eval.parquet", "manifest.json", "train.parquet"]
        .iter()
        .map(|n| {
            (
                format!("runs/one/{n}"),
                std::fs::metadata(local.join(n)).unwrap().len(),
            )
        })
        .collect();
    assert_eq!(objects, expect);

    // A missing bucket and a dead endpoint: clear errors before any work, nothing uploaded.
    let e = export(&config, &format!("s3://{bucket}-missing/x"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bucket") && e.contains("AWS_ENDPOINT_URL"),
        "{e}"
    );
    std::env::set_var("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let e = export(&config, &format!("s3://{bucket}/runs/two"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("s3://") && e.contains("AWS_ENDPOINT_URL"), "{e}");
    std::env::set_var("AWS_ENDPOINT_URL", &ep);
    assert_eq!(list(&bucket).len(), 3);
}
