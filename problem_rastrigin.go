package gdgpu

import "math"

// rastriginProblem is Rastrigin's function, separable, with a local
// minimum near every integer point.
func rastriginProblem() Problem {
	return Problem{
		Name:       "rastrigin",
		Summary:    "f = 10N + sum x_i^2 - 10 cos(2 pi x_i); minimum 0 at 0, a local minimum near every integer point",
		Start:      "x_i = 2.5",
		DefaultDim: 1 << 20,
		MinDim:     1,
		Init:       constStart(2.5),
		Box:        5.12,
		Minimum:    constMinimum(0, 0),
		CPU: separableCPU(func(_, _ int, x float64) (f, g float64) {
			// f_i = x² - 10 cos(2πx) + 10, g_i = 2x + 20π sin(2πx)
			a := 2 * math.Pi * x
			f = float64(x*x) - float64(10*math.Cos(a)) + 10
			g = float64(2*x) + float64(20*math.Pi*math.Sin(a))
			return f, g
		}),
		GPU: GPUObjective{Source: shaderText("rastrigin.glsl"), Before: []string{"fp64math.glsl"}},
	}
}
