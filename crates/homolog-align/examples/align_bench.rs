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
//! `align_bench --long LEN` aligns one related LEN x ~LEN pair (NW and SW with traceback,
//! then both score-only) with the default kernel and the traceback chosen by
//! `HOMOLOG_ALIGN_TRACEBACK` (`auto`, `full`, `two-pass`) and prints the CPU time of each
//! and the peak resident memory of the process (VmHWM): run it once per traceback choice.
//! The score-only times are the floor of a two-pass traceback's first pass.
//!
//! `... PAIRS.tsv ROUNDS batch` times the many-pair calls instead (`try_global_many`,
//! `try_local_many`, `try_global_local_many`: the batch kernel where the CPU has it);
//! `align_bench --batch-kernel` says on which lanes (`avx512`, `avx2` or `none`);
//! `HOMOLOG_ALIGN_BATCH=avx2` keeps it on AVX2 lanes where AVX-512 runs.
//!
//! `... PAIRS.tsv ROUNDS KERNELS interleave` compares the kernels block by block instead:
//! each block of 64 pairs is aligned by every kernel in turn (rotating which goes first),
//! timed by the wall clock, so load on a shared machine slows every kernel alike and the
//! ratios hold (each kernel and run keeps its own aligner, as in separate runs).

use std::time::Instant;

use homolog_align::{Aligner, Kernel, Scoring, Traceback};

/// CPU time of this thread in seconds (Linux `schedstat`), so that figures taken on a busy
/// machine count only the time the kernel actually ran; `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// `... PAIRS.tsv ROUNDS batch`: the many-pair calls (`try_global_many`, `try_local_many`:
/// the batch kernel where the CPU has it) on all pairs at once, CPU seconds, checksum
/// comparable with the per-kernel runs' `global+local traceback`.
fn batch_runs(
    pairs: &[(Vec<u8>, Vec<u8>)],
    rounds: usize,
    cells: f64,
    n: f64,
) -> Result<(), String> {
    let mut aligner = Aligner::new(Scoring::default());
    let (mut t_nw, mut t_sw, mut t_both, mut check) = (0f64, 0f64, 0f64, 0i64);
    let score = |s: Result<homolog_align::AlignmentStats, homolog_align::AlignError>| {
        s.map(|s| i64::from(s.score)).map_err(|e| e.to_string())
    };
    // CPU seconds of `f` (wall clock where the OS does not tell).
    let timed = |f: &mut dyn FnMut() -> Result<i64, String>| -> Result<(i64, f64), String> {
        let (c0, w0) = (cpu_seconds(), Instant::now());
        let sum = f()?;
        let wall = w0.elapsed().as_secs_f64();
        Ok((sum, cpu_seconds().zip(c0).map_or(wall, |(c1, c0)| c1 - c0)))
    };
    for _ in 0..rounds {
        let (sum, s) = timed(&mut || aligner.try_global_many(pairs).into_iter().map(score).sum())?;
        t_nw += s;
        check += sum;
        let (sum, s) = timed(&mut || aligner.try_local_many(pairs).into_iter().map(score).sum())?;
        t_sw += s;
        check += sum;
        let (sum, s) = timed(&mut || {
            aligner
                .try_global_local_many(pairs)
                .into_iter()
                .map(|r| {
                    r.map(|(g, l)| i64::from(g.score) + i64::from(l.score))
                        .map_err(|e| e.to_string())
                })
                .sum()
        })?;
        t_both += s;
        check += sum;
    }
    for (name, per_pair, s) in [
        ("global traceback", 1.0, t_nw),
        ("local traceback", 1.0, t_sw),
        ("global+local traceback", 2.0, t_both),
    ] {
        println!(
            "{:>9} {name:>22}: {:>9.1} pairs/s  {:.3} GCUPS  ({s:.2} s CPU)",
            "batch",
            n / s,
            per_pair * cells / s / 1e9
        );
    }
    println!("{:>9} checksum {check}", "batch");
    Ok(())
}

/// A random protein of `len` residues and a copy with ~15% substitutions, 1% deletions
/// and 1% insertions (deterministic).
fn related_pair(len: usize) -> (Vec<u8>, Vec<u8>) {
    const AA: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 20) as usize
    };
    let a: Vec<u8> = (0..len).map(|_| AA[next()]).collect();
    let mut b = Vec::with_capacity(len + len / 50);
    for &c in &a {
        match next() * 5 + next() / 4 {
            0..=14 => b.push(AA[next()]),
            15 => {}
            16 => b.extend([c, AA[next()]]),
            _ => b.push(c),
        }
    }
    (a, b)
}

/// `--long LEN`: one long pair, timed per alignment, with the peak RSS.
fn long_pair(len: usize) -> Result<(), String> {
    let (q, r) = related_pair(len);
    let mut a = Aligner::default();
    let cells = q.len() as f64 * r.len() as f64;
    let timed = |f: &mut dyn FnMut() -> Result<i32, String>| -> Result<(i32, f64), String> {
        let (c0, t) = (cpu_seconds(), Instant::now());
        let score = f()?;
        let wall = t.elapsed().as_secs_f64();
        let s = cpu_seconds().zip(c0).map_or(wall, |(c1, c0)| c1 - c0);
        Ok((score, s))
    };
    let err = |e: homolog_align::AlignError| e.to_string();
    let (nw, t_nw) = timed(&mut || a.try_global(&q, &r).map(|s| s.score).map_err(err))?;
    let (sw, t_sw) = timed(&mut || a.try_local(&q, &r).map(|s| s.score).map_err(err))?;
    let held = a.traceback_bytes();
    let (nw0, t_nw0) = timed(&mut || Ok(a.global_score(&q, &r)))?;
    let (sw0, t_sw0) = timed(&mut || Ok(a.local_score(&q, &r)))?;
    if (nw, sw) != (nw0, sw0) {
        return Err(format!(
            "traced scores {nw}/{sw} differ from score-only {nw0}/{sw0}"
        ));
    }
    let traceback = a.traceback();
    let two = traceback.is_two_pass(q.len(), r.len());
    let kib = homolog_io::process::peak_rss_kib().unwrap_or(0);
    println!(
        "long {} x {} traceback {traceback} ({}): kernel {}; nw {t_nw:.2} s ({:.2} GCUPS), \
         sw {t_sw:.2} s ({:.2} GCUPS), score-only nw {t_nw0:.2} s, sw {t_sw0:.2} s; \
         traceback memory {:.1} MiB, peak RSS {:.1} MiB; nw score {nw}, sw score {sw}",
        q.len(),
        r.len(),
        if two { "two passes" } else { "one pass" },
        a.kernel_for(q.len(), r.len(), false),
        cells / t_nw / 1e9,
        cells / t_sw / 1e9,
        held as f64 / (1 << 20) as f64,
        kib as f64 / 1024.0,
    );
    Ok(())
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or(
        "usage: align_bench PAIRS.tsv [ROUNDS [KERNELS [interleave]]] | align_bench --long LEN",
    )?;
    if path == "--batch-kernel" {
        // The lanes of the many-pair calls' batch kernel on this CPU.
        println!("{}", homolog_align::batch_lanes().unwrap_or("none"));
        return Ok(());
    }
    if path == "--long" {
        let len = args
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or("usage: align_bench --long LEN")?;
        return long_pair(len);
    }
    let rounds: usize = match args.next() {
        Some(a) => a
            .parse()
            .map_err(|_| format!("ROUNDS must be a number, got {a:?}"))?,
        None => 1,
    };
    let kernel_arg = args.next();
    let batch = kernel_arg.as_deref() == Some("batch");
    let kernels: Vec<Kernel> = match kernel_arg.filter(|_| !batch) {
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
    println!(
        "auto = {}, traceback = {}",
        homolog_align::best_kernel(),
        Traceback::from_env()
    );
    if batch {
        return batch_runs(&pairs, rounds, cells, n);
    }
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
