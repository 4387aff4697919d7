#!/usr/bin/env bash
# Read clustering on the cluster (docs/aws.md): phase 1 as a job array (one task per read file),
# the merge of its shard folders, then phase 2, each step starting when the one before succeeded.
# Prints the three job ids.
#   RUN=/fsx/runs/<run> submit-reads.sh
# Reads from $READS (default $RUN/reads: files uploaded to s3://<bucket>/runs/<run>/reads/ appear
# there through the FSx link; an s3://... prefix works too), writes $RUN/parts/ (per task),
# $RUN/shards/ and $RUN/clusters/, which FSx exports to s3://<bucket>/runs/<run>/.
# Other settings, passed on to the jobs: MODEL, SHARD_ROWS (phase 1), METHOD, K, SEED, TRUTH,
# MPI (phase 2; see scripts/slurm/cluster.sbatch), CPU_PARTITION (default cpu), EMBED_CPUS
# (cpus per array task, default 8), CLUSTER_NODES / CLUSTER_TASKS (phase 2 with MPI=1).
set -euo pipefail
: "${RUN:?set RUN, e.g. RUN=/fsx/runs/sample1}"
jobs="${HOMOLOG_JOBS:-$(cd "$(dirname "$0")" && pwd)}"
export HOMOLOG_JOBS="$jobs"
export READS="${READS:-$RUN/reads}" PARTS="$RUN/parts" SHARDS="$RUN/shards" CLUSTERS="$RUN/clusters"
partition="${CPU_PARTITION:-cpu}"
n="$(bash "$jobs/list-reads.sh" "$READS" | wc -l)"
[ "$n" -gt 0 ] || { echo "submit-reads: no read files in $READS" >&2; exit 1; }
mkdir -p "$RUN/logs"
j1="$(sbatch --parsable --export=ALL --partition="$partition" --array="0-$((n - 1))" \
  --cpus-per-task="${EMBED_CPUS:-8}" --output="$RUN/logs/embed-%A_%a.out" "$jobs/embed-array.sbatch")"
j2="$(sbatch --parsable --export=ALL --partition="$partition" --dependency="afterok:$j1" \
  --output="$RUN/logs/merge-%j.out" "$jobs/merge-shards.sh")"
cluster_opts=(--partition="$partition" --dependency="afterok:$j2" --output="$RUN/logs/cluster-%j.out")
if [ "${MPI:-0}" = 1 ]; then
  cluster_opts+=(--nodes="${CLUSTER_NODES:-2}" --ntasks="${CLUSTER_TASKS:-2}" --exclusive)
else
  # Threads on one whole node.
  cluster_opts+=(--nodes=1 --ntasks=1 --exclusive)
fi
j3="$(sbatch --parsable --export=ALL "${cluster_opts[@]}" "$jobs/cluster.sbatch")"
echo "$j1 $j2 $j3"
