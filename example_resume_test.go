package gdgpu_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// Continue a run from its checkpoint with a longer step limit and a loss
// target: the fields set (by their FieldError names) come from the new
// job, everything else from the checkpoint's; Compatible refuses what
// contradicts it (here, another learning rate would be refused).
func ExampleCheckpoint_ResumeJob() {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery = "quadratic", 1000, 100, 50
	job.Optimizer.LR = 0.1
	var last *gdgpu.Checkpoint
	run := func(job *gdgpu.Job, from *gdgpu.Checkpoint) gdgpu.Result {
		b, err := cpu.New(job)
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		hooks := gdgpu.Hooks{Checkpoint: func(c *gdgpu.Checkpoint) error { last = c; return nil }}
		var res gdgpu.Result
		if from == nil {
			res, err = gdgpu.Run(context.Background(), job, b, job.StartPoint(), hooks)
		} else {
			res, err = gdgpu.RunFrom(context.Background(), job, b, from, hooks)
		}
		if err != nil {
			log.Fatal(err)
		}
		return res
	}
	run(&job, nil)
	cp := last

	more := gdgpu.NewJob() // what the user asked for this time
	more.Steps, more.LossTarget, more.HasTarget = 1000, 1e-6, true
	given := []string{"Job.Steps", "Job.LossTarget"}
	resumed := cp.ResumeJob(&more, func(f string) bool { return slices.Contains(given, f) })
	if err := resumed.Validate(); err != nil {
		log.Fatal(err)
	}
	if err := cp.Compatible(&resumed); err != nil {
		log.Fatal(err)
	}
	res := run(&resumed, cp)
	fmt.Println(resumed.Problem, resumed.Optimizer.LR, cp.Driver.Step, res.Status, res.Final.Loss <= 1e-6)
	// Output:
	// quadratic 0.1 100 FunctionThreshold true
}
