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

// rosenTermsAVX writes Rosenbrock's terms t[0..n-1] from x[0..n]; n is a
// positive multiple of 4.
//
//go:noescape
func rosenTermsAVX(t, x *float64, n int)

// rosenGradAVX writes dst[j], Rosenbrock's gradient at x[j+1] between
// x[j] and x[j+2], for j < n; n is a positive multiple of 4.
//
//go:noescape
func rosenGradAVX(dst, x *float64, n int)

// quadTermsAVX writes the quadratic's terms (c[j]*x[j])*x[j], or x[j]*x[j]
// when c is nil, for j < n; n is a positive multiple of 4.
//
//go:noescape
func quadTermsAVX(t, c, x *float64, n int)

// quadGradAVX writes the quadratic's gradient dst[j] = c[j]*x[j] for
// j < n; n is a positive multiple of 4.
//
//go:noescape
func quadGradAVX(dst, c, x *float64, n int)

// rosenTermsVec writes Rosenbrock's terms t[j] (from xs[j] and xs[j+1])
// for the longest prefix of t that the AVX kernel takes and returns its
// length: 0 without AVX. len(xs) > len(t).
func rosenTermsVec(t, xs []float64) int {
	n := len(t) &^ 3
	if !useAVX || n == 0 {
		return 0
	}
	_ = xs[n] // the kernel reads xs[0..n]
	rosenTermsAVX(&t[0], &xs[0], n)
	return n
}

// rosenGradVec writes gs[j], Rosenbrock's gradient at xs[j+1] between
// xs[j] and xs[j+2], for the longest prefix of gs that the AVX kernel
// takes and returns its length: 0 without AVX. len(xs) > len(gs)+1.
func rosenGradVec(gs, xs []float64) int {
	n := len(gs) &^ 3
	if !useAVX || n == 0 {
		return 0
	}
	_ = xs[n+1] // the kernel reads xs[0..n+1]
	rosenGradAVX(&gs[0], &xs[0], n)
	return n
}

// quadTermsVec writes the quadratic's terms for the longest prefix of xs
// that the AVX kernel takes and returns its length: 0 without AVX. c is
// nil (every c_i is 1) or as long as xs, and so is t.
func quadTermsVec(t, c, xs []float64) int {
	n := len(xs) &^ 3
	if !useAVX || n == 0 {
		return 0
	}
	t = t[:n] // the bounds the scalar loop checks
	var pc *float64
	if c != nil {
		pc = &c[:n][0]
	}
	quadTermsAVX(&t[0], pc, &xs[0], n)
	return n
}

// quadGradVec writes the quadratic's gradient c[j]*xs[j] for the longest
// prefix of xs that the AVX kernel takes and returns its length: 0
// without AVX. g and c are as long as xs.
func quadGradVec(g, c, xs []float64) int {
	n := len(xs) &^ 3
	if !useAVX || n == 0 {
		return 0
	}
	g, c = g[:n], c[:n]
	quadGradAVX(&g[0], &c[0], &xs[0], n)
	return n
}
