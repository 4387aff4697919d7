#!/usr/bin/env bash
# Submits a sharded annotation run: the array job (annotate.sbatch, task i = shard i of SHARDS),
# then the merge (annotate-merge.sbatch) depending on the whole array's success; prints both
# job ids. Usage:
#   CONFIG=config.yaml QUERIES=proteome.fasta SHARDS=8 PARTS=/shared/parts [OUT=...] \
#     [HOMOLOG=...] scripts/slurm/annotate-submit.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${SHARDS:?set SHARDS}"
[ "$SHARDS" -ge 1 ] || { echo "SHARDS must be at least 1" >&2; exit 2; }
array="$(sbatch --parsable --export=ALL --array=0-$((SHARDS - 1)) "$here/annotate.sbatch")"
merge="$(sbatch --parsable --export=ALL --dependency=afterok:"$array" "$here/annotate-merge.sbatch")"
echo "$array $merge"
