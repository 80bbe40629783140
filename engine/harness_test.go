package engine

// The one shared harness for GPU-vs-CPU parity: every check that the GPU
// computes what the float64 reference computes goes through compareVec or
// compareScalars, with the bounds of parityTol.

import (
	"math"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// parityTol is the agreement the GPU owes the CPU reference after a few
// steps from identical inputs: |gpu - cpu| <= rel*|cpu| + abs*scale, where
// scale is the largest |cpu| of the vector (so elements near zero are judged
// against the vector's size, not their own).
//
//   - f64: the two sides run the same operations in the same order; only
//     FMA contraction by the GLSL compiler and reduction order differ, each
//     worth an ulp or so per operation: a few times 1e-16 per step. 1e-12
//     (the design notes' per-step bound) leaves room for 7 steps of
//     amplification by divisions and square roots without hiding a wrong
//     rule, which is off by far more.
//   - f32: inputs and every intermediate are rounded to float32 (u = 6e-8);
//     GLSL allows 2.5 ulp division and about 3 ulp sqrt in float. One step
//     of the longest rule chains about 10 such operations, so an element can
//     be off by ~30u = 2e-6 relative per step; 7 steps, 1e-5.
func parityTol(p gdgpu.Precision) (rel, abs float64) {
	if p == gdgpu.F64 {
		return 1e-12, 1e-13
	}
	return 1e-5, 1e-6
}

// compareVec fails the test when got (GPU) and want (CPU) disagree beyond
// the precision's bound, naming the worst element.
func compareVec(t *testing.T, what string, p gdgpu.Precision, got, want []float64) {
	t.Helper()
	rel, abs := parityTol(p)
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	worst, worstI := 0.0, -1
	for i := range want {
		d := math.Abs(got[i] - want[i])
		bound := rel*math.Abs(want[i]) + abs*scale
		if !(d <= bound) { // also catches NaN
			if r := d / bound; worstI < 0 || r > worst || math.IsNaN(d) {
				worst, worstI = r, i
			}
		}
	}
	if worstI >= 0 {
		t.Errorf("%s: element %d: gpu %v, cpu %v (%.3g times the %s bound rel %g + abs %g*%g)",
			what, worstI, got[worstI], want[worstI], worst, p, rel, abs, scale)
	}
}

// compareScalars compares sums over n terms (losses, norms). Each is a
// sum of positive terms, so its relative error is bounded by the terms'
// own error plus the summation's: about log2(n) rounding errors. The
// bound scales the element bound by that.
func compareScalars(t *testing.T, what string, p gdgpu.Precision, n int, got, want []float64) {
	t.Helper()
	rel, _ := parityTol(p)
	rel *= math.Log2(float64(n)) + 1
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= rel*math.Abs(want[i])) {
			t.Errorf("%s[%d]: gpu %v, cpu %v: relative %.3g > %.3g", what, i, got[i], want[i], d/math.Abs(want[i]), rel)
		}
	}
}

func roundF32(x []float64) {
	for i := range x {
		x[i] = float64(float32(x[i]))
	}
}

// compareSamples compares two runs' samples: the same steps, then the
// losses and gradient norms by compareScalars over n terms, and a model's
// accuracy, validation loss and validation accuracy the same way (exact
// fractions on both sides unless a prediction flips).
func compareSamples(t *testing.T, prec gdgpu.Precision, n int, got, want []gdgpu.Sample) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("gpu %d samples, cpu %d", len(got), len(want))
	}
	var g, w []float64
	for i := range want {
		if got[i].Step != want[i].Step {
			t.Fatalf("sample %d: gpu step %d, cpu %d", i, got[i].Step, want[i].Step)
		}
		g = append(g, got[i].Loss, got[i].GradNorm, got[i].Accuracy, got[i].ValLoss, got[i].ValAccuracy)
		w = append(w, want[i].Loss, want[i].GradNorm, want[i].Accuracy, want[i].ValLoss, want[i].ValAccuracy)
	}
	compareScalars(t, "samples (loss, gradient norm, accuracy, validation loss, validation accuracy)", prec, n, g, w)
}
