#!/usr/bin/env python3
"""PyTorch side of `gdgpu bench`: the same operations on the same GPU, timed
with CUDA events, or on the CPU (--device cpu) by the wall clock, printed as
JSON with the field names of `gdgpu bench --json` (bench/README.md documents
them).

Rows (at each N of --n, float32 by default):
  copy             dst.copy_(src): the device's bandwidth baseline (8 B/param f32)
  triad            (CPU only) torch.add(b, c, alpha=3, out=a): the CPU baseline,
                   as gdgpu bench --device cpu's STREAM triad (12 B/param f32)
  adam-given       torch.optim.Adam(fused=True).step() on one flat tensor whose
                   .grad is given (28 B/param: p, grad, exp_avg, exp_avg_sq read;
                   p, exp_avg, exp_avg_sq written) - gdgpu's "adam-given" row.
                   On the CPU, where torch 1.13 has no fused Adam (it refuses
                   fused=True there), every Adam row is Adam(foreach=False)
  loss             the quadratic's loss 0.5*sum(x*x) (4 B/param) - gdgpu's "loss"
  rosenbrock+adam  chained Rosenbrock through autograd (forward, backward) and the
                   fused Adam step, eager: the byte model is gdgpu's fused one
                   (24 B/param), so GB/s compares useful work per second
  quadratic+adam   0.5*sum(x*x) through autograd + fused Adam (24 B/param) -
                   gdgpu's "adam" row (quadratic cond 1 fused with Adam)

Each row: --warmup untimed repetitions, then --reps repetitions, each between
two CUDA events (median, min, p90 of their elapsed times); the wall time of
the batch is taken between two torch.cuda.synchronize() calls, and
wall per op - mean event time is the CPU/launch overhead per op. On the CPU
each repetition is timed by time.perf_counter, with --threads intra-op
threads (torch.set_num_threads; default: torch's own choice), and the
report's cpu_time_s is the process CPU time of all rows, warm-ups included.

  lbfgs-h10/-h100  (--lbfgs) one torch.optim.LBFGS step, max_iter 1, fixed step
                   1e-4, with 10 or 100 pairs held, on Rosenbrock (gdgpu's byte
                   model, 23 + 10 m vectors per iteration)

--mlp times, instead of the rows above, gdgpu bench --mlp's rows (issue 16):
  mlp-step         one training step of a 784-1024-1024-10 relu network
                   (torch.nn.Sequential of nn.Linear and nn.ReLU, cross-entropy,
                   torch.optim.Adam at its defaults, lr 1e-3) on a synthetic batch
                   (n is the batch: --mlp-batches, default 256,1024): zero_grad,
                   forward, backward, step
  gemm             (CUDA only) torch.mm of two square matrices (n is the edge:
                   --gemm-sizes, default 1024,4096), TF32 off
on --device cuda (CUDA events, as above) or --device cpu (time.perf_counter
around each step, torch's intra-op threads). The FLOP count of each row is
gdgpu's (2 W batch forward, 2 (2W - 784*1024) batch backward, W the weights;
2 n^3 for gemm), so GFLOP/s compares work done per second.

Needs torch; CUDA only for --device cuda (the default). The CPU side has
run with Debian's python3-torch 1.13.1 (BENCHMARKS.md, "Against torch on the
CPU"); the CUDA side has not run yet. The report's blas field names the BLAS
library the process loaded (torch's float64 matmuls go through it on the CPU).
Usage: python3 bench/torch_baseline.py --n 1e8 [--reps 50] > torch.json
       python3 bench/torch_baseline.py --device cpu --threads 2 --precision f64 --n 1e5,1e6,1e7 > torch-cpu.json
       python3 bench/torch_baseline.py --mlp --device cpu --threads 2 --precision f64 > torch-mlp-cpu.json
"""

import argparse
import datetime
import json
import platform
import statistics
import sys
import time


def quantile(sorted_vals, q):
    pos = q * (len(sorted_vals) - 1)
    i = int(pos)
    if i + 1 >= len(sorted_vals):
        return sorted_vals[-1]
    return sorted_vals[i] + (pos - i) * (sorted_vals[i + 1] - sorted_vals[i])


def time_op(torch, op, reps, warmup):
    """Times op() with CUDA events; returns (per-op seconds list, wall per op)."""
    for _ in range(warmup):
        op()
    torch.cuda.synchronize()
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(reps)]
    t0 = time.perf_counter()
    for start, end in events:
        start.record()
        op()
        end.record()
    torch.cuda.synchronize()
    wall = (time.perf_counter() - t0) / reps
    secs = [start.elapsed_time(end) / 1e3 for start, end in events]  # ms -> s
    return secs, wall


def row(op, n, desc, secs, wall, bytes_per_param):
    s = sorted(secs)
    median = quantile(s, 0.5)
    return {
        "op": op,
        "n": n,
        "desc": desc,
        "time_source": "cuda_event",
        "reps": len(s),
        "median_s": median,
        "min_s": s[0],
        "p90_s": quantile(s, 0.9),
        "wall_per_op_s": wall,
        "overhead_per_op_s": wall - statistics.fmean(secs),
        "bytes_per_param": bytes_per_param,
        "gbps": n * bytes_per_param / median / 1e9 if median > 0 else 0.0,
        "baseline": "copy",
        "baseline_fraction": 0.0,  # filled in below
        "skipped": "",
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", default="1e8", help="parameters: a whole number (1e8) or a comma-separated list (1e5,1e6,1e7)")
    ap.add_argument("--reps", type=int, default=50, help="timed repetitions per row")
    ap.add_argument("--warmup", type=int, default=5, help="untimed repetitions before each row")
    ap.add_argument("--precision", choices=["f32", "f64"], default="f32")
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (torch's default)")
    ap.add_argument("--device", default="cuda", help="torch device: cuda, cuda:N or cpu")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch.set_num_threads on the CPU (default: torch's choice; gdgpu's CPU backend uses GOMAXPROCS goroutines)")
    ap.add_argument("--lbfgs", action="store_true",
                    help="also time one torch.optim.LBFGS iteration with 10 and 100 pairs held (gdgpu bench --lbfgs's rows)")
    ap.add_argument("--mlp", action="store_true",
                    help="time gdgpu bench --mlp's rows instead: an mlp training step, and on CUDA torch.mm")
    ap.add_argument("--mlp-hidden", default="1024,1024", help="--mlp: the hidden widths (784 inputs, 10 classes)")
    ap.add_argument("--mlp-batches", default="256,1024", help="--mlp: the batches of the mlp-step rows")
    ap.add_argument("--gemm-sizes", default="1024,4096", help="--mlp: the square torch.mm sizes (CUDA only)")
    args = ap.parse_args()
    if args.mlp:
        mlp_main(ap, args)
        return
    ns = sizes_arg(ap, args.n)
    if args.reps < 1 or args.warmup < 0:
        ap.error("--reps must be >= 1 and --warmup >= 0")

    import torch  # imported here so that --help works without torch

    dev, cuda = open_device(torch, args)
    dtype = torch.float32 if args.precision == "f32" else torch.float64
    elem = 4 if dtype == torch.float32 else 8
    timer = (lambda op, reps, warmup: time_op(torch, op, reps, warmup)) if cuda else time_cpu
    # torch 1.13's fused Adam is CUDA only; on the CPU the single-tensor loop.
    adam_kw, adam_name = ({"fused": True}, "Adam(fused=True)") if cuda else ({"foreach": False}, "Adam(foreach=False)")
    cpu0 = time.process_time()
    rows = []
    for n in ns:
        rows += sweep_rows(torch, args, n, dev, dtype, elem, timer, cuda, adam_kw, adam_name)

    base = "copy" if cuda else "triad"
    gbps = {r["n"]: r["gbps"] for r in rows if r["op"] == base}
    for r in rows:
        if not cuda:
            r["time_source"] = "wall"
            r["overhead_per_op_s"] = None
        r["baseline"] = base
        r["baseline_fraction"] = r["gbps"] / gbps[r["n"]] if gbps.get(r["n"], 0) > 0 else 0.0

    report = header(torch, args, dev, cuda)
    report["cpu_time_s"] = time.process_time() - cpu0
    report["rows"] = rows
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


def sizes_arg(ap, s):
    """--n: one whole number >= 2 or a comma-separated list of them (1e5,1e6)."""
    out = []
    for x in s.split(","):
        try:
            v = float(x)
        except ValueError:
            v = 0.0
        if v != int(v) or v < 2:
            ap.error("--n %s: %r is not a whole number >= 2" % (s, x))
        out.append(int(v))
    return out


def open_device(torch, args):
    """The torch device of --device, CUDA checked and selected, --threads applied."""
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda:
        if not torch.cuda.is_available():
            sys.exit("torch_baseline.py: torch sees no CUDA device (--device cpu times the CPU)")
        torch.cuda.set_device(dev)
    elif dev.type != "cpu":
        sys.exit("torch_baseline.py: --device %s: not cuda, cuda:N or cpu" % args.device)
    if args.threads is not None:
        if args.threads < 1:
            sys.exit("torch_baseline.py: --threads %d: must be >= 1" % args.threads)
        torch.set_num_threads(args.threads)
    return dev, cuda


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (platform.processor() is often empty)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_library():
    """The BLAS shared libraries this process has loaded (torch's float64 CPU
    matmuls go through them; Debian's torch uses whatever libblas.so.3 is)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return ""
    return ", ".join(sorted(libs))


def header(torch, args, dev, cuda):
    """The report's fields other than rows."""
    return {
        "tool": "torch",
        "device": "cuda" if cuda else "cpu",
        "renderer": torch.cuda.get_device_name(dev) if cuda else "%s, %d threads" % (cpu_model(), torch.get_num_threads()),
        "precision": args.precision,
        "reps": args.reps,
        "loop_steps": 0,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "go_version": "",
        "cpu_threads": 0 if cuda else torch.get_num_threads(),
        "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda,
        "python_version": platform.python_version(),
        "blas": "" if cuda else blas_library(),
    }


def sweep_rows(torch, args, n, dev, dtype, elem, timer, cuda, adam_kw, adam_name):
    """The sweep's rows at one n."""
    rows = []
    # copy: the bandwidth baseline (the GPU's; the CPU's is the triad).
    src = torch.ones(n, device=dev, dtype=dtype)
    dst = torch.empty_like(src)
    secs, wall = timer(lambda: dst.copy_(src), args.reps, args.warmup)
    rows.append(row("copy", n, "dst.copy_(src) (read + write)", secs, wall, 2 * elem))
    del src, dst

    if not cuda:
        # triad: a = b + 3c, gdgpu bench --device cpu's baseline.
        a = torch.empty(n, dtype=dtype)
        b = torch.ones(n, dtype=dtype)
        c = torch.ones(n, dtype=dtype)
        secs, wall = timer(lambda: torch.add(b, c, alpha=3.0, out=a), args.reps, args.warmup)
        rows.append(row("triad", n, "torch.add(b, c, alpha=3, out=a) (STREAM triad)", secs, wall, 3 * elem))
        del a, b, c

    # adam-given: Adam on a given gradient.
    p = torch.nn.Parameter(torch.zeros(n, device=dev, dtype=dtype))
    p.grad = torch.randn(n, device=dev, dtype=dtype)
    opt = torch.optim.Adam([p], lr=args.lr, **adam_kw)
    secs, wall = timer(opt.step, args.reps, args.warmup)
    rows.append(row("adam-given", n, "torch.optim.%s.step() on a given gradient" % adam_name, secs, wall, 7 * elem))
    del p, opt

    # loss: the quadratic's loss alone.
    x = torch.ones(n, device=dev, dtype=dtype)
    secs, wall = timer(lambda: 0.5 * torch.dot(x, x), args.reps, args.warmup)
    rows.append(row("loss", n, "0.5 * torch.dot(x, x)", secs, wall, elem))
    del x

    # rosenbrock+adam: autograd + Adam, eager.
    start = torch.ones(n, device=dev, dtype=dtype)
    start[0::2] = -1.2  # gdgpu's start point: -1.2, 1, -1.2, 1, ...
    p = torch.nn.Parameter(start)
    opt = torch.optim.Adam([p], lr=args.lr, **adam_kw)

    def rosen_step():
        opt.zero_grad(set_to_none=False)
        a, b = p[:-1], p[1:]
        loss = (100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2).sum()
        loss.backward()
        opt.step()

    secs, wall = timer(rosen_step, args.reps, args.warmup)
    rows.append(row("rosenbrock+adam", n, "rosenbrock via autograd + %s, eager" % adam_name, secs, wall, 6 * elem))
    del p, opt, start

    # quadratic+adam: 0.5*sum(x^2) via autograd + Adam (gdgpu's "adam" row).
    p = torch.nn.Parameter(torch.ones(n, device=dev, dtype=dtype))
    opt = torch.optim.Adam([p], lr=args.lr, **adam_kw)

    def quad_step():
        opt.zero_grad(set_to_none=False)
        (0.5 * (p * p).sum()).backward()
        opt.step()

    secs, wall = timer(quad_step, args.reps, args.warmup)
    rows.append(row("quadratic+adam", n, "0.5*sum(x^2) via autograd + %s, eager" % adam_name, secs, wall, 6 * elem))
    del p, opt

    # lbfgs-h10, lbfgs-h100: one LBFGS.step(closure) with max_iter=1 and a
    # fixed step of 1e-4 on Rosenbrock, after m+2 steps that fill the
    # history, as gdgpu bench --lbfgs times it (the same byte model). The
    # step syncs on its own (.item()-like tests), so the events time it
    # whole.
    if args.lbfgs:
        for m in (10, 100):
            start = torch.ones(n, device=dev, dtype=dtype)
            start[0::2] = -1.2
            p = torch.nn.Parameter(start)
            opt = torch.optim.LBFGS([p], lr=1e-4, max_iter=1, history_size=m)

            def closure():
                opt.zero_grad(set_to_none=False)
                a, b = p[:-1], p[1:]
                loss = (100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2).sum()
                loss.backward()
                return loss

            def lbfgs_step():
                opt.step(closure)

            secs, wall = timer(lbfgs_step, args.reps, m + 2)
            held = len(opt.state[p].get("old_dirs", []))
            r = row("lbfgs-h%d" % m, n, "torch.optim.LBFGS step, max_iter 1, %d pairs held, rosenbrock" % m, secs, wall, (23 + 10 * m) * elem)
            if held != m:
                r["skipped"] = "%d pairs held, not %d" % (held, m)
            rows.append(r)
            del p, opt, start
    return rows


def widths(ap, flag, s):
    try:
        v = [int(x) for x in s.split(",")]
    except ValueError:
        v = []
    if not v or min(v) < 1:
        ap.error("%s %r is not a list of whole numbers >= 1" % (flag, s))
    return v


def mlp_flops(width, batch):
    """gdgpu bench --mlp's FLOP count of one training step: forward, backward."""
    w = sum(a * b for a, b in zip(width, width[1:]))
    return 2 * w * batch, 2 * (2 * w - width[0] * width[1]) * batch


def flop_row(op, n, desc, secs, wall, flops, source):
    r = row(op, n, desc, secs, wall, 0)
    r["time_source"] = source
    if source != "cuda_event":
        r["overhead_per_op_s"] = None
    r["baseline"] = ""
    r["flops"] = flops
    r["gflops"] = flops / r["median_s"] / 1e9 if r["median_s"] > 0 else 0.0
    r["peak"] = "unknown"
    return r


def time_cpu(op, reps, warmup):
    """Times op() on the CPU by the wall clock; returns (per-op seconds, wall per op)."""
    for _ in range(warmup):
        op()
    secs = []
    t0 = time.perf_counter()
    for _ in range(reps):
        t = time.perf_counter()
        op()
        secs.append(time.perf_counter() - t)
    return secs, (time.perf_counter() - t0) / reps


def mlp_main(ap, args):
    """--mlp: gdgpu bench --mlp's rows, the same network in torch.nn."""
    hidden = widths(ap, "--mlp-hidden", args.mlp_hidden)
    batches = widths(ap, "--mlp-batches", args.mlp_batches)
    sizes = widths(ap, "--gemm-sizes", args.gemm_sizes)
    if args.reps < 1 or args.warmup < 0:
        ap.error("--reps must be >= 1 and --warmup >= 0")

    import torch  # imported here so that --help works without torch

    dev, cuda = open_device(torch, args)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 on the CUDA cores, as gdgpu's GEMM
        torch.backends.cudnn.allow_tf32 = False
    dtype = torch.float32 if args.precision == "f32" else torch.float64
    timer = (lambda op, reps, warmup: time_op(torch, op, reps, warmup)) if cuda else time_cpu
    source = "cuda_event" if cuda else "wall"
    torch.manual_seed(1)
    cpu0 = time.process_time()
    width = [784] + hidden + [10]
    net_name = "-".join(str(w) for w in width)
    rows = []
    for batch in batches:
        layers = []
        for a, b in zip(width, width[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers[:-1]).to(device=dev, dtype=dtype)
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        x = torch.randn(batch, width[0], device=dev, dtype=dtype)
        y = torch.randint(0, width[-1], (batch,), device=dev)

        def step():
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

        secs, wall = timer(step, args.reps, max(args.warmup, 1))
        fw, bw = mlp_flops(width, batch)
        rows.append(flop_row("mlp-step", batch, "one torch.optim.Adam step of a %s relu nn.Sequential, batch %d, synthetic data: "
                             "%.4g GFLOP forward + %.4g backward" % (net_name, batch, fw / 1e9, bw / 1e9), secs, wall, fw + bw, source))
        del model, opt, x, y
    if cuda:
        for n in sizes:
            a = torch.zeros(n, n, device=dev, dtype=dtype)
            b = torch.zeros(n, n, device=dev, dtype=dtype)
            c = torch.empty(n, n, device=dev, dtype=dtype)
            secs, wall = timer(lambda: torch.mm(a, b, out=c), args.reps, max(args.warmup, 1))
            rows.append(flop_row("gemm", n, "torch.mm, %d x %d x %d, TF32 off" % (n, n, n), secs, wall, 2.0 * n ** 3, source))
            del a, b, c

    report = header(torch, args, dev, cuda)
    report["cpu_time_s"] = time.process_time() - cpu0
    report["rows"] = rows
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
