//! Benchmark driver (bench/cluster/run.sh): `lloyd_bench POINTS.npy INIT.npy ITERS` runs
//! homolog's Lloyd iterations (`kmeans::lloyd`, euclidean, all rayon threads) on the points
//! from the given initial centroids (both little-endian float32 `.npy`, C order, `n x d` and
//! `k x d`) for at most ITERS iterations (tolerance 0: it stops early only when no assignment
//! changes, as scikit-learn's `tol=0`), and prints JSON: the whole fit time (the same span the
//! peers' `fit`/`train` are timed over, including homolog's final assignment), iterations, the
//! per-iteration times, inertia, empty clusters at the end, and memory (VmRSS before the data
//! is read; VmHWM after the fit, reset once the data is in memory).

use std::time::Instant;

use homolog_cluster::kmeans::{lloyd, LocalData};
use homolog_cluster::KMeansParams;

/// Reads a little-endian float32 C-order 2-D `.npy` (format 1.x, 2.x or 3.x).
fn read_npy_f32(path: &str) -> (Vec<f32>, usize, usize) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(bytes.starts_with(b"\x93NUMPY"), "{path}: not a .npy file");
    let (hlen, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        )
    };
    let header = std::str::from_utf8(&bytes[start..start + hlen]).expect("ascii header");
    assert!(
        header.contains("'descr': '<f4'"),
        "{path}: want float32, got {header}"
    );
    assert!(
        header.contains("'fortran_order': False"),
        "{path}: want C order"
    );
    let shape = &header[header.find("'shape': (").expect("shape") + 10..];
    let dims: Vec<usize> = shape[..shape.find(')').unwrap()]
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    assert_eq!(dims.len(), 2, "{path}: want a 2-D array, got {header}");
    let data: Vec<f32> = bytes[start + hlen..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(data.len(), dims[0] * dims[1], "{path}: truncated");
    (data, dims[0], dims[1])
}

/// (VmRSS, VmHWM) in MiB from /proc/self/status (zeros elsewhere).
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    assert_eq!(a.len(), 4, "usage: lloyd_bench POINTS.npy INIT.npy ITERS");
    let (baseline, _) = memory_mib();
    let (points, n, d) = read_npy_f32(&a[1]);
    let (init, k, dk) = read_npy_f32(&a[2]);
    assert_eq!(d, dk, "points have {d} dims, centroids {dk}");
    let iters: usize = a[3].parse().expect("ITERS");
    let data = LocalData {
        data: points,
        dim: d,
        global_idx: (0..n as u64).collect(),
    };
    // The loader briefly holds the file bytes and the parsed values (2 x 4 N D bytes); reset
    // VmHWM (Linux >= 4.0) so that the peak is the data + the fit's own memory, as the peers'
    // (np.load reads straight into the array).
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let params = KMeansParams {
        k,
        max_iter: iters,
        tol: 0.0,
        ..Default::default()
    };
    let t = Instant::now();
    let r = lloyd(
        &data,
        n as u64,
        init,
        0.0,
        &params,
        &homolog_cluster::comm::Local,
    )
    .expect("lloyd");
    let seconds = t.elapsed().as_secs_f64();
    let (_, peak) = memory_mib();
    let iter_seconds: Vec<f64> = r.history.iter().map(|h| h.seconds).collect();
    println!(
        "{}",
        serde_json::json!({
            "tool": "homolog", "threads": rayon::current_num_threads(), "n": n, "d": d, "k": k,
            "seconds": seconds, "iterations": r.iterations, "iter_seconds": iter_seconds,
            "inertia": r.inertia, "baseline_rss_mib": baseline, "peak_rss_mib": peak,
            "working_mib": peak - baseline, "peak_reset": peak_reset,
            "empty_clusters": r.sizes.iter().filter(|&&c| c == 0).count(),
        })
    );
}
