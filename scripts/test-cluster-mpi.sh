#!/usr/bin/env bash
# MPI part of the read-clustering tests (issue 5), kept out of the default `cargo test
# --workspace` because the `mpi` cargo feature needs the system OpenMPI and libclang
# (scripts/setup.d/50-cluster.sh installs them):
#   1. clippy with homolog-cluster's `mpi` feature;
#   2. crates/homolog-cluster/tests/mpi.rs: `mpirun -np 1/2/4 --oversubscribe` give the same
#      assignments as the threaded run (k-means and LSH, CAMISIM reads when $HOMOLOG_DATA has them);
#   3. `homolog reads cluster --mpi` under mpirun -np 2 equals the threaded CLI run (k-means, and
#      the Markov-chain mixture), and k-means the same through
#      Slurm (scripts/slurm/submit.sh with MPI=1) when a Slurm is up (scripts/services.sh).
# Called at the end of scripts/test.sh; runs on its own too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export HOMOLOG_DATA="${HOMOLOG_DATA:-$(cd .. && pwd)/shared/data}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none   # containers without CMA/ptrace
if ! command -v mpirun >/dev/null 2>&1; then
  echo "test-cluster-mpi: mpirun not found; run scripts/setup.sh --test (setup.d/50-cluster.sh)" >&2
  exit 1
fi
target="${CARGO_TARGET_DIR:-target}"

# With --workspace the features of every dependency are the ones `cargo test --workspace` built
# with, so only homolog-cluster, the MPI crates and the CLI are compiled again (built alone,
# `-p homolog-cluster` resolves other features and rebuilds about a hundred crates).
cargo clippy --workspace --all-targets --features homolog-cluster/mpi --locked -- -D warnings
cargo test --workspace --features homolog-cluster/mpi --locked --test mpi

# The CLI with --mpi, against its own threaded run.
cargo build --workspace --features homolog-cli/mpi --locked --bin homolog
bin="$(realpath "$target/debug/homolog")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Missing data or Slurm fails with HOMOLOG_REQUIRE_DATA (or _SERVICES) set to anything but 0.
strict() { [ "${HOMOLOG_REQUIRE_DATA:-0}${HOMOLOG_REQUIRE_SERVICES:-0}" != 00 ]; }
reads="$HOMOLOG_DATA/genomes/camisim_toy_metagenome/reads.metagenome.fasta.gz"
if [ ! -e "$reads" ]; then
  if strict; then
    echo "test-cluster-mpi: $reads not found (HOMOLOG_REQUIRE_DATA is set); set HOMOLOG_DATA" >&2
    exit 1
  fi
  echo "test-cluster-mpi: $reads not found; skipped: using synthetic reads" >&2
  python3 - "$work/reads.fa" <<'PY'
import random, sys
r = random.Random(5)
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        gc = (0.3, 0.5, 0.7)[i % 3]
        s = "".join(r.choice("GC") if r.random() < gc else r.choice("AT") for _ in range(150))
        f.write(f">r{i}\n{s}\n")
PY
  reads="$work/reads.fa"
fi
"$bin" reads embed --model dna-kmer --input "$reads" --out "$work/shards" --shard-rows 5000
"$bin" reads cluster --input "$work/shards" --out "$work/threads" --k 10 --seed 7
RAYON_NUM_THREADS=1 mpirun -np 2 --oversubscribe "$bin" reads cluster --input "$work/shards" \
  --out "$work/mpi2" --k 10 --seed 7 --mpi --threads 1
same() {
  python3 - "$1" "$2" <<'PY'
import sys, pyarrow.parquet as pq
a, b = (pq.read_table(p + "/assignments.parquet") for p in sys.argv[1:])
assert a.column("read_id").equals(b.column("read_id")), "read ids differ"
assert a.column("cluster").equals(b.column("cluster")), "clusters differ"
print("test-cluster-mpi: identical assignments:", sys.argv[1], sys.argv[2], a.num_rows, "reads")
PY
}
same "$work/threads" "$work/mpi2"
grep -q '"processes": 2' "$work/mpi2/summary.json"
# The Markov-chain mixture (exact fixed-point EM sums) over 2 ranks equals the threaded run.
"$bin" reads cluster --input "$work/shards" --reads "$reads" --method markov --k auto --seed 7 \
  --out "$work/markov-threads"
RAYON_NUM_THREADS=1 mpirun -np 2 --oversubscribe "$bin" reads cluster --input "$work/shards" \
  --reads "$reads" --method markov --k auto --seed 7 --out "$work/markov-mpi2" --mpi --threads 1
same "$work/markov-threads" "$work/markov-mpi2"
grep -q '"processes": 2' "$work/markov-mpi2/summary.json"

# Phase 2 as MPI ranks through Slurm, phase 1 as a dependency.
if timeout 5 sinfo -h >/dev/null 2>&1; then
  ids="$(cd "$work" && HOMOLOG="$bin" READS="$reads" SHARDS="$work/shards-slurm" \
    CLUSTERS="$work/slurm-mpi" K=10 SEED=7 SHARD_ROWS=5000 MPI=1 \
    bash "$OLDPWD/scripts/slurm/submit.sh")"
  j1="${ids%% *}" j2="${ids##* }"
  for _ in $(seq 1 300); do
    st1="$(scontrol show job "$j1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 || true)"
    case "$st1" in
      FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)
        cat "$work"/*.out >&2; echo "test-cluster-mpi: Slurm embed job $j1 $st1" >&2; exit 1 ;;
    esac
    st="$(scontrol show job "$j2" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 || true)"
    case "$st" in
      COMPLETED) break ;;
      FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)
        cat "$work"/*.out >&2; echo "test-cluster-mpi: Slurm job $j2 $st" >&2; exit 1 ;;
    esac
    sleep 1
  done
  [ "$st" = COMPLETED ] || { cat "$work"/*.out >&2; echo "test-cluster-mpi: Slurm job $j2 still $st" >&2; exit 1; }
  same "$work/threads" "$work/slurm-mpi"
  grep -q '"processes": 2' "$work/slurm-mpi/summary.json"
elif strict; then
  echo "test-cluster-mpi: Slurm not running (HOMOLOG_REQUIRE_DATA is set); scripts/services.sh starts it" >&2
  exit 1
else
  echo "test-cluster-mpi: Slurm not running; skipped the Slurm MPI run (scripts/services.sh starts it)"
fi
echo "test-cluster-mpi: ok"
