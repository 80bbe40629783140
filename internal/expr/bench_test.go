package expr

import "testing"

// The generated CPU gradient of chained Rosenbrock over 1e6 parameters,
// in ranges of 256 as the CPU backend asks for them (one goroutine), into
// a range-long buffer as the backend's (so x is the only vector read from
// memory):
// BenchmarkGrad the gradient alone, BenchmarkTermsGrad the terms and the
// gradient in one pass (what the backend's step calls), each with the
// compiled loops (jit.go, where this platform has them) and with the
// interpreter alone. cpu's
// BenchmarkTypedStep compares a whole step with the hand-written
// kernel's (BENCHMARKS.md, "Typed objectives").
// BenchmarkTermsGradRastrigin is BenchmarkTermsGrad's pass for
// Rastrigin, whose cost is its sin and cos.
func BenchmarkGrad(b *testing.B) { benchEval(b, "grad", rosenText) }

func BenchmarkTermsGrad(b *testing.B) { benchEval(b, "termsgrad", rosenText) }

func BenchmarkTermsGradRastrigin(b *testing.B) {
	benchEval(b, "termsgrad", "10*n+sum(x[i]^2-10*cos(2*pi*x[i]))")
}

const rosenText = "sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)"

func benchEval(b *testing.B, what, text string) {
	for _, jit := range []bool{true, false} {
		name := "interpreter"
		if jit {
			name = "jit"
		}
		b.Run(name, func(b *testing.B) {
			defer func(was bool) { jitOn = was }(jitOn)
			jitOn = jit
			benchEvalOnce(b, what, text)
		})
	}
}

func benchEvalOnce(b *testing.B, what, text string) {
	o, err := Parse(text)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000000
	x := make([]float64, n)
	for i := range x {
		x[i] = 0.5 + float64(i%7)*0.1
	}
	g, t := make([]float64, 256), make([]float64, 256)
	b.SetBytes(8 * n)
	for b.Loop() {
		for lo := 0; lo < n; lo += 256 {
			hi := min(lo+256, n)
			t, g := t[:hi-lo], g[:hi-lo]
			switch what {
			case "grad":
				o.Grad(g, x, lo, hi, n, nil)
			case "termsgrad":
				o.TermsGrad(t, g, x, lo, hi, n, nil)
			}
		}
	}
}
