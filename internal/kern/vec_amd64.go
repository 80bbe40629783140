//go:build amd64 && !purego

package kern

import "golang.org/x/sys/cpu"

// UseAVX selects the AVX kernels of vec_amd64.s: the CPU has AVX and the
// OS saves the YMM registers (x/sys/cpu checks both). Tests turn it off to
// run the scalar loops on the same inputs.
var UseAVX = cpu.X86.HasAVX

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

// RosenTermsVec writes Rosenbrock's terms t[j] (from xs[j] and xs[j+1])
// for the longest prefix of t that the AVX kernel takes and returns its
// length: 0 without AVX. len(xs) > len(t).
func RosenTermsVec(t, xs []float64) int {
	n := len(t) &^ 3
	if !UseAVX || n == 0 {
		return 0
	}
	_ = xs[n] // the kernel reads xs[0..n]
	rosenTermsAVX(&t[0], &xs[0], n)
	return n
}

// RosenGradVec writes gs[j], Rosenbrock's gradient at xs[j+1] between
// xs[j] and xs[j+2], for the longest prefix of gs that the AVX kernel
// takes and returns its length: 0 without AVX. len(xs) > len(gs)+1.
func RosenGradVec(gs, xs []float64) int {
	n := len(gs) &^ 3
	if !UseAVX || n == 0 {
		return 0
	}
	_ = xs[n+1] // the kernel reads xs[0..n+1]
	rosenGradAVX(&gs[0], &xs[0], n)
	return n
}

// QuadTermsVec writes the quadratic's terms for the longest prefix of xs
// that the AVX kernel takes and returns its length: 0 without AVX. c is
// nil (every c_i is 1) or as long as xs, and so is t.
func QuadTermsVec(t, c, xs []float64) int {
	n := len(xs) &^ 3
	if !UseAVX || n == 0 {
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

// QuadGradVec writes the quadratic's gradient c[j]*xs[j] for the longest
// prefix of xs that the AVX kernel takes and returns its length: 0
// without AVX. g and c are as long as xs.
func QuadGradVec(g, c, xs []float64) int {
	n := len(xs) &^ 3
	if !UseAVX || n == 0 {
		return 0
	}
	g, c = g[:n], c[:n]
	quadGradAVX(&g[0], &c[0], &xs[0], n)
	return n
}

// sgdAVX steps x[0..n-1] by -lr*g; n is a positive multiple of 4.
//
//go:noescape
func sgdAVX(x, grad, lr *float64, n int)

// SGDVec takes plain gradient descent's step x[j] -= lr*g[j] (the product
// rounded, then the difference) for the longest prefix of x that the AVX
// kernel takes and returns its length: 0 without AVX. g is as long as x.
func SGDVec(x, g []float64, lr float64) int {
	n := len(x) &^ 3
	if !UseAVX || n == 0 {
		return 0
	}
	g = g[:n]
	sgdAVX(&x[0], &g[0], &lr, n)
	return n
}
