#!/usr/bin/env bash
# The whole test suite: format, lints, unit and integration tests of every crate.
# Real data is read from $HOMOLOG_DATA (default ../shared/data next to the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/services.sh
export PATH="$HOME/.cargo/bin:$PATH"
export HOMOLOG_DATA="${HOMOLOG_DATA:-$(cd .. && pwd)/shared/data}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
scripts/test-cluster-mpi.sh
