//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// useAVX selects the AVX kernels of simd_amd64.s: the CPU has AVX and the
// OS saves the YMM registers (x/sys/cpu checks both). Tests turn it off to
// run the scalar loops on the same inputs.
var useAVX = cpu.X86.HasAVX

// adamAVX runs Adam's step (kernel.adamScalar) on elements 0..n-1 of x,
// grad, m, v and, with amsgrad (c.flags), vmax; n is a positive multiple
// of 4.
//
//go:noescape
func adamAVX(x, grad, m, v, vmax *float64, n int, c *adamConsts)

// allFiniteAVX reports whether p[0..n-1] are all finite; n is a multiple
// of 16.
//
//go:noescape
func allFiniteAVX(p *float64, n int) bool

// adamVec runs Adam's step on the longest prefix of x that the AVX kernel
// takes (a multiple of 4 elements) and returns its length: 0 without AVX.
// The caller runs the rest through adamScalar. k.vec must be built
// (newKernel does it for Adam).
func (k *kernel) adamVec(x, g, m, v, vmax []float64) int {
	n := len(x) &^ 3
	if !useAVX || n == 0 {
		return 0
	}
	g, m, v = g[:n], m[:n], v[:n] // the scalar loop's bounds, checked once
	var pmax *float64
	if k.amsgrad {
		pmax = &vmax[:n][0]
	}
	adamAVX(&x[0], &g[0], &m[0], &v[0], pmax, n, &k.vec)
	return n
}

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
