#!/bin/bash
# Submits the whole GAME workflow: N predictors (job array), the distributor, the evaluator.
# The jobs find each other through files in $RUN_DIR, so they may start in any order.
#   RUN_DIR=/scratch/me/game1 PREDICTOR_CONFIG=/path/predictor.yaml N_PREDICTORS=4 \
#       REQUEST=/path/request.json scripts/slurm/game/submit.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${RUN_DIR:?set RUN_DIR}"
: "${N_PREDICTORS:=4}"
export RUN_DIR N_PREDICTORS
mkdir -p "$RUN_DIR"
rm -f "$RUN_DIR"/predictors/*.addr "$RUN_DIR/distributor.addr"
pred=$(sbatch --parsable --array=1-"$N_PREDICTORS" "$here/predictor_array.sh")
dist=$(sbatch --parsable "$here/distributor.sh")
eval=$(sbatch --parsable "$here/evaluator.sh")
echo "predictors: $pred  distributor: $dist  evaluator: $eval"
echo "when the evaluator is done: scancel $pred $dist"
