package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/report"
)

// Describe a CPU run as gdgpu run --json does.
func ExampleNewRun() {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps = "quadratic", 1000, 100
	job.Optimizer.LR = 0.1
	b, err := cpu.New(&job)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	r := report.NewRun(report.RunInput{
		Result:    res,
		Job:       &job,
		Entries:   report.Job{{Key: "problem", Value: job.Problem}, {Key: "dim", Value: job.Dim}},
		Device:    b.Name(),
		Precision: "f64",
		Finished:  time.Now(),
	})
	out, err := json.Marshal(struct {
		Success bool       `json:"success"`
		Status  string     `json:"status"`
		Nit     int        `json:"nit"`
		Job     report.Job `json:"job"`
	}{r.Success, r.Status, r.Nit, r.Job})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	fmt.Printf("loss %.3g, %d steps this run\n", float64(r.Fun), r.StepsThisRun)
	// Output:
	// {"success":true,"status":"StepLimit","nit":100,"job":{"problem":"quadratic","dim":1000}}
	// loss 0.00431, 100 steps this run
}

// Compare two runs and record the outcome as gdgpu compare --json does.
func ExampleCompare_Judge() {
	run := func(lr float64) (gdgpu.Result, []float64) {
		job := gdgpu.NewJob()
		job.Problem, job.Dim, job.Steps, job.LogEvery = "rosenbrock", 100, 50, 10
		job.Optimizer.LR = lr
		b, err := cpu.New(&job)
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
		if err != nil {
			log.Fatal(err)
		}
		x := make([]float64, job.Dim)
		if err := b.Params(x); err != nil {
			log.Fatal(err)
		}
		return res, x
	}
	ref, refX := run(1e-3)
	got, gotX := run(1e-3)
	tol := gdgpu.DefaultTolerance(gdgpu.F64, 50)
	res := report.NewCompare(nil, "", "")
	res.Reference = report.NewCompareSide("cpu", "f64", ref)
	res.Compared = report.NewCompareSide("cpu", "f64", got)
	res.Judge(gdgpu.Compare(ref, got, refX, gotX, tol), tol, 0, nil)
	fmt.Println(res.Success, res.Matched, float64(res.LossMaxRel))
	// Output:
	// true 6 0
}

// NaN and the infinities, which JSON has no numbers for, are strings.
func ExampleFloat() {
	out, _ := json.Marshal([]report.Float{1.5, report.Float(math.NaN()), report.Float(math.Inf(-1))})
	fmt.Println(string(out))
	// Output:
	// [1.5,"NaN","-Inf"]
}
