package gdgpu

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// CPUUpdate is an optimizer's update rule in float64 on the host (package
// cpu's backend runs it): OptimizerInfo.CPU makes one per backend, SetStep
// prepares each step, and Apply runs it on stretches of the parameters,
// from several goroutines at once on disjoint stretches. Neither
// allocates.
type CPUUpdate interface {
	// SetStep takes step sc.T's scalars (Optimizer.Scalars); called once
	// per step, before Apply.
	SetStep(sc StepScalars)
	// Apply runs the step on a stretch of x with gradient g and the state
	// vectors s, in Optimizer.StateNames order (unused ones nil), all
	// sliced alike.
	Apply(x, g []float64, s *[3][]float64)
}

// prep is the first thing every torch.optim rule does to an element (see
// docs/optimizers.md, "Common first steps"): maximize negates the
// gradient, then weight decay either adds wd*x to it (L2, torch's
// grad.add(param, alpha=weight_decay)) or scales x by 1 - lr*wd
// (decoupled, torch's param.mul_(1 - lr*weight_decay)). Both are skipped
// at weight_decay == 0, as torch skips them.
type prep struct {
	maximize  bool
	l2        bool    // weight_decay != 0, added to the gradient
	decoupled bool    // weight_decay != 0, applied to the parameters
	c         float64 // l2: weight_decay; decoupled: StepScalars.Decay = 1 - lr*weight_decay
}

// apply returns x and g after the common first steps. (prep has four
// fields, so the compiler keeps a local copy in registers.)
func (p prep) apply(x, g float64) (float64, float64) {
	if p.maximize {
		g = -g
	}
	if p.l2 {
		g += float64(p.c * x)
	} else if p.decoupled {
		x = float64(x * p.c)
	}
	return x, g
}

// lerpW is torch's lerp_(end, weight) for one weight: ATen's scalar lerp
// takes a different form for large weights, for accuracy.
type lerpW struct {
	w, omw float64 // the weight and 1 - weight, as ATen forms it
	small  bool    // |w| < 0.5
}

func newLerp(w float64) lerpW {
	return lerpW{w: w, omw: 1 - w, small: math.Abs(w) < 0.5}
}

// at returns lerp(a, b, w): a + w*(b-a) for a small weight, else
// b - (b-a)*(1-w).
func (l lerpW) at(a, b float64) float64 {
	if l.small {
		return a + float64(l.w*(b-a))
	}
	return b - float64((b-a)*l.omw)
}

// cpuRule is the CPUUpdate of every gradient-descent optimizer: the
// hyperparameters and the step's scalars from Optimizer.Scalars (the
// host-side float64 values the GPU receives too), and the rule's own
// kernel, which its file defines (optimizer_<name>.go) and installs in
// apply, with what SetStep takes of each step in step. The fields a rule
// does not use stay zero; the loops copy the fields they use into locals.
type cpuRule struct {
	apply func(k *cpuRule, x, g []float64, s *[3][]float64)
	step  func(k *cpuRule, sc StepScalars) // nil: only the common scalars

	prep     prep
	stepSize float64 // StepScalars.StepSize: lr, or adagrad's and adamax's clr, or adam's lr/(1-beta1^t)
	eps      float64

	// sgd and rmsprop momentum.
	momentum    float64
	hasMomentum bool    // sgd: momentum != 0; rmsprop: momentum > 0
	omd         float64 // sgd: 1 - dampening
	nesterov    bool
	first       bool // sgd: the buffer is the gradient itself

	avg lerpW // exp_avg.lerp_(g, 1-beta1); rmsprop's grad_avg.lerp_(g, 1-alpha)
	// Second moments: s.mul_(b).addcmul_(g, g, value=omb), with b = beta2,
	// rho or alpha (adamax: exp_inf.mul_(beta2)).
	b, omb float64

	amsgrad  bool
	centered bool

	bc1, bc2, bc2Sqrt float64 // 1-beta1^t, 1-beta2^t, sqrt(1-beta2^t)
	coefGrad, coefAvg float64 // nadam's addcdiv_ values
	rectified         bool    // radam: rho_t > 5
	rect              float64 // radam: r_t

	vec kern.AdamConsts // adam: the scalars above as the vector kernel reads them

	// cycled is the hyperparameter that StepScalars.Momentum carries
	// (OptimizerInfo.Cycled): "momentum" sets momentum, "beta1" the
	// exp_avg lerp weight 1-beta1, each step.
	cycled string
	beta1  float64 // the beta1 avg was made for
}

// cycledOf maps each optimizer to its OptimizerInfo.Cycled. newCPURule
// reads it: the descriptors refer to newCPURule, so it cannot look them up
// itself (an initialization cycle).
var cycledOf = map[string]string{}

func init() {
	for _, info := range optimizers {
		cycledOf[info.Name] = info.Cycled
	}
}

// newCPURule gathers the constants every rule shares: the common first
// steps (prep) and eps. The rule's file sets the rest.
func newCPURule(o *Optimizer, decoupled bool) *cpuRule {
	return &cpuRule{
		cycled: cycledOf[o.Name],
		beta1:  o.Beta1,
		prep: prep{
			maximize:  o.Maximize,
			l2:        o.WeightDecay != 0 && !decoupled,
			decoupled: o.WeightDecay != 0 && decoupled,
			c:         o.WeightDecay,
		},
		eps: o.Eps,
	}
}

// SetStep takes the step's size and, with decoupled weight decay, its
// factor 1 - lr*wd, then the rule's own scalars.
func (k *cpuRule) SetStep(sc StepScalars) {
	k.stepSize = sc.StepSize
	if k.prep.decoupled {
		k.prep.c = sc.Decay
	}
	switch k.cycled { // the step's momentum or beta1 (a onecycle schedule cycles them)
	case "momentum":
		k.momentum = sc.Momentum
	case "beta1":
		if sc.Momentum != k.beta1 {
			k.avg, k.beta1 = newLerp(1-sc.Momentum), sc.Momentum
		}
	}
	if k.step != nil {
		k.step(k, sc)
	}
}

// Apply runs the rule's kernel.
func (k *cpuRule) Apply(x, g []float64, s *[3][]float64) { k.apply(k, x, g, s) }

// The rules' kernels (optimizer_<name>.go) are torch.optim's single-tensor rules (foreach=False,
// fused=False, differentiable=False, capturable=False) on ATen's scalar
// CPU kernels, element by element. Each comment gives torch's Python and
// the scalar expression ATen evaluates for it:
//
//	t.add_(u, alpha=a)            t + a*u
//	t.addcmul_(u, w, value=c)     t + (c*u)*w
//	t.addcdiv_(u, w, value=c)     t + (c*u)/w
//	t.lerp_(u, w)                 see lerpW
//	c / t  (Python scalar / tensor)  t.reciprocal() * c   (torch/_tensor.py __rdiv__)
//
// Negating a value is exact, so x + ((-c)*u)/w == x - (c*u)/w and
// x + (-c)*u == x - c*u bit for bit; the code writes the latter.
