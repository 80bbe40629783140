package engine_test

import (
	"context"
	"fmt"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
)

// Example runs Adam on a 4096-dimensional Rosenbrock function on the GPU
// (Mesa's llvmpipe where there is none) through the shared driver loop.
func Example() {
	ctx, err := engine.Open(engine.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ctx.Close()

	job := gdgpu.NewJob()
	job.Dim, job.Steps = 4096, 200
	b, err := ctx.NewBackend(&job)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	first := res.Samples[0]
	fmt.Printf("%s after %d steps; loss went down: %v\n", res.Status, res.Steps, res.Final.Loss < first.Loss)
	// Output: StepLimit after 200 steps; loss went down: true
}
