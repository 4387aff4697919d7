#!/usr/bin/env python3
"""Helpers of bench/cafa3/run.sh (standard library only).

  baselines.py naive  --annotations REF_GO.tsv --ontology GO.obo[.gz] --targets T.fasta --out-prefix P
      CAFA's naive baseline: every target gets every term of the reference, scored by the term's
      frequency among the reference proteins annotated in the term's aspect. Annotations are
      propagated to their is_a/part_of ancestors in the same namespace first (alt ids mapped to
      primary ids, obsolete or unknown terms dropped), so a parent is at least as frequent as any
      child. Terms below 0.01 are not written: the evaluator's thresholds start at 0.01. Writes
      P_BPO.tsv, P_MFO.tsv and P_CCO.tsv (`target term score`).

  baselines.py besthit --annotations REF_GO.tsv --hits HITS.m8 --out P.tsv
      CAFA's BLAST baseline on MMseqs2 hits (`query target fident ...`): each hit transfers the
      terms of its reference protein scored by the hit's sequence identity (fident, 0..1); a
      (target, term) pair keeps its best score. Terms are written as annotated; the evaluator
      propagates predictions (an ancestor gets the best score of its descendants), which equals
      propagating here.

  baselines.py collect --out-tsv T.tsv --out-md T.md RESULT...
      RESULT is METHOD:TYPE:ASPECT:FILE with FILE the table `homolog evaluate` printed; writes one
      table (method, type, aspect, targets, coverage, Fmax, tau, P, R, wFmax, Smin) as TSV and
      markdown. Fails when a table lacks its aspect's row.

The annotation TSV is `accession<TAB>go_id[<TAB>aspect...]`; a first line without `GO:` is a header.
"""

import argparse
import gzip
import sys
from collections import defaultdict


def open_text(path):
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def read_annotations(path):
    """accession -> set of GO ids, as written."""
    ann = defaultdict(set)
    with open_text(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2 or not fields[1].startswith("GO:"):
                continue
            ann[fields[0]].add(fields[1])
    return ann


def read_obo(path):
    """(namespace of each live term, parents within the namespace, alt/primary id -> primary)."""
    namespace, parents, primary = {}, defaultdict(set), {}
    obsolete = set()
    term = None

    def flush():
        if term is None:
            return
        tid = term["id"]
        if term["obsolete"]:
            obsolete.add(tid)
            return
        namespace[tid] = term["namespace"]
        primary[tid] = tid
        for alt in term["alt"]:
            primary.setdefault(alt, tid)
        parents[tid] |= term["parents"]

    with open_text(path) as f:
        for raw in f:
            line = raw.strip()
            if line.startswith("["):
                flush()
                term = (
                    {"id": None, "namespace": None, "alt": [], "parents": set(), "obsolete": False}
                    if line == "[Term]"
                    else None
                )
                continue
            if term is None or ":" not in line:
                continue
            key, _, value = line.partition(":")
            value = value.split("!")[0].strip()
            if key == "id":
                term["id"] = value
            elif key == "namespace":
                term["namespace"] = value
            elif key == "alt_id":
                term["alt"].append(value)
            elif key == "is_obsolete" and value == "true":
                term["obsolete"] = True
            elif key == "is_a":
                term["parents"].add(value.split()[0])
            elif key == "relationship":
                rel = value.split()
                if len(rel) >= 2 and rel[0] == "part_of":
                    term["parents"].add(rel[1])
        flush()
    # Edges only within a namespace (go-basic has none across; a full go.obo might).
    for tid in list(parents):
        parents[tid] = {p for p in parents[tid] if namespace.get(p) == namespace[tid]}
    return namespace, parents, primary


def ancestors_fn(parents):
    memo = {}

    def ancestors(tid):
        if tid in memo:
            return memo[tid]
        out = {tid}
        for p in parents.get(tid, ()):
            out |= ancestors(p)
        memo[tid] = frozenset(out)
        return memo[tid]

    return ancestors


ASPECTS = {"biological_process": "BPO", "molecular_function": "MFO", "cellular_component": "CCO"}


def fasta_ids(path):
    ids = []
    with open_text(path) as f:
        for line in f:
            if line.startswith(">"):
                ids.append(line[1:].split()[0])
    return ids


def naive(args):
    sys.setrecursionlimit(100000)
    namespace, parents, primary = read_obo(args.ontology)
    ancestors = ancestors_fn(parents)
    ann = read_annotations(args.annotations)
    term_proteins = defaultdict(int)
    aspect_proteins = defaultdict(int)
    for terms in ann.values():
        prop = set()
        for t in terms:
            p = primary.get(t)
            if p is not None:
                prop |= ancestors(p)
        for t in prop:
            term_proteins[t] += 1
        for ns in {namespace[t] for t in prop}:
            aspect_proteins[ns] += 1
    scored = []
    for t, n in term_proteins.items():
        freq = n / aspect_proteins[namespace[t]]
        if freq >= 0.01:
            scored.append((t, freq))
    scored.sort(key=lambda x: (-x[1], x[0]))
    targets = fasta_ids(args.targets)
    # One file per aspect: each evaluation reads only its own aspect's rows.
    for ns, aspect in ASPECTS.items():
        with open(f"{args.out_prefix}_{aspect}.tsv", "w") as out:
            terms = [(t, f) for t, f in scored if namespace[t] == ns]
            for target in targets:
                for t, freq in terms:
                    out.write(f"{target}\t{t}\t{freq:.6f}\n")
    print(
        f"naive: {len(ann)} reference proteins, "
        + ", ".join(f"{ns} {n}" for ns, n in sorted(aspect_proteins.items()))
        + f"; {len(scored)} terms >= 0.01 for {len(targets)} targets",
        file=sys.stderr,
    )


def besthit(args):
    ann = read_annotations(args.annotations)
    best = {}
    hits = 0
    with open_text(args.hits) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3:
                continue
            query, target, ident = fields[0], fields[1], float(fields[2])
            if not 0.0 <= ident <= 1.0:
                sys.exit(f"besthit: identity {ident} outside [0, 1] in {args.hits}: {line!r}")
            hits += 1
            for t in ann.get(target, ()):
                key = (query, t)
                if ident > best.get(key, -1.0):
                    best[key] = ident
    with open(args.out, "w") as out:
        for (query, t), s in sorted(best.items()):
            out.write(f"{query}\t{t}\t{s:.4f}\n")
    queries = len({q for q, _ in best})
    print(f"besthit: {hits} hits, {queries} targets with transferred terms, {len(best)} predictions", file=sys.stderr)


COLUMNS = ["targets", "coverage", "Fmax", "tau", "P", "R", "wFmax", "Smin"]


def parse_table(path, aspect):
    header = None
    with open(path) as f:
        for line in f:
            if not line.startswith("|"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            elif cells[0] == aspect:
                row = dict(zip(header, cells))
                missing = [c for c in COLUMNS if c not in row]
                if missing:
                    sys.exit(f"collect: {path} has no column {missing}")
                return row
    sys.exit(f"collect: no {aspect} row in {path}")


def collect(args):
    rows = []
    for spec in args.results:
        method, typ, aspect, path = spec.split(":", 3)
        rows.append([method, typ, aspect] + [parse_table(path, aspect)[c] for c in COLUMNS])
    head = ["method", "type", "aspect"] + COLUMNS
    with open(args.out_tsv, "w") as out:
        out.write("\t".join(head) + "\n")
        for r in rows:
            out.write("\t".join(r) + "\n")
    with open(args.out_md, "w") as out:
        out.write("| " + " | ".join(head) + " |\n")
        out.write("|" + "|".join(["---"] * 3 + ["---:"] * len(COLUMNS)) + "|\n")
        for r in rows:
            out.write("| " + " | ".join(r) + " |\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("naive")
    n.add_argument("--annotations", required=True)
    n.add_argument("--ontology", required=True)
    n.add_argument("--targets", required=True)
    n.add_argument("--out-prefix", required=True, help="writes PREFIX_{BPO,MFO,CCO}.tsv")
    b = sub.add_parser("besthit")
    b.add_argument("--annotations", required=True)
    b.add_argument("--hits", required=True)
    b.add_argument("--out", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out-tsv", required=True)
    c.add_argument("--out-md", required=True)
    c.add_argument("results", nargs="+")
    args = ap.parse_args()
    {"naive": naive, "besthit": besthit, "collect": collect}[args.cmd](args)


if __name__ == "__main__":
    main()
