#!/usr/bin/env python3
"""PyTorch side of the homolog-models benchmark, and the checkpoint builder.

  bench.py build OUT            random-weight ESM-2 (t6 and t12 dimensions) and T5-encoder
                                (ProtT5-style, 6 layers x 512) checkpoints under OUT
  bench.py run KIND CKPT FASTA N BATCH MAX_LEN
                                embeds like the Rust example embed_bench (same sequences, same
                                sorted batches, last layer, FANTASIA pooling) with transformers on
                                CPU, and prints one JSON line (seconds, emb/s, residues/s, peak RSS,
                                and the peak split into the baseline -- VmRSS after importing torch
                                and transformers, before the model or any data is loaded -- and
                                the working memory = peak - baseline)
"""

import gzip
import json
import os
import resource
import sys
import time

import torch

torch.set_grad_enabled(False)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/models"))


def build(out):
    import make_fixtures as mf
    from transformers import EsmConfig, EsmForMaskedLM, EsmTokenizer, T5Config, T5EncoderModel

    for name, (h, layers, heads, inter) in {"esm2_t6": (320, 6, 20, 1280), "esm2_t12": (480, 12, 20, 1920)}.items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "vocab.txt"), "w") as f:
            f.write("\n".join(mf.ESM_VOCAB) + "\n")
        cfg = EsmConfig(vocab_size=33, hidden_size=h, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=inter, max_position_embeddings=1026, position_embedding_type="rotary",
                        token_dropout=True, emb_layer_norm_before=False, mask_token_id=32, pad_token_id=1)
        torch.manual_seed(0)
        EsmForMaskedLM(cfg).eval().save_pretrained(d, safe_serialization=True)
        EsmTokenizer(os.path.join(d, "vocab.txt")).save_pretrained(d)
    d = os.path.join(out, "t5_l6_d512")
    os.makedirs(d, exist_ok=True)
    mf.write_spiece(os.path.join(d, "spiece.model"), mf.t5_pieces([]))
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "T5Tokenizer", "extra_ids": 100}, f)
    cfg = T5Config(vocab_size=128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8,
                   feed_forward_proj="relu", is_encoder_decoder=False)
    torch.manual_seed(0)
    T5EncoderModel(cfg).eval().save_pretrained(d, safe_serialization=True)


def read_fasta(path, n, max_len):
    op = gzip.open if path.endswith(".gz") else open
    seqs, cur = [], None
    with op(path, "rt") as f:
        for line in f:
            if line.startswith(">"):
                if len(seqs) == n:
                    break
                seqs.append("")
            elif seqs:
                seqs[-1] += line.strip()
    return [s[:max_len].upper() for s in seqs if s]


def vmrss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def run(kind, ckpt, fasta, n, batch, max_len):
    from transformers import AutoTokenizer, EsmModel, T5EncoderModel

    # Interpreter + torch + transformers, before the checkpoint or the sequences are read.
    baseline = vmrss_mib()

    seqs = sorted(read_fasta(fasta, n, max_len), key=len, reverse=True)
    residues = sum(map(len, seqs))
    tok = AutoTokenizer.from_pretrained(ckpt)
    if kind == "esm2":
        model = EsmModel.from_pretrained(ckpt, add_pooling_layer=False).eval()
        prep = lambda s: s
    else:
        model = T5EncoderModel.from_pretrained(ckpt).eval()
        prep = lambda s: " ".join("X" if c in "UZOB" else c for c in s)
    t0 = time.perf_counter()
    checksum = 0.0
    for i in range(0, len(seqs), batch):
        enc = tok([prep(s) for s in seqs[i : i + batch]], padding=True, return_tensors="pt")
        h = model(**enc).last_hidden_state
        m = enc["attention_mask"].clone()
        if kind == "esm2":  # residues only: drop <cls> and <eos>
            m[:, 0] = 0
            m[torch.arange(m.shape[0]), enc["attention_mask"].sum(1) - 1] = 0
        pooled = (h * m[..., None]).sum(1) / m.sum(1, keepdim=True)
        checksum += float(pooled[:, 0].sum())
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"impl": "transformers", "kind": kind, "n": len(seqs), "residues": residues,
                      "seconds": round(secs, 3), "emb_per_s": round(len(seqs) / secs, 2),
                      "res_per_s": round(residues / secs, 1), "peak_rss_mib": round(rss, 1),
                      "baseline_rss_mib": round(baseline, 1), "working_mib": round(rss - baseline, 1),
                      "checksum": round(checksum, 6), "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]))
