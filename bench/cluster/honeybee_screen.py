#!/usr/bin/env python3
"""Labels real honeybee reads by an exact k-mer screen against the 4 bee-virus genomes.

    honeybee_screen.py READS.fastq.gz GENOME.fa.gz... > labels.tsv

A read is `virus` when at least MIN_HITS of its canonical k-mers (k = 21) occur in one of the
genomes, else `other`. The 4 genomes (DWV, VDV-1 and two recombinants) share most of their
sequence, so one label covers them. Prints `read_id<TAB>label` (the truth-table format of
`homolog reads cluster --truth`) and a count line on stderr.
"""
import gzip
import sys

K = 21
MIN_HITS = 2
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def canonical_kmers(seq):
    seq = seq.upper()
    rc = seq.translate(COMPLEMENT)[::-1]
    n = len(seq)
    for i in range(n - K + 1):
        f = seq[i : i + K]
        if "N" in f:
            continue
        r = rc[n - i - K : n - i]
        yield f if f < r else r


def read_fasta(path):
    seq = []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            if not line.startswith(">"):
                seq.append(line.strip())
    return "".join(seq)


def main():
    reads, genomes = sys.argv[1], sys.argv[2:]
    if not genomes:
        sys.exit(__doc__)
    index = set()
    for g in genomes:
        index.update(canonical_kmers(read_fasta(g)))
    counts = {"virus": 0, "other": 0}
    out = sys.stdout
    with gzip.open(reads, "rt") as fh:
        while True:
            header = fh.readline()
            if not header:
                break
            seq = fh.readline().strip()
            fh.readline()
            fh.readline()
            rid = header[1:].split()[0]
            hits = sum(1 for k in canonical_kmers(seq) if k in index)
            label = "virus" if hits >= MIN_HITS else "other"
            counts[label] += 1
            out.write(f"{rid}\t{label}\n")
    print(
        f"screen: {len(index)} distinct {K}-mers in {len(genomes)} genomes; "
        f"{counts['virus']} virus reads, {counts['other']} other",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
