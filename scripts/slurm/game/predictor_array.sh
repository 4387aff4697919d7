#!/bin/bash
#SBATCH --job-name=homolog-predictor
#SBATCH --array=1-4                 # N_PREDICTORS instances; keep N_PREDICTORS in sync
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=05:00:00
#SBATCH --output=%x-%A_%a.out
# One GAME predictor per array task. Each binds a free port on its node and publishes
# "ip:port" in $RUN_DIR/predictors/<task id>.addr (written atomically once it listens).
# Set `threads:` in predictor.yaml to --cpus-per-task.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ip=$(node_ip)
addr_file="$RUN_DIR/predictors/${SLURM_ARRAY_TASK_ID:-1}.addr"
rm -f "$addr_file"
exec "$HOMOLOG" serve predictor --config "$PREDICTOR_CONFIG" --host "$ip" --port 0 \
    --address-file "$addr_file"
