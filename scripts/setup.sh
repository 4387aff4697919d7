#!/usr/bin/env bash
# Installs what homolog needs to build and test, idempotently, on Debian (run as root).
# Safe to re-run: it installs only what is missing.
set -euo pipefail

debs=(build-essential pkg-config curl ca-certificates libhdf5-dev hdf5-tools
      libssl-dev parasail libparasail-dev mmseqs2 python3 python3-pip)
missing=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing the Rust toolchain with rustup"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

# Python is only used by tests and benchmarks (h5py reads our HDF5, SciPy is the lookup peer).
if ! python3 -c "import h5py, numpy, scipy, pyarrow" >/dev/null 2>&1; then
  echo "setup: installing Python packages h5py numpy scipy pyarrow"
  python3 -m pip install -q h5py numpy scipy pyarrow 2>/dev/null \
    || python3 -m pip install -q --break-system-packages h5py numpy scipy pyarrow
fi

# Per-area installs (one file per area, run in name order).
for extra in "$(dirname "$0")"/setup.d/*.sh; do
  [ -e "$extra" ] || continue
  bash "$extra"
done
