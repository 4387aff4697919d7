#!/usr/bin/env python3
"""FANTASIA's CPU lookup path, timed on the data written by `lookup_bench --npy-dir DIR`.

FANTASIA (fantasia/src/lookup.py) computes, per query,
    distances = cdist([embedding], lookup["embeddings"], metric="cosine")[0]
    sorted_indices = np.argsort(distances)
and keeps the first `limit_per_entry` (k). This script does exactly that for the queries in
queries_subset.npy (a subset: all 20k x 125k would take about half an hour), reports the time
per query, extrapolates it to the full query set, divides by homolog's time per query
(homolog.json), and checks that both found the same top-k neighbours.

Exit status 1 if a neighbour differs by more than a near-tie (|distance gap| > 1e-6).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy.spatial.distance import cdist


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


# Interpreter + imported libraries, before any data; VmHWM is reset here so that the peak read
# at the end is this script's data + working memory on top of it.
BASELINE_KIB = status_kib("VmRSS:")
try:
    with open("/proc/self/clear_refs", "w") as _f:
        _f.write("5")
    PEAK_RESET = True
except OSError:
    PEAK_RESET = False

NEAR_TIE = 1e-6
DIST_TOL = 1e-5


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dir", required=True, type=Path, help="directory written by lookup_bench --npy-dir")
    ap.add_argument("--queries", type=int, default=0, help="time only the first N subset queries (0 = all)")
    args = ap.parse_args()

    meta = json.loads((args.dir / "homolog.json").read_text())
    refs = np.load(args.dir / "refs.npy")
    queries = np.load(args.dir / "queries_subset.npy")
    h_idx = np.load(args.dir / "topk_index.npy")
    h_dist = np.load(args.dir / "topk_distance.npy")
    k = int(meta["k"])
    n = queries.shape[0] if args.queries <= 0 else min(args.queries, queries.shape[0])

    exact_lists = 0
    near_tie_swaps = 0
    bad = []
    max_dist_err = 0.0
    start = time.perf_counter()
    for i in range(n):
        d = cdist([queries[i]], refs, metric="cosine")[0]
        order = np.argsort(d)
        top = order[:k]
        # Comparison is outside FANTASIA's path but cheap next to cdist; keep it in the loop so
        # the subset stays the same size as what was timed.
        if np.array_equal(top, h_idx[i]):
            exact_lists += 1
        else:
            for rank in range(k):
                if top[rank] != h_idx[i, rank]:
                    gap = abs(d[h_idx[i, rank]] - d[top[rank]])
                    if gap <= NEAR_TIE:
                        near_tie_swaps += 1
                    else:
                        bad.append((i, rank, int(h_idx[i, rank]), int(top[rank]), float(gap)))
        max_dist_err = max(max_dist_err, float(np.max(np.abs(d[h_idx[i]] - h_dist[i]))))
    elapsed = time.perf_counter() - start

    scipy_per_query = elapsed / n
    homolog_per_query = meta["best_s"] / meta["queries"]
    full = scipy_per_query * meta["queries"]
    print(f"scipy {scipy.__version__}, numpy {np.__version__}: cdist(cosine) + argsort per query, "
          f"single-threaded, {n} of {meta['queries']} queries x {refs.shape[0]} refs x {refs.shape[1]}")
    print(f"scipy:   {elapsed:.2f} s for {n} queries = {scipy_per_query * 1e3:.2f} ms/query; "
          f"extrapolated to {meta['queries']} queries: {full:.0f} s")
    print(f"homolog: {meta['best_s']:.3f} s for {meta['queries']} queries = "
          f"{homolog_per_query * 1e3:.4f} ms/query ({meta['threads']} threads)")
    print(f"speed-up homolog/scipy: {scipy_per_query / homolog_per_query:.0f}x "
          f"(per thread: {scipy_per_query / (homolog_per_query * meta['threads']):.0f}x)")
    print(f"agreement: {exact_lists}/{n} top-{k} lists identical, {near_tie_swaps} near-tie swaps "
          f"(gap <= {NEAR_TIE:g}), {len(bad)} real differences; max |distance - scipy| = {max_dist_err:.2e}")
    peak_kib = status_kib("VmHWM:")
    print(f"scipy memory: baseline (interpreter + imports) {BASELINE_KIB / 1024:.1f} MiB, peak "
          f"{peak_kib / 1024:.1f} MiB, working (peak - baseline) {(peak_kib - BASELINE_KIB) / 1024:.1f} MiB"
          + ("" if PEAK_RESET else " [VmHWM reset unsupported: peak includes imports]"))
    print(f"RESULT scipy_s_per_query={scipy_per_query:.6f} scipy_extrapolated_s={full:.1f} "
          f"homolog_s={meta['best_s']:.4f} speedup={scipy_per_query / homolog_per_query:.1f} "
          f"identical={exact_lists}/{n} real_differences={len(bad)} max_dist_err={max_dist_err:.2e} "
          f"baseline_rss_mib={BASELINE_KIB / 1024:.1f} peak_rss_mib={peak_kib / 1024:.1f}")
    if bad or max_dist_err > DIST_TOL:
        for row in bad[:10]:
            print("MISMATCH query %d rank %d: homolog %d, scipy %d, gap %.3g" % row, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
