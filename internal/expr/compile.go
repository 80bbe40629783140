package expr

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Objective is a compiled objective: f(x) = c0 + Σ_a c_a A_a, each A_a a
// sum or mean over the index of a per-index term E_a, and its gradient
// ∂f/∂x_j = Σ_a c_a w_a Σ_k [i = j-k valid for a] ∂E_a/∂x[i+k] at i = j-k
// (w_a = 1 for a sum, 1/count for a mean). The term owned by index i is
// Σ_a [i valid for a] c_a w_a E_a(i), plus c0 at i = 0.
type Objective struct {
	Src    string
	Reach  int // the largest |offset| a term or gradient component reads
	MinDim int // the least n that leaves every aggregate a valid index

	bd     *builder
	aggs   []aggregate
	c0     *ex     // the constant part (over n)
	groups []group // by shift s: the outputs evaluated at ip = j - s

	// Pre-pass objectives (an aggregate inside a non-linear function, a
	// product of aggregates, prod): f = outer(A_0, A_1), at most two
	// aggregates, whose values the pre-pass computes over the whole point
	// first (Prepare on the CPU, prepass.glsl on the GPU). glob[0] is f,
	// glob[1+a] the factor of aggregate a's partials: ∂f/∂A_a times 1
	// (sum), 1/count (mean) or A_a (prod, whose partials are E'/E).
	Pre      bool
	outer    *ex     // f over the leaves opX(aggBase+a)
	dOuter   []*ex   // ∂f/∂A_a
	preGroup group   // E_a at ip, for the pre-pass sums
	outProg  []instr // outer and dOuter, in order
	outSlots []int   // outer, then each dOuter

	// The CPU evaluator's programs (eval.go): the clusters of shifts in
	// ascending order, the terms alone, the pre-pass's aggregate terms
	// and outer expression; width is a register's length.
	clusters []cluster
	zeroC    int // the cluster of shift 0
	terms    program
	preProg  program
	outerP   program
	width    int
	pool     sync.Pool // *scratch

	// The compiled loops (jit.go): their code, executable, and the
	// constants they read; how many of the jitOf programs of terms and
	// gradient have one, the functions the others call, and the
	// mapping's refusal.
	jitMem []byte
	jitCst []float64
	jitN   int
	jitOf  int
	jitWhy []string
	jitErr error
}

// aggregate is one sum(...), mean(...) or prod(...).
type aggregate struct {
	pos        int // where the source names it
	mean, prod bool
	e          *ex // the term
	coef       *ex // c_a w_a, over n
	ks         []int
	kmin, kmax int // min and max of ks and 0
}

// output is one value a group sums: a term (f) or a partial (g), counted
// where its aggregate is valid at the evaluation's index.
type output struct {
	agg  int
	grad bool
	e    *ex
	glob int // pre-pass: the partial is multiplied by glob[glob]; -1 otherwise
}

// group evaluates, at ip = j - shift, the outputs that component j needs.
type group struct {
	shift int
	outs  []output
	prog  []instr // the CPU program: every node the outputs need, in order
	slot  []int   // prog slot of each output
}

// lo and hi bound the valid i of aggregate a, lo <= i <= n-1-hi.
func (a aggregate) lo() int { return max(0, -a.kmin) }
func (a aggregate) hi() int { return max(0, a.kmax) }

// Parse compiles src.
func Parse(src string) (*Objective, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &Error{src, 0, "the objective is empty"}
	}
	defs, body, err := parseProgram(src)
	if err != nil {
		return nil, err
	}
	lw := &lowerer{src: src, bd: newBuilder(), defs: map[string]*node{}}
	for _, d := range defs {
		if reserved(d.name) {
			return nil, &Error{src, d.pos, fmt.Sprintf("%q is a reserved name and cannot be defined", d.name)}
		}
		if _, dup := lw.defs[d.name]; dup {
			return nil, &Error{src, d.pos, fmt.Sprintf("%q is defined twice", d.name)}
		}
		lw.defs[d.name] = d.body
	}
	l, err := lw.outer(body)
	var pe prepassError
	if errors.As(err, &pe) {
		return lw.prepassObjective(src, body)
	}
	if err != nil {
		return nil, err
	}
	if len(l.terms) == 0 {
		return nil, &Error{src, body.pos, "the objective does not depend on x: use sum(...), mean(...) of terms in x[i]"}
	}
	o := &Objective{Src: src, bd: lw.bd, c0: l.c0, MinDim: 1}
	for _, t := range l.terms {
		a := lw.aggs[t.agg]
		a.coef = o.bd.mul(t.coef, a.coef)
		o.aggs = append(o.aggs, a)
		o.MinDim = max(o.MinDim, 1+a.lo()+a.hi())
		o.Reach = max(o.Reach, -a.kmin, a.kmax, a.kmax-a.kmin)
	}
	o.build()
	o.finish()
	return o, nil
}

// finish compiles the CPU evaluator's programs (eval.go) and sizes its
// scratch.
func (o *Objective) finish() {
	o.compileCPU()
	o.compileJIT()
	regs, views, spill := 0, 0, 0
	for _, p := range o.programs() {
		regs, views = max(regs, p.nreg), max(views, len(p.code))
		if p.jit != nil {
			spill = max(spill, 4*p.jit.spill)
		}
	}
	w := o.width
	o.pool.New = func() any {
		return &scratch{regs: make([]float64, regs*w), views: make([][]float64, views), spill: make([]float64, spill)}
	}
}

// slice lists the nodes outs need, in a topological order (the builder's
// ids), as a program, with each output's slot.
func (o *Objective) slice(outs []output) ([]instr, []int) {
	need := map[*ex]bool{}
	var mark func(e *ex)
	mark = func(e *ex) {
		if e == nil || need[e] {
			return
		}
		need[e] = true
		mark(e.a)
		mark(e.b)
		mark(e.s)
	}
	for _, out := range outs {
		mark(out.e)
	}
	var prog []instr
	slotOf := map[*ex]int{}
	for _, n := range o.bd.all {
		if need[n] {
			slotOf[n] = len(prog)
			in := instr{op: n.op, c: n.c, k: n.k, a: -1, b: -1, s: -1}
			if n.a != nil {
				in.a = slotOf[n.a]
			}
			if n.b != nil {
				in.b = slotOf[n.b]
			}
			if n.s != nil {
				in.s = slotOf[n.s]
			}
			prog = append(prog, in)
		}
	}
	var slots []int
	for _, out := range outs {
		slots = append(slots, slotOf[out.e])
	}
	return prog, slots
}

func reserved(name string) bool {
	switch name {
	case "x", "i", "n", "pi", "e", "sum", "mean", "prod", "pow", "min", "max":
		return true
	}
	_, ok := funcs[name]
	return ok
}

// build makes the groups: for each shift s, the partials ∂E_a/∂x[i+s] of
// the aggregates that read x[i+s], and at shift 0 also the terms.
func (o *Objective) build() {
	shifts := map[int]bool{0: true}
	for _, a := range o.aggs {
		for _, k := range a.ks {
			shifts[k] = true
		}
	}
	var ss []int
	for s := range shifts {
		ss = append(ss, s)
	}
	sort.Ints(ss)
	for _, s := range ss {
		g := group{shift: s}
		for ai, a := range o.aggs {
			if s == 0 && !o.Pre {
				g.outs = append(g.outs, output{agg: ai, e: o.bd.mul(a.coef, a.e), glob: -1})
			}
			if slices.Contains(a.ks, s) {
				d := o.bd.d(a.e, s, map[*ex]*ex{})
				switch {
				case isConst(d, 0):
				case o.Pre && a.prod: // ∂Π/∂x = Π E'/E: glob has the Π
					g.outs = append(g.outs, output{agg: ai, grad: true, e: o.bd.div(d, a.e), glob: 1 + ai})
				case o.Pre:
					g.outs = append(g.outs, output{agg: ai, grad: true, e: d, glob: 1 + ai})
				default:
					g.outs = append(g.outs, output{agg: ai, grad: true, e: o.bd.mul(a.coef, d), glob: -1})
				}
			}
		}
		if s == 0 && !isConst(o.c0, 0) {
			g.outs = append(g.outs, output{agg: -1, e: o.c0, glob: -1})
		}
		o.groups = append(o.groups, g)
	}
	for gi := range o.groups {
		g := &o.groups[gi]
		g.prog, g.slot = o.slice(g.outs)
	}
}

// lin is an outer expression: c0 + Σ coef * aggregate.
type lin struct {
	c0    *ex
	terms []linTerm
}

type linTerm struct {
	coef *ex
	agg  int
}

type lowerer struct {
	src   string
	bd    *builder
	defs  map[string]*node
	aggs  []aggregate
	using []string // definitions being expanded, to refuse a cycle
}

func (lw *lowerer) err(n *node, format string, a ...any) error {
	return &Error{lw.src, n.pos, fmt.Sprintf(format, a...)}
}

func (lw *lowerer) constLin(e *ex) lin { return lin{c0: e} }

// outer lowers the expression outside the aggregates: a linear combination
// of aggregates with coefficients that are constants or functions of n.
func (lw *lowerer) outer(n *node) (lin, error) {
	bd := lw.bd
	switch n.op {
	case "num":
		return lw.constLin(bd.num(n.num)), nil
	case "x":
		return lin{}, lw.err(n, "x[...] is read only inside sum(...), mean(...) or prod(...)")
	case "name":
		switch n.name {
		case "i":
			return lin{}, lw.err(n, "i is the index of sum(...), mean(...) or prod(...) and has no value outside them")
		case "n":
			return lw.constLin(bd.make(opN, 0, 0, nil, nil, nil)), nil
		case "pi":
			return lw.constLin(bd.num(math.Pi)), nil
		case "e":
			return lw.constLin(bd.num(math.E)), nil
		}
		body, err := lw.def(n)
		if err != nil {
			return lin{}, err
		}
		defer lw.pop()
		return lw.outer(body)
	case "neg":
		l, err := lw.outer(n.args[0])
		if err != nil {
			return lin{}, err
		}
		return lw.scale(l, bd.num(-1)), nil
	case "+", "-":
		l, r, err := lw.outerPair(n)
		if err != nil {
			return lin{}, err
		}
		if n.op == "-" {
			r = lw.scale(r, bd.num(-1))
		}
		return lin{c0: bd.add(l.c0, r.c0), terms: append(l.terms, r.terms...)}, nil
	case "*":
		l, r, err := lw.outerPair(n)
		if err != nil {
			return lin{}, err
		}
		switch {
		case len(l.terms) > 0 && len(r.terms) > 0:
			return lin{}, lw.prepass(n)
		case len(r.terms) == 0:
			return lw.scale(l, r.c0), nil
		default:
			return lw.scale(r, l.c0), nil
		}
	case "/":
		l, r, err := lw.outerPair(n)
		if err != nil {
			return lin{}, err
		}
		if len(r.terms) > 0 {
			return lin{}, lw.prepass(n)
		}
		return lw.scale(l, bd.div(bd.num(1), r.c0)), nil
	case "call":
		switch n.name {
		case "sum", "mean":
			if len(n.args) != 1 {
				return lin{}, lw.err(n, "%s takes one argument, got %d", n.name, len(n.args))
			}
			a, err := lw.aggregate(n)
			if err != nil {
				return lin{}, err
			}
			a.mean, a.coef = n.name == "mean", bd.num(1)
			if a.mean { // 1 / count, count = n - (span of the valid range's cut)
				a.coef = bd.div(bd.num(1), bd.sub(bd.make(opN, 0, 0, nil, nil, nil), bd.num(float64(a.lo()+a.hi()))))
			}
			lw.aggs = append(lw.aggs, a)
			return lin{c0: bd.num(0), terms: []linTerm{{bd.num(1), len(lw.aggs) - 1}}}, nil
		case "prod":
			return lin{}, lw.prepass(n)
		}
		args := make([]*ex, len(n.args))
		for j, a := range n.args {
			l, err := lw.outer(a)
			if err != nil {
				return lin{}, err
			}
			if len(l.terms) > 0 {
				return lin{}, lw.prepass(n)
			}
			args[j] = l.c0
		}
		e, err := lw.call(n, args)
		if err != nil {
			return lin{}, err
		}
		return lw.constLin(e), nil
	case "^":
		l, r, err := lw.outerPair(n)
		if err != nil {
			return lin{}, err
		}
		if len(l.terms) > 0 || len(r.terms) > 0 {
			return lin{}, lw.prepass(n)
		}
		return lw.constLin(bd.pow(l.c0, r.c0)), nil
	}
	return lin{}, lw.err(n, "unexpected %s", n.op)
}

// prepassError says the objective is not a sum of aggregates times
// constants: Parse compiles it again as a pre-pass objective.
type prepassError struct{ pos int }

func (e prepassError) Error() string { return "expr: needs a pre-pass" }

func (lw *lowerer) prepass(n *node) error { return prepassError{n.pos} }

// aggBase offsets the opX leaves that stand for aggregate values in a
// pre-pass objective's outer expression (they are never x reads).
const aggBase = 1 << 30

// prepassObjective compiles body as f = outer(A_0, A_1).
func (lw *lowerer) prepassObjective(src string, body *node) (*Objective, error) {
	lw.aggs, lw.using = nil, nil
	bd := lw.bd
	f, err := lw.outerDAG(body)
	if err != nil {
		return nil, err
	}
	if len(lw.aggs) > 2 {
		return nil, &Error{src, lw.aggs[2].pos, fmt.Sprintf("%d aggregates: an objective with an aggregate inside a non-linear function, a product of aggregates or prod(...) may have at most two different ones (the pre-pass carries two)", len(lw.aggs))}
	}
	if len(lw.aggs) == 0 {
		return nil, &Error{src, body.pos, "the objective does not depend on x: use sum(...), mean(...) or prod(...) of terms in x[i]"}
	}
	o := &Objective{Src: src, bd: bd, aggs: lw.aggs, c0: bd.num(0), MinDim: 1, Pre: true, outer: f}
	for a, ag := range o.aggs {
		o.MinDim = max(o.MinDim, 1+ag.lo()+ag.hi())
		o.Reach = max(o.Reach, -ag.kmin, ag.kmax, ag.kmax-ag.kmin)
		o.dOuter = append(o.dOuter, bd.d(f, aggBase+a, map[*ex]*ex{}))
		o.preGroup.outs = append(o.preGroup.outs, output{agg: a, e: ag.e, glob: -1})
	}
	o.preGroup.prog, o.preGroup.slot = o.slice(o.preGroup.outs)
	outs := []output{{agg: -1, e: f}}
	for _, d := range o.dOuter {
		outs = append(outs, output{agg: -1, e: d})
	}
	o.outProg, o.outSlots = o.slice(outs)
	o.build()
	o.finish()
	return o, nil
}

// outerDAG lowers a pre-pass objective's outer expression, each aggregate
// a leaf opX(aggBase + its index).
func (lw *lowerer) outerDAG(n *node) (*ex, error) { return lw.lower(n, false) }

// inner lowers a per-index term, inside an aggregate.
func (lw *lowerer) inner(n *node) (*ex, error) { return lw.lower(n, true) }

// lower builds n's DAG: inside an aggregate (inAgg) x[i+k] and i are
// leaves and an aggregate is refused; outside, x and i are refused and
// each aggregate becomes a leaf opX(aggBase + its index).
func (lw *lowerer) lower(n *node, inAgg bool) (*ex, error) {
	bd := lw.bd
	switch n.op {
	case "num":
		return bd.num(n.num), nil
	case "x":
		if !inAgg {
			return nil, lw.err(n, "x[...] is read only inside sum(...), mean(...) or prod(...)")
		}
		return bd.x(n.k), nil
	case "name":
		switch n.name {
		case "i":
			if !inAgg {
				return nil, lw.err(n, "i is the index of sum(...), mean(...) or prod(...) and has no value outside them")
			}
			return bd.make(opI, 0, 0, nil, nil, nil), nil
		case "n":
			return bd.make(opN, 0, 0, nil, nil, nil), nil
		case "pi":
			return bd.num(math.Pi), nil
		case "e":
			return bd.num(math.E), nil
		}
		body, err := lw.def(n)
		if err != nil {
			return nil, err
		}
		defer lw.pop()
		return lw.lower(body, inAgg)
	case "neg":
		a, err := lw.lower(n.args[0], inAgg)
		if err != nil {
			return nil, err
		}
		return bd.neg(a), nil
	case "+", "-", "*", "/", "^":
		a, err := lw.lower(n.args[0], inAgg)
		if err != nil {
			return nil, err
		}
		b, err := lw.lower(n.args[1], inAgg)
		if err != nil {
			return nil, err
		}
		switch n.op {
		case "+":
			return bd.add(a, b), nil
		case "-":
			return bd.sub(a, b), nil
		case "*":
			return bd.mul(a, b), nil
		case "/":
			return bd.div(a, b), nil
		}
		return bd.pow(a, b), nil
	case "call":
		switch n.name {
		case "sum", "mean", "prod":
			if inAgg {
				return nil, lw.err(n, "aggregates do not nest: %s(...) inside another aggregate", n.name)
			}
			if len(n.args) != 1 {
				return nil, lw.err(n, "%s takes one argument, got %d", n.name, len(n.args))
			}
			a, err := lw.aggregate(n)
			if err != nil {
				return nil, err
			}
			a.mean, a.prod = n.name == "mean", n.name == "prod"
			a.coef = bd.num(1)
			// The same aggregate named twice (a definition used twice,
			// say) is one value: its term is the same hash-consed node.
			for j, b := range lw.aggs {
				if b.e == a.e && b.mean == a.mean && b.prod == a.prod {
					return bd.x(aggBase + j), nil
				}
			}
			lw.aggs = append(lw.aggs, a)
			return bd.x(aggBase + len(lw.aggs) - 1), nil
		}
		args := make([]*ex, len(n.args))
		for j, a := range n.args {
			e, err := lw.lower(a, inAgg)
			if err != nil {
				return nil, err
			}
			args[j] = e
		}
		return lw.call(n, args)
	}
	return nil, lw.err(n, "unexpected %s", n.op)
}

// aggregate lowers an aggregate's term and finds the offsets it reads.
func (lw *lowerer) aggregate(n *node) (aggregate, error) {
	e, err := lw.inner(n.args[0])
	if err != nil {
		return aggregate{}, err
	}
	ks := map[int]bool{}
	reads(e, ks, map[*ex]bool{})
	a := aggregate{e: e, pos: n.pos}
	for k := range ks {
		a.ks = append(a.ks, k)
		a.kmin, a.kmax = min(a.kmin, k), max(a.kmax, k)
	}
	sort.Ints(a.ks)
	if a.kmax-a.kmin > 128 {
		return aggregate{}, lw.err(n, "the offsets of x[i+k] in one aggregate may span at most 128 (here %d)", a.kmax-a.kmin)
	}
	return a, nil
}

// outerPair lowers a binary node's two operands.
func (lw *lowerer) outerPair(n *node) (l, r lin, err error) {
	if l, err = lw.outer(n.args[0]); err != nil {
		return lin{}, lin{}, err
	}
	r, err = lw.outer(n.args[1])
	return l, r, err
}

func (lw *lowerer) scale(l lin, c *ex) lin {
	out := lin{c0: lw.bd.mul(c, l.c0)}
	for _, t := range l.terms {
		out.terms = append(out.terms, linTerm{lw.bd.mul(c, t.coef), t.agg})
	}
	return out
}

// def returns the body of the definition n names, refusing an unknown name
// or a definition that uses itself; pop ends its expansion.
func (lw *lowerer) def(n *node) (*node, error) {
	body, ok := lw.defs[n.name]
	if !ok {
		var names []string
		for d := range lw.defs {
			names = append(names, d)
		}
		sort.Strings(names)
		known := "x[i+k], i, n, pi, e"
		if len(names) > 0 {
			known += " and the definitions " + strings.Join(names, ", ")
		}
		return nil, lw.err(n, "unknown name %q (known: %s)", n.name, known)
	}
	if slices.Contains(lw.using, n.name) {
		return nil, lw.err(n, "%q is defined in terms of itself", n.name)
	}
	lw.using = append(lw.using, n.name)
	return body, nil
}

func (lw *lowerer) pop() { lw.using = lw.using[:len(lw.using)-1] }

// call builds a function of lowered arguments.
func (lw *lowerer) call(n *node, args []*ex) (*ex, error) {
	bd := lw.bd
	want := 1
	switch n.name {
	case "pow", "min", "max":
		want = 2
	default:
		if _, ok := funcs[n.name]; !ok {
			return nil, lw.err(n, "unknown function %q (known: sin cos tan asin acos atan sinh cosh tanh exp expm1 log log1p sqrt abs sigmoid softplus pow min max, and sum mean prod)", n.name)
		}
	}
	if len(args) != want {
		return nil, lw.err(n, "%s takes %d argument(s), got %d", n.name, want, len(args))
	}
	switch n.name {
	case "pow":
		return bd.pow(args[0], args[1]), nil
	case "min": // at a tie the first argument, and its derivative
		return bd.sel(bd.le(args[0], args[1]), args[0], args[1]), nil
	case "max":
		return bd.sel(bd.le(args[1], args[0]), args[0], args[1]), nil
	}
	return bd.fn(funcs[n.name], args[0]), nil
}

// instr is one step of a CPU program: the node's op on earlier slots.
type instr struct {
	op      op
	c       float64
	k       int
	a, b, s int
}

// blk is how many indices a CPU program evaluates at once: each
// instruction is a loop over the block, so the interpreter's cost per
// instruction is shared by blk elements and the registers stay in cache.
const blk = 256

// powi is a^k by repeated squaring: a^2 is a*a exactly, as a hand-written
// kernel computes it (the GLSL, powiGLSL, forms the same products).
func powi(a float64, k int) float64 {
	if k < 0 {
		return 1 / powi(a, -k)
	}
	r := 1.0
	for first := true; k > 0; k >>= 1 {
		if k&1 == 1 {
			if first {
				r, first = a, false
			} else {
				r *= a
			}
		}
		if k > 1 {
			a *= a
		}
	}
	return r
}

// validIn returns the e in [e0, e1) for which ip0+e is a valid index of
// aggregate a (a < 0: the constant part, owned by index 0), within 0..m.
func (o *Objective) validIn(a, ip0, m, n int) (e0, e1 int) {
	lo, hi := 0, 0 // valid ip: lo..hi inclusive
	if a < 0 {
		lo, hi = 0, 0
	} else {
		lo, hi = o.aggs[a].lo(), n-1-o.aggs[a].hi()
	}
	e0, e1 = max(0, lo-ip0), min(m, hi-ip0+1)
	if e1 < e0 {
		e1 = e0
	}
	return e0, e1
}

// valid reports whether aggregate a has index i in its range.
func (o *Objective) valid(a, i, n int) bool {
	if a < 0 { // the constant part: owned by index 0
		return i == 0
	}
	return i >= o.aggs[a].lo() && i <= n-1-o.aggs[a].hi()
}

func (o *Objective) anyGrad(g *group, ip, n int) bool {
	for _, out := range g.outs {
		if out.grad && o.valid(out.agg, ip, n) {
			return true
		}
	}
	return false
}

func (o *Objective) zero() int {
	for gi, g := range o.groups {
		if g.shift == 0 {
			return gi
		}
	}
	panic("expr: no group at shift 0")
}

// String prints the loss and the gradient's parts, simplified.
func (o *Objective) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "f = ")
	var parts []string
	if !isConst(o.c0, 0) {
		parts = append(parts, o.show(o.c0))
	}
	for _, a := range o.aggs {
		kind := "sum" // a mean's 1/count is in its coefficient
		lo, hi := "", ""
		if a.lo() > 0 {
			lo = "+" + strconv.Itoa(a.lo())
		}
		if a.hi() > 0 {
			hi = "-" + strconv.Itoa(a.hi())
		}
		coef := o.show(a.coef) + " * "
		if isConst(a.coef, 1) {
			coef = ""
		}
		parts = append(parts, fmt.Sprintf("%s%s_{i=0%s}^{n-1%s} (%s)", coef, kind, lo, hi, o.show(a.e)))
	}
	b.WriteString(strings.Join(parts, " + "))
	b.WriteString("\n")
	for _, g := range o.groups {
		for j, out := range g.outs {
			if !out.grad {
				continue
			}
			fmt.Fprintf(&b, "df/dx[j] += %s at i = j%+d, where i is valid\n", o.show(g.outs[j].e), -g.shift)
		}
	}
	return b.String()
}

// show prints e in the language's syntax.
func (o *Objective) show(e *ex) string {
	p := func(e *ex) string {
		s := o.show(e)
		switch e.op {
		case opAdd, opSub, opNeg, opMul, opDiv:
			return "(" + s + ")"
		}
		return s
	}
	switch e.op {
	case opConst:
		return strconv.FormatFloat(e.c, 'g', -1, 64)
	case opI:
		return "i"
	case opN:
		return "n"
	case opX:
		switch {
		case e.k == 0:
			return "x[i]"
		case e.k > 0:
			return fmt.Sprintf("x[i+%d]", e.k)
		}
		return fmt.Sprintf("x[i%d]", e.k)
	case opAdd:
		return o.show(e.a) + " + " + o.show(e.b)
	case opSub:
		return o.show(e.a) + " - " + p(e.b)
	case opMul:
		return p(e.a) + "*" + p(e.b)
	case opDiv:
		return p(e.a) + "/" + p(e.b)
	case opNeg:
		return "-" + p(e.a)
	case opPowi:
		return p(e.a) + "^" + strconv.Itoa(int(e.c))
	case opPow:
		return p(e.a) + "^" + p(e.b)
	case opLE:
		return "(" + o.show(e.a) + " <= " + o.show(e.b) + ")"
	case opSel:
		return "(" + o.show(e.s) + " ? " + o.show(e.a) + " : " + o.show(e.b) + ")"
	}
	for name, f := range funcs {
		if f == e.op {
			return name + "(" + o.show(e.a) + ")"
		}
	}
	if e.op == opSign {
		return "sign(" + o.show(e.a) + ")"
	}
	return "?"
}
