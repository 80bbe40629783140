package gdgpu

import "github.com/gdgpu/gdgpu/internal/kern"

// sgdInfo is torch.optim.SGD.
func sgdInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "sgd", Torch: "torch.optim.SGD", Cycled: "momentum",
		Summary: "gradient descent with optional (Nesterov) momentum and dampening",
		Hyper: []Hyper{lrH(1e-3), momentH,
			{Name: "dampening", Torch: "dampening", Min: 0, Max: 1, Doc: "dampening for momentum"},
			wdH(0), boolH("nesterov", "nesterov", "Nesterov momentum (needs momentum > 0 and dampening 0)"), maxH},
		States: func(o *Optimizer) []string {
			if o.Momentum != 0 {
				return []string{"momentum_buffer"}
			}
			return nil
		},
		Check: func(o *Optimizer) error {
			if o.Nesterov && (o.Momentum <= 0 || o.Dampening != 0) {
				return FieldErrorf("{Optimizer.nesterov} needs {Optimizer.momentum} > 0 and {Optimizer.dampening} 0 (got %g and %g)", o.Momentum, o.Dampening)
			}
			return nil
		},
		CPU: func(o *Optimizer) CPUUpdate {
			k := newCPURule(o, false)
			k.momentum, k.hasMomentum = o.Momentum, o.Momentum != 0
			k.omd, k.nesterov = 1-o.Dampening, o.Nesterov
			k.step = func(k *cpuRule, sc StepScalars) { k.first = sc.FirstStep }
			k.apply = func(k *cpuRule, x, g []float64, s *[3][]float64) { k.sgd(x, g, s[0]) }
			if !k.hasMomentum && k.prep == (prep{}) {
				k.apply = sgdPlain
			}
			return k
		},
		GPU: GPUUpdate{Files: []string{"sgd.glsl"}, Defines: func(o *Optimizer) []string {
			return switches("MOMENTUM", o.Momentum != 0, "NESTEROV", o.Nesterov)
		}},
	}
}

// sgd: torch.optim.SGD.
//
//	grad = -grad if maximize; grad = grad.add(param, alpha=wd)   # prep
//	buf = clone(grad)                    on the first step,
//	buf.mul_(momentum).add_(grad, alpha=1-dampening)  after:   b*mom + (1-damp)*g
//	grad = grad.add(buf, alpha=momentum) if nesterov, else buf:  g + mom*b
//	param.add_(grad, alpha=-lr)                                  x - lr*g
func (k *cpuRule) sgd(x, g, buf []float64) {
	g = g[:len(x)]
	p, lr := k.prep, k.stepSize
	if !k.hasMomentum {
		for i, xi := range x {
			xi, gi := p.apply(xi, g[i])
			x[i] = xi - float64(lr*gi)
		}
		return
	}
	buf = buf[:len(x)]
	mom, omd, first, nesterov := k.momentum, k.omd, k.first, k.nesterov
	for i, xi := range x {
		xi, gi := p.apply(xi, g[i])
		b := gi
		if !first {
			b = float64(buf[i]*mom) + float64(omd*gi)
		}
		buf[i] = b
		if nesterov {
			gi += float64(mom * b)
		} else {
			gi = b
		}
		x[i] = xi - float64(lr*gi)
	}
}

// sgdPlain is plain gradient descent, x - lr*g (no momentum, weight decay
// or maximize): the tightest loop, in a function of its own, its bulk in
// kern's AVX kernel, whose loop is aligned to a cache line (the Go loop's
// place in the binary followed the code around it: where it fell across a
// cache line it ran 16-23% slower).
func sgdPlain(k *cpuRule, x, g []float64, _ *[3][]float64) {
	g = g[:len(x)]
	lr := k.stepSize
	// The AVX kernel's loop is aligned, and gives these bits.
	n := kern.SGDVec(x, g, lr)
	for i := n; i < len(x); i++ {
		x[i] = x[i] - float64(lr*g[i])
	}
}
