#!/usr/bin/env python3
"""Builds tiny random-weight checkpoints of every homolog-models architecture and their reference outputs.

For each architecture this writes a Hugging Face-style checkpoint folder (config.json, weights, tokenizer
files as the real checkpoints ship them) with a few layers and a small hidden size, runs it with Python
`transformers` (or, for DNABERT-2, with this script's own torch forward, see below) on CPU in float32, and
saves what the Rust tests compare against:

  <out>/<name>/reference.safetensors   ids_<i> (token ids), hidden_<i> (hidden states, [S, T_i, D], padding
                                       removed), pooled_<i> ([S, D], the model's pooling per hidden state)
  <out>/<name>/reference.json          the sequences, the preprocessed model inputs, S and the pooling rule

S = num_layers + 1 hidden states, ordered as `transformers` returns them (index 0 = embedding output, so
homolog's layer k is hidden[S - 1 - k]). All sequences of one model run in ONE padded batch, so the reference
also checks that padding does not leak into real tokens.

Architectures and how their reference is made:
  esm2      transformers EsmForMaskedLM (rotary, pre-LN, token dropout), vocab.txt = ESM-2's 33 tokens;
            weights in model.safetensors with the "esm." prefix, as facebook/esm2_* ship them.
  prot_t5   transformers T5ForConditionalGeneration (relu FF, as Rostlab/prot_t5_xl_uniref50), spiece.model
            with ProtT5's 28 pieces + 100 sentinels; weights in pytorch_model.bin (the Rostlab format).
  prost_t5  transformers T5EncoderModel, spiece.model with ProtT5's pieces + the 20 3Di letters and the
            <AA2fold>/<fold2AA> special tokens (ProstT5's vocabulary of 150); model.safetensors.
  ankh3     transformers T5EncoderModel with Ankh's config (gated-gelu FF, 64 relative buckets), a character
            level tokenizer.json with the [NLU]/[S2S] prefix tokens; model.safetensors.
  dnabert2  DNABERT-2 runs custom code in transformers (trust_remote_code). Instead of downloading it, this
            script implements its published architecture (MosaicBERT: BERT without position embeddings,
            fused Wqkv, ALiBi attention bias, gated GELU MLP, post-LN) in plain torch below, with the same
            weight names; the BPE tokenizer.json is trained here with `tokenizers` on the lambda phage genome
            (--lambda-genome, default $HOMOLOG_DATA/genomes/lambda_phage_NC_001416.1.fa.gz; required).

Usage: python3 scripts/models/make_fixtures.py [--out DIR] [--lambda-genome FASTA_GZ]
       (default out: crates/homolog-models/tests/fixtures)
Needs exactly the package versions of scripts/models/requirements.txt (torch, transformers, tokenizers,
sentencepiece, protobuf, safetensors; other versions may change the last bits, or more, of the outputs):
scripts/models/check_fixtures.sh installs them in a virtual environment and runs this script.
"""

import argparse
import gzip
import json
import math
import os
import random
import shutil
import sys

import torch
from safetensors.torch import save_file

torch.set_grad_enabled(False)

ESM_VOCAB = [
    "<cls>", "<pad>", "<eos>", "<unk>",
    "L", "A", "G", "V", "S", "E", "R", "T", "I", "D", "P", "K", "Q", "N", "F", "Y", "M", "H", "W", "C",
    "X", "B", "U", "Z", "O", ".", "-", "<null_1>", "<mask>",
]
# ProtT5's SentencePiece pieces in id order (ids 0..27); sentinels <extra_id_99>..<extra_id_0> follow.
PROT_T5_RESIDUES = list("ALGVSREDTIPKFQNYMHWCXBOUZ")
FOLDSEEK_3DI = list("acdefghiklmnpqrstvwy")


def protein_sequences():
    """Seeded test proteins: lengths 1..120, rare residues U Z O B and X included."""
    rng = random.Random(20240611)
    aas = "ACDEFGHIKLMNPQRSTVWY"
    seqs = ["M", "PROTEIN", "SEQWENCE", "MKTAYIAKQRQISFVKSHFSRQUZOBX"]
    for n in (40, 63, 120):
        seqs.append("M" + "".join(rng.choice(aas) for _ in range(n - 1)))
    return seqs


def dna_sequences():
    rng = random.Random(7)
    seqs = ["ACGT", "TTGACCGATTACAGGCATTAGCCGATAACG"]
    for n in (77, 150):
        seqs.append("".join(rng.choice("ACGT") for _ in range(n)))
    seqs.append("ACGTNNACGTACGGT")
    return seqs


def save_reference(folder, sequences, inputs, ids_list, hidden, mask, pooling):
    """hidden: list of [B, T, D] tensors (one per hidden state); mask: [B, T]."""
    tensors = {}
    stacked = torch.stack(hidden, dim=1)  # [B, S, T, D]
    for i, ids in enumerate(ids_list):
        n = len(ids)
        h = stacked[i, :, :n, :].contiguous().float()
        tensors[f"ids_{i}"] = torch.tensor(ids, dtype=torch.int64)
        tensors[f"hidden_{i}"] = h
        if pooling == "residues_without_bos_eos":
            pooled = h[:, 1 : n - 1, :].mean(dim=1)
        elif pooling == "all_tokens":
            pooled = h.mean(dim=1)
        else:
            raise ValueError(pooling)
        tensors[f"pooled_{i}"] = pooled.contiguous()
    save_file(tensors, os.path.join(folder, "reference.safetensors"))
    meta = {
        "sequences": sequences,
        "inputs": inputs,
        "num_hidden_states": len(hidden),
        "pooling": pooling,
        "tolerance": 1e-4,
    }
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1)


def pad_batch(ids_list, pad_id):
    t = max(len(x) for x in ids_list)
    ids = torch.full((len(ids_list), t), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids_list), t), dtype=torch.long)
    for i, x in enumerate(ids_list):
        ids[i, : len(x)] = torch.tensor(x)
        mask[i, : len(x)] = 1
    return ids, mask


# ---------------------------------------------------------------------------------------------- ESM-2
def make_esm2(out):
    from transformers import EsmConfig, EsmForMaskedLM, EsmTokenizer

    folder = os.path.join(out, "esm2")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(ESM_VOCAB) + "\n")
    cfg = EsmConfig(
        vocab_size=33, hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=1026, position_embedding_type="rotary", token_dropout=True,
        emb_layer_norm_before=False, mask_token_id=32, pad_token_id=1, layer_norm_eps=1e-5,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(1)
    model = EsmForMaskedLM(cfg).eval()
    _randomise(model)
    model.save_pretrained(folder, safe_serialization=True)
    tok = EsmTokenizer(os.path.join(folder, "vocab.txt"))
    tok.save_pretrained(folder)
    seqs = protein_sequences()
    enc = [tok(s)["input_ids"] for s in seqs]
    ids, mask = pad_batch(enc, tok.pad_token_id)
    out_ = model.esm(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    save_reference(folder, seqs, seqs, enc, list(out_.hidden_states), mask, "residues_without_bos_eos")


def _randomise(model):
    """Non-trivial LayerNorm weights/biases too (init leaves them at 1/0, which would hide bugs)."""
    g = torch.Generator().manual_seed(11)
    for name, p in model.named_parameters():
        if p.dim() == 1 and ("norm" in name.lower() or "LayerNorm" in name):
            p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
        elif p.dim() == 1 and "bias" in name:
            p.copy_(0.1 * torch.randn(p.shape, generator=g))


# ---------------------------------------------------------------------------------------------- T5
def write_spiece(path, pieces):
    """pieces: list of (piece, score, type) with sentencepiece types 1=NORMAL 2=UNKNOWN 3=CONTROL 4=USER_DEFINED."""
    from sentencepiece import sentencepiece_model_pb2 as spm

    m = spm.ModelProto()
    for piece, score, typ in pieces:
        p = m.pieces.add()
        p.piece, p.score, p.type = piece, score, typ
    m.trainer_spec.model_type = 1  # UNIGRAM
    m.trainer_spec.vocab_size = len(pieces)
    m.trainer_spec.unk_id, m.trainer_spec.pad_id, m.trainer_spec.eos_id, m.trainer_spec.bos_id = 2, 0, 1, -1
    m.normalizer_spec.name = "identity"
    m.normalizer_spec.add_dummy_prefix = True
    m.normalizer_spec.remove_extra_whitespaces = True
    m.normalizer_spec.escape_whitespaces = True
    with open(path, "wb") as f:
        f.write(m.SerializeToString())


def t5_pieces(extra):
    pieces = [("<pad>", 0.0, 3), ("</s>", 0.0, 3), ("<unk>", 0.0, 2)]
    for i, r in enumerate(PROT_T5_RESIDUES + extra):
        pieces.append(("\u2581" + r, -float(i + 1), 1))
    return pieces


def t5_preprocess(seq, prefix=None):
    s = " ".join("X" if c in "UZOB" else c for c in seq)
    return f"{prefix} {s}" if prefix else s


def make_t5(out, name):
    from transformers import AutoTokenizer, T5Config, T5EncoderModel, T5ForConditionalGeneration

    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    prost = name == "prost_t5"
    write_spiece(os.path.join(folder, "spiece.model"), t5_pieces(FOLDSEEK_3DI if prost else []))
    extra_special = ["<AA2fold>", "<fold2AA>"] if prost else []
    sentinels = [f"<extra_id_{i}>" for i in range(100)]
    tok_cfg = {
        "tokenizer_class": "T5Tokenizer", "extra_ids": 100, "eos_token": "</s>", "unk_token": "<unk>",
        "pad_token": "<pad>", "do_lower_case": False, "legacy": True,
        "additional_special_tokens": sentinels + extra_special,
    }
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(tok_cfg, f, indent=1)
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
        json.dump({"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                   "additional_special_tokens": sentinels + extra_special}, f, indent=1)
    tok = AutoTokenizer.from_pretrained(folder)
    vocab = len(tok)
    cfg = T5Config(
        vocab_size=vocab, d_model=32, d_kv=8, d_ff=64, num_layers=3, num_decoder_layers=1, num_heads=4,
        relative_attention_num_buckets=32, relative_attention_max_distance=128, feed_forward_proj="relu",
        dropout_rate=0.0, layer_norm_epsilon=1e-6, is_encoder_decoder=True,
    )
    torch.manual_seed(2 if prost else 3)
    if prost:
        model = T5EncoderModel(cfg).eval()
        _randomise(model)
        model.save_pretrained(folder, safe_serialization=True)
        encoder = model
    else:
        model = T5ForConditionalGeneration(cfg).eval()
        _randomise(model)
        # Rostlab ships pytorch_model.bin: exercise the pickle loader.
        model.save_pretrained(folder, safe_serialization=False)
        encoder = model.encoder
    # The pickle path of save_pretrained may still write safetensors on some versions: keep one format.
    if not prost and os.path.exists(os.path.join(folder, "model.safetensors")):
        sd = {k: v.contiguous() for k, v in model.state_dict().items()}
        torch.save(sd, os.path.join(folder, "pytorch_model.bin"))
        os.remove(os.path.join(folder, "model.safetensors"))
    seqs = protein_sequences()
    inputs = [t5_preprocess(s, "<AA2fold>" if prost else None) for s in seqs]
    enc = [tok(x)["input_ids"] for x in inputs]
    ids, mask = pad_batch(enc, tok.pad_token_id)
    o = encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    save_reference(folder, seqs, inputs, enc, list(o.hidden_states), mask, "all_tokens")


# ---------------------------------------------------------------------------------------------- Ankh
def make_ankh3(out):
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel

    folder = os.path.join(out, "ankh3")
    os.makedirs(folder, exist_ok=True)
    vocab = ["<pad>", "</s>", "<unk>"] + list("ALGVESIKRDTPNQFYMHCWXUBOZ") + ["[NLU]", "[S2S]"]
    vocab += [f"<extra_id_{i}>" for i in range(16)]
    tk = Tokenizer(models.WordLevel({t: i for i, t in enumerate(vocab)}, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tk.add_special_tokens(["<pad>", "</s>", "<unk>", "[NLU]", "[S2S]"] + vocab[-16:])
    tk.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="</s>", unk_token="<unk>", pad_token="<pad>")
    fast.save_pretrained(folder)
    cfg = T5Config(
        vocab_size=len(vocab), d_model=32, d_kv=8, d_ff=48, num_layers=3, num_decoder_layers=1, num_heads=4,
        relative_attention_num_buckets=64, relative_attention_max_distance=128, feed_forward_proj="gated-gelu",
        dropout_rate=0.0, layer_norm_epsilon=1e-6, is_encoder_decoder=True,
    )
    torch.manual_seed(4)
    model = T5EncoderModel(cfg).eval()
    _randomise(model)
    model.save_pretrained(folder, safe_serialization=True)
    seqs = protein_sequences()
    inputs = ["[NLU]" + s for s in seqs]
    enc = [fast(x)["input_ids"] for x in inputs]
    ids, mask = pad_batch(enc, fast.pad_token_id)
    o = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    save_reference(folder, seqs, inputs, enc, list(o.hidden_states), mask, "all_tokens")


# ---------------------------------------------------------------------------------------------- DNABERT-2
def alibi_slopes(n):
    def power_of_2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + power_of_2(2 * closest)[0::2][: n - closest]


class DnaBert2(torch.nn.Module):
    """DNABERT-2's forward (MosaicBERT), written from the published architecture, padded (not unpadded)."""

    def __init__(self, vocab, h, heads, inter, layers, eps):
        super().__init__()
        nn = torch.nn
        self.heads, self.inter = heads, inter
        self.word_embeddings = nn.Embedding(vocab, h)
        self.token_type_embeddings = nn.Embedding(2, h)
        self.emb_ln = nn.LayerNorm(h, eps=eps)
        self.layers = nn.ModuleList()
        for _ in range(layers):
            m = nn.Module()
            m.Wqkv = nn.Linear(h, 3 * h)
            m.dense = nn.Linear(h, h)
            m.attn_ln = nn.LayerNorm(h, eps=eps)
            m.gated_layers = nn.Linear(h, 2 * inter, bias=False)
            m.wo = nn.Linear(inter, h)
            m.mlp_ln = nn.LayerNorm(h, eps=eps)
            self.layers.append(m)

    def state_dict_hf(self):
        """The weight names of zhihan1996/DNABERT-2-117M (BertForMaskedLM, prefix "bert.")."""
        sd = {
            "bert.embeddings.word_embeddings.weight": self.word_embeddings.weight,
            "bert.embeddings.token_type_embeddings.weight": self.token_type_embeddings.weight,
            "bert.embeddings.LayerNorm.weight": self.emb_ln.weight,
            "bert.embeddings.LayerNorm.bias": self.emb_ln.bias,
        }
        for i, m in enumerate(self.layers):
            p = f"bert.encoder.layer.{i}."
            sd[p + "attention.self.Wqkv.weight"] = m.Wqkv.weight
            sd[p + "attention.self.Wqkv.bias"] = m.Wqkv.bias
            sd[p + "attention.output.dense.weight"] = m.dense.weight
            sd[p + "attention.output.dense.bias"] = m.dense.bias
            sd[p + "attention.output.LayerNorm.weight"] = m.attn_ln.weight
            sd[p + "attention.output.LayerNorm.bias"] = m.attn_ln.bias
            sd[p + "mlp.gated_layers.weight"] = m.gated_layers.weight
            sd[p + "mlp.wo.weight"] = m.wo.weight
            sd[p + "mlp.wo.bias"] = m.wo.bias
            sd[p + "mlp.layernorm.weight"] = m.mlp_ln.weight
            sd[p + "mlp.layernorm.bias"] = m.mlp_ln.bias
        return {k: v.detach().contiguous() for k, v in sd.items()}

    def forward(self, ids, mask):
        b, t = ids.shape
        x = self.word_embeddings(ids) + self.token_type_embeddings(torch.zeros_like(ids))
        x = self.emb_ln(x)
        hs = [x]
        h = x.shape[-1]
        dh = h // self.heads
        pos = torch.arange(t)
        rel = (pos[None, :] - pos[:, None]).abs().float()  # [T, T]
        slopes = torch.tensor(alibi_slopes(self.heads), dtype=torch.float32)
        alibi = slopes[:, None, None] * -rel  # [H, T, T]
        bias = alibi[None] + (1.0 - mask[:, None, None, :].float()) * -10000.0
        for m in self.layers:
            qkv = m.Wqkv(x).view(b, t, 3, self.heads, dh)
            q, k, v = (qkv[:, :, i].permute(0, 2, 1, 3) for i in range(3))
            att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh) + bias
            att = torch.softmax(att, dim=-1)
            ctx = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(b, t, h)
            x = m.attn_ln(m.dense(ctx) + x)
            g = m.gated_layers(x)
            g = torch.nn.functional.gelu(g[..., : self.inter]) * g[..., self.inter :]
            x = m.mlp_ln(m.wo(g) + x)
            hs.append(x)
        return hs


LAMBDA_GENOME = None  # set by main() from --lambda-genome


def dna_training_text():
    with gzip.open(LAMBDA_GENOME, "rt") as f:
        genome = "".join(l.strip() for l in f if not l.startswith(">")).upper()
    return [genome[i : i + 200] for i in range(0, len(genome), 200)]


def check_versions(requirements):
    """Refuses to run with package versions other than the pinned ones (they change the outputs)."""
    from importlib.metadata import PackageNotFoundError, version

    wrong = []
    with open(requirements) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if "==" not in line:
                continue
            name, want = line.split("==")
            try:
                have = version(name)
            except PackageNotFoundError:
                have = "missing"
            if have != want:
                wrong.append(f"{name} {have} (pinned {want})")
    if wrong:
        sys.exit(
            "make_fixtures.py: package versions differ from " + requirements + ": " + ", ".join(wrong)
            + "\n  run scripts/models/check_fixtures.sh, which installs the pinned ones in a virtual environment,"
            + " or pass --any-versions to build anyway"
        )


def make_dnabert2(out):
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    folder = os.path.join(out, "dnabert2")
    os.makedirs(folder, exist_ok=True)
    special = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    tk = Tokenizer(models.BPE(unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=256, special_tokens=special, show_progress=False)
    tk.train_from_iterator(dna_training_text(), trainer)
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 1), ("[SEP]", 2)],
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", pad_token="[PAD]", mask_token="[MASK]")
    fast.save_pretrained(folder)
    vocab = tk.get_vocab_size()
    h, heads, inter, layers, eps = 48, 6, 64, 3, 1e-12
    cfg = {
        "architectures": ["BertForMaskedLM"], "model_type": "bert",
        "auto_map": {"AutoConfig": "configuration_bert.BertConfig", "AutoModel": "bert_layers.BertModel"},
        "alibi_starting_size": 512, "attention_probs_dropout_prob": 0.0, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0, "hidden_size": h, "intermediate_size": inter, "layer_norm_eps": eps,
        "max_position_embeddings": 512, "num_attention_heads": heads, "num_hidden_layers": layers,
        "position_embedding_type": "absolute", "type_vocab_size": 2, "vocab_size": vocab, "pad_token_id": 3,
    }
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    torch.manual_seed(5)
    model = DnaBert2(vocab, h, heads, inter, layers, eps).eval()
    _randomise(model)
    save_file(model.state_dict_hf(), os.path.join(folder, "model.safetensors"))
    seqs = dna_sequences()
    enc = [fast(s)["input_ids"] for s in seqs]
    ids, mask = pad_batch(enc, fast.pad_token_id)
    hs = model(ids, mask)
    save_reference(folder, seqs, seqs, enc, hs, mask, "all_tokens")


def make_buckets(out):
    """T5's relative position buckets for -300..299, for the Rust bucket function."""
    from transformers.models.t5.modeling_t5 import T5Attention

    r = torch.arange(-300, 300)
    table = {
        "first": -300,
        "b32_d128": T5Attention._relative_position_bucket(r, True, 32, 128).tolist(),
        "b64_d128": T5Attention._relative_position_bucket(r, True, 64, 128).tolist(),
    }
    with open(os.path.join(out, "t5_buckets.json"), "w") as f:
        json.dump(table, f)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(here, "../../crates/homolog-models/tests/fixtures"))
    ap.add_argument("--only", nargs="*", help="architectures to build (default: all)")
    data = os.environ.get("HOMOLOG_DATA") or os.path.join(here, "../../../shared/data")
    ap.add_argument(
        "--lambda-genome",
        default=os.path.join(data, "genomes/lambda_phage_NC_001416.1.fa.gz"),
        help="gzipped FASTA the DNA tokenizer is trained on (default: $HOMOLOG_DATA/genomes/lambda_phage_NC_001416.1.fa.gz)",
    )
    ap.add_argument("--any-versions", action="store_true", help="build with package versions other than the pinned ones")
    args = ap.parse_args()
    if not args.any_versions:
        check_versions(os.path.join(here, "requirements.txt"))
    if not os.path.isfile(args.lambda_genome):
        sys.exit(f"make_fixtures.py: lambda genome {args.lambda_genome} not found; set HOMOLOG_DATA or --lambda-genome")
    global LAMBDA_GENOME
    LAMBDA_GENOME = args.lambda_genome
    out = os.path.abspath(args.out)
    builders = {
        "esm2": make_esm2,
        "prot_t5": lambda o: make_t5(o, "prot_t5"),
        "prost_t5": lambda o: make_t5(o, "prost_t5"),
        "ankh3": make_ankh3,
        "dnabert2": make_dnabert2,
    }
    os.makedirs(out, exist_ok=True)
    make_buckets(out)
    for name, build in builders.items():
        if args.only and name not in args.only:
            continue
        folder = os.path.join(out, name)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        build(out)
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
        print(f"{name}: {folder} ({size / 1024:.0f} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
