package cpu

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// runJob drives a fresh backend through gdgpu.Run from the job's start point.
func runJob(t *testing.T, ctx context.Context, job *gdgpu.Job, hooks gdgpu.Hooks) (gdgpu.Result, *Backend) {
	t.Helper()
	b, err := New(job)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	res, err := gdgpu.Run(ctx, job, b, job.StartPoint(), hooks)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func params(t *testing.T, b *Backend) []float64 {
	t.Helper()
	x := make([]float64, len(b.x))
	if err := b.Params(x); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestNewErrors(t *testing.T) {
	bad := gdgpu.NewJob()
	bad.Dim = 1 // rosenbrock needs 2
	if _, err := New(&bad); !errors.Is(err, gdgpu.ErrInvalidJob) || !strings.HasPrefix(err.Error(), "cpu: ") {
		t.Errorf("New(dim 1 rosenbrock) = %v, want a cpu: error wrapping ErrInvalidJob", err)
	}
	nest := gdgpu.NewJob()
	nest.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	nest.Optimizer.Nesterov = true // needs momentum > 0 and dampening 0
	if _, err := New(&nest); err == nil || !strings.HasPrefix(err.Error(), "cpu: ") {
		t.Errorf("New(sgd nesterov without momentum) = %v, want a cpu: error", err)
	}
	if _, err := newBackend(&nest); err == nil || !strings.HasPrefix(err.Error(), "cpu: ") {
		t.Errorf("newBackend(sgd nesterov without momentum) = %v, want a cpu: error", err)
	}
	both := gdgpu.NewJob()
	both.ClipNorm, both.ClipValue = 1, 1 // at most one may be set
	if _, err := New(&both); !errors.Is(err, gdgpu.ErrInvalidJob) || !strings.HasPrefix(err.Error(), "cpu: ") {
		t.Errorf("New(both clippings) = %v, want a cpu: error wrapping ErrInvalidJob", err)
	}
	unknown := gdgpu.NewJob()
	unknown.Optimizer.Name = "gonum-lbfgs"
	if _, err := newBackend(&unknown); err == nil || !strings.HasPrefix(err.Error(), "cpu: ") {
		t.Errorf("newBackend(lbfgs) = %v, want a cpu: error", err)
	}
	if _, err := New(nil); err == nil || !strings.HasPrefix(err.Error(), "cpu: ") {
		t.Errorf("New(nil) = %v", err)
	}
}

func TestRegistryCoverage(t *testing.T) {
	// Every problem and every optimizer the registry admits (a default
	// configuration that passes Job.Validate) must have a kernel here.
	for _, p := range gdgpu.ProblemNames() {
		for _, name := range gdgpu.OptimizerNames() {
			job := problemJob(p, 4, 1)
			job.Optimizer, _ = gdgpu.DefaultOptimizer(name)
			if info, _ := gdgpu.LookupOptimizer(name); info.CPUOnly {
				continue // gonum methods run through Minimize, not a Backend
			}
			if job.Validate() != nil {
				continue // registered, not yet admitted to the backends
			}
			if _, err := New(job); err != nil {
				t.Errorf("%s/%s: admitted by Validate, but %v", p, name, err)
			}
		}
	}
	// Every optimizer has a kernel, whatever Validate admits today.
	for _, name := range gdgpu.OptimizerNames() {
		job := problemJob("quadratic", 4, 1)
		job.Optimizer, _ = gdgpu.DefaultOptimizer(name)
		if info, _ := gdgpu.LookupOptimizer(name); info.CPUOnly {
			continue
		}
		if _, err := newBackend(job); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestMethodErrors(t *testing.T) {
	b, err := New(problemJob("quadratic", 3, 1))
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != "cpu/f64" {
		t.Errorf("Name = %q", b.Name())
	}
	if err := b.Load(make([]float64, 2)); err == nil || !strings.HasPrefix(err.Error(), "cpu: ") {
		t.Errorf("Load(short) = %v", err)
	}
	if err := b.Params(make([]float64, 4)); err == nil || !strings.HasPrefix(err.Error(), "cpu: ") {
		t.Errorf("Params(long) = %v", err)
	}
	if err := b.ApplyGradient(make([]float64, 4), 0.1); err == nil || !strings.HasPrefix(err.Error(), "cpu: ") || b.StepCount() != 0 {
		t.Errorf("ApplyGradient(long) = %v, StepCount %d", err, b.StepCount())
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"Load":          func() error { return b.Load(make([]float64, 3)) },
		"Step":          func() error { return b.Step([]float64{0.1}, true) },
		"Record":        b.Record,
		"Samples":       func() error { _, err := b.Samples(nil, true); return err },
		"Params":        func() error { return b.Params(make([]float64, 3)) },
		"ApplyGradient": func() error { return b.ApplyGradient(make([]float64, 3), 0.1) },
	} {
		if err := f(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if v := b.StateVector("exp_avg"); v != nil {
		t.Errorf("StateVector after Close = %v, want nil", v)
	}
}

func TestStepSemantics(t *testing.T) {
	// A recorded sample is f and ||∇f|| at the point before the first step
	// of the call, numbered with the step count before it, and has the
	// same bits as Loss and the gradient norm at that point: one reference.
	for _, tc := range []struct {
		problem string
		n       int
		cond    float64
		opt     gdgpu.Optimizer
	}{
		{"quadratic", 1000, 50, adamOpt(1e-2, 0.9, 0.999, 1e-8, 0.01)},
		{"quadratic", 300, 1, sgdOpt(0.1, 0)},
		{"rosenbrock", 777, 1, adamOpt(1e-3, 0.9, 0.999, 1e-8, 0)},
		{"rosenbrock", 2, 1, sgdOpt(1e-4, 0.5)},
	} {
		t.Run(tc.problem+"/"+tc.opt.Name, func(t *testing.T) {
			job := stepJob(tc.problem, tc.n, tc.cond, tc.opt)
			b, err := New(job)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Load(job.StartPoint()); err != nil {
				t.Fatal(err)
			}
			lr := []float64{tc.opt.LR, tc.opt.LR, tc.opt.LR}
			var want []gdgpu.Sample
			for call := range 4 {
				x := params(t, b)
				want = append(want, gdgpu.Sample{Step: 3 * call, Loss: Loss(job, x), GradNorm: GradNorm(job, x)})
				if err := b.Step(lr, true); err != nil {
					t.Fatal(err)
				}
			}
			x := params(t, b)
			want = append(want, gdgpu.Sample{Step: 12, Loss: Loss(job, x), GradNorm: GradNorm(job, x)})
			if err := b.Record(); err != nil {
				t.Fatal(err)
			}
			if err := b.Step(nil, true); err != nil { // records too, no step
				t.Fatal(err)
			}
			want = append(want, want[len(want)-1])
			got, err := b.Samples(nil, false)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("samples\n got %v\nwant %v", got, want)
			}
			if again, _ := b.Samples(nil, true); len(again) != 0 {
				t.Errorf("Samples did not clear: %v", again)
			}
			if b.StepCount() != 12 {
				t.Errorf("StepCount = %d, want 12", b.StepCount())
			}
		})
	}
}

func TestLoadResetsAndRepeats(t *testing.T) {
	// Load zeroes m, v and the step count: a second run from the same start
	// reproduces the first bit for bit.
	job := stepJob("rosenbrock", 1000, 1, adamOpt(1e-2, 0.9, 0.999, 1e-8, 0.001))
	b, err := New(job)
	if err != nil {
		t.Fatal(err)
	}
	lr := slices.Repeat([]float64{1e-2}, 25)
	run := func() ([]float64, []gdgpu.Sample) {
		if err := b.Load(job.StartPoint()); err != nil {
			t.Fatal(err)
		}
		if m, v := b.StateVector("exp_avg"), b.StateVector("exp_avg_sq"); slices.ContainsFunc(m, func(f float64) bool { return f != 0 }) ||
			slices.ContainsFunc(v, func(f float64) bool { return f != 0 }) || b.StepCount() != 0 {
			t.Fatal("Load left optimizer state behind")
		}
		b.Step(lr, true)
		b.Record()
		s, _ := b.Samples(nil, true)
		return params(t, b), s
	}
	x1, s1 := run()
	b.Step(lr, true) // leave state and a pending sample behind
	x2, s2 := run()
	if !slices.Equal(x1, x2) || !slices.Equal(s1, s2) {
		t.Error("a run after Load differs from the first run")
	}
}

// stepCycleAllocs is the allocations of one cycle of everything a run does
// per step and per sample on a loaded backend: steps with and without a
// sample, a fed gradient, a Record and the read-back.
func stepCycleAllocs(b *Backend, job *gdgpu.Job) float64 {
	lr := []float64{1e-4, 1e-4}
	g := Grad(job, nil, job.StartPoint())
	buf := make([]gdgpu.Sample, 0, 4)
	return testing.AllocsPerRun(20, func() {
		b.Step(lr, true)
		b.Step(lr, false)
		b.ApplyGradient(g, 1e-4)
		b.Record()
		buf, _ = b.Samples(buf[:0], true)
	})
}

func TestStepAllocatesNothing(t *testing.T) {
	// Every optimizer configuration, on both problems: steps, samples and
	// fed gradients allocate nothing.
	for _, oc := range optCases(trajectoryBase) {
		for _, problem := range gdgpu.ProblemNames() {
			job := stepJob(problem, 1000, 10, oc.opt)
			b := mustBackend(t, job)
			b.Load(job.StartPoint())
			allocs := stepCycleAllocs(b, job)
			if allocs != 0 {
				t.Errorf("%s/%s: %v allocations per step cycle", oc, problem, allocs)
			}
		}
	}
}

func TestRunSampleCadence(t *testing.T) {
	// gdgpu.Run asks for samples at 0, every LogEvery and at the final
	// point; each must be f at the parameters of that step.
	for _, tc := range []struct {
		steps, every int
		want         []int
	}{
		{250, 100, []int{0, 100, 200, 250}},
		{200, 100, []int{0, 100, 200}},
		{5, 1, []int{0, 1, 2, 3, 4, 5}},
		{0, 10, []int{0}},
		{130, 1000, []int{0, 130}},
	} {
		job := stepJob("rosenbrock", 64, 1, adamOpt(1e-3, 0.9, 0.999, 1e-8, 0))
		job.Steps, job.LogEvery = tc.steps, tc.every
		res, b := runJob(t, context.Background(), job, gdgpu.Hooks{})
		var steps []int
		for _, s := range res.Samples {
			steps = append(steps, s.Step)
		}
		if !slices.Equal(steps, tc.want) || res.Status != gdgpu.StepLimit || res.Steps != tc.steps {
			t.Errorf("steps %d every %d: samples at %v, status %v after %d steps; want %v, StepLimit after %d",
				tc.steps, tc.every, steps, res.Status, res.Steps, tc.want, tc.steps)
			continue
		}
		x := params(t, b)
		if res.Final.Loss != Loss(job, x) || res.Final.GradNorm != GradNorm(job, x) {
			t.Errorf("steps %d: final sample %v is not the final point's (%v, %v)",
				tc.steps, res.Final, Loss(job, x), GradNorm(job, x))
		}
		if res.Samples[0].Loss != Loss(job, job.StartPoint()) {
			t.Errorf("steps %d: first sample %v is not the start point's", tc.steps, res.Samples[0])
		}
	}
}

func TestRunDiverges(t *testing.T) {
	// Plain gradient descent with lr = 1 on Rosenbrock: x grows like
	// 400x³ per step and overflows within a few steps.
	job := stepJob("rosenbrock", 100, 1, sgdOpt(1, 0))
	job.Steps, job.LogEvery = 1000, 10
	res, _ := runJob(t, context.Background(), job, gdgpu.Hooks{})
	if res.Status != gdgpu.Diverged {
		t.Fatalf("status %v, want Diverged; final %v", res.Status, res.Final)
	}
	// The sample at step 10 is the first to see it; the record names the
	// first non-finite value, a loss term at x_4, and the run ends on the
	// state kept at step 0, the last kept before it.
	if res.StatusStep != 4 || res.BadIndex < 0 || res.KeptStep != 0 || res.Steps >= job.Steps {
		t.Errorf("diverged at step %d index %d, kept %d, after %d steps issued; want step 4, an index, kept 0 and an early stop",
			res.StatusStep, res.BadIndex, res.KeptStep, res.Steps)
	}
}

func TestRunInterrupted(t *testing.T) {
	job := stepJob("quadratic", 100, 10, sgdOpt(0.05, 0))
	job.Steps, job.LogEvery = 10000, 100

	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, _ := runJob(t, ctx, job, gdgpu.Hooks{})
		if res.Status != gdgpu.Interrupted || res.StatusStep != 0 || res.Steps != 0 {
			t.Errorf("status %v at %d after %d steps, want Interrupted at 0", res.Status, res.StatusStep, res.Steps)
		}
		if len(res.Samples) != 1 || res.Final.Step != 0 {
			t.Errorf("samples %v, want the start point's only", res.Samples)
		}
	})
	t.Run("during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stop := -1
		res, b := runJob(t, ctx, job, gdgpu.Hooks{Issued: func(done int) {
			if done >= 300 && stop < 0 {
				stop = done
				cancel()
			}
		}})
		if res.Status != gdgpu.Interrupted || res.StatusStep != stop || res.Steps != stop {
			t.Errorf("status %v at %d after %d steps, want Interrupted at %d", res.Status, res.StatusStep, res.Steps, stop)
		}
		if res.Final.Step != stop || b.StepCount() != stop {
			t.Errorf("final sample at %d, backend at %d; want %d", res.Final.Step, b.StepCount(), stop)
		}
	})
}

func TestConvergence(t *testing.T) {
	// On the quadratic, c_i ∈ [1, L] with L = cond: sgd with lr = 1/L
	// contracts every x_i by at least 1 - 1/L per step, so after k steps
	// f ≤ (1 - 1/L)^(2k) f0. Adam has no such bound; it must still cut f
	// by orders of magnitude. Rosenbrock from (-1.2, 1) is the classic
	// curved valley; Adam with lr = 1e-2 reaches (1, 1) within 5000 steps.
	for _, tc := range []struct {
		name  string
		job   *gdgpu.Job
		steps int
		check func(t *testing.T, f0, f float64, x []float64)
	}{
		{
			name:  "sgd/quadratic/cond=10/lr=1/L",
			job:   stepJob("quadratic", 1000, 10, sgdOpt(0.1, 0)),
			steps: 300,
			check: func(t *testing.T, f0, f float64, x []float64) {
				if bound := math.Pow(0.9, 600) * f0; f > bound {
					t.Errorf("f = %.3g > (1-1/L)^(2k) f0 = %.3g", f, bound)
				}
			},
		},
		{
			name:  "adam/quadratic/cond=10",
			job:   stepJob("quadratic", 1000, 10, adamOpt(1e-2, 0.9, 0.999, 1e-8, 0)),
			steps: 1000,
			check: func(t *testing.T, f0, f float64, x []float64) {
				if f > 1e-6*f0 {
					t.Errorf("f = %.3g, want below 1e-6·f0 = %.3g", f, 1e-6*f0)
				}
			},
		},
		{
			name:  "sgd/quadratic/cond=10/lr=0.01",
			job:   stepJob("quadratic", 1000, 10, sgdOpt(1e-2, 0)),
			steps: 1000,
			check: func(t *testing.T, f0, f float64, x []float64) {
				if f > 1e-6*f0 {
					t.Errorf("f = %.3g, want below 1e-6·f0 = %.3g", f, 1e-6*f0)
				}
			},
		},
		{
			name:  "adam/rosenbrock/N=2/lr=1e-2",
			job:   stepJob("rosenbrock", 2, 1, adamOpt(1e-2, 0.9, 0.999, 1e-8, 0)),
			steps: 5000,
			check: func(t *testing.T, f0, f float64, x []float64) {
				if d := math.Hypot(x[0]-1, x[1]-1); d > 1e-3 {
					t.Errorf("x = %v is %.3g from (1, 1), want within 1e-3 (f = %.3g)", x, d, f)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.job.Steps, tc.job.LogEvery = tc.steps, tc.steps
			res, b := runJob(t, context.Background(), tc.job, gdgpu.Hooks{})
			if res.Status != gdgpu.StepLimit {
				t.Fatalf("status %v", res.Status)
			}
			f0, f := res.Samples[0].Loss, res.Final.Loss
			t.Logf("f0 = %.4g, f = %.4g after %d steps", f0, f, res.Steps)
			tc.check(t, f0, f, params(t, b))
		})
	}
}
