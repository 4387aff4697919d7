//! A writer killed with SIGKILL mid-run leaves a readable `embeddings.h5` that a re-run
//! completes. The child is this test binary itself, re-run with an environment variable.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use homolog_embed::h5::{FantasiaReader, FantasiaWriter};

const CHILD_ENV: &str = "HOMOLOG_EMBED_KILL_CHILD_FILE";
const BATCH: usize = 50;
const DIM: usize = 256;

fn record(i: usize) -> (String, String, Vec<f32>) {
    let id = format!("sp|Q{i:05}|TEST");
    let seq: String = (0..(10 + i % 17))
        .map(|j| b"ACDEFGHIKLMNPQRSTVWY"[(i + j) % 20] as char)
        .collect();
    let v: Vec<f32> = (0..DIM)
        .map(|j| ((i * 31 + j) % 97) as f32 / 97.0)
        .collect();
    (id, seq, v)
}

/// Child mode: writes batches forever (slowly), flushing and announcing each batch.
#[test]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return; // normal test runs: nothing to do
    };
    let mut w = FantasiaWriter::open(&path).unwrap();
    for b in 0..10_000 {
        for i in b * BATCH..(b + 1) * BATCH {
            let (id, seq, v) = record(i);
            w.write(&id, &seq, 100, 0, &v).unwrap();
            w.write(&id, &seq, 100, 1, &v[..8]).unwrap();
            // Slow enough that the parent's kill lands inside a batch.
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        w.flush().unwrap();
        println!("flushed {}", b + 1);
    }
}

#[test]
fn killed_writer_leaves_a_resumable_file() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("embeddings.h5");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child_writer", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut flushed = 0usize;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("flushed ") {
            flushed = n.trim().parse().unwrap();
            if flushed >= 3 {
                break;
            }
        }
    }
    assert!(flushed >= 3, "child stopped before flushing 3 batches");
    // Let the child get into the middle of the next batch, then SIGKILL it (no cleanup,
    // no HDF5 close, no destructors).
    std::thread::sleep(std::time::Duration::from_millis(20));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "child should have been killed");

    // The file opens and everything flushed is intact.
    let r = FantasiaReader::open(&path).unwrap();
    assert!(
        r.len() >= flushed * BATCH,
        "only {} accessions survived",
        r.len()
    );
    for i in 0..flushed * BATCH {
        let (id, seq, v) = record(i);
        let q = r.get(&id).unwrap();
        assert_eq!(q.sequence, seq);
        assert_eq!(q.vector(100, 0), Some(&v[..]), "{id}");
        assert_eq!(q.vector(100, 1), Some(&v[..8]), "{id}");
    }
    let survived = r.len();
    drop(r);

    // A re-run resumes: only missing embeddings are written, and the result is complete.
    let total = (flushed + 3) * BATCH;
    let mut w = FantasiaWriter::open(&path).unwrap();
    let mut written = 0;
    for i in 0..total {
        let (id, seq, v) = record(i);
        written += usize::from(w.write(&id, &seq, 100, 0, &v).unwrap());
        written += usize::from(w.write(&id, &seq, 100, 1, &v[..8]).unwrap());
    }
    w.close().unwrap();
    assert!(
        written <= 2 * (total - flushed * BATCH),
        "rewrote flushed records"
    );
    assert!(written >= 2 * 3 * BATCH - 2 * (survived - flushed * BATCH));

    let r = FantasiaReader::open(&path).unwrap();
    assert_eq!(r.len(), total);
    for i in 0..total {
        let (id, seq, v) = record(i);
        let q = r.get(&id).unwrap();
        assert_eq!(q.sequence, seq, "{id}");
        assert_eq!(q.vectors.len(), 2, "{id}");
        assert_eq!(q.vector(100, 0), Some(&v[..]), "{id}");
    }
    println!(
        "killed after {flushed} flushed batches; {survived} accessions readable; resumed with {written} new datasets"
    );
}
