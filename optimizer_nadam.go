package gdgpu

import (
	"github.com/gdgpu/gdgpu/internal/kern"
	"math"
)

// nadamInfo is torch.optim.NAdam.
func nadamInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "nadam", Torch: "torch.optim.NAdam", Cycled: "beta1",
		Summary: "Adam with Nesterov momentum and momentum decay",
		Hyper: adamLike(2e-3, 0,
			Hyper{Name: "momentum-decay", Torch: "momentum_decay", Default: 4e-3, Min: 0, Max: inf, MaxOpen: true, Doc: "momentum decay psi"},
			decoupH, maxH),
		States:    func(*Optimizer) []string { return []string{"exp_avg", "exp_avg_sq"} },
		Decoupled: func(o *Optimizer) bool { return o.DecoupledWeightDecay },
		// bias_correction2, and the two addcdiv_ values from mu_t, mu_{t+1}
		// and the running product of mu, which the scalar state carries.
		StepScalars: func(o *Optimizer, t int, lr float64, st *ScalarState, s StepScalars) StepScalars {
			s.BC2 = 1 - powInt(o.Beta2, t)
			mu := float64(o.Beta1 * (1 - float64(0.5*kern.Pow(0.96, float64(float64(t)*o.MomentumDecay)))))
			muNext := float64(o.Beta1 * (1 - float64(0.5*kern.Pow(0.96, float64(float64(t+1)*o.MomentumDecay)))))
			st.MuProduct = float64(st.MuProduct * mu)
			s.CoefGrad = -lr * (1 - mu) / (1 - st.MuProduct)
			s.CoefAvg = -lr * muNext / (1 - float64(st.MuProduct*muNext))
			return s
		},
		CPU: func(o *Optimizer) CPUUpdate {
			k := newCPURule(o, o.DecoupledWeightDecay)
			k.avg = newLerp(1 - o.Beta1)
			k.b, k.omb = o.Beta2, 1-o.Beta2
			k.step = func(k *cpuRule, sc StepScalars) {
				k.bc2, k.coefGrad, k.coefAvg = sc.BC2, sc.CoefGrad, sc.CoefAvg
			}
			k.apply = func(k *cpuRule, x, g []float64, s *[3][]float64) { k.nadam(x, g, s[0], s[1]) }
			return k
		},
		GPU: GPUUpdate{Files: []string{"moments.glsl", "nadam.glsl"}},
	}
}

// nadam: torch.optim.NAdam; bc2 = 1-beta2^t and the two addcdiv_ values
// coefGrad = -lr(1-mu_t)/(1-P), coefAvg = -lr*mu_{t+1}/(1-P*mu_{t+1})
// come from the host, which advances P (mu_product).
//
//	exp_avg.lerp_(grad, 1-beta1)
//	exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)   v*beta2 + ((1-beta2)*g)*g
//	denom = exp_avg_sq.div(bc2).sqrt().add_(eps)                 sqrt(v/bc2) + eps
//	param.addcdiv_(grad, denom, value=coefGrad)                  x + (coefGrad*g)/denom
//	param.addcdiv_(exp_avg, denom, value=coefAvg)                x + (coefAvg*m)/denom
func (k *cpuRule) nadam(x, g, m, v []float64) {
	g, m, v = g[:len(x)], m[:len(x)], v[:len(x)]
	p, l, beta2, omb2 := k.prep, k.avg, k.b, k.omb
	bc2, eps, cg, cm := k.bc2, k.eps, k.coefGrad, k.coefAvg
	for i, xi := range x {
		xi, gi := p.apply(xi, g[i])
		mi := l.at(m[i], gi)
		vi := float64(v[i]*beta2) + float64(omb2*gi*gi)
		m[i], v[i] = mi, vi
		denom := math.Sqrt(vi/bc2) + eps
		xi += float64(cg*gi) / denom
		x[i] = xi + float64(cm*mi)/denom
	}
}
