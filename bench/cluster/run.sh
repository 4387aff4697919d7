#!/usr/bin/env bash
# Read-clustering benchmark: k-means per-iteration and total time on N x 128 float32 points,
# k = 100, against scikit-learn KMeans (lloyd) and faiss-cpu k-means in the same run; MPI
# 2-rank efficiency (needs the `mpi` feature); embedding throughput of dna-kmer / dna-lsh.
# Usage: bench/cluster/run.sh [N=1000000] [ITERS=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-1000000}"; ITERS="${2:-10}"; K=100; D=128
work="${BENCH_DIR:-/tmp/homolog-bench-cluster}"
rm -rf "$work"; mkdir -p "$work"
python3 bench/cluster/make_data.py "$work/shards" "$N" "$D" "$K"
cargo build --release -q -p homolog-cluster --example bench_cluster
ex=target/release/examples/bench_cluster
ours="$($ex "$work/shards" "$work/out" "$K" "$ITERS")"
peers="$(python3 bench/cluster/peers.py "$work/shards/points.npy" "$K" "$ITERS")"
echo "homolog: $ours"; echo "peers:   $peers"
mpi="null"
if cargo build --release -q -p homolog-cluster --features mpi --bin homolog-cluster-mpi 2>/dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 RAYON_NUM_THREADS=1
  one="$(mpirun -np 1 target/release/homolog-cluster-mpi "$work/shards" "$work/m1" kmeans $K 42 "$ITERS" 0)"
  two="$(mpirun -np 2 --oversubscribe target/release/homolog-cluster-mpi "$work/shards" "$work/m2" kmeans $K 42 "$ITERS" 0)"
  mpi="{\"np1\": $one, \"np2\": $two}"
  echo "mpi:     $mpi"
fi
reads="${HOMOLOG_DATA:-../shared/data}"/genomes/camisim_toy_metagenome/reads.metagenome.fasta.gz
emb="[]"
if [ -e "$reads" ]; then
  emb="[$($ex --embed "$reads" dna-kmer), $($ex --embed "$reads" dna-lsh)]"
  echo "embed:   $emb"
fi
python3 - "$ours" "$peers" "$mpi" "$emb" <<'PY'
import json, sys, statistics as st
ours, peers, mpi, emb = (json.loads(a) for a in sys.argv[1:])
it = st.median(ours["iter_seconds"])
print(f"homolog k-means: median {it*1000:.1f} ms/iteration, total {ours['seconds']['total']:.2f} s (load {ours['seconds']['load']:.2f}, init {ours['seconds']['init']:.2f})")
best = None
for name in ("sklearn", "faiss"):
    p = peers.get(name)
    if p:
        print(f"{name} {p['version']}: {p['iter_seconds']*1000:.1f} ms/iteration, total {p['seconds']:.2f} s -> homolog is {p['iter_seconds']/it:.2f}x")
        best = p["iter_seconds"] if best is None else min(best, p["iter_seconds"])
if best: print(f"ratio vs fastest peer per iteration: {best/it:.2f}x (target >= 1.0)")
if mpi:
    a, b = st.median(mpi["np1"]["iter_seconds"]), st.median(mpi["np2"]["iter_seconds"])
    print(f"MPI 1 thread/rank: 1 rank {a*1000:.1f} ms, 2 ranks {b*1000:.1f} ms per iteration -> efficiency {a/(2*b)*100:.0f}% (target >= 80%)")
for e in emb:
    print(f"embedding {e['model']} (dim {e['dim']}): {e['reads_per_s']:.0f} reads/s")
PY
