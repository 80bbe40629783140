//go:build amd64 && !purego

#include "textflag.h"

// Adam's AVX kernel (adam_amd64.go): AVX1 256-bit operations only, no FMA (it
// would round once where ATen rounds twice), and VZEROUPPER before
// returning to Go's SSE code. Lanes round as the scalar SSE2 instructions
// do (same MXCSR: round to nearest, subnormals kept).
//
// In Go's VEX syntax "VOP b, a, d" computes d = a OP b, a being the first
// source operand; when both operands are NaN, x86 returns the first one's
// (quieted), and MINPD returns the second unless a < b. So each operand
// order below copies what gc (go1.26, GOAMD64 v1 and v3) emits for
// gdgpu's adamScalar (optimizer_adam.go), and the NaN payloads match too. A compiler that
// swaps operands would make TestAdamVectorBits fail on NaN inputs.

// func adamAVX(x, grad, m, v, vmax *float64, n int, c *AdamConsts)
TEXT ·adamAVX(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ grad+8(FP), DI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ vmax+32(FP), R10
	MOVQ n+40(FP), CX
	MOVQ c+48(FP), BX

	VBROADCASTSD 0(BX), Y0  // prep's c: weight_decay (l2) or 1 - lr*weight_decay (decoupled)
	VBROADCASTSD 8(BX), Y1  // lerp weight w
	VBROADCASTSD 16(BX), Y2 // 1 - w
	VBROADCASTSD 24(BX), Y3 // beta2
	VBROADCASTSD 32(BX), Y4 // 1 - beta2
	VBROADCASTSD 40(BX), Y5 // step_size
	VBROADCASTSD 48(BX), Y6 // sqrt(1 - beta2^t)
	VBROADCASTSD 56(BX), Y7 // eps
	VBROADCASTSD 64(BX), Y15 // -0: the sign bit
	MOVQ 72(BX), DX          // flags
	XORQ AX, AX

loop:
	VMOVUPD (SI)(AX*8), Y8 // x
	VMOVUPD (DI)(AX*8), Y9 // g
	TESTQ $1, DX
	JZ    nomax
	VXORPD Y15, Y9, Y9     // maximize: g = -g

nomax:
	TESTQ $2, DX
	JZ    nol2
	VMULPD Y8, Y0, Y10     // c*x
	VADDPD Y10, Y9, Y9     // g + c*x
	JMP   prepped

nol2:
	TESTQ $4, DX
	JZ    prepped
	VMULPD Y0, Y8, Y8      // decoupled: x*c

prepped:
	VMOVUPD (R8)(AX*8), Y10 // m
	VSUBPD  Y10, Y9, Y11    // g - m
	TESTQ   $8, DX
	JZ      biglerp
	VMULPD  Y1, Y11, Y11    // (g-m)*w
	VADDPD  Y11, Y10, Y10   // m + (g-m)*w
	JMP     lerped

biglerp:
	VMULPD Y2, Y11, Y11    // (g-m)*(1-w)
	VSUBPD Y11, Y9, Y10    // g - (g-m)*(1-w)

lerped:
	VMOVUPD Y10, (R8)(AX*8)
	VMOVUPD (R9)(AX*8), Y11 // v
	VMULPD  Y3, Y11, Y11    // v*beta2
	VMULPD  Y4, Y9, Y12     // g*(1-beta2)
	VMULPD  Y12, Y9, Y12    // g*(g*(1-beta2))
	VADDPD  Y12, Y11, Y11   // v*beta2 + ...
	VMOVUPD Y11, (R9)(AX*8)
	TESTQ   $16, DX
	JZ      noams

	// amsgrad: vi = max(vmax, vi) as the Go compiler lowers the builtin
	// max (NaN if either is; +0 over -0): -min(min(-vmax, -vi), -vmax)
	// with the two minima ORed, each MINSD copied as a VMINPD with the
	// same first source.
	VXORPD  Y15, Y11, Y13    // -vi
	VMOVUPD (R10)(AX*8), Y12
	VXORPD  Y15, Y12, Y12    // -vmax
	VMINPD  Y13, Y12, Y14    // a = -vmax < -vi ? -vmax : -vi
	VMINPD  Y12, Y14, Y13    // b = a < -vmax ? a : -vmax
	VORPD   Y14, Y13, Y13    // b | a
	VXORPD  Y15, Y13, Y11    // vi = -(b | a)
	VMOVUPD Y11, (R10)(AX*8)

noams:
	VMULPD  Y5, Y10, Y10    // m*step_size
	VSQRTPD Y11, Y11        // sqrt(v)
	VDIVPD  Y6, Y11, Y11    // sqrt(v)/bc2Sqrt
	VADDPD  Y7, Y11, Y11    // denom = ... + eps
	VDIVPD  Y11, Y10, Y10   // (m*step_size)/denom
	VSUBPD  Y10, Y8, Y8     // x - ...
	VMOVUPD Y8, (SI)(AX*8)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JLT     loop

	VZEROUPPER
	RET

