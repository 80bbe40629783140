#!/usr/bin/env python3
"""torch.optim.LBFGS on a CPU tensor, timed as `gdgpu bench --device cpu
--lbfgs` times gdgpu's (its rows lbfgs-h10 and lbfgs-h100).

One row per N, precision and history m: one LBFGS.step(closure) with
max_iter 1 and a fixed step of 1e-4 on Rosenbrock from gdgpu's start point
(-1.2, 1, ...), after m + 2 untimed steps that fill the history (the row is
marked when fewer than m pairs are held). Each of --reps steps is timed by
the wall clock (time.perf_counter) and by the process's CPU time
(time.process_time, all of torch's intra-op threads); the row gives the
median of each, and GB/s from gdgpu's byte model, 23 + 10 m vectors of N
per iteration. bench/torch_baseline.py --lbfgs is the CUDA counterpart.

Usage: /usr/bin/python3 bench/lbfgs_torch_bench.py [--sizes 1e5,1e6]
       [--histories 10,100] [--precisions f64,f32] [--reps 5] [--threads 2]
prints one JSON object: torch's version and threads, the load average at
start and end, and the rows.
"""

import argparse
import datetime
import json
import os
import statistics
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1e5,1e6")
    ap.add_argument("--histories", default="10,100")
    ap.add_argument("--precisions", default="f64,f32")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    a = ap.parse_args()
    import torch

    if a.threads > 0:
        torch.set_num_threads(a.threads)

    load0 = os.getloadavg()
    rows = []
    for prec in a.precisions.split(","):
        dtype = {"f64": torch.float64, "f32": torch.float32}[prec]
        elem = 8 if prec == "f64" else 4
        for size in a.sizes.split(","):
            n = int(float(size))
            for m in (int(h) for h in a.histories.split(",")):
                start = torch.ones(n, dtype=dtype)
                start[0::2] = -1.2
                p = torch.nn.Parameter(start)
                opt = torch.optim.LBFGS([p], lr=1e-4, max_iter=1, history_size=m)

                def closure():
                    opt.zero_grad(set_to_none=False)
                    x0, x1 = p[:-1], p[1:]
                    loss = (100.0 * (x1 - x0 * x0) ** 2 + (1.0 - x0) ** 2).sum()
                    loss.backward()
                    return loss

                for _ in range(m + 2):
                    opt.step(closure)
                walls, cpus = [], []
                for _ in range(a.reps):
                    w0, c0 = time.perf_counter(), time.process_time()
                    opt.step(closure)
                    walls.append(time.perf_counter() - w0)
                    cpus.append(time.process_time() - c0)
                held = len(opt.state[p].get("old_dirs", []))
                wall = statistics.median(walls)
                rows.append({
                    "name": "lbfgs-h%d" % m,
                    "precision": prec,
                    "n": n,
                    "wall_s": wall,
                    "cpu_s": statistics.median(cpus),
                    "gbps": (23 + 10 * m) * elem * n / wall / 1e9,
                    "pairs_held": held,
                })
                del p, opt, start
    print(json.dumps({
        "tool": "torch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "reps": a.reps,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "loadavg_start": load0,
        "loadavg_end": os.getloadavg(),
        "rows": rows,
    }, indent=1))


if __name__ == "__main__":
    main()
