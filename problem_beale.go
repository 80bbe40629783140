package gdgpu

// bealeProblem is a two-dimensional test function (docs/problems.md).
func bealeProblem() Problem {
	p := planeProblem("beale", "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; minimum 0 at (3, 0.5)", "(1, 1) (Moré, Garbow and Hillstrom 1981, problem 5)", 1, 1, 4.5, func(x, y float64) (f, gx, gy float64) {
		// rounded: no FMA with the sums below
		y2 := float64(y * y)
		y3 := float64(y2 * y)
		xy, xy2, xy3 := float64(x*y), float64(x*y2), float64(x*y3)
		a := 1.5 - x + xy
		b := 2.25 - x + xy2
		c := 2.625 - x + xy3
		f = float64(a*a) + float64(b*b) + float64(c*c)
		gx = float64(float64(2*a)*(y-1)) + float64(float64(2*b)*(y2-1)) + float64(float64(2*c)*(y3-1))
		gy = float64(float64(2*a)*x) + float64(float64(4*b)*xy) + float64(float64(6*c)*xy2)
		return f, gx, gy
	})
	p.Minimum = pointMinimum(3, 0.5, 0)
	return p
}
