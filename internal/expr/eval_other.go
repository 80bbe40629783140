//go:build !amd64 || purego

package expr

// blockVec takes no elements here: the scalar loops run them all.
func blockVec(in *vinstr, d, a, b []float64) int { return 0 }
