//! Load generator for the GAME distributor (bench/game/run.sh runs it).
//!
//! `game_bench run [--threads-per-predictor T] [--requests N] [--sequences S]`:
//! writes a synthetic reference table, starts predictor and distributor *processes* (this
//! binary re-executed as `predictor` / `distributor`), then measures on loopback
//! 1. latency of a small request (1 sequence, point) sent directly to a predictor and through a
//!    distributor with that one predictor: p50 / p99 and the distributor's overhead;
//! 2. throughput of one S-sequence request (default 10,000 x 230 bp) to one predictor directly
//!    and through distributors over 1, 2 and 4 predictors (T threads each), as sequences/s and
//!    the speed-up against one predictor.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use homolog_distribute::{DistributorConfig, PoolEntry};
use homolog_game::Val;
use homolog_serve::synthetic::{mutate, synthetic, Rng};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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

fn spawn(role: &str, config: &Path, port: u16) -> Proc {
    let exe = std::env::current_exe().unwrap();
    Proc(
        Command::new(exe)
            .args([role, config.to_str().unwrap(), &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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
    let mut rng = Rng::new(seed);
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

async fn post(client: &reqwest::Client, addr: SocketAddr, body: &[u8]) -> Duration {
    let t0 = Instant::now();
    let r = client
        .post(format!("http://{addr}/predict"))
        .header("content-type", "application/json")
        .body(body.to_vec())
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

async fn latency(client: &reqwest::Client, addr: SocketAddr, body: &[u8], n: usize) -> (f64, f64) {
    for _ in 0..50 {
        post(client, addr, body).await;
    }
    let mut v: Vec<f64> = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(post(client, addr, body).await.as_secs_f64() * 1e3);
    }
    (pct(&mut v, 0.5), pct(&mut v, 0.99))
}

async fn best_of(client: &reqwest::Client, addr: SocketAddr, body: &[u8], reps: usize) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..reps {
        best = best.min(post(client, addr, body).await.as_secs_f64());
    }
    best
}

fn write_yaml(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("predictor") => {
            homolog_serve::run_blocking(
                Path::new(&args[2]),
                "127.0.0.1",
                args[3].parse().unwrap(),
                None,
            )
            .unwrap();
        }
        Some("distributor") => {
            homolog_distribute::run_blocking(
                Path::new(&args[2]),
                "127.0.0.1",
                args[3].parse().unwrap(),
                None,
            )
            .unwrap();
        }
        Some("run") => run(&args),
        _ => eprintln!(
            "usage: game_bench run [--threads-per-predictor T] [--requests N] [--sequences S]"
        ),
    }
}

fn run(args: &[String]) {
    let threads = arg(args, "--threads-per-predictor", 1);
    let n_req = arg(args, "--requests", 2000);
    let n_seq = arg(args, "--sequences", 10_000);
    let dir = tempfile::tempdir().unwrap();
    let s = synthetic(42, 50, 40, 230);
    std::fs::write(dir.path().join("ref.tsv"), s.table.to_tsv()).unwrap();
    let pcfg = write_yaml(
        &dir.path().join("predictor.yaml"),
        &format!("reference: ref.tsv\nembedding: {{backend: dna-kmer-canonical, k: 5}}\nthreads: {threads}\n"),
    );
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let _preds: Vec<Proc> = ports
        .iter()
        .map(|&p| spawn("predictor", &pcfg, p))
        .collect();
    let addr = |p: u16| -> SocketAddr { format!("127.0.0.1:{p}").parse().unwrap() };
    let mut dists = Vec::new();
    let mut daddrs = Vec::new();
    for n in [1usize, 2, 4] {
        let pool: Vec<PoolEntry> = ports[..n]
            .iter()
            .enumerate()
            .map(|(i, &p)| PoolEntry {
                id: format!("p{}", i + 1),
                pred_ip: "127.0.0.1".into(),
                pred_port: p,
            })
            .collect();
        let cfg = DistributorConfig::with_pool(pool);
        let path = dir.path().join(format!("dist{n}.yaml"));
        std::fs::write(&path, serde_yaml::to_string(&cfg).unwrap()).unwrap();
        let port = free_port();
        dists.push(spawn("distributor", &path, port));
        daddrs.push(addr(port));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder().tcp_nodelay(true).build().unwrap();
        for &p in &ports {
            up(&client, addr(p)).await;
        }
        for &d in &daddrs {
            up(&client, d).await;
        }
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        println!("machine: {cores} cores; predictors: {threads} thread(s) each; reference: 2000 x 230 bp, dna-kmer-canonical k=5 (512-d), k=8 neighbours");
        let small = request_body(&s.ancestors, 1, 1);
        let (d50, d99) = latency(&client, addr(ports[0]), &small, n_req).await;
        let (x50, x99) = latency(&client, daddrs[0], &small, n_req).await;
        println!("small request (1 x 230 bp, point), {n_req} sequential requests:");
        println!("  direct to predictor:      p50 {d50:.3} ms  p99 {d99:.3} ms");
        println!("  through distributor (1):  p50 {x50:.3} ms  p99 {x99:.3} ms");
        println!("  distributor overhead:     p50 {:.3} ms  p99 {:.3} ms", x50 - d50, x99 - d99);
        let big = request_body(&s.ancestors, n_seq, 2);
        println!("throughput, one request of {n_seq} x 230 bp (point), best of 3:");
        let t_direct = best_of(&client, addr(ports[0]), &big, 3).await;
        println!("  direct to 1 predictor:    {:.3} s  {:.0} seq/s", t_direct, n_seq as f64 / t_direct);
        for (i, n) in [1usize, 2, 4].iter().enumerate() {
            let t = best_of(&client, daddrs[i], &big, 3).await;
            println!(
                "  distributor, {n} worker(s): {:.3} s  {:.0} seq/s  speed-up {:.2}x (target >= {:.1}x while cores allow)",
                t,
                n_seq as f64 / t,
                t_direct / t,
                0.9 * *n as f64
            );
        }
    });
    drop(dists);
}
