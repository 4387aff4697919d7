#!/bin/bash
#SBATCH --job-name=homolog-evaluator
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --time=05:00:00
#SBATCH --output=%x-%j.out
# Waits for the distributor's address file and runs a GAME evaluator against it, as
# `$EVALUATOR_CMD HOST PORT` (e.g. "apptainer run evaluator.sif"; GAME evaluators take the
# predictor's host and port as their first two arguments). Default: homolog's small Python
# evaluator client with $REQUEST (a GAME request JSON).
set -euo pipefail
source "$(dirname "$0")/common.sh"
wait_for "$RUN_DIR/distributor.addr"
a=$(cat "$RUN_DIR/distributor.addr")
host=${a%:*}
port=${a##*:}
echo "evaluating against the distributor at $host:$port"
if [ -n "${EVALUATOR_CMD:-}" ]; then
    # shellcheck disable=SC2086
    exec $EVALUATOR_CMD "$host" "$port"
fi
: "${REQUEST:?set REQUEST to a GAME request JSON, or EVALUATOR_CMD to an evaluator}"
exec python3 "${HOMOLOG_SRC:-.}/crates/homolog-serve/tests/evaluator_client.py" "$host" "$port" "$REQUEST"
