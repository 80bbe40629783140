package cpu

import (
	"math"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/kern"
)

// lbfgs is the working memory of torch.optim.LBFGS on a Backend
// (gdgpu.OptimizerInfo.Closure). Its state is the backend's: the vectors
// d, prev_flat_grad and the history ring in b.state (StateNames order),
// the scalars in b.st; here are only buffers, and the ring's 1/(y.s),
// recomputed from the ring whenever the state is replaced.
type lbfgs struct {
	m              int       // history_size
	g              []float64 // flat_grad
	y, s           []float64 // the next curvature pair, until it is kept
	xInit          []float64 // the line search's start
	spare          [2][]float64
	ro, al         []float64 // 1/(y.s) per ring slot; the two-loop's alphas
	maxIter, evals int
	tolGrad, tolCh float64
	wolfe          bool
}

func newLBFGS(o *gdgpu.Optimizer, n int) *lbfgs {
	m := int(o.History)
	v := func() []float64 { return make([]float64, n) }
	return &lbfgs{
		m: m, g: v(), y: v(), s: v(), xInit: v(), spare: [2][]float64{v(), v()},
		ro: make([]float64, m), al: make([]float64, m),
		maxIter: int(o.MaxIter), evals: o.LBFGSMaxEval(),
		tolGrad: o.ToleranceGrad, tolCh: o.ToleranceChange, wolfe: o.StrongWolfe,
	}
}

// The state vectors' places in b.state (gdgpu's lbfgsStates).
func (b *Backend) lbD() []float64           { return b.state[0] }
func (b *Backend) lbPrev() []float64        { return b.state[1] }
func (b *Backend) lbDir(slot int) []float64 { return b.state[2+slot] }
func (b *Backend) lbStp(slot int) []float64 { return b.state[2+b.lb.m+slot] }

// lbSlot is the ring slot of the i-th pair held, oldest first.
func (b *Backend) lbSlot(i int) int { return (b.st.Oldest + i) % b.lb.m }

// lbRecompute sets ro from the ring after the state was replaced: the same
// dot products in the same order give the same bits as when the pairs
// were kept.
func (b *Backend) lbRecompute() {
	if b.lb == nil {
		return
	}
	for i := range b.st.Pairs {
		k := b.lbSlot(i)
		b.lb.ro[k] = 1.0 / b.vdot(b.lbDir(k), b.lbStp(k))
	}
}

// lbEval evaluates the loss and the gradient (into g) at b.x, flagging
// non-finite values as at step b.t0 when flag is set; the line search's
// trial points do not flag (torch's search recovers from an infinite
// trial loss by shrinking the step). It returns the loss and the squared
// gradient norm.
func (b *Backend) lbEval(g []float64, flag bool) (loss, sq float64) {
	bs, bi := b.badStep, b.badIndex
	b.obj.prepare(b.x)
	b.grad = g
	b.recording, b.updating = true, false
	b.dispatch(phaseGrad)
	b.grad = nil
	l, q := leafTotal(b.leafLoss), leafTotal(b.leafSq)
	if !flag {
		b.badStep, b.badIndex = bs, bi
	}
	return b.obj.finish(l.Sum()), q.Sum()
}

// lbfgsStep is one torch.optim.LBFGS.step(closure) with learning rate lr,
// in torch's order of operations (docs/optimizers.md). With record, the
// loss and gradient norm of its first evaluation (the current point) are
// recorded as step t0's sample.
func (b *Backend) lbfgsStep(lr float64, record bool) {
	l, st := b.lb, &b.st
	b.t0 = b.t
	b.t++
	g := l.g
	loss, sq := b.lbEval(g, true)
	st.FuncEvals++
	if record {
		b.pending = append(b.pending, b.sample(b.t0, loss, sq))
	}
	if b.vabsMax(g) <= l.tolGrad {
		return
	}
	d, prev := b.lbD(), b.lbPrev()
	t := st.T
	evals := 1
	for nIter := 1; nIter <= l.maxIter; nIter++ {
		st.NIter++
		if st.NIter == 1 {
			for i, v := range g {
				d[i] = -v
			}
			st.Pairs, st.Oldest, st.HDiag = 0, 0, 1
		} else {
			for i := range g {
				l.y[i] = g[i] - prev[i]
				l.s[i] = d[i] * t
			}
			if ys := b.vdot(l.y, l.s); ys > 1e-10 {
				var k int
				if st.Pairs == l.m {
					k, st.Oldest = st.Oldest, (st.Oldest+1)%l.m
				} else {
					k = b.lbSlot(st.Pairs)
					st.Pairs++
				}
				// The pair's vectors become the slot's; the slot's old ones
				// are the next pair's buffers.
				b.state[2+k], l.y = l.y, b.state[2+k]
				b.state[2+l.m+k], l.s = l.s, b.state[2+l.m+k]
				l.ro[k] = 1.0 / ys
				y := b.lbDir(k)
				st.HDiag = ys / b.vdot(y, y)
			}
			// The two-loop recursion, q and r in d's buffer.
			for i, v := range g {
				d[i] = -v
			}
			for i := st.Pairs - 1; i >= 0; i-- {
				k := b.lbSlot(i)
				l.al[k] = b.vdot(b.lbStp(k), d) * l.ro[k]
				b.vaxpy(d, -l.al[k], b.lbDir(k))
			}
			for i := range d {
				d[i] *= st.HDiag
			}
			for i := range st.Pairs {
				k := b.lbSlot(i)
				be := b.vdot(b.lbDir(k), d) * l.ro[k]
				b.vaxpy(d, l.al[k]-be, b.lbStp(k))
			}
		}
		copy(prev, g)
		prevLoss := loss
		if st.NIter == 1 {
			t = pyMin(1, 1/b.vabsSum(g)) * lr
		} else {
			t = lr
		}
		gtd := b.vdot(g, d)
		if gtd > -l.tolCh {
			break
		}
		lsEvals := 0
		optCond := false
		if l.wolfe {
			copy(l.xInit, b.x)
			var gNew []float64
			loss, gNew, t, lsEvals = b.strongWolfe(t, d, loss, g, gtd)
			if &gNew[0] != &g[0] {
				copy(g, gNew)
			}
			addScaled(b.x, l.xInit, t, d)
			optCond = b.vabsMax(g) <= l.tolGrad
		} else {
			addScaled(b.x, b.x, t, d)
			if nIter != l.maxIter {
				// As torch, the gradient at the last iteration's point is
				// left to the next step's first evaluation.
				loss, _ = b.lbEval(g, true)
				optCond = b.vabsMax(g) <= l.tolGrad
				lsEvals = 1
			}
		}
		evals += lsEvals
		st.FuncEvals += lsEvals
		if nIter == l.maxIter || evals >= l.evals || optCond {
			break
		}
		// max|d_i t| is max|d_i| |t|: rounding is monotone.
		if b.vabsMax(d)*math.Abs(t) <= l.tolCh {
			break
		}
		if math.Abs(loss-prevLoss) < l.tolCh {
			break
		}
	}
	st.T = t
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

// lbTrial evaluates the loss and gradient (into dst) at x_init + t*d, as
// torch's _directional_evaluate.
func (b *Backend) lbTrial(t float64, d, dst []float64) float64 {
	addScaled(b.x, b.lb.xInit, t, d)
	f, _ := b.lbEval(dst, false)
	return f
}

// strongWolfe is torch's _strong_wolfe (c1 1e-4, c2 0.9, max_ls 25 and
// its own tolerance_change 1e-9: LBFGS.step does not pass the step's) from
// x_init along d with initial step t, loss f, gradient g and directional
// derivative gtd, statement for statement. Gradients are slices handed
// around as torch hands tensors; a clone takes a buffer no live one holds.
// It returns the loss, gradient and step it settles on, and the
// evaluations it made.
func (b *Backend) strongWolfe(t float64, d []float64, f float64, g []float64, gtd float64) (float64, []float64, float64, int) {
	const c1, c2, maxLS, tolCh = 1e-4, 0.9, 25, 1e-9
	dNorm := b.vabsMax(d)
	pool := [3][]float64{b.lb.spare[0], b.lb.spare[1], b.lb.y}
	// free returns a pool buffer that none of live is.
	free := func(live ...[]float64) []float64 {
		for _, p := range pool {
			used := false
			for _, v := range live {
				used = used || (len(v) > 0 && &v[0] == &p[0])
			}
			if !used {
				return p
			}
		}
		panic("cpu: strongWolfe: no free gradient buffer")
	}
	gNew := free()
	fNew := b.lbTrial(t, d, gNew)
	lsEvals := 1
	gtdNew := b.vdot(gNew, d)

	tPrev, fPrev, gPrev, gtdPrev := 0.0, f, g, gtd
	done := false
	lsIter := 0
	var bracket, bracketF, bracketGtd [2]float64
	var bracketG [2][]float64
	n := 0 // the bracket's length: 1 or 2
	for lsIter < maxLS {
		if fNew > f+float64(c1*t*gtd) || (lsIter > 1 && fNew >= fPrev) {
			bracket, bracketF, bracketG, bracketGtd, n = [2]float64{tPrev, t}, [2]float64{fPrev, fNew}, [2][]float64{gPrev, gNew}, [2]float64{gtdPrev, gtdNew}, 2
			break
		}
		if math.Abs(gtdNew) <= -c2*gtd {
			bracket[0], bracketF[0], bracketG[0], n = t, fNew, gNew, 1
			done = true
			break
		}
		if gtdNew >= 0 {
			bracket, bracketF, bracketG, bracketGtd, n = [2]float64{tPrev, t}, [2]float64{fPrev, fNew}, [2][]float64{gPrev, gNew}, [2]float64{gtdPrev, gtdNew}, 2
			break
		}
		minStep := t + float64(0.01*(t-tPrev))
		maxStep := t * 10
		tmp := t
		t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, &[2]float64{minStep, maxStep})
		tPrev, fPrev, gPrev, gtdPrev = tmp, fNew, gNew, gtdNew
		gNew = free(gPrev)
		fNew = b.lbTrial(t, d, gNew)
		lsEvals++
		gtdNew = b.vdot(gNew, d)
		lsIter++
	}
	if lsIter == maxLS {
		bracket, bracketF, bracketG, n = [2]float64{0, t}, [2]float64{f, fNew}, [2][]float64{g, gNew}, 2
	}
	// bracket_f[-1]: the last of the bracket's one or two points. A
	// one-point bracket whose loss is NaN makes torch index past its end
	// (IndexError); here it settles on that point, and the run diverges.
	lowPos, highPos := 0, 1
	if n == 2 && !(bracketF[0] <= bracketF[1]) {
		lowPos, highPos = 1, 0
	}
	insufProgress := false
	for !done && lsIter < maxLS {
		if math.Abs(bracket[1]-bracket[0])*dNorm < tolCh {
			break
		}
		t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], nil)
		hi, lo := pyMax(bracket[0], bracket[1]), pyMin(bracket[0], bracket[1])
		eps := 0.1 * (hi - lo)
		if pyMin(hi-t, t-lo) < eps {
			if insufProgress || t >= hi || t <= lo {
				if math.Abs(t-hi) < math.Abs(t-lo) {
					t = hi - eps
				} else {
					t = lo + eps
				}
				insufProgress = false
			} else {
				insufProgress = true
			}
		} else {
			insufProgress = false
		}
		gNew = free(bracketG[0], bracketG[1])
		fNew = b.lbTrial(t, d, gNew)
		lsEvals++
		gtdNew = b.vdot(gNew, d)
		lsIter++
		if fNew > f+float64(c1*t*gtd) || fNew >= bracketF[lowPos] {
			bracket[highPos], bracketF[highPos], bracketG[highPos], bracketGtd[highPos] = t, fNew, gNew, gtdNew
			if bracketF[0] <= bracketF[1] {
				lowPos, highPos = 0, 1
			} else {
				lowPos, highPos = 1, 0
			}
		} else {
			if math.Abs(gtdNew) <= -c2*gtd {
				done = true
			} else if gtdNew*(bracket[highPos]-bracket[lowPos]) >= 0 {
				bracket[highPos], bracketF[highPos], bracketG[highPos], bracketGtd[highPos] = bracket[lowPos], bracketF[lowPos], bracketG[lowPos], bracketGtd[lowPos]
			}
			bracket[lowPos], bracketF[lowPos], bracketG[lowPos], bracketGtd[lowPos] = t, fNew, gNew, gtdNew
		}
	}
	return bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsEvals
}

// cubicInterpolate is torch's _cubic_interpolate: the minimiser of the
// cubic through (x1, f1, g1) and (x2, f2, g2), clamped to bounds (nil:
// the two points), or the bounds' middle when the cubic has none.
func cubicInterpolate(x1, f1, g1, x2, f2, g2 float64, bounds *[2]float64) float64 {
	var lo, hi float64
	switch {
	case bounds != nil:
		lo, hi = bounds[0], bounds[1]
	case x1 <= x2:
		lo, hi = x1, x2
	default:
		lo, hi = x2, x1
	}
	d1 := g1 + g2 - 3*(f1-f2)/(x1-x2)
	// float64() keeps Go from fusing the products into FMAs.
	d2sq := float64(d1*d1) - float64(g1*g2)
	if d2sq >= 0 {
		d2 := math.Sqrt(d2sq)
		var minPos float64
		if x1 <= x2 {
			minPos = x2 - float64((x2-x1)*((g2+d2-d1)/(g2-g1+2*d2)))
		} else {
			minPos = x1 - float64((x1-x2)*((g1+d2-d1)/(g1-g2+2*d2)))
		}
		return pyMin(pyMax(minPos, lo), hi)
	}
	return (lo + hi) / 2
}

// pyMax and pyMin are Python's max(a, b) and min(a, b), NaN included: the
// first argument unless the second compares greater (less).
func pyMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

func pyMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
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
