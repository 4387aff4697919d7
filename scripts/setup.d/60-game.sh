#!/usr/bin/env bash
# GAME predictor/distributor (issue 6): the Python evaluator client used by the tests and the
# Slurm templates needs requests and msgpack. Idempotent.
set -euo pipefail
debs=(python3-requests python3-msgpack)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
if python3 -c "import requests, msgpack" 2>/dev/null; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${debs[@]}" >/dev/null 2>&1 \
        || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${debs[@]}" >/dev/null; } \
        || true
fi
if ! python3 -c "import requests, msgpack" 2>/dev/null; then
    pip install requests msgpack 2>/dev/null || pip install --break-system-packages requests msgpack
fi
python3 -c "import requests, msgpack"
