//go:build amd64 && !purego && !amd64.v3

#include "textflag.h"

// trigAVX, the evaluator's sin and cos four lanes at a time (trig_amd64.go):
// Go's math.Sin and math.Cos (math/sin.go, Cephes' sin and cos) with their
// branches turned into blends, so each lane is the same operations in the
// same order as the scalar function and gives its bits. AVX1 only, no FMA
// (math/sin.go's x*y+z rounds twice under GOAMD64 v1 and v2), VZEROUPPER
// before returning. The octant j is a 32-bit integer per lane (|x| <
// 1<<29 makes x*(4/Pi) < 2^31); its bits 1 and 2 pick the polynomial and
// the sign, moved into each double's sign bit, which VBLENDVPD reads.
//
// Each constant is four copies, one 256-bit memory operand.

// |x|'s mask
DATA trigAbs<>+0(SB)/8, $0x7fffffffffffffff
DATA trigAbs<>+8(SB)/8, $0x7fffffffffffffff
DATA trigAbs<>+16(SB)/8, $0x7fffffffffffffff
DATA trigAbs<>+24(SB)/8, $0x7fffffffffffffff
GLOBL trigAbs<>(SB), RODATA|NOPTR, $32
// the sign bit
DATA trigSign<>+0(SB)/8, $0x8000000000000000
DATA trigSign<>+8(SB)/8, $0x8000000000000000
DATA trigSign<>+16(SB)/8, $0x8000000000000000
DATA trigSign<>+24(SB)/8, $0x8000000000000000
GLOBL trigSign<>(SB), RODATA|NOPTR, $32
// reduceThreshold, 1<<29
DATA trigThr<>+0(SB)/8, $0x41c0000000000000
DATA trigThr<>+8(SB)/8, $0x41c0000000000000
DATA trigThr<>+16(SB)/8, $0x41c0000000000000
DATA trigThr<>+24(SB)/8, $0x41c0000000000000
GLOBL trigThr<>(SB), RODATA|NOPTR, $32
// 4/Pi
DATA trig4Pi<>+0(SB)/8, $0x3ff45f306dc9c883
DATA trig4Pi<>+8(SB)/8, $0x3ff45f306dc9c883
DATA trig4Pi<>+16(SB)/8, $0x3ff45f306dc9c883
DATA trig4Pi<>+24(SB)/8, $0x3ff45f306dc9c883
GLOBL trig4Pi<>(SB), RODATA|NOPTR, $32
// PI4A
DATA trigPI4A<>+0(SB)/8, $0x3fe921fb40000000
DATA trigPI4A<>+8(SB)/8, $0x3fe921fb40000000
DATA trigPI4A<>+16(SB)/8, $0x3fe921fb40000000
DATA trigPI4A<>+24(SB)/8, $0x3fe921fb40000000
GLOBL trigPI4A<>(SB), RODATA|NOPTR, $32
// PI4B
DATA trigPI4B<>+0(SB)/8, $0x3e64442d00000000
DATA trigPI4B<>+8(SB)/8, $0x3e64442d00000000
DATA trigPI4B<>+16(SB)/8, $0x3e64442d00000000
DATA trigPI4B<>+24(SB)/8, $0x3e64442d00000000
GLOBL trigPI4B<>(SB), RODATA|NOPTR, $32
// PI4C
DATA trigPI4C<>+0(SB)/8, $0x3ce8469898cc5170
DATA trigPI4C<>+8(SB)/8, $0x3ce8469898cc5170
DATA trigPI4C<>+16(SB)/8, $0x3ce8469898cc5170
DATA trigPI4C<>+24(SB)/8, $0x3ce8469898cc5170
GLOBL trigPI4C<>(SB), RODATA|NOPTR, $32
// 1
DATA trigOne<>+0(SB)/8, $0x3ff0000000000000
DATA trigOne<>+8(SB)/8, $0x3ff0000000000000
DATA trigOne<>+16(SB)/8, $0x3ff0000000000000
DATA trigOne<>+24(SB)/8, $0x3ff0000000000000
GLOBL trigOne<>(SB), RODATA|NOPTR, $32
// 0.5
DATA trigHalf<>+0(SB)/8, $0x3fe0000000000000
DATA trigHalf<>+8(SB)/8, $0x3fe0000000000000
DATA trigHalf<>+16(SB)/8, $0x3fe0000000000000
DATA trigHalf<>+24(SB)/8, $0x3fe0000000000000
GLOBL trigHalf<>(SB), RODATA|NOPTR, $32
// _sin[0]
DATA trigS0<>+0(SB)/8, $0x3de5d8fd1fd19ccd
DATA trigS0<>+8(SB)/8, $0x3de5d8fd1fd19ccd
DATA trigS0<>+16(SB)/8, $0x3de5d8fd1fd19ccd
DATA trigS0<>+24(SB)/8, $0x3de5d8fd1fd19ccd
GLOBL trigS0<>(SB), RODATA|NOPTR, $32
// _sin[1]
DATA trigS1<>+0(SB)/8, $0xbe5ae5e5a9291f5d
DATA trigS1<>+8(SB)/8, $0xbe5ae5e5a9291f5d
DATA trigS1<>+16(SB)/8, $0xbe5ae5e5a9291f5d
DATA trigS1<>+24(SB)/8, $0xbe5ae5e5a9291f5d
GLOBL trigS1<>(SB), RODATA|NOPTR, $32
// _sin[2]
DATA trigS2<>+0(SB)/8, $0x3ec71de3567d48a1
DATA trigS2<>+8(SB)/8, $0x3ec71de3567d48a1
DATA trigS2<>+16(SB)/8, $0x3ec71de3567d48a1
DATA trigS2<>+24(SB)/8, $0x3ec71de3567d48a1
GLOBL trigS2<>(SB), RODATA|NOPTR, $32
// _sin[3]
DATA trigS3<>+0(SB)/8, $0xbf2a01a019bfdf03
DATA trigS3<>+8(SB)/8, $0xbf2a01a019bfdf03
DATA trigS3<>+16(SB)/8, $0xbf2a01a019bfdf03
DATA trigS3<>+24(SB)/8, $0xbf2a01a019bfdf03
GLOBL trigS3<>(SB), RODATA|NOPTR, $32
// _sin[4]
DATA trigS4<>+0(SB)/8, $0x3f8111111110f7d0
DATA trigS4<>+8(SB)/8, $0x3f8111111110f7d0
DATA trigS4<>+16(SB)/8, $0x3f8111111110f7d0
DATA trigS4<>+24(SB)/8, $0x3f8111111110f7d0
GLOBL trigS4<>(SB), RODATA|NOPTR, $32
// _sin[5]
DATA trigS5<>+0(SB)/8, $0xbfc5555555555548
DATA trigS5<>+8(SB)/8, $0xbfc5555555555548
DATA trigS5<>+16(SB)/8, $0xbfc5555555555548
DATA trigS5<>+24(SB)/8, $0xbfc5555555555548
GLOBL trigS5<>(SB), RODATA|NOPTR, $32
// _cos[0]
DATA trigC0<>+0(SB)/8, $0xbda8fa49a0861a9b
DATA trigC0<>+8(SB)/8, $0xbda8fa49a0861a9b
DATA trigC0<>+16(SB)/8, $0xbda8fa49a0861a9b
DATA trigC0<>+24(SB)/8, $0xbda8fa49a0861a9b
GLOBL trigC0<>(SB), RODATA|NOPTR, $32
// _cos[1]
DATA trigC1<>+0(SB)/8, $0x3e21ee9d7b4e3f05
DATA trigC1<>+8(SB)/8, $0x3e21ee9d7b4e3f05
DATA trigC1<>+16(SB)/8, $0x3e21ee9d7b4e3f05
DATA trigC1<>+24(SB)/8, $0x3e21ee9d7b4e3f05
GLOBL trigC1<>(SB), RODATA|NOPTR, $32
// _cos[2]
DATA trigC2<>+0(SB)/8, $0xbe927e4f7eac4bc6
DATA trigC2<>+8(SB)/8, $0xbe927e4f7eac4bc6
DATA trigC2<>+16(SB)/8, $0xbe927e4f7eac4bc6
DATA trigC2<>+24(SB)/8, $0xbe927e4f7eac4bc6
GLOBL trigC2<>(SB), RODATA|NOPTR, $32
// _cos[3]
DATA trigC3<>+0(SB)/8, $0x3efa01a019c844f5
DATA trigC3<>+8(SB)/8, $0x3efa01a019c844f5
DATA trigC3<>+16(SB)/8, $0x3efa01a019c844f5
DATA trigC3<>+24(SB)/8, $0x3efa01a019c844f5
GLOBL trigC3<>(SB), RODATA|NOPTR, $32
// _cos[4]
DATA trigC4<>+0(SB)/8, $0xbf56c16c16c14f91
DATA trigC4<>+8(SB)/8, $0xbf56c16c16c14f91
DATA trigC4<>+16(SB)/8, $0xbf56c16c16c14f91
DATA trigC4<>+24(SB)/8, $0xbf56c16c16c14f91
GLOBL trigC4<>(SB), RODATA|NOPTR, $32
// _cos[5]
DATA trigC5<>+0(SB)/8, $0x3fa555555555554b
DATA trigC5<>+8(SB)/8, $0x3fa555555555554b
DATA trigC5<>+16(SB)/8, $0x3fa555555555554b
DATA trigC5<>+24(SB)/8, $0x3fa555555555554b
GLOBL trigC5<>(SB), RODATA|NOPTR, $32
DATA trigBit1<>+0(SB)/4, $1
DATA trigBit1<>+4(SB)/4, $1
DATA trigBit1<>+8(SB)/4, $1
DATA trigBit1<>+12(SB)/4, $1
GLOBL trigBit1<>(SB), RODATA|NOPTR, $16

// func trigAVX(cos bool, d, a *float64, n int) int
//
// d[e] = math.Sin(a[e]) (math.Cos with cos) for e < n, a multiple of 4,
// four at a time, up to the first group of four that holds a lane the
// kernel leaves to the scalar function (NaN, ±Inf or |x| >= 1<<29, where
// math/sin.go reduces the argument otherwise); it returns how many it
// wrote. d may be a.
TEXT ·trigAVX(SB), NOSPLIT, $0-40
	MOVBQZX cos+0(FP), BX
	MOVQ    d+8(FP), DI
	MOVQ    a+16(FP), SI
	MOVQ    n+24(FP), CX
	XORQ    AX, AX
	VXORPS  X15, X15, X15 // 0

loop:
	CMPQ AX, CX
	JGE  done
	VMOVUPD (SI)(AX*8), Y0 // x
	VANDPD  trigAbs<>(SB), Y0, Y1 // |x|
	VCMPPD  $1, trigThr<>(SB), Y1, Y2 // |x| < 1<<29, false for NaN
	VMOVMSKPD Y2, DX
	CMPQ    DX, $15
	JNE     done

	// j = uint64(|x| * (4/Pi)); j += j&1 and y = float64(j), the
	// float64(j)+1 of an odd j exactly.
	VMULPD      trig4Pi<>(SB), Y1, Y2
	VCVTTPD2DQY Y2, X3
	VPAND       trigBit1<>(SB), X3, X4
	VPADDD      X4, X3, X3
	VCVTDQ2PD   X3, Y4

	// z = ((|x| - y*PI4A) - y*PI4B) - y*PI4C
	VMULPD trigPI4A<>(SB), Y4, Y5
	VSUBPD Y5, Y1, Y6
	VMULPD trigPI4B<>(SB), Y4, Y5
	VSUBPD Y5, Y6, Y6
	VMULPD trigPI4C<>(SB), Y4, Y5
	VSUBPD Y5, Y6, Y6
	VMULPD Y6, Y6, Y7 // zz

	// The sine's polynomial: z + z*zz*(((((s0*zz+s1)*zz+s2)*zz+s3)*zz+s4)*zz+s5)
	VMULPD trigS0<>(SB), Y7, Y8
	VADDPD trigS1<>(SB), Y8, Y8
	VMULPD Y7, Y8, Y8
	VADDPD trigS2<>(SB), Y8, Y8
	VMULPD Y7, Y8, Y8
	VADDPD trigS3<>(SB), Y8, Y8
	VMULPD Y7, Y8, Y8
	VADDPD trigS4<>(SB), Y8, Y8
	VMULPD Y7, Y8, Y8
	VADDPD trigS5<>(SB), Y8, Y8
	VMULPD Y7, Y6, Y9
	VMULPD Y8, Y9, Y9
	VADDPD Y9, Y6, Y9 // sine's

	// The cosine's: 1.0 - 0.5*zz + zz*zz*(((((c0*zz+c1)*zz+c2)*zz+c3)*zz+c4)*zz+c5)
	VMULPD trigC0<>(SB), Y7, Y8
	VADDPD trigC1<>(SB), Y8, Y8
	VMULPD Y7, Y8, Y8
	VADDPD trigC2<>(SB), Y8, Y8
	VMULPD Y7, Y8, Y8
	VADDPD trigC3<>(SB), Y8, Y8
	VMULPD Y7, Y8, Y8
	VADDPD trigC4<>(SB), Y8, Y8
	VMULPD Y7, Y8, Y8
	VADDPD trigC5<>(SB), Y8, Y8
	VMULPD Y7, Y7, Y5
	VMULPD Y8, Y5, Y5
	VMULPD trigHalf<>(SB), Y7, Y8
	VMOVUPD trigOne<>(SB), Y2
	VSUBPD Y8, Y2, Y8
	VADDPD Y5, Y8, Y8 // cosine's

	// j's bit 1 into X4's sign bits, bit 2 into X5's, each widened to the
	// high half of a 64-bit lane (the low half 0).
	VPSLLD     $30, X3, X4
	VPSLLD     $29, X3, X5
	TESTQ      BX, BX
	JNZ        cosine

	// sin: bit 1 takes the cosine's polynomial; the sign is x's, flipped
	// by bit 2; sin(±0) is x itself.
	VUNPCKLPS  X4, X15, X10
	VUNPCKHPS  X4, X15, X11
	VINSERTF128 $1, X11, Y10, Y10
	VBLENDVPD  Y10, Y8, Y9, Y9
	VUNPCKLPS  X5, X15, X10
	VUNPCKHPS  X5, X15, X11
	VINSERTF128 $1, X11, Y10, Y10
	VXORPD     Y0, Y10, Y10
	VANDPD     trigSign<>(SB), Y10, Y10
	VXORPD     Y10, Y9, Y9
	VCMPPD     $0, Y15, Y0, Y10 // x == 0
	VBLENDVPD  Y10, Y0, Y9, Y9
	VMOVUPD    Y9, (DI)(AX*8)
	ADDQ       $4, AX
	JMP        loop

cosine:
	// cos: bit 1 takes the sine's polynomial; the sign is bit 2 xor bit 1.
	VUNPCKLPS  X4, X15, X10
	VUNPCKHPS  X4, X15, X11
	VINSERTF128 $1, X11, Y10, Y10
	VBLENDVPD  Y10, Y9, Y8, Y8
	VPXOR      X4, X5, X5
	VUNPCKLPS  X5, X15, X10
	VUNPCKHPS  X5, X15, X11
	VINSERTF128 $1, X11, Y10, Y10
	VANDPD     trigSign<>(SB), Y10, Y10
	VXORPD     Y10, Y8, Y8
	VMOVUPD    Y8, (DI)(AX*8)
	ADDQ       $4, AX
	JMP        loop

done:
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET
