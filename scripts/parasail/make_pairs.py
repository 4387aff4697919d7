#!/usr/bin/env python3
"""Pick the pairs for homolog-align's parasail parity fixture.

Writes TSV lines `query_id ref_id query_seq ref_seq` to stdout (the input of
parasail_driver). Ids are `QUERY:<id>` / `DB:<id>` for sequences of the MMseqs2
example set (QUERY.fasta.gz, DB.fasta.gz; id = first header token), `SP:<acc>` for
the Swiss-Prot subset (proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz),
all read back at test time from HOMOLOG_DATA, or `inline:<name>` for hand-made edge
cases whose sequences are stored in the fixture itself. Deterministic (fixed seeds).

About 11,000 pairs, over 10,000 of them real: random pairs, nearest-length pairs,
homologous pairs (most shared 5-mers), identical, very different lengths, rare residues.
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
    add_swissprot_and_homologs(data, query, db, pairs)
    for qid, did, qs, ds in pairs:
        print(f"{qid}\t{did}\t{qs}\t{ds}")


def kmer_neighbours(targets, sources, k, top, rng, n_sources, exclude_self):
    """For `n_sources` random source ids, the `top` target ids sharing the most k-mers
    (at least 3): real homologous pairs, the common case in FANTASIA/PROTEA."""
    index = {}
    for tid, seq in targets.items():
        for km in {seq[i:i + k] for i in range(len(seq) - k + 1)}:
            index.setdefault(km, []).append(tid)
    out = []
    for sid in rng.sample(sorted(sources), n_sources):
        seq = sources[sid]
        counts = {}
        for km in {seq[i:i + k] for i in range(len(seq) - k + 1)}:
            lst = index.get(km)
            if lst is None or len(lst) > 200:  # low-complexity k-mers say nothing
                continue
            for tid in lst:
                counts[tid] = counts.get(tid, 0) + 1
        if exclude_self:
            counts.pop(sid, None)
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        out.extend((sid, tid) for tid, c in best if c >= 3)
    return out


def add_swissprot_and_homologs(data, query, db, pairs):
    sp = read_fasta(f"{data}/proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz")
    rng = random.Random(20140101)
    sets = {"QUERY": query, "DB": db, "SP": sp}

    def add(qsrc, qid, dsrc, did):
        pairs.append((f"{qsrc}:{qid}", f"{dsrc}:{did}", sets[qsrc][qid], sets[dsrc][did]))

    short = lambda s, lim=1500: sorted(i for i, v in s.items() if 0 < len(v) <= lim)
    sp_ids, q_ids, db_ids = short(sp), short(query), short(db)
    # Homologous pairs: MMseqs2 example queries against their k-mer nearest DB entries,
    # and Swiss-Prot proteins against their nearest other Swiss-Prot protein.
    short_db = {d: db[d] for d in db_ids}
    for qid, did in kmer_neighbours(short_db, {q: query[q] for q in q_ids}, 5, 4, rng, 400, False):
        add("QUERY", qid, "DB", did)
    short_sp = {s: sp[s] for s in sp_ids}
    for a, b in kmer_neighbours(short_sp, short_sp, 5, 2, rng, 1200, True):
        add("SP", a, "SP", b)
    # Random Swiss-Prot pairs (mostly unrelated).
    for _ in range(3000):
        add("SP", rng.choice(sp_ids), "SP", rng.choice(sp_ids))
    # Nearest-length Swiss-Prot partners.
    by_len = sorted(sp_ids, key=lambda s: (len(sp[s]), s))
    for i in rng.sample(range(len(by_len) - 1), 1000):
        add("SP", by_len[i], "SP", by_len[i + 1])
    # Swiss-Prot against the MMseqs2 DB, both directions.
    for _ in range(400):
        add("SP", rng.choice(sp_ids), "DB", rng.choice(db_ids))
        add("DB", rng.choice(db_ids), "SP", rng.choice(sp_ids))
    # Identical and very different lengths.
    for s in rng.sample(sp_ids, 150):
        add("SP", s, "SP", s)
    shortest = sorted(sp, key=lambda s: (len(sp[s]), s))[:30]
    longest = sorted(sp_ids, key=lambda s: (-len(sp[s]), s))[:30]
    for a in shortest:
        b = rng.choice(longest)
        add("SP", a, "SP", b)
        add("SP", b, "SP", a)
    # Rare residues (X, U, B, Z) on either side.
    odd = [s for s in sp_ids if any(c in sp[s] for c in "XUBZ")]
    for s in rng.sample(odd, min(100, len(odd))):
        add("SP", s, "SP", rng.choice(sp_ids))


if __name__ == "__main__":
    main()
