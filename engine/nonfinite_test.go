package engine

import (
	"context"
	"math"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// divergentCase is a run that must stop with Diverged at a known first
// non-finite value.
type divergentCase struct {
	name  string
	job   func(prec gdgpu.Precision) gdgpu.Job
	start func(n int) []float64
	// want gives the first bad (step, index) for a precision; nil: the
	// CPU reference's answer (f64), or only "diverged" (f32).
	want func(prec gdgpu.Precision) (int, int)
}

// quadSGDBad simulates x <- x - lr*x from 1 in the precision and returns the
// step of the first non-finite loss term, gradient or new parameter.
func quadSGDBad(prec gdgpu.Precision, lr, x0 float64) int {
	round := func(v float64) float64 {
		if prec == gdgpu.F32 {
			return float64(float32(v))
		}
		return v
	}
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	x, r := round(x0), round(lr)
	for t := 0; ; t++ {
		if bad(round(x*x)) || bad(x) {
			return t
		}
		xn := round(x - round(r*x))
		if bad(xn) {
			return t + 1
		}
		x = xn
	}
}

func divergentCases() []divergentCase {
	return []divergentCase{
		{
			name: "quadratic/sgd lr=1e10, one nonzero at 37",
			job: func(prec gdgpu.Precision) gdgpu.Job {
				j := newJob("quadratic", "sgd", 100, prec)
				j.Optimizer.LR = 1e10
				return j
			},
			start: func(n int) []float64 { x := make([]float64, n); x[37] = 1; return x },
			want:  func(prec gdgpu.Precision) (int, int) { return quadSGDBad(prec, 1e10, 1), 37 },
		},
		{
			name: "rosenbrock/sgd lr=0.5",
			job: func(prec gdgpu.Precision) gdgpu.Job {
				j := newJob("rosenbrock", "sgd", 1000, prec)
				j.Optimizer.LR = 0.5
				return j
			},
			start: func(n int) []float64 {
				x := make([]float64, n)
				for i := range x {
					x[i] = 0.25 + float64(i%7)/8 // exact in float32
				}
				return x
			},
		},
		{
			// x_7 doubles in size each step from 1e18.
			name: "quadratic/sgd lr=3, huge start value at 7",
			job: func(prec gdgpu.Precision) gdgpu.Job {
				j := newJob("quadratic", "sgd", 16, prec)
				j.Optimizer.LR = 3
				return j
			},
			start: func(n int) []float64 { x := make([]float64, n); x[7] = 1e18; return x },
			want:  func(prec gdgpu.Precision) (int, int) { return quadSGDBad(prec, 3, 1e18), 7 },
		},
	}
}

// TestDivergedNamesFirstBadValue: each divergent run stops with Diverged at
// the first non-finite value's step and index, on the GPU in both
// precisions and on the CPU reference, and ends on its last kept finite
// state, the state a run of KeptStep steps reaches.
func TestDivergedNamesFirstBadValue(t *testing.T) {
	c := openTest(t, Options{})
	for _, tc := range divergentCases() {
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			t.Run(tc.name+"/"+prec.String(), func(t *testing.T) {
				job := tc.job(prec)
				job.Steps, job.LogEvery = 1000, 2
				x0 := tc.start(job.Dim)
				wantStep, wantIndex := -1, -1
				if tc.want != nil {
					wantStep, wantIndex = tc.want(prec)
				}
				if prec == gdgpu.F64 && wantStep < 0 {
					cb, err := cpu.New(&job)
					if err != nil {
						t.Fatal(err)
					}
					res, err := gdgpu.Run(context.Background(), &job, cb, x0, gdgpu.Hooks{})
					if err != nil || res.Status != gdgpu.Diverged {
						t.Fatalf("cpu: %v %v", res.Status, err)
					}
					wantStep, wantIndex = res.StatusStep, res.BadIndex
					checkKept(t, "cpu", &job, cb, x0, res, func(j *gdgpu.Job) gdgpu.Backend {
						b, err := cpu.New(j)
						if err != nil {
							t.Fatal(err)
						}
						return b
					})
				}
				b := newBackend(t, c, &job)
				res, err := gdgpu.Run(context.Background(), &job, b, x0, gdgpu.Hooks{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != gdgpu.Diverged {
					t.Fatalf("status %v at %d, want Diverged", res.Status, res.StatusStep)
				}
				if wantStep >= 0 && (res.StatusStep != wantStep || res.BadIndex != wantIndex) {
					t.Errorf("diverged at step %d index %d, want step %d index %d", res.StatusStep, res.BadIndex, wantStep, wantIndex)
				}
				// A float32 gradient norm can overflow in its sum of squares
				// before any value does: then no index is named.
				named := !(prec == gdgpu.F32 && tc.want == nil)
				if named && (res.BadIndex < 0 || res.BadIndex >= job.Dim) || res.StatusStep < 1 {
					t.Errorf("diverged at step %d index %d", res.StatusStep, res.BadIndex)
				}
				checkKept(t, "gpu", &job, b, x0, res, func(j *gdgpu.Job) gdgpu.Backend { return newBackend(t, c, j) })
			})
		}
	}
}

// checkKept: after a Diverged run the backend holds finite parameters,
// bit for bit those of a run of res.KeptStep steps on a fresh backend.
func checkKept(t *testing.T, what string, job *gdgpu.Job, b gdgpu.Backend, x0 []float64, res gdgpu.Result, fresh func(*gdgpu.Job) gdgpu.Backend) {
	t.Helper()
	if res.KeptStep < 0 || res.KeptStep >= res.StatusStep {
		t.Fatalf("%s: kept step %d, diverged at %d", what, res.KeptStep, res.StatusStep)
	}
	got := make([]float64, job.Dim)
	if err := b.Params(got); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, job.Dim)
	fb := fresh(job)
	if err := fb.Load(x0); err != nil {
		t.Fatal(err)
	}
	lr := make([]float64, res.KeptStep)
	for i := range lr {
		lr[i] = job.Optimizer.LR // constant schedule
	}
	if len(lr) > 0 {
		if err := fb.Step(lr, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := fb.Params(want); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if math.IsNaN(got[i]) || math.IsInf(got[i], 0) || got[i] != want[i] {
			t.Fatalf("%s: x[%d] = %v after revert, want %v (the state at step %d)", what, i, got[i], want[i], res.KeptStep)
		}
	}
}

// TestStateOverflowCaught: Adam's v overflows float32 while the loss, the
// gradient and x stay finite (x - m*stepSize/inf = x). Step 0 moves x_7
// from 1 to -1e16 (lr 1e16); step 1 has g = c_7*x_7 = -1e22 and v =
// 1e-3*g^2 = 1e41: the record names the new state value, step 2, index 7,
// though the next sample (step 4) only shows an infinite gradient norm.
func TestStateOverflowCaught(t *testing.T) {
	c := openTest(t, Options{})
	job := newJob("quadratic", "adam", 8, gdgpu.F32)
	job.Cond = 1e6 // c_7 = 1e6: g = 1e22, (1-beta2)*g*g = 1e41
	job.Steps, job.LogEvery = 10, 4
	job.Optimizer.LR = 1e16
	x0 := make([]float64, job.Dim)
	x0[7] = 1
	b := newBackend(t, c, &job)
	res, err := gdgpu.Run(context.Background(), &job, b, x0, gdgpu.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != gdgpu.Diverged || res.StatusStep != 2 || res.BadIndex != 7 || res.KeptStep != 0 {
		t.Fatalf("%v at step %d index %d kept %d, want Diverged at step 2 index 7 kept 0", res.Status, res.StatusStep, res.BadIndex, res.KeptStep)
	}
	v := make([]float64, job.Dim)
	if err := b.StateVector("exp_avg_sq", v); err != nil {
		t.Fatal(err)
	}
	for i, e := range v {
		if e != 0 {
			t.Errorf("v[%d] = %v after revert to step 0", i, e)
		}
	}
}

// TestNonFiniteStartRefused: a start point whose loss overflows is refused
// before any step, on both backends.
func TestNonFiniteStartRefused(t *testing.T) {
	c := openTest(t, Options{})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		job := newJob("quadratic", "sgd", 10, prec)
		x0 := make([]float64, job.Dim)
		x0[3] = math.Inf(1)
		for _, b := range []gdgpu.Backend{newBackend(t, c, &job), must(cpu.New(&job))} {
			res, err := gdgpu.Run(context.Background(), &job, b, x0, gdgpu.Hooks{})
			if err == nil || res.Steps != 0 {
				t.Errorf("%s: start at +Inf ran %d steps, error %v", b.Name(), res.Steps, err)
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
