//! Single-thread throughput of the alignment kernels.
//!
//! `cargo run --release -p homolog-align --example align_bench -- PAIRS.tsv [ROUNDS]`
//!
//! PAIRS.tsv holds one pair a line; the last two tab-separated fields are the query and the
//! reference sequence (so both `make_pairs.py` output and `query_seq<TAB>ref_seq` work).
//! For each kernel (the default, AVX2 where available, and the scalar fallback) aligns every
//! pair with global and local traceback, then score-only, and prints pairs/s and GCUPS
//! (10^9 DP cells per second). A checksum over scores shows both kernels agree.

use std::time::Instant;

use homolog_align::{Aligner, Kernel, Scoring};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: align_bench PAIRS.tsv [ROUNDS]")?;
    let rounds: usize = match args.next() {
        Some(a) => a
            .parse()
            .map_err(|_| format!("ROUNDS must be a number, got {a:?}"))?,
        None => 1,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 2).then(|| {
                (
                    f[f.len() - 2].as_bytes().to_vec(),
                    f[f.len() - 1].as_bytes().to_vec(),
                )
            })
        })
        .collect();
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
    type Run<'a> = (&'a str, fn(&mut Aligner, &[u8], &[u8]) -> i32);
    let runs: [Run; 4] = [
        ("global traceback", |a, q, r| a.global(q, r).score),
        ("local traceback", |a, q, r| a.local(q, r).score),
        ("global score-only", |a, q, r| a.global_score(q, r)),
        ("local score-only", |a, q, r| a.local_score(q, r)),
    ];
    for (kname, kernel) in [
        (homolog_align::best_kernel(), Kernel::Auto),
        ("scalar", Kernel::Scalar),
    ] {
        let mut aligner = Aligner::new(Scoring::default()).with_kernel(kernel);
        let mut check = 0i64;
        for (name, f) in runs {
            let t = Instant::now();
            for _ in 0..rounds {
                for (q, r) in &pairs {
                    check += i64::from(f(&mut aligner, q, r));
                }
            }
            let s = t.elapsed().as_secs_f64();
            println!(
                "{kname:>7} {name:>18}: {:>9.1} pairs/s  {:.3} GCUPS  ({s:.2} s)",
                n / s,
                cells / s / 1e9
            );
        }
        println!("{kname:>7} checksum {check}");
    }
    Ok(())
}
