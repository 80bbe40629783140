package cpu_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// Run Adam on a small ill-conditioned quadratic with the reference backend,
// through the same driver loop the GPU uses.
func Example() {
	job := gdgpu.NewJob() // Adam with torch's defaults
	job.Problem = "quadratic"
	job.Dim = 16
	job.Cond = 100
	job.Optimizer.LR = 0.05
	job.Steps = 500
	job.LogEvery = 100

	b, err := cpu.New(&job)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Name(), res.Status, "after", res.Steps, "steps")
	for _, s := range res.Samples {
		fmt.Printf("step %3d  loss %.3g\n", s.Step, s.Loss)
	}
	// Output:
	// cpu/f64 StepLimit after 500 steps
	// step   0  loss 188
	// step 100  loss 0.00333
	// step 200  loss 1.52e-07
	// step 300  loss 1.38e-12
	// step 400  loss 1.91e-17
	// step 500  loss 4.15e-21
}
