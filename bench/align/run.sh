#!/usr/bin/env bash
# Pairwise alignment benchmark: homolog vs parasail's C library vs Python parasail (PROTEA's
# way), on the same ~11,300 distinct real pairs (scripts/parasail/make_pairs.py: MMseqs2
# example + Swiss-Prot subset + edge cases) in one run, plus one 35,000-residue pair.
#
# Every tool does NW + SW with traceback (nw/sw_trace_striped_32 semantics, BLOSUM62, 10/1)
# and counts identities/similarities/gaps from the traceback. Prints pairs/s, GCUPS (10^9
# DP cells per second, NW + SW cells counted once per mode) and ratios.
#
# Usage: bench/align/run.sh [DATA_DIR] [LONG_LEN]   (defaults: $HOMOLOG_DATA or
#        ../shared/data; 35000; LONG_LEN=0 skips the long pair)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-${HOMOLOG_DATA:-$root/../shared/data}}"
long="${2:-35000}"
work="$(mktemp -d)"
target="${CARGO_TARGET_DIR:-$root/target}"
trap 'rm -rf "$work"' EXIT

py=""
for cand in python3 /usr/bin/python3; do
  if "$cand" -c "import parasail" >/dev/null 2>&1; then py="$cand"; break; fi
done
[ -n "$py" ] || { echo "error: no python with the parasail module (apt-get install python3-parasail)" >&2; exit 1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), AVX2: $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no)"
echo "parasail: $(dpkg-query -W -f='${Version}' libparasail-dev 2>/dev/null || echo unknown); python parasail: $("$py" -c 'import parasail; print(parasail.__version__)')"

(cd "$root" && cargo build -q --release -p homolog-pairs --example pairs_bench)
cc -O2 -o "$work/parasail_bench" "$here/parasail_bench.c" -lparasail

# Distinct non-empty pairs (parasail rejects empty sequences), sequences only.
"$py" "$root/scripts/parasail/make_pairs.py" "$data" \
  | awk -F'\t' '$3 != "" && $4 != "" && !seen[$3 "\t" $4]++ { print $3 "\t" $4 }' > "$work/pairs.tsv"
echo "pairs: $(wc -l < "$work/pairs.tsv") distinct"

"$work/parasail_bench" < "$work/pairs.tsv" | sed 's/^/parasail_c /' > "$work/results.txt"
"$py" "$here/parasail_python.py" < "$work/pairs.tsv" | sed 's/^/parasail_python /' >> "$work/results.txt"
"$target/release/examples/pairs_bench" "$work/pairs.tsv" "$work" >> "$work/results.txt"

"$py" - "$work/results.txt" "$(nproc)" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows[f[0]] = dict(zip(f[1::2], f[2::2]))
cores = int(sys.argv[2])
def rate(name):
    r = rows[name]
    return int(r["pairs"]) / float(r["seconds"]), 2 * float(r["cells"]) / float(r["seconds"]) / 1e9
print(f"{'run':<22}{'seconds':>10}{'pairs/s':>12}{'GCUPS':>8}{'vs parasail C':>15}")
base = rate("parasail_c")[0]
for name in ["parasail_python", "parasail_c", "homolog_1_thread", "homolog_all_threads",
             "homolog_cold_cache", "homolog_warm_cache"]:
    p, g = rate(name)
    print(f"{name:<22}{float(rows[name]['seconds']):>10.3f}{p:>12.1f}{g:>8.2f}{p / base:>14.2f}x")
one = rate("homolog_1_thread")[0]
allt = rate("homolog_all_threads")[0]
print(f"homolog per core vs parasail C (1 thread each): {one / base:.2f}x")
print(f"homolog vs Python parasail loop (1 thread each): {one / rate('parasail_python')[0]:.1f}x")
print(f"scaling 1 -> {cores} threads: {allt / one:.2f}x ({allt / one / cores * 100:.0f}% of linear)")
print(f"warm cache vs cold: {float(rows['homolog_cold_cache']['seconds']) / float(rows['homolog_warm_cache']['seconds']):.1f}x faster")
PY

if [ "$long" != "0" ]; then
  "$target/release/examples/pairs_bench" --long "$long"
fi
