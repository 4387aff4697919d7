#!/usr/bin/env bash
# CAFA3 benchmark area (bench/cafa3, scripts/cafa3): MMseqs2 for the best-hit sequence-similarity
# baseline, NCBI BLAST+ (blastdbcmd) to extract the sequences of the `full` reference from the
# BLAST databases of Debian's metastudent-data, GNU time for per-stage peak memory. Idempotent.
# The metastudent-data package itself (225 MB) is downloaded only by
# scripts/cafa3/build_full_reference.sh, on demand.
set -euo pipefail
debs=(mmseqs2 ncbi-blast+ time)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
need=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup.d/80-cafa3: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
