package engine

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// TestModelLBFGSMatchesCPU: torch's L-BFGS on a model on the GPU, its
// closure the model's full-batch gradient pass, follows the CPU
// reference's run (cpu.Model) step by step, with and without the line
// search, for every linear model and a network. Each sample (the loss,
// gradient norm, accuracy and validation loss) is compared, from a start
// off zero (where the perceptron's loss is not zero).
//
// f64: rtol 1e-12 relative to the larger of the value and 1e-6 of the
// start's loss (the gradient norm: relative to the larger of it and the
// start's), and the same n_iter and func_evals: the two sum in
// different orders, so they agree to rounding, as TestLBFGSMatchesCPU's
// test functions do; the runs are short (3 steps of at most 3 iterations)
// for the same reason.
//
// f32, fixed step only (the line search decides on float32 losses and may
// accept another step, see TestLBFGSMatchesCPU): measured, not derived;
// the loss and validation loss are within fixedF32 (1e-4) of the CPU's
// after every step, where 4.8e-6 is seen on llvmpipe. The float32 sums of
// a model's pass carry relative errors near 1e-6 (docs/tolerances.md),
// which the two-loop's curvature pairs amplify.
func TestModelLBFGSMatchesCPU(t *testing.T) {
	const fixedF32 = 1e-4
	type tc struct {
		name string
		job  func(prec gdgpu.Precision) gdgpu.Job
	}
	var cases []tc
	for _, mc := range []modelCase{
		{model: "linear", loss: "mse", val: true},
		{model: "linear", loss: "huber", l2: 0.1, noIntercept: true},
		{model: "logistic", l2: 0.05, val: true},
		{model: "perceptron", noIntercept: true},
		{model: "hinge", l1: 0.01, l2: 0.01, val: true},
		{model: "softmax", l2: 0.01, val: true},
	} {
		cases = append(cases, tc{mc.String(), func(prec gdgpu.Precision) gdgpu.Job { return mc.job(t, 300, 5, prec, 3) }})
	}
	nc := netCase{hidden: []int{5}, activation: "tanh", classes: 3, l2: 0.01, val: true}
	cases = append(cases, tc{"mlp-" + nc.String(), func(prec gdgpu.Precision) gdgpu.Job { return nc.job(t, 200, 4, prec, 3) }})
	c := openTest(t, Options{ChunkElems: 16}) // several chunks of the vector work
	worst := map[gdgpu.Precision]float64{}
	for _, cs := range cases {
		for _, v := range []struct {
			prec  gdgpu.Precision
			wolfe bool
		}{{gdgpu.F64, false}, {gdgpu.F64, true}, {gdgpu.F32, false}} {
			t.Run(fmt.Sprintf("%s/%s/wolfe=%v", cs.name, v.prec, v.wolfe), func(t *testing.T) {
				job := cs.job(v.prec)
				job.Optimizer, _ = gdgpu.DefaultOptimizer("lbfgs")
				job.Optimizer.StrongWolfe, job.Optimizer.History, job.Optimizer.MaxIter = v.wolfe, 5, 3
				if err := job.Validate(); err != nil {
					t.Fatal(err)
				}
				g := newNet(t, c, &job)
				cjob := job
				cjob.Precision = gdgpu.F64
				cb, err := cpu.NewModel(&cjob)
				if err != nil {
					t.Fatal(err)
				}
				defer cb.Close()
				x0 := job.StartPoint()
				for i := range x0 {
					x0[i] += 0.3 * math.Sin(float64(i)+1)
				}
				for _, b := range []gdgpu.Backend{g, cb} {
					if err := b.Load(x0); err != nil {
						t.Fatal(err)
					}
					for range 3 {
						if err := b.Step([]float64{1}, true); err != nil {
							t.Fatal(err)
						}
					}
					if err := b.Record(); err != nil {
						t.Fatal(err)
					}
				}
				gs, err := g.Samples(nil, true)
				if err != nil {
					t.Fatal(err)
				}
				cs, err := cb.Samples(nil, true)
				if err != nil {
					t.Fatal(err)
				}
				if len(gs) != 4 || len(cs) != 4 {
					t.Fatalf("%d and %d samples, want 4", len(gs), len(cs))
				}
				floor := 1e-6 * math.Abs(cs[0].Loss)
				rel := func(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), floor) }
				for k := range gs {
					rtol := 1e-12
					if v.prec == gdgpu.F32 {
						rtol = fixedF32
					}
					d := max(rel(gs[k].Loss, cs[k].Loss), rel(gs[k].ValLoss, cs[k].ValLoss))
					if v.prec == gdgpu.F64 {
						// The gradient at x_k sums terms of the start
						// gradient's size, so its rounding is relative
						// to that scale, not to its own, smaller norm
						// (Huber with the line search: 5e-13 on 0.115).
						d = max(d, math.Abs(gs[k].GradNorm-cs[k].GradNorm)/math.Max(cs[k].GradNorm, cs[0].GradNorm))
					}
					worst[v.prec] = max(worst[v.prec], d)
					if !(d <= rtol) || gs[k].Step != cs[k].Step || gs[k].NonFinite || cs[k].NonFinite {
						t.Errorf("step %d: GPU %+v\nCPU %+v (rel %.3g, rtol %g)", cs[k].Step, gs[k], cs[k], d, rtol)
					}
					if v.prec == gdgpu.F64 && gs[k].Accuracy != cs[k].Accuracy {
						t.Errorf("step %d: accuracy %v on the GPU, %v on the CPU", cs[k].Step, gs[k].Accuracy, cs[k].Accuracy)
					}
				}
				if v.prec == gdgpu.F64 {
					gi, ge := g.Counts()
					ci, ce := cb.Counts()
					if gi != ci || ge != ce || ci == 0 {
						t.Errorf("n_iter %d, func_evals %d on the GPU; %d, %d on the CPU", gi, ge, ci, ce)
					}
				}
				if cs[0].Loss == cs[3].Loss {
					t.Error("the run did not move: the comparison shows nothing")
				}
			})
		}
	}
	t.Logf("largest relative difference: f64 %.3g, f32 %.3g", worst[gdgpu.F64], worst[gdgpu.F32])
}

// TestModelLBFGSResumeGPU: an L-BFGS run on a model on the GPU,
// checkpointed through the file format mid-run and resumed by a fresh
// backend with gdgpu.RunFrom, ends on the bits of the uninterrupted run,
// final sample and counts included, in both precisions.
func TestModelLBFGSResumeGPU(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		for _, wolfe := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/wolfe=%v", prec, wolfe), func(t *testing.T) {
				job := modelCase{model: "softmax", l2: 0.01, val: true}.job(t, 120, 4, prec, 5)
				job.Optimizer, _ = gdgpu.DefaultOptimizer("lbfgs")
				job.Optimizer.StrongWolfe, job.Optimizer.History, job.Optimizer.MaxIter = wolfe, 3, 4
				job.Steps, job.LogEvery, job.CheckpointEvery = 8, 2, 3
				path := filepath.Join(t.TempDir(), "ck")
				hooks := gdgpu.Hooks{Checkpoint: func(ck *gdgpu.Checkpoint) error {
					if ck.Driver.Step != 3 {
						return nil
					}
					return gdgpu.WriteCheckpoint(path, ck)
				}}
				straight := newModel(t, c, &job)
				sres, err := gdgpu.Run(context.Background(), &job, straight, job.StartPoint(), hooks)
				if err != nil {
					t.Fatal(err)
				}
				ck, err := gdgpu.ReadCheckpoint(path)
				if err != nil {
					t.Fatal(err)
				}
				resumed := newModel(t, c, &job)
				rres, err := gdgpu.RunFrom(context.Background(), &job, resumed, ck, gdgpu.Hooks{})
				if err != nil {
					t.Fatal(err)
				}
				checkResumedParams(t, straight, resumed, job.Dim)
				if rres.Final != sres.Final || rres.Iterations != sres.Iterations || rres.Evaluations != sres.Evaluations || sres.Evaluations == 0 {
					t.Errorf("resumed final %+v (n_iter %d, func_evals %d), straight %+v (%d, %d)",
						rres.Final, rres.Iterations, rres.Evaluations, sres.Final, sres.Iterations, sres.Evaluations)
				}
			})
		}
	}
}
