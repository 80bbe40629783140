package cpu_test

import (
	"context"
	"fmt"
	"log"

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
