package gdgpu

import (
	"fmt"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// quadraticProblem is f = 1/2 Σ c_i x_i², c_i = Cond^(i/(N-1)) (QuadCoeff):
// the convex test whose condition number the job sets.
func quadraticProblem() Problem {
	return Problem{
		Name:       "quadratic",
		Summary:    "f = 1/2 sum c_i x_i^2, c_i log-spaced from 1 to {Job.Cond} (c_i = cond^(i/(N-1)))",
		Start:      "x_i = 1",
		DefaultDim: 1 << 20,
		MinDim:     1,
		Box:        2,
		Minimum:    constMinimum(0, 0),
		Settings:   func(j *Job) string { return fmt.Sprintf(" cond=%g", j.Cond) },
		CPU: func(j *Job) (CPUObjective, error) {
			n := j.Dim
			return &quadCPU{n: n, cond: j.Cond, unit: n <= 1 || j.Cond == 1}, nil // QuadCoeff returns 1 exactly then
		},
		GPU: GPUObjective{
			Source: shaderText("quadratic.glsl"),
			Coef: func(j *Job) func(i int) float64 {
				if j.Cond == 1 {
					return nil
				}
				n, c := j.Dim, j.Cond
				return func(i int) float64 { return QuadCoeff(i, n, c) }
			},
		},
	}
}

// QuadCoeff returns the quadratic's i-th coefficient c_i = cond^(i/(n-1)),
// computed the same way for every backend (GPU buffers are filled from it).
func QuadCoeff(i, n int, cond float64) float64 {
	if n <= 1 || cond == 1 {
		return 1
	}
	return kern.Pow(cond, float64(i)/float64(n-1))
}

// quadCPU is the quadratic's float64 evaluator. Its terms are c_i x_i²,
// halved in Finish (exact barring underflow).
type quadCPU struct {
	n    int
	cond float64
	// coef holds the c_i once Precompute has run, or is nil: then c_i = 1
	// if unit is set, or QuadCoeff on the fly.
	coef []float64
	unit bool
}

// Precompute fills the coefficient table once, so a sweep reads c_i
// instead of calling math.Pow per element per step.
func (o *quadCPU) Precompute() {
	if o.unit || o.coef != nil {
		return
	}
	o.coef = make([]float64, o.n)
	for i := range o.coef {
		o.coef[i] = QuadCoeff(i, o.n, o.cond)
	}
}

// coefs returns c_lo..c_{hi-1} (hi-lo ≤ kern.Leaf), computing them into
// buf when they are not precomputed, or nil when every c_i is 1.
func (o *quadCPU) coefs(buf *[kern.Leaf]float64, lo, hi int) []float64 {
	switch {
	case o.unit:
		return nil
	case o.coef != nil:
		return o.coef[lo:hi]
	}
	c := buf[:hi-lo]
	for j := range c {
		c[j] = QuadCoeff(lo+j, o.n, o.cond)
	}
	return c
}

// Terms writes c_i x_i². The vector kernel takes the longest prefix it
// can, the scalar loop the rest.
func (o *quadCPU) Terms(t, x []float64, lo, hi int) int {
	var buf [kern.Leaf]float64
	for a := lo; a < hi; a += kern.Leaf {
		b := min(a+kern.Leaf, hi)
		c, xs, ts := o.coefs(&buf, a, b), x[a:b], t[a-lo:b-lo]
		k := kern.QuadTermsVec(ts, c, xs)
		if c == nil {
			quadTermsUnit(ts[k:], xs[k:])
		} else {
			quadTerms(ts[k:], c[k:], xs[k:])
		}
	}
	return hi - lo
}

// Grad writes c_i x_i.
func (o *quadCPU) Grad(g, x []float64, lo, hi int) {
	var buf [kern.Leaf]float64
	for a := lo; a < hi; a += kern.Leaf {
		b := min(a+kern.Leaf, hi)
		c, xs, gs := o.coefs(&buf, a, b), x[a:b], g[a-lo:b-lo]
		if c == nil {
			copy(gs, xs)
			continue
		}
		k := kern.QuadGradVec(gs, c, xs)
		quadGrad(gs[k:], c[k:], xs[k:])
	}
}

// Finish halves the sum: f = 1/2 Σ c_i x_i².
func (o *quadCPU) Finish(sum float64) float64 { return 0.5 * sum }

// quadTermsUnit writes the quadratic's terms x_i² when every c_i is 1.
// It and the other scalar loops are the references the vector kernels
// are held to (TestObjectiveVectorBits).
func quadTermsUnit(t, xs []float64) {
	t = t[:len(xs)]
	for j, xi := range xs {
		t[j] = xi * xi
	}
}

// quadTerms writes the quadratic's terms c_i x_i² (halved in Finish).
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
