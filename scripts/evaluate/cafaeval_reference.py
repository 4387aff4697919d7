#!/usr/bin/env python3
"""Recomputes, with CAFA-evaluator (`cafaeval` on PyPI), the reference values that
crates/homolog-evaluate/tests/real_data.rs compares homolog's evaluator with.

Run it through scripts/evaluate/cafaeval_reference.sh, which installs the pinned cafaeval into a
virtual environment. Data is read from $HOMOLOG_DATA (default ../shared/data next to the
repository).

It calls cafaeval's own parsers and metric code (obo_parser, gt_parser, pred_parser,
evaluate_prediction: ontology, propagation, per-threshold precision/recall/ru/mi) and replaces
only what `cafaeval.evaluation.cafa_eval` does around them:

- the threshold grid. cafa_eval uses numpy.arange(0.01, 1, 0.01), whose values include
  0.07000000000000001 and 0.5700000000000001 (so a score written as 0.57 is not >= tau = 0.57)
  and which stops at 0.99. With `--grid exact` (the default) the grid is k/100, k = 1..100, as in
  homolog; `--grid stock` keeps cafa_eval's.
- the best-row selection, done as cafa_eval does it (rows with coverage 0 removed, first
  maximum = lowest threshold wins ties), except that Smin is the minimum of the IA-weighted S
  (`s_w`, the CAFA definition and homolog's), where cafa_eval's "best s" row minimises the
  unweighted S.
- benchmark lists (CAFA `lists/*_type1.txt`): the ground truth is restricted to the listed
  targets before cafaeval reads it.
- gzipped OBO files are decompressed to a temporary folder (cafaeval reads plain text).

Output: one line per case, the columns named in the header; floats with 9 decimals (so a value
differs from cafaeval's double by at most 5e-10), thresholds with 2.
"""

import argparse
import gzip
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from cafaeval.evaluation import evaluate_prediction
from cafaeval.parser import gt_parser, obo_parser, pred_parser

ASPECTS = {"BPO": "biological_process", "MFO": "molecular_function", "CCO": "cellular_component"}
COLUMNS = "case n_targets n_covered coverage fmax tau precision recall wfmax wtau smin smin_tau"


def data_dir() -> Path:
    env = os.environ.get("HOMOLOG_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def plain(path: Path, tmp: Path) -> str:
    """cafaeval opens the OBO as text: decompress a .gz copy."""
    if path.suffix != ".gz":
        return str(path)
    out = tmp / path.stem
    if not out.exists():
        with gzip.open(path, "rb") as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return str(out)


def restricted(gt: Path, targets: Path, tmp: Path) -> str:
    """The ground-truth rows of the targets in a CAFA benchmark list."""
    keep = {line.split()[0] for line in targets.read_text().splitlines() if line.strip()}
    out = tmp / f"{gt.stem}.{targets.stem}.tsv"
    with open(gt) as src, open(out, "w") as dst:
        for line in src:
            cols = line.split()
            if cols and cols[0] in keep:
                dst.write(line)
    return str(out)


def grid(kind: str) -> np.ndarray:
    if kind == "stock":
        return np.arange(0.01, 1, 0.01)
    return np.array([k / 100 for k in range(1, 101)])


def fmt(x, decimals=9) -> str:
    return "-" if x is None else f"{x:.{decimals}f}"


def evaluate(case, ontologies, gt_file, pred_file, namespace, taus, threads):
    """One line of results for `namespace`, computed by cafaeval's code."""
    gt = gt_parser(gt_file, ontologies)
    prediction = pred_parser(pred_file, ontologies, gt, "max", None)
    prediction = {ns: p for ns, p in prediction.items() if ns == namespace}
    df = evaluate_prediction(prediction, gt, ontologies, taus, normalization="cafa", n_cpu=threads)
    df = df[df["ns"] == namespace]
    n_targets = gt[namespace].matrix.shape[0]
    first = df.iloc[0]  # the lowest threshold, before rows without coverage are removed
    n_covered = int(first["n"])
    df = df[df["cov"] > 0].reset_index(drop=True)
    best = df.loc[df["f"].idxmax()]
    weighted = "f_w" in df.columns
    wbest = df.loc[df["f_w"].idxmax()] if weighted else None
    sbest = df.loc[df["s_w"].idxmin()] if weighted else None
    return " ".join(
        [
            case,
            str(n_targets),
            str(n_covered),
            fmt(n_covered / n_targets),
            fmt(best["f"]),
            fmt(best["tau"], 2),
            fmt(best["pr"]),
            fmt(best["rc"]),
            fmt(wbest["f_w"] if weighted else None),
            fmt(wbest["tau"] if weighted else None, 2),
            fmt(sbest["s_w"] if weighted else None),
            fmt(sbest["tau"] if weighted else None, 2),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", choices=["exact", "stock"], default="exact")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--only",
        choices=["idpo", "cafa3", "cafa3-go2019"],
        action="append",
        help="run only these groups (repeatable); default all",
    )
    args = parser.parse_args()
    groups = args.only or ["idpo", "cafa3", "cafa3-go2019"]
    d = data_dir()
    taus = grid(args.grid)
    import cafaeval  # noqa: F401  (the version is printed from the installed metadata)
    from importlib.metadata import version

    print(f"# cafaeval {version('cafaeval')}, numpy {np.__version__}, grid {args.grid}, data {d}")
    print(f"# {COLUMNS}")
    sys.stdout.flush()
    with tempfile.TemporaryDirectory(prefix="cafaeval-ref-") as t:
        tmp = Path(t)
        if "idpo" in groups:
            ex = d / "go/cafa_evaluator_example"
            obo = str(ex / "IDPO_disorder_function.obo")
            for orphans, label in [(False, "roots_dropped"), (True, "roots_kept")]:
                # orphans=True keeps the root terms (cafaeval without -no_orphans).
                onto = obo_parser(obo, ("is_a", "part_of"), None, orphans)
                for k in range(1, 6):
                    print(
                        evaluate(
                            f"idpo/pred_{k}/{label}",
                            onto,
                            str(ex / "ground_truth.tsv"),
                            str(ex / f"predictions/pred_{k}.tsv"),
                            "disorder_function",
                            taus,
                            args.threads,
                        ),
                        flush=True,
                    )
        b = d / "go/cafa3_benchmark"
        ia = str(d / "go/IA_cafa6.tsv")
        for group, obo in [
            ("cafa3", "go-basic_2021-12-15.obo.gz"),
            ("cafa3-go2019", "go_2019-01-29.obo.gz"),
        ]:
            if group not in groups:
                continue
            # Roots dropped (cafaeval -no_orphans), CAFA6 information accretion.
            onto = obo_parser(plain(d / "go" / obo, tmp), ("is_a", "part_of"), ia, False)
            benchmarks = ["NK", "all"] if group == "cafa3" else ["NK"]
            for bench in benchmarks:
                for aspect, namespace in ASPECTS.items():
                    lower = aspect.lower()
                    gt = b / f"groundtruth_leafonly_{aspect}.tsv"
                    gt_file = (
                        restricted(gt, b / f"lists/{lower}_all_type1.txt", tmp)
                        if bench == "NK"
                        else str(gt)
                    )
                    pred = b / f"gopredsim_seqvec_k1_predictions/targets_1_{lower}.tsv"
                    print(
                        evaluate(
                            f"{group}/{bench}/{aspect}",
                            onto,
                            gt_file,
                            str(pred),
                            namespace,
                            taus,
                            args.threads,
                        ),
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
