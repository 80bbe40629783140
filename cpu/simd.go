package cpu

// Vector kernels. Adam's two divisions and square root per element bound
// its scalar loop (BENCHMARKS.md, "CPU: multi-core"); IEEE division and
// square root are correctly rounded in every lane of a vector instruction
// as in a scalar one, so a vector loop that performs the same operations
// in the same order, with no FMA, gives the same bits. On amd64 with AVX
// part.check runs 4 lanes at a time (simd_amd64.go), and so do Adam's
// update and the loss terms and gradient of Rosenbrock and the quadratic
// (internal/kern's kernels, called by gdgpu's optimizer_adam.go,
// problem_rosenbrock.go and problem_quadratic.go), which bounded the
// fused Rosenbrock+Adam step once Adam was vectorised; on other
// architectures, without AVX, or built with the purego tag
// (simd_other.go) they run the scalar loops. TestAllFiniteVector, and
// gdgpu's TestAdamVectorBits and TestObjectiveVectorBits, require the
// same bits from both, and the objective's from the code before its
// kernels.

// allFiniteGo reports whether every value of v is finite. v[j]*0 is 0 for
// a finite value and NaN otherwise, so the common, finite case costs one
// multiply-add per value and no branch, spread over four accumulators so
// that the adds do not wait on each other (one chain cost about a third
// of an Adam step).
func allFiniteGo(v []float64) bool {
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		w := v[i : i+4 : i+4]
		a0 += float64(w[0] * 0)
		a1 += float64(w[1] * 0)
		a2 += float64(w[2] * 0)
		a3 += float64(w[3] * 0)
	}
	for _, e := range v[i:] {
		a0 += float64(e * 0)
	}
	return (a0+a1)+(a2+a3) == 0
}
