#!/usr/bin/env python3
"""Simulates paired reads from the shipped genomes at uneven abundances (seeded), as FASTQ.

    simulate_reads.py OUT.fastq.gz N_READS GENOME.fa.gz[:WEIGHT]...

Mates are named `<genome>_<i>/1` and `<genome>_<i>/2` (150 bp each, insert 300-500 bp, the
second mate reverse-complemented), 0.5% substitution errors; writes `OUT.truth.tsv`
(`read_id<TAB>genome`) next to the FASTQ for `homolog reads cluster --truth`.
"""
import gzip
import random
import sys

COMP = str.maketrans("ACGT", "TGCA")


def genome(path):
    with gzip.open(path, "rt") as fh:
        return "".join(l.strip().upper() for l in fh if not l.startswith(">"))


def mutate(rng, s):
    s = list(s)
    for i in range(len(s)):
        if rng.random() < 0.005:
            s[i] = rng.choice("ACGT")
    return "".join(s)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    specs = [a.rsplit(":", 1) if ":" in a else (a, "1") for a in sys.argv[3:]]
    genomes = [(p.split("/")[-1].split(".")[0].split("_")[0], genome(p), float(w)) for p, w in specs]
    total = sum(w * len(g) for _, g, w in genomes)
    rng = random.Random(16)
    pairs = n // 2
    q = "I" * 150
    with gzip.open(out, "wt", compresslevel=1) as fq, open(out.replace(".fastq.gz", "") + ".truth.tsv", "w") as truth:
        i = 0
        for name, g, w in genomes:
            share = round(pairs * w * len(g) / total)
            for _ in range(share):
                insert = rng.randint(300, 500)
                start = rng.randint(0, max(0, len(g) - insert))
                frag = g[start : start + insert]
                if rng.random() < 0.5:
                    frag = frag.translate(COMP)[::-1]
                r1 = mutate(rng, frag[:150])
                r2 = mutate(rng, frag[-150:].translate(COMP)[::-1])
                for m, r in ((1, r1), (2, r2)):
                    rid = f"{name}_{i}/{m}"
                    fq.write(f"@{rid}\n{r}\n+\n{q[:len(r)]}\n")
                    truth.write(f"{rid}\t{name}\n")
                i += 1
    print(f"simulated {2 * i} reads from {len(genomes)} genomes into {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
