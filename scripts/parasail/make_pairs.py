#!/usr/bin/env python3
"""Pick the pairs for homolog-align's parasail parity fixture.

Writes TSV lines `query_id ref_id query_seq ref_seq` to stdout (the input of
parasail_driver). Ids are `QUERY:<id>` / `DB:<id>` for sequences of the MMseqs2
example set (QUERY.fasta.gz, DB.fasta.gz; id = first header token), read back at
test time from HOMOLOG_DATA, or `inline:<name>` for hand-made edge cases whose
sequences are stored in the fixture itself. Deterministic (fixed seed).
"""
import gzip
import random
import sys


def read_fasta(path):
    seqs, cur, parts = {}, None, []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith(">"):
                if cur is not None:
                    seqs[cur] = "".join(parts)
                cur, parts = line[1:].split()[0], []
            elif line:
                parts.append(line)
    if cur is not None:
        seqs[cur] = "".join(parts)
    return seqs


def main():
    data = sys.argv[1]
    query = read_fasta(f"{data}/proteins/mmseqs2_example/QUERY.fasta.gz")
    db = read_fasta(f"{data}/proteins/mmseqs2_example/DB.fasta.gz")
    rng = random.Random(20240611)
    qids, dids = sorted(query), sorted(db)
    pairs = []

    def add(qsrc, qid, dsrc, did):
        qs = (query if qsrc == "QUERY" else db)[qid]
        ds = (query if dsrc == "QUERY" else db)[did]
        pairs.append((f"{qsrc}:{qid}", f"{dsrc}:{did}", qs, ds))

    # Random query x reference pairs, skipping the very long ones (the long
    # cases are covered below) so the fixture stays quick to check.
    short_dids = [d for d in dids if len(db[d]) <= 1500]
    short_qids = [q for q in qids if len(query[q]) <= 1500]
    for _ in range(1100):
        add("QUERY", rng.choice(short_qids), "DB", rng.choice(short_dids))
    # Nearest-length partners: the realistic "homolog candidate" shape.
    by_len = sorted(short_dids, key=lambda d: (len(db[d]), d))
    lens = [len(db[d]) for d in by_len]
    import bisect
    for qid in rng.sample(short_qids, 450):
        k = bisect.bisect_left(lens, len(query[qid]))
        for off in (0, 1):
            j = min(max(k - off, 0), len(by_len) - 1)
            add("QUERY", qid, "DB", by_len[j])
    # Identical sequences (query against itself, reference against itself).
    for qid in rng.sample(short_qids, 60):
        add("QUERY", qid, "QUERY", qid)
    for did in rng.sample(short_dids, 40):
        add("DB", did, "DB", did)
    # Very different lengths, both orientations.
    shortest_q = sorted(qids, key=lambda q: (len(query[q]), q))[:10]
    longest_d = sorted(dids, key=lambda d: (-len(db[d]), d))[:40]
    for qid in shortest_q:
        for did in rng.sample(longest_d[10:], 3):
            add("QUERY", qid, "DB", did)
            add("DB", did, "QUERY", qid)
    # A few long pairs (memory and speed, long gaps).
    longest_q = sorted(qids, key=lambda q: (-len(query[q]), q))[:4]
    for qid, did in zip(longest_q, longest_d[:4]):
        add("QUERY", qid, "DB", did)
    # Sequences from the X/B/Z-bearing part of DB.
    odd = [d for d in short_dids if any(c in db[d] for c in "BZX")]
    for did in rng.sample(odd, min(30, len(odd))):
        add("QUERY", rng.choice(short_qids), "DB", did)

    # Hand-made edge cases, sequences inline.
    inline = [
        ("len1_same", "W", "W"), ("len1_diff", "W", "P"), ("len1_pos", "I", "V"),
        ("len1_vs_long", "A", "MKTAYIAKQRQISFVKSHFSRQ"),
        ("long_vs_len1", "MKTAYIAKQRQISFVKSHFSRQ", "K"),
        ("len2", "AC", "CA"), ("textbook", "HEAGAWGHEE", "PAWHEAE"),
        ("lowercase", "heagawghee", "PAWHEAE"), ("mixed_case", "HeAgAwGhEe", "pAwHeAe"),
        ("unknown_residues", "ACDUOJ*XBZ", "ACDUOJ*XBZ"), ("unknown_vs_known", "UUUOOO", "CCCAAA"),
        ("digits_and_symbols", "AC1D#E", "AC2D.E"),
        ("repeat_shift", "AAAAAAAAAA", "AAAA"), ("repeat_tie", "ACACACACAC", "CACACA"),
        ("all_negative", "WWWW", "PPPP"), ("gap_in_middle", "MKTAYIAKQRQISFVKSHFSRQ", "MKTAYIAKQISFVKSHFSRQ"),
    ]
    for name, q, d in inline:
        pairs.append((f"inline:{name}", f"inline:{name}", q, d))
    for name, q, d in [("empty_query", "", "ACDEF"), ("empty_ref", "ACDEF", ""), ("both_empty", "", "")]:
        pairs.append((f"inline:{name}", f"inline:{name}", q, d))
    # Low-complexity random pairs: many equal-scoring paths, so they exercise
    # every tie-breaking rule; lengths straddle the 8-lane stripe boundaries.
    for n in range(240):
        alphabet = rng.choice(["AG", "AST", "LIVM", "KR", "ACDEFGHIKLMNPQRSTVWY", "WPG"])
        lq, ld = rng.randint(1, 70), rng.randint(1, 70)
        q = "".join(rng.choice(alphabet) for _ in range(lq))
        d = "".join(rng.choice(alphabet) for _ in range(ld))
        pairs.append((f"inline:lowcx{n}", f"inline:lowcx{n}", q, d))
    for qid, did, qs, ds in pairs:
        print(f"{qid}\t{did}\t{qs}\t{ds}")


if __name__ == "__main__":
    main()
