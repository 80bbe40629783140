package cpu

import (
	"errors"
	"fmt"
	"math"

	"github.com/gdgpu/gdgpu"
)

// ErrClosed is returned by every method of a Backend after Close.
var ErrClosed = errors.New("cpu: backend is closed")

var _ gdgpu.Backend = (*Backend)(nil)

// Backend is the float64 reference implementation of gdgpu.Backend. It
// computes on the calling goroutine, so every method returns with its work
// done and Samples never has to wait. A Backend is not safe for concurrent
// use.
type Backend struct {
	obj objective
	opt optKind
	hp  gdgpu.Optimizer // hyperparameters; the learning rate comes with Step

	x     []float64
	names []string          // the state vectors' torch names, gdgpu.Optimizer.StateNames
	state [][]float64       // the state vectors, in names' order
	t     int               // optimizer steps since Load (torch's state["step"])
	st    gdgpu.ScalarState // the scalar optimizer state Optimizer.Scalars advances

	pending []gdgpu.Sample // recorded, not yet delivered by Samples
	closed  bool

	// Per-chunk scratch, preallocated so that a step allocates nothing:
	// the gradient, the terms being summed, and computed coefficients.
	g, terms, c [chunk]float64
}

// New validates job and allocates a backend for it: x, the optimizer's
// state vectors (gdgpu.Optimizer.StateNames) and the quadratic's
// coefficients c_i when Cond != 1. The parameters start at zero; gdgpu.Run
// (or the caller) loads the start point with Load. The backend keeps a
// copy of job's fields it needs, so later changes to job do not reach it.
func New(job *gdgpu.Job) (*Backend, error) {
	if job == nil {
		return nil, errors.New("cpu: nil job")
	}
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	return newBackend(job)
}

// newBackend builds the backend for a job whose problem and optimizer are
// valid, without job.Validate's other checks (tests reach every kernel
// through it). It refuses what would make the kernels compute nonsense.
func newBackend(job *gdgpu.Job) (*Backend, error) {
	if job == nil {
		return nil, errors.New("cpu: nil job")
	}
	if err := job.Optimizer.Validate(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	kind, ok := kindOf(job.Optimizer.Name)
	if !ok {
		return nil, fmt.Errorf("cpu: optimizer %q has no kernel", job.Optimizer.Name)
	}
	if job.ClipNorm != 0 || job.ClipValue != 0 {
		// Refused rather than ignored: a reference that silently skipped
		// the clipping would disagree with the GPU for the wrong reason.
		return nil, errors.New("cpu: gradient clipping (--clip-grad-norm, --clip-grad-value) is not implemented on the CPU backend")
	}
	obj, err := newObjective(job, job.Dim)
	if err != nil {
		return nil, err
	}
	b := &Backend{obj: obj, opt: kind, hp: job.Optimizer}
	b.obj.precompute()
	b.x = make([]float64, job.Dim)
	b.names = job.Optimizer.StateNames()
	if len(b.names) > len(chunkState{}) {
		return nil, fmt.Errorf("cpu: optimizer %q has %d state vectors", job.Optimizer.Name, len(b.names))
	}
	b.state = make([][]float64, len(b.names))
	for k := range b.state {
		b.state[k] = make([]float64, job.Dim)
	}
	b.pending = make([]gdgpu.Sample, 0, 8)
	b.resetState()
	return b, nil
}

// chunkState holds a stretch of every state vector, in StateNames order.
type chunkState = [3][]float64

// stateSlice returns the state vectors' elements lo..hi-1.
func (b *Backend) stateSlice(lo, hi int) chunkState {
	var s chunkState
	for k, v := range b.state {
		s[k] = v[lo:hi]
	}
	return s
}

// resetState puts the optimizer state where torch starts it: Adagrad's
// sum at initial_accumulator_value, every other vector at zero, the step
// count at zero and the scalar state at gdgpu.NewScalarState().
func (b *Backend) resetState() {
	for k, name := range b.names {
		if name == "sum" {
			v := b.hp.InitialAccumulatorValue
			for i := range b.state[k] {
				b.state[k][i] = v
			}
		} else {
			clear(b.state[k])
		}
	}
	b.t = 0
	b.st = gdgpu.NewScalarState()
}

// Name returns "cpu/f64".
func (b *Backend) Name() string { return "cpu/f64" }

// Load copies x into the parameters, resets the optimizer state (every
// state vector to its initial value: Adagrad's sum to
// initial_accumulator_value, all others to zero; the step count to zero;
// the scalar state to gdgpu.NewScalarState()), and drops samples not yet
// delivered (they describe another run).
func (b *Backend) Load(x []float64) error {
	if b.closed {
		return ErrClosed
	}
	if len(x) != len(b.x) {
		return fmt.Errorf("cpu: Load: got %d values, job has --dim %d", len(x), len(b.x))
	}
	copy(b.x, x)
	b.resetState()
	b.pending = b.pending[:0]
	return nil
}

// Step runs len(lr) optimizer steps, the j-th with learning rate lr[j],
// used as given. With record, a Sample of the loss and gradient norm at
// the point before the first of these steps is recorded, with Step set to
// the step count before the call; it is computed in the same sweep as the
// first update. With record and no lr, it records the current point.
func (b *Backend) Step(lr []float64, record bool) error {
	if b.closed {
		return ErrClosed
	}
	if len(lr) == 0 {
		if record {
			b.sweep(false, 0, true)
		}
		return nil
	}
	for j, r := range lr {
		b.sweep(true, r, record && j == 0)
	}
	return nil
}

// Record records a Sample at the current point without stepping.
func (b *Backend) Record() error {
	if b.closed {
		return ErrClosed
	}
	b.sweep(false, 0, true)
	return nil
}

// Samples appends the recorded samples to dst, oldest first, and forgets
// them. On the CPU every sample is ready when recorded, so wait changes
// nothing.
func (b *Backend) Samples(dst []gdgpu.Sample, wait bool) ([]gdgpu.Sample, error) {
	if b.closed {
		return dst, ErrClosed
	}
	dst = append(dst, b.pending...)
	b.pending = b.pending[:0]
	return dst, nil
}

// Params copies the current parameters into dst, which must have job.Dim
// values.
func (b *Backend) Params(dst []float64) error {
	if b.closed {
		return ErrClosed
	}
	if len(dst) != len(b.x) {
		return fmt.Errorf("cpu: Params: dst has %d values, job has --dim %d", len(dst), len(b.x))
	}
	copy(dst, b.x)
	return nil
}

// Close drops the backend's buffers. Every later call but Close returns
// ErrClosed; Close itself may be called again.
func (b *Backend) Close() error {
	b.closed = true
	b.x, b.names, b.state, b.obj.coef, b.pending = nil, nil, nil, nil, nil
	return nil
}

// StateVector returns the optimizer state vector torch calls name (see
// gdgpu.Optimizer.StateNames: "exp_avg", "momentum_buffer", ...) as a view
// of the backend's own buffer, valid until the next call that steps, loads
// or closes; nil when the optimizer has no such vector. Tests compare them
// with the GPU's.
func (b *Backend) StateVector(name string) []float64 {
	for k, n := range b.names {
		if n == name {
			return b.state[k]
		}
	}
	return nil
}

// ScalarState returns the scalar optimizer state (NAdam's mu_product),
// as advanced by the steps since Load.
func (b *Backend) ScalarState() gdgpu.ScalarState { return b.st }

// ApplyGradient runs one optimizer step with learning rate lr on the
// gradient g (len Dim) instead of the objective's, counting it as Step
// does. The GPU backend has the same method, so both can be fed identical
// gradients and compared rule by rule. g is only read.
func (b *Backend) ApplyGradient(g []float64, lr float64) error {
	if b.closed {
		return ErrClosed
	}
	if len(g) != len(b.x) {
		return fmt.Errorf("cpu: ApplyGradient: got %d values, job has --dim %d", len(g), len(b.x))
	}
	k := b.nextStep(lr)
	s := b.stateSlice(0, len(b.x))
	k.apply(b.x, g, &s)
	return nil
}

// nextStep counts one step and returns its kernel, advancing the scalar
// state through gdgpu's Optimizer.Scalars.
func (b *Backend) nextStep(lr float64) kernel {
	b.t++
	return newKernel(&b.hp, b.opt, b.hp.Scalars(b.t, lr, &b.st))
}

// StepCount returns the optimizer steps run since Load (torch's
// state["step"]).
func (b *Backend) StepCount() int { return b.t }

// sweep makes one pass over x. With update it applies one optimizer step
// with learning rate lr; with record it records the loss and gradient norm
// at the point before the update. Chunk by chunk: loss terms (record),
// gradient at the old point, squared gradient (record), then the update,
// so the old point is only ever read before it is overwritten.
func (b *Backend) sweep(update bool, lr float64, record bool) {
	o := &b.obj
	n := o.n
	x := b.x
	t0 := b.t
	var k kernel
	if update {
		k = b.nextStep(lr)
	}
	var loss, sq pairwise
	prev := 0.0
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		c := o.coefs(&b.c, lo, hi)
		if record {
			k := o.terms(b.terms[:], c, x, lo, hi)
			loss.push(leafSum(b.terms[:k]))
		}
		g := b.g[:hi-lo]
		prev = o.grad(g, c, x, lo, hi, prev)
		if record {
			s := b.terms[:len(g)]
			for j, gj := range g {
				s[j] = gj * gj
			}
			sq.push(leafSum(s))
		}
		if !update {
			continue
		}
		s := b.stateSlice(lo, hi)
		k.apply(x[lo:hi], g, &s)
	}
	if record {
		b.pending = append(b.pending, gdgpu.Sample{
			Step:     t0,
			Loss:     o.finish(loss.sum()),
			GradNorm: math.Sqrt(sq.sum()),
		})
	}
}
