//go:build linux && amd64 && !purego

#include "textflag.h"

// func jitCall(code uintptr, args *jitArgs)
//
// Calls a loop compiled by jit.go, which reads its arguments through RDI
// and returns with RET after VZEROUPPER. An asm function's callers treat
// every register but RSP and RBP as clobbered, and the loop keeps those
// two and Go's R14, R15 and X15.
TEXT ·jitCall(SB), NOSPLIT, $0-16
	MOVQ code+0(FP), AX
	MOVQ args+8(FP), DI
	CALL AX
	RET
