package expr

import (
	"fmt"
	"github.com/gdgpu/gdgpu/internal/kern"
	"math"
)

// op is an operation of the expression DAG.
type op uint8

const (
	opConst op = iota
	opI        // the index i, as a real
	opN        // the dimension n, as a real
	opX        // x[i+k]
	opAdd
	opSub
	opMul
	opDiv
	opNeg
	opPow  // a^b, b not a constant integer
	opPowi // a^k, k = int(c)
	opLE   // 1 if a <= b else 0 (the choice of min and max)
	opSel  // c ? a : b with c = args[2]... see sel
	opSin
	opCos
	opTan
	opAsin
	opAcos
	opAtan
	opSinh
	opCosh
	opTanh
	opExp
	opExpm1
	opLog
	opLog1p
	opSqrt
	opAbs
	opSign
	opSigmoid
	opSoftplus
)

// funcs maps the language's one-argument functions to their ops.
var funcs = map[string]op{
	"sin": opSin, "cos": opCos, "tan": opTan, "asin": opAsin, "acos": opAcos, "atan": opAtan,
	"sinh": opSinh, "cosh": opCosh, "tanh": opTanh, "exp": opExp, "expm1": opExpm1,
	"log": opLog, "log1p": opLog1p, "sqrt": opSqrt, "abs": opAbs, "sigmoid": opSigmoid, "softplus": opSoftplus,
}

// ex is a node of the hash-consed DAG: equal subexpressions are one node,
// so the loss and the gradient share them (common subexpressions).
type ex struct {
	op      op
	c       float64 // opConst's value; opPowi's exponent
	k       int     // opX's offset
	a, b, s *ex     // operands (s: opSel's condition)
	id      int
}

type key struct {
	op      op
	c       uint64
	k       int
	a, b, s int
}

// builder makes DAG nodes, folding constants and the identities of 0 and 1.
type builder struct {
	nodes map[key]*ex
	all   []*ex
}

func newBuilder() *builder { return &builder{nodes: map[key]*ex{}} }

func id(e *ex) int {
	if e == nil {
		return -1
	}
	return e.id
}

func (bd *builder) make(o op, c float64, k int, a, b, s *ex) *ex {
	kk := key{o, math.Float64bits(c), k, id(a), id(b), id(s)}
	if e, ok := bd.nodes[kk]; ok {
		return e
	}
	e := &ex{op: o, c: c, k: k, a: a, b: b, s: s, id: len(bd.all)}
	bd.nodes[kk] = e
	bd.all = append(bd.all, e)
	return e
}

func (bd *builder) num(v float64) *ex { return bd.make(opConst, v, 0, nil, nil, nil) }
func (bd *builder) x(k int) *ex       { return bd.make(opX, 0, k, nil, nil, nil) }

func isConst(e *ex, v float64) bool { return e.op == opConst && e.c == v }

func (bd *builder) add(a, b *ex) *ex {
	switch {
	case a.op == opConst && b.op == opConst:
		return bd.num(a.c + b.c)
	case isConst(a, 0):
		return b
	case isConst(b, 0):
		return a
	case b.op == opNeg:
		return bd.sub(a, b.a)
	}
	return bd.make(opAdd, 0, 0, a, b, nil)
}

func (bd *builder) sub(a, b *ex) *ex {
	switch {
	case a.op == opConst && b.op == opConst:
		return bd.num(a.c - b.c)
	case isConst(b, 0):
		return a
	case isConst(a, 0):
		return bd.neg(b)
	case a == b:
		return bd.num(0)
	}
	return bd.make(opSub, 0, 0, a, b, nil)
}

func (bd *builder) mul(a, b *ex) *ex {
	switch {
	case a.op == opConst && b.op == opConst:
		return bd.num(a.c * b.c)
	case isConst(a, 0) || isConst(b, 0):
		return bd.num(0)
	case isConst(a, 1):
		return b
	case isConst(b, 1):
		return a
	case isConst(a, -1):
		return bd.neg(b)
	case isConst(b, -1):
		return bd.neg(a)
	case a.op == opNeg && b.op == opNeg:
		return bd.mul(a.a, b.a)
	case b.op == opConst && a.op != opConst: // constants first: c*x
		return bd.make(opMul, 0, 0, b, a, nil)
	}
	return bd.make(opMul, 0, 0, a, b, nil)
}

func (bd *builder) div(a, b *ex) *ex {
	switch {
	case a.op == opConst && b.op == opConst && b.c != 0:
		return bd.num(a.c / b.c)
	case isConst(a, 0):
		return bd.num(0)
	case isConst(b, 1):
		return a
	}
	return bd.make(opDiv, 0, 0, a, b, nil)
}

func (bd *builder) neg(a *ex) *ex {
	switch {
	case a.op == opConst:
		return bd.num(-a.c)
	case a.op == opNeg:
		return a.a
	}
	return bd.make(opNeg, 0, 0, a, nil, nil)
}

func (bd *builder) powi(a *ex, k int) *ex {
	switch {
	case k == 0:
		return bd.num(1)
	case k == 1:
		return a
	case a.op == opConst:
		return bd.num(kern.Pow(a.c, float64(k)))
	}
	return bd.make(opPowi, float64(k), 0, a, nil, nil)
}

func (bd *builder) pow(a, b *ex) *ex {
	// A whole exponent is products (powi), for any base's sign; 2^20 keeps
	// the squarings few.
	if b.op == opConst && b.c == math.Trunc(b.c) && math.Abs(b.c) <= 1<<20 {
		return bd.powi(a, int(b.c))
	}
	if a.op == opConst && b.op == opConst {
		return bd.num(kern.Pow(a.c, b.c))
	}
	return bd.make(opPow, 0, 0, a, b, nil)
}

func (bd *builder) fn(o op, a *ex) *ex {
	if a.op == opConst {
		return bd.num(eval1(o, a.c))
	}
	return bd.make(o, 0, 0, a, nil, nil)
}

func (bd *builder) le(a, b *ex) *ex {
	if a.op == opConst && b.op == opConst {
		return bd.num(b2f(a.c <= b.c))
	}
	return bd.make(opLE, 0, 0, a, b, nil)
}

// sel is c != 0 ? a : b.
func (bd *builder) sel(c, a, b *ex) *ex {
	switch {
	case a == b:
		return a
	case c.op == opConst && c.c != 0:
		return a
	case c.op == opConst:
		return b
	}
	return bd.make(opSel, 0, 0, a, b, c)
}

func b2f(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// eval1 is a one-argument function in float64.
func eval1(o op, v float64) float64 {
	switch o {
	case opSin:
		return math.Sin(v)
	case opCos:
		return math.Cos(v)
	case opTan:
		return math.Tan(v)
	case opAsin:
		// Go's Asin and Acos take sqrt(1 - v*v), which loses up to half
		// the digits next to +-1; through Atan with 1-v, exact there, they
		// keep them, as the GPU's dasin and dacos do (fp64math.glsl).
		return math.Atan(v / math.Sqrt((1-v)*(1+v)))
	case opAcos:
		return 2 * math.Atan(math.Sqrt((1-v)/(1+v)))
	case opAtan:
		return math.Atan(v)
	case opSinh:
		return kern.Sinh(v)
	case opCosh:
		return kern.Cosh(v)
	case opTanh:
		return kern.Tanh(v)
	case opExp:
		return kern.Exp(v)
	case opExpm1:
		return math.Expm1(v)
	case opLog:
		return math.Log(v)
	case opLog1p:
		return math.Log1p(v)
	case opSqrt:
		return math.Sqrt(v)
	case opAbs:
		return math.Abs(v)
	case opSign:
		switch {
		case v > 0:
			return 1
		case v < 0:
			return -1
		}
		return 0 // the sub-gradient of |x| at 0
	case opSigmoid:
		if v >= 0 {
			return 1 / (1 + kern.Exp(-v))
		}
		e := kern.Exp(v)
		return e / (1 + e)
	case opSoftplus: // log(1 + e^v) without overflow
		return math.Max(v, 0) + math.Log1p(kern.Exp(-math.Abs(v)))
	}
	panic(fmt.Sprintf("expr: eval1 of op %d", o))
}

// d is the derivative of e with respect to x[i+k], built in bd.
func (bd *builder) d(e *ex, k int, memo map[*ex]*ex) *ex {
	if r, ok := memo[e]; ok {
		return r
	}
	zero, one := bd.num(0), bd.num(1)
	var r *ex
	switch e.op {
	case opConst, opI, opN:
		r = zero
	case opX:
		r = zero
		if e.k == k {
			r = one
		}
	case opAdd:
		r = bd.add(bd.d(e.a, k, memo), bd.d(e.b, k, memo))
	case opSub:
		r = bd.sub(bd.d(e.a, k, memo), bd.d(e.b, k, memo))
	case opNeg:
		r = bd.neg(bd.d(e.a, k, memo))
	case opMul:
		r = bd.add(bd.mul(bd.d(e.a, k, memo), e.b), bd.mul(e.a, bd.d(e.b, k, memo)))
	case opDiv: // (a' b - a b') / b^2 = a'/b - (a/b) b'/b
		da, db := bd.d(e.a, k, memo), bd.d(e.b, k, memo)
		r = bd.sub(bd.div(da, e.b), bd.div(bd.mul(e, db), e.b))
	case opPowi: // k a^(k-1) a'
		n := int(e.c)
		r = bd.mul(bd.mul(bd.num(float64(n)), bd.powi(e.a, n-1)), bd.d(e.a, k, memo))
	case opPow:
		da, db := bd.d(e.a, k, memo), bd.d(e.b, k, memo)
		if isConst(db, 0) { // b a^(b-1) a': defined at a = 0 for b > 1
			r = bd.mul(bd.mul(e.b, bd.pow(e.a, bd.sub(e.b, bd.num(1)))), da)
			break
		}
		// a^b (b' log a + b a'/a)
		r = bd.mul(e, bd.add(bd.mul(db, bd.fn(opLog, e.a)), bd.div(bd.mul(e.b, da), e.a)))
	case opLE:
		r = zero
	case opSel:
		r = bd.sel(e.s, bd.d(e.a, k, memo), bd.d(e.b, k, memo))
	default:
		u := e.a
		du := bd.d(u, k, memo)
		if isConst(du, 0) {
			r = zero
			break
		}
		var f *ex // df/du
		switch e.op {
		case opSin:
			f = bd.fn(opCos, u)
		case opCos:
			f = bd.neg(bd.fn(opSin, u))
		case opTan: // 1 + tan^2
			f = bd.add(one, bd.powi(e, 2))
		case opAsin:
			f = bd.div(one, bd.fn(opSqrt, bd.sub(one, bd.powi(u, 2))))
		case opAcos:
			f = bd.neg(bd.div(one, bd.fn(opSqrt, bd.sub(one, bd.powi(u, 2)))))
		case opAtan:
			f = bd.div(one, bd.add(one, bd.powi(u, 2)))
		case opSinh:
			f = bd.fn(opCosh, u)
		case opCosh:
			f = bd.fn(opSinh, u)
		case opTanh:
			f = bd.sub(one, bd.powi(e, 2))
		case opExp:
			f = e
		case opExpm1:
			f = bd.fn(opExp, u)
		case opLog:
			f = bd.div(one, u)
		case opLog1p:
			f = bd.div(one, bd.add(one, u))
		case opSqrt:
			f = bd.div(bd.num(0.5), e)
		case opAbs:
			f = bd.fn(opSign, u)
		case opSign:
			f = zero
		case opSigmoid:
			f = bd.mul(e, bd.sub(one, e))
		case opSoftplus:
			f = bd.fn(opSigmoid, u)
		default:
			panic(fmt.Sprintf("expr: no derivative of op %d", e.op))
		}
		r = bd.mul(f, du)
	}
	memo[e] = r
	return r
}

// reads adds the offsets e reads to ks.
func reads(e *ex, ks map[int]bool, seen map[*ex]bool) {
	if e == nil || seen[e] {
		return
	}
	seen[e] = true
	if e.op == opX {
		ks[e.k] = true
	}
	reads(e.a, ks, seen)
	reads(e.b, ks, seen)
	reads(e.s, ks, seen)
}
