package cpu

import (
	"math"

	"github.com/gdgpu/gdgpu"
)

// optKind selects the optimizer kernel without string compares per step.
type optKind int

const (
	sgd optKind = iota
	adagrad
	adadelta
	rmsprop
	adam // adam and adamw: AdamW is Adam with decoupled weight decay
	adamax
	nadam
	radam
)

// kindOf maps a registry name to its kernel.
func kindOf(name string) (optKind, bool) {
	switch name {
	case "sgd":
		return sgd, true
	case "adagrad":
		return adagrad, true
	case "adadelta":
		return adadelta, true
	case "rmsprop":
		return rmsprop, true
	case "adam", "adamw":
		return adam, true
	case "adamax":
		return adamax, true
	case "nadam":
		return nadam, true
	case "radam":
		return radam, true
	}
	return 0, false
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

// kernel holds everything one optimizer step needs besides the vectors:
// the hyperparameters and the step's scalars from gdgpu's
// Optimizer.Scalars, the host-side float64 values the GPU receives too.
// It is built once per step; the loops copy the fields they use into
// locals.
type kernel struct {
	kind     optKind
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

	vec adamConsts // adam: the scalars above as the vector kernel reads them (simd.go)
}

// newKernel gathers step t's constants for optimizer o.
func newKernel(o *gdgpu.Optimizer, kind optKind, sc gdgpu.StepScalars) kernel {
	decoupled := o.Name == "adamw" || (o.DecoupledWeightDecay && (kind == nadam || kind == radam))
	k := kernel{
		kind: kind,
		prep: prep{
			maximize:  o.Maximize,
			l2:        o.WeightDecay != 0 && !decoupled,
			decoupled: o.WeightDecay != 0 && decoupled,
			c:         o.WeightDecay,
		},
		stepSize: sc.StepSize,
		eps:      o.Eps,
	}
	if k.prep.decoupled {
		k.prep.c = sc.Decay
	}
	switch kind {
	case sgd:
		k.momentum, k.hasMomentum = o.Momentum, o.Momentum != 0
		k.omd, k.nesterov, k.first = 1-o.Dampening, o.Nesterov, sc.FirstStep
	case adadelta:
		k.b, k.omb = o.Rho, 1-o.Rho
	case rmsprop:
		k.b, k.omb = o.Alpha, 1-o.Alpha
		k.avg = newLerp(1 - o.Alpha)
		k.momentum, k.hasMomentum = o.Momentum, o.Momentum > 0
		k.centered = o.Centered
	case adam, adamax, nadam, radam:
		k.avg = newLerp(1 - o.Beta1)
		k.b, k.omb = o.Beta2, 1-o.Beta2
		k.amsgrad = kind == adam && o.Amsgrad
		k.bc1, k.bc2, k.bc2Sqrt = sc.BC1, sc.BC2, sc.BC2Sqrt
		k.coefGrad, k.coefAvg = sc.CoefGrad, sc.CoefAvg
		k.rectified, k.rect = sc.Rectified, sc.Rect
		if kind == adam {
			k.vec = newAdamConsts(&k)
		}
	}
	return k
}

// apply runs the step on one stretch of x with gradient g and the state
// vectors s, in gdgpu.Optimizer.StateNames order (unused ones nil), all
// sliced alike.
func (k *kernel) apply(x, g []float64, s *[3][]float64) {
	switch k.kind {
	case sgd:
		k.sgd(x, g, s[0])
	case adagrad:
		k.adagrad(x, g, s[0])
	case adadelta:
		k.adadelta(x, g, s[0], s[1])
	case rmsprop:
		sq, i := s[0], 1
		var buf, ga []float64
		if k.hasMomentum {
			buf, i = s[i], i+1
		}
		if k.centered {
			ga = s[i]
		}
		k.rmsprop(x, g, sq, buf, ga)
	case adam:
		k.adam(x, g, s[0], s[1], s[2])
	case adamax:
		k.adamax(x, g, s[0], s[1])
	case nadam:
		k.nadam(x, g, s[0], s[1])
	case radam:
		k.radam(x, g, s[0], s[1])
	}
}

// The kernels below are torch.optim's single-tensor rules (foreach=False,
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

// sgd: torch.optim.SGD.
//
//	grad = -grad if maximize; grad = grad.add(param, alpha=wd)   # prep
//	buf = clone(grad)                    on the first step,
//	buf.mul_(momentum).add_(grad, alpha=1-dampening)  after:   b*mom + (1-damp)*g
//	grad = grad.add(buf, alpha=momentum) if nesterov, else buf:  g + mom*b
//	param.add_(grad, alpha=-lr)                                  x - lr*g
func (k *kernel) sgd(x, g, buf []float64) {
	g = g[:len(x)]
	p, lr := k.prep, k.stepSize
	if !k.hasMomentum && p == (prep{}) { // plain gradient descent, the tightest loop
		for i, xi := range x {
			x[i] = xi - float64(lr*g[i])
		}
		return
	}
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

// adagrad: torch.optim.Adagrad, clr = lr/(1+(t-1)*lr_decay) (StepSize).
//
//	state_sum.addcmul_(grad, grad, value=1)     s + (1*g)*g = s + g*g
//	std = state_sum.sqrt().add_(eps)            sqrt(s) + eps
//	param.addcdiv_(grad, std, value=-clr)       x - (clr*g)/std
func (k *kernel) adagrad(x, g, sum []float64) {
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

// adadelta: torch.optim.Adadelta.
//
//	square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho)   sa*rho + ((1-rho)*g)*g
//	std = square_avg.add(eps).sqrt_()                        sqrt(sa + eps)
//	delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad)  (sqrt(ad + eps)/std)*g
//	acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)  ad*rho + ((1-rho)*d)*d
//	param.add_(delta, alpha=-lr)                             x - lr*d
func (k *kernel) adadelta(x, g, sq, acc []float64) {
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
func (k *kernel) rmsprop(x, g, sq, buf, ga []float64) {
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
func (k *kernel) adam(x, g, m, v, vmax []float64) {
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
func (k *kernel) adamScalar(x, g, m, v, vmax []float64) {
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

// adamax: torch.optim.Adamax, clr = lr/(1-beta1^t) (StepSize).
//
//	exp_avg.lerp_(grad, 1-beta1)
//	torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)   max(u*beta2, |g| + eps)
//	param.addcdiv_(exp_avg, exp_inf, value=-clr)                            x - (clr*m)/u
func (k *kernel) adamax(x, g, m, u []float64) {
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

// nadam: torch.optim.NAdam; bc2 = 1-beta2^t and the two addcdiv_ values
// coefGrad = -lr(1-mu_t)/(1-P), coefAvg = -lr*mu_{t+1}/(1-P*mu_{t+1})
// come from the host, which advances P (mu_product).
//
//	exp_avg.lerp_(grad, 1-beta1)
//	exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)   v*beta2 + ((1-beta2)*g)*g
//	denom = exp_avg_sq.div(bc2).sqrt().add_(eps)                 sqrt(v/bc2) + eps
//	param.addcdiv_(grad, denom, value=coefGrad)                  x + (coefGrad*g)/denom
//	param.addcdiv_(exp_avg, denom, value=coefAvg)                x + (coefAvg*m)/denom
func (k *kernel) nadam(x, g, m, v []float64) {
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
func (k *kernel) radam(x, g, m, v []float64) {
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
