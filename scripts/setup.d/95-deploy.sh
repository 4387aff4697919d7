#!/usr/bin/env bash
# AWS deployment area (deploy/aws, docs/aws.md; issue 17): the validators that
# scripts/check-deploy.sh runs, since nothing can be deployed from here. cfn-lint checks the
# CloudFormation template; aws-parallelcluster is the `pcluster` CLI and the Python package whose
# configuration schema and validators check cluster.yaml; awscli runs the node install script
# against the loopback S3 (moto). They go into their own virtual environment
# ($HOMOLOG_DEPLOY_VENV, default ~/.local/share/homolog/deploy-venv) because aws-parallelcluster
# pins its own boto3, marshmallow and Flask. jq is what deploy/aws/jobs/merge-shards.sh needs.
# Idempotent.
set -euo pipefail
debs=(python3-venv jq)
pips=(cfn-lint==1.58.0 aws-parallelcluster==3.16.1 awscli==1.46.3)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
need=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup.d/95-deploy: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
venv="${HOMOLOG_DEPLOY_VENV:-$HOME/.local/share/homolog/deploy-venv}"
have() {
  [ -x "$venv/bin/python" ] && "$venv/bin/python" - "${pips[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    if version(name) != want:
        sys.exit(1)
PY
}
if ! have; then
  echo "setup.d/95-deploy: installing ${pips[*]} into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "${pips[@]}"
fi
"$venv/bin/cfn-lint" --version >/dev/null
"$venv/bin/pcluster" version >/dev/null
"$venv/bin/aws" --version >/dev/null 2>&1
