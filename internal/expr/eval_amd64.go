//go:build amd64 && !purego

package expr

import "github.com/gdgpu/gdgpu/internal/kern"

// blockAVX is eval_amd64.s's kernel of the vops vAdd to vSq: d[e] = a[e]
// op b[e], or op with c, or op of a[e], for e < n, a positive multiple
// of 4.
//
//go:noescape
func blockAVX(op int, d, a, b *float64, c float64, n int)

// blockVec runs instruction op (one of vAdd to vSq) over the longest
// prefix of d whose length is a multiple of 4, with AVX (kern.UseAVX;
// tests turn it off to run eval.go's scalar loops on the same inputs),
// and returns its length: 0 without AVX, and the scalar loops then run
// it all. a, and b for a register-register op, are as long as d; c is
// the immediate.
func blockVec(op vop, d, a, b []float64, c float64) int {
	n := len(d) &^ 3
	if !kern.UseAVX || n == 0 {
		return 0
	}
	pa := &a[:n][0]
	pb := pa
	if b != nil {
		pb = &b[:n][0]
	}
	blockAVX(int(op), &d[0], pa, pb, c, n)
	return n
}
