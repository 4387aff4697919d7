#!/usr/bin/env bash
# The whole test suite: format, lints, unit, integration and doc tests of every crate, then the MPI
# part. Real data is read from $HOMOLOG_DATA (default ../shared/data next to the repository). With
# HOMOLOG_REQUIRE_DATA=1 (as in CI) a test whose data, tool or service is missing fails instead of
# skipping, and this script stops at once when the data folder lacks any of its parts.
set -euo pipefail
cd "$(dirname "$0")/.."
export HOMOLOG_DATA="${HOMOLOG_DATA:-$(cd .. && pwd)/shared/data}"
missing=()
for part in SOURCES.md proteins go genomes embeddings taxonomy matrices game; do
  [ -e "$HOMOLOG_DATA/$part" ] || missing+=("$HOMOLOG_DATA/$part")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${HOMOLOG_REQUIRE_DATA:-0}" != 0 ]; then
    echo "test.sh: real data missing (looked in HOMOLOG_DATA=$HOMOLOG_DATA): ${missing[*]}" >&2
    echo "test.sh: set HOMOLOG_DATA to the shared data folder, or unset HOMOLOG_REQUIRE_DATA to skip those tests" >&2
    exit 1
  fi
  echo "test.sh: real data missing (looked in HOMOLOG_DATA=$HOMOLOG_DATA): ${missing[*]};" \
       "the tests that need it skip (HOMOLOG_REQUIRE_DATA=1 makes them fail)" >&2
fi
# --test: the build needs plus every tool the tests use (setup.d/*); the plain mode is the demo's.
scripts/setup.sh --test
scripts/services.sh
export PATH="$HOME/.cargo/bin:$PATH"
# The install and deploy recipes (issue 17): the lean setup stays lean, the container recipes lint.
scripts/check-setup-lean.sh
scripts/check-containers.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The Nextflow module and Snakemake example, run with the binary the tests just built.
HOMOLOG_BIN="$PWD/target/debug/homolog" scripts/check-workflows.sh
# The AWS deployment (deploy/aws): templates validated offline, install script and jobs run.
HOMOLOG_BIN="$PWD/target/debug/homolog" scripts/check-deploy.sh
# The binary is self-contained: libc only, and the demo runs with HDF5/OpenSSL/curl/zlib hidden
# (before test-cluster-mpi.sh rebuilds that binary with the system MPI).
HOMOLOG_BIN="$PWD/target/debug/homolog" scripts/check-static.sh
scripts/test-cluster-mpi.sh
