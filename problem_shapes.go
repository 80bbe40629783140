package gdgpu

// Two shapes most test functions take, as CPUObjectives; each function's
// file gives the arithmetic, written with the operations, in the order,
// of its shader (shaders/<name>.glsl), every product that feeds a sum
// rounded by an explicit conversion (no FMA; see package cpu's doc), a
// product kept in a variable too: gc fuses across statements, and makes
// 2*v of v+v.

// separable is the evaluator of a function whose term i and gradient
// component i depend on x_i alone (and on i and N): at returns both.
type separable struct {
	n  int
	at func(i, n int, x float64) (f, g float64)
}

// separableCPU returns a Problem.CPU for a separable function.
func separableCPU(at func(i, n int, x float64) (f, g float64)) func(*Job) (CPUObjective, error) {
	return func(j *Job) (CPUObjective, error) { return separable{n: j.Dim, at: at}, nil }
}

// Terms writes term i for each i in lo..hi-1.
func (s separable) Terms(t, x []float64, lo, hi int) int {
	xs := x[lo:hi]
	t = t[:len(xs)]
	for j, xi := range xs {
		t[j], _ = s.at(lo+j, s.n, xi)
	}
	return len(xs)
}

// Grad writes component i for each i in lo..hi-1.
func (s separable) Grad(g, x []float64, lo, hi int) {
	xs := x[lo:hi]
	g = g[:len(xs)]
	for j, xi := range xs {
		_, g[j] = s.at(lo+j, s.n, xi)
	}
}

// plane is the evaluator of a two-dimensional function f(x, y) of
// (x, y) = (x_0, x_1): index 0 owns the whole f.
type plane func(x, y float64) (f, gx, gy float64)

// planeProblem is the registry entry of a two-dimensional function, its
// shader name.glsl made the objective by plane.glsl.
func planeProblem(name, summary, start string, x0, y0, box float64, f plane) Problem {
	return Problem{
		Name:       name,
		Summary:    "f(x, y) = " + summary,
		Start:      "(x, y) = " + start,
		DefaultDim: 2, MinDim: 2, MaxDim: 2,
		Init:  func(x []float64) { x[0], x[1] = x0, y0 },
		Box:   box,
		Reach: 1,
		CPU:   func(*Job) (CPUObjective, error) { return f, nil },
		GPU:   GPUObjective{Source: shaderText(name + ".glsl"), After: []string{"plane.glsl"}},
	}
}

// pointMinimum is a Minimum of a two-dimensional function at (x, y).
func pointMinimum(x, y, f float64) func([]float64) (float64, bool) {
	return func(v []float64) (float64, bool) {
		v[0], v[1] = x, y
		return f, true
	}
}

// Terms writes f, owned by index 0, when lo is 0.
func (p plane) Terms(t, x []float64, lo, hi int) int {
	if lo > 0 {
		return 0
	}
	t[0], _, _ = p(x[0], x[1])
	return 1
}

// Grad writes ∂f/∂x and ∂f/∂y where lo..hi-1 holds them.
func (p plane) Grad(g, x []float64, lo, hi int) {
	_, gx, gy := p(x[0], x[1])
	for i := lo; i < hi; i++ {
		if i == 0 {
			g[0] = gx
		} else {
			g[i-lo] = gy
		}
	}
}
