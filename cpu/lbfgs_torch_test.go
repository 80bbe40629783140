package cpu

import (
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/testjobs"
)

// TestLBFGSTorch: the CPU's L-BFGS gives torch.optim.LBFGS's own iterates
// (torch 1.13, internal/testjobs/testdata/lbfgs_torch.json, written by
// bench/lbfgs_torch_testdata.py): Rosenbrock and the quadratic, no line
// search and strong Wolfe, history 1, 5 and 100, the loss after every
// step, the final parameters and the counts n_iter and func_evals. The
// bound is LBFGSTolerance over torch's iterations (docs/tolerances.md,
// "L-BFGS"): torch and gdgpu sum their dot products in other orders, both
// at most 10 terms deep here, well inside the model's 128.
func TestLBFGSTorch(t *testing.T) {
	cases, version := testjobs.TorchLBFGS(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			job := tc.Job(t, gdgpu.F64)
			b, err := New(&job)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			tol := gdgpu.LBFGSTolerance(gdgpu.F64, tc.NIter, tc.History, 0)
			le, pe := tc.CheckTorch(t, b, tol, true)
			t.Logf("torch %s: loss rel %.3g (tolerance %.3g), x rel %.3g (%.3g)", version, le, tol.LossRel, pe, tol.ParamRel)
		})
	}
}
