package cpu

import (
	"math"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/kern"
	"github.com/gdgpu/gdgpu/internal/lbfgs"
)

// lbfgsState is torch.optim.LBFGS on a Backend (gdgpu.OptimizerInfo.
// Closure): internal/lbfgs's Stepper runs the rule, and the backend does
// its vector work (lbfgsOps). The state is the backend's: d,
// prev_flat_grad and the history ring in b.state (StateNames order), the
// scalars in b.st; here are the Stepper and the work vectors.
type lbfgsState struct {
	m    int
	al   []float64 // the two-loop's alphas, per ring slot
	step *lbfgs.Stepper
	work [6][]float64 // flat_grad, y, s, x_init and the line search's two spares
}

func newLBFGS(o *gdgpu.Optimizer, n int) *lbfgsState {
	l := &lbfgsState{m: int(o.History), al: make([]float64, int(o.History)), step: lbfgs.New(lbfgs.NewParams(o))}
	for i := range l.work {
		l.work[i] = make([]float64, n)
	}
	return l
}

// lbfgsOps is lbfgs.Ops on a Backend: the names map to x, the work
// vectors and the state vectors; reductions are dot's, absSum's and
// absMax's, over the backend's goroutines.
type lbfgsOps struct{ b *Backend }

var _ lbfgs.Ops = lbfgsOps{}

func (o lbfgsOps) vec(v lbfgs.Vec) []float64 {
	b, l := o.b, o.b.lb
	switch v {
	case lbfgs.X:
		return b.x
	case lbfgs.G:
		return l.work[0]
	case lbfgs.Y:
		return l.work[1]
	case lbfgs.S:
		return l.work[2]
	case lbfgs.XInit:
		return l.work[3]
	case lbfgs.Spare0:
		return l.work[4]
	case lbfgs.Spare1:
		return l.work[5]
	case lbfgs.D:
		return b.state[0]
	case lbfgs.Prev:
		return b.state[1]
	}
	return b.state[2+int(v-lbfgs.Dir(0))] // old_dirs then old_stps, as StateNames
}

// Swap exchanges the slices behind two names (y or s and a ring slot).
func (o lbfgsOps) Swap(a, c lbfgs.Vec) {
	pa, pc := o.ref(a), o.ref(c)
	*pa, *pc = *pc, *pa
}

func (o lbfgsOps) ref(v lbfgs.Vec) *[]float64 {
	b, l := o.b, o.b.lb
	switch v {
	case lbfgs.Y:
		return &l.work[1]
	case lbfgs.S:
		return &l.work[2]
	}
	if v >= lbfgs.Dir(0) {
		return &b.state[2+int(v-lbfgs.Dir(0))]
	}
	panic("cpu: lbfgs: swap of a vector that is not a pair's")
}

// Eval evaluates the loss and the gradient (into dst) at x, noting
// non-finite values as step b.t0's (the start), b.t's (a point the step
// moved to) or not at all (see lbfgs.Ops).
func (o lbfgsOps) Eval(dst lbfgs.Vec, flag lbfgs.Flag) (loss, sq float64) {
	b := o.b
	if b.closure != nil {
		g := o.vec(dst)
		loss, sq = b.closure(g)
		step := b.t0 // FlagStart: the step's start point
		if flag == lbfgs.FlagMoved {
			step = b.t
		}
		if flag != lbfgs.NoFlag {
			for i, v := range g {
				if v-v != 0 {
					b.flag(step, i)
					break
				}
			}
		}
		return loss, sq
	}
	bs, bi, t0 := b.badStep, b.badIndex, b.t0
	if flag == lbfgs.FlagMoved {
		b.t0 = b.t // sweepPart notes values as step b.t0's
	}
	b.obj.prepare(b.x)
	b.grad = o.vec(dst)
	b.recording, b.updating = true, false
	b.dispatch(phaseGrad)
	b.grad, b.t0 = nil, t0
	l, q := leafTotal(b.leafLoss), leafTotal(b.leafSq)
	if flag == lbfgs.NoFlag {
		b.badStep, b.badIndex = bs, bi
	}
	return b.obj.finish(l.Sum()), q.Sum()
}

func (o lbfgsOps) Dot(a, c lbfgs.Vec) float64               { return o.b.vdot(o.vec(a), o.vec(c)) }
func (o lbfgsOps) AbsSum(a lbfgs.Vec) float64               { return o.b.vabsSum(o.vec(a)) }
func (o lbfgsOps) AbsMax(a lbfgs.Vec) float64               { return o.b.vabsMax(o.vec(a)) }
func (o lbfgsOps) Axpy(y lbfgs.Vec, a float64, x lbfgs.Vec) { o.b.vaxpy(o.vec(y), a, o.vec(x)) }
func (o lbfgsOps) Copy(dst, src lbfgs.Vec)                  { copy(o.vec(dst), o.vec(src)) }

func (o lbfgsOps) Neg(dst, src lbfgs.Vec) {
	d, s := o.vec(dst), o.vec(src)
	for i, v := range s {
		d[i] = -v
	}
}

func (o lbfgsOps) Sub(dst, a, c lbfgs.Vec) {
	d, x, y := o.vec(dst), o.vec(a), o.vec(c)
	for i := range d {
		d[i] = x[i] - y[i]
	}
}

func (o lbfgsOps) Scale(dst, src lbfgs.Vec, t float64) {
	d, s := o.vec(dst), o.vec(src)
	for i := range d {
		d[i] = s[i] * t
	}
}

func (o lbfgsOps) AddScaled(dst, x lbfgs.Vec, t float64, d lbfgs.Vec) {
	addScaled(o.vec(dst), o.vec(x), t, o.vec(d))
}

// TwoLoop is the two-loop recursion on the host's scalars (lbfgs.Ops):
// for each pair, newest first, al = s.d ro and d -= al y; d *= hDiag;
// for each pair, oldest first, be = y.d ro and d += (al - be) s. Each
// update of d and the next pair's dot run in one pass (vaxpyDot), which
// gives the bits of the two in turn and reads d 2m times, not 4m.
func (o lbfgsOps) TwoLoop(m int, slots []int, ro []float64, hDiag float64) {
	al := o.b.lb.al[:m]
	n := len(slots)
	d := o.vec(lbfgs.D)
	var dt float64 // the dot the next pair needs
	if n > 0 {
		dt = o.Dot(lbfgs.Stp(m, slots[n-1]), lbfgs.D)
	}
	for i := n - 1; i >= 0; i-- {
		k := slots[i]
		al[k] = dt * ro[k]
		if i > 0 {
			dt = o.b.vaxpyDot(d, -al[k], o.vec(lbfgs.Dir(k)), o.vec(lbfgs.Stp(m, slots[i-1])))
		} else {
			o.Axpy(lbfgs.D, -al[k], lbfgs.Dir(k))
		}
	}
	o.Scale(lbfgs.D, lbfgs.D, hDiag)
	if n > 0 {
		dt = o.Dot(lbfgs.Dir(slots[0]), lbfgs.D)
	}
	for i, k := range slots {
		be := float64(dt * ro[k]) // rounded: no FMA in al[k]-be
		if i+1 < n {
			dt = o.b.vaxpyDot(d, al[k]-be, o.vec(lbfgs.Stp(m, k)), o.vec(lbfgs.Dir(slots[i+1])))
		} else {
			o.Axpy(lbfgs.D, al[k]-be, lbfgs.Stp(m, k))
		}
	}
}

// lbRecompute sets the ring's 1/(y.s) after the state was replaced.
func (b *Backend) lbRecompute() {
	if b.lb != nil {
		b.lb.step.Recompute(lbfgsOps{b}, &b.st)
	}
}

// lbfgsStep is one torch.optim.LBFGS.step(closure) with learning rate lr
// (internal/lbfgs). The parameters it ends on are checked for non-finite
// values. With record, step t0's sample is recorded: the loss and
// gradient norm of its first evaluation (the point it starts from), and
// the first non-finite value found by the end of the step, as a fused
// step's sample carries the values it wrote.
func (b *Backend) lbfgsStep(lr float64, record bool) {
	b.t0 = b.t
	b.t++
	loss, sq := b.lb.step.Step(lbfgsOps{b}, &b.st, lr)
	if record {
		b.pending = append(b.pending, b.sample(b.t0, loss, sq))
	}
	for i, v := range b.x {
		if v-v != 0 {
			b.flag(b.t, i)
			break
		}
	}
}

// Counts gives L-BFGS's n_iter and func_evals since Load (gdgpu.Counter);
// 0, 0 for the other rules, which keep no such counts.
func (b *Backend) Counts() (iterations, evaluations int) {
	if b.lb == nil {
		return 0, 0
	}
	return b.st.NIter, b.st.FuncEvals
}

// sample is the Sample of step t from a loss and a squared gradient norm,
// with the first non-finite value found so far.
func (b *Backend) sample(t int, loss, sq float64) gdgpu.Sample {
	smp := gdgpu.Sample{Step: t, Loss: loss, GradNorm: math.Sqrt(sq)}
	if b.badStep >= 0 {
		smp.NonFinite, smp.BadStep, smp.BadIndex = true, b.badStep, b.badIndex
	}
	return smp
}

// leafOp is one leaf (at most chunk elements) of phaseDot (the sum of
// a_i*b_i), phaseAbsSum (of |a_i|) or phaseAbsMax (max |a_i|, NaN if an
// a_i is), t its scratch: dot's, absSum's and absMax's leaves.
func leafOp(ph phase, t *[chunk]float64, a, b []float64) float64 {
	switch ph {
	case phaseDot:
		for i := range a {
			t[i] = a[i] * b[i]
		}
	case phaseAbsSum:
		for i := range a {
			t[i] = math.Abs(a[i])
		}
	default:
		return absMax(a)
	}
	return kern.LeafSum(t[:len(a)])
}

// vdot, vabsSum and vabsMax are dot, absSum and absMax over the backend's
// parts, on its goroutines: the leaves are the same, and summed in the
// same order, so the bits are too. vaxpy is axpy.
func (b *Backend) vdot(x, y []float64) float64 { return b.vreduce(phaseDot, x, y) }
func (b *Backend) vabsSum(x []float64) float64 { return b.vreduce(phaseAbsSum, x, nil) }
func (b *Backend) vabsMax(x []float64) float64 { return b.vreduce(phaseAbsMax, x, nil) }

func (b *Backend) vreduce(ph phase, x, y []float64) float64 {
	b.va, b.vb = x, y
	b.dispatch(ph)
	b.va, b.vb = nil, nil
	if ph == phaseAbsMax {
		return absMax(b.leafSq)
	}
	s := leafTotal(b.leafSq)
	return s.Sum()
}

func (b *Backend) vaxpy(y []float64, a float64, x []float64) {
	b.va, b.vc, b.vb = y, a, x
	b.dispatch(phaseAxpy)
	b.va, b.vb = nil, nil
}

// vaxpyDot is vaxpy(y, a, x) then vdot(w, y), in one pass over y: the
// same bits, one read of y fewer.
func (b *Backend) vaxpyDot(y []float64, a float64, x, w []float64) float64 {
	b.vc, b.vw = a, w
	s := b.vreduce(phaseAxpyDot, y, x)
	b.vw = nil
	return s
}

// dot is a.b summed in a fixed order (products in leaves of kern.Leaf,
// the leaves pairwise), so the same on any machine and goroutine count.
func dot(a, b []float64) float64 {
	var s kern.Pairwise
	var t [chunk]float64
	for lo := 0; lo < len(a); lo += chunk {
		hi := min(lo+chunk, len(a))
		for i := lo; i < hi; i++ {
			t[i-lo] = a[i] * b[i]
		}
		s.Push(kern.LeafSum(t[:hi-lo]))
	}
	return s.Sum()
}

// absSum is sum |v_i| in dot's order.
func absSum(v []float64) float64 {
	var s kern.Pairwise
	var t [chunk]float64
	for lo := 0; lo < len(v); lo += chunk {
		hi := min(lo+chunk, len(v))
		for i := lo; i < hi; i++ {
			t[i-lo] = math.Abs(v[i])
		}
		s.Push(kern.LeafSum(t[:hi-lo]))
	}
	return s.Sum()
}

// absMax is max |v_i|, NaN if any v_i is (torch's abs().max()).
func absMax(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		if a := math.Abs(x); a > m || a != a {
			if a != a {
				return a
			}
			m = a
		}
	}
	return m
}

// scaledAbsMax is max |v_i * t| (torch's d.mul(t).abs().max()), as the
// tests' transcription computes it; the backend takes max|v_i| |t|, the
// same value (rounding is monotone) over its goroutines.
func scaledAbsMax(v []float64, t float64) float64 {
	m := 0.0
	for _, x := range v {
		a := math.Abs(x * t)
		if a != a {
			return a
		}
		m = max(m, a)
	}
	return m
}

// axpy is y += a*x (torch's y.add_(x, alpha=a)), each product rounded
// before the sum; ATen's vectorised add may fuse them, so the two agree to
// rounding, not always to the bit.
func axpy(y []float64, a float64, x []float64) {
	for i := range y {
		y[i] += float64(a * x[i])
	}
}

// addScaled is dst = x + t*d (torch's _add_grad on x), each product
// rounded before the sum (see axpy).
func addScaled(dst, x []float64, t float64, d []float64) {
	for i := range dst {
		dst[i] = x[i] + float64(t*d[i])
	}
}
