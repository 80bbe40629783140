package testjobs

import (
	_ "embed"
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// torchLBFGS is torch.optim.LBFGS's iterates, written by
// bench/lbfgs_torch_testdata.py (CI has no torch; that script regenerates
// the file where torch is installed).
//
//go:embed testdata/lbfgs_torch.json
var torchLBFGS []byte

// TorchCase is one run of torch.optim.LBFGS on a gdgpu problem, in float64:
// the loss at the start and after each LBFGS.step(closure), the final
// parameters and torch's n_iter and func_evals.
type TorchCase struct {
	Name        string    `json:"name"`
	Problem     string    `json:"problem"`
	Dim         int       `json:"dim"`
	Cond        float64   `json:"cond"`
	StrongWolfe bool      `json:"strong_wolfe"`
	History     int       `json:"history"`
	MaxIter     int       `json:"max_iter"`
	X0          []float64 `json:"x0"`
	Loss        []float64 `json:"loss"` // Loss[k] after step k, Loss[0] at the start
	X           []float64 `json:"x"`
	NIter       int       `json:"n_iter"`
	FuncEvals   int       `json:"func_evals"`
}

// TorchLBFGS returns the torch cases and the torch version that made them.
func TorchLBFGS(t testing.TB) ([]TorchCase, string) {
	t.Helper()
	var f struct {
		Torch string      `json:"torch"`
		Cases []TorchCase `json:"cases"`
	}
	if err := json.Unmarshal(torchLBFGS, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no torch cases")
	}
	return f.Cases, f.Torch
}

// Job is the gdgpu job of the case in prec, its start point checked
// against torch's.
func (c *TorchCase) Job(t testing.TB, prec gdgpu.Precision) gdgpu.Job {
	t.Helper()
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Precision, job.Cond = c.Problem, c.Dim, prec, c.Cond
	o, err := gdgpu.DefaultOptimizer("lbfgs")
	if err != nil {
		t.Fatal(err)
	}
	o.History, o.StrongWolfe, o.MaxIter = float64(c.History), c.StrongWolfe, float64(c.MaxIter)
	job.Optimizer = o
	job.Steps = len(c.Loss) - 1
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	if x0 := job.StartPoint(); !slices.Equal(x0, c.X0) {
		t.Fatalf("gdgpu starts at %v, torch at %v", x0, c.X0)
	}
	return job
}

// CheckTorch runs the case's steps on b (loaded with the case's start,
// one Step per LBFGS.step(closure) at lr 1) and compares each step's loss
// and the final parameters with torch's, by the measures of
// docs/tolerances.md, within tol. counts (n_iter, func_evals) must equal
// torch's unless b is not a gdgpu.Counter. It returns the largest loss
// and parameter errors.
func (c *TorchCase) CheckTorch(t testing.TB, b gdgpu.Backend, tol gdgpu.Tolerance, counts bool) (lossErr, paramErr float64) {
	t.Helper()
	if err := b.Load(c.X0); err != nil {
		t.Fatal(err)
	}
	steps := len(c.Loss) - 1
	for range steps {
		if err := b.Step([]float64{1}, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Record(); err != nil { // the point the last step ended on
		t.Fatal(err)
	}
	s, err := b.Samples(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != steps+1 {
		t.Fatalf("%d samples, want %d", len(s), steps+1)
	}
	floor := tol.LossFloor * slices.Max(absAll(c.Loss))
	for k, want := range c.Loss {
		d := math.Abs(s[k].Loss-want) / math.Max(math.Abs(want), floor)
		lossErr = math.Max(lossErr, d)
		if !(d <= tol.LossRel) {
			t.Errorf("step %d: loss %.17g, torch %.17g (rel %.3g, tolerance %.3g)", k, s[k].Loss, want, d, tol.LossRel)
		}
	}
	x := make([]float64, len(c.X))
	if err := b.Params(x); err != nil {
		t.Fatal(err)
	}
	for i, want := range c.X {
		d := math.Abs(x[i]-want) / math.Max(math.Abs(want), tol.ParamFloor)
		paramErr = math.Max(paramErr, d)
		if !(d <= tol.ParamRel) {
			t.Errorf("x[%d] = %.17g, torch %.17g (rel %.3g, tolerance %.3g)", i, x[i], want, d, tol.ParamRel)
		}
	}
	if n, ok := b.(gdgpu.Counter); ok && counts {
		if it, ev := n.Counts(); it != c.NIter || ev != c.FuncEvals {
			t.Errorf("n_iter %d, func_evals %d; torch %d, %d", it, ev, c.NIter, c.FuncEvals)
		}
	}
	return lossErr, paramErr
}

func absAll(v []float64) []float64 {
	a := make([]float64, len(v))
	for i, x := range v {
		a[i] = math.Abs(x)
	}
	return a
}
