package gdgpu

import (
	"math"
)

// rmspropInfo is torch.optim.RMSprop.
func rmspropInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "rmsprop", Torch: "torch.optim.RMSprop", Cycled: "momentum",
		Summary: "steps scaled by a running average of squared gradients, optional momentum and centering",
		Hyper: []Hyper{lrH(1e-2),
			{Name: "alpha", Torch: "alpha", Default: 0.99, Min: 0, Max: 1, Doc: "smoothing constant"},
			epsH(1e-8), wdH(0), momentH,
			boolH("centered", "centered", "normalise by the estimated variance of the gradient"), maxH},
		States: func(o *Optimizer) []string {
			s := []string{"square_avg"}
			if o.Momentum > 0 {
				s = append(s, "momentum_buffer")
			}
			if o.Centered {
				s = append(s, "grad_avg")
			}
			return s
		},
		CPU: func(o *Optimizer) CPUUpdate {
			k := newCPURule(o, false)
			k.b, k.omb = o.Alpha, 1-o.Alpha
			k.avg = newLerp(1 - o.Alpha)
			k.momentum, k.hasMomentum = o.Momentum, o.Momentum > 0
			k.centered = o.Centered
			k.apply = func(k *cpuRule, x, g []float64, s *[3][]float64) {
				sq, i := s[0], 1
				var buf, ga []float64
				if k.hasMomentum {
					buf, i = s[i], i+1
				}
				if k.centered {
					ga = s[i]
				}
				k.rmsprop(x, g, sq, buf, ga)
			}
			return k
		},
		GPU: GPUUpdate{Files: []string{"rmsprop.glsl"}, Defines: func(o *Optimizer) []string {
			return switches("MOMENTUM", o.Momentum != 0, "CENTERED", o.Centered)
		}},
	}
}

// rmsprop: torch.optim.RMSprop.
//
//	square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha)  sa*alpha + ((1-alpha)*g)*g
//	centered:
//	    grad_avg.lerp_(grad, 1-alpha)
//	    avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()   sqrt(sa - ga*ga)
//	else avg = square_avg.sqrt()
//	avg = avg.add_(eps)
//	momentum > 0:
//	    buf.mul_(momentum).addcdiv_(grad, avg)   b*mom + (1*g)/avg = b*mom + g/avg
//	    param.add_(buf, alpha=-lr)               x - lr*b
//	else param.addcdiv_(grad, avg, value=-lr)    x - (lr*g)/avg
//
// buf is nil without momentum, ga nil unless centered.
func (k *cpuRule) rmsprop(x, g, sq, buf, ga []float64) {
	g, sq = g[:len(x)], sq[:len(x)]
	p, lr, eps, alpha, oma, mom, l := k.prep, k.stepSize, k.eps, k.b, k.omb, k.momentum, k.avg
	centered, momentum := k.centered, k.hasMomentum
	if centered {
		ga = ga[:len(x)]
	}
	if momentum {
		buf = buf[:len(x)]
	}
	for i, xi := range x {
		xi, gi := p.apply(xi, g[i])
		sa := float64(sq[i]*alpha) + float64(oma*gi*gi)
		sq[i] = sa
		var avg float64
		if centered {
			a := l.at(ga[i], gi)
			ga[i] = a
			avg = math.Sqrt(sa-float64(a*a)) + eps
		} else {
			avg = math.Sqrt(sa) + eps
		}
		if momentum {
			b := float64(buf[i]*mom) + gi/avg
			buf[i] = b
			x[i] = xi - float64(lr*b)
		} else {
			x[i] = xi - float64(lr*gi)/avg
		}
	}
}
