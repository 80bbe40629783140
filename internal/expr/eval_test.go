package expr

import (
	"math"
	"math/rand/v2"
	"testing"
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
// 256 and odd ones, with NaN and infinite values in some points.
func TestEvalBits(t *testing.T) {
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
						t.Fatalf("%q n=%d [%d,%d): Grad differs from the reference", src, n, lo, hi)
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

func sameBits(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
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
