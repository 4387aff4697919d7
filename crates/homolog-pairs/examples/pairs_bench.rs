//! homolog's side of `bench/align/run.sh`.
//!
//! `pairs_bench PAIRS.tsv CACHE_DIR` aligns every pair of PAIRS.tsv (the last two
//! tab-separated fields of a line are the query and the reference sequence; empty
//! sequences skipped, like the parasail drivers) with [`homolog_pairs::align_batch`]:
//! 1 thread without cache, all threads without cache, all threads with a cold cache, then
//! the same cache warm. Prints one line per run: `name pairs N cells C seconds S`.
//!
//! `pairs_bench --long LEN` aligns one related LEN x ~LEN pair (NW and SW with traceback)
//! and prints the time and the peak resident memory (VmHWM).

use std::time::Instant;

use homolog_pairs::{align_batch, BatchOptions, PairCache};

fn long_pair(len: usize) -> Result<(), String> {
    const AA: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let a: Vec<u8> = (0..len).map(|_| AA[(next() % 20) as usize]).collect();
    let mut b = Vec::with_capacity(len);
    for &c in &a {
        match next() % 100 {
            0..=14 => b.push(AA[(next() % 20) as usize]),
            15 => {}
            16 => {
                b.push(c);
                b.push(AA[(next() % 20) as usize]);
            }
            _ => b.push(c),
        }
    }
    let mut al = homolog_align::Aligner::default();
    let t = Instant::now();
    let nw = al.try_global(&a, &b).map_err(|e| e.to_string())?;
    let t_nw = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let sw = al.try_local(&a, &b).map_err(|e| e.to_string())?;
    let t_sw = t.elapsed().as_secs_f64();
    let cells = a.len() as f64 * b.len() as f64;
    println!(
        "long {} x {}: nw {:.2} s ({:.2} GCUPS), sw {:.2} s ({:.2} GCUPS), traceback {} bytes, \
         peak RSS {:.2} GiB; nw score {} length {}, sw score {}",
        a.len(),
        b.len(),
        t_nw,
        cells / t_nw / 1e9,
        t_sw,
        cells / t_sw / 1e9,
        al.traceback_bytes(),
        homolog_io::process::peak_rss_kib().unwrap_or(0) as f64 / (1024.0 * 1024.0),
        nw.score,
        nw.length,
        sw.score
    );
    Ok(())
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--long") {
        let len = args
            .get(1)
            .and_then(|s| s.parse().ok())
            .ok_or("usage: pairs_bench --long LEN")?;
        return long_pair(len);
    }
    let [path, cache_dir] = &args[..] else {
        return Err("usage: pairs_bench PAIRS.tsv CACHE_DIR | pairs_bench --long LEN".into());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let pairs: Vec<(&[u8], &[u8])> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let (q, r) = (f.get(f.len().wrapping_sub(2))?, f.last()?);
            (f.len() >= 2 && !q.is_empty() && !r.is_empty()).then_some((q.as_bytes(), r.as_bytes()))
        })
        .collect();
    let cells: f64 = pairs
        .iter()
        .map(|(q, r)| q.len() as f64 * r.len() as f64)
        .sum();
    let cache_path = std::path::Path::new(cache_dir).join("bench_cache.sqlite");
    let _ = std::fs::remove_file(&cache_path);
    let _ = std::fs::remove_file(cache_path.with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(cache_path.with_extension("sqlite-shm"));
    let mut reference = None;
    for (name, threads, cached) in [
        ("homolog_1_thread", 1, false),
        ("homolog_all_threads", 0, false),
        ("homolog_cold_cache", 0, true),
        ("homolog_warm_cache", 0, true),
    ] {
        let cache = if cached {
            Some(PairCache::open(&cache_path).map_err(|e| e.to_string())?)
        } else {
            None
        };
        let opts = BatchOptions {
            threads,
            ..BatchOptions::default()
        };
        let t = Instant::now();
        let (values, report) =
            align_batch(&pairs, &opts, cache.as_ref(), &|_| {}).map_err(|e| e.to_string())?;
        let secs = t.elapsed().as_secs_f64();
        let feats: Vec<_> = values.iter().map(|v| v.features.values()).collect();
        match &reference {
            None => reference = Some(feats),
            Some(r) => {
                if *r != feats {
                    return Err(format!("{name}: features differ from the 1-thread run"));
                }
            }
        }
        println!(
            "{name} pairs {} cells {cells:.0} seconds {secs:.6} distinct {} cache_hits {} computed {}",
            pairs.len(),
            report.unique,
            report.cache_hits,
            report.computed
        );
    }
    Ok(())
}
