#!/usr/bin/env bash
# Submits both phases, phase 2 depending on phase 1's success; prints the two job ids.
# Usage: READS=... SHARDS=... CLUSTERS=... [K=10 MODEL=dna-kmer MPI=0 TRUTH=...] scripts/slurm/submit.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
j1="$(sbatch --parsable --export=ALL "$here/embed.sbatch")"
j2="$(sbatch --parsable --export=ALL --dependency=afterok:"$j1" "$here/cluster.sbatch")"
echo "$j1 $j2"
