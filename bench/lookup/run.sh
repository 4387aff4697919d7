#!/usr/bin/env bash
# Lookup benchmark: homolog's exact KNN vs FANTASIA's CPU path (SciPy cdist + argsort).
#
# Usage: bench/lookup/run.sh [small|large] [scipy_queries]
#   small (default): 2,000 queries x 12,500 references x 1024, k = 5, cosine (CI-sized)
#   large:           20,000 x 125,000 x 1024 (FANTASIA's published lookup size; writes a
#                    500 MiB refs.npy and needs about 1.2 GiB of RAM)
#   scipy_queries:   how many queries SciPy times (default 200; its time is extrapolated)
# Environment: LOOKUP_BENCH_DIR (where the .npy files go; default a fresh temp dir, removed at
# the end unless KEEP_DATA=1), RAYON_NUM_THREADS (homolog threads; default all cores).
set -euo pipefail

size="${1:-small}"
subset="${2:-200}"
case "$size" in small|large) ;; *) echo "usage: $0 [small|large] [scipy_queries]" >&2; exit 2 ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="${LOOKUP_BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/homolog-lookup-bench.XXXXXX")}"
if [[ -z "${LOOKUP_BENCH_DIR:-}" && "${KEEP_DATA:-0}" != 1 ]]; then
  trap 'rm -rf "$data"' EXIT
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cd "$root"
cargo run --quiet --release -p homolog-search --example lookup_bench -- \
  "$size" --npy-dir "$data" --subset "$subset"
echo "== FANTASIA CPU path (SciPy) on the same data"
python3 "$root/bench/lookup/scipy_cdist.py" --dir "$data"
