package gdgpu

// threeHumpCamelProblem is a two-dimensional test function (docs/problems.md).
func threeHumpCamelProblem() Problem {
	p := planeProblem("three-hump-camel", "2x^2 - 1.05x^4 + x^6/6 + xy + y^2; minimum 0 at (0, 0), local minima at about (1.7476, -0.8738) and (-1.7476, 0.8738)", "(2, 2)", 2, 2, 5, func(x, y float64) (f, gx, gy float64) {
		x2 := float64(x * x) // rounded: no FMA with the sums below
		x4 := float64(x2 * x2)
		f = float64(2*x2) - float64(1.05*x4) + float64(x4*x2)/6 + float64(x*y) + float64(y*y)
		gx = float64(4*x) - float64(float64(4.2*x2)*x) + float64(x4*x) + y
		gy = x + float64(2*y)
		return f, gx, gy
	})
	p.Minimum = pointMinimum(0, 0, 0)
	return p
}
