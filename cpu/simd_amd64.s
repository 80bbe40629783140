//go:build amd64 && !purego

#include "textflag.h"

// AVX kernels of simd_amd64.go: AVX1 256-bit operations only, no FMA (it
// would round once where ATen rounds twice), and VZEROUPPER before
// returning to Go's SSE code. Lanes round as the scalar SSE2 instructions
// do (same MXCSR: round to nearest, subnormals kept).
//
// Adam's and the objectives' kernels, with the rules on operand order and
// NaN payloads, are in internal/kern.

// func allFiniteAVX(p *float64, n int) bool
//
// v*0 is ±0 for a finite v and NaN for NaN and ±Inf; sums of ±0 stay ±0
// and NaN stays NaN, so the four accumulators (four add chains, which do
// not wait on each other) hold a NaN lane exactly when some value is not
// finite. n is a multiple of 16.
TEXT ·allFiniteAVX(SB), NOSPLIT, $0-17
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Y15, Y15, Y15 // 0
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ   AX, AX
	CMPQ   AX, CX
	JGE    done

floop:
	VMULPD 0(SI)(AX*8), Y15, Y4
	VMULPD 32(SI)(AX*8), Y15, Y5
	VMULPD 64(SI)(AX*8), Y15, Y6
	VMULPD 96(SI)(AX*8), Y15, Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ   $16, AX
	CMPQ   AX, CX
	JLT    floop

done:
	VADDPD    Y1, Y0, Y0
	VADDPD    Y3, Y2, Y2
	VADDPD    Y2, Y0, Y0
	VCMPPD    $3, Y0, Y0, Y0 // unordered with itself: the NaN lanes
	VMOVMSKPD Y0, AX
	TESTQ     AX, AX
	SETEQ     ret+16(FP)
	VZEROUPPER
	RET

