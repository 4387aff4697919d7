#!/usr/bin/env bash
# Builds homolog and runs the demo: simulated protein families -> reference folder -> annotation
# of held-out proteins on the embedded default (k-mer embeddings, local reference, CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -p homolog-cli
exec target/release/homolog demo --out "${1:-demo-out}"
