package cpu

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/lbfgs"
	"github.com/gdgpu/gdgpu/internal/testjobs"
	"gonum.org/v1/gonum/mat"
)

// refLBFGS is torch.optim.LBFGS.step written a second time, the way torch
// writes it: lists that pop their oldest pair, a fresh slice wherever
// torch makes a new tensor, and the closure through Loss and Grad. The
// backend's version keeps its history in a ring of state vectors, reuses
// its buffers and can be snapshot and restored; the tests hold the two to
// the same bits.
type refLBFGS struct {
	job                *gdgpu.Job
	x                  []float64
	d, prevFlatGrad    []float64
	t, hDiag           float64
	oldDirs, oldStps   [][]float64
	ro                 []float64
	nIter, funcEvals   int
	closureEvaluations int
	// paths counts the line search's branches taken, so that the tests
	// can show they reach each one.
	paths map[string]int
}

func (r *refLBFGS) closure(x []float64) (float64, []float64) {
	r.closureEvaluations++
	if gdgpu.IsModel(r.job.Problem) {
		// A model's full-batch objective, from a fresh backend each time.
		g := make([]float64, len(x))
		l, err := ModelLoss(r.job, x)
		if err == nil {
			err = ModelGrad(r.job, g, x)
		}
		if err != nil {
			panic(err)
		}
		return l, g
	}
	return Loss(r.job, x), Grad(r.job, nil, x)
}

func neg(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}

func (r *refLBFGS) directional(xInit []float64, t float64, d []float64) (float64, []float64) {
	x := make([]float64, len(xInit))
	addScaled(x, xInit, t, d)
	return r.closure(x)
}

// step is LBFGS.step(closure) with learning rate lr.
func (r *refLBFGS) step(lr float64) {
	o := &r.job.Optimizer
	maxIter, maxEval := int(o.MaxIter), o.LBFGSMaxEval()
	tolGrad, tolCh, history := o.ToleranceGrad, o.ToleranceChange, int(o.History)
	loss, flatGrad := r.closure(r.x)
	currentEvals := 1
	r.funcEvals++
	if absMax(flatGrad) <= tolGrad {
		return
	}
	d, t := r.d, r.t
	nIter := 0
	for nIter < maxIter {
		nIter++
		r.nIter++
		if r.nIter == 1 {
			d = neg(flatGrad)
			r.oldDirs, r.oldStps, r.ro, r.hDiag = nil, nil, nil, 1
		} else {
			y := make([]float64, len(d))
			s := make([]float64, len(d))
			for i := range y {
				y[i] = flatGrad[i] - r.prevFlatGrad[i]
				s[i] = d[i] * t
			}
			ys := dot(y, s)
			if ys > 1e-10 {
				if len(r.oldDirs) == history {
					r.oldDirs, r.oldStps, r.ro = r.oldDirs[1:], r.oldStps[1:], r.ro[1:]
				}
				r.oldDirs = append(r.oldDirs, y)
				r.oldStps = append(r.oldStps, s)
				r.ro = append(r.ro, 1.0/ys)
				r.hDiag = ys / dot(y, y)
			}
			num := len(r.oldDirs)
			al := make([]float64, num)
			q := neg(flatGrad)
			for i := num - 1; i >= 0; i-- {
				al[i] = dot(r.oldStps[i], q) * r.ro[i]
				axpy(q, -al[i], r.oldDirs[i])
			}
			d = make([]float64, len(q))
			for i := range q {
				d[i] = q[i] * r.hDiag
			}
			for i := range num {
				be := float64(dot(r.oldDirs[i], d) * r.ro[i]) // rounded: no FMA, as the backend
				axpy(d, al[i]-be, r.oldStps[i])
			}
		}
		r.prevFlatGrad = slices.Clone(flatGrad)
		prevLoss := loss
		if r.nIter == 1 {
			t = lbfgs.PyMin(1, 1/absSum(flatGrad)) * lr
		} else {
			t = lr
		}
		gtd := dot(flatGrad, d)
		if gtd > -tolCh {
			break
		}
		lsEvals := 0
		optCond := false
		if o.StrongWolfe {
			xInit := slices.Clone(r.x)
			loss, flatGrad, t, lsEvals = r.strongWolfe(xInit, t, d, loss, flatGrad, gtd)
			addScaled(r.x, r.x, t, d)
			optCond = absMax(flatGrad) <= tolGrad
		} else {
			addScaled(r.x, r.x, t, d)
			if nIter != maxIter {
				loss, flatGrad = r.closure(r.x)
				optCond = absMax(flatGrad) <= tolGrad
				lsEvals = 1
			}
		}
		currentEvals += lsEvals
		r.funcEvals += lsEvals
		if nIter == maxIter || currentEvals >= maxEval || optCond {
			break
		}
		if scaledAbsMax(d, t) <= tolCh {
			break
		}
		if math.Abs(loss-prevLoss) < tolCh {
			break
		}
	}
	r.d, r.t = d, t
}

// strongWolfe is torch's _strong_wolfe with lists for the bracket.
func (r *refLBFGS) strongWolfe(x []float64, t float64, d []float64, f float64, g []float64, gtd float64) (float64, []float64, float64, int) {
	// torch calls _strong_wolfe without tolerance_change: its default.
	const c1, c2, maxLS, tolChange = 1e-4, 0.9, 25, 1e-9
	dNorm := absMax(d)
	g = slices.Clone(g)
	fNew, gNew := r.directional(x, t, d)
	lsEvals := 1
	gtdNew := dot(gNew, d)
	tPrev, fPrev, gPrev, gtdPrev := 0.0, f, g, gtd
	done := false
	lsIter := 0
	var bracket, bracketF, bracketGtd []float64
	var bracketG [][]float64
	for lsIter < maxLS {
		if fNew > f+float64(c1*t*gtd) || (lsIter > 1 && fNew >= fPrev) {
			r.paths["bracket: no decrease"]++
			if !(fNew > f+float64(c1*t*gtd)) {
				r.paths["bracket: above the previous"]++
			}
			bracket, bracketF, bracketG, bracketGtd = []float64{tPrev, t}, []float64{fPrev, fNew}, [][]float64{gPrev, slices.Clone(gNew)}, []float64{gtdPrev, gtdNew}
			break
		}
		if math.Abs(gtdNew) <= -c2*gtd {
			r.paths["bracket: wolfe"]++
			bracket, bracketF, bracketG = []float64{t}, []float64{fNew}, [][]float64{gNew}
			done = true
			break
		}
		if gtdNew >= 0 {
			r.paths["bracket: uphill"]++
			bracket, bracketF, bracketG, bracketGtd = []float64{tPrev, t}, []float64{fPrev, fNew}, [][]float64{gPrev, slices.Clone(gNew)}, []float64{gtdPrev, gtdNew}
			break
		}
		r.paths["extrapolate"]++
		minStep := t + float64(0.01*(t-tPrev))
		maxStep := t * 10
		tmp := t
		t = lbfgs.CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, &[2]float64{minStep, maxStep})
		tPrev, fPrev, gPrev, gtdPrev = tmp, fNew, slices.Clone(gNew), gtdNew
		fNew, gNew = r.directional(x, t, d)
		lsEvals++
		gtdNew = dot(gNew, d)
		lsIter++
	}
	if lsIter == maxLS {
		r.paths["max_ls"]++
		bracket, bracketF, bracketG = []float64{0, t}, []float64{f, fNew}, [][]float64{g, gNew}
	}
	lowPos, highPos := 1, 0
	if bracketF[0] <= bracketF[len(bracketF)-1] || len(bracketF) == 1 {
		lowPos, highPos = 0, 1 // one point: where torch's IndexError would be
	}
	insuf := false
	for !done && lsIter < maxLS {
		if math.Abs(bracket[1]-bracket[0])*dNorm < tolChange {
			r.paths["zoom: bracket too small"]++
			break
		}
		r.paths["zoom"]++
		t = lbfgs.CubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], nil)
		hi, lo := lbfgs.PyMax(bracket[0], bracket[1]), lbfgs.PyMin(bracket[0], bracket[1])
		eps := float64(0.1 * (hi - lo)) // rounded: no FMA, as internal/lbfgs
		if lbfgs.PyMin(hi-t, t-lo) < eps {
			if insuf || t >= hi || t <= lo {
				if math.Abs(t-hi) < math.Abs(t-lo) {
					t = hi - eps
				} else {
					t = lo + eps
				}
				insuf = false
				r.paths["zoom: moved off the boundary"]++
			} else {
				insuf = true
				r.paths["zoom: insufficient progress"]++
			}
		} else {
			insuf = false
		}
		fNew, gNew = r.directional(x, t, d)
		lsEvals++
		gtdNew = dot(gNew, d)
		lsIter++
		if fNew > f+float64(c1*t*gtd) || fNew >= bracketF[lowPos] {
			r.paths["zoom: new high"]++
			bracket[highPos], bracketF[highPos], bracketG[highPos], bracketGtd[highPos] = t, fNew, slices.Clone(gNew), gtdNew
			if bracketF[0] <= bracketF[1] {
				lowPos, highPos = 0, 1
			} else {
				lowPos, highPos = 1, 0
			}
		} else {
			if math.Abs(gtdNew) <= -c2*gtd {
				done = true
			} else if gtdNew*(bracket[highPos]-bracket[lowPos]) >= 0 {
				r.paths["zoom: high becomes low"]++
				bracket[highPos], bracketF[highPos], bracketG[highPos], bracketGtd[highPos] = bracket[lowPos], bracketF[lowPos], bracketG[lowPos], bracketGtd[lowPos]
			}
			bracket[lowPos], bracketF[lowPos], bracketG[lowPos], bracketGtd[lowPos] = t, fNew, slices.Clone(gNew), gtdNew
		}
	}
	return bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsEvals
}

// lbfgsJob is testjobs.LBFGSJob in float64.
func lbfgsJob(t *testing.T, problem string, dim, m int, wolfe bool, it int) gdgpu.Job {
	return testjobs.LBFGSJob(t, problem, dim, m, wolfe, it, gdgpu.F64)
}

// TestLBFGSMatchesTorchTranscription: the backend's L-BFGS, ring and all,
// gives the bits of the list-based transcription of torch's step after
// every step, with a history shorter than the run (the ring wraps) and
// longer, with and without the line search, on one goroutine and several.
func TestLBFGSMatchesTorchTranscription(t *testing.T) {
	cases := []struct {
		name    string
		problem string
		dim, m  int
		wolfe   bool
		iter    int
		lr      []float64
		seed    uint64  // a random start (0: the problem's)
		tolCh   float64 // --tolerance-change (0: torch's 1e-9)
	}{
		{"rosenbrock/m3/fixed", "rosenbrock", 30, 3, false, 20, []float64{1, 1, 0.5, 1, 1, 1}, 0, 0},
		{"rosenbrock/m3/wolfe", "rosenbrock", 30, 3, true, 20, []float64{1, 1, 1, 1, 1, 1}, 0, 0},
		{"rosenbrock/m100/wolfe", "rosenbrock", 30, 100, true, 7, []float64{1, 1, 1, 1, 1}, 0, 0},
		{"rastrigin/m5/wolfe", "rastrigin", 40, 5, true, 10, []float64{1, 1, 1}, 0, 0},
		{"ackley/m4/fixed", "ackley", 25, 4, false, 6, []float64{0.1, 0.1, 0.1}, 0, 0},
		{"quadratic/m2/wolfe/parallel", "quadratic", 20000, 2, true, 9, []float64{1, 1, 1}, 0, 0},
		{"styblinski-tang/m6/wolfe/parallel", "styblinski-tang", 30000, 6, true, 8, []float64{1, 1}, 0, 0},
		// Cases found to take the line search's rarer branches.
		{"rosenbrock/m5/wolfe/lr0.1", "rosenbrock", 2, 5, true, 20, []float64{0.1, 0.1, 0.1, 0.1, 0.1}, 1, 0},
		{"rosenbrock/m5/wolfe/lr10", "rosenbrock", 10, 5, true, 20, []float64{10, 10, 10, 10, 10}, 2, 0},
		{"levy/m5/wolfe/lr10", "levy", 10, 5, true, 20, []float64{10, 10, 10, 10, 10}, 2, 0},
		// A --tolerance-change of its own, which the search must not take.
		{"ackley/m5/wolfe/tolerance-change", "ackley", 25, 5, true, 20, []float64{0.1, 0.1, 0.1, 0.1, 0.1}, 0, 1e-4},
		// Downhill without end: the step grows tenfold per trial until max_ls.
		{"saddle/m5/wolfe/max_ls", "saddle", 2, 5, true, 3, []float64{1, 1}, 0, 0},
	}
	paths := map[string]int{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := lbfgsJob(t, tc.problem, tc.dim, tc.m, tc.wolfe, tc.iter)
			job.RandomStart, job.Seed = tc.seed > 0, tc.seed
			if tc.tolCh > 0 {
				job.Optimizer.ToleranceChange = tc.tolCh
			}
			b, err := newBackendOptions(&job, options{workers: 3, minPar: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			x0 := job.StartPoint()
			if err := b.Load(x0); err != nil {
				t.Fatal(err)
			}
			ref := &refLBFGS{job: &job, x: slices.Clone(x0), paths: paths}
			moved := false
			for k, lr := range tc.lr {
				if err := b.Step([]float64{lr}, false); err != nil {
					t.Fatal(err)
				}
				ref.step(lr)
				if i := firstDiff(b.x, ref.x); i >= 0 {
					t.Fatalf("step %d: x[%d] = %v, torch's step gives %v", k+1, i, b.x[i], ref.x[i])
				}
				if b.st.NIter != ref.nIter || b.st.FuncEvals != ref.funcEvals || b.st.T != ref.t || b.st.Pairs != len(ref.oldDirs) {
					t.Fatalf("step %d: n_iter %d func_evals %d t %v pairs %d; torch's: %d %d %v %d", k+1, b.st.NIter, b.st.FuncEvals, b.st.T, b.st.Pairs, ref.nIter, ref.funcEvals, ref.t, len(ref.oldDirs))
				}
				for i := range b.st.Pairs {
					k := b.lbSlot(i)
					if firstDiff(b.lbDir(k), ref.oldDirs[i]) >= 0 || firstDiff(b.lbStp(k), ref.oldStps[i]) >= 0 {
						t.Fatalf("step %d: pair %d differs from torch's", k+1, i)
					}
				}
				moved = moved || !slices.Equal(b.x, x0)
			}
			if !moved {
				t.Fatal("the run never moved: the comparison shows nothing")
			}
		})
	}
	t.Logf("line-search branches taken: %v", paths)
	for _, p := range []string{"bracket: no decrease", "bracket: above the previous", "bracket: wolfe", "bracket: uphill", "extrapolate",
		"zoom", "zoom: moved off the boundary", "zoom: insufficient progress", "zoom: new high", "zoom: high becomes low", "max_ls"} {
		if paths[p] == 0 {
			t.Errorf("no case takes the line search's branch %q", p)
		}
	}
}

// TestLBFGSStoppingRules forces torch's step-ending tests one at a time:
// each ends the step at the iteration and evaluation count it implies.
func TestLBFGSStoppingRules(t *testing.T) {
	cases := []struct {
		name         string
		x0           float64 // every parameter's start (dim 1: the quadratic is x^2/2)
		lr           float64
		set          func(o *gdgpu.Optimizer)
		nIter, evals int
		moved        bool
		wantT        float64 // the state's t after the step
	}{
		{"tolerance_grad at the start", 1, 1, func(o *gdgpu.Optimizer) { o.ToleranceGrad = 2 }, 0, 1, false, 0},
		{"directional derivative", 1, 1, func(o *gdgpu.Optimizer) { o.ToleranceChange = 2 }, 1, 1, false, 1},
		{"max_iter, no evaluation after the last move", 1, 0.25, func(o *gdgpu.Optimizer) { o.MaxIter = 1 }, 1, 1, true, 0.25},
		{"max_eval", 1, 0.25, func(o *gdgpu.Optimizer) { o.MaxEval = 3 }, 2, 3, true, 0.25},
		{"tolerance_grad after a move", 1, 1, func(o *gdgpu.Optimizer) { o.ToleranceGrad = 1e-3 }, 1, 2, true, 1},
		{"parameter change", 1, 1e-12, nil, 1, 2, true, 1e-12},
		{"loss change", 1e-3, 1e-3, func(o *gdgpu.Optimizer) { o.ToleranceChange = 1e-8 }, 1, 2, true, 1e-3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := lbfgsJob(t, "quadratic", 1, 5, false, 20)
			if tc.set != nil {
				tc.set(&job.Optimizer)
			}
			b, err := newBackend(&job)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if err := b.Load([]float64{tc.x0}); err != nil {
				t.Fatal(err)
			}
			if err := b.Step([]float64{tc.lr}, false); err != nil {
				t.Fatal(err)
			}
			if b.st.NIter != tc.nIter || b.st.FuncEvals != tc.evals || (b.x[0] != tc.x0) != tc.moved {
				t.Errorf("n_iter %d, func_evals %d, x %v; want %d, %d, moved %v", b.st.NIter, b.st.FuncEvals, b.x[0], tc.nIter, tc.evals, tc.moved)
			}
			if b.st.T != tc.wantT {
				t.Errorf("t = %v, want %v", b.st.T, tc.wantT)
			}
		})
	}
}

// TestLBFGSDirectionIsBFGS: the two-loop recursion's direction is -H g
// for H the BFGS inverse-Hessian estimate built from the pairs held, one
// update at a time from H_diag*I (Nocedal & Wright, eq. 7.19), computed
// here densely with gonum.
func TestLBFGSDirectionIsBFGS(t *testing.T) {
	const n, m = 12, 5
	job := lbfgsJob(t, "rosenbrock", n, m, true, 9)
	b, err := newBackend(&job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Load(job.StartPoint()); err != nil {
		t.Fatal(err)
	}
	// One step of 9 iterations: the ring wraps. The state's d is the
	// direction of the last iteration, from the gradient held in
	// prev_flat_grad and the pairs held before that iteration; with a
	// history of m the last pair came in at that iteration too.
	if err := b.Step([]float64{1}, false); err != nil {
		t.Fatal(err)
	}
	if b.st.Pairs != m || b.st.NIter != 9 {
		t.Fatalf("pairs %d, n_iter %d: the step did not run its 9 iterations with the ring full", b.st.Pairs, b.st.NIter)
	}
	h := mat.NewDense(n, n, nil)
	for i := range n {
		h.Set(i, i, b.st.HDiag)
	}
	for i := range b.st.Pairs {
		k := b.lbSlot(i)
		s, y := mat.NewVecDense(n, slices.Clone(b.lbStp(k))), mat.NewVecDense(n, slices.Clone(b.lbDir(k)))
		rho := 1 / mat.Dot(y, s)
		// H = (I - rho s y^T) H (I - rho y s^T) + rho s s^T
		var left, right, tmp, next mat.Dense
		left.Outer(-rho, s, y)
		right.Outer(-rho, y, s)
		for j := range n {
			left.Set(j, j, left.At(j, j)+1)
			right.Set(j, j, right.At(j, j)+1)
		}
		tmp.Mul(&left, h)
		next.Mul(&tmp, &right)
		var ss mat.Dense
		ss.Outer(rho, s, s)
		next.Add(&next, &ss)
		h.Copy(&next)
	}
	var want mat.VecDense
	want.MulVec(h, mat.NewVecDense(n, slices.Clone(b.lbPrev())))
	scale := 0.0
	for i := range n {
		scale = max(scale, math.Abs(want.AtVec(i)))
	}
	for i, d := range b.lbD() {
		if math.Abs(d+want.AtVec(i)) > 1e-10*scale {
			t.Errorf("d[%d] = %v, -H g gives %v", i, d, -want.AtVec(i))
		}
	}
}

// TestLBFGSStateRoundTrip: a run snapshot after some steps and restored
// into a new backend goes on exactly as the uninterrupted run (the ring's
// position and 1/(y.s) included); a kept state reverted to gives back x,
// d, prev_flat_grad and the counters with an empty history (Keep does not
// copy the ring), and goes on from there; a ring that does not fit
// history_size is refused.
func TestLBFGSStateRoundTrip(t *testing.T) {
	for _, wolfe := range []bool{false, true} {
		job := lbfgsJob(t, "rosenbrock", 40, 3, wolfe, 7)
		open := func() *Backend {
			b, err := newBackend(&job)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			if err := b.Load(job.StartPoint()); err != nil {
				t.Fatal(err)
			}
			return b
		}
		lrs := []float64{1, 0.5, 1, 1, 0.7, 1, 1}
		whole := open()
		for _, lr := range lrs {
			whole.Step([]float64{lr}, false)
		}
		var want gdgpu.State
		whole.Snapshot(&want)

		a := open()
		a.Step(lrs[:3], false)
		var mid gdgpu.State
		if err := a.Snapshot(&mid); err != nil {
			t.Fatal(err)
		}
		if mid.Scalars.Oldest == 0 && mid.Scalars.Pairs < 3 {
			t.Logf("wolfe=%v: the ring has not wrapped at the snapshot", wolfe)
		}
		b := open()
		if err := b.Restore(&mid); err != nil {
			t.Fatal(err)
		}
		b.Step(lrs[3:], false)
		var s gdgpu.State
		b.Snapshot(&s)
		if s.Step != want.Step || s.Scalars != want.Scalars || firstDiff(s.Params, want.Params) >= 0 {
			t.Errorf("wolfe=%v restored: step %d %+v, want %d %+v; x differs at %d", wolfe, s.Step, s.Scalars, want.Step, want.Scalars, firstDiff(s.Params, want.Params))
		}
		for k := range s.Vectors {
			if firstDiff(s.Vectors[k], want.Vectors[k]) >= 0 {
				t.Errorf("wolfe=%v restored: state %s differs", wolfe, b.names[k])
			}
		}
		// Kept at the same point, stepped elsewhere, reverted: x, d,
		// prev_flat_grad and the counters come back, the history ring
		// (not kept) is emptied.
		a.Keep(0)
		a.Step([]float64{3, 3}, false)
		if err := a.Revert(0); err != nil {
			t.Fatal(err)
		}
		a.Snapshot(&s)
		wantSc := mid.Scalars
		wantSc.Pairs, wantSc.Oldest, wantSc.HDiag = 0, 0, 1
		if s.Step != mid.Step || s.Scalars != wantSc || firstDiff(s.Params, mid.Params) >= 0 ||
			firstDiff(s.Vectors[0], mid.Vectors[0]) >= 0 || firstDiff(s.Vectors[1], mid.Vectors[1]) >= 0 {
			t.Errorf("wolfe=%v reverted: step %d %+v, want %d %+v; x, d or prev_flat_grad not the kept ones", wolfe, s.Step, s.Scalars, mid.Step, wantSc)
		}
		if err := a.Step(lrs[3:], false); err != nil {
			t.Fatal(err)
		}
		if a.Snapshot(&s); !allFiniteSlice(s.Params) || s.Scalars.NIter <= mid.Scalars.NIter {
			t.Errorf("wolfe=%v: no finite progress after the revert: %+v", wolfe, s.Scalars)
		}
		bad := mid
		bad.Scalars.Pairs = 4
		if err := open().Restore(&bad); err == nil {
			t.Errorf("wolfe=%v: a ring of 4 pairs for a history of 3 restored", wolfe)
		}
	}
}

// TestLBFGSNaNAtTheWolfePoint: a trial whose loss is NaN but whose
// gradient meets the curvature condition leaves a one-point bracket that
// torch indexes past (IndexError). The backend settles on it instead, and
// the run ends Diverged: no panic.
func TestLBFGSNaNAtTheWolfePoint(t *testing.T) {
	job := gdgpu.NewJob()
	job.Objective = "sum(0.5*(x[i]+1)^2 + log(x[i]) - log(x[i]))" // NaN for x < 0, gradient x + 1 everywhere
	job.Dim, job.Steps, job.LogEvery = 1, 3, 1
	o, err := gdgpu.DefaultOptimizer("lbfgs")
	if err != nil {
		t.Fatal(err)
	}
	o.StrongWolfe, o.LR = true, 2
	job.Optimizer = o
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := Open(&job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := gdgpu.Run(context.Background(), &job, b, []float64{1}, gdgpu.Hooks{})
	if err != nil || res.Status != gdgpu.Diverged {
		t.Fatalf("status %v, error %v; want Diverged", res.Status, err)
	}
}

// The backend's L-BFGS state by torch's names, for the tests.
func (b *Backend) lbSlot(i int) int      { return (b.st.Oldest + i) % b.lb.m }
func (b *Backend) lbDir(k int) []float64 { return lbfgsOps{b}.vec(lbfgs.Dir(k)) }
func (b *Backend) lbStp(k int) []float64 { return lbfgsOps{b}.vec(lbfgs.Stp(b.lb.m, k)) }
func (b *Backend) lbD() []float64        { return lbfgsOps{b}.vec(lbfgs.D) }
func (b *Backend) lbPrev() []float64     { return lbfgsOps{b}.vec(lbfgs.Prev) }

func allFiniteSlice(v []float64) bool {
	for _, x := range v {
		if x-x != 0 {
			return false
		}
	}
	return true
}
