package cpu_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// torch.optim.LBFGS with its strong-Wolfe line search on the 100-parameter
// Rosenbrock function, through gdgpu.Run: each step is one
// LBFGS.step(closure) of up to 20 iterations, and the run stops on the
// job's gradient rule between steps.
func ExampleBackend_lbfgs() {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery, job.GradTol = "rosenbrock", 100, 100, 1, 1e-3
	job.Optimizer, _ = gdgpu.DefaultOptimizer("lbfgs")
	job.Optimizer.StrongWolfe = true
	b, err := cpu.Open(&job)
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
	fmt.Printf("%s at step %d: loss %.2g, x[0] = %.6f\n", res.Status, res.StatusStep, res.Final.Loss, x[0])
	// Output:
	// GradientThreshold at step 25: loss 5.8e-10, x[0] = 1.000000
}

// torch.optim.LBFGS on a model on data: L2-regularised softmax regression
// on Iris, full batch (a mini-batch is refused), with the line search.
// The closure is the model's full-batch objective, and the samples carry
// the accuracy and the held-out figures as for any optimizer.
func ExampleModel_lbfgs() {
	spec := gdgpu.DataSpec{File: filepath.Join("..", "data", "testdata", "iris.csv"), Target: "species",
		Standardize: true, ValFraction: 0.2}
	job := gdgpu.NewJob()
	job.Problem, job.Seed, job.Steps, job.LogEvery, job.L2 = "softmax", 1, 20, 20, 0.01
	job.Optimizer, _ = gdgpu.DefaultOptimizer("lbfgs")
	job.Optimizer.StrongWolfe = true
	ld, err := gdgpu.LoadData(job.Problem, spec, job.Seed)
	if err != nil {
		log.Fatal(err)
	}
	job.Data, job.DataSpec, job.Dim = ld.Data, spec, gdgpu.ModelDim(ld.Data, true)
	b, err := cpu.Open(&job)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	f := res.Final
	fmt.Printf("%s at step %d: loss %.4f, accuracy %.3f, held out %.3f\n", res.Status, res.StatusStep, f.Loss, f.Accuracy, f.ValAccuracy)
	// Output:
	// StepLimit at step 20: loss 0.2479, accuracy 0.975, held out 0.967
}
