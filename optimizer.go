package gdgpu

import (
	"fmt"
	"math"
	"strings"
)

// Optimizer holds an optimizer's name and hyperparameters. Field names follow
// torch.optim's arguments; zero values are not defaults: DefaultOptimizer
// gives torch.optim's defaults for a name. Fields an optimizer does not take
// are ignored by it (Optimizers lists which each one takes).
type Optimizer struct {
	Name                    string  // registry name, e.g. "adam"
	LR                      float64 // learning rate (lr)
	Momentum                float64 // sgd, rmsprop: momentum factor (momentum)
	Dampening               float64 // sgd: dampening for momentum (dampening)
	Nesterov                bool    // sgd: Nesterov momentum (nesterov)
	WeightDecay             float64 // L2 penalty added to the gradient, decoupled for adamw (weight_decay)
	Beta1                   float64 // adam family: betas[0]
	Beta2                   float64 // adam family: betas[1]
	Eps                     float64 // term added for numerical stability (eps)
	Amsgrad                 bool    // adam, adamw: keep the maximum of exp_avg_sq (amsgrad)
	Rho                     float64 // adadelta: decay of the running averages (rho)
	Alpha                   float64 // rmsprop: smoothing constant (alpha)
	Centered                bool    // rmsprop: normalise by the gradient's variance estimate (centered)
	LRDecay                 float64 // adagrad: learning-rate decay (lr_decay)
	InitialAccumulatorValue float64 // adagrad: initial value of the sum of squares (initial_accumulator_value)
	MomentumDecay           float64 // nadam: momentum decay psi (momentum_decay)
	DecoupledWeightDecay    bool    // nadam, radam: AdamW-style weight decay (decoupled_weight_decay)
	Maximize                bool    // ascend instead of descend (maximize)
	History                 float64 // lbfgs: gradient pairs kept (gonum LBFGS.Store)
}

// Hyper describes one hyperparameter: its flag, torch.optim's name and
// default, and its valid range (for a Bool, Default is 0 or 1).
type Hyper struct {
	Flag    string  // flag name without dashes, e.g. "beta1"
	Torch   string  // the torch.optim argument it corresponds to
	Bool    bool    // a switch rather than a number
	Int     bool    // a whole number
	Default float64 // torch.optim's default
	Min     float64 // smallest valid value
	MinOpen bool    // Min itself is invalid
	Max     float64 // largest valid value
	MaxOpen bool    // Max itself is invalid
	Doc     string  // one line of help
}

// Range renders the valid range, e.g. "[0, 1)"; empty for a Bool.
func (h Hyper) Range() string {
	if h.Bool {
		return ""
	}
	lo, hi := "[", "]"
	if h.MinOpen {
		lo = "("
	}
	if h.MaxOpen {
		hi = ")"
	}
	return fmt.Sprintf("%s%g, %g%s", lo, h.Min, h.Max, hi)
}

func (h Hyper) check(v float64) error {
	if h.Bool {
		return nil
	}
	if math.IsNaN(v) || v < h.Min || v > h.Max || (h.MinOpen && v == h.Min) || (h.MaxOpen && v == h.Max) {
		return fmt.Errorf("--%s %g is out of range %s", h.Flag, v, h.Range())
	}
	if h.Int && v != math.Trunc(v) {
		return fmt.Errorf("--%s %g must be a whole number", h.Flag, v)
	}
	return nil
}

// OptimizerInfo names an optimizer, summarises its update and lists its
// hyperparameters and state vectors (named as torch names its state).
type OptimizerInfo struct {
	Name    string
	Torch   string // the torch.optim class, or the gonum method for CPU-only ones
	Summary string
	Hyper   []Hyper
	// CPUOnly marks the quasi-Newton and line-search methods, which run on
	// the CPU through gonum/optimize with their own iteration (a step is a
	// major iteration, with as many evaluations as its line search needs).
	CPUOnly bool
}

var inf = math.Inf(1)

// Hyperparameter templates; each optimizer sets its own default.
func lrH(def float64) Hyper {
	return Hyper{Flag: "lr", Torch: "lr", Default: def, Min: 0, MinOpen: true, Max: inf, MaxOpen: true, Doc: "learning rate"}
}
func wdH(def float64) Hyper {
	return Hyper{Flag: "weight-decay", Torch: "weight_decay", Default: def, Min: 0, Max: inf, MaxOpen: true, Doc: "weight decay (L2 penalty)"}
}
func epsH(def float64) Hyper {
	return Hyper{Flag: "eps", Torch: "eps", Default: def, Min: 0, MinOpen: true, Max: inf, MaxOpen: true, Doc: "term added to the denominator for numerical stability"}
}
func boolH(flag, torch, doc string) Hyper {
	return Hyper{Flag: flag, Torch: torch, Bool: true, Doc: doc}
}

var (
	beta1H   = Hyper{Flag: "beta1", Torch: "betas[0]", Default: 0.9, Min: 0, Max: 1, MaxOpen: true, Doc: "decay of the first-moment average"}
	beta2H   = Hyper{Flag: "beta2", Torch: "betas[1]", Default: 0.999, Min: 0, Max: 1, MaxOpen: true, Doc: "decay of the second-moment average"}
	maxH     = boolH("maximize", "maximize", "maximise the objective instead of minimising it")
	decoupH  = boolH("decoupled-weight-decay", "decoupled_weight_decay", "apply weight decay to the parameters as AdamW does")
	momentH  = Hyper{Flag: "momentum", Torch: "momentum", Min: 0, Max: inf, MaxOpen: true, Doc: "momentum factor"}
	adamLike = func(lr, wd float64, extra ...Hyper) []Hyper {
		return append([]Hyper{lrH(lr), beta1H, beta2H, epsH(1e-8), wdH(wd)}, extra...)
	}
)

var optimizers = []OptimizerInfo{
	{
		Name: "sgd", Torch: "torch.optim.SGD",
		Summary: "gradient descent with optional (Nesterov) momentum and dampening",
		Hyper: []Hyper{lrH(1e-3), momentH,
			{Flag: "dampening", Torch: "dampening", Min: 0, Max: 1, Doc: "dampening for momentum"},
			wdH(0), boolH("nesterov", "nesterov", "Nesterov momentum (needs momentum > 0 and dampening 0)"), maxH},
	},
	{
		Name: "adagrad", Torch: "torch.optim.Adagrad",
		Summary: "per-coordinate steps scaled by the root of the sum of squared gradients",
		Hyper: []Hyper{lrH(1e-2),
			{Flag: "lr-decay", Torch: "lr_decay", Min: 0, Max: inf, MaxOpen: true, Doc: "learning-rate decay per step"},
			wdH(0),
			{Flag: "initial-accumulator-value", Torch: "initial_accumulator_value", Min: 0, Max: inf, MaxOpen: true, Doc: "initial value of the sum of squares"},
			epsH(1e-10), maxH},
	},
	{
		Name: "adadelta", Torch: "torch.optim.Adadelta",
		Summary: "steps scaled by running averages of squared gradients and squared updates",
		Hyper: []Hyper{lrH(1.0),
			{Flag: "rho", Torch: "rho", Default: 0.9, Min: 0, Max: 1, Doc: "decay of the running averages"},
			epsH(1e-6), wdH(0), maxH},
	},
	{
		Name: "rmsprop", Torch: "torch.optim.RMSprop",
		Summary: "steps scaled by a running average of squared gradients, optional momentum and centering",
		Hyper: []Hyper{lrH(1e-2),
			{Flag: "alpha", Torch: "alpha", Default: 0.99, Min: 0, Max: 1, Doc: "smoothing constant"},
			epsH(1e-8), wdH(0), momentH,
			boolH("centered", "centered", "normalise by the estimated variance of the gradient"), maxH},
	},
	{
		Name: "adam", Torch: "torch.optim.Adam",
		Summary: "bias-corrected first and second moment estimates (optionally AMSGrad)",
		Hyper:   adamLike(1e-3, 0, boolH("amsgrad", "amsgrad", "use the maximum of past second moments (AMSGrad)"), maxH),
	},
	{
		Name: "adamw", Torch: "torch.optim.AdamW",
		Summary: "Adam with decoupled weight decay",
		Hyper:   adamLike(1e-3, 1e-2, boolH("amsgrad", "amsgrad", "use the maximum of past second moments (AMSGrad)"), maxH),
	},
	{
		Name: "adamax", Torch: "torch.optim.Adamax",
		Summary: "Adam with the infinity norm in place of the second moment",
		Hyper:   adamLike(2e-3, 0, maxH),
	},
	{
		Name: "nadam", Torch: "torch.optim.NAdam",
		Summary: "Adam with Nesterov momentum and momentum decay",
		Hyper: adamLike(2e-3, 0,
			Hyper{Flag: "momentum-decay", Torch: "momentum_decay", Default: 4e-3, Min: 0, Max: inf, MaxOpen: true, Doc: "momentum decay psi"},
			decoupH, maxH),
	},
	{
		Name: "radam", Torch: "torch.optim.RAdam",
		Summary: "Adam with the variance of the adaptive learning rate rectified",
		Hyper:   adamLike(1e-3, 0, decoupH, maxH),
	},
	{
		Name: "lbfgs", Torch: "gonum optimize.LBFGS", CPUOnly: true,
		Summary: "limited-memory BFGS with gonum's default bisection line search (CPU only)",
		Hyper:   []Hyper{{Flag: "history", Torch: "Store", Int: true, Default: 15, Min: 1, Max: 1 << 20, Doc: "gradient pairs kept"}},
	},
	{
		Name: "bfgs", Torch: "gonum optimize.BFGS", CPUOnly: true,
		Summary: "BFGS with a dense inverse-Hessian estimate (8 N^2 bytes) and a bisection line search (CPU only)",
	},
	{
		Name: "cg", Torch: "gonum optimize.CG", CPUOnly: true,
		Summary: "nonlinear conjugate gradient, Hestenes-Stiefel variant, More-Thuente line search (CPU only)",
	},
	{
		Name: "gradientdescent", Torch: "gonum optimize.GradientDescent", CPUOnly: true,
		Summary: "steepest descent with a backtracking line search (CPU only)",
	},
}

// Optimizers lists every optimizer the backends implement.
func Optimizers() []OptimizerInfo { return optimizers }

// OptimizerNames lists the optimizer names.
func OptimizerNames() []string {
	n := make([]string, len(optimizers))
	for i, o := range optimizers {
		n[i] = o.Name
	}
	return n
}

// LookupOptimizer finds an optimizer by name.
func LookupOptimizer(name string) (OptimizerInfo, bool) {
	for _, o := range optimizers {
		if o.Name == name {
			return o, true
		}
	}
	return OptimizerInfo{}, false
}

// HyperFlags lists every hyperparameter flag of every optimizer once, in
// registry order, with the first description met: what a command line
// registers.
func HyperFlags() []Hyper {
	var out []Hyper
	seen := map[string]bool{}
	for _, o := range optimizers {
		for _, h := range o.Hyper {
			if !seen[h.Flag] {
				seen[h.Flag] = true
				out = append(out, h)
			}
		}
	}
	return out
}

// DefaultOptimizer returns the optimizer called name with torch.optim's
// default hyperparameters, or an error naming the known optimizers.
func DefaultOptimizer(name string) (Optimizer, error) {
	info, ok := LookupOptimizer(name)
	if !ok {
		return Optimizer{}, fmt.Errorf("gdgpu: unknown optimizer %q (known: %s)", name, strings.Join(OptimizerNames(), ", "))
	}
	o := Optimizer{Name: info.Name}
	for _, h := range info.Hyper {
		o.Set(h.Flag, h.Default)
	}
	return o, nil
}

// Takes reports whether the optimizer accepts the hyperparameter flag.
func (o Optimizer) Takes(flag string) bool {
	info, _ := LookupOptimizer(o.Name)
	for _, h := range info.Hyper {
		if h.Flag == flag {
			return true
		}
	}
	return false
}

// Set sets a hyperparameter by flag; a Bool is true for any non-zero v.
// It panics on an unknown flag (a programming error).
func (o *Optimizer) Set(flag string, v float64) {
	if p := o.boolField(flag); p != nil {
		*p = v != 0
		return
	}
	*o.floatField(flag) = v
}

// Get returns a hyperparameter by flag, a Bool as 0 or 1.
func (o *Optimizer) Get(flag string) float64 {
	if p := o.boolField(flag); p != nil {
		if *p {
			return 1
		}
		return 0
	}
	return *o.floatField(flag)
}

func (o *Optimizer) boolField(flag string) *bool {
	switch flag {
	case "nesterov":
		return &o.Nesterov
	case "amsgrad":
		return &o.Amsgrad
	case "centered":
		return &o.Centered
	case "maximize":
		return &o.Maximize
	case "decoupled-weight-decay":
		return &o.DecoupledWeightDecay
	}
	return nil
}

func (o *Optimizer) floatField(flag string) *float64 {
	switch flag {
	case "lr":
		return &o.LR
	case "momentum":
		return &o.Momentum
	case "dampening":
		return &o.Dampening
	case "weight-decay":
		return &o.WeightDecay
	case "beta1":
		return &o.Beta1
	case "beta2":
		return &o.Beta2
	case "eps":
		return &o.Eps
	case "rho":
		return &o.Rho
	case "alpha":
		return &o.Alpha
	case "lr-decay":
		return &o.LRDecay
	case "initial-accumulator-value":
		return &o.InitialAccumulatorValue
	case "momentum-decay":
		return &o.MomentumDecay
	case "history":
		return &o.History
	}
	panic("gdgpu: no hyperparameter " + flag)
}

// Validate refuses hyperparameters outside their ranges and invalid
// combinations, naming the flag, as torch.optim's constructors do.
func (o Optimizer) Validate() error {
	info, ok := LookupOptimizer(o.Name)
	if !ok {
		return fmt.Errorf("unknown optimizer %q (known: %s)", o.Name, strings.Join(OptimizerNames(), ", "))
	}
	for _, h := range info.Hyper {
		if err := h.check(o.Get(h.Flag)); err != nil {
			return err
		}
	}
	if o.Name == "sgd" && o.Nesterov && (o.Momentum <= 0 || o.Dampening != 0) {
		return fmt.Errorf("--nesterov needs --momentum > 0 and --dampening 0 (got %g and %g)", o.Momentum, o.Dampening)
	}
	return nil
}

// StateNames lists the optimizer's per-parameter state vectors, named as
// torch.optim names them in optimizer.state[p], for this configuration.
func (o Optimizer) StateNames() []string {
	switch o.Name {
	case "sgd":
		if o.Momentum != 0 {
			return []string{"momentum_buffer"}
		}
	case "adagrad":
		return []string{"sum"}
	case "adadelta":
		return []string{"square_avg", "acc_delta"}
	case "rmsprop":
		s := []string{"square_avg"}
		if o.Momentum > 0 {
			s = append(s, "momentum_buffer")
		}
		if o.Centered {
			s = append(s, "grad_avg")
		}
		return s
	case "adam", "adamw":
		if o.Amsgrad {
			return []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
		}
		return []string{"exp_avg", "exp_avg_sq"}
	case "adamax":
		return []string{"exp_avg", "exp_inf"}
	case "nadam", "radam":
		return []string{"exp_avg", "exp_avg_sq"}
	}
	return nil
}
