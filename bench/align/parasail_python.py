#!/usr/bin/env python3
"""PROTEA's way: parasail from Python in a loop, one pair at a time.

Reads pairs as TSV on stdin (the last two fields of each line are the query and the
reference sequence), aligns each with parasail.nw_trace_striped_32 and
parasail.sw_trace_striped_32 (blosum62, open 10, extend 1) and counts identities,
similarities and gaps on the traceback strings, as PROTEA's compute_alignment does.
Prints: pairs <N> cells <C> seconds <S> checksum <X> (seconds = the alignment loop only).
"""
import sys
import time

import parasail


def stats(res):
    tb = res.traceback
    comp, q, r = tb.comp, tb.query, tb.ref
    ident = comp.count("|")
    sim = ident + comp.count(":")
    gaps = q.count("-") + r.count("-")
    return res.score, len(comp), ident, sim, gaps


def main():
    pairs = []
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        if len(f) >= 2 and f[-1] and f[-2]:
            pairs.append((f[-2], f[-1]))
    m = parasail.blosum62
    checksum = 0
    cells = 0
    t0 = time.perf_counter()
    for q, r in pairs:
        nw = parasail.nw_trace_striped_32(q, r, 10, 1, m)
        sw = parasail.sw_trace_striped_32(q, r, 10, 1, m)
        a, b = stats(nw), stats(sw)
        checksum += sum(a) + sum(b)
        cells += len(q) * len(r)
    secs = time.perf_counter() - t0
    print(f"pairs {len(pairs)} cells {cells} seconds {secs:.6f} checksum {checksum}")


if __name__ == "__main__":
    main()
