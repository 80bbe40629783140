package expr

import (
	"math"
	"slices"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// The CPU evaluator. A program is the nodes that some outputs need, in
// the builder's order, each one instruction that runs over a block of
// indices at once (a Go loop over up to blk+span values), so the cost of
// choosing an instruction is shared by the block. Against a plain
// instruction per node (what the GLSL emits, and what this evaluator did
// first) it saves memory passes, which bound it:
//
//   - one program per cluster of shifts, not per shift: the partials that
//     gradient component j takes at i = j-s for every s of the cluster are
//     evaluated once over the union of the index ranges, a block of
//     m + span indices, and the loss terms in the same run (TermsGrad);
//   - a constant operand of + - * / is an immediate, not a register
//     filled every block;
//   - x[i+k] is a view of x itself, copied only where a read is clamped;
//   - registers are reused once their value is dead, so a block's working
//     set stays in L1;
//   - with AVX (eval_amd64.s), the arithmetic runs 4 lanes at a time, a
//     multiplication by a constant or a negation is fused into the
//     instruction it follows (fuse), a squaring or a product by a
//     constant into the + - * / that reads it (inline), and an output's
//     instruction adds its result to the destination as it computes it
//     (deferOutputs);
//   - sin and cos run 4 lanes at a time too (trig_amd64.s), math/sin.go's
//     arithmetic without its branches.
//
// Every output is the same operations on the same operands, in the same
// order, as the node-per-instruction evaluator computes (TestEvalBits
// keeps that one as the reference), so the results are the same bits,
// but for which payload a NaN keeps where both operands of a + or * are
// NaN: gc picks the operand order of a commutative op by register
// allocation, so the same source loop differs between functions, and
// the earlier evaluator's NaN payloads were no more defined.

// vop is an evaluator instruction: a DAG op specialised by where its
// operands are (R a register, C an immediate constant).
type vop uint8

const (
	vConst vop = iota // d = c
	vI                // d = ip, the index
	vN                // d = n
	vX                // d = x[ip+k], a view of x unless clamped
	vAdd              // a + b
	vAddCR            // c + a (a CR op's register operand is in a)
	vAddRC            // a + c
	vSub
	vSubCR
	vSubRC
	vMul
	vMulCR
	vMulRC
	vDiv
	vDivCR
	vDivRC
	vNeg
	vSq // a*a, powi(a, 2)
	// inline's forms of vAdd, vSub, vMul and vDiv: QA squares a (a*a op
	// b), QB squares b (a op b*b), KA multiplies a by c (c*a op b), KB b
	// (a op c*b), PA and PB square the operand and multiply it by c
	// ((a*a)*c), NA and NB multiply it by c and negate it (-(c*a)).
	vAddQA
	vAddQB
	vAddKA
	vAddKB
	vAddPA
	vAddPB
	vAddNA
	vAddNB
	vSubQA
	vSubQB
	vSubKA
	vSubKB
	vSubPA
	vSubPB
	vSubNA
	vSubNB
	vMulQA
	vMulQB
	vMulKA
	vMulKB
	vMulPA
	vMulPB
	vMulNA
	vMulNB
	vDivQA
	vDivQB
	vDivKA
	vDivKB
	vDivPA
	vDivPB
	vDivNA
	vDivNB
	vPowi // powi(a, k)
	vPow
	vLE
	vSel
	vSin
	vCos
	vExp
	vLog
	vSqrt
	vAbs
	vFunc // eval1(fn, a)
)

// vLastAVX is the last op that blockAVX computes (vAdd to vLastAVX).
const vLastAVX = vDivNB

// avx reports whether blockAVX has a kernel for op.
func avx(op vop) bool { return op >= vAdd && op <= vLastAVX }

// rrForm splits an op of inline's forms into the register-register op
// it computes (vAdd, vSub, vMul or vDiv) and its form (fQA to fNB); any
// other op is itself in form fRR.
func rrForm(op vop) (vop, int) {
	if op < vAddQA || op > vLastAVX {
		return op, fRR
	}
	k := int(op - vAddQA)
	return [4]vop{vAdd, vSub, vMul, vDiv}[k/nForms], fQA + k%nForms
}

// The forms of a register-register op: plain, or with an operand
// squared or multiplied by c in the loop (inline).
const (
	fRR = iota - 1
	fQA
	fQB
	fKA
	fKB
	fPA
	fPB
	fNA
	fNB
	nForms = iota - 1
)

// The codes blockAVX adds to an op: the result multiplied by post
// (fuse's factor) or negated, then stored as 0 + the result or added to
// the destination (a deferred output's kernel). internal/genasm's
// variants table has the same numbers.
const (
	kScaled    = 64
	kNegated   = 128
	kStoreZero = 256
	kStoreAdd  = 512
)

// vinstr is one instruction: its value goes to register d and is read
// through views[its index]; a, b and s are the indices of the
// instructions whose values it reads.
type vinstr struct {
	op      vop
	fn      op // vFunc's function
	c       float64
	k       int // vX's offset, vPowi's exponent
	d       int32
	a, b, s int32
	scaled  bool    // the result is multiplied by post (fuse)
	post    float64 // never NaN
	negated bool    // the result is negated (fuse)
	// deferred: the value is only an output's, which accumulate adds to
	// its destination as the AVX kernel computes it (deferOutputs); out
	// is that output's index in the program's outputs.
	deferred bool
	out      int32
}

// kop is the instruction's code for blockAVX: its op, plus kScaled
// when scaled, plus kNegated when negated.
func (in *vinstr) kop() int {
	k := int(in.op)
	if in.scaled {
		k += kScaled
	}
	if in.negated {
		k += kNegated
	}
	return k
}

// pout is an output of a program: the value of instruction val, for the
// gradient component at j = ip + shift (grad) or the term at ip.
type pout struct {
	val     int32
	shift   int
	lo, cut int // the valid indices, lo..n-1-cut (Objective.validIn's)
	output
}

// validIn is Objective.validIn for the output's aggregate, its bounds
// taken once by compileProg rather than from the aggregate per block.
func (p *pout) validIn(ip0, m, n int) (e0, e1 int) {
	hi := n - 1 - p.cut
	if p.agg < 0 { // the constant part: owned by index 0
		hi = 0
	}
	e0, e1 = max(0, p.lo-ip0), min(m, hi-ip0+1)
	if e1 < e0 {
		e1 = e0
	}
	return e0, e1
}

// program is a compiled evaluator program.
type program struct {
	code       []vinstr
	outs       []pout
	nreg       int
	smin, smax int      // the shifts of the outputs (0, 0 for terms)
	jit        *jitProg // its compiled loop (jit.go), nil if none
}

// cluster is a set of shifts evaluated by one program, within maxSpan.
type cluster struct {
	grad program // the partials
	all  program // the partials and the terms (the cluster of shift 0, not Pre)
}

// maxSpan bounds a cluster's shifts (smax - smin): a block evaluates
// m + span indices for m outputs, so a wider cluster would evaluate
// mostly indices it needs only at one end.
const maxSpan = 128

// scratch is one evaluation's memory: the registers (width values each)
// and the view of each instruction's value.
type scratch struct {
	regs  []float64
	views [][]float64
	spill []float64 // the compiled loops' spill slots
}

// compileProg compiles the outputs outs, with their shifts (one each),
// into a program.
func (o *Objective) compileProg(outs []output, shifts []int, deferOK bool) program {
	prog, slots := o.slice(outs)
	p := program{smin: slices.Min(shifts), smax: slices.Max(shifts)}
	// A constant needs a register where an output or an op other than
	// + - * / reads it, or both operands are constants (c/0 is not
	// folded), or it is NaN: a NaN operand's payload depends on the
	// operand order the compiler picks, so it keeps the reference's.
	isOut := make([]bool, len(prog))
	for _, s := range slots {
		isOut[s] = true
	}
	imm := func(j int) bool { return prog[j].op == opConst && !math.IsNaN(prog[j].c) }
	needReg := make([]bool, len(prog))
	for j, in := range prog {
		needReg[j] = prog[j].op != opConst || isOut[j]
		switch in.op {
		case opAdd, opSub, opMul, opDiv:
			if !(imm(in.a) && !imm(in.b)) {
				needReg[in.a] = true
			}
			if !(imm(in.b) && !imm(in.a)) {
				needReg[in.b] = true
			}
		default:
			for _, a := range []int{in.a, in.b, in.s} {
				if a >= 0 {
					needReg[a] = true
				}
			}
		}
	}
	val := make([]int32, len(prog)) // the instruction of each node, or -1
	for j, in := range prog {
		val[j] = -1
		if !needReg[j] {
			continue
		}
		v := vinstr{c: in.c, k: in.k, a: -1, b: -1, s: -1}
		ref := func(i int) int32 {
			if i < 0 {
				return -1
			}
			return val[i]
		}
		v.a, v.b, v.s = ref(in.a), ref(in.b), ref(in.s)
		binary := func(rr, cr, rc vop) {
			switch {
			case v.a < 0:
				v.op, v.c, v.a = cr, prog[in.a].c, v.b
				v.b = -1
			case v.b < 0:
				v.op, v.c = rc, prog[in.b].c
			default:
				v.op = rr
			}
		}
		switch in.op {
		case opConst:
			v.op = vConst
		case opI:
			v.op = vI
		case opN:
			v.op = vN
		case opX:
			v.op = vX
		case opAdd:
			binary(vAdd, vAddCR, vAddRC)
		case opSub:
			binary(vSub, vSubCR, vSubRC)
		case opMul:
			binary(vMul, vMulCR, vMulRC)
		case opDiv:
			binary(vDiv, vDivCR, vDivRC)
		case opNeg:
			v.op = vNeg
		case opPowi:
			v.op, v.k = vPowi, int(in.c)
			if v.k == 2 {
				v.op = vSq
			}
		case opPow:
			v.op = vPow
		case opLE:
			v.op = vLE
		case opSel:
			v.op = vSel
		case opSin:
			v.op = vSin
		case opCos:
			v.op = vCos
		case opExp:
			v.op = vExp
		case opLog:
			v.op = vLog
		case opSqrt:
			v.op = vSqrt
		case opAbs:
			v.op = vAbs
		default:
			v.op, v.fn = vFunc, in.op
		}
		val[j] = int32(len(p.code))
		p.code = append(p.code, v)
	}
	for i, out := range outs {
		po := pout{val: val[slots[i]], shift: shifts[i], output: out}
		if out.agg >= 0 {
			po.lo, po.cut = o.aggs[out.agg].lo(), o.aggs[out.agg].hi()
		}
		p.outs = append(p.outs, po)
	}
	p.fuse()
	p.inline()
	if deferOK {
		p.deferOutputs()
	}
	p.nreg = p.allocate()
	return p
}

// fuse folds a multiplication by an immediate, c*v, or a negation, -v,
// into the instruction that computes v when that is an AVX kernel's op
// and c*v or -v is v's only use: the kernel multiplies its result by c
// (v*c, the same bits as c*v for c not NaN) or flips its sign before it
// stores it, which saves a pass over the block. Derivatives are full of
// such factors (the 2 of a square's, a term's coefficient, the minus of
// a subtraction's): Rosenbrock's program of terms and gradient goes
// from 17 instructions (2 of them views of x) to 14.
func (p *program) fuse() {
	uses := p.readers(1, 2)            // an output is stored: never fused away
	into := make([]int32, len(p.code)) // the instruction each one's value is now in
	keep := make([]bool, len(p.code))
	for k := range p.code {
		in := &p.code[k]
		into[k], keep[k] = int32(k), true
		if in.op != vMulCR && in.op != vMulRC && in.op != vNeg {
			continue
		}
		j := into[in.a]
		pj := &p.code[j]
		if uses[in.a] == 1 && int(j) == int(in.a) && avx(pj.op) && !pj.scaled && !pj.negated {
			if in.op == vNeg {
				pj.negated = true
			} else {
				pj.scaled, pj.post = true, in.c
			}
			into[k], keep[k] = j, false
		}
	}
	p.compact(keep, into)
}

// inline folds a squaring (vSq) or a multiplication by an immediate
// (vMulCR, vMulRC), with fuse's factor on the square or its negation on
// the product, into the register-register + - * / that is its value's
// only reader, as that op's form QA to NB: its loop computes the operand
// as it reads it, the same operations the folded instruction did (c*v
// and v*c agree bit for bit, c never NaN), so the result keeps its bits
// and the block saves a pass and a register. One operand per op (the
// immediate slot holds one c). In Rosenbrock's program of terms and
// gradient, x[i+1]-x[i]^2, the terms' 100*a^2 + b^2, and the gradient's
// (2a)*(-(2x)) and ... - 2*b take one each: 12 arithmetic instructions
// become 8.
func (p *program) inline() {
	uses := p.readers(1, 2) // an output is stored: never folded away
	keep := make([]bool, len(p.code))
	for k := range p.code {
		keep[k] = true
	}
	for k := range p.code {
		in := &p.code[k]
		if in.op != vAdd && in.op != vSub && in.op != vMul && in.op != vDiv {
			continue
		}
		for side, opnd := range []*int32{&in.a, &in.b} {
			j := *opnd
			pj := &p.code[j]
			if uses[j] != 1 {
				continue
			}
			var form int
			switch {
			case pj.op == vSq && !pj.negated && !pj.scaled:
				form = fQA + side
			case pj.op == vSq && !pj.negated:
				form, in.c = fPA+side, pj.post
			case (pj.op == vMulCR || pj.op == vMulRC) && !pj.scaled && !pj.negated:
				form, in.c = fKA+side, pj.c
			case (pj.op == vMulCR || pj.op == vMulRC) && !pj.scaled:
				form, in.c = fNA+side, pj.c
			default:
				continue
			}
			in.op = vAddQA + vop(nForms*(int(in.op-vAdd)/3)+form)
			*opnd, keep[j] = pj.a, false
			break
		}
	}
	// A folded instruction's only reader now reads its operand: no value
	// moves, so no into.
	p.compact(keep, nil)
}

// readers weighs the reads of each instruction's value: byInstr for each
// instruction operand that reads it, byOut for each output that stores
// it. A pass that folds a value into its only reader asks for a weight of
// exactly 1 from the kind of reader it folds into.
func (p *program) readers(byInstr, byOut int) []int {
	uses := make([]int, len(p.code))
	for _, in := range p.code {
		for _, a := range []int32{in.a, in.b, in.s} {
			if a >= 0 {
				uses[a] += byInstr
			}
		}
	}
	for _, out := range p.outs {
		uses[out.val] += byOut
	}
	return uses
}

// compact keeps the instructions keep marks, in order, and renumbers every
// operand and output: a value folded into another instruction is read
// from into[a] (nil: every kept value stays its own).
func (p *program) compact(keep []bool, into []int32) {
	newIdx := make([]int32, len(p.code))
	var code []vinstr
	for k, in := range p.code {
		if !keep[k] {
			continue
		}
		newIdx[k] = int32(len(code))
		code = append(code, in)
	}
	re := func(a int32) int32 {
		if a < 0 {
			return a
		}
		if into != nil {
			a = into[a]
		}
		return newIdx[a]
	}
	for k := range code {
		in := &code[k]
		in.a, in.b, in.s = re(in.a), re(in.b), re(in.s)
	}
	for i := range p.outs {
		p.outs[i].val = re(p.outs[i].val)
	}
	p.code = code
}

// deferOutputs marks the instructions whose value only one output reads
// (no instruction, no other output, no glob factor) and that an AVX
// kernel computes: accumulate runs them as it adds the output, the
// kernel adding its result to the destination (0 + v into a fresh one,
// d + v else) before it stores it, so the value never goes through a
// register, which saves a pass over the block per output (3 of
// Rosenbrock's 15). run skips them where accumulate will do so (see
// fusedAt); elsewhere they run as any instruction.
func (p *program) deferOutputs() {
	uses := p.readers(2, 1) // an instruction's read: never deferred
	for i, out := range p.outs {
		in := &p.code[out.val]
		if uses[out.val] == 1 && out.glob < 0 && avx(in.op) {
			in.deferred, in.out = true, int32(i)
		}
	}
}

// fusedAt reports whether accumulate computes deferred output out (its
// instruction's) itself for the block of m outputs at b0: with AVX, and
// where its valid range is a whole number of vectors (every block but
// the ends of x).
func fusedAt(out *pout, b0, m, n int) bool {
	e0, e1 := out.validIn(b0-out.shift, m, n)
	return kern.UseAVX && e1 > e0 && (e1-e0)%4 == 0
}

// allocate gives each instruction a register, reusing those of values
// that no later instruction or output reads, and returns how many it
// uses. An instruction may write the register of an operand it reads
// last: each element is read before it is written.
func (p *program) allocate() int {
	last := make([]int, len(p.code))
	for j, in := range p.code {
		for _, a := range []int32{in.a, in.b, in.s} {
			if a >= 0 {
				last[a] = j
			}
		}
	}
	for _, in := range p.code {
		if in.deferred { // read again by accumulate, after the run
			for _, a := range []int32{in.a, in.b} {
				if a >= 0 {
					last[a] = len(p.code)
				}
			}
		}
	}
	for _, out := range p.outs {
		last[out.val] = len(p.code)
	}
	var free []int32
	nreg := 0
	for j := range p.code {
		in := &p.code[j]
		for i, a := range []int32{in.a, in.b, in.s} {
			if a >= 0 && last[a] == j && !slices.Contains([]int32{in.a, in.b, in.s}[:i], a) {
				free = append(free, p.code[a].d)
			}
		}
		if len(free) > 0 {
			in.d, free = free[len(free)-1], free[:len(free)-1]
		} else {
			in.d = int32(nreg)
			nreg++
		}
		if last[j] < j { // never read (cannot happen: every node is needed)
			free = append(free, in.d)
		}
	}
	return nreg
}

// run evaluates p at ip0..ip0+cnt-1 into s (registers of width w),
// reading x clamped to its length (the whole point, n values: a value
// at an index where its aggregate is not valid is computed on clamped
// reads and then dropped); n is the dimension vN reads.
func (p *program) run(s *scratch, w int, x []float64, ip0, cnt, b0, m, n int) {
	last := len(x) - 1
	views := s.views
	for j := range p.code {
		in := &p.code[j]
		if in.deferred && fusedAt(&p.outs[in.out], b0, m, n) {
			continue
		}
		d := s.regs[int(in.d)*w : int(in.d)*w+cnt]
		var a, b []float64
		if in.a >= 0 {
			a = views[in.a][:cnt]
		}
		if in.b >= 0 {
			b = views[in.b][:cnt]
		}
		views[j] = d
		// The AVX kernels take the arithmetic's longest multiple of 4;
		// the loops below finish it, or do it all.
		if avx(in.op) {
			bb := b
			if bb == nil {
				bb = a
			}
			if e0 := blockVec(in, d, a, bb); e0 > 0 {
				if e0 == len(d) {
					continue
				}
				d, a = d[e0:], a[e0:]
				if b != nil {
					b = b[e0:]
				}
			}
		}
		switch in.op {
		case vConst:
			for e := range d {
				d[e] = in.c
			}
		case vI:
			for e := range d {
				d[e] = float64(ip0 + e)
			}
		case vN:
			for e := range d {
				d[e] = float64(n)
			}
		case vX:
			if lo := ip0 + in.k; lo >= 0 && lo+cnt-1 <= last {
				views[j] = x[lo : lo+cnt]
				continue
			}
			for e := range d {
				d[e] = x[min(max(ip0+e+in.k, 0), last)]
			}
		case vAdd:
			addRR(d, a, b)
		case vAddCR:
			c := in.c
			for e, v := range a[:len(d)] {
				d[e] = c + v
			}
		case vAddRC:
			c := in.c
			for e, v := range a[:len(d)] {
				d[e] = v + c
			}
		case vSub:
			subRR(d, a, b)
		case vSubCR:
			c := in.c
			for e, v := range a[:len(d)] {
				d[e] = c - v
			}
		case vSubRC:
			c := in.c
			for e, v := range a[:len(d)] {
				d[e] = v - c
			}
		case vMul:
			mulRR(d, a, b)
		case vMulCR:
			c := in.c
			for e, v := range a[:len(d)] {
				d[e] = c * v
			}
		case vMulRC:
			c := in.c
			for e, v := range a[:len(d)] {
				d[e] = v * c
			}
		case vDiv:
			divRR(d, a, b)
		case vDivCR:
			c := in.c
			for e, v := range a[:len(d)] {
				d[e] = c / v
			}
		case vDivRC:
			c := in.c
			for e, v := range a[:len(d)] {
				d[e] = v / c
			}
		case vNeg:
			for e, v := range a[:len(d)] {
				d[e] = -v
			}
		case vSq:
			for e, v := range a[:len(d)] {
				d[e] = v * v
			}
		case vPowi:
			for e, v := range a[:len(d)] {
				d[e] = powi(v, in.k)
			}
		case vPow:
			b = b[:len(d)]
			for e, v := range a[:len(d)] {
				d[e] = kern.Pow(v, b[e])
			}
		case vLE:
			b = b[:len(d)]
			for e, v := range a[:len(d)] {
				d[e] = b2f(v <= b[e])
			}
		case vSel:
			c := views[in.s][:len(d)]
			b = b[:len(d)]
			a = a[:len(d)]
			for e := range d {
				if c[e] != 0 {
					d[e] = a[e]
				} else {
					d[e] = b[e]
				}
			}
		case vSin, vCos:
			trig(in.op == vCos, d, a)
		case vExp:
			for e, v := range a[:len(d)] {
				d[e] = kern.Exp(v)
			}
		case vLog:
			for e, v := range a[:len(d)] {
				d[e] = math.Log(v)
			}
		case vSqrt:
			for e, v := range a[:len(d)] {
				d[e] = math.Sqrt(v)
			}
		case vAbs:
			for e, v := range a[:len(d)] {
				d[e] = math.Abs(v)
			}
		default:
			if _, form := rrForm(in.op); form != fRR {
				inlined(in.op, in.c, d, a, b)
				break
			}
			for e, v := range a[:len(d)] {
				d[e] = eval1(in.fn, v)
			}
		}
		if in.scaled { // fuse's factor, v*c for c*v
			for e, v := range d {
				d[e] = v * in.post
			}
		}
		if in.negated { // fuse's negation
			for e, v := range d {
				d[e] = -v
			}
		}
	}
}

// trig writes math.Sin(a[e]) (math.Cos with cos) into d[e], with the
// four-lane kernel (blockTrig, the same bits and no branch on the
// octant, which a scalar call mispredicts on points spread over
// several periods) where it takes them, and math where it stops.
func trig(cos bool, d, a []float64) {
	a = a[:len(d)]
	for e := 0; e < len(d); {
		e += blockTrig(cos, d[e:], a[e:])
		if e == len(d) {
			break
		}
		// The lanes the kernel leaves (NaN, ±Inf, a huge argument, or
		// the last len(d)%4) one at a time: the kernel takes the rest.
		if cos {
			d[e] = math.Cos(a[e])
		} else {
			d[e] = math.Sin(a[e])
		}
		e++
	}
}

// inlined is the scalar loop of an op of inline's forms: the operand
// squared or multiplied by c, as the folded instruction's loop computed
// it, then the register-register op. The conversions keep each product
// rounded on its own, as the instruction it replaces stored it (no
// fused multiply-add).
func inlined(op vop, c float64, d, a, b []float64) {
	rr, form := rrForm(op)
	a, b = a[:len(d)], b[:len(d)]
	for e := range d {
		u, v := a[e], b[e]
		switch form {
		case fQA:
			u = float64(u * u)
		case fQB:
			v = float64(v * v)
		case fKA:
			u = float64(c * u)
		case fKB:
			v = float64(c * v)
		case fPA:
			u = float64(float64(u*u) * c)
		case fPB:
			v = float64(float64(v*v) * c)
		case fNA:
			u = -float64(c * u)
		case fNB:
			v = -float64(c * v)
		}
		switch rr {
		case vAdd:
			d[e] = u + v
		case vSub:
			d[e] = u - v
		case vMul:
			d[e] = u * v
		default:
			d[e] = u / v
		}
	}
}

// addRR, subRR, mulRR and divRR are the register-register loops, d = a op b.
func addRR(d, a, b []float64) {
	a, b = a[:len(d)], b[:len(d)]
	for e := range d {
		d[e] = a[e] + b[e]
	}
}

func subRR(d, a, b []float64) {
	a, b = a[:len(d)], b[:len(d)]
	for e := range d {
		d[e] = a[e] - b[e]
	}
}

func mulRR(d, a, b []float64) {
	a, b = a[:len(d)], b[:len(d)]
	for e := range d {
		d[e] = a[e] * b[e]
	}
}

// compileCPU compiles the evaluator's programs from the groups: their
// shifts in clusters of at most maxSpan, each cluster's outputs in the
// groups' order, so that each gradient component adds its parts in the
// order it did with one program per group.
func (o *Objective) compileCPU() {
	var cur []group
	flush := func() {
		if len(cur) == 0 {
			return
		}
		var gOuts, aOuts []output
		var gShifts, aShifts []int
		zero := false
		for _, g := range cur {
			for _, out := range g.outs {
				if out.grad {
					gOuts, gShifts = append(gOuts, out), append(gShifts, g.shift)
				}
				if out.grad || !o.Pre {
					aOuts, aShifts = append(aOuts, out), append(aShifts, g.shift)
				}
			}
			zero = zero || g.shift == 0
		}
		var c cluster
		if len(gOuts) > 0 {
			c.grad = o.compileProg(gOuts, gShifts, true)
		}
		if zero {
			o.zeroC = len(o.clusters)
			if !o.Pre {
				c.all = o.compileProg(aOuts, aShifts, true)
			}
		}
		o.clusters = append(o.clusters, c)
		cur = nil
	}
	for _, g := range o.groups {
		if len(cur) > 0 && g.shift-cur[0].shift > maxSpan {
			flush()
		}
		cur = append(cur, g)
	}
	flush()
	o.width = blk
	for _, c := range o.clusters {
		o.width = max(o.width, blk+c.grad.smax-c.grad.smin, blk+c.all.smax-c.all.smin)
	}
	o.width = (o.width + 3) &^ 3 // runAt's blocks, rounded up
	if o.Pre {
		o.preProg = o.compileProg(o.preGroup.outs, make([]int, len(o.preGroup.outs)), false)
		outs := []output{{agg: -1, e: o.outer}}
		for _, d := range o.dOuter {
			outs = append(outs, output{agg: -1, e: d})
		}
		o.outerP = o.compileProg(outs, make([]int, len(outs)), false)
		return
	}
	var tOuts []output
	for _, out := range o.groups[o.zero()].outs {
		if !out.grad {
			tOuts = append(tOuts, out)
		}
	}
	o.terms = o.compileProg(tOuts, make([]int, len(tOuts)), true)
}

// programs lists the evaluator's programs.
func (o *Objective) programs() []*program {
	ps := []*program{&o.terms, &o.preProg, &o.outerP}
	for i := range o.clusters {
		ps = append(ps, &o.clusters[i].grad, &o.clusters[i].all)
	}
	return ps
}

// runAt evaluates p for the m outputs at b0..b0+m-1: the block of
// indices ip = b0-smax .. b0+m-1-smin, which it returns the start of,
// rounded up to a multiple of 4 indices so that the AVX kernels take it
// all (a halo of 257 would leave each instruction one element for its
// scalar loop, and that cost a tenth of Rosenbrock's time); the extra
// indices' values are dropped like those of invalid indices.
func (o *Objective) runAt(p *program, s *scratch, x []float64, b0, m, n int) int {
	ip0 := b0 - p.smax
	p.run(s, o.width, x, ip0, (m+p.smax-p.smin+3)&^3, b0, m, n)
	return ip0
}

// accumulate adds p's outputs of the kind grad (gradient components or
// terms) for b0..b0+m-1 into dst (len m) where their aggregates are
// valid, in the outputs' order, after runAt ran p from ip0. A pre-pass
// objective's partial is multiplied by its glob factor. While *fresh,
// dst holds nothing yet and counts as zeros: the first output writes
// 0 + v, the bits of adding v to a cleared dst, in one pass instead of
// two, and zeros around its valid range; the caller clears a dst that
// is still fresh at the end.
func (o *Objective) accumulate(p *program, s *scratch, dst []float64, grad bool, b0, ip0, m, n int, glob []float64, fresh *bool) {
	for i := range p.outs {
		out := &p.outs[i]
		if out.grad != grad {
			continue
		}
		base := b0 - out.shift // the index of dst[0]'s value
		e0, e1 := out.validIn(base, m, n)
		if e0 >= e1 {
			continue
		}
		off := base - ip0
		d := dst[e0:e1]
		if in := &p.code[out.val]; in.deferred && fusedAt(out, b0, m, n) {
			// The output's instruction itself, on the valid range.
			a := s.views[in.a][off+e0 : off+e1]
			b := a
			if in.b >= 0 {
				b = s.views[in.b][off+e0 : off+e1]
			}
			if *fresh {
				clear(dst[:e0])
				clear(dst[e1:])
				*fresh = false
				blockAcc(in, d, a, b, false)
			} else {
				blockAcc(in, d, a, b, true)
			}
			continue
		}
		v := s.views[out.val][off+e0 : off+e1]
		d = d[:len(v)]
		if out.glob >= 0 {
			if *fresh {
				clear(dst)
				*fresh = false
			}
			c := glob[out.glob]
			for e, x := range v {
				d[e] += float64(c * x) // rounded: no FMA, as the reference
			}
			continue
		}
		k := 0
		if *fresh {
			clear(dst[:e0])
			clear(dst[e1:])
			k = blockVec(&accFirst, d, v, v) // d = 0 + v
			clear(d[k:])
			*fresh = false
		} else {
			k = blockVec(&accAdd, d, d, v) // d += v, d first as gc has it
		}
		for e, x := range v[k:] {
			d[k+e] += x
		}
	}
}

// accAdd and accFirst are accumulate's instructions, d = d + v and
// d = 0 + v.
var accAdd, accFirst = vinstr{op: vAdd}, vinstr{op: vAddCR}

// Prepare computes a pre-pass objective's glob at x (len n) into glob
// (len 3): f, then each aggregate's factor (see Objective.Pre). The sums
// are pairwise over leaves of 256, the products likewise.
func (o *Objective) Prepare(glob, x []float64, n int) {
	s := o.pool.Get().(*scratch)
	p := &o.preProg
	var sums [2]kern.Pairwise
	var prods [2]kern.PairwiseProd
	var leaf [blk]float64
	for b0 := 0; b0 < n; b0 += blk {
		m := min(blk, n-b0)
		o.runAt(p, s, x, b0, m, n)
		for a, ag := range o.aggs {
			v := s.views[p.outs[a].val]
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
	q := &o.outerP
	q.run(s, o.width, A[:len(o.aggs)], -aggBase, 1, 0, 1, n)
	glob[0] = s.views[q.outs[0].val][0]
	for a, ag := range o.aggs {
		d := s.views[q.outs[1+a].val][0]
		switch {
		case ag.prod:
			d *= A[a]
		case ag.mean:
			d /= float64(n - ag.lo() - ag.hi())
		}
		glob[1+a] = d
	}
	o.pool.Put(s)
}

// Terms writes the terms owned by lo..hi-1 into t (the CPU's loss
// terms), for dimension n; x is the whole point (len n). A pre-pass
// objective's f is glob[0], owned by index 0 (Prepare first).
func (o *Objective) Terms(t, x []float64, lo, hi, n int, glob []float64) int {
	if o.Pre {
		clear(t[:hi-lo])
		if lo == 0 && hi > 0 {
			t[0] = glob[0]
		}
		return hi - lo
	}
	var s *scratch // from the pool once the interpreter or a spill needs it
	for b0 := lo; b0 < hi; b0 += blk {
		m := min(blk, hi-b0)
		tb := t[b0-lo : b0-lo+m]
		if o.jitRun(&o.terms, &s, x, tb, nil, b0, m, n, nil) {
			continue
		}
		o.scratch(&s)
		ip0 := o.runAt(&o.terms, s, x, b0, m, n)
		fresh := true
		o.accumulate(&o.terms, s, tb, false, b0, ip0, m, n, glob, &fresh)
		if fresh {
			clear(tb)
		}
	}
	o.putScratch(s)
	return hi - lo
}

// Grad writes ∂f/∂x_j for j in lo..hi-1 into gr, for dimension n (a
// pre-pass objective's glob from Prepare).
func (o *Objective) Grad(gr, x []float64, lo, hi, n int, glob []float64) {
	o.termsGrad(nil, gr, x, lo, hi, n, glob)
}

// TermsGrad is Terms and Grad in one pass over lo..hi-1: the terms and
// the partials at shift 0 come from one run of a program, so the nodes
// they share are computed once. The values are Terms' and Grad's.
func (o *Objective) TermsGrad(t, gr, x []float64, lo, hi, n int, glob []float64) int {
	if o.Pre {
		o.Terms(t, x, lo, hi, n, glob)
		t = nil
	}
	o.termsGrad(t, gr, x, lo, hi, n, glob)
	return hi - lo
}

// termsGrad writes the gradient into gr and, unless t is nil, the terms
// into t.
func (o *Objective) termsGrad(t, gr, x []float64, lo, hi, n int, glob []float64) {
	var s *scratch // from the pool once the interpreter or a spill needs it
	for b0 := lo; b0 < hi; b0 += blk {
		m := min(blk, hi-b0)
		gb := gr[b0-lo : b0-lo+m]
		gFresh := true
		for ci := range o.clusters {
			p := &o.clusters[ci].grad
			if t != nil && ci == o.zeroC {
				p = &o.clusters[ci].all
				tb := t[b0-lo : b0-lo+m]
				if o.jitRun(p, &s, x, tb, gb, b0, m, n, &gFresh) {
					continue
				}
				o.scratch(&s)
				ip0 := o.runAt(p, s, x, b0, m, n)
				tFresh := true
				o.accumulate(p, s, tb, false, b0, ip0, m, n, glob, &tFresh)
				if tFresh {
					clear(tb)
				}
				o.accumulate(p, s, gb, true, b0, ip0, m, n, glob, &gFresh)
				continue
			}
			if len(p.outs) == 0 || o.jitRun(p, &s, x, nil, gb, b0, m, n, &gFresh) {
				continue
			}
			o.scratch(&s)
			ip0 := o.runAt(p, s, x, b0, m, n)
			o.accumulate(p, s, gb, true, b0, ip0, m, n, glob, &gFresh)
		}
		if gFresh {
			clear(gb)
		}
	}
	o.putScratch(s)
}

// scratch sets *s to a scratch from the pool if it is nil; putScratch
// returns a non-nil s to it.
func (o *Objective) scratch(s **scratch) {
	if *s == nil {
		*s = o.pool.Get().(*scratch)
	}
}

func (o *Objective) putScratch(s *scratch) {
	if s != nil {
		o.pool.Put(s)
	}
}

func divRR(d, a, b []float64) {
	a, b = a[:len(d)], b[:len(d)]
	for e := range d {
		d[e] = a[e] / b[e]
	}
}
