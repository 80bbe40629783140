#!/usr/bin/python3
"""Write testdata/torch_parity.json: torch.optim's own trajectories and
learning rates, for TestTorchParity (torchparity_test.go).

Run with an interpreter that has torch (Debian's python3-torch 1.13.1 was
used: /usr/bin/python3, CPU only), from the repository root:

    /usr/bin/python3 bench/torch_parity.py > testdata/torch_parity.json

and diff against the committed file. CI does not need torch: the Go test
reads the JSON.

Every optimizer case runs torch in float64 (torch.set_default_dtype, so
NAdam's mu_product and the step counters are float64 too) with
foreach=False, torch's single-tensor loop, which is what gdgpu follows,
unless the case says otherwise. The gradient is set by hand with
scipy.optimize.rosen_der's expressions (the quadratic's c_i x_i), as gdgpu's
CPU evaluators compute it, so the optimizer's arithmetic is what is
compared; the loss is f(x) after each step, summed left to right. Keys of
"hyper" are gdgpu's hyperparameter names (Optimizer.Set), "torch" the
keyword arguments torch got; "schedule" holds gdgpu.Schedule's fields.
"""

import json
import sys
import warnings

import torch
import torch.optim.nadam as nadam_mod

torch.set_default_dtype(torch.float64)
# SequentialLR steps the kind with an epoch at its milestone (torch 1.13's
# own call), which warns.
warnings.filterwarnings("ignore", message="The epoch parameter")

STEPS = 25


# --- problems: gdgpu's rosenbrock and quadratic, N = 6, default starts ---

def rosen_start(n):
    return [-1.2 if i % 2 == 0 else 1.0 for i in range(n)]


def rosen_loss(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (1 - x[i]) ** 2
    return s


def rosen_grad(x):
    n = len(x)
    g = [0.0] * n
    g[0] = -400 * x[0] * (x[1] - x[0] * x[0]) - 2 * (1 - x[0])
    for i in range(1, n - 1):
        g[i] = (200 * (x[i] - x[i - 1] * x[i - 1])
                - 400 * (x[i + 1] - x[i] * x[i]) * x[i] - 2 * (1 - x[i]))
    g[n - 1] = 200 * (x[n - 1] - x[n - 2] * x[n - 2])
    return g


def quad_coef(n, cond):
    return [cond ** (i / (n - 1)) for i in range(n)]


PROBLEMS = {
    "rosenbrock": dict(start=rosen_start, loss=lambda x, c: rosen_loss(x),
                       grad=lambda x, c: rosen_grad(x)),
    "quadratic": dict(start=lambda n: [1.0] * n,
                      loss=lambda x, c: 0.5 * sum(ci * xi * xi for ci, xi in zip(c, x)),
                      grad=lambda x, c: [ci * xi for ci, xi in zip(c, x)]),
}

# gdgpu hyperparameter name -> torch keyword (the descriptors' Hyper.Torch).
TORCH_KW = {
    "lr": "lr", "momentum": "momentum", "dampening": "dampening",
    "nesterov": "nesterov", "weight-decay": "weight_decay", "eps": "eps",
    "amsgrad": "amsgrad", "rho": "rho", "alpha": "alpha", "centered": "centered",
    "lr-decay": "lr_decay", "initial-accumulator-value": "initial_accumulator_value",
    "momentum-decay": "momentum_decay", "maximize": "maximize",
}

TORCH_CLASS = {
    "sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
    "adamax": torch.optim.Adamax, "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam,
    "adagrad": torch.optim.Adagrad, "adadelta": torch.optim.Adadelta,
    "rmsprop": torch.optim.RMSprop,
}

# torch's defaults where gdgpu's lr default is torch's "required" (SGD).
DEFAULT_LR = {"sgd": 1e-3}


def torch_kwargs(opt, hyper):
    kw = {}
    betas = None
    for k, v in hyper.items():
        if k in ("beta1", "beta2"):
            betas = betas or [0.9, 0.999]  # every Adam-family default in torch 1.13
            betas[0 if k == "beta1" else 1] = v
            continue
        kw[TORCH_KW[k]] = bool(v) if k in ("nesterov", "amsgrad", "centered", "maximize") else v
    if betas is not None:
        kw["betas"] = tuple(betas)
    if opt in DEFAULT_LR and "lr" not in kw:
        kw["lr"] = DEFAULT_LR[opt]
    return kw


# --- torch 2.x's NAdam fix, applied to 1.13's loop -----------------------
#
# torch 1.13's _single_tensor_nadam computes mu_product_next = mu_product *
# mu * mu_next after mu_product *= mu, so mu enters twice; torch 2.x
# and later use mu_product * mu_next, as gdgpu does. This
# is 1.13's loop with that one expression changed, so that a case can show
# the rest of the rule agrees.

def _nadam_fixed(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, *,
                 beta1, beta2, lr, weight_decay, momentum_decay, eps):
    for i, param in enumerate(params):
        grad = grads[i]
        exp_avg = exp_avgs[i]
        exp_avg_sq = exp_avg_sqs[i]
        mu_product = mu_products[i]
        step_t = state_steps[i]
        step_t += 1
        step = step_t.item()
        bias_correction2 = 1 - beta2 ** step
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        mu = beta1 * (1. - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        mu_product_next = mu_product * mu_next  # 1.13: mu_product * mu * mu_next
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
        param.addcdiv_(grad, denom, value=-lr * (1. - mu) / (1. - mu_product.item()))
        param.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1. - mu_product_next.item()))


# --- schedules -------------------------------------------------------------

def kind_scheduler(o, s, steps):
    """The torch scheduler for gdgpu schedule s (its kind alone)."""
    k = s["Kind"]
    ls = torch.optim.lr_scheduler
    if k == "step":
        return ls.StepLR(o, step_size=s["StepSize"], gamma=s["Gamma"])
    if k == "multistep":
        return ls.MultiStepLR(o, milestones=s["Milestones"], gamma=s["Gamma"])
    if k == "exponential":
        return ls.ExponentialLR(o, gamma=s["Gamma"])
    if k == "cosine":
        return ls.CosineAnnealingLR(o, T_max=s["TMax"], eta_min=s.get("EtaMin", 0))
    if k == "cosine-restarts":
        return ls.CosineAnnealingWarmRestarts(o, T_0=s["T0"], T_mult=s.get("TMult", 1),
                                              eta_min=s.get("EtaMin", 0))
    if k == "polynomial":
        return ls.PolynomialLR(o, total_iters=s["TotalIters"], power=s["Power"])
    if k == "onecycle":
        return ls.OneCycleLR(o, max_lr=s["MaxLR"], total_steps=s["TotalSteps"],
                             pct_start=s.get("PctStart", 0.3),
                             div_factor=s.get("DivFactor", 25.0),
                             final_div_factor=s.get("FinalDivFactor", 1e4),
                             three_phase=s.get("ThreePhase", False),
                             anneal_strategy=s.get("AnnealStrategy", "cos"),
                             cycle_momentum=s.get("CycleMomentum", True),
                             base_momentum=s.get("BaseMomentum", 0.85),
                             max_momentum=s.get("MaxMomentum", 0.95))
    if k == "constant":
        return None
    raise ValueError(k)


def scheduler(o, s, steps):
    """gdgpu schedule s as torch builds it: the kind, chained after
    LinearLR for a warm-up (ChainedScheduler), or after it in sequence
    (SequentialLR) with WarmupSequential."""
    w = s.get("Warmup", 0)
    if w == 0:
        return kind_scheduler(o, s, steps)
    lin = torch.optim.lr_scheduler.LinearLR(o, start_factor=s["WarmupStartFactor"],
                                            end_factor=1.0, total_iters=w)
    kind = kind_scheduler(o, s, steps)
    if kind is None:
        return lin
    if s.get("WarmupSequential"):
        return torch.optim.lr_scheduler.SequentialLR(o, [lin, kind], milestones=[w])
    return torch.optim.lr_scheduler.ChainedScheduler([lin, kind])


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group.get("momentum", 0.0)


# --- cases -----------------------------------------------------------------

def opt_case(name, opt, problem="rosenbrock", hyper=None, foreach=False, schedule=None,
             fixed_nadam=False, note=""):
    return dict(name=name, optimizer=opt, problem=problem, hyper=hyper or {},
                foreach=foreach, schedule=schedule, fixed_nadam=fixed_nadam, note=note)


def optimizer_cases():
    c = []
    Q = "quadratic"
    # every optimizer at torch's defaults, on both problems, single-tensor
    # and foreach
    for o in ["sgd", "adam", "adamw", "adamax", "radam", "adagrad", "adadelta", "rmsprop"]:
        c.append(opt_case(o, o))
        c.append(opt_case(o + "-quadratic", o, Q))
        c.append(opt_case(o + "-foreach", o, foreach=True))
    # each non-default switch
    c += [
        opt_case("sgd-lr", "sgd", hyper={"lr": 2e-3}),
        opt_case("sgd-momentum", "sgd", hyper={"momentum": 0.9}),
        opt_case("sgd-dampening", "sgd", hyper={"momentum": 0.9, "dampening": 0.5}),
        opt_case("sgd-nesterov", "sgd", hyper={"momentum": 0.9, "nesterov": 1}),
        opt_case("sgd-nesterov-foreach", "sgd", hyper={"momentum": 0.9, "nesterov": 1}, foreach=True),
        opt_case("sgd-weight-decay", "sgd", hyper={"weight-decay": 0.1}),
        opt_case("sgd-maximize", "sgd", Q, hyper={"momentum": 0.5, "maximize": 1}),
        opt_case("adam-lr", "adam", hyper={"lr": 0.05}),
        opt_case("adam-betas", "adam", hyper={"lr": 0.05, "beta1": 0.5, "beta2": 0.9, "eps": 1e-4}),
        opt_case("adam-amsgrad", "adam", hyper={"lr": 0.05, "amsgrad": 1}),
        opt_case("adam-amsgrad-foreach", "adam", hyper={"lr": 0.05, "amsgrad": 1}, foreach=True),
        opt_case("adam-weight-decay", "adam", hyper={"lr": 0.05, "weight-decay": 0.1}),
        opt_case("adam-maximize", "adam", Q, hyper={"maximize": 1}),
        opt_case("adamw-amsgrad", "adamw", hyper={"lr": 0.05, "amsgrad": 1}),
        opt_case("adamw-weight-decay", "adamw", hyper={"lr": 0.05, "weight-decay": 0.5}),
        opt_case("adamw-no-weight-decay", "adamw", hyper={"lr": 0.05, "weight-decay": 0}),
        opt_case("adamw-maximize", "adamw", Q, hyper={"maximize": 1}),
        opt_case("adamax-lr", "adamax", hyper={"lr": 0.05, "beta1": 0.8}),
        opt_case("adamax-weight-decay", "adamax", hyper={"lr": 0.05, "weight-decay": 0.1}),
        opt_case("adamax-maximize", "adamax", Q, hyper={"maximize": 1}),
        opt_case("radam-lr", "radam", hyper={"lr": 2e-3}),
        opt_case("radam-weight-decay", "radam", hyper={"weight-decay": 0.1}),
        opt_case("adagrad-lr-decay", "adagrad", hyper={"lr": 0.1, "lr-decay": 0.1}),
        opt_case("adagrad-initial-accumulator", "adagrad", hyper={"initial-accumulator-value": 0.5, "eps": 1e-3}),
        opt_case("adagrad-weight-decay", "adagrad", hyper={"lr": 0.1, "weight-decay": 0.1}),
        opt_case("adagrad-maximize", "adagrad", Q, hyper={"maximize": 1}),
        opt_case("adadelta-rho", "adadelta", hyper={"rho": 0.5, "eps": 1e-3}),
        opt_case("adadelta-weight-decay", "adadelta", hyper={"weight-decay": 0.1}),
        opt_case("adadelta-maximize", "adadelta", Q, hyper={"lr": 0.1, "maximize": 1}),
        opt_case("rmsprop-alpha", "rmsprop", hyper={"alpha": 0.9, "eps": 1e-3}),
        opt_case("rmsprop-centered", "rmsprop", hyper={"centered": 1}),
        opt_case("rmsprop-momentum", "rmsprop", hyper={"lr": 1e-3, "momentum": 0.9}),
        opt_case("rmsprop-centered-momentum", "rmsprop", hyper={"lr": 1e-3, "momentum": 0.9, "centered": 1}),
        opt_case("rmsprop-centered-momentum-foreach", "rmsprop", hyper={"lr": 1e-3, "momentum": 0.9, "centered": 1}, foreach=True),
        opt_case("rmsprop-weight-decay", "rmsprop", hyper={"weight-decay": 0.1}),
        opt_case("rmsprop-maximize", "rmsprop", Q, hyper={"maximize": 1}),
    ]
    # NAdam: torch 1.13's own loop has mu enter mu_product_next twice (see
    # _nadam_fixed); gdgpu follows torch 2.x. Recorded both ways: the
    # 1.13 runs must differ beyond rounding, the fixed ones agree.
    for h, sfx in [({}, ""), ({"lr": 0.05}, "-lr"), ({"lr": 0.05, "weight-decay": 0.1}, "-weight-decay"),
                   ({"lr": 0.05, "momentum-decay": 0.04}, "-momentum-decay")]:
        c.append(opt_case("nadam" + sfx + "-torch1.13", "nadam", hyper=h,
                          note="torch 1.13's NAdam: mu_product_next = mu_product*mu*mu_next"))
        c.append(opt_case("nadam" + sfx, "nadam", hyper=h, fixed_nadam=True,
                          note="torch 1.13's NAdam loop with torch 2.x's mu_product_next = mu_product*mu_next"))
    c.append(opt_case("nadam-quadratic", "nadam", Q, fixed_nadam=True,
                      note="torch 1.13's NAdam loop with torch 2.x's mu_product_next = mu_product*mu_next"))
    # OneCycleLR cycling momentum or beta1 (torch's constructor sets it to
    # max_momentum)
    oc = {"Kind": "onecycle", "MaxLR": 1e-3, "TotalSteps": STEPS, "CycleMomentum": True}
    c += [
        opt_case("onecycle-sgd", "sgd", hyper={"momentum": 0.9}, schedule=oc),
        opt_case("onecycle-sgd-nesterov", "sgd", hyper={"momentum": 0.9, "nesterov": 1}, schedule=oc),
        opt_case("onecycle-adam", "adam", schedule=dict(oc, MaxLR=0.1)),
        opt_case("onecycle-adamw", "adamw", schedule=dict(oc, MaxLR=0.1, ThreePhase=True)),
        opt_case("onecycle-adamax", "adamax", schedule=dict(oc, MaxLR=0.1, AnnealStrategy="linear")),
        opt_case("onecycle-radam", "radam", schedule=dict(oc, MaxLR=2e-3)),
        opt_case("onecycle-rmsprop", "rmsprop", hyper={"momentum": 0.5}, schedule=dict(oc, MaxLR=1e-3, BaseMomentum=0.5, MaxMomentum=0.9)),
        opt_case("onecycle-nadam", "nadam", schedule=dict(oc, MaxLR=0.1), fixed_nadam=True,
                 note="torch 1.13's NAdam loop with torch 2.x's mu_product_next = mu_product*mu_next"),
        opt_case("exponential-adam", "adam", hyper={"lr": 0.1}, schedule={"Kind": "exponential", "Gamma": 0.9, "Warmup": 5, "WarmupStartFactor": 0.25}),
    ]
    return c


def run_opt(case):
    prob = PROBLEMS[case["problem"]]
    n = 6
    coef = quad_coef(n, 10.0)
    x0 = prob["start"](n)
    p = torch.tensor(x0, requires_grad=True)
    kw = torch_kwargs(case["optimizer"], case["hyper"])
    kw["foreach"] = case["foreach"]
    opt = TORCH_CLASS[case["optimizer"]]([p], **kw)
    sch = scheduler(opt, case["schedule"], STEPS) if case["schedule"] else None
    saved = nadam_mod._single_tensor_nadam
    if case["fixed_nadam"]:
        nadam_mod._single_tensor_nadam = _nadam_fixed
    try:
        losses, lrs, moms = [], [], []
        for _ in range(STEPS):
            x = p.detach().tolist()
            losses.append(prob["loss"](x, coef))
            lrs.append(opt.param_groups[0]["lr"])
            moms.append(momentum_of(opt.param_groups[0]))
            p.grad = torch.tensor(prob["grad"](x, coef))
            opt.step()
            if sch is not None:
                sch.step()
        x = p.detach().tolist()
        losses.append(prob["loss"](x, coef))
    finally:
        nadam_mod._single_tensor_nadam = saved
    out = dict(case)
    out["torch"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
    # the constructor's resolved arguments: torch's defaults where the case
    # gave none
    out["torch_defaults"] = {k: (list(v) if isinstance(v, tuple) else v)
                             for k, v in opt.defaults.items()
                             if isinstance(v, (bool, int, float, tuple))}
    out.update(dim=n, cond=10.0 if case["problem"] == "quadratic" else 1.0, steps=STEPS,
               loss=losses, x=x)
    if sch is not None:
        out.update(lr=lrs, momentum=moms)
    return out


def schedule_cases():
    W = {"Warmup": 4, "WarmupStartFactor": 0.25}
    seq = dict(W, WarmupSequential=True)
    kinds = [
        ("constant", {"Kind": "constant"}),
        ("step", {"Kind": "step", "StepSize": 3, "Gamma": 0.5}),
        ("multistep", {"Kind": "multistep", "Milestones": [2, 5, 9], "Gamma": 0.3}),
        ("multistep0", {"Kind": "multistep", "Milestones": [0, 4], "Gamma": 0.3}),
        ("exponential", {"Kind": "exponential", "Gamma": 0.9}),
        ("cosine", {"Kind": "cosine", "TMax": 10}),
        ("cosine-eta", {"Kind": "cosine", "TMax": 10, "EtaMin": 0.01}),
        ("cosine-restarts", {"Kind": "cosine-restarts", "T0": 3, "TMult": 2, "EtaMin": 0.001}),
        ("polynomial", {"Kind": "polynomial", "TotalIters": 7, "Power": 0.9}),
        ("onecycle", {"Kind": "onecycle", "MaxLR": 0.5, "TotalSteps": 40, "CycleMomentum": False}),
        ("onecycle-linear", {"Kind": "onecycle", "MaxLR": 0.5, "TotalSteps": 40, "AnnealStrategy": "linear", "CycleMomentum": False}),
        ("onecycle-three-phase", {"Kind": "onecycle", "MaxLR": 0.5, "TotalSteps": 40, "PctStart": 0.25, "ThreePhase": True, "CycleMomentum": False}),
    ]
    # ChainedScheduler multiplies the warm-up into the kinds whose
    # recursion multiplies; gdgpu's product is its definition for the others
    # (docs/schedules.md), so they are checked with SequentialLR only.
    chained = {"constant", "step", "multistep", "multistep0", "exponential", "cosine", "polynomial"}
    out = []
    for name, s in kinds:
        out.append((name, s))
        if name in chained:
            out.append((name + "-warmup", dict(s, **W)))
        if name != "constant":
            out.append((name + "-warmup-sequential", dict(s, **seq)))
    return out


def run_schedule(name, s, steps=40, base=0.1):
    p = torch.zeros(1, requires_grad=True)
    o = torch.optim.SGD([p], lr=base)
    sch = scheduler(o, s, steps)
    lrs = []
    for _ in range(steps):
        lrs.append(o.param_groups[0]["lr"])
        o.step()
        if sch is not None:
            sch.step()
    return dict(name=name, schedule=s, base=base, lr=lrs)


def run_plateau():
    s = {"Kind": "plateau", "Factor": 0.5, "Patience": 2, "Threshold": 1e-2, "Cooldown": 1, "MinLR": 0.01}
    losses = [10, 9, 8.95, 8.94, 8.99, 9.5, 7, 7, 7, 7, 6.99, 7, 7, 7, 7, 7, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    p = torch.zeros(1, requires_grad=True)
    o = torch.optim.SGD([p], lr=0.1)
    sch = torch.optim.lr_scheduler.ReduceLROnPlateau(
        o, mode="min", factor=s["Factor"], patience=s["Patience"], threshold=s["Threshold"],
        threshold_mode="rel", cooldown=s["Cooldown"], min_lr=s["MinLR"], eps=1e-8)
    lrs = []
    for l in losses:
        o.step()
        sch.step(l)
        lrs.append(o.param_groups[0]["lr"])
    return dict(name="plateau", schedule=s, base=0.1, observed=losses, lr=lrs)


def main():
    doc = {
        "comment": "made by bench/torch_parity.py with torch 1.13.1 (Debian python3-torch, CPU); "
                   "regenerate with: /usr/bin/python3 bench/torch_parity.py YYYY-MM-DD "
                   "> testdata/torch_parity.json (the date is recorded)",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "optimizers": [run_opt(c) for c in optimizer_cases()],
        "schedules": [run_schedule(n, s) for n, s in schedule_cases()],
        "plateau": [run_plateau()],
    }
    if len(sys.argv) > 1:
        doc["date"] = sys.argv[1]
    # one case a line, so that a regenerated file diffs case by case
    w = sys.stdout.write
    w("{\n")
    for k in ["comment", "torch", "python", "date"]:
        if k in doc:
            w(" %s: %s,\n" % (json.dumps(k), json.dumps(doc[k])))
    for i, k in enumerate(["optimizers", "schedules", "plateau"]):
        w(" %s: [\n" % json.dumps(k))
        w(",\n".join("  " + json.dumps(c) for c in doc[k]))
        w("\n ]%s\n" % ("," if i < 2 else ""))
    w("}\n")


if __name__ == "__main__":
    main()
