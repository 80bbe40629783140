package gdgpu_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// Train softmax regression on Iris, checkpoint it half-way, and resume the
// checkpoint in a fresh job: LoadData rebuilds the Data from the
// checkpoint's DataSpec, so the resumed run ends where one uninterrupted
// run does.
func ExampleLoadData() {
	spec := gdgpu.DataSpec{File: filepath.Join("data", "testdata", "iris.csv"), Target: "species",
		Standardize: true, ValFraction: 0.2}
	job := gdgpu.NewJob()
	job.Problem, job.Seed, job.Steps, job.LogEvery = "softmax", 1, 200, 100
	job.Optimizer.LR, job.BatchSize = 0.05, 16
	ld, err := gdgpu.LoadData(job.Problem, spec, job.Seed)
	if err != nil {
		log.Fatal(err)
	}
	job.Data, job.DataSpec, job.Dim = ld.Data, spec, gdgpu.ModelDim(ld.Data, true)
	fmt.Println(ld.Features, ld.Classes)

	dir, err := os.MkdirTemp("", "gdgpu-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ckpt := filepath.Join(dir, "iris.ckpt")
	half := job
	half.CheckpointEvery = 100
	run := func(job *gdgpu.Job, from *gdgpu.Checkpoint, hooks gdgpu.Hooks) gdgpu.Result {
		b, err := cpu.Open(job)
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		var res gdgpu.Result
		if from != nil {
			res, err = gdgpu.RunFrom(context.Background(), job, b, from, hooks)
		} else {
			res, err = gdgpu.Run(context.Background(), job, b, job.StartPoint(), hooks)
		}
		if err != nil {
			log.Fatal(err)
		}
		return res
	}
	whole := run(&job, nil, gdgpu.Hooks{})
	half.Steps = 100
	run(&half, nil, gdgpu.Hooks{Checkpoint: func(c *gdgpu.Checkpoint) error { return gdgpu.WriteCheckpoint(ckpt, c) }})

	// A fresh process knows only the file.
	cp, err := gdgpu.ReadCheckpoint(ckpt)
	if err != nil {
		log.Fatal(err)
	}
	resumed := cp.Job
	ld, err = gdgpu.LoadData(resumed.Problem, resumed.DataSpec, resumed.Seed)
	if err != nil {
		log.Fatal(err)
	}
	resumed.Data, resumed.Steps, resumed.CheckpointEvery = ld.Data, 200, 0
	res := run(&resumed, cp, gdgpu.Hooks{})
	fmt.Printf("step %d: loss %.6f, val accuracy %.4f\n", res.Final.Step, res.Final.Loss, res.Final.ValAccuracy)
	fmt.Println("same as one run:", res.Final.Loss == whole.Final.Loss)
	// Output:
	// [sepal_length sepal_width petal_length petal_width] [0 1 2]
	// step 200: loss 0.106501, val accuracy 0.9667
	// same as one run: true
}
