package engine

import (
	"fmt"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// The tiled GEMM kernel family (shaders/gemm.glsl) that the mlp's layers
// run on: C = op(A)·op(B) with a fused epilogue (the bias and the
// activation forward, the activation's derivative backward). One program
// serves the three forms A·B, Aᵀ·B and A·Bᵀ, the transposes being element
// strides set per dispatch.

// SSBO bindings of gemm.glsl: above every other kernel's, so that a GEMM
// between two model kernels disturbs none of their bindings.
const (
	bindGemmA = 24
	bindGemmB = 25
	bindGemmC = 26
	bindGemmE = 27
)

// gemmTile is gemm.glsl's tile edge: a workgroup computes a gemmTile x
// gemmTile block of C.
const gemmTile = 32

// Epilogues of gemm.glsl (its uniform epi).
const (
	epiPlain    = 0 // C = s, or C + s with accumulate
	epiBiasAct  = 1 // C = s + bias; with an activation, H = act(C) too
	epiActDeriv = 2 // C = s · act'(a, h)
	epiHead     = 3 // the mlp's output layer with its head fused (gemm.glsl's HEAD): C = dl/dz, the loss into partials
)

// gemmOperand is a matrix in a buffer: element (r, c) at off + r*row +
// c*col. A transpose swaps row and col.
type gemmOperand struct {
	buf           buffer
	off, row, col int
}

// rowMajor is the r x c row-major matrix at off in buf (leading dimension
// ld); t transposes it.
func rowMajor(buf buffer, off, ld int, t bool) gemmOperand {
	if t {
		return gemmOperand{buf: buf, off: off, row: 1, col: ld}
	}
	return gemmOperand{buf: buf, off: off, row: ld, col: 1}
}

// gemmCall is one GEMM: C (m x n, row-major at cOff in c, leading
// dimension ldc) from A (m x k) and B (k x n).
type gemmCall struct {
	m, n, k    int
	a, b       gemmOperand
	c          buffer
	cOff, ldc  int
	accumulate bool // epiPlain: add to C's previous values
	epi        int
	biasOff    int    // epiBiasAct: the bias vector's offset in b's buffer
	e          buffer // epiActDeriv: the buffer of the pre-activations and activations
	pOff, hOff int    // the pre-activations (in e) and activations (in c, or in e for epiActDeriv), laid out as C
}

// checkGEMMBindings refuses a driver with too few shader storage binding
// points for the GEMM kernels, which would otherwise fail to link. On the
// GL thread.
func (c *Context) checkGEMMBindings() error {
	var bindings int32
	gl.GetIntegerv(gl.MAX_SHADER_STORAGE_BUFFER_BINDINGS, &bindings)
	if bindings <= bindGemmE {
		return fmt.Errorf("engine: the mlp's kernels need %d shader storage binding points, this driver has %d (GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS)", bindGemmE+1, bindings)
	}
	return nil
}

// buildGEMM compiles gemm.glsl for real (float or double) and act, the
// activation's index in gdgpu.Activations, or -1 for none. On the GL
// thread.
func (c *Context) buildGEMM(real string, act int) (*program, error) {
	if err := c.checkGEMMBindings(); err != nil {
		return nil, err
	}
	defs := map[string]string{"real": real}
	if real == "double" {
		defs["REAL_IS_DOUBLE"] = "1"
	}
	files := []string{"fp64math.glsl", "model_math.glsl", "rerf.glsl"}
	name := fmt.Sprintf("gemm(%s)", real)
	if act >= 0 {
		defs["ACT"] = fmt.Sprint(act)
		files = append(files, "mlp_act.glsl")
		name = fmt.Sprintf("gemm(%s,act %d)", real, act)
	}
	return c.build(name, defs, glslFiles(append(files, "gemm.glsl")...)...)
}

// dispatchGEMM issues g on p (a buildGEMM program), without a barrier
// after it. It refuses a grid beyond the device's workgroup counts, which
// would run nothing, silently. On the GL thread.
func (c *Context) dispatchGEMM(p *program, g gemmCall) error {
	gx, gy := (g.n+gemmTile-1)/gemmTile, (g.m+gemmTile-1)/gemmTile
	if gx > c.info.MaxWorkGroupCount[0] || gy > c.info.MaxWorkGroupCount[1] {
		return fmt.Errorf("engine: a %d x %d GEMM needs %d x %d workgroups, more than the device's GL_MAX_COMPUTE_WORK_GROUP_COUNT %v", g.m, g.n, gx, gy, c.info.MaxWorkGroupCount)
	}
	if gx == 0 || gy == 0 {
		return nil
	}
	p.use()
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGemmA, g.a.buf.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGemmB, g.b.buf.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGemmC, g.c.id)
	e := g.e
	if e.id == 0 {
		e = g.c // bound to something; gemm.glsl reads it only in epiActDeriv
	}
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGemmE, e.id)
	for _, u := range []struct {
		name string
		v    int
	}{{"M", g.m}, {"N", g.n}, {"KD", g.k}, {"aOff", g.a.off}, {"aRow", g.a.row}, {"aCol", g.a.col},
		{"bOff", g.b.off}, {"bRow", g.b.row}, {"bCol", g.b.col}, {"cOff", g.cOff}, {"ldc", g.ldc},
		{"biasOff", g.biasOff}, {"pOff", g.pOff}, {"hOff", g.hOff}} {
		p.setUint(u.name, uint32(u.v))
	}
	p.setInt("accumulate", boolInt(g.accumulate))
	p.setInt("epi", int32(g.epi))
	gl.DispatchCompute(uint32(gx), uint32(gy), 1)
	return nil
}
