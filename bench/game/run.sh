#!/usr/bin/env bash
# GAME distributor benchmark: latency the distributor adds to a small request (p50/p99) and
# throughput of a 10,000-sequence request with 1, 2, 4 predictor workers, all on loopback,
# predictors, relays and distributors as separate processes (see
# crates/homolog-serve/examples/game_bench.rs). Two throughput scenarios: CPU-bound
# predictors, and latency-bound workers (a relay holding each request --hold-us microseconds per
# sequence before forwarding it to a small predictor, as a GPU-backed model would be). No peer
# distributor is runnable here (GAME's is not published as code), so the baseline is one
# predictor (or one relayed predictor) called directly.
#   bench/game/run.sh [--threads-per-predictor 1] [--requests 2000] [--sequences 10000]
#                     [--hold-us 50] [--reps 5] [--scenarios small,cpu,latency]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p homolog-serve --example game_bench
exec "${CARGO_TARGET_DIR:-target}/release/examples/game_bench" run "$@"
