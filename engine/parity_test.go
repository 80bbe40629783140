package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// The parity tables: every optimizer configuration and problem, judged by
// the shared harness in harness_test.go.

// optimizerCase is one optimizer configuration of the parity table.
type optimizerCase struct {
	name string
	set  map[string]float64 // hyperparameters changed from torch's defaults
}

// optimizerCases covers every optimizer and each of its options.
func optimizerCases() []optimizerCase {
	return []optimizerCase{
		{"sgd", nil},
		{"sgd", map[string]float64{"momentum": 0.9}},
		{"sgd", map[string]float64{"momentum": 0.9, "dampening": 0.1}},
		{"sgd", map[string]float64{"momentum": 0.9, "nesterov": 1}},
		{"sgd", map[string]float64{"weight-decay": 0.01, "maximize": 1}},
		{"adagrad", nil},
		{"adagrad", map[string]float64{"lr-decay": 0.01, "initial-accumulator-value": 0.1, "weight-decay": 0.01}},
		{"adagrad", map[string]float64{"maximize": 1}},
		{"adadelta", nil},
		{"adadelta", map[string]float64{"weight-decay": 0.01, "maximize": 1}},
		{"rmsprop", nil},
		{"rmsprop", map[string]float64{"momentum": 0.9}},
		{"rmsprop", map[string]float64{"centered": 1}},
		{"rmsprop", map[string]float64{"centered": 1, "momentum": 0.5, "weight-decay": 0.01}},
		{"rmsprop", map[string]float64{"maximize": 1}},
		{"adam", nil},
		{"adam", map[string]float64{"amsgrad": 1}},
		{"adam", map[string]float64{"weight-decay": 0.01, "maximize": 1}},
		{"adam", map[string]float64{"beta1": 0.3}}, // torch's lerp takes its other form at weight >= 0.5
		{"adamw", nil},
		{"adamw", map[string]float64{"amsgrad": 1}},
		{"adamax", nil},
		{"adamax", map[string]float64{"weight-decay": 0.01, "maximize": 1}},
		{"nadam", nil},
		{"nadam", map[string]float64{"weight-decay": 0.01}},
		{"nadam", map[string]float64{"weight-decay": 0.01, "decoupled-weight-decay": 1}},
		{"radam", nil},
		{"radam", map[string]float64{"weight-decay": 0.01}},
		{"radam", map[string]float64{"weight-decay": 0.01, "decoupled-weight-decay": 1, "maximize": 1}},
	}
}

func (oc optimizerCase) String() string {
	s := oc.name
	for _, h := range gdgpu.AllHypers() { // registry order, so names are stable
		if v, ok := oc.set[h.Name]; ok {
			s += fmt.Sprintf(",%s=%g", h.Name, v)
		}
	}
	return s
}

// fedCase is a configuration of TestParityFedGradients: an optimizer case
// and the job's gradient clipping (0: off), which both backends apply to
// the gradients they are fed before the optimizer rule.
type fedCase struct {
	optimizerCase
	clipValue, clipNorm float64 // job.ClipValue, job.ClipNorm
	chunked             bool    // run through the forced small-chunk path
}

func (fc fedCase) String() string {
	s := fc.optimizerCase.String()
	if fc.clipValue > 0 {
		s += fmt.Sprintf(",clip-grad-value=%g", fc.clipValue)
	}
	if fc.clipNorm > 0 {
		s += fmt.Sprintf(",clip-grad-norm=%g", fc.clipNorm)
	}
	if fc.chunked {
		s += ",chunked"
	}
	return s
}

// fedCases is every optimizer case, the first through the small-chunk
// path, then clipping cases: by value and by norm, on plain rules and on
// ones with momentum, weight decay and maximize (clipping comes before
// them). The fed gradients (N(0,1), N = 257) have a norm near 16 and most
// components beyond 0.5, so both clippings bite. The norm spans every
// chunk, so one clip-norm case runs chunked too.
func fedCases() []fedCase {
	var cs []fedCase
	for i, oc := range optimizerCases() {
		cs = append(cs, fedCase{optimizerCase: oc, chunked: i == 0})
	}
	sgdMWM := optimizerCase{"sgd", map[string]float64{"momentum": 0.9, "weight-decay": 0.01, "maximize": 1}}
	for _, oc := range []optimizerCase{{"sgd", nil}, {"adam", nil}, sgdMWM, {"adamw", map[string]float64{"amsgrad": 1}}} {
		cs = append(cs, fedCase{optimizerCase: oc, clipValue: 0.5}, fedCase{optimizerCase: oc, clipNorm: 3})
	}
	return append(cs, fedCase{optimizerCase: optimizerCase{"sgd", nil}, clipNorm: 3, chunked: true})
}

func (oc optimizerCase) optimizer(t testing.TB) gdgpu.Optimizer {
	o, err := gdgpu.DefaultOptimizer(oc.name)
	if err != nil {
		t.Fatal(err)
	}
	for flag, v := range oc.set {
		o.Set(flag, v)
	}
	return o
}

// TestParityFedGradients feeds both backends the same seeded gradients for
// 7 steps and compares the parameters and every state vector after each
// step, for every optimizer configuration in both GPU precisions, and
// with gradient clipping by value and by norm. Two cases run through the
// forced small-chunk path.
func TestParityFedGradients(t *testing.T) {
	const dim, steps = 257, 7
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		ctx := openTest(t, Options{})
		chunked := openTest(t, Options{ChunkElems: 64})
		for ci, oc := range fedCases() {
			t.Run(prec.String()+"/"+oc.String(), func(t *testing.T) {
				job := newJob("quadratic", "sgd", dim, prec)
				job.Optimizer = oc.optimizer(t)
				job.ClipValue, job.ClipNorm = oc.clipValue, oc.clipNorm
				job.RandomStart, job.Seed = true, uint64(ci)
				c := ctx
				if oc.chunked {
					c = chunked
				}
				gpu := newBackend(t, c, &job)
				ref, err := cpu.New(&job)
				if err != nil {
					t.Fatal(err)
				}
				x0 := job.StartPoint()
				if prec == gdgpu.F32 { // both sides start from what the GPU holds
					roundF32(x0)
				}
				if err := gpu.Load(x0); err != nil {
					t.Fatal(err)
				}
				if err := ref.Load(x0); err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewPCG(uint64(ci), 99))
				g := make([]float64, dim)
				got := make([]float64, dim)
				want := make([]float64, dim)
				lr := job.Optimizer.LR
				for k := 1; k <= steps; k++ {
					for i := range g {
						g[i] = r.NormFloat64()
					}
					if prec == gdgpu.F32 {
						roundF32(g)
					}
					if err := gpu.ApplyGradient(g, lr); err != nil {
						t.Fatal(err)
					}
					if err := ref.ApplyGradient(g, lr); err != nil {
						t.Fatal(err)
					}
					if err := gpu.Params(got); err != nil {
						t.Fatal(err)
					}
					if err := ref.Params(want); err != nil {
						t.Fatal(err)
					}
					compareVec(t, fmt.Sprintf("step %d params", k), prec, got, want)
					for _, name := range job.Optimizer.StateNames() {
						if err := gpu.StateVector(name, got); err != nil {
							t.Fatal(err)
						}
						compareVec(t, fmt.Sprintf("step %d %s", k, name), prec, got, ref.StateVector(name))
					}
					if t.Failed() {
						return
					}
				}
			})
		}
	}
}

// TestParityTrajectories runs every problem with sgd and adam through the
// driver on both backends and compares the samples and final parameters.
func TestParityTrajectories(t *testing.T) {
	ctx := openTest(t, Options{})
	chunked := openTest(t, Options{ChunkElems: 1000})
	cases := []struct {
		problem, optimizer string
		lr, cond           float64
		chunked            bool
	}{
		{"quadratic", "sgd", 0.1, 1, false},
		{"quadratic", "adam", 0.01, 100, false},
		{"quadratic", "adam", 0.01, 100, true},
		{"rosenbrock", "sgd", 1e-4, 1, false},
		{"rosenbrock", "adam", 1e-3, 1, true},
	}
	for _, tc := range cases {
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			name := fmt.Sprintf("%s/%s/%s/chunked=%v", tc.problem, tc.optimizer, prec, tc.chunked)
			t.Run(name, func(t *testing.T) {
				job := newJob(tc.problem, tc.optimizer, 4099, prec)
				job.Optimizer.LR, job.Cond = tc.lr, tc.cond
				job.Steps, job.LogEvery = 20, 4
				job.RandomStart, job.Seed = true, 5
				c := ctx
				if tc.chunked {
					c = chunked
				}
				checkTrajectory(t, c, &job)
			})
		}
	}
}

// TestParityTrajectoriesEveryOptimizer runs every optimizer configuration
// with its default learning rate on an ill-conditioned quadratic through the
// driver on both backends.
func TestParityTrajectoriesEveryOptimizer(t *testing.T) {
	c := openTest(t, Options{})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		for _, oc := range optimizerCases() {
			t.Run(prec.String()+"/"+oc.String(), func(t *testing.T) {
				job := newJob("quadratic", "sgd", 1000, prec)
				job.Optimizer = oc.optimizer(t)
				job.Cond, job.Steps, job.LogEvery = 10, 20, 5
				job.RandomStart, job.Seed = true, 3
				checkTrajectory(t, c, &job)
			})
		}
	}
}

// checkTrajectory runs job through gdgpu.Run on the GPU context c and on
// the CPU from the same start, and compares every sample and the final
// parameters.
func checkTrajectory(t *testing.T, c *Context, job *gdgpu.Job) {
	t.Helper()
	prec := job.Precision
	gpu := newBackend(t, c, job)
	ref, err := cpu.New(job)
	if err != nil {
		t.Fatal(err)
	}
	x0 := job.StartPoint()
	if prec == gdgpu.F32 {
		roundF32(x0)
	}
	gres, err := gdgpu.Run(context.Background(), job, gpu, x0, gdgpu.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	cres, err := gdgpu.Run(context.Background(), job, ref, x0, gdgpu.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gres.Samples) != len(cres.Samples) || gres.Status != cres.Status {
		t.Fatalf("gpu %v with %d samples, cpu %v with %d", gres.Status, len(gres.Samples), cres.Status, len(cres.Samples))
	}
	gl, cl := make([]float64, 0, 2*len(gres.Samples)), make([]float64, 0, 2*len(gres.Samples))
	for i := range gres.Samples {
		gl = append(gl, gres.Samples[i].Loss, gres.Samples[i].GradNorm)
		cl = append(cl, cres.Samples[i].Loss, cres.Samples[i].GradNorm)
	}
	compareScalars(t, "loss and gradient norm", prec, job.Dim, gl, cl)
	got, want := make([]float64, job.Dim), make([]float64, job.Dim)
	if err := gpu.Params(got); err != nil {
		t.Fatal(err)
	}
	if err := ref.Params(want); err != nil {
		t.Fatal(err)
	}
	compareVec(t, "final params", prec, got, want)
}

// TestSnapshotRestoreAcrossBackends: a state taken from either backend
// restores the other, and stepping on from it gives what stepping straight
// on gives: bit for bit on the same backend, within the parity bounds
// across backends.
func TestSnapshotRestoreAcrossBackends(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 512})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		for _, name := range []string{"adam", "nadam", "sgd"} {
			t.Run(prec.String()+"/"+name, func(t *testing.T) {
				job := newJob("rosenbrock", name, 2000, prec)
				if name == "sgd" {
					job.Optimizer.Momentum, job.Optimizer.LR = 0.9, 1e-4
				}
				job.RandomStart, job.Seed = true, 9
				x0 := job.StartPoint()
				roundF32(x0)
				lr := []float64{job.Optimizer.LR, job.Optimizer.LR, job.Optimizer.LR}

				straight := newBackend(t, c, &job)
				if err := straight.Load(x0); err != nil {
					t.Fatal(err)
				}
				var mid, end gdgpu.State
				if err := straight.Step(lr, false); err != nil {
					t.Fatal(err)
				}
				if err := straight.Snapshot(&mid); err != nil {
					t.Fatal(err)
				}
				if err := straight.Step(lr, false); err != nil {
					t.Fatal(err)
				}
				if err := straight.Snapshot(&end); err != nil {
					t.Fatal(err)
				}

				// The same GPU backend type, fresh: bit for bit.
				resumed := newBackend(t, c, &job)
				if err := resumed.Restore(&mid); err != nil {
					t.Fatal(err)
				}
				if err := resumed.Step(lr, false); err != nil {
					t.Fatal(err)
				}
				var got gdgpu.State
				if err := resumed.Snapshot(&got); err != nil {
					t.Fatal(err)
				}
				if got.Step != end.Step || got.Scalars != end.Scalars {
					t.Errorf("resumed step %d scalars %v, straight %d %v", got.Step, got.Scalars, end.Step, end.Scalars)
				}
				for i := range end.Params {
					if got.Params[i] != end.Params[i] {
						t.Fatalf("resumed GPU x[%d] = %v, straight %v", i, got.Params[i], end.Params[i])
					}
				}

				// The CPU resumes the GPU's state and agrees within the bounds.
				ref, err := cpu.New(&job)
				if err != nil {
					t.Fatal(err)
				}
				if err := ref.Restore(&mid); err != nil {
					t.Fatal(err)
				}
				if err := ref.Step(lr, false); err != nil {
					t.Fatal(err)
				}
				var cs gdgpu.State
				if err := ref.Snapshot(&cs); err != nil {
					t.Fatal(err)
				}
				compareVec(t, "CPU resumed from the GPU's state", prec, end.Params, cs.Params)
				for k := range cs.Vectors {
					compareVec(t, "state vector "+job.Optimizer.StateNames()[k], prec, end.Vectors[k], cs.Vectors[k])
				}

				// And the GPU resumes the CPU's state.
				back := newBackend(t, c, &job)
				if err := back.Restore(&cs); err != nil {
					t.Fatal(err)
				}
				if err := back.Snapshot(&got); err != nil {
					t.Fatal(err)
				}
				if prec == gdgpu.F64 {
					for i := range cs.Params {
						if got.Params[i] != cs.Params[i] {
							t.Fatalf("f64 GPU did not restore x[%d] exactly: %v vs %v", i, got.Params[i], cs.Params[i])
						}
					}
				}
			})
		}
	}
}

// TestParityOneCycleMomentum: under a onecycle schedule that cycles
// momentum or beta1, every optimizer that has one (OptimizerInfo.Cycled)
// gives the GPU the step's value as the CPU gets it. SGD and RMSprop start
// with momentum 0: the cycle turns it on, with its buffer, as in torch.
func TestParityOneCycleMomentum(t *testing.T) {
	c := openTest(t, Options{})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		for _, name := range gdgpu.OptimizerNames() {
			info, _ := gdgpu.LookupOptimizer(name)
			if info.Cycled == "" {
				continue
			}
			t.Run(prec.String()+"/"+name, func(t *testing.T) {
				job := newJob("quadratic", name, 1000, prec)
				job.Optimizer.LR = 0.01
				job.Cond, job.Steps, job.LogEvery = 10, 30, 5
				job.RandomStart, job.Seed = true, 3
				job.Schedule, _ = gdgpu.DefaultSchedule("onecycle")
				job.Schedule.TotalSteps = job.Steps
				if err := job.Validate(); err != nil {
					t.Fatal(err)
				}
				if v := job.Optimizer.Get(info.Cycled); v != 0.95 {
					t.Fatalf("%s = %v after Validate, want max_momentum 0.95", info.Cycled, v)
				}
				checkTrajectory(t, c, &job)
			})
		}
	}
}

// TestParityTypedObjectives: objectives typed as expressions run the
// generated GLSL on the GPU and the generated float64 evaluator on the CPU
// with the same trajectories (the parity tolerances), in f32 and f64, over
// the grammar: offsets both ways, definitions, i and n, mean, min/max,
// sigmoid, softplus, exp, log, tanh, powers, and the pre-pass objectives
// (aggregates inside non-linear functions, prod).
func TestParityTypedObjectives(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 256})
	for _, src := range []string{
		"sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)",
		"w = 1 + (x[i]-1)/4; 2*mean((w-1)^2*(1 + 10*sin(pi*w+1)^2)) + n",
		"sum((x[i+2] - x[i-1])^2 + 0.1*(i+1)/n*x[i]^2)",
		"sum(softplus(x[i]) + sigmoid(x[i+1])*tanh(x[i]) + 0.5*min(x[i], x[i+1])^2 + max(x[i], 0.1)^3)",
		"sum(log(1 + x[i]^2) + exp(-x[i]^2) + sqrt(1 + x[i-1]^2) + pow(1 + x[i]^2, 0.75) + expm1(0.1*x[i]) + log1p(x[i]^2))",
		// Pre-pass objectives: Ackley, Griewank, and neighbours inside a log.
		"-20*exp(-0.2*sqrt(mean(x[i]^2))) - exp(mean(cos(2*pi*x[i]))) + 20 + e",
		"1 + sum(x[i]^2)/4000 - prod(cos(x[i]/sqrt(i+1)))",
		"log(1 + sum((x[i+1] - x[i])^2)) * (1 + 0.1*mean(x[i-2]^2))",
	} {
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			t.Run(prec.String()+"/"+src, func(t *testing.T) {
				// SGD: Adam's normalised step turns f32 rounding of a
				// near-zero gradient component into a full step either way.
				job := newJob("quadratic", "sgd", 1000, prec)
				job.Objective, job.Problem = src, ""
				job.Optimizer.LR = 1e-4
				job.Steps, job.LogEvery = 20, 5
				job.RandomStart, job.Seed = true, 3
				if err := job.Validate(); err != nil {
					t.Fatal(err)
				}
				checkTrajectory(t, c, &job)
			})
		}
	}
}
