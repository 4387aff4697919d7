#!/usr/bin/env python3
"""A held-out split of the `full` Swiss-Prot 2014 reference, for choosing a score formula
without looking at CAFA3 (standard library only).

  tune_split.py --full DIR --out DIR [--n 2000]

Holds out the N annotated proteins with the smallest SHA-256 of "tune-2014:<accession>" and
writes OUT/queries.fasta (them), OUT/ref.fasta + OUT/ref_go.tsv (the rest, without any protein
whose sequence equals a held-out one) and OUT/truth_{BPO,MFO,CCO}.tsv (the held-out proteins'
own 2014 annotations, every evidence code). The split is deterministic.
"""

import argparse
import hashlib
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", required=True, help="folder with reference.fasta and reference_go.tsv")
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    seqs, order, cur = {}, [], None
    with open(f"{args.full}/reference.fasta") as f:
        for line in f:
            if line.startswith(">"):
                cur = line[1:].split()[0]
                seqs[cur] = []
                order.append(cur)
            else:
                seqs[cur].append(line.strip())
    seqs = {k: "".join(v) for k, v in seqs.items()}
    ann = defaultdict(list)
    with open(f"{args.full}/reference_go.tsv") as f:
        header = f.readline()
        for line in f:
            row = line.rstrip("\n").split("\t")
            ann[row[0]].append(row)
    key = lambda p: hashlib.sha256(f"tune-2014:{p}".encode()).hexdigest()  # noqa: E731
    held = set(sorted((p for p in order if p in ann), key=key)[: args.n])
    held_seqs = {seqs[p] for p in held}
    kept = lambda p: p not in held and seqs.get(p) not in held_seqs  # noqa: E731
    with open(f"{args.out}/queries.fasta", "w") as q, open(f"{args.out}/ref.fasta", "w") as r:
        for p in order:
            if p in held:
                q.write(f">{p}\n{seqs[p]}\n")
            elif kept(p):
                r.write(f">{p}\n{seqs[p]}\n")
    with open(f"{args.out}/ref_go.tsv", "w") as r:
        r.write(header)
        for p, rows in ann.items():
            if kept(p):
                for row in rows:
                    r.write("\t".join(row) + "\n")
    names = {"P": "BPO", "F": "MFO", "C": "CCO"}
    outs = {a: open(f"{args.out}/truth_{n}.tsv", "w") for a, n in names.items()}
    for p in sorted(held):
        for row in ann[p]:
            outs[row[2]].write(f"{p}\t{row[1]}\n")
    for f in outs.values():
        f.close()
    print(f"tune_split: {len(held)} held out, {sum(1 for p in order if kept(p))} reference proteins kept")


if __name__ == "__main__":
    main()
