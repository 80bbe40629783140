package gdgpu

// boothProblem is a two-dimensional test function (docs/problems.md).
func boothProblem() Problem {
	p := planeProblem("booth", "(x + 2y - 7)^2 + (2x + y - 5)^2; minimum 0 at (1, 3)", "(0, 0)", 0, 0, 10, func(x, y float64) (f, gx, gy float64) {
		p := x + float64(2*y) - 7
		q := float64(2*x) + y - 5
		f = float64(p*p) + float64(q*q)
		gx = float64(2*p) + float64(4*q)
		gy = float64(4*p) + float64(2*q)
		return f, gx, gy
	})
	p.Minimum = pointMinimum(1, 3, 0)
	return p
}
