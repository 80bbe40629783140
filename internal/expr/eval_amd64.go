//go:build amd64 && !purego

package expr

import "github.com/gdgpu/gdgpu/internal/kern"

//go:generate go run ./internal/genasm

// blockAVX is eval_amd64.s's kernel of the vops vAdd to vLastAVX: d[e]
// = a[e] op b[e], or op with c, or op of a[e], for e < n, a positive
// multiple of 4; op+kScaled multiplies each result by post before
// storing it, op+kNegated negates it; then op+kStoreZero stores 0 + the
// result, op+kStoreAdd d[e] + the result.
//
//go:noescape
func blockAVX(op int, d, a, b *float64, c, post float64, n int)

// blockVec runs instruction in (its op one of vAdd to vLastAVX) over the
// longest prefix of d whose length is a multiple of 4, with AVX
// (kern.UseAVX; tests turn it off to run eval.go's scalar loops on the
// same inputs), and returns its length: 0 without AVX, and the scalar
// loops then run it all. a and b are as long as d (b is a for an op
// without a register b).
func blockVec(in *vinstr, d, a, b []float64) int {
	n := len(d) &^ 3
	if !kern.UseAVX || n == 0 {
		return 0
	}
	_, _ = a[n-1], b[n-1] // the kernel reads n of each
	blockAVX(in.kop(), &d[0], &a[0], &b[0], in.c, in.post, n)
	return n
}

// blockAcc runs deferred instruction in over d's range (a multiple of 4
// long, fusedAt) and adds its result r to d: d[e] = d[e] + r, d first as
// accumulate's loop has it, or, for a fresh d (!acc), 0 + r, the bits
// of adding r to a cleared d. a and b are as long as d (b is a for an op
// without a register b).
func blockAcc(in *vinstr, d, a, b []float64, acc bool) {
	n := len(d)
	_, _ = a[n-1], b[n-1] // the kernel reads n of each
	k := in.kop() + kStoreZero
	if acc {
		k = in.kop() + kStoreAdd
	}
	blockAVX(k, &d[0], &a[0], &b[0], in.c, in.post, n)
}
