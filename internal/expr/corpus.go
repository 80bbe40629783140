package expr

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The generator of random objectives the gradient tests use (this
// package's, and gradcheck's on both backends): smooth terms over the
// whole grammar, their arguments kept in their domains (logs and square
// roots of 1 + a square, prod factors near 1), so that central
// differences hold at points drawn from [0.3, 1.2].

// RandomObjective draws an objective: definitions, then a sum of
// aggregates of random smooth terms, or (one time in three) a smooth
// non-linear function of two aggregates, one of them perhaps a prod of
// factors kept away from 0 (a pre-pass objective).
func RandomObjective(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		agg := func() string {
			switch r.IntN(3) {
			case 0:
				return "prod(1 + 0.1*sin(" + RandomTerm(r, 2, 0) + "))"
			case 1:
				return "mean(" + RandomTerm(r, 2, 0) + ")"
			}
			return "sum(" + RandomTerm(r, 2, 0) + ")"
		}
		a, b := agg(), agg()
		return fmt.Sprintf([]string{"log(1 + (%s)^2) + %s", "sqrt(1 + (%s)^2) * (1 + 0.1*(%s)^2)", "exp(-0.01*(%s)^2) + sin(%s)", "(%s) * (%s) / n"}[r.IntN(4)], a, b)
	}
	var b strings.Builder
	defs := 0
	if r.IntN(3) == 0 {
		b.WriteString("w = " + RandomTerm(r, 2, 0) + "; ")
		defs = 1
	}
	parts := []string{}
	for a := 0; a < 1+r.IntN(2); a++ {
		agg := []string{"sum", "mean"}[r.IntN(2)]
		coef := []string{"", "2*", "0.5*", "n*", "(1/n)*"}[r.IntN(5)]
		parts = append(parts, coef+agg+"("+RandomTerm(r, 3, defs)+")")
	}
	b.WriteString(strings.Join(parts, " + "))
	if r.IntN(2) == 0 {
		b.WriteString(" + 3")
	}
	return b.String()
}

// RandomTerm draws a smooth per-index term of the given depth.
func RandomTerm(r *rand.Rand, depth, defs int) string {
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
	a, b := RandomTerm(r, depth-1, defs), RandomTerm(r, depth-1, defs)
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
