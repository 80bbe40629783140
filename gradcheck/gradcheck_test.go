package gradcheck_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/gradcheck"
	"github.com/gdgpu/gdgpu/internal/expr"
)

// checkJob is a job of problem at n parameters (a model's come from
// ModelData).
func checkJob(t *testing.T, problem string, n int) *gdgpu.Job {
	t.Helper()
	job := gdgpu.NewJob()
	job.Problem, job.Dim = problem, n
	job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	if gdgpu.IsModel(problem) {
		if err := gradcheck.ModelData(&job, "mse", 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	return &job
}

func TestEveryProblemAndModelPasses(t *testing.T) {
	names := append(gdgpu.ProblemNames(), gdgpu.ModelNames()...)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			n := 20
			if p, ok := gdgpu.LookupProblem(name); ok && p.MaxDim > 0 {
				n = p.MaxDim
			}
			job := checkJob(t, name, n)
			r, err := gradcheck.Check(job, gradcheck.Options{Points: 2, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK() || r.GPU || r.Points != 2 {
				t.Errorf("report %+v", r)
			}
		})
	}
}

func TestWrongGradientFails(t *testing.T) {
	// The true gradient with one component off by 0.5, as a wrong term
	// would make it: beyond the bound (about 1e-6 of the loss's scale).
	job := checkJob(t, "rosenbrock", 20)
	wrong := func(g, x []float64) {
		cpu.Grad(job, g, x)
		g[3] += 0.5
	}
	r, err := gradcheck.Check(job, gradcheck.Options{Points: 1, Seed: 1, Grad: wrong})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || r.FDRatio <= 1 {
		t.Errorf("a wrong gradient passed: %+v", r)
	}
	if _, err := gradcheck.Check(job, gradcheck.Options{Points: 0}); err == nil {
		t.Error("0 points accepted")
	}
}

// Check a problem's gradient against central differences of its loss on
// the CPU; with Options.GPU, the GPU's against the CPU's too.
func ExampleCheck() {
	job := gdgpu.NewJob() // Rosenbrock
	job.Dim = 100
	r, err := gradcheck.Check(&job, gradcheck.Options{Points: 3, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("within the bounds:", r.OK(), "worst/bound below 0.1:", r.FDRatio < 0.1)
	// Output: within the bounds: true worst/bound below 0.1: true
}

// TestTypedObjectiveCorpus: 40 random typed objectives over the whole
// grammar (internal/expr's generator, a third with a pre-pass), and two
// with asin and acos, pass
// gradcheck on both backends: the generated CPU gradient against central
// differences, and the generated GLSL's gradient against the CPU's, in
// f64 (atan, asin and acos included, since they have double GLSL).
func TestTypedObjectiveCorpus(t *testing.T) {
	c, err := engine.Open(engine.Options{Debug: true})
	if err != nil {
		t.Fatalf("no GL context (GL tests are required, they do not skip): %v", err)
	}
	defer c.Close()
	r := rand.New(rand.NewPCG(21, 5))
	// The generator writes no asin or acos (their domain is [-1, 1]): two
	// objectives that keep their arguments inside it come first.
	srcs := []string{
		"sum(asin(0.9*tanh(x[i])) * x[i+1] + acos(0.95*sin(x[i]))^2)",
		"sum(acos(0.999*tanh(3*x[i])) + asin(0.5*cos(x[i-1]*x[i])))",
	}
	for range 40 {
		srcs = append(srcs, expr.RandomObjective(r))
	}
	for k, src := range srcs {
		job := gdgpu.NewJob()
		job.Objective, job.Dim = src, 24
		job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
		job.Precision = gdgpu.F64
		if err := job.Validate(); err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		b, err := c.NewBackend(&job)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		g, ok := b.(gradcheck.Gradienter)
		if !ok {
			t.Fatalf("the GPU backend has no Gradient method")
		}
		rep, err := gradcheck.Check(&job, gradcheck.Options{Points: 2, Seed: uint64(k), GPU: g})
		if cerr := b.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if !rep.OK() || !rep.GPU {
			t.Errorf("%q (%v): %+v", src, job.Precision, rep)
		}
	}
}

// TestMLPEveryActivationAndDepth checks the mlp's gradient (L1 and L2
// on, 3 classes; and the regression head at depth 2) for every
// activation at depths 1 to 3 against central
// differences, its points kept off relu's and leaky-relu's kinks; and
// that a wrong component in the first layer, the one furthest from the
// loss, fails.
func TestMLPEveryActivationAndDepth(t *testing.T) {
	for _, act := range gdgpu.Activations {
		for _, c := range []struct {
			hidden []int
			task   string
		}{{[]int{6}, ""}, {[]int{5, 4}, ""}, {[]int{4, 3, 5}, ""}, {[]int{5, 4}, "regression"}} {
			hidden, task := c.hidden, c.task
			t.Run(fmt.Sprint(act, hidden, task), func(t *testing.T) {
				job := gdgpu.NewJob()
				job.Problem, job.Hidden, job.Activation, job.DataSpec.Task = "mlp", hidden, act, task
				job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
				if act == "leaky-relu" {
					job.LeakySlope = 0.2
				}
				if err := gradcheck.ModelData(&job, "mse", 5); err != nil {
					t.Fatal(err)
				}
				if err := job.Validate(); err != nil {
					t.Fatal(err)
				}
				if (task == "regression") != (job.Data.Classes == 0 && job.Data.Outputs() == 1) {
					t.Fatalf("task %q: data of %d classes, %d outputs", task, job.Data.Classes, job.Data.Outputs())
				}
				r, err := gradcheck.Check(&job, gradcheck.Options{Points: 2, Seed: 7})
				if err != nil {
					t.Fatal(err)
				}
				if !r.OK() {
					t.Errorf("report %+v", r)
				}
				wrong := func(g, x []float64) {
					cpu.ModelGrad(&job, g, x)
					g[2] += 1e-3
				}
				if r, _ := gradcheck.Check(&job, gradcheck.Options{Points: 1, Seed: 7, Grad: wrong}); r.OK() {
					t.Errorf("a gradient 1e-3 off passed: %+v", r)
				}
			})
		}
	}
}
