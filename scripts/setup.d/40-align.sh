#!/usr/bin/env bash
# Alignment area: parasail's C library (fixture script, parity/bench drivers) and its Python
# binding (bench/align: PROTEA's way of calling parasail). Idempotent.
set -euo pipefail
debs=(parasail libparasail-dev python3-parasail)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
need=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup.d/40-align: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# bench/align runs the Python binding with the first interpreter that imports it
# (python3, then Debian's /usr/bin/python3).
