package expr

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRefusals: every refusal names its column, and the caret line points
// at it.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		src  string
		col  int
		want string
	}{
		{"", 1, "empty"},
		{"sum(x)", 5, "x is the whole vector"},
		{"x[i] + 1", 1, "only inside"},
		{"sum(x[i+1.5])", 9, "whole number"},
		{"sum(x[j])", 7, "an index is i"},
		{"sum(sum(x[i]))", 5, "do not nest"},
		{"foo + sum(x[i])", 1, `unknown name "foo"`},
		{"exp(sum(x[i])) + mean(x[i]) + prod(x[i])", 31, "3 aggregates"},
		{"sum(x[i]) $ ²", 11, "unexpected character \"$\""},
		{"sum(x[i]²)", 9, "unexpected character \"²\""},
		{"sum(1e400*x[i])", 5, "out of float64's range"},
		{"exp(sum(x))", 9, "x is the whole vector"},
		{"prod(x[i]) + i", 14, "i is the index"},
		{"w = x[i]; w + 1", 5, "only inside"},
		{"sum(x[i]) + ", 13, "expected a number"},
		{"sum(sin(x[i], 2))", 5, "takes 1 argument"},
		{"sum(frob(x[i]))", 5, `unknown function "frob"`},
		{"sum(x[i]) + i", 13, "i is the index"},
		{"a = a + 1; sum(x[i]) * a", 5, "in terms of itself"},
		{"sin = 2; sum(x[i])", 1, "reserved"},
		{"3 + 4", 3, "does not depend on x"},
		{"sum(x[i]) $", 11, "unexpected character"},
		{"sum(x[i] = 2)", 10, `expected ")"`},
		{"sum(x[i+200] - x[i])", 1, "span at most 128"},
	} {
		_, err := Parse(tc.src)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: %v, want an *Error", tc.src, err)
			continue
		}
		if e.Pos+1 != tc.col || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "column ") {
			t.Errorf("%q: column %d, %q; want column %d and %q", tc.src, e.Pos+1, err, tc.col, tc.want)
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != 3 || strings.Index(lines[2], "^")-2 != e.Pos-strings.LastIndexByte(tc.src[:min(e.Pos, len(tc.src))], '\n')-1 {
			t.Errorf("%q: the caret is not under the column:\n%s", tc.src, err)
		}
	}
}

// FuzzParse: no input panics; a refusal is an *Error whose column lies in
// the source; an accepted objective evaluates without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)", "w = 1 + (x[i]-1)/4; sum((w-1)^2*(1 + 10*sin(pi*w+1)^2))",
		"mean(x[i]^2) * n + 3", "sum(min(x[i], x[i-2]) + max(abs(x[i]), softplus(x[i+3])))", "sum(x[i])^2", "sum(pow(x[i]^2 + 1, 0.5))",
		"a = 2; b = a*n; sum(b*x[i]^2)/b", "sum(sigmoid(x[i]) * tanh(x[i-1]) / (1 + exp(-x[i])))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		o, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Pos < 0 || e.Pos > len(src) {
				t.Fatalf("%q: %v", src, err)
			}
			_ = err.Error()
			return
		}
		n := o.MinDim + 3
		x := make([]float64, n)
		for i := range x {
			x[i] = 0.5 + 0.1*float64(i)
		}
		tt, g, glob := make([]float64, n), make([]float64, n), make([]float64, 3)
		if o.Pre {
			o.Prepare(glob, x, n)
		}
		o.Terms(tt, x, 0, n, n, glob)
		o.Grad(g, x, 0, n, n, glob)
		_ = o.GLSL()
		_ = o.String()
	})
}

// loss sums the terms.
func loss(o *Objective, x []float64) float64 {
	t, glob := make([]float64, len(x)), make([]float64, 3)
	if o.Pre {
		o.Prepare(glob, x, len(x))
	}
	o.Terms(t, x, 0, len(x), len(x), glob)
	s := 0.0
	for _, v := range t {
		s += v
	}
	return s
}

// TestGradientCorpus: the symbolic gradient of 90 random expressions over
// the whole grammar agrees with central differences of the loss, at points
// drawn away from kinks and poles (the generator keeps arguments in their
// domains: logs and square roots of 1 + a square, and so on).
func TestGradientCorpus(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	checked, pre := 0, 0
	for c := 0; c < 90; c++ {
		src := RandomObjective(r)
		o, err := Parse(src)
		if err != nil {
			t.Fatalf("generated %q: %v", src, err)
		}
		n := o.MinDim + 5
		x := make([]float64, n)
		for i := range x {
			x[i] = 0.3 + 0.9*r.Float64()
		}
		g, glob := make([]float64, n), make([]float64, 3)
		if o.Pre {
			o.Prepare(glob, x, n)
		}
		o.Grad(g, x, 0, n, n, glob)
		for j := range x {
			h := 1e-6 * max(1, math.Abs(x[j]))
			xp := append([]float64(nil), x...)
			xm := append([]float64(nil), x...)
			xp[j] += h
			xm[j] -= h
			fd := (loss(o, xp) - loss(o, xm)) / (2 * h)
			scale := max(1, math.Abs(fd), math.Abs(g[j]), math.Abs(loss(o, x)))
			if math.Abs(fd-g[j]) > 1e-5*scale {
				t.Errorf("%q: ∂f/∂x[%d] = %.12g symbolic, %.12g by central differences", src, j, g[j], fd)
				break
			}
		}
		checked++
		if o.Pre {
			pre++
		}
	}
	if checked < 40 || pre < 15 {
		t.Fatalf("only %d expressions checked, %d with a pre-pass", checked, pre)
	}
}

// TestGLSLEmptyGroup: a pre-pass objective whose terms do not read x[i]
// has nothing to compute at shift 0; its function still compiles (it once
// held "if (!())"; gradcheck's corpus on the GPU found it).
func TestGLSLEmptyGroup(t *testing.T) {
	o, err := Parse("exp(-mean(x[i+2]^2))")
	if err != nil {
		t.Fatal(err)
	}
	src := o.GLSL()
	if strings.Contains(src, "!()") || !strings.Contains(src, "void gd_shift_p0(int ip, out real f, out real g) {") {
		t.Errorf("shift 0 of a pre-pass objective reading x[i+2] only:\n%s", src)
	}
}

// TestReviewRegressions: a constant non-integer power is differentiated
// as b a^(b-1) a' (0, not NaN, where a is 0); a whole exponent above 64
// is products, right for a negative base; an aggregate named twice is one
// (two distinct ones fit the pre-pass).
func TestReviewRegressions(t *testing.T) {
	grad := func(src string, x []float64) []float64 {
		t.Helper()
		o, err := Parse(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		n := len(x)
		g, glob := make([]float64, n), make([]float64, 3)
		if o.Pre {
			o.Prepare(glob, x, n)
		}
		o.Grad(g, x, 0, n, n, glob)
		return g
	}
	g := grad("sum(max(x[i],0)^1.5)", []float64{0, -1, 0.5, 0, 1})
	want := []float64{0, 0, 1.5 * math.Sqrt(0.5), 0, 1.5}
	for i := range g {
		if math.Abs(g[i]-want[i]) > 1e-15 {
			t.Errorf("max(x,0)^1.5: g = %v, want %v", g, want)
			break
		}
	}
	if g := grad("sum(x[i]^65)", []float64{-1.01}); !(math.Abs(g[0]-65*math.Pow(-1.01, 64)) < 1e-9) {
		t.Errorf("x^65 at -1.01: %v, want %v", g[0], 65*math.Pow(-1.01, 64))
	}
	if _, err := Parse("s = mean(x[i]^2); s^2 + s + 1/s"); err != nil {
		t.Errorf("one aggregate named three times: %v", err)
	}
}

// TestInverseTrigNearOne: asin and acos keep their digits next to +-1,
// where Go's math.Acos is off by millions of ulps: acos(1-h) against its
// series sqrt(2h) (1 + h/12 + 3h^2/160), exact to far below an ulp for
// h <= 2^-20, within 2 ulps; asin(1-h) and acos(-(1-h)) through it; and
// the ends and NaNs.
func TestInverseTrigNearOne(t *testing.T) {
	ulp := func(v float64) float64 { v = math.Abs(v); return math.Nextafter(v, math.Inf(1)) - v }
	for k := 20; k <= 53; k++ {
		h := math.Ldexp(1, -k)
		x := 1 - h // exact
		want := math.Sqrt(2*h) * (1 + h/12 + 3*h*h/160)
		if got := eval1(opAcos, x); math.Abs(got-want) > 2*ulp(want) {
			t.Errorf("acos(1 - 2^-%d) = %v, want %v (%.3g ulps)", k, got, want, math.Abs(got-want)/ulp(want))
		}
		if got, want := eval1(opAsin, x), math.Pi/2-want; math.Abs(got-want) > 2*ulp(want) {
			t.Errorf("asin(1 - 2^-%d) = %v, want %v", k, got, want)
		}
		if got, want := eval1(opAcos, -x), math.Pi-want; math.Abs(got-want) > 2*ulp(want) {
			t.Errorf("acos(-(1 - 2^-%d)) = %v, want %v", k, got, want)
		}
	}
	for _, c := range []struct {
		op      op
		x, want float64
	}{
		{opAsin, 1, math.Pi / 2}, {opAsin, -1, -math.Pi / 2}, {opAsin, 0, 0}, {opAcos, 1, 0}, {opAcos, -1, math.Pi}, {opAcos, 0, math.Pi / 2},
	} {
		if got := eval1(c.op, c.x); got != c.want {
			t.Errorf("op %d at %v = %v, want %v", c.op, c.x, got, c.want)
		}
	}
	for _, x := range []float64{1.5, -2, math.NaN(), math.Inf(1)} {
		if a, b := eval1(opAsin, x), eval1(opAcos, x); !math.IsNaN(a) || !math.IsNaN(b) {
			t.Errorf("asin, acos(%v) = %v, %v: want NaN", x, a, b)
		}
	}
}
