package gdgpu

// goldsteinPriceProblem is a two-dimensional test function (docs/problems.md).
func goldsteinPriceProblem() Problem {
	p := planeProblem("goldstein-price", "[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)] [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]; minimum 3 at (0, -1)", "(0, 0)", 0, 0, 2, func(x, y float64) (f, gx, gy float64) {
		// f = A·B, A = 1 + s²P, B = 30 + t²Q with s = x+y+1, t = 2x-3y,
		// P = 19 - 14x + 3x² - 14y + 6xy + 3y², Q = 18 - 32x + 12x² + 48y - 36xy + 27y².
		x2, y2, xy := x*x, y*y, x*y
		s := x + y + 1
		t := float64(2*x) - float64(3*y)
		s2, t2 := s*s, t*t
		p := 19 - float64(14*x) + float64(3*x2) - float64(14*y) + float64(6*xy) + float64(3*y2)
		q := 18 - float64(32*x) + float64(12*x2) + float64(48*y) - float64(36*xy) + float64(27*y2)
		a := 1 + float64(s2*p)
		b := 30 + float64(t2*q)
		dp := -14 + float64(6*x) + float64(6*y) // ∂P/∂x = ∂P/∂y
		da := float64(float64(2*s)*p) + float64(s2*dp)
		dbx := float64(float64(4*t)*q) + float64(t2*(-32+float64(24*x)-float64(36*y)))
		dby := float64(float64(-6*t)*q) + float64(t2*(48-float64(36*x)+float64(54*y)))
		f = a * b
		gx = float64(da*b) + float64(a*dbx)
		gy = float64(da*b) + float64(a*dby)
		return f, gx, gy
	})
	p.Minimum = pointMinimum(0, -1, 3)
	return p
}
