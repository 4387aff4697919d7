//! `homolog-cluster-mpi SHARDS OUT METHOD K SEED [MAX_ITER TOL]`: runs one MPI rank of the
//! clustering stage (used by the rank-equivalence tests and the MPI benchmark; the
//! user-facing entry is `homolog cluster --mpi`).
//!
//! `homolog-cluster-mpi kmers READS K OUT`: counts the canonical k-mers of READS over the ranks
//! (`KmerCounts::count_ranks`); rank 0 writes `code<TAB>count` per non-zero counter to OUT.

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.get(1).map(String::as_str) == Some("kmers") {
        return count_kmers(&a[2..]);
    }
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

fn count_kmers(a: &[String]) {
    let [reads, k, out] = a else {
        eprintln!("usage: homolog-cluster-mpi kmers READS K OUT");
        std::process::exit(2);
    };
    let Ok(k) = k.parse::<usize>() else {
        eprintln!("K must be an integer");
        std::process::exit(2);
    };
    let universe = mpi::initialize().expect("MPI initialises once");
    let comm = homolog_cluster::comm::MpiComm::new(&universe);
    let fail = |e: String| -> ! {
        eprintln!("error: {e}");
        std::process::exit(1)
    };
    let seqs: Vec<Vec<u8>> = homolog_reads::ReadStream::open(&[reads.as_str()])
        .unwrap_or_else(|e| fail(e.to_string()))
        .map(|r| r.map(|r| r.seq).unwrap_or_else(|e| fail(e.to_string())))
        .collect();
    let counts = homolog_cluster::abundance::KmerCounts::count_ranks(&seqs, k, &comm)
        .unwrap_or_else(|e| fail(e.to_string()));
    use homolog_cluster::comm::Comm;
    if comm.rank() == 0 {
        let text: String = counts
            .nonzero()
            .map(|(code, n)| format!("{code}\t{n}\n"))
            .collect();
        std::fs::write(out, text).unwrap_or_else(|e| fail(format!("{out}: {e}")));
    }
}
