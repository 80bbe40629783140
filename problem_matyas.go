package gdgpu

// matyasProblem is a two-dimensional test function (docs/problems.md).
func matyasProblem() Problem {
	p := planeProblem("matyas", "0.26 (x^2 + y^2) - 0.48 xy; minimum 0 at (0, 0)", "(3, 1)", 3, 1, 10, func(x, y float64) (f, gx, gy float64) {
		f = float64(0.26*(float64(x*x)+float64(y*y))) - float64(float64(0.48*x)*y)
		gx = float64(0.52*x) - float64(0.48*y)
		gy = float64(0.52*y) - float64(0.48*x)
		return f, gx, gy
	})
	p.Minimum = pointMinimum(0, 0, 0)
	return p
}
