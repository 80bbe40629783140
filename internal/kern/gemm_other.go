//go:build !amd64 || purego

package kern

// Gemm returns false before it reaches these where UseAVX is false.

func gemmAxpyAVX(c *float64, ldc, mb int, vals *float64, offs, cnts *int, ls int, b *float64, n int) {
	panic("kern: no AVX kernels in this build")
}

func gemmDot2x4AVX(c *float64, ldc int, a *float64, lda int, b *float64, ldb, k int) {
	panic("kern: no AVX kernels in this build")
}

func gemmDot1AVX(c, a, b *float64, k int) { panic("kern: no AVX kernels in this build") }
