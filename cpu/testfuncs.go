package cpu

import "math"

// The classic test functions (docs/problems.md): the N-dimensional
// separable ones, whose term i and gradient component i depend on x_i
// alone, and the two-dimensional ones of (x, y) = (x_0, x_1). Each is
// written with the operations, in the order, of its shader
// (shaders/<name>.glsl), every product that feeds a sum rounded by an
// explicit conversion (no FMA; see the package doc).

// testFuncKinds maps the test functions' registry names to their kinds.
var testFuncKinds = map[string]problemKind{
	"rastrigin":        rastrigin,
	"styblinski-tang":  styblinskiTang,
	"levy":             levy,
	"ackley":           ackley,
	"griewank":         griewank,
	"beale":            beale,
	"himmelblau":       himmelblau,
	"booth":            booth,
	"matyas":           matyas,
	"three-hump-camel": threeHumpCamel,
	"six-hump-camel":   sixHumpCamel,
	"goldstein-price":  goldsteinPrice,
	"saddle":           saddle,
}

// twoDim reports whether k is a function of (x_0, x_1) only.
func (k problemKind) twoDim() bool { return k >= beale }

// separable returns term i of f (of N = n terms) and ∂f/∂x_i for the
// separable kinds, from x = x_i.
func (k problemKind) separable(i, n int, x float64) (f, g float64) {
	switch k {
	case rastrigin:
		// f_i = x² - 10 cos(2πx) + 10, g_i = 2x + 20π sin(2πx)
		a := 2 * math.Pi * x
		f = float64(x*x) - float64(10*math.Cos(a)) + 10
		g = float64(2*x) + float64(20*math.Pi*math.Sin(a))
	case styblinskiTang:
		// f_i = (x⁴ - 16x² + 5x)/2, g_i = 2x³ - 16x + 5/2
		x2 := x * x
		f = 0.5 * (float64(x2*x2) - float64(16*x2) + float64(5*x))
		g = float64(float64(2*x2)*x) - float64(16*x) + 2.5
	default: // levy, w = 1 + (x-1)/4 and ∂w/∂x = 1/4
		w := 1 + float64((x-1)*0.25)
		d := w - 1
		d2 := d * d
		var gw float64
		if i == 0 { // sin²(πw_1)
			s, c := math.Sin(math.Pi*w), math.Cos(math.Pi*w)
			f = s * s
			gw = float64(float64(2*math.Pi*s) * c)
		}
		if i < n-1 { // (w-1)²(1 + 10 sin²(πw+1))
			a := float64(math.Pi*w) + 1
			s, c := math.Sin(a), math.Cos(a)
			q := 1 + float64(float64(10*s)*s)
			f += float64(d2 * q)
			gw += float64(float64(2*d)*q) + float64(float64(float64(20*math.Pi*d2)*s)*c)
		} else { // (w_N-1)²(1 + sin²(2πw_N))
			a := 2 * math.Pi * w
			s, c := math.Sin(a), math.Cos(a)
			q := 1 + float64(s*s)
			f += float64(d2 * q)
			gw += float64(float64(2*d)*q) + float64(float64(float64(4*math.Pi*d2)*s)*c)
		}
		g = 0.25 * gw
	}
	return f, g
}

// plane returns f(x, y) and its gradient for the two-dimensional kinds.
func (k problemKind) plane(x, y float64) (f, gx, gy float64) {
	switch k {
	case beale:
		y2 := y * y
		y3 := y2 * y
		xy, xy2, xy3 := x*y, x*y2, x*y3
		a := 1.5 - x + xy
		b := 2.25 - x + xy2
		c := 2.625 - x + xy3
		f = float64(a*a) + float64(b*b) + float64(c*c)
		gx = float64(float64(2*a)*(y-1)) + float64(float64(2*b)*(y2-1)) + float64(float64(2*c)*(y3-1))
		gy = float64(float64(2*a)*x) + float64(float64(4*b)*xy) + float64(float64(6*c)*xy2)
	case himmelblau:
		p := float64(x*x) + y - 11
		q := x + float64(y*y) - 7
		f = float64(p*p) + float64(q*q)
		gx = float64(float64(4*x)*p) + float64(2*q)
		gy = float64(2*p) + float64(float64(4*y)*q)
	case booth:
		p := x + float64(2*y) - 7
		q := float64(2*x) + y - 5
		f = float64(p*p) + float64(q*q)
		gx = float64(2*p) + float64(4*q)
		gy = float64(4*p) + float64(2*q)
	case matyas:
		f = float64(0.26*(float64(x*x)+float64(y*y))) - float64(float64(0.48*x)*y)
		gx = float64(0.52*x) - float64(0.48*y)
		gy = float64(0.52*y) - float64(0.48*x)
	case threeHumpCamel:
		x2 := x * x
		x4 := x2 * x2
		f = float64(2*x2) - float64(1.05*x4) + float64(x4*x2)/6 + float64(x*y) + float64(y*y)
		gx = float64(4*x) - float64(float64(4.2*x2)*x) + float64(x4*x) + y
		gy = x + float64(2*y)
	case sixHumpCamel:
		x2, y2 := x*x, y*y
		x4 := x2 * x2
		f = float64((4-float64(2.1*x2)+x4/3)*x2) + float64(x*y) + float64((float64(4*y2)-4)*y2)
		gx = float64(8*x) - float64(float64(8.4*x2)*x) + float64(float64(2*x4)*x) + y
		gy = x - float64(8*y) + float64(float64(16*y2)*y)
	case goldsteinPrice:
		// f = A·B, A = 1 + s²P, B = 30 + t²Q with s = x+y+1, t = 2x-3y,
		// P = 19 - 14x + 3x² - 14y + 6xy + 3y², Q = 18 - 32x + 12x² + 48y - 36xy + 27y².
		x2, y2, xy := x*x, y*y, x*y
		s := x + y + 1
		t := float64(2*x) - float64(3*y)
		s2, t2 := s*s, t*t
		p := 19 - float64(14*x) + float64(3*x2) - float64(14*y) + float64(6*xy) + float64(3*y2)
		q := 18 - float64(32*x) + float64(12*x2) + float64(48*y) - float64(36*xy) + float64(27*y2)
		a := 1 + float64(s2*p)
		b := 30 + float64(t2*q)
		dp := -14 + float64(6*x) + float64(6*y) // ∂P/∂x = ∂P/∂y
		da := float64(float64(2*s)*p) + float64(s2*dp)
		dbx := float64(float64(4*t)*q) + float64(t2*(-32+float64(24*x)-float64(36*y)))
		dby := float64(float64(-6*t)*q) + float64(t2*(48-float64(36*x)+float64(54*y)))
		f = a * b
		gx = float64(da*b) + float64(a*dbx)
		gy = float64(da*b) + float64(a*dby)
	default: // saddle
		f = float64(x*x) - float64(y*y)
		gx = 2 * x
		gy = -2 * y
	}
	return f, gx, gy
}

// testTerms writes the terms of indices lo..hi-1 into t and returns how
// many: one per index for the separable kinds; for the two-dimensional
// ones the whole f, owned by index 0.
func (o *objective) testTerms(t, x []float64, lo, hi int) int {
	if o.kind == ackley || o.kind == griewank {
		return o.globalTerms(t, x, lo, hi)
	}
	if o.kind.twoDim() {
		if lo > 0 {
			return 0
		}
		t[0], _, _ = o.kind.plane(x[0], x[1])
		return 1
	}
	xs := x[lo:hi]
	t = t[:len(xs)]
	for j, xi := range xs {
		t[j], _ = o.kind.separable(lo+j, o.n, xi)
	}
	return len(xs)
}

// testGrad writes ∂f/∂x_i for i in lo..hi-1 into g. It reads only
// x[lo:hi] (the two-dimensional kinds have one chunk, lo = 0, hi = 2).
func (o *objective) testGrad(g, x []float64, lo, hi int) {
	if o.kind == ackley || o.kind == griewank {
		o.globalGrad(g, x, lo, hi)
		return
	}
	if o.kind.twoDim() {
		_, g[0], g[1] = o.kind.plane(x[0], x[1])
		return
	}
	xs := x[lo:hi]
	g = g[:len(xs)]
	for j, xi := range xs {
		_, g[j] = o.kind.separable(lo+j, o.n, xi)
	}
}

// Ackley's constants: a, b, c = 2π, and e.
const (
	ackleyA = 20
	ackleyB = 0.2
	ackleyC = 2 * math.Pi
)

// prepare computes the global quantities of ackley and griewank at x into
// o.glob, as the GPU's pre-pass (shaders/prepass.glsl and the objective's
// prepassFinish) does; every sweep that evaluates terms or gradient calls
// it first, while x still holds the point. The other kinds need nothing.
// It allocates nothing.
//
//   - ackley: s1 = Σ x_i², s2 = Σ cos(c x_i) (pairwise, the samples'
//     tree); glob = f, k1 = a b e^(-b r)/(r N) (0 at r = 0), k2 = c e^(m2)/N
//     with r = sqrt(s1/N), m2 = s2/N; ∂f/∂x_i = k1 x_i + k2 sin(c x_i).
//   - griewank: the product a of the non-zero cos(x_i/√(i+1)) (a pairwise
//     product tree) and the number b of zero ones (up to 2); glob = P
//     (0 if b > 0), a, b.
func (o *objective) prepare(x []float64) {
	switch o.kind {
	case ackley:
		var t, u [chunk]float64
		var s1, s2 pairwise
		for lo := 0; lo < o.n; lo += chunk {
			xs := x[lo:min(lo+chunk, o.n)]
			for j, xi := range xs {
				t[j] = xi * xi
				u[j] = math.Cos(ackleyC * xi)
			}
			s1.push(leafSum(t[:len(xs)]))
			s2.push(leafSum(u[:len(xs)]))
		}
		nn := float64(o.n)
		r := math.Sqrt(s1.sum() / nn)
		e1 := math.Exp(-ackleyB * r)
		e2 := math.Exp(s2.sum() / nn)
		o.glob[0] = (ackleyA - float64(ackleyA*e1)) + (math.E - e2)
		o.glob[1] = 0
		if r > 0 {
			o.glob[1] = float64(ackleyA*ackleyB*e1) / float64(r*nn)
		}
		o.glob[2] = float64(ackleyC*e2) / nn
	case griewank:
		var t [chunk]float64
		var p pairwiseProd
		zeros := 0
		for lo := 0; lo < o.n; lo += chunk {
			xs := x[lo:min(lo+chunk, o.n)]
			for j, xi := range xs {
				c := griewankCos(xi / math.Sqrt(float64(lo+j+1)))
				if c == 0 {
					c = 1
					zeros++
				}
				t[j] = c
			}
			p.push(leafProd(t[:len(xs)]))
		}
		a, b := p.prod(), float64(min(zeros, 2))
		o.glob = [3]float64{a, a, b}
		if b > 0 {
			o.glob[0] = 0
		}
	}
}

// griewankCos is math.Cos, the cosine of Griewank's product; a test swaps
// it to reach the zero-cosine branches, which math.Cos never returns 0 for
// in float64.
var griewankCos = math.Cos

// globalTerms writes the terms of indices lo..hi-1 of ackley and griewank
// (after prepare): ackley's whole f is owned by index 0, griewank's
// x_i²/4000 by index i and 1 - P by index 0 too. Ackley returns no
// term where lo > 0.
func (o *objective) globalTerms(t, x []float64, lo, hi int) int {
	if o.kind == ackley {
		if lo > 0 {
			return 0
		}
		t[0] = o.glob[0]
		return 1
	}
	xs := x[lo:hi]
	t = t[:len(xs)]
	for j, xi := range xs {
		t[j] = float64(xi*xi) / 4000
	}
	if lo == 0 {
		t[0] += 1 - o.glob[0]
	}
	return len(xs)
}

// globalGrad writes ∂f/∂x_i of ackley and griewank (after prepare) for i
// in lo..hi-1 into g. Griewank's leave-one-out product is a/cos(u_i), or
// a when cos(u_i) is the only zero cosine, 0 when another one is zero.
func (o *objective) globalGrad(g, x []float64, lo, hi int) {
	xs := x[lo:hi]
	g = g[:len(xs)]
	if o.kind == ackley {
		k1, k2 := o.glob[1], o.glob[2]
		for j, xi := range xs {
			g[j] = float64(k1*xi) + float64(k2*math.Sin(ackleyC*xi))
		}
		return
	}
	a, b := o.glob[1], o.glob[2]
	for j, xi := range xs {
		s := math.Sqrt(float64(lo + j + 1))
		u := xi / s
		c := griewankCos(u)
		var q float64
		switch {
		case c != 0 && b == 0:
			q = a / c
		case c == 0 && b < 1.5:
			q = a
		}
		g[j] = xi/2000 + float64((math.Sin(u)/s)*q)
	}
}

// leafProd multiplies t pairwise in place, like leafSum (padding with
// ones), and returns the product. len(t) ≤ chunk.
func leafProd(t []float64) float64 {
	n := len(t)
	if n == 0 {
		return 1
	}
	p := 1
	for p < n {
		p <<= 1
	}
	t = t[:p]
	for i := n; i < p; i++ {
		t[i] = 1
	}
	for h := p / 2; h >= 1; h /= 2 {
		a, b := t[:h], t[h:2*h]
		for i := range a {
			a[i] *= b[i]
		}
	}
	return t[0]
}

// pairwiseProd is pairwise with products: leaf products combined in a
// balanced tree, so a product of N factors has at most ⌈log2 N⌉+2
// multiplications between a factor and the result on any path, and a
// relative error of at most (N-1)u (each multiplication rounds once).
type pairwiseProd struct {
	part [64]float64
	top  int
	n    uint64
}

func (p *pairwiseProd) push(s float64) {
	for k := p.n; k&1 == 1; k >>= 1 {
		p.top--
		s = p.part[p.top] * s
	}
	p.part[p.top] = s
	p.top++
	p.n++
}

func (p *pairwiseProd) prod() float64 {
	if p.top == 0 {
		return 1
	}
	s := p.part[p.top-1]
	for i := p.top - 2; i >= 0; i-- {
		s = p.part[i] * s
	}
	return s
}
