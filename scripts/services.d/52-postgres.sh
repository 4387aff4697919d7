#!/usr/bin/env bash
# PostgreSQL for the reference-store tests (crates/homolog-pgstore): a throwaway cluster in
# /tmp/homolog-pg (override with HOMOLOG_PG_DIR) on 127.0.0.1:5433 (HOMOLOG_PG_PORT), trust
# authentication on loopback only, superuser `postgres`. Tests connect with HOMOLOG_PG_URL
# (default postgres://postgres@127.0.0.1:5433/postgres). Left alone when already listening.
set -euo pipefail
port="${HOMOLOG_PG_PORT:-5433}"
dir="${HOMOLOG_PG_DIR:-/tmp/homolog-pg}"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  exit 0
fi
bin=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bin="$d"
done
if [ -z "$bin" ]; then
  echo "services.d/52-postgres: PostgreSQL server not installed (scripts/setup.d/55-postgres.sh installs it)"
  exit 0
fi
# The server refuses to run as root: use the `postgres` account the Debian package creates.
as_user=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "services.d/52-postgres: running as root and no postgres user" >&2; exit 1; }
  as_user=(runuser -u postgres --)
fi
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
chmod 700 "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  "${as_user[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { echo "services.d/52-postgres: initdb failed; see $dir/initdb.log" >&2; exit 1; }
fi
"${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
  || { echo "services.d/52-postgres: PostgreSQL did not start; see $dir/server.log" >&2; exit 1; }
echo "services.d/52-postgres: PostgreSQL on 127.0.0.1:$port (data in $dir/data)"
