//go:build !amd64 || purego

package expr

// blockVec takes no elements here: the scalar loops run them all.
func blockVec(in *vinstr, d, a, b []float64) int { return 0 }

// blockAcc is never called here: fusedAt is false without AVX.
func blockAcc(in *vinstr, d, a, b []float64, acc bool) { panic("expr: blockAcc without AVX") }
