package cpu

import (
	"fmt"
	"math"

	"github.com/gdgpu/gdgpu"
)

// problemKind selects an objective's kernels without string compares in
// the sweep.
type problemKind int

const (
	quadratic problemKind = iota
	rosenbrock
	// The test functions of testfuncs.go: separable ones, then the
	// two-dimensional ones (problemKind.twoDim relies on this order).
	rastrigin
	styblinskiTang
	levy
	// Not separable: their terms and gradient need global quantities,
	// computed by objective.prepare before a sweep.
	ackley
	griewank
	beale
	himmelblau
	booth
	matyas
	threeHumpCamel
	sixHumpCamel
	goldsteinPrice
	saddle
)

// objective evaluates one problem chunk by chunk. The backend and the
// exported Loss and Grad share it, so a recorded Sample, Loss and Grad give
// the same bits for the same point.
type objective struct {
	kind problemKind
	n    int
	cond float64
	// coef holds the quadratic's c_i when precomputed (the backend), or is
	// nil: then c_i = 1 if unit is set, or gdgpu.QuadCoeff on the fly.
	coef []float64
	unit bool
	// glob holds ackley's and griewank's global quantities at the point
	// of the sweep, set by prepare (see testfuncs.go).
	glob [3]float64
}

// newObjective checks the problem name and dimension; coefficients are
// left to the caller.
func newObjective(job *gdgpu.Job, n int) (objective, error) {
	o := objective{n: n, cond: job.Cond}
	switch job.Problem {
	case "quadratic":
		o.kind = quadratic
		o.unit = n <= 1 || job.Cond == 1 // QuadCoeff returns 1 exactly then
	case "rosenbrock":
		o.kind = rosenbrock
		if n < 2 {
			return o, fmt.Errorf("cpu: rosenbrock needs at least 2 parameters, got %d", n)
		}
	default:
		k, ok := testFuncKinds[job.Problem]
		if !ok {
			return o, fmt.Errorf("cpu: unknown problem %q", job.Problem)
		}
		o.kind = k
		if info, _ := gdgpu.LookupProblem(job.Problem); n < info.MinDim || (info.MaxDim > 0 && n > info.MaxDim) {
			return o, fmt.Errorf("cpu: %s needs between %d and %d parameters, got %d", job.Problem, info.MinDim, max(info.MaxDim, info.MinDim), n)
		}
	}
	return o, nil
}

// precompute fills coef once, so the sweep reads c_i instead of calling
// math.Pow per element per step. The values are gdgpu.QuadCoeff's, the same
// the GPU buffers are filled from.
func (o *objective) precompute() {
	if o.kind != quadratic || o.unit {
		return
	}
	o.coef = make([]float64, o.n)
	for i := range o.coef {
		o.coef[i] = gdgpu.QuadCoeff(i, o.n, o.cond)
	}
}

// coefs returns c_lo..c_{hi-1}, computing them into buf when they are not
// precomputed, or nil when every c_i is 1.
func (o *objective) coefs(buf *[chunk]float64, lo, hi int) []float64 {
	switch {
	case o.kind != quadratic || o.unit:
		return nil
	case o.coef != nil:
		return o.coef[lo:hi]
	}
	c := buf[:hi-lo]
	for j := range c {
		c[j] = gdgpu.QuadCoeff(lo+j, o.n, o.cond)
	}
	return c
}

// terms writes into t the loss terms owned by indices lo..hi-1 and returns
// how many it wrote: the quadratic's c_i x_i² (halved in finish) and
// Rosenbrock's term i for i < N-1. It reads x[lo:hi+1], which must still
// hold the old point.
func (o *objective) terms(t []float64, c, x []float64, lo, hi int) int {
	switch o.kind {
	case quadratic:
		xs := x[lo:hi]
		t = t[:len(xs)]
		if c != nil {
			c = c[:len(xs)]
		}
		// The vector kernel (simd.go) takes the longest prefix it can,
		// the scalar loop the rest.
		k := quadTermsVec(t, c, xs)
		if c == nil {
			quadTermsUnit(t[k:], xs[k:])
		} else {
			quadTerms(t[k:], c[k:], xs[k:])
		}
		return len(xs)
	case rosenbrock:
		end := min(hi, o.n-1)
		if end <= lo {
			return 0
		}
		xs := x[lo : end+1]
		t = t[:end-lo]
		k := rosenTermsVec(t, xs)
		rosenTerms(t[k:], xs[k:])
		return len(t)
	default:
		return o.testTerms(t, x, lo, hi)
	}
}

// quadTermsUnit writes the quadratic's terms x_i² when every c_i is 1.
// It and the other scalar loops below are the references the vector
// kernels of simd.go are held to (TestObjectiveVectorBits).
func quadTermsUnit(t, xs []float64) {
	t = t[:len(xs)]
	for j, xi := range xs {
		t[j] = xi * xi
	}
}

// quadTerms writes the quadratic's terms c_i x_i² (halved in finish).
func quadTerms(t, c, xs []float64) {
	t, c = t[:len(xs)], c[:len(xs)]
	for j, xi := range xs {
		t[j] = (c[j] * xi) * xi
	}
}

// quadGrad writes the quadratic's gradient c_i x_i.
func quadGrad(g, c, xs []float64) {
	g, c = g[:len(xs)], c[:len(xs)]
	for j, xi := range xs {
		g[j] = c[j] * xi
	}
}

// rosenTerms writes Rosenbrock's terms t[j] from xs[j] and xs[j+1];
// len(xs) > len(t).
func rosenTerms(t, xs []float64) {
	xs = xs[:len(t)+1]
	for j := range t {
		xi, xn := xs[j], xs[j+1]
		// scipy: 100.0*(x[1:] - x[:-1]**2.0)**2.0 + (1 - x[:-1])**2.0
		a := xn - float64(xi*xi)
		b := 1 - xi
		t[j] = float64(100*float64(a*a)) + float64(b*b)
	}
}

// rosenGradMid writes Rosenbrock's gradient gs[j] of an element xs[j]
// that has both neighbours, the next being xs[j+1] and the previous prev
// for j == 0 (the caller's, since a sweep may have overwritten it in x)
// and xs[j-1] after. It returns the last xs[j] it read, the next prev.
// len(xs) > len(gs).
func rosenGradMid(gs, xs []float64, prev float64) float64 {
	xs = xs[:len(gs)+1]
	for j := range gs {
		xi, xn := xs[j], xs[j+1]
		a := float64(200 * (xi - float64(prev*prev)))
		b := float64(400 * (xn - float64(xi*xi)) * xi)
		gs[j] = a - b - float64(2*(1-xi))
		prev = xi
	}
	return prev
}

// finish turns the sum of the terms into f: exact halving for the
// quadratic (a power-of-two scaling, exact barring underflow).
func (o *objective) finish(sum float64) float64 {
	if o.kind == quadratic {
		return 0.5 * sum
	}
	return sum
}

// grad writes ∂f/∂x_i for i in lo..hi-1 into g (len hi-lo) at the old
// point. x[lo:hi+1] must still hold the old point; prev is the old x[lo-1]
// (ignored when lo == 0), because a sweep has already overwritten x[lo-1].
// It returns the old x[hi-1], the next chunk's prev.
func (o *objective) grad(g, c, x []float64, lo, hi int, prev float64) float64 {
	g = g[:hi-lo]
	if o.kind == quadratic {
		xs := x[lo:hi]
		if c == nil {
			copy(g, xs)
		} else {
			c = c[:len(xs)]
			k := quadGradVec(g, c, xs)
			quadGrad(g[k:], c[k:], xs[k:])
		}
		return xs[len(xs)-1]
	}
	if o.kind != rosenbrock {
		o.testGrad(g, x, lo, hi)
		return x[hi-1]
	}
	// Rosenbrock, with scipy.optimize.rosen_der's expressions and
	// evaluation order (left to right, x**2 as x*x):
	//   der[0]    = -400*x[0]*(x[1] - x[0]**2) - 2*(1 - x[0])
	//   der[1:-1] = 200*(xm - xm_m1**2) - 400*(xm_p1 - xm**2)*xm - 2*(1 - xm)
	//   der[-1]   = 200*(x[-1] - x[-2]**2)
	n := o.n
	i := lo
	if i == 0 {
		x0, x1 := x[0], x[1]
		g[0] = float64(-400*x0*(x1-float64(x0*x0))) - float64(2*(1-x0))
		prev = x0
		i = 1
	}
	end := min(hi, n-1)
	if i < end {
		xs := x[i : end+1]
		gs := g[i-lo : end-lo]
		// Element i's previous value is prev, not x[i-1], which a sweep
		// has already overwritten when i == lo: the scalar loop takes it.
		// The vector kernel (simd.go) takes the longest run after it,
		// whose previous values are still the old point in xs, and the
		// scalar loop the rest.
		prev = rosenGradMid(gs[:1], xs, prev)
		k := 1 + rosenGradVec(gs[1:], xs)
		prev = rosenGradMid(gs[k:], xs[k:], xs[k-1])
		i = end
	}
	if i == n-1 && hi == n {
		xi := x[i]
		g[i-lo] = 200 * (xi - float64(prev*prev))
		prev = xi
	}
	return prev
}

// Loss returns the objective f(x) of job's problem, summed pairwise (see
// the package doc), without the weight-decay penalty. It gives the same
// bits as a Sample the backend records at x. It panics if len(x) is not
// job.Dim or the problem is unknown, like an index out of range: both are
// programming errors. For a model on data it is ModelLoss.
func Loss(job *gdgpu.Job, x []float64) float64 {
	if gdgpu.IsModel(job.Problem) {
		l, err := ModelLoss(job, x)
		if err != nil {
			panic(err.Error())
		}
		return l
	}
	o := mustObjective(job, x)
	return o.loss(x)
}

// loss is f(x), summed chunk by chunk with the recorded samples' tree. It
// allocates nothing.
func (o *objective) loss(x []float64) float64 {
	o.prepare(x)
	var c, t [chunk]float64
	var acc pairwise
	for lo := 0; lo < o.n; lo += chunk {
		hi := min(lo+chunk, o.n)
		k := o.terms(t[:], o.coefs(&c, lo, hi), x, lo, hi)
		acc.push(leafSum(t[:k]))
	}
	return o.finish(acc.sum())
}

// Grad writes ∇f(x) of job's problem into dst and returns it, allocating
// dst when it is nil. It is the objective's gradient only: the optimizers
// add weight decay themselves. It panics if len(x) or len(dst) is not
// job.Dim, or the problem is unknown. For a model on data it is ModelGrad.
func Grad(job *gdgpu.Job, dst, x []float64) []float64 {
	if gdgpu.IsModel(job.Problem) {
		if dst == nil {
			dst = make([]float64, job.Dim)
		}
		if len(dst) != job.Dim {
			panic(fmt.Sprintf("cpu: Grad: dst has %d values, job has --dim %d", len(dst), job.Dim))
		}
		if err := ModelGrad(job, dst, x); err != nil {
			panic(err.Error())
		}
		return dst
	}
	o := mustObjective(job, x)
	if dst == nil {
		dst = make([]float64, o.n)
	}
	if len(dst) != o.n {
		panic(fmt.Sprintf("cpu: Grad: dst has %d values, job has --dim %d", len(dst), o.n))
	}
	o.gradient(dst, x)
	return dst
}

// gradient writes ∇f(x) into dst chunk by chunk, after the objective's
// global quantities (ackley, griewank). It allocates nothing.
func (o *objective) gradient(dst, x []float64) {
	o.prepare(x)
	var c [chunk]float64
	prev := 0.0
	for lo := 0; lo < o.n; lo += chunk {
		hi := min(lo+chunk, o.n)
		prev = o.grad(dst[lo:hi], o.coefs(&c, lo, hi), x, lo, hi, prev)
	}
}

// GradNorm returns sqrt(Σ g_i²) of ∇f(x) for job's problem, summed pairwise
// with the same tree as the backend's recorded samples, so it gives the
// same bits as a Sample's GradNorm at x. It is the objective's gradient
// only, without weight decay. It panics like Loss. For a model on data it
// is the norm of ModelGrad, summed in index order.
func GradNorm(job *gdgpu.Job, x []float64) float64 {
	if gdgpu.IsModel(job.Problem) {
		sq := 0.0
		for _, v := range Grad(job, nil, x) {
			sq += v * v
		}
		return math.Sqrt(sq)
	}
	o := mustObjective(job, x)
	o.prepare(x)
	var c, g [chunk]float64
	var acc pairwise
	prev := 0.0
	for lo := 0; lo < o.n; lo += chunk {
		hi := min(lo+chunk, o.n)
		gs := g[:hi-lo]
		prev = o.grad(gs, o.coefs(&c, lo, hi), x, lo, hi, prev)
		for j, v := range gs {
			gs[j] = v * v
		}
		acc.push(leafSum(gs))
	}
	return math.Sqrt(acc.sum())
}

func mustObjective(job *gdgpu.Job, x []float64) objective {
	if len(x) != job.Dim {
		panic(fmt.Sprintf("cpu: x has %d values, job has --dim %d", len(x), job.Dim))
	}
	o, err := newObjective(job, len(x))
	if err != nil {
		panic(err.Error())
	}
	return o
}
