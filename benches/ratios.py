#!/usr/bin/env python3
"""Prints the ratios of one criterion run: for each group, every function against the group's
baseline (`jsonwebtoken_decode` for `verify/*`). Reads target/criterion/*/*/new/estimates.json."""
import json
import pathlib
import sys

BASELINES = {"verify": "jsonwebtoken_decode"}
root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = []
for group_dir in sorted(root.glob("*_*")) + sorted(root.glob("*")):
    pass
groups = {}
for est in root.glob("**/new/estimates.json"):
    rel = est.relative_to(root).parts[:-2]  # e.g. ('verify_RS256', 'verifier')
    if len(rel) != 2:
        continue
    group, func = rel
    groups.setdefault(group, {})[func] = json.loads(est.read_text())["median"]["point_estimate"]
for group in sorted(groups):
    prefix = group.split("_")[0]
    base_name = BASELINES.get(prefix)
    funcs = groups[group]
    if base_name not in funcs:
        continue
    base = funcs[base_name]
    for func, ns in sorted(funcs.items()):
        print(f"{group:<20} {func:<22} {ns / 1000:9.2f} µs  {ns / base:5.2f}x {base_name}")
