//go:build amd64 && !purego

#include "textflag.h"

// The mlp's matrix products (gemm.go): AVX1 256-bit operations only, no FMA,
// VZEROUPPER before returning. Operand orders are gonum's, so that two NaNs
// meeting give its payload: in the axpy form the product is b*a (AxpyUnitary's
// MULPD ALPHA, X2 with X2 = x) and the sum product + c (its ADDPD (Y), X2); in
// the dot form the product is a*b and the sum s + product (DotUnitary's MULPD
// X1, X0 and ADDPD X0, X7), and C gets d + c (gc's ADDSD for gonum's
// ctmp[j] += alpha * f64.DotUnitary(...)).

// STRIP starts the strip of W columns at DX, or jumps to NEXT when fewer
// than W are left: R13 at c's row 0 and SI at b's row 0 in the strip's
// first column, AX and BX at row 0's lists, R12 at its count, R11 rows.
#define STRIP(W, NEXT) \
	LEAQ W(DX), AX; \
	CMPQ AX, CX; \
	JGT  NEXT; \
	MOVQ c+0(FP), R13; \
	LEAQ (R13)(DX*8), R13; \
	MOVQ b+56(FP), SI; \
	LEAQ (SI)(DX*8), SI; \
	MOVQ vals+24(FP), AX; \
	MOVQ offs+32(FP), BX; \
	MOVQ cnts+40(FP), R12; \
	MOVQ mb+16(FP), R11

// NEXTROW moves R13, AX, BX and R12 to the next row and counts it off
// (flags: zero after the last).
#define NEXTROW \
	ADDQ R8, R13; \
	ADDQ R9, AX; \
	ADDQ R9, BX; \
	ADDQ $8, R12; \
	DECQ R11

// func gemmAxpyAVX(c *float64, ldc, mb int, vals *float64, offs, cnts *int, ls int, b *float64, n int)
//
// For 32-, then 4-, then 1-wide strips of columns j: for each row i < mb, the
// strip of c's row i is loaded, gets b[row, j]*vals[i*ls+t] + c for
// t < cnts[i] (row: byte offset offs[i*ls+t] from b) and is stored.
// Registers: DX the strip's first column, R13 c's row, SI b's column, AX and
// BX the row's lists, R12 its count, R11 rows left, R14 t, R10 B's row.
TEXT ·gemmAxpyAVX(SB), NOSPLIT, $0-72
	MOVQ ldc+8(FP), R8
	SHLQ $3, R8 // ldc in bytes
	MOVQ ls+48(FP), R9
	SHLQ $3, R9 // list stride in bytes
	MOVQ n+64(FP), CX
	XORQ DX, DX

s32:
	STRIP(32, s4)

r32:
	VMOVUPD 0(R13), Y0
	VMOVUPD 32(R13), Y1
	VMOVUPD 64(R13), Y2
	VMOVUPD 96(R13), Y3
	VMOVUPD 128(R13), Y4
	VMOVUPD 160(R13), Y5
	VMOVUPD 192(R13), Y6
	VMOVUPD 224(R13), Y7
	XORQ R14, R14
	CMPQ R14, (R12)
	JGE  e32

l32:
	VBROADCASTSD (AX)(R14*8), Y8
	MOVQ (BX)(R14*8), R10
	ADDQ SI, R10
	VMOVUPD 0(R10), Y9
	VMULPD  Y8, Y9, Y9
	VADDPD  Y0, Y9, Y0
	VMOVUPD 32(R10), Y10
	VMULPD  Y8, Y10, Y10
	VADDPD  Y1, Y10, Y1
	VMOVUPD 64(R10), Y11
	VMULPD  Y8, Y11, Y11
	VADDPD  Y2, Y11, Y2
	VMOVUPD 96(R10), Y12
	VMULPD  Y8, Y12, Y12
	VADDPD  Y3, Y12, Y3
	VMOVUPD 128(R10), Y13
	VMULPD  Y8, Y13, Y13
	VADDPD  Y4, Y13, Y4
	VMOVUPD 160(R10), Y14
	VMULPD  Y8, Y14, Y14
	VADDPD  Y5, Y14, Y5
	VMOVUPD 192(R10), Y15
	VMULPD  Y8, Y15, Y15
	VADDPD  Y6, Y15, Y6
	VMOVUPD 224(R10), Y9
	VMULPD  Y8, Y9, Y9
	VADDPD  Y7, Y9, Y7
	INCQ R14
	CMPQ R14, (R12)
	JLT  l32

e32:
	VMOVUPD Y0, 0(R13)
	VMOVUPD Y1, 32(R13)
	VMOVUPD Y2, 64(R13)
	VMOVUPD Y3, 96(R13)
	VMOVUPD Y4, 128(R13)
	VMOVUPD Y5, 160(R13)
	VMOVUPD Y6, 192(R13)
	VMOVUPD Y7, 224(R13)
	NEXTROW
	JNZ  r32
	ADDQ $32, DX
	JMP  s32

s4:
	STRIP(4, s1)

r4:
	VMOVUPD 0(R13), Y0
	XORQ R14, R14
	CMPQ R14, (R12)
	JGE  e4

l4:
	VBROADCASTSD (AX)(R14*8), Y8
	MOVQ (BX)(R14*8), R10
	ADDQ SI, R10
	VMOVUPD 0(R10), Y9
	VMULPD  Y8, Y9, Y9
	VADDPD  Y0, Y9, Y0
	INCQ R14
	CMPQ R14, (R12)
	JLT  l4

e4:
	VMOVUPD Y0, 0(R13)
	NEXTROW
	JNZ  r4
	ADDQ $4, DX
	JMP  s4

s1:
	STRIP(1, sdone)

r1:
	VMOVSD (R13), X0
	XORQ R14, R14
	CMPQ R14, (R12)
	JGE  e1

l1:
	VMOVSD (AX)(R14*8), X8
	MOVQ (BX)(R14*8), R10
	ADDQ SI, R10
	VMOVSD  (R10), X9
	VMULSD  X8, X9, X9
	VADDSD  X0, X9, X0
	INCQ R14
	CMPQ R14, (R12)
	JLT  l1

e1:
	VMOVSD X0, (R13)
	NEXTROW
	JNZ  r1
	ADDQ $1, DX
	JMP  s1

sdone:
	VZEROUPPER
	RET

// REDUCE ends a dot held in Y (X its low half) as DotUnitary ends it,
// (s1+s3) + (s0+s2), and adds it to the float64 at M: d + c. Clobbers
// X5-X7 and Y's upper half.
#define REDUCE(Y, X, M) \
	VEXTRACTF128 $1, Y, X5; \
	VADDPD       X5, X, X6; \
	VUNPCKHPD    X6, X6, X7; \
	VADDSD       X6, X7, X7; \
	VADDSD       M, X7, X7; \
	VMOVSD       X7, M

// DOT24STEP adds one step of products to the 2 x 4 block's sums, Y0 and
// Y1 holding rows 0 and 1 of a at SI: LD loads row j of b (R8-R11) into
// B2 or B5, four lanes (VMOVUPD into Y2, Y5) or, in the tail, one with
// the lanes above it zero (VMOVSD into X2, X5).
#define DOT24STEP(LD, B2, B5) \
	LD (R8)(SI*8), B2; \
	VMULPD Y2, Y0, Y3; \
	VMULPD Y2, Y1, Y4; \
	VADDPD Y3, Y8, Y8; \
	VADDPD Y4, Y12, Y12; \
	LD (R9)(SI*8), B5; \
	VMULPD Y5, Y0, Y3; \
	VMULPD Y5, Y1, Y4; \
	VADDPD Y3, Y9, Y9; \
	VADDPD Y4, Y13, Y13; \
	LD (R10)(SI*8), B2; \
	VMULPD Y2, Y0, Y3; \
	VMULPD Y2, Y1, Y4; \
	VADDPD Y3, Y10, Y10; \
	VADDPD Y4, Y14, Y14; \
	LD (R11)(SI*8), B5; \
	VMULPD Y5, Y0, Y3; \
	VMULPD Y5, Y1, Y4; \
	VADDPD Y3, Y11, Y11; \
	VADDPD Y4, Y15, Y15

// func gemmDot2x4AVX(c *float64, ldc int, a *float64, lda int, b *float64, ldb, k int)
//
// Accumulators Y8+j (row 0 of a, row j of b) and Y12+j (row 1), lanes q = l
// mod 4, from +0; the last k%4 terms are loaded as scalars, the lanes above
// them zero, so they add +0 to s1..s3 (which are never -0: they start at +0)
// and their product to s0, as DotUnitary's tail does.
TEXT ·gemmDot2x4AVX(SB), NOSPLIT, $0-56
	MOVQ a+16(FP), AX
	MOVQ lda+24(FP), BX
	LEAQ (AX)(BX*8), BX
	MOVQ b+32(FP), R8
	MOVQ ldb+40(FP), DX
	SHLQ $3, DX
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	MOVQ k+48(FP), CX
	MOVQ CX, DI
	ANDQ $-4, DI
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15
	XORQ SI, SI
	CMPQ SI, DI
	JGE  d24tail

d24loop:
	VMOVUPD (AX)(SI*8), Y0
	VMOVUPD (BX)(SI*8), Y1
	DOT24STEP(VMOVUPD, Y2, Y5)
	ADDQ $4, SI
	CMPQ SI, DI
	JLT  d24loop

d24tail:
	CMPQ SI, CX
	JGE  d24end

d24tloop:
	VMOVSD (AX)(SI*8), X0
	VMOVSD (BX)(SI*8), X1
	DOT24STEP(VMOVSD, X2, X5)
	INCQ SI
	CMPQ SI, CX
	JLT  d24tloop

d24end:
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), DX
	LEAQ (DI)(DX*8), DX
	REDUCE(Y8, X8, 0(DI))
	REDUCE(Y9, X9, 8(DI))
	REDUCE(Y10, X10, 16(DI))
	REDUCE(Y11, X11, 24(DI))
	REDUCE(Y12, X12, 0(DX))
	REDUCE(Y13, X13, 8(DX))
	REDUCE(Y14, X14, 16(DX))
	REDUCE(Y15, X15, 24(DX))
	VZEROUPPER
	RET

// func gemmDot1AVX(c, a, b *float64, k int)
//
// gemmDot2x4AVX for one dot.
TEXT ·gemmDot1AVX(SB), NOSPLIT, $0-32
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), R8
	MOVQ k+24(FP), CX
	MOVQ CX, DI
	ANDQ $-4, DI
	VXORPD Y8, Y8, Y8
	XORQ SI, SI
	CMPQ SI, DI
	JGE  d1tail

d1loop:
	VMOVUPD (AX)(SI*8), Y0
	VMOVUPD (R8)(SI*8), Y2
	VMULPD  Y2, Y0, Y3
	VADDPD  Y3, Y8, Y8
	ADDQ $4, SI
	CMPQ SI, DI
	JLT  d1loop

d1tail:
	CMPQ SI, CX
	JGE  d1end

d1tloop:
	VMOVSD  (AX)(SI*8), X0
	VMOVSD  (R8)(SI*8), X2
	VMULPD  Y2, Y0, Y3
	VADDPD  Y3, Y8, Y8
	INCQ SI
	CMPQ SI, CX
	JLT  d1tloop

d1end:
	MOVQ c+0(FP), DI
	REDUCE(Y8, X8, 0(DI))
	VZEROUPPER
	RET
