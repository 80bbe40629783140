//go:build amd64 && !purego

#include "textflag.h"

// Objective kernels of vec_amd64.go: AVX1 256-bit operations only, no FMA,
// VZEROUPPER before returning (see cpu/simd_amd64.s for the rules).

// The operations of the quadratic's and Rosenbrock's scalar loops
// (gdgpu's problem_quadratic.go, problem_rosenbrock.go) in the same order, each operand
// order copied from gc's scalar code (go1.26, GOAMD64 v1 and v3 emit the
// same), so that two NaNs meeting give the same payload;
// TestObjectiveVectorBits checks it. Constants are broadcast from memory
// (AVX1 has no register broadcast).

DATA objConsts<>+0(SB)/8, $0x3ff0000000000000  // 1
DATA objConsts<>+8(SB)/8, $0x4059000000000000  // 100
DATA objConsts<>+16(SB)/8, $0x4069000000000000 // 200
DATA objConsts<>+24(SB)/8, $0x4079000000000000 // 400
GLOBL objConsts<>(SB), RODATA|NOPTR, $32

// func rosenTermsAVX(t, x *float64, n int)
//
// t[j] = 100*(x[j+1] - x[j]*x[j])^2 + (1 - x[j])^2 for j < n, a positive
// multiple of 4; reads x[0..n].
TEXT ·rosenTermsAVX(SB), NOSPLIT, $0-24
	MOVQ t+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD objConsts<>+0(SB), Y14 // 1
	VBROADCASTSD objConsts<>+8(SB), Y13 // 100
	XORQ AX, AX

rtloop:
	VMOVUPD (SI)(AX*8), Y0  // xi
	VMOVUPD 8(SI)(AX*8), Y1 // xn
	VMULPD  Y0, Y0, Y2      // xi*xi
	VSUBPD  Y2, Y1, Y1      // a = xn - xi*xi
	VSUBPD  Y0, Y14, Y3     // b = 1 - xi
	VMULPD  Y1, Y1, Y1      // a*a
	VMULPD  Y13, Y1, Y1     // (a*a)*100, a*a first as gc has it
	VMULPD  Y3, Y3, Y3      // b*b
	VADDPD  Y3, Y1, Y1      // 100*a*a + b*b, 100*a*a first
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JLT     rtloop

	VZEROUPPER
	RET

// func rosenGradAVX(dst, x *float64, n int)
//
// dst[j] = 200*(x[j+1] - x[j]^2) - 400*(x[j+2] - x[j+1]^2)*x[j+1]
// - 2*(1 - x[j+1]) for j < n, a positive multiple of 4: the gradient of
// the element x[j+1] between its neighbours; reads x[0..n+1].
TEXT ·rosenGradAVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD objConsts<>+0(SB), Y14  // 1
	VBROADCASTSD objConsts<>+16(SB), Y12 // 200
	VBROADCASTSD objConsts<>+24(SB), Y11 // 400
	XORQ AX, AX

rgloop:
	VMOVUPD (SI)(AX*8), Y0   // xp, the previous element
	VMOVUPD 8(SI)(AX*8), Y1  // xi
	VMOVUPD 16(SI)(AX*8), Y2 // xn
	VMULPD  Y0, Y0, Y0       // xp*xp
	VSUBPD  Y0, Y1, Y0       // xi - xp*xp
	VMULPD  Y12, Y0, Y0      // a = (xi - xp*xp)*200
	VMULPD  Y1, Y1, Y3       // xi*xi
	VSUBPD  Y3, Y2, Y2       // xn - xi*xi
	VMULPD  Y11, Y2, Y2      // (xn - xi*xi)*400
	VMULPD  Y1, Y2, Y2       // b = that*xi, that first as gc has it (when both are NaN, so is a, with xi's payload, and a - b returns a's)
	VSUBPD  Y2, Y0, Y0       // a - b
	VSUBPD  Y1, Y14, Y3      // 1 - xi
	VADDPD  Y3, Y3, Y3       // 2*(1 - xi), as gc computes it: (1-xi)+(1-xi)
	VSUBPD  Y3, Y0, Y0       // a - b - 2*(1 - xi)
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JLT     rgloop

	VZEROUPPER
	RET

// func quadTermsAVX(t, c, x *float64, n int)
//
// t[j] = (c[j]*x[j])*x[j], or x[j]*x[j] when c is nil, for j < n, a
// positive multiple of 4.
TEXT ·quadTermsAVX(SB), NOSPLIT, $0-32
	MOVQ t+0(FP), DI
	MOVQ c+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	XORQ AX, AX
	TESTQ DX, DX
	JZ    qtunit

qtloop:
	VMOVUPD (SI)(AX*8), Y0  // x
	VMOVUPD (DX)(AX*8), Y1  // c
	VMULPD  Y0, Y1, Y1      // c*x, c first as gc has it
	VMULPD  Y0, Y1, Y1      // (c*x)*x
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JLT     qtloop
	VZEROUPPER
	RET

qtunit:
	VMOVUPD (SI)(AX*8), Y0
	VMULPD  Y0, Y0, Y0      // x*x
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JLT     qtunit
	VZEROUPPER
	RET

// func quadGradAVX(dst, c, x *float64, n int)
//
// dst[j] = c[j]*x[j] for j < n, a positive multiple of 4.
TEXT ·quadGradAVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ c+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	XORQ AX, AX

qgloop:
	VMOVUPD (DX)(AX*8), Y1  // c
	VMULPD  (SI)(AX*8), Y1, Y1 // c*x, c first as gc has it
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JLT     qgloop
	VZEROUPPER
	RET

// func sgdAVX(x, grad, lr *float64, n int)
//
// x[j] = x[j] - lr*g[j] for j < n, a positive multiple of 4: the product
// rounded, then the difference, with gc's operand order (g*lr, x-p) as
// gdgpu's sgdPlain has it. The loop is aligned to 64 bytes, so that it
// never straddles a cache line wherever the linker places the function:
// the scalar loop ran 16-23% slower in builds where it did.
TEXT ·sgdAVX(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         lr+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSD (DX), Y0
	XORQ         AX, AX
	PCALIGN      $64

sgdloop:
	VMOVUPD (SI)(AX*8), Y1
	VMULPD  Y0, Y1, Y1     // g*lr
	VMOVUPD (DI)(AX*8), Y2
	VSUBPD  Y1, Y2, Y2     // x - g*lr
	VMOVUPD Y2, (DI)(AX*8)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JLT     sgdloop
	VZEROUPPER
	RET
