package gdgpu

import (
	"math"
)

// adadeltaInfo is torch.optim.Adadelta.
func adadeltaInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "adadelta", Torch: "torch.optim.Adadelta",
		Summary: "steps scaled by running averages of squared gradients and squared updates",
		Hyper: []Hyper{lrH(1.0),
			{Name: "rho", Torch: "rho", Default: 0.9, Min: 0, Max: 1, Doc: "decay of the running averages"},
			epsH(1e-6), wdH(0), maxH},
		States: func(*Optimizer) []string { return []string{"square_avg", "acc_delta"} },
		CPU: func(o *Optimizer) CPUUpdate {
			k := newCPURule(o, false)
			k.b, k.omb = o.Rho, 1-o.Rho
			k.apply = func(k *cpuRule, x, g []float64, s *[3][]float64) { k.adadelta(x, g, s[0], s[1]) }
			return k
		},
		GPU: GPUUpdate{Files: []string{"adadelta.glsl"}},
	}
}

// adadelta: torch.optim.Adadelta.
//
//	square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho)   sa*rho + ((1-rho)*g)*g
//	std = square_avg.add(eps).sqrt_()                        sqrt(sa + eps)
//	delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad)  (sqrt(ad + eps)/std)*g
//	acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)  ad*rho + ((1-rho)*d)*d
//	param.add_(delta, alpha=-lr)                             x - lr*d
func (k *cpuRule) adadelta(x, g, sq, acc []float64) {
	g, sq, acc = g[:len(x)], sq[:len(x)], acc[:len(x)]
	p, lr, eps, rho, omr := k.prep, k.stepSize, k.eps, k.b, k.omb
	for i, xi := range x {
		xi, gi := p.apply(xi, g[i])
		sa := float64(sq[i]*rho) + float64(omr*gi*gi)
		std := math.Sqrt(sa + eps)
		d := math.Sqrt(acc[i]+eps) / std * gi
		sq[i] = sa
		acc[i] = float64(acc[i]*rho) + float64(omr*d*d)
		x[i] = xi - float64(lr*d)
	}
}
