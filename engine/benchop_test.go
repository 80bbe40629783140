package engine

import (
	"testing"

	"github.com/gdgpu/gdgpu"
)

// Bench issues every operation without a GL error (debug context) and
// reads a time for each repetition; the step count advances only for the
// steps. No timed assertion.
func TestBenchOps(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 1 << 12}) // several chunks a dispatch
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		job := newJob("rosenbrock", "adam", 10000, prec)
		b := newBackend(t, c, &job)
		if err := b.Load(job.StartPoint()); err != nil {
			t.Fatal(err)
		}
		steps := 0
		for _, op := range []BenchOp{BenchCopy, BenchStep, BenchLoss, BenchGiven} {
			tm, err := b.Bench(op, 3)
			if err != nil {
				t.Fatalf("%s %s: %v", prec, op, err)
			}
			if len(tm.GPU) != 3 || tm.Wall <= 0 {
				t.Errorf("%s %s: %d GPU times, wall %v", prec, op, len(tm.GPU), tm.Wall)
			}
			for i, d := range tm.GPU {
				if d <= 0 {
					t.Errorf("%s %s: repetition %d took %v", prec, op, i, d)
				}
			}
			if op == BenchStep || op == BenchGiven {
				steps += 4 // warm-up and 3 repetitions
			}
			if b.StepCount() != steps {
				t.Errorf("%s %s: step count %d, want %d", prec, op, b.StepCount(), steps)
			}
		}
		x := make([]float64, job.Dim)
		if err := b.Params(x); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Bench(BenchCopy, 0); err == nil {
			t.Error("Bench with 0 repetitions did not fail")
		}
	}
}
