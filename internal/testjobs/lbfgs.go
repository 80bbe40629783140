// Package testjobs makes jobs for tests of several packages (it imports
// gdgpu, which internal/testcases, used by gdgpu's own tests, cannot).
package testjobs

import (
	"testing"

	"github.com/gdgpu/gdgpu"
)

// LBFGSJob is a validated job for torch's L-BFGS on problem at dim, in
// prec, with history m, the strong-Wolfe search or not, and max_iter iter
// (the rest at torch's defaults).
func LBFGSJob(t testing.TB, problem string, dim, m int, wolfe bool, iter int, prec gdgpu.Precision) gdgpu.Job {
	t.Helper()
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Precision = problem, dim, prec
	o, err := gdgpu.DefaultOptimizer("lbfgs")
	if err != nil {
		t.Fatal(err)
	}
	o.History, o.StrongWolfe, o.MaxIter = float64(m), wolfe, float64(iter)
	job.Optimizer = o
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	return job
}
