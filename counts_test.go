package gdgpu_test

import (
	"context"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// TestRunRecordsCounts: the driver records an L-BFGS backend's counts at
// the start and after each batch of steps, ending on Result.Iterations and
// Evaluations, rising step by step; other optimizers record none.
func TestRunRecordsCounts(t *testing.T) {
	for _, tc := range []struct {
		optimizer      string
		wolfe          bool
		logEvery, want int // want: entries, 0 for nil
	}{
		{"lbfgs", false, 1, 6},
		{"lbfgs", true, 1, 6},
		{"lbfgs", false, 2, 4}, // steps 0, 2, 4, 5
		{"adam", false, 1, 0},
	} {
		job := gdgpu.NewJob()
		job.Problem, job.Dim, job.Steps, job.LogEvery = "rosenbrock", 100, 5, tc.logEvery
		job.Optimizer, _ = gdgpu.DefaultOptimizer(tc.optimizer)
		job.Optimizer.StrongWolfe = tc.wolfe
		b, err := cpu.New(&job)
		if err != nil {
			t.Fatal(err)
		}
		res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Counts) != tc.want || (tc.want == 0) != (res.Counts == nil) {
			t.Errorf("%s wolfe=%v log-every %d: %d counts %v, want %d", tc.optimizer, tc.wolfe, tc.logEvery, len(res.Counts), res.Counts, tc.want)
			continue
		}
		for i, c := range res.Counts {
			if i == 0 && (c.Step != 0 || c.Iterations != 0 || c.Evaluations != 0) {
				t.Errorf("%s: first counts %+v, want zeros at step 0", tc.optimizer, c)
			}
			if i > 0 && (c.Step <= res.Counts[i-1].Step || c.Iterations <= res.Counts[i-1].Iterations || c.Evaluations <= res.Counts[i-1].Evaluations) {
				t.Errorf("%s: counts %v do not rise step by step", tc.optimizer, res.Counts)
			}
		}
		if n := len(res.Counts); n > 0 && (res.Counts[n-1].Step != res.Steps || res.Counts[n-1].Iterations != res.Iterations || res.Counts[n-1].Evaluations != res.Evaluations) {
			t.Errorf("%s: last counts %+v, result %d steps, %d iterations, %d evaluations", tc.optimizer, res.Counts[n-1], res.Steps, res.Iterations, res.Evaluations)
		}
	}
}
