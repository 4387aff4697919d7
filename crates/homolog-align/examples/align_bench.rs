//! Single-thread throughput of the alignment kernels.
//!
//! `cargo run --release -p homolog-align --example align_bench -- PAIRS.tsv [ROUNDS [KERNELS]]`
//!
//! PAIRS.tsv holds one pair a line; the last two tab-separated fields are the query and the
//! reference sequence (so both `scripts/parasail/make_pairs.py` output and
//! `query_seq<TAB>ref_seq` work).
//! For each kernel this CPU runs (`avx2-8`, `avx2-16`, `avx512-8`, `avx512-16`, `avx512-32`,
//! `avx2-32`, `scalar`; or the comma-separated KERNELS) aligns every pair with global and
//! local traceback, then score-only, then global followed by local traceback (PROTEA's
//! features; the global score lets 8-bit kernels skip pairs they cannot hold), and prints
//! pairs/s and GCUPS (10^9 DP cells per second, both alignments counted in the last run),
//! and how many alignments did not end in the kernel planned for the pair (8- or 16-bit
//! overflow detected at run time, or skipped after the global score). 8-bit kernels plan
//! global alignments on 16 bits. A checksum over scores shows the kernels agree.
//!
//! `... PAIRS.tsv ROUNDS KERNELS interleave` compares the kernels block by block instead:
//! each block of 64 pairs is aligned by every kernel in turn (rotating which goes first),
//! timed by the wall clock, so load on a shared machine slows every kernel alike and the
//! ratios hold (each kernel and run keeps its own aligner, as in separate runs).

use std::time::Instant;

use homolog_align::{Aligner, Kernel, Scoring};

/// CPU time of this thread in seconds (Linux `schedstat`), so that figures taken on a busy
/// machine count only the time the kernel actually ran; `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: align_bench PAIRS.tsv [ROUNDS [KERNELS [interleave]]]")?;
    let rounds: usize = match args.next() {
        Some(a) => a
            .parse()
            .map_err(|_| format!("ROUNDS must be a number, got {a:?}"))?,
        None => 1,
    };
    let kernels: Vec<Kernel> = match args.next() {
        Some(list) => list
            .split(',')
            .map(|k| Kernel::parse(k).ok_or(format!("unknown kernel {k:?}")))
            .collect::<Result<_, _>>()?,
        None => Kernel::available(),
    };
    let interleave = match args.next().as_deref() {
        None => false,
        Some("interleave") => true,
        Some(other) => return Err(format!("unknown option {other:?} (expected interleave)")),
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
    // Name, alignments per pair, whether the last one is local, the alignment(s).
    type Run<'a> = (&'a str, f64, bool, fn(&mut Aligner, &[u8], &[u8]) -> i32);
    let runs: [Run; 5] = [
        ("global traceback", 1.0, false, |a, q, r| {
            a.global(q, r).score
        }),
        ("local traceback", 1.0, true, |a, q, r| a.local(q, r).score),
        ("global score-only", 1.0, false, |a, q, r| {
            a.global_score(q, r)
        }),
        ("local score-only", 1.0, true, |a, q, r| a.local_score(q, r)),
        ("global+local traceback", 2.0, true, |a, q, r| {
            a.global(q, r).score + a.local(q, r).score
        }),
    ];
    println!("auto = {}", homolog_align::best_kernel());
    if interleave {
        // One aligner per kernel and run, so each sees the calls of a separate run.
        let mut aligners: Vec<Vec<Aligner>> = kernels
            .iter()
            .map(|&k| {
                runs.iter()
                    .map(|_| Aligner::new(Scoring::default()).with_kernel(k))
                    .collect()
            })
            .collect();
        let mut secs = vec![vec![0f64; runs.len()]; kernels.len()];
        let mut check = vec![0i64; kernels.len()];
        for _ in 0..rounds {
            // Blocks long enough to keep each kernel's buffers warm, short enough that
            // every kernel sees the same machine load.
            for (i, block) in pairs.chunks(64).enumerate() {
                for (j, run) in runs.iter().enumerate() {
                    for s in 0..kernels.len() {
                        let k = (i + j + s) % kernels.len();
                        let a = &mut aligners[k][j];
                        let t = Instant::now();
                        for (q, r) in block {
                            check[k] += i64::from((run.3)(a, q, r));
                        }
                        secs[k][j] += t.elapsed().as_secs_f64();
                    }
                }
            }
        }
        for (k, kernel) in kernels.iter().enumerate() {
            let kname = kernel.name();
            for (j, (name, per_pair, _, _)) in runs.iter().enumerate() {
                let s = secs[k][j];
                println!(
                    "{kname:>9} {name:>22}: {:>9.1} pairs/s  {:.3} GCUPS  ({s:.2} s wall, interleaved)",
                    n / s,
                    per_pair * cells / s / 1e9
                );
            }
            println!("{kname:>9} checksum {}", check[k]);
        }
        return Ok(());
    }
    for kernel in kernels {
        let kname = kernel.name();
        let mut aligner = Aligner::new(Scoring::default()).with_kernel(kernel);
        let mut check = 0i64;
        for (name, per_pair, local, f) in runs {
            let mut fallbacks = 0usize;
            let t = Instant::now();
            let cpu0 = cpu_seconds();
            for _ in 0..rounds {
                for (q, r) in &pairs {
                    check += i64::from(f(&mut aligner, q, r));
                    let planned = aligner.kernel_for(q.len(), r.len(), local);
                    fallbacks += usize::from(aligner.last_kernel().is_some_and(|k| k != planned));
                }
            }
            let wall = t.elapsed().as_secs_f64();
            // Per CPU second where the OS tells, else per wall-clock second.
            let s = cpu_seconds()
                .zip(cpu0)
                .map_or(wall, |(c1, c0)| (c1 - c0).max(1e-9));
            println!(
                "{kname:>9} {name:>22}: {:>9.1} pairs/s  {:.3} GCUPS  ({s:.2} s CPU, {wall:.2} s wall, {fallbacks} fallbacks)",
                n / s,
                per_pair * cells / s / 1e9
            );
        }
        println!("{kname:>9} checksum {check}");
    }
    Ok(())
}
