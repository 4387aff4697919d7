#!/usr/bin/env bash
# Runs EvolutionaryScale's esm package (scripts/models/make_esmc_fixtures.py, the versions of
# scripts/models/esmc-requirements.txt, CPU) to rebuild the tiny ESM C checkpoint and its reference
# outputs, and compares them with the committed ones in crates/homolog-models/tests/fixtures/esmc
# (compare_fixtures.py: tensors within 1e-5), or overwrites them with --rebuild. The virtual
# environment is $HOMOLOG_ESMC_VENV (default ~/.cache/homolog/esmc-venv), created on first use
# (several GB: PyPI's torch brings its CUDA libraries).
#
# Usage: scripts/models/esmc_fixtures.sh [--rebuild]
set -euo pipefail
cd "$(dirname "$0")/../.."
here=scripts/models
venv="${HOMOLOG_ESMC_VENV:-$HOME/.cache/homolog/esmc-venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "esmc_fixtures: creating $venv with $here/esmc-requirements.txt"
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q -r "$here/esmc-requirements.txt"
esm=$(sed -n 's/^# ESMC_PACKAGE //p' "$here/esmc-requirements.txt")
"$venv/bin/python" -m pip install -q --no-deps "$esm"
committed=crates/homolog-models/tests/fixtures
if [ "${1:-}" = "--rebuild" ]; then
  exec "$venv/bin/python" "$here/make_esmc_fixtures.py" --out "$committed"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$venv/bin/python" "$here/make_esmc_fixtures.py" --out "$out"
"$venv/bin/python" "$here/compare_fixtures.py" "$committed/esmc" "$out/esmc"
