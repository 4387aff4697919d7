//! The SQLite cache: PROTEA's key, lossless values, detection of foreign, corrupt and
//! tampered files (error or rebuild), and two processes writing one file at once.

use std::path::Path;

use homolog_align::{features, Aligner, Scoring};
use homolog_pairs::{cache_key, CacheOptions, CachedPair, OnInvalid, PairCache, PairsError};

fn entry(q: &str, r: &str) -> (String, CachedPair) {
    let mut a = Aligner::default();
    let nw = a.global(q, r);
    let sw = a.local(q, r);
    (
        cache_key(q.as_bytes(), r.as_bytes(), &Scoring::default()),
        CachedPair::from_stats(&nw, &sw, q.len(), r.len()),
    )
}

/// Deterministic protein-like sequence number `i`.
fn seq(i: usize) -> String {
    const AA: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";
    let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..20 + i % 40)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            AA[(x % 20) as usize] as char
        })
        .collect()
}

#[test]
fn key_is_proteas_and_values_round_trip() {
    let key = cache_key(b"MKV", b"MKI", &Scoring::default());
    // md5("MKV"), md5("MKI") (from Python's hashlib), then open:extend:matrix.
    assert_eq!(
        key,
        "bc5a0dfbf35ec22ac2c0f8c1e5534d8e:168be87f4dcdd1804556172540d99c7d:10:1:blosum62"
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = PairCache::open(dir.path().join("c.sqlite")).unwrap();
    let pairs = [
        ("HEAGAWGHEE", "PAWHEAE"),
        ("PAWHEAE", "HEAGAWGHEE"),
        ("MKTAYIAKQRQISFVKSHFSRQ", "MKTAYIAKQISFVKSHFSRQ"),
        ("W", "P"),
    ];
    let entries: Vec<_> = pairs.iter().map(|(q, r)| entry(q, r)).collect();
    cache.put_many(&entries).unwrap();
    cache.put_many(&entries).unwrap(); // idempotent
    assert_eq!(cache.len().unwrap(), 4);
    let mut keys: Vec<String> = entries.iter().map(|e| e.0.clone()).collect();
    keys.push("absent".into());
    keys.push(entries[0].0.clone());
    let got = cache.get_many(&keys).unwrap();
    for ((q, r), (e, g)) in pairs.iter().zip(entries.iter().zip(&got)) {
        let g = g.expect("hit");
        assert_eq!(g, e.1);
        assert_eq!(g.features, features(q, r, &Scoring::default()));
        // Counts come back exactly.
        let mut a = Aligner::default();
        assert_eq!(g.stats(), (a.global(q, r), a.local(q, r)));
    }
    assert_eq!(got[4], None);
    assert_eq!(got[5], got[0]);
}

fn invalid(r: Result<PairCache, PairsError>) -> String {
    match r {
        Err(e @ PairsError::CacheInvalid { .. }) => e.to_string(),
        other => panic!("expected CacheInvalid, got {other:?}"),
    }
}

#[test]
fn foreign_and_corrupt_files_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    // Not SQLite at all.
    let text = dir.path().join("text.sqlite");
    std::fs::write(&text, "query\treference\nA\tB\n").unwrap();
    let e = invalid(PairCache::open(&text));
    assert!(
        e.contains("not an SQLite database") && e.contains("text.sqlite"),
        "{e}"
    );
    // SQLite, but another program's (PROTEA-like table without homolog's marks).
    let foreign = dir.path().join("foreign.sqlite");
    {
        let c = rusqlite::Connection::open(&foreign).unwrap();
        c.execute_batch("CREATE TABLE align (k TEXT PRIMARY KEY, v TEXT); INSERT INTO align VALUES ('x', '{}');")
            .unwrap();
    }
    let e = invalid(PairCache::open(&foreign));
    assert!(e.contains("another program"), "{e}");
    // A homolog cache whose pages were damaged.
    let damaged = dir.path().join("damaged.sqlite");
    {
        let c = PairCache::open(&damaged).unwrap();
        let entries: Vec<_> = (0..400).map(|i| entry(&seq(i), &seq(i + 1))).collect();
        c.put_many(&entries).unwrap();
    }
    {
        // Checkpoint the WAL into the main file, then overwrite a stretch of it.
        let c = rusqlite::Connection::open(&damaged).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .unwrap();
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    assert!(bytes.len() > 3 * 4096, "{}", bytes.len());
    for b in &mut bytes[4096 + 8..3 * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let e = invalid(PairCache::open(&damaged));
    assert!(e.contains("damaged.sqlite"), "{e}");
    // Rebuild moves it aside and starts empty, with a warning.
    let c = PairCache::open_with(
        &damaged,
        CacheOptions {
            on_invalid: OnInvalid::Rebuild,
            ..CacheOptions::default()
        },
    )
    .unwrap();
    assert_eq!(c.len().unwrap(), 0);
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("damaged.sqlite.invalid-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
}

#[test]
fn tampered_values_are_errors_not_misses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let (k, v) = entry("HEAGAWGHEE", "PAWHEAE");
    PairCache::open(&path)
        .unwrap()
        .put_many(&[(k.clone(), v)])
        .unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        let n = c
            .execute(
                "UPDATE align SET v = replace(v, '\"alignment_score_sw\":18', '\"alignment_score_sw\":19')",
                [],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
    let cache = PairCache::open(&path).unwrap();
    let e = cache.get_many(&[k]).unwrap_err().to_string();
    assert!(e.contains("checksum mismatch"), "{e}");
}

/// Child half of `two_processes_share_one_cache` (does nothing in a normal test run).
#[test]
fn child_writer() {
    let (Ok(path), Ok(id)) = (
        std::env::var("HOMOLOG_PAIRS_TEST_CACHE"),
        std::env::var("HOMOLOG_PAIRS_TEST_CHILD"),
    ) else {
        return;
    };
    let id: usize = id.parse().unwrap();
    let cache = PairCache::open(Path::new(&path)).unwrap();
    // Children write overlapping key ranges in many small transactions, reading as they go.
    for round in 0..30 {
        let entries: Vec<_> = (0..20)
            .map(|k| {
                let i = id * 300 + round * 20 + k;
                entry(&seq(i), &seq(i + 7))
            })
            .collect();
        cache.put_many(&entries).unwrap();
        let keys: Vec<String> = entries.iter().map(|e| e.0.clone()).collect();
        assert!(cache.get_many(&keys).unwrap().iter().all(Option::is_some));
    }
}

#[test]
fn two_processes_share_one_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.sqlite");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|id| {
            std::process::Command::new(&exe)
                .args(["--exact", "child_writer", "--test-threads", "1"])
                .env("HOMOLOG_PAIRS_TEST_CACHE", &path)
                .env("HOMOLOG_PAIRS_TEST_CHILD", id.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a child process failed");
    }
    // Child 0 wrote pairs 0..600, child 1 pairs 300..900: 900 distinct keys.
    let cache = PairCache::open(&path).unwrap();
    assert_eq!(cache.len().unwrap(), 900);
    let keys: Vec<String> = (0..900).map(|i| entry(&seq(i), &seq(i + 7)).0).collect();
    let got = cache.get_many(&keys).unwrap();
    for (i, g) in got.iter().enumerate() {
        assert_eq!(*g, Some(entry(&seq(i), &seq(i + 7)).1), "pair {i}");
    }
}
