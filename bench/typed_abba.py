#!/usr/bin/env python3
"""A typed objective against its hand-written twin, the way issue 14 asks.

Runs `gdgpu run --device cpu` with --problem P (A) and --objective EXPR (B)
in ABBA order, REPS times, at --dim and --steps, and prints, per pair kind,
the median steps/s (from the summary) and CPU time per step (user + sys of
the process, from wait4), then the typed / hand-written ratios: of steps/s
per repetition (median and range) and of the median CPU times (which a
loaded machine distorts less). BENCHMARKS.md, "Typed objectives on the
CPU", records the figures and the method.

Usage: bench/typed_abba.py BIN [--reps 8] [--dim 1000000] [--steps 200]
       [--objective rosenbrock|rastrigin|ackley|griewank] [--device cpu] [--before BIN2]

With --before, each repetition runs BIN2's ABBA then BIN's, so that two
builds are compared in the same minutes.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

OBJECTIVES = {
    "rosenbrock": "sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)",
    "rastrigin": "10*n+sum(x[i]^2-10*cos(2*pi*x[i]))",
    "ackley": "-20*exp(-0.2*sqrt(mean(x[i]^2))) - exp(mean(cos(2*pi*x[i]))) + 20 + e",
    "griewank": "1 + sum(x[i]^2)/4000 - prod(cos(x[i]/sqrt(i+1)))",
}


def run(binary, args):
    """Runs one descent; returns (steps/s, CPU seconds per step)."""
    cmd = [binary, "run"] + args
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read().decode()
    _, status, usage = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"typed_abba: {' '.join(cmd)} failed:\n{out}")
    m = re.search(r"steps/s:\s*([0-9.e+]+)", out)
    s = re.search(r"steps:\s*([0-9]+)", out)
    if not m or not s:
        sys.exit(f"typed_abba: no steps/s in the output of {' '.join(cmd)}:\n{out}")
    return float(m.group(1)), (usage.ru_utime + usage.ru_stime) / int(s.group(1))


def abba(binary, common, name, expr):
    a = ["--problem", name] + common
    b = ["--objective", expr] + common
    h1, t1, t2, h2 = run(binary, a), run(binary, b), run(binary, b), run(binary, a)
    return (h1, h2), (t1, t2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("--before", help="a second build, run first in each repetition")
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--dim", type=int, default=1000000)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--objective", choices=sorted(OBJECTIVES), default="rosenbrock")
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    common = ["--device", a.device, "--dim", str(a.dim), "--steps", str(a.steps),
              "--log-every", str(a.steps)]
    builds = [("before", a.before)] if a.before else []
    builds.append(("after" if a.before else "build", a.binary))
    res = {label: [] for label, _ in builds}
    for _ in range(a.reps):
        for label, binary in builds:
            res[label].append(abba(binary, common, a.objective, OBJECTIVES[a.objective]))
    print(f"{a.objective}, --dim {a.dim} --steps {a.steps}, {a.reps} ABBA repetitions")
    print("build | hand-written steps/s | typed steps/s | typed/hand per rep: median [range] | CPU ms/step hand, typed | by CPU time")
    for label, _ in builds:
        reps = res[label]
        hs = [x[0] for h, _ in reps for x in h]
        ts = [x[0] for _, t in reps for x in t]
        hc = [x[1] for h, _ in reps for x in h]
        tc = [x[1] for _, t in reps for x in t]
        ratio = [(t[0][0] + t[1][0]) / (h[0][0] + h[1][0]) for h, t in reps]
        print(f"{label} | {statistics.median(hs):.1f} | {statistics.median(ts):.1f} | "
              f"{statistics.median(ratio):.2f} [{min(ratio):.2f}-{max(ratio):.2f}] | "
              f"{1e3 * statistics.median(hc):.2f}, {1e3 * statistics.median(tc):.2f} | "
              f"{statistics.median(hc) / statistics.median(tc):.2f}")


if __name__ == "__main__":
    main()
