#!/usr/bin/env bash
# PostgreSQL reference store (crates/homolog-pgstore): the Debian PostgreSQL server, which
# scripts/services.d/52-postgres.sh starts on loopback for the tests. Idempotent.
set -euo pipefail
debs=(postgresql postgresql-client)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
need=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup.d/55-postgres: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package's own cluster (port 5432) is not used; the tests start their own.
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
