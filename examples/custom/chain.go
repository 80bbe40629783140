package main

import (
	"math"

	"github.com/gdgpu/gdgpu"
)

// chainGLSL is the chain's objective on the GPU: the engine's contract,
// objective(i) returning the loss term owned by index i and ∂f/∂x_i, in
// real (float or double, the job's precision). X(i) reads x_i; n is N.
// The same operations, in the same order, as chainCPU's.
const chainGLSL = `
void objective(uint i, out real f, out real g) {
	real x = X(i);
	real x2 = x * x;
	f = real(0.25) * x2 * x2 - real(0.5) * x2;
	g = x2 * x - x;
	if (i + 1u < n) { // the spring to the right, owned by i
		real d = X(i + 1u) - x;
		f += real(0.5) * d * d;
		g -= d;
	}
	if (i > 0u) { // the spring to the left
		g += x - X(i - 1u);
	}
}
`

// chainProblem describes the φ⁴ chain: N particles, each in a double-well
// potential ¼x⁴ - ½x², joined to its neighbours by unit springs,
//
//	f(x) = Σ_{i<N-1} ½(x_{i+1} - x_i)² + Σ_i (¼x_i⁴ - ½x_i²),
//
// non-convex, with its minimum -N/4 at all x_i = 1 and at all x_i = -1.
// Term i and component i read x_{i-1} and x_{i+1}: Reach 1.
func chainProblem() gdgpu.Problem {
	return gdgpu.Problem{
		Name:       "phi4-chain",
		Summary:    "f = sum_{i<N-1} (x_{i+1}-x_i)^2/2 + sum x_i^4/4 - x_i^2/2; minimum -N/4 at all ones (and all minus ones)",
		Start:      "x_i = 0.5 + 0.3 sin(0.05 i)",
		DefaultDim: 1 << 16,
		MinDim:     1,
		Init: func(x []float64) {
			for i := range x {
				x[i] = 0.5 + 0.3*math.Sin(0.05*float64(i))
			}
		},
		Box: 2,
		Minimum: func(x []float64) (float64, bool) {
			for i := range x {
				x[i] = 1
			}
			return -0.25 * float64(len(x)), true
		},
		Reach: 1,
		CPU: func(job *gdgpu.Job) (gdgpu.CPUObjective, error) {
			return chainCPU{n: job.Dim}, nil
		},
		GPU: gdgpu.GPUObjective{Source: chainGLSL},
	}
}

// chainCPU is the chain in float64 on the host, over index ranges (the
// CPU backend splits N over its goroutines).
type chainCPU struct{ n int }

// Terms writes the term owned by each index of lo..hi-1: its well and the
// spring to its right.
func (c chainCPU) Terms(t, x []float64, lo, hi int) int {
	for i := lo; i < hi; i++ {
		xi := x[i]
		x2 := xi * xi
		f := float64(float64(0.25*x2)*x2) - float64(0.5*x2)
		if i+1 < c.n {
			d := x[i+1] - xi
			f += float64(float64(0.5*d) * d)
		}
		t[i-lo] = f
	}
	return hi - lo
}

// Grad writes ∂f/∂x_i = x_i³ - x_i - (x_{i+1} - x_i) + (x_i - x_{i-1}).
func (c chainCPU) Grad(g, x []float64, lo, hi int) {
	for i := lo; i < hi; i++ {
		xi := x[i]
		gi := float64(float64(xi*xi)*xi) - xi
		if i+1 < c.n {
			gi -= x[i+1] - xi
		}
		if i > 0 {
			gi += xi - x[i-1]
		}
		g[i-lo] = gi
	}
}
