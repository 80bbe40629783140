// Command genasm writes eval_amd64.s, the AVX kernel blockAVX of the
// evaluator's block operations, from a table of ops: one loop per op
// (vAdd to vSq), with and without fuse's factor or negation, storing the
// result or adding it to the destination, and a binary search over the
// op codes that picks the loop. The op numbers are read from eval.go's
// vop constants, so the two cannot fall out of step.
//
// Run it with go generate in internal/expr (eval_amd64.go's
// //go:generate line), or by hand from there:
//
//	go run ./internal/genasm
//
// TestGenerated checks that the checked-in eval_amd64.s is its output.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log"
	"os"
	"sort"
	"strings"
)

// An op is one of eval.go's vops with its AVX loop body for one lane of
// four: {r} is the lane's result register (Y0 or Y2), {o} its memory
// offset ("" or "32"), {t} a scratch register (Y8 or Y9). a is at (SI), b at (DX), the immediate c in Y1,
// the sign mask in Y3.
type op struct {
	vop   string   // eval.go's constant
	body  []string // the lane's instructions, leaving the result in {r}
	label string   // the loops' label, "" for the vop's name in capitals
}

var ops = []op{
	{"vAdd", []string{"VMOVUPD {o}(SI)(AX*8), {r}", "VADDPD {o}(DX)(AX*8), {r}, {r}"}, ""},
	{"vAddCR", []string{"VADDPD {o}(SI)(AX*8), Y1, {r}"}, ""},
	{"vAddRC", []string{"VADDPD {o}(SI)(AX*8), Y1, {r}"}, ""}, // c + a: + commutes (c is never NaN)
	{"vSub", []string{"VMOVUPD {o}(SI)(AX*8), {r}", "VSUBPD {o}(DX)(AX*8), {r}, {r}"}, ""},
	{"vSubCR", []string{"VSUBPD {o}(SI)(AX*8), Y1, {r}"}, ""},
	{"vSubRC", []string{"VMOVUPD {o}(SI)(AX*8), {r}", "VSUBPD Y1, {r}, {r}"}, ""},
	{"vMul", []string{"VMOVUPD {o}(SI)(AX*8), {r}", "VMULPD {o}(DX)(AX*8), {r}, {r}"}, ""},
	{"vMulCR", []string{"VMULPD {o}(SI)(AX*8), Y1, {r}"}, ""},
	{"vMulRC", []string{"VMULPD {o}(SI)(AX*8), Y1, {r}"}, ""}, // c * a: * commutes (c is never NaN)
	{"vDiv", []string{"VMOVUPD {o}(SI)(AX*8), {r}", "VDIVPD {o}(DX)(AX*8), {r}, {r}"}, ""},
	{"vDivCR", []string{"VDIVPD {o}(SI)(AX*8), Y1, {r}"}, ""},
	{"vDivRC", []string{"VMOVUPD {o}(SI)(AX*8), {r}", "VDIVPD Y1, {r}, {r}"}, ""},
	{"vNeg", []string{"VXORPD {o}(SI)(AX*8), Y3, {r}"}, ""},
	{"vSq", []string{"VMOVUPD {o}(SI)(AX*8), {r}", "VMULPD {r}, {r}, {r}"}, ""},
}

// The register-register ops with an operand computed in the loop
// (inline's forms, eval.go, in its order): QA squares a (a*a op b), QB
// squares b (a op b*b), KA multiplies a by the immediate (c*a op b), KB
// b (a op c*b), PA and PB square the operand and multiply the square by
// c, NA and NB multiply it by c and negate it, each as the instruction
// it replaces computed it: c*v and v*c agree bit for bit (c is never
// NaN). {t} is the lane's scratch register. Their labels keep the
// form apart from the variants' suffixes (ADD_NA, not ADDNA: vAdd
// negated, adding to d).
func init() {
	for _, rr := range []struct{ name, inst string }{{"Add", "VADDPD"}, {"Sub", "VSUBPD"}, {"Mul", "VMULPD"}, {"Div", "VDIVPD"}} {
		i := rr.inst
		ops = append(ops,
			op{"v" + rr.name + "QA", []string{"VMOVUPD {o}(SI)(AX*8), {r}", "VMULPD {r}, {r}, {r}", i + " {o}(DX)(AX*8), {r}, {r}"}, strings.ToUpper(rr.name) + "_QA"},
			op{"v" + rr.name + "QB", []string{"VMOVUPD {o}(DX)(AX*8), {t}", "VMULPD {t}, {t}, {t}", "VMOVUPD {o}(SI)(AX*8), {r}", i + " {t}, {r}, {r}"}, strings.ToUpper(rr.name) + "_QB"},
			op{"v" + rr.name + "KA", []string{"VMULPD {o}(SI)(AX*8), Y1, {r}", i + " {o}(DX)(AX*8), {r}, {r}"}, strings.ToUpper(rr.name) + "_KA"},
			op{"v" + rr.name + "KB", []string{"VMULPD {o}(DX)(AX*8), Y1, {t}", "VMOVUPD {o}(SI)(AX*8), {r}", i + " {t}, {r}, {r}"}, strings.ToUpper(rr.name) + "_KB"},
			op{"v" + rr.name + "PA", []string{"VMOVUPD {o}(SI)(AX*8), {r}", "VMULPD {r}, {r}, {r}", "VMULPD Y1, {r}, {r}", i + " {o}(DX)(AX*8), {r}, {r}"}, strings.ToUpper(rr.name) + "_PA"},
			op{"v" + rr.name + "PB", []string{"VMOVUPD {o}(DX)(AX*8), {t}", "VMULPD {t}, {t}, {t}", "VMULPD Y1, {t}, {t}", "VMOVUPD {o}(SI)(AX*8), {r}", i + " {t}, {r}, {r}"}, strings.ToUpper(rr.name) + "_PB"},
			op{"v" + rr.name + "NA", []string{"VMULPD {o}(SI)(AX*8), Y1, {r}", "VXORPD Y3, {r}, {r}", i + " {o}(DX)(AX*8), {r}, {r}"}, strings.ToUpper(rr.name) + "_NA"},
			op{"v" + rr.name + "NB", []string{"VMULPD {o}(DX)(AX*8), Y1, {t}", "VXORPD Y3, {t}, {t}", "VMOVUPD {o}(SI)(AX*8), {r}", i + " {t}, {r}, {r}"}, strings.ToUpper(rr.name) + "_NB"},
		)
	}
}

// The variants: a result modifier (fuse's factor post in Y4, or
// negation; eval.go's kScaled and kNegated) and a store (d = r, d = 0 +
// r with 0 in Y6, d = d + r; kStoreZero and kStoreAdd), each adding its
// code to the op's and its suffix to the loop's label, and its
// instructions to the lane's body ({a} is the lane's register for d's
// old value, Y5 or Y7).
type variant struct {
	code   int
	suffix string
	body   []string
}

var (
	results = []variant{
		{0, "", nil},
		{64, "S", []string{"VMULPD Y4, {r}, {r}"}},
		{128, "N", []string{"VXORPD Y3, {r}, {r}"}},
	}
	stores = []variant{
		{0, "", nil},
		{256, "Z", []string{"VADDPD {r}, Y6, {r}"}},
		{512, "A", []string{"VMOVUPD {o}(DI)(AX*8), {a}", "VADDPD {r}, {a}, {r}"}},
	}
)

// lane is one of a loop iteration's two groups of four.
type lane struct{ r, o, a, t string }

var lanes = [2]lane{{"Y0", "", "Y5", "Y8"}, {"Y2", "32", "Y7", "Y9"}}

// A loop is one op's loop in one variant.
type loop struct {
	code  int
	label string // without op, tail
	body  []string
}

func main() {
	in := flag.String("in", "eval.go", "the Go file with the vop constants")
	out := flag.String("out", "eval_amd64.s", "the assembly file to write")
	flag.Parse()
	src, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	asm, err := generate(src)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, asm, 0o644); err != nil {
		log.Fatal(err)
	}
}

// vops returns the values of the vop constants declared in Go source
// src: a const block of type vop whose first constant is iota and the
// rest implicit.
func vops(src []byte) (map[string]int, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "eval.go", src, 0)
	if err != nil {
		return nil, err
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST || len(g.Specs) == 0 {
			continue
		}
		first := g.Specs[0].(*ast.ValueSpec)
		if t, ok := first.Type.(*ast.Ident); !ok || t.Name != "vop" {
			continue
		}
		if len(first.Names) != 1 || len(first.Values) != 1 {
			return nil, fmt.Errorf("the vop constants: want %s vop = iota", first.Names[0].Name)
		}
		if id, ok := first.Values[0].(*ast.Ident); !ok || id.Name != "iota" {
			return nil, fmt.Errorf("the vop constants: want %s vop = iota", first.Names[0].Name)
		}
		m := map[string]int{}
		for i, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if len(v.Names) != 1 || (i > 0 && (v.Type != nil || v.Values != nil)) {
				return nil, fmt.Errorf("the vop constants: %s is not implicit iota", v.Names[0].Name)
			}
			m[v.Names[0].Name] = i
		}
		return m, nil
	}
	return nil, fmt.Errorf("no const block of type vop")
}

// generate returns eval_amd64.s for eval.go's source src.
func generate(src []byte) ([]byte, error) {
	codes, err := vops(src)
	if err != nil {
		return nil, err
	}
	var loops []loop
	for i, o := range ops {
		v, ok := codes[o.vop]
		if !ok {
			return nil, fmt.Errorf("eval.go has no vop %s", o.vop)
		}
		if v >= results[1].code {
			return nil, fmt.Errorf("vop %s is %d, past the variants' codes", o.vop, v)
		}
		if i > 0 && v != codes[ops[0].vop]+i {
			return nil, fmt.Errorf("vop %s is %d, not %s+%d: the table is not in eval.go's order", o.vop, v, ops[0].vop, i)
		}
		name := o.label
		if name == "" {
			name = strings.ToUpper(strings.TrimPrefix(o.vop, "v"))
		}
		for _, r := range results {
			for _, s := range stores {
				body := append(append(append([]string(nil), o.body...), r.body...), s.body...)
				loops = append(loops, loop{v + r.code + s.code, name + r.suffix + s.suffix, body})
			}
		}
	}
	sorted := append([]loop(nil), loops...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].code < sorted[j].code })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].code == sorted[i-1].code {
			return nil, fmt.Errorf("op code %d twice: %s and %s", sorted[i].code, sorted[i-1].label, sorted[i].label)
		}
	}

	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString(prologue)
	fmt.Fprintf(&b, "\t// A binary search over the op codes, %d compares at most.\n", compares(len(sorted)))
	g := 0
	search(&b, sorted, &g)
	for _, l := range loops {
		writeLoop(&b, l)
	}
	b.WriteString("\ndone:\n\tVZEROUPPER\n\tRET\n")
	return b.Bytes(), nil
}

// leaf is the most op codes a search node tests one by one.
const leaf = 3

// search writes the binary search over the op codes ls, sorted, jumping
// to each one's loop and to done for any other code; g numbers the
// labels.
func search(b *bytes.Buffer, ls []loop, g *int) {
	if len(ls) <= leaf {
		for _, l := range ls {
			fmt.Fprintf(b, "\tCMPQ BX, $%d\n\tJEQ  op%s\n", l.code, l.label)
		}
		b.WriteString("\tJMP  done\n")
		return
	}
	m := len(ls) / 2
	*g++
	ge := *g
	fmt.Fprintf(b, "\tCMPQ BX, $%d\n\tJGE  ge%d\n", ls[m].code, ge)
	search(b, ls[:m], g)
	fmt.Fprintf(b, "\nge%d:\n", ge)
	search(b, ls[m:], g)
}

// compares is the most compares search makes over n codes.
func compares(n int) int {
	if n <= leaf {
		return n
	}
	return 1 + max(compares(n/2), compares(n-n/2))
}

// writeLoop writes l's loop: eight elements an iteration up to R8, then
// four at a time up to CX (once: n is a multiple of 4).
func writeLoop(b *bytes.Buffer, l loop) {
	lines := func(ln lane) {
		r := strings.NewReplacer("{r}", ln.r, "{o}", ln.o, "{a}", ln.a, "{t}", ln.t)
		for _, s := range l.body {
			fmt.Fprintf(b, "\t%s\n", r.Replace(s))
		}
	}
	fmt.Fprintf(b, "\nop%s:\n\tCMPQ AX, R8\n\tJGE  tail%s\n", l.label, l.label)
	lines(lanes[0])
	lines(lanes[1])
	fmt.Fprintf(b, "\tVMOVUPD Y0, (DI)(AX*8)\n\tVMOVUPD Y2, 32(DI)(AX*8)\n\tADDQ $8, AX\n\tJMP  op%s\n", l.label)
	fmt.Fprintf(b, "\ntail%s:\n\tCMPQ AX, CX\n\tJGE  done\n", l.label)
	lines(lanes[0])
	b.WriteString("\tVMOVUPD Y0, (DI)(AX*8)\n\tJMP  done\n")
}

const header = `//go:build amd64 && !purego

#include "textflag.h"

// Code generated by internal/genasm from eval.go; DO NOT EDIT.

// The evaluator's block operations (eval_amd64.go): AVX1 256-bit
// operations only, no FMA, VZEROUPPER before returning to Go's SSE code
// (see cpu/simd_amd64.s and internal/kern/vec_amd64.s for the rules).
// Each lane rounds as the scalar SSE2 instruction of eval.go's loops
// does, so the results are the scalar loops' bits. Register-register
// operations name a first, as gc's scalar code for - and / must ("SUBSD
// (b), Xa"): a NaN result where both operands are NaN keeps a's payload.
// An immediate is never NaN (compileProg keeps a NaN constant in a
// register), so c op a and a op c agree bit for bit for + and *, and the
// CR kernel serves RC too; so does fuse's factor post, multiplied after
// the op (v*post for the post*v it replaces). Negation, an op or fuse's,
// flips the sign bit, as gc's XORPS does, NaN included. The ops from
// vAddQA on compute an operand in the loop (squared, times c, or both,
// or times c and negated), as the instruction that inline folded into
// them did.
//
// A deferred output's kernel (op+256, op+512) then adds the result to
// the destination, 0 + r or d + r with the left operand first as
// accumulate's scalar loop has it.
//
// The loops come from internal/genasm's table (one per op, with and
// without fuse's factor or negation, storing or adding the result), the
// op numbers from eval.go's vop constants. To change a loop or an op,
// edit internal/genasm/main.go and regenerate this file with go generate
// in internal/expr (or go run ./internal/genasm there); genasm's
// TestGenerated fails while the two differ. TestBlockVecBits runs every
// op, with and without the factor.

`

const prologue = `DATA evalSign<>+0(SB)/8, $0x8000000000000000
GLOBL evalSign<>(SB), RODATA|NOPTR, $8

// func blockAVX(op int, d, a, b *float64, c, post float64, n int)
//
// d[e] = a[e] op b[e] (or op with the immediate c, or of a alone) for
// e < n, a positive multiple of 4; op is a vop from vAdd to vDivNB, plus
// 64 to multiply each result by post, or plus 128 to negate it; plus 256
// to store 0 + the result, plus 512 to store d[e] + the result. b is
// read only by the register-register ops.
TEXT ·blockAVX(SB), NOSPLIT, $0-56
	MOVQ         op+0(FP), BX
	MOVQ         d+8(FP), DI
	MOVQ         a+16(FP), SI
	MOVQ         b+24(FP), DX
	VBROADCASTSD c+32(FP), Y1
	VBROADCASTSD post+40(FP), Y4
	VBROADCASTSD evalSign<>(SB), Y3
	MOVQ         n+48(FP), CX
	VXORPD       Y6, Y6, Y6 // 0
	MOVQ         CX, R8
	ANDQ         $-8, R8 // the 8-wide loop's end
	XORQ         AX, AX
`
