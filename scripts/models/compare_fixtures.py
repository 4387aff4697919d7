#!/usr/bin/env python3
"""Compares two fixture folders made by make_fixtures.py (see check_fixtures.sh).

Every file of either folder must exist in both. Files equal byte for byte pass; .safetensors and
.bin/.pth (torch) files compare tensor by tensor: integer tensors exactly, float tensors within 1e-5.
Anything else that differs fails. Exit status 1 lists every difference. Top-level folders built by their
own scripts (OWN_SCRIPTS: unirep_fixtures.sh, esmc_fixtures.sh) are left out.
"""

import os
import sys

TOL = 1e-5
# Fixture folders with their own build script and package versions; not made by make_fixtures.py.
OWN_SCRIPTS = {"unirep", "esmc"}


def tensors(path):
    if path.endswith(".safetensors"):
        from safetensors.numpy import load_file

        return load_file(path)
    import torch

    return {k: v.float().numpy() if v.is_floating_point() else v.numpy() for k, v in torch.load(path).items()}


def compare(a_path, b_path):
    import numpy as np

    a, b = tensors(a_path), tensors(b_path)
    if set(a) != set(b):
        return [f"tensor names differ: {sorted(set(a) ^ set(b))}"]
    problems = []
    for name in sorted(a):
        x, y = a[name], b[name]
        if x.shape != y.shape:
            problems.append(f"{name}: shape {x.shape} vs {y.shape}")
        elif np.issubdtype(x.dtype, np.floating):
            d = float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)), initial=0.0))
            if d > TOL:
                problems.append(f"{name}: max abs diff {d:.3g} > {TOL}")
        elif not np.array_equal(x, y):
            problems.append(f"{name}: values differ")
    return problems


def files(root):
    found = set()
    for folder, _, names in os.walk(root):
        for n in names:
            rel = os.path.relpath(os.path.join(folder, n), root)
            if rel.split(os.sep)[0] not in OWN_SCRIPTS or os.sep not in rel:
                found.add(rel)
    return found


def main():
    committed, rebuilt = sys.argv[1], sys.argv[2]
    a, b = files(committed), files(rebuilt)
    problems = [f"{f}: only in {committed}" for f in sorted(a - b)]
    problems += [f"{f}: only in {rebuilt}" for f in sorted(b - a)]
    for f in sorted(a & b):
        pa, pb = os.path.join(committed, f), os.path.join(rebuilt, f)
        with open(pa, "rb") as x, open(pb, "rb") as y:
            if x.read() == y.read():
                continue
        if f.endswith((".safetensors", ".bin", ".pth")):
            problems += [f"{f}: {p}" for p in compare(pa, pb)]
        else:
            problems.append(f"{f}: contents differ")
    if problems:
        print("fixtures differ from what the script builds:", *problems, sep="\n  ")
        sys.exit(1)
    print(f"fixtures match: {len(a)} files")


if __name__ == "__main__":
    main()
