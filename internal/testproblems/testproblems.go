// Package testproblems defines user-style problems (gdgpu.Problem values
// outside the built-in set) that the backends' tests register, so that
// every table over gdgpu.Problems covers a problem written the way a
// library user writes one.
package testproblems

import (
	"sync"

	"github.com/gdgpu/gdgpu"
)

// ReachName is the name Register gives Reach3.
const ReachName = "test-reach3"

var once sync.Once

// Register registers Reach3 once; every test package that wants it in its
// tables calls it from an init function.
func Register() {
	once.Do(func() {
		if err := gdgpu.RegisterProblem(Reach3()); err != nil {
			panic(err)
		}
	})
}

// reachGLSL is Reach3's objective in GLSL, with reach3CPU's operations in
// the same order. Inexact constants carry the lf suffix: an unsuffixed
// literal is a float, which real() would widen, inexact, to double.
const reachGLSL = `
void objective(uint i, out real f, out real g) {
	real x = X(i);
	f = real(0.05lf) * x * x;
	g = real(0.1lf) * x;
	if (i + 3u < n) {
		real d = X(i + 3u) - x;
		f += real(0.5) * d * d;
		g -= d;
	}
	if (i >= 3u) {
		g += x - X(i - 3u);
	}
}
`

// Reach3 is f = Σ_{i<N-3} ½(x_{i+3} - x_i)² + Σ 0.05 x_i², a convex
// quadratic whose term i and gradient component i read x three indices
// away (Reach 3): wider than the GPU's alignment halo on some devices and
// than the one neighbour Rosenbrock reads, so it exercises the CPU's held
// elements and the GPU's halo in general. Its minimum is 0 at 0.
func Reach3() gdgpu.Problem {
	return gdgpu.Problem{
		Name:       ReachName,
		Summary:    "f = sum_{i<N-3} (x_{i+3}-x_i)^2/2 + sum 0.05 x_i^2 (a test problem reading three indices away); minimum 0 at 0",
		Start:      "x_i = 1 + i mod 5",
		DefaultDim: 1000,
		MinDim:     1,
		Init: func(x []float64) {
			for i := range x {
				x[i] = float64(1 + i%5)
			}
		},
		Minimum: func(x []float64) (float64, bool) {
			clear(x)
			return 0, true
		},
		Reach: 3,
		CPU:   func(job *gdgpu.Job) (gdgpu.CPUObjective, error) { return reach3CPU{n: job.Dim}, nil },
		GPU:   gdgpu.GPUObjective{Source: reachGLSL},
	}
}

type reach3CPU struct{ n int }

func (r reach3CPU) Terms(t, x []float64, lo, hi int) int {
	for i := lo; i < hi; i++ {
		xi := x[i]
		f := float64(float64(0.05*xi) * xi) // rounded: no FMA
		if i+3 < r.n {
			d := x[i+3] - xi
			f += float64(float64(0.5*d) * d)
		}
		t[i-lo] = f
	}
	return hi - lo
}

func (r reach3CPU) Grad(g, x []float64, lo, hi int) {
	for i := lo; i < hi; i++ {
		xi := x[i]
		gi := float64(0.1 * xi) // rounded: no FMA
		if i+3 < r.n {
			gi -= x[i+3] - xi
		}
		if i >= 3 {
			gi += xi - x[i-3]
		}
		g[i-lo] = gi
	}
}
