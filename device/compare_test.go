package device_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/device"
	"github.com/gdgpu/gdgpu/engine"
)

// compareJob is a job for TestPairCompare: a test function, a model on
// synthetic data, or L-BFGS.
func compareJob(t *testing.T, kind string, prec gdgpu.Precision) *gdgpu.Job {
	t.Helper()
	job := gdgpu.NewJob()
	job.Precision, job.Steps = prec, 30
	var err error
	switch kind {
	case "function":
		job.Problem, job.Dim = "rosenbrock", 100
		job.Optimizer, err = gdgpu.DefaultOptimizer("adam")
	case "model":
		job.Problem, job.Seed, job.BatchSize, job.Steps = "logistic", 1, 10, 10
		job.Optimizer, err = gdgpu.DefaultOptimizer("adam")
		var ld *gdgpu.LoadedData
		if ld, err = gdgpu.LoadData(job.Problem, gdgpu.DataSpec{Synthetic: "classification", Samples: 100, NumFeatures: 3}, job.Seed); err == nil {
			job.Data, job.Dim = ld.Data, gdgpu.ModelDim(ld.Data, true)
		}
	case "lbfgs":
		job.Problem, job.Dim, job.Cond, job.Steps = "quadratic", 10, 100, 2 // ill-conditioned: many iterations a step
		job.Optimizer, err = gdgpu.DefaultOptimizer("lbfgs")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	return &job
}

// TestPairCompare: a comparison runs both sides from the same start to
// their end, chooses the tolerance gdgpu compare judges the job by (the
// default, a model's with the deepest sum, L-BFGS's over the reference's
// iterations) and finds them within it; the CPU against itself agrees
// exactly.
func TestPairCompare(t *testing.T) {
	ec, err := engine.Open(engine.Options{Debug: true})
	if err != nil {
		t.Fatalf("no GL context (GL tests are required, they do not skip): %v", err)
	}
	defer ec.Close()
	for _, tc := range []struct {
		kind string
		gpu  bool
		prec gdgpu.Precision // the job's; the CPU compares in f64
	}{
		{"function", false, gdgpu.F32},
		{"model", false, gdgpu.F32},
		{"lbfgs", false, gdgpu.F64},
		{"function", true, gdgpu.F32},
		{"function", true, gdgpu.F64},
		{"model", true, gdgpu.F32},
		{"lbfgs", true, gdgpu.F64},
	} {
		name := tc.kind + "/cpu"
		var on *engine.Context
		if tc.gpu {
			name, on = tc.kind+"/gpu/"+tc.prec.String(), ec
		}
		t.Run(name, func(t *testing.T) {
			job := compareJob(t, tc.kind, tc.prec)
			p, err := device.OpenPair(on, job)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			prec := tc.prec
			if !tc.gpu {
				prec = gdgpu.F64
			}
			if p.Precision != prec || p.Reference.Backend.Name() != "cpu/f64" || p.Compared.Backend.Name() != map[bool]string{false: "cpu/", true: "gpu/"}[tc.gpu]+prec.String() {
				t.Fatalf("pair %s vs %s in %s, want cpu/f64 vs the %s in %s", p.Reference, p.Compared, p.Precision, name, prec)
			}
			j, err := p.Compare(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if j.Interrupted != device.NoSide {
				t.Fatalf("interrupted: %v", j.Interrupted)
			}
			for _, o := range []device.Outcome{j.Reference, j.Compared} {
				if o.Result.Status != gdgpu.StepLimit || len(o.X) != job.Dim {
					t.Fatalf("run %v at step %d with %d parameters, want StepLimit at %d with %d", o.Result.Status, o.Result.StatusStep, len(o.X), job.Steps, job.Dim)
				}
			}
			// The tolerance each kind is judged by.
			var want gdgpu.Tolerance
			switch tc.kind {
			case "function":
				want = gdgpu.DefaultTolerance(prec, job.Steps)
			case "model":
				if j.Depth < 1 || j.Depth != gdgpu.MaxSumDepth(p.Reference.Backend, p.Compared.Backend) {
					t.Errorf("depth %d, want the backends' deepest sum (%d)", j.Depth, gdgpu.MaxSumDepth(p.Reference.Backend, p.Compared.Backend))
				}
				want = gdgpu.ModelTolerance(prec, job.Steps, j.Depth)
			case "lbfgs":
				if j.Reference.Result.Iterations <= job.Steps {
					t.Errorf("reference made %d iterations in %d steps, want more", j.Reference.Result.Iterations, job.Steps)
				}
				want = gdgpu.LBFGSTolerance(prec, j.Reference.Result.Iterations, int(job.Optimizer.History), 0)
			}
			if j.Tolerance != want || j.LBFGS != (tc.kind == "lbfgs") || (j.Depth != 0) != (tc.kind == "model") {
				t.Errorf("tolerance %+v (depth %d, L-BFGS %v), want %+v", j.Tolerance, j.Depth, j.LBFGS, want)
			}
			if want := gdgpu.Compare(j.Reference.Result, j.Compared.Result, j.Reference.X, j.Compared.X, want); j.Comparison != want {
				t.Errorf("comparison %+v, want %+v", j.Comparison, want)
			}
			if !j.Comparison.OK {
				t.Errorf("beyond tolerance: %+v", j.Comparison)
			}
			if !tc.gpu && (j.Comparison.LossMaxAbs != 0 || j.Comparison.ParamMaxAbs != 0) {
				t.Errorf("the CPU against itself differs: loss %g, parameters %g", j.Comparison.LossMaxAbs, j.Comparison.ParamMaxAbs)
			}
		})
	}
}

// TestPairCompareInterrupted: an interrupted run ends the comparison with
// nothing judged, and an interrupted reference leaves the compared device
// unrun.
func TestPairCompareInterrupted(t *testing.T) {
	job := compareJob(t, "function", gdgpu.F64)
	for _, tc := range []struct {
		cancelAt device.Side // the run started with a cancelled context
		want     device.Side
	}{
		{device.ReferenceSide, device.ReferenceSide},
		{device.ComparedSide, device.ComparedSide},
		{device.NoSide, device.NoSide},
	} {
		p, err := device.OpenPair(nil, job)
		if err != nil {
			t.Fatal(err)
		}
		runner := p.Runner(job.StartPoint(), gdgpu.Hooks{})
		var ran []*device.Device
		j, err := p.Compare(t.Context(), func(ctx context.Context, d *device.Device) (device.Outcome, error) {
			ran = append(ran, d)
			if (d == p.Reference) == (tc.cancelAt == device.ReferenceSide) && tc.cancelAt != device.NoSide {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			return runner(ctx, d)
		})
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		wantRan := []*device.Device{p.Reference, p.Compared}
		if tc.want == device.ReferenceSide {
			wantRan = wantRan[:1]
		}
		if j.Interrupted != tc.want || len(ran) != len(wantRan) || ran[0] != p.Reference || ran[len(ran)-1] != wantRan[len(wantRan)-1] {
			t.Errorf("cancelled at %v: interrupted %v after %d runs, want %v after %d", tc.cancelAt, j.Interrupted, len(ran), tc.want, len(wantRan))
		}
		if judged := j.Tolerance != (gdgpu.Tolerance{}); judged != (tc.want == device.NoSide) {
			t.Errorf("cancelled at %v: judged %v with %v interrupted", tc.cancelAt, judged, j.Interrupted)
		}
	}
}

// TestCompareRefuses: a job a side cannot open is that backend's error,
// before any run; the GPU is opened first, so a job both refuse is the
// engine's refusal, with no CPU backend spent.
func TestCompareRefuses(t *testing.T) {
	ec, err := engine.Open(engine.Options{Debug: true})
	if err != nil {
		t.Fatalf("no GL context (GL tests are required, they do not skip): %v", err)
	}
	defer ec.Close()
	job := compareJob(t, "lbfgs", gdgpu.F64)
	job.Dim = math.MaxInt32 // 202 state vectors of it: too big for any machine
	for _, tc := range []struct {
		on   *engine.Context
		want error
	}{
		{nil, cpu.ErrTooBig},
		{ec, engine.ErrTooBig},
	} {
		if _, err := device.Compare(t.Context(), tc.on, job, nil, gdgpu.Hooks{}); !errors.Is(err, tc.want) {
			t.Errorf("GPU %v: %v, want %v", tc.on != nil, err, tc.want)
		}
	}
	if _, err := device.OpenPair(nil, nil); err == nil {
		t.Error("a nil job was opened")
	}
}
