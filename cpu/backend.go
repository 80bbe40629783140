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

// optKind selects the optimizer kernel without string compares per step.
type optKind int

const (
	sgd optKind = iota
	adam
)

// Backend is the float64 reference implementation of gdgpu.Backend. It
// computes on the calling goroutine, so every method returns with its work
// done and Samples never has to wait. A Backend is not safe for concurrent
// use.
type Backend struct {
	obj objective
	opt optKind
	hp  gdgpu.Optimizer // hyperparameters; the learning rate comes with Step

	x    []float64
	m, v []float64         // Adam's exp_avg and exp_avg_sq; nil for sgd
	t    int               // optimizer steps since Load (torch's state["step"])
	st   gdgpu.ScalarState // the scalar optimizer state Optimizer.Scalars advances

	pending []gdgpu.Sample // recorded, not yet delivered by Samples
	closed  bool

	// Per-chunk scratch, preallocated so that a step allocates nothing:
	// the gradient, the terms being summed, and computed coefficients.
	g, terms, c [chunk]float64
}

// New validates job and allocates a backend for it: x, Adam's m and v, and
// the quadratic's coefficients c_i when Cond != 1. The parameters start at
// zero; gdgpu.Run (or the caller) loads the start point with Load. The
// backend keeps a copy of job's fields it needs, so later changes to job
// do not reach it.
func New(job *gdgpu.Job) (*Backend, error) {
	if job == nil {
		return nil, errors.New("cpu: nil job")
	}
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	obj, err := newObjective(job, job.Dim)
	if err != nil {
		return nil, err
	}
	b := &Backend{obj: obj, hp: job.Optimizer}
	// Validate admits only what the backends implement today; these checks
	// keep a wider registry from reaching kernels that would silently
	// compute something else.
	o := job.Optimizer
	switch {
	case o.Name == "sgd" && o.Momentum == 0 && !o.Nesterov && !o.Maximize:
		b.opt = sgd
	case o.Name == "adam" && !o.Amsgrad && !o.Maximize:
		b.opt = adam
	default:
		return nil, fmt.Errorf("cpu: optimizer %q is not implemented with this configuration (only sgd without momentum and adam without amsgrad, minimising)", o.Name)
	}
	b.obj.precompute()
	b.x = make([]float64, job.Dim)
	if b.opt == adam {
		b.m = make([]float64, job.Dim)
		b.v = make([]float64, job.Dim)
	}
	b.pending = make([]gdgpu.Sample, 0, 8)
	b.st = gdgpu.NewScalarState()
	return b, nil
}

// Name returns "cpu/f64".
func (b *Backend) Name() string { return "cpu/f64" }

// Load copies x into the parameters, zeroes Adam's m and v and the step
// count, and drops samples not yet delivered (they describe another run).
func (b *Backend) Load(x []float64) error {
	if b.closed {
		return ErrClosed
	}
	if len(x) != len(b.x) {
		return fmt.Errorf("cpu: Load: got %d values, job has --dim %d", len(x), len(b.x))
	}
	copy(b.x, x)
	clear(b.m)
	clear(b.v)
	b.t = 0
	b.st = gdgpu.NewScalarState()
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
	b.x, b.m, b.v, b.obj.coef, b.pending = nil, nil, nil, nil, nil
	return nil
}

// State returns Adam's first and second moment estimates (torch's exp_avg
// and exp_avg_sq) as views of the backend's own buffers, valid until the
// next call that steps, loads or closes; both are nil for sgd. Tests
// compare them with the GPU's.
func (b *Backend) State() (m, v []float64) { return b.m, b.v }

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
	var as adamStep
	if update {
		b.t++
		sc := b.hp.Scalars(b.t, lr, &b.st)
		if b.opt == adam {
			as = newAdamStep(&b.hp, sc)
		}
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
		if b.opt == adam {
			adamChunk(x[lo:hi], g, b.m[lo:hi], b.v[lo:hi], &as)
		} else {
			sgdChunk(x[lo:hi], g, lr, b.hp.WeightDecay)
		}
	}
	if record {
		b.pending = append(b.pending, gdgpu.Sample{
			Step:     t0,
			Loss:     o.finish(loss.sum()),
			GradNorm: math.Sqrt(sq.sum()),
		})
	}
}
