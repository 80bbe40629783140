#!/usr/bin/env python3
"""Writes torch.optim.LBFGS's iterates for gdgpu's parity test.

internal/testjobs/testdata/lbfgs_torch.json holds, per case, the loss
before the first step and after each LBFGS.step(closure), the final
parameters and torch's n_iter and func_evals. TestLBFGSTorch (cpu/ and
engine/) runs the same cases through gdgpu's CPU and GPU backends; CI has no
torch, so the values live in the repository and this script regenerates
them where torch is installed:

    /usr/bin/python3 bench/lbfgs_torch_testdata.py > internal/testjobs/testdata/lbfgs_torch.json

Written with torch 1.13.1 (Debian python3-torch, CPU, torch.__version__
1.13.0a0) on 2026-12-05; the file records the version that made it.

The start points and objectives are gdgpu's (gdgpu list): Rosenbrock from
(-1.2, 1, -1.2, ...), scipy's expression; the quadratic 1/2 sum c_i x_i^2
with c_i = cond^(i/(N-1)) from x_i = 1. All in float64 on the CPU.

The runs are short (max_iter 4 and a few steps, or max_iter n+1 = 11 and
two steps: 22 iterations at most) because
gdgpu's agreement with torch is held to LBFGSTolerance, whose model assumes
that rounding differences do not grow; longer runs drift apart as torch
drifts from itself started two ulps away (bench/lbfgs_torch.py). Rosenbrock
with the fixed step and history 1 stops at 3 steps for that reason: at its
4th step torch from a start perturbed by 2 ulps moves 1.7e-11 relative.
"""

import json
import sys

import torch

N = 10
CASES = [
    # problem, cond, line search, history, max_iter, steps
    ("rosenbrock", 1, None, 1, 4, 3),
    ("rosenbrock", 1, None, 5, 4, 5),
    ("rosenbrock", 1, None, 100, 4, 5),
    ("rosenbrock", 1, "strong_wolfe", 1, 4, 5),
    ("rosenbrock", 1, "strong_wolfe", 5, 4, 5),
    ("rosenbrock", 1, "strong_wolfe", 100, 4, 5),
    ("quadratic", 100, None, 1, 4, 5),
    ("quadratic", 100, None, 5, 4, 5),
    ("quadratic", 100, None, 100, 4, 5),
    ("quadratic", 100, "strong_wolfe", 1, 4, 5),
    ("quadratic", 100, "strong_wolfe", 5, 4, 5),
    ("quadratic", 100, "strong_wolfe", 100, 4, 5),
    # n+1 = 11 iterations per step: the quadratic is not solved after the
    # first (the search accepts t = 1, not the exact minimiser).
    ("quadratic", 100, "strong_wolfe", 100, 11, 2),
]


def problem(name, n, cond):
    if name == "rosenbrock":
        x0 = [-1.2 if i % 2 == 0 else 1.0 for i in range(n)]

        def f(v):
            return (100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2).sum()

        return x0, f
    c = torch.tensor([cond ** (i / (n - 1)) for i in range(n)], dtype=torch.float64)

    def q(v):
        return 0.5 * (c * v * v).sum()

    return [1.0] * n, q


def run(name, cond, ls, history, max_iter, steps):
    x0, f = problem(name, N, cond)
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=max_iter, history_size=history, line_search_fn=ls)

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    with torch.no_grad():
        losses = [float(f(x))]
    for _ in range(steps):
        opt.step(closure)
        with torch.no_grad():
            losses.append(float(f(x)))
    state = opt.state[x]
    return {
        "name": "%s/%s/h%d/iter%d" % (name, ls or "none", history, max_iter),
        "problem": name,
        "dim": N,
        "cond": cond,
        "strong_wolfe": ls == "strong_wolfe",
        "history": history,
        "max_iter": max_iter,
        "x0": x0,
        "loss": losses,
        "x": x.detach().tolist(),
        "n_iter": state["n_iter"],
        "func_evals": state["func_evals"],
    }


def main():
    out = {
        "torch": torch.__version__,
        "made_by": "/usr/bin/python3 bench/lbfgs_torch_testdata.py",
        "cases": [run(*c) for c in CASES],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
