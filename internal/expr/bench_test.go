package expr

import "testing"

// BenchmarkGrad: the generated CPU gradient of chained Rosenbrock over 1e6
// parameters, in ranges of 256 as the CPU backend asks for them (one
// goroutine). Compare with cpu's BenchmarkStep rows for the hand-written
// kernel (BENCHMARKS.md).
func BenchmarkGrad(b *testing.B) {
	o, err := Parse("sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)")
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000000
	x := make([]float64, n)
	for i := range x {
		x[i] = 0.5 + float64(i%7)*0.1
	}
	g := make([]float64, n)
	b.SetBytes(8 * n)
	for b.Loop() {
		for lo := 0; lo < n; lo += 256 {
			o.Grad(g[lo:min(lo+256, n)], x, lo, min(lo+256, n), n, nil)
		}
	}
}
