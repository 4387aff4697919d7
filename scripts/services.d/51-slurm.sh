#!/usr/bin/env bash
# Single-node Slurm (slurmctld + slurmd on localhost, munge) for the Slurm integration test.
set -euo pipefail
exec bash "$(dirname "$0")/../slurm/start-local.sh"
