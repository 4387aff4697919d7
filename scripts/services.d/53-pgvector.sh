#!/usr/bin/env bash
# PostgreSQL with pgvector for the PIS import tests (crates/homolog-pis) and the reference store's
# pgvector columns: the copy of Debian's server with pgvector that scripts/setup.d/57-pgvector.sh
# makes in $HOMOLOG_PGVECTOR_PREFIX (default /opt/homolog-pgvector)/postgresql, on 127.0.0.1:5434 (override with HOMOLOG_PGVECTOR_PORT), a throw-away cluster in
# /tmp/homolog-pgvector-<port> (override with HOMOLOG_PGVECTOR_DIR), user `postgres`, trust
# authentication, TCP on loopback only. Then it builds the PIS-schema fixture databases with
# scripts/pis/make_fixture.py (which leaves an up-to-date fixture alone). A server already
# listening is left alone. PostgreSQL refuses to run as root, so as root the cluster belongs to
# and runs as `nobody`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${HOMOLOG_PGVECTOR_PORT:-5434}"
prefix="${HOMOLOG_PGVECTOR_PREFIX:-/opt/homolog-pgvector}"
dir="${HOMOLOG_PGVECTOR_DIR:-/tmp/homolog-pgvector-$port}"
bin=""
for d in "$prefix"/postgresql/lib/postgresql/*/bin; do
  [ -x "$d/postgres" ] && bin="$d"
done
name="services.d/53-pgvector"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

if ! listening; then
  [ -n "$bin" ] || {
    echo "$name: no PostgreSQL with pgvector installed (scripts/setup.d/57-pgvector.sh builds it)"
    exit 0
  }
  as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
  }
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown nobody: "$dir"; fi
  major="$("$bin/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"
  if [ "$(cat "$dir/data/PG_VERSION" 2>/dev/null)" != "$major" ]; then
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
