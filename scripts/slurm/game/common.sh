# Shared settings of the GAME Slurm templates (sourced). Override any of them in the
# environment before sbatch (sbatch exports the submitting shell's environment by default).
: "${RUN_DIR:?set RUN_DIR to a folder on a file system shared by all nodes}"
: "${HOMOLOG:=homolog}"                       # path to the homolog binary
: "${PREDICTOR_CONFIG:=$RUN_DIR/predictor.yaml}"
: "${N_PREDICTORS:=4}"                        # must match the array size of predictor_array.sh
: "${WAIT_TIMEOUT_S:=3600}"                   # how long a job waits for the files of the others
# Which address of `hostname -I` other nodes can reach (GAME's cluster needs the 2nd: 2).
: "${HOST_IP_INDEX:=1}"
node_ip() { hostname -I | tr ' ' '\n' | sed -n "${HOST_IP_INDEX}p"; }
# wait_for FILE...: polls until every file exists (GAME's Slurm pattern), or fails.
wait_for() {
    local waited=0
    for f in "$@"; do
        while [ ! -s "$f" ]; do
            if [ "$waited" -ge "$WAIT_TIMEOUT_S" ]; then
                echo "timed out after ${WAIT_TIMEOUT_S}s waiting for $f" >&2
                return 1
            fi
            sleep 5
            waited=$((waited + 5))
        done
    done
}
mkdir -p "$RUN_DIR/predictors" "$RUN_DIR/logs"
