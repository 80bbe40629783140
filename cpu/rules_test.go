package cpu

import (
	"fmt"
	"github.com/gdgpu/gdgpu/internal/kern"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// This file checks every optimizer rule of docs/optimizers.md over a table
// of configurations: every optimizer with each of its options alone and
// some together. Two references are written here, independently of
// optim.go: textbookStep, the algorithms as torch.optim documents them in
// plain float64 arithmetic (agreement to rounding), and torchStep, torch's
// _single_tensor_* code transcribed op by op onto ATen's scalar CPU
// kernels (agreement to the bit).

// mustBackend builds a backend for job through newBackend, which does not
// ask job.Validate: the root package still gates which optimizers a job
// may use, and these tests reach every kernel.
func mustBackend(t testing.TB, job *gdgpu.Job) *Backend {
	t.Helper()
	b, err := newBackend(job)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// variant is an optimizer with hyperparameters changed (by flag) from a
// base configuration.
type variant struct {
	name string
	set  map[string]float64
}

// variants covers every optimizer and each of its options.
var variants = []variant{
	{"sgd", nil},
	{"sgd", map[string]float64{"momentum": 0.875}},
	{"sgd", map[string]float64{"momentum": 0.875, "dampening": 0.25}},
	{"sgd", map[string]float64{"momentum": 0.875, "nesterov": 1}},
	{"sgd", map[string]float64{"weight-decay": 0.125}},
	{"sgd", map[string]float64{"maximize": 1}},
	{"sgd", map[string]float64{"momentum": 0.5, "dampening": 0.5, "weight-decay": 0.125, "maximize": 1}},
	{"sgd", map[string]float64{"momentum": 0.875, "nesterov": 1, "weight-decay": 0.125, "maximize": 1}},
	{"adagrad", nil},
	{"adagrad", map[string]float64{"lr-decay": 0.25}},
	{"adagrad", map[string]float64{"initial-accumulator-value": 0.5}},
	{"adagrad", map[string]float64{"weight-decay": 0.125}},
	{"adagrad", map[string]float64{"maximize": 1}},
	{"adagrad", map[string]float64{"lr-decay": 0.25, "initial-accumulator-value": 0.5, "weight-decay": 0.125, "maximize": 1}},
	{"adadelta", nil},
	{"adadelta", map[string]float64{"weight-decay": 0.125}},
	{"adadelta", map[string]float64{"maximize": 1}},
	{"adadelta", map[string]float64{"rho": 0.5, "weight-decay": 0.125, "maximize": 1}},
	{"rmsprop", nil},
	{"rmsprop", map[string]float64{"momentum": 0.875}},
	{"rmsprop", map[string]float64{"centered": 1}},
	{"rmsprop", map[string]float64{"centered": 1, "momentum": 0.5}},
	{"rmsprop", map[string]float64{"centered": 1, "alpha": 0.25}}, // lerp weight 0.75: torch's other form
	{"rmsprop", map[string]float64{"weight-decay": 0.125}},
	{"rmsprop", map[string]float64{"maximize": 1}},
	{"rmsprop", map[string]float64{"centered": 1, "momentum": 0.5, "weight-decay": 0.125, "maximize": 1}},
	{"adam", nil},
	{"adam", map[string]float64{"amsgrad": 1}},
	{"adam", map[string]float64{"weight-decay": 0.125}},
	{"adam", map[string]float64{"maximize": 1}},
	{"adam", map[string]float64{"beta1": 0.25}}, // lerp weight 0.75
	{"adam", map[string]float64{"amsgrad": 1, "weight-decay": 0.125, "maximize": 1}},
	{"adamw", nil}, // decoupled weight decay 1e-2 by default
	{"adamw", map[string]float64{"amsgrad": 1}},
	{"adamw", map[string]float64{"weight-decay": 0}},
	{"adamw", map[string]float64{"maximize": 1}},
	{"adamw", map[string]float64{"amsgrad": 1, "weight-decay": 0.125, "maximize": 1, "beta1": 0.25}},
	{"adamax", nil},
	{"adamax", map[string]float64{"weight-decay": 0.125}},
	{"adamax", map[string]float64{"maximize": 1}},
	{"adamax", map[string]float64{"beta1": 0.25}},
	{"nadam", nil},
	{"nadam", map[string]float64{"weight-decay": 0.125}},
	{"nadam", map[string]float64{"weight-decay": 0.125, "decoupled-weight-decay": 1}},
	{"nadam", map[string]float64{"maximize": 1}},
	{"nadam", map[string]float64{"weight-decay": 0.125, "decoupled-weight-decay": 1, "maximize": 1, "momentum-decay": 0.25}},
	{"radam", nil},
	{"radam", map[string]float64{"weight-decay": 0.125}},
	{"radam", map[string]float64{"weight-decay": 0.125, "decoupled-weight-decay": 1}},
	{"radam", map[string]float64{"maximize": 1}},
	{"radam", map[string]float64{"weight-decay": 0.125, "decoupled-weight-decay": 1, "maximize": 1, "beta1": 0.25}},
}

// optCase is one configuration of the table.
type optCase struct {
	variant
	opt gdgpu.Optimizer
}

func (oc optCase) String() string {
	s := oc.name
	for _, h := range gdgpu.AllHypers() { // registry order, so names are stable
		if v, ok := oc.set[h.Name]; ok {
			s += fmt.Sprintf(",%s=%g", h.Name, v)
		}
	}
	return s
}

// optCases applies every variant over base(name), torch's defaults with
// the changes a test needs.
func optCases(base func(name string) map[string]float64) []optCase {
	var cs []optCase
	for _, v := range variants {
		o, err := gdgpu.DefaultOptimizer(v.name)
		if err != nil {
			panic(err)
		}
		for flag, val := range base(v.name) {
			o.Set(flag, val)
		}
		for flag, val := range v.set {
			o.Set(flag, val)
		}
		if err := o.Validate(); err != nil {
			panic(fmt.Sprintf("%s %v: %v", v.name, v.set, err))
		}
		cs = append(cs, optCase{v, o})
	}
	return cs
}

// handBase gives the hand-computed tests dyadic betas whose powers are
// exact in float64 for the steps run (0.875^6, 0.75^6 and (1-2^-8)^6 need
// at most 48 bits), so 1 - beta^t is exact however it is computed: a
// rounded power would be amplified a thousandfold by 1 - beta2^t and hide
// the rule behind its scalars. Learning rates are large enough for x to
// move visibly in a few steps. RAdam's beta2 = 1 - 2^-8 makes rho_t pass 5
// at t = 6.
func handBase(name string) map[string]float64 {
	lr := map[string]float64{
		"sgd": 0.05, "adagrad": 0.1, "adadelta": 1, "rmsprop": 0.01,
		"adam": 0.1, "adamw": 0.1, "adamax": 0.1, "nadam": 0.1, "radam": 0.1,
	}[name]
	set := map[string]float64{"lr": lr}
	switch name {
	case "adam", "adamw", "adamax", "nadam":
		set["beta1"], set["beta2"] = 0.875, 0.75
	case "radam":
		set["beta1"], set["beta2"] = 0.875, 1-1.0/256
	}
	return set
}

// The hand-computed steps: six gradients on three elements, signs kept
// per element so that no sum cancels (every state vector stays far from
// zero, and relative comparison is meaningful).
var (
	handX0    = []float64{3, -2.5, 4.5}
	handGrads = [][]float64{
		{0.5, -1.25, 2.1},
		{0.375, -0.25, 1.75},
		{0.7, -1, 2.5},
		{0.25, -0.75, 1.3},
		{0.75, -0.5, 2.25},
		{0.5, -1.5, 1.25},
	}
)

// handSteps is how many of handGrads a rule's test applies: three, and
// six for RAdam, whose first rectified step is the sixth.
func handSteps(name string) int {
	if name == "radam" {
		return 6
	}
	return 3
}

// refState is a reference's optimizer state.
type refState struct {
	x      []float64
	s      map[string][]float64 // by torch's names
	t      int
	muProd float64 // NAdam's product of mu_1..mu_t
}

func newRefState(o gdgpu.Optimizer, x0 []float64) *refState {
	r := &refState{x: slices.Clone(x0), s: map[string][]float64{}, muProd: 1}
	for _, name := range o.StateNames() {
		v := make([]float64, len(x0))
		if name == "sum" {
			for i := range v {
				v[i] = o.InitialAccumulatorValue
			}
		}
		r.s[name] = v
	}
	return r
}

// textbookStep is one step of o as torch.optim's documentation writes the
// algorithm (maximize and weight decay first, as docs/optimizers.md and
// torch's code do), in plain float64 arithmetic, with scalars computed
// here from the hyperparameters. It shares no code and no operation order
// with optim.go or gdgpu.Optimizer.Scalars.
func textbookStep(o gdgpu.Optimizer, r *refState, g []float64, lr float64) {
	r.t++
	t := float64(r.t)
	x, s := r.x, r.s
	decoupled := o.Name == "adamw" || o.DecoupledWeightDecay && (o.Name == "nadam" || o.Name == "radam")
	// NAdam's momentum cache, advanced once per step.
	mu := o.Beta1 * (1 - 0.5*kern.Pow(0.96, t*o.MomentumDecay))
	muNext := o.Beta1 * (1 - 0.5*kern.Pow(0.96, (t+1)*o.MomentumDecay))
	if o.Name == "nadam" {
		r.muProd *= mu
	}
	for i := range x {
		gi := g[i]
		if o.Maximize {
			gi = -gi
		}
		if o.WeightDecay != 0 {
			if decoupled {
				x[i] *= 1 - lr*o.WeightDecay
			} else {
				gi += o.WeightDecay * x[i]
			}
		}
		switch o.Name {
		case "sgd":
			if o.Momentum != 0 {
				b := s["momentum_buffer"]
				if r.t == 1 {
					b[i] = gi
				} else {
					b[i] = o.Momentum*b[i] + (1-o.Dampening)*gi
				}
				if o.Nesterov {
					gi += o.Momentum * b[i]
				} else {
					gi = b[i]
				}
			}
			x[i] -= lr * gi
		case "adagrad":
			clr := lr / (1 + (t-1)*o.LRDecay)
			s["sum"][i] += gi * gi
			x[i] -= clr * gi / (math.Sqrt(s["sum"][i]) + o.Eps)
		case "adadelta":
			v, u := s["square_avg"], s["acc_delta"]
			v[i] = o.Rho*v[i] + (1-o.Rho)*gi*gi
			dx := math.Sqrt(u[i]+o.Eps) / math.Sqrt(v[i]+o.Eps) * gi
			u[i] = o.Rho*u[i] + (1-o.Rho)*dx*dx
			x[i] -= lr * dx
		case "rmsprop":
			v := s["square_avg"]
			v[i] = o.Alpha*v[i] + (1-o.Alpha)*gi*gi
			vt := v[i]
			if o.Centered {
				ga := s["grad_avg"]
				ga[i] = o.Alpha*ga[i] + (1-o.Alpha)*gi
				vt -= ga[i] * ga[i]
			}
			if o.Momentum > 0 {
				b := s["momentum_buffer"]
				b[i] = o.Momentum*b[i] + gi/(math.Sqrt(vt)+o.Eps)
				x[i] -= lr * b[i]
			} else {
				x[i] -= lr * gi / (math.Sqrt(vt) + o.Eps)
			}
		case "adam", "adamw":
			m, v := s["exp_avg"], s["exp_avg_sq"]
			m[i] = o.Beta1*m[i] + (1-o.Beta1)*gi
			v[i] = o.Beta2*v[i] + (1-o.Beta2)*gi*gi
			vi := v[i]
			if o.Amsgrad {
				vm := s["max_exp_avg_sq"]
				vm[i] = math.Max(vm[i], v[i])
				vi = vm[i]
			}
			mhat := m[i] / (1 - math.Pow(o.Beta1, t))
			vhat := vi / (1 - math.Pow(o.Beta2, t))
			x[i] -= lr * mhat / (math.Sqrt(vhat) + o.Eps)
		case "adamax":
			m, u := s["exp_avg"], s["exp_inf"]
			m[i] = o.Beta1*m[i] + (1-o.Beta1)*gi
			u[i] = math.Max(o.Beta2*u[i], math.Abs(gi)+o.Eps)
			x[i] -= lr * m[i] / ((1 - math.Pow(o.Beta1, t)) * u[i])
		case "nadam":
			m, v := s["exp_avg"], s["exp_avg_sq"]
			m[i] = o.Beta1*m[i] + (1-o.Beta1)*gi
			v[i] = o.Beta2*v[i] + (1-o.Beta2)*gi*gi
			mhat := muNext*m[i]/(1-r.muProd*muNext) + (1-mu)*gi/(1-r.muProd)
			vhat := v[i] / (1 - math.Pow(o.Beta2, t))
			x[i] -= lr * mhat / (math.Sqrt(vhat) + o.Eps)
		case "radam":
			m, v := s["exp_avg"], s["exp_avg_sq"]
			m[i] = o.Beta1*m[i] + (1-o.Beta1)*gi
			v[i] = o.Beta2*v[i] + (1-o.Beta2)*gi*gi
			mhat := m[i] / (1 - math.Pow(o.Beta1, t))
			rhoInf := 2/(1-o.Beta2) - 1
			b2t := math.Pow(o.Beta2, t)
			rho := rhoInf - 2*t*b2t/(1-b2t)
			if rho > 5 {
				l := math.Sqrt(1-b2t) / (math.Sqrt(v[i]) + o.Eps)
				rect := math.Sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho))
				x[i] -= lr * mhat * rect * l
			} else {
				x[i] -= lr * mhat
			}
		default:
			panic("no textbook rule for " + o.Name)
		}
	}
}

// checkAgainst compares the backend's parameters, state vectors, step
// count and scalar state with a reference's, each element to rel relative
// (rel 0: bit for bit).
func checkAgainst(t *testing.T, what string, b *Backend, o gdgpu.Optimizer, r *refState, rel float64) {
	t.Helper()
	cmp := func(name string, got, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %s has %d elements, want %d", what, name, len(got), len(want))
			return
		}
		for i := range want {
			ok := got[i] == want[i]
			if rel > 0 {
				ok = closeRel(got[i], want[i], rel)
			}
			if !ok {
				t.Errorf("%s: %s[%d] = %.17g, want %.17g (rel. diff %.2g)", what, name, i, got[i], want[i], math.Abs(got[i]-want[i])/math.Abs(want[i]))
			}
		}
	}
	cmp("x", params(t, b), r.x)
	for _, name := range o.StateNames() {
		cmp(name, b.StateVector(name), r.s[name])
	}
	if b.StepCount() != r.t {
		t.Errorf("%s: StepCount = %d, want %d", what, b.StepCount(), r.t)
	}
	if o.Name == "nadam" {
		if got := b.ScalarState().MuProduct; !closeRel(got, r.muProd, max(rel, 1e-16)) {
			t.Errorf("%s: mu_product = %.17g, want %.17g", what, got, r.muProd)
		}
	}
}

func TestRulesHandComputed(t *testing.T) {
	// The first steps of every rule against textbookStep, 1e-15 relative:
	// parameters and every state vector after each step.
	for _, oc := range optCases(handBase) {
		t.Run(oc.String(), func(t *testing.T) {
			job := stepJob("quadratic", len(handX0), 1, oc.opt)
			b := mustBackend(t, job)
			if err := b.Load(handX0); err != nil {
				t.Fatal(err)
			}
			ref := newRefState(oc.opt, handX0)
			for k := range handSteps(oc.name) {
				if err := b.ApplyGradient(handGrads[k], oc.opt.LR); err != nil {
					t.Fatal(err)
				}
				textbookStep(oc.opt, ref, handGrads[k], oc.opt.LR)
				checkAgainst(t, fmt.Sprintf("step %d", k+1), b, oc.opt, ref, 1e-15)
			}
			if slices.Equal(params(t, b), handX0) {
				t.Error("x did not move")
			}
		})
	}
}

// The torch tensor operations the rules use, element by element as ATen's
// scalar CPU kernels evaluate them; each returns a new slice (in-place
// versions are copy(dst, op(...))). Products feeding a sum are converted,
// so Go cannot fuse them.
func elementwise(a []float64, f func(i int, ai float64) float64) []float64 {
	out := make([]float64, len(a))
	for i, ai := range a {
		out[i] = f(i, ai)
	}
	return out
}

// add is a.add(b, alpha=alpha): a + alpha*b.
func add(a, b []float64, alpha float64) []float64 {
	return elementwise(a, func(i int, ai float64) float64 { return ai + float64(alpha*b[i]) })
}

// addS is a.add(s) for a Python scalar s.
func addS(a []float64, s float64) []float64 {
	return elementwise(a, func(_ int, ai float64) float64 { return ai + s })
}

func mulS(a []float64, s float64) []float64 {
	return elementwise(a, func(_ int, ai float64) float64 { return ai * s })
}

func mulT(a, b []float64) []float64 {
	return elementwise(a, func(i int, ai float64) float64 { return ai * b[i] })
}

func divS(a []float64, s float64) []float64 {
	return elementwise(a, func(_ int, ai float64) float64 { return ai / s })
}

func divT(a, b []float64) []float64 {
	return elementwise(a, func(i int, ai float64) float64 { return ai / b[i] })
}

func sqrtT(a []float64) []float64 {
	return elementwise(a, func(_ int, ai float64) float64 { return math.Sqrt(ai) })
}

func absT(a []float64) []float64 {
	return elementwise(a, func(_ int, ai float64) float64 { return math.Abs(ai) })
}

func negT(a []float64) []float64 {
	return elementwise(a, func(_ int, ai float64) float64 { return -ai })
}

func reciprocal(a []float64) []float64 {
	return elementwise(a, func(_ int, ai float64) float64 { return 1 / ai })
}

// maximum is torch.maximum: NaN if either is NaN.
func maximum(a, b []float64) []float64 {
	return elementwise(a, func(i int, ai float64) float64 {
		if math.IsNaN(ai) || math.IsNaN(b[i]) {
			return math.NaN()
		}
		if ai > b[i] {
			return ai
		}
		return b[i]
	})
}

// addcmul is a.addcmul(t1, t2, value=c): a + (c*t1)*t2.
func addcmul(a, t1, t2 []float64, c float64) []float64 {
	return elementwise(a, func(i int, ai float64) float64 { return ai + float64(c*t1[i]*t2[i]) })
}

// addcdiv is a.addcdiv(t1, t2, value=c): a + (c*t1)/t2.
func addcdiv(a, t1, t2 []float64, c float64) []float64 {
	return elementwise(a, func(i int, ai float64) float64 { return ai + float64(c*t1[i])/t2[i] })
}

// lerp is a.lerp(end, w), ATen's formula for |w| < 0.5 and its other one.
func lerp(a, end []float64, w float64) []float64 {
	return elementwise(a, func(i int, ai float64) float64 {
		if math.Abs(w) < 0.5 {
			return ai + float64(w*(end[i]-ai))
		}
		return end[i] - float64((end[i]-ai)*(1-w))
	})
}

// torchStep is torch.optim's _single_tensor_<name> for one parameter
// tensor, transcribed statement by statement from torch's Python onto the
// operations above, with the per-step scalars of gdgpu's Optimizer.Scalars
// (the numbers both backends receive). The backend must match it bit for
// bit.
func torchStep(o gdgpu.Optimizer, r *refState, grad []float64, lr float64) {
	r.t++
	st := gdgpu.ScalarState{MuProduct: r.muProd}
	sc := o.Scalars(r.t, lr, &st)
	r.muProd = st.MuProduct
	param, s := r.x, r.s
	wd := o.WeightDecay
	decoupled := o.Name == "adamw" || o.DecoupledWeightDecay && (o.Name == "nadam" || o.Name == "radam")
	if o.Maximize {
		grad = negT(grad)
	}
	if wd != 0 {
		if decoupled {
			copy(param, mulS(param, 1-float64(lr*wd)))
		} else {
			grad = add(grad, param, wd)
		}
	}
	switch o.Name {
	case "sgd":
		if o.Momentum != 0 {
			buf := s["momentum_buffer"]
			if r.t == 1 {
				copy(buf, grad) // torch.clone(grad).detach()
			} else {
				copy(buf, add(mulS(buf, o.Momentum), grad, 1-o.Dampening))
			}
			if o.Nesterov {
				grad = add(grad, buf, o.Momentum)
			} else {
				grad = slices.Clone(buf)
			}
		}
		copy(param, add(param, grad, -lr))
	case "adagrad":
		clr := lr / (1 + float64(float64(r.t-1)*o.LRDecay))
		sum := s["sum"]
		copy(sum, addcmul(sum, grad, grad, 1))
		std := addS(sqrtT(sum), o.Eps)
		copy(param, addcdiv(param, grad, std, -clr))
	case "adadelta":
		sq, acc := s["square_avg"], s["acc_delta"]
		copy(sq, addcmul(mulS(sq, o.Rho), grad, grad, 1-o.Rho))
		std := sqrtT(addS(sq, o.Eps))
		delta := sqrtT(addS(acc, o.Eps))
		delta = mulT(divT(delta, std), grad)
		copy(acc, addcmul(mulS(acc, o.Rho), delta, delta, 1-o.Rho))
		copy(param, add(param, delta, -lr))
	case "rmsprop":
		sq := s["square_avg"]
		copy(sq, addcmul(mulS(sq, o.Alpha), grad, grad, 1-o.Alpha))
		var avg []float64
		if o.Centered {
			ga := s["grad_avg"]
			copy(ga, lerp(ga, grad, 1-o.Alpha))
			avg = sqrtT(addcmul(sq, ga, ga, -1))
		} else {
			avg = sqrtT(sq)
		}
		avg = addS(avg, o.Eps)
		if o.Momentum > 0 {
			buf := s["momentum_buffer"]
			copy(buf, addcdiv(mulS(buf, o.Momentum), grad, avg, 1))
			copy(param, add(param, buf, -lr))
		} else {
			copy(param, addcdiv(param, grad, avg, -lr))
		}
	case "adam", "adamw":
		m, v := s["exp_avg"], s["exp_avg_sq"]
		copy(m, lerp(m, grad, 1-o.Beta1))
		copy(v, addcmul(mulS(v, o.Beta2), grad, grad, 1-o.Beta2))
		stepSize, bc2Sqrt := sc.StepSize, sc.BC2Sqrt
		var denom []float64
		if o.Amsgrad {
			vm := s["max_exp_avg_sq"]
			copy(vm, maximum(vm, v))
			denom = addS(divS(sqrtT(vm), bc2Sqrt), o.Eps)
		} else {
			denom = addS(divS(sqrtT(v), bc2Sqrt), o.Eps)
		}
		copy(param, addcdiv(param, m, denom, -stepSize))
	case "adamax":
		m, u := s["exp_avg"], s["exp_inf"]
		copy(m, lerp(m, grad, 1-o.Beta1))
		copy(u, maximum(mulS(u, o.Beta2), addS(absT(grad), o.Eps)))
		clr := sc.StepSize
		copy(param, addcdiv(param, m, u, -clr))
	case "nadam":
		m, v := s["exp_avg"], s["exp_avg_sq"]
		copy(m, lerp(m, grad, 1-o.Beta1))
		copy(v, addcmul(mulS(v, o.Beta2), grad, grad, 1-o.Beta2))
		denom := sqrtT(divS(v, sc.BC2))
		denom = addS(denom, o.Eps)
		copy(param, addcdiv(param, grad, denom, sc.CoefGrad))
		copy(param, addcdiv(param, m, denom, sc.CoefAvg))
	case "radam":
		m, v := s["exp_avg"], s["exp_avg_sq"]
		copy(m, lerp(m, grad, 1-o.Beta1))
		copy(v, addcmul(mulS(v, o.Beta2), grad, grad, 1-o.Beta2))
		bcm := divS(m, sc.BC1)
		if sc.Rectified {
			// (bias_correction2**0.5) / exp_avg_sq_sqrt is Tensor.__rdiv__:
			// exp_avg_sq_sqrt.reciprocal() * bias_correction2**0.5.
			adaptive := mulS(reciprocal(addS(sqrtT(v), o.Eps)), sc.BC2Sqrt)
			copy(param, add(param, mulS(mulT(mulS(bcm, lr), adaptive), sc.Rect), -1))
		} else {
			copy(param, add(param, mulS(bcm, lr), -1))
		}
	default:
		panic("no torch rule for " + o.Name)
	}
}

func TestRulesTorchOrder(t *testing.T) {
	// Bit for bit against torchStep, with the hand-test hyperparameters
	// and with torch's defaults (non-dyadic betas, eps and alpha), on 1000
	// elements with seeded random start and gradients: a rule computed in
	// another order differs in the last bit on a good share of them. x
	// starts at the scale of lr, so that the update's last bits reach x's.
	// Eight steps, each with its own learning rate (a schedule), so that
	// RAdam rectifies with its default betas too.
	const n, steps = 1000, 8
	r := rand.New(rand.NewPCG(1, 2))
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = 4*r.Float64() - 2
	}
	grads := make([][]float64, steps)
	for k := range grads {
		grads[k] = make([]float64, n)
		for i := range grads[k] {
			grads[k][i] = r.NormFloat64()
		}
	}
	bases := map[string]func(string) map[string]float64{
		"hand":     handBase,
		"defaults": func(string) map[string]float64 { return nil },
	}
	for _, bn := range slices.Sorted(maps.Keys(bases)) {
		for _, oc := range optCases(bases[bn]) {
			t.Run(bn+"/"+oc.String(), func(t *testing.T) {
				job := stepJob("quadratic", n, 1, oc.opt)
				b := mustBackend(t, job)
				x0 := mulS(x0, oc.opt.LR)
				if err := b.Load(x0); err != nil {
					t.Fatal(err)
				}
				ref := newRefState(oc.opt, x0)
				for k, g := range grads {
					lr := oc.opt.LR * (1 + 0.125*float64(k))
					if err := b.ApplyGradient(g, lr); err != nil {
						t.Fatal(err)
					}
					torchStep(oc.opt, ref, g, lr)
					checkAgainst(t, fmt.Sprintf("step %d", k+1), b, oc.opt, ref, 0)
					if t.Failed() {
						return
					}
				}
			})
		}
	}
}

// trajectoryBase gives each optimizer a learning rate that suits the
// quadratic with cond 10 (c_i in [1, 10]) over a few hundred steps.
func trajectoryBase(name string) map[string]float64 {
	return map[string]float64{"lr": map[string]float64{
		"sgd": 0.1, "adagrad": 0.5, "adadelta": 1, "rmsprop": 0.01,
		"adam": 0.05, "adamw": 0.05, "adamax": 0.1, "nadam": 0.05, "radam": 0.05,
	}[name]}
}

// trajectoryFactor is how far each optimizer must cut f in 500 steps on
// the quadratic (cond 10, N = 100) from x_i = 1. Each leaves a margin of
// at least 20 over the slowest of the optimizer's variants (adadelta with
// rho 0.5 reaches 5e-5, rmsprop with weight decay 4e-5, adagrad with
// lr_decay 5e-8; sgd, adam and the rest go far below), so rounding never
// fails it and a wrong rule (a sign, a missing bias correction, a scalar
// of the wrong step) does.
var trajectoryFactor = map[string]float64{
	"sgd": 1e-12, "adagrad": 1e-6, "adadelta": 1e-3, "rmsprop": 1e-3,
	"adam": 1e-6, "adamw": 1e-6, "adamax": 1e-6, "nadam": 1e-6, "radam": 1e-6,
}

func TestTrajectories(t *testing.T) {
	// Every configuration on a convex quadratic: 500 steps cut f by a large
	// factor. Minimizing configurations step on the objective's gradient
	// (Step); maximizing ones are fed -∇f (ApplyGradient), which they
	// ascend, so they too descend f.
	const n, cond, steps = 100, 10, 500
	for _, oc := range optCases(trajectoryBase) {
		t.Run(oc.String(), func(t *testing.T) {
			job := stepJob("quadratic", n, cond, oc.opt)
			b := mustBackend(t, job)
			x := job.StartPoint()
			if err := b.Load(x); err != nil {
				t.Fatal(err)
			}
			f0 := Loss(job, x)
			g := make([]float64, n)
			lr := []float64{oc.opt.LR}
			for range steps {
				if !oc.opt.Maximize {
					if err := b.Step(lr, false); err != nil {
						t.Fatal(err)
					}
					continue
				}
				Grad(job, g, params(t, b))
				for i := range g {
					g[i] = -g[i]
				}
				if err := b.ApplyGradient(g, oc.opt.LR); err != nil {
					t.Fatal(err)
				}
			}
			f := Loss(job, params(t, b))
			want := trajectoryFactor[oc.name]
			t.Logf("f/f0 = %.3g after %d steps (want below %g)", f/f0, steps, want)
			if !(f <= want*f0) {
				t.Errorf("f = %.4g, f0 = %.4g: f/f0 = %.3g, want below %g", f, f0, f/f0, want)
			}
		})
	}
}

func TestStepMatchesApplyGradient(t *testing.T) {
	// Step on the objective's gradient and ApplyGradient fed that gradient
	// (Grad at the current point) are the same step, bit for bit, on a
	// problem spanning several chunks.
	const n, steps, lr = 3*chunk - 17, 5, 1e-4
	for _, oc := range optCases(trajectoryBase) {
		t.Run(oc.String(), func(t *testing.T) {
			job := stepJob("rosenbrock", n, 1, oc.opt)
			stepMatchesApply(t, job, steps, lr, nil)
		})
	}
}

// stepMatchesApply runs job on two backends from its start point, one by
// Step (recording a sample at the first), the other by ApplyGradient fed
// Grad at its current point, and requires the same parameters, state
// vectors, step counts and scalar state, bit for bit. check, when not nil,
// sees each step's fed gradient. It returns the Step backend.
func stepMatchesApply(t *testing.T, job *gdgpu.Job, steps int, lr float64, check func(k int, g []float64)) *Backend {
	t.Helper()
	a, b := mustBackend(t, job), mustBackend(t, job)
	a.Load(job.StartPoint())
	b.Load(job.StartPoint())
	g := make([]float64, job.Dim)
	for k := range steps {
		if err := a.Step([]float64{lr}, k == 0); err != nil {
			t.Fatal(err)
		}
		Grad(job, g, params(t, b))
		if check != nil {
			check(k, g)
		}
		if err := b.ApplyGradient(g, lr); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(params(t, a), params(t, b)) {
		t.Error("parameters differ")
	}
	for _, name := range job.Optimizer.StateNames() {
		if !slices.Equal(a.StateVector(name), b.StateVector(name)) {
			t.Errorf("%s differs", name)
		}
	}
	if a.StepCount() != steps || b.StepCount() != steps || a.ScalarState() != b.ScalarState() {
		t.Errorf("step counts %d, %d; scalar states %v, %v", a.StepCount(), b.StepCount(), a.ScalarState(), b.ScalarState())
	}
	return a
}

func TestMaximizeMirrors(t *testing.T) {
	// maximize negates the gradient before anything else, so maximizing
	// with -g is minimizing with g, bit for bit, state vectors included.
	for _, oc := range optCases(handBase) {
		if !oc.opt.Maximize {
			continue
		}
		t.Run(oc.String(), func(t *testing.T) {
			minOpt := oc.opt
			minOpt.Maximize = false
			mx := mustBackend(t, stepJob("quadratic", len(handX0), 1, oc.opt))
			mn := mustBackend(t, stepJob("quadratic", len(handX0), 1, minOpt))
			mx.Load(handX0)
			mn.Load(handX0)
			for _, g := range handGrads {
				mx.ApplyGradient(negT(g), oc.opt.LR)
				mn.ApplyGradient(g, oc.opt.LR)
			}
			if !slices.Equal(params(t, mx), params(t, mn)) {
				t.Errorf("x = %v maximizing -g, %v minimizing g", params(t, mx), params(t, mn))
			}
			for _, name := range oc.opt.StateNames() {
				if !slices.Equal(mx.StateVector(name), mn.StateVector(name)) {
					t.Errorf("%s = %v maximizing -g, %v minimizing g", name, mx.StateVector(name), mn.StateVector(name))
				}
			}
		})
	}
}

func TestRAdamRectifiesAtSix(t *testing.T) {
	// With torch's default betas (0.9, 0.999), rho_t = rho_inf -
	// 2t beta2^t/(1 - beta2^t) is below 5 for t <= 5 and above from t = 6:
	// the first five steps move x by lr*m/(1 - beta1^t), later ones by that
	// times r_t sqrt(1 - beta2^t)/(sqrt(v) + eps). Each step's move is
	// checked against both forms, from the m and v the backend holds,
	// with scalars computed here.
	o, _ := gdgpu.DefaultOptimizer("radam")
	o.LR = 0.01
	b := mustBackend(t, stepJob("quadratic", len(handX0), 1, o))
	b.Load(handX0)
	rhoInf := 2/(1-o.Beta2) - 1
	for step := 1; step <= 9; step++ {
		before := params(t, b)
		g := handGrads[(step-1)%len(handGrads)]
		if err := b.ApplyGradient(g, o.LR); err != nil {
			t.Fatal(err)
		}
		after := params(t, b)
		m, v := b.StateVector("exp_avg"), b.StateVector("exp_avg_sq")
		tf := float64(step)
		b1t, b2t := math.Pow(o.Beta1, tf), math.Pow(o.Beta2, tf)
		rho := rhoInf - 2*tf*b2t/(1-b2t)
		if (rho > 5) != (step >= 6) {
			t.Fatalf("t = %d: rho_t = %v; the test's premise is wrong", step, rho)
		}
		rect := math.Sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho))
		for i := range after {
			moved := before[i] - after[i]
			plain := o.LR * m[i] / (1 - b1t)
			rectified := plain * rect * math.Sqrt(1-b2t) / (math.Sqrt(v[i]) + o.Eps)
			want, other := plain, rectified
			if step >= 6 {
				want, other = rectified, plain
			}
			if !closeRel(moved, want, 1e-9) || closeRel(moved, other, 1e-3) {
				t.Errorf("t = %d: x[%d] moved by %.10g; unrectified %.10g, rectified %.10g (r_t %.4g)", step, i, moved, plain, rectified, rect)
			}
		}
	}
}

func TestNAdamMuProduct(t *testing.T) {
	// The scalar state mu_product is the product of mu_1..mu_t, advanced
	// once per step (Step and ApplyGradient alike), and Load resets it.
	o, _ := gdgpu.DefaultOptimizer("nadam")
	job := stepJob("quadratic", len(handX0), 1, o)
	b := mustBackend(t, job)
	for range 2 {
		b.Load(handX0)
		if got := b.ScalarState(); got != gdgpu.NewScalarState() {
			t.Fatalf("after Load: scalar state %v, want %v", got, gdgpu.NewScalarState())
		}
		prod := 1.0
		for step := 1; step <= 8; step++ {
			if step%2 == 0 {
				b.Step([]float64{o.LR}, false)
			} else {
				b.ApplyGradient(handGrads[step%len(handGrads)], o.LR)
			}
			mu := o.Beta1 * (1 - 0.5*kern.Pow(0.96, float64(step)*o.MomentumDecay))
			prod *= mu
			got := b.ScalarState().MuProduct
			if !closeRel(got, prod, 1e-15) {
				t.Errorf("t = %d: mu_product = %.17g, want %.17g", step, got, prod)
			}
		}
		if prod > 0.5 { // mu_t ≈ 0.45: the product shrinks geometrically
			t.Errorf("mu_product %v did not advance", prod)
		}
	}
}

func TestLoadResetsEveryState(t *testing.T) {
	// Load puts every state vector back at its start (Adagrad's sum at
	// initial_accumulator_value, the rest at zero), the step count at zero
	// and the scalar state at NewScalarState(); a run after Load repeats
	// the first bit for bit.
	for _, oc := range optCases(handBase) {
		t.Run(oc.String(), func(t *testing.T) {
			b := mustBackend(t, stepJob("quadratic", len(handX0), 1, oc.opt))
			check := func(when string) {
				t.Helper()
				for _, name := range oc.opt.StateNames() {
					want := 0.0
					if name == "sum" {
						want = oc.opt.InitialAccumulatorValue
					}
					for i, v := range b.StateVector(name) {
						if v != want {
							t.Errorf("%s: %s[%d] = %v, want %v", when, name, i, v, want)
						}
					}
				}
				if b.StepCount() != 0 || b.ScalarState() != gdgpu.NewScalarState() {
					t.Errorf("%s: step count %d, scalar state %v", when, b.StepCount(), b.ScalarState())
				}
			}
			check("before Load")
			run := func() ([]float64, map[string][]float64) {
				if err := b.Load(handX0); err != nil {
					t.Fatal(err)
				}
				check("after Load")
				for _, g := range handGrads[:4] {
					b.ApplyGradient(g, oc.opt.LR)
				}
				st := map[string][]float64{}
				for _, name := range oc.opt.StateNames() {
					st[name] = slices.Clone(b.StateVector(name))
					if slices.Equal(st[name], make([]float64, len(handX0))) {
						t.Errorf("%s did not move", name)
					}
				}
				return params(t, b), st
			}
			x1, s1 := run()
			x2, s2 := run()
			if !slices.Equal(x1, x2) || !maps.EqualFunc(s1, s2, slices.Equal) {
				t.Error("a run after Load differs from the first")
			}
		})
	}
}
