#!/usr/bin/env bash
# Joins the shard folders that the phase-1 array wrote (PARTS/part-*/) into one shard folder OUT,
# which `homolog reads cluster --input OUT` reads. The shards are hard-linked (copied across file
# systems) as OUT/<part>-<shard>.parquet, in part order, and OUT/manifest.json is written last
# (temporary name, then rename), like homolog's own writer: a folder with a manifest is complete.
# Fails, naming the part, when a part has no manifest or its model, parameters, dimension or
# format differ from the first part's. Needs jq.
#   merge-shards.sh PARTS OUT      (or as a Slurm job: PARTS=... SHARDS=... sbatch merge-shards.sh)
#SBATCH --job-name=homolog-merge
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --output=homolog-merge-%j.out
set -euo pipefail
parts="${1:-${PARTS:-}}" out="${2:-${SHARDS:-}}"
if [ -z "$parts" ] || [ -z "$out" ]; then
  echo "usage: merge-shards.sh PARTS OUT (or PARTS=... SHARDS=... as a job)" >&2
  exit 2
fi
command -v jq >/dev/null 2>&1 || { echo "merge-shards: jq is not installed" >&2; exit 1; }
fail() { echo "merge-shards: $*" >&2; exit 1; }

mapfile -t dirs < <(find "$parts" -mindepth 1 -maxdepth 1 -type d -name 'part-*' | LC_ALL=C sort)
[ ${#dirs[@]} -gt 0 ] || fail "no part-* folders in $parts"
[ ! -e "$out/manifest.json" ] || fail "$out already holds a shard folder (manifest.json); remove it or choose another"
mkdir -p "$out"

# The fields every part must share with the first one.
same='{format, version, model, params, dim}'
first="${dirs[0]}/manifest.json"
[ -s "$first" ] || fail "${dirs[0]} has no manifest.json: its array task did not finish (resubmit the array)"
want="$(jq -cS "$same" "$first")"
lists=()
for d in "${dirs[@]}"; do
  m="$d/manifest.json"
  [ -s "$m" ] || fail "$d has no manifest.json: its array task did not finish (resubmit the array)"
  got="$(jq -cS "$same" "$m")"
  [ "$got" = "$want" ] || fail "$d was embedded differently from ${dirs[0]}: $got vs $want"
  tag="$(basename "$d")"
  while IFS= read -r f; do
    ln -f "$d/$f" "$out/$tag-$f" 2>/dev/null || cp -f "$d/$f" "$out/$tag-$f"
  done < <(jq -r '.shards[].file' "$m")
  # This part's manifest with its shard names as they are in OUT.
  lists+=("$(jq -c --arg tag "$tag" '.shards |= map(.file = $tag + "-" + .file)' "$m")")
done

printf '%s\n' "${lists[@]}" | jq -s '
  .[0] + {
    rows: (map(.rows) | add),
    shards: (map(.shards) | add),
    inputs: (map(.inputs // []) | add)
  }' >"$out/.manifest.json.tmp"
mv "$out/.manifest.json.tmp" "$out/manifest.json"
echo "merge-shards: $(jq '.shards | length' "$out/manifest.json") shards, $(jq .rows "$out/manifest.json") reads from ${#dirs[@]} parts -> $out"
