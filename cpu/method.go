package cpu

import (
	"context"
	"errors"

	"github.com/gdgpu/gdgpu"
)

// Method is the CPU backend of a job whose optimizer runs its own
// iterations (gdgpu.OptimizerInfo.CPUOnly: gonum-lbfgs, gonum-bfgs, gonum-cg
// and gonum-gd). gdgpu.Run hands it the whole job (gdgpu.SelfDriven),
// which it runs through Minimize; Params then gives the final point. The
// step-by-step methods (Step, Record, Snapshot, Restore, Keep, Revert)
// refuse with ErrSelfDriven. Open makes one for such a job.
type Method struct {
	job    gdgpu.Job
	x      []float64
	closed bool
}

var _ gdgpu.SelfDriven = (*Method)(nil)

// ErrSelfDriven is returned by a Method's step-by-step methods: its
// optimizer's line searches decide the evaluations, so only gdgpu.Run (or
// Minimize) drives it.
var ErrSelfDriven = errors.New("cpu: this optimizer runs its own iterations: run it with gdgpu.Run")

// NewMethod validates job, refuses what Minimize would refuse
// (CheckMinimize) and makes its backend.
func NewMethod(job *gdgpu.Job) (*Method, error) {
	if err := CheckMinimize(job); err != nil {
		return nil, err
	}
	return &Method{job: *job, x: make([]float64, job.Dim)}, nil
}

// RunJob runs job from x0 through Minimize and keeps its final point.
func (m *Method) RunJob(ctx context.Context, job *gdgpu.Job, x0 []float64, hooks gdgpu.Hooks) (gdgpu.Result, error) {
	if m.closed {
		return gdgpu.Result{}, ErrClosed
	}
	if job.Dim != len(m.x) {
		return gdgpu.Result{}, gdgpu.FieldErrorf("the job has {Job.Dim} %d, the backend was made for %d", job.Dim, len(m.x)).In("cpu")
	}
	// m.x follows the iterates, so that Params called from a hook (view's
	// races take the points there) sees the current one.
	res, x, err := minimize(ctx, job, x0, hooks, func(x []float64) { copy(m.x, x) })
	if x != nil {
		copy(m.x, x)
	}
	return res, err
}

// Name is "cpu/f64".
func (m *Method) Name() string { return "cpu/f64" }

// Load sets the parameters to x.
func (m *Method) Load(x []float64) error {
	if m.closed {
		return ErrClosed
	}
	if len(x) != len(m.x) {
		return gdgpu.FieldErrorf("Load: got %d values, job has {Job.Dim} %d", len(x), len(m.x)).In("cpu")
	}
	copy(m.x, x)
	return nil
}

// Params copies the parameters into dst: the latest major iteration's
// during RunJob (from its hooks), the final point after it.
func (m *Method) Params(dst []float64) error {
	if m.closed {
		return ErrClosed
	}
	if len(dst) != len(m.x) {
		return gdgpu.FieldErrorf("Params: dst has %d values, job has {Job.Dim} %d", len(dst), len(m.x)).In("cpu")
	}
	copy(dst, m.x)
	return nil
}

// Samples has none to deliver: RunJob passes its samples to the hooks
// and returns them in the Result.
func (m *Method) Samples(dst []gdgpu.Sample, _ bool) ([]gdgpu.Sample, error) {
	if m.closed {
		return dst, ErrClosed
	}
	return dst, nil
}

// Step refuses: see ErrSelfDriven.
func (m *Method) Step([]float64, bool) error { return m.refuse() }

// Record refuses: see ErrSelfDriven.
func (m *Method) Record() error { return m.refuse() }

// Snapshot refuses: see ErrSelfDriven.
func (m *Method) Snapshot(*gdgpu.State) error { return m.refuse() }

// Restore refuses: see ErrSelfDriven.
func (m *Method) Restore(*gdgpu.State) error { return m.refuse() }

// Keep refuses: see ErrSelfDriven.
func (m *Method) Keep(int) error { return m.refuse() }

// Revert refuses: see ErrSelfDriven.
func (m *Method) Revert(int) error { return m.refuse() }

// Close drops the parameters; every later call but Close returns
// ErrClosed.
func (m *Method) Close() error {
	m.closed, m.x = true, nil
	return nil
}

func (m *Method) refuse() error {
	if m.closed {
		return ErrClosed
	}
	return gdgpu.FieldErrorf("%w ({Optimizer.Name} %s)", ErrSelfDriven, m.job.Optimizer.Name).In("")
}
