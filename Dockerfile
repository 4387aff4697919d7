# syntax=docker/dockerfile:1
# homolog in a container: a Debian 12 build stage with Rust, then a debian:12-slim run-time stage
# with only the binary, its run-time libraries and a non-root user. The steps themselves are in
# scripts/container-steps.sh, which the Apptainer recipe homolog.def runs too, so both images are
# built the same way. Built elsewhere (the project's machines have no container daemon):
#
#   docker build -t homolog .
#   docker run --rm -v "$PWD:/data" homolog demo --out /data/demo-out
#
# GPU builds (--build-arg FEATURES=cuda with CUDA base images) and the Apptainer equivalents are in
# docs/containers.md. scripts/check-containers.sh lints this file with hadolint and dry-runs the steps.

# The build image must be Debian 12 (or its derivative) with Rust on PATH, or one without Rust:
# scripts/setup.sh then installs it with rustup. HDF5 and zlib are linked statically and TLS is
# rustls, so the run-time image needs only a glibc as new as the build image's, and CA certificates.
ARG BUILD_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:12-slim

FROM ${BUILD_IMAGE} AS build
# Cargo features of the binary (`cuda`, `mpi`); empty for the CPU build.
ARG FEATURES=""
# candle's CUDA kernels are compiled for this compute capability (e.g. 90 for H100/H200); the
# build has no GPU to ask. Unused without FEATURES=cuda.
ARG CUDA_COMPUTE_CAP=""
WORKDIR /src
COPY . .
RUN bash scripts/container-steps.sh build "${FEATURES}"

FROM ${RUNTIME_IMAGE} AS runtime
COPY scripts/container-steps.sh /tmp/container-steps.sh
RUN bash /tmp/container-steps.sh runtime && rm /tmp/container-steps.sh
COPY --from=build /usr/local/bin/homolog /usr/local/bin/homolog
# The `homolog` user that the runtime step creates, by number so that Kubernetes' runAsNonRoot can
# check it without reading /etc/passwd.
USER 10001:10001
# Mount the work folder here (-v "$PWD:/data"); relative paths in commands resolve against it.
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/homolog"]
CMD ["--help"]
