package gdgpu

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// griewankProblem is Griewank's function, whose terms and gradient need
// the product of every cosine first (a pre-pass on both backends).
func griewankProblem() Problem {
	return Problem{
		Name:       "griewank",
		Summary:    "Griewank, f = 1 + sum x_i^2/4000 - prod cos(x_i/sqrt(i+1)) (0-based i); minimum 0 at 0",
		Start:      "x_i = 10",
		DefaultDim: 1 << 20,
		MinDim:     1,
		Init:       constStart(10),
		Box:        600,
		Minimum:    constMinimum(0, 0),
		CPU:        func(j *Job) (CPUObjective, error) { return &griewankCPU{n: j.Dim}, nil },
		GPU:        GPUObjective{Source: shaderText("griewank.glsl"), Before: []string{"fp64math.glsl"}, Prepass: true},
	}
}

// griewankCPU is Griewank's float64 evaluator. Prepare computes the
// product a of the non-zero cos(x_i/√(i+1)) (a pairwise product tree)
// and the number b of zero ones (up to 2); glob = P (0 if b > 0), a, b.
type griewankCPU struct {
	n    int
	glob [3]float64
}

// griewankCos is math.Cos, the cosine of Griewank's product; a test swaps
// it to reach the zero-cosine branches, which math.Cos never returns 0
// for in float64.
var griewankCos = math.Cos

// Prepare computes the global quantities at x. It allocates nothing.
func (o *griewankCPU) Prepare(x []float64) {
	var t [kern.Leaf]float64
	var p kern.PairwiseProd
	zeros := 0
	for lo := 0; lo < o.n; lo += kern.Leaf {
		xs := x[lo:min(lo+kern.Leaf, o.n)]
		for j, xi := range xs {
			c := griewankCos(xi / math.Sqrt(float64(lo+j+1)))
			if c == 0 {
				c = 1
				zeros++
			}
			t[j] = c
		}
		p.Push(kern.LeafProd(t[:len(xs)]))
	}
	a, b := p.Prod(), float64(min(zeros, 2))
	o.glob = [3]float64{a, a, b}
	if b > 0 {
		o.glob[0] = 0
	}
}

// Terms writes x_i²/4000 for index i, and 1 - P with index 0's.
func (o *griewankCPU) Terms(t, x []float64, lo, hi int) int {
	xs := x[lo:hi]
	t = t[:len(xs)]
	for j, xi := range xs {
		t[j] = float64(xi*xi) / 4000
	}
	if lo == 0 {
		t[0] += 1 - o.glob[0]
	}
	return len(xs)
}

// Grad writes x_i/2000 + sin(u_i)/√(i+1) times the leave-one-out product,
// which is a/cos(u_i), or a when cos(u_i) is the only zero cosine, 0 when
// another one is zero.
func (o *griewankCPU) Grad(g, x []float64, lo, hi int) {
	xs := x[lo:hi]
	g = g[:len(xs)]
	a, b := o.glob[1], o.glob[2]
	for j, xi := range xs {
		s := math.Sqrt(float64(lo + j + 1))
		u := xi / s
		c := griewankCos(u)
		var q float64
		switch {
		case c != 0 && b == 0:
			q = a / c
		case c == 0 && b < 1.5:
			q = a
		}
		g[j] = xi/2000 + float64((math.Sin(u)/s)*q)
	}
}
