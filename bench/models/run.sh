#!/usr/bin/env bash
# homolog-models vs Python transformers on CPU: same random-weight checkpoints, same proteins,
# same sorted batches, same thread count, in the same run. Prints one JSON line per run and
# the throughput / memory ratios.
#   bench/models/run.sh [N=1000] [BATCH=16] [MAX_LEN=512] [THREADS=$(nproc)]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000}; BATCH=${2:-16}; MAX_LEN=${3:-512}; THREADS=${4:-$(nproc)}
DATA=${HOMOLOG_DATA:-$(pwd)/../shared/data}
FASTA=$DATA/proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz
CK=${BENCH_MODELS:-/tmp/homolog-bench-models}
export RAYON_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
[ -d "$CK/t5_l6_d512" ] || python3 bench/models/bench.py build "$CK"
cargo build --release -q -p homolog-models --example embed_bench
BIN=target/release/examples/embed_bench
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), threads=$THREADS N=$N batch=$BATCH max_len=$MAX_LEN"
for pair in esm2:esm2_t6 esm2:esm2_t12 prot_t5:t5_l6_d512; do
  kind=${pair%%:*}; name=${pair#*:}
  py=$(python3 bench/models/bench.py run "$kind" "$CK/$name" "$FASTA" "$N" "$BATCH" "$MAX_LEN" 2>/dev/null | tail -1)
  rs=$("$BIN" "$kind" "$CK/$name" "$FASTA" "$N" "$BATCH" "$MAX_LEN")
  rsb=$("$BIN" "$kind" "$CK/$name" "$FASTA" "$N" 256 "$MAX_LEN" $((BATCH * MAX_LEN)))
  echo "$name transformers: $py"
  echo "$name homolog:      $rs"
  echo "$name homolog (token budget $((BATCH * MAX_LEN))): $rsb"
  python3 - "$py" "$rs" "$rsb" <<'PY'
import json, sys
p, r, b = (json.loads(x) for x in sys.argv[1:4])
print(f"  throughput ratio homolog/transformers: {r['emb_per_s'] / p['emb_per_s']:.2f}x (same batches), "
      f"{b['emb_per_s'] / p['emb_per_s']:.2f}x (token budget); peak RSS ratio {r['peak_rss_mib'] / p['peak_rss_mib']:.2f}")
PY
done
