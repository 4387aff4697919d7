#!/usr/bin/env bash
# homolog-models vs Python transformers on CPU: same random-weight checkpoints, same proteins,
# same sorted batches, same thread count, in the same run. Prints one JSON line per run and
# the throughput / memory ratios. transformers' peak RSS is also split into the baseline (VmRSS
# after importing torch + transformers, before the model and data) and working memory (peak -
# baseline); homolog's peak is compared with both. With REPS=r (default 1) each measurement is repeated r times,
# transformers and homolog alternating, and the fastest run of each is kept (for busy machines).
#   bench/models/run.sh [N=1000] [BATCH=16] [MAX_LEN=512] [THREADS=$(nproc)]
#   MODELS="esm2_t6 t5_l6_d512" REPS=2 bench/models/run.sh 100 16 512 2
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000}; BATCH=${2:-16}; MAX_LEN=${3:-512}; THREADS=${4:-$(nproc)}
DATA=${HOMOLOG_DATA:-$(pwd)/../shared/data}
FASTA=$DATA/proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz
CK=${BENCH_MODELS:-/tmp/homolog-bench-models}
REPS=${REPS:-1}
MODELS=${MODELS:-esm2_t6 esm2_t12 t5_l6_d512}
export RAYON_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
[ -d "$CK/t5_l6_d512" ] || python3 bench/models/bench.py build "$CK"
cargo build --release -q -p homolog-models --example embed_bench
BIN=target/release/examples/embed_bench
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), avx512f: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no), threads=$THREADS N=$N batch=$BATCH max_len=$MAX_LEN reps=$REPS, load: $(cut -d' ' -f1-3 /proc/loadavg)"
# Fastest of REPS runs (one JSON line each, on stdin).
best() { python3 -c 'import json,sys; print(json.dumps(min((json.loads(l) for l in sys.stdin if l.strip()), key=lambda r: r["seconds"])))'; }
for name in $MODELS; do
  case $name in esm2*) kind=esm2 ;; *) kind=prot_t5 ;; esac
  pys=""; rss=""; rsbs=""
  for _ in $(seq "$REPS"); do
    pys+=$(python3 bench/models/bench.py run "$kind" "$CK/$name" "$FASTA" "$N" "$BATCH" "$MAX_LEN" 2>/dev/null | tail -1)$'\n'
    rss+=$("$BIN" "$kind" "$CK/$name" "$FASTA" "$N" "$BATCH" "$MAX_LEN")$'\n'
    rsbs+=$("$BIN" "$kind" "$CK/$name" "$FASTA" "$N" 256 "$MAX_LEN" $((BATCH * MAX_LEN)))$'\n'
  done
  py=$(printf %s "$pys" | best); rs=$(printf %s "$rss" | best); rsb=$(printf %s "$rsbs" | best)
  echo "$name transformers: $py"
  echo "$name homolog:      $rs"
  echo "$name homolog (token budget $((BATCH * MAX_LEN))): $rsb"
  echo "  load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 - "$py" "$rs" "$rsb" <<'PY'
import json, sys
p, r, b = (json.loads(x) for x in sys.argv[1:4])
print(f"  residues/s: transformers {p['res_per_s']}, homolog {r['res_per_s']}, homolog token budget {b['res_per_s']}")
print(f"  throughput ratio homolog/transformers: {r['emb_per_s'] / p['emb_per_s']:.2f}x (same batches), "
      f"{b['emb_per_s'] / p['emb_per_s']:.2f}x (token budget); peak RSS ratio {r['peak_rss_mib'] / p['peak_rss_mib']:.2f}")
if "baseline_rss_mib" in p:
    print(f"  transformers peak RSS {p['peak_rss_mib']} MiB = baseline (interpreter + torch + transformers "
          f"imports, before model and data) {p['baseline_rss_mib']} MiB + working {p['working_mib']} MiB; "
          f"homolog peak RSS / transformers working memory {r['peak_rss_mib'] / p['working_mib']:.2f}")
PY
done
