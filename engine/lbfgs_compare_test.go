package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// lbfgsCompare runs job on the GPU (job.Precision) and on the CPU in
// float64 with gdgpu.Run, from the same start, and compares them as gdgpu
// compare does: LBFGSTolerance over the reference's iterations, with the
// larger SumDepth of a model's two backends.
func lbfgsCompare(t *testing.T, c *Context, job, gpuJob gdgpu.Job) (gdgpu.Comparison, gdgpu.Tolerance, gdgpu.Result) {
	t.Helper()
	cjob := job
	cjob.Precision = gdgpu.F64
	var g, cb gdgpu.Backend
	var err error
	if job.Data != nil {
		g = newNet(t, c, &gpuJob)
		cb, err = cpu.NewModel(&cjob)
	} else {
		g = openBackend(t, c, &gpuJob)
		cb, err = cpu.New(&cjob)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	x0 := job.StartPoint()
	run := func(j *gdgpu.Job, b gdgpu.Backend) (gdgpu.Result, []float64) {
		r, err := gdgpu.Run(context.Background(), j, b, x0, gdgpu.Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, len(x0))
		if err := b.Params(x); err != nil {
			t.Fatal(err)
		}
		return r, x
	}
	rr, xr := run(&cjob, cb)
	gr, xg := run(&gpuJob, g)
	depth := 0
	for _, b := range []gdgpu.Backend{g, cb} {
		if sd, ok := b.(gdgpu.SumDepther); ok && job.Data != nil {
			depth = max(depth, sd.SumDepth())
		}
	}
	tol := gdgpu.LBFGSTolerance(job.Precision, rr.Iterations, int(job.Optimizer.History), depth)
	return gdgpu.Compare(rr, gr, xr, xg, tol), tol, rr
}

// TestLBFGSCompareWithinTolerance (a table of problems, a logistic model,
// both modes, history 1, 5 and 20; f32 with the line search excepted, which
// CheckCompare refuses): GPU runs of torch's L-BFGS agree with
// the CPU float64 reference within LBFGSTolerance (docs/tolerances.md,
// "L-BFGS") over a table of problems and a model on data, both modes
// and several history sizes, in f64 and f32, sampled at every step. Where
// the runs branch (their counts differ), the samples before the branch
// must agree, and the test says how many there were.
func TestLBFGSCompareWithinTolerance(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 1024})
	type tcase struct {
		problem string
		dim     int
		iter    int
		steps   int
	}
	cases := []tcase{
		{"quadratic", 3001, 4, 4},
		{"rosenbrock", 2000, 2, 5},
		{"styblinski-tang", 2000, 3, 3},
		{"model", 0, 3, 4},
	}
	for _, tc := range cases {
		for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
			for _, wolfe := range []bool{false, true} {
				for _, m := range []int{1, 5, 20} {
					name := fmt.Sprintf("%s/%s/wolfe=%v/m=%d", tc.problem, prec, wolfe, m)
					t.Run(name, func(t *testing.T) {
						var job gdgpu.Job
						if tc.problem == "model" {
							mc := modelCase{model: "logistic", l2: 0.05}
							job = mc.job(t, 300, 5, prec, 3)
							job.Optimizer, _ = gdgpu.DefaultOptimizer("lbfgs")
						} else {
							job = lbfgsJob(t, tc.problem, tc.dim, m, wolfe, tc.iter, prec)
						}
						job.Optimizer.StrongWolfe, job.Optimizer.History, job.Optimizer.MaxIter = wolfe, float64(m), float64(tc.iter)
						job.Steps, job.LogEvery = tc.steps, 1
						if err := job.Validate(); err != nil {
							t.Fatal(err)
						}
						// f32 with the line search has no derived
						// tolerance: CheckCompare refuses it, and only it.
						refused := gdgpu.CheckCompare(&job) != nil
						if want := prec == gdgpu.F32 && wolfe; refused != want {
							t.Fatalf("CheckCompare refuses: %v, want %v", refused, want)
						}
						if refused {
							return
						}
						cmp, tol, ref := lbfgsCompare(t, c, job, job)
						t.Logf("%d iterations; loss %.3g of %.3g, params %.3g of %.3g; branch at %d",
							ref.Iterations, cmp.LossMaxRel, tol.LossRel, cmp.ParamMaxRel, tol.ParamRel, cmp.BranchStep)
						if !cmp.PrefixOK() {
							t.Errorf("beyond LBFGSTolerance: %+v", cmp)
						}
						// PrefixOK alone would pass a run that branched at
						// once; in f64 these short runs make the same
						// decisions on both devices, so the whole run is judged.
						if prec == gdgpu.F64 && cmp.Branched() {
							t.Errorf("f64 run branched at step %d: only the samples before were judged", cmp.BranchStep)
						}
						if ref.Samples[0].Loss == ref.Final.Loss {
							t.Error("the run did not move: the comparison shows nothing")
						}
					})
				}
			}
		}
	}
}

// TestLBFGSCompareCatchesPerturbation: the tolerance can fail. A GPU run
// whose lr differs from the reference's by a relative 1e-2 or 1e-9 (the
// latter about 1e4 times f64's rounding, a few hundred times the derived
// bound's scale) takes the same branches and is judged beyond tolerance
// before any branch, in both modes.
func TestLBFGSCompareCatchesPerturbation(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 1024})
	for _, tc := range []struct {
		problem string
		wolfe   bool
		scale   float64
	}{
		{"quadratic", false, 1 + 1e-2},
		{"quadratic", false, 1 + 1e-9},
		{"rosenbrock", false, 1 + 1e-9},
		{"styblinski-tang", true, 1 + 1e-2},
	} {
		t.Run(fmt.Sprintf("%s/wolfe=%v/lr*%v", tc.problem, tc.wolfe, tc.scale), func(t *testing.T) {
			job := lbfgsJob(t, tc.problem, 2000, 5, tc.wolfe, 3, gdgpu.F64)
			job.Steps, job.LogEvery = 3, 1
			pjob := job
			pjob.Optimizer.LR *= tc.scale
			cmp, tol, _ := lbfgsCompare(t, c, job, pjob)
			t.Logf("loss %.3g of %.3g, params %.3g of %.3g, branch at %d", cmp.LossMaxRel, tol.LossRel, cmp.ParamMaxRel, tol.ParamRel, cmp.BranchStep)
			if cmp.OK || cmp.PrefixOK() {
				t.Errorf("a run with lr x %v is judged within tolerance: %+v", tc.scale, cmp)
			}
		})
	}
}
