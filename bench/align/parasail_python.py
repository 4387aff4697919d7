#!/usr/bin/env python3
"""PROTEA's way: parasail from Python in a loop, one pair at a time.

Usage: parasail_python.py [32|16] < pairs.tsv

Reads pairs as TSV on stdin (the last two fields of each line are the query and the
reference sequence), aligns each with parasail.nw_trace_striped_W and
parasail.sw_trace_striped_W (blosum62, open 10, extend 1) and counts identities,
similarities and gaps on the traceback strings, as PROTEA's compute_alignment does.
W = 32 (default) is what PROTEA calls; W = 16 uses the 16-bit functions and recomputes a
saturated result (score outside int16) with the 32-bit function, counted as a fallback.
Prints: pairs <N> cells <C> seconds <S> checksum <X> fallbacks <F> (seconds = the alignment
loop only).
"""
import sys
import time

import parasail


def stats(res, local=False):
    # A local score is never negative; parasail returns its lane type's minimum for a few tiny
    # pairs with no positive cell, so count it as 0 to keep checksums comparable across widths.
    score = max(res.score, 0) if local else res.score
    tb = res.traceback
    comp, q, r = tb.comp, tb.query, tb.ref
    ident = comp.count("|")
    sim = ident + comp.count(":")
    gaps = q.count("-") + r.count("-")
    return score, len(comp), ident, sim, gaps


def main():
    width = sys.argv[1] if len(sys.argv) > 1 else "32"
    if width not in ("32", "16"):
        sys.exit("usage: parasail_python.py [32|16] < pairs.tsv")
    nw_fn = getattr(parasail, f"nw_trace_striped_{width}")
    sw_fn = getattr(parasail, f"sw_trace_striped_{width}")
    pairs = []
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        if len(f) >= 2 and f[-1] and f[-2]:
            pairs.append((f[-2], f[-1]))
    m = parasail.blosum62
    checksum = 0
    cells = 0
    fallbacks = 0
    t0 = time.perf_counter()
    for q, r in pairs:
        nw = nw_fn(q, r, 10, 1, m)
        if width == "16" and nw.saturated:
            nw = parasail.nw_trace_striped_32(q, r, 10, 1, m)
            fallbacks += 1
        sw = sw_fn(q, r, 10, 1, m)
        if width == "16" and sw.saturated:
            sw = parasail.sw_trace_striped_32(q, r, 10, 1, m)
            fallbacks += 1
        a, b = stats(nw), stats(sw, local=True)
        checksum += sum(a) + sum(b)
        cells += len(q) * len(r)
    secs = time.perf_counter() - t0
    print(f"pairs {len(pairs)} cells {cells} seconds {secs:.6f} checksum {checksum} fallbacks {fallbacks}")


if __name__ == "__main__":
    main()
