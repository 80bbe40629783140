#!/usr/bin/env python3
"""Join two `gdgpu bench --json`-shaped reports (e.g. gdgpu.json and torch.json)
by (op, n) and print each common row's median times and their ratio; then
print every row of each gdgpu report and check its figures against the speed
goals (issue 7, BENCHMARKS.md).

Usage: python3 bench/compare.py [--markdown] gdgpu.json [torch.json ...]

With one report only the goals that need no torch figure are checked.
Reports of `gdgpu bench --mlp` and `torch_baseline.py --mlp` (rows mlp-step
and gemm) are joined by device (gdgpu's gpu with torch's cuda, cpu with cpu)
and checked against issue 16's goals instead (mlp_goals). More
than one gdgpu report (an f32 and an f64 sweep, say) may be given; every
file whose "tool" is "torch" is the PyTorch side. --markdown prints tables
for report.md (scripts/gpu-check.sh) instead of aligned text.
"""

import json
import sys

# The goals, at N = 1e8 in float32 on an H100-class GPU:
#   adam        gdgpu's fused adam step at >= 85% of its copy bandwidth
#   ros+adam    fused rosenbrock+adam <= 1.0 ms, and >= 3x PyTorch eager
#   adam-given  no slower than torch.optim.Adam(fused=True)
#   loss        the loss alone <= 0.16 ms
#   overhead    <= 20 us of host (CPU and driver) time per step
GOAL_N = 100_000_000
ROSEN_EXPR = "sum(100*(x[i+1]-x[i]^2)^2+(1-x[i])^2)"  # without spaces


# Issue 16's goals (bench --mlp), on an H100/H200 and on the CPU here:
#   gemm      the GEMM kernel alone at >= 50% of the device's fp32
#             non-tensor-core peak (at the largest size measured, one line
#             per invocation block: gemm is the mlp's 2 x 2, gemm-r4 and
#             gemm-r8 the 4 x 4 and 8 x 8 blocks; n.a. where the peak is
#             unknown)
#   mlp gpu   gdgpu's f32 training step within 2x of torch's fp32 CUDA step
#   mlp cpu   the CPU reference's step within 2x of torch's CPU step: one
#             line per torch CPU report (float64 first, as the reference
#             is; torch's CPU speed is its BLAS's, which each line names)
MLP_OPS = ("mlp-step", "gemm", "gemm-r4", "gemm-r8")
GEMM_OPS = MLP_OPS[1:]


# gdgpu's row -> torch's row of the same work where the names differ:
# gdgpu's "adam" (Adam fused with the quadratic at cond 1) is torch's
# "quadratic+adam" (0.5*sum(x^2) through autograd, then Adam); gdgpu's own
# "quadratic+adam" is at cond 100 (coefficients read) and has no torch row.
TORCH_OP = {"adam": "quadratic+adam", "quadratic+adam": None}


def torch_key(a, k):
    """The key in a torch report of report a's row k (None: no such row)."""
    if a["tool"] == "torch" or k[0] not in TORCH_OP:
        return k
    op = TORCH_OP[k[0]]
    return (op, k[1]) if op else None


def is_mlp(rep):
    """Whether a report is a bench --mlp one (only mlp-step and gemm rows)."""
    return bool(rep["rows"]) and all(r["op"] in MLP_OPS for r in rep["rows"])


def same_device(a, b):
    """gdgpu's gpu is torch's cuda; cpu is cpu."""
    return {"gpu": "cuda"}.get(a.get("device"), a.get("device")) == {"gpu": "cuda"}.get(b.get("device"), b.get("device"))


def mlp_goals(ours, torches):
    """Issue 16's goals over every --mlp report: (goal, figure, target, verdict)."""
    out = []

    def add(name, figure, target, ok):
        out.append((name, figure, target, "n.a." if ok is None else ("met" if ok else "missed")))

    gpu = [g for g in ours if g.get("device") == "gpu" and g.get("precision") == "f32"]
    cpu = [g for g in ours if g.get("device") == "cpu"]
    tcuda = [t for t in torches if t.get("device") == "cuda" and t.get("precision") == "f32"]
    # torch's CPU step in float64 (the reference's precision) if given, else any
    tcpu = sorted([t for t in torches if t.get("device") == "cpu"], key=lambda t: t.get("precision") != "f64")
    any_gemm = False
    for gop in GEMM_OPS:
        gemm = [(n, r) for g in gpu for (op, n), r in g["_rows"].items() if op == gop and not r.get("skipped")]
        if not gemm:
            continue
        any_gemm = True
        n, r = max(gemm, key=lambda x: x[0])
        frac = r.get("peak_fraction")
        add("%s kernel alone, %d^3: fraction of fp32 peak" % (gop, n),
            "%.1f%% (%.4g GFLOP/s)" % (100 * frac, r["gflops"]) if frac else "%.4g GFLOP/s, peak unknown" % r.get("gflops", 0),
            ">= 50% (H100/H200)", frac >= 0.5 if frac else None)
    if not any_gemm:
        add("gemm kernel alone: fraction of fp32 peak", "no row", ">= 50% (H100/H200)", None)
    for name, mine, theirs, what in (("gpu f32 / torch fp32 CUDA", gpu, tcuda, "mlp-step"),
                                     ("cpu reference / torch CPU", cpu, tcpu, "mlp-step")):
        ns = sorted({n for g in mine for (op, n) in g["_rows"] if op == what})
        if not ns:
            add("mlp step, %s" % name, "no row", "<= 2x", None)
        for n in ns:
            r = next(g["_rows"][(what, n)] for g in mine if (what, n) in g["_rows"])
            ts = [x for x in theirs if (what, n) in x["_rows"]]
            if not ts:
                add("mlp step, batch %d, %s" % (n, name), "no torch row", "<= 2x", None)
            # Every torch report of the device: on the CPU torch's speed is
            # its BLAS's, so a report per BLAS may be given.
            for t in ts:
                q = r["median_s"] / t["_rows"][(what, n)]["median_s"]
                add("mlp step, batch %d, %s (torch %s%s)" % (n, name, t.get("precision", ""), blas_name(t, ", ")),
                    "%.2fx" % q, "<= 2x", q <= 2)
    return out


def blas_name(rep, sep):
    """The BLAS library a torch CPU report loaded, as sep + its file name."""
    libs = [x.strip().rsplit("/", 1)[-1] for x in rep.get("blas", "").split(",") if x.strip()]
    return sep + "BLAS " + " ".join(libs) if libs else ""


def load(path):
    with open(path) as f:
        rep = json.load(f)
    rep["_path"] = path
    rep["_rows"] = {(r["op"], r["n"]): r for r in rep["rows"] if not r.get("skipped")}
    return rep


def joined(a, b, md):
    """Rows present in both reports, side by side."""
    ra, rb = a["_rows"], b["_rows"]
    title = "A = %s %s on %s%s; B = %s %s on %s%s" % (
        a["tool"], a.get("precision", ""), a["renderer"], blas_name(a, ", "),
        b["tool"], b.get("precision", ""), b["renderer"], blas_name(b, ", "))
    keys = sorted([k for k in ra if torch_key(a, k) in rb], key=lambda k: (k[1], k[0]))
    # The mlp rows are FLOP-bound (no byte model): GFLOP/s, not GB/s.
    unit, fig = ("GFLOP/s", "gflops") if is_mlp(a) else ("GB/s", "gbps")
    if md:
        print("%s\n" % title)
        print("| op (A / B where they differ) | n | A median | B median | A %s | B %s | B/A |" % (unit, unit))
        print("|---|---:|---:|---:|---:|---:|---:|")
    else:
        print(title)
        print("%-28s %12s %12s %12s %10s %10s %8s" % ("op (A / B)", "n", "A median", "B median", "A " + unit, "B " + unit, "B/A"))
    for k in keys:
        kb = torch_key(a, k)
        x, y = ra[k], rb[kb]
        name = k[0] if kb[0] == k[0] else "%s / %s" % (k[0], kb[0])
        cells = (name, k[1], x["median_s"] * 1e3, y["median_s"] * 1e3, x.get(fig, 0), y.get(fig, 0), y["median_s"] / x["median_s"])
        if md:
            print("| %s | %d | %.4g ms | %.4g ms | %.1f | %.1f | %.2f |" % cells)
        else:
            print("%-28s %12d %10.4g ms %10.4g ms %10.1f %10.1f %8.2f" % cells)
    only = ["A's %s@%d" % k for k in sorted(set(ra) - set(keys))]
    only += ["B's %s@%d" % k for k in sorted(set(rb) - {torch_key(a, k) for k in keys})]
    if only:
        print("\nrows without a pair:", ", ".join(only))
    print()


def table(rep, md):
    """Every row of one report, skipped ones with their reason."""
    print("%s %s on %s, %s reps:\n" % (rep["tool"], rep.get("precision", ""), rep["renderer"], rep.get("reps", "?")))
    flops = is_mlp(rep)  # GFLOP/s and the fraction of the peak, not GB/s
    if md:
        print("| op | n | median | %s | of %s | host overhead | |" % (("GFLOP/s", "peak") if flops else ("GB/s", "baseline")))
        print("|---|---:|---:|---:|---:|---:|---|")
    for r in rep["rows"]:
        if r.get("skipped"):
            cells = (r["op"], "%d" % r["n"], "-", "-", "-", "-", "skipped: " + r["skipped"])
        else:
            over = r.get("overhead_per_op_s")
            fig, frac = (r.get("gflops", 0), r.get("peak_fraction")) if flops else (r["gbps"], r.get("baseline_fraction"))
            cells = (r["op"], "%d" % r["n"], "%.4g ms" % (r["median_s"] * 1e3), "%.1f" % fig,
                     "%.0f%%" % (100 * frac) if frac else "-",
                     "%.1f us" % (over * 1e6) if over is not None else "-", "")
        if md:
            print("| %s |" % " | ".join(cells))
        else:
            print("  %-16s %12s %12s %8s %6s %10s %s" % cells)
    print()


def goals(g, torch):
    """Each goal with gdgpu's figure, the target and met/missed/n.a."""
    rows = g["_rows"]
    t = torch["_rows"] if torch else {}
    out = []

    def add(name, figure, target, ok):
        out.append((name, figure, target, "n.a." if ok is None else ("met" if ok else "missed")))

    r = rows.get(("adam", GOAL_N))
    add("adam fused step, 1e8: fraction of copy bandwidth",
        "%.0f%%" % (100 * r["baseline_fraction"]) if r else "no row", ">= 85%",
        r["baseline_fraction"] >= 0.85 if r else None)
    r = rows.get(("rosenbrock+adam", GOAL_N))
    add("rosenbrock+adam fused, 1e8: median", "%.3f ms" % (r["median_s"] * 1e3) if r else "no row",
        "<= 1.0 ms (H100)", r["median_s"] <= 1e-3 if r else None)
    tr = t.get(("rosenbrock+adam", GOAL_N))
    add("rosenbrock+adam, 1e8: torch eager / gdgpu",
        "%.2fx" % (tr["median_s"] / r["median_s"]) if r and tr else "no pair", ">= 3x",
        tr["median_s"] / r["median_s"] >= 3 if r and tr else None)
    r, tr = rows.get(("adam-given", GOAL_N)), t.get(("adam-given", GOAL_N))
    add("adam on a stored gradient, 1e8: gdgpu / torch fused Adam",
        "%.2fx" % (r["median_s"] / tr["median_s"]) if r and tr else "no pair", "<= 1.00x",
        r["median_s"] <= tr["median_s"] if r and tr else None)
    r = rows.get(("loss", GOAL_N))
    add("loss alone, 1e8: median", "%.3f ms" % (r["median_s"] * 1e3) if r else "no row", "<= 0.16 ms",
        r["median_s"] <= 1.6e-4 if r else None)
    # Issue 14: the typed Rosenbrock's fused step within 10% of the
    # hand-written one, at the largest n both rows have.
    # Only when the typed objective is the Rosenbrock sum: bench --objective
    # takes any expression, and another one says nothing about this goal.
    pair = [n for (op, n), x in rows.items() if op == "objective+adam" and ("rosenbrock+adam", n) in rows
            and ROSEN_EXPR in "".join(x.get("desc", "").split())]
    if pair:
        n = max(pair)
        q = rows[("objective+adam", n)]["median_s"] / rows[("rosenbrock+adam", n)]["median_s"]
        add("typed rosenbrock+adam / hand-written, n=%d" % n, "%.2fx" % q, "<= 1.10x", q <= 1.10)
    else:
        add("typed rosenbrock+adam / hand-written", "no pair", "<= 1.10x", None)
    over = [x["overhead_per_op_s"] for (op, n), x in rows.items()
            if op in ("sgd", "momentum", "adam", "rosenbrock+adam", "quadratic+adam") and x.get("overhead_per_op_s") is not None]
    add("host overhead per step (worst step row, any n)", "%.1f us" % (max(over) * 1e6) if over else "no row",
        "<= 20 us", max(over) <= 2e-5 if over else None)
    # Issue 15: an L-BFGS iteration faster than torch's, at the largest n
    # both reports have (bench --lbfgs and torch_baseline.py --lbfgs).
    for m in (10, 100):
        op = "lbfgs-h%d" % m
        pair = [n for (o, n) in rows if o == op and (op, n) in t]
        if pair:
            n = max(pair)
            q = t[(op, n)]["median_s"] / rows[(op, n)]["median_s"]
            add("lbfgs iteration, %d pairs, n=%d: torch / gdgpu" % (m, n), "%.2fx" % q, ">= 1x", q >= 1)
        else:
            add("lbfgs iteration, %d pairs: torch / gdgpu" % m, "no pair", ">= 1x", None)
    return out


def cpu_goals(g):
    """Issue 7's CPU goal: the fused adam step at >= 50% of the same run's
    STREAM triad, at the largest n of the report."""
    ns = [n for (op, n) in g["_rows"] if op == "adam"]
    if not ns:
        return [("adam fused step: fraction of the triad", "no row", ">= 50%", "n.a.")]
    n = max(ns)
    f = g["_rows"][("adam", n)]["baseline_fraction"]
    return [("adam fused step, n=%d: fraction of the triad" % n, "%.0f%%" % (100 * f), ">= 50%", "met" if f >= 0.5 else "missed")]


def main():
    args = sys.argv[1:]
    md = "--markdown" in args
    args = [a for a in args if a != "--markdown"]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if args else 2)
    reps = [load(p) for p in args]
    ours = [r for r in reps if r["tool"] != "torch"]
    torches = [r for r in reps if r["tool"] == "torch"]
    for g in ours:
        for t in torches:
            if g.get("precision") == t.get("precision") and is_mlp(g) == is_mlp(t) and same_device(g, t):
                joined(g, t, md)
    mlp = [g for g in ours if is_mlp(g)]
    for g in mlp:
        table(g, md)
    if mlp:
        tm = [t for t in torches if is_mlp(t)]
        title = "Goals: mlp (issue 16)%s" % ("" if tm else " (no torch --mlp report: its goals are n.a.)")
        print_goals(title, mlp_goals(mlp, tm), md)
    torches = [t for t in torches if not is_mlp(t)]
    for g in ours:
        if is_mlp(g):
            continue
        table(g, md)
        # Every torch report of the precision, their rows together (the
        # lbfgs rows come from a run of their own).
        same = [t for t in torches if t.get("precision") == g.get("precision") and same_device(g, t)]
        t = None
        if same:
            t = dict(same[0])
            t["_rows"] = {k: v for s in same for k, v in s["_rows"].items()}
        if g.get("device") == "cpu":
            # Issue 7's goals are the GPU's but one; the CPU has no torch goal.
            print_goals("Goals: %s %s on %s (CPU)" % (g["tool"], g.get("precision", ""), g["renderer"]), cpu_goals(g), md)
            continue
        title = "Goals: %s %s on %s%s" % (g["tool"], g.get("precision", ""), g["renderer"],
                                          "" if t else " (no torch report: its goals are n.a.)")
        print_goals(title, goals(g, t), md)


def print_goals(title, res, md):
    """Prints goals' (name, figure, target, verdict) under title."""
    if md:
        print("%s\n\n| goal | figure | target | |\n|---|---:|---|---|" % title)
        for name, fig, target, verdict in res:
            print("| %s | %s | %s | %s |" % (name, fig, target, verdict))
    else:
        print(title)
        for name, fig, target, verdict in res:
            print("  %-56s %12s  %-16s %s" % (name, fig, target, verdict))
    print()


if __name__ == "__main__":
    main()
