#!/usr/bin/env bash
# GAME distributor benchmark: latency the distributor adds to a small request (p50/p99) and
# throughput of a 10,000-sequence request with 1, 2, 4 predictor workers, all on loopback,
# predictors and distributors as separate processes (see
# crates/homolog-distribute/examples/game_bench.rs). No peer distributor is runnable here (GAME's
# is not published as code), so the baseline is one homolog predictor called directly.
#   bench/game/run.sh [--threads-per-predictor 1] [--requests 2000] [--sequences 10000]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p homolog-distribute --example game_bench
exec target/release/examples/game_bench run "$@"
