#!/usr/bin/env bash
# Rebuilds the tiny model checkpoints and their reference outputs with scripts/models/make_fixtures.py
# in a temporary folder and compares them with the committed ones in
# crates/homolog-models/tests/fixtures: token ids and integer tensors exactly, float tensors within
# 1e-5, every other file byte for byte.
#
# It runs the exact package versions of scripts/models/requirements.txt (torch, transformers, ...)
# in a virtual environment ($HOMOLOG_FIXTURE_VENV, default ~/.cache/homolog/fixture-venv), created
# on first use: several GB with torch's CUDA libraries, which is why this check is not part of
# scripts/test.sh. The DNA tokenizer is trained on the lambda phage genome from $HOMOLOG_DATA
# (default ../shared/data).
#
# Usage: scripts/models/check_fixtures.sh [--rebuild]   (--rebuild overwrites the committed fixtures)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=scripts/models
export HOMOLOG_DATA="${HOMOLOG_DATA:-$(cd .. && pwd)/shared/data}"
venv="${HOMOLOG_FIXTURE_VENV:-$HOME/.cache/homolog/fixture-venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "check_fixtures: creating $venv with $here/requirements.txt"
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q -r "$here/requirements.txt"
committed=crates/homolog-models/tests/fixtures
if [ "${1:-}" = "--rebuild" ]; then
  exec "$venv/bin/python" "$here/make_fixtures.py" --out "$committed"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$venv/bin/python" "$here/make_fixtures.py" --out "$out"
"$venv/bin/python" "$here/compare_fixtures.py" "$committed" "$out"
