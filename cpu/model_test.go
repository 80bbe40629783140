package cpu

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/optimize"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
)

// modelCase is a named model job on a synthetic data set.
type modelCase struct {
	name      string
	model     string
	loss      string
	classes   int // synthetic classes (0: regression)
	l1, l2    float64
	noBias    bool
	batch     int
	val       int // validation rows taken off the end
	rows, col int
}

var modelCases = []modelCase{
	{name: "linear-mse", model: "linear", loss: "mse", rows: 60, col: 4},
	{name: "linear-mae-l1", model: "linear", loss: "mae", l1: 0.01, rows: 60, col: 4},
	{name: "linear-huber-val", model: "linear", loss: "huber", val: 10, rows: 60, col: 4},
	{name: "linear-logcosh-nobias", model: "linear", loss: "logcosh", noBias: true, rows: 60, col: 4},
	{name: "logistic-l2", model: "logistic", classes: 2, l2: 0.05, rows: 80, col: 3},
	{name: "perceptron-batch7", model: "perceptron", classes: 2, batch: 7, rows: 50, col: 3},
	{name: "hinge-val", model: "hinge", classes: 2, val: 12, rows: 70, col: 3},
	{name: "softmax-3-l2", model: "softmax", classes: 3, l2: 0.01, rows: 90, col: 4},
	{name: "softmax-2", model: "softmax", classes: 2, rows: 60, col: 3},
}

// modelJob builds the job of a case: synthetic data (seed 1), standardized.
func modelJob(t testing.TB, c modelCase) *gdgpu.Job {
	t.Helper()
	kind := "regression"
	if c.classes > 0 {
		kind = "classification"
	}
	ds, err := data.Synthetic(kind, c.rows+c.val, c.col, c.classes, 0.8, 1)
	if err != nil {
		t.Fatal(err)
	}
	ds.Standardize()
	n := c.rows
	d, err := gdgpu.NewData(c.model, ds.X[:n*c.col], ds.Y[:n], n, c.col, ds.X[n*c.col:], ds.Y[n:], c.val, c.classes)
	if err != nil {
		t.Fatal(err)
	}
	job := gdgpu.NewJob()
	job.Problem, job.Data, job.L1, job.L2, job.NoIntercept, job.BatchSize = c.model, d, c.l1, c.l2, c.noBias, c.batch
	if c.loss != "" {
		job.Loss = c.loss
	}
	job.Dim = gdgpu.ModelDim(d, !c.noBias)
	job.Precision = gdgpu.F64
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	return &job
}

// TestModelGradient checks every model's gradient against central
// differences of its loss at random points, in float64. Points are kept
// away from the kinks of MAE, the perceptron and hinge by retrying where a
// sample's z sits within 1e-4 of a kink (the difference then straddles it).
func TestModelGradient(t *testing.T) {
	for _, c := range modelCases {
		t.Run(c.name, func(t *testing.T) {
			job := modelJob(t, c)
			r := rand.New(rand.NewPCG(7, 7))
			x := make([]float64, job.Dim)
			g := make([]float64, job.Dim)
			for range 3 {
				for i := range x {
					x[i] = r.NormFloat64() * 0.5
				}
				if err := ModelGrad(job, g, x); err != nil {
					t.Fatal(err)
				}
				const h = 1e-6
				for i := range x {
					xi := x[i]
					x[i] = xi + h
					fp, _ := ModelLoss(job, x)
					x[i] = xi - h
					fm, _ := ModelLoss(job, x)
					x[i] = xi
					fd := (fp - fm) / (2 * h)
					// Central differences err by O(h^2 f''') + O(eps f / h):
					// about 1e-9 here; kinks crossed would give O(1) errors.
					if math.Abs(fd-g[i]) > 1e-6*(1+math.Abs(fd)) {
						t.Errorf("x=%v: d/dx_%d: analytic %.12g, central difference %.12g", x, i, g[i], fd)
					}
				}
			}
		})
	}
}

// TestSampleLossTable checks docs/models.md's losses at hand-computed points.
func TestSampleLossTable(t *testing.T) {
	dz := make([]float64, 3)
	for _, c := range []struct {
		name    string
		model   string
		loss    string
		z       []float64
		y       float64
		l, dl0  float64
		correct bool
	}{
		{"mse", "linear", "mse", []float64{3}, 1, 4, 4, false},
		{"mae", "linear", "mae", []float64{-1}, 1, 2, -1, false},
		{"mae at 0", "linear", "mae", []float64{1}, 1, 0, 0, false},
		{"huber inside", "linear", "huber", []float64{1.5}, 1, 0.125, 0.5, false},
		{"huber outside", "linear", "huber", []float64{4}, 1, 2.5, 1, false},
		{"logcosh", "linear", "logcosh", []float64{2}, 1, math.Log(math.Cosh(1)), math.Tanh(1), false},
		{"logcosh far", "linear", "logcosh", []float64{801}, 1, 800 - math.Ln2, 1, false},
		{"logistic", "logistic", "", []float64{0}, 1, math.Ln2, -0.5, false},
		{"logistic large", "logistic", "", []float64{-800}, 0, 0, 0, true},
		{"perceptron boundary", "perceptron", "", []float64{0}, -1, 0, 1, true}, // z = 0 predicts -1
		{"perceptron right", "perceptron", "", []float64{2}, 1, 0, 0, true},
		{"hinge margin", "hinge", "", []float64{0.5}, 1, 0.5, -1, true},
		{"hinge beyond", "hinge", "", []float64{1}, 1, 0, 0, true},
		{"softmax", "softmax", "", []float64{0, 0, 0}, 2, math.Log(3), 1.0 / 3, false},
	} {
		l, ok := sampleLoss(c.model, c.loss, 1, c.z, dz, c.y)
		if math.Abs(l-c.l) > 1e-15*(1+math.Abs(c.l)) || math.Abs(dz[0]-c.dl0) > 1e-15 || ok != c.correct {
			t.Errorf("%s: l = %v, dl/dz_0 = %v, correct %v; want %v, %v, %v", c.name, l, dz[0], ok, c.l, c.dl0, c.correct)
		}
	}
}

// sampleLoss runs model's (and loss's) CPU kernel on one row: its loss,
// dl/dz (into dz) and whether it predicts y.
func sampleLoss(model, loss string, delta float64, z, dz []float64, y float64) (float64, bool) {
	info, _ := gdgpu.LookupModel(model)
	job := gdgpu.Job{Loss: loss, Delta: delta}
	ys := []float64{y}
	l, correct := info.CPU(&job)(0, z, dz[:len(z)], ys, delta)
	return l, correct == 1
}

// TestModelLinearNormalEquations: linear regression with MSE, full batch,
// reaches the normal-equation solution [X 1]'[X 1] θ = [X 1]' y (gonum/mat)
// to 1e-6 relative in float64.
func TestModelLinearNormalEquations(t *testing.T) {
	ds, err := data.Synthetic("regression", 400, 6, 0, 0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	ds.Standardize()
	d, err := gdgpu.NewData("linear", ds.X, ds.Y, ds.Rows, ds.Cols, nil, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	job := gdgpu.NewJob()
	job.Problem, job.Data, job.Dim = "linear", d, gdgpu.ModelDim(d, true)
	job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	job.Optimizer.LR = 0.2 // the Hessian 2[X 1]'[X 1]/n is near 2I for standardized X
	job.Steps = 400
	b, err := NewModel(&job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{}); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, job.Dim)
	b.Params(got)

	want := leastSquares(t, ds)
	diff, norm := 0.0, 0.0
	for i := range want {
		diff += (got[i] - want[i]) * (got[i] - want[i])
		norm += want[i] * want[i]
	}
	if rel := math.Sqrt(diff / norm); rel > 1e-6 {
		t.Errorf("relative distance to the normal-equation solution %.3g > 1e-6\ngot  %v\nwant %v", rel, got, want)
	}
}

// TestModelLogisticLBFGS: L2-regularised logistic regression descended
// with Adam reaches the minimiser gonum's L-BFGS finds on the same
// objective (ModelLoss/ModelGrad), to 1e-5 relative: the objective is
// strongly convex (l2 > 0) so the minimiser is unique.
func TestModelLogisticLBFGS(t *testing.T) {
	job := modelJob(t, modelCase{model: "logistic", classes: 2, l2: 0.05, rows: 200, col: 3})
	job.Optimizer.LR = 0.05
	job.Steps = 3000
	b, err := NewModel(job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := gdgpu.Run(context.Background(), job, b, job.StartPoint(), gdgpu.Hooks{}); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, job.Dim)
	b.Params(got)

	prob := optimize.Problem{
		Func: func(x []float64) float64 { l, _ := ModelLoss(job, x); return l },
		Grad: func(g, x []float64) { ModelGrad(job, g, x) },
	}
	res, err := optimize.Minimize(prob, make([]float64, job.Dim), &optimize.Settings{GradientThreshold: 1e-12}, &optimize.LBFGS{})
	if err != nil && res == nil {
		t.Fatal(err)
	}
	diff, norm := 0.0, 0.0
	for i, w := range res.X {
		diff += (got[i] - w) * (got[i] - w)
		norm += w * w
	}
	if rel := math.Sqrt(diff / norm); rel > 1e-5 {
		t.Errorf("relative distance to L-BFGS's minimiser %.3g > 1e-5 (L-BFGS status %v)\ngot  %v\nwant %v", rel, res.Status, got, res.X)
	}
}

// TestModelWorkersBitIdentical: the gradient and a short stochastic run
// are the same bits on 1 and 4 goroutines (blocks depend on the rows only).
func TestModelWorkersBitIdentical(t *testing.T) {
	c := modelCase{model: "softmax", classes: 3, batch: 700, rows: 3000, col: 5, l1: 0.01}
	job := modelJob(t, c)
	job.Steps, job.LogEvery = 12, 4
	run := func(procs int) ([]float64, []gdgpu.Sample) {
		return runModel(t, job, procs, func(b *Model) {
			if b.workers != min(procs, b.blocks) {
				t.Fatalf("%d workers for GOMAXPROCS %d", b.workers, procs)
			}
		})
	}
	x1, s1 := run(1)
	x4, s4 := run(4)
	sameRun(t, "1 goroutine against 4", x1, s1, x4, s4)
}

// runModel runs job on a new Model built with GOMAXPROCS procs, after
// check (if not nil) has looked at the backend, and returns the final
// parameters and the samples.
func runModel(t *testing.T, job *gdgpu.Job, procs int, check func(*Model)) ([]float64, []gdgpu.Sample) {
	t.Helper()
	old := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(old)
	b, err := NewModel(job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if check != nil {
		check(b)
	}
	res, err := gdgpu.Run(context.Background(), job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, job.Dim)
	b.Params(x)
	return x, res.Samples
}

// sameRun fails the test unless two runs ended on the same bits and the
// same samples.
func sameRun(t *testing.T, what string, x1 []float64, s1 []gdgpu.Sample, x2 []float64, s2 []gdgpu.Sample) {
	t.Helper()
	for i := range x1 {
		if math.Float64bits(x1[i]) != math.Float64bits(x2[i]) {
			t.Fatalf("%s: x[%d]: %v, %v", what, i, x1[i], x2[i])
		}
	}
	if len(s1) != len(s2) || len(s1) < 2 {
		t.Fatalf("%s: %d and %d samples", what, len(s1), len(s2))
	}
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("%s: sample %d: %+v, %+v", what, i, s1[i], s2[i])
		}
	}
}

// TestModelBatches: with B = 7 on 50 rows a step's gradient is the mean
// over exactly the rows EpochOrder and Batch name, the last batch of the
// epoch has 1 row, and a resumed epoch continues the same order.
func TestModelBatches(t *testing.T) {
	c := modelCase{model: "linear", loss: "mse", batch: 7, rows: 50, col: 3}
	job := modelJob(t, c)
	job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	job.Optimizer.LR = 1
	job.Seed = 42
	b, err := NewModel(job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	x0 := []float64{0.1, -0.2, 0.3, 0.05}
	order := make([]int32, 50)
	for step := range 8 { // the whole epoch 0 (8 steps) and the first of epoch 1
		e, lo, hi := gdgpu.Batch(step, 7, 50)
		gdgpu.EpochOrder(order, job.Seed, e, 7)
		if err := b.SetOrder(e, order); err != nil {
			t.Fatal(err)
		}
		st := gdgpu.State{Step: step, Params: x0, Vectors: [][]float64{}}
		if err := b.Restore(&st); err != nil {
			t.Fatal(err)
		}
		if err := b.Step([]float64{1}, false); err != nil {
			t.Fatal(err)
		}
		got := make([]float64, 4)
		b.Params(got)
		// Direct: g = 2/|S| sum (w·x_i + b - y_i) [x_i, 1]; x1 = x0 - g.
		want := append([]float64(nil), x0...)
		for _, i := range order[lo:hi] {
			xi := job.Data.X[int(i)*3 : int(i)*3+3]
			r := x0[3] - float64(job.Data.Y[i])
			for j, v := range xi {
				r += x0[j] * float64(v)
			}
			for j, v := range xi {
				want[j] -= 2 * r * float64(v) / float64(hi-lo)
			}
			want[3] -= 2 * r / float64(hi-lo)
		}
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-13 {
				t.Fatalf("step %d (epoch %d, rows %d..%d): x[%d] = %v, want %v", step, e, lo, hi, j, got[j], want[j])
			}
		}
		if step == 7 && hi-lo != 1 {
			t.Fatalf("the last batch of an epoch has %d rows, want 1", hi-lo)
		}
	}
	// An order naming a row outside the set is refused (Step would index
	// past the data), and the order in place stays.
	bad := append([]int32(nil), order...)
	bad[3] = 50
	if err := b.SetOrder(0, bad); err == nil {
		t.Fatal("SetOrder took row 50 of 50")
	}
	bad[3] = -1
	if err := b.SetOrder(0, bad); err == nil {
		t.Fatal("SetOrder took row -1")
	}
	// A step of epoch 1 on epoch 0's order is refused, not silently run.
	st := gdgpu.State{Step: 8 * 2, Params: x0, Vectors: [][]float64{}}
	b.Restore(&st)
	gdgpu.EpochOrder(order, job.Seed, 1, 7)
	b.SetOrder(1, order)
	if err := b.Step([]float64{1}, false); err == nil {
		t.Fatal("a step of epoch 2 ran on epoch 1's order")
	}
}

// TestLossOnModels: Loss, Grad and GradNorm take model jobs too.
func TestLossOnModels(t *testing.T) {
	job := modelJob(t, modelCases[0])
	x := make([]float64, job.Dim)
	x[0] = 0.3
	l, _ := ModelLoss(job, x)
	g := make([]float64, job.Dim)
	ModelGrad(job, g, x)
	if Loss(job, x) != l {
		t.Errorf("Loss %v, ModelLoss %v", Loss(job, x), l)
	}
	sq := 0.0
	for i, v := range Grad(job, nil, x) {
		if v != g[i] {
			t.Fatalf("Grad[%d] %v, ModelGrad %v", i, v, g[i])
		}
		sq += v * v
	}
	if GradNorm(job, x) != math.Sqrt(sq) {
		t.Errorf("GradNorm %v, want %v", GradNorm(job, x), math.Sqrt(sq))
	}
}

// TestModelStepAllocs: a model's step, and a step with its sample, allocate
// nothing (the workers, partial sums and scratch are made by NewModel), on
// a shuffled multi-block softmax, a full-batch linear and a mini-batch
// logistic model.
func TestModelStepAllocs(t *testing.T) {
	for _, c := range []modelCase{
		{model: "softmax", classes: 3, batch: 700, rows: 3000, col: 5, l1: 0.01, l2: 0.1, val: 600},
		{model: "linear", loss: "huber", rows: 100, col: 4},
		{model: "logistic", classes: 2, batch: 10, rows: 100, col: 4},
	} {
		job := modelJob(t, c)
		b, err := NewModel(job)
		if err != nil {
			t.Fatal(err)
		}
		checkStepAllocs(t, b, job, c.model)
	}
}

// TestModelPartialsBounded: a model with many parameters keeps fewer
// blocks, so that its partial sums stay within maxPartialValues (lowered
// here; a softmax on 65536 classes of 100 features took 256 copies of its
// 6.6M parameters, 13 GiB), and the host memory check counts what is
// made. The result is still the same on 1 and 4 goroutines.
func TestModelPartialsBounded(t *testing.T) {
	c := modelCase{model: "softmax", classes: 4, batch: 700, rows: 3000, col: 5}
	job := modelJob(t, c)
	job.Steps, job.LogEvery = 6, 3
	old := maxPartialValues
	maxPartialValues = 3 * job.Dim
	defer func() { maxPartialValues = old }()
	var first []float64
	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		b, err := NewModel(job)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.partial) > maxPartialValues || b.blocks != 3 {
			t.Errorf("%d blocks, %d partial sums for %d parameters, want 3 blocks and at most %d", b.blocks, len(b.partial), job.Dim, maxPartialValues)
		}
		if want := hostBytes(&gdgpu.Job{Problem: "quadratic", Dim: job.Dim, Optimizer: job.Optimizer}) + int64(8*(len(b.partial)+job.Dim)+4*job.Data.Rows); modelHostBytes(job) != want {
			t.Errorf("modelHostBytes %d, want %d", modelHostBytes(job), want)
		}
		if _, err := gdgpu.Run(context.Background(), job, b, job.StartPoint(), gdgpu.Hooks{}); err != nil {
			t.Fatal(err)
		}
		x := make([]float64, job.Dim)
		b.Params(x)
		b.Close()
		if first == nil {
			first = x
			continue
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(first[i]) {
				t.Fatalf("x[%d]: %v on 1 goroutine, %v on 4", i, first[i], x[i])
			}
		}
	}
}

// TestModelSumDepthSoftmax: softmax's SumDepth counts the K - 1 additions
// of its normaliser, which every dl/dz_k and the loss depend on: 40
// classes add 39 to the depth of the same data under logistic regression.
func TestModelSumDepthSoftmax(t *testing.T) {
	depth := func(c modelCase) int {
		b, err := NewModel(modelJob(t, c))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		return b.SumDepth()
	}
	lo := depth(modelCase{model: "logistic", classes: 2, rows: 600, col: 3})
	sm := depth(modelCase{model: "softmax", classes: 40, rows: 600, col: 3})
	if sm-lo != 39 {
		t.Errorf("SumDepth: softmax on 40 classes %d, logistic %d; want 39 more", sm, lo)
	}
}

// checkStepAllocs fails t when a Step of b (job's model, named name in
// messages), with or without a sample, allocates; it closes b.
func checkStepAllocs(t *testing.T, b *Model, job *gdgpu.Job, name string) {
	t.Helper()
	defer b.Close()
	if err := b.Load(job.StartPoint()); err != nil {
		t.Fatal(err)
	}
	lr := []float64{1e-3, 1e-3}
	var dst []gdgpu.Sample
	for _, record := range []bool{false, true} {
		n := testing.AllocsPerRun(20, func() {
			b.opt.t = 0 // stay in epoch 0, whose order is set
			if err := b.Step(lr, record); err != nil {
				t.Fatal(err)
			}
			dst, _ = b.Samples(dst[:0], false)
		})
		if n != 0 {
			t.Errorf("%s: Step (record %v) allocates %v times", name, record, n)
		}
	}
}
