#!/usr/bin/env python3
"""Multi-threaded exact cosine top-k peers, timed on the data written by `lookup_bench --npy-dir DIR`.

Peers (same data, same k, same thread count as the homolog run they are compared with):
  faiss  faiss-cpu IndexFlatIP on L2-normalised vectors (faiss.normalize_L2), threads set with
         faiss.omp_set_num_threads(N) (its bundled OpenBLAS is OpenMP-threaded, so it follows).
  numpy  NumPy BLAS matmul of normalised query blocks against the normalised references, then
         np.argpartition for the k best and a sort of those k; BLAS threads set with
         threadpoolctl.threadpool_limits(N).
Timed (best of --reps): normalising copies of queries and references, building the index (faiss)
and searching ALL queries in queries_subset.npy (run.sh writes all queries there). The top-k
lists of every query are compared with homolog's (topk_index.npy); a different neighbour counts
as a near-tie swap when the two references' float64 cosine similarities differ by <= 1e-6.

Memory: VmRSS after the imports (interpreter + imported libraries, before any data) is the
baseline; VmHWM is then reset (/proc/self/clear_refs) and read after the runs; working memory =
peak - baseline (it includes the input matrices, as homolog's peak RSS does).

Prints one line: RESULT {json}. Exit status 1 on a real top-k difference.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

NEAR_TIE = 1e-6


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dir", required=True, type=Path, help="directory written by lookup_bench --npy-dir")
    ap.add_argument("--peer", required=True, choices=["faiss", "numpy"])
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--block", type=int, default=1024, help="numpy: queries per matmul block")
    args = ap.parse_args()

    import numpy as np
    import threadpoolctl

    if args.peer == "faiss":
        import faiss

        faiss.omp_set_num_threads(args.threads)
        version = faiss.__version__
    else:
        version = np.__version__
    limiter = threadpoolctl.threadpool_limits(limits=args.threads)
    pools = [
        {k: p.get(k) for k in ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads")}
        for p in threadpoolctl.threadpool_info()
    ]
    baseline_kib = status_kib("VmRSS:")
    peak_reset = True
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        peak_reset = False

    meta = json.loads((args.dir / "homolog.json").read_text())
    k = int(meta["k"])
    refs = np.load(args.dir / "refs.npy")
    queries = np.load(args.dir / "queries_subset.npy")
    h_idx = np.load(args.dir / "topk_index.npy")
    nq = queries.shape[0]

    def run_faiss():
        r = refs.copy()
        q = queries.copy()
        faiss.normalize_L2(r)
        faiss.normalize_L2(q)
        index = faiss.IndexFlatIP(r.shape[1])
        index.add(r)
        sims, idx = index.search(q, k)
        return idx, 1.0 - sims

    def run_numpy():
        r = refs / np.linalg.norm(refs, axis=1, keepdims=True)
        out_idx = np.empty((nq, k), dtype=np.int64)
        out_dist = np.empty((nq, k), dtype=np.float32)
        for s in range(0, nq, args.block):
            q = queries[s : s + args.block]
            q = q / np.linalg.norm(q, axis=1, keepdims=True)
            sims = q @ r.T  # sgemm on the BLAS threads
            part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            psims = np.take_along_axis(sims, part, axis=1)
            order = np.argsort(-psims, axis=1, kind="stable")
            out_idx[s : s + len(q)] = np.take_along_axis(part, order, axis=1)
            out_dist[s : s + len(q)] = 1.0 - np.take_along_axis(psims, order, axis=1)
        return out_idx, out_dist

    fn = run_faiss if args.peer == "faiss" else run_numpy
    times = []
    idx = dist = None
    for _ in range(max(1, args.reps)):
        t = time.perf_counter()
        idx, dist = fn()
        times.append(time.perf_counter() - t)
    peak_kib = status_kib("VmHWM:")
    limiter.restore_original_limits()

    # Agreement with homolog on every query homolog wrote (all of them when run.sh sets --subset).
    n = min(nq, h_idx.shape[0])
    identical = near_tie = 0
    bad = []
    for i in range(n):
        if np.array_equal(idx[i], h_idx[i]):
            identical += 1
            continue
        qd = queries[i].astype(np.float64)
        qd /= np.linalg.norm(qd)
        for rank in range(k):
            a, b = int(h_idx[i, rank]), int(idx[i, rank])
            if a == b:
                continue
            ra, rb = refs[a].astype(np.float64), refs[b].astype(np.float64)
            gap = abs(qd @ ra / np.linalg.norm(ra) - qd @ rb / np.linalg.norm(rb))
            if gap <= NEAR_TIE:
                near_tie += 1
            else:
                bad.append((i, rank, a, b, float(gap)))

    best = min(times)
    res = {
        "peer": args.peer,
        "version": version,
        "threads": args.threads,
        "queries": nq,
        "refs": int(refs.shape[0]),
        "dim": int(refs.shape[1]),
        "k": k,
        "times_s": [round(t, 4) for t in times],
        "best_s": best,
        "qps": nq / best,
        "gflops": 2.0 * nq * refs.shape[0] * refs.shape[1] / best / 1e9,
        "baseline_rss_mib": baseline_kib / 1024,
        "peak_rss_mib": peak_kib / 1024 if peak_reset else None,
        "working_mib": (peak_kib - baseline_kib) / 1024 if peak_reset else None,
        "identical": identical,
        "compared": n,
        "near_tie_swaps": near_tie,
        "real_differences": len(bad),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "pools": pools,
    }
    print("RESULT " + json.dumps(res))
    for row in bad[:10]:
        print("MISMATCH query %d rank %d: homolog %d, %s %d, gap %.3g" % (row[0], row[1], row[2], args.peer, row[3], row[4]),
              file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
