package gdgpu

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// Ackley's constants: a, b, c = 2π.
const (
	ackleyA = 20
	ackleyB = 0.2
	ackleyC = 2 * math.Pi
)

// ackleyProblem is Ackley's function, whose terms and gradient need two
// means of the whole point first (a pre-pass on both backends).
func ackleyProblem() Problem {
	return Problem{
		Name:       "ackley",
		Summary:    "Ackley (a = 20, b = 0.2, c = 2 pi), f = -a exp(-b sqrt(mean x_i^2)) - exp(mean cos(c x_i)) + a + e; minimum 0 at 0, a local minimum near every integer point",
		Start:      "x_i = 1.5",
		DefaultDim: 1 << 20,
		MinDim:     1,
		Init:       constStart(1.5),
		Box:        32.768,
		Minimum:    constMinimum(0, 0),
		AwayFromKinks: func(x []float64) {
			for i, v := range x {
				if math.Abs(v) < 1e-3 { // the cone's kink at 0 (|x| > 0 suffices, this is margin)
					x[i] = math.Copysign(1e-3, v)
				}
			}
		},
		CPU: func(j *Job) (CPUObjective, error) { return &ackleyCPU{n: j.Dim}, nil },
		GPU: GPUObjective{Source: shaderText("ackley.glsl"), Before: []string{"fp64math.glsl"}, Prepass: true},
	}
}

// ackleyCPU is Ackley's float64 evaluator. Prepare computes, as the GPU's
// pre-pass (shaders/prepass.glsl and ackley.glsl's prepassFinish) does,
// s1 = Σ x_i², s2 = Σ cos(c x_i) (pairwise, the samples' tree), then
// glob = f, k1 = a b e^(-b r)/(r N) (0 at r = 0), k2 = c e^(m2)/N with
// r = sqrt(s1/N), m2 = s2/N; ∂f/∂x_i = k1 x_i + k2 sin(c x_i).
type ackleyCPU struct {
	n    int
	glob [3]float64
}

// Prepare computes the global quantities at x. It allocates nothing.
func (o *ackleyCPU) Prepare(x []float64) {
	var t, u [kern.Leaf]float64
	var s1, s2 kern.Pairwise
	for lo := 0; lo < o.n; lo += kern.Leaf {
		xs := x[lo:min(lo+kern.Leaf, o.n)]
		for j, xi := range xs {
			t[j] = xi * xi
			u[j] = math.Cos(ackleyC * xi)
		}
		s1.Push(kern.LeafSum(t[:len(xs)]))
		s2.Push(kern.LeafSum(u[:len(xs)]))
	}
	nn := float64(o.n)
	r := math.Sqrt(s1.Sum() / nn)
	e1 := kern.Exp(-ackleyB * r)
	e2 := kern.Exp(s2.Sum() / nn)
	o.glob[0] = (ackleyA - float64(ackleyA*e1)) + (math.E - e2)
	o.glob[1] = 0
	if r > 0 {
		o.glob[1] = float64(ackleyA*ackleyB*e1) / float64(r*nn)
	}
	o.glob[2] = float64(ackleyC*e2) / nn
}

// Terms: index 0 owns the whole f.
func (o *ackleyCPU) Terms(t, _ []float64, lo, _ int) int {
	if lo > 0 {
		return 0
	}
	t[0] = o.glob[0]
	return 1
}

// Grad writes k1 x_i + k2 sin(c x_i).
func (o *ackleyCPU) Grad(g, x []float64, lo, hi int) {
	xs := x[lo:hi]
	g = g[:len(xs)]
	k1, k2 := o.glob[1], o.glob[2]
	for j, xi := range xs {
		g[j] = float64(k1*xi) + float64(k2*math.Sin(ackleyC*xi))
	}
}
