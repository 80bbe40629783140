package cpu

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/kern"
)

// u is the unit roundoff of float64.
const u = 0x1p-53

// problemJob returns a valid job for a problem, dimension and cond (the
// dimension capped at the problem's MaxDim).
func problemJob(problem string, n int, cond float64) *gdgpu.Job {
	j := gdgpu.NewJob()
	if info, _ := gdgpu.LookupProblem(problem); info.MaxDim > 0 {
		n = min(n, info.MaxDim) // the two-dimensional functions
	}
	j.Problem, j.Dim, j.Cond = problem, n, cond
	return &j
}

// closeRel reports whether got is within rel of want, relative to |want|
// (absolutely when want is 0).
func closeRel(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), math.SmallestNonzeroFloat64)
}

func TestKnownValues(t *testing.T) {
	// Each want is worked out by hand from the Problem's formula. Decimal
	// inputs like 1.2 are not exact in binary, so values are compared to a
	// few ulps; zeros and integers must be exact.
	for _, tc := range []struct {
		name    string
		problem string
		cond    float64
		x       []float64
		f       float64
		g       []float64
		rel     float64
	}{
		// 100(1-1.44)² + (1+1.2)² = 19.36 + 4.84; gradient
		// -400(-1.2)(1-1.44) - 2(2.2) = -215.6 and 200(1-1.44) = -88.
		{"rosenbrock/N=2/classic", "rosenbrock", 1, []float64{-1.2, 1}, 24.2, []float64{-215.6, -88}, 1e-14},
		{"rosenbrock/N=2/ones", "rosenbrock", 1, []float64{1, 1}, 0, []float64{0, 0}, 0},
		{"rosenbrock/N=7/ones", "rosenbrock", 1, []float64{1, 1, 1, 1, 1, 1, 1}, 0, make([]float64, 7), 0},
		// Terms 100(2-0)² + 1 = 401 and 100(3-4)² + 1 = 101; gradient
		// der0 = -400·0·2 - 2 = -2, der1 = 200·2 - 400·(3-4)·2 - 2(1-2) = 1202,
		// der2 = 200(3-4) = -200.
		{"rosenbrock/N=3/integers", "rosenbrock", 1, []float64{0, 2, 3}, 502, []float64{-2, 1202, -200}, 0},
		// c = 1: f = 9/2, g = 3.
		{"quadratic/N=1", "quadratic", 1, []float64{3}, 4.5, []float64{3}, 0},
		// N = 1 ignores cond (QuadCoeff is 1 for a single coefficient).
		{"quadratic/N=1/cond", "quadratic", 100, []float64{-2}, 2, []float64{-2}, 0},
		// c = 4^(i/2) = 1, 2, 4: f = (1 + 2·4 + 4·0.25)/2 = 5, g = (1, -4, 2).
		{"quadratic/N=3/cond=4", "quadratic", 4, []float64{1, -2, 0.5}, 5, []float64{1, -4, 2}, 0},
		{"quadratic/N=4/zero", "quadratic", 10, make([]float64, 4), 0, make([]float64, 4), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := problemJob(tc.problem, len(tc.x), tc.cond)
			if f := Loss(job, tc.x); !closeRel(f, tc.f, tc.rel) {
				t.Errorf("Loss = %.17g, want %.17g", f, tc.f)
			}
			g := Grad(job, nil, tc.x)
			for i := range g {
				if !closeRel(g[i], tc.g[i], tc.rel) {
					t.Errorf("Grad[%d] = %.17g, want %.17g", i, g[i], tc.g[i])
				}
			}
		})
	}
}

// termScale bounds Σ of the magnitudes met while evaluating f's terms:
// quadratic c_i x_i²/2; Rosenbrock 100(|x_{i+1}| + x_i²)² + (1 + |x_i|)².
// Each term is evaluated with error at most about 7u times its entry.
func termScale(job *gdgpu.Job, x []float64) float64 {
	s := 0.0
	switch job.Problem {
	case "quadratic":
		for i, xi := range x {
			s += 0.5 * gdgpu.QuadCoeff(i, len(x), job.Cond) * xi * xi
		}
	case "rosenbrock":
		for i := 0; i+1 < len(x); i++ {
			a := math.Abs(x[i+1]) + x[i]*x[i]
			b := 1 + math.Abs(x[i])
			s += 100*a*a + b*b
		}
	}
	return s
}

// derivBounds returns bounds on |∂²f/∂x_i²| and |∂³f/∂x_i³| for |x_i|
// up to xmax near x. Rosenbrock: from 100(x_{i+1} - x_i²)², 1200x_i² +
// 400|x_{i+1}| and 2400|x_i|; from (1 - x_i)², 2; from 100(x_i - x_{i-1}²)²,
// 200 and 0.
func derivBounds(job *gdgpu.Job, x []float64, i int, xmax float64) (d2, d3 float64) {
	if job.Problem == "quadratic" {
		return gdgpu.QuadCoeff(i, len(x), job.Cond), 0
	}
	if i > 0 {
		d2 += 200
	}
	if i+1 < len(x) {
		d2 += 1200*xmax*xmax + 400*math.Abs(x[i+1]) + 2
		d3 += 2400 * xmax
	}
	return d2, d3
}

func TestGradFiniteDifference(t *testing.T) {
	// Central differences D_i = (f(x+h₊e_i) - f(x-h₋e_i)) / (h₊+h₋), with
	// the steps as actually represented (x_i±h rounds). The error bound per
	// component is the sum of
	//   truncation  ((h₊+h₋)/2)²/6 · max|f'''|      (Taylor remainder)
	//   asymmetry   |h₊-h₋|/2 · max|f''|             (h₊ ≠ h₋ after rounding)
	//   rounding    2ε_f / (h₊+h₋), ε_f = (⌈log2 N⌉+2+7)·u·termScale
	//               (pairwise sum, plus each term's own evaluation error),
	// doubled for the second-order terms the first-order bounds leave out.
	// h = 2⁻¹⁷·max(1,|x_i|) ≈ u^(1/3) balances truncation and rounding.
	// A wrong coefficient or a missing term is off by O(|g|), far beyond.
	// The test functions have their own check, TestTestFuncGradFiniteDifference.
	for _, problem := range []string{"quadratic", "rosenbrock"} {
		for _, cond := range []float64{1, 1e3} {
			if problem != "quadratic" && cond != 1 {
				continue
			}
			for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 257} {
				info, _ := gdgpu.LookupProblem(problem)
				if n < info.MinDim {
					continue
				}
				t.Run(fmt.Sprintf("%s/cond=%g/N=%d", problem, cond, n), func(t *testing.T) {
					job := problemJob(problem, n, cond)
					for seed := uint64(1); seed <= 3; seed++ {
						checkFD(t, job, seed)
					}
				})
			}
		}
	}
}

func checkFD(t *testing.T, job *gdgpu.Job, seed uint64) {
	t.Helper()
	n := job.Dim
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	x := make([]float64, n)
	for i := range x {
		x[i] = 4*r.Float64() - 2
	}
	g := Grad(job, nil, x)
	eps := (math.Ceil(math.Log2(float64(n))) + 2 + 7) * u * termScale(job, x) * 1.01
	xp := append([]float64(nil), x...)
	worst := 0.0
	for i := range x {
		h := 0x1p-17 * math.Max(1, math.Abs(x[i]))
		xp[i] = x[i] + h
		fp := Loss(job, xp)
		hp := xp[i] - x[i]
		xp[i] = x[i] - h
		fm := Loss(job, xp)
		hm := x[i] - xp[i]
		xp[i] = x[i]
		d := (fp - fm) / (hp + hm)
		d2, d3 := derivBounds(job, x, i, math.Abs(x[i])+h)
		half := (hp + hm) / 2
		bound := 2 * (half*half/6*d3 + math.Abs(hp-hm)/2*d2 + 2*eps/(hp+hm))
		if err := math.Abs(d - g[i]); err > bound {
			t.Errorf("seed %d: ∂f/∂x_%d = %.17g, central difference %.17g: error %.3g > bound %.3g",
				seed, i, g[i], d, err, bound)
		} else {
			worst = max(worst, err/bound)
		}
	}
	// Cross-check against gonum's central-difference gradient. It divides
	// by the nominal 2h, not the represented step, so its bound adds that
	// step error, |g_i|·2u(|x_i|+h)/h, to the same reasoning with h = 1e-5.
	const h = 1e-5
	want := fd.Gradient(nil, func(x []float64) float64 { return Loss(job, x) }, x,
		&fd.Settings{Formula: fd.Central, Step: h})
	for i := range g {
		d2, d3 := derivBounds(job, x, i, math.Abs(x[i])+h)
		ux := u * (math.Abs(x[i]) + h)
		bound := 2 * (h*h/6*d3 + ux*d2 + math.Abs(g[i])*(2*ux/h+4*u) + eps/h)
		if err := math.Abs(want[i] - g[i]); err > bound {
			t.Errorf("seed %d: ∂f/∂x_%d = %.17g, gonum fd %.17g: error %.3g > bound %.3g",
				seed, i, g[i], want[i], err, bound)
		}
	}
	t.Logf("seed %d: worst error/bound %.3g", seed, worst)
}

func TestPairwiseSumBound(t *testing.T) {
	// Against the exact sum (big.Float is exact here: 2000 bits hold any
	// sum of these doubles), the error must stay within the documented
	// (⌈log2 N⌉+2)·u·Σ|t_i|. Mixed signs and magnitudes make cancellation.
	r := rand.New(rand.NewPCG(7, 11))
	for _, n := range []int{1, 2, 3, 255, 256, 257, 1000, 65536, 100003} {
		x := make([]float64, n)
		for i := range x {
			x[i] = (2*r.Float64() - 1) * math.Ldexp(1, r.IntN(40)-20)
		}
		exact := new(big.Float).SetPrec(2000)
		abs := 0.0
		for _, v := range x {
			exact.Add(exact, new(big.Float).SetFloat64(v))
			abs += math.Abs(v)
		}
		want, _ := exact.Float64()
		got := kern.PairwiseSum(x)
		bound := (math.Ceil(math.Log2(float64(n))) + 2) * u * abs
		if err := math.Abs(got - want); err > bound {
			t.Errorf("N=%d: pairwise sum error %.3g > bound %.3g", n, err, bound)
		}
	}
}

func TestPairwiseSumExactOnes(t *testing.T) {
	// Sums of ones are exact below 2^53, whatever the tree shape: a check
	// that no leaf or partial is dropped or counted twice.
	for _, n := range []int{0, 1, 255, 256, 257, 511, 512, 513, 256*7 + 3, 1<<16 + 1} {
		x := make([]float64, n)
		for i := range x {
			x[i] = 1
		}
		if got := kern.PairwiseSum(x); got != float64(n) {
			t.Errorf("N=%d: sum of ones = %v", n, got)
		}
	}
}

func TestLossAndGradPanics(t *testing.T) {
	job := problemJob("quadratic", 3, 1)
	for name, f := range map[string]func(){
		"Loss/short":  func() { Loss(job, []float64{1}) },
		"Grad/short":  func() { Grad(job, nil, []float64{1}) },
		"Grad/dst":    func() { Grad(job, make([]float64, 2), []float64{1, 2, 3}) },
		"Loss/nosuch": func() { Loss(&gdgpu.Job{Problem: "nosuch", Dim: 1}, []float64{1}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
