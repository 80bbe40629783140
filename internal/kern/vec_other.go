//go:build !amd64 || purego

package kern

// UseAVX is false: this build has no vector kernels.
var UseAVX = false

// RosenTermsVec takes no elements here: the scalar loop runs them all.
func RosenTermsVec(t, xs []float64) int { return 0 }

// RosenGradVec takes no elements here: the scalar loop runs them all.
func RosenGradVec(gs, xs []float64) int { return 0 }

// QuadTermsVec takes no elements here: the scalar loop runs them all.
func QuadTermsVec(t, c, xs []float64) int { return 0 }

// QuadGradVec takes no elements here: the scalar loop runs them all.
func QuadGradVec(g, c, xs []float64) int { return 0 }

// AdamVec takes no elements here: the scalar loop runs them all.
func AdamVec(x, g, m, v, vmax []float64, c *AdamConsts) int { return 0 }

// SGDVec takes no elements here: the scalar loop runs them all.
func SGDVec(x, g []float64, lr float64) int { return 0 }
