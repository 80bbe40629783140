//go:build !amd64 || purego

package cpu

// useAVX is false: this build has no vector kernels (see simd.go).
var useAVX = false

// adamVec takes no elements here: adamScalar runs them all.
func (k *kernel) adamVec(x, g, m, v, vmax []float64) int { return 0 }

// allFinite reports whether every value of v is finite.
func allFinite(v []float64) bool { return allFiniteGo(v) }

// rosenTermsVec takes no elements here: the scalar loop runs them all.
func rosenTermsVec(t, xs []float64) int { return 0 }

// rosenGradVec takes no elements here: the scalar loop runs them all.
func rosenGradVec(gs, xs []float64) int { return 0 }

// quadTermsVec takes no elements here: the scalar loop runs them all.
func quadTermsVec(t, c, xs []float64) int { return 0 }

// quadGradVec takes no elements here: the scalar loop runs them all.
func quadGradVec(g, c, xs []float64) int { return 0 }
