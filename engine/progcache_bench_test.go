package engine

import (
	"testing"

	"github.com/gdgpu/gdgpu"
)

// BenchmarkSecondBackend times opening and closing a backend while
// another of the same job is open on the Context (view's races,
// compare): with the program cache it compiles nothing. BENCHMARKS.md
// records the figures.
func BenchmarkSecondBackend(b *testing.B) {
	for _, tc := range []struct {
		name string
		job  gdgpu.Job
	}{
		{"rosenbrock,adam,f32", newJob("rosenbrock", "adam", 1<<16, gdgpu.F32)},
		{"ackley,nadam,f64", newJob("ackley", "nadam", 1<<16, gdgpu.F64)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := openTest(b, Options{})
			openBackend(b, c, &tc.job)
			b.ResetTimer()
			for range b.N {
				second, err := c.NewBackend(&tc.job)
				if err != nil {
					b.Fatal(err)
				}
				if err := second.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
