package cpu

import (
	"errors"
	"fmt"
	"math"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/kern"
	"github.com/gdgpu/gdgpu/internal/sysmem"
)

// ErrClosed is returned by every method of a Backend after Close.
var ErrClosed = errors.New("cpu: backend is closed")

var _ gdgpu.Backend = (*Backend)(nil)

// Backend is the float64 reference implementation of gdgpu.Backend. Every
// method returns with its work done (a large step is split over the
// backend's goroutines and waited for), so Samples never has to wait. A
// Backend is not safe for concurrent use; Close stops its goroutines.
type Backend struct {
	obj objective
	upd gdgpu.CPUUpdate // the optimizer's rule (gdgpu.OptimizerInfo.CPU)
	lb  *lbfgsState     // instead of upd: L-BFGS (lbfgs.go)
	// closure, when set, is L-BFGS's objective instead of obj: a model's
	// full-batch loss and gradient at x, the gradient into g, with the
	// squared gradient norm (Model sets it).
	closure func(g []float64) (loss, sq float64)
	hp      gdgpu.Optimizer // hyperparameters; the learning rate comes with Step
	// sched is the job's schedule, for the momentum a onecycle schedule
	// gives each step (hp's cycled hyperparameter follows it).
	sched gdgpu.Schedule

	x     []float64
	names []string          // the state vectors' torch names, gdgpu.Optimizer.StateNames
	state [][]float64       // the state vectors, in names' order
	t     int               // optimizer steps since Load (torch's state["step"])
	st    gdgpu.ScalarState // the scalar optimizer state Optimizer.Scalars advances

	pending []gdgpu.Sample // recorded, not yet delivered by Samples
	closed  bool

	// The first non-finite value since Load (step, then index; step -1:
	// none), and the kept states of Keep.
	badStep, badIndex int
	kept              [2]keptState

	// Gradient clipping (gdgpu.Job's ClipValue and ClipNorm; off unless > 0)
	// and, when clipping by norm, the whole gradient of a step: its norm
	// must be known before any element is updated.
	clipValue, clipNorm float64
	grad                []float64

	// The parallel sweep (parallel.go): the parts of x, one per goroutine
	// (parts[0] is the caller's, and the only one of a small job), the
	// pool of helper goroutines (nil with one part), the leaves' loss and
	// squared-gradient sums, and the inputs of the dispatch under way.
	parts            []part
	pool             *pool
	leafLoss, leafSq []float64
	phase            phase
	t0               int       // the step count before the step
	recording        bool      // sum the loss and gradient norm
	updating         bool      // apply the step (phaseSweep)
	factor           float64   // the clip-norm scale (phaseUpdate)
	src              []float64 // the gradient of phaseUpdate and phaseNorm
	va, vb, vw       []float64 // L-BFGS's vector operations' operands
	vc               float64   // and phaseAxpy's coefficient
}

// New validates job and allocates a backend for it: x, the optimizer's
// state vectors (gdgpu.Optimizer.StateNames), the quadratic's
// coefficients c_i when Cond != 1, and a whole gradient when the job clips
// by norm (ClipNorm > 0). The parameters start at zero; gdgpu.Run
// (or the caller) loads the start point with Load. The backend keeps a
// copy of job's fields it needs, so later changes to job do not reach it.
//
// A step runs on up to runtime.GOMAXPROCS(0) goroutines (see parallel.go)
// when Dim is large enough to gain from it; the results are the same, to
// the bit, on any number. The helper goroutines live until Close.
func New(job *gdgpu.Job) (*Backend, error) {
	if job == nil {
		return nil, errors.New("cpu: nil job")
	}
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	if gdgpu.IsModel(job.Problem) {
		return nil, fmt.Errorf("cpu: %s is a model on data: use NewModel (or Open)", job.Problem)
	}
	if need, free := hostBytes(job), sysmem.Free(); free.Bytes > 0 && need > free.Bytes {
		work := ""
		if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.WorkVectors > 0 {
			work = fmt.Sprintf(", %d work vectors", info.WorkVectors)
		}
		return nil, fmt.Errorf("cpu: %w: the job needs %d MiB of host memory (x, %d state vectors, two kept copies of x and %d of them%s, in float64), but %d MiB is available (%s)",
			ErrTooBig, need>>20, len(job.Optimizer.StateNames()), job.Optimizer.KeptStates(), work, free.Bytes>>20, free.Source)
	}
	return newBackend(job)
}

// ErrTooBig is matched (errors.Is) by New's refusal of a job that needs
// more host memory than is available: refused before allocating, since Go
// cannot recover from running out of memory.
var ErrTooBig = errors.New("job too big for this machine")

// hostBytes is what a job's vectors take: the parameters and each state
// vector, twice more for the copies Keep holds, a problem's per-index
// coefficients (the quadratic's) and the stored gradient of clipping by
// norm.
func hostBytes(job *gdgpu.Job) int64 {
	// x and the state vectors, and two kept copies of x and the kept ones.
	vectors := int64(1+len(job.Optimizer.StateNames())) + int64(2*(1+job.Optimizer.KeptStates()))
	if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.Closure {
		vectors += int64(info.WorkVectors)
	}
	if p, _ := gdgpu.LookupProblem(job.Problem); p.GPU.Coef != nil {
		vectors++
	}
	if job.ClipNorm > 0 {
		vectors++
	}
	return vectors * int64(job.Dim) * 8
}

// newBackend builds the backend for a job whose problem and optimizer are
// valid, without job.Validate's other checks (tests reach every kernel
// through it). It refuses what would make the kernels compute nonsense.
func newBackend(job *gdgpu.Job) (*Backend, error) {
	return newBackendOptions(job, options{})
}

// newBackendOptions is newBackend with the unexported settings.
func newBackendOptions(job *gdgpu.Job, opt options) (*Backend, error) {
	if job == nil {
		return nil, errors.New("cpu: nil job")
	}
	if err := job.Optimizer.Validate(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name)
	if info.CPU == nil && !info.Closure {
		return nil, fmt.Errorf("cpu: optimizer %q has no CPU update", job.Optimizer.Name)
	}
	obj, err := newObjective(job, job.Dim)
	if err != nil {
		return nil, err
	}
	b := &Backend{obj: obj, hp: job.Optimizer, sched: job.Schedule}
	if info.Closure {
		b.lb = newLBFGS(&b.hp, job.Dim)
	} else {
		b.upd = info.CPU(&b.hp)
	}
	b.obj.precompute()
	b.x = make([]float64, job.Dim)
	// As on the GPU, a clipping setting is on when it is > 0 (Validate
	// refuses negative and NaN ones, and both at once; were both set here,
	// the clamp would come first, then the scaling by the raw norm).
	if job.ClipValue > 0 {
		b.clipValue = job.ClipValue
	}
	if job.ClipNorm > 0 {
		b.clipNorm = job.ClipNorm
		b.grad = make([]float64, job.Dim)
	}
	b.names = job.Optimizer.StateNames()
	if len(b.names) > len(chunkState{}) && b.lb == nil {
		return nil, fmt.Errorf("cpu: optimizer %q has %d state vectors", job.Optimizer.Name, len(b.names))
	}
	b.state = make([][]float64, len(b.names))
	for k := range b.state {
		b.state[k] = make([]float64, job.Dim)
	}
	b.pending = make([]gdgpu.Sample, 0, 8)
	b.resetState()
	b.setupParallel(opt)
	return b, nil
}

// keptState is a copy of the state taken by Keep.
type keptState struct {
	x     []float64
	state [][]float64
	t     int
	st    gdgpu.ScalarState
}

// chunkState holds a stretch of every state vector, in StateNames order.
type chunkState = [3][]float64

// applyRange applies the step to xs, the parameters from index lo on
// (x's own or a copy), with the gradient g, and checks the new values.
func (b *Backend) applyRange(p *part, lo int, g, xs []float64, step int) {
	if len(xs) == 0 {
		return
	}
	// The state slices live in the part: a pointer handed to an interface
	// method escapes, and a local would be allocated per call.
	p.s = b.stateSlice(lo, lo+len(xs))
	b.upd.Apply(xs, g, &p.s)
	p.check(xs, step, lo)
}

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
	for k := range b.names {
		if v, ok := b.hp.StateStart(k); ok {
			for i := range b.state[k] {
				b.state[k][i] = v
			}
		} else {
			clear(b.state[k])
		}
	}
	b.t = 0
	b.st = gdgpu.NewScalarState()
	b.badStep, b.badIndex = -1, -1
}

// flag records a non-finite value at (step, index) when it comes before
// the one recorded.
func (b *Backend) flag(step, index int) {
	if b.badStep < 0 || step < b.badStep || (step == b.badStep && index < b.badIndex) {
		b.badStep, b.badIndex = step, index
	}
}

// Keep copies the state to slot k (see gdgpu.Backend).
func (b *Backend) Keep(k int) error {
	if b.closed {
		return ErrClosed
	}
	if k < 0 || k > 1 {
		return fmt.Errorf("cpu: Keep: no slot %d", k)
	}
	s := &b.kept[k]
	s.x = append(s.x[:0], b.x...)
	kept := b.state[:b.hp.KeptStates()] // lbfgs: not its history ring
	if len(s.state) != len(kept) {
		s.state = make([][]float64, len(kept))
	}
	for i, v := range kept {
		s.state[i] = append(s.state[i][:0], v...)
	}
	s.t, s.st = b.t, b.st
	return nil
}

// Revert restores slot k (see gdgpu.Backend).
func (b *Backend) Revert(k int) error {
	if b.closed {
		return ErrClosed
	}
	if k < 0 || k > 1 || len(b.kept[k].x) != len(b.x) {
		return fmt.Errorf("cpu: Revert: slot %d holds no state", k)
	}
	s := &b.kept[k]
	copy(b.x, s.x)
	for i, v := range s.state {
		copy(b.state[i], v)
	}
	b.t, b.st = s.t, s.st
	b.hp.Reverted(&b.st)
	b.lbRecompute()
	b.badStep, b.badIndex = -1, -1
	b.pending = b.pending[:0]
	return nil
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
		return gdgpu.FieldErrorf("Load: got %d values, job has {Job.Dim} %d", len(x), len(b.x)).In("cpu")
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
		if b.lb != nil {
			b.lbfgsStep(r, record && j == 0)
			continue
		}
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
		return gdgpu.FieldErrorf("Params: dst has %d values, job has {Job.Dim} %d", len(dst), len(b.x)).In("cpu")
	}
	copy(dst, b.x)
	return nil
}

// Snapshot copies the complete state into s (see gdgpu.Backend).
func (b *Backend) Snapshot(s *gdgpu.State) error {
	if b.closed {
		return ErrClosed
	}
	s.Step, s.Scalars = b.t, b.st
	s.Params = append(s.Params[:0], b.x...)
	if len(s.Vectors) != len(b.state) {
		s.Vectors = make([][]float64, len(b.state))
	}
	for k := range b.state {
		s.Vectors[k] = append(s.Vectors[k][:0], b.state[k]...)
	}
	return nil
}

// Restore replaces the complete state with s (see gdgpu.Backend).
func (b *Backend) Restore(s *gdgpu.State) error {
	if b.closed {
		return ErrClosed
	}
	if len(s.Params) != len(b.x) || len(s.Vectors) != len(b.state) {
		return fmt.Errorf("cpu: state has %d parameters and %d state vectors, the job needs %d and %d (%v)", len(s.Params), len(s.Vectors), len(b.x), len(b.state), b.names)
	}
	for k, v := range s.Vectors {
		if len(v) != len(b.x) {
			return fmt.Errorf("cpu: state vector %s has %d values, the job needs %d", b.names[k], len(v), len(b.x))
		}
	}
	if err := b.hp.CheckScalars(s.Scalars); err != nil {
		return fmt.Errorf("cpu: %w", err)
	}
	copy(b.x, s.Params)
	for k, v := range s.Vectors {
		copy(b.state[k], v)
	}
	b.t, b.st = s.Step, s.Scalars
	b.lbRecompute()
	b.badStep, b.badIndex = -1, -1
	b.pending = b.pending[:0]
	return nil
}

// Close drops the backend's buffers. Every later call but Close returns
// ErrClosed; Close itself may be called again.
func (b *Backend) Close() error {
	b.stopParallel()
	b.closed = true
	b.x, b.names, b.state, b.obj, b.pending, b.grad = nil, nil, nil, objective{}, nil, nil
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
// does, and clipping g as Step clips the objective's gradient (the GPU's
// given-gradient kernel does too). The GPU backend has the same method, so
// both can be fed identical gradients and compared rule by rule. g is only
// read.
func (b *Backend) ApplyGradient(g []float64, lr float64) error {
	if b.closed {
		return ErrClosed
	}
	if len(g) != len(b.x) {
		return gdgpu.FieldErrorf("ApplyGradient: got %d values, job has {Job.Dim} %d", len(g), len(b.x)).In("cpu")
	}
	if b.lb != nil {
		return fmt.Errorf("cpu: ApplyGradient: %s evaluates its own gradients (a step is a closure's)", b.hp.Name)
	}
	b.src = g
	b.factor = 1
	if b.clipNorm > 0 {
		b.dispatch(phaseNorm)
		sq := leafTotal(b.leafSq)
		b.factor = clipFactor(b.clipNorm, math.Sqrt(sq.Sum()))
	}
	b.t0 = b.t
	b.nextStep(lr)
	b.dispatch(phaseUpdate)
	b.src = nil
	return nil
}

// clipEps is what torch.nn.utils.clip_grad_norm_ adds to the norm.
const clipEps = 1e-6

// clipFactor is torch.nn.utils.clip_grad_norm_'s scale for a gradient of
// norm total: clip_coef = max_norm / (total_norm + 1e-6), clamped to at
// most 1 (torch.clamp(clip_coef, max=1.0)). A NaN norm gives NaN, as in
// torch (min propagates it); an infinite one gives 0.
func clipFactor(maxNorm, total float64) float64 {
	return min(maxNorm/(total+clipEps), 1)
}

// sumSquares returns Σ g_j² over one leaf (len(g) ≤ chunk), summed by
// leafSum in the scratch t.
func sumSquares(t *[chunk]float64, g []float64) float64 {
	s := t[:len(g)]
	for j, v := range g {
		s[j] = v * v
	}
	return kern.LeafSum(s)
}

// update applies the step to x[lo:lo+len(g)] with the gradient g, clipped
// as the GPU's step kernel clips it, element by element and before the
// optimizer rule (so before maximize and weight decay): clamped to
// [-clipValue, clipValue] (torch.nn.utils.clip_grad_value_, GLSL's
// clamp, min(max(g, -c), c)), then multiplied by factor, the clip-norm
// scale (1 when not clipping by norm). The clipped values go to the
// scratch p.clip; g itself is only read. len(g) ≤ chunk. In a sweep, the
// new values of the part's held elements go to p.held instead of x (see
// dispatch). Then it checks the new values, which belong to the point
// x_{t0+1}.
func (b *Backend) update(p *part, lo int, g []float64, factor float64) {
	if b.clipValue > 0 || b.clipNorm > 0 {
		c := p.clip[:len(g)]
		switch {
		case b.clipValue > 0 && b.clipNorm > 0: // refused by Validate; the GPU's order
			cmax, cmin := b.clipValue, -b.clipValue
			for j, v := range g {
				c[j] = min(max(v, cmin), cmax) * factor
			}
		case b.clipValue > 0:
			cmax, cmin := b.clipValue, -b.clipValue
			for j, v := range g {
				c[j] = min(max(v, cmin), cmax) // NaN stays NaN, as in torch.clamp
			}
		default:
			for j, v := range g {
				c[j] = v * factor
			}
		}
		g = c
	}
	hi := lo + len(g)
	step := b.t0 + 1
	// Elementwise rules: the held elements are updated apart from the
	// rest, into p.hv, and their new values kept in p.held, never written
	// to x where a neighbouring part may read them.
	cur := lo
	if b.phase == phaseSweep {
		for _, r := range [2][2]int{p.front, p.back} {
			a, c := max(r[0], lo), min(r[1], hi)
			if a >= c {
				continue
			}
			b.applyRange(p, cur, g[cur-lo:a-lo], b.x[cur:a], step)
			hv := p.hv[:c-a]
			copy(hv, b.x[a:c])
			b.applyRange(p, a, g[a-lo:c-lo], hv, step)
			for j, v := range hv {
				p.held = append(p.held, heldValue{a + j, v})
			}
			cur = c
		}
	}
	b.applyRange(p, cur, g[cur-lo:], b.x[cur:hi], step)
	for _, v := range b.state {
		p.check(v[lo:hi], step, lo)
	}
}

// nextStep counts one step and hands its scalars to the update, advancing
// the scalar state through gdgpu's Optimizer.Scalars.
func (b *Backend) nextStep(lr float64) {
	b.t++
	b.upd.SetStep(b.hp.ScheduledScalars(&b.sched, b.t, lr, &b.st))
}

// StepCount returns the optimizer steps run since Load (torch's
// state["step"]).
func (b *Backend) StepCount() int { return b.t }

// sweep makes one pass over x. With update it applies one optimizer step
// with learning rate lr; with record it records the loss and gradient norm
// at the point before the update. Chunk by chunk: loss terms (record),
// gradient at the old point, squared gradient (record), then the update,
// so the old point is only ever read before it is overwritten. A step
// that clips by norm needs the whole gradient's norm before it updates
// anything, so it takes two passes (sweepClipNorm).
func (b *Backend) sweep(update bool, lr float64, record bool) {
	b.obj.prepare(b.x) // ackley's and griewank's global quantities, before any part reads x
	if update && b.clipNorm > 0 {
		b.sweepClipNorm(lr, record)
		return
	}
	b.t0 = b.t
	if update {
		b.nextStep(lr)
	}
	b.recording, b.updating = record, update
	b.dispatch(phaseSweep)
	if record {
		loss, sq := leafTotal(b.leafLoss), leafTotal(b.leafSq)
		b.record(b.t0, &loss, &sq)
	}
}

// sweepClipNorm is a step that clips by norm: a first pass computes the
// loss terms (record), the raw gradient into b.grad and its squares, a
// second applies the step with the gradient scaled by clipFactor. x is
// only read in the first pass, so Rosenbrock's neighbours are the old
// point throughout. The sample's gradient norm is the raw gradient's, as
// clip_grad_norm_ returns it and the GPU records it.
func (b *Backend) sweepClipNorm(lr float64, record bool) {
	b.t0 = b.t
	b.nextStep(lr)
	b.recording, b.updating = record, true
	b.dispatch(phaseGrad)
	loss, sq := leafTotal(b.leafLoss), leafTotal(b.leafSq)
	b.factor = clipFactor(b.clipNorm, math.Sqrt(sq.Sum()))
	b.src = b.grad
	b.dispatch(phaseUpdate)
	b.src = nil
	if record {
		b.record(b.t0, &loss, &sq)
	}
}

// record appends the sample of step t from the loss and squared gradient
// norm sums, with the first non-finite value found so far.
func (b *Backend) record(t int, loss, sq *kern.Pairwise) {
	smp := gdgpu.Sample{Step: t, Loss: b.obj.finish(loss.Sum()), GradNorm: math.Sqrt(sq.Sum())}
	if b.badStep >= 0 {
		smp.NonFinite, smp.BadStep, smp.BadIndex = true, b.badStep, b.badIndex
	}
	b.pending = append(b.pending, smp)
}
