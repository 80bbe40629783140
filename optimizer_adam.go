package gdgpu

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// adamInfo is torch.optim.Adam and adamwInfo torch.optim.AdamW, the same
// rule with decoupled weight decay.
func adamInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "adam", Torch: "torch.optim.Adam", Cycled: "beta1",
		Summary:     "bias-corrected first and second moment estimates (optionally AMSGrad)",
		Hyper:       adamLike(1e-3, 0, boolH("amsgrad", "amsgrad", "use the maximum of past second moments (AMSGrad)"), maxH),
		States:      adamStates,
		StepScalars: adamScalars,
		CPU:         func(o *Optimizer) CPUUpdate { return newAdamRule(o, false) },
		GPU:         adamGPU,
	}
}

func adamwInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "adamw", Torch: "torch.optim.AdamW", Cycled: "beta1",
		Summary:     "Adam with decoupled weight decay",
		Hyper:       adamLike(1e-3, 1e-2, boolH("amsgrad", "amsgrad", "use the maximum of past second moments (AMSGrad)"), maxH),
		States:      adamStates,
		Decoupled:   func(*Optimizer) bool { return true },
		StepScalars: adamScalars,
		CPU:         func(o *Optimizer) CPUUpdate { return newAdamRule(o, true) },
		GPU:         adamGPU,
	}
}

func adamStates(o *Optimizer) []string {
	if o.Amsgrad {
		return []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
	}
	return []string{"exp_avg", "exp_avg_sq"}
}

// adamScalars: step_size = lr/(1-beta1^t), bias_correction2_sqrt.
func adamScalars(o *Optimizer, t int, lr float64, _ *ScalarState, s StepScalars) StepScalars {
	s.StepSize = lr / (1 - powInt(o.Beta1, t))
	s.BC2Sqrt = math.Sqrt(1 - powInt(o.Beta2, t))
	return s
}

// adamGPU is Adam's GLSL: the Adam family's moment estimates, then its
// update.
var adamGPU = GPUUpdate{Files: []string{"moments.glsl", "adam.glsl"}, Defines: func(o *Optimizer) []string {
	return switches("AMSGRAD", o.Amsgrad)
}}

func newAdamRule(o *Optimizer, decoupled bool) *cpuRule {
	k := newCPURule(o, decoupled)
	k.avg = newLerp(1 - o.Beta1)
	k.b, k.omb = o.Beta2, 1-o.Beta2
	k.amsgrad = o.Amsgrad
	k.step = func(k *cpuRule, sc StepScalars) {
		k.bc2Sqrt = sc.BC2Sqrt
		k.vec = newAdamConsts(k)
	}
	k.apply = func(k *cpuRule, x, g []float64, s *[3][]float64) { k.adam(x, g, s[0], s[1], s[2]) }
	return k
}

// newAdamConsts gathers k's Adam scalars for the vector kernel.
func newAdamConsts(k *cpuRule) kern.AdamConsts {
	c := kern.AdamConsts{
		C: k.prep.c, W: k.avg.w, OmW: k.avg.omw,
		Beta2: k.b, OmB2: k.omb,
		StepSize: k.stepSize, BC2Sqrt: k.bc2Sqrt, Eps: k.eps,
		Neg: math.Copysign(0, -1),
	}
	if k.prep.maximize {
		c.Flags |= kern.AdamMaximize
	}
	if k.prep.l2 { // prep.apply: l2 wins over decoupled (newCPURule never sets both)
		c.Flags |= kern.AdamL2
	} else if k.prep.decoupled {
		c.Flags |= kern.AdamDecoupled
	}
	if k.avg.small {
		c.Flags |= kern.AdamSmallLerp
	}
	if k.amsgrad {
		c.Flags |= kern.AdamAmsgrad
	}
	return c
}

// adamVec runs Adam's step on the longest prefix of x that the vector
// kernel takes (internal/kern) and returns its length: 0 without one.
func (k *cpuRule) adamVec(x, g, m, v, vmax []float64) int {
	return kern.AdamVec(x, g, m, v, vmax, &k.vec)
}

// adam: torch.optim.Adam and AdamW (decoupled weight decay, in prep),
// step_size = lr/(1-beta1^t) and bc2Sqrt = sqrt(1-beta2^t).
//
//	exp_avg.lerp_(grad, 1-beta1)
//	exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)   v*beta2 + ((1-beta2)*g)*g
//	amsgrad: torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq), used for v below
//	denom = (exp_avg_sq.sqrt() / bc2Sqrt).add_(eps)              sqrt(v)/bc2Sqrt + eps
//	param.addcdiv_(exp_avg, denom, value=-step_size)             x - (step_size*m)/denom
//
// vmax is nil without amsgrad.
//
// The vector kernel (simd.go), where there is one, takes the elements up
// to the last multiple of its width, with the same bits; adamScalar takes
// the rest.
func (k *cpuRule) adam(x, g, m, v, vmax []float64) {
	if n := k.adamVec(x, g, m, v, vmax); n > 0 {
		x, g, m, v = x[n:], g[n:], m[n:], v[n:]
		if k.amsgrad {
			vmax = vmax[n:]
		}
	}
	k.adamScalar(x, g, m, v, vmax)
}

// adamScalar is adam one element at a time: the reference the vector
// kernel is held to.
func (k *cpuRule) adamScalar(x, g, m, v, vmax []float64) {
	g, m, v = g[:len(x)], m[:len(x)], v[:len(x)]
	p, l, beta2, omb2 := k.prep, k.avg, k.b, k.omb
	stepSize, bc2Sqrt, eps, ams := k.stepSize, k.bc2Sqrt, k.eps, k.amsgrad
	if ams {
		vmax = vmax[:len(x)]
	}
	for i, xi := range x {
		xi, gi := p.apply(xi, g[i])
		mi := l.at(m[i], gi)
		vi := float64(v[i]*beta2) + float64(omb2*gi*gi)
		m[i], v[i] = mi, vi
		if ams {
			vi = max(vmax[i], vi) // NaN propagates, as in torch.maximum
			vmax[i] = vi
		}
		denom := math.Sqrt(vi)/bc2Sqrt + eps
		x[i] = xi - float64(stepSize*mi)/denom
	}
}
