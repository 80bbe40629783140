package cpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// testFuncNames are the registered problems but the quadratic and
// Rosenbrock, which objective_test.go covers with their own cases, and the
// typed objectives other tests here register (lbfgs_test.go's is NaN on
// purpose; internal/expr checks typed gradients).
func testFuncNames() []string {
	var n []string
	for _, p := range gdgpu.ProblemNames() {
		if p != "quadratic" && p != "rosenbrock" && !strings.HasPrefix(p, "expr-") {
			n = append(n, p)
		}
	}
	return n
}

func TestTestFuncRegistry(t *testing.T) {
	// Every registered problem builds its CPU objective at the least and
	// the largest (or a small) dimension it accepts, and refuses one
	// below and above.
	for _, p := range gdgpu.Problems() {
		hi := p.MaxDim
		if hi == 0 {
			hi = p.MinDim + 300
		}
		for _, n := range []int{p.MinDim, hi} {
			if _, err := newObjective(problemJob(p.Name, n, 1), n); err != nil {
				t.Errorf("%s at N = %d: %v", p.Name, n, err)
			}
		}
		if _, err := newObjective(problemJob(p.Name, p.MinDim-1, 1), p.MinDim-1); err == nil {
			t.Errorf("%s at N = %d, below MinDim: accepted", p.Name, p.MinDim-1)
		}
		if p.MaxDim > 0 {
			if _, err := newObjective(problemJob(p.Name, p.MaxDim+1, 1), p.MaxDim+1); err == nil {
				t.Errorf("%s at N = %d, above MaxDim: accepted", p.Name, p.MaxDim+1)
			}
		}
	}
}

func TestTestFuncKnownValues(t *testing.T) {
	for _, kv := range testcases.KnownValues() {
		t.Run(kv.Name, func(t *testing.T) {
			job := problemJob(kv.Problem, len(kv.X), 1)
			if err := job.Validate(); err != nil {
				t.Fatal(err)
			}
			near := func(got, want float64) bool { return math.Abs(got-want) <= kv.Tol*math.Max(1, math.Abs(want)) }
			if f := Loss(job, kv.X); !near(f, kv.F) {
				t.Errorf("Loss = %.17g, want %.17g", f, kv.F)
			}
			g := Grad(job, nil, kv.X)
			for i := range g {
				if !near(g[i], kv.G[i]) {
					t.Errorf("Grad[%d] = %.17g, want %.17g", i, g[i], kv.G[i])
				}
			}
		})
	}
}

func TestTestFuncGradFiniteDifference(t *testing.T) {
	// Central differences with h = 1e-5 (gonum fd) at random points of each
	// function's domain, for several N. The difference's error is its
	// truncation h²/6·|f'''| plus rounding 2·ε_f/h, with ε_f ≤ ~10u·Σ|terms|:
	// for these functions on their domains at most ~1e-10·|f'''| + 1e-11·|f|.
	// The bound 1e-7·(1 + |g_i| + |f|) is far above that, and far below
	// what a wrong coefficient or a missing term makes (order |g_i| or one
	// term's derivative, ≥ 1e-3 at random points).
	for _, problem := range testFuncNames() {
		info, _ := gdgpu.LookupProblem(problem)
		for _, n := range []int{1, 2, 3, 5, 8, 257} {
			if n < info.MinDim || (info.MaxDim > 0 && n > info.MaxDim) {
				continue
			}
			t.Run(fmt.Sprintf("%s/N=%d", problem, n), func(t *testing.T) {
				job := problemJob(problem, n, 1)
				box := info.Box // the usual search domain
				r := rand.New(rand.NewPCG(uint64(n), 17))
				x := make([]float64, n)
				for seed := 0; seed < 20; seed++ {
					for i := range x {
						x[i] = box * (2*r.Float64() - 1)
					}
					f := Loss(job, x)
					g := Grad(job, nil, x)
					want := fd.Gradient(nil, func(x []float64) float64 { return Loss(job, x) }, x,
						&fd.Settings{Formula: fd.Central, Step: 1e-5})
					for i := range g {
						if d, bound := math.Abs(g[i]-want[i]), 1e-7*(1+math.Abs(g[i])+math.Abs(f)); !(d <= bound) {
							t.Errorf("x = %v: ∂f/∂x_%d = %.17g, central difference %.17g: error %.3g > %.3g", x, i, g[i], want[i], d, bound)
						}
					}
				}
			})
		}
	}
}

func TestTestFuncGradNormMatchesGrad(t *testing.T) {
	// The sample path (terms, grad in chunks) agrees with Loss and Grad
	// across chunk boundaries: N = 600 spans three chunks.
	for _, problem := range []string{"rastrigin", "styblinski-tang", "levy", "ackley", "griewank"} {
		job := problemJob(problem, 600, 1)
		job.RandomStart, job.Seed = true, 4
		x := job.StartPoint()
		g := Grad(job, nil, x)
		s := 0.0
		for _, v := range g {
			s += v * v
		}
		if got := GradNorm(job, x); math.Abs(got-math.Sqrt(s)) > 1e-13*got {
			t.Errorf("%s: GradNorm %v, sqrt(Σg²) %v", problem, got, math.Sqrt(s))
		}
		b := mustBackend(t, job)
		b.Load(x)
		b.Record()
		smp, _ := b.Samples(nil, true)
		if smp[0].Loss != Loss(job, x) || smp[0].GradNorm != GradNorm(job, x) {
			t.Errorf("%s: sample %+v, Loss %v GradNorm %v", problem, smp[0], Loss(job, x), GradNorm(job, x))
		}
	}
}

func TestTwoDimRefusesOtherDims(t *testing.T) {
	for _, n := range []int{1, 3} {
		j := gdgpu.NewJob()
		j.Problem, j.Dim = "beale", n
		err := j.Validate()
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("Job.Dim %d", n)) {
			t.Errorf("beale with --dim %d: Validate = %v, want an error naming Job.Dim", n, err)
		}
		if _, err := newBackend(&j); err == nil {
			t.Errorf("beale with %d parameters: the CPU objective accepted it", n)
		}
	}
}

func TestTestFuncMinimaReached(t *testing.T) {
	// Adam with a decaying rate reaches the known minimum from the default
	// start, or the known local minimum that start leads to (documented in
	// docs/problems.md), and the global one from a start in its basin.
	for _, tc := range []struct {
		problem string
		n       int
		lr      float64
		want    float64
		tol     float64
		start   []float64 // nil: the default start
	}{
		{"booth", 2, 0.1, 0, 1e-8, nil},
		{"matyas", 2, 0.1, 0, 1e-8, nil},
		{"beale", 2, 0.01, 0, 1e-8, nil},
		{"himmelblau", 2, 0.05, 0, 1e-8, nil},
		{"goldstein-price", 2, 0.01, 30, 1e-8, nil},                  // the local minimum at (-0.6, -0.4)
		{"six-hump-camel", 2, 0.01, -1.0316284534898774, 1e-8, nil},  // global
		{"three-hump-camel", 2, 0.01, 0.2986384422368714, 1e-8, nil}, // local, at (1.7476, -0.8738)
		{"goldstein-price", 2, 0.01, 3, 1e-8, []float64{0.5, -0.5}},
		{"three-hump-camel", 2, 0.01, 0, 1e-8, []float64{1, 1}},
		{"styblinski-tang", 4, 0.05, 4 * testcases.StyblinskiTangMinValue, 1e-8, nil},
		{"levy", 4, 0.05, 0, 1e-8, []float64{0.5, 1.5, 2, -0.2}},
		{"ackley", 4, 0.01, 0, 1e-5, []float64{0.3, -0.2, 0.1, 0.4}}, // the basin of 0; f ≈ 4|x|/√N by the cone's kink
		{"griewank", 4, 0.5, 0, 1e-8, []float64{2, -3, 1, 4}},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.problem, tc.start), func(t *testing.T) {
			job := problemJob(tc.problem, tc.n, 1)
			job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
			job.Optimizer.LR = tc.lr
			b := mustBackend(t, job)
			x0 := tc.start
			if x0 == nil {
				x0 = job.StartPoint()
			}
			b.Load(x0)
			lr := make([]float64, 20000)
			for i := range lr {
				lr[i] = tc.lr * math.Pow(1e-3, float64(i)/float64(len(lr))) // decay to settle
			}
			b.Step(lr, false)
			x := make([]float64, tc.n)
			b.Params(x)
			if f := Loss(job, x); math.Abs(f-tc.want) > tc.tol*math.Max(1, math.Abs(tc.want)) {
				t.Errorf("f = %.17g at %v, want %.17g", f, x, tc.want)
			}
		})
	}
}

func TestSaddleDiverges(t *testing.T) {
	// x² - y² has no minimum: SGD with lr 0.5 doubles y every step, so
	// f = -y² overflows to -Inf after about 515 steps, and the driver
	// reports Diverged.
	job := problemJob("saddle", 2, 1)
	job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	job.Optimizer.LR = 0.5
	job.Steps, job.LogEvery = 2000, 10
	b, err := New(job)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gdgpu.Run(context.Background(), job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != gdgpu.Diverged {
		t.Errorf("status %v at step %d, want Diverged", res.Status, res.StatusStep)
	}
}
