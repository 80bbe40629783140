package expr

import "encoding/binary"

// An x86-64 encoder for the few instructions the JIT (jit.go) emits:
// 256-bit AVX1 operations in their three-byte VEX form (no FMA, so each
// lane rounds as the interpreter's kernels do), the loads and stores of
// the tile loop, and the loop's integer bookkeeping. Each encoding is
// checked against golang.org/x/arch's disassembler in jit_test.go.

// ymm is a 256-bit register, Y0 to Y15.
type ymm uint8

// gpr is a general register by its hardware number: RAX 0, RCX 1, RDX 2,
// RBX 3, RSI 6, RDI 7, R8 to R15 8 to 15.
type gpr uint8

const (
	rAX gpr = 0
	rCX gpr = 1
	rDX gpr = 2
	rBX gpr = 3
	rSI gpr = 6
	rDI gpr = 7
	r8  gpr = 8
	r9  gpr = 9
	r10 gpr = 10
	r11 gpr = 11
)

// operand is an instruction's r/m operand: a register, or memory at
// base + disp, plus RCX when indexed (the tile loop's byte offset).
type operand struct {
	mem     bool
	reg     ymm // the register when !mem
	base    gpr
	indexed bool
	disp    int32
}

func reg(r ymm) operand { return operand{reg: r} }

// at is memory at base+disp; atTile adds the tile's offset RCX.
func at(base gpr, disp int32) operand { return operand{mem: true, base: base, disp: disp} }
func atTile(base gpr, disp int32) operand {
	return operand{mem: true, base: base, indexed: true, disp: disp}
}

// x86 is machine code being written.
type x86 struct{ b []byte }

// The VEX opcode maps and the opcodes used (all with the 66 prefix).
const (
	map0F   = 1
	map0F38 = 2
	map0F3A = 3

	opMovupdLoad  = 0x10
	opMovupdStore = 0x11
	opMovapd      = 0x28
	opSqrtpd      = 0x51
	opAndpd       = 0x54
	opOrpd        = 0x56
	opXorpd       = 0x57
	opAddpd       = 0x58
	opMulpd       = 0x59
	opSubpd       = 0x5C
	opDivpd       = 0x5E
	opCmppd       = 0xC2
	opBroadcastsd = 0x19 // map 0F38
	opBlendvpd    = 0x4B // map 0F3A
)

// VCMPPD predicates: a < b and a <= b (false when unordered) and a != b
// (true when unordered), as Go's <, <= and != compare.
const (
	cmpLT  = 0x01
	cmpLE  = 0x02
	cmpNEQ = 0x04
)

// vex writes a three-byte VEX prefix, 256-bit, 66, W0: reg is ModRM.reg's
// register, v the first source (0 when the instruction has none: VEX
// encodes it inverted, 1111), rm the r/m operand.
func (a *x86) vex(mp byte, reg, v uint8, rm operand) {
	x, b := byte(1), byte(1) // inverted REX.X and REX.B
	if rm.mem {
		b = ^byte(rm.base) >> 3 & 1
		if rm.indexed {
			x = ^byte(rCX) >> 3 & 1
		}
	} else {
		b = ^byte(rm.reg) >> 3 & 1
	}
	r := ^reg >> 3 & 1
	a.b = append(a.b, 0xC4, r<<7|x<<6|b<<5|mp, (^v&15)<<3|1<<2|1)
}

// modrm writes the ModRM byte for reg and rm, with a SIB byte and a
// 32-bit displacement for memory (base + RCX*1 + disp when indexed).
// A base whose low bits are 100 (RSP, R12) would need a SIB byte when
// not indexed; the JIT never uses one.
func (a *x86) modrm(reg uint8, rm operand) {
	if !rm.mem {
		a.b = append(a.b, 0xC0|(reg&7)<<3|uint8(rm.reg)&7)
		return
	}
	if rm.base&7 == 4 {
		panic("expr: jit: RSP or R12 as a base")
	}
	if rm.indexed {
		a.b = append(a.b, 0x80|(reg&7)<<3|4, byte(rCX&7)<<3|byte(rm.base&7))
	} else {
		a.b = append(a.b, 0x80|(reg&7)<<3|byte(rm.base&7))
	}
	a.b = binary.LittleEndian.AppendUint32(a.b, uint32(rm.disp))
}

// vop3 writes d = s1 op s2 (map 0F), s2 a register or memory.
func (a *x86) vop3(opc byte, d, s1 ymm, s2 operand) {
	a.vex(map0F, uint8(d), uint8(s1), s2)
	a.b = append(a.b, opc)
	a.modrm(uint8(d), s2)
}

// load writes VMOVUPD d, m; store VMOVUPD m, s; movapd VMOVAPD d, s.
func (a *x86) load(d ymm, m operand)  { a.vop3(opMovupdLoad, d, 0, m) }
func (a *x86) store(m operand, s ymm) { a.vop3(opMovupdStore, s, 0, m) }
func (a *x86) movapd(d, s ymm)        { a.vop3(opMovapd, d, 0, reg(s)) }

// sqrt writes VSQRTPD d, s.
func (a *x86) sqrt(d ymm, s operand) { a.vop3(opSqrtpd, d, 0, s) }

// cmp writes VCMPPD d, s1, s2, pred.
func (a *x86) cmp(d, s1 ymm, s2 operand, pred byte) {
	a.vop3(opCmppd, d, s1, s2)
	a.b = append(a.b, pred)
}

// blendv writes VBLENDVPD d, s1, s2, mask: each lane s2's where mask's
// sign bit is set, s1's elsewhere.
func (a *x86) blendv(d, s1 ymm, s2 operand, mask ymm) {
	a.vex(map0F3A, uint8(d), uint8(s1), s2)
	a.b = append(a.b, opBlendvpd)
	a.modrm(uint8(d), s2)
	a.b = append(a.b, byte(mask)<<4)
}

// movq writes MOVQ d, [base+disp8]: REX.W 8B /r.
func (a *x86) movq(d gpr, base gpr, disp int8) {
	rex := byte(0x48) | byte(d>>3)<<2 | byte(base>>3)
	a.b = append(a.b, rex, 0x8B, 0x40|byte(d&7)<<3|byte(base&7), byte(disp))
}

// The tile loop's bookkeeping: XOR ECX, ECX; ADD RCX, imm8; CMP RCX,
// RAX; JB back to a byte offset; VZEROUPPER (AVX state before Go's SSE
// code); RET.
func (a *x86) zeroRCX()        { a.b = append(a.b, 0x31, 0xC9) }
func (a *x86) addRCX(imm int8) { a.b = append(a.b, 0x48, 0x83, 0xC1, byte(imm)) }
func (a *x86) cmpRCXRAX()      { a.b = append(a.b, 0x48, 0x39, 0xC1) }
func (a *x86) vzeroupper()     { a.b = append(a.b, 0xC5, 0xF8, 0x77) }
func (a *x86) ret()            { a.b = append(a.b, 0xC3) }
func (a *x86) jbBack(to int) {
	rel := to - (len(a.b) + 6)
	a.b = append(a.b, 0x0F, 0x82)
	a.b = binary.LittleEndian.AppendUint32(a.b, uint32(int32(rel)))
}
