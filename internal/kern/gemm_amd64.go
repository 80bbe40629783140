//go:build amd64 && !purego

package kern

// gemmAxpyAVX adds, for each row i < mb of C (c, ldc apart), the products
// b[row, j]*vals[i*ls+t] for t < cnts[i], row the one at byte offset
// offs[i*ls+t] from b, to c[i, j] for every j < n: gemm.go's axpy form,
// 32, then 4, then 1 column at a time.
//
//go:noescape
func gemmAxpyAVX(c *float64, ldc, mb int, vals *float64, offs, cnts *int, ls int, b *float64, n int)

// gemmDot2x4AVX adds to c[i*ldc+j], i < 2, j < 4, gonum's DotUnitary of
// row i of a (lda apart) and row j of b (ldb apart), k long.
//
//go:noescape
func gemmDot2x4AVX(c *float64, ldc int, a *float64, lda int, b *float64, ldb, k int)

// gemmDot1AVX adds to *c gonum's DotUnitary of a and b, k long.
//
//go:noescape
func gemmDot1AVX(c, a, b *float64, k int)
