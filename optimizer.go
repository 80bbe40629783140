package gdgpu

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/optimize"
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
	History                 float64 // lbfgs: curvature pairs kept (history_size); gonum-lbfgs: gonum LBFGS.Store
	MaxIter                 float64 // lbfgs: iterations per step (max_iter)
	MaxEval                 float64 // lbfgs: function evaluations per step (max_eval); 0: MaxIter*5/4
	ToleranceGrad           float64 // lbfgs: first-order optimality tolerance on max|g| (tolerance_grad)
	ToleranceChange         float64 // lbfgs: tolerance on function value and parameter changes (tolerance_change)
	StrongWolfe             bool    // lbfgs: the strong-Wolfe line search (line_search_fn="strong_wolfe")
}

// Hyper describes one hyperparameter: its name, torch.optim's name and
// default, and its valid range (for a Bool, Default is 0 or 1).
type Hyper struct {
	Name    string  // the name Optimizer.Set and Get take, e.g. "beta1" (a command line makes it a flag)
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
		return FieldErrorf("{Optimizer."+h.Name+"} %g is out of range %s", v, h.Range())
	}
	if h.Int && v != math.Trunc(v) {
		return FieldErrorf("{Optimizer."+h.Name+"} %g must be a whole number", v)
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
	// Closure marks a rule of torch's step(closure) kind (L-BFGS): a step
	// evaluates the loss and gradient as often as it needs, with reductions
	// over the whole vector between, so it is not an update(x, g) kernel.
	// The CPU backend runs it; the GPU backend does not yet. WorkVectors is
	// the vectors of N such a step needs beyond its state vectors.
	Closure     bool
	WorkVectors int
	// CheckScalars refuses a scalar state this configuration cannot have
	// (a checkpoint's). nil: any.
	CheckScalars func(o *Optimizer, s ScalarState) error
	// KeptStates is how many state vectors, the first in StateNames
	// order, Backend.Keep copies (nil: all of them), and OnRevert adjusts
	// the scalar state Revert restores for the ones it did not (lbfgs keeps
	// d and prev_flat_grad, not its history ring, which a revert empties:
	// two kept copies of the history would triple its memory).
	KeptStates func(o *Optimizer) int
	OnRevert   func(s *ScalarState)
	// Cycled is the hyperparameter (its name) that OneCycleLR cycles with
	// cycle_momentum: "momentum" where torch's defaults have momentum
	// (SGD, RMSprop), "beta1" where they have betas (the Adam family),
	// "" where they have neither (torch then raises).
	Cycled string

	// States names the per-parameter state vectors of a configuration, as
	// torch.optim names them in optimizer.state[p], in the order both
	// backends keep them (Optimizer.StateNames). nil: none.
	States func(o *Optimizer) []string
	// StateStart gives the value state vector k starts at, when it does
	// not start at zero (Adagrad's sum: initial_accumulator_value). nil:
	// every one starts at zero.
	StateStart func(o *Optimizer, k int) (v float64, ok bool)
	// Decoupled reports whether weight decay multiplies the parameters by
	// 1 - lr*wd (AdamW's) instead of adding wd*x to the gradient. nil:
	// never.
	Decoupled func(o *Optimizer) bool
	// Check refuses a combination of hyperparameters that torch's
	// constructor refuses, with a FieldError naming them as
	// {Optimizer.name}. nil: none.
	Check func(o *Optimizer) error
	// StepScalars returns s with the rule's own scalars of step t set,
	// where Scalars has set T, LR, StepSize = lr, Decay and FirstStep, and
	// advances st. nil: none. (s goes by value: a pointer passed to a
	// function value escapes, and Scalars runs every step.)
	StepScalars func(o *Optimizer, t int, lr float64, st *ScalarState, s StepScalars) StepScalars
	// CPU makes the rule's float64 update (nil for the CPU-only methods,
	// which run gonum's loop instead).
	CPU func(o *Optimizer) CPUUpdate
	// GPU is the rule's GLSL (empty for the CPU-only methods).
	GPU GPUUpdate
	// Gonum makes a CPU-only method's gonum/optimize Method, and
	// GonumState gives the memory in bytes it keeps for n parameters
	// (nil: O(n), not checked; cpu.MaxMinimizeState bounds the rest).
	Gonum      func(o *Optimizer) optimize.Method
	GonumState func(o *Optimizer, n int) float64
}

// GPUUpdate is an optimizer's GLSL side: Files (embedded shader files,
// in order) implement update(j, x, g) on top of optim_common.glsl, whose
// StepScalars uniform block carries the per-step scalars and whose
// compile-time switches MAXIMIZE, WEIGHT_DECAY and DECOUPLED the engine
// sets from the common fields; Defines names the rule's own switches that
// a configuration turns on (MOMENTUM, NESTEROV, AMSGRAD, CENTERED). The
// files declare each state vector with STATE0(name)..STATE2(name), in
// StateNames order, and index it only by update's j: the engine's vector
// path then loads and stores it a vector at a time with the same rule.
type GPUUpdate struct {
	Files   []string
	Defines func(o *Optimizer) []string
}

// switches returns the names among name/on pairs whose value is true:
// GPUUpdate.Defines' result. It panics on an odd argument list.
func switches(pairs ...any) []string {
	var on []string
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i+1].(bool) {
			on = append(on, pairs[i].(string))
		}
	}
	return on
}

// StateStart reports the value state vector k (in StateNames order)
// starts at on Load, when it is not zero (see OptimizerInfo.StateStart).
func (o *Optimizer) StateStart(k int) (v float64, ok bool) {
	if info, _ := LookupOptimizer(o.Name); info.StateStart != nil {
		return info.StateStart(o, k)
	}
	return 0, false
}

// IsDecoupled reports whether o's weight decay is decoupled (see
// OptimizerInfo.Decoupled).
func (o *Optimizer) IsDecoupled() bool {
	info, _ := LookupOptimizer(o.Name)
	return info.Decoupled != nil && info.Decoupled(o)
}

var inf = math.Inf(1)

// Hyperparameter templates; each optimizer sets its own default.
func lrH(def float64) Hyper {
	return Hyper{Name: "lr", Torch: "lr", Default: def, Min: 0, MinOpen: true, Max: inf, MaxOpen: true, Doc: "learning rate"}
}
func wdH(def float64) Hyper {
	return Hyper{Name: "weight-decay", Torch: "weight_decay", Default: def, Min: 0, Max: inf, MaxOpen: true, Doc: "weight decay (L2 penalty)"}
}
func epsH(def float64) Hyper {
	return Hyper{Name: "eps", Torch: "eps", Default: def, Min: 0, MinOpen: true, Max: inf, MaxOpen: true, Doc: "term added to the denominator for numerical stability"}
}
func boolH(flag, torch, doc string) Hyper {
	return Hyper{Name: flag, Torch: torch, Bool: true, Doc: doc}
}

var (
	beta1H   = Hyper{Name: "beta1", Torch: "betas[0]", Default: 0.9, Min: 0, Max: 1, MaxOpen: true, Doc: "decay of the first-moment average"}
	beta2H   = Hyper{Name: "beta2", Torch: "betas[1]", Default: 0.999, Min: 0, Max: 1, MaxOpen: true, Doc: "decay of the second-moment average"}
	maxH     = boolH("maximize", "maximize", "maximise the objective instead of minimising it")
	decoupH  = boolH("decoupled-weight-decay", "decoupled_weight_decay", "apply weight decay to the parameters as AdamW does")
	momentH  = Hyper{Name: "momentum", Torch: "momentum", Min: 0, Max: inf, MaxOpen: true, Doc: "momentum factor"}
	adamLike = func(lr, wd float64, extra ...Hyper) []Hyper {
		return append([]Hyper{lrH(lr), beta1H, beta2H, epsH(1e-8), wdH(wd)}, extra...)
	}
)

// optimizers is the registry, in the order list and the help show it;
// each rule is defined by its own file (optimizer_<name>.go).
var optimizers = append([]OptimizerInfo{
	sgdInfo(), adagradInfo(), adadeltaInfo(), rmspropInfo(),
	adamInfo(), adamwInfo(), adamaxInfo(), nadamInfo(), radamInfo(),
	lbfgsInfo(),
}, gonumInfos()...)

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

// KnownOptimizers is the end of an error about the unknown optimizer
// name: its new name if it was renamed, then the known names.
func KnownOptimizers(name string) string {
	known := "known: " + strings.Join(OptimizerNames(), ", ")
	if to, ok := renamedOptimizers[name]; ok {
		return fmt.Sprintf("renamed %s; %s", to, known)
	}
	return known
}

// AllHypers lists every hyperparameter of every optimizer once, by name,
// in registry order, with the first description met: what a command line
// makes its flags of.
func AllHypers() []Hyper {
	var out []Hyper
	seen := map[string]bool{}
	for _, o := range optimizers {
		for _, h := range o.Hyper {
			if !seen[h.Name] {
				seen[h.Name] = true
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
		return Optimizer{}, fmt.Errorf("gdgpu: unknown optimizer %q (%s)", name, KnownOptimizers(name))
	}
	o := Optimizer{Name: info.Name}
	for _, h := range info.Hyper {
		o.Set(h.Name, h.Default)
	}
	return o, nil
}

// Takes reports whether the optimizer has the hyperparameter name.
func (o Optimizer) Takes(name string) bool {
	info, _ := LookupOptimizer(o.Name)
	for _, h := range info.Hyper {
		if h.Name == name {
			return true
		}
	}
	return false
}

// Set sets a hyperparameter by name; a Bool is true for any non-zero v.
// It panics on an unknown name (a programming error).
func (o *Optimizer) Set(name string, v float64) {
	if p := o.boolField(name); p != nil {
		*p = v != 0
		return
	}
	*o.floatField(name) = v
}

// Get returns a hyperparameter by name, a Bool as 0 or 1.
func (o *Optimizer) Get(name string) float64 {
	if p := o.boolField(name); p != nil {
		if *p {
			return 1
		}
		return 0
	}
	return *o.floatField(name)
}

func (o *Optimizer) boolField(name string) *bool {
	switch name {
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
	case "strong-wolfe":
		return &o.StrongWolfe
	}
	return nil
}

func (o *Optimizer) floatField(name string) *float64 {
	switch name {
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
	case "history", "history-size":
		return &o.History
	case "max-iter":
		return &o.MaxIter
	case "max-eval":
		return &o.MaxEval
	case "tolerance-grad":
		return &o.ToleranceGrad
	case "tolerance-change":
		return &o.ToleranceChange
	}
	panic("gdgpu: no hyperparameter " + name)
}

// Validate refuses hyperparameters outside their ranges and invalid
// combinations, as torch.optim's constructors do, with a FieldError
// naming the hyperparameter as {Optimizer.name}.
func (o Optimizer) Validate() error {
	info, ok := LookupOptimizer(o.Name)
	if !ok {
		return fmt.Errorf("unknown optimizer %q (%s)", o.Name, KnownOptimizers(o.Name))
	}
	for _, h := range info.Hyper {
		if err := h.check(o.Get(h.Name)); err != nil {
			return err
		}
	}
	if info.Check != nil {
		if err := info.Check(&o); err != nil {
			return err
		}
	}
	return nil
}

// CheckScalars refuses a scalar state o cannot have, such as an L-BFGS
// ring larger than its history (see OptimizerInfo.CheckScalars).
func (o Optimizer) CheckScalars(s ScalarState) error {
	if info, _ := LookupOptimizer(o.Name); info.CheckScalars != nil {
		return info.CheckScalars(&o, s)
	}
	return nil
}

// KeptStates is how many of the state vectors, the first in StateNames
// order, Backend.Keep copies (see OptimizerInfo.KeptStates).
func (o Optimizer) KeptStates() int {
	if info, _ := LookupOptimizer(o.Name); info.KeptStates != nil {
		return info.KeptStates(&o)
	}
	return len(o.StateNames())
}

// Reverted adjusts a scalar state restored by Backend.Revert for the
// state vectors Keep did not copy (see OptimizerInfo.OnRevert).
func (o Optimizer) Reverted(s *ScalarState) {
	if info, _ := LookupOptimizer(o.Name); info.OnRevert != nil {
		info.OnRevert(s)
	}
}

// StateNames lists the optimizer's per-parameter state vectors, named as
// torch.optim names them in optimizer.state[p], for this configuration.
func (o Optimizer) StateNames() []string {
	if info, _ := LookupOptimizer(o.Name); info.States != nil {
		return info.States(&o)
	}
	return nil
}
