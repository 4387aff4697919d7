#!/usr/bin/env bash
# Starts the services the tests use, on loopback, idempotently (one file per service in services.d).
set -euo pipefail
for svc in "$(dirname "$0")"/services.d/*.sh; do
  [ -e "$svc" ] || continue
  bash "$svc"
done
