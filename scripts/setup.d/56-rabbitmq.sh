#!/usr/bin/env bash
# Work queue (issue 15): Debian's RabbitMQ server for `homolog run --queue` / `homolog worker`
# and their tests (started by scripts/services.d/54-rabbitmq.sh, loopback only).
set -euo pipefail
debs=(rabbitmq-server)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
missing=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.d/56-rabbitmq: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
