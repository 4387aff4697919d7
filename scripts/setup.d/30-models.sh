#!/usr/bin/env bash
# homolog-models: Python packages that build the tiny parity checkpoints
# (scripts/models/make_fixtures.py) and run the PyTorch side of bench/models/.
# torch from the CPU wheel index when it is reachable (small download), else plain PyPI.
set -euo pipefail

if python3 -c "import torch, transformers, sentencepiece, tokenizers, safetensors, google.protobuf" \
     >/dev/null 2>&1; then
  exit 0
fi

pipi() {
  python3 -m pip install -q "$@" 2>/dev/null \
    || python3 -m pip install -q --break-system-packages "$@"
}

if ! python3 -c "import torch" >/dev/null 2>&1; then
  echo "setup(models): installing torch (CPU)"
  pipi --index-url https://download.pytorch.org/whl/cpu torch \
    || pipi torch
fi
echo "setup(models): installing transformers sentencepiece tokenizers protobuf safetensors"
pipi transformers sentencepiece tokenizers protobuf safetensors
