#!/usr/bin/env bash
# The AVX-512 checks of issue 18 as one prepared run for the `device` machine (a 16-core Intel
# Xeon with AVX-512 VBMI and VNNI as host of the GPU), which has no Rust toolchain and little
# time: everything is built here and carried over.
#
#   scripts/device-kit.sh prepare   here: builds the release tests of homolog-align and
#                                   homolog-search, the benchmarks (align_bench, pairs_bench,
#                                   lookup_bench) and parasail_bench (with Debian's
#                                   libparasail beside it), makes the pairs of bench/align, and
#                                   puts them in target/device-kit (about 20 MiB)
#   scripts/device-kit.sh run       there (or here, to try it): runs every test binary, then
#                                   bench/align/run.sh on the carried binaries and the lookup
#                                   benchmark (pruning auto and never, 1 thread and all); writes
#                                   tests.txt, align.txt, lookup.txt and cpu.txt to $OUT (or
#                                   target/device-kit/out); exits non-zero if a test failed
#
# With the device tool: run(command="scripts/device-kit.sh run", carry=["target/device-kit"]).
# The test binaries name their fixtures by this checkout's absolute path, so `run` links that
# path to the repository where it is missing. No faiss or Python parasail there: their times
# are the ones recorded in docs/benchmarks.md for that host.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kit="$root/target/device-kit"

prepare() {
  export PATH="$HOME/.cargo/bin:$PATH"
  rm -rf "$kit"
  mkdir -p "$kit/tests" "$kit/release/examples"
  cd "$root"
  cargo test --release --locked -p homolog-align -p homolog-search --no-run --message-format=json \
    | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] != ["example"]:
        print(m["executable"])
' > "$kit/tests.list"
  while read -r exe; do cp "$exe" "$kit/tests/"; done < "$kit/tests.list"
  cargo build --release --locked -p homolog-pairs --example pairs_bench
  cargo build --release --locked -p homolog-align --example align_bench
  cargo build --release --locked -p homolog-search --example lookup_bench
  for ex in pairs_bench align_bench lookup_bench; do
    cp "target/release/examples/$ex" "$kit/release/examples/"
  done
  cc -O2 -o "$kit/parasail_bench" bench/align/parasail_bench.c -lparasail
  local lib
  lib="$(ldd "$kit/parasail_bench" | awk '/libparasail/ {print $3}')"
  [ -n "$lib" ] || { echo "device-kit: libparasail not linked (install libparasail-dev)" >&2; exit 1; }
  mkdir -p "$kit/lib" && cp -L "$lib" "$kit/lib/"
  # As bench/align/run.sh makes them: distinct non-empty pairs, sequences only.
  python3 scripts/parasail/make_pairs.py "${HOMOLOG_DATA:-$root/../shared/data}" \
    | awk -F'\t' '$3 != "" && $4 != "" && !seen[$3 "\t" $4]++ { print $3 "\t" $4 }' \
    > "$kit/pairs.tsv"
  {
    echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)')"
    echo "built $(date -u '+%F %T UTC') on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "checkout $root"
  } > "$kit/manifest.txt"
  echo "device-kit: $(du -sh "$kit" | cut -f1) in $kit"
}

run() {
  [ -f "$kit/manifest.txt" ] || { echo "device-kit: no kit in $kit (scripts/device-kit.sh prepare)" >&2; exit 1; }
  local out="${OUT:-$kit/out}" built
  mkdir -p "$out"
  built="$(sed -n 's/^checkout //p' "$kit/manifest.txt")"
  if [ "$built" != "$root" ] && [ ! -e "$built" ]; then
    mkdir -p "$(dirname "$built")" && ln -s "$root" "$built"
  fi
  {
    cat "$kit/manifest.txt"
    echo "run $(date -u '+%F %T UTC') on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512(f|bw|vl|vbmi|_vnni|_bf16))$' | tr '\n' ' '
    echo
    "$kit/release/examples/align_bench" --batch-kernel
  } > "$out/cpu.txt" 2>&1
  cat "$out/cpu.txt"
  local failed=0 exe
  : > "$out/tests.txt"
  for exe in "$kit"/tests/*; do
    if (cd "$root" && "$exe" --test-threads "$(nproc)") >> "$out/tests.txt" 2>&1; then
      echo "ok     $(basename "$exe")"
    else
      echo "FAILED $(basename "$exe")"
      failed=1
    fi
  done | tee "$out/tests.summary"
  grep -q '^FAILED' "$out/tests.summary" && failed=1
  LD_LIBRARY_PATH="$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" PYTHON_PEER=0 BUILD=0 \
    CARGO_TARGET_DIR="$kit" PARASAIL_BENCH="$kit/parasail_bench" PAIRS="$kit/pairs.tsv" \
    ROUNDS="${ROUNDS:-3}" "$root/bench/align/run.sh" "${HOMOLOG_DATA:-$root/../shared/data}" 0 \
    > "$out/align.txt" 2>&1 || { echo "device-kit: bench/align/run.sh failed" >&2; failed=1; }
  tail -n 25 "$out/align.txt"
  local threads pruning
  : > "$out/lookup.txt"
  for threads in 1 "$(nproc)"; do
    for pruning in auto never auto never; do
      RAYON_NUM_THREADS="$threads" "$kit/release/examples/lookup_bench" medium --data clustered \
        --pruning "$pruning" --reps 1 2>&1 | grep -E '^(two-pass|RESULT)' >> "$out/lookup.txt" \
        || { echo "device-kit: lookup_bench failed" >&2; failed=1; }
    done
  done
  grep '^RESULT' "$out/lookup.txt" | sed 's/ queries=.*best_s=/ best_s=/; s/ median_s=.*//'
  return "$failed"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: $0 prepare|run" >&2; exit 2 ;;
esac
