//! Reads from an S3-compatible server on loopback (moto, started by
//! scripts/services.d/50-s3-moto.sh on 127.0.0.1:5055, or HOMOLOG_S3_ENDPOINT).
//! Without the server the test kit skips visibly, or fails with HOMOLOG_REQUIRE_DATA.

use std::io::{Read, Write};
use std::net::TcpStream;

use homolog_reads::s3::{S3Client, S3Url};
use homolog_reads::ReadStream;

fn endpoint() -> Option<String> {
    let ep =
        std::env::var("HOMOLOG_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:5055".into());
    let host_port = ep.trim_start_matches("http://");
    homolog_testkit::listening(host_port, "S3 server").then_some(ep)
}

/// CreateBucket with a bare HTTP PUT (moto accepts unsigned requests).
fn create_bucket(ep: &str, bucket: &str) {
    let hostport = ep.trim_start_matches("http://");
    let mut s = TcpStream::connect(hostport).unwrap();
    write!(s, "PUT /{bucket} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 200") || resp.contains("BucketAlreadyOwnedByYou"),
        "{resp}"
    );
}

#[test]
fn reads_fastq_and_gzip_fasta_from_s3_prefix() {
    let Some(ep) = endpoint() else { return };
    // Set before any other thread of this test binary reads the environment (one test).
    std::env::set_var("AWS_ENDPOINT_URL", &ep);
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    std::env::set_var("AWS_REGION", "us-east-1");
    let bucket = format!("homolog-reads-{}", std::process::id());
    create_bucket(&ep, &bucket);
    let url = S3Url::parse(&format!("s3://{bucket}/run1/")).unwrap();
    let c = S3Client::new(&url).unwrap();
    c.put(
        "run1/a.fastq",
        b"@r1\nACGT\n+\nIIII\n@r2\nGGCC\n+\nIIII\n".to_vec(),
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b">r3\nTTTT\nAA\n").unwrap();
    c.put("run1/b.fa.gz", gz.finish().unwrap()).unwrap();
    c.put("run1/readme.txt", b"not reads".to_vec()).unwrap();
    c.put("run1/bad.fq", b"@x\nACGT\n+\nII\n".to_vec()).unwrap();

    let reads: Vec<_> = ReadStream::open(&[
        format!("s3://{bucket}/run1/a.fastq"),
        format!("s3://{bucket}/run1/b.fa.gz"),
    ])
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap();
    let ids: Vec<&str> = reads.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r1", "r2", "r3"]);
    assert_eq!(reads[2].seq, b"TTTTAA");
    assert_eq!(&*reads[0].source, format!("s3://{bucket}/run1/a.fastq"));

    // The prefix lists the read files by name (bad.fq sorts first and is malformed).
    let inputs = homolog_reads::inputs(&format!("s3://{bucket}/run1/")).unwrap();
    let names: Vec<String> = inputs.iter().map(|i| i.name()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let err = ReadStream::from_inputs(inputs)
        .collect::<Result<Vec<_>, _>>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.fq") && err.contains("record 1"), "{err}");
}
