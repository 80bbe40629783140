package engine

import (
	"fmt"
	"runtime"
	"slices"

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

// gemmTile is gemm.glsl's tile edge with its default block (GEMM_R 2):
// a workgroup computes a gemmTile x gemmTile block of C. The fused head
// always runs in it; the mlp's other products pick among gemmBlocks.
const gemmTile = 32

// gemmBlocks are the invocation blocks gemm.glsl compiles for (GEMM_R: an
// invocation's r x r outputs, a workgroup's 16r x 16r tile), smallest
// first; gemmKernels holds one program for each.
var gemmBlocks = [3]int{2, 4, 8}

// gemmSharedBytes is the shared memory of gemm.glsl's two tiles (16-deep
// slices of A's and B's 16r rows or columns) in real (float or double)
// with r x r outputs an invocation.
func gemmSharedBytes(real string, r int) int {
	elem := 4
	if real == "double" {
		elem = 8
	}
	return 2 * 16 * 16 * r * elem
}

// GEMMBlocks returns the invocation blocks the GEMM kernel compiles for
// (2, 4 and 8: r x r outputs an invocation, 16r-wide tiles), for
// BenchGEMMBlock and Options.GEMMBlock.
func GEMMBlocks() []int { return slices.Clone(gemmBlocks[:]) }

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
	tile       int    // the program's tile edge (16 * its GEMM_R); 0 for gemmTile
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
	return c.buildGEMMBlock(real, act, 2)
}

// buildGEMMBlock is buildGEMM with r x r outputs an invocation (GEMM_R, one
// of GEMMBlocks): calls on it set gemmCall.tile to 16r. On the GL thread.
func (c *Context) buildGEMMBlock(real string, act, r int) (*program, error) {
	if err := c.checkGEMMBindings(); err != nil {
		return nil, err
	}
	defs := map[string]string{"real": real}
	if real == "double" {
		defs["REAL_IS_DOUBLE"] = "1"
	}
	files := []string{"fp64math.glsl", "model_math.glsl", "rerf.glsl"}
	name := fmt.Sprintf("gemm(%s)", real)
	if r != 2 {
		if !slices.Contains(gemmBlocks[:], r) {
			return nil, fmt.Errorf("engine: a GEMM block of %d x %d outputs an invocation: want one of %v", r, r, gemmBlocks)
		}
		if need := gemmSharedBytes(real, r); need > c.info.MaxSharedMemory {
			return nil, fmt.Errorf("%w: a GEMM block of %d x %d needs %d bytes of shared memory, the device has %d (GL_MAX_COMPUTE_SHARED_MEMORY_SIZE)", ErrTooBig, r, r, need, c.info.MaxSharedMemory)
		}
		defs["GEMM_R"] = fmt.Sprint(r)
		name = fmt.Sprintf("gemm(%s,r %d)", real, r)
	}
	if act >= 0 {
		defs["ACT"] = fmt.Sprint(act)
		files = append(files, "mlp_act.glsl")
		name = fmt.Sprintf("gemm(%s,act %d)", real, act)
		if r != 2 {
			name = fmt.Sprintf("gemm(%s,act %d,r %d)", real, act, r)
		}
	}
	return c.build(name, defs, glslFiles(append(files, "gemm.glsl")...)...)
}

// dispatchGEMM issues g on p (a buildGEMM program), without a barrier
// after it. It refuses a grid beyond the device's workgroup counts, which
// would run nothing, silently. On the GL thread.
func (c *Context) dispatchGEMM(p *program, g gemmCall) error {
	tile := g.tile
	if tile == 0 {
		tile = gemmTile
	}
	gx, gy := (g.n+tile-1)/tile, (g.m+tile-1)/tile
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

// gemmKernels is a GEMM program for each of gemmBlocks (nil where the
// device's shared memory does not hold the block's tiles, or
// Options.GEMMBlock forces another), one activation and precision: the
// same sums in the same order, so the same bits, whichever runs.
type gemmKernels [3]*program

// buildGEMMKernels compiles gemm.glsl for real and act (buildGEMM) in each
// block the device holds, or Options.GEMMBlock alone. On the GL thread.
func (c *Context) buildGEMMKernels(real string, act int) (gemmKernels, error) {
	var k gemmKernels
	for i, r := range gemmBlocks {
		if f := c.opts.GEMMBlock; f != 0 && f != r || r != 2 && f == 0 && gemmSharedBytes(real, r) > c.info.MaxSharedMemory {
			continue
		}
		p, err := c.buildGEMMBlock(real, act, r)
		if err != nil {
			k.release()
			return gemmKernels{}, err
		}
		k[i] = p
	}
	return k, nil
}

// release deletes the programs.
func (k *gemmKernels) release() {
	for _, p := range k {
		p.release()
	}
}

// pick is the program for an m x n product and its tile edge: the largest
// block whose grid still has fill workgroups (gemmFill) and whose tiles
// are at least half inside C, else the smallest built. A larger block
// reads shared memory less per product (llvmpipe, f32: 2.2x the speed at
// 4 x 4 and 3.7-3.8x at 8 x 8 on 512³ and 1024³, BENCHMARKS.md), but makes fewer,
// larger workgroups, which leave a GPU's multiprocessors idle on a small
// product, and computes more outputs past C's edges (a bias gradient's
// single column).
func (k *gemmKernels) pick(m, n, fill int) (*program, int) {
	best := -1
	for i, r := range gemmBlocks {
		if k[i] == nil {
			continue
		}
		t := 16 * r
		gx, gy := (n+t-1)/t, (m+t-1)/t
		if best < 0 || gx*gy >= fill && 2*m*n >= gx*gy*t*t {
			best = i
		}
	}
	return k[best], 16 * gemmBlocks[best]
}

// dispatch issues g (its tile set) on the program pick chooses for its
// shape. On the GL thread.
func (k *gemmKernels) dispatch(c *Context, g gemmCall, fill int) error {
	p, tile := k.pick(g.m, g.n, fill)
	g.tile = tile
	return c.dispatchGEMM(p, g)
}

// gemmFill is the fewest workgroups pick wants in a product's grid: two
// for each of the GPU's multiprocessors where the driver gives them, two
// for each CPU thread on a software renderer, else two for each of an
// H100's 132 (the largest GPUs of 2026).
func gemmFill(in Info) int {
	switch {
	case in.Software:
		return 2 * runtime.NumCPU()
	case in.SMCount > 0:
		return 2 * in.SMCount
	}
	return 2 * 132
}
