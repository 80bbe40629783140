package kern

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestExpBits: Exp is math.Exp's bits where Go takes its FMA path (amd64
// with AVX and FMA), over the normal range, the subnormal results, the
// overflow and underflow edges and the specials; elsewhere within 1 ulp.
func TestExpBits(t *testing.T) {
	same := cpu.X86.HasAVX && cpu.X86.HasFMA
	r := rand.New(rand.NewPCG(5, 9))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 709.78, 709.782712893384, 709.7827128933841, -708.39, -708.4, -745.13, -745.14, -744.44, -1e300, 1e-300, -1e-310,
		math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0x7ff8000000000123), math.Float64frombits(0xfff4000000000001), 2 * math.Ln2, 1023 * math.Ln2, -1074 * math.Ln2}
	for range 300000 {
		switch r.IntN(4) {
		case 0:
			xs = append(xs, 40*r.Float64()-20)
		case 1:
			xs = append(xs, 1460*r.Float64()-750)
		case 2:
			xs = append(xs, -708-38*r.Float64()) // subnormal results
		default:
			xs = append(xs, math.Ldexp(r.Float64()-0.5, -r.IntN(60)))
		}
	}
	for _, x := range xs {
		got, want := Exp(x), math.Exp(x)
		if same {
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("Exp(%v) = %v (%x), math.Exp %v (%x)", x, got, math.Float64bits(got), want, math.Float64bits(want))
			}
			continue
		}
		if math.IsNaN(want) != math.IsNaN(got) || !math.IsNaN(want) && ulps(got, want) > 2 {
			t.Fatalf("Exp(%v) = %v, math.Exp %v: more than 2 ulp apart", x, got, want)
		}
	}
}

// ulps is how many floats lie between a and b, both >= 0 (exp's values):
// the distance of their bits, which counts subnormals' ulps too.
func ulps(a, b float64) uint64 {
	x, y := math.Float64bits(a), math.Float64bits(b)
	if x > y {
		return x - y
	}
	return y - x
}

// TestMathFnBits: Pow, Tanh, Sinh, Cosh and Erf are math's bits where Go's
// math.Exp takes its FMA path (amd64 with AVX and FMA) and gc does not
// fuse math's own code (not GOAMD64=v3); elsewhere within 4 ulp. Pow over fractional and whole exponents, negative bases, the
// specials and the overflow and underflow edges.
func TestMathFnBits(t *testing.T) {
	same := cpu.X86.HasAVX && cpu.X86.HasFMA && !mathFused
	r := rand.New(rand.NewPCG(7, 1))
	near := func(got, want float64) bool {
		return got == want || math.IsNaN(got) && math.IsNaN(want) ||
			math.Signbit(got) == math.Signbit(want) && ulps(got, want) <= 4
	}
	check := func(name string, got, want float64, args ...float64) {
		t.Helper()
		if same && math.Float64bits(got) != math.Float64bits(want) || !same && !near(got, want) {
			t.Fatalf("%s%v = %v (%x), math's %v (%x)", name, args, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
	specials := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 2, 3, -3, 0.25, 1e300, -1e300, 1e-310, math.Inf(1), math.Inf(-1), math.NaN(), 21, 21.5, 0.625, 44.1, 1 << 53, 1 << 63}
	for _, x := range specials {
		for _, y := range specials {
			check("Pow", Pow(x, y), math.Pow(x, y), x, y)
		}
		check("Tanh", Tanh(x), math.Tanh(x), x)
		check("Sinh", Sinh(x), math.Sinh(x), x)
		check("Cosh", Cosh(x), math.Cosh(x), x)
		check("Erf", Erf(x), math.Erf(x), x)
	}
	for range 200000 {
		x, y := 10*r.Float64(), 20*r.Float64()-10
		switch r.IntN(4) {
		case 0:
			y = math.Round(y)
		case 1:
			x = -x
			y = math.Round(y)
		case 2:
			x, y = 1e3*r.Float64(), r.Float64() // the quadratic's cond^(i/(n-1))
		}
		check("Pow", Pow(x, y), math.Pow(x, y), x, y)
		v := 60*r.Float64() - 30
		if r.IntN(2) == 0 {
			v = 1.5*r.Float64() - 0.75
		}
		check("Tanh", Tanh(v), math.Tanh(v), v)
		check("Sinh", Sinh(v), math.Sinh(v), v)
		check("Cosh", Cosh(v), math.Cosh(v), v)
		w := 14*r.Float64() - 7 // every branch of Erf, to past 6
		if r.IntN(3) == 0 {
			w = math.Ldexp(r.Float64()-0.5, -r.IntN(1030)) // tiny and subnormal
		}
		check("Erf", Erf(w), math.Erf(w), w)
	}
}

// BenchmarkExp: Exp against math.Exp, over arguments in [-20, 20].
func BenchmarkExp(b *testing.B) {
	xs := make([]float64, 1024)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range xs {
		xs[i] = 40*r.Float64() - 20
	}
	for _, c := range []struct {
		name string
		f    func(float64) float64
	}{{"kern", Exp}, {"math", math.Exp}} {
		b.Run(c.name, func(b *testing.B) {
			s := 0.0
			for b.Loop() {
				for _, x := range xs {
					s += c.f(x)
				}
			}
			sink = s
		})
	}
}

var sink float64
