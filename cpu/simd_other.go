//go:build !amd64 || purego

package cpu

// useAVX is false: this build has no vector kernels (see simd.go).
var useAVX = false

// adamVec takes no elements here: adamScalar runs them all.
func (k *kernel) adamVec(x, g, m, v, vmax []float64) int { return 0 }

// allFinite reports whether every value of v is finite.
func allFinite(v []float64) bool { return allFiniteGo(v) }
