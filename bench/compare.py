#!/usr/bin/env python3
"""Join two `gdgpu bench --json`-shaped reports (e.g. gdgpu.json and torch.json)
by (op, n) and print each common row's median times and their ratio.

Usage: python3 bench/compare.py gdgpu.json torch.json
"""

import json
import sys


def rows(path):
    with open(path) as f:
        rep = json.load(f)
    return rep, {(r["op"], r["n"]): r for r in rep["rows"] if not r.get("skipped")}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    (ra, a), (rb, b) = rows(sys.argv[1]), rows(sys.argv[2])
    print("A = %s on %s; B = %s on %s" % (ra["tool"], ra["renderer"], rb["tool"], rb["renderer"]))
    print("%-16s %12s %12s %12s %10s %10s %8s" % ("op", "n", "A median", "B median", "A GB/s", "B GB/s", "B/A"))
    for key in sorted(set(a) & set(b), key=lambda k: (k[1], k[0])):
        x, y = a[key], b[key]
        print("%-16s %12d %10.4g ms %10.4g ms %10.1f %10.1f %8.2f" % (
            key[0], key[1], x["median_s"] * 1e3, y["median_s"] * 1e3, x["gbps"], y["gbps"],
            y["median_s"] / x["median_s"]))
    only = sorted(set(a) ^ set(b))
    if only:
        print("rows in one report only:", ", ".join("%s@%d" % k for k in only))


if __name__ == "__main__":
    main()
