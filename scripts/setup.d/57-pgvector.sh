#!/usr/bin/env bash
# PIS import area (issue 15 part 2) and the pgvector columns of the reference store: pgvector
# for Debian's PostgreSQL, and the Python side of the PIS fixture. Idempotent.
#
# Debian 12 has no pgvector package, so pgvector 0.8.0 (it has the `halfvec` type PIS stores
# embeddings in) is built from the source tarball of Debian 13's `pgvector` package, checked by
# its SHA-256, against the server headers of the PostgreSQL that setup.d/55-postgres.sh installs.
# It is built with `OPTFLAGS=""`: pgvector's Makefile defaults to `-march=native`, and a binary
# built that way on a CPU with AVX-512 dies of SIGILL on one without (prebuilt wheels do).
#
# Everything lands in $HOMOLOG_PGVECTOR_PREFIX (default /opt/homolog-pgvector), readable by the
# unprivileged user that scripts/services.d/53-pgvector.sh runs the server as:
#   <prefix>/postgresql/{lib,share}/postgresql/<major>   PostgreSQL with pgvector (below)
#   <prefix>/protein_information_system/                 PIS 3.1.2's own SQLAlchemy models
#                                                        (without its dependencies: the fixture
#                                                        imports only the table definitions)
# The fixture script's own Python needs (SQLAlchemy, pgvector's Python binding, psycopg2, numpy)
# go into the interpreter's site-packages like the other areas' packages.
set -euo pipefail
# The C compiler, make and curl are build needs (scripts/setup.sh); the server headers are not.
debs=(postgresql postgresql-server-dev-all)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
name="setup.d/57-pgvector"
prefix="${HOMOLOG_PGVECTOR_PREFIX:-/opt/homolog-pgvector}"
version=0.8.0
tarball="pgvector_${version}.orig.tar.gz"
url="http://deb.debian.org/debian/pool/main/p/pgvector/$tarball"
sha256=867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0

need=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "$name: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# pgvector goes into a copy of the newest installed PostgreSQL, $prefix/postgresql, never into
# the system's own: the plain server of services.d/52-postgres.sh stays without pgvector, which
# the reference store's tests need (asking it for pgvector columns is a clear error). PostgreSQL
# finds its share and lib folders relative to its binaries, so the copy runs where it lies.
pg_config=""
for c in /usr/lib/postgresql/*/bin/pg_config; do
  [ -x "$c" ] && pg_config="$c"
done
[ -n "$pg_config" ] || { echo "$name: no PostgreSQL server installed" >&2; exit 1; }
major="$("$pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"
copy="$prefix/postgresql"
if [ ! -f "$copy/share/postgresql/$major/extension/vector--$version.sql" ]; then
  echo "$name: building pgvector $version into a copy of PostgreSQL $major in $copy"
  build="$(mktemp -d)"
  trap 'rm -rf "$build"' EXIT
  curl -fsSL --retry 3 -o "$build/$tarball" "$url"
  echo "$sha256  $build/$tarball" | sha256sum -c --quiet - \
    || { echo "$name: $url does not have the expected SHA-256" >&2; exit 1; }
  tar -xzf "$build/$tarball" -C "$build"
  # with_llvm=no: no JIT bitcode, so no clang needed. DESTDIR: staged, then laid over the copy.
  make -s -C "$build/pgvector-$version" PG_CONFIG="$pg_config" OPTFLAGS="" with_llvm=no \
    DESTDIR="$build/stage" all install >"$build/make.log" 2>&1 \
    || { cat "$build/make.log" >&2; exit 1; }
  rm -rf "$copy"
  mkdir -p "$copy/lib/postgresql" "$copy/share/postgresql"
  cp -a "/usr/lib/postgresql/$major" "$copy/lib/postgresql/"
  cp -a "/usr/share/postgresql/$major" "$copy/share/postgresql/"
  cp -a "$build/stage$("$pg_config" --pkglibdir)/." "$copy/lib/postgresql/$major/lib/"
  cp -a "$build/stage$("$pg_config" --sharedir)/extension/." \
    "$copy/share/postgresql/$major/extension/"
  rm -rf "$build"
  trap - EXIT
fi

pipi() {
  python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}
if [ ! -f "$prefix/protein_information_system/sql/model/entities/embedding/sequence_embedding.py" ]; then
  echo "$name: installing PIS 3.1.2's table definitions into $prefix"
  pipi --no-deps --upgrade --target "$prefix" protein-information-system==3.1.2
fi
# World-readable for the unprivileged user the fixture may run as (pip keeps the umask's modes).
chmod -R a+rX "$prefix"
# PIS 3.1.2 pins pgvector's Python binding to 0.4.x and SQLAlchemy to 2.x; PyYAML reads its
# embedding type constants.
python3 -c "import sqlalchemy, pgvector.sqlalchemy, psycopg2, numpy, yaml" >/dev/null 2>&1 \
  || pipi "sqlalchemy>=2.0.40,<3" "pgvector>=0.4,<0.5" "psycopg2-binary>=2.9.9,<3" numpy pyyaml
