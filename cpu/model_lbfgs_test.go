package cpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
)

// quasiNewton are the optimizers that run a model's full-batch objective
// many times a step: torch's L-BFGS (fixed step and line search) and
// gonum's four methods.
var quasiNewton = []struct {
	name, optimizer string
	wolfe           bool
}{
	{"lbfgs", "lbfgs", false},
	{"lbfgs-wolfe", "lbfgs", true},
	{"gonum-lbfgs", "gonum-lbfgs", false},
	{"gonum-bfgs", "gonum-bfgs", false},
	{"gonum-cg", "gonum-cg", false},
	{"gonum-gd", "gonum-gd", false},
}

// withOptimizer sets job's optimizer to name's defaults, with torch's
// line search when wolfe.
func withOptimizer(t testing.TB, job *gdgpu.Job, name string, wolfe bool) {
	t.Helper()
	o, err := gdgpu.DefaultOptimizer(name)
	if err != nil {
		t.Fatal(err)
	}
	o.StrongWolfe = wolfe
	job.Optimizer = o
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
}

// fullBatchModels are the models of the quasi-Newton tests: modelCases on
// the full batch, and a small network.
func fullBatchModels(t *testing.T) []struct {
	name string
	job  *gdgpu.Job
} {
	var jobs []struct {
		name string
		job  *gdgpu.Job
	}
	for _, c := range modelCases {
		c.batch = 0
		jobs = append(jobs, struct {
			name string
			job  *gdgpu.Job
		}{c.name, modelJob(t, c)})
	}
	mlp := mlpJob(t, 60, 10, 4, 3, []int{5}, "tanh")
	mlp.L2 = 0.01
	return append(jobs, struct {
		name string
		job  *gdgpu.Job
	}{"mlp-tanh-val-l2", mlp})
}

// TestModelLBFGSMatchesTorchTranscription: torch's L-BFGS on every model's
// full-batch objective gives, after each step, the bits of the
// list-based transcription of torch's step (refLBFGS) whose closure is
// ModelLoss and ModelGrad from a fresh backend: the closure is the
// model's own full-batch evaluation, and the ring wraps (history 3).
func TestModelLBFGSMatchesTorchTranscription(t *testing.T) {
	for _, mc := range fullBatchModels(t) {
		for _, wolfe := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/wolfe=%v", mc.name, wolfe), func(t *testing.T) {
				job := *mc.job
				withOptimizer(t, &job, "lbfgs", wolfe)
				job.Optimizer.History, job.Optimizer.MaxIter = 3, 6
				b, err := NewModel(&job)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				x0 := offStart(&job)
				if err := b.Load(x0); err != nil {
					t.Fatal(err)
				}
				ref := &refLBFGS{job: &job, x: slices.Clone(x0), paths: map[string]int{}}
				for k, lr := range []float64{1, 1, 0.5} {
					if err := b.Step([]float64{lr}, false); err != nil {
						t.Fatal(err)
					}
					ref.step(lr)
					if i := firstDiff(b.opt.x, ref.x); i >= 0 {
						t.Fatalf("step %d: x[%d] = %v, torch's step gives %v", k+1, i, b.opt.x[i], ref.x[i])
					}
					if n, e := b.Counts(); n != ref.nIter || e != ref.funcEvals {
						t.Fatalf("step %d: n_iter %d func_evals %d, torch's %d %d", k+1, n, e, ref.nIter, ref.funcEvals)
					}
				}
				if slices.Equal(b.opt.x, x0) {
					t.Fatal("the run never moved: the comparison shows nothing")
				}
			})
		}
	}
}

// TestModelQuasiNewtonRuns: every quasi-Newton optimizer runs every model
// through gdgpu.Run and cpu.Open: the start's sample is the model's own
// full-batch evaluation to the bit (ModelLoss, the norm of ModelGrad);
// the final sample, figures included, is the one a model backend records
// at the final parameters; and the objective went down.
func TestModelQuasiNewtonRuns(t *testing.T) {
	for _, mc := range fullBatchModels(t) {
		for _, q := range quasiNewton {
			t.Run(mc.name+"/"+q.name, func(t *testing.T) {
				job := *mc.job
				withOptimizer(t, &job, q.optimizer, q.wolfe)
				job.Steps, job.LogEvery = 6, 2
				b, err := Open(&job)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				x0 := offStart(&job)
				res, err := gdgpu.Run(context.Background(), &job, b, x0, gdgpu.Hooks{})
				if err != nil {
					t.Fatal(err)
				}
				x := make([]float64, job.Dim)
				if err := b.Params(x); err != nil {
					t.Fatal(err)
				}
				start := res.Samples[0]
				want := recordAt(t, &job, x0)
				if start.Step != 0 || !sameBits(start.Loss, want.Loss) || !sameBits(start.GradNorm, want.GradNorm) {
					t.Errorf("start sample %+v, the model's evaluation %+v", start, want)
				}
				l0, err := ModelLoss(&job, x0)
				if err != nil {
					t.Fatal(err)
				}
				g0 := make([]float64, job.Dim)
				if err := ModelGrad(&job, g0, x0); err != nil {
					t.Fatal(err)
				}
				if !sameBits(start.Loss, l0) || !sameBits(start.GradNorm, math.Sqrt(sumSq(g0))) {
					t.Errorf("start loss %v grad norm %v, ModelLoss %v and |ModelGrad| %v", start.Loss, start.GradNorm, l0, math.Sqrt(sumSq(g0)))
				}
				final := recordAt(t, &job, x)
				final.Step = res.Final.Step
				if res.Final != final {
					t.Errorf("final sample %+v, the model records %+v at the final parameters", res.Final, final)
				}
				if res.Status != gdgpu.StepLimit && res.Status != gdgpu.FunctionConvergence {
					t.Errorf("status %v", res.Status)
				}
				// torch's L-BFGS without its line search takes the full
				// quasi-Newton step, which overshoots on the piecewise-linear
				// and linear-tailed losses (MAE, Huber, hinge): only the
				// line searches promise a descent.
				if (q.optimizer != "lbfgs" || q.wolfe) && !(res.Final.Loss < start.Loss) {
					t.Errorf("the objective went from %v to %v", start.Loss, res.Final.Loss)
				}
			})
		}
	}
}

// offStart is job's start point moved off zero (0.3 sin(i+1) added),
// where the perceptron's loss and every model's gradient are not zero.
func offStart(job *gdgpu.Job) []float64 {
	x := job.StartPoint()
	for i := range x {
		x[i] += 0.3 * math.Sin(float64(i)+1)
	}
	return x
}

// recordAt is the sample a model backend records at x (an SGD job's
// backend: the sample does not depend on the optimizer).
func recordAt(t *testing.T, job *gdgpu.Job, x []float64) gdgpu.Sample {
	t.Helper()
	j := *job
	j.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	m, err := NewModel(&j)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Load(x); err != nil {
		t.Fatal(err)
	}
	if err := m.Record(); err != nil {
		t.Fatal(err)
	}
	s, err := m.Samples(nil, true)
	if err != nil || len(s) != 1 {
		t.Fatalf("%d samples, %v", len(s), err)
	}
	return s[0]
}

// TestModelQuasiNewtonOptimum: on two objectives with a unique minimiser
// known independently, every quasi-Newton optimizer converges to it. The
// linear model with MSE has the least-squares solution of the normal
// equations (gonum/mat's Cholesky); L2-regularised logistic regression
// has gonum's LBFGS run directly on ModelLoss and ModelGrad, with its own
// gradient test at 1e-12. Bounds: the runs stop at gradient norm 1e-10
// (GradTol), which for these well-conditioned objectives (standardized
// features; Hessian eigenvalues within about [0.05, 4]) puts the point
// within about 1e-9 of the minimiser; 1e-7 relative leaves room, and
// steepest descent's slow tail takes its 400 steps to get there.
func TestModelQuasiNewtonOptimum(t *testing.T) {
	ds, err := data.Synthetic("regression", 400, 6, 0, 0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	ds.Standardize()
	d, err := gdgpu.NewData("linear", ds.X, ds.Y, ds.Rows, ds.Cols, nil, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	lin := gdgpu.NewJob()
	lin.Problem, lin.Data, lin.Dim = "linear", d, gdgpu.ModelDim(d, true)
	logistic := modelJob(t, modelCase{model: "logistic", classes: 2, l2: 0.05, rows: 200, col: 3})

	prob := optimize.Problem{
		Func: func(x []float64) float64 { l, _ := ModelLoss(logistic, x); return l },
		Grad: func(g, x []float64) { ModelGrad(logistic, g, x) },
	}
	ref, err := optimize.Minimize(prob, make([]float64, logistic.Dim), &optimize.Settings{GradientThreshold: 1e-12}, &optimize.LBFGS{})
	if err != nil && ref == nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		job  *gdgpu.Job
		want []float64
	}{
		{"linear-mse/normal-equations", &lin, leastSquares(t, ds)},
		{"logistic-l2/gonum-on-ModelLoss", logistic, ref.X},
	} {
		for _, q := range quasiNewton {
			t.Run(tc.name+"/"+q.name, func(t *testing.T) {
				job := *tc.job
				withOptimizer(t, &job, q.optimizer, q.wolfe)
				job.Steps, job.LogEvery, job.GradTol = 400, 1, 1e-10
				if q.optimizer == "lbfgs" {
					// torch's tolerance_change (1e-9) also ends a step when
					// the directional derivative g.d is above -1e-9, which
					// here is at gradient norms near 1e-5: the run would
					// stall there, as torch's does.
					job.Optimizer.ToleranceChange, job.Optimizer.ToleranceGrad = 0, 0
				}
				b, err := Open(&job)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
				if err != nil {
					t.Fatal(err)
				}
				got := make([]float64, job.Dim)
				if err := b.Params(got); err != nil {
					t.Fatal(err)
				}
				if rel := relDist(got, tc.want); rel > 1e-7 {
					t.Errorf("relative distance to the minimiser %.3g > 1e-7 (%v at step %d, grad norm %.3g)\ngot  %v\nwant %v",
						rel, res.Status, res.StatusStep, res.Final.GradNorm, got, tc.want)
				}
			})
		}
	}
}

// relDist is |a - b| / |b|.
func relDist(a, b []float64) float64 {
	diff, norm := 0.0, 0.0
	for i := range b {
		diff += (a[i] - b[i]) * (a[i] - b[i])
		norm += b[i] * b[i]
	}
	return math.Sqrt(diff / norm)
}

// leastSquares solves the normal equations [X 1]'[X 1] θ = [X 1]'y of a
// data set with gonum/mat (Cholesky): the linear model's MSE minimiser,
// weights then intercept.
func leastSquares(t *testing.T, ds *data.Dataset) []float64 {
	t.Helper()
	n, p := ds.Rows, ds.Cols+1
	a := mat.NewDense(n, p, nil)
	y := mat.NewVecDense(n, nil)
	for i := range n {
		for j := range ds.Cols {
			a.Set(i, j, float64(ds.X[i*ds.Cols+j]))
		}
		a.Set(i, ds.Cols, 1)
		y.SetVec(i, float64(ds.Y[i]))
	}
	var ata mat.SymDense
	ata.SymOuterK(1, a.T())
	var aty, theta mat.VecDense
	aty.MulVec(a.T(), y)
	var ch mat.Cholesky
	if !ch.Factorize(&ata) {
		t.Fatal("X'X is not positive definite")
	}
	if err := ch.SolveVecTo(&theta, &aty); err != nil {
		t.Fatal(err)
	}
	return theta.RawVector().Data
}

// TestModelLBFGSResume: an L-BFGS run on a model, checkpointed through
// the file format mid-run and resumed by a fresh backend with
// gdgpu.RunFrom, ends on the bits of the uninterrupted run, final sample
// and counts included.
func TestModelLBFGSResume(t *testing.T) {
	for _, mc := range fullBatchModels(t) {
		if mc.name != "softmax-3-l2" && mc.name != "mlp-tanh-val-l2" && mc.name != "linear-huber-val" {
			continue
		}
		for _, wolfe := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/wolfe=%v", mc.name, wolfe), func(t *testing.T) {
				job := *mc.job
				withOptimizer(t, &job, "lbfgs", wolfe)
				job.Optimizer.History, job.Optimizer.MaxIter = 3, 4
				job.Steps, job.LogEvery, job.CheckpointEvery = 8, 2, 3
				path := filepath.Join(t.TempDir(), "ck")
				hooks := gdgpu.Hooks{Checkpoint: func(ck *gdgpu.Checkpoint) error {
					if ck.Driver.Step != 3 {
						return nil
					}
					return gdgpu.WriteCheckpoint(path, ck)
				}}
				straight, err := Open(&job)
				if err != nil {
					t.Fatal(err)
				}
				defer straight.Close()
				sres, err := gdgpu.Run(context.Background(), &job, straight, job.StartPoint(), hooks)
				if err != nil {
					t.Fatal(err)
				}
				ck, err := gdgpu.ReadCheckpoint(path)
				if err != nil {
					t.Fatal(err)
				}
				resumed, err := Open(&job)
				if err != nil {
					t.Fatal(err)
				}
				defer resumed.Close()
				rres, err := gdgpu.RunFrom(context.Background(), &job, resumed, ck, gdgpu.Hooks{})
				if err != nil {
					t.Fatal(err)
				}
				want, got := make([]float64, job.Dim), make([]float64, job.Dim)
				straight.Params(want)
				resumed.Params(got)
				if i := firstDiff(got, want); i >= 0 {
					t.Fatalf("resumed x[%d] = %v, straight %v", i, got[i], want[i])
				}
				if rres.Final != sres.Final || rres.Iterations != sres.Iterations || rres.Evaluations != sres.Evaluations {
					t.Errorf("resumed final %+v (n_iter %d, func_evals %d), straight %+v (%d, %d)",
						rres.Final, rres.Iterations, rres.Evaluations, sres.Final, sres.Iterations, sres.Evaluations)
				}
			})
		}
	}
}

// TestModelQuasiNewtonRefusesMiniBatches: a mini-batch is refused for
// every quasi-Newton optimizer before any work, naming the field; the
// full batch, given as 0 or as the row count, is not.
func TestModelQuasiNewtonRefusesMiniBatches(t *testing.T) {
	c := modelCase{model: "logistic", classes: 2, rows: 50, col: 3}
	for _, q := range quasiNewton {
		for _, tc := range []struct {
			batch  int
			refuse bool
		}{{7, true}, {49, true}, {0, false}, {50, false}, {80, false}} {
			t.Run(fmt.Sprintf("%s/batch=%d", q.name, tc.batch), func(t *testing.T) {
				job := modelJob(t, c)
				withOptimizer(t, job, q.optimizer, q.wolfe)
				job.BatchSize = tc.batch
				b, err := Open(job)
				if err == nil {
					b.Close()
				}
				var fe *gdgpu.FieldError
				switch {
				case !tc.refuse && err != nil:
					t.Fatalf("refused: %v", err)
				case tc.refuse && (!errors.Is(err, gdgpu.ErrInvalidJob) || !errors.As(err, &fe) ||
					!strings.Contains(err.Error(), fmt.Sprintf("Job.BatchSize %d takes mini-batches", tc.batch))):
					t.Fatalf("got %v, want a refusal naming Job.BatchSize", err)
				}
			})
		}
	}
}

// TestModelLBFGSStepAllocs: an L-BFGS step on a model, with and without
// its sample, allocates nothing.
func TestModelLBFGSStepAllocs(t *testing.T) {
	for _, wolfe := range []bool{false, true} {
		job := modelJob(t, modelCase{model: "softmax", classes: 3, rows: 600, col: 5, l2: 0.1, val: 100})
		withOptimizer(t, job, "lbfgs", wolfe)
		job.Optimizer.History = 3
		b, err := NewModel(job)
		if err != nil {
			t.Fatal(err)
		}
		checkStepAllocs(t, b, job, fmt.Sprintf("lbfgs wolfe=%v", wolfe))
	}
}
