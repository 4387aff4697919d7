#!/usr/bin/env bash
# Installs what homolog needs, by purpose, idempotently, on Debian 12 (run as root). Safe to
# re-run: it installs only what is missing.
#
#   scripts/setup.sh                  building and running (what scripts/demo.sh calls): a C
#                                     compiler, CMake >= 3.26, curl and CA certificates (rustup,
#                                     crates.io), the Rust toolchain
#   scripts/setup.sh --test           also what the tests need (scripts/test.sh and .ci/run call
#                                     this): the system HDF5 headers, HDF5 tools,
#                                     parasail, MMseqs2, Python with h5py, numpy, SciPy and
#                                     pyarrow, clippy and rustfmt, then every area script in
#                                     scripts/setup.d/ (MPI, Slurm, BLAST+, ...)
#   scripts/setup.sh [--test] --list  print the Debian packages that mode asks for, one a line,
#                                     and install nothing (scripts/check-setup-lean.sh reads it)
#
# The default build links HDF5 and zlib statically, built from source (the CLI's `static`
# feature; README "Install"), and TLS is rustls, so no system library headers are build needs. On Debian 12, whose
# CMake is 3.25, cmake comes from Debian's bookworm-backports (3.31): HDF5 2.x needs 3.26.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

test_mode=0 list=0
for arg in "$@"; do
  case "$arg" in
    --test) test_mode=1 ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "setup: unknown option $arg (use --test, --list)" >&2; exit 2 ;;
  esac
done

# Building and running: build-essential is the C compiler and make (the -sys crates: bundled
# SQLite and zstd, ring's assembly); cmake builds HDF5 and zlib (hdf5-metno-src);
# curl + ca-certificates fetch rustup and let cargo reach crates.io.
build_debs=(build-essential cmake curl ca-certificates)
# The tests: the system HDF5 with pkg-config, for the builds that link it (a crate
# tested alone, e.g. `cargo test -p homolog-embed`, and the CLI with --no-default-features);
# h5dump (hdf5-tools) and h5py check our HDF5 files, parasail and MMseqs2 are the alignment and
# best-hit peers, Python runs the reference implementations.
test_debs=(pkg-config libhdf5-dev hdf5-tools parasail libparasail-dev mmseqs2 python3 python3-pip)
test_pips=(h5py numpy scipy pyarrow)

areas=()
if [ "$test_mode" = 1 ]; then
  for extra in "$here"/setup.d/*.sh; do
    if [ -e "$extra" ]; then areas+=("$extra"); fi
  done
fi

if [ "$list" = 1 ]; then
  {
    printf '%s\n' "${build_debs[@]}"
    if [ "$test_mode" = 1 ]; then
      printf '%s\n' "${test_debs[@]}"
      for extra in "${areas[@]}"; do
        bash "$extra" --list
      done
    fi
  } | sort -u
  exit 0
fi

debs=("${build_debs[@]}")
if [ "$test_mode" = 1 ]; then debs+=("${test_debs[@]}"); fi
missing=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# CMake 3.26 or newer (HDF5 2.x). Debian 12 has 3.25; its backport is Debian's own build of 3.31.
cmake_new_enough() {
  local v
  v="$(cmake --version 2>/dev/null | awk 'NR == 1 { print $3 }')"
  [ -n "$v" ] && [ "$(printf '%s\n' 3.26 "$v" | sort -V | head -1)" = 3.26 ]
}
cmake_release=()
codename="$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d '"')"
if [ "$codename" = bookworm ] && ! cmake_new_enough; then
  case " ${missing[*]} " in *" cmake "*) ;; *) missing+=(cmake) ;; esac
  cmake_release=(--target-release=bookworm-backports)
  if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    if [ -w /etc/apt/sources.list.d ]; then
      echo "setup: adding Debian's bookworm-backports for cmake >= 3.26"
      echo "deb http://deb.debian.org/debian bookworm-backports main" >/etc/apt/sources.list.d/bookworm-backports.list
    else
      echo "setup: cannot add bookworm-backports to /etc/apt (not root?); cmake >= 3.26 is needed" >&2
    fi
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  others=()
  for p in "${missing[@]}"; do [ "$p" = cmake ] || others+=("$p"); done
  if [ ${#others[@]} -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${others[@]}"
  fi
  case " ${missing[*]} " in
    *" cmake "*) apt-get install -y -qq --no-install-recommends "${cmake_release[@]}" cmake ;;
  esac
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    # The minimal profile (rustc, cargo, std) is all a build needs; --test adds the linters.
    echo "setup: installing the Rust toolchain with rustup"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

[ "$test_mode" = 1 ] || exit 0

# scripts/test.sh runs `cargo fmt --check` and `cargo clippy`. A toolchain that did not come from
# rustup (a distribution's cargo) cannot gain components; the test script then names what is missing.
if ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1 \
   && command -v rustup >/dev/null 2>&1; then
  echo "setup: adding the clippy and rustfmt components"
  rustup component add clippy rustfmt
fi

# Python is only used by tests and benchmarks (h5py reads our HDF5, SciPy is the lookup peer).
if ! python3 -c "import h5py, numpy, scipy, pyarrow" >/dev/null 2>&1; then
  echo "setup: installing Python packages ${test_pips[*]}"
  python3 -m pip install -q "${test_pips[@]}" 2>/dev/null \
    || python3 -m pip install -q --break-system-packages "${test_pips[@]}"
fi

# Per-area installs for the tests (one file per area, run in name order).
for extra in "${areas[@]}"; do
  bash "$extra"
done
