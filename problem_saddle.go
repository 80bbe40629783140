package gdgpu

// saddleProblem is a two-dimensional test function (docs/problems.md).
func saddleProblem() Problem {
	p := planeProblem("saddle", "x^2 - y^2: unbounded below, no minimum (a descent leaves along y; once f overflows the run ends Diverged)", "(1, 0.1)", 1, 0.1, 10, func(x, y float64) (f, gx, gy float64) {
		f = float64(x*x) - float64(y*y)
		gx = 2 * x
		gy = -2 * y
		return f, gx, gy
	})
	return p
}
