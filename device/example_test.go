package device_test

import (
	"context"
	"fmt"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/device"
	"github.com/gdgpu/gdgpu/engine"
)

// Open a backend by its device's name, as gdgpu run --device does, and
// run a job on it. "gpu" opens a GL context of its own (engine.Options
// choose it), which Close closes; a job too big for the device is refused
// with an error matching cpu.ErrTooBig or engine.ErrTooBig.
func ExampleOpen() {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps = "rosenbrock", 2, 2000
	job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
	job.Optimizer.LR = 0.02
	if err := job.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	d, err := device.Open("cpu", &job, engine.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	res, err := gdgpu.Run(context.Background(), &job, d.Backend, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d)
	fmt.Println(res.Status, res.StatusStep)
	// Output:
	// cpu/f64 (float64 reference)
	// StepLimit 2000
}

// Compare a job's run with the CPU float64 reference from the same start
// point, as gdgpu compare does: a nil GL context compares the CPU with
// itself (a self-check that agrees exactly); an engine.Context compares
// its GPU. The tolerance is the one the job is judged by
// (gdgpu.ToleranceFor).
func ExampleCompare() {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps = "rosenbrock", 100, 30
	job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
	if err := job.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	j, err := device.Compare(context.Background(), nil, &job, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(j.Reference.Result.Status, j.Compared.Result.Status)
	fmt.Printf("loss rel tolerance %.3g, within it: %v\n", j.Tolerance.LossRel, j.Comparison.OK)
	// Output:
	// StepLimit StepLimit
	// loss rel tolerance 4.09e-14, within it: true
}
