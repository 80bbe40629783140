package gdgpu_test

import (
	"context"
	"errors"
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

// Resume a checkpoint with a longer run through a JobRequest: the fields
// not given (the problem, the optimizer and its learning rate) come from
// the checkpoint, and Build refuses a given one that contradicts it.
func ExampleJobRequest_Build_resume() {
	r := gdgpu.NewJobRequest()
	r.Problem, r.Dim, r.Device, r.Steps = "quadratic", 1000, "cpu", 100
	r.Optimizer, r.Hyper = "sgd", map[string]float64{"lr": 0.1}
	r.Given = func(f string) bool { return f == "Job.Dim" }
	b, err := r.Build()
	if err != nil {
		log.Fatal(err)
	}
	var last *gdgpu.Checkpoint
	hooks := gdgpu.Hooks{Checkpoint: func(c *gdgpu.Checkpoint) error { last = c; return nil }}
	run := func(job *gdgpu.Job, from *gdgpu.Checkpoint) gdgpu.Result {
		be, err := cpu.New(job)
		if err != nil {
			log.Fatal(err)
		}
		defer be.Close()
		var res gdgpu.Result
		if from == nil {
			res, err = gdgpu.Run(context.Background(), job, be, job.StartPoint(), hooks)
		} else {
			res, err = gdgpu.RunFrom(context.Background(), job, be, from, hooks)
		}
		if err != nil {
			log.Fatal(err)
		}
		return res
	}
	run(&b.Job, nil)

	more := gdgpu.NewJobRequest()
	more.Device, more.Resume, more.Steps = "cpu", last, 300
	more.Given = func(f string) bool { return f == "Job.Steps" }
	rb, err := more.Build()
	if err != nil {
		log.Fatal(err)
	}
	res := run(&rb.Job, last)
	fmt.Println(rb.Job.Problem, rb.Job.Dim, rb.Job.Optimizer.Name, rb.Job.Optimizer.LR, res.StartStep, res.Steps)

	more.Hyper = map[string]float64{"lr": 0.5}
	_, err = more.Build()
	fmt.Println(errors.Is(err, gdgpu.ErrCheckpointMismatch), err)
	// Output:
	// quadratic 1000 sgd 0.1 100 300
	// true gdgpu: checkpoint of another job: Optimizer.lr 0.1 in the checkpoint, 0.5 in the job
}
