package cpu

import (
	"math"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu"
)

func TestAdamOperationOrder(t *testing.T) {
	// Pins the documented operation order bit for bit: three steps on one
	// Rosenbrock pair, written out here from ATen's scalar kernels with the
	// host scalars of gdgpu's Optimizer.Scalars. The float64 conversions keep
	// the compiler from fusing these expressions into FMAs, as in the code.
	for _, opt := range []gdgpu.Optimizer{
		adamOpt(1e-2, 0.9, 0.999, 1e-8, 0),   // lerp weight 0.1: m + w(g-m)
		adamOpt(1e-2, 0.3, 0.99, 1e-6, 0.05), // lerp weight 0.7: g - (g-m)(1-w)
	} {
		job := stepJob("rosenbrock", 2, 1, opt)
		b, err := New(job)
		if err != nil {
			t.Fatal(err)
		}
		x := []float64{-1.2, 1}
		b.Load(x)
		m, v := make([]float64, 2), make([]float64, 2)
		st := gdgpu.NewScalarState()
		for step := 1; step <= 3; step++ {
			sc := opt.Scalars(step, opt.LR, &st)
			g := Grad(job, nil, x)
			w := 1 - opt.Beta1
			for i := range x {
				gi := g[i]
				if opt.WeightDecay != 0 {
					gi = gi + float64(opt.WeightDecay*x[i])
				}
				if w < 0.5 {
					m[i] = m[i] + float64(w*(gi-m[i]))
				} else {
					m[i] = gi - float64((gi-m[i])*(1-w))
				}
				v[i] = float64(v[i]*opt.Beta2) + float64((1-opt.Beta2)*gi*gi)
				denom := math.Sqrt(v[i])/sc.BC2Sqrt + opt.Eps
				x[i] = x[i] + (-sc.StepSize*m[i])/denom
			}
			b.Step([]float64{opt.LR}, false)
		}
		got := params(t, b)
		gm, gv := b.StateVector("exp_avg"), b.StateVector("exp_avg_sq")
		if !slices.Equal(got, x) || !slices.Equal(gm, m) || !slices.Equal(gv, v) {
			t.Errorf("beta1 %v: x, m, v = %v, %v, %v; want %v, %v, %v", opt.Beta1, got, gm, gv, x, m, v)
		}
	}
}

// stepJob returns a job for the hand-computed step tests.
func stepJob(problem string, n int, cond float64, opt gdgpu.Optimizer) *gdgpu.Job {
	j := problemJob(problem, n, cond)
	j.Optimizer = opt
	return j
}

func sgdOpt(lr, wd float64) gdgpu.Optimizer {
	return gdgpu.Optimizer{Name: "sgd", LR: lr, WeightDecay: wd}
}

func adamOpt(lr, b1, b2, eps, wd float64) gdgpu.Optimizer {
	return gdgpu.Optimizer{Name: "adam", LR: lr, Beta1: b1, Beta2: b2, Eps: eps, WeightDecay: wd}
}

// textbookAdam runs Adam as Kingma & Ba write it, with torch's L2 weight
// decay: independent of the backend's code and its operation order, so
// agreement is to rounding, not bits. grad is the objective's gradient
// written out by hand for the test problem.
func textbookAdam(x []float64, steps int, o gdgpu.Optimizer, grad func(x []float64) []float64) (xs, m, v []float64) {
	x = append([]float64(nil), x...)
	m = make([]float64, len(x))
	v = make([]float64, len(x))
	for t := 1; t <= steps; t++ {
		g := grad(x)
		for i := range x {
			gi := g[i] + o.WeightDecay*x[i]
			m[i] = o.Beta1*m[i] + (1-o.Beta1)*gi
			v[i] = o.Beta2*v[i] + (1-o.Beta2)*gi*gi
			mhat := m[i] / (1 - math.Pow(o.Beta1, float64(t)))
			vhat := v[i] / (1 - math.Pow(o.Beta2, float64(t)))
			x[i] -= o.LR * mhat / (math.Sqrt(vhat) + o.Eps)
		}
	}
	return x, m, v
}

// rosen2Grad is the N=2 Rosenbrock gradient, written out by hand, each
// product rounded (no FMA) as the backend's: TestAdamState wants its bits.
func rosen2Grad(x []float64) []float64 {
	sq := float64(x[0] * x[0])
	return []float64{
		float64(-400*x[0]*(x[1]-sq)) - 2*(1-x[0]),
		200 * (x[1] - sq),
	}
}

func TestFirstTwoSteps(t *testing.T) {
	// want[k] is the point after k+1 steps. Decimal literals were worked out
	// by hand (exact rational arithmetic, rounded to 17+ digits); the rest is
	// textbook Adam. Both differ from the backend by rounding only, so the
	// comparison allows 1e-14 relative.
	quad := func(c ...float64) func(x []float64) []float64 {
		return func(x []float64) []float64 {
			g := make([]float64, len(x))
			for i := range x {
				g[i] = c[i] * x[i]
			}
			return g
		}
	}
	adamQuad := adamOpt(0.1, 0.9, 0.999, 1e-8, 0.5)
	adamRosen := adamOpt(1e-3, 0.9, 0.999, 1e-8, 0)
	adamRosenWD := adamOpt(1e-2, 0.8, 0.99, 1e-3, 0.1)
	tbQuad, _, _ := textbookAdam([]float64{2}, 2, adamQuad, quad(1))
	tbRosen, _, _ := textbookAdam([]float64{-1.2, 1}, 2, adamRosen, rosen2Grad)
	tbRosenWD, _, _ := textbookAdam([]float64{-1.2, 1}, 2, adamRosenWD, rosen2Grad)
	for _, tc := range []struct {
		name    string
		job     *gdgpu.Job
		x0      []float64
		want    [2][]float64
		wantRel float64
	}{
		{
			// c = (1, 4), g = (c + wd)x, x <- x(1 - lr(c + wd)):
			// 1·0.899 = 0.899, 0.899² = 0.808201;
			// -0.5·0.599 = -0.2995, -0.2995·0.599 = -0.1794005.
			name: "sgd/quadratic/N=2/cond=4/wd=0.01",
			job:  stepJob("quadratic", 2, 4, sgdOpt(0.1, 0.01)),
			x0:   []float64{1, -0.5},
			want: [2][]float64{{0.899, -0.2995}, {0.808201, -0.1794005}},
		},
		{
			// g(-1.2, 1) = (-215.6, -88); g(-0.9844, 1.088) =
			// (42.8715665664, 23.791328).
			name: "sgd/rosenbrock/N=2",
			job:  stepJob("rosenbrock", 2, 1, sgdOpt(1e-3, 0)),
			x0:   []float64{-1.2, 1},
			want: [2][]float64{{-0.9844, 1.088}, {-1.0272715665664, 1.064208672}},
		},
		{
			// Step 1: g = 3, m̂ = 3, v̂ = 9: x = 2 - 0.1·3/(3 + 1e-8).
			name: "adam/quadratic/N=1/wd=0.5",
			job:  stepJob("quadratic", 1, 1, adamQuad),
			x0:   []float64{2},
			want: [2][]float64{{1.9000000003333333322}, tbQuad},
		},
		{
			// Step 1: x = x0 - lr·g/(|g| + eps).
			name: "adam/rosenbrock/N=2",
			job:  stepJob("rosenbrock", 2, 1, adamRosen),
			x0:   []float64{-1.2, 1},
			want: [2][]float64{{-1.1990000000000463822, 1.0009999999998863636}, tbRosen},
		},
		{
			// Step 1 with g + wd·x = (-215.6 - 0.12, -88 + 0.1), so
			// x = x0 - lr·g/(|g| + eps).
			name: "adam/rosenbrock/N=2/wd=0.1/betas=0.8,0.99/eps=1e-3",
			job:  stepJob("rosenbrock", 2, 1, adamRosenWD),
			x0:   []float64{-1.2, 1},
			want: [2][]float64{
				{-1.2 + 1e-2*(215.6+0.12)/(215.6+0.12+1e-3), 1 + 1e-2*(88-0.1)/(88-0.1+1e-3)},
				tbRosenWD,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.job)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Load(tc.x0); err != nil {
				t.Fatal(err)
			}
			x := make([]float64, len(tc.x0))
			for k := range 2 {
				if err := b.Step([]float64{tc.job.Optimizer.LR}, false); err != nil {
					t.Fatal(err)
				}
				if err := b.Params(x); err != nil {
					t.Fatal(err)
				}
				for i := range x {
					if !closeRel(x[i], tc.want[k][i], 1e-14) {
						t.Errorf("step %d: x[%d] = %.17g, want %.17g", k+1, i, x[i], tc.want[k][i])
					}
				}
			}
			if b.StepCount() != 2 {
				t.Errorf("StepCount = %d, want 2", b.StepCount())
			}
		})
	}
}

func TestAdamState(t *testing.T) {
	// m and v after three steps, against the textbook recurrences; and
	// torch's large-weight lerp: with beta1 = 0 the weight is 1 and
	// m = g - (g-m)·0 = g exactly, which m + 1·(g-m) would not promise.
	for _, tc := range []struct {
		name string
		opt  gdgpu.Optimizer
	}{
		{"betas=0.9,0.999", adamOpt(1e-2, 0.9, 0.999, 1e-8, 0.01)},
		{"betas=0.3,0.9", adamOpt(1e-2, 0.3, 0.9, 1e-8, 0)},
		{"betas=0,0.5", adamOpt(1e-2, 0, 0.5, 1e-8, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := stepJob("rosenbrock", 2, 1, tc.opt)
			b, err := New(job)
			if err != nil {
				t.Fatal(err)
			}
			x0 := []float64{-1.2, 1}
			if err := b.Load(x0); err != nil {
				t.Fatal(err)
			}
			var gLast []float64
			for range 3 {
				x := make([]float64, 2)
				b.Params(x)
				gLast = rosen2Grad(x)
				b.Step([]float64{tc.opt.LR}, false)
			}
			_, wm, wv := textbookAdam(x0, 3, tc.opt, rosen2Grad)
			m, v := b.StateVector("exp_avg"), b.StateVector("exp_avg_sq")
			for i := range m {
				if !closeRel(m[i], wm[i], 1e-14) || !closeRel(v[i], wv[i], 1e-14) {
					t.Errorf("m[%d], v[%d] = %.17g, %.17g; want %.17g, %.17g", i, i, m[i], v[i], wm[i], wv[i])
				}
				if tc.opt.Beta1 == 0 && m[i] != gLast[i] {
					t.Errorf("beta1 = 0: m[%d] = %.17g, want the last gradient %.17g exactly", i, m[i], gLast[i])
				}
			}
		})
	}
	b, err := New(stepJob("quadratic", 3, 1, sgdOpt(0.1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if b.StateVector("exp_avg") != nil || b.StateVector("momentum_buffer") != nil {
		t.Error("sgd without momentum: StateVector returned a vector")
	}
}
