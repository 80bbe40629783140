package gdgpu

import (
	"math"
)

// radamInfo is torch.optim.RAdam.
func radamInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "radam", Torch: "torch.optim.RAdam", Cycled: "beta1",
		Summary:   "Adam with the variance of the adaptive learning rate rectified",
		Hyper:     adamLike(1e-3, 0, decoupH, maxH),
		States:    func(*Optimizer) []string { return []string{"exp_avg", "exp_avg_sq"} },
		Decoupled: func(o *Optimizer) bool { return o.DecoupledWeightDecay },
		// bias corrections, and the rectification when rho_t > 5.
		StepScalars: func(o *Optimizer, t int, _ float64, _ *ScalarState, s StepScalars) StepScalars {
			b2t := powInt(o.Beta2, t)
			s.BC1 = 1 - powInt(o.Beta1, t)
			s.BC2 = 1 - b2t
			s.BC2Sqrt = math.Sqrt(s.BC2)
			rhoInf := 2/(1-o.Beta2) - 1
			rhoT := rhoInf - float64(2*float64(t)*b2t)/s.BC2
			if rhoT > 5 {
				s.Rectified = true
				s.Rect = math.Sqrt(float64(float64((rhoT-4)*(rhoT-2))*rhoInf) / float64(float64((rhoInf-4)*(rhoInf-2))*rhoT))
			}
			return s
		},
		CPU: func(o *Optimizer) CPUUpdate {
			k := newCPURule(o, o.DecoupledWeightDecay)
			k.avg = newLerp(1 - o.Beta1)
			k.b, k.omb = o.Beta2, 1-o.Beta2
			k.step = func(k *cpuRule, sc StepScalars) {
				k.bc1, k.bc2Sqrt, k.rectified, k.rect = sc.BC1, sc.BC2Sqrt, sc.Rectified, sc.Rect
			}
			k.apply = func(k *cpuRule, x, g []float64, s *[3][]float64) { k.radam(x, g, s[0], s[1]) }
			return k
		},
		GPU: GPUUpdate{Files: []string{"moments.glsl", "radam.glsl"}},
	}
}

// radam: torch.optim.RAdam; bc1, bc2Sqrt and the rectification (rho_t > 5,
// r_t) come from the host.
//
//	exp_avg.lerp_(grad, 1-beta1)
//	exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)   v*beta2 + ((1-beta2)*g)*g
//	bias_corrected_exp_avg = exp_avg / bc1                       mh = m/bc1
//	rho_t > 5:
//	    adaptive = bc2**0.5 / exp_avg_sq.sqrt().add_(eps)        (1/(sqrt(v) + eps))*bc2Sqrt
//	    param.add_(mh * lr * adaptive * rect, alpha=-1.0)        x - ((mh*lr)*adaptive)*rect
//	else param.add_(mh * lr, alpha=-1.0)                         x - mh*lr
//
// Python's scalar / tensor is tensor.reciprocal() * scalar in torch, so the
// adaptive learning rate rounds twice: a reciprocal, then a product.
func (k *cpuRule) radam(x, g, m, v []float64) {
	g, m, v = g[:len(x)], m[:len(x)], v[:len(x)]
	p, l, beta2, omb2 := k.prep, k.avg, k.b, k.omb
	lr, bc1, bc2Sqrt, eps, rect := k.stepSize, k.bc1, k.bc2Sqrt, k.eps, k.rect
	if !k.rectified {
		for i, xi := range x {
			xi, gi := p.apply(xi, g[i])
			mi := l.at(m[i], gi)
			vi := float64(v[i]*beta2) + float64(omb2*gi*gi)
			m[i], v[i] = mi, vi
			x[i] = xi - float64(mi/bc1*lr)
		}
		return
	}
	for i, xi := range x {
		xi, gi := p.apply(xi, g[i])
		mi := l.at(m[i], gi)
		vi := float64(v[i]*beta2) + float64(omb2*gi*gi)
		m[i], v[i] = mi, vi
		adaptive := 1 / (math.Sqrt(vi) + eps) * bc2Sqrt
		x[i] = xi - float64(mi/bc1*lr*adaptive*rect)
	}
}
