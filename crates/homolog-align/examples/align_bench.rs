//! Throughput of the alignment kernels on the parity-fixture pairs.
//!
//! `cargo run --release -p homolog-align --example align_bench [-- ROUNDS]`
//!
//! Aligns every pair of `tests/fixtures/parasail_blosum62_10_1.tsv` (sequences from
//! HOMOLOG_DATA's MMseqs2 example set, inline ones from the fixture) with global and local
//! traceback, then score-only, and prints pairs/s and GCUPS (10^9 DP cells per second) for
//! each. Single thread.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use homolog_align::Aligner;

fn read_fasta_gz(path: &Path) -> Result<HashMap<String, Vec<u8>>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = HashMap::new();
    let mut id: Option<String> = None;
    let mut seq = Vec::new();
    for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(h) = line.strip_prefix('>') {
            if let Some(prev) = id.take() {
                out.insert(prev, std::mem::take(&mut seq));
            }
            id = Some(h.split_whitespace().next().unwrap_or_default().to_string());
        } else {
            seq.extend(line.trim().bytes());
        }
    }
    if let Some(prev) = id {
        out.insert(prev, seq);
    }
    Ok(out)
}

fn main() -> Result<(), String> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| {
            a.parse()
                .map_err(|_| format!("ROUNDS must be a number, got {a:?}"))
        })
        .transpose()?
        .unwrap_or(1);
    let data = std::env::var_os("HOMOLOG_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let ex = data.join("proteins/mmseqs2_example");
    let query_set = read_fasta_gz(&ex.join("QUERY.fasta.gz"))?;
    let db_set = read_fasta_gz(&ex.join("DB.fasta.gz"))?;
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/parasail_blosum62_10_1.tsv"
    );
    let text = std::fs::read_to_string(fixture).map_err(|e| format!("{fixture}: {e}"))?;
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let get = |id: &str, inline: &str| -> Option<Vec<u8>> {
            if id.starts_with("inline:") {
                Some(inline.as_bytes().to_vec())
            } else if let Some(k) = id.strip_prefix("QUERY:") {
                query_set.get(k).cloned()
            } else {
                db_set.get(id.strip_prefix("DB:")?).cloned()
            }
        };
        if f.len() >= 4 {
            if let (Some(q), Some(r)) = (get(f[0], f[2]), get(f[1], f[3])) {
                pairs.push((q, r));
            }
        }
    }
    let cells: f64 = pairs
        .iter()
        .map(|(q, r)| (q.len() * r.len()) as f64)
        .sum::<f64>()
        * rounds as f64;
    let n = (pairs.len() * rounds) as f64;
    println!(
        "{} pairs x {rounds} round(s), {:.3e} cells per mode",
        pairs.len(),
        cells
    );
    let mut aligner = Aligner::default();
    let mut check = 0i64;
    type Run<'a> = (&'a str, fn(&mut Aligner, &[u8], &[u8]) -> i32);
    let runs: [Run; 4] = [
        ("global traceback", |a, q, r| a.global(q, r).score),
        ("local traceback", |a, q, r| a.local(q, r).score),
        ("global score-only", |a, q, r| a.global_score(q, r)),
        ("local score-only", |a, q, r| a.local_score(q, r)),
    ];
    for (name, f) in runs {
        let t = Instant::now();
        for _ in 0..rounds {
            for (q, r) in &pairs {
                check += i64::from(f(&mut aligner, q, r));
            }
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "{name:>18}: {:>9.1} pairs/s  {:.3} GCUPS  ({s:.2} s)",
            n / s,
            cells / s / 1e9
        );
    }
    println!("checksum {check}");
    Ok(())
}
