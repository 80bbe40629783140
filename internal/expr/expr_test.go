package expr

import (
	"errors"
	"fmt"
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
		{"exp(sum(x[i])) + mean(x[i]) + prod(x[i])", 29, "3 aggregates"},
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
		src := randomObjective(r)
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

// randomObjective draws an objective: definitions, then a sum of
// aggregates of random smooth terms, or (one time in three) a smooth
// non-linear function of two aggregates, one of them perhaps a prod of
// factors kept away from 0 (a pre-pass objective).
func randomObjective(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		agg := func() string {
			switch r.IntN(3) {
			case 0:
				return "prod(1 + 0.1*sin(" + randomTerm(r, 2, 0) + "))"
			case 1:
				return "mean(" + randomTerm(r, 2, 0) + ")"
			}
			return "sum(" + randomTerm(r, 2, 0) + ")"
		}
		a, b := agg(), agg()
		return fmt.Sprintf([]string{"log(1 + (%s)^2) + %s", "sqrt(1 + (%s)^2) * (1 + 0.1*(%s)^2)", "exp(-0.01*(%s)^2) + sin(%s)", "(%s) * (%s) / n"}[r.IntN(4)], a, b)
	}
	var b strings.Builder
	defs := 0
	if r.IntN(3) == 0 {
		b.WriteString("w = " + randomTerm(r, 2, 0) + "; ")
		defs = 1
	}
	parts := []string{}
	for a := 0; a < 1+r.IntN(2); a++ {
		agg := []string{"sum", "mean"}[r.IntN(2)]
		coef := []string{"", "2*", "0.5*", "n*", "(1/n)*"}[r.IntN(5)]
		parts = append(parts, coef+agg+"("+randomTerm(r, 3, defs)+")")
	}
	b.WriteString(strings.Join(parts, " + "))
	if r.IntN(2) == 0 {
		b.WriteString(" + 3")
	}
	return b.String()
}

// randomTerm draws a smooth per-index term of the given depth.
func randomTerm(r *rand.Rand, depth, defs int) string {
	if depth == 0 || r.IntN(4) == 0 {
		switch r.IntN(5) {
		case 0:
			return []string{"1.5", "0.25", "3", "pi"}[r.IntN(4)]
		case 1:
			if defs > 0 {
				return "w"
			}
			return "x[i]"
		case 2:
			return "i"
		default:
			return []string{"x[i]", "x[i+1]", "x[i-1]", "x[i+2]"}[r.IntN(4)]
		}
	}
	a, b := randomTerm(r, depth-1, defs), randomTerm(r, depth-1, defs)
	switch r.IntN(16) {
	case 0:
		return "(" + a + " + " + b + ")"
	case 1:
		return "(" + a + " - " + b + ")"
	case 2:
		return "(" + a + " * " + b + ")"
	case 3:
		return "(" + a + " / (2 + " + b + "^2))"
	case 4:
		return "(" + a + ")^2"
	case 5:
		return "sin(" + a + ")"
	case 6:
		return "cos(" + a + ")"
	case 7:
		return "exp(-(" + a + ")^2)"
	case 8:
		return "log(1 + (" + a + ")^2)"
	case 9:
		return "sqrt(1 + (" + a + ")^2)"
	case 10:
		return "tanh(" + a + ")"
	case 11:
		return "sigmoid(" + a + ")"
	case 12:
		return "softplus(" + a + ")"
	case 13:
		return "atan(" + a + ")"
	case 14:
		return "pow(1 + (" + a + ")^2, 0.75)"
	}
	return "log1p((" + a + ")^2) + expm1(0.1*" + b + ")"
}
