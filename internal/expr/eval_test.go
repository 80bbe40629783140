package expr

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// evalBitsCases are objectives over the whole grammar that the random
// corpus reaches rarely: wide and one-sided offsets, shifts in more than
// one cluster, constants in every operand position, c/0, NaN constants,
// min/max, the pre-pass kinds, and functions of n.
var evalBitsCases = []string{
	"sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)",
	"10*n+sum(x[i]^2-10*cos(2*pi*x[i]))",
	"-20*exp(-0.2*sqrt(mean(x[i]^2))) - exp(mean(cos(2*pi*x[i]))) + 20 + e",
	"1 + sum(x[i]^2)/4000 - prod(cos(x[i]/sqrt(i+1)))",
	"sum(atan(x[i]*x[i+1]) + asin(0.5*sin(x[i-1])) + acos(0.3*x[i])) + mean(min(x[i],x[i+2])*max(x[i-2],1) + abs(x[i]) + x[i]/(2+x[i+1]^2) + (i/n)*x[i]^3 + exp(-x[i]^2)*log(1+x[i]^2))",
	"sum(x[i-3]*x[i+100] + 3/x[i] + x[i]/3 + (3 - x[i]) + (x[i] - 3) + 2^x[i] + x[i]^0.5 + x[i]^x[i+1])",
	"sum(x[i]*x[i+128]) + sum(x[i]*x[i-128]) + 2*mean(x[i+64]^3)",
	"sum(x[i]*(1/0) + x[i]*log(-1) + log(-1)*x[i+1] + x[i]^-3 + x[i]^5)",
	"sum(tanh(x[i]) + softplus(x[i]) + sigmoid(x[i+1]) + pow(1+x[i]^2,1.5) + sinh(x[i]) + cosh(x[i]) + expm1(x[i]) + log1p(x[i]^2) + tan(x[i]))",
	"w = x[i]*x[i+1]; sum(w^2 + sin(w)) + n*mean(w) + 3",
	"log(1 + sum(x[i]*x[i+1])^2) + mean(x[i-1]^2)",
	"prod(1 + 0.1*sin(x[i]*x[i+2])) * sum(x[i]^2) / n",
	"sum(2*x[i])",
	"sum(i*x[i] + n)",
}

// TestEvalBits: the evaluator's terms, gradient and pre-pass quantities
// are the same bits as the reference's (one instruction per node and one
// run per shift, reference_test.go), on the random corpus and on
// evalBitsCases, over whole points and over the CPU backend's ranges of
// 256 and odd ones, with NaN and infinite values in some points; with
// the AVX kernels where the CPU has them, and without.
func TestEvalBits(t *testing.T) {
	avx := kern.UseAVX
	defer func() { kern.UseAVX = avx }()
	for _, kern.UseAVX = range []bool{avx, false} {
		evalBits(t)
	}
}

func evalBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	srcs := append([]string(nil), evalBitsCases...)
	for range 150 {
		srcs = append(srcs, RandomObjective(r))
	}
	for ci, src := range srcs {
		o, err := Parse(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		for _, n := range []int{o.MinDim, o.MinDim + 3, 700 + o.MinDim} {
			x := make([]float64, n)
			for i := range x {
				x[i] = 4*r.Float64() - 2
			}
			for range n / 10 { // values where a - c is 0 and its sign shows
				x[r.IntN(n)] = []float64{0, math.Copysign(0, -1), 1, -1, 3, 0.5}[r.IntN(6)]
			}
			if ci%3 == 1 && n > 2 { // non-finite values, and two NaN payloads
				x[r.IntN(n)] = math.NaN()
				x[r.IntN(n)] = math.Float64frombits(0x7ff8000000000123)
				x[r.IntN(n)] = math.Inf(-1)
			}
			glob, ref := make([]float64, 3), make([]float64, 3)
			if o.Pre {
				o.Prepare(glob, x, n)
				o.refPrepare(ref, x, n)
				if !sameBits(glob, ref) {
					t.Fatalf("%q n=%d: Prepare %v, reference %v", src, n, glob, ref)
				}
			}
			for _, step := range []int{256, 97, n} {
				for lo := 0; lo < n; lo += step {
					hi := min(lo+step, n)
					tw, tr := make([]float64, hi-lo), make([]float64, hi-lo)
					gw, gr := make([]float64, hi-lo), make([]float64, hi-lo)
					o.Terms(tw, x, lo, hi, n, glob)
					o.refTerms(tr, x, lo, hi, n, glob)
					if !sameBits(tw, tr) {
						t.Fatalf("%q n=%d [%d,%d): Terms differ from the reference", src, n, lo, hi)
					}
					o.Grad(gw, x, lo, hi, n, glob)
					o.refGrad(gr, x, lo, hi, n, glob)
					if !sameBits(gw, gr) {
						t.Fatalf("%q n=%d [%d,%d): Grad differs from the reference: x %v\n%s", src, n, lo, hi, x, bitsDiff(gw, gr))
					}
					clear(tw)
					clear(gw)
					if k := o.TermsGrad(tw, gw, x, lo, hi, n, glob); k != hi-lo || !sameBits(tw, tr) || !sameBits(gw, gr) {
						t.Fatalf("%q n=%d [%d,%d): TermsGrad differs from the reference", src, n, lo, hi)
					}
				}
			}
		}
	}
}

// bitsDiff lists the values of a and b that sameBits finds different.
func bitsDiff(a, b []float64) string {
	var s strings.Builder
	for i := range a {
		if !sameBits(a[i:i+1], b[i:i+1]) {
			fmt.Fprintf(&s, "[%d] %x (%v), reference %x (%v)\n", i, math.Float64bits(a[i]), a[i], math.Float64bits(b[i]), b[i])
		}
	}
	return s.String()
}

// sameBits reports whether a and b hold the same bits, but for the
// payload and sign of a NaN: where both operands of a + or * are NaN, the
// result keeps the payload of the one gc's code names first, and gc
// picks that order for commutative ops by register allocation (the
// reference's loop and eval.go's, the same source, differ), so no Go
// evaluator can promise a NaN's bits.
func sameBits(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return len(a) == len(b)
}

// TestEvalAllocs: a warm evaluator allocates nothing.
func TestEvalAllocs(t *testing.T) {
	o, err := Parse("sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)")
	if err != nil {
		t.Fatal(err)
	}
	const n = 1024
	x, tt, g := make([]float64, n), make([]float64, 256), make([]float64, 256)
	o.TermsGrad(tt, g, x, 256, 512, n, nil)
	if a := testing.AllocsPerRun(100, func() { o.TermsGrad(tt, g, x, 256, 512, n, nil) }); a != 0 {
		t.Errorf("TermsGrad allocates %v times per call", a)
	}
}

// TestBlockVecBits: each AVX kernel gives the bits of its scalar loop,
// on values that include zeros of both signs, infinities and NaNs with
// different payloads in both operands (the operand order decides which
// payload a NaN result keeps: exact for - and /, a NaN for a NaN for +
// and *, see sameBits).
func TestBlockVecBits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	special := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
		math.Float64frombits(0x7ff8000000000abc), math.Float64frombits(0xfff0000000000001), 5e-324, 1e308}
	val := func() float64 {
		if r.IntN(3) == 0 {
			return special[r.IntN(len(special))]
		}
		return 4*r.Float64() - 2
	}
	scalar := map[vop]func(a, b, c float64) float64{
		vAdd: func(a, b, c float64) float64 { return a + b }, vSub: func(a, b, c float64) float64 { return a - b },
		vMul: func(a, b, c float64) float64 { return a * b }, vDiv: func(a, b, c float64) float64 { return a / b },
		vAddCR: func(a, b, c float64) float64 { return c + a }, vAddRC: func(a, b, c float64) float64 { return a + c },
		vSubCR: func(a, b, c float64) float64 { return c - a }, vSubRC: func(a, b, c float64) float64 { return a - c },
		vMulCR: func(a, b, c float64) float64 { return c * a }, vMulRC: func(a, b, c float64) float64 { return a * c },
		vDivCR: func(a, b, c float64) float64 { return c / a }, vDivRC: func(a, b, c float64) float64 { return a / c },
		vNeg: func(a, b, c float64) float64 { return -a }, vSq: func(a, b, c float64) float64 { return a * a },
	}
	// inline's forms: the folded instruction's scalar loop, then the
	// register-register op's.
	for op := vAddQA; op <= vLastAVX; op++ {
		rr, form := rrForm(op)
		scalar[op] = func(a, b, c float64) float64 {
			switch form {
			case fQA:
				a = scalar[vSq](a, 0, c)
			case fQB:
				b = scalar[vSq](b, 0, c)
			case fKA:
				a = scalar[vMulCR](a, 0, c)
			case fKB:
				b = scalar[vMulCR](b, 0, c)
			case fPA: // the square times fuse's factor, here c
				a = scalar[vSq](a, 0, c) * c
			case fPB:
				b = scalar[vSq](b, 0, c) * c
			case fNA:
				a = -scalar[vMulCR](a, 0, c)
			case fNB:
				b = -scalar[vMulCR](b, 0, c)
			}
			return scalarRR(rr, []float64{a}, []float64{b})[0]
		}
	}
	for op := vAdd; op <= vLastAVX; op++ {
		f := scalar[op]
		if f == nil {
			t.Fatalf("op %d has no scalar loop here", op)
		}
		for range 200 {
			m := 1 + r.IntN(40)
			a, b, d := make([]float64, m), make([]float64, m), make([]float64, m)
			for e := range a {
				a[e], b[e] = val(), val()
			}
			c := special[r.IntN(6)] // never NaN (compileProg's rule)
			if r.IntN(2) == 0 {
				c = 4*r.Float64() - 2
			}
			base, _ := rrForm(op)
			rr := base == vAdd || base == vSub || base == vMul || base == vDiv
			bb := a
			if rr {
				bb = b
			}
			in := vinstr{op: op, c: c}
			switch r.IntN(3) { // fuse's factor or negation
			case 0:
				in.scaled, in.post = true, 4*r.Float64()-2
			case 1:
				in.negated = true
			}
			e0 := blockVec(&in, d, a, bb)
			for e := range e0 {
				// The scalar loops, run through a slice so that the
				// compiler cannot fold them differently.
				want := f(a[e], b[e], c)
				if op == base && rr {
					want = scalarRR(op, a, b)[e]
				}
				if in.scaled {
					want *= in.post
				}
				if in.negated {
					want = -want
				}
				// + and * commute, and gc may name either operand
				// first (see sameBits); - and / keep a's payload.
				commutes := base == vAdd || base == vMul
				if math.Float64bits(d[e]) != math.Float64bits(want) && !(commutes && math.IsNaN(d[e]) && math.IsNaN(want)) {
					t.Fatalf("op %d: %v, %v, c %v: AVX %x, scalar %x", op, a[e], b[e], c, math.Float64bits(d[e]), math.Float64bits(want))
				}
			}
			// A deferred output's kernel: the same result, added to a
			// fresh destination (0 + r) or to one that holds values.
			if e0 == 0 || !kern.UseAVX {
				continue
			}
			acc := r.IntN(2) == 0
			dst := make([]float64, e0)
			for e := range dst {
				dst[e] = val()
			}
			old := append([]float64(nil), dst...)
			blockAcc(&in, dst, a[:e0], bb[:e0], acc)
			for e := range e0 {
				base := 0.0
				if acc {
					base = old[e]
				}
				if want := base + d[e]; math.Float64bits(dst[e]) != math.Float64bits(want) && !(math.IsNaN(dst[e]) && math.IsNaN(want)) {
					t.Fatalf("op %d acc %v: %x, want %x", op, acc, math.Float64bits(dst[e]), math.Float64bits(want))
				}
			}
		}
	}
}

// scalarRR is eval.go's scalar register-register loops.
func scalarRR(op vop, a, b []float64) []float64 {
	d := make([]float64, len(a))
	switch op {
	case vAdd:
		addRR(d, a, b)
	case vSub:
		subRR(d, a, b)
	case vMul:
		mulRR(d, a, b)
	case vDiv:
		divRR(d, a, b)
	}
	return d
}

// TestTrigBits: the four-lane sin and cos (trig) are math.Sin's and
// math.Cos's bits, over the whole range the kernel takes (|x| < 1<<29,
// each octant, values near the octant edges, ±0, subnormals) and where
// it hands lanes to math (NaN, ±Inf, |x| >= 1<<29), at every length
// and alignment, in place and not; with AVX and without.
func TestTrigBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	special := []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 1e-300, math.Pi / 4, math.Pi / 2, math.Pi, 3 * math.Pi / 4,
		math.Nextafter(math.Pi/4, 0), math.Nextafter(math.Pi/4, 4), 1 << 29, math.Nextafter(1<<29, 0), -(1 << 29), 1e300,
		math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0x7ff8000000000abc)}
	val := func(scale float64) float64 {
		switch r.IntN(8) {
		case 0:
			return special[r.IntN(len(special))]
		case 1: // an octant's edge, k*Pi/4 to within a few ulps
			x := float64(r.IntN(64)-32) * math.Pi / 4
			for range r.IntN(4) {
				x = math.Nextafter(x, math.Inf(2*r.IntN(2)-1))
			}
			return x
		}
		return scale * (2*r.Float64() - 1)
	}
	for _, avx := range []bool{true, false} {
		if avx && !kern.UseAVX {
			continue
		}
		t.Run(fmt.Sprintf("avx=%v", avx), func(t *testing.T) {
			defer func(was bool) { kern.UseAVX = was }(kern.UseAVX)
			kern.UseAVX = avx
			for _, tc := range []struct {
				name  string
				cos   bool
				scale float64
			}{{"sin", false, 4}, {"cos", true, 4}, {"sin", false, 1e3}, {"cos", true, 1e3}, {"sin", false, 1 << 29}, {"cos", true, 1 << 29}} {
				f := math.Sin
				if tc.cos {
					f = math.Cos
				}
				for range 300 {
					m, off := r.IntN(70), r.IntN(4)
					a := make([]float64, off+m)
					for e := range a {
						a[e] = val(tc.scale)
					}
					src := append([]float64(nil), a...)
					d := make([]float64, off+m)
					inPlace := r.IntN(2) == 0
					if inPlace {
						d = a
					}
					trig(tc.cos, d[off:], a[off:])
					for e := off; e < off+m; e++ {
						if want := f(src[e]); math.Float64bits(d[e]) != math.Float64bits(want) && !(math.IsNaN(d[e]) && math.IsNaN(want)) {
							t.Fatalf("%s(%v) (%#x, in place %v): %#x, math %#x", tc.name, src[e], math.Float64bits(src[e]), inPlace, math.Float64bits(d[e]), math.Float64bits(want))
						}
					}
				}
			}
		})
	}
}
