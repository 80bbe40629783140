// Package lbfgs is torch.optim.LBFGS's step, written once for every
// backend: the control flow, the line search and the scalars run here, on
// the host, and the backend does the vector work through Ops (on the CPU
// over its goroutines, on the GPU in kernels). docs/optimizers.md writes
// the rule out.
package lbfgs

import (
	"math"

	"github.com/gdgpu/gdgpu"
)

// Vec names one of the vectors of N a backend holds for L-BFGS.
type Vec int

// The vectors: the parameters, the line search's start, flat_grad, the
// state's prev_flat_grad and d, the next curvature pair's buffers, the
// line search's two spare gradients, then the history ring (Dir, Stp).
const (
	X Vec = iota
	XInit
	G
	Prev
	D
	Y
	S
	Spare0
	Spare1
	ring
)

// Dir is old_dirs slot k (y), Stp old_stps slot k (s), of a ring of m.
func Dir(k int) Vec    { return ring + Vec(k) }
func Stp(m, k int) Vec { return ring + Vec(m+k) }

// Flag says how an evaluation's non-finite values count: not at all (the
// line search's trial points: torch's search recovers from them), as the
// step's start point's (its first evaluation), or as the next step's (a
// point the step moved to, as a fused step notes the values it writes).
type Flag int

const (
	NoFlag Flag = iota
	FlagStart
	FlagMoved
)

// Ops is a backend's vector work. Reductions sum in an order of the
// backend's own, the same on every call.
type Ops interface {
	// Eval evaluates the loss and gradient at X, the gradient into dst,
	// and returns the loss and the squared gradient norm; flag says how
	// its non-finite values count.
	Eval(dst Vec, flag Flag) (loss, sq float64)
	Dot(a, b Vec) float64
	AbsSum(a Vec) float64
	AbsMax(a Vec) float64                   // NaN when an element is
	Axpy(y Vec, a float64, x Vec)           // y += a*x
	Neg(dst, src Vec)                       // dst = -src
	Sub(dst, a, b Vec)                      // dst = a - b
	Scale(dst, src Vec, t float64)          // dst = src*t
	AddScaled(dst, x Vec, t float64, d Vec) // dst = x + t*d
	Copy(dst, src Vec)
	Swap(a, b Vec) // exchange the vectors behind two names
	// TwoLoop turns D, which holds -flat_grad, into the direction: for the
	// ring slots in slots (oldest first), al_k = (Stp(k).D) ro[k] and
	// D += (-al_k) Dir(k) newest first; D *= hDiag; then be = (Dir(k).D)
	// ro[k] and D += (al_k - be) Stp(k) oldest first. The scalars may stay
	// on the device: the rule decides nothing on them.
	TwoLoop(m int, slots []int, ro []float64, hDiag float64)
}

// Params are a configuration's: history_size, max_iter, max_eval,
// tolerance_grad, tolerance_change and the line search.
type Params struct {
	M, MaxIter, MaxEval int
	TolGrad, TolChange  float64
	Wolfe               bool
}

// NewParams reads them from an lbfgs optimizer.
func NewParams(o *gdgpu.Optimizer) Params {
	return Params{M: int(o.History), MaxIter: int(o.MaxIter), MaxEval: o.LBFGSMaxEval(),
		TolGrad: o.ToleranceGrad, TolChange: o.ToleranceChange, Wolfe: o.StrongWolfe}
}

// Stepper runs steps: its fields are scratch, the state is the backend's
// vectors and the ScalarState passed to each call.
type Stepper struct {
	P     Params
	ro    []float64 // per ring slot: 1/(y.s)
	slots []int     // the ring slots held, oldest first
}

// New makes a Stepper for p.
func New(p Params) *Stepper {
	return &Stepper{P: p, ro: make([]float64, p.M), slots: make([]int, 0, p.M)}
}

// slot is the ring slot of the i-th pair held, oldest first.
func (s *Stepper) slot(st *gdgpu.ScalarState, i int) int { return (st.Oldest + i) % s.P.M }

// Recompute sets 1/(y.s) from the ring after the state was replaced: the
// same dot products in the same order give the same bits as when the
// pairs were kept.
func (s *Stepper) Recompute(o Ops, st *gdgpu.ScalarState) {
	for i := range st.Pairs {
		k := s.slot(st, i)
		s.ro[k] = 1.0 / o.Dot(Dir(k), Stp(s.P.M, k))
	}
}

// Step is one LBFGS.step(closure) with learning rate lr, in torch's order
// of operations, advancing st. It returns the loss and squared gradient
// norm of its first evaluation (the point it starts from).
func (s *Stepper) Step(o Ops, st *gdgpu.ScalarState, lr float64) (loss0, sq0 float64) {
	p := s.P
	loss, sq := o.Eval(G, FlagStart)
	loss0, sq0 = loss, sq
	st.FuncEvals++
	if o.AbsMax(G) <= p.TolGrad {
		return loss0, sq0
	}
	t := st.T
	evals := 1
	for nIter := 1; nIter <= p.MaxIter; nIter++ {
		st.NIter++
		if st.NIter == 1 {
			o.Neg(D, G)
			st.Pairs, st.Oldest, st.HDiag = 0, 0, 1
		} else {
			o.Sub(Y, G, Prev)
			o.Scale(S, D, t)
			if ys := o.Dot(Y, S); ys > 1e-10 {
				var k int
				if st.Pairs == p.M {
					k, st.Oldest = st.Oldest, (st.Oldest+1)%p.M
				} else {
					k = s.slot(st, st.Pairs)
					st.Pairs++
				}
				// The pair's vectors become the slot's; the slot's old ones
				// are the next pair's buffers.
				o.Swap(Y, Dir(k))
				o.Swap(S, Stp(p.M, k))
				s.ro[k] = 1.0 / ys
				st.HDiag = ys / o.Dot(Dir(k), Dir(k))
			}
			// The two-loop recursion, q and r in d's buffer.
			o.Neg(D, G)
			s.slots = s.slots[:0]
			for i := range st.Pairs {
				s.slots = append(s.slots, s.slot(st, i))
			}
			o.TwoLoop(p.M, s.slots, s.ro, st.HDiag)
		}
		o.Copy(Prev, G)
		prevLoss := loss
		if st.NIter == 1 {
			t = pyMin(1, 1/o.AbsSum(G)) * lr
		} else {
			t = lr
		}
		gtd := o.Dot(G, D)
		if gtd > -p.TolChange {
			break
		}
		lsEvals := 0
		optCond := false
		if p.Wolfe {
			o.Copy(XInit, X)
			var gNew Vec
			loss, gNew, t, lsEvals = s.strongWolfe(o, t, loss, gtd)
			if gNew != G {
				o.Copy(G, gNew)
			}
			o.AddScaled(X, XInit, t, D)
			optCond = o.AbsMax(G) <= p.TolGrad
		} else {
			o.AddScaled(X, X, t, D)
			if nIter != p.MaxIter {
				// As torch, the gradient at the last iteration's point is
				// left to the next step's first evaluation.
				loss, _ = o.Eval(G, FlagMoved)
				optCond = o.AbsMax(G) <= p.TolGrad
				lsEvals = 1
			}
		}
		evals += lsEvals
		st.FuncEvals += lsEvals
		if nIter == p.MaxIter || evals >= p.MaxEval || optCond {
			break
		}
		// max|d_i t| is max|d_i| |t|: rounding is monotone.
		if o.AbsMax(D)*math.Abs(t) <= p.TolChange {
			break
		}
		if math.Abs(loss-prevLoss) < p.TolChange {
			break
		}
	}
	st.T = t
	return loss0, sq0
}

// trial evaluates the loss and gradient (into dst) at x_init + t*d, as
// torch's _directional_evaluate.
func trial(o Ops, t float64, dst Vec) float64 {
	o.AddScaled(X, XInit, t, D)
	f, _ := o.Eval(dst, NoFlag)
	return f
}

// strongWolfe is torch's _strong_wolfe (c1 1e-4, c2 0.9, max_ls 25 and
// its own tolerance_change 1e-9: LBFGS.step does not pass the step's)
// from x_init along d with initial step t, loss f, gradient G and
// directional derivative gtd, statement for statement. Gradients are
// names handed around as torch hands tensors; a clone takes a buffer no
// live one holds. It returns the loss, the gradient's name and the step it
// settles on, and the evaluations it made.
func (s *Stepper) strongWolfe(o Ops, t, f, gtd float64) (float64, Vec, float64, int) {
	const c1, c2, maxLS, tolCh = 1e-4, 0.9, 25, 1e-9
	dNorm := o.AbsMax(D)
	pool := [3]Vec{Spare0, Spare1, Y}
	// free returns a pool buffer that none of live is.
	free := func(live ...Vec) Vec {
		for _, p := range pool {
			used := false
			for _, v := range live {
				used = used || v == p
			}
			if !used {
				return p
			}
		}
		panic("lbfgs: strongWolfe: no free gradient buffer")
	}
	g := G
	gNew := free()
	fNew := trial(o, t, gNew)
	lsEvals := 1
	gtdNew := o.Dot(gNew, D)

	tPrev, fPrev, gPrev, gtdPrev := 0.0, f, g, gtd
	done := false
	lsIter := 0
	var bracket, bracketF, bracketGtd [2]float64
	var bracketG [2]Vec
	n := 0 // the bracket's length: 1 or 2
	for lsIter < maxLS {
		if fNew > f+float64(c1*t*gtd) || (lsIter > 1 && fNew >= fPrev) {
			bracket, bracketF, bracketG, bracketGtd, n = [2]float64{tPrev, t}, [2]float64{fPrev, fNew}, [2]Vec{gPrev, gNew}, [2]float64{gtdPrev, gtdNew}, 2
			break
		}
		if math.Abs(gtdNew) <= -c2*gtd {
			bracket[0], bracketF[0], bracketG[0], n = t, fNew, gNew, 1
			done = true
			break
		}
		if gtdNew >= 0 {
			bracket, bracketF, bracketG, bracketGtd, n = [2]float64{tPrev, t}, [2]float64{fPrev, fNew}, [2]Vec{gPrev, gNew}, [2]float64{gtdPrev, gtdNew}, 2
			break
		}
		minStep := t + float64(0.01*(t-tPrev))
		maxStep := t * 10
		tmp := t
		t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, &[2]float64{minStep, maxStep})
		tPrev, fPrev, gPrev, gtdPrev = tmp, fNew, gNew, gtdNew
		gNew = free(gPrev)
		fNew = trial(o, t, gNew)
		lsEvals++
		gtdNew = o.Dot(gNew, D)
		lsIter++
	}
	if lsIter == maxLS {
		bracket, bracketF, bracketG, n = [2]float64{0, t}, [2]float64{f, fNew}, [2]Vec{g, gNew}, 2
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
		t = CubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], nil)
		hi, lo := PyMax(bracket[0], bracket[1]), pyMin(bracket[0], bracket[1])
		eps := float64(0.1 * (hi - lo)) // rounded: no FMA in hi-eps, lo+eps
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
		fNew = trial(o, t, gNew)
		lsEvals++
		gtdNew = o.Dot(gNew, D)
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

// CubicInterpolate is torch's _cubic_interpolate: the minimiser of the
// cubic through (x1, f1, g1) and (x2, f2, g2), clamped to bounds (nil:
// the two points), or the bounds' middle when the cubic has none.
func CubicInterpolate(x1, f1, g1, x2, f2, g2 float64, bounds *[2]float64) float64 {
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
		return pyMin(PyMax(minPos, lo), hi)
	}
	return (lo + hi) / 2
}

// PyMax and pyMin are Python's max(a, b) and min(a, b), NaN included:
// the first argument unless the second compares greater (less).
func PyMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

// PyMin is Python's min(a, b) (see PyMax).
func PyMin(a, b float64) float64 { return pyMin(a, b) }

func pyMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}
