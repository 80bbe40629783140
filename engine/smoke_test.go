package engine

import (
	"context"
	"math"
	"testing"

	"github.com/gdgpu/gdgpu"
)

func TestSmokeQuadraticSGD(t *testing.T) {
	c, err := Open(Options{Debug: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		job := gdgpu.NewJob()
		job.Problem, job.Dim, job.Steps, job.LogEvery, job.Precision = "quadratic", 1000, 10, 3, prec
		job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
		job.Optimizer.LR = 0.1
		b, err := c.NewBackend(&job)
		if err != nil {
			t.Fatal(err)
		}
		res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, job.Dim)
		if err := b.Params(x); err != nil {
			t.Fatal(err)
		}
		want := math.Pow(0.9, 10)
		t.Logf("%v %+v x0=%v want %v", prec, res.Samples, x[0], want)
		b.Close()
	}
}
