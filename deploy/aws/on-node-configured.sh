#!/usr/bin/env bash
# ParallelCluster OnNodeConfigured action of every node (deploy/aws/cluster.yaml): installs the
# homolog binary and the Slurm job scripts from the data bucket, then runs `homolog --version`,
# so that a node whose binary cannot run fails its bootstrap (ParallelCluster then replaces it)
# instead of failing jobs later.
#
#   on-node-configured.sh BUCKET
#
# Reads, from s3://BUCKET/bin/ (uploaded as docs/aws.md step 3 says):
#   homolog, homolog.sha256             the static CPU build (every node)
#   homolog-cuda, homolog-cuda.sha256   the cuda build (nodes with an NVIDIA GPU; optional)
#   jobs/                               scripts/slurm/*.sbatch, submit.sh and deploy/aws/jobs/*
# and installs them as $HOMOLOG_PREFIX/bin/homolog and $HOMOLOG_PREFIX/jobs/ (default /opt/homolog),
# with $HOMOLOG_PROFILE_D/homolog.sh (default /etc/profile.d) putting the binary on PATH and
# naming HOMOLOG_JOBS and HOMOLOG_BUCKET for login shells and jobs. Needs the AWS CLI (on
# ParallelCluster's AMIs) and the node's instance profile to read the bucket; installs jq with
# the system's package manager when it is missing. Idempotent.
set -euo pipefail
bucket="${1:?usage: on-node-configured.sh BUCKET}"
prefix="${HOMOLOG_PREFIX:-/opt/homolog}"
profile_d="${HOMOLOG_PROFILE_D:-/etc/profile.d}"
src="s3://$bucket/bin"
log() { echo "homolog-install: $*"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The cuda build where there is a GPU and the bucket has that build, else the CPU build.
name=homolog
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  if aws s3 ls "$src/homolog-cuda" >/dev/null 2>&1; then
    name=homolog-cuda
  else
    log "NVIDIA GPU found but no $src/homolog-cuda; installing the CPU build"
  fi
fi
aws s3 cp --only-show-errors "$src/$name" "$work/homolog"
aws s3 cp --only-show-errors "$src/$name.sha256" "$work/homolog.sha256"
want="$(awk '{print $1; exit}' "$work/homolog.sha256")"
got="$(sha256sum "$work/homolog" | awk '{print $1}')"
if [ "$want" != "$got" ]; then
  echo "homolog-install: $src/$name has sha256 $got, but $name.sha256 says $want; upload both again" >&2
  exit 1
fi
install -D -m 0755 "$work/homolog" "$prefix/bin/homolog"

mkdir -p "$work/jobs"
aws s3 cp --only-show-errors --recursive "$src/jobs/" "$work/jobs/"
for f in "$work"/jobs/*; do
  [ -f "$f" ] || continue
  install -D -m 0755 "$f" "$prefix/jobs/$(basename "$f")"
done
[ -e "$prefix/jobs/submit-reads.sh" ] || { echo "homolog-install: $src/jobs/ lacks submit-reads.sh" >&2; exit 1; }

# merge-shards.sh (phase 1's last step) needs jq, which not every AMI carries.
if ! command -v jq >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q jq >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q jq >/dev/null; }
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y -q jq >/dev/null
  fi
  command -v jq >/dev/null 2>&1 || { echo "homolog-install: could not install jq" >&2; exit 1; }
fi

mkdir -p "$profile_d"
cat >"$profile_d/homolog.sh" <<PROFILE
# homolog on ParallelCluster (written by on-node-configured.sh)
export PATH="$prefix/bin:\$PATH"
export HOMOLOG_JOBS="$prefix/jobs"
export HOMOLOG_BUCKET="$bucket"
PROFILE

log "installed $name: $("$prefix/bin/homolog" --version | head -1)"
