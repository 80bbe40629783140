//go:build !amd64 || purego

package cpu

// useAVX is false: this build has no vector kernels (see simd.go).
var useAVX = false

// allFinite reports whether every value of v is finite.
func allFinite(v []float64) bool { return allFiniteGo(v) }
