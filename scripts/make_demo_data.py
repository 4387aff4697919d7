#!/usr/bin/env python3
"""Builds data/demo/, the real proteins `homolog demo` ships (standard library only).

Usage: scripts/make_demo_data.py [--data DIR] [--out DIR]
  --data  the shared data folder (default $HOMOLOG_DATA, else ../shared/data next to the repository)
  --out   where to write (default data/demo in the repository)

Inputs (see shared/data/SOURCES.md):
  proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz + swissprot2014_5000_go.tsv.gz
      5,000 Swiss-Prot proteins with GO annotations in all three aspects (Swiss-Prot/GOA, Jan 2014)
  go/go-basic_2021-12-15.obo.gz
      GO basic, release 2021-12-15

Outputs (gzip with a zero timestamp, so a re-run writes byte-identical files):
  queries.fasta.gz, queries_go.tsv.gz        the held-out proteins and their annotations (truth)
  reference.fasta.gz, reference_go.tsv.gz    the other proteins: the reference to annotate from
  go-basic-demo.obo.gz                       go-basic pruned to the terms the demo can meet

The split: the QUERIES proteins whose SHA-256 of "SEED:accession" is smallest are held out; the
rest is the reference, less any protein whose sequence equals a held-out protein's (so every
query is annotated from other proteins). A hash order rather than a PRNG keeps the split the
same on every Python version.

The ontology keeps every term of the annotations (found by primary or alternative id) and the
closure of their is_a and part_of parents, with only the tags homolog reads for propagation (id,
name, namespace, alt_id, is_a, relationship: part_of, is_obsolete). Terms that are obsolete in
2021 stay as obsolete stanzas, so they are dropped and counted as obsolete as with the full
file. Propagation, root terms and namespaces of every annotated term are those of the full
go-basic, so evaluating the demo's predictions gives the same numbers with either file.
"""

import argparse
import gzip
import hashlib
import io
import os
import sys

SEED = "20140101-demo"
QUERIES = 500
KEEP_TAGS = ("id", "name", "namespace", "alt_id", "is_a", "is_obsolete")


def open_text(path):
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def write_gz(path, text):
    """Writes text gzip-compressed with mtime 0 and no file name, atomically."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as gz:
        gz.write(text.encode())
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)
    return len(buf.getvalue())


def read_fasta(path):
    """[(accession, sequence)] in file order."""
    records, acc, seq = [], None, []
    with open_text(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                if acc is not None:
                    records.append((acc, "".join(seq)))
                acc, seq = line[1:].split()[0], []
            elif line:
                seq.append(line)
    if acc is not None:
        records.append((acc, "".join(seq)))
    return records


def read_annotations(path):
    """(header line, [(accession, line)]) of the `accession go_id aspect` TSV."""
    with open_text(path) as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    header = lines[0] if not lines[0].split("\t")[1].startswith("GO:") else None
    rows = lines[1:] if header else lines
    return header, [(r.split("\t")[0], r) for r in rows]


def fasta_text(records):
    out = []
    for acc, seq in records:
        out.append(">" + acc)
        out.extend(seq[i : i + 60] for i in range(0, len(seq), 60))
    return "\n".join(out) + "\n"


def tsv_text(header, rows):
    return "\n".join(([header] if header else []) + rows) + "\n"


def read_obo(path):
    """(header lines, [stanza as list of (tag, value)]) of the [Term] stanzas."""
    header, stanzas, current, started = [], [], None, False
    with open_text(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("["):
                started = True
                current = [] if line == "[Term]" else None
                if current is not None:
                    stanzas.append(current)
            elif not started:
                if line:
                    header.append(line)
            elif current is not None and ":" in line:
                tag, _, value = line.partition(":")
                current.append((tag.strip(), value.strip()))
    return header, stanzas


def prune_obo(obo_path, used_terms):
    header, stanzas = read_obo(obo_path)
    by_id, primary = {}, {}
    for s in stanzas:
        tid = next(v for t, v in s if t == "id")
        by_id[tid] = s
        primary[tid] = tid
    for s in stanzas:
        tid = next(v for t, v in s if t == "id")
        for t, v in s:
            if t == "alt_id":
                primary.setdefault(v.split()[0], tid)

    def parents(s):
        out = []
        for t, v in s:
            if t == "is_a":
                out.append(v.split()[0])
            elif t == "relationship":
                rel = v.split()
                if len(rel) >= 2 and rel[0] == "part_of":
                    out.append(rel[1])
        return out

    keep, stack, unknown = set(), [], set()
    for term in used_terms:
        if term in primary:
            stack.append(primary[term])
        else:
            unknown.add(term)
    while stack:
        tid = stack.pop()
        if tid in keep:
            continue
        keep.add(tid)
        stack.extend(p for p in parents(by_id[tid]) if p not in keep)

    kept_header = [
        l
        for l in header
        if l.split(":")[0] in ("format-version", "data-version", "default-namespace", "ontology")
    ]
    kept_header.append(
        "remark: go-basic pruned by homolog's scripts/make_demo_data.py to the is_a/part_of "
        "closure of the terms in data/demo (tags other than id, name, namespace, alt_id, is_a, "
        "relationship: part_of and is_obsolete removed)"
    )
    out = ["\n".join(kept_header), ""]
    obsolete = 0
    for s in stanzas:
        tid = next(v for t, v in s if t == "id")
        if tid not in keep:
            continue
        lines = ["[Term]"]
        for t, v in s:
            if t in KEEP_TAGS or (t == "relationship" and v.split()[0] == "part_of"):
                lines.append(f"{t}: {v}")
        obsolete += any(t == "is_obsolete" and v == "true" for t, v in s)
        out.append("\n".join(lines) + "\n")
    out.append("[Typedef]\nid: part_of\nname: part of\nis_transitive: true\n")
    return "\n".join(out), len(keep), obsolete, unknown


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("HOMOLOG_DATA", os.path.join(root, "..", "shared", "data")))
    ap.add_argument("--out", default=os.path.join(root, "data", "demo"))
    args = ap.parse_args()

    subset = os.path.join(args.data, "proteins", "swissprot2014_go_subset")
    fasta_in = os.path.join(subset, "swissprot2014_5000.fasta.gz")
    go_in = os.path.join(subset, "swissprot2014_5000_go.tsv.gz")
    obo_in = os.path.join(args.data, "go", "go-basic_2021-12-15.obo.gz")
    for p in (fasta_in, go_in, obo_in):
        if not os.path.isfile(p):
            sys.exit(f"make_demo_data.py: {p} not found (set HOMOLOG_DATA or --data to the shared data folder)")

    proteins = read_fasta(fasta_in)
    header, annotations = read_annotations(go_in)
    annotated = {acc for acc, _ in annotations}
    proteins = [(a, s) for a, s in proteins if a in annotated]

    order = sorted(proteins, key=lambda r: hashlib.sha256(f"{SEED}:{r[0]}".encode()).hexdigest())
    held_out = {a for a, _ in order[:QUERIES]}
    queries = [r for r in proteins if r[0] in held_out]
    query_seqs = {s for _, s in queries}
    reference = [r for r in proteins if r[0] not in held_out and r[1] not in query_seqs]
    dropped = len(proteins) - len(queries) - len(reference)
    kept_ref = {a for a, _ in reference}

    query_rows = [row for acc, row in annotations if acc in held_out]
    ref_rows = [row for acc, row in annotations if acc in kept_ref]
    used = {row.split("\t")[1] for row in query_rows + ref_rows}
    obo_text, n_terms, n_obsolete, unknown = prune_obo(obo_in, used)

    os.makedirs(args.out, exist_ok=True)
    sizes = {
        "queries.fasta.gz": write_gz(os.path.join(args.out, "queries.fasta.gz"), fasta_text(queries)),
        "queries_go.tsv.gz": write_gz(os.path.join(args.out, "queries_go.tsv.gz"), tsv_text(header, query_rows)),
        "reference.fasta.gz": write_gz(os.path.join(args.out, "reference.fasta.gz"), fasta_text(reference)),
        "reference_go.tsv.gz": write_gz(os.path.join(args.out, "reference_go.tsv.gz"), tsv_text(header, ref_rows)),
        "go-basic-demo.obo.gz": write_gz(os.path.join(args.out, "go-basic-demo.obo.gz"), obo_text),
    }
    print(
        f"make_demo_data.py: {len(queries)} queries ({len(query_rows)} annotation rows), "
        f"{len(reference)} reference proteins ({len(ref_rows)} rows; {dropped} dropped for a query's "
        f"sequence), ontology {n_terms} terms ({n_obsolete} obsolete; {len(unknown)} annotated ids "
        f"not in go-basic 2021) -> {args.out}"
    )
    for name, size in sizes.items():
        print(f"  {name}: {size} bytes")


if __name__ == "__main__":
    main()
