package kern

import "math"

// Erf is Go's math.Erf (math/erf.go: FreeBSD's s_erf.c, Sun's fdlibm)
// calling Exp instead of math.Exp, with each product that feeds a sum
// rounded on its own, so that it gives the same bits on every amd64 CPU
// (math.Erf calls math.Exp for 1.25 <= |x| < 6). Where the CPU has FMA it
// is math's bits (TestMathFnBits). The mlp's gelu calls it.
func Erf(x float64) float64 {
	const (
		veryTiny = 2.848094538889218e-306 // 0x0080000000000000
		small    = 1.0 / (1 << 28)        // 2**-28
	)
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case math.IsInf(x, 1):
		return 1
	case math.IsInf(x, -1):
		return -1
	}
	sign := false
	if x < 0 {
		x = -x
		sign = true
	}
	if x < 0.84375 {
		var temp float64
		if x < small {
			if x < veryTiny {
				temp = 0.125 * (float64(8.0*x) + float64(eefx8*x)) // avoid underflow
			} else {
				temp = x + float64(eefx*x)
			}
		} else {
			z := float64(x * x)
			r := horner(z, epp0, epp1, epp2, epp3, epp4)
			s := horner(z, 1, eqq1, eqq2, eqq3, eqq4, eqq5)
			y := r / s
			temp = x + float64(x*y)
		}
		if sign {
			return -temp
		}
		return temp
	}
	if x < 1.25 {
		s := x - 1
		p := horner(s, epa0, epa1, epa2, epa3, epa4, epa5, epa6)
		q := horner(s, 1, eqa1, eqa2, eqa3, eqa4, eqa5, eqa6)
		if sign {
			return -eerx - p/q
		}
		return eerx + p/q
	}
	if x >= 6 {
		if sign {
			return -1
		}
		return 1
	}
	s := 1 / float64(x*x)
	var r, t float64
	if x < 1/0.35 {
		r = horner(s, era0, era1, era2, era3, era4, era5, era6, era7)
		t = horner(s, 1, esa1, esa2, esa3, esa4, esa5, esa6, esa7, esa8)
	} else {
		r = horner(s, erb0, erb1, erb2, erb3, erb4, erb5, erb6)
		t = horner(s, 1, esb1, esb2, esb3, esb4, esb5, esb6, esb7)
	}
	z := math.Float64frombits(math.Float64bits(x) & 0xffffffff00000000) // pseudo-single (20-bit) precision x
	e := Exp(float64(-z*z)-0.5625) * Exp(float64((z-x)*(z+x))+r/t)
	if sign {
		return e/x - 1
	}
	return 1 - e/x
}

// horner is c[0] + x*(c[1] + x*(c[2] + ... + x*c[n])), innermost first,
// each product rounded before its sum, as math/erf.go's nested forms
// compute where gc does not fuse.
func horner(x float64, c ...float64) float64 {
	acc := c[len(c)-1]
	for i := len(c) - 2; i >= 0; i-- {
		acc = c[i] + float64(x*acc)
	}
	return acc
}

// math/erf.go's coefficients.
const (
	eerx  = 8.45062911510467529297e-01
	eefx  = 1.28379167095512586316e-01
	eefx8 = 1.02703333676410069053e+00
	epp0  = 1.28379167095512558561e-01
	epp1  = -3.25042107247001499370e-01
	epp2  = -2.84817495755985104766e-02
	epp3  = -5.77027029648944159157e-03
	epp4  = -2.37630166566501626084e-05
	eqq1  = 3.97917223959155352819e-01
	eqq2  = 6.50222499887672944485e-02
	eqq3  = 5.08130628187576562776e-03
	eqq4  = 1.32494738004321644526e-04
	eqq5  = -3.96022827877536812320e-06
	epa0  = -2.36211856075265944077e-03
	epa1  = 4.14856118683748331666e-01
	epa2  = -3.72207876035701323847e-01
	epa3  = 3.18346619901161753674e-01
	epa4  = -1.10894694282396677476e-01
	epa5  = 3.54783043256182359371e-02
	epa6  = -2.16637559486879084300e-03
	eqa1  = 1.06420880400844228286e-01
	eqa2  = 5.40397917702171048937e-01
	eqa3  = 7.18286544141962662868e-02
	eqa4  = 1.26171219808761642112e-01
	eqa5  = 1.36370839120290507362e-02
	eqa6  = 1.19844998467991074170e-02
	era0  = -9.86494403484714822705e-03
	era1  = -6.93858572707181764372e-01
	era2  = -1.05586262253232909814e+01
	era3  = -6.23753324503260060396e+01
	era4  = -1.62396669462573470355e+02
	era5  = -1.84605092906711035994e+02
	era6  = -8.12874355063065934246e+01
	era7  = -9.81432934416914548592e+00
	esa1  = 1.96512716674392571292e+01
	esa2  = 1.37657754143519042600e+02
	esa3  = 4.34565877475229228821e+02
	esa4  = 6.45387271733267880336e+02
	esa5  = 4.29008140027567833386e+02
	esa6  = 1.08635005541779435134e+02
	esa7  = 6.57024977031928170135e+00
	esa8  = -6.04244152148580987438e-02
	erb0  = -9.86494292470009928597e-03
	erb1  = -7.99283237680523006574e-01
	erb2  = -1.77579549177547519889e+01
	erb3  = -1.60636384855821916062e+02
	erb4  = -6.37566443368389627722e+02
	erb5  = -1.02509513161107724954e+03
	erb6  = -4.83519191608651397019e+02
	esb1  = 3.03380607434824582924e+01
	esb2  = 3.25792512996573918826e+02
	esb3  = 1.53672958608443695994e+03
	esb4  = 3.19985821950859553908e+03
	esb5  = 2.55305040643316442583e+03
	esb6  = 4.74528541206955367215e+02
	esb7  = -2.24409524465858183362e+01
)
