package engine

import (
	"errors"
	"math"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestBenchGEMM: BenchGEMM times every repetition, in both precisions,
// and refuses a product whose matrix passes one binding with ErrTooBig.
// No timed assertion.
func TestBenchGEMM(t *testing.T) {
	c := openTest(t, Options{})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		res, err := c.BenchGEMM(prec, 40, 3)
		if err != nil {
			t.Fatalf("%s: %v", prec, err)
		}
		if len(res.GPU) != 3 || res.Wall <= 0 {
			t.Errorf("%s: %d device times, wall %v", prec, len(res.GPU), res.Wall)
		}
	}
	n := int(math.Sqrt(float64(c.Info().MaxSSBOBlockSize)/4)) + 1
	if _, err := c.BenchGEMM(gdgpu.F32, n, 1); !errors.Is(err, ErrTooBig) {
		t.Errorf("%d x %d: %v, want ErrTooBig", n, n, err)
	}
	if _, err := c.BenchGEMM(gdgpu.F32, 8, 0); err == nil {
		t.Error("0 repetitions accepted")
	}
	if err := c.Finish(); err != nil {
		t.Error(err)
	}
}
