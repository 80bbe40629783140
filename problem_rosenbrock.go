package gdgpu

import "github.com/gdgpu/gdgpu/internal/kern"

// rosenbrockProblem is the chained Rosenbrock function of
// scipy.optimize.rosen, with rosen_der's gradient.
func rosenbrockProblem() Problem {
	return Problem{
		Name:       "rosenbrock",
		Summary:    "chained Rosenbrock, f = sum_{i<N-1} 100(x_{i+1}-x_i^2)^2 + (1-x_i)^2 (scipy.optimize.rosen); minimum 0 at all ones",
		Start:      "x_i = -1.2 for even i, 1 for odd i (the classic (-1.2, 1) repeated)",
		DefaultDim: 1 << 20,
		MinDim:     2,
		Init: func(x []float64) {
			for i := range x {
				if i%2 == 0 {
					x[i] = -1.2
				} else {
					x[i] = 1
				}
			}
		},
		Box:     2.048,
		Minimum: constMinimum(1, 0),
		Reach:   1, // term i reads x_{i+1}; component i reads x_{i-1} and x_{i+1}
		CPU:     func(j *Job) (CPUObjective, error) { return rosenCPU{n: j.Dim}, nil },
		GPU:     GPUObjective{Source: shaderText("rosenbrock.glsl")},
	}
}

// rosenCPU is Rosenbrock's float64 evaluator, with scipy's expressions
// and evaluation order (left to right, x**2 as x*x).
type rosenCPU struct{ n int }

// Terms writes term i for i < N-1 from x_i and x_{i+1}. The vector kernel
// takes the longest prefix it can, the scalar loop the rest.
func (o rosenCPU) Terms(t, x []float64, lo, hi int) int {
	end := min(hi, o.n-1)
	if end <= lo {
		return 0
	}
	xs := x[lo : end+1]
	t = t[:end-lo]
	k := kern.RosenTermsVec(t, xs)
	rosenTerms(t[k:], xs[k:])
	return len(t)
}

// Grad writes rosen_der's components:
//
//	der[0]    = -400*x[0]*(x[1] - x[0]**2) - 2*(1 - x[0])
//	der[1:-1] = 200*(xm - xm_m1**2) - 400*(xm_p1 - xm**2)*xm - 2*(1 - xm)
//	der[-1]   = 200*(x[-1] - x[-2]**2)
func (o rosenCPU) Grad(g, x []float64, lo, hi int) {
	g = g[:hi-lo]
	n := o.n
	i := lo
	if i == 0 {
		x0, x1 := x[0], x[1]
		g[0] = float64(-400*x0*(x1-float64(x0*x0))) - float64(2*(1-x0))
		i = 1
	}
	end := min(hi, n-1)
	if i < end {
		// xs[j+1] is element i+j, between xs[j] and xs[j+2]: the vector
		// kernel takes the longest prefix it can, the scalar loop the rest.
		xs := x[i-1 : end+1]
		gs := g[i-lo : end-lo]
		k := kern.RosenGradVec(gs, xs)
		rosenGradMid(gs[k:], xs[k+1:], xs[k])
		i = end
	}
	if i == n-1 && hi == n {
		xp := x[i-1]
		g[i-lo] = 200 * (x[i] - float64(xp*xp))
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
// for j == 0 and xs[j-1] after. len(xs) > len(gs).
func rosenGradMid(gs, xs []float64, prev float64) {
	xs = xs[:len(gs)+1]
	for j := range gs {
		xi, xn := xs[j], xs[j+1]
		a := float64(200 * (xi - float64(prev*prev)))
		b := float64(400 * (xn - float64(xi*xi)) * xi)
		gs[j] = a - b - float64(2*(1-xi))
		prev = xi
	}
}
