package cpu

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"gonum.org/v1/gonum/optimize"
)

// minimizeMethods are the CPU-only methods Minimize runs.
var minimizeMethods = []string{"gonum-lbfgs", "gonum-bfgs", "gonum-cg", "gonum-gd"}

// minimizeJob returns a job for method on problem with dimension n.
func minimizeJob(t *testing.T, method, problem string, n int) *gdgpu.Job {
	t.Helper()
	job := gdgpu.NewJob()
	o, err := gdgpu.DefaultOptimizer(method)
	if err != nil {
		t.Fatal(err)
	}
	job.Optimizer = o
	job.Problem = problem
	job.Dim = n
	job.Cond = 100
	job.Steps = 100000
	job.LogEvery = 10
	return &job
}

// minimizeRecord is what the hooks saw.
type minimizeRecord struct {
	samples []gdgpu.Sample
	lrs     []float64
	issued  []int
}

func (m *minimizeRecord) hooks() gdgpu.Hooks {
	return gdgpu.Hooks{
		Sample: func(s gdgpu.Sample, lr float64, _ time.Duration) {
			m.samples = append(m.samples, s)
			m.lrs = append(m.lrs, lr)
		},
		Issued: func(done int) { m.issued = append(m.issued, done) },
	}
}

// checkMinimizeResult checks what every run must satisfy: the samples are
// at step 0, at LogEvery multiples and at the final point, in order, each
// delivered to the hook with lr NaN; Final is the last; the status step and
// Steps are the final step; Issued counted every step; x is the final
// point, and the final sample is Loss and GradNorm there, to the bit.
func checkMinimizeResult(t *testing.T, job *gdgpu.Job, res gdgpu.Result, x []float64, rec *minimizeRecord) {
	t.Helper()
	if len(res.Samples) == 0 {
		t.Fatalf("no samples")
	}
	if len(rec.samples) != len(res.Samples) {
		t.Fatalf("hook saw %d samples, result has %d", len(rec.samples), len(res.Samples))
	}
	for i, s := range res.Samples {
		if rec.samples[i] != s && !(math.IsNaN(s.Loss) || math.IsNaN(s.GradNorm)) {
			t.Errorf("sample %d: hook saw %+v, result has %+v", i, rec.samples[i], s)
		}
		if !math.IsNaN(rec.lrs[i]) {
			t.Errorf("sample %d: lr %g, want NaN", i, rec.lrs[i])
		}
		last := i == len(res.Samples)-1
		switch {
		case i == 0 && s.Step != 0:
			t.Errorf("first sample at step %d, want 0", s.Step)
		case i > 0 && s.Step <= res.Samples[i-1].Step:
			t.Errorf("sample %d at step %d after step %d", i, s.Step, res.Samples[i-1].Step)
		case !last && s.Step%job.LogEvery != 0:
			t.Errorf("sample %d at step %d, not a multiple of %d", i, s.Step, job.LogEvery)
		}
	}
	// Every LogEvery multiple up to the end has its sample.
	if want := res.Steps/job.LogEvery + 1; len(res.Samples) != want && len(res.Samples) != want+1 {
		t.Errorf("%d samples for %d steps every %d", len(res.Samples), res.Steps, job.LogEvery)
	}
	final := res.Samples[len(res.Samples)-1]
	if res.Final != final && !math.IsNaN(final.Loss) {
		t.Errorf("Final %+v, last sample %+v", res.Final, final)
	}
	if final.Step != res.Steps || res.StatusStep != res.Steps {
		t.Errorf("final sample at %d, Steps %d, StatusStep %d: want all equal", final.Step, res.Steps, res.StatusStep)
	}
	if res.Steps > job.Steps {
		t.Errorf("%d steps, job allows %d", res.Steps, job.Steps)
	}
	if len(rec.issued) != res.Steps {
		t.Errorf("Issued called %d times for %d steps", len(rec.issued), res.Steps)
	}
	for i, d := range rec.issued {
		if d != i+1 {
			t.Errorf("Issued(%d) as call %d", d, i)
			break
		}
	}
	if len(x) != job.Dim {
		t.Fatalf("x has %d values, want %d", len(x), job.Dim)
	}
	if l, g := Loss(job, x), GradNorm(job, x); !sameBits(l, final.Loss) || !sameBits(g, final.GradNorm) {
		t.Errorf("final sample (%v, %v), Loss and GradNorm at x (%v, %v)", final.Loss, final.GradNorm, l, g)
	}
	if res.Elapsed <= 0 {
		t.Errorf("Elapsed %v", res.Elapsed)
	}
}

func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func TestMinimizeGradTolQuadratic(t *testing.T) {
	for _, m := range minimizeMethods {
		t.Run(m, func(t *testing.T) {
			job := minimizeJob(t, m, "quadratic", 100)
			job.GradTol = 1e-8
			var rec minimizeRecord
			res, x, err := Minimize(context.Background(), job, job.StartPoint(), rec.hooks())
			if err != nil {
				t.Fatal(err)
			}
			checkMinimizeResult(t, job, res, x, &rec)
			if res.Status != gdgpu.GradientThreshold {
				t.Fatalf("status %v after %d steps, want GradientThreshold", res.Status, res.Steps)
			}
			if g := res.Final.GradNorm; !(g < 1e-8) {
				t.Errorf("final gradient norm %g, want < 1e-8", g)
			}
			// The rule stops at the first step that meets it.
			for _, s := range res.Samples[:len(res.Samples)-1] {
				if s.GradNorm <= job.GradTol {
					t.Errorf("sample at step %d already had gradient norm %g", s.Step, s.GradNorm)
				}
			}
			t.Logf("%s: %d steps, |g| %.3g, loss %.3g", m, res.Steps, res.Final.GradNorm, res.Final.Loss)
		})
	}
}

func TestMinimizeRosenbrock(t *testing.T) {
	for _, m := range []string{"gonum-lbfgs", "gonum-bfgs"} {
		t.Run(m, func(t *testing.T) {
			job := minimizeJob(t, m, "rosenbrock", 2)
			job.Steps = 1000
			job.GradTol = 1e-10
			x0 := job.StartPoint()
			if x0[0] != -1.2 || x0[1] != 1 {
				t.Fatalf("start %v, want (-1.2, 1)", x0)
			}
			var rec minimizeRecord
			res, x, err := Minimize(context.Background(), job, x0, rec.hooks())
			if err != nil {
				t.Fatal(err)
			}
			checkMinimizeResult(t, job, res, x, &rec)
			if res.Status != gdgpu.GradientThreshold {
				t.Errorf("status %v, want GradientThreshold", res.Status)
			}
			for i, v := range x {
				if math.Abs(v-1) > 1e-6 {
					t.Errorf("x[%d] = %.12g, want 1 within 1e-6", i, v)
				}
			}
			if x0[0] != -1.2 || x0[1] != 1 {
				t.Errorf("x0 modified: %v", x0)
			}
			t.Logf("%s: %d steps to %v", m, res.Steps, x)
		})
	}
}

// With no tolerance a method runs until its line search cannot go on,
// which is FunctionConvergence. Three ways to end are met here (gonum
// v0.17.0, amd64): lbfgs, bfgs and cg on rosenbrock and gradientdescent on
// the quadratic end with ErrNonDescentDirection, gradientdescent on
// rosenbrock with ErrNoProgress, and lbfgs, bfgs and cg on the quadratic
// reach the underflow floor, where their direction turns NaN: the
// recorder stops the first NaN trial point (unguarded, cg's More-Thuente
// search loops on NaN forever).
func TestMinimizeLineSearchEnd(t *testing.T) {
	for _, m := range minimizeMethods {
		for _, p := range []string{"quadratic", "rosenbrock"} {
			t.Run(m+"/"+p, func(t *testing.T) {
				n := 100
				if p == "rosenbrock" {
					n = 2
				}
				job := minimizeJob(t, m, p, n)
				job.LogEvery = 100
				var rec minimizeRecord
				res, x, err := Minimize(context.Background(), job, job.StartPoint(), rec.hooks())
				if err != nil {
					t.Fatal(err)
				}
				checkMinimizeResult(t, job, res, x, &rec)
				if res.Status != gdgpu.FunctionConvergence || res.Steps >= job.Steps {
					t.Fatalf("status %v after %d steps, want FunctionConvergence before %d", res.Status, res.Steps, job.Steps)
				}
				if res.Final.Loss > 1e-20 {
					t.Errorf("stopped at loss %g", res.Final.Loss)
				}
			})
		}
	}
}

func TestMinimizeStepLimit(t *testing.T) {
	for _, m := range minimizeMethods {
		for _, c := range []struct{ steps, every int }{{0, 3}, {1, 3}, {7, 3}, {6, 3}, {5, 1}, {4, 10}} {
			job := minimizeJob(t, m, "quadratic", 100)
			job.Steps, job.LogEvery = c.steps, c.every
			var rec minimizeRecord
			x0 := job.StartPoint()
			res, x, err := Minimize(context.Background(), job, x0, rec.hooks())
			if err != nil {
				t.Fatal(err)
			}
			checkMinimizeResult(t, job, res, x, &rec)
			if res.Status != gdgpu.StepLimit || res.Steps != c.steps {
				t.Errorf("%s %+v: status %v after %d steps, want StepLimit after %d", m, c, res.Status, res.Steps, c.steps)
			}
			var want []int // LogEvery multiples, and the final step
			for k := 0; k <= c.steps; k += c.every {
				want = append(want, k)
			}
			if c.steps%c.every != 0 {
				want = append(want, c.steps)
			}
			var got []int
			for _, s := range res.Samples {
				got = append(got, s.Step)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s %+v: samples at %v, want %v", m, c, got, want)
			}
			if res.Samples[0].Loss != Loss(job, x0) || res.Samples[0].GradNorm != GradNorm(job, x0) {
				t.Errorf("%s: sample 0 %+v is not Loss and GradNorm at x0", m, res.Samples[0])
			}
			if c.steps > 0 && !(res.Final.Loss < res.Samples[0].Loss) {
				t.Errorf("%s %+v: loss %g -> %g", m, c, res.Samples[0].Loss, res.Final.Loss)
			}
		}
	}
}

func TestMinimizeInterrupted(t *testing.T) {
	for _, m := range minimizeMethods {
		t.Run(m, func(t *testing.T) {
			// Cancelled before the start: Interrupted at step 0, x = x0.
			job := minimizeJob(t, m, "rosenbrock", 10)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var rec minimizeRecord
			x0 := job.StartPoint()
			res, x, err := Minimize(ctx, job, x0, rec.hooks())
			if err != nil {
				t.Fatal(err)
			}
			checkMinimizeResult(t, job, res, x, &rec)
			if res.Status != gdgpu.Interrupted || res.Steps != 0 || len(res.Samples) != 1 {
				t.Errorf("cancelled: status %v after %d steps with %d samples, want Interrupted at 0 with 1", res.Status, res.Steps, len(res.Samples))
			}
			for i := range x {
				if x[i] != x0[i] {
					t.Fatalf("cancelled run moved x[%d] from %g to %g", i, x0[i], x[i])
				}
			}

			// Cancelled from the sample hook at step 3: the run stops there.
			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			job.LogEvery = 1
			rec = minimizeRecord{}
			h := rec.hooks()
			hs := h.Sample
			h.Sample = func(s gdgpu.Sample, lr float64, el time.Duration) {
				hs(s, lr, el)
				if s.Step == 3 {
					cancel()
				}
			}
			res, x, err = Minimize(ctx, job, x0, h)
			if err != nil {
				t.Fatal(err)
			}
			checkMinimizeResult(t, job, res, x, &rec)
			if res.Status != gdgpu.Interrupted || res.StatusStep != 3 {
				t.Errorf("status %v at %d, want Interrupted at 3", res.Status, res.StatusStep)
			}
		})
	}
}

func TestMinimizeRuntimeLimit(t *testing.T) {
	for _, m := range minimizeMethods {
		t.Run(m, func(t *testing.T) {
			job := minimizeJob(t, m, "rosenbrock", 10)
			job.LogEvery = 1
			job.TimeLimit = 30 * time.Millisecond
			var rec minimizeRecord
			h := rec.hooks()
			hs := h.Sample
			h.Sample = func(s gdgpu.Sample, lr float64, el time.Duration) {
				hs(s, lr, el)
				time.Sleep(5 * time.Millisecond)
			}
			res, x, err := Minimize(context.Background(), job, job.StartPoint(), h)
			if err != nil {
				t.Fatal(err)
			}
			checkMinimizeResult(t, job, res, x, &rec)
			if res.Status != gdgpu.RuntimeLimit {
				t.Fatalf("status %v after %d steps, want RuntimeLimit", res.Status, res.Steps)
			}
			if res.Steps == 0 || res.Steps >= job.Steps || res.Elapsed < job.TimeLimit {
				t.Errorf("RuntimeLimit after %d steps and %v", res.Steps, res.Elapsed)
			}
		})
	}
}

func TestMinimizeLossTargetAndFuncTol(t *testing.T) {
	for _, m := range minimizeMethods {
		t.Run(m, func(t *testing.T) {
			job := minimizeJob(t, m, "quadratic", 100)
			job.HasTarget, job.LossTarget = true, 1e-6
			var rec minimizeRecord
			res, x, err := Minimize(context.Background(), job, job.StartPoint(), rec.hooks())
			if err != nil {
				t.Fatal(err)
			}
			checkMinimizeResult(t, job, res, x, &rec)
			if res.Status != gdgpu.FunctionThreshold || !(res.Final.Loss <= 1e-6) {
				t.Errorf("status %v at loss %g, want FunctionThreshold at <= 1e-6", res.Status, res.Final.Loss)
			}

			// FuncTol over FuncWindow = 2 samples of LogEvery = 3 steps is
			// gonum's FunctionConverge over 6 iterations. With a tolerance
			// no decrease can beat, it stops exactly 6 steps after step 0.
			job = minimizeJob(t, m, "rosenbrock", 2)
			job.LogEvery, job.FuncTol, job.FuncWindow = 3, 1e10, 2
			rec = minimizeRecord{}
			res, x, err = Minimize(context.Background(), job, job.StartPoint(), rec.hooks())
			if err != nil {
				t.Fatal(err)
			}
			checkMinimizeResult(t, job, res, x, &rec)
			if res.Status != gdgpu.FunctionConvergence || res.Steps != 6 {
				t.Errorf("FuncTol: status %v after %d steps, want FunctionConvergence after 6", res.Status, res.Steps)
			}
		})
	}

	// A real tolerance: steepest descent crawls along Rosenbrock's valley,
	// and stops for FuncTol long before the rounding floor.
	job := minimizeJob(t, "gonum-gd", "rosenbrock", 2)
	job.LogEvery, job.FuncTol, job.FuncWindow = 3, 0.5, 2
	var rec minimizeRecord
	res, x, err := Minimize(context.Background(), job, job.StartPoint(), rec.hooks())
	if err != nil {
		t.Fatal(err)
	}
	checkMinimizeResult(t, job, res, x, &rec)
	if res.Status != gdgpu.FunctionConvergence || res.Steps < 6 || res.Final.Loss < 1e-10 {
		t.Errorf("status %v after %d steps at loss %g, want FunctionConvergence after >= 6 steps, above 1e-10",
			res.Status, res.Steps, res.Final.Loss)
	}
	t.Logf("gradientdescent, FuncTol 0.5 over 6 steps: %d steps, loss %.3g", res.Steps, res.Final.Loss)
}

func TestMinimizeDiverged(t *testing.T) {
	for _, m := range minimizeMethods {
		for _, x0 := range [][]float64{{math.NaN(), 1}, {1e200, 1}, {math.Inf(1), 0}} {
			job := minimizeJob(t, m, "rosenbrock", 2)
			var rec minimizeRecord
			res, x, err := Minimize(context.Background(), job, x0, rec.hooks())
			if err != nil {
				t.Fatalf("%s from %v: %v", m, x0, err)
			}
			if res.Status != gdgpu.Diverged || res.Steps != 0 || len(res.Samples) != 1 {
				t.Errorf("%s from %v: status %v after %d steps, %d samples; want Diverged at 0, 1 sample",
					m, x0, res.Status, res.Steps, len(res.Samples))
			}
			if s := res.Final; !math.IsNaN(s.Loss) && !math.IsInf(s.Loss, 0) && !math.IsNaN(s.GradNorm) && !math.IsInf(s.GradNorm, 0) {
				t.Errorf("%s from %v: final sample %+v is finite", m, x0, s)
			}
			if len(x) != 2 || !sameBits(x[0], x0[0]) {
				t.Errorf("%s from %v: x = %v", m, x0, x)
			}
		}
	}
}

func TestMinimizeRefuses(t *testing.T) {
	valid := func() *gdgpu.Job { return minimizeJob(t, "gonum-lbfgs", "quadratic", 8) }
	cases := []struct {
		name string
		job  func() *gdgpu.Job
		x0   []float64
		want string
	}{
		{"nil job", func() *gdgpu.Job { return nil }, nil, "nil job"},
		{"adam", func() *gdgpu.Job {
			j := valid()
			j.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
			return j
		}, make([]float64, 8), `not "adam"`},
		{"sgd", func() *gdgpu.Job {
			j := valid()
			j.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
			return j
		}, make([]float64, 8), `not "sgd"`},
		{"invalid job", func() *gdgpu.Job {
			j := valid()
			j.LogEvery = 0
			return j
		}, make([]float64, 8), "Job.LogEvery"},
		{"history 0", func() *gdgpu.Job {
			j := valid()
			j.Optimizer.History = 0
			return j
		}, make([]float64, 8), "Optimizer.history"},
		{"x0 length", valid, make([]float64, 7), "7 values"},
		{"clip", func() *gdgpu.Job {
			j := valid()
			j.ClipNorm = 1
			return j
		}, make([]float64, 8), "clipping"},
		{"bfgs too large", func() *gdgpu.Job {
			j := minimizeJob(t, "gonum-bfgs", "quadratic", 1<<20)
			return j
		}, nil, "8*N^2"},
	}
	for _, c := range cases {
		x0 := c.x0
		job := c.job()
		if x0 == nil && job != nil {
			x0 = make([]float64, job.Dim)
		}
		res, x, err := Minimize(context.Background(), job, x0, gdgpu.Hooks{})
		if err == nil || !strings.HasPrefix(err.Error(), "cpu: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one prefixed cpu: naming %q", c.name, err, c.want)
		}
		if c.name == "invalid job" && !errors.Is(err, gdgpu.ErrInvalidJob) {
			t.Errorf("%s: %v does not wrap gdgpu.ErrInvalidJob", c.name, err)
		}
		if x != nil || res.Samples != nil {
			t.Errorf("%s: refused run returned x %v, %d samples", c.name, x, len(res.Samples))
		}
	}
}

// The objective Minimize hands gonum gives Loss's and Grad's bits, and its
// norm GradNorm's, without allocating.
func TestMinimizeObjectiveBits(t *testing.T) {
	for _, p := range []string{"quadratic", "rosenbrock"} {
		for _, n := range []int{2, 3, 255, 256, 257, 1000} {
			for _, cond := range []float64{1, 100} {
				job := minimizeJob(t, "gonum-lbfgs", p, n)
				job.Cond, job.RandomStart, job.Seed = cond, true, uint64(n)
				obj, err := newObjective(job, n)
				if err != nil {
					t.Fatal(err)
				}
				obj.precompute()
				r := &minimizeRun{job: job, obj: obj}
				x := job.StartPoint()
				g, want := make([]float64, n), Grad(job, nil, x)
				r.grad(g, x)
				for i := range g {
					if !sameBits(g[i], want[i]) {
						t.Fatalf("%s n=%d cond=%g: grad[%d] = %v, Grad %v", p, n, cond, i, g[i], want[i])
					}
				}
				if l, w := r.loss(x), Loss(job, x); !sameBits(l, w) {
					t.Errorf("%s n=%d cond=%g: loss %v, Loss %v", p, n, cond, l, w)
				}
				if v, w := r.norm(g), GradNorm(job, x); !sameBits(v, w) {
					t.Errorf("%s n=%d cond=%g: norm %v, GradNorm %v", p, n, cond, v, w)
				}
				if a := testing.AllocsPerRun(10, func() { r.grad(g, x); _ = r.loss(x); _ = r.norm(g) }); a != 0 {
					t.Errorf("%s n=%d: %v allocations per evaluation", p, n, a)
				}
			}
		}
	}
}

// The recorder stops a line search at a NaN loss or past maxLineEvals
// evaluations; a major iteration starts the count again.
func TestMinimizeRecorderGuards(t *testing.T) {
	job := minimizeJob(t, "gonum-cg", "quadratic", 4)
	r := &minimizeRun{ctx: context.Background(), job: job, logged: -1}
	rec, conv := (*minimizeRecorder)(r), (*minimizeConverger)(r)
	loc := &optimize.Location{X: make([]float64, 4), F: 1, Gradient: make([]float64, 4)}
	eval := optimize.FuncEvaluation | optimize.GradEvaluation
	for round := 0; round < 2; round++ {
		for i := 1; i <= maxLineEvals; i++ {
			if err := rec.Record(loc, eval, nil); err != nil {
				t.Fatalf("round %d, evaluation %d: %v", round, i, err)
			}
		}
		if err := rec.Record(loc, eval, nil); !errors.Is(err, errMinimizeBreakdown) {
			t.Fatalf("round %d: evaluation %d: %v, want errMinimizeBreakdown", round, maxLineEvals+1, err)
		}
		if st := conv.Converged(loc); st != optimize.NotTerminated {
			t.Fatalf("major iteration: %v", st)
		}
	}
	loc.F = math.NaN()
	if err := rec.Record(loc, optimize.GradEvaluation, nil); err != nil {
		t.Errorf("gradient-only evaluation: %v", err)
	}
	if err := rec.Record(loc, eval, nil); !errors.Is(err, errMinimizeBreakdown) {
		t.Errorf("NaN loss: %v, want errMinimizeBreakdown", err)
	}
	if err := rec.Record(loc, optimize.PostIteration, nil); err != nil {
		t.Errorf("PostIteration: %v", err)
	}
}

// gdgpu.Run hands a CPU-only job to the backend Open makes for it
// (Method), and the result, samples and final point are Minimize's, bit
// for bit; the step-by-step methods refuse; a checkpoint hook, a resume
// and a backend that cannot run the job are refused before any work.
func TestRunSelfDriven(t *testing.T) {
	for _, method := range []string{"gonum-lbfgs", "gonum-bfgs", "gonum-cg", "gonum-gd"} {
		t.Run(method, func(t *testing.T) {
			job := minimizeJob(t, method, "rosenbrock", 50)
			job.Steps, job.LogEvery = 40, 7
			want, wantX, err := Minimize(context.Background(), job, job.StartPoint(), gdgpu.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Open(job)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if _, ok := b.(*Method); !ok {
				t.Fatalf("Open made a %T", b)
			}
			var hooked []gdgpu.Sample
			got, err := gdgpu.Run(context.Background(), job, b, job.StartPoint(), gdgpu.Hooks{
				Sample: func(s gdgpu.Sample, _ float64, _ time.Duration) { hooked = append(hooked, s) },
			})
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float64, job.Dim)
			if err := b.Params(x); err != nil {
				t.Fatal(err)
			}
			if got.Status != want.Status || got.Steps != want.Steps || !slices.EqualFunc(got.Samples, want.Samples, sameSample) || !slices.EqualFunc(hooked, want.Samples, sameSample) {
				t.Errorf("Run: %v after %d steps, samples %v (hooks %v); Minimize: %v after %d, %v", got.Status, got.Steps, got.Samples, hooked, want.Status, want.Steps, want.Samples)
			}
			if i := firstBitDiff(x, wantX); i >= 0 {
				t.Errorf("x[%d] = %v, Minimize's %v", i, x[i], wantX[i])
			}
			if err := b.Step([]float64{1}, false); !errors.Is(err, ErrSelfDriven) {
				t.Errorf("Step = %v, want ErrSelfDriven", err)
			}
			if err := b.Keep(0); !errors.Is(err, ErrSelfDriven) {
				t.Errorf("Keep = %v, want ErrSelfDriven", err)
			}
			ck := gdgpu.Hooks{Checkpoint: func(*gdgpu.Checkpoint) error { return nil }}
			if _, err := gdgpu.Run(context.Background(), job, b, job.StartPoint(), ck); err == nil || !strings.Contains(err.Error(), "cannot be checkpointed") {
				t.Errorf("Run with a checkpoint hook = %v", err)
			}
			sgd := *job
			sgd.Optimizer = sgdOpt(1e-3, 0)
			other := mustBackend(t, &sgd)
			if _, err := gdgpu.Run(context.Background(), job, other, job.StartPoint(), gdgpu.Hooks{}); err == nil || !strings.Contains(err.Error(), "runs its own iterations") {
				t.Errorf("Run on a step backend = %v", err)
			}
		})
	}
}
