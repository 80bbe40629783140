package cpu

import (
	"runtime"
	"sync"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/kern"
)

// Steps run on several cores: a Backend splits x into contiguous parts of
// whole summation leaves (chunk elements) and a persistent pool of
// goroutines, started in New and stopped in Close, sweeps one part each
// while the calling goroutine sweeps the first. Every result is the same,
// to the bit, whatever the number of parts:
//
//   - elementwise updates do not depend on which goroutine computes them;
//   - loss and squared-gradient sums go leaf by leaf into leafLoss and
//     leafSq, which the caller pushes into the pairwise tree in leaf order
//     after the parts are done, so the tree's shape depends on N alone;
//   - a term or gradient component may read the old x within the
//     problem's Reach of its index (Rosenbrock's gradient at i reads x[i-1]
//     and x[i+1]). Within a part, a chunk is updated only after the next
//     chunk's terms and gradient are computed (Reach ≤ chunk/2); across
//     parts, the new values of each part's first and last Reach elements,
//     which its neighbours read, go to part.held instead of x, and the
//     caller writes them after every part is done;
//   - each part flags its first non-finite value by (step, index) and the
//     caller keeps the least of them, as one sweep would.
//
// Small jobs (below parallelMin elements) run on the calling goroutine
// alone: waking a goroutine costs microseconds, more than such a step.

// parallelMin is the least N that is split over goroutines by default.
const parallelMin = 1 << 16

// options are the backend's unexported settings.
type options struct {
	workers int // goroutines a step may use, the caller's included; 0: runtime.GOMAXPROCS(0)
	minPar  int // the least N split over goroutines; 0: parallelMin, < 0: every N
}

// part is one goroutine's share of a sweep and its scratch.
type part struct {
	lo, hi int // elements lo..hi-1: whole leaves, but the last may be short

	// The elements whose new values are held back (see dispatch): the
	// first and last Reach of the part, where a neighbouring part reads
	// them; empty ranges when nothing is held. held collects the values
	// (its capacity is the ranges' length, so appending never allocates).
	front, back [2]int
	held        []heldValue

	badStep, badIndex int // the first non-finite value the part met (step -1: none)

	// Scratch, so that a step allocates nothing: the gradient of the chunk
	// being evaluated and of the one whose update is pending, the terms
	// being summed, and the clipped gradient.
	g           [2][chunk]float64
	terms, clip [chunk]float64
	hv          [gdgpu.MaxReach]float64 // held elements' new values being computed
	s           chunkState              // the state vectors' stretch being updated
}

// heldValue is a new x[i] held back until every part is done.
type heldValue struct {
	i int
	v float64
}

// phase says what the parts of a dispatch do.
type phase int

const (
	phaseSweep  phase = iota // Backend.sweep: terms, gradient, sums, update (when stepping)
	phaseGrad                // the first pass of a clip-norm step: terms, gradient into b.grad, sums
	phaseUpdate              // apply the step to the gradient in b.src (b.grad or ApplyGradient's g)
	phaseNorm                // the squared sums of b.src's leaves
	// L-BFGS's vector operations (lbfgs.go) on b.va, b.vb: leaf sums of
	// va*vb, of |va|, leaf maxima of |va| (into leafSq); va += vc*vb;
	// va += vc*vb then, leaf by leaf, the leaf sums of vw*va.
	phaseDot
	phaseAbsSum
	phaseAbsMax
	phaseAxpy
	phaseAxpyDot
)

// pool is the persistent goroutines of a Backend: helper i sweeps part
// i+1 each time it receives on start[i].
type pool struct {
	start []chan struct{}
	busy  sync.WaitGroup // the parts of the dispatch under way
	alive sync.WaitGroup // the helpers themselves
}

// setupParallel partitions x and starts the pool.
func (b *Backend) setupParallel(opt options) {
	n := len(b.x)
	leaves := (n + chunk - 1) / chunk
	b.leafLoss = make([]float64, leaves)
	b.leafSq = make([]float64, leaves)
	w := opt.workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	minPar := opt.minPar
	if minPar == 0 {
		minPar = parallelMin
	}
	if n < minPar {
		w = 1
	}
	w = max(min(w, leaves), 1)
	b.parts = make([]part, w)
	for i := range b.parts {
		p := &b.parts[i]
		p.lo = min(i*leaves/w*chunk, n)
		p.hi = min((i+1)*leaves/w*chunk, n)
		if r := b.obj.reach; w > 1 && r > 0 {
			// Neighbours read the part's first and last r elements; the
			// ends of x have no neighbour there.
			if p.lo > 0 {
				p.front = [2]int{p.lo, min(p.lo+r, p.hi)}
			}
			if p.hi < n {
				p.back = [2]int{max(p.hi-r, p.front[1], p.lo), p.hi}
			}
			p.held = make([]heldValue, 0, p.front[1]-p.front[0]+p.back[1]-p.back[0])
		}
	}
	if w == 1 {
		return
	}
	p := &pool{start: make([]chan struct{}, w-1)}
	for i := range p.start {
		c := make(chan struct{}, 1)
		p.start[i] = c
		pt := &b.parts[i+1]
		p.alive.Add(1)
		go func() {
			defer p.alive.Done()
			for range c {
				b.runPart(pt)
				p.busy.Done()
			}
		}()
	}
	b.pool = p
}

// stopParallel ends the pool's goroutines and waits for them.
func (b *Backend) stopParallel() {
	if b.pool == nil {
		return
	}
	for _, c := range b.pool.start {
		close(c)
	}
	b.pool.alive.Wait()
	b.pool = nil
}

// dispatch runs phase ph on every part: the helpers on theirs, the
// caller on the first; then it keeps the least non-finite flag of them
// and writes the held values. The phase's inputs are in b's
// dispatch fields.
func (b *Backend) dispatch(ph phase) {
	b.phase = ph
	for i := range b.parts {
		p := &b.parts[i]
		p.badStep, p.badIndex, p.held = -1, -1, p.held[:0]
	}
	if b.pool != nil {
		b.pool.busy.Add(len(b.pool.start))
		for _, c := range b.pool.start {
			c <- struct{}{}
		}
	}
	b.runPart(&b.parts[0])
	if b.pool != nil {
		b.pool.busy.Wait()
	}
	for i := range b.parts {
		p := &b.parts[i]
		if p.badStep >= 0 {
			b.flag(p.badStep, p.badIndex)
		}
		for _, h := range p.held {
			b.x[h.i] = h.v
		}
	}
}

// leafTotal pushes the leaf sums into a pairwise tree in leaf order.
func leafTotal(leaves []float64) kern.Pairwise {
	var s kern.Pairwise
	for _, v := range leaves {
		s.Push(v)
	}
	return s
}

// runPart does the dispatch's phase on part p.
func (b *Backend) runPart(p *part) {
	switch b.phase {
	case phaseSweep, phaseGrad:
		b.sweepPart(p)
	case phaseUpdate:
		for lo := p.lo; lo < p.hi; lo += chunk {
			hi := min(lo+chunk, p.hi)
			b.update(p, lo, b.src[lo:hi], b.factor)
		}
	case phaseNorm:
		for lo := p.lo; lo < p.hi; lo += chunk {
			hi := min(lo+chunk, p.hi)
			b.leafSq[lo/chunk] = sumSquares(&p.terms, b.src[lo:hi])
		}
	case phaseDot, phaseAbsSum, phaseAbsMax:
		for lo := p.lo; lo < p.hi; lo += chunk {
			hi := min(lo+chunk, p.hi)
			var vb []float64
			if b.phase == phaseDot {
				vb = b.vb[lo:hi]
			}
			b.leafSq[lo/chunk] = leafOp(b.phase, &p.terms, b.va[lo:hi], vb)
		}
	case phaseAxpy:
		axpy(b.va[p.lo:p.hi], b.vc, b.vb[p.lo:p.hi])
	case phaseAxpyDot:
		// a leaf's dot reads only the leaf, updated just before: the bits
		// of the axpy then the dot, in one pass over va
		for lo := p.lo; lo < p.hi; lo += chunk {
			hi := min(lo+chunk, p.hi)
			axpy(b.va[lo:hi], b.vc, b.vb[lo:hi])
			b.leafSq[lo/chunk] = leafOp(phaseDot, &p.terms, b.vw[lo:hi], b.va[lo:hi])
		}
	}
}

// sweepPart makes the pass of Backend.sweep (phaseSweep) or the first
// pass of sweepClipNorm (phaseGrad) over part p. Chunk by chunk: loss
// terms, gradient at the old point, squared gradient, then the update
// (phaseSweep when stepping), so the old point is only ever read before
// it is overwritten: when terms and gradient read neighbours (Reach > 0),
// a chunk's update waits until the next chunk is evaluated, and the
// part's first and last elements are held back (see dispatch).
func (b *Backend) sweepPart(p *part) {
	o := &b.obj
	x := b.x
	t0 := b.t0
	record, update := b.recording, b.updating && b.phase == phaseSweep
	sums := record || b.phase == phaseGrad
	lag := update && o.reach > 0
	var pending []float64 // the gradient of the chunk at pendingLo, not yet applied
	pendingLo, buf := 0, 0
	for lo := p.lo; lo < p.hi; lo += chunk {
		hi := min(lo+chunk, p.hi)
		leaf := lo / chunk
		// The loss terms every step, as the GPU's fused kernel computes
		// them, so that both flag the same first non-finite value.
		var g []float64
		if b.phase == phaseGrad {
			g = b.grad[lo:hi]
		} else {
			g = p.g[buf][:hi-lo]
		}
		// Terms and gradient in one call (a typed objective shares
		// their nodes); check keeps the least (step, index) flagged, so
		// checking both afterwards flags what checking each in turn did.
		nt := o.termsGrad(p.terms[:], g, x, lo, hi)
		p.check(p.terms[:nt], t0, lo)
		if record {
			b.leafLoss[leaf] = kern.LeafSum(p.terms[:nt])
		}
		p.check(g, t0, lo)
		if sums {
			b.leafSq[leaf] = sumSquares(&p.terms, g)
		}
		switch {
		case lag:
			if pending != nil {
				b.update(p, pendingLo, pending, 1)
			}
			pending, pendingLo, buf = g, lo, buf^1
		case update:
			b.update(p, lo, g, 1)
		}
	}
	if pending != nil {
		b.update(p, pendingLo, pending, 1)
	}
}

// flag records a non-finite value at (step, index) when it comes before
// the one the part recorded.
func (p *part) flag(step, index int) {
	if p.badStep < 0 || step < p.badStep || (step == p.badStep && index < p.badIndex) {
		p.badStep, p.badIndex = step, index
	}
}

// check flags the first non-finite value of v (element j is parameter
// lo+j) at step. The common, all-finite case is one branch-free pass
// (allFinite, vectorised where simd.go can); only a chunk that holds a
// non-finite value is searched element by element.
func (p *part) check(v []float64, step, lo int) {
	if allFinite(v) {
		return
	}
	for j, e := range v {
		if e*0 != 0 {
			p.flag(step, lo+j)
			return
		}
	}
}
