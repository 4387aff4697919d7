#!/usr/bin/env bash
# Workflow managers (issue 17): scripts/check-workflows.sh lints and runs the Snakemake example
# (snakemake from PyPI) and checks the Nextflow module's meta.yml (PyYAML). Nextflow itself is
# not installed: its launcher downloads its runtime from www.nextflow.io. Idempotent.
set -euo pipefail
debs=(python3-yaml)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
if ! python3 -c "import yaml" 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${debs[@]}" >/dev/null 2>&1 \
        || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${debs[@]}" >/dev/null; } \
        || true
fi
python3 -c "import yaml"
if ! command -v snakemake >/dev/null 2>&1; then
    pip install snakemake==9.27.1 2>/dev/null || pip install --break-system-packages snakemake==9.27.1
fi
snakemake --version >/dev/null
