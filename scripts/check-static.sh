#!/usr/bin/env bash
# Checks that the homolog binary is self-contained (issue 17): HDF5 and zlib linked statically
# (the CLI's default `static` feature), TLS through rustls, nothing else beyond the C library.
#
#   scripts/check-static.sh            builds the release binary (cargo build --release --locked
#                                      -p homolog-cli; long: LTO) and checks it
#   HOMOLOG_BIN=path scripts/check-static.sh     checks that binary (scripts/test.sh passes the
#                                      debug binary the tests built: it links the same way)
#
#  1. Its dynamic dependencies (readelf's NEEDED entries, and what ldd resolves) are only the C
#     library's family: libc, libm, libgcc_s, the loader (and glibc's libpthread/libdl/librt).
#  2. Prints the newest glibc symbol version it needs: it runs on any x86-64 Linux with that
#     glibc or newer.
#  3. Runs `homolog --version` and `homolog demo --model kmer` (reference, HDF5 embeddings,
#     annotation, evaluation) in a bubblewrap sandbox where every libhdf5*, libsz*, libaec*,
#     libssl*, libcrypto*, libcurl* and libz.so* file of the system is replaced by an empty file,
#     as if those packages were absent. That the hiding works is checked first: `curl --version`
#     (which links libcurl and OpenSSL) must fail in the same sandbox.
# A missing bubblewrap skips part 3 with a message, and fails under HOMOLOG_REQUIRE_SERVICES=1.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-static: FAIL: $*" >&2; exit 1; }

bin="${HOMOLOG_BIN:-}"
if [ -z "$bin" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  start=$(date +%s)
  cargo build --release --locked -p homolog-cli
  echo "check-static: release build in $(($(date +%s) - start)) s"
  bin="$PWD/${CARGO_TARGET_DIR:-target}/release/homolog"
fi
[ -x "$bin" ] || fail "no binary at $bin (cargo build -p homolog-cli, or set HOMOLOG_BIN)"
bin="$(realpath "$bin")"

# --- 1. linked libraries
allowed='^(libc|libm|libgcc_s|libpthread|libdl|librt|libutil|ld-linux-x86-64|ld-linux-aarch64|linux-vdso|linux-gate)\.so'
needed="$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
bad="$(grep -Ev "$allowed" <<<"$needed" || true)"
[ -z "$bad" ] || fail "$bin needs libraries beyond libc's family: $(tr '\n' ' ' <<<"$bad")(built with --no-default-features or --features mpi/cuda?)"
resolved="$(ldd "$bin" | awk '{ print $1 }')"
bad="$(grep -Ev "$allowed|^/lib|^/usr/lib" <<<"$resolved" || true)"
[ -z "$bad" ] || fail "ldd $bin lists $(tr '\n' ' ' <<<"$bad")"
echo "check-static: $bin needs only $(tr '\n' ' ' <<<"$needed")"

# --- 2. the glibc it needs
glibc="$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -Vu | tail -1)"
echo "check-static: newest glibc symbol version used: ${glibc:-none} (runs where glibc is that or newer)"

# --- 3. the demo with the libraries absent
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "${HOMOLOG_REQUIRE_SERVICES:-0}" != 0 ]; then
    fail "bubblewrap not installed (scripts/setup.d/30-containers.sh)"
  fi
  echo "check-static: SKIPPED: bubblewrap not installed (scripts/setup.d/30-containers.sh): the demo was not run without the libraries"
  echo "check-static: ok (libraries)"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
hide=()
while IFS= read -r f; do
  hide+=(--ro-bind /dev/null "$f")
done < <(find /lib /usr/lib /usr/lib64 /usr/local/lib -xdev \( -name 'libhdf5*' -o -name 'libsz.so*' \
  -o -name 'libaec.so*' -o -name 'libssl.so*' -o -name 'libcrypto.so*' -o -name 'libcurl*.so*' \
  -o -name 'libz.so*' \) \( -type f -o -type l \) -exec realpath {} + 2>/dev/null | sort -u)
mkdir -p "$work/out" "$work/home"
sandbox() {
  bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp "${hide[@]}" \
    --bind "$work/out" /tmp/out --bind "$work/home" /tmp/home --ro-bind "$bin" /tmp/homolog \
    --clearenv --setenv PATH /usr/bin:/bin --setenv HOME /tmp/home --chdir /tmp/out "$@"
}
if command -v curl >/dev/null 2>&1 && [ ${#hide[@]} -gt 0 ]; then
  if sandbox curl --version >/dev/null 2>&1; then
    fail "the sandbox does not hide the libraries: curl still runs in it"
  fi
  echo "check-static: $(( ${#hide[@]} / 3 )) library files hidden; curl (libcurl, OpenSSL) cannot start in the sandbox"
else
  echo "check-static: $(( ${#hide[@]} / 3 )) library files hidden (no curl here to show the hiding works)"
fi
sandbox /tmp/homolog --version >"$work/version" 2>&1 || { cat "$work/version" >&2; fail "homolog --version failed without the libraries"; }
echo "check-static: $(head -1 "$work/version")"
sandbox /tmp/homolog demo --out /tmp/out/demo --model kmer >"$work/demo.log" 2>&1 \
  || { tail -20 "$work/demo.log" >&2; fail "homolog demo failed without the libraries (above)"; }
grep -q '^| MFO' "$work/demo.log" || { tail -20 "$work/demo.log" >&2; fail "the demo printed no evaluation"; }
[ -s "$work/out/demo/evaluation.md" ] || fail "the demo wrote no evaluation.md"
h5="$(find "$work/out/demo/experiments" -name embeddings.h5 | head -1)"
if [ -z "$h5" ] || [ ! -s "$h5" ]; then fail "the demo wrote no embeddings.h5"; fi
echo "check-static: homolog demo --model kmer ran without libhdf5, libssl, libcurl, libz: $(grep -c '^| ' "$work/demo.log") table rows, $(du -k "$h5" | cut -f1) KiB of HDF5 embeddings"
echo "check-static: ok"
