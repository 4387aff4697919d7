#!/usr/bin/env bash
# Read-clustering benchmark on N x 128 float32 points, k = 100:
#  1. homolog's Lloyd iterations (lloyd_bench) vs scikit-learn KMeans (lloyd) and faiss-cpu
#     k-means, all from the SAME initial centroids (K random rows, written once), the same
#     iteration limit and tol = 0, on the same thread count, each timed the same way (the whole
#     fit, points already in memory), interleaved over ROUNDS rounds (homolog, sklearn, faiss,
#     homolog, ...) so that load from other programs hits all alike; prints the load per run,
#     and the ratio peer fit time / homolog fit time per round and for the best round;
#  2. homolog's end-to-end run (bench_cluster: read shards, k-means++, iterations, outputs);
#  3. MPI 2-rank efficiency (needs the `mpi` feature); 4. dna-kmer / dna-lsh throughput.
# Usage: bench/cluster/run.sh [N=1000000] [ITERS=10]
# Environment: ROUNDS (default 3), THREADS (default nproc), BENCH_DIR, HOMOLOG_DATA; BUILD=0
# uses the already-built examples (no cargo call), MPI=0 skips the MPI part.
# Python peers run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset; faiss's bundled OpenBLAS
# (0.3.15) gets OPENBLAS_CORETYPE = the kernel NumPy's OpenBLAS detects (FAISS_CORETYPE
# overrides, "default" leaves it unset), as in bench/lookup/run.sh. The peers' OpenMP threads
# get OMP_WAIT_POLICY=PASSIVE (PEER_OMP_WAIT_POLICY overrides): with libgomp's default spinning,
# faiss on 2 threads of a loaded 2-core machine took 10x its 1-thread time (100k points: 7.3 s
# vs 0.80 s; PASSIVE: 0.70 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-1000000}"; ITERS="${2:-10}"; K=100; D=128
T="${THREADS:-$(nproc)}"; ROUNDS="${ROUNDS:-3}"
work="${BENCH_DIR:-/tmp/homolog-bench-cluster}"
target="${CARGO_TARGET_DIR:-target}"
rm -rf "$work"; mkdir -p "$work"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %T UTC'); $T threads"
python3 bench/cluster/make_data.py "$work/shards" "$N" "$D" "$K"
python3 bench/cluster/peers.py "$work/shards/points.npy" "$K" --write-init "$work/init.npy"
if [[ "${BUILD:-1}" != 0 ]]; then cargo build --release -q -p homolog-cluster --example bench_cluster --example lloyd_bench; fi
ex="$target/release/examples/bench_cluster"

pyenv=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY="${PEER_OMP_WAIT_POLICY:-PASSIVE}")
arch="$("${pyenv[@]}" python3 -c 'import numpy, threadpoolctl
print(next((p.get("architecture") or "" for p in threadpoolctl.threadpool_info() if p["internal_api"] == "openblas"), ""))')"
fc="${FAISS_CORETYPE:-$arch}"
faissenv=("${pyenv[@]}")
if [[ -n "$fc" && "$fc" != default ]]; then faissenv+=(OPENBLAS_CORETYPE="$fc"); fi
echo "NumPy's OpenBLAS kernel: ${arch:-unknown}; faiss's OpenBLAS gets OPENBLAS_CORETYPE=${fc:-<unset>}"

load() { cut -d' ' -f1-3 /proc/loadavg; }
tag() { python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(round=int(sys.argv[2]), load=sys.argv[3]); print(json.dumps(r))' "$@"; }
: > "$work/fits.jsonl"
for round in $(seq 1 "$ROUNDS"); do
  l="$(load)"; r="$(RAYON_NUM_THREADS="$T" "$target/release/examples/lloyd_bench" "$work/shards/points.npy" "$work/init.npy" "$ITERS")"
  tag "$r" "$round" "$l" | tee -a "$work/fits.jsonl" | cut -c1-200
  l="$(load)"; r="$("${pyenv[@]}" python3 bench/cluster/peers.py "$work/shards/points.npy" "$K" "$ITERS" --peer sklearn --init "$work/init.npy" --threads "$T")"
  tag "$r" "$round" "$l" | tee -a "$work/fits.jsonl" | cut -c1-200
  l="$(load)"; r="$("${faissenv[@]}" python3 bench/cluster/peers.py "$work/shards/points.npy" "$K" "$ITERS" --peer faiss --init "$work/init.npy" --threads "$T" 2>/dev/null)"
  tag "$r" "$round" "$l" | tee -a "$work/fits.jsonl" | cut -c1-200
done

l="$(load)"; ours="$(RAYON_NUM_THREADS="$T" $ex "$work/shards" "$work/out" "$K" "$ITERS")"
echo "homolog end-to-end (load $l): $ours"
mpi="null"
if [[ "${MPI:-1}" != 0 ]] && cargo build --release -q -p homolog-cluster --features mpi --bin homolog-cluster-mpi 2>/dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  one="$(RAYON_NUM_THREADS=1 mpirun -np 1 "$target/release/homolog-cluster-mpi" "$work/shards" "$work/m1" kmeans $K 42 "$ITERS" 0)"
  two="$(RAYON_NUM_THREADS=1 mpirun -np 2 --oversubscribe "$target/release/homolog-cluster-mpi" "$work/shards" "$work/m2" kmeans $K 42 "$ITERS" 0)"
  mpi="{\"np1\": $one, \"np2\": $two}"
  echo "mpi (load $(load)): $mpi"
fi
reads="${HOMOLOG_DATA:-../shared/data}"/genomes/camisim_toy_metagenome/reads.metagenome.fasta.gz
emb="[]"
if [ -e "$reads" ]; then
  emb="[$($ex --embed "$reads" dna-kmer), $($ex --embed "$reads" dna-lsh)]"
  echo "embed:   $emb"
fi
python3 - "$work/fits.jsonl" "$ours" "$mpi" "$emb" <<'PY'
import json, sys, statistics as st
fits = [json.loads(l) for l in open(sys.argv[1])]
ours, mpi, emb = (json.loads(a) for a in sys.argv[2:])
print("same initial centroids, whole fit time (points in memory), interleaved rounds:")
for f in fits:
    mem = (f"RSS baseline {f['baseline_rss_mib']:.0f} + working {f['working_mib']:.0f} = {f['peak_rss_mib']:.0f} MiB"
           if f.get("working_mib") is not None else "")
    print(f"  round {f['round']} {f['tool']:<8} {f['seconds']:7.2f} s, {f['iterations']} iterations, "
          f"{f['seconds'] / max(f['iterations'], 1) * 1000:6.0f} ms/iteration, inertia {f['inertia']:.6g}"
          + (f", {f['empty_clusters']} empty clusters" if "empty_clusters" in f else "") + f", {mem} (load {f['load']})")
best = {}
for f in fits:
    if f["tool"] not in best or f["seconds"] < best[f["tool"]]["seconds"]:
        best[f["tool"]] = f
h = best["homolog"]
for tool in ("sklearn", "faiss"):
    if tool not in best:
        continue
    per_round = [p["seconds"] / q["seconds"] for p in fits for q in fits
                 if p["tool"] == tool and q["tool"] == "homolog" and p["round"] == q["round"]]
    print(f"{tool} fit / homolog fit: best-of-rounds {best[tool]['seconds'] / h['seconds']:.2f}x "
          f"({best[tool]['seconds']:.2f} s vs {h['seconds']:.2f} s; iterations {best[tool]['iterations']} vs {h['iterations']}); "
          f"per round {', '.join(f'{r:.2f}x' for r in per_round)}")
print(f"homolog end-to-end: median {st.median(ours['iter_seconds'])*1000:.1f} ms/iteration, total {ours['seconds']['total']:.2f} s "
      f"(load shards {ours['seconds']['load']:.2f}, k-means++ init {ours['seconds']['init']:.2f})")
if mpi:
    a, b = st.median(mpi["np1"]["iter_seconds"]), st.median(mpi["np2"]["iter_seconds"])
    print(f"MPI 1 thread/rank: 1 rank {a*1000:.1f} ms, 2 ranks {b*1000:.1f} ms per iteration -> efficiency {a/(2*b)*100:.0f}% (target >= 80%)")
for e in emb:
    print(f"embedding {e['model']} (dim {e['dim']}): {e['reads_per_s']:.0f} reads/s")
PY
