//go:build amd64 && !purego

package kern

// adamAVX runs Adam's step (gdgpu's adamScalar) on elements 0..n-1 of x,
// grad, m, v and, with amsgrad (c.Flags), vmax; n is a positive multiple
// of 4.
//
//go:noescape
func adamAVX(x, grad, m, v, vmax *float64, n int, c *AdamConsts)

// AdamVec runs Adam's step on the longest prefix of x that the AVX kernel
// takes (a multiple of 4 elements) and returns its length: 0 without AVX.
// The caller runs the rest through its scalar loop. vmax is read only
// with AdamAmsgrad in c.Flags.
func AdamVec(x, g, m, v, vmax []float64, c *AdamConsts) int {
	n := len(x) &^ 3
	if !UseAVX || n == 0 {
		return 0
	}
	g, m, v = g[:n], m[:n], v[:n] // the scalar loop's bounds, checked once
	var pmax *float64
	if c.Flags&AdamAmsgrad != 0 {
		pmax = &vmax[:n][0]
	}
	adamAVX(&x[0], &g[0], &m[0], &v[0], pmax, n, c)
	return n
}
