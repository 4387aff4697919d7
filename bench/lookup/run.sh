#!/usr/bin/env bash
# Lookup benchmark: homolog's exact KNN vs FANTASIA's CPU path (SciPy cdist + argsort) and vs
# multi-threaded exact peers at EQUAL thread counts (faiss-cpu IndexFlatIP, NumPy BLAS matmul +
# argpartition), on the same data, same k, with top-k agreement checked.
#
# Usage: bench/lookup/run.sh [small|medium|large] [scipy_queries]
#   small (default): 2,000 queries x 12,500 references x 1024, k = 5, cosine (CI-sized)
#   medium:          5,000 x 50,000 x 1024
#   large:           20,000 x 125,000 x 1024 (FANTASIA's published lookup size; writes a
#                    500 MiB refs.npy and needs about 1.2 GiB of RAM; the NumPy peer about
#                    3 GiB: 1,024 x 125,000 scores + argpartition indices per block)
#   scipy_queries:   how many queries SciPy times (default 200; its time is extrapolated)
# Environment:
#   STRATEGIES homolog search paths timed, each as its own tool "homolog-<strategy>" (default
#             "int8 f32": the two-pass search and the one-pass f32 search); ratios are against
#             the first. All paths must give identical top-k (checked by the peers against the
#             last homolog run's lists, and between homolog paths here).
#   DATA      uniform (random unit vectors) or clustered (default: families around a shared
#             mean direction, closer to protein embeddings; see lookup_bench.rs)
#   THREADS   thread counts compared (default "1 $(nproc)"); homolog gets RAYON_NUM_THREADS=N,
#             faiss omp_set_num_threads(N), NumPy threadpoolctl's BLAS limit N
#   ROUNDS    rounds of (homolog, faiss, numpy) per thread count, interleaved so that load from
#             other programs hits all alike (default 2); the summary keeps each tool's best
#   PEERS     which peers (default "faiss numpy"; "" runs only homolog + SciPy)
#   SCIPY     0 skips the single-threaded SciPy (FANTASIA) comparison (default 1)
#   BUILD     0 uses the already-built example (no cargo call: cargo waits while another build
#             holds the target directory's lock)
#   LOOKUP_BENCH_DIR (where the .npy files go; default a fresh temp dir, removed at the end
#   unless KEEP_DATA=1)
# Python peers run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so NumPy's OpenBLAS picks
# its kernel for this CPU; faiss-cpu's bundled OpenBLAS (0.3.15) may not know newer CPUs (it
# falls back to a generic SSE kernel, "Barcelona"/"Prescott"), so faiss gets OPENBLAS_CORETYPE
# set to the kernel NumPy's OpenBLAS detected (FAISS_CORETYPE overrides; "default" leaves it
# unset). The BLAS kernels in use are printed (threadpoolctl). Peers get OMP_WAIT_POLICY=PASSIVE
# (PEER_OMP_WAIT_POLICY overrides): libgomp's default spin-waiting collapses on a loaded machine
# (see bench/cluster/run.sh).
set -euo pipefail

size="${1:-small}"
subset="${2:-200}"
case "$size" in small|medium|large) ;; *) echo "usage: $0 [small|medium|large] [scipy_queries]" >&2; exit 2 ;; esac
strategies="${STRATEGIES:-int8 f32}"
datakind="${DATA:-clustered}"
threads_list="${THREADS:-1 $(nproc)}"
rounds="${ROUNDS:-2}"
peers="${PEERS-faiss numpy}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="${LOOKUP_BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/homolog-lookup-bench.XXXXXX")}"
if [[ -z "${LOOKUP_BENCH_DIR:-}" && "${KEEP_DATA:-0}" != 1 ]]; then
  trap 'rm -rf "$data"' EXIT
fi
mkdir -p "$data"
results="$data/results.jsonl"
: > "$results"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$size" in small) nq=2000 ;; medium) nq=5000 ;; large) nq=20000 ;; esac

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %T UTC')"
cd "$root"
if [[ "${BUILD:-1}" != 0 ]]; then cargo build --quiet --release -p homolog-search --example lookup_bench; fi
bench="$target/release/examples/lookup_bench"

pyenv=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY="${PEER_OMP_WAIT_POLICY:-PASSIVE}")
arch="$("${pyenv[@]}" python3 -c 'import numpy, threadpoolctl
print(next((p.get("architecture") or "" for p in threadpoolctl.threadpool_info() if p["internal_api"] == "openblas"), ""))')"
faiss_core="${FAISS_CORETYPE:-$arch}"
faissenv=("${pyenv[@]}")
if [[ -n "$faiss_core" && "$faiss_core" != default ]]; then faissenv+=(OPENBLAS_CORETYPE="$faiss_core"); fi
echo "== NumPy's OpenBLAS kernel: ${arch:-unknown}; faiss's OpenBLAS gets OPENBLAS_CORETYPE=${faiss_core:-<unset>}"

load() { cut -d' ' -f1-3 /proc/loadavg; }
for round in $(seq 1 "$rounds"); do
  for t in $threads_list; do
    for st in $strategies; do
      echo "== round $round, $t thread(s): homolog-$st (load $(load))"
      # --subset = all queries, so that the peers search (and are checked on) every query.
      out="$(RAYON_NUM_THREADS="$t" "$bench" "$size" --npy-dir "$data" --subset "$nq" --strategy "$st" --data "$datakind")"
      echo "$out" | grep -v '^RESULT'
      line="$(echo "$out" | grep '^RESULT')"
      python3 - "$round" "$t" "$(load)" "$line" "$st" >> "$results" <<'PY'
import json, sys
kv = dict(f.split("=", 1) for f in sys.argv[4].split()[1:])
kv.update(tool="homolog-" + sys.argv[5], round=int(sys.argv[1]), threads=int(sys.argv[2]), load=sys.argv[3],
          best_s=float(kv["best_s"]))
print(json.dumps(kv))
PY
      # Every homolog path must return the same lists as the first one (ids; distances too).
      if [[ "$st" == "${strategies%% *}" ]]; then
        cp "$data/topk_index.npy" "$data/first_index.npy"; cp "$data/topk_distance.npy" "$data/first_distance.npy"
      else
        python3 -c '
import sys, numpy as np
d = sys.argv[1]
a, b = np.load(d + "/first_index.npy"), np.load(d + "/topk_index.npy")
x, y = np.load(d + "/first_distance.npy"), np.load(d + "/topk_distance.npy")
same = int((a == b).all(axis=1).sum())
print("homolog-%s vs homolog-%s: top-k identical for %d/%d queries, distances bit-identical: %s"
      % (sys.argv[2], sys.argv[3], same, len(a), bool((x.view(np.uint32) == y.view(np.uint32)).all())))
sys.exit(0 if same == len(a) else 1)' "$data" "$st" "${strategies%% *}"
      fi
    done
    for p in $peers; do
      echo "== round $round, $t thread(s): $p (load $(load))"
      if [[ "$p" == faiss ]]; then envp=("${faissenv[@]}"); else envp=("${pyenv[@]}"); fi
      line="$("${envp[@]}" python3 "$root/bench/lookup/peers.py" --dir "$data" --peer "$p" --threads "$t" | grep '^RESULT')"
      python3 - "$round" "$(load)" "$line" >> "$results" <<'PY'
import json, sys
r = json.loads(sys.argv[3].split(" ", 1)[1])
r.update(tool=r["peer"], round=int(sys.argv[1]), load=sys.argv[2])
print(json.dumps(r))
PY
      tail -n1 "$results" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
blas = ", ".join("%s %s %s x%s" % (p["prefix"], p["version"], p["architecture"], p["num_threads"])
                 for p in r["pools"] if p["user_api"] == "blas")
print("%s %s: best %.3f s of %s, %.0f queries/s, %.1f GFLOP/s; top-%d identical %d/%d, near-tie swaps %d, "
      "real differences %d; RSS baseline %.1f MiB + working %.1f MiB = peak %.1f MiB; BLAS: %s"
      % (r["tool"], r["version"], r["best_s"], r["times_s"], r["qps"], r["gflops"], r["k"], r["identical"],
         r["compared"], r["near_tie_swaps"], r["real_differences"], r["baseline_rss_mib"], r["working_mib"],
         r["peak_rss_mib"], blas))'
    done
  done
done

echo "== summary ($datakind data; best of $rounds rounds per tool and thread count; ratio = peer time / homolog time)"
python3 - "$results" <<'PY'
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1])]
best = {}
for r in rows:
    key = (r["tool"], r["threads"])
    if key not in best or r["best_s"] < best[key]["best_s"]:
        best[key] = r
loads = sorted({r["load"] for r in rows})
htools = [t for t in dict.fromkeys(r["tool"] for r in rows) if t.startswith("homolog-")]
for t in sorted({r["threads"] for r in rows}):
    h = best[(htools[0], t)]
    for ht in htools:
        x = best[(ht, t)]
        extra = ""
        if float(x.get("cand_mean", 0)) > 0:
            extra = (f"; quantise {float(x['quantise_s']):.3f} s, int8 pass {float(x['first_pass_s']):.3f} s, "
                     f"f32 re-rank {float(x['rerank_s']):.3f} s, candidates/query mean {float(x['cand_mean']):.1f} "
                     f"max {x['cand_max']}")
        print(f"{t} thread(s): {ht} ({x.get('path', '?')}) {x['best_s']:.3f} s ({float(x['qps']):.0f} q/s, "
              f"peak RSS {x['hwm_mib']} MiB){extra}" + ("" if ht == htools[0] else
              f" -> {htools[0]} {x['best_s'] / h['best_s']:.2f}x faster"))
    for tool in ("faiss", "numpy"):
        p = best.get((tool, t))
        if p:
            per_round = [f"{q['best_s'] / hh['best_s']:.2f}x" for q in rows if q["tool"] == tool and q["threads"] == t
                         for hh in rows if hh["tool"] == htools[0] and hh["threads"] == t and hh["round"] == q["round"]]
            print(f"  {tool} {p['version']}: {p['best_s']:.3f} s -> {htools[0]} {p['best_s'] / h['best_s']:.2f}x "
                  f"(per round: {', '.join(per_round)}); top-{p['k']} identical {p['identical']}/{p['compared']}, "
                  f"real differences {p['real_differences']}; RSS baseline {p['baseline_rss_mib']:.1f} + working "
                  f"{p['working_mib']:.1f} = {p['peak_rss_mib']:.1f} MiB")
print("load averages seen (1/5/15 min):", "; ".join(loads))
PY

if [[ "${SCIPY:-1}" != 0 ]]; then
  echo "== FANTASIA CPU path (SciPy, single-threaded) on the same data (load $(load))"
  "${pyenv[@]}" python3 "$root/bench/lookup/scipy_cdist.py" --dir "$data" --queries "$subset"
  echo "(SciPy's speed-up is against the last homolog run, $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["threads"])' "$data/homolog.json") thread(s); load at the end $(load))"
fi
