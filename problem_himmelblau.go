package gdgpu

// himmelblauProblem is a two-dimensional test function (docs/problems.md).
func himmelblauProblem() Problem {
	p := planeProblem("himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2; minimum 0 at (3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)", "(0, 0)", 0, 0, 5, func(x, y float64) (f, gx, gy float64) {
		p := float64(x*x) + y - 11
		q := x + float64(y*y) - 7
		f = float64(p*p) + float64(q*q)
		gx = float64(float64(4*x)*p) + float64(2*q)
		gy = float64(2*p) + float64(float64(4*y)*q)
		return f, gx, gy
	})
	p.Minimum = pointMinimum(3, 2, 0)
	return p
}
