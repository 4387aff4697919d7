#!/usr/bin/env python3
"""Write tests/fixtures/protea/taxonomy_pairs.json from PROTEA's own `compute_taxonomy`.

PROTEA (github.com/frapercan/PROTEA, protea/core/feature_engineering.py) computes the
taxonomy features of a (query taxid, reference taxid) pair from ete3's NCBITaxa lineages.
This script loads that module straight from a PROTEA source folder (no stub, no copy),
points its NCBITaxa handle at a database built offline from a taxdump, calls
`compute_taxonomy` on chosen pairs and records what it returns (or the exception it
raises). homolog-taxonomy's parity test replays every case.

Two taxonomies are used:

* `wol`: the real Web-of-Life NCBI taxdump subset in the data folder
  (taxonomy/wol_taxdump_{nodes,names}.dmp.gz) plus three made-up merged ids (the subset
  ships no merged.dmp). Pairs are drawn with a fixed seed from the genomes' taxids and
  their lineages: identical ids, ancestor/descendant at every depth, direct parents,
  siblings, cousins at every LCA depth, bacteria vs archaea, random genome pairs,
  unknown ids, merged ids and malformed raw values.
* `mini`: a small hand-made tree stored in the fixture itself, because the real subset
  cannot reach some rules (its root has one child, so `root-only` never happens; its
  lineages are too shallow for `close`).

Usage: taxonomy_fixture.py PROTEA_SRC DATA_DIR OUT_JSON [PROTEA_COMMIT]
Needs ete3 (3.1.3) importable; nothing is downloaded.
"""
import contextlib
import gzip
import importlib.util
import io
import json
import os
import random
import sys
import tarfile
import tempfile
import warnings

PROTEA_SRC, DATA_DIR, OUT_JSON = sys.argv[1:4]
PROTEA_COMMIT = sys.argv[4] if len(sys.argv) > 4 else "unknown"

# Made-up merged ids for the WoL subset: old id -> new id (the last target is not a node).
WOL_MERGED = [(90000001, 562), (90000002, 561), (90000003, 12345678)]

# The hand-made tree: (taxid, parent, rank). Root 1 has two children (131567 and 10239) so
# that `root-only` is reachable; a chain of 18 nodes under Bacteria makes lineages deep
# enough for `close` (more than 15 common ancestors), with side branches at chosen depths
# to hit the 3 / 15 / 16 boundaries.
MINI_NODES = [(1, 1, "no rank"), (131567, 1, "no rank"), (2, 131567, "superkingdom"),
              (2157, 131567, "superkingdom"), (3001, 2157, "species"),
              (10239, 1, "superkingdom"), (4001, 10239, "genus"), (4002, 4001, "species"),
              (1200, 2, "phylum")]
_parent = 2
for _i in range(1, 19):
    MINI_NODES.append((1000 + _i, _parent, "no rank"))
    _parent = 1000 + _i
MINI_NODES += [(2001, 1018, "species"), (2002, 1018, "species"), (1103, 1003, "no rank"),
               (1112, 1012, "no rank"), (1113, 1013, "no rank")]
MINI_MERGED = [(5001, 2001), (5002, 4002), (5003, 999999)]
MINI_PAIRS = [
    (4002, 2001, "root-only: viruses vs bacteria"), (2001, 4002, "root-only reversed"),
    (10239, 2, "root-only between superkingdoms"), (2001, 3001, "distant"),
    (2157, 2, "distant, two common"), (1200, 2001, "intermediate, 3 common"),
    (1103, 2001, "intermediate"), (1112, 2002, "intermediate, 15 common"),
    (1113, 2002, "close, 16 common"), (2001, 2002, "close, siblings deep down"),
    (1018, 2001, "ancestor (parent)"), (2001, 1018, "descendant (child)"),
    (1, 4002, "root vs leaf"), (4002, 1, "leaf vs root"), (2001, 2001, "same"),
    (5001, 2001, "merged id vs its target"), (2001, 5001, "target vs merged id"),
    (5001, 2002, "merged id vs sibling of its target"), (5001, 5001, "same merged id"),
    (5002, 5001, "two merged ids, root-only"), (5003, 2001, "merged into an unknown id"),
    (42, 2001, "unknown query"), (2001, 42, "unknown reference"), (42, 42, "same unknown"),
]


def load_compute_taxonomy():
    path = os.path.join(PROTEA_SRC, "protea", "core", "feature_engineering.py")
    spec = importlib.util.spec_from_file_location("protea_feature_engineering", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not module._ETE3_AVAILABLE:
        sys.exit("error: ete3 is not importable (pip install ete3==3.1.3)")
    return module


def dmp_lines(rows):
    return "".join("\t|\t".join(str(f) for f in row) + "\t|\n" for row in rows).encode()


def build_ete3_db(workdir, nodes_bytes, names_bytes, merged):
    """NCBITaxa database built offline from a taxdump (ete3 parses the tar itself)."""
    from ete3 import NCBITaxa

    tar_path = os.path.join(workdir, "taxdump.tar.gz")
    with tarfile.open(tar_path, "w:gz") as tar:
        for name, data in [("nodes.dmp", nodes_bytes), ("names.dmp", names_bytes),
                           ("merged.dmp", dmp_lines(merged))]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    cwd = os.getcwd()
    os.chdir(workdir)  # ete3 writes its intermediate tables into the current folder
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return NCBITaxa(dbfile=os.path.join(workdir, "taxa.sqlite"), taxdump_file=tar_path)
    finally:
        os.chdir(cwd)


def run_cases(fe, ncbi, pairs):
    fe._ncbi = ncbi  # the module-level handle `_get_ncbi` returns
    fe._cached_lineage.cache_clear()
    cases = []
    for query, reference, why in pairs:
        case = {"query": query, "reference": reference, "why": why}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ete3 warns on every merged-id translation
                case["result"] = fe.compute_taxonomy(query, reference)
        except Exception as e:  # PROTEA crashes on some inputs; record that
            case["error"] = type(e).__name__
        cases.append(case)
    return cases


def wol_pairs():
    tax = os.path.join(DATA_DIR, "taxonomy")
    parent = {}
    with gzip.open(os.path.join(tax, "wol_taxdump_nodes.dmp.gz"), "rt") as f:
        for line in f:
            fields = line.split("\t|\t")
            parent[int(fields[0])] = int(fields[1])
    with gzip.open(os.path.join(tax, "wol_genome_taxid.map.gz"), "rt") as f:
        genomes = sorted({int(line.split("\t")[1]) for line in f if line.strip()})
    genomes = [g for g in genomes if g in parent]

    def lineage(t):  # taxid first, root last
        out = [t]
        while parent[out[-1]] != out[-1]:
            out.append(parent[out[-1]])
        return out

    children = {}
    for t, p in parent.items():
        if t != p:
            children.setdefault(p, []).append(t)
    for c in children.values():
        c.sort()

    rng = random.Random(14)
    pairs = [
        (562, 562, "same species"), (1, 1, "same root"), (561, 562, "genus vs its species"),
        (562, 561, "species vs its genus"), (2, 562, "superkingdom vs species"),
        (83333, 2, "strain vs superkingdom"), (1, 83333, "root vs strain"),
        (83333, 1, "strain vs root"), (131567, 2157, "cellular organisms vs archaea"),
        (562, 2158, "E. coli vs an archaeal genus"), (2, 2157, "bacteria vs archaea"),
        (562, 620, "two Enterobacteriaceae genera"), (83333, 83334, "two E. coli strains"),
        (562, 9606, "reference not in the subset (human)"),
        (9606, 562, "query not in the subset"), (9606, 9606, "same id, not in the subset"),
        (9606, 10090, "both unknown"), (None, 562, "no query taxid"),
        (562, None, "no reference taxid"), (None, None, "neither taxid"),
        ("562", "561", "string ids"), (" 562 ", 561, "padded string id"),
        ("+562", 562, "explicit plus sign"), ("5_62", 562, "underscore digit separator"),
        ("0562", 562, "leading zero"), ("562.0", 562, "decimal string"),
        (562.0, 562, "float value"), ("abc", 562, "not a number"), ("", 562, "empty string"),
        (562, "E. coli", "reference not a number"), (-562, 562, "negative id"),
        (-5, -5, "same negative id"), (0, 562, "zero query (ete3 returns None)"),
        (562, 0, "zero reference"), (0, 0, "both zero"), (4294967296, 562, "beyond u32"),
        ("99999999999999999999", 562, "beyond i64"),
    ]
    for old, new in WOL_MERGED:
        pairs += [(old, new, "merged id vs its target"), (new, old, "target vs merged id"),
                  (old, 2, "merged id vs superkingdom"), (old, old, "same merged id")]
    pairs.append((90000001, 90000002, "two merged ids"))

    sample = rng.sample(genomes, 40)
    for g in sample[:20]:
        lin = lineage(g)
        anc = lin[rng.randrange(1, len(lin))]
        pairs += [(anc, g, "ancestor at a random depth"), (g, anc, "descendant, reversed"),
                  (lin[1], g, "direct parent"), (g, lin[1], "direct child")]
    # Cousins: two taxa whose deepest common ancestor is a chosen node, at every depth.
    for g in sample[20:]:
        lin = lineage(g)
        for anc in lin[1:]:
            subtrees = [c for c in children.get(anc, []) if c not in lin]
            if subtrees:
                other = rng.choice(subtrees)
                while children.get(other) and rng.random() < 0.7:
                    other = rng.choice(children[other])
                pairs.append((g, other, f"cousins below {anc}"))
                if rng.random() < 0.3:
                    break
    for _ in range(40):
        a, b = rng.sample(genomes, 2)
        pairs.append((a, b, "random genome pair"))
    # The deepest lineages, each with the genome sharing most of its lineage: the most
    # common ancestors the subset has (it never reaches `close`, hence the mini tree).
    deepest = sorted(genomes, key=lambda g: (-len(lineage(g)), g))[:5]
    for g in deepest:
        lin = set(lineage(g))
        best = max((o for o in genomes if o != g),
                   key=lambda o: (len(lin.intersection(lineage(o))), -o))
        pairs.append((g, best, "deepest lineage and its closest genome"))
    return pairs


def main():
    fe = load_compute_taxonomy()
    import ete3

    out = {
        "about": "PROTEA's compute_taxonomy on (query, reference) taxid pairs; written by "
                 "scripts/protea/taxonomy_fixture.py (see scripts/protea/regenerate.sh)",
        "protea": {"repository": "frapercan/PROTEA", "commit": PROTEA_COMMIT,
                   "function": "protea/core/feature_engineering.py:compute_taxonomy"},
        "ete3": getattr(ete3, "__version__", "unknown"),
    }
    tax = os.path.join(DATA_DIR, "taxonomy")
    with tempfile.TemporaryDirectory() as work:
        nodes = gzip.open(os.path.join(tax, "wol_taxdump_nodes.dmp.gz")).read()
        names = gzip.open(os.path.join(tax, "wol_taxdump_names.dmp.gz")).read()
        os.mkdir(os.path.join(work, "wol"))
        ncbi = build_ete3_db(os.path.join(work, "wol"), nodes, names, WOL_MERGED)
        out["wol"] = {
            "taxdump": ["taxonomy/wol_taxdump_nodes.dmp.gz", "taxonomy/wol_taxdump_names.dmp.gz"],
            "merged": [list(m) for m in WOL_MERGED],
            "cases": run_cases(fe, ncbi, wol_pairs()),
        }
        mini_names = [(t, f"taxon {t}", "", "scientific name") for t, _, _ in MINI_NODES]
        os.mkdir(os.path.join(work, "mini"))
        ncbi = build_ete3_db(os.path.join(work, "mini"), dmp_lines(MINI_NODES),
                             dmp_lines(mini_names), MINI_MERGED)
        out["mini"] = {
            "nodes": [list(n) for n in MINI_NODES],
            "merged": [list(m) for m in MINI_MERGED],
            "cases": run_cases(fe, ncbi, MINI_PAIRS),
        }
    with open(OUT_JSON, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for part in ("wol", "mini"):
        counts = {}
        for c in out[part]["cases"]:
            key = c["result"]["taxonomic_relation"] if "result" in c else "error:" + c["error"]
            counts[key] = counts.get(key, 0) + 1
        print(f"{part}: {len(out[part]['cases'])} cases {dict(sorted(counts.items()))}",
              file=sys.stderr)


main()
