//! Benchmark driver (bench/cluster/run.sh): `bench_cluster SHARDS OUT K ITERS` runs threaded
//! k-means for exactly ITERS Lloyd iterations (tol 0) and prints per-iteration seconds as JSON;
//! `bench_cluster --embed READS MODEL` prints the embedding throughput (reads/s).

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() == 4 && a[1] == "--embed" {
        let reads: Vec<homolog_reads::Read> = homolog_reads::ReadStream::open(&[a[2].as_str()])
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let s = homolog_embed::ModelSettings {
            backend: Some(a[3].clone()),
            ..Default::default()
        };
        let e = homolog_embed::registry::build(&a[3], &s).unwrap();
        let seqs: Vec<&str> = reads
            .iter()
            .map(|r| std::str::from_utf8(&r.seq).unwrap())
            .collect();
        let t = std::time::Instant::now();
        let mut n = 0usize;
        while t.elapsed().as_secs_f64() < 3.0 {
            for b in seqs.chunks(8192) {
                let v = e.embed(b, &[0]).unwrap();
                n += v.len();
            }
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "{}",
            serde_json::json!({"model": a[3], "dim": e.dim(), "reads": n, "seconds": s, "reads_per_s": n as f64 / s})
        );
        return;
    }
    assert_eq!(
        a.len(),
        5,
        "usage: bench_cluster SHARDS OUT K ITERS | --embed READS MODEL"
    );
    let mut o = homolog_cluster::ClusterOptions {
        input: a[1].clone().into(),
        out: a[2].clone().into(),
        ..Default::default()
    };
    o.kmeans.k = a[3].parse().unwrap();
    o.kmeans.max_iter = a[4].parse().unwrap();
    o.kmeans.tol = 0.0;
    o.plot_sample = 2000;
    let s = homolog_cluster::cluster_shards(&o, &homolog_cluster::comm::Local)
        .unwrap()
        .unwrap();
    let iters: Vec<f64> = s.history.iter().map(|h| h.seconds).collect();
    println!(
        "{}",
        serde_json::json!({"iterations": s.iterations, "iter_seconds": iters, "seconds": s.seconds, "inertia": s.inertia})
    );
}
