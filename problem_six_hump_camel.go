package gdgpu

// sixHumpCamelProblem is a two-dimensional test function (docs/problems.md).
func sixHumpCamelProblem() Problem {
	p := planeProblem("six-hump-camel", "(4 - 2.1x^2 + x^4/3) x^2 + xy + (4y^2 - 4) y^2; minimum -1.031628453489877 at (0.0898420, -0.7126564) and (-0.0898420, 0.7126564)", "(1, 1)", 1, 1, 3, func(x, y float64) (f, gx, gy float64) {
		x2, y2 := float64(x*x), float64(y*y) // rounded: no FMA with the sums below
		x4 := float64(x2 * x2)
		f = float64((4-float64(2.1*x2)+x4/3)*x2) + float64(x*y) + float64((float64(4*y2)-4)*y2)
		gx = float64(8*x) - float64(float64(8.4*x2)*x) + float64(float64(2*x4)*x) + y
		gy = x - float64(8*y) + float64(float64(16*y2)*y)
		return f, gx, gy
	})
	p.Minimum = pointMinimum(0.08984201310031807, -0.7126564030207396, -1.031628453489877)
	return p
}
