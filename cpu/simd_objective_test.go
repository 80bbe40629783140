package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu"
)

func TestObjectiveVectorExported(t *testing.T) {
	// Loss, Grad and GradNorm, which share the sweep's kernels, give the
	// same bits with and without the vector kernels.
	if !useAVX {
		t.Skip("this build or CPU has no vector kernels")
	}
	r := rand.New(rand.NewPCG(2, 8))
	for _, problem := range []string{"rosenbrock", "quadratic"} {
		for _, cond := range []float64{1, 100} {
			job := problemJob(problem, 3*chunk+7, cond)
			x := make([]float64, job.Dim)
			for i := range x {
				x[i] = r.NormFloat64() * 2
			}
			eval := func(vec bool) (float64, []float64, float64) {
				defer setVector(vec)()
				return Loss(job, x), Grad(job, nil, x), GradNorm(job, x)
			}
			ls, gs, ns := eval(false)
			lv, gv, nv := eval(true)
			if math.Float64bits(lv) != math.Float64bits(ls) || math.Float64bits(nv) != math.Float64bits(ns) {
				t.Errorf("%s/cond=%v: Loss %v, GradNorm %v with the vector kernels; %v, %v without", problem, cond, lv, nv, ls, ns)
			}
			if i := firstBitDiff(gv, gs); i >= 0 {
				t.Errorf("%s/cond=%v: Grad[%d] = %v with the vector kernels, %v without", problem, cond, i, gv[i], gs[i])
			}
		}
	}
}

func TestObjectiveVectorBackend(t *testing.T) {
	// Whole backends, with and without the vector kernels, over several
	// parts and an odd length, recording every step (loss terms and
	// gradient norms), from the start point and from a random one with
	// values whose terms overflow: the same bits in x and every state
	// vector, and the same samples (non-finite flags included).
	if !useAVX {
		t.Skip("this build or CPU has no vector kernels")
	}
	adam, _ := gdgpu.DefaultOptimizer("adam")
	opts := map[string]gdgpu.Optimizer{"sgd": sgdOpt(1e-4, 0), "adam": adam}
	for label, o := range opts {
		for _, pc := range []struct {
			problem string
			cond    float64
		}{{"rosenbrock", 1}, {"quadratic", 1}, {"quadratic", 100}} {
			for _, start := range []string{"start", "random"} {
				run := func(vec bool) ([]float64, [][]float64, []gdgpu.Sample) {
					defer setVector(vec)()
					job := stepJob(pc.problem, 5*chunk-13, pc.cond, o)
					b, err := newBackendOptions(job, options{workers: 3, minPar: -1})
					if err != nil {
						t.Fatal(err)
					}
					defer b.Close()
					x := job.StartPoint()
					if start == "random" {
						r := rand.New(rand.NewPCG(4, 4))
						for i := range x {
							x[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4))
						}
						x[3*chunk+1] = 1e160 // its terms overflow: flagged non-finite at that index
					}
					b.Load(x)
					for range 5 {
						b.Step([]float64{1e-3}, true)
					}
					var st gdgpu.State
					b.Snapshot(&st)
					s, _ := b.Samples(nil, true)
					return st.Params, st.Vectors, s
				}
				name := fmt.Sprintf("%s/%s/cond=%v/%s", label, pc.problem, pc.cond, start)
				xs, ss, smps := run(false)
				xv, sv, smpv := run(true)
				if i := firstBitDiff(xv, xs); i >= 0 {
					t.Errorf("%s: x[%d] = %v with the vector kernels, %v without", name, i, xv[i], xs[i])
				}
				for j := range ss {
					if i := firstBitDiff(sv[j], ss[j]); i >= 0 {
						t.Errorf("%s: state %d [%d] = %v with the vector kernels, %v without", name, j, i, sv[j][i], ss[j][i])
					}
				}
				if !slices.EqualFunc(smpv, smps, sameSample) {
					t.Errorf("%s: samples %v with the vector kernels, %v without", name, smpv, smps)
				}
			}
		}
	}
}

// sameSample reports whether a and b are equal, their floating-point
// fields bit for bit (a NaN loss equals the same NaN).
func sameSample(a, b gdgpu.Sample) bool {
	la, lb, na, nb := a.Loss, b.Loss, a.GradNorm, b.GradNorm
	a.Loss, b.Loss, a.GradNorm, b.GradNorm = 0, 0, 0, 0
	return a == b && math.Float64bits(la) == math.Float64bits(lb) && math.Float64bits(na) == math.Float64bits(nb)
}
