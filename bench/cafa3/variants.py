#!/usr/bin/env python3
"""Score-formula variants on one homolog experiment (standard library only).

Reads the raw CSVs of a `homolog run` (its k neighbours per query, with NW/SW alignments), the
reference annotations (propagated with the ontology), and for every named variant writes a
prediction file `target term score` and evaluates it per aspect with `homolog evaluate`, printing
one line per variant: Fmax BPO MFO CCO (and the same for LK targets with --types type1 type2).
This is how the neighbour-vote formula (`postprocess.score: vote`) was chosen; see
docs/evaluation.md#the-neighbour-vote-score.

  variants.py --experiment EXP --annotations REF_GO.tsv --out DIR (--cafa3 DATA | --truth DIR) [VARIANT...]

  --cafa3 DATA   evaluate against the CAFA3 ground truth and NK/LK lists in DATA/go/cafa3_benchmark
  --truth DIR    evaluate against DIR/truth_{BPO,MFO,CCO}.tsv (all targets in them), e.g. the
                 held-out split written by tune_split.py

A voter is one reference protein among the query's neighbours that has annotations in the aspect;
its weight is its SW alignment score (sw), the square of it (sw2), its SW identity (idl, idl2,
idl3) or 1 (uniform). `topN_` keeps the N voters with the best SW score; `*maxidl` multiplies by
the best SW identity among the voters, `*maxidg` by the best NW identity; `+priorL` blends
(1 - L) x score + L x the term's frequency in the reference. `maxid_l`, `maxid_g`, `maxri`:
best-hit scores (the best SW / NW identity or reliability index among neighbours carrying the
term). NOPROP=1 in the environment transfers terms as annotated (no propagation).
"""

import argparse
import csv
import glob
import os
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baselines as B  # noqa: E402

ASPECT_OF = {"biological_process": "P", "molecular_function": "F", "cellular_component": "C"}
NAMES = {"P": "BPO", "F": "MFO", "C": "CCO"}


def load_neighbours(experiment):
    """query -> protein -> features of its first raw row (one alignment per protein)."""
    nb = defaultdict(dict)
    for path in glob.glob(f"{experiment}/raw_results/*/layer_*/*.csv"):
        with open(path) as f:
            for r in csv.DictReader(f):
                q, p = r["accession"], r["protein_id"]
                if p in nb[q]:
                    continue
                num = lambda k: float(r[k]) if r.get(k) not in (None, "") else 0.0  # noqa: E731
                nb[q][p] = dict(ri=num("reliability_index"), idg=num("identity"),
                                idl=num("identity_sw"), sw=num("alignment_score_sw"))
    return nb


def vote(voters, weight):
    total = sum(weight(f) for f, _ in voters)
    s = defaultdict(float)
    for f, terms in voters:
        for t in terms:
            s[t] += weight(f)
    return {t: v / total for t, v in s.items()} if total > 0 else {}


def best(voters, key):
    s = {}
    for f, terms in voters:
        for t in terms:
            s[t] = max(s.get(t, -1.0), key(f))
    return s


def times_max(score, key):
    def g(voters):
        s = score(voters)
        m = max(key(f) for f, _ in voters)
        return {t: x * m for t, x in s.items()}
    return g


def top(score, n):
    return lambda voters: score(sorted(voters, key=lambda v: -v[0]["sw"])[:n])


WEIGHTS = {
    "uniform": lambda f: 1.0, "sw": lambda f: f["sw"], "sw2": lambda f: f["sw"] ** 2,
    "idl": lambda f: f["idl"], "idl2": lambda f: f["idl"] ** 2, "idl3": lambda f: f["idl"] ** 3,
}
MAX = {"maxidl": lambda f: f["idl"], "maxidg": lambda f: f["idg"]}


def parse_variant(name):
    """(score function over voters, prior weight) for a variant name."""
    base, _, prior = name.partition("+prior")
    lam = float(prior) if prior else 0.0
    if base in ("maxid_l", "maxid_g", "maxri"):
        key = {"maxid_l": "idl", "maxid_g": "idg", "maxri": "ri"}[base]
        return (lambda v: best(v, lambda f: f[key])), lam
    n = None
    if base.startswith("top"):
        head, _, base = base.partition("_")
        n = int(head[3:])
    vote_part, _, mult = base.partition("*")
    if not vote_part.startswith("vote_") or vote_part[5:] not in WEIGHTS or (mult and mult not in MAX):
        sys.exit(f"variants.py: unknown variant {name}")
    w = WEIGHTS[vote_part[5:]]
    fn = lambda v: vote(v, w)  # noqa: E731
    if mult:
        fn = times_max(fn, MAX[mult])
    if n:
        fn = top(fn, n)
    return fn, lam


DEFAULT_VARIANTS = [
    "maxid_g", "maxid_l", "maxri", "vote_uniform", "vote_sw", "vote_sw*maxidl", "vote_sw2",
    "vote_sw2*maxidl", "vote_idl2", "top3_vote_sw*maxidl", "top5_vote_sw", "top5_vote_sw*maxidl",
    "top8_vote_sw*maxidl", "top10_vote_sw*maxidl", "top5_vote_sw*maxidg",
    "top5_vote_sw*maxidl+prior0.1", "top5_vote_sw*maxidl+prior0.2",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--experiment", required=True)
    ap.add_argument("--annotations", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bin", default=os.environ.get("HOMOLOG_BIN", "target/release/homolog"))
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--cafa3")
    g.add_argument("--truth")
    ap.add_argument("--types", nargs="+", default=["type1"])
    ap.add_argument("variants", nargs="*")
    args = ap.parse_args()
    data = args.cafa3 or os.environ.get("HOMOLOG_DATA", "../shared/data")
    obo = f"{data}/go/go-basic_2021-12-15.obo.gz"
    sys.setrecursionlimit(100000)
    namespace, parents, primary = B.read_obo(obo)
    ancestors = B.ancestors_fn(parents)
    nb = load_neighbours(args.experiment)
    needed = {p for ps in nb.values() for p in ps}
    terms_of, term_n, aspect_n = {}, defaultdict(int), defaultdict(int)
    for prot, terms in B.read_annotations(args.annotations).items():
        prop = set()
        for t in terms:
            if t in primary:
                prop |= ancestors(primary[t])
        for t in prop:
            term_n[t] += 1
        for ns in {namespace[t] for t in prop}:
            aspect_n[ns] += 1
        if prot in needed:
            terms_of[prot] = prop if not os.environ.get("NOPROP") else {primary[t] for t in terms if t in primary}
    prior = {t: n / aspect_n[namespace[t]] for t, n in term_n.items()}
    os.makedirs(args.out, exist_ok=True)
    print(f"{len(nb)} queries; Fmax BPO MFO CCO per type {' '.join(args.types)}", file=sys.stderr)
    for name in args.variants or DEFAULT_VARIANTS:
        score, lam = parse_variant(name)
        pred = os.path.join(args.out, "pred_" + name.replace("*", "x") + ".tsv")
        with open(pred, "w") as out:
            for q, ps in nb.items():
                for aspect in "PFC":
                    voters = [(f, [t for t in terms_of.get(p, ()) if ASPECT_OF[namespace[t]] == aspect])
                              for p, f in ps.items()]
                    voters = [(f, ts) for f, ts in voters if ts]
                    if not voters:
                        continue
                    s = {t: (1 - lam) * x for t, x in score(voters).items()}
                    if lam:
                        for t, p in prior.items():
                            if ASPECT_OF[namespace[t]] == aspect and p >= 0.01:
                                s[t] = s.get(t, 0.0) + lam * p
                    for t, x in s.items():
                        if x >= 0.005:
                            out.write(f"{q}\t{t}\t{min(1.0, x):.4f}\n")
        cells = []
        for typ in args.types:
            for a in ("BPO", "MFO", "CCO"):
                cmd = [args.bin, "-q", "evaluate", "--ontology", obo, "--aspect", a, "--predictions", pred]
                if args.cafa3:
                    cafa = f"{args.cafa3}/go/cafa3_benchmark"
                    cmd += ["--ground-truth", f"{cafa}/groundtruth_leafonly_{a}.tsv",
                            "--benchmark-list", f"{cafa}/lists/{a.lower()}_all_{typ}.txt"]
                else:
                    cmd += ["--ground-truth", f"{args.truth}/truth_{a}.tsv"]
                table = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                row = next(line for line in table.splitlines() if line.startswith(f"| {a} "))
                cells.append(row.split("|")[4].strip())
        print(f"{name:32s} {' '.join(cells)}", flush=True)


if __name__ == "__main__":
    main()
