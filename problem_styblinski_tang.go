package gdgpu

// Styblinski-Tang's minimiser per coordinate and minimum per coordinate.
const (
	styblinskiTangMin      = -2.903534027771177
	styblinskiTangMinValue = -39.16616570377141
)

// styblinskiTangProblem is the Styblinski-Tang function, separable.
func styblinskiTangProblem() Problem {
	return Problem{
		Name:       "styblinski-tang",
		Summary:    "f = 1/2 sum x_i^4 - 16 x_i^2 + 5 x_i; minimum -39.16616570377141 N at x_i = -2.903534027771177",
		Start:      "x_i = 0",
		DefaultDim: 1 << 20,
		MinDim:     1,
		Init:       constStart(0),
		Box:        5,
		Minimum:    constMinimum(styblinskiTangMin, styblinskiTangMinValue),
		CPU: separableCPU(func(_, _ int, x float64) (f, g float64) {
			// f_i = (x⁴ - 16x² + 5x)/2, g_i = 2x³ - 16x + 5/2
			x2 := float64(x * x) // rounded: 2*x2 is x2+x2, which would fuse
			f = 0.5 * (float64(x2*x2) - float64(16*x2) + float64(5*x))
			g = float64(float64(2*x2)*x) - float64(16*x) + 2.5
			return f, g
		}),
		GPU: GPUObjective{Source: shaderText("styblinski-tang.glsl")},
	}
}
