#!/usr/bin/env bash
# Pairwise alignment benchmark: homolog vs parasail's C library vs Python parasail (PROTEA's
# way), on the same ~11,300 distinct real pairs (scripts/parasail/make_pairs.py: MMseqs2
# example + Swiss-Prot subset + edge cases) in one run, plus one 35,000-residue pair.
#
# Every tool does NW + SW with traceback (nw/sw_trace_striped_32 semantics, BLOSUM62, 10/1)
# and counts identities/similarities/gaps from the traceback. parasail runs with its 32-bit
# striped functions (PROTEA's), its 16-bit ones (a saturated result recomputed with 32-bit) and
# its *_sat dispatch (C only); all single-threaded, compared with homolog on 1 thread. Prints pairs/s, GCUPS (10^9
# DP cells per second, NW + SW cells counted once per mode) and ratios. parasail's score-only
# nw/sw_striped_16 (`parasail_c_score16`, no traceback) is the floor a traceback cannot beat.
#
# Then homolog's passes (crates/homolog-align/examples/align_bench.rs, CPU time of 1 thread): the
# batch kernel (many pairs per call; pairs_bench above goes through it), and the per-pair
# default kernel: score-only, one-pass traceback (HOMOLOG_ALIGN_TRACEBACK=full) and two-pass
# traceback (two-pass: checkpointed score pass + blocks recomputed), and the long pair with both
# tracebacks in separate processes (peak RSS each).
#
# Usage: bench/align/run.sh [DATA_DIR] [LONG_LEN]   (defaults: $HOMOLOG_DATA or
#        ../shared/data; 35000; LONG_LEN=0 skips the long pair); ROUNDS=N (default 2)
# Environment, for a machine without the toolchain (binaries built elsewhere, copied over):
#   BUILD=0          no cargo call: the examples are taken from $CARGO_TARGET_DIR/release/examples
#   PARASAIL_BENCH   a built parasail_bench (default: compiled here with cc -lparasail)
#   PAIRS            a pairs TSV made by make_pairs.py (default: made here from DATA_DIR)
#   PYTHON_PEER=0    leaves out Python parasail (default 1: required)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-${HOMOLOG_DATA:-$root/../shared/data}}"
long="${2:-35000}"
work="$(mktemp -d)"
target="${CARGO_TARGET_DIR:-$root/target}"
trap 'rm -rf "$work"' EXIT

py=""
python_peer="${PYTHON_PEER:-1}"
for cand in python3 /usr/bin/python3; do
  if "$cand" -c "import parasail" >/dev/null 2>&1; then py="$cand"; break; fi
done
if [ "$python_peer" = 0 ]; then
  py=python3
elif [ -z "$py" ]; then
  echo "error: no python with the parasail module (apt-get install python3-parasail; PYTHON_PEER=0 leaves that peer out)" >&2
  exit 1
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), AVX2: $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no)"
if [ "$python_peer" != 0 ]; then pyver="$("$py" -c 'import parasail; print(parasail.__version__)')"; else pyver="left out"; fi
echo "parasail: $(dpkg-query -W -f='${Version}' libparasail-dev 2>/dev/null || echo unknown); python parasail: $pyver"

if [ "${BUILD:-1}" != 0 ]; then
  (cd "$root" && cargo build -q --release -p homolog-pairs --example pairs_bench \
    && cargo build -q --release -p homolog-align --example align_bench)
fi
if [ -n "${PARASAIL_BENCH:-}" ]; then
  cp "$PARASAIL_BENCH" "$work/parasail_bench"
else
  cc -O2 -o "$work/parasail_bench" "$here/parasail_bench.c" -lparasail
fi

# Distinct non-empty pairs (parasail rejects empty sequences), sequences only.
if [ -n "${PAIRS:-}" ]; then
  cp "$PAIRS" "$work/pairs.tsv"
else
  "$py" "$root/scripts/parasail/make_pairs.py" "$data" \
    | awk -F'\t' '$3 != "" && $4 != "" && !seen[$3 "\t" $4]++ { print $3 "\t" $4 }' > "$work/pairs.tsv"
fi
echo "pairs: $(wc -l < "$work/pairs.tsv") distinct"

# ROUNDS rounds (default 2), each running every tool once, interleaved (parasail C 32/16/sat,
# homolog, Python 32/16) so that load from other programs hits all of them alike; the summary
# keeps each run's best round and prints per-round ratios. The load average is logged per run.
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ','; }
for round in $(seq 1 "${ROUNDS:-2}"); do
  for w in 32 16 sat score16; do
    l="$(load)"; echo "round $round parasail C $w (load $l)" >&2
    "$work/parasail_bench" "$w" < "$work/pairs.tsv" | sed "s/^/parasail_c_$w round $round load $l /" >> "$work/results.txt"
  done
  l="$(load)"; echo "round $round homolog (load $l)" >&2
  "$target/release/examples/pairs_bench" "$work/pairs.tsv" "$work" | sed "s/^\([a-z_0-9]*\) /\1 round $round load $l /" >> "$work/results.txt"
  for w in 32 16; do
    [ "$python_peer" != 0 ] || continue
    l="$(load)"; echo "round $round parasail Python $w (load $l)" >&2
    "$py" "$here/parasail_python.py" "$w" < "$work/pairs.tsv" | sed "s/^/parasail_python_$w round $round load $l /" >> "$work/results.txt"
  done
done

"$py" - "$work/results.txt" "$(nproc)" <<'PY'
import sys
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    r = dict(zip(f[1::2], f[2::2]))
    runs.setdefault(f[0], []).append(r)
cores = int(sys.argv[2])
rows = {name: min(rs, key=lambda r: float(r["seconds"])) for name, rs in runs.items()}
def rate(r):
    return int(r["pairs"]) / float(r["seconds"]), 2 * float(r["cells"]) / float(r["seconds"]) / 1e9
order = ["parasail_python_32", "parasail_python_16", "parasail_c_32", "parasail_c_16", "parasail_c_sat",
         "parasail_c_score16", "homolog_1_thread", "homolog_all_threads", "homolog_cold_cache", "homolog_warm_cache"]
print(f"best of {len(runs['homolog_1_thread'])} rounds per run")
print(f"{'run':<22}{'seconds':>10}{'pairs/s':>12}{'GCUPS':>8}{'vs C 32':>10}{'vs C 16':>10}{'fallbacks':>11}  load (1/5/15)")
b32, b16 = rate(rows["parasail_c_32"])[0], rate(rows["parasail_c_16"])[0]
for name in (n for n in order if n in rows):
    r = rows[name]
    p, g = rate(r)
    print(f"{name:<22}{float(r['seconds']):>10.3f}{p:>12.1f}{g:>8.2f}{p / b32:>9.2f}x{p / b16:>9.2f}x"
          f"{r.get('fallbacks', '-'):>11}  {r['load']}")
for lang in ("c", "python"):
    sums = {w: runs[f"parasail_{lang}_{w}"][0]["checksum"] for w in ("32", "16", "sat") if f"parasail_{lang}_{w}" in runs}
    if sums:
        print(f"parasail {lang} checksums {sums}: {'equal' if len(set(sums.values())) == 1 else 'DIFFER'}")
one = rate(rows["homolog_1_thread"])[0]
allt = rate(rows["homolog_all_threads"])[0]
for peer in (p for p in ("parasail_c_32", "parasail_c_16", "parasail_c_sat", "parasail_c_score16",
                          "parasail_python_32", "parasail_python_16") if p in runs):
    per_round = [float(p["seconds"]) / float(h["seconds"]) for p, h in zip(runs[peer], runs["homolog_1_thread"])]
    print(f"homolog 1 thread vs {peer} (1 thread each): {one / rate(rows[peer])[0]:.2f}x best-of-rounds; "
          f"per round {', '.join(f'{x:.2f}x' for x in per_round)}")
print(f"scaling 1 -> {cores} threads: {allt / one:.2f}x ({allt / one / cores * 100:.0f}% of linear)")
print(f"warm cache vs cold: {float(rows['homolog_cold_cache']['seconds']) / float(rows['homolog_warm_cache']['seconds']):.1f}x faster")
PY

# homolog per pass: the batch kernel (many pairs per call, what homolog-pairs uses), then the
# per-pair default kernel: score-only (the first pass's floor), one-pass and two-pass traceback
# (CPU seconds of the thread, so comparable despite other load).
lanes="$("$target/release/examples/align_bench" --batch-kernel)"
echo "homolog batch kernel: $lanes lanes (load $(load)):"
"$target/release/examples/align_bench" "$work/pairs.tsv" 1 batch
if [ "$lanes" = avx512 ]; then
  echo "homolog batch kernel on AVX2 lanes, HOMOLOG_ALIGN_BATCH=avx2 (load $(load)):"
  HOMOLOG_ALIGN_BATCH=avx2 "$target/release/examples/align_bench" "$work/pairs.tsv" 1 batch
fi
for tb in full two-pass; do
  echo "homolog passes, HOMOLOG_ALIGN_TRACEBACK=$tb (load $(load)):"
  HOMOLOG_ALIGN_TRACEBACK=$tb "$target/release/examples/align_bench" "$work/pairs.tsv" 1 auto
done

if [ "$long" != "0" ]; then
  "$target/release/examples/pairs_bench" --long "$long"
  for tb in full two-pass; do
    HOMOLOG_ALIGN_TRACEBACK=$tb "$target/release/examples/align_bench" --long "$long"
  done
fi
