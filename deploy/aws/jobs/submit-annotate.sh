#!/usr/bin/env bash
# Annotation at scale on the cluster (docs/aws.md): one `homolog run` per query FASTA file, as a
# job array on the gpu queue (or the cpu queue with PARTITION=cpu and a CPU configuration).
# Prints the job id.
#   RUN=/fsx/runs/<run> REFERENCE=/fsx/reference CONFIG=/fsx/runs/<run>/homolog.yaml submit-annotate.sh
# Query files from $QUERIES (default $RUN/queries), results in $RUN/annotations/<file>/, logs in
# $RUN/logs/. PARTITION (default gpu), CPUS (per task, default 8), GPUS (per task, default 1 on
# the gpu partition), RUN_ARGS (more `homolog run` options).
set -euo pipefail
: "${RUN:?set RUN}" "${REFERENCE:?set REFERENCE}" "${CONFIG:?set CONFIG}"
jobs="${HOMOLOG_JOBS:-$(cd "$(dirname "$0")" && pwd)}"
export HOMOLOG_JOBS="$jobs" QUERIES="${QUERIES:-$RUN/queries}" OUT="$RUN/annotations" REFERENCE CONFIG
partition="${PARTITION:-gpu}"
n="$(find "$QUERIES" -maxdepth 1 \( -type f -o -type l \) | grep -cE '\.(fa|fasta|faa)(\.gz)?$' || true)"
[ "$n" -gt 0 ] || { echo "submit-annotate: no FASTA files in $QUERIES" >&2; exit 1; }
opts=(--partition="$partition" --array="0-$((n - 1))" --cpus-per-task="${CPUS:-8}" --output="$RUN/logs/annotate-%A_%a.out")
if [ "$partition" = gpu ] || [ -n "${GPUS:-}" ]; then opts+=(--gpus-per-task="${GPUS:-1}"); fi
mkdir -p "$RUN/logs" "$OUT"
sbatch --parsable --export=ALL "${opts[@]}" "$jobs/annotate-array.sbatch"
