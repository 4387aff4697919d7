//! Lookup benchmark: exact cosine top-k of random unit vectors, FANTASIA-sized.
//!
//! ```text
//! cargo run --release -p homolog-search --example lookup_bench -- [small|medium|large] \
//!     [--queries N] [--refs N] [--dim N] [--k N] [--reps N] [--seed N] \
//!     [--chunk N] [--npy-dir DIR] [--subset N] [--strategy auto|f32|int8|int8-avx2|int8-portable] \
//!     [--data uniform|clustered] [--pruning auto|always|never] [--load DIR]
//! ```
//!
//! `large` is the published FANTASIA lookup (20,000 queries x 125,000 references x 1024, k = 5,
//! cosine); `medium` 5,000 x 50,000; `small` (the default) 2,000 x 12,500 x 1024 for CI.
//! `--data uniform` (default): random unit vectors; `--data clustered`: families around a
//! shared mean direction (see `clustered_vectors`), which is what the two-pass search's
//! candidate lists depend on. `--strategy` picks the search path and `--pruning` the two-pass
//! path's pruning (`search_with_pruning`); the two-pass path's pass costs, the share of the
//! int8 work it did and its candidate-list sizes are printed. The program measures the
//! machine's sgemm throughput with all threads (each thread multiplying its own 1024 x 1024
//! matrices with the same GEMM the search uses, which is how the search uses it), runs the
//! search, and prints queries/s, GFLOP/s (2 Q R D flops of dot products) as a fraction of that
//! peak, and the peak resident memory against the size of the reference matrix.
//!
//! With `--load DIR`, the queries and references are `DIR/queries.npy` and `DIR/refs.npy`
//! (2-D little-endian `f32`, C order, as NumPy saves them; e.g. real embeddings) instead of
//! generated data, and their shapes set the sizes.
//!
//! With `--npy-dir`, it also writes `refs.npy`, the first `--subset` queries
//! (`queries_subset.npy`), their homolog top-k (`topk_index.npy`, `topk_distance.npy`) and
//! `homolog.json` (timings), which `bench/lookup/scipy_cdist.py` reads to time FANTASIA's CPU
//! path on the same data and check that both find the same neighbours.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use homolog_search::{search_with_pruning, Metric, Pruning, RowFilter, SearchParams, Strategy};
use rand::distr::OpenClosed01;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

struct Args {
    queries: usize,
    refs: usize,
    dim: usize,
    k: usize,
    reps: usize,
    seed: u64,
    npy_dir: Option<PathBuf>,
    load: Option<PathBuf>,
    subset: usize,
    chunk: usize,
    size: String,
    strategy: Strategy,
    pruning: Pruning,
    clustered: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        queries: 2_000,
        refs: 12_500,
        dim: 1024,
        k: 5,
        reps: 3,
        seed: 42,
        npy_dir: None,
        load: None,
        subset: 200,
        chunk: 0,
        size: "small".into(),
        strategy: Strategy::Auto,
        pruning: Pruning::Auto,
        clustered: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value"))
                .and_then(|v| v.parse::<u64>().map_err(|e| format!("{name} {v:?}: {e}")))
        };
        match arg.as_str() {
            "small" => {
                a.queries = 2_000;
                a.refs = 12_500;
                a.reps = 3;
                a.size = arg.clone();
            }
            "medium" => {
                a.queries = 5_000;
                a.refs = 50_000;
                a.reps = 2;
                a.size = arg.clone();
            }
            "large" => {
                a.queries = 20_000;
                a.refs = 125_000;
                a.reps = 1;
                a.size = arg.clone();
            }
            "--queries" => a.queries = value("--queries")? as usize,
            "--refs" => a.refs = value("--refs")? as usize,
            "--dim" => a.dim = value("--dim")? as usize,
            "--k" => a.k = value("--k")? as usize,
            "--reps" => a.reps = (value("--reps")? as usize).max(1),
            "--seed" => a.seed = value("--seed")?,
            "--subset" => a.subset = value("--subset")? as usize,
            "--chunk" => a.chunk = value("--chunk")? as usize,
            "--npy-dir" => a.npy_dir = Some(it.next().ok_or("--npy-dir needs a directory")?.into()),
            "--load" => a.load = Some(it.next().ok_or("--load needs a directory")?.into()),
            "--strategy" => {
                let v = it
                    .next()
                    .ok_or("--strategy needs auto, f32, int8, int8-avx2 or int8-portable")?;
                a.strategy = v.parse().map_err(|e| format!("--strategy: {e}"))?;
            }
            "--pruning" => {
                a.pruning = match it.next().as_deref() {
                    Some("auto") => Pruning::Auto,
                    Some("always") => Pruning::Always,
                    Some("never") => Pruning::Never,
                    _ => return Err("--pruning needs auto, always or never".into()),
                }
            }
            "--data" => match it.next().as_deref() {
                Some("uniform") => a.clustered = false,
                Some("clustered") => a.clustered = true,
                _ => return Err("--data needs uniform or clustered".into()),
            },
            "-h" | "--help" => {
                return Err(
                    "usage: lookup_bench [small|medium|large] [--queries N] [--refs N] \
                            [--dim N] [--k N] [--reps N] [--seed N] [--chunk N] [--npy-dir DIR] \
                            [--subset N] [--strategy auto|f32|int8|int8-avx2|int8-portable] \
                            [--data uniform|clustered] [--pruning auto|always|never] [--load DIR]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    if !["small", "medium", "large"].contains(&a.size.as_str()) {
        a.size = "custom".into();
    }
    Ok(a)
}

/// `rows` random unit vectors (normalised Gaussian, Box-Muller). Row `row` reads its own
/// stretch of the ChaCha8 stream `stream` of `seed` (ChaCha is seekable), so generation is
/// parallel and reproducible.
fn unit_vectors(rows: usize, dim: usize, seed: u64, stream: u64) -> Vec<f32> {
    // Two u64 draws per pair of values, two 32-bit words per draw.
    let words_per_row = 4 * dim.div_ceil(2) as u128;
    let mut out = vec![0f32; rows * dim];
    out.par_chunks_mut(dim).enumerate().for_each(|(row, v)| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        rng.set_word_pos(row as u128 * words_per_row);
        for pair in v.chunks_mut(2) {
            // u1 in (0, 1], so the logarithm is finite.
            let u1: f64 = rng.sample(OpenClosed01);
            let u2: f64 = rng.random();
            let r = (-2.0 * u1.ln()).sqrt();
            let t = std::f64::consts::TAU * u2;
            pair[0] = (r * t.cos()) as f32;
            if pair.len() > 1 {
                pair[1] = (r * t.sin()) as f32;
            }
        }
        let norm = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        v.iter_mut()
            .for_each(|x| *x = (f64::from(*x) / norm) as f32);
    });
    out
}

/// Clustered, anisotropic rows, closer to protein embeddings than uniform noise (whose
/// cosine similarities all sit near 0): `s * (0.8 m + 0.5 c + 0.35 n)` with `m` one mean
/// direction shared by all rows (random pairs have cosine ~0.6, like ProtT5's), `c` one of
/// `centers` family directions (same family ~0.9), `n` the row's own noise, all unit vectors,
/// and `s` fixed per-dimension scales `exp(0.5 z)`, `z ~ N(0, 1)` (a few outlier dimensions,
/// which make int8 quantisation coarser). Queries and references share `m`, `s` and the
/// families, so every query has close references. Family of row `i` of `stream`: a hash.
fn clustered_vectors(rows: usize, dim: usize, seed: u64, stream: u64, centers: usize) -> Vec<f32> {
    let mean = unit_vectors(1, dim, seed, 10);
    let fam = unit_vectors(centers, dim, seed, 11);
    let z = unit_vectors(1, dim, seed, 12);
    let scale: Vec<f32> = z
        .iter()
        .map(|&x| (0.5 * f64::from(x) * (dim as f64).sqrt()).exp() as f32)
        .collect();
    let mut out = unit_vectors(rows, dim, seed, stream);
    out.par_chunks_mut(dim).enumerate().for_each(|(row, v)| {
        let h = (row as u64 ^ (stream << 40)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let c = ((h >> 17) % centers as u64) as usize;
        let c = &fam[c * dim..(c + 1) * dim];
        for d in 0..dim {
            v[d] = scale[d] * (0.8 * mean[d] + 0.5 * c[d] + 0.35 * v[d]);
        }
    });
    out
}

/// sgemm GFLOP/s with every rayon thread multiplying its own n x n matrices at once (best of 3).
fn sgemm_peak(n: usize, reps: usize) -> f64 {
    let threads = rayon::current_num_threads();
    let a = unit_vectors(n, n, 7, 100);
    let b = unit_vectors(n, n, 7, 101);
    let run = |reps: usize| {
        let start = Instant::now();
        rayon::broadcast(|_| {
            let mut c = vec![0f32; n * n];
            for _ in 0..reps {
                // SAFETY: a, b, c are n x n row-major with matching strides; c is exclusive.
                unsafe {
                    matrixmultiply::sgemm(
                        n,
                        n,
                        n,
                        1.0,
                        a.as_ptr(),
                        n as isize,
                        1,
                        b.as_ptr(),
                        n as isize,
                        1,
                        0.0,
                        c.as_mut_ptr(),
                        n as isize,
                        1,
                    );
                }
            }
            std::hint::black_box(&c);
        });
        start.elapsed().as_secs_f64()
    };
    run(1); // warm-up: page faults, frequency ramp
            // Best of three rounds: on a shared machine the slower rounds measure the neighbours.
    let secs = (0..3).map(|_| run(reps)).fold(f64::INFINITY, f64::min);
    (threads * reps) as f64 * 2.0 * (n as f64).powi(3) / secs / 1e9
}

/// (VmRSS, VmHWM) in bytes from /proc/self/status (Linux), or zeros elsewhere.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets VmHWM to the current RSS (Linux >= 4.0), so the next reading is the search's peak.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Reads a 2-D little-endian `f32` .npy in C order: (values, rows, columns).
fn read_npy(path: &Path) -> Result<(Vec<f32>, usize, usize), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = |why: &str| format!("{}: {why}", path.display());
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file"));
    }
    let (len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        _ if bytes.len() >= 12 => {
            let b: [u8; 4] = bytes[8..12].try_into().map_err(|_| bad("short header"))?;
            (u32::from_le_bytes(b) as usize, 12)
        }
        _ => return Err(bad("short header")),
    };
    let header = std::str::from_utf8(
        bytes
            .get(start..start + len)
            .ok_or_else(|| bad("short header"))?,
    )
    .map_err(|_| bad("header is not text"))?;
    if !header.contains("'<f4'") || !header.contains("'fortran_order': False") {
        return Err(bad("not little-endian f32 in C order"));
    }
    let shape = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad("no shape"))?;
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| bad("bad shape")))
        .collect::<Result<_, _>>()?;
    let [rows, cols] = dims[..] else {
        return Err(bad("not 2-D"));
    };
    let data = &bytes[start + len..];
    if data.len() != rows * cols * 4 {
        return Err(bad("data size does not match the shape"));
    }
    let values = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok((values, rows, cols))
}

/// Writes a little-endian .npy (format 1.0) atomically: temp file in `dir`, then rename.
fn write_npy(
    dir: &Path,
    name: &str,
    descr: &str,
    shape: &[usize],
    data: &[u8],
) -> std::io::Result<()> {
    let shape_txt = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
    let pad = (64 - (10 + header.len() + 1) % 64) % 64;
    header.push_str(&" ".repeat(pad));
    header.push('\n');
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut w = BufWriter::new(File::create(&tmp)?);
    w.write_all(b"\x93NUMPY\x01\x00")?;
    w.write_all(&(header.len() as u16).to_le_bytes())?;
    w.write_all(header.as_bytes())?;
    w.write_all(data)?;
    w.into_inner()?.sync_all()?;
    std::fs::rename(tmp, dir.join(name))
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let loaded = args.load.as_ref().map(|dir| {
        let read = |name: &str| {
            read_npy(&dir.join(name)).unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(1);
            })
        };
        (read("queries.npy"), read("refs.npy"))
    });
    let (nq, nr, dim) = match &loaded {
        Some(((_, nq, dq), (_, nr, dr))) if dq == dr => (*nq, *nr, *dq),
        Some(_) => {
            eprintln!("queries.npy and refs.npy differ in dimension");
            std::process::exit(1);
        }
        None => (args.queries, args.refs, args.dim),
    };
    let k = args.k;
    let threads = rayon::current_num_threads();
    println!(
        "lookup_bench: {} = {nq} queries x {nr} references x {dim} dims, k = {k}, cosine, \
         {threads} threads",
        match &args.load {
            Some(dir) => dir.display().to_string(),
            None => args.size.clone(),
        }
    );

    let t = Instant::now();
    let (queries, refs) = if let Some(((q, _, _), (r, _, _))) = loaded {
        (q, r)
    } else if args.clustered {
        // About 25 references per family (protein families of a GO reference are that size).
        let centers = (nr / 25).max(1);
        (
            clustered_vectors(nq, dim, args.seed, 1, centers),
            clustered_vectors(nr, dim, args.seed, 2, centers),
        )
    } else {
        (
            unit_vectors(nq, dim, args.seed, 1),
            unit_vectors(nr, dim, args.seed, 2),
        )
    };
    // `data_word`: one word for the RESULT line, whose fields are split at spaces.
    let (data_kind, data_word) = if args.load.is_some() {
        ("read the", "loaded")
    } else if args.clustered {
        ("generated clustered", "clustered")
    } else {
        ("generated uniform", "uniform")
    };
    println!("{data_kind} data in {:.1} s", t.elapsed().as_secs_f64());
    let ref_bytes = (refs.len() * 4) as u64;
    let data_bytes = ref_bytes + (queries.len() * 4) as u64;
    let (rss_before, _) = memory();
    let peak_reset = reset_peak();

    let params = SearchParams {
        metric: Metric::Cosine,
        k,
        query_chunk: args.chunk,
        ..SearchParams::default()
    };
    let mut times = Vec::new();
    let mut result = Vec::new();
    let mut reports = Vec::new();
    for _ in 0..args.reps {
        let t = Instant::now();
        let (hits, report) = search_with_pruning(
            &queries,
            &refs,
            dim,
            &params,
            &RowFilter::none(),
            args.strategy,
            args.pruning,
        )
        .unwrap_or_else(|e| {
            eprintln!("search failed: {e}");
            std::process::exit(1);
        });
        times.push(t.elapsed().as_secs_f64());
        result = hits;
        reports.push(report);
    }
    let path = reports[0].path;
    // Pass costs of the fastest run.
    let fastest = (0..times.len())
        .min_by(|&a, &b| times[a].total_cmp(&times[b]))
        .unwrap_or(0);
    let pass = match &reports[fastest].two_pass {
        Some(s) => {
            println!(
                "two-pass ({path}): quantise {:.3} s, int8 pass {:.3} s ({:.1}% of the int8 \
                 work), f32 re-rank {:.3} s; candidates per query: mean {:.1}, max {} (of {nr} \
                 references); {} queries fell back to the f32 search",
                s.quantise_s,
                s.first_pass_s,
                100.0 * s.int8_work,
                s.rerank_s,
                s.candidates as f64 / nq as f64,
                s.max_candidates,
                s.fallback_queries
            );
            format!(
                "quantise_s={:.4} first_pass_s={:.4} rerank_s={:.4} cand_mean={:.2} cand_max={} \
                 int8_work={:.4}",
                s.quantise_s,
                s.first_pass_s,
                s.rerank_s,
                s.candidates as f64 / nq as f64,
                s.max_candidates,
                s.int8_work
            )
        }
        None => {
            "quantise_s=0 first_pass_s=0 rerank_s=0 cand_mean=0 cand_max=0 int8_work=0".to_string()
        }
    };
    let (_, hwm) = memory();
    // Measured after the search so its buffers do not pad the RSS figures above.
    let peak = sgemm_peak(1024, 2);
    println!("sgemm peak (1024^3 per thread, {threads} threads): {peak:.1} GFLOP/s");
    times.sort_by(f64::total_cmp);
    let best = times[0];
    let median = times[times.len() / 2];
    let flops = 2.0 * nq as f64 * nr as f64 * dim as f64;
    let gflops = flops / best / 1e9;
    println!("search times (s): {times:?}");
    println!(
        "best {best:.3} s, median {median:.3} s: {:.0} queries/s, {gflops:.1} GFLOP/s = {:.0}% of \
         sgemm peak",
        nq as f64 / best,
        100.0 * gflops / peak
    );
    println!(
        "memory: reference matrix {:.1} MiB, queries+reference {:.1} MiB, RSS before search \
         {:.1} MiB, peak RSS during search {:.1} MiB (search overhead {:.1} MiB){}",
        mib(ref_bytes),
        mib(data_bytes),
        mib(rss_before),
        mib(hwm),
        mib(hwm.saturating_sub(rss_before)),
        if peak_reset {
            ""
        } else {
            " [VmHWM reset unsupported: peak includes data generation]"
        }
    );
    println!(
        "RESULT size={} data={data_word} path={path} {pass} queries={nq} refs={nr} dim={dim} \
         k={k} threads={threads} best_s={best:.4} median_s={median:.4} qps={:.1} \
         gflops={gflops:.1} peak_gflops={peak:.1} frac_peak={:.3} ref_mib={:.1} \
         rss_before_mib={:.1} hwm_mib={:.1}",
        args.size,
        nq as f64 / best,
        gflops / peak,
        mib(ref_bytes),
        mib(rss_before),
        mib(hwm)
    );

    if let Some(dir) = &args.npy_dir {
        let s = args.subset.min(nq);
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(dir)?;
            write_npy(dir, "refs.npy", "<f4", &[nr, dim], &f32_bytes(&refs))?;
            write_npy(
                dir,
                "queries_subset.npy",
                "<f4",
                &[s, dim],
                &f32_bytes(&queries[..s * dim]),
            )?;
            // Pad rows with -1 / NaN if a query had fewer than k hits (cannot happen here).
            let mut idx = Vec::with_capacity(s * k);
            let mut dist = Vec::with_capacity(s * k);
            for hits in &result[..s] {
                for j in 0..k {
                    idx.push(hits.get(j).map_or(-1, |h| i64::from(h.reference)));
                    dist.push(hits.get(j).map_or(f32::NAN, |h| h.distance));
                }
            }
            let idx_bytes: Vec<u8> = idx.iter().flat_map(|x| x.to_le_bytes()).collect();
            write_npy(dir, "topk_index.npy", "<i8", &[s, k], &idx_bytes)?;
            write_npy(dir, "topk_distance.npy", "<f4", &[s, k], &f32_bytes(&dist))?;
            let json = format!(
                "{{\"size\": \"{}\", \"queries\": {nq}, \"refs\": {nr}, \"dim\": {dim}, \
                 \"k\": {k}, \"threads\": {threads}, \"best_s\": {best}, \"median_s\": {median}, \
                 \"peak_gflops\": {peak}}}\n",
                args.size
            );
            let tmp = dir.join(".homolog.json.tmp");
            std::fs::write(&tmp, json)?;
            std::fs::rename(tmp, dir.join("homolog.json"))
        };
        if let Err(e) = write() {
            eprintln!("could not write benchmark data to {}: {e}", dir.display());
            std::process::exit(1);
        }
        println!(
            "wrote refs, {s} queries and their top-{k} to {}",
            dir.display()
        );
    }
}
