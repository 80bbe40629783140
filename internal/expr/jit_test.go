package expr

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// TestJITEncoding: each instruction the JIT emits, with low and high
// registers, indexed and plain memory, positive and negative
// displacements, disassembles (golang.org/x/arch) to what was meant.
func TestJITEncoding(t *testing.T) {
	for _, c := range []struct {
		emit func(a *x86)
		want string
	}{
		{func(a *x86) { a.load(0, atTile(rSI, 0)) }, "vmovupd ymm0, ymmword ptr [rsi+rcx]"},
		{func(a *x86) { a.load(9, atTile(rSI, -8)) }, "vmovupd ymm9, ymmword ptr [rsi+rcx-0x8]"},
		{func(a *x86) { a.load(12, at(r10, 0x40)) }, "vmovupd ymm12, ymmword ptr [r10+0x40]"},
		{func(a *x86) { a.load(14, at(rDI, argIV)) }, "vmovupd ymm14, ymmword ptr [rdi+0x58]"},
		{func(a *x86) { a.load(3, atTile(r8, 1024)) }, "vmovupd ymm3, ymmword ptr [r8+rcx+0x400]"},
		{func(a *x86) { a.store(atTile(r9, 0), 3) }, "vmovupd ymmword ptr [r9+rcx], ymm3"},
		{func(a *x86) { a.store(atTile(rDX, 0), 13) }, "vmovupd ymmword ptr [rdx+rcx], ymm13"},
		{func(a *x86) { a.store(at(rBX, 96), 8) }, "vmovupd ymmword ptr [rbx+0x60], ymm8"},
		{func(a *x86) { a.vop3(opAddpd, 9, 14, reg(8)) }, "vaddpd ymm9, ymm14, ymm8"},
		{func(a *x86) { a.vop3(opSubpd, 1, 11, reg(0)) }, "vsubpd ymm1, ymm11, ymm0"},
		{func(a *x86) { a.vop3(opMulpd, 10, 2, at(r11, 32)) }, "vmulpd ymm10, ymm2, ymmword ptr [r11+0x20]"},
		{func(a *x86) { a.vop3(opDivpd, 4, 5, atTile(rSI, 16)) }, "vdivpd ymm4, ymm5, ymmword ptr [rsi+rcx+0x10]"},
		{func(a *x86) { a.vop3(opAndpd, 6, 7, at(r10, 0)) }, "vandpd ymm6, ymm7, ymmword ptr [r10]"},
		{func(a *x86) { a.vop3(opXorpd, 15, 0, reg(15)) }, "vxorpd ymm15, ymm0, ymm15"},
		{func(a *x86) { a.vop3(opOrpd, 2, 9, at(r10, 8)) }, "vorpd ymm2, ymm9, ymmword ptr [r10+0x8]"},
		{func(a *x86) { a.cmp(0, 14, reg(7), cmpLT) }, "vcmpltpd ymm0, ymm14, ymm7"},
		{func(a *x86) { a.sqrt(1, reg(13)) }, "vsqrtpd ymm1, ymm13"},
		{func(a *x86) { a.sqrt(8, at(rBX, 0)) }, "vsqrtpd ymm8, ymmword ptr [rbx]"},
		{func(a *x86) { a.cmp(2, 10, reg(3), cmpLE) }, "vcmplepd ymm2, ymm10, ymm3"},
		{func(a *x86) { a.cmp(12, 1, at(r10, 64), cmpNEQ) }, "vcmpneqpd ymm12, ymm1, ymmword ptr [r10+0x40]"},
		{func(a *x86) { a.blendv(3, 4, reg(11), 12) }, "vblendvpd ymm3, ymm4, ymm11, ymm12"},
		{func(a *x86) { a.blendv(9, 0, at(rBX, 32), 1) }, "vblendvpd ymm9, ymm0, ymmword ptr [rbx+0x20], ymm1"},
		{func(a *x86) { a.movapd(5, 14) }, "vmovapd ymm5, ymm14"},
		{func(a *x86) { a.movq(r10, rDI, argCst) }, "mov r10, qword ptr [rdi+0x20]"},
		{func(a *x86) { a.movq(rSI, rDI, argX) }, "mov rsi, qword ptr [rdi]"},
		{func(a *x86) { a.zeroRCX() }, "xor ecx, ecx"},
		{func(a *x86) { a.addRCX(32) }, "add rcx, 0x20"},
		{func(a *x86) { a.cmpRCXRAX() }, "cmp rcx, rax"},
		{func(a *x86) { a.ret() }, "ret"},
	} {
		var a x86
		c.emit(&a)
		in, err := x86asm.Decode(a.b, 64)
		if err != nil {
			t.Errorf("%x (want %s): %v", a.b, c.want, err)
			continue
		}
		if got := x86asm.IntelSyntax(in, 0, nil); got != c.want || in.Len != len(a.b) {
			t.Errorf("%x: %s (%d of %d bytes), want %s", a.b, got, in.Len, len(a.b), c.want)
		}
	}
	// The loop's back edge lands on its top; VZEROUPPER is C5 F8 77
	// (x86asm reads the byte after it as part of it).
	var a x86
	a.zeroRCX()
	a.addRCX(32)
	a.jbBack(0)
	if in, err := x86asm.Decode(a.b[6:], 64); err != nil || in.Op != x86asm.JB || int(in.Args[0].(x86asm.Rel))+6+in.Len != 0 {
		t.Errorf("jbBack(0) from 6: %x decodes to %v (%v)", a.b[6:], in, err)
	}
	a = x86{}
	a.vzeroupper()
	if fmt.Sprintf("%x", a.b) != "c5f877" {
		t.Errorf("vzeroupper: %x", a.b)
	}
}

// TestJITArgs: the loop reads jitArgs at the offsets the Go struct has.
func TestJITArgs(t *testing.T) {
	var a jitArgs
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"x", unsafe.Offsetof(a.x), argX}, {"gOut", unsafe.Offsetof(a.gOut), argGOut},
		{"gIn", unsafe.Offsetof(a.gIn), argGIn}, {"tOut", unsafe.Offsetof(a.tOut), argTOut},
		{"cst", unsafe.Offsetof(a.cst), argCst}, {"spill", unsafe.Offsetof(a.spill), argSpill},
		{"end", unsafe.Offsetof(a.end), argEnd}, {"nv", unsafe.Offsetof(a.nv), argNV},
		{"iv", unsafe.Offsetof(a.iv), argIV},
	} {
		if c.got != c.want {
			t.Errorf("jitArgs.%s at %d, the loop reads %d", c.name, c.got, c.want)
		}
	}
}

// jitCases aim at what the compiled loop does beyond Rosenbrock: every
// op it compiles (sqrt, abs, min and max's compare and select, integer
// powers of every sign, i and n), constants first and second, NaN and
// infinite constants, 2 as a factor and a term, shifts over two
// clusters, the constant part, and values enough to spill registers.
var jitCases = []string{
	"sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)",
	"sum(x[i]^2) + 1",
	"sum(sqrt(1 + x[i]^2) + abs(x[i] - x[i+1]) + min(x[i], x[i+2]) * max(x[i-1], 0.5))",
	"sum(x[i]^3 + x[i]^-2 + x[i+1]^5 + x[i]^0 + x[i]^-1 + 2/x[i] + x[i]/2 + 2 - x[i] + x[i] - 2)",
	"sum((i+1)*x[i]^2 + n*x[i] + i/n*x[i+1])",
	"sum(x[i]*(0*(1/0)) + x[i+1]*(1/0) + x[i]*sqrt(-1))",
	"sum(2*x[i]*x[i+1] + x[i]*2 + 2*(x[i]-x[i+1])^2)",
	"sum(x[i]*x[i+128]) + sum(x[i]*x[i-128]) + 2*mean(x[i+64]^3)",
	"sum((x[i]-x[i+1])*(x[i+1]-x[i+2])*(x[i+2]-x[i+3])*(x[i+3]-x[i+4])*(x[i+4]-x[i+5])*(x[i+5]-x[i+6])*(x[i+6]-x[i+7])*(x[i+7]-x[i+8])*(x[i+8]-x[i+9])*(x[i+9]-x[i+10])*(x[i+10]-x[i+11])*(x[i+11]-x[i+12])*(x[i+12]-x[i+13])*(x[i+13]-x[i+14])*(x[i+14]-x[i+15])*(x[i+15]-x[i+16])*(x[i+16]-x[i+17]))",
	"w = x[i]*x[i+1] - x[i+2]; v = w^2 + abs(w); sum(v*w + v/(1 + w^2) + min(v, w)*i)",
	"sum(-x[i] + -(x[i]*3) + (-2)*x[i+1]^2)",
	// Constants enough to fill the registers (Parse panicked on these
	// when every constant was hoisted), with a blend and with i.
	"sum(3.25*x[i+0] + 4.25*x[i+1] + 5.25*x[i+2] + 6.25*x[i+3] + 7.25*x[i+4] + 8.25*x[i+5] + 9.25*x[i+6] + 10.25*x[i+7] + 11.25*x[i+8] + 12.25*x[i+9] + 13.25*x[i+10] + 14.25*x[i+11] + 15.25*x[i+12] + 16.25*x[i+13] + 17.25*x[i+14] + 18.25*x[i+15] + 19.25*x[i+16] + 20.25*x[i+17] + 21.25*x[i+18] + 22.25*x[i+19] + 23.25*x[i+20])",
	"sum(min(x[i], x[i+1])*3.25 + 4.25*x[i+1] + 5.25*x[i+2] + 6.25*x[i+3] + 7.25*x[i+4] + 8.25*x[i+5] + 9.25*x[i+6] + 10.25*x[i+7] + 11.25*x[i+8] + 12.25*x[i+9] + 13.25*x[i+10] + 14.25*x[i+11])",
	"sum(i*(min(x[i], x[i+1])*3.25 + 4.25*x[i+1] + 5.25*x[i+2] + 6.25*x[i+3] + 7.25*x[i+4] + 8.25*x[i+5] + 9.25*x[i+6] + 10.25*x[i+7] + 11.25*x[i+8] + 12.25*x[i+9] + 13.25*x[i+10] + 14.25*x[i+11]))",
}

// randomArith draws an expression of the ops the loop compiles, at
// depth d: x at small offsets, i, n, constants (2 often), + - * /, ^
// with integer exponents, sqrt, abs, min, max.
func randomArith(r *rand.Rand, d int) string {
	if d == 0 || r.IntN(4) == 0 {
		switch r.IntN(6) {
		case 0:
			if r.IntN(3) == 0 { // many distinct constants fill the registers
				return fmt.Sprintf("%.2f", 20*r.Float64())
			}
			return []string{"2", "0.5", "3", "-1.5", "1e-3", "100"}[r.IntN(6)]
		case 1:
			return []string{"i", "n", "(i+1)"}[r.IntN(3)]
		default:
			if k := r.IntN(7) - 3; k != 0 {
				return fmt.Sprintf("x[i%+d]", k)
			}
			return "x[i]"
		}
	}
	a, b := randomArith(r, d-1), randomArith(r, d-1)
	switch r.IntN(11) {
	case 0:
		return "(" + a + " + " + b + ")"
	case 1:
		return "(" + a + " - " + b + ")"
	case 2, 3:
		return "(" + a + " * " + b + ")"
	case 4:
		return "(" + a + " / (1 + " + b + "^2))"
	case 5:
		return fmt.Sprintf("(%s)^%d", a, r.IntN(9)-3)
	case 6:
		return "sqrt(1 + " + a + "^2)"
	case 7:
		return "abs(" + a + ")"
	case 8:
		return "min(" + a + ", " + b + ")"
	case 9:
		return "max(" + a + ", " + b + ")"
	}
	return "2*" + a
}

// TestJITBits: where the compiled loops run, the terms and gradient are
// the interpreter's bits exactly, NaN payloads and signs included (the
// loop keeps the AVX kernels' operand order), over jitCases and 200
// random expressions of the ops the loop compiles, at points with
// zeros, NaN payloads and infinities, in the CPU backend's ranges of
// 256 and in ranges of 100, 512 and 97 (blocks whose starts and lengths
// differ, and one the loop does not take). Every such objective has its
// loops, and they run on a block inside x.
func TestJITBits(t *testing.T) {
	if !jitExec || !kern.UseAVX {
		t.Skip("no JIT on this platform (linux/amd64 with AVX only): the interpreter runs everything")
	}
	r := rand.New(rand.NewPCG(7, 11))
	srcs := append([]string(nil), jitCases...)
	for range 200 {
		src := "sum(" + randomArith(r, 4) + ")"
		if r.IntN(3) == 0 {
			src = "w = " + randomArith(r, 2) + "; " + src + " + mean(w*" + randomArith(r, 2) + ")"
		}
		srcs = append(srcs, src)
	}
	for ci, src := range srcs {
		o, err := Parse(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if o.Pre {
			continue
		}
		compiled := 0
		for _, p := range o.programs() {
			if jitEligible(p) && p.jit == nil {
				t.Fatalf("%q: a program of the loop's ops has no loop", src)
			}
			if p.jit != nil {
				compiled++
			}
		}
		if compiled == 0 {
			t.Fatalf("%q: no program compiled", src)
		}
		for _, n := range []int{1203 + r.IntN(40), 2048} {
			x := make([]float64, n)
			for i := range x {
				x[i] = 4*r.Float64() - 2
			}
			for range n / 10 {
				x[r.IntN(n)] = []float64{0, math.Copysign(0, -1), 1, -1, 2, 0.5}[r.IntN(6)]
			}
			if ci%3 == 1 {
				x[r.IntN(n)] = math.NaN()
				x[r.IntN(n)] = math.Float64frombits(0x7ff8000000000123)
				x[r.IntN(n)] = math.Float64frombits(0xfff0000000000077)
				x[r.IntN(n)] = math.Inf(-1)
			}
			if !jitRunsInside(o, x, n) {
				t.Fatalf("%q n=%d: no loop ran on the block at 512", src, n)
			}
			for _, step := range []int{256, 100, 512, 97} {
				for lo := 0; lo < n; lo += step {
					hi := min(lo+step, n)
					if name, d := jitVsInterpreter(o, x, lo, hi, n); d != "" {
						t.Fatalf("%q n=%d [%d,%d): %s with the loops differs from the interpreter:\n%s", src, n, lo, hi, name, d)
					}
				}
			}
		}
	}
}

// jitVsInterpreter runs Terms, Grad and TermsGrad over lo..hi with the
// loops and with the interpreter alone, and returns the first whose
// results differ in any bit, with exactDiff's list ("" where none does).
func jitVsInterpreter(o *Objective, x []float64, lo, hi, n int) (string, string) {
	defer func() { jitOn = true }()
	var runs [2][3][]float64
	for k, on := range []bool{true, false} {
		jitOn = on
		tt, g, tg, gg := make([]float64, hi-lo), make([]float64, hi-lo), make([]float64, hi-lo), make([]float64, hi-lo)
		o.Terms(tt, x, lo, hi, n, nil)
		o.Grad(g, x, lo, hi, n, nil)
		o.TermsGrad(tg, gg, x, lo, hi, n, nil)
		runs[k] = [3][]float64{tt, g, append(tg, gg...)}
	}
	for w, name := range []string{"Terms", "Grad", "TermsGrad"} {
		if d := exactDiff(runs[0][w], runs[1][w]); d != "" {
			return name, d
		}
	}
	return "", ""
}

// jitRunsInside reports whether every compiled program of o runs its
// loop on the block of 256 at 512.
func jitRunsInside(o *Objective, x []float64, n int) bool {
	t, g := make([]float64, blk), make([]float64, blk)
	for _, p := range o.programs() {
		if p.jit == nil {
			continue
		}
		var s *scratch
		fresh := true
		tb := t
		if !p.jit.terms {
			tb = nil
		}
		ok := o.jitRun(p, &s, x, tb, g, 512, blk, n, &fresh)
		o.putScratch(s)
		if !ok {
			return false
		}
	}
	return true
}

// exactDiff lists where a and b differ in any bit.
func exactDiff(a, b []float64) string {
	var s strings.Builder
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			fmt.Fprintf(&s, "[%d] %x, interpreter %x\n", i, math.Float64bits(a[i]), math.Float64bits(b[i]))
		}
	}
	return s.String()
}

// FuzzJIT: for any objective that parses, the compiled loops give the
// interpreter's bits on a point of random values and specials.
func FuzzJIT(f *testing.F) {
	for _, s := range jitCases {
		f.Add(s, uint64(1))
	}
	f.Fuzz(func(t *testing.T, src string, seed uint64) {
		if !jitExec || !kern.UseAVX {
			t.Skip("no JIT here")
		}
		o, err := Parse(src)
		if err != nil || o.Pre || o.MinDim > 64 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 3))
		n := 1100 + int(seed%64)
		x := make([]float64, n)
		for i := range x {
			x[i] = []float64{4*r.Float64() - 2, 0, math.Copysign(0, -1), math.NaN(), math.Inf(1), 1e300, 1e-310}[min(r.IntN(40), 6)]
		}
		for lo := 0; lo < n; lo += 256 {
			hi := min(lo+256, n)
			if name, d := jitVsInterpreter(o, x, lo, hi, n); d != "" {
				t.Fatalf("%q n=%d [%d,%d): %s with the loops differs from the interpreter:\n%s", src, n, lo, hi, name, d)
			}
		}
	})
}

// TestJITRefused: where the system refuses executable memory, no
// program has a loop, and every value comes from the interpreter.
func TestJITRefused(t *testing.T) {
	defer func(m func([]byte) ([]byte, error)) { mapExec = m }(mapExec)
	mapExec = func([]byte) ([]byte, error) { return nil, errors.New("refused") }
	o, err := Parse(rosenText)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range o.programs() {
		if p.jit != nil {
			t.Fatal("a loop without its memory")
		}
	}
	if o.jitMem != nil || o.jitCst != nil {
		t.Fatal("the refused mapping was kept")
	}
	const n = 1000
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i%9) / 4
	}
	g := make([]float64, n)
	o.Grad(g, x, 0, n, n, nil)
	want := make([]float64, n)
	o.refGrad(want, x, 0, n, n, nil)
	if !sameBits(g, want) {
		t.Fatal("the interpreter's gradient differs from the reference")
	}
}

// TestJITUnmapped: an Objective's code is unmapped once it is garbage.
func TestJITUnmapped(t *testing.T) {
	if !jitExec || !kern.UseAVX {
		t.Skip("no JIT on this platform (linux/amd64 with AVX only)")
	}
	before := jitUnmapped.Load()
	for range 8 {
		if _, err := Parse(rosenText); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		runtime.GC()
		if jitUnmapped.Load() > before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no mapping released after 100 collections")
}

// TestCPUCode: the line objective --show prints on how the CPU runs an
// objective.
func TestCPUCode(t *testing.T) {
	if !jitExec || !kern.UseAVX {
		t.Skip("no JIT on this platform (linux/amd64 with AVX only)")
	}
	for _, c := range []struct{ src, want string }{
		{rosenText, "cpu: compiled to x86-64 AVX code (3 programs)"},
		{"10*n+sum(x[i]^2-10*cos(2*pi*x[i]))", "cpu: interpreted (it calls cos, sin)"},
		{"sum(x[i]^1.5)", "cpu: interpreted (it calls a power that is not a whole number)"},
		{"sum(x[i]*x[i+120]) + sum(sin(x[i-100]))", "cpu: 1 of 4 programs compiled to x86-64 AVX code; the others call sin, cos (interpreted)"},
		{"log(1 + sum(x[i]*x[i+1])^2)", "cpu: interpreted (a pre-pass objective)"},
	} {
		o, err := Parse(c.src)
		if err != nil {
			t.Fatal(err)
		}
		if got := o.CPUCode(); got != c.want {
			t.Errorf("%q: %q, want %q", c.src, got, c.want)
		}
	}
	defer func(m func([]byte) ([]byte, error)) { mapExec = m }(mapExec)
	mapExec = func([]byte) ([]byte, error) { return nil, errors.New("refused") }
	o, err := Parse(rosenText)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.CPUCode(), "cpu: interpreted (executable memory refused: refused)"; got != want {
		t.Errorf("refused: %q, want %q", got, want)
	}
}
