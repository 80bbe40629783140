package gdgpu

import "math"

// levyProblem is Levy's function: separable in w_i = 1 + (x_i-1)/4, with
// its own first and last terms.
func levyProblem() Problem {
	return Problem{
		Name:       "levy",
		Summary:    "Levy, w_i = 1 + (x_i-1)/4: sin^2(pi w_1) + sum_{i<N} (w_i-1)^2 (1 + 10 sin^2(pi w_i + 1)) + (w_N-1)^2 (1 + sin^2(2 pi w_N)); minimum 0 at all ones",
		Start:      "x_i = -5",
		DefaultDim: 1 << 20,
		MinDim:     1,
		Init:       constStart(-5),
		Box:        10,
		Minimum:    constMinimum(1, 0),
		CPU:        separableCPU(levyAt),
		GPU:        GPUObjective{Source: shaderText("levy.glsl"), Before: []string{"fp64math.glsl"}},
	}
}

// levyAt returns Levy's term i of n and ∂f/∂x_i at x = x_i, with
// w = 1 + (x-1)/4 and ∂w/∂x = 1/4.
func levyAt(i, n int, x float64) (f, g float64) {
	w := 1 + float64((x-1)*0.25)
	d := w - 1
	d2 := d * d
	var gw float64
	if i == 0 { // sin²(πw_1)
		s, c := math.Sin(math.Pi*w), math.Cos(math.Pi*w)
		f = s * s
		gw = float64(float64(2*math.Pi*s) * c)
	}
	if i < n-1 { // (w-1)²(1 + 10 sin²(πw+1))
		a := float64(math.Pi*w) + 1
		s, c := math.Sin(a), math.Cos(a)
		q := 1 + float64(float64(10*s)*s)
		f += float64(d2 * q)
		gw += float64(float64(2*d)*q) + float64(float64(float64(20*math.Pi*d2)*s)*c)
	} else { // (w_N-1)²(1 + sin²(2πw_N))
		a := 2 * math.Pi * w
		s, c := math.Sin(a), math.Cos(a)
		q := 1 + float64(s*s)
		f += float64(d2 * q)
		gw += float64(float64(2*d)*q) + float64(float64(float64(4*math.Pi*d2)*s)*c)
	}
	return f, 0.25 * gw
}
