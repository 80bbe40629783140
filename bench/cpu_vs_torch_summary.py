#!/usr/bin/env python3
"""Summarise bench/cpu_vs_torch.sh's folder: for each kind of run (the file
name without its cycle and a/b suffix: gdgpu-mlp, torch-mlp-f64, ...) and
each row (op, n), the median over the runs of each run's median time, the
range of the runs' medians, and the number of runs; then each run's wall
and CPU time (/usr/bin/time) and the load average around it (load.txt).

Usage: python3 bench/cpu_vs_torch_summary.py OUTDIR
"""

import glob
import json
import os
import re
import statistics
import sys


def kind(name):
    """gdgpu-mlp-1-a -> gdgpu-mlp; torch-mlp-f32-a -> torch-mlp-f32."""
    return re.sub(r"(-\d+)?-[ab]$", "", name)


def ms(s):
    return "%.4g ms" % (s * 1e3)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip())
    d = sys.argv[1]
    runs = {}
    for path in sorted(glob.glob(os.path.join(d, "*.json"))):
        name = os.path.basename(path)[:-5]
        try:
            with open(path) as f:
                runs[name] = json.load(f)
        except ValueError:  # a run still going, or one that failed
            print("%s: not a report, left out" % path, file=sys.stderr)
    kinds = {}
    for name, rep in runs.items():
        kinds.setdefault(kind(name), []).append(name)
    print("| runs | op | n | median of run medians | range of run medians | runs |")
    print("|---|---|---:|---:|---:|---:|")
    for k in sorted(kinds):
        cells = {}
        for name in kinds[k]:
            for r in runs[name]["rows"]:
                if not r.get("skipped"):
                    cells.setdefault((r["op"], r["n"]), []).append(r["median_s"])
        for (op, n), v in sorted(cells.items(), key=lambda x: (x[0][1], x[0][0])):
            print("| %s | %s | %d | %s | %s-%s | %d |" % (k, op, n, ms(statistics.median(v)), ms(min(v)), ms(max(v)), len(v)))
    print()
    load = {}
    lp = os.path.join(d, "load.txt")
    if os.path.exists(lp):
        with open(lp) as f:
            for line in f:
                w = line.split()
                load.setdefault(w[0], {})[w[1]] = " ".join(w[2:5])
    print("| run | wall s | user s | sys s | CPU / wall | threads | load before | load after |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    order = [l.split()[0] for l in open(lp)] if os.path.exists(lp) else sorted(runs)
    seen = set()
    for name in order:
        if name in seen or name not in runs:
            continue
        seen.add(name)
        t = os.path.join(d, name + ".time")
        wall = user = sys_ = float("nan")
        if os.path.exists(t):
            with open(t) as f:
                wall, user, sys_ = (float(x) for x in f.read().split()[-3:])
        print("| %s | %.1f | %.1f | %.1f | %.2f | %s | %s | %s |" % (
            name, wall, user, sys_, (user + sys_) / wall if wall > 0 else float("nan"),
            runs[name].get("cpu_threads", "?"), load.get(name, {}).get("before", "?"), load.get(name, {}).get("after", "?")))


if __name__ == "__main__":
    main()
