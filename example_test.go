package gdgpu_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/data"
)

// Run Adam on a built-in problem, a quadratic of condition number 1000 in
// 100000 dimensions, with the CPU reference backend; the GPU
// backend (engine.Context.NewBackend) runs the same job through the same
// call.
func ExampleRun() {
	job := gdgpu.NewJob() // Adam with torch's defaults
	job.Problem, job.Cond = "quadratic", 1000
	job.Dim, job.Steps, job.LogEvery = 100000, 300, 100
	job.Optimizer.LR = 0.1
	b, err := cpu.New(&job)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range res.Samples {
		fmt.Printf("step %4d  loss %.4g\n", s.Step, s.Loss)
	}
	fmt.Println(res.Status)
	// Output:
	// step    0  loss 7.231e+06
	// step  100  loss 62.36
	// step  200  loss 0.0003767
	// step  300  loss 3.218e-08
	// StepLimit
}

// separable is a CPU evaluator for f = Σ_i term(x_i): term i and
// gradient component i depend on x_i alone.
type separable struct {
	f, g func(x float64) float64
}

func (s separable) Terms(t, x []float64, lo, hi int) int {
	for i := lo; i < hi; i++ {
		t[i-lo] = s.f(x[i])
	}
	return hi - lo
}

func (s separable) Grad(g, x []float64, lo, hi int) {
	for i := lo; i < hi; i++ {
		g[i-lo] = s.g(x[i])
	}
}

// Register an objective of your own, f = Σ (x_i² - 1)², and minimise it.
// With GPU.Source (GLSL computing the same term and component) the GPU
// runs it too; examples/custom does both.
func ExampleRegisterProblem() {
	err := gdgpu.RegisterProblem(gdgpu.Problem{
		Name:       "double-well",
		Summary:    "f = sum (x_i^2 - 1)^2; minimum 0 at every x_i = ±1",
		Start:      "x_i = 0.5",
		DefaultDim: 100,
		MinDim:     1,
		Init: func(x []float64) {
			for i := range x {
				x[i] = 0.5
			}
		},
		CPU: func(job *gdgpu.Job) (gdgpu.CPUObjective, error) {
			return separable{
				f: func(x float64) float64 { return (x*x - 1) * (x*x - 1) },
				g: func(x float64) float64 { return 4 * x * (x*x - 1) },
			}, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery = "double-well", 100, 200, 100
	job.Optimizer.LR = 0.05
	b, err := cpu.New(&job)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	x := make([]float64, job.Dim)
	b.Params(x)
	fmt.Printf("%s: loss %.3g -> %.3g, x_0 = %.4f\n", res.Status, res.Samples[0].Loss, res.Final.Loss, x[0])
	// Output:
	// StepLimit: loss 56.2 -> 4.39e-09, x_0 = 1.0000
}

// Compare a run with a reference run of the same job: here the CPU
// reference against the same run started from the start point rounded to
// float32 (what a float32 GPU run starts from), judged by the float32
// tolerance that docs/tolerances.md derives.
func ExampleCompare() {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Cond, job.Steps, job.LogEvery = "quadratic", 1000, 100, 100, 10
	job.Optimizer.LR = 0.01
	run := func(x0 []float64) (gdgpu.Result, []float64) {
		b, err := cpu.New(&job)
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		res, err := gdgpu.Run(context.Background(), &job, b, x0, gdgpu.Hooks{})
		if err != nil {
			log.Fatal(err)
		}
		x := make([]float64, job.Dim)
		b.Params(x)
		return res, x
	}
	job.RandomStart, job.Seed = true, 1 // x_i ~ U[-2, 2]: not exact in float32
	x0 := job.StartPoint()
	ref, xref := run(x0)
	for i := range x0 {
		x0[i] = float64(float32(x0[i]))
	}
	got, xgot := run(x0)
	c := gdgpu.Compare(ref, got, xref, xgot, gdgpu.DefaultTolerance(gdgpu.F32, job.Steps))
	fmt.Printf("agree: %v over %d samples\n", c.OK, c.Matched)
	// Output:
	// agree: true over 11 samples
}

// ExampleLBFGSTolerance compares two runs of torch's L-BFGS, the second
// from the start rounded to float32, with the bound derived per inner
// iteration over the reference's iterations; CheckCompare refuses what
// has no such bound.
func ExampleLBFGSTolerance() {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery = "rosenbrock", 1000, 4, 1
	job.Optimizer, _ = gdgpu.DefaultOptimizer("lbfgs")
	job.Optimizer.MaxIter, job.Optimizer.History = 2, 5
	job.RandomStart, job.Seed = true, 1
	run := func(x0 []float64) (gdgpu.Result, []float64) {
		b, err := cpu.New(&job)
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		res, err := gdgpu.Run(context.Background(), &job, b, x0, gdgpu.Hooks{})
		if err != nil {
			log.Fatal(err)
		}
		x := make([]float64, job.Dim)
		b.Params(x)
		return res, x
	}
	x0 := job.StartPoint()
	ref, xref := run(x0)
	for i := range x0 {
		x0[i] = float64(float32(x0[i]))
	}
	got, xgot := run(x0)
	tol := gdgpu.LBFGSTolerance(gdgpu.F32, ref.Iterations, int(job.Optimizer.History), 0)
	c := gdgpu.Compare(ref, got, xref, xgot, tol)
	fmt.Printf("%d iterations; agree: %v over %d samples; branched: %v\n", ref.Iterations, c.OK, c.Matched, c.Branched())

	job.Precision, job.Optimizer.StrongWolfe = gdgpu.F32, true
	fmt.Println(gdgpu.CheckCompare(&job) != nil)
	// Output:
	// 4 iterations; agree: true over 5 samples; branched: false
	// true
}

// A front end's own refusal of a hyperparameter ends as JobRequest.Build's
// does: the marks name each field, which the front end writes its way.
func ExampleHyperTakes() {
	fmt.Println(gdgpu.HyperTakes("sgd"))
	fmt.Println(gdgpu.HyperTakes("gonum-bfgs"))
	fmt.Println(gdgpu.NameFields(gdgpu.HyperTakes("gonum-lbfgs"), func(f string) string { return "--" + strings.TrimPrefix(f, "Optimizer.") }))
	// Output:
	// it takes {Optimizer.lr}, {Optimizer.momentum}, {Optimizer.dampening}, {Optimizer.weight-decay}, {Optimizer.nesterov}, {Optimizer.maximize}
	// it takes no hyperparameters
	// it takes --history
}

// Share an mlp's pass with a team of helper goroutines: the products of
// its 512- and 256-wide layers are split among them, and the loss and
// gradient are the same to the bit as on one goroutine (the CPU backend
// does this when a pass has a single block of rows).
func ExampleNewTeam() {
	const rows, cols = 256, 64
	ds, err := data.Synthetic("classification", rows, cols, 10, 0.5, 1)
	if err != nil {
		log.Fatal(err)
	}
	d, err := gdgpu.NewData("mlp", ds.X, ds.Y, rows, cols, nil, nil, 0, len(ds.Classes))
	if err != nil {
		log.Fatal(err)
	}
	job := gdgpu.NewJob()
	job.Problem, job.Data, job.Hidden = "mlp", d, []int{512, 256}
	if job.Dim, err = gdgpu.ModelParams(&job); err != nil {
		log.Fatal(err)
	}
	net, err := gdgpu.ModelNetwork(&job)
	if err != nil {
		log.Fatal(err)
	}
	head := gdgpu.JobModel(&job).CPU(&job)
	w := job.StartPoint()
	x, y := make([]float64, rows*cols), make([]float64, rows)
	for i, v := range ds.X {
		x[i] = float64(v)
	}
	for i, v := range ds.Y {
		y[i] = float64(v)
	}
	scratch := make([]float64, net.Scratch(rows))

	team := gdgpu.NewTeam(3)
	defer team.Close()
	tn := net.(gdgpu.TeamNetwork)
	g1, g2 := make([]float64, job.Dim), make([]float64, job.Dim)
	l1, _ := tn.PassTeam(nil, 0, head, w, x, y, g1, scratch)
	l2, _ := tn.PassTeam(team, 0, head, w, x, y, g2, scratch)
	fmt.Println("same loss:", l1 == l2, "same gradient:", slices.Equal(g1, g2))
	// Output: same loss: true same gradient: true
}
