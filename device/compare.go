package device

import (
	"context"
	"errors"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
)

// Pair is one job opened twice to be compared, as gdgpu compare does: on
// the compared device and on the CPU float64 reference.
type Pair struct {
	// Reference runs the job on the CPU in float64.
	Reference *Device
	// Compared is the device judged against the reference.
	Compared *Device
	// Precision is what Compared computes in: the job's on the GPU, and
	// gdgpu.F64 on the CPU (a self-check that must agree exactly).
	Precision gdgpu.Precision

	job *gdgpu.Job
}

// OpenPair opens job's backend on ec, a GL context the caller shares and
// closes (nil: the CPU, compared with itself), and then its CPU reference:
// the GPU first, so that a job the GPU refuses costs no CPU backend. Its
// errors are OpenOn's; a backend opened before one fails is closed.
func OpenPair(ec *engine.Context, job *gdgpu.Job) (*Pair, error) {
	got, err := OpenOn(ec, job)
	if err != nil {
		return nil, err
	}
	ref, err := OpenOn(nil, job)
	if err != nil {
		got.Close()
		return nil, err
	}
	p := &Pair{Reference: ref, Compared: got, Precision: job.Precision, job: job}
	if ec == nil {
		p.Precision = gdgpu.F64
	}
	return p, nil
}

// Close closes both backends.
func (p *Pair) Close() error {
	return errors.Join(p.Compared.Close(), p.Reference.Close())
}

// Side names one run of a comparison.
type Side int

// The runs of a comparison.
const (
	NoSide        Side = iota // neither
	ReferenceSide             // Pair.Reference's run
	ComparedSide              // Pair.Compared's run
)

// Outcome is a finished run: its result and its final parameters.
type Outcome struct {
	Result gdgpu.Result
	X      []float64 // the final parameters (len Job.Dim)
}

// RunFunc runs the pair's job on d, one side of the comparison, from the
// start point both sides share, and reads back its final parameters.
// Pair.Runner makes the usual one; a program that wraps each run (a
// progress bar, a log, its own errors) gives its own.
type RunFunc func(ctx context.Context, d *Device) (Outcome, error)

// Runner is the RunFunc that runs each side through gdgpu.Run from x0 with
// hooks (shared by both runs, the reference's first), then reads its
// parameters with Params.
func (p *Pair) Runner(x0 []float64, hooks gdgpu.Hooks) RunFunc {
	return func(ctx context.Context, d *Device) (Outcome, error) {
		res, err := gdgpu.Run(ctx, p.job, d.Backend, x0, hooks)
		if err != nil {
			return Outcome{Result: res}, err
		}
		x := make([]float64, p.job.Dim)
		if err := d.Backend.Params(x); err != nil {
			return Outcome{Result: res}, err
		}
		return Outcome{Result: res, X: x}, nil
	}
}

// Judgement is a comparison's verdict: both runs, the tolerance chosen for
// them and how far apart they ended (Comparison.OK: within it).
type Judgement struct {
	Reference, Compared Outcome
	// Interrupted is the run that ended gdgpu.Interrupted (its context
	// was cancelled), which ends the comparison there: the compared run is
	// not started after an interrupted reference, and nothing is judged
	// (Tolerance and Comparison are zero). NoSide when both ran.
	Interrupted Side
	// Tolerance is gdgpu.ToleranceFor the job in the pair's Precision.
	Tolerance gdgpu.Tolerance
	// Depth is a model's deepest sum over both backends
	// (gdgpu.MaxSumDepth; ModelTolerance's), 0 for a test function.
	Depth int
	// LBFGS reports a closure optimizer's tolerance, LBFGSTolerance over
	// the reference's Result.Iterations.
	LBFGS bool
	// Comparison measures the compared run against the reference.
	Comparison gdgpu.Comparison
}

// Compare runs the reference and then the compared device with run (nil:
// Runner from the job's start point, without hooks) and judges them. A run
// that fails ends it with run's error; an interrupted one ends it with
// Judgement.Interrupted set.
func (p *Pair) Compare(ctx context.Context, run RunFunc) (*Judgement, error) {
	if run == nil {
		run = p.Runner(p.job.StartPoint(), gdgpu.Hooks{})
	}
	j := &Judgement{}
	var err error
	if j.Reference, err = run(ctx, p.Reference); err != nil {
		return nil, err
	}
	if j.Reference.Result.Status == gdgpu.Interrupted {
		j.Interrupted = ReferenceSide
		return j, nil
	}
	if j.Compared, err = run(ctx, p.Compared); err != nil {
		return nil, err
	}
	if j.Compared.Result.Status == gdgpu.Interrupted {
		j.Interrupted = ComparedSide
		return j, nil
	}
	if p.job.Data != nil {
		// Models: the backends sum the batch's rows in other orders.
		j.Depth = gdgpu.MaxSumDepth(p.Reference.Backend, p.Compared.Backend)
	}
	info, _ := gdgpu.LookupOptimizer(p.job.Optimizer.Name)
	j.LBFGS = info.Closure
	j.Tolerance = gdgpu.ToleranceFor(p.job, p.Precision, j.Reference.Result, j.Depth)
	j.Comparison = gdgpu.Compare(j.Reference.Result, j.Compared.Result, j.Reference.X, j.Compared.X, j.Tolerance)
	return j, nil
}

// Compare opens job on ec (nil: the CPU) and on the CPU reference
// (OpenPair), runs both from x0 with hooks and judges them (Pair.Compare),
// then closes both backends; an error closing them is returned beside the
// judgement. It runs the two; gdgpu.Compare judges two runs already made.
func Compare(ctx context.Context, ec *engine.Context, job *gdgpu.Job, x0 []float64, hooks gdgpu.Hooks) (*Judgement, error) {
	p, err := OpenPair(ec, job)
	if err != nil {
		return nil, err
	}
	j, err := p.Compare(ctx, p.Runner(x0, hooks))
	return j, errors.Join(err, p.Close())
}
