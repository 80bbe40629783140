package gdgpu

import (
	"math"
)

// adagradInfo is torch.optim.Adagrad.
func adagradInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "adagrad", Torch: "torch.optim.Adagrad",
		Summary: "per-coordinate steps scaled by the root of the sum of squared gradients",
		Hyper: []Hyper{lrH(1e-2),
			{Name: "lr-decay", Torch: "lr_decay", Min: 0, Max: inf, MaxOpen: true, Doc: "learning-rate decay per step"},
			wdH(0),
			{Name: "initial-accumulator-value", Torch: "initial_accumulator_value", Min: 0, Max: inf, MaxOpen: true, Doc: "initial value of the sum of squares"},
			epsH(1e-10), maxH},
		States: func(*Optimizer) []string { return []string{"sum"} },
		StateStart: func(o *Optimizer, k int) (float64, bool) {
			return o.InitialAccumulatorValue, k == 0 // state_sum starts at initial_accumulator_value
		},
		StepScalars: func(o *Optimizer, t int, lr float64, _ *ScalarState, s StepScalars) StepScalars {
			s.StepSize = lr / (1 + float64(float64(t-1)*o.LRDecay))
			return s
		},
		CPU: func(o *Optimizer) CPUUpdate {
			k := newCPURule(o, false)
			k.apply = func(k *cpuRule, x, g []float64, s *[3][]float64) { k.adagrad(x, g, s[0]) }
			return k
		},
		GPU: GPUUpdate{Files: []string{"adagrad.glsl"}},
	}
}

// adagrad: torch.optim.Adagrad, clr = lr/(1+(t-1)*lr_decay) (StepSize).
//
//	state_sum.addcmul_(grad, grad, value=1)     s + (1*g)*g = s + g*g
//	std = state_sum.sqrt().add_(eps)            sqrt(s) + eps
//	param.addcdiv_(grad, std, value=-clr)       x - (clr*g)/std
func (k *cpuRule) adagrad(x, g, sum []float64) {
	g, sum = g[:len(x)], sum[:len(x)]
	p, clr, eps := k.prep, k.stepSize, k.eps
	for i, xi := range x {
		xi, gi := p.apply(xi, g[i])
		s := sum[i] + float64(gi*gi)
		sum[i] = s
		std := math.Sqrt(s) + eps
		x[i] = xi - float64(clr*gi)/std
	}
}
