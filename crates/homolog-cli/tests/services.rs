//! The `align`, `serve predictor` and `distribute` subcommands, run as a user runs them: the
//! real binary, real files, real HTTP on loopback between separate processes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn homolog() -> Command {
    Command::new(env!("CARGO_BIN_EXE_homolog"))
}

/// A deterministic DNA/protein generator (no dependency on `rand`'s stream stability).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

#[test]
fn align_writes_twelve_features_per_pair_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Lcg(7);
    let a = rng.pick(b"ACDEFGHIKLMNPQRSTVWY", 120);
    let mut b = a.clone();
    b.replace_range(30..40, "");
    let c = rng.pick(b"ACDEFGHIKLMNPQRSTVWY", 80);
    let fasta = dir.path().join("seqs.fasta");
    std::fs::write(&fasta, format!(">a\n{a}\n>b\n{b}\n>c\n{c}\n")).unwrap();
    let pairs = dir.path().join("pairs.tsv");
    // The repeated pair is aligned once but reported twice, in input order.
    std::fs::write(&pairs, "query\treference\na\ta\nb\ta\na\tc\nb\ta\n").unwrap();
    let out = dir.path().join("features.csv");
    let cache = dir.path().join("cache.sqlite");
    for run in 0..2 {
        let status = homolog()
            .args(["-q", "align", "--pairs"])
            .arg(&pairs)
            .arg("--sequences")
            .arg(&fasta)
            .arg("--out")
            .arg(&out)
            .arg("--cache")
            .arg(&cache)
            .status()
            .unwrap();
        assert!(status.success(), "align run {run} failed");
        let mut reader = csv::Reader::from_path(&out).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        for col in [
            "query",
            "reference",
            "identity_nw",
            "similarity_nw",
            "alignment_score_nw",
            "gaps_pct_nw",
            "alignment_length_nw",
            "identity_sw",
            "similarity_sw",
            "alignment_score_sw",
            "gaps_pct_sw",
            "alignment_length_sw",
            "length_query",
            "length_ref",
        ] {
            assert!(
                header.iter().any(|h| h == col),
                "missing column {col}: {header:?}"
            );
        }
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let ids: Vec<(&str, &str)> = rows.iter().map(|r| (&r[0], &r[1])).collect();
        assert_eq!(ids, [("a", "a"), ("b", "a"), ("a", "c"), ("b", "a")]);
        let num = |r: &csv::StringRecord, name: &str| r[col(name)].parse::<f64>().unwrap();
        // Identical sequences: full identity, no gaps, length 120.
        assert_eq!(num(&rows[0], "identity_nw"), 1.0);
        assert_eq!(num(&rows[0], "gaps_pct_nw"), 0.0);
        assert_eq!(num(&rows[0], "alignment_length_nw"), 120.0);
        // b is a with a 10-residue deletion: one gap of 10 costs 10 + 9 * 1 in NW.
        assert_eq!(num(&rows[1], "alignment_length_nw"), 120.0);
        assert!(num(&rows[1], "gaps_pct_nw") > 0.0);
        assert_eq!(num(&rows[1], "length_query"), 110.0);
        assert_eq!(rows[1], rows[3]);
        // An unrelated pair scores far below the identical one.
        assert!(num(&rows[2], "alignment_score_sw") < num(&rows[0], "alignment_score_sw") / 4.0);
    }
}

#[test]
fn align_names_the_missing_sequence_id() {
    let dir = tempfile::tempdir().unwrap();
    let fasta = dir.path().join("seqs.fasta");
    std::fs::write(&fasta, ">a\nMKV\n").unwrap();
    let pairs = dir.path().join("pairs.tsv");
    std::fs::write(&pairs, "a\tnope\n").unwrap();
    let out = dir.path().join("features.parquet");
    let output = homolog()
        .args(["-q", "align", "--pairs"])
        .arg(&pairs)
        .arg("--sequences")
        .arg(&fasta)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nope"), "{stderr}");
    assert!(!out.exists(), "no output on failure");
}

/// One HTTP/1.1 exchange with `Connection: close`; returns (status, body).
fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

fn spawn(args: &[&str], config: &Path, tail: &[&str], address: &Path) -> Child {
    homolog()
        .arg("-q")
        .args(args)
        .arg("--config")
        .arg(config)
        .args(tail)
        .arg("--address-file")
        .arg(address)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn distributor_in_front_of_two_predictors_answers_like_one_predictor() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Lcg(11);
    let mut table = String::from(
        "#task\tcolumn=k562\ttype=expression\tcell_type=K562\tspecies=homo_sapiens\tscale=linear\n\
         id\tsequence\tk562\n",
    );
    for i in 0..40 {
        let value = (rng.next() % 1000) as f64 / 100.0;
        table.push_str(&format!("r{i}\t{}\t{value}\n", rng.pick(b"ACGT", 150)));
    }
    std::fs::write(dir.path().join("reference.tsv"), table).unwrap();
    let predictor = dir.path().join("predictor.yaml");
    std::fs::write(
        &predictor,
        "reference: reference.tsv\nembedding: {backend: dna-kmer, k: 4}\nk: 3\nthreads: 1\n",
    )
    .unwrap();

    let mut servers = homolog_testkit::Processes::default();
    let mut workers = Vec::new();
    for i in 0..2 {
        let file: PathBuf = dir.path().join(format!("predictor{i}.addr"));
        servers.push(spawn(
            &["serve", "predictor"],
            &predictor,
            &["--port", "0"],
            &file,
        ));
        workers.push(servers.wait_for_address(&file));
    }
    let pool: String = workers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (ip, port) = a.rsplit_once(':').unwrap();
            // GAME Predictor Distributor's own style: string ids, quoted ports.
            format!("  - id: \"worker_{i}\"\n    pred_ip: \"{ip}\"\n    pred_port: \"{port}\"\n")
        })
        .collect();
    let distributor = dir.path().join("distributor.yaml");
    std::fs::write(
        &distributor,
        format!("base_url_template: \"http://{{pred_ip}}:{{pred_port}}\"\npredictor_pool:\n{pool}"),
    )
    .unwrap();
    let file = dir.path().join("distributor.addr");
    servers.push(spawn(
        &["distribute"],
        &distributor,
        &["127.0.0.1", "0"],
        &file,
    ));
    let front = servers.wait_for_address(&file);

    // /formats is forwarded.
    let (status, body) = http(&front, "GET", "/formats", b"");
    assert_eq!(status, 200);
    assert!(json(&body)["predictor_supported_request_formats"]
        .to_string()
        .contains("application/msgpack"));

    // Ids in a shuffled order, more sequences than workers; the body is written by hand
    // because serde_json's map (without preserve_order) would sort the ids.
    let ids = ["s9", "s2", "s7", "s1", "s5", "s3", "s8"];
    let sequences: Vec<String> = ids
        .iter()
        .map(|id| format!("\"{id}\": \"{}\"", rng.pick(b"ACGT", 140)))
        .collect();
    let request = |sequences: &[String]| {
        format!(
            "{{\"request\": \"predict\", \"readout\": \"point\", \"prediction_tasks\": \
             [{{\"name\": \"t\", \"type\": \"expression\", \"cell_type\": \"K562\", \
             \"species\": \"homo_sapiens\"}}], \"sequences\": {{{}}}}}",
            sequences.join(", ")
        )
        .into_bytes()
    };
    let body = request(&sequences);
    let (status, direct) = http(&workers[0], "POST", "/predict", &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&direct));
    let (status, merged) = http(&front, "POST", "/predict", &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&merged));
    // Sequence order as requested (serde_json's map sorts keys, so read it off the text).
    let text = String::from_utf8_lossy(&merged).into_owned();
    let at = |id: &str| text.find(&format!("\"{id}\"")).unwrap();
    let direct_text = String::from_utf8_lossy(&direct).into_owned();
    assert!(
        ids.windows(2).all(|w| at(w[0]) < at(w[1])),
        "{text}\n{direct_text}"
    );
    assert_eq!(json(&merged), json(&direct));

    // A base outside ACGTN is the predictor's 422, passed through and naming the id.
    let mut bad = sequences.clone();
    bad[4] = "\"s5\": \"ACGTXACGT\"".into();
    let (status, body) = http(&front, "POST", "/predict", &request(&bad));
    assert_eq!(status, 422);
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("prediction_request_failed") && text.contains("s5"),
        "{text}"
    );
    // Malformed JSON is a 400.
    let (status, body) = http(&front, "POST", "/predict", b"{\"readout\": ");
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("bad_prediction_request"));
}
