#!/bin/bash
#SBATCH --job-name=homolog-distributor
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=05:00:00
#SBATCH --output=%x-%j.out
# Waits for the N predictors' address files, writes distributor_config.yaml (GAME's format)
# from them, and starts the distributor; it publishes its own "ip:port" in
# $RUN_DIR/distributor.addr once every predictor passed the health check.
set -euo pipefail
source "$(dirname "$0")/common.sh"
files=()
for i in $(seq 1 "$N_PREDICTORS"); do files+=("$RUN_DIR/predictors/$i.addr"); done
wait_for "${files[@]}"
cfg="$RUN_DIR/distributor_config.yaml"
{
    echo "predictor_pool:"
    for i in $(seq 1 "$N_PREDICTORS"); do
        a=$(cat "$RUN_DIR/predictors/$i.addr")
        echo "  - {id: $i, pred_ip: \"${a%:*}\", pred_port: ${a##*:}}"
    done
    echo "retries: ${RETRIES:-1}"
    echo "health_check: {timeout_s: 300}"
} > "$cfg.tmp" && mv "$cfg.tmp" "$cfg"
rm -f "$RUN_DIR/distributor.addr"
exec "$HOMOLOG" distribute --config "$cfg" "$(node_ip)" 0 --address-file "$RUN_DIR/distributor.addr"
