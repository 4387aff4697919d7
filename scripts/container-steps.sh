#!/usr/bin/env bash
# The steps of both container recipes, `Dockerfile` and `homolog.def`, kept here once so that the
# Docker and Apptainer images are built the same way (docs/containers.md).
#
#   scripts/container-steps.sh build [FEATURES]
#       In the source folder, on a Debian 12 image with Rust (rust:*-bookworm): the lean
#       scripts/setup.sh (the build's Debian packages only), the release build of the one binary
#       (`FEATURES`: cargo features, e.g. `cuda`; empty or `none` for the default CPU build),
#       installed stripped as $PREFIX/bin/homolog (PREFIX defaults to /usr/local).
#   scripts/container-steps.sh runtime
#       On debian:12-slim: the run-time libraries of that binary (runtime_debs below), a non-root
#       user `homolog` (uid and gid 10001) and its writable /data, the image's working folder.
#
# scripts/check-containers.sh runs both steps with stubbed apt-get/cargo/useradd to check them.
set -euo pipefail

# What the binary needs beyond debian:12-slim: CA certificates to trust HTTPS servers. HDF5 and zlib
# are linked statically (the CLI's default `static` feature) and TLS is rustls, so `ldd homolog` lists
# only libc, libm, libgcc_s and the loader (scripts/check-static.sh).
runtime_debs=(ca-certificates)
user=homolog
uid=10001

step="${1:-}"
case "$step" in
  build)
    features="${2:-}"
    if [ "$features" = none ]; then features=""; fi
    export DEBIAN_FRONTEND=noninteractive
    scripts/setup.sh
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    # The recipes pass CUDA_COMPUTE_CAP always (Apptainer's build arguments cannot be empty);
    # candle's kernel build reads it only when set, and asks nvidia-smi otherwise.
    case "${CUDA_COMPUTE_CAP:-}" in "" | none) unset CUDA_COMPUTE_CAP ;; *) export CUDA_COMPUTE_CAP ;; esac
    args=(build --release --locked -p homolog-cli)
    if [ -n "$features" ]; then args+=(--features "$features"); fi
    cargo "${args[@]}"
    # Stripped (-s): the symbols too, which the release profile keeps for readable backtraces;
    # an image is for running.
    install -D -s -m 0755 "${CARGO_TARGET_DIR:-target}/release/homolog" "${PREFIX:-/usr/local}/bin/homolog"
    ;;
  runtime)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${runtime_debs[@]}"
    # A smaller image: the package lists are only needed to install.
    rm -rf /var/lib/apt/lists/*
    # uid = gid = 10001, numeric in the Dockerfile's USER, outside the range of host users.
    if ! id -u "$user" >/dev/null 2>&1; then
      groupadd --gid "$uid" "$user"
      useradd --uid "$uid" --gid "$uid" --create-home --shell /usr/sbin/nologin "$user"
    fi
    mkdir -p /data
    chown "$user:$user" /data
    ;;
  --list-runtime)
    # For scripts/check-containers.sh: the run-time packages, one a line.
    printf '%s\n' "${runtime_debs[@]}"
    ;;
  *)
    echo "usage: scripts/container-steps.sh build [FEATURES] | runtime" >&2
    exit 2
    ;;
esac
