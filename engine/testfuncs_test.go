package engine

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/testcases"
	"github.com/gdgpu/gdgpu/internal/testproblems"
	"github.com/gdgpu/gdgpu/shaders"
)

// TestKnownValuesTestFuncs checks every test function's known values and
// minima (internal/testcases, the rows the CPU tests check too) on the GPU
// in both precisions: the recorded loss and gradient norm.
func TestKnownValuesTestFuncs(t *testing.T) {
	c := openTest(t, Options{})
	for _, kv := range testcases.KnownValues() {
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			t.Run(kv.Name+"/"+prec.String(), func(t *testing.T) {
				job := newJob(kv.Problem, "sgd", len(kv.X), prec)
				s := sampleAt(t, newBackend(t, c, &job), kv.X)
				gn := 0.0
				for _, g := range kv.G {
					gn += g * g
				}
				gn = math.Sqrt(gn)
				tol := math.Max(kv.Tol, 1e-14) // the GPU's own rounding, even where the CPU is exact
				if prec == gdgpu.F32 {
					tol = kv.Tol32
				}
				if math.Abs(s.Loss-kv.F) > tol*math.Max(1, math.Abs(kv.F)) || math.Abs(s.GradNorm-gn) > tol*math.Max(1, gn) {
					t.Errorf("loss %.17g grad norm %.17g, want %.17g %.17g (tol %g)", s.Loss, s.GradNorm, kv.F, gn, tol)
				}
			})
		}
	}
}

// TestParityTestFuncs runs every test function with sgd and adam through
// the driver on both backends in both GPU precisions (the shared harness:
// samples and final parameters). The N-dimensional ones start at random
// points of [-2, 2]^N (N = 4099, one case through the chunked path), the
// two-dimensional ones at their default starts. Learning rates keep
// lr·|f”| small over the 20 steps, so the float32 rounding of sin and
// cos is not amplified beyond the harness's bounds (Rastrigin's f” reaches
// 2 + 40π² ≈ 397).
func TestParityTestFuncs(t *testing.T) {
	ctx := openTest(t, Options{})
	chunked := openTest(t, Options{ChunkElems: 1000})
	cases := []struct {
		problem     string
		sgdLR       float64
		adamLR      float64
		withChunked bool
	}{
		{"rastrigin", 1e-4, 1e-3, true},
		{"styblinski-tang", 1e-3, 1e-2, false},
		{"levy", 1e-2, 1e-2, true},
		{"ackley", 1e-2, 1e-2, true},
		{"griewank", 1e-2, 1e-2, true},
		{"beale", 1e-3, 1e-2, false},
		{"himmelblau", 1e-3, 1e-2, false},
		{"booth", 1e-2, 1e-2, false},
		{"matyas", 1e-1, 1e-2, false},
		{"three-hump-camel", 1e-2, 1e-2, false},
		{"six-hump-camel", 1e-2, 1e-2, false},
		{"goldstein-price", 1e-5, 1e-2, false},
		{"saddle", 1e-2, 1e-2, false},
	}
	for _, tc := range cases {
		info, _ := gdgpu.LookupProblem(tc.problem)
		for _, opt := range []string{"sgd", "adam"} {
			for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
				for _, ch := range []bool{false, true} {
					if ch && !tc.withChunked {
						continue
					}
					t.Run(fmt.Sprintf("%s/%s/%s/chunked=%v", tc.problem, opt, prec, ch), func(t *testing.T) {
						dim := 4099
						if info.MaxDim > 0 {
							dim = info.MaxDim
						}
						job := newJob(tc.problem, opt, dim, prec)
						job.Optimizer.LR = tc.sgdLR
						if opt == "adam" {
							job.Optimizer.LR = tc.adamLR
						}
						job.Steps, job.LogEvery = 20, 4
						job.RandomStart, job.Seed = info.MaxDim == 0, 5
						c := ctx
						if ch {
							c = chunked
						}
						checkTrajectory(t, c, &job)
					})
				}
			}
		}
	}
}

// TestFP64SinCos runs fp64math.glsl's dsin and dcos in a test-only kernel
// over many arguments. For |x| < 2^19·π/2 each result must be within 1 ulp
// of sin and cos computed in 300-bit arithmetic (math/big, correctly
// rounded to float64; fdlibm's bound is below 1 ulp) and within 2 ulps of
// Go's math.Sin and math.Cos, except near multiples of π/2: there Go's own
// three-part reduction leaves a few to a few hundred thousand ulps of the
// tiny result (cos(fl(π/2)) is 6.123233995736766e-17, Go says
// 6.1232339957367574e-17), so only the exact reference judges those.
// Beyond 2^19·π/2 the documented absolute error |x|·2⁻⁵⁰ up to 2^50,
// results in [-1, 1] above, and NaN for NaN and ±Inf.
func TestFP64SinCos(t *testing.T) {
	c := openTest(t, Options{})
	r := rand.New(rand.NewPCG(1, 2))
	var xs []float64
	add := func(x float64) { xs = append(xs, x, -x) }
	for _, x := range []float64{0, math.SmallestNonzeroFloat64, 1e-310, 0x1p-1022, 1e-20, 0x1p-27, 0x1.fffffffffffffp-28, 0.3,
		0x1.3333333333333p-2, 0.78125, math.Pi / 4, math.Nextafter(math.Pi/4, 1), 1, 3 * math.Pi / 4} {
		add(x)
	}
	for i := 0; i < 2000; i++ {
		add((2*r.Float64() - 1) * math.Pi / 4) // the kernels alone
		add((2*r.Float64() - 1) * 10)
		add((2*r.Float64() - 1) * 1e3)
		add(r.Float64() * 0x1p19 * math.Pi / 2)
		add(math.Exp2(r.Float64()*1040 - 1020)) // log-uniform from 2^-1020 to 2^20
	}
	nearGo := len(xs) // Go is within 2 ulps before here
	// The hard cases of reduction: the doubles nearest k·π/2 and their
	// neighbours, where x - nπ/2 cancels to a few ulps.
	for k := 1; k <= 2000; k++ {
		x := float64(k) * math.Pi / 2
		add(x)
		add(math.Nextafter(x, 0))
		add(math.Nextafter(x, math.Inf(1)))
	}
	medium := len(xs)
	for i := 0; i < 2000; i++ {
		add(math.Exp2(20 + r.Float64()*30)) // 2^20 .. 2^50
	}
	large := len(xs)
	for i := 0; i < 500; i++ {
		add(math.Exp2(50 + r.Float64()*973))
	}
	add(math.MaxFloat64)
	special := len(xs)
	xs = append(xs, math.NaN(), math.Inf(1), math.Inf(-1))

	out := runSinCos(t, c, xs)
	ulp := func(v float64) float64 {
		v = math.Abs(v)
		return math.Nextafter(v, math.Inf(1)) - v
	}
	bad := 0
	worst := 0.0
	for i, x := range xs {
		var exact [2]float64
		if i < medium {
			exact[0], exact[1] = bigSinCos(x)
		}
		for k, want := range []float64{math.Sin(x), math.Cos(x)} {
			got := out[2*i+k]
			name := [2]string{"sin", "cos"}[k]
			var ok bool
			switch {
			case i < medium:
				d := math.Abs(got - exact[k])
				ok = d <= ulp(exact[k]) && (i >= nearGo || math.Abs(got-want) <= 2*ulp(want))
				if exact[k] != 0 {
					worst = math.Max(worst, d/ulp(exact[k]))
				}
				want = exact[k]
			case i < large:
				ok = math.Abs(got-want) <= math.Abs(x)*0x1p-50
			case i < special:
				ok = math.Abs(got) <= 1
			default:
				ok = math.IsNaN(got)
			}
			if !ok {
				if bad++; bad <= 10 {
					t.Errorf("%s(%.17g) = %.17g, want %.17g (%.3g ulp); Go %.17g", name, x, got, want, math.Abs(got-want)/ulp(want), [2]float64{math.Sin(x), math.Cos(x)}[k])
				}
			}
		}
	}
	t.Logf("%d arguments; worst below 2^19·π/2: %.3g ulp", len(xs), worst)
	if bad > 10 {
		t.Errorf("%d more failures", bad-10)
	}
}

// bigPi is π to 110 digits (Machin's formula), 365 bits.
const bigPi = "3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679821480865"

// bigSinCos returns sin x and cos x correctly rounded (barring a tie
// closer than 2^-240 relative) from 300-bit arithmetic: x - nπ/2 exactly
// enough (x has at most 1100 bits of magnitude below 2^20), then Taylor
// series on |r| <= π/4.
func bigSinCos(x float64) (float64, float64) {
	s, c := bigSinCosBig(x)
	sf, _ := s.Float64()
	cf, _ := c.Float64()
	return sf, cf
}

// bigSinCosBig is bigSinCos before the rounding to float64: 300 bits.
func bigSinCosBig(x float64) (*big.Float, *big.Float) {
	const prec = 300
	pi, _, _ := big.ParseFloat(bigPi, 10, prec, big.ToNearestEven)
	halfPi := new(big.Float).SetPrec(prec).Quo(pi, big.NewFloat(2))
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	q, _ := new(big.Float).SetPrec(prec).Quo(bx, halfPi).Float64()
	n := math.Round(q)
	r := new(big.Float).SetPrec(prec).Mul(halfPi, new(big.Float).SetPrec(prec).SetFloat64(n))
	r.Sub(bx, r)
	// Taylor: s = Σ (-1)^k r^(2k+1)/(2k+1)!, c = Σ (-1)^k r^(2k)/(2k)!.
	r2 := new(big.Float).SetPrec(prec).Mul(r, r)
	s := new(big.Float).SetPrec(prec).Set(r)
	c := new(big.Float).SetPrec(prec).SetInt64(1)
	ts := new(big.Float).SetPrec(prec).Set(r)
	tc := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := int64(1); k < 60; k++ {
		tc.Mul(tc, r2)
		tc.Quo(tc, new(big.Float).SetInt64(-(2*k-1)*(2*k)))
		c.Add(c, tc)
		ts.Mul(ts, r2)
		ts.Quo(ts, new(big.Float).SetInt64(-(2*k)*(2*k+1)))
		s.Add(s, ts)
	}
	neg := func(v *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Neg(v) }
	switch int(math.Mod(n, 4)+4) % 4 {
	case 1:
		return c, neg(s)
	case 2:
		return neg(s), neg(c)
	case 3:
		return neg(c), s
	}
	return s, c
}

// runSinCos evaluates dsin and dcos at xs on the GPU: out[2i], out[2i+1].
func runSinCos(t *testing.T, c *Context, xs []float64) []float64 {
	t.Helper()
	return runFP64(t, c, "sin/cos", 2, "ys[2u * i] = rsin(xs[i]);\n\t\tys[2u * i + 1u] = rcos(xs[i]);", xs)
}

// runFP64 runs a test-only kernel over xs with fp64math.glsl included:
// body computes ys (perArg results per argument) from xs[i].
func runFP64(t *testing.T, c *Context, name string, perArg int, body string, xs []float64) []float64 {
	t.Helper()
	lib, err := shaders.Source("fp64math.glsl")
	if err != nil {
		t.Fatal(err)
	}
	return runFP64Lib(t, c, "fp64 "+name, lib, perArg, body, xs)
}

// runFP64Lib is runFP64 with the GLSL library lib (real is double) in
// place of fp64math.glsl alone.
func runFP64Lib(t *testing.T, c *Context, name, lib string, perArg int, body string, xs []float64) []float64 {
	t.Helper()
	src := "#version 430 core\n#define real double\n#define REAL_IS_DOUBLE 1\n" + lib + `
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer In { double xs[]; };
layout(std430, binding = 1) writeonly buffer Out { double ys[]; };
uniform uint count;
void main() {
	for (uint i = gl_GlobalInvocationID.x; i < count; i += gl_NumWorkGroups.x * 64u) {
		` + body + `
	}
}
`
	out := make([]float64, perArg*len(xs))
	err := c.do(func() error {
		p, err := c.program(name+" test", src)
		if err != nil {
			return err
		}
		defer p.release()
		in, err := newBuffer("test arguments", len(xs), 8)
		if err != nil {
			return err
		}
		defer in.delete()
		res, err := newBuffer("test results", len(out), 8)
		if err != nil {
			return err
		}
		defer res.delete()
		uploadRaw(in, unsafe.Pointer(&xs[0]))
		p.use()
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, in.id)
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 1, res.id)
		p.setUint("count", uint32(len(xs)))
		gl.DispatchCompute(64, 1, 1)
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
		gl.BindBuffer(gl.COPY_READ_BUFFER, res.id)
		gl.GetBufferSubData(gl.COPY_READ_BUFFER, 0, 8*len(out), unsafe.Pointer(&out[0]))
		gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
		return c.glError()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFP64Exp runs fp64math.glsl's dexp in a test-only kernel: within
// 1 ulp of e^x computed in 300-bit arithmetic (math/big, correctly
// rounded) and within 2 ulps of Go's math.Exp over the normal range. Go's
// pure-Go Exp is fdlibm's too, but on amd64 math.Exp is assembly that is
// itself up to about 1 ulp off the other way (so the two differ by up to
// 2 ulps in ~15% of arguments), and it returns +Inf for
// exp(709.782712893384) = 1.7976931348622732e308, which is finite and
// which dexp gets right; that argument is judged by the exact reference
// alone. Below -708.4
// the result is subnormal and fdlibm rounds twice (it scales by 2^-1000
// last), still within 1 ulp of the subnormal; overflow, underflow, NaN and
// the infinities as documented.
func TestFP64Exp(t *testing.T) {
	c := openTest(t, Options{})
	r := rand.New(rand.NewPCG(3, 4))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0x1p-28, 0x1p-29, -0x1p-29, 0.5 * math.Ln2, math.Nextafter(0.5*math.Ln2, 1),
		1.5 * math.Ln2, -1.5 * math.Ln2, math.Ln2, 709.78, 709.7827128933840, -708.39, -700, 1e-300}
	for i := 0; i < 3000; i++ {
		xs = append(xs, (2*r.Float64()-1)*0.5, (2*r.Float64()-1)*20, (2*r.Float64()-1)*708)
	}
	normal := len(xs)
	for i := 0; i < 200; i++ {
		xs = append(xs, -708.5-r.Float64()*36.5) // subnormal results
	}
	special := len(xs)
	xs = append(xs, 709.8, 1000, -746, -1000, math.Inf(1), math.Inf(-1), math.NaN())
	want := []float64{math.Inf(1), math.Inf(1), 0, 0, math.Inf(1), 0, math.NaN()}

	out := runKernel(t, c, "dexp", xs)
	ulp := func(v float64) float64 {
		v = math.Abs(v)
		return math.Nextafter(v, math.Inf(1)) - v
	}
	bad, worst, goDiff, goWorst := 0, 0.0, 0, 0.0
	for i, x := range xs {
		got := out[i]
		var ok bool
		var ref float64
		switch {
		case i < special:
			ref = bigExp(x)
			d := math.Abs(got - ref)
			ok = d <= ulp(ref)
			if i < normal {
				worst = math.Max(worst, d/ulp(ref))
				if !math.IsInf(math.Exp(x), 0) {
					goWorst = math.Max(goWorst, math.Abs(math.Exp(x)-ref)/ulp(ref))
					ok = ok && math.Abs(got-math.Exp(x)) <= 2*ulp(ref)
				}
			}
			if got != math.Exp(x) {
				goDiff++
			}
		default:
			ref = want[i-special]
			ok = got == ref || (math.IsNaN(ref) && math.IsNaN(got))
		}
		if !ok {
			if bad++; bad <= 10 {
				t.Errorf("exp(%.17g) = %.17g, want %.17g; Go %.17g", x, got, ref, math.Exp(x))
			}
		}
	}
	t.Logf("%d arguments; worst in the normal range %.3g ulp (Go's math.Exp %.3g ulp); %d differ from Go's bits", len(xs), worst, goWorst, goDiff)
}

// bigExp returns e^x correctly rounded (barring a tie closer than 2^-250
// relative) from 300-bit arithmetic: x = k ln2 + r, a Taylor series of e^r.
func bigExp(x float64) float64 {
	const prec = 300
	ln2 := new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec)
	for k := int64(1); k < 320; k++ { // ln 2 = Σ 1/(k 2^k)
		term.SetInt64(1)
		term.SetMantExp(term, -int(k))
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		ln2.Add(ln2, term)
	}
	k := math.Round(x / math.Ln2)
	r := new(big.Float).SetPrec(prec).Mul(ln2, new(big.Float).SetPrec(prec).SetFloat64(k))
	r.Sub(new(big.Float).SetPrec(prec).SetFloat64(x), r)
	s := new(big.Float).SetPrec(prec).SetInt64(1)
	tk := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := int64(1); n < 80; n++ {
		tk.Mul(tk, r)
		tk.Quo(tk, new(big.Float).SetPrec(prec).SetInt64(n))
		s.Add(s, tk)
	}
	s.SetMantExp(s, int(k))
	f, _ := s.Float64()
	return f
}

// runKernel evaluates fp64math.glsl's function fn at xs on the GPU.
func runKernel(t *testing.T, c *Context, fn string, xs []float64) []float64 {
	t.Helper()
	return runFP64(t, c, fn, 1, "ys[i] = "+fn+"(xs[i]);", xs)
}

// TestParityUserProblem runs a registered problem that reads three indices
// away (internal/testproblems.Reach3) through the driver on both backends,
// whole and in chunks of 64 elements, so that chunk edges fall everywhere
// and the neighbours come from the bound halo.
func TestParityUserProblem(t *testing.T) {
	ctx := openTest(t, Options{})
	chunked := openTest(t, Options{ChunkElems: 64})
	for _, opt := range []string{"sgd", "adam"} {
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			for _, c := range []*Context{ctx, chunked} {
				t.Run(fmt.Sprintf("%s/%s/chunked=%v", opt, prec, c == chunked), func(t *testing.T) {
					job := newJob(testproblems.ReachName, opt, 4099, prec)
					job.Optimizer.LR = 0.05
					job.Steps, job.LogEvery = 20, 4
					checkTrajectory(t, c, &job)
				})
			}
		}
	}
}

// TestFP64DivSqrtCorrectlyRounded checks the assumption under the tight
// GPU-f64-against-CPU bounds (docs/tolerances.md): GLSL double division
// and sqrt round correctly, as IEEE 754 and Go's / and math.Sqrt do. GLSL
// itself promises less, so a driver that fails this test fails those
// bounds for a known reason; scripts/gpu-check.sh runs it first. The
// arguments are spread over the exponent range, with exact and tie-prone
// cases (powers of two, 1 and 3, squares) among them. `precise` keeps the
// compiler from contracting or reassociating the operation under test.
func TestFP64DivSqrtCorrectlyRounded(t *testing.T) {
	c := openTest(t, Options{})
	r := rand.New(rand.NewPCG(17, 4))
	const n = 4096
	xs := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		a := math.Ldexp(1+r.Float64(), r.IntN(400)-200)
		b := math.Ldexp(1+r.Float64(), r.IntN(400)-200)
		switch i % 16 {
		case 0:
			a, b = 1, 3
		case 1:
			b = math.Ldexp(1, r.IntN(40)-20)
		case 2:
			a = b * b
		case 3:
			m := float64(r.IntN(1<<26) + 1)
			b = m * m // exact, so sqrt(b) = m
		}
		xs[2*i], xs[2*i+1] = a, b
	}
	got := runFP64Lib(t, c, "fp64 div sqrt", "", 1,
		"if ((i & 1u) == 0u) { precise double q = xs[i] / xs[i + 1u]; ys[i] = q; } else { precise double s = sqrt(xs[i]); ys[i] = s; }", xs)
	bad := 0
	for i := 0; i < n; i++ {
		a, b := xs[2*i], xs[2*i+1]
		if q := a / b; got[2*i] != q {
			if bad++; bad <= 5 {
				t.Errorf("%v / %v = %v on the GPU, %v correctly rounded", a, b, got[2*i], q)
			}
		}
		if s := math.Sqrt(b); got[2*i+1] != s {
			if bad++; bad <= 5 {
				t.Errorf("sqrt(%v) = %v on the GPU, %v correctly rounded", b, got[2*i+1], s)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d double divisions and square roots are not correctly rounded: the f64 tolerances of docs/tolerances.md do not hold on this driver", bad, 2*n)
	}
}

// TestFP64Atan: datan against Go's math.Atan, within 2 ulps (fdlibm's is
// within 1 ulp of atan, and so is Go's), over the reduction's interval
// ends and their neighbours, random arguments of every magnitude, and the
// special values. dasin and dacos, which go through datan, are measured
// against the true value, not Go's (whose Asin takes sqrt(1 - x*x) and
// loses up to millions of ulps next to +-1): the error of y = asin(x) is
// (sin y - x) / cos y to first order, with sin and cos in 300 bits
// (bigSinCosBig). Their limit, 2 ulps, is above the measured worst (1.26
// and 1.42 when written): atan's ulp and the roundings of (1-x)(1+x), the
// square root and the quotient add up, and no bound is proven.
func TestFP64Atan(t *testing.T) {
	c := openTest(t, Options{})
	r := rand.New(rand.NewPCG(3, 4))
	var xs []float64
	add := func(x float64) { xs = append(xs, x, -x) }
	for _, x := range []float64{0, math.SmallestNonzeroFloat64, 0x1p-27, 0x1p-28, 7.0 / 16, 11.0 / 16, 19.0 / 16, 39.0 / 16, 0.5, 1, 1.5, 0x1p66, 0x1p70, math.MaxFloat64} {
		add(x)
		add(math.Nextafter(x, 0))
		add(math.Nextafter(x, math.Inf(1)))
	}
	for range 2000 {
		add(2*r.Float64() - 1)
		add((2*r.Float64() - 1) * 4)
		add(math.Exp2(r.Float64()*2040 - 1020)) // log-uniform over most of the doubles
	}
	for range 1000 { // asin and acos next to +-1
		add(1 - math.Exp2(-1-r.Float64()*52))
	}
	body := "ys[3u * i] = ratan(xs[i]);\n\t\tys[3u * i + 1u] = rasin(xs[i]);\n\t\tys[3u * i + 2u] = racos(xs[i]);"
	out := runFP64(t, c, "atan", 3, body, xs)
	ulp := func(v float64) float64 {
		v = math.Abs(v)
		return math.Nextafter(v, math.Inf(1)) - v
	}
	// trueULPs is got's distance from the true asin (k = 1) or acos (k = 2)
	// of x, in ulps of got.
	trueULPs := func(k int, x, got float64) float64 {
		sb, cb := bigSinCosBig(got)
		num, den := sb, cb // asin: (sin y - x) / cos y
		if k == 2 {
			num, den = cb, sb // acos: (cos y - x) / -sin y
		}
		d := new(big.Float).SetPrec(300).Sub(num, new(big.Float).SetFloat64(x))
		d.Quo(d, den)
		e, _ := d.Float64()
		return math.Abs(e) / ulp(got)
	}
	var worst [3]float64
	for i, x := range xs {
		for k := range 3 {
			got := out[3*i+k]
			var u float64
			if k == 0 {
				want := math.Atan(x)
				if got != want {
					u = math.Abs(got-want) / ulp(want)
				}
			} else if math.Abs(x) > 1 {
				if !math.IsNaN(got) {
					u = math.Inf(1)
				}
			} else if math.IsNaN(got) || math.IsInf(got, 0) {
				u = math.Inf(1)
			} else if got != 0 {
				u = trueULPs(k, x, got)
			} else if x != [3]float64{0, 0, 1}[k] {
				u = math.Inf(1) // only asin(0) and acos(1) are 0
			}
			worst[k] = math.Max(worst[k], u)
			if limit := 2.0; u > limit {
				t.Errorf("%s(%v) = %v: %.3g ulps off (limit %g)", [3]string{"atan", "asin", "acos"}[k], x, got, u, limit)
			}
		}
	}
	t.Logf("largest errors: atan %.3g ulps from Go's, asin %.3g and acos %.3g ulps from the true values", worst[0], worst[1], worst[2])
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1.5, -2, 1, -1}
	got := runFP64(t, c, "atan specials", 3, body, specials)
	for i, x := range specials {
		for k, want := range []float64{math.Atan(x), math.Asin(x), math.Acos(x)} {
			if g := got[3*i+k]; !(g == want || (math.IsNaN(g) && math.IsNaN(want))) {
				t.Errorf("%s(%v) = %v, want %v", [3]string{"atan", "asin", "acos"}[k], x, g, want)
			}
		}
	}
}
