//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// useAVX selects the AVX kernels of simd_amd64.s: the CPU has AVX and the
// OS saves the YMM registers (x/sys/cpu checks both). Tests turn it off to
// run the scalar loops on the same inputs.
var useAVX = cpu.X86.HasAVX

// allFiniteAVX reports whether p[0..n-1] are all finite; n is a multiple
// of 16.
//
//go:noescape
func allFiniteAVX(p *float64, n int) bool

// allFinite reports whether every value of v is finite.
func allFinite(v []float64) bool {
	if !useAVX {
		return allFiniteGo(v)
	}
	n := len(v) &^ 15
	if n > 0 && !allFiniteAVX(&v[0], n) {
		return false
	}
	return allFiniteGo(v[n:])
}
