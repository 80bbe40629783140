package cpu_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// Run L-BFGS (a CPU-only method, through gonum/optimize) on the classic
// two-dimensional Rosenbrock function from (-1.2, 1) until the gradient
// norm is at most 1e-10.
func ExampleMinimize() {
	job := gdgpu.NewJob()
	job.Problem = "rosenbrock"
	job.Dim = 2
	job.Optimizer, _ = gdgpu.DefaultOptimizer("gonum-lbfgs") // History 15
	job.Steps = 1000
	job.LogEvery = 10
	job.GradTol = 1e-10

	res, x, err := cpu.Minimize(context.Background(), &job, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	first := res.Samples[0]
	fmt.Printf("step 0: loss %.4g, gradient norm %.4g\n", first.Loss, first.GradNorm)
	fmt.Println("status:", res.Status, "at the final step:", res.StatusStep == res.Steps)
	fmt.Println("gradient norm <= 1e-10:", res.Final.GradNorm <= 1e-10)
	fmt.Printf("x = (%.6f, %.6f)\n", x[0], x[1])
	// Output:
	// step 0: loss 24.2, gradient norm 232.9
	// status: GradientThreshold at the final step: true
	// gradient norm <= 1e-10: true
	// x = (1.000000, 1.000000)
}

// The same method through gdgpu.Run, the one entry point of every
// optimizer: Open makes the backend that runs gonum's loop (a Method).
func ExampleMethod() {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery, job.GradTol = "rosenbrock", 2, 1000, 10, 1e-10
	job.Optimizer, _ = gdgpu.DefaultOptimizer("gonum-lbfgs")
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
	fmt.Printf("%T: %s, x = (%.6f, %.6f)\n", b, res.Status, x[0], x[1])
	// Output:
	// *cpu.Method: GradientThreshold, x = (1.000000, 1.000000)
}
