#!/usr/bin/env python3
"""Builds the tiny random-weight ESM C checkpoint of homolog-models' `esmc` backend and its reference outputs.

ESM C (ESM Cambrian) is EvolutionaryScale's model in the `esm` PyPI package, which pins its own torch and
transformers, so it has its own script and requirements file (scripts/models/esmc-requirements.txt) instead of
living in make_fixtures.py; it reuses that script's test sequences and output format:

  <out>/esmc/config.json                 {"model_type": "esmc", "d_model", "n_heads", "n_layers"}
  <out>/esmc/data/weights/esmc_tiny.pth  the model's torch state dict, in the layout of
                                         EvolutionaryScale/esmc-300m-2024-12 (data/weights/*.pth)
  <out>/esmc/reference.safetensors       ids_<i>, hidden_<i> ([S, T_i, D]), pooled_<i> ([S, D])
  <out>/esmc/reference.json              sequences, inputs, S, pooling

The model is `esm.models.esmc.ESMC(d_model=64, n_heads=4, n_layers=3)` with the package's own tokenizer
(EsmSequenceTokenizer; no vocab.txt is written, the Rust side has ESM C's vocabulary built in) and every
parameter random, LayerNorm weights and biases included. Its forward pass runs on CPU in float32 without
flash attention, all sequences in ONE padded batch. S = n_layers + 1 hidden states: index 0 = the embedding
output, index i (1 <= i < n_layers) = `hidden_states[i - 1]` of ESMCOutput (block i's output), and the last
one = ESMCOutput.embeddings (the final LayerNorm of the last block's output), so homolog's layer 0 is the
final-normed output as for the other backends. Pooling: mean over the residues, <cls>/<eos> excluded.

Usage: python3 scripts/models/make_esmc_fixtures.py [--out DIR]   (default: crates/homolog-models/tests/fixtures)
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import pad_batch, protein_sequences, save_reference  # noqa: E402

torch.set_grad_enabled(False)

D_MODEL, N_HEADS, N_LAYERS = 64, 4, 3


def build(out):
    from esm.models.esmc import ESMC
    from esm.tokenization import EsmSequenceTokenizer

    folder = os.path.join(out, "esmc")
    os.makedirs(os.path.join(folder, "data", "weights"), exist_ok=True)
    torch.manual_seed(20241204)
    tok = EsmSequenceTokenizer()
    model = ESMC(d_model=D_MODEL, n_heads=N_HEADS, n_layers=N_LAYERS, tokenizer=tok, use_flash_attn=False)
    model.eval()
    for name, p in model.named_parameters():
        if name.endswith(".bias"):
            p.copy_(torch.randn_like(p) * 0.1)
        elif p.ndim == 1:  # LayerNorm weights
            p.copy_(1.0 + torch.randn_like(p) * 0.1)
        elif name == "embed.weight":
            p.copy_(torch.randn_like(p))
        else:
            p.copy_(torch.randn_like(p) * (p.shape[1] ** -0.5))
    torch.save(model.state_dict(), os.path.join(folder, "data", "weights", "esmc_tiny.pth"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"model_type": "esmc", "d_model": D_MODEL, "n_heads": N_HEADS, "n_layers": N_LAYERS}, f, indent=1)

    seqs = protein_sequences()
    ids_list = [tok(s, add_special_tokens=True)["input_ids"] for s in seqs]
    ids, _ = pad_batch(ids_list, tok.pad_token_id)
    out_ = model(sequence_tokens=ids)
    emb = model.embed(ids)
    hs = list(out_.hidden_states.unbind(0))  # n_layers block outputs, the last before the final norm
    assert torch.allclose(model.transformer.norm(hs[-1]), out_.embeddings, atol=1e-6)
    hidden = [emb] + hs[:-1] + [out_.embeddings]
    mask = ids != tok.pad_token_id
    save_reference(folder, seqs, seqs, ids_list, hidden, mask, "residues_without_bos_eos")
    print(f"esmc: {len(seqs)} sequences, {len(hidden)} hidden states, d_model {D_MODEL}")


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "crates", "homolog-models", "tests", "fixtures"))
    args = ap.parse_args()
    build(args.out)


if __name__ == "__main__":
    main()
