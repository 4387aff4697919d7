//! `homolog-cluster-mpi SHARDS OUT METHOD K SEED [MAX_ITER TOL]`: runs one MPI rank of the
//! clustering stage (used by the rank-equivalence tests and the MPI benchmark; the
//! user-facing entry is `homolog cluster --mpi`).

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 6 && a.len() != 8 {
        eprintln!("usage: homolog-cluster-mpi SHARDS OUT kmeans|lsh K SEED [MAX_ITER TOL]");
        std::process::exit(2);
    }
    let method = match a[3].as_str() {
        "kmeans" => homolog_cluster::Method::Kmeans,
        "lsh" => homolog_cluster::Method::Lsh,
        m => {
            eprintln!("unknown method {m:?}; give kmeans or lsh");
            std::process::exit(2);
        }
    };
    let (Ok(k), Ok(seed)) = (a[4].parse(), a[5].parse()) else {
        eprintln!("K and SEED must be integers");
        std::process::exit(2);
    };
    let mut opts = homolog_cluster::ClusterOptions {
        input: a[1].clone().into(),
        out: a[2].clone().into(),
        method,
        ..Default::default()
    };
    opts.kmeans.k = k;
    opts.kmeans.seed = seed;
    opts.lsh.seed = seed;
    opts.lsh.max_clusters = k;
    if a.len() == 8 {
        let (Ok(mi), Ok(tol)) = (a[6].parse(), a[7].parse()) else {
            eprintln!("MAX_ITER must be an integer and TOL a number");
            std::process::exit(2);
        };
        opts.kmeans.max_iter = mi;
        opts.kmeans.tol = tol;
    }
    match homolog_cluster::run_mpi(&opts) {
        Ok(Some(s)) => {
            let iters: Vec<f64> = s.history.iter().map(|h| h.seconds).collect();
            println!(
                "{}",
                serde_json::json!({"processes": s.processes, "iterations": s.iterations,
                    "iter_seconds": iters, "seconds": s.seconds})
            );
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
