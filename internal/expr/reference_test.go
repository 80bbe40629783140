package expr

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// The evaluator before the programs of eval.go, one instruction per node
// and one run per shift: the reference TestEvalBits compares with.

// refRegisters allocates the registers of the reference's programs.
func (o *Objective) refRegisters() []float64 {
	regs := max(len(o.preGroup.prog), len(o.outProg))
	for _, g := range o.groups {
		regs = max(regs, len(g.prog))
	}
	return make([]float64, regs*blk)
}

// refRunBlock evaluates g's program at ip0..ip0+m-1 (m <= blk) into r (one
// blk-long register per instruction), reading x clamped to its length (the
// whole point, n values: an output whose aggregate is not valid at some ip
// is computed on clamped reads there and then dropped); n is the
// dimension opN reads.
func (g *group) refRunBlock(r []float64, x []float64, ip0, m, n int) {
	last := len(x) - 1
	for j, in := range g.prog {
		d := r[j*blk : j*blk+m]
		var a, b []float64
		if in.a >= 0 {
			a = r[in.a*blk : in.a*blk+m]
		}
		if in.b >= 0 {
			b = r[in.b*blk : in.b*blk+m]
		}
		switch in.op {
		case opConst:
			for e := range d {
				d[e] = in.c
			}
		case opI:
			for e := range d {
				d[e] = float64(ip0 + e)
			}
		case opN:
			for e := range d {
				d[e] = float64(n)
			}
		case opX:
			if lo := ip0 + in.k; lo >= 0 && lo+m-1 <= last {
				copy(d, x[lo:lo+m])
				break
			}
			for e := range d {
				d[e] = x[min(max(ip0+e+in.k, 0), last)]
			}
		case opAdd:
			for e := range d {
				d[e] = a[e] + b[e]
			}
		case opSub:
			for e := range d {
				d[e] = a[e] - b[e]
			}
		case opMul:
			for e := range d {
				d[e] = a[e] * b[e]
			}
		case opDiv:
			for e := range d {
				d[e] = a[e] / b[e]
			}
		case opNeg:
			for e := range d {
				d[e] = -a[e]
			}
		case opPowi:
			if k := int(in.c); k == 2 {
				for e := range d {
					d[e] = a[e] * a[e]
				}
			} else {
				for e := range d {
					d[e] = powi(a[e], k)
				}
			}
		case opPow:
			for e := range d {
				d[e] = kern.Pow(a[e], b[e])
			}
		case opLE:
			for e := range d {
				d[e] = b2f(a[e] <= b[e])
			}
		case opSel:
			c := r[in.s*blk : in.s*blk+m]
			for e := range d {
				if c[e] != 0 {
					d[e] = a[e]
				} else {
					d[e] = b[e]
				}
			}
		default:
			f := refFuncOf(in.op)
			for e := range d {
				d[e] = f(a[e])
			}
		}
	}
}

// refFuncOf is a one-argument op as a function, chosen once per instruction.
func refFuncOf(o op) func(float64) float64 {
	switch o {
	case opSin:
		return math.Sin
	case opCos:
		return math.Cos
	case opExp:
		return kern.Exp
	case opLog:
		return math.Log
	case opSqrt:
		return math.Sqrt
	case opAbs:
		return math.Abs
	}
	return func(v float64) float64 { return eval1(o, v) }
}

// refPrepare computes a pre-pass objective's glob at x (len n) into glob
// (len 3): f, then each aggregate's factor (see Objective.Pre). The sums
// are pairwise over leaves of 256, the products likewise.
func (o *Objective) refPrepare(glob, x []float64, n int) {
	r := o.refRegisters()
	g := &o.preGroup
	var sums [2]kern.Pairwise
	var prods [2]kern.PairwiseProd
	var leaf [blk]float64
	for b0 := 0; b0 < n; b0 += blk {
		m := min(blk, n-b0)
		g.refRunBlock(r, x, b0, m, n)
		for a, ag := range o.aggs {
			v := r[g.slot[a]*blk:]
			e0, e1 := o.validIn(a, b0, m, n)
			t := leaf[:e1-e0]
			copy(t, v[e0:e1])
			if ag.prod {
				prods[a].Push(kern.LeafProd(leaf[:max(len(t), 0)]))
			} else {
				sums[a].Push(kern.LeafSum(t))
			}
		}
	}
	var A [2]float64
	for a, ag := range o.aggs {
		switch {
		case ag.prod:
			A[a] = prods[a].Prod()
		case ag.mean:
			A[a] = sums[a].Sum() / float64(n-ag.lo()-ag.hi())
		default:
			A[a] = sums[a].Sum()
		}
	}
	// The outer expression once, its leaves opX(aggBase+a) reading A[a].
	out := group{prog: o.outProg}
	out.refRunBlock(r, A[:len(o.aggs)], -aggBase, 1, n)
	glob[0] = r[o.outSlots[0]*blk]
	for a, ag := range o.aggs {
		d := r[o.outSlots[1+a]*blk]
		switch {
		case ag.prod:
			d *= A[a]
		case ag.mean:
			d /= float64(n - ag.lo() - ag.hi())
		}
		glob[1+a] = d
	}
}

// refTerms writes the terms owned by lo..hi-1 into t (the CPU's loss
// terms), for dimension n; x is the whole point (len n). A pre-pass
// objective's f is glob[0], owned by index 0 (Prepare first).
func (o *Objective) refTerms(t, x []float64, lo, hi, n int, glob []float64) int {
	if o.Pre {
		clear(t[:hi-lo])
		if lo == 0 && hi > 0 {
			t[0] = glob[0]
		}
		return hi - lo
	}
	r := o.refRegisters()
	g := &o.groups[o.zero()]
	for b0 := lo; b0 < hi; b0 += blk {
		m := min(blk, hi-b0)
		g.refRunBlock(r, x, b0, m, n)
		tb := t[b0-lo : b0-lo+m]
		clear(tb)
		for j, out := range g.outs {
			if out.grad {
				continue
			}
			v := r[g.slot[j]*blk:]
			e0, e1 := o.validIn(out.agg, b0, m, n)
			for e := e0; e < e1; e++ {
				tb[e] += v[e]
			}
		}
	}
	return hi - lo
}

// refGrad writes ∂f/∂x_j for j in lo..hi-1 into gr, for dimension n (a
// pre-pass objective's glob from Prepare).
func (o *Objective) refGrad(gr, x []float64, lo, hi, n int, glob []float64) {
	r := o.refRegisters()
	clear(gr[:hi-lo])
	for gi := range o.groups {
		g := &o.groups[gi]
		if !o.hasGrad(g) {
			continue
		}
		for b0 := lo; b0 < hi; b0 += blk {
			m := min(blk, hi-b0)
			ip0 := b0 - g.shift
			g.refRunBlock(r, x, ip0, m, n)
			gb := gr[b0-lo : b0-lo+m]
			for j, out := range g.outs {
				if !out.grad {
					continue
				}
				v := r[g.slot[j]*blk:]
				e0, e1 := o.validIn(out.agg, ip0, m, n)
				if out.glob >= 0 {
					c := glob[out.glob]
					for e := e0; e < e1; e++ {
						gb[e] += float64(c * v[e]) // rounded: no FMA
					}
					continue
				}
				for e := e0; e < e1; e++ {
					gb[e] += v[e]
				}
			}
		}
	}
}
