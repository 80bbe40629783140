package engine

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
)

// The multi-layer perceptron (docs/models.md, gdgpu.ModelInfo.Net) on the
// GPU: a modelBackend whose gradient pass runs the network as GEMMs
// (gemm.go) instead of model_rows.glsl and model_grad.glsl. The sample
// ring, the read-back, the final kernel (model_final.glsl, with one row of
// sums) and the optimizer step are the linear models'.
//
// A batch is processed in passes of at most posChunk positions; a pass is
//
//  1. mlp_gather.glsl, once per data chunk: the pass's rows, in the
//     driver's order, into the activations buffer (m.dz) as a dense
//     posChunk x d matrix X0 in the job's precision, and their targets;
//  2. forward, layer by layer: A_l = H_{l-1}·W_lᵀ + b_l, H_l = act(A_l)
//     (one GEMM with the bias and activation epilogue; the output layer's
//     without activation gives Z);
//  3. mlp_head.glsl: the loss of each row and dl/dz in place of Z; or,
//     when a row's K outputs fit one GEMM tile (fused), the output
//     layer's GEMM does this in its epilogue (gemm.glsl's epilogue 3) and
//     there is no head dispatch;
//  4. backward, from the output layer down: gW_l += doutᵀ·H_{l-1} and
//     gb_l += doutᵀ·1 (GEMMs into the gradient sums, m.gpart, added to
//     the earlier passes' sums), then, below the output layer,
//     dout = (dout·W_l) ⊙ act'(A_{l-1}) (the derivative epilogue).
//
// Every element of every product is one running sum in a fixed order
// (gemm.glsl), and the passes are added in order, so a run gives the same
// bits twice. The GEMMs' grids and the buffers are sized by plan: an
// activation matrix is bound whole, so a pass's activations must fit one
// binding (GL_MAX_SHADER_STORAGE_BLOCK_SIZE).
type mlpNet struct {
	width  []int // d, the hidden widths, K
	off    []int // layer l's weights start at off[l], its biases at off[l] + width[l+1]*width[l]
	act    int   // index in gdgpu.Activations
	slope  float64
	perPos int // reals of the activations buffer per position

	// offsets in the activations buffer, in reals per position (times posChunk)
	aOff, hOff []int // hidden layer l's pre-activations and activations (l = 1..L-1)
	zOff, yOff int
	bOff       [2]int // the backward's two dl/d(hidden) buffers

	gemmAct, gemmLin gemmKernels // the GEMMs with and without the activation
	gemmHead         *program    // fused: the output layer's GEMM with the head (32 x 32 tiles)
	gemmFill         int         // gemmKernels.pick's fill: gemmFill
	macsPerElem      int         // a GEMM's multiply-adds that count as an element: gemmMACsPerElem in f32, gemmMACsPerElemF64 in f64
	fused            bool        // the head fused with the output layer (K <= fuseHeadMax)
	pairsPerPass     int         // partial pairs a pass records: the head's workgroups, or fused the GEMM's workgroup rows
	gatherK          *program
	ones             buffer // one real 1: the bias gradient's column of ones (stride 0)
}

// maxNetPositions bounds a network's pass: 2048 workgroup rows of a GEMM
// over the positions fill any device, while the activations of a pass of
// a large data set (the full batch, every sample) stay tens of MiB rather
// than a whole binding (2 GiB on NVIDIA).
const maxNetPositions = 1 << 16

// fuseHeadMax is the most outputs for which the head is fused with the
// output layer's GEMM: one tile's columns (a row's outputs in one
// workgroup) and a private array of K reals (maxPrivateOutputs: rowLoss
// without Z_IN_DZ). A variable so that the tests can force the head
// dispatch (0) and compare the two paths.
var fuseHeadMax = min(gemmTile, maxPrivateOutputs)

// newMLPNet reads the network's shape from job (validated by
// gdgpu.ModelNetwork).
func newMLPNet(job *gdgpu.Job) (*mlpNet, error) {
	if _, err := gdgpu.ModelNetwork(job); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	d := job.Data
	n := &mlpNet{width: append(append([]int{d.Cols}, job.Hidden...), d.Outputs()), slope: job.LeakySlope}
	if n.slope == 0 {
		n.slope = gdgpu.DefaultLeakySlope
	}
	act := job.Activation
	if act == "" {
		act = "relu"
	}
	n.act = slices.Index(gdgpu.Activations, act)
	off := 0
	for l := 0; l+1 < len(n.width); l++ {
		n.off = append(n.off, off)
		off += n.width[l+1] * (n.width[l] + 1)
	}
	if off != job.Dim {
		return nil, fmt.Errorf("engine: mlp %v has %d parameters, the job says %d", n.width, off, job.Dim)
	}
	// the activations buffer, per position: X0, each hidden layer's A and
	// H, Z, y, and the backward's two buffers of the widest hidden layer
	p := n.width[0]
	widest := 0
	for _, w := range n.width[1 : len(n.width)-1] {
		n.aOff = append(n.aOff, p)
		n.hOff = append(n.hOff, p+w)
		p += 2 * w
		widest = max(widest, w)
	}
	n.zOff = p
	p += n.width[len(n.width)-1]
	n.yOff = p
	p++
	n.bOff = [2]int{p, p + widest}
	n.perPos = p + 2*widest
	return n, nil
}

// layers is the number of weight layers (hidden layers + 1).
func (n *mlpNet) layers() int { return len(n.width) - 1 }

// widestLayer is the most weights of one layer (width[l]*width[l+1]):
// the multiply-adds a position of its GEMMs makes.
func (n *mlpNet) widestLayer() int {
	w := 0
	for l := range n.layers() {
		w = max(w, n.width[l]*n.width[l+1])
	}
	return w
}

// gemmMACsPerElem is the GEMM multiply-adds that count as one element
// against Options.MaxElemsPerDispatch. An element of the fused Adam step
// moves 28 to 56 bytes, and a GPU makes about ten fp32 multiply-adds in
// the time it moves a byte (an H100: 34 TMAC/s and 3.35 TB/s; a 50 GB/s
// integrated GPU: about 0.5 TMAC/s), so 64 keeps a GEMM dispatch within
// the time of a bound vector kernel's with room to spare. Consumer GPUs
// run fp64 at 1/32 to 1/64 of their fp32 rate, so float64 counts 8.
// Counting each multiply-add as an element, as before, held an mlp of
// 1.9M weights to passes of 9 positions: a batch of 256 took 29 passes,
// each reading and writing every weight's gradient sum, through GEMMs 9
// rows tall.
const (
	gemmMACsPerElem    = 64
	gemmMACsPerElemF64 = 8
)

// weightTest is the GLSL expression of model_final.glsl's NET_WEIGHTS(p):
// whether parameter p is a weight (the penalties' terms), not a bias.
func (n *mlpNet) weightTest() string {
	var t []string
	for l := range n.layers() {
		t = append(t, fmt.Sprintf("(p >= %du && p < %du)", n.off[l], n.off[l]+n.width[l+1]*n.width[l]))
	}
	return "(" + strings.Join(t, " || ") + ")"
}

// planNet sizes the passes of a network: a pass's activations fit one
// binding and the dispatch bounds, and a GEMM's grid stays within the
// device's workgroup counts.
func (m *modelBackend) planNet(maxG int) error {
	m.net.macsPerElem = gemmMACsPerElem
	if m.elem == 8 {
		m.net.macsPerElem = gemmMACsPerElemF64
	}
	in := m.c.info
	block := in.MaxSSBOBlockSize
	maxReal := int(min(block/int64(m.elem), math.MaxInt32))
	pos := maxReal / m.net.perPos
	if pos < 1 {
		return fmt.Errorf("engine: mlp %v needs %d bytes of activations a row, more than the device's GL_MAX_SHADER_STORAGE_BLOCK_SIZE %d", m.net.width, int64(m.net.perPos)*int64(m.elem), block)
	}
	if m.c.opts.ChunkElems > 0 {
		pos = min(pos, m.c.opts.ChunkElems)
	}
	if per := m.c.maxElemsPerDispatch(); per > 0 {
		// The watchdog bound counts the elements of a vector kernel: a
		// pass's gather moves cols of them a position and its kernels
		// write at most perPos (which also keeps the activations tens of
		// MiB); its largest GEMM makes width[l]*width[l+1] multiply-adds a
		// position, each macs of them costing a GPU about one element.
		macs := m.net.macsPerElem
		pos = min(pos, max(per/max(m.cols, m.net.perPos, 1), 1), max(min(per, math.MaxInt/macs)*macs/max(m.net.widestLayer(), 1), 1))
	}
	// A GEMM's other side has ceil(width/32) workgroups for each layer's
	// width: refuse a width the device cannot cover before any work, not
	// at the first step (a grid beyond the counts would run nothing).
	for _, w := range m.net.width {
		if groups := (w + gemmTile - 1) / gemmTile; groups > min(in.MaxWorkGroupCount[0], in.MaxWorkGroupCount[1]) {
			return gdgpu.FieldErrorf("%w: a layer of width %d in the network %v ({Job.Hidden}) needs %d workgroups a GEMM, more than the device's %v (GL_MAX_COMPUTE_WORK_GROUP_COUNT); use {cpu.Open}", ErrTooBig, w, m.net.width, groups, in.MaxWorkGroupCount).In("")
		}
	}
	// a GEMM over the positions has ceil(pos/32) workgroup rows; and
	// beyond maxNetPositions a pass's activations would only take memory
	pos = min(pos, max(in.MaxWorkGroupCount[1], 1)*gemmTile, maxNetPositions)
	m.posChunk = max(min(pos, max(m.batch, m.rows, m.valRows)), 1)
	m.g2 = 1 // one row of gradient sums
	m.g1 = max(min((m.posChunk+localSize-1)/localSize, maxG), 1)
	m.g3 = max(min((m.dim+localSize-1)/localSize, maxG), 1)
	passes := func(n int) int { return (n + m.posChunk - 1) / m.posChunk }
	m.net.fused = m.k <= fuseHeadMax
	m.net.pairsPerPass = m.g1
	if m.net.fused { // one pair per workgroup row of the output layer's GEMM
		m.net.pairsPerPass = (m.posChunk + gemmTile - 1) / gemmTile
	}
	m.trainPairs = m.net.pairsPerPass * passes(m.rows)
	m.valPairs = m.net.pairsPerPass * passes(m.valRows)
	return nil
}

// buildNet compiles the network's kernels: the head (as m.rowsK) or,
// fused, the output layer's GEMM with the head, the gather and the two
// GEMMs, and allocates the column of ones.
func (m *modelBackend) buildNet(defs map[string]string, lib []string, tag string) (err error) {
	n := m.net
	if !n.fused {
		if m.rowsK, err = m.c.build("mlp-head"+tag, defs, glslFiles(append(lib, "mlp_head.glsl")...)...); err != nil {
			return err
		}
	}
	if n.gatherK, err = m.c.build("mlp-gather"+tag, defs, glslFiles("wgsum.glsl", "common.glsl", "model_data.glsl", "mlp_gather.glsl")...); err != nil {
		return err
	}
	if n.gemmAct, err = m.c.buildGEMMKernels(defs["real"], n.act); err != nil {
		return err
	}
	if n.gemmLin, err = m.c.buildGEMMKernels(defs["real"], -1); err != nil {
		return err
	}
	n.gemmFill = gemmFill(m.c.info)
	if n.fused {
		// the model's defines (K, the precision) and its rowLoss; not
		// wgsum.glsl, common.glsl or model_data.glsl, whose workgroup size
		// and buffers are the head's
		hd := maps.Clone(defs)
		hd["HEAD"] = "1"
		files := []string{"fp64math.glsl", "model_math.glsl", "rerf.glsl", "model_loss.glsl"}
		files = append(files, gdgpu.JobModel(&m.job).GPU(&m.job)...)
		if n.gemmHead, err = m.c.build("gemm"+tag+",head", hd, glslFiles(append(files, "gemm.glsl")...)...); err != nil {
			return err
		}
	}
	for _, p := range n.gemmAct {
		if p != nil {
			m.setReal(p, "slope", n.slope)
		}
	}
	if n.ones, err = newBuffer("mlp ones", 1, m.elem); err != nil {
		return err
	}
	m.in.upload(n.ones, func(int) float64 { return 1 })
	return nil
}

// netPrograms are the network's own programs.
func (n *mlpNet) programs() []*program {
	var ps []*program
	for _, p := range append(append([]*program{n.gemmHead, n.gatherK}, n.gemmAct[:]...), n.gemmLin[:]...) {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// release deletes the network's GL objects; safe on a partly built one.
func (n *mlpNet) release() {
	for _, p := range n.programs() {
		p.release()
	}
	n.ones.delete()
}

// netForward runs a pass's rows through the network up to the head's
// dl/dz (gather, forward GEMMs, head; fused, the head in the output
// layer's GEMM) on cnt positions from s0, reading the data set x, y of
// nrows rows; record has the head leave its partial pairs at
// partialBase. Its dispatches join fl's flush groups. On the GL thread.
func (m *modelBackend) netForward(fl *flusher, s0, cnt int, identity bool, x, y buffer, nrows int, record bool, partialBase int) error {
	n := m.net
	P := m.posChunk
	act := m.dz
	// 1. gather, chunk by chunk
	n.gatherK.use()
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindDZ, act.id)
	n.gatherK.setUint("yOff", uint32(n.yOff*P))
	m.passes(s0, s0+cnt, identity, nrows, func(_, _, r0, rc int) {
		fl.add(min(cnt, rc) * m.cols)
		m.bindChunk(n.gatherK, x, y, r0, rc)
		gl.DispatchCompute(uint32(m.g1), 1, 1)
	})
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
	// 2. forward
	params := m.in.x[m.in.cur]
	inOff := 0
	for l := range n.layers() {
		win, wout := n.width[l], n.width[l+1]
		g := gemmCall{m: cnt, n: wout, k: win, a: rowMajor(act, inOff, win, false),
			b: rowMajor(params, n.off[l], win, true), c: act, ldc: wout, epi: epiBiasAct, biasOff: n.off[l] + wout*win}
		ks := &n.gemmLin
		var err error
		fl.add(cnt * win * wout / n.macsPerElem)
		if l+1 < n.layers() {
			g.cOff, g.hOff, ks = n.aOff[l]*P, n.hOff[l]*P, &n.gemmAct
			inOff = n.hOff[l] * P
		} else {
			g.cOff = n.zOff * P
		}
		if l+1 == n.layers() && n.fused {
			p := n.gemmHead // 32 x 32 tiles: gemmCall's default
			g.epi = epiHead
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, m.part.id)
			p.setUint("yOff", uint32(n.yOff*P))
			p.setInt("record", boolInt(record))
			p.setUint("partialBase", uint32(partialBase))
			err = m.c.dispatchGEMM(p, g)
		} else {
			err = ks.dispatch(m.c, g, n.gemmFill)
		}
		if err != nil {
			return err
		}
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
	}
	if n.fused {
		return nil
	}
	// 3. the head
	m.rowsK.use()
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindDZ, act.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, m.part.id)
	m.rowsK.setUint("posCount", uint32(cnt))
	m.rowsK.setUint("zOff", uint32(n.zOff*P))
	m.rowsK.setUint("yOff", uint32(n.yOff*P))
	m.rowsK.setInt("record", boolInt(record))
	m.rowsK.setUint("partialBase", uint32(partialBase))
	gl.DispatchCompute(uint32(m.g1), 1, 1)
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
	return nil
}

// netGradient is gradient's network pass: the gradient on positions [lo,
// hi) into the gradient buffer, and with record the sample's partial
// pairs. On the GL thread.
func (m *modelBackend) netGradient(lo, hi int, identity, record bool) error {
	n := m.net
	P := m.posChunk
	act := m.dz
	params := m.in.x[m.in.cur]
	pass := 0
	for s0 := lo; s0 < hi; s0 += P {
		cnt := min(P, hi-s0)
		if !identity {
			ob := s0 / m.orderAlign * m.orderAlign
			m.order.bindRange(bindOrder, ob, s0+cnt-ob)
			m.setPass(n.gatherK, s0, cnt, s0-ob, false)
		} else {
			m.setPass(n.gatherK, s0, cnt, 0, true)
		}
		// the forward's flush groups, which the backward's GEMMs continue
		// (the watchdog bound, Options.MaxElemsPerDispatch)
		fl := flusher{per: m.c.maxElemsPerDispatch()}
		if err := m.netForward(&fl, s0, cnt, identity, m.x, m.y, m.rows, record, pass*n.pairsPerPass); err != nil {
			return err
		}
		// 4. backward
		doutOff := n.zOff * P
		for l := n.layers() - 1; l >= 0; l-- {
			win, wout := n.width[l], n.width[l+1]
			inOff := 0
			if l > 0 {
				inOff = n.hOff[l-1] * P
			}
			dout := rowMajor(act, doutOff, wout, true) // doutᵀ: wout x cnt
			for _, g := range []gemmCall{
				{m: wout, n: win, k: cnt, a: dout, b: rowMajor(act, inOff, win, false), c: m.gpart, cOff: n.off[l], ldc: win, accumulate: pass > 0},
				{m: wout, n: 1, k: cnt, a: dout, b: gemmOperand{buf: n.ones}, c: m.gpart, cOff: n.off[l] + wout*win, ldc: 1, accumulate: pass > 0},
			} {
				fl.add(g.m * g.n * g.k / n.macsPerElem)
				if err := n.gemmLin.dispatch(m.c, g, n.gemmFill); err != nil {
					return err
				}
			}
			if l == 0 {
				break
			}
			// dl/d(hidden l-1) = (dout·W_l) ⊙ act'(A_{l-1}): the sums above read
			// dout, which the buffer below does not overlap
			dinOff := n.bOff[l%2] * P
			g := gemmCall{m: cnt, n: win, k: wout, a: rowMajor(act, doutOff, wout, false), b: rowMajor(params, n.off[l], win, false),
				c: act, cOff: dinOff, ldc: win, epi: epiActDeriv, e: act, pOff: n.aOff[l-1] * P, hOff: n.hOff[l-1] * P}
			fl.add(cnt * win * wout / n.macsPerElem)
			if err := n.gemmAct.dispatch(m.c, g, n.gemmFill); err != nil {
				return err
			}
			gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
			doutOff = dinOff
		}
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		gl.Flush() // a pass's work is submitted before the next
		pass++
	}
	// 5. the sums / |S| and the penalties, as the linear models'
	m.finalK.use()
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindXIn, params.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGPart, m.gpart.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, m.part.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindFlags, m.in.flags.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGrad, m.in.grad.id)
	m.setReal(m.finalK, "batchRows", float64(hi-lo))
	m.finalK.setInt("record", boolInt(record))
	m.finalK.setUint("partialBase", uint32(m.trainPairs+m.valPairs))
	m.finalK.setUint("flagStep", uint32(m.flagStep()))
	gl.DispatchCompute(uint32(m.g3), 1, 1)
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
	return nil
}

// netValidation runs the validation rows through the network and the
// head, leaving the partial pairs after the training rows'. On the GL
// thread.
func (m *modelBackend) netValidation() error {
	for pass, s0 := 0, 0; s0 < m.valRows; pass, s0 = pass+1, s0+m.posChunk {
		cnt := min(m.posChunk, m.valRows-s0)
		m.setPass(m.net.gatherK, s0, cnt, 0, true)
		fl := flusher{per: m.c.maxElemsPerDispatch()}
		if err := m.netForward(&fl, s0, cnt, true, m.valX, m.valY, m.valRows, true, m.trainPairs+pass*m.net.pairsPerPass); err != nil {
			return err
		}
	}
	return nil
}

// netSumDepth is SumDepth for a network: the longest chain of additions
// behind a gradient component, through the forward layers (each output a
// sum over its inputs and the bias), the softmax normaliser, and the
// backward (each dl/d(hidden) a sum over the layer's outputs, each weight's
// gradient a sum over a pass's positions, then one addition a pass), or
// behind the loss (the head's rows and trees, as the linear models').
func (m *modelBackend) netSumDepth() int {
	fwd := 0
	for _, w := range m.net.width[:m.net.layers()] {
		fwd += w + 1
	}
	back := 0
	for _, w := range m.net.width[2:] {
		back += w
	}
	n := max(m.rows, m.valRows)
	passes := (n + m.posChunk - 1) / m.posChunk
	grad := back + min(m.posChunk, n) + passes
	tree := 0
	for s := localSize; s > 1; s >>= 1 {
		tree++
	}
	pairs := m.trainPairs + m.valPairs + m.g3
	// a pair's sum: the head's invocations' running sums then its tree,
	// or fused a tree over a tile's rows (gemm.glsl)
	rowSum := (min(m.posChunk, n)+m.g1*localSize-1)/(m.g1*localSize) + tree
	if m.net.fused {
		rowSum = 0
		for s := gemmTile; s > 1; s >>= 1 {
			rowSum++
		}
	}
	loss := rowSum + (pairs+localSize-1)/localSize + tree
	norm := 0
	if info := gdgpu.JobModel(&m.job); info.SumsOutputs {
		norm = m.k - 1
	}
	return fwd + norm + max(grad, loss)
}
