#!/usr/bin/env python3
"""gdgpu's `--optimizer lbfgs` against torch.optim.LBFGS itself.

For each case (Rosenbrock, float64, both line-search modes, two history
sizes) it runs `gdgpu run --device cpu` with --log-every 1, and
torch.optim.LBFGS on a float64 CPU tensor from the same start point (gdgpu's,
written with --steps 0 --out), one LBFGS.step(closure) per gdgpu step. It
prints, per case, the largest relative difference of the loss after each
step and of the final parameters, and exits 1 when the first step's loss
differs by more than --first-step-rtol (1e-10: one step's iterations should
agree to rounding; later steps may drift further, as the two sum their dot
products in different orders, and the table shows how far).

No numpy needed: .npy and CSV are read with the standard library. torch is
needed for the comparison; --gdgpu-only runs gdgpu's side alone (to check
the script where torch is not installed). Run with torch 1.13.1 (Debian
python3-torch, /usr/bin/python3) on 2026-12-05 as written: step 1 (20
iterations) within 1e-13 in every case; later steps drift apart by as much
as torch drifts from itself when started 2 ulps away (docs/optimizers.md,
"L-BFGS"), so they measure Rosenbrock's sensitivity, not a difference of
rule. bench/lbfgs_torch_testdata.py writes the short runs that the tests
hold to rounding.

Usage: python3 bench/lbfgs_torch.py BIN/gdgpu [--steps 4] [--dim 100] [--out DIR]
"""

import argparse
import ast
import csv
import os
import struct
import subprocess
import sys
import tempfile

CASES = [
    # name, extra flags, torch kwargs
    ("fixed/h100", [], dict(history_size=100)),
    ("fixed/h3", ["--history-size", "3"], dict(history_size=3)),
    ("wolfe/h100", ["--strong-wolfe"], dict(history_size=100, line_search_fn="strong_wolfe")),
    ("wolfe/h3", ["--strong-wolfe", "--history-size", "3"], dict(history_size=3, line_search_fn="strong_wolfe")),
]


def read_npy(path):
    """A 1-D little-endian float64 .npy, as gdgpu writes it on the CPU."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise SystemExit("%s: not an .npy file" % path)
    major = data[6]
    if major == 1:
        hlen = struct.unpack("<H", data[8:10])[0]
        start = 10
    else:
        hlen = struct.unpack("<I", data[8:12])[0]
        start = 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    if header["descr"] != "<f8" or header["fortran_order"] or len(header["shape"]) != 1:
        raise SystemExit("%s: want a 1-D <f8 vector, got %r" % (path, header))
    n = header["shape"][0]
    body = data[start + hlen:]
    return list(struct.unpack("<%dd" % n, body[:8 * n]))


def read_losses(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {int(r["step"]): float(r["loss"]) for r in rows}


def run_gdgpu(binary, outdir, dim, steps, flags):
    tag = "_".join(flags).replace("-", "") or "fixed"
    log, out = os.path.join(outdir, "log-%s.csv" % tag), os.path.join(outdir, "x-%s.npy" % tag)
    for p in (log, out):
        if os.path.exists(p):
            os.remove(p)
    cmd = [binary, "run", "--device", "cpu", "--problem", "rosenbrock", "--dim", str(dim), "--optimizer", "lbfgs",
           "--steps", str(steps), "--log-every", "1", "--log", log, "--out", out, "--quiet"] + flags
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return read_losses(log), read_npy(out)


def run_torch(x0, steps, kwargs):
    import torch

    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=20, **kwargs)

    def rosen(v):
        return (100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2).sum()

    def closure():
        opt.zero_grad()
        f = rosen(x)
        f.backward()
        return f

    losses = {}
    with torch.no_grad():
        losses[0] = float(rosen(x))
    for k in range(1, steps + 1):
        opt.step(closure)
        with torch.no_grad():
            losses[k] = float(rosen(x))
    return losses, x.detach().tolist()


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gdgpu")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--out", default="")
    ap.add_argument("--first-step-rtol", type=float, default=1e-10)
    ap.add_argument("--gdgpu-only", action="store_true")
    a = ap.parse_args()
    outdir = a.out or tempfile.mkdtemp(prefix="lbfgs-torch-")
    os.makedirs(outdir, exist_ok=True)
    x0path = os.path.join(outdir, "x0.npy")
    if os.path.exists(x0path):
        os.remove(x0path)
    subprocess.run([a.gdgpu, "run", "--device", "cpu", "--problem", "rosenbrock", "--dim", str(a.dim),
                    "--steps", "0", "--out", x0path, "--quiet"], check=True, stdout=subprocess.DEVNULL)
    x0 = read_npy(x0path)
    print("| case | " + " | ".join("step %d rel" % k for k in range(1, a.steps + 1)) + " | final x max abs |")
    print("|---|" + "---|" * (a.steps + 1))
    failed = False
    for name, flags, kwargs in CASES:
        g_loss, g_x = run_gdgpu(a.gdgpu, outdir, a.dim, a.steps, flags)
        if a.gdgpu_only:
            print("| %s | %s | (gdgpu only) |" % (name, " | ".join("%.6g" % g_loss[k] for k in range(1, a.steps + 1))))
            continue
        t_loss, t_x = run_torch(x0, a.steps, kwargs)
        diffs = [rel(g_loss[k], t_loss[k]) for k in range(1, a.steps + 1)]
        dx = max(abs(p - q) for p, q in zip(g_x, t_x))
        print("| %s | %s | %.3g |" % (name, " | ".join("%.3g" % d for d in diffs), dx))
        if not diffs[0] <= a.first_step_rtol:
            failed = True
            print("  %s: step 1 loss gdgpu %.17g, torch %.17g" % (name, g_loss[1], t_loss[1]), file=sys.stderr)
    if failed:
        print("lbfgs_torch: the first step differs from torch's by more than %g" % a.first_step_rtol, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
