"""k-means peers on the same points and from the same initial centroids as homolog's lloyd_bench.

  peers.py POINTS.npy K --write-init INIT.npy
      writes K distinct random rows of the points (seed 7) as the shared initial centroids.
  peers.py POINTS.npy K ITERS --peer sklearn|faiss --init INIT.npy [--threads N]
      fits one peer for at most ITERS Lloyd iterations from INIT and prints JSON:
      sklearn  KMeans(algorithm="lloyd", init=INIT, n_init=1, max_iter=ITERS, tol=0) (stops
               early only on unchanged labels, as homolog does); its own OpenMP threads.
      faiss    faiss.Kmeans(niter=ITERS, max_points_per_centroid=N: no subsampling)
               .train(x, init_centroids=INIT): always ITERS iterations; omp threads.
      Timed: the fit/train call only (points already in memory). Threads: N (default all
      cores) via threadpoolctl (OpenMP and BLAS) and faiss.omp_set_num_threads.
Memory: VmRSS after the imports (interpreter + imported libraries, before any data) is the
baseline; VmHWM is reset there (/proc/self/clear_refs) and read after the fit; working =
peak - baseline (it includes the 4 N D bytes of points, as homolog's does).
"""
import argparse
import json
import os
import time

import numpy as np


def status_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


ap = argparse.ArgumentParser()
ap.add_argument("points")
ap.add_argument("k", type=int)
ap.add_argument("iters", type=int, nargs="?")
ap.add_argument("--write-init")
ap.add_argument("--peer", choices=["sklearn", "faiss"])
ap.add_argument("--init")
ap.add_argument("--threads", type=int, default=os.cpu_count())
args = ap.parse_args()

if args.write_init:
    x = np.load(args.points, mmap_mode="r")
    rng = np.random.default_rng(7)
    rows = np.sort(rng.choice(x.shape[0], args.k, replace=False))
    np.save(args.write_init, np.ascontiguousarray(x[rows], dtype=np.float32))
    raise SystemExit(0)

import threadpoolctl

if args.peer == "sklearn":
    import sklearn
    from sklearn.cluster import KMeans

    version = sklearn.__version__
else:
    import faiss

    faiss.omp_set_num_threads(args.threads)
    version = faiss.__version__
limiter = threadpoolctl.threadpool_limits(limits=args.threads)
pools = [{k: p.get(k) for k in ("user_api", "prefix", "version", "architecture", "num_threads")}
         for p in threadpoolctl.threadpool_info()]
baseline = status_mib("VmRSS:")
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False

x = np.load(args.points)
init = np.load(args.init)
k, iters = args.k, args.iters
assert init.shape == (k, x.shape[1]), init.shape
if args.peer == "sklearn":
    km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd")
    t = time.perf_counter()
    km.fit(x)
    s = time.perf_counter() - t
    n_iter, inertia = int(km.n_iter_), float(km.inertia_)
else:
    fk = faiss.Kmeans(x.shape[1], k, niter=iters, seed=7, max_points_per_centroid=x.shape[0])
    t = time.perf_counter()
    fk.train(x, init_centroids=init)
    s = time.perf_counter() - t
    n_iter, inertia = iters, float(fk.obj[-1]) if len(fk.obj) else None
peak = status_mib("VmHWM:")
print(json.dumps({
    "tool": args.peer, "version": version, "threads": args.threads, "n": int(x.shape[0]),
    "d": int(x.shape[1]), "k": k, "seconds": s, "iterations": n_iter, "iter_seconds": s / max(n_iter, 1),
    "inertia": inertia, "baseline_rss_mib": baseline, "peak_rss_mib": peak if reset else None,
    "working_mib": peak - baseline if reset else None,
    "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"), "pools": pools,
}))
