package cpu

import (
	"math"

	"github.com/gdgpu/gdgpu"
)

// sgdChunk applies torch.optim.SGD (no momentum, no dampening, no
// nesterov) to one chunk, in ATen's scalar order:
//
//	g = grad.add(param, alpha=weight_decay)   # only when weight_decay != 0
//	param.add_(g, alpha=-lr)                  # x + (-lr)*g == x - lr*g exactly
//
// The weight-decay add is skipped at weight_decay == 0 as torch skips it,
// which matters only for non-finite x (0*Inf is NaN).
func sgdChunk(x, g []float64, lr, wd float64) {
	g = g[:len(x)]
	if wd == 0 {
		for i, xi := range x {
			x[i] = xi - float64(lr*g[i])
		}
		return
	}
	for i, xi := range x {
		gi := g[i] + float64(wd*xi)
		x[i] = xi - float64(lr*gi)
	}
}

// adamStep holds the per-step scalars of one Adam step, all computed once
// in float64 before the sweep.
type adamStep struct {
	wd       float64 // weight_decay
	w, omw   float64 // lerp weight 1 - beta1, and 1 - w as torch's lerp forms it
	small    bool    // |w| < 0.5 selects torch's lerp formula
	beta2    float64 // beta2
	omb2     float64 // 1 - beta2, the addcmul value
	stepSize float64 // lr / (1 - beta1^t), from gdgpu's Optimizer.Scalars
	bc2Sqrt  float64 // sqrt(1 - beta2^t), from gdgpu's Optimizer.Scalars
	eps      float64 // eps
}

// newAdamStep takes the step-size scalars from the host-side
// gdgpu.StepScalars, which the GPU receives too, so both backends start
// every step from the same numbers.
func newAdamStep(o *gdgpu.Optimizer, sc gdgpu.StepScalars) adamStep {
	s := adamStep{wd: o.WeightDecay, w: 1 - o.Beta1, beta2: o.Beta2, omb2: 1 - o.Beta2, eps: o.Eps}
	s.omw = 1 - s.w
	s.small = math.Abs(s.w) < 0.5
	s.stepSize, s.bc2Sqrt = sc.StepSize, sc.BC2Sqrt
	return s
}

// adamChunk applies torch.optim.Adam (amsgrad=False, maximize=False,
// single-tensor) to one chunk. The operations, and their order, are those
// of torch's _single_tensor_adam on ATen's scalar CPU kernels:
//
//	g = grad.add(param, alpha=wd)                   # g + wd*x, only when wd != 0
//	exp_avg.lerp_(g, 1-beta1)                       # w = 1-beta1:
//	    m = m + w*(g-m)        if |w| < 0.5         #   ATen lerp, small weight
//	    m = g - (g-m)*(1-w)    otherwise            #   ATen lerp, large weight
//	exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2)
//	    v = v*beta2 + ((1-beta2)*g)*g               # addcmul: self + value*t1*t2
//	denom = (exp_avg_sq.sqrt() / bc2Sqrt).add_(eps) # sqrt(v)/bc2Sqrt + eps
//	param.addcdiv_(exp_avg, denom, value=-step_size)
//	    x = x - (step_size*m)/denom                 # addcdiv: self + value*t1/t2
//
// with step_size = lr/(1 - beta1^t) and bc2Sqrt = sqrt(1 - beta2^t) from
// gdgpu's Optimizer.Scalars (float64, once per step, beta^t correctly
// rounded). torch's CUDA kernels differ in the last bits: addcdiv there is
// x + value*(m/denom), division by a scalar goes through its reciprocal, and
// vectorized kernels use FMAs. This reference rounds every operation
// separately, in the CPU scalar kernels' order.
func adamChunk(x, g, m, v []float64, s *adamStep) {
	g, m, v = g[:len(x)], m[:len(x)], v[:len(x)]
	wd, w, omw, small := s.wd, s.w, s.omw, s.small
	beta2, omb2 := s.beta2, s.omb2
	stepSize, bc2Sqrt, eps := s.stepSize, s.bc2Sqrt, s.eps
	for i, xi := range x {
		gi := g[i]
		if wd != 0 {
			gi += float64(wd * xi)
		}
		mi := m[i]
		if small {
			mi += float64(w * (gi - mi))
		} else {
			mi = gi - float64((gi-mi)*omw)
		}
		vi := float64(v[i]*beta2) + float64(omb2*gi*gi)
		denom := math.Sqrt(vi)/bc2Sqrt + eps
		x[i] = xi - (stepSize*mi)/denom
		m[i], v[i] = mi, vi
	}
}
