package gdgpu

import (
	"math"

	"gonum.org/v1/gonum/optimize"
)

// gonumInfos are the CPU-only methods: gonum/optimize's quasi-Newton and
// line-search methods, which run their own iterations (package cpu's
// Minimize, through Run and a SelfDriven backend).
func gonumInfos() []OptimizerInfo {
	return []OptimizerInfo{
		{
			Name: "gonum-lbfgs", Torch: "gonum optimize.LBFGS", CPUOnly: true,
			Summary: "limited-memory BFGS with gonum's default bisection line search (CPU only)",
			Hyper:   []Hyper{{Name: "history", Torch: "history_size (gonum LBFGS.Store)", Int: true, Default: 15, Min: 1, Max: 1 << 20, Doc: "gradient pairs kept"}},
			Gonum: func(o *Optimizer) optimize.Method {
				return &optimize.LBFGS{Store: int(o.History), GradStopThreshold: gonumOff}
			},
			GonumState: func(o *Optimizer, n int) float64 { return 16 * o.History * float64(n) }, // 2*history vectors of N float64
		},
		{
			Name: "gonum-bfgs", Torch: "gonum optimize.BFGS", CPUOnly: true,
			Summary:    "BFGS with a dense inverse-Hessian estimate (8 N^2 bytes) and a bisection line search (CPU only)",
			Gonum:      func(*Optimizer) optimize.Method { return &optimize.BFGS{GradStopThreshold: gonumOff} },
			GonumState: func(_ *Optimizer, n int) float64 { return 8 * float64(n) * float64(n) }, // a dense N x N inverse Hessian
		},
		{
			Name: "gonum-cg", Torch: "gonum optimize.CG", CPUOnly: true,
			Summary: "nonlinear conjugate gradient, Hestenes-Stiefel variant, More-Thuente line search (CPU only)",
			Gonum:   func(*Optimizer) optimize.Method { return &optimize.CG{GradStopThreshold: gonumOff} },
		},
		{
			Name: "gonum-gd", Torch: "gonum optimize.GradientDescent", CPUOnly: true,
			Summary: "steepest descent with a backtracking line search (CPU only)",
			Gonum:   func(*Optimizer) optimize.Method { return &optimize.GradientDescent{GradStopThreshold: gonumOff} },
		},
	}
}

// renamedOptimizers are the gonum methods' names before "lbfgs" became
// torch.optim.LBFGS (optimizer_lbfgs.go): an unknown-name error gives the
// new one.
var renamedOptimizers = map[string]string{
	"bfgs":            "gonum-bfgs",
	"cg":              "gonum-cg",
	"gradientdescent": "gonum-gd",
}

// gonumOff turns a method's own gradient test off (cpu.Minimize documents
// why: the gradient rule is the job's alone).
var gonumOff = math.NaN()
