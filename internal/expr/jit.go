package expr

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// The JIT: a program compiled to one loop of x86-64 AVX code over the
// block, four indices a turn, every value in a register. The interpreter
// (program.run and accumulate) makes a pass over the block per
// instruction, loading its operands and storing its result each time;
// the loop reads x and the destinations once and keeps the rest in
// registers, as a hand-written kernel does.
//
// It computes what the interpreter's AVX kernels compute: the same
// operations, on the same operands, in the same order (first source
// first, which decides a NaN's payload where both are NaN), so the
// results are the interpreter's bits, NaN payloads included
// (TestJITBits). Where the interpreter evaluates a node once over the
// union of its shifts' index ranges, the loop evaluates it at each shift
// it is read at (the same operations on the same values), and the
// outputs add into the destinations in the program's order, which is
// accumulate's order for each element.
//
// It runs a program on a block only where accumulate would take every
// output whole from the AVX kernels: every output valid over the whole
// block, no clamped read of x, a multiple of 4 outputs, and no glob
// factor (jitEligible); elsewhere, and for a program with an op it does
// not compile (sin, cos, exp, log, pow, the other functions: calls into
// Go), the interpreter runs. The code lives in executable memory mapped
// per Objective (jit_exec_*.go), on linux/amd64 with AVX only.

// jitArgs is the compiled loop's argument block; the loop reads it
// through RDI at the offsets below (TestJITArgs checks them).
type jitArgs struct {
	x     *float64 // &x[b0]: x[b0+e+d] is at x + 8(e+d)
	gOut  *float64 // the gradient's block
	gIn   *float64 // what its first output adds to: gOut, or jitZeros
	tOut  *float64 // the terms' block (always fresh: the loop adds to 0)
	cst   *float64 // the Objective's constant table
	spill *float64 // the scratch's spill slots
	end   int      // 8m, the loop's end in bytes
	nv    [4]float64
	iv    [4]float64 // b0, b0+1, b0+2, b0+3
}

const (
	argX, argGOut, argGIn, argTOut, argCst, argSpill, argEnd = 0, 8, 16, 24, 32, 40, 48
	argNV, argIV                                             = 56, 88
)

// jitZeros is what a fresh destination reads as: accumulate's first
// output adds to 0 (0 + v, the bits of adding v to a cleared block).
var jitZeros [blk]float64

// jitOn lets tests run the interpreter where the JIT would.
var jitOn = true

// jitProg is a program's compiled loop.
type jitProg struct {
	off        int // its code's offset in the Objective's executable memory
	minD, maxD int // the x offsets it reads, relative to the output's index
	spill      int // the spill slots it needs, 4 floats each
	terms      bool
	grad       bool
	nv, iv     bool // whether it reads n, i
	// The blocks it runs: b0 >= lo and b0+m-1 <= n-1-cut, where every
	// output it computes is valid on the whole block and the constant
	// part (owned by index 0, left to the interpreter) has none.
	lo, cut int
}

// jitVal is a value of the loop body: a computed one (an op's result)
// or one that is in memory already (x at an offset, a constant, n, a
// destination's old value), which is loaded where an op needs it in a
// register, read in place as an op's second source, and never spilled.
type jitVal struct {
	mem  bool
	at   operand
	uses []int // the ops that read it, in order
}

// jitOp kinds.
const (
	jBin   = iota // d = a op b (VEX 3-operand op opc)
	jSqrt         // d = sqrt(a)
	jCmp          // d = a cmp(pred) b
	jBlend        // d = mask(c) ? b : a
	jIdx          // d = the index vector + b (the shift's -s), or the vector itself
	jStore        // store a at st
)

type jitOp struct {
	kind    int
	opc     byte
	a, b, c int // values, -1 if none
	d       int // the result's value, -1 for a store
	st      operand
}

// jitBuilder lowers a program to the loop body's ops, sharing values:
// an instruction at one shift once, x at one offset once, a constant once.
type jitBuilder struct {
	p      *program
	cst    *jitConsts
	vals   []jitVal
	ops    []jitOp
	memo   map[[2]int]int
	xmemo  map[int]int
	cmemo  map[uint64]int
	n      int // the value of n, -1 until read
	usesI  bool
	minD   int
	maxD   int
	failed bool
	why    string // what kept the program from compiling: the function it calls
}

// jitConsts is the Objective's table of constants, each 4 times (a
// vector), shared by its programs: an op reads one as memory.
type jitConsts struct {
	vals []float64
	at   map[uint64]int32
}

// offset returns the byte offset of constant bits in the table.
func (t *jitConsts) offset(bits uint64) int32 {
	if o, ok := t.at[bits]; ok {
		return o
	}
	o := int32(8 * len(t.vals))
	v := math.Float64frombits(bits)
	t.vals = append(t.vals, v, v, v, v)
	t.at[bits] = o
	return o
}

const (
	signBits = 0x8000000000000000
	absBits  = 0x7fffffffffffffff
)

func (b *jitBuilder) val(v jitVal) int {
	b.vals = append(b.vals, v)
	return len(b.vals) - 1
}

func (b *jitBuilder) op(o jitOp) int {
	o.d = b.val(jitVal{})
	b.ops = append(b.ops, o)
	return o.d
}

// konst is the constant with bits u.
func (b *jitBuilder) konst(u uint64) int {
	if v, ok := b.cmemo[u]; ok {
		return v
	}
	v := b.val(jitVal{mem: true, at: at(r10, b.cst.offset(u))})
	b.cmemo[u] = v
	return v
}

func (b *jitBuilder) c(f float64) int { return b.konst(math.Float64bits(f)) }

func (b *jitBuilder) bin(opc byte, x, y int) int {
	return b.op(jitOp{kind: jBin, opc: opc, a: x, b: y, c: -1})
}

// xAt is x at offset d from the output's index.
func (b *jitBuilder) xAt(d int) int {
	if v, ok := b.xmemo[d]; ok {
		return v
	}
	if d*8 > math.MaxInt32/2 || d*8 < math.MinInt32/2 {
		b.failed = true
	}
	b.minD, b.maxD = min(b.minD, d), max(b.maxD, d)
	v := b.val(jitVal{mem: true, at: atTile(rSI, int32(8*d))})
	b.xmemo[d] = v
	return v
}

// eval lowers instruction j at the output shift s: its value at index
// ip = j' - s for the loop's output index j'.
func (b *jitBuilder) eval(j int32, s int) int {
	key := [2]int{int(j), s}
	if v, ok := b.memo[key]; ok {
		return v
	}
	in := &b.p.code[j]
	arg := func(k int32) int {
		if k < 0 {
			return -1
		}
		return b.eval(k, s)
	}
	A, B, S := arg(in.a), arg(in.b), arg(in.s)
	var r int
	switch in.op {
	case vConst:
		r = b.c(in.c)
	case vN:
		if b.n < 0 {
			b.n = b.val(jitVal{mem: true, at: at(rDI, argNV)})
		}
		r = b.n
	case vI:
		b.usesI = true
		o := jitOp{kind: jIdx, a: -1, b: -1, c: -1}
		if s != 0 {
			o.b = b.c(float64(-s))
		}
		r = b.op(o)
	case vX:
		r = b.xAt(in.k - s)
	// c op a and a op c are the same bits for + and * (c is never NaN
	// in an immediate), so the constant is always the second source,
	// read from the table; c - a and c / a name it first, in a register.
	case vAddCR, vAddRC:
		r = b.bin(opAddpd, A, b.c(in.c))
	case vMulCR, vMulRC:
		r = b.bin(opMulpd, A, b.c(in.c))
	case vSubCR:
		r = b.bin(opSubpd, b.c(in.c), A)
	case vSubRC:
		r = b.bin(opSubpd, A, b.c(in.c))
	case vDivCR:
		r = b.bin(opDivpd, b.c(in.c), A)
	case vDivRC:
		r = b.bin(opDivpd, A, b.c(in.c))
	case vNeg:
		r = b.bin(opXorpd, A, b.konst(signBits))
	case vSq:
		r = b.bin(opMulpd, A, A)
	case vSqrt:
		r = b.op(jitOp{kind: jSqrt, a: A, b: -1, c: -1})
	case vAbs:
		r = b.bin(opAndpd, A, b.konst(absBits))
	case vLE: // b2f(a <= b): all ones where true, and 1.0's bits with it
		m := b.op(jitOp{kind: jCmp, opc: cmpLE, a: A, b: B, c: -1})
		r = b.bin(opAndpd, m, b.c(1))
	case vSel: // s != 0 (NaN included) ? a : b
		m := b.op(jitOp{kind: jCmp, opc: cmpNEQ, a: S, b: b.c(0), c: -1})
		r = b.op(jitOp{kind: jBlend, a: B, b: A, c: m})
	case vPowi:
		r = b.powi(A, in.k)
	case vFunc:
		if in.fn != opSign {
			b.fail(in)
			return b.c(0)
		}
		// eval1's sign: 1 where a > 0, -1 where a < 0, +0 elsewhere (0,
		// -0, NaN), from the two compares' exclusive masks.
		zero := b.c(0)
		gt := b.op(jitOp{kind: jCmp, opc: cmpLT, a: zero, b: A, c: -1})
		lt := b.op(jitOp{kind: jCmp, opc: cmpLT, a: A, b: zero, c: -1})
		r = b.bin(opOrpd, b.bin(opAndpd, gt, b.c(1)), b.bin(opAndpd, lt, b.c(-1)))
	default:
		rr, form := rrForm(in.op)
		opc, ok := map[vop]byte{vAdd: opAddpd, vSub: opSubpd, vMul: opMulpd, vDiv: opDivpd}[rr]
		if !ok {
			b.fail(in)
			return b.c(0)
		}
		// inline's forms compute one operand in the loop, as the
		// instruction folded into the op did (c*v as v*c: c is never NaN).
		f := func(v int) int {
			switch form {
			case fQA, fQB:
				return b.bin(opMulpd, v, v)
			case fKA, fKB:
				return b.bin(opMulpd, v, b.c(in.c))
			case fPA, fPB:
				return b.bin(opMulpd, b.bin(opMulpd, v, v), b.c(in.c))
			default: // fNA, fNB
				return b.bin(opXorpd, b.bin(opMulpd, v, b.c(in.c)), b.konst(signBits))
			}
		}
		switch form {
		case fQA, fKA, fPA, fNA:
			A = f(A)
		case fQB, fKB, fPB, fNB:
			B = f(B)
		}
		r = b.bin(opc, A, B)
	}
	if in.scaled { // fuse's factor, v*c for c*v
		r = b.bin(opMulpd, r, b.c(in.post))
	}
	if in.negated {
		r = b.bin(opXorpd, r, b.konst(signBits))
	}
	b.memo[key] = r
	return r
}

// fail marks the program as not compiled: in calls into Go (sin, exp,
// a real power, ...), which the interpreter runs.
func (b *jitBuilder) fail(in *vinstr) {
	b.failed = true
	if b.why != "" {
		return
	}
	switch in.op {
	case vSin:
		b.why = "sin"
	case vCos:
		b.why = "cos"
	case vExp:
		b.why = "exp"
	case vLog:
		b.why = "log"
	case vPow:
		b.why = "a power that is not a whole number"
	default:
		for name, o := range funcs {
			if o == in.fn {
				b.why = name
			}
		}
	}
}

// powi is powi's products on value a: its repeated squaring, and 1/r for
// a negative k.
func (b *jitBuilder) powi(a, k int) int {
	neg := k < 0
	if neg {
		k = -k
	}
	r := -1
	for ; k > 0; k >>= 1 {
		if k&1 == 1 {
			if r < 0 {
				r = a
			} else {
				r = b.bin(opMulpd, r, a)
			}
		}
		if k > 1 {
			a = b.bin(opMulpd, a, a)
		}
	}
	if r < 0 {
		r = b.c(1)
	}
	if neg {
		r = b.bin(opDivpd, b.c(1), r)
	}
	return r
}

// jitEligible reports whether p's outputs can all go through the loop:
// none has a glob factor, and one at least is an aggregate's (the
// constant part's is left to the interpreter, in the block at 0).
func jitEligible(p *program) bool {
	agg := false
	for _, out := range p.outs {
		if out.glob >= 0 {
			return false
		}
		agg = agg || out.agg >= 0
	}
	return agg
}

// compileJIT lowers p, which jitEligible takes, to its loop's code,
// appended to code, with its constants in cst; ok is false where p has
// an op the loop does not compute, and why names it.
func compileJIT(p *program, cst *jitConsts, code *x86) (jp jitProg, why string, ok bool) {
	b := &jitBuilder{p: p, cst: cst, memo: map[[2]int]int{}, xmemo: map[int]int{}, cmemo: map[uint64]int{}, n: -1}
	b.minD, b.maxD = math.MaxInt, math.MinInt
	acc := [2]int{-1, -1} // terms, gradient
	outs := [2]operand{atTile(r9, 0), atTile(rDX, 0)}
	lo, cut := 0, math.MinInt
	for i := range p.outs {
		out := &p.outs[i]
		if out.agg < 0 {
			lo = max(lo, 1) // owned by index 0: the loop runs no block at 0
			continue
		}
		lo, cut = max(lo, out.lo+out.shift), max(cut, out.cut-out.shift)
		v := b.eval(out.val, out.shift)
		k := 0
		if out.grad {
			k = 1
		}
		switch {
		case acc[k] >= 0:
			acc[k] = b.bin(opAddpd, acc[k], v)
		case out.grad: // d + v, d first, as accumulate adds: gIn is
			// the block, or zeros for a fresh one
			acc[k] = b.bin(opAddpd, b.val(jitVal{mem: true, at: atTile(r8, 0)}), v)
		default: // the terms' block is always fresh: 0 + v
			acc[k] = b.bin(opAddpd, b.c(0), v)
		}
	}
	if b.failed {
		return jp, b.why, false
	}
	for k := range acc {
		if acc[k] >= 0 {
			b.ops = append(b.ops, jitOp{kind: jStore, a: acc[k], b: -1, c: -1, d: -1, st: outs[k]})
		}
	}
	if b.minD > b.maxD { // reads no x
		b.minD, b.maxD = 0, 0
	}
	b.balance()
	jp = jitProg{off: len(code.b), minD: b.minD, maxD: b.maxD, terms: acc[0] >= 0, grad: acc[1] >= 0, nv: b.n >= 0, iv: b.usesI}
	jp.lo, jp.cut = max(lo, -b.minD), cut
	jp.spill = b.emitBest(code)
	return jp, "", true
}

// balance moves products by 2 from the multipliers to the adders, v*2
// to v+v, while more products than sums are left: the two are the same
// bits (exact, or the same infinity; a NaN v's payload either way), and
// a CPU has as many add pipes as multiply pipes (two each on Zen 4 and
// on Intel's cores since Skylake), so a loop heavy in products, as
// derivatives are, runs in fewer cycles.
func (b *jitBuilder) balance() {
	muls, adds := 0, 0
	for _, o := range b.ops {
		switch {
		case o.kind == jBin && o.opc == opMulpd:
			muls++
		case o.kind == jBin && (o.opc == opAddpd || o.opc == opSubpd), o.kind == jCmp:
			adds++
		}
	}
	two, ok := b.cmemo[math.Float64bits(2)]
	if !ok {
		return
	}
	for i := range b.ops {
		o := &b.ops[i]
		if muls <= adds+1 {
			return
		}
		if o.kind == jBin && o.opc == opMulpd && o.b == two && o.a != two {
			o.opc, o.b = opAddpd, o.a
			muls, adds = muls-1, adds+1
		}
	}
}

// The registers: the index vector's (when the loop reads i) and the
// rest for values. Y15 is left alone (Go's ABIInternal keeps it zero).
const (
	yIdx    ymm = 14
	nYMM        = 15
	minFree     = 4 // the most registers one op needs: a blend's
	four        = 4.0
	slotB       = 32 // a spill slot's bytes
)

// emitBest writes the loop with as many of the constants as fit kept in
// registers for the whole loop (loaded once, before it) without spilling
// more than with none, the most read first, and returns its spill slots.
func (b *jitBuilder) emitBest(a *x86) int {
	for i, o := range b.ops {
		for _, v := range []int{o.a, o.b, o.c} {
			if v >= 0 && (len(b.vals[v].uses) == 0 || b.vals[v].uses[len(b.vals[v].uses)-1] != i) {
				b.vals[v].uses = append(b.vals[v].uses, i)
			}
		}
	}
	var consts []int
	for _, v := range b.cmemo {
		if len(b.vals[v].uses) > 0 {
			consts = append(consts, v)
		}
	}
	slices.SortFunc(consts, func(p, q int) int {
		if d := len(b.vals[q].uses) - len(b.vals[p].uses); d != 0 {
			return d
		}
		return p - q // the map's order is random; the code is not
	})
	// The values need minFree registers at least: a blend pins three
	// and writes a fourth.
	k := nYMM - minFree
	if b.usesI {
		k--
	}
	k = min(k, len(consts))
	least := b.emit(&x86{}, nil)
	for ; k > 0; k-- {
		var t x86
		if b.emit(&t, consts[:k]) <= least {
			break
		}
	}
	return b.emit(a, consts[:k])
}

// emit writes the loop: the argument block into registers, the hoisted
// constants into the top registers, then the body once per tile of 4
// with the values in registers (spilled to the scratch's slots, farthest
// next use first, when more than the registers are live), and returns
// the spill slots it used.
func (b *jitBuilder) emit(a *x86, hoist []int) int {
	for _, r := range []struct {
		g   gpr
		off int8
	}{{rSI, argX}, {rDX, argGOut}, {r8, argGIn}, {r9, argTOut}, {r10, argCst}, {rBX, argSpill}, {rAX, argEnd}} {
		a.movq(r.g, rDI, r.off)
	}
	nreg := nYMM
	var fourAt int32
	if b.usesI {
		nreg = int(yIdx)
		a.load(yIdx, at(rDI, argIV))
		fourAt = b.cst.offset(math.Float64bits(four))
	}
	regOf := make([]int, len(b.vals)) // -1: not in a register
	slot := make([]int, len(b.vals))  // -1: not spilled
	for i := range regOf {
		regOf[i], slot[i] = -1, -1
	}
	for _, v := range hoist {
		nreg--
		a.load(ymm(nreg), b.vals[v].at)
		regOf[v] = nreg
	}
	a.zeroRCX()
	top := len(a.b)

	holder := make([]int, nreg) // the value in each register, -1 if free
	for i := range holder {
		holder[i] = -1
	}
	slots := 0
	nextUse := func(v, pos int) int {
		for _, u := range b.vals[v].uses {
			if u >= pos {
				return u
			}
		}
		return math.MaxInt
	}
	// alloc returns a free register, evicting the value whose next use is
	// farthest (spilling it unless it is in memory already or spilled).
	alloc := func(pos int, pinned []int) ymm {
		best, bestUse := -1, -1
		for r, v := range holder {
			if v < 0 {
				return ymm(r)
			}
			if slices.Contains(pinned, r) {
				continue
			}
			if u := nextUse(v, pos); u > bestUse {
				best, bestUse = r, u
			}
		}
		v := holder[best]
		if !b.vals[v].mem && slot[v] < 0 {
			slot[v] = slots
			slots++
			a.store(at(rBX, int32(slotB*slot[v])), ymm(best))
		}
		regOf[v], holder[best] = -1, -1
		return ymm(best)
	}
	home := func(v int) operand {
		if b.vals[v].mem {
			return b.vals[v].at
		}
		return at(rBX, int32(slotB*slot[v]))
	}
	// inReg puts v in a register, loading it from its home.
	inReg := func(v, pos int, pinned []int) ymm {
		if r := regOf[v]; r >= 0 {
			return ymm(r)
		}
		r := alloc(pos, pinned)
		a.load(r, home(v))
		regOf[v], holder[r] = int(r), v
		return r
	}
	// src is v as a second source: its register, else its home.
	src := func(v int) operand {
		if r := regOf[v]; r >= 0 {
			return reg(ymm(r))
		}
		return home(v)
	}
	for pos, o := range b.ops {
		var pinned []int
		pin := func(v int) ymm {
			r := inReg(v, pos, pinned)
			pinned = append(pinned, int(r))
			return r
		}
		var s1, mask ymm
		var s2 operand
		switch o.kind {
		case jBin, jCmp:
			s1 = pin(o.a)
			if r := regOf[o.b]; r >= 0 {
				pinned = append(pinned, r)
			}
			s2 = src(o.b)
		case jSqrt:
			s2 = src(o.a)
			if r := regOf[o.a]; r >= 0 {
				pinned = append(pinned, r)
			}
		case jBlend:
			s1, mask = pin(o.a), pin(o.c)
			if r := regOf[o.b]; r >= 0 {
				pinned = append(pinned, r)
			}
			s2 = src(o.b)
		case jIdx:
			if o.b >= 0 {
				s2 = src(o.b)
			}
		case jStore:
			a.store(o.st, pin(o.a))
		}
		// Operands read here for the last time free their registers, which
		// the result may take (each lane is read before it is written).
		for _, v := range []int{o.a, o.b, o.c} {
			if v >= 0 && nextUse(v, pos+1) == math.MaxInt && regOf[v] >= 0 && regOf[v] < nreg {
				holder[regOf[v]], regOf[v] = -1, -1
			}
		}
		if o.d < 0 {
			continue
		}
		d := alloc(pos, pinned)
		switch o.kind {
		case jBin:
			a.vop3(o.opc, d, s1, s2)
		case jCmp:
			a.cmp(d, s1, s2, o.opc)
		case jSqrt:
			a.sqrt(d, s2)
		case jBlend:
			a.blendv(d, s1, s2, mask)
		case jIdx:
			if o.b >= 0 {
				a.vop3(opAddpd, d, yIdx, s2)
			} else {
				a.movapd(d, yIdx)
			}
		}
		regOf[o.d], holder[d] = int(d), o.d
		if len(b.vals[o.d].uses) == 0 { // never read (cannot happen)
			holder[d], regOf[o.d] = -1, -1
		}
	}
	if b.usesI {
		a.vop3(opAddpd, yIdx, yIdx, at(r10, fourAt))
	}
	a.addRCX(4 * 8)
	a.cmpRCXRAX()
	a.jbBack(top)
	a.vzeroupper()
	a.ret()
	return slots
}

// compileJIT compiles the programs of terms and gradient that the loop
// computes into one executable mapping, released when o is. Where the
// system refuses the mapping, no program has a loop.
func (o *Objective) compileJIT() {
	if !jitExec || o.Pre {
		return
	}
	cst := &jitConsts{at: map[uint64]int32{}}
	var code x86
	var got []*program
	for _, p := range o.programs() {
		if !jitEligible(p) {
			continue
		}
		o.jitOf++
		jp, why, ok := compileJIT(p, cst, &code)
		if ok {
			p.jit = &jp
			got = append(got, p)
		} else if !slices.Contains(o.jitWhy, why) {
			o.jitWhy = append(o.jitWhy, why)
		}
	}
	if len(got) == 0 {
		return
	}
	cst.offset(0) // never empty: jitRun takes its first element's address
	mem, err := mapExec(code.b)
	if err != nil {
		for _, p := range got {
			p.jit = nil
		}
		o.jitErr = err
		return
	}
	o.jitN = len(got)
	o.jitMem, o.jitCst = mem, cst.vals
	runtime.AddCleanup(o, func(mem []byte) {
		unmapCode(mem)
		jitUnmapped.Add(1)
	}, mem)
}

// CPUCode says in a line how the CPU evaluates o's terms and gradient:
// in compiled loops, or in the interpreter, and why.
func (o *Objective) CPUCode() string {
	switch {
	case o.Pre:
		return "cpu: interpreted (a pre-pass objective)"
	case !jitExec:
		return "cpu: interpreted (compiled code needs linux/amd64 with AVX)"
	case o.jitErr != nil:
		return fmt.Sprintf("cpu: interpreted (executable memory refused: %v)", o.jitErr)
	case o.jitN == 0:
		return "cpu: interpreted (it calls " + strings.Join(o.jitWhy, ", ") + ")"
	case o.jitN < o.jitOf:
		return fmt.Sprintf("cpu: %d of %d programs compiled to x86-64 AVX code; the others call %s (interpreted)", o.jitN, o.jitOf, strings.Join(o.jitWhy, ", "))
	}
	return fmt.Sprintf("cpu: compiled to x86-64 AVX code (%d programs)", o.jitN)
}

// mapExec is mapCode; tests make it fail. jitUnmapped counts the
// mappings released, for tests.
var (
	mapExec     = mapCode
	jitUnmapped atomic.Int64
)

// jitRun runs p's loop for the m outputs at b0, into tb (the terms, nil
// when not asked for) and gb (the gradient), as runAt and accumulate
// would, and reports whether it did: only where every output is valid on
// the whole block, x is read unclamped, and m is a multiple of 4 (see
// jit.go's head). *gFresh is accumulate's fresh for gb; s is fetched
// from the pool where the loop spills and *s is nil.
func (o *Objective) jitRun(p *program, s **scratch, x, tb, gb []float64, b0, m, n int, gFresh *bool) bool {
	jp := p.jit
	if jp == nil || !jitOn || !kern.UseAVX || m%4 != 0 || m == 0 || b0 < jp.lo || b0+m-1 > n-1-jp.cut || b0+m-1+jp.maxD >= len(x) {
		return false
	}
	if jp.terms && tb == nil || jp.grad && gb == nil {
		return false
	}
	args := jitArgs{x: &x[b0], cst: &o.jitCst[0], end: 8 * m}
	if jp.nv {
		fn := float64(n)
		args.nv = [4]float64{fn, fn, fn, fn}
	}
	if jp.iv {
		fb := float64(b0)
		args.iv = [4]float64{fb, fb + 1, fb + 2, fb + 3}
	}
	if jp.spill > 0 {
		o.scratch(s)
		args.spill = &(*s).spill[0]
	}
	if jp.grad {
		args.gOut, args.gIn = &gb[0], &gb[0]
		if *gFresh {
			args.gIn, *gFresh = &jitZeros[0], false
		}
	}
	if jp.terms {
		args.tOut = &tb[0]
	} else if tb != nil {
		clear(tb) // accumulate's fresh terms, never added to
	}
	jitCall(uintptr(unsafe.Pointer(&o.jitMem[jp.off])), &args)
	runtime.KeepAlive(o) // its cleanup unmaps the code
	return true
}
