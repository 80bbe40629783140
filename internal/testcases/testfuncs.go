package testcases

import "math"

// KnownValue is a test function's value and gradient at a point, worked
// out by hand from its definition (docs/problems.md), or a known minimum.
// Both backends' tests check every row.
type KnownValue struct {
	Name    string
	Problem string
	X       []float64
	F       float64
	G       []float64
	// Tol bounds |got - want| / max(1, |want|) in float64 (for F, each
	// G_i and |G|); Tol32 in float32 on the GPU, where x and every
	// intermediate round to float32 (u = 6e-8): each row's reason is given
	// with it.
	Tol, Tol32 float64
}

// Himmelblau's and the six-hump camel's minimizers, to the last digit
// Newton's method in float64 gives.
var (
	himmelblauMinima = [][]float64{
		{3, 2},
		{-2.805118086952745, 3.131312518250573},
		{-3.779310253377747, -3.283185991286169},
		{3.5844283403304917, -1.8481265269644034},
	}
	sixHumpMin = []float64{0.08984201310031807, -0.7126564030207396}
)

// StyblinskiTangMin is the minimizer of each coordinate of Styblinski-Tang
// and StyblinskiTangMinValue the minimum per coordinate.
const (
	StyblinskiTangMin      = -2.903534027771177
	StyblinskiTangMinValue = -39.16616570377141
)

// KnownValues lists the rows. Float32 tolerances: 1e-6 where the inputs
// are small integers or halves (exact in float32) and the arithmetic is
// polynomial; 1e-4 where float32 sin and cos see an argument 2πx rounded to
// float32 (an absolute error about |2πx|·2⁻²⁴ ≈ 1e-6 at x = 2, which the 20π
// of Rastrigin's gradient turns into 5e-5); 1e-3 at minimizers that are
// not exact in float32: rounding x moves it by about |x|·2⁻²⁴, which a
// Hessian up to ~100 turns into a gradient of ~1e-4.
func KnownValues() []KnownValue {
	c1, s1 := math.Cos(1), math.Sin(1)
	ackG := 4 * math.Exp(-0.2) / 4
	levyG0 := (float64(2*(-1.5)*(1+float64(10*c1*c1))) + float64(20*math.Pi*2.25*(-c1)*s1)) / 4 // rounded: no FMA
	kv := []KnownValue{
		{"rastrigin/zeros", "rastrigin", []float64{0, 0, 0, 0, 0}, 0, []float64{0, 0, 0, 0, 0}, 0, 1e-6},
		// (0.25 + 10 + 10) + 1 + 4 (cos 2πk = 1, cos π = -1); g = 2x (sin 2πx = 0).
		{"rastrigin/halves", "rastrigin", []float64{0.5, 1, -2}, 25.25, []float64{1, 2, -4}, 1e-13, 1e-4},
		{"styblinski-tang/minimum", "styblinski-tang", []float64{StyblinskiTangMin, StyblinskiTangMin, StyblinskiTangMin},
			3 * StyblinskiTangMinValue, []float64{0, 0, 0}, 1e-13, 1e-5},
		// (0 - 0 + 0)/2, (1 - 16 + 5)/2, (16 - 64 + 10)/2; g = 2x³ - 16x + 2.5.
		{"styblinski-tang/integers", "styblinski-tang", []float64{0, 1, 2}, -24, []float64{2.5, -11.5, -13.5}, 0, 1e-6},
		// sin²(π) and sin(2π) are 0 up to the rounding of π.
		{"levy/ones", "levy", []float64{1, 1, 1, 1}, 0, []float64{0, 0, 0, 0}, 1e-15, 1e-6},
		// w = -1/2: sin²(-π/2) = 1; (w-1)² = 9/4 with sin(1 - π/2) = -cos 1,
		// cos(1 - π/2) = sin 1; the last term 9/4 (1 + sin²(-π)); dw/dx = 1/4.
		{"levy/N=2", "levy", []float64{-5, -5}, 1 + float64(2.25*(1+float64(10*c1*c1))) + 2.25, []float64{levyG0, -0.75}, 1e-14, 1e-5},
		// N = 1: the first and the last term, of the same w.
		{"levy/N=1", "levy", []float64{-5}, 3.25, []float64{-0.75}, 1e-14, 1e-5},
		// Ackley at 0: m1 = 0, m2 = 1, f = (20 - 20) + (e - e) = 0; the
		// gradient's cone term is taken as 0 at r = 0 (the kink).
		{"ackley/zeros", "ackley", []float64{0, 0, 0}, 0, []float64{0, 0, 0}, 0, 1e-6},
		// x_i = 1, N = 4: m1 = 1, m2 = cos 2π = 1: f = 20 - 20e^(-0.2),
		// g_i = ab e^(-b)/N + (2π e/N) sin 2π (sin 2π is 0 up to the rounding
		// of 2π; float32 sees 2π rounded, |sin| ≈ 2e-7, times 2πe/N ≈ 4).
		{"ackley/ones", "ackley", []float64{1, 1, 1, 1}, 20 - float64(20*math.Exp(-0.2)), []float64{ackG, ackG, ackG, ackG}, 1e-14, 1e-5},
		{"griewank/zeros", "griewank", []float64{0, 0, 0}, 0, []float64{0, 0, 0}, 0, 1e-6},
		// (π, 0): u = (π, 0), P = cos π · cos 0 = -1: f = 1 + π²/4000 + 1,
		// g = (π/2000 + sin(π)·1, 0 + sin(0)/√2·(-1)) (sin π = 1.2e-16;
		// float32 sees π rounded: |sin| ≈ 9e-8).
		{"griewank/(pi,0)", "griewank", []float64{math.Pi, 0}, 2 + math.Pi*math.Pi/4000, []float64{math.Pi / 2000, 0}, 1e-15, 1e-6},
		{"beale/minimum", "beale", []float64{3, 0.5}, 0, []float64{0, 0}, 0, 1e-6},
		// a, b, c = 1.5, 2.25, 2.625: f = a² + b² + c², g = (0, 2a + 4b + 6c).
		{"beale/ones", "beale", []float64{1, 1}, 14.203125, []float64{0, 27.75}, 0, 1e-6},
		{"booth/minimum", "booth", []float64{1, 3}, 0, []float64{0, 0}, 0, 1e-6},
		// p, q = -7, -5: f = 49 + 25, g = (2p + 4q, 4p + 2q).
		{"booth/origin", "booth", []float64{0, 0}, 74, []float64{-34, -38}, 0, 1e-6},
		{"matyas/minimum", "matyas", []float64{0, 0}, 0, []float64{0, 0}, 0, 1e-6},
		{"matyas/ones", "matyas", []float64{1, 1}, 0.04, []float64{0.04, 0.04}, 1e-15, 1e-6},
		{"three-hump-camel/minimum", "three-hump-camel", []float64{0, 0}, 0, []float64{0, 0}, 0, 1e-6},
		// 2 - 1.05 + 1/6 + 1 + 1; g = (4 - 4.2 + 1 + 1, 1 + 2).
		{"three-hump-camel/ones", "three-hump-camel", []float64{1, 1}, 3.1166666666666667, []float64{1.8, 3}, 1e-15, 1e-6},
		{"six-hump-camel/minimum", "six-hump-camel", sixHumpMin, -1.0316284534898774, []float64{0, 0}, 1e-13, 1e-3},
		{"six-hump-camel/minimum2", "six-hump-camel", []float64{-sixHumpMin[0], -sixHumpMin[1]}, -1.0316284534898774, []float64{0, 0}, 1e-13, 1e-3},
		// (4 - 2.1 + 1/3) + 1 + 0; g = (8 - 8.4 + 2 + 1, 1 - 8 + 16).
		{"six-hump-camel/ones", "six-hump-camel", []float64{1, 1}, 3.2333333333333334, []float64{2.6, 9}, 1e-15, 1e-6},
		// s = 0, t = 3, Q = -3: A = 1, B = 3, every derivative term 0.
		{"goldstein-price/minimum", "goldstein-price", []float64{0, -1}, 3, []float64{0, 0}, 0, 1e-6},
		// A = 1 + 19, B = 30; dA = 2·19 - 14 = 24, dB/dx = dB/dy = 0 (t = 0).
		{"goldstein-price/origin", "goldstein-price", []float64{0, 0}, 600, []float64{720, 720}, 0, 1e-6},
		// Stationary, not a minimum: f decreases along y.
		{"saddle/origin", "saddle", []float64{0, 0}, 0, []float64{0, 0}, 0, 1e-6},
		{"saddle/(1,2)", "saddle", []float64{1, 2}, -3, []float64{2, -4}, 0, 1e-6},
	}
	for i, m := range himmelblauMinima {
		tol, tol32 := 1e-12, 1e-3
		if i == 0 {
			tol, tol32 = 0, 1e-6 // (3, 2) is exact
		}
		kv = append(kv, KnownValue{"himmelblau/minimum" + string(rune('1'+i)), "himmelblau", m, 0, []float64{0, 0}, tol, tol32})
	}
	// p, q = -11, -7: f = 121 + 49, g = (2q, 2p).
	return append(kv, KnownValue{"himmelblau/origin", "himmelblau", []float64{0, 0}, 170, []float64{-14, -22}, 0, 1e-6})
}
