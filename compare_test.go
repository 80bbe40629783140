package gdgpu

import (
	"math"
	"testing"
)

func result(losses ...float64) Result {
	r := Result{Status: StepLimit, StatusStep: 10 * (len(losses) - 1)}
	for i, l := range losses {
		r.Samples = append(r.Samples, Sample{Step: 10 * i, Loss: l, GradNorm: 1})
	}
	if len(r.Samples) > 0 {
		r.Final = r.Samples[len(r.Samples)-1]
	}
	return r
}

func TestCompareIdentical(t *testing.T) {
	r := result(100, 50, 25, 0)
	x := []float64{1, -2, 0, 3}
	c := Compare(r, r, x, append([]float64(nil), x...), DefaultTolerance(F64, 30))
	want := Comparison{LossFirstBad: -1, Matched: 4, ParamWorstIndex: 0, StatusMatch: true, OK: true, BranchStep: -1, BranchFrom: -1}
	if c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}
}

func TestCompareLoss(t *testing.T) {
	tol := Tolerance{LossRel: 1e-6, LossFloor: 1e-3, ParamRel: 1, ParamFloor: 1}
	ref := result(1000, 100, 10, 1e-9)
	for _, tc := range []struct {
		name     string
		got      Result
		firstBad int
		maxRel   float64
	}{
		{"within", result(1000*(1+5e-7), 100, 10*(1-9e-7), 1e-9), -1, 9e-7},
		{"beyond at step 10", result(1000, 100*(1+2e-6), 10*(1+5e-6), 1e-9), 10, 5e-6},
		// Near 0 the floor (1e-3 of the largest loss, 1) is the scale:
		// 5e-7 absolute passes although it is 500 times the loss.
		{"floor", result(1000, 100, 10, 1e-9+5e-7), -1, 5e-7},
		{"beyond the floor", result(1000, 100, 10, 1e-9+2e-6), 30, 2e-6},
		{"NaN", result(1000, 100, math.NaN(), 1e-9), 20, math.Inf(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(ref, tc.got, nil, nil, tol)
			if c.LossFirstBad != tc.firstBad {
				t.Errorf("LossFirstBad %d, want %d", c.LossFirstBad, tc.firstBad)
			}
			if d := math.Abs(c.LossMaxRel - tc.maxRel); !(d <= 1e-3*tc.maxRel) && !(math.IsInf(tc.maxRel, 1) && math.IsInf(c.LossMaxRel, 1)) {
				t.Errorf("LossMaxRel %g, want %g", c.LossMaxRel, tc.maxRel)
			}
			if c.OK != (tc.firstBad < 0) {
				t.Errorf("OK %v with LossFirstBad %d", c.OK, c.LossFirstBad)
			}
			if c.ParamWorstIndex != -1 || c.ParamMaxAbs != 0 {
				t.Errorf("no parameters given, but ParamWorstIndex %d, ParamMaxAbs %g", c.ParamWorstIndex, c.ParamMaxAbs)
			}
		})
	}
}

func TestCompareBothNaNAgree(t *testing.T) {
	ref := result(1, math.NaN())
	ref.Status, ref.StatusStep = Diverged, 10
	got := result(1, math.NaN())
	got.Status, got.StatusStep = Diverged, 10
	c := Compare(ref, got, []float64{math.NaN(), math.Inf(1)}, []float64{math.NaN(), math.Inf(1)}, DefaultTolerance(F32, 10))
	if !c.OK || c.LossMaxRel != 0 || c.ParamMaxRel != 0 {
		t.Fatalf("identical diverged runs disagree: %+v", c)
	}
}

func TestCompareUnmatchedAndStatus(t *testing.T) {
	ref := result(100, 50, 25, 12)
	got := result(100, 50) // stopped at step 10
	got.Status, got.StatusStep = Interrupted, 10
	c := Compare(ref, got, nil, nil, DefaultTolerance(F32, 30))
	if c.OK || c.StatusMatch || c.Matched != 2 || c.Unmatched != 2 || c.LossFirstBad != 20 {
		t.Fatalf("got %+v: want not OK, status mismatch, 2 matched, 2 unmatched, first bad at 20", c)
	}
	// Samples at other steps are unmatched on both sides.
	other := result(100, 50)
	for i := range other.Samples {
		other.Samples[i].Step++
	}
	c = Compare(result(100, 50), other, nil, nil, DefaultTolerance(F32, 10))
	if c.OK || c.Matched != 0 || c.Unmatched != 4 || c.LossFirstBad != 0 {
		t.Fatalf("got %+v", c)
	}
}

func TestCompareParams(t *testing.T) {
	tol := Tolerance{LossRel: 1, LossFloor: 0, ParamRel: 1.01e-6, ParamFloor: 1}
	r := result(1)
	xref := []float64{1e-9, 100, -3, 0.5}
	// index 0: |d| = 5e-7 against floor 1 -> 5e-7 (passes although 500x relative)
	// index 1: |d| = 1e-4 against 100 -> 1e-6 (the worst)
	// index 2: |d| = 1.5e-6 against 3 -> 5e-7
	xgot := []float64{1e-9 + 5e-7, 100 + 1e-4, -3 - 1.5e-6, 0.5}
	c := Compare(r, r, xref, xgot, tol)
	if c.ParamWorstIndex != 1 || math.Abs(c.ParamMaxRel-1e-6) > 1e-12 || math.Abs(c.ParamMaxAbs-1e-4) > 1e-12 {
		t.Fatalf("got %+v: want worst index 1, rel 1e-6, abs 1e-4", c)
	}
	if !c.OK {
		t.Fatalf("1e-6 <= ParamRel 1.01e-6 but not OK: %+v", c)
	}
	xgot[3] = 0.5 + 2e-6
	c = Compare(r, r, xref, xgot, tol)
	if c.OK || c.ParamWorstIndex != 3 {
		t.Fatalf("got %+v: want index 3 past tolerance", c)
	}
	c = Compare(r, r, xref, xgot[:3], tol)
	if c.OK || !math.IsInf(c.ParamMaxRel, 1) {
		t.Fatalf("length mismatch accepted: %+v", c)
	}
	xgot[0] = math.NaN()
	c = Compare(r, r, xref, xgot, tol)
	if c.OK || c.ParamWorstIndex != 0 || !math.IsInf(c.ParamMaxRel, 1) {
		t.Fatalf("NaN parameter: %+v", c)
	}
}

func TestDefaultTolerance(t *testing.T) {
	for _, p := range []Precision{F32, F64} {
		prev := DefaultTolerance(p, 0)
		for _, k := range []int{1, 10, 1000, 100000} {
			tol := DefaultTolerance(p, k)
			if !(tol.LossRel > prev.LossRel && tol.ParamRel > prev.ParamRel) {
				t.Errorf("%v: tolerance does not grow with steps: %+v then %+v", p, prev, tol)
			}
			prev = tol
		}
	}
	// The values docs/tolerances.md states.
	for _, tc := range []struct {
		p               Precision
		k               int
		loss, param     float64
		lossLo, paramLo float64
	}{
		{F32, 1000, 4.84e-4, 2.39e-4, 0, 0},
		{F32, 0, 7.63e-6, 1.19e-7, 0, 0},
		{F64, 1000, 9.02e-13, 4.44e-13, 0, 0},
	} {
		tol := DefaultTolerance(tc.p, tc.k)
		if math.Abs(tol.LossRel/tc.loss-1) > 0.01 || math.Abs(tol.ParamRel/tc.param-1) > 0.01 {
			t.Errorf("%v, %d steps: %+v, docs say LossRel %g, ParamRel %g", tc.p, tc.k, tol, tc.loss, tc.param)
		}
		if tol.LossFloor != 1e-6 || tol.ParamFloor != 1 {
			t.Errorf("floors %g, %g; docs say 1e-6 and 1", tol.LossFloor, tol.ParamFloor)
		}
	}
	// The design's float64 target: about 1e-12 relative over 1000 steps.
	if tol := DefaultTolerance(F64, 1000); tol.LossRel > 1e-12 {
		t.Errorf("float64 loss tolerance %g is looser than 1e-12 at 1000 steps", tol.LossRel)
	}
}

// descend runs a small descent in float32 or float64 arithmetic with the
// shaders' operation order and a sequential loss sum, sampling every 10
// steps: a stand-in for the GPU that checks DefaultTolerance's model on
// stable dynamics without a GL context.
func descend[T float32 | float64](problem, opt string, n, steps int) (Result, []float64) {
	x := make([]T, n)
	xn := make([]T, n)
	m := make([]T, n)
	v := make([]T, n)
	for i := range x {
		x[i] = 1
		if problem == "rosenbrock" && i%2 == 0 {
			x[i] = T(-1.2)
		}
	}
	c := func(i int) T { return T(QuadCoeff(i, n, 100)) }
	eval := func(i int) (f, g T) {
		if problem == "quadratic" {
			return T(0.5) * c(i) * x[i] * x[i], c(i) * x[i]
		}
		if i+1 < n {
			t := x[i+1] - x[i]*x[i]
			d := 1 - x[i]
			f = 100*t*t + d*d
			g = -400*x[i]*t - 2*d
		}
		if i > 0 {
			g += 200 * (x[i] - x[i-1]*x[i-1])
		}
		return
	}
	var res Result
	lr := 1e-3
	for k := 0; k <= steps; k++ {
		var loss T
		for i := range x {
			f, g := eval(i)
			loss += f
			if k == steps {
				continue
			}
			if opt == "sgd" {
				xn[i] = x[i] - T(lr)*g
				continue
			}
			stepSize := T(lr / (1 - math.Pow(0.9, float64(k+1))))
			bc2 := T(math.Sqrt(1 - math.Pow(0.999, float64(k+1))))
			m[i] = m[i] + T(0.1)*(g-m[i])
			v[i] = v[i]*T(0.999) + T(0.001)*g*g
			xn[i] = x[i] - stepSize*(m[i]/(T(math.Sqrt(float64(v[i])))/bc2+T(1e-8)))
		}
		if k%10 == 0 || k == steps {
			res.Samples = append(res.Samples, Sample{Step: k, Loss: float64(loss)})
		}
		if k < steps {
			x, xn = xn, x
		}
	}
	res.Status, res.StatusStep, res.Steps = StepLimit, steps, steps
	out := make([]float64, n)
	for i := range x {
		out[i] = float64(x[i])
	}
	return res, out
}

func TestDefaultToleranceHoldsForFloat32Emulation(t *testing.T) {
	const steps = 300
	for _, tc := range [][2]string{{"quadratic", "sgd"}, {"quadratic", "adam"}, {"rosenbrock", "sgd"}, {"rosenbrock", "adam"}} {
		ref, xref := descend[float64](tc[0], tc[1], 1000, steps)
		got, xgot := descend[float32](tc[0], tc[1], 1000, steps)
		tol := DefaultTolerance(F32, steps)
		c := Compare(ref, got, xref, xgot, tol)
		t.Logf("%s/%s: loss rel %.2e (tol %.2e), param rel %.2e (tol %.2e)", tc[0], tc[1], c.LossMaxRel, tol.LossRel, c.ParamMaxRel, tol.ParamRel)
		if !c.OK {
			t.Errorf("%s/%s: float32 beyond DefaultTolerance: %+v, tolerance %+v", tc[0], tc[1], c, tol)
		}
		// The tolerance should not be vacuous: a float32 run is not within
		// the float64 tolerance.
		if c := Compare(ref, got, xref, xgot, DefaultTolerance(F64, steps)); c.OK {
			t.Errorf("%s/%s: float32 within the float64 tolerance: %+v", tc[0], tc[1], c)
		}
	}
}

// TestModelTolerance: depth 0 is DefaultTolerance; each level of depth adds
// u per step to the parameters and 2u per step (plus u) to the loss.
func TestModelTolerance(t *testing.T) {
	for _, p := range []Precision{F32, F64} {
		if got, want := ModelTolerance(p, 100, 0), DefaultTolerance(p, 100); got != want {
			t.Errorf("%v depth 0: %+v, want %+v", p, got, want)
		}
		u := UnitRoundoff32
		if p == F64 {
			u = UnitRoundoff64
		}
		a, b := ModelTolerance(p, 100, 10), ModelTolerance(p, 100, 11)
		if d := b.ParamRel - a.ParamRel; math.Abs(d-100*u) > 1e-6*d {
			t.Errorf("%v: one more level of depth adds %g to ParamRel, want %g", p, d, 100*u)
		}
		if d := b.LossRel - a.LossRel; math.Abs(d-201*u) > 1e-6*d {
			t.Errorf("%v: one more level of depth adds %g to LossRel, want %g", p, d, 201*u)
		}
	}
}

// TestLBFGSTolerance pins LBFGSTolerance's values, in units of u, worked
// out by hand from docs/tolerances.md ("L-BFGS"): iteration j adds
// (2·min(j, m) + 3)·(128 + depth + 1).
func TestLBFGSTolerance(t *testing.T) {
	for _, tc := range []struct {
		p                          Precision
		iterations, history, depth int
		lossU, paramU              float64
	}{
		{F32, 0, 5, 0, 128, 2},
		{F64, 3, 5, 0, 128 + 2*(3+5+7)*129, 2 + (3+5+7)*129},
		{F32, 10, 2, 0, 128 + 2*(3+5+8*7)*129, 2 + (3+5+8*7)*129},
		{F64, 2, 100, 40, 128 + 40 + 2*(3+5)*169, 2 + (3+5)*169},
		{F64, -1, -1, -1, 128, 2},
	} {
		u := UnitRoundoff32
		if tc.p == F64 {
			u = UnitRoundoff64
		}
		got := LBFGSTolerance(tc.p, tc.iterations, tc.history, tc.depth)
		want := Tolerance{LossRel: u * tc.lossU, LossFloor: 1e-6, ParamRel: u * tc.paramU, ParamFloor: 1}
		if math.Abs(got.LossRel-want.LossRel) > 1e-12*want.LossRel || math.Abs(got.ParamRel-want.ParamRel) > 1e-12*want.ParamRel ||
			got.LossFloor != want.LossFloor || got.ParamFloor != want.ParamFloor {
			t.Errorf("LBFGSTolerance(%v, %d, %d, %d) = %+v, want %+v", tc.p, tc.iterations, tc.history, tc.depth, got, want)
		}
	}
}

// TestCompareBranch: runs whose counts (Result.Counts) differ at a step
// are judged only before it, and never OK; counts that agree, or that
// one run lacks, change nothing.
func TestCompareBranch(t *testing.T) {
	tol := Tolerance{LossRel: 1e-6, LossFloor: 1e-3, ParamRel: 1e-6, ParamFloor: 1}
	counts := func(evals ...int) []StepCounts {
		var c []StepCounts
		for i, e := range evals {
			c = append(c, StepCounts{Step: 10 * i, Iterations: i, Evaluations: e})
		}
		return c
	}
	x := []float64{1, 2}
	for _, tc := range []struct {
		name              string
		refC, gotC        []StepCounts
		gotLoss           []float64
		xgot              []float64
		branch, from      int
		firstBad, matched int
		ok, prefixOK      bool
	}{
		{"same counts", counts(0, 2, 4, 6), counts(0, 2, 4, 6), []float64{100, 50, 25, 10}, x, -1, -1, -1, 4, true, true},
		{"no counts", nil, nil, []float64{100, 50, 25, 10}, x, -1, -1, -1, 4, true, true},
		{"one side without", counts(0, 2, 4, 6), nil, []float64{100, 50, 25, 10}, x, -1, -1, -1, 4, true, true},
		{"branch at 20, apart after", counts(0, 2, 4, 6), counts(0, 2, 5, 7), []float64{100, 50, 30, 9}, []float64{1.5, 2}, 20, 10, -1, 2, false, true},
		{"branch at 20, apart before", counts(0, 2, 4, 6), counts(0, 2, 5, 7), []float64{100, 51, 30, 9}, x, 20, 10, 10, 2, false, false},
		{"same counts, apart", counts(0, 2, 4, 6), counts(0, 2, 4, 6), []float64{100, 50, 30, 10}, x, -1, -1, 20, 4, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref, got := result(100, 50, 25, 10), result(tc.gotLoss...)
			ref.Counts, got.Counts = tc.refC, tc.gotC
			c := Compare(ref, got, x, tc.xgot, tol)
			if c.BranchStep != tc.branch || c.BranchFrom != tc.from || c.LossFirstBad != tc.firstBad || c.Matched != tc.matched ||
				c.OK != tc.ok || c.PrefixOK() != tc.prefixOK || c.Branched() != (tc.branch >= 0) {
				t.Errorf("got %+v (prefix OK %v), want branch %d from %d, first bad %d, %d matched, OK %v, prefix OK %v",
					c, c.PrefixOK(), tc.branch, tc.from, tc.firstBad, tc.matched, tc.ok, tc.prefixOK)
			}
		})
	}
}

// depthBackend is a Backend whose only working method is SumDepth.
type depthBackend struct {
	Backend
	depth int
}

func (b depthBackend) SumDepth() int { return b.depth }

// TestToleranceFor: a job is judged by the tolerance of its kind: the
// default for a test function (whatever depth is given), ModelTolerance
// for a model on data, LBFGSTolerance over the reference's iterations for
// a closure optimizer, with a model's depth too; MaxSumDepth is the
// deepest of the backends that are SumDepthers.
func TestToleranceFor(t *testing.T) {
	model := &Data{}
	ref := Result{Iterations: 37}
	for _, tc := range []struct {
		name      string
		optimizer string
		data      *Data
		depth     int
		want      Tolerance
	}{
		{"function", "adam", nil, 0, DefaultTolerance(F32, 50)},
		{"function, depth ignored", "sgd", nil, 40, DefaultTolerance(F32, 50)},
		{"model", "adam", model, 40, ModelTolerance(F32, 50, 40)},
		{"lbfgs", "lbfgs", nil, 40, LBFGSTolerance(F32, 37, 100, 0)},
		{"lbfgs model", "lbfgs", model, 40, LBFGSTolerance(F32, 37, 100, 40)},
	} {
		job := NewJob()
		job.Steps, job.Data = 50, tc.data
		var err error
		if job.Optimizer, err = DefaultOptimizer(tc.optimizer); err != nil {
			t.Fatal(err)
		}
		if got := ToleranceFor(&job, F32, ref, tc.depth); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		backends []Backend
		want     int
	}{
		{nil, 0},
		{[]Backend{depthBackend{depth: 3}, depthBackend{depth: 7}}, 7},
		{[]Backend{depthBackend{depth: 9}, struct{ Backend }{}}, 9},
	} {
		if got := MaxSumDepth(tc.backends...); got != tc.want {
			t.Errorf("MaxSumDepth of %d backends: %d, want %d", len(tc.backends), got, tc.want)
		}
	}
}
