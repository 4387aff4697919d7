#!/usr/bin/env bash
# Recomputes with CAFA-evaluator (`cafaeval` from PyPI, the version pinned in
# scripts/evaluate/requirements.txt) the reference values that
# crates/homolog-evaluate/tests/real_data.rs pastes as its CAFAEVAL table, on the same files in
# $HOMOLOG_DATA (default ../shared/data next to the repository). See cafaeval_reference.py for
# what is cafaeval's code and what is ours (the exact k/100 threshold grid, Smin on the
# IA-weighted S).
#
# The packages go into a virtual environment ($HOMOLOG_CAFAEVAL_VENV, default
# /tmp/homolog-cafaeval-venv), created on first use; nothing is installed system-wide. Needs
# python3 with the venv module (Debian: python3-venv) and access to PyPI on first use.
#
# Usage: scripts/evaluate/cafaeval_reference.sh [--grid exact|stock] [--only idpo|cafa3|cafa3-go2019]...
# It takes about 5 minutes on 2 cores (cafaeval builds dense term x term matrices for GO) and
# prints one line per case; compare them with CAFAEVAL in the test:
#   scripts/evaluate/cafaeval_reference.sh | grep -v '^#' > /tmp/cafaeval.txt
#   diff /tmp/cafaeval.txt <(sed -n '/^const CAFAEVAL/,/^";/p' \
#     crates/homolog-evaluate/tests/real_data.rs | grep -E '^(idpo|cafa3)')
set -euo pipefail
cd "$(dirname "$0")/../.."
here=scripts/evaluate
export HOMOLOG_DATA="${HOMOLOG_DATA:-$(cd .. && pwd)/shared/data}"
venv="${HOMOLOG_CAFAEVAL_VENV:-/tmp/homolog-cafaeval-venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "cafaeval_reference: creating $venv with $here/requirements.txt" >&2
  python3 -m venv "$venv"
fi
# Idempotent: pip only installs what differs from the pinned versions.
"$venv/bin/python" -m pip install -q -r "$here/requirements.txt" >&2
exec "$venv/bin/python" "$here/cafaeval_reference.py" "$@"
