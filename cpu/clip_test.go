package cpu

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// clipModes are the two clippings, with settings that bite on the tests'
// gradients (the quadratic's with cond 10 from a random start in [-2, 2],
// and Rosenbrock's from its classic start, both with norms far above 3).
var clipModes = []struct {
	name string
	set  func(j *gdgpu.Job)
}{
	{"value=0.5", func(j *gdgpu.Job) { j.ClipValue = 0.5 }},
	{"norm=3", func(j *gdgpu.Job) { j.ClipNorm = 3 }},
}

// clipJob is a quadratic of 3 chunks less 17 elements, cond 10, from a
// seeded random start, so g_i = c_i x_i spans [-20, 20].
func clipJob(opt gdgpu.Optimizer) *gdgpu.Job {
	job := stepJob("quadratic", 3*chunk-17, 10, opt)
	job.RandomStart, job.Seed = true, 3
	return job
}

func TestClipFirstStep(t *testing.T) {
	// One step by hand: torch's clip_grad_value_ (clamp each g_i) or
	// clip_grad_norm_ (scale g by min(max_norm/(||g|| + 1e-6), 1), with
	// the norm summed naively here), then the optimizer rule on the
	// clipped gradient, maximize and weight decay included: torch clips
	// p.grad before optimizer.step() reads it. Step (recording a sample)
	// and ApplyGradient (fed the raw gradient) must both give it; the
	// sample's gradient norm is the raw one.
	sgd, _ := gdgpu.DefaultOptimizer("sgd")
	sgd.LR = 0.1
	sgdMaxWD := sgd
	sgdMaxWD.Maximize, sgdMaxWD.WeightDecay = true, 0.125
	adam, _ := gdgpu.DefaultOptimizer("adam")
	adam.LR = 0.01
	for _, opt := range []gdgpu.Optimizer{sgd, sgdMaxWD, adam} {
		for _, mode := range clipModes {
			t.Run(fmt.Sprintf("%s,maximize=%v,wd=%g/%s", opt.Name, opt.Maximize, opt.WeightDecay, mode.name), func(t *testing.T) {
				job := clipJob(opt)
				mode.set(job)
				n := job.Dim
				x0 := job.StartPoint()
				g := make([]float64, n)
				sum := 0.0
				for i, xi := range x0 {
					g[i] = gdgpu.QuadCoeff(i, n, job.Cond) * xi
					sum += g[i] * g[i]
				}
				norm := math.Sqrt(sum)
				factor := math.Min(3/(norm+1e-6), 1)
				if factor > 0.5 {
					t.Fatalf("||g|| = %v: the test's premise (clipping by norm bites) is wrong", norm)
				}
				want := make([]float64, n)
				clamped := 0
				for i, xi := range x0 {
					gi := g[i]
					if job.ClipValue > 0 {
						if math.Abs(gi) > 0.5 {
							clamped++
						}
						gi = math.Max(-0.5, math.Min(0.5, gi))
					} else {
						gi *= factor
					}
					if opt.Maximize {
						gi = -gi
					}
					gi += opt.WeightDecay * xi
					switch opt.Name {
					case "sgd":
						want[i] = xi - opt.LR*gi
					case "adam": // t = 1: m = (1-b1) g, v = (1-b2) g²
						m := (1 - opt.Beta1) * gi
						v := (1 - opt.Beta2) * gi * gi
						mhat, vhat := m/(1-opt.Beta1), v/(1-opt.Beta2)
						want[i] = xi - opt.LR*mhat/(math.Sqrt(vhat)+opt.Eps)
					}
				}
				if job.ClipValue > 0 && clamped < n/2 {
					t.Fatalf("only %d of %d components clamped: the premise is wrong", clamped, n)
				}
				check := func(what string, got []float64) {
					t.Helper()
					bad := 0
					for i := range got {
						if math.Abs(got[i]-want[i]) > 1e-13*(1+math.Abs(want[i])) {
							if bad++; bad <= 3 {
								t.Errorf("%s: x[%d] = %.17g, want %.17g", what, i, got[i], want[i])
							}
						}
					}
				}
				for _, viaStep := range []bool{true, false} {
					b, err := New(job)
					if err != nil {
						t.Fatal(err)
					}
					if err := b.Load(x0); err != nil {
						t.Fatal(err)
					}
					if viaStep {
						if err := b.Step([]float64{opt.LR}, true); err != nil {
							t.Fatal(err)
						}
						check("Step", params(t, b))
						s, _ := b.Samples(nil, true)
						if len(s) != 1 || s[0].GradNorm != GradNorm(job, x0) || !closeRel(s[0].GradNorm, norm, 1e-14) {
							t.Errorf("samples %v: want the raw gradient norm %v (GradNorm %v)", s, norm, GradNorm(job, x0))
						}
					} else {
						if err := b.ApplyGradient(g, opt.LR); err != nil {
							t.Fatal(err)
						}
						check("ApplyGradient", params(t, b))
					}
				}
			})
		}
	}
}

func TestClipInactive(t *testing.T) {
	// Clipping that does not bite changes nothing, to the bit: a norm
	// below max_norm gives the factor exactly 1 (max_norm/(||g|| + 1e-6)
	// > 1, clamped), and a clip value above every |g_i| clamps nothing.
	// Every optimizer configuration, through Step (with samples) and
	// ApplyGradient, against a backend that does not clip.
	const n, steps = 3*chunk - 17, 4
	if f := clipFactor(1e9, 20); f != 1 {
		t.Fatalf("clipFactor(1e9, 20) = %v, want exactly 1", f)
	}
	for _, oc := range optCases(trajectoryBase) {
		for _, mode := range []struct {
			name string
			set  func(j *gdgpu.Job)
		}{
			{"norm=1e9", func(j *gdgpu.Job) { j.ClipNorm = 1e9 }},
			{"value=1e9", func(j *gdgpu.Job) { j.ClipValue = 1e9 }},
		} {
			t.Run(oc.String()+"/"+mode.name, func(t *testing.T) {
				plain := clipJob(oc.opt)
				clipped := clipJob(oc.opt)
				mode.set(clipped)
				a, b := mustBackend(t, plain), mustBackend(t, clipped)
				a.Load(plain.StartPoint())
				b.Load(plain.StartPoint())
				g := make([]float64, n)
				for k := range steps {
					lr := []float64{oc.opt.LR}
					if err := errorsOf(a.Step(lr, true), b.Step(lr, true)); err != nil {
						t.Fatal(err)
					}
					Grad(plain, g, params(t, a))
					if err := errorsOf(a.ApplyGradient(g, oc.opt.LR), b.ApplyGradient(g, oc.opt.LR)); err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(params(t, a), params(t, b)) {
						t.Fatalf("step %d: parameters differ", 2*k+2)
					}
				}
				for _, name := range oc.opt.StateNames() {
					if !slices.Equal(a.StateVector(name), b.StateVector(name)) {
						t.Errorf("%s differs", name)
					}
				}
				sa, _ := a.Samples(nil, true)
				sb, _ := b.Samples(nil, true)
				if len(sa) != steps || !slices.Equal(sa, sb) {
					t.Errorf("samples differ:\n%v\n%v", sa, sb)
				}
			})
		}
	}
}

func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestClipStepMatchesApplyGradient(t *testing.T) {
	// With clipping on, Step on the objective's gradient and ApplyGradient
	// fed that gradient (Grad at the current point) are the same step, bit
	// for bit: the same clamp, and the same norm (the samples' pairwise
	// sum) for the same factor. Rosenbrock from its classic start, where
	// both clippings bite, on several chunks; every optimizer configuration.
	const n, steps, lr = 3*chunk - 17, 5, 1e-4
	for _, oc := range optCases(trajectoryBase) {
		for _, mode := range clipModes {
			t.Run(oc.String()+"/"+mode.name, func(t *testing.T) {
				job := stepJob("rosenbrock", n, 1, oc.opt)
				mode.set(job)
				a := stepMatchesApply(t, job, steps, lr, func(k int, g []float64) {
					if k == 0 {
						if nm := GradNorm(job, job.StartPoint()); nm < 100 || slices.Max(g) < 100 {
							t.Fatalf("||g|| = %v, max g_i = %v: the premise (clipping bites) is wrong", nm, slices.Max(g))
						}
					}
				})
				s, _ := a.Samples(nil, true)
				if len(s) != 1 || s[0].GradNorm != GradNorm(job, job.StartPoint()) {
					t.Errorf("sample %v: want the raw gradient norm %v", s, GradNorm(job, job.StartPoint()))
				}
			})
		}
	}
}

func TestClipNonFinite(t *testing.T) {
	// torch's clamp and clip_grad_norm_ (error_if_nonfinite=False) let a
	// NaN through: a NaN component stays NaN under clipping by value and
	// makes every component NaN under clipping by norm; an infinite norm
	// gives the factor 0.
	if f := clipFactor(3, math.Inf(1)); f != 0 {
		t.Errorf("clipFactor(3, +Inf) = %v, want 0", f)
	}
	if f := clipFactor(3, math.NaN()); !math.IsNaN(f) {
		t.Errorf("clipFactor(3, NaN) = %v, want NaN", f)
	}
	sgd, _ := gdgpu.DefaultOptimizer("sgd")
	for _, mode := range clipModes {
		job := stepJob("quadratic", 3, 1, sgd)
		mode.set(job)
		b := mustBackend(t, job)
		b.Load([]float64{1, 1, 1})
		b.ApplyGradient([]float64{math.NaN(), 2, -2}, 0.5)
		x := params(t, b)
		switch {
		case job.ClipValue > 0 && !(math.IsNaN(x[0]) && x[1] == 0.75 && x[2] == 1.25):
			t.Errorf("%s: x = %v, want [NaN 0.75 1.25]", mode.name, x)
		case job.ClipNorm > 0 && !(math.IsNaN(x[0]) && math.IsNaN(x[1]) && math.IsNaN(x[2])):
			t.Errorf("%s: x = %v, want all NaN", mode.name, x)
		}
	}
}

func TestClipAllocatesNothing(t *testing.T) {
	// Clipping keeps steps allocation-free: the whole gradient that
	// clipping by norm needs is allocated once, in New.
	for _, oc := range optCases(trajectoryBase) {
		for _, problem := range gdgpu.ProblemNames() {
			for _, mode := range clipModes {
				job := stepJob(problem, 1000, 10, oc.opt)
				mode.set(job)
				b := mustBackend(t, job)
				b.Load(job.StartPoint())
				allocs := stepCycleAllocs(b, job)
				if allocs != 0 {
					t.Errorf("%s/%s/%s: %v allocations per step cycle", oc, problem, mode.name, allocs)
				}
			}
		}
	}
}
