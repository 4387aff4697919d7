//! Load generator for the GAME distributor (bench/game/run.sh runs it).
//!
//! `game_bench run [--threads-per-predictor T] [--requests N] [--sequences S] [--hold-us H]
//! [--reps R] [--scenarios small,cpu,latency]`: writes synthetic reference tables, starts
//! predictor, relay and distributor *processes* (this binary re-executed as `predictor` /
//! `relay` / `distributor`), then measures on loopback
//! 1. `small`: latency of a small request (1 sequence, point) sent directly to a predictor and
//!    through a distributor with that one predictor: p50 / p99 and the distributor's overhead;
//! 2. `cpu`: throughput of one S-sequence request (default 10,000 x 230 bp) to one CPU-bound
//!    predictor directly and through distributors over 1, 2 and 4 such predictors (T threads
//!    each), as sequences/s and the speed-up against one predictor (best of R);
//! 3. `latency`: the same with latency-bound workers, as a GPU-backed model would be: each
//!    worker is a relay that holds every request for H microseconds per sequence (default 50;
//!    its CPU idles meanwhile) and then forwards it to its own predictor, which has a small
//!    reference table (200 x 230 bp) so that its CPU work is small next to the hold. The delay
//!    lives only in this benchmark's relay, never in the product.
//!
//! Targets compared with each other are measured in turns (one request to each, then again),
//! so that load from other programs on the machine hits them alike.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use homolog_game::Val;
use homolog_serve::predictor::synthetic::{mutate, rng, synthetic};
use homolog_serve::{DistributorConfig, PoolEntry};

#[path = "../tests/support/relay.rs"]
mod relay;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn arg_str<'a>(args: &'a [String], name: &str, default: &'a str) -> &'a str {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, String::as_str)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(role: &str, args: &[String]) -> Proc {
    let exe = std::env::current_exe().unwrap();
    // GAME_BENCH_LOG=1 keeps the children's logs (RUST_LOG=info gives the distributor's timings).
    let err = if std::env::var_os("GAME_BENCH_LOG").is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    };
    Proc(
        Command::new(exe)
            .arg(role)
            .args(args)
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap(),
    )
}

async fn up(client: &reqwest::Client, addr: SocketAddr) {
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("http://{addr}/formats")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{addr} did not come up");
}

fn request_body(ancestors: &[String], n: usize, seed: u64) -> Vec<u8> {
    let mut rng = rng(seed);
    let seqs: Vec<(String, Val)> = (0..n)
        .map(|i| {
            (
                format!("q{i}"),
                Val::from(mutate(&mut rng, &ancestors[i % ancestors.len()], 0.1)),
            )
        })
        .collect();
    let tasks = homolog_game::decode(
        homolog_game::Format::Json,
        br#"[{"name": "e", "type": "expression", "cell_type": "K562", "species": "homo_sapiens"}]"#,
    )
    .unwrap();
    let body = Val::Object(vec![
        ("readout".into(), "point".into()),
        ("prediction_tasks".into(), tasks),
        ("sequences".into(), Val::Object(seqs)),
    ]);
    serde_json::to_vec(&body).unwrap()
}

async fn post(client: &reqwest::Client, addr: SocketAddr, body: &Bytes) -> Duration {
    let t0 = Instant::now();
    let r = client
        .post(format!("http://{addr}/predict"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let _ = r.bytes().await.unwrap();
    t0.elapsed()
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// p50 and p99 (ms) of `n` sequential requests to each of `addrs`, sent in turns (one to each
/// address, then again), so that load from elsewhere on the machine hits them alike.
async fn latency(
    client: &reqwest::Client,
    addrs: &[SocketAddr],
    body: &Bytes,
    n: usize,
) -> Vec<(f64, f64)> {
    let mut v: Vec<Vec<f64>> = vec![Vec::with_capacity(n); addrs.len()];
    for i in 0..50 + n {
        for (a, times) in addrs.iter().zip(&mut v) {
            let t = post(client, *a, body).await.as_secs_f64() * 1e3;
            if i >= 50 {
                times.push(t);
            }
        }
    }
    v.iter_mut().map(|t| (pct(t, 0.5), pct(t, 0.99))).collect()
}

/// The best time (s) of `reps` requests to each of `addrs`, in rounds (one to each address,
/// then again) after a warm-up round, so that load from elsewhere hits them alike.
async fn best_of(
    client: &reqwest::Client,
    addrs: &[SocketAddr],
    body: &Bytes,
    reps: usize,
) -> Vec<f64> {
    let mut best = vec![f64::MAX; addrs.len()];
    for round in 0..=reps {
        for (a, b) in addrs.iter().zip(&mut best) {
            let t = post(client, *a, body).await.as_secs_f64();
            if round > 0 {
                *b = b.min(t);
            }
        }
    }
    best
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Counts the entries of a request's `sequences` without building them (the relay's only
/// look into the body).
#[derive(serde::Deserialize)]
struct SequenceCount {
    #[serde(default)]
    sequences: CountEntries,
}

#[derive(Default)]
struct CountEntries(usize);

impl<'de> serde::Deserialize<'de> for CountEntries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CountEntries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<CountEntries, A::Error> {
                let mut n = 0;
                while m
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {
                    n += 1;
                }
                Ok(CountEntries(n))
            }
        }
        d.deserialize_map(V)
    }
}

fn count_sequences(content_type: Option<&str>, body: &[u8]) -> usize {
    let msgpack = content_type.is_some_and(|c| c.contains("msgpack"));
    let parsed = if msgpack {
        rmp_serde::from_slice::<SequenceCount>(body).ok()
    } else {
        serde_json::from_slice::<SequenceCount>(body).ok()
    };
    parsed.map_or(0, |c| c.sequences.0)
}

/// `relay TARGET_PORT HOLD_US PORT`: holds each request for HOLD_US microseconds per sequence,
/// then forwards it (method, path, Content-Type, Accept, body) to 127.0.0.1:TARGET_PORT and
/// returns the answer as it is. A stand-in for a latency-bound (e.g. GPU-backed) predictor.
fn relay(target: u16, hold_us: u64, port: u16) {
    use axum::body::Body;
    use axum::http::Request;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        homolog_io::tls::ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .build()
            .unwrap();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let client = client.clone();
            async move {
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                let ct = parts
                    .headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok());
                let n = if parts.method == axum::http::Method::POST {
                    count_sequences(ct, &bytes)
                } else {
                    0
                };
                tokio::time::sleep(Duration::from_micros(hold_us * n as u64)).await;
                relay::forward(
                    &client,
                    &format!("http://127.0.0.1:{target}"),
                    &parts,
                    bytes,
                )
                .await
            }
        });
        let l = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        axum::serve(l, app).await.unwrap();
    });
}

fn write_yaml(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    match args.get(1).map(String::as_str) {
        Some("predictor") => {
            homolog_serve::predictor::run_blocking(
                Path::new(&args[2]),
                "127.0.0.1",
                args[3].parse().unwrap(),
                None,
            )
            .unwrap();
        }
        Some("distributor") => {
            homolog_serve::distributor::run_blocking(
                Path::new(&args[2]),
                "127.0.0.1",
                args[3].parse().unwrap(),
                None,
            )
            .unwrap();
        }
        Some("relay") => relay(
            args[2].parse().unwrap(),
            args[3].parse().unwrap(),
            args[4].parse().unwrap(),
        ),
        Some("run") => run(&args),
        _ => eprintln!(
            "usage: game_bench run [--threads-per-predictor T] [--requests N] [--sequences S] [--hold-us H] [--reps R] [--scenarios small,cpu,latency]"
        ),
    }
}

fn addr(p: u16) -> SocketAddr {
    format!("127.0.0.1:{p}").parse().unwrap()
}

/// Starts distributors over the first 1, 2 and 4 of `workers`; returns them and their ports.
fn distributors(dir: &Path, tag: &str, workers: &[u16]) -> (Vec<Proc>, Vec<u16>) {
    let mut procs = Vec::new();
    let mut ports = Vec::new();
    for n in [1usize, 2, 4] {
        let pool: Vec<PoolEntry> = workers[..n]
            .iter()
            .enumerate()
            .map(|(i, &p)| PoolEntry {
                id: format!("p{}", i + 1),
                pred_ip: "127.0.0.1".into(),
                pred_port: p,
            })
            .collect();
        let cfg = DistributorConfig::with_pool(pool);
        let path = dir.join(format!("dist-{tag}-{n}.yaml"));
        std::fs::write(&path, serde_yaml::to_string(&cfg).unwrap()).unwrap();
        let port = free_port();
        procs.push(spawn(
            "distributor",
            &[path.display().to_string(), port.to_string()],
        ));
        ports.push(port);
    }
    (procs, ports)
}

/// Direct to `direct`, then through each distributor: one line per run with the speed-up.
async fn throughput(
    client: &reqwest::Client,
    direct: u16,
    dists: &[u16],
    body: &Bytes,
    n_seq: usize,
    reps: usize,
    what: &str,
) {
    let addrs: Vec<SocketAddr> = std::iter::once(direct)
        .chain(dists.iter().copied())
        .map(addr)
        .collect();
    let best = best_of(client, &addrs, body, reps).await;
    let t_direct = best[0];
    println!(
        "  direct to 1 {what}:{:>w$}{:.3} s  {:.0} seq/s",
        "",
        t_direct,
        n_seq as f64 / t_direct,
        w = 12usize.saturating_sub(what.len())
    );
    for (t, n) in best[1..].iter().zip([1usize, 2, 4]) {
        println!(
            "  distributor, {n} worker(s): {:.3} s  {:.0} seq/s  speed-up {:.2}x (target >= {:.1}x while CPU allows)",
            t,
            n_seq as f64 / t,
            t_direct / t,
            0.9 * n as f64
        );
    }
}

fn run(args: &[String]) {
    let threads = arg(args, "--threads-per-predictor", 1);
    let n_req = arg(args, "--requests", 2000);
    let n_seq = arg(args, "--sequences", 10_000);
    let hold_us = arg(args, "--hold-us", 50);
    let reps = arg(args, "--reps", 5).max(1);
    let scenarios = arg_str(args, "--scenarios", "small,cpu,latency");
    let want = |s: &str| scenarios.split(',').any(|x| x.trim() == s);
    let dir = tempfile::tempdir().unwrap();
    // CPU-bound predictors: 2,000 references; latency-bound ones: 200 references of the same
    // families (same seed, so the same ancestors) behind the relays.
    let s = synthetic(42, 50, 40, 230);
    std::fs::write(dir.path().join("ref.tsv"), s.table.to_tsv()).unwrap();
    let light = synthetic(42, 50, 4, 230);
    assert_eq!(light.ancestors, s.ancestors);
    std::fs::write(dir.path().join("ref-small.tsv"), light.table.to_tsv()).unwrap();
    let yaml = |name: &str, table: &str| {
        write_yaml(
            &dir.path().join(name),
            &format!("reference: {table}\nembedding: {{backend: dna-kmer-canonical, k: 5}}\nthreads: {threads}\n"),
        )
        .display()
        .to_string()
    };
    let pcfg = yaml("predictor.yaml", "ref.tsv");
    let lcfg = yaml("predictor-small.yaml", "ref-small.tsv");
    let mut procs = Vec::new();
    let cpu_preds: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let light_preds: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let relays: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let need_cpu = want("small") || want("cpu");
    let need_latency = want("latency");
    let (mut cpu_dists, mut lat_dists) = (Vec::new(), Vec::new());
    if need_cpu {
        for &p in &cpu_preds {
            procs.push(spawn("predictor", &[pcfg.clone(), p.to_string()]));
        }
    }
    if need_latency {
        for (&p, &r) in light_preds.iter().zip(&relays) {
            procs.push(spawn("predictor", &[lcfg.clone(), p.to_string()]));
            procs.push(spawn(
                "relay",
                &[p.to_string(), hold_us.to_string(), r.to_string()],
            ));
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        homolog_io::tls::ensure_crypto_provider();
        let client = reqwest::Client::builder().tcp_nodelay(true).build().unwrap();
        // Distributors health-check their workers at start-up: start them once those are up.
        if need_cpu {
            for &p in &cpu_preds {
                up(&client, addr(p)).await;
            }
            let (p, d) = distributors(dir.path(), "cpu", &cpu_preds);
            procs.extend(p);
            cpu_dists = d;
        }
        if need_latency {
            for &p in light_preds.iter().chain(&relays) {
                up(&client, addr(p)).await;
            }
            let (p, d) = distributors(dir.path(), "latency", &relays);
            procs.extend(p);
            lat_dists = d;
        }
        for &d in cpu_dists.iter().chain(&lat_dists) {
            up(&client, addr(d)).await;
        }
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        println!("machine: {cores} cores, load average {} at start; predictors: {threads} thread(s) each, dna-kmer-canonical k=5 (512-d), k=8 neighbours", load_average());
        if want("small") {
            let small = Bytes::from(request_body(&s.ancestors, 1, 1));
            let l = latency(&client, &[addr(cpu_preds[0]), addr(cpu_dists[0])], &small, n_req).await;
            let ((d50, d99), (x50, x99)) = (l[0], l[1]);
            println!("small request (1 x 230 bp, point), {n_req} sequential requests each, in turns, predictor with 2,000 references:");
            println!("  direct to predictor:      p50 {d50:.3} ms  p99 {d99:.3} ms");
            println!("  through distributor (1):  p50 {x50:.3} ms  p99 {x99:.3} ms");
            println!("  distributor overhead:     p50 {:.3} ms  p99 {:.3} ms", x50 - d50, x99 - d99);
        }
        let big = Bytes::from(request_body(&s.ancestors, n_seq, 2));
        if want("cpu") {
            println!("throughput, CPU-bound workers (2,000 references each): one request of {n_seq} x 230 bp (point), best of {reps} (in rounds):");
            throughput(&client, cpu_preds[0], &cpu_dists, &big, n_seq, reps, "predictor").await;
        }
        if want("latency") {
            println!("throughput, latency-bound workers (relay holding {hold_us} us/sequence, then a predictor with 200 references): one request of {n_seq} x 230 bp (point), best of {reps} (in rounds):");
            throughput(&client, relays[0], &lat_dists, &big, n_seq, reps, "relayed predictor").await;
        }
        println!("load average {} at the end", load_average());
    });
    drop(procs);
}
