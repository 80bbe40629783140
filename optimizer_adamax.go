package gdgpu

import (
	"math"
)

// adamaxInfo is torch.optim.Adamax.
func adamaxInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "adamax", Torch: "torch.optim.Adamax", Cycled: "beta1",
		Summary: "Adam with the infinity norm in place of the second moment",
		Hyper:   adamLike(2e-3, 0, maxH),
		States:  func(*Optimizer) []string { return []string{"exp_avg", "exp_inf"} },
		StepScalars: func(o *Optimizer, t int, lr float64, _ *ScalarState, s StepScalars) StepScalars {
			s.StepSize = lr / (1 - powInt(o.Beta1, t))
			return s
		},
		CPU: func(o *Optimizer) CPUUpdate {
			k := newCPURule(o, false)
			k.avg = newLerp(1 - o.Beta1)
			k.b, k.omb = o.Beta2, 1-o.Beta2
			k.apply = func(k *cpuRule, x, g []float64, s *[3][]float64) { k.adamax(x, g, s[0], s[1]) }
			return k
		},
		GPU: GPUUpdate{Files: []string{"adamax.glsl"}},
	}
}

// adamax: torch.optim.Adamax, clr = lr/(1-beta1^t) (StepSize).
//
//	exp_avg.lerp_(grad, 1-beta1)
//	torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)   max(u*beta2, |g| + eps)
//	param.addcdiv_(exp_avg, exp_inf, value=-clr)                            x - (clr*m)/u
func (k *cpuRule) adamax(x, g, m, u []float64) {
	g, m, u = g[:len(x)], m[:len(x)], u[:len(x)]
	p, l, beta2, clr, eps := k.prep, k.avg, k.b, k.stepSize, k.eps
	for i, xi := range x {
		xi, gi := p.apply(xi, g[i])
		mi := l.at(m[i], gi)
		ui := max(float64(u[i]*beta2), math.Abs(gi)+eps)
		m[i], u[i] = mi, ui
		x[i] = xi - float64(clr*mi)/ui
	}
}
