package engine

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
)

// Models on data (docs/models.md) on the GPU.
//
// A modelBackend owns the data set and the kernels that turn it into a
// gradient; everything else (parameters, optimizer state, clipping, the
// non-finite record, Keep/Revert, Snapshot/Restore) is an inner Backend
// built for the same job with a placeholder objective and only its
// given-gradient kernels (givenOnly). A step writes the batch's gradient
// straight into the inner backend's gradient buffer and runs its given
// kernel (applyGiven): the optimizer rules are the ones every test
// function's steps use, so they need no second implementation and no
// second set of parity tests.
//
// A step on the batch S (the rows order[lo:hi], gdgpu.Batch) is three
// kernels, all reductions in a fixed order:
//
//  1. model_rows.glsl, one invocation per batch position: z = W x + b,
//     dl/dz into a scratch buffer (dz);
//  2. model_grad.glsl, workgroups over blocks of positions, invocations
//     over parameters: each workgroup's sum of dl/dz_k x_j over its block
//     into gpart;
//  3. model_final.glsl, per parameter: the workgroup sums in order, / |S|,
//     plus the penalties, into the gradient buffer.
//
// Bindings are bounded by GL_MAX_SHADER_STORAGE_BLOCK_SIZE (128 MiB on
// llvmpipe), so the data set is bound one chunk of rows at a time, and a
// batch is processed in passes of at most posChunk positions (dz and the
// order are bound per pass). A shuffled batch scatters its rows over every
// chunk, so kernels 1 and 2 run once per chunk and take only the positions
// whose row lies in the bound chunk; the additions into gpart then follow
// the order of passes and chunks, fixed by the host. Identity-order passes
// (the full batch, the recorded samples) dispatch only the chunks their
// positions cover.
//
// A sample (Record, or Step with record) runs kernels 1 to 3 over every
// training row in identity order with record set (kernel 1 also sums the
// loss and the correct predictions, kernel 3 the squared gradient and the
// penalty), kernel 1 alone over the validation rows, and
// model_reduce.glsl, which writes the objective, squared gradient norm,
// accuracy, validation loss and accuracy to a ring slot read back later
// behind a fence, as the test functions' samples are. With the full batch
// the sample's gradient is the step's, so the step reuses it.
//
// Non-finite values are flagged as gdgpu.Sample documents, with the
// parameter's index: a component of the batch gradient at x_t, or a value
// the step writes, by the given kernel (step t, t+1); a component of the
// full gradient by kernel 3 of the sample at x_t. A loss term has no
// parameter index: a non-finite loss shows in the sample's Loss, which the
// driver turns into Diverged at that sample without an index.
//
// The parameters are bound whole (the kernels read any weight of any
// output), so a model's parameter vector must fit one binding: Dim x 4 (or
// 8) bytes <= GL_MAX_SHADER_STORAGE_BLOCK_SIZE, 32 Mi parameters in f32 on
// llvmpipe.
type modelBackend struct {
	c   *Context
	job gdgpu.Job
	in  *Backend // parameters, optimizer state, gradient, non-finite record

	elem                 int // bytes per real
	rows, cols, k, p     int // training rows, features, outputs, parameters per output
	dim                  int
	valRows              int
	batch                int // gdgpu.Batches' B
	shuffled             bool
	rowsPerChunk         int // data rows per binding
	posChunk             int // batch positions per pass
	orderAlign           int // order elements per SSBO offset alignment unit
	g1, g2, g3           int // workgroups of kernels 1, 2 and 3
	trainPairs, valPairs int // partial pairs of a sample's kernel 1 passes

	x, y, valX, valY buffer // float32 data sets
	order            buffer // the epoch's order (uint32), shuffled batches only
	dz, gpart        buffer // kernel 1's dl/dz, kernel 2's workgroup sums
	part             buffer // a sample's partial pairs (model_reduce.glsl)
	// sampleRing is the samples' read-back (ring.go): modelRingReals a
	// slot in ring, the non-finite record a slot in flagRing.
	sampleRing

	rowsK, gradK, finalK, reduceK *program
	net                           *mlpNet // a network's shape and kernels (mlp.go), or nil

	orderEpoch int // the epoch whose order is on the device; -1 none
	// flagAt, when >= 0, is the step an L-BFGS evaluation notes its
	// non-finite gradient components as (closure); else the step count.
	flagAt int
	closed bool
}

var (
	_ gdgpu.Backend    = (*modelBackend)(nil)
	_ gdgpu.Orderer    = (*modelBackend)(nil)
	_ gdgpu.SumDepther = (*modelBackend)(nil)
	_ gdgpu.Counter    = (*modelBackend)(nil)
)

// SSBO bindings of the model kernels (model_data.glsl), beyond common.glsl's.
const (
	bindDataX = 14
	bindDataY = 15
	bindOrder = 16
	bindDZ    = 17
	bindGPart = 18
)

// modelRingReals are the reals of one sample slot: objective, squared
// gradient norm, accuracy, validation loss, validation accuracy.
const modelRingReals = 5

// maxPrivateOutputs is the most outputs kernel 1 keeps in a private array
// per invocation; softmax over more classes keeps them in the dz buffer
// (Z_IN_DZ, model_loss.glsl and model_softmax.glsl): a private array of K reals spills anyway,
// and llvmpipe's compile time grows as about K^3. Below it the array is
// faster: on llvmpipe, 10 classes took about 20% longer a step through dz
// (medians of 5 runs each on a shared machine, so roughly).
const maxPrivateOutputs = 32

// minRowsPerGroup keeps kernel 2's workgroups from holding a handful of
// rows each: each workgroup's sums cost a gpart row of Dim reals and a
// term of kernel 3's per-parameter sum.
const minRowsPerGroup = 16

// newModelBackend builds the backend of a model job (already validated).
func (c *Context) newModelBackend(job *gdgpu.Job) (gdgpu.Backend, error) {
	d := job.Data
	m := &modelBackend{c: c, job: *job, elem: 4, rows: d.Rows, cols: d.Cols, k: d.Outputs(),
		dim: job.Dim, valRows: d.ValRows, orderEpoch: -1, flagAt: -1}
	if job.Precision == gdgpu.F64 {
		m.elem = 8
	}
	m.p = d.Cols
	if !job.NoIntercept {
		m.p++
	}
	if info := gdgpu.JobModel(job); info.PerClass() && m.k < 2 {
		// Data.Outputs is 1 for two classes: the kernels would index the
		// second class's output out of bounds.
		return nil, fmt.Errorf("engine: %s on %d classes has %d output(s); it needs one per class", job.Problem, d.Classes, m.k)
	}
	m.batch, _ = gdgpu.Batches(job.BatchSize, d.Rows)
	m.shuffled = m.batch < d.Rows
	if info, _ := gdgpu.LookupModel(job.Problem); info.Net != nil {
		var err error
		if m.net, err = newMLPNet(job); err != nil {
			return nil, err
		}
	}
	if err := m.plan(); err != nil {
		return nil, err
	}
	// The optimizer: the same job on a placeholder objective (the
	// quadratic without coefficients or pre-pass), built with its
	// given-gradient kernels only.
	ij := *job
	ij.Problem, ij.Cond, ij.Data = "quadratic", 1, nil
	m.in = &Backend{c: c, job: ij, elem: m.elem, names: ij.Optimizer.StateNames(), givenOnly: true, modelNeed: m.memoryNeed()}
	m.in.initOptimizer()
	m.in.plan()
	if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.Closure {
		m.in.closure = m.closure
	}
	if err := c.do(m.init); err != nil {
		return nil, err
	}
	return m, nil
}

// slots is the read-back ring's slots: the samples', and with L-BFGS one
// more (the last), where its closure's objective and squared gradient
// norm are reduced and read back at once.
func (m *modelBackend) slots() int {
	if info, _ := gdgpu.LookupOptimizer(m.job.Optimizer.Name); info.Closure {
		return ringSlots + 1
	}
	return ringSlots
}

// flagStep is the step the gradient pass notes non-finite components
// as: the step count, or an L-BFGS evaluation's (flagAt).
func (m *modelBackend) flagStep() int {
	if m.flagAt >= 0 {
		return m.flagAt
	}
	return m.in.t
}

// closure is L-BFGS's closure on the model (Backend.closure): the
// full-batch gradient pass at the current parameters, as a sample's
// (identity order, every row, the sample's partial sums), its gradient
// into g, its non-finite components noted as step flagStep's; the
// objective and squared gradient norm are reduced into the ring's last
// slot and read back, waiting for the device. On the GL thread.
func (m *modelBackend) closure(g buffer, flagStep int) (loss, sq float64, err error) {
	grad := m.in.grad
	m.in.grad, m.flagAt = g, flagStep
	err = m.gradient(0, m.rows, true, true)
	m.in.grad, m.flagAt = grad, -1
	if err != nil {
		return 0, 0, err
	}
	slot := m.slots() - 1
	m.reduceSample(slot)
	fence := m.fence(modelRingBarrier)
	_, err = m.c.waitFence(fence, true, m.in.t)
	gl.DeleteSync(fence)
	if err != nil {
		return 0, 0, err
	}
	st := m.in.stage(2 * m.elem)
	m.ring.read(modelRingReals*slot*m.elem, st[:2*m.elem])
	return m.in.decode(st, 0), m.in.decode(st, 1), nil
}

// plan sizes the chunks, passes and grids from the context's limits.
func (m *modelBackend) plan() error {
	in := m.c.info
	align := max(in.SSBOAlignment, 1)
	block := in.MaxSSBOBlockSize
	if int64(m.dim)*int64(m.elem) > block {
		return fmt.Errorf("engine: %s with %d parameters needs %d bytes in one binding, more than the device's GL_MAX_SHADER_STORAGE_BLOCK_SIZE %d", m.job.Problem, m.dim, int64(m.dim)*int64(m.elem), block)
	}
	// Data chunks: whole rows, starting at aligned offsets in both X
	// (cols floats a row) and y (one float).
	unit := lcm(align/gcd(align, 4*m.cols), align/gcd(align, 4))
	maxElems := int(min(block/4, math.MaxInt32))
	if m.c.opts.ChunkElems > 0 {
		maxElems = min(maxElems, m.c.opts.ChunkElems)
	}
	if per := m.c.maxElemsPerDispatch(); per > 0 {
		maxElems = min(maxElems, per)
	}
	if int64(unit)*int64(m.cols)*4 > block {
		return fmt.Errorf("engine: %d features: %d rows (the binding alignment) take %d bytes, more than the device's GL_MAX_SHADER_STORAGE_BLOCK_SIZE %d", m.cols, unit, int64(unit)*int64(m.cols)*4, block)
	}
	m.rowsPerChunk = max(maxElems/m.cols/unit*unit, unit)
	m.orderAlign = align / gcd(align, 4)
	maxG := min(m.c.maxGroups(localSize), max(in.MaxWorkGroupCount[0], 1))
	if m.net != nil {
		return m.planNet(maxG)
	}
	// Passes: dz holds K reals a position, the order range one uint a
	// position plus the alignment slack.
	maxReal := int(min(block/int64(m.elem), math.MaxInt32))
	pos := min(maxReal/m.k, int(min(block/4, math.MaxInt32))-m.orderAlign)
	if m.c.opts.ChunkElems > 0 {
		pos = min(pos, m.c.opts.ChunkElems)
	}
	if per := m.c.maxElemsPerDispatch(); per > 0 {
		// the watchdog bound: a kernel 1 or 2 dispatch does at most a
		// pass's rows times the features or parameters
		pos = min(pos, max(per/max(m.cols, m.dim), 1))
	}
	m.posChunk = max(min(pos, max(m.batch, m.rows), math.MaxInt32/m.k), 1)
	m.g1 = max(min((m.posChunk+localSize-1)/localSize, maxG), 1)
	// gpart is bound whole: at most a binding's reals, and at most 1<<24
	// of them so that a wide model does not take memory for idle groups.
	m.g2 = max(min(maxG, (m.posChunk+minRowsPerGroup-1)/minRowsPerGroup, min(maxReal, 1<<24)/m.dim), 1)
	m.g3 = max(min((m.dim+localSize-1)/localSize, maxG), 1)
	m.trainPairs = m.g1 * m.countPasses(0, m.rows, m.rows)
	m.valPairs = m.g1 * m.countPasses(0, m.valRows, m.valRows)
	return nil
}

// dzLen is the dz buffer's reals: K a position, or a network's
// activations (mlpNet.perPos a position).
func (m *modelBackend) dzLen() int {
	if m.net != nil {
		return m.posChunk * m.net.perPos
	}
	return m.posChunk * m.k
}

// lanes is kernel 2's row lanes per parameter (model_grad.glsl).
func (m *modelBackend) lanes() int { return max(localSize/m.dim, 1) }

// countPasses counts the kernel 1 dispatches of an identity-order sweep
// over positions [lo, hi) of a set of n rows.
func (m *modelBackend) countPasses(lo, hi, n int) int {
	k := 0
	m.passes(lo, hi, true, n, func(_, _, _, _ int) { k++ })
	return k
}

// passes calls f(s0, cnt, r0, rc) for each pass (positions [s0, s0+cnt))
// and each data chunk (rows [r0, r0+rc)) of a set of n rows that the pass
// may touch, in the order the kernels run: passes, then chunks. In
// identity order, a pass touches only the chunks of its own rows.
func (m *modelBackend) passes(lo, hi int, identity bool, n int, f func(s0, cnt, r0, rc int)) {
	R := m.rowsPerChunk
	for s0 := lo; s0 < hi; s0 += m.posChunk {
		cnt := min(m.posChunk, hi-s0)
		first, last := 0, (n-1)/R
		if identity {
			first, last = s0/R, (s0+cnt-1)/R
		}
		for c := first; c <= last; c++ {
			r0 := c * R
			f(s0, cnt, r0, min(R, n-r0))
		}
	}
}

// memoryNeed is the model's own device memory in bytes (MemoryNeed.Data).
func (m *modelBackend) memoryNeed() int64 {
	e := int64(m.elem)
	need := 4 * int64(m.rows) * int64(m.cols+1)    // X and y
	need += 4 * int64(m.valRows) * int64(m.cols+1) // validation X and y
	if m.shuffled {
		need += 4 * int64(m.rows) // the order
	}
	need += e * int64(m.dzLen())                        // dz
	need += e * int64(m.g2) * int64(m.dim)              // gpart
	need += e * 2 * int64(m.trainPairs+m.valPairs+m.g3) // a sample's partials
	need += int64(m.slots()) * (e*modelRingReals + 8)   // the sample ring and flag copies
	if m.net != nil {
		need += e // the column of ones
	}
	return need
}

// init builds the inner backend, the kernels and the buffers, and uploads
// the data. On the GL thread; on failure everything made is released.
func (m *modelBackend) init() (err error) {
	defer func() {
		if err != nil {
			m.release()
			m.in.release()
		}
	}()
	if err := m.in.init(); err != nil { // checks the memory, the model's included
		return err
	}
	if m.in.grad.id == 0 {
		if m.in.grad, err = newBuffer("gradient", m.dim, m.elem); err != nil {
			return err
		}
	}
	if err := m.buildKernels(); err != nil {
		return err
	}
	d := m.job.Data
	for _, u := range []struct {
		buf  *buffer
		name string
		v    []float32
	}{{&m.x, "training features", d.X}, {&m.y, "training targets", d.Y}, {&m.valX, "validation features", d.ValX}, {&m.valY, "validation targets", d.ValY}} {
		if len(u.v) == 0 {
			continue
		}
		if *u.buf, err = newBuffer(u.name, len(u.v), 4); err != nil {
			return err
		}
		uploadRaw(*u.buf, unsafe.Pointer(&u.v[0]))
	}
	if m.shuffled {
		if m.order, err = newBuffer("batch order", m.rows, 4); err != nil {
			return err
		}
	}
	if m.dz, err = newBuffer("model dl/dz", m.dzLen(), m.elem); err != nil {
		return err
	}
	if m.gpart, err = newBuffer("model gradient partials", m.g2*m.dim, m.elem); err != nil {
		return err
	}
	if m.part, err = newBuffer("model sample partials", 2*(m.trainPairs+m.valPairs+m.g3), m.elem); err != nil {
		return err
	}
	info, _ := gdgpu.LookupModel(m.job.Problem)
	if err := m.initRing("model ", modelRingReals, m.elem, m.dim, info.Classifier, m.c.persistentReadBack(), m.slots()-ringSlots); err != nil {
		return err
	}
	m.setConstants()
	return m.c.glError()
}

// uploadRaw writes a buffer's whole contents from host memory in its
// layout (float32 data, int32 order).
func uploadRaw(buf buffer, p unsafe.Pointer) {
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, buf.id)
	gl.BufferSubData(gl.COPY_WRITE_BUFFER, 0, buf.bytes(), p)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
}

// buildKernels compiles the four model kernels.
func (m *modelBackend) buildKernels() (err error) {
	real := "float"
	if m.elem == 8 {
		real = "double"
	}
	defs := map[string]string{"real": real, "LOCAL_SIZE": fmt.Sprint(localSize), "NSTATE": "0",
		"K": fmt.Sprint(m.k), "COLS": fmt.Sprint(m.cols), "PPO": fmt.Sprint(m.p), "USES_GRAD": "1"}
	if m.elem == 8 {
		defs["REAL_IS_DOUBLE"] = "1"
	}
	if !m.job.NoIntercept {
		defs["INTERCEPT"] = "1"
	}
	info := gdgpu.JobModel(&m.job) // the mlp's regression descriptor on real targets
	if info.GPU == nil {
		return fmt.Errorf("engine: no GPU kernels for model %q", m.job.Problem)
	}
	if _, ok := gdgpu.LookupRegressionCost(m.job.Loss); info.Costs && !ok {
		return fmt.Errorf("engine: %s model: no loss %q", m.job.Problem, m.job.Loss)
	}
	if m.k > maxPrivateOutputs { // only a model with one output per class has more than one
		defs["Z_IN_DZ"] = "1"
	}
	tag := fmt.Sprintf("(%s,%s)", m.job.Problem, m.job.Precision)
	lib := append([]string{"wgsum.glsl", "common.glsl", "fp64math.glsl", "model_math.glsl", "model_data.glsl", "model_loss.glsl"}, info.GPU(&m.job)...)
	lib = lib[:len(lib):len(lib)] // each kernel appends its own file to a copy
	if m.net != nil {
		defs["NET_WEIGHTS(p)"] = m.net.weightTest()
		if err := m.buildNet(defs, lib, tag); err != nil {
			return err
		}
		if m.finalK, err = m.c.build("model-final"+tag, defs, glslFiles(append(lib, "model_final.glsl")...)...); err != nil {
			return err
		}
		m.reduceK, err = m.c.build("model-reduce"+tag, defs, glslFiles("wgsum.glsl", "model_reduce.glsl")...)
		return err
	}
	if m.rowsK, err = m.c.build("model-rows"+tag, defs, glslFiles(append(lib, "model_rows.glsl")...)...); err != nil {
		return err
	}
	if m.gradK, err = m.c.build("model-grad"+tag, defs, glslFiles(append(lib, "model_grad.glsl")...)...); err != nil {
		return err
	}
	if m.finalK, err = m.c.build("model-final"+tag, defs, glslFiles(append(lib, "model_final.glsl")...)...); err != nil {
		return err
	}
	m.reduceK, err = m.c.build("model-reduce"+tag, defs, glslFiles("wgsum.glsl", "model_reduce.glsl")...)
	return err
}

func (m *modelBackend) programs() []*program {
	var ps []*program
	for _, p := range []*program{m.rowsK, m.gradK, m.finalK, m.reduceK} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// setReal sets a real uniform in the job's precision.
func (m *modelBackend) setReal(p *program, name string, v float64) { m.in.setReal(p, name, v) }

// setConstants sets the uniforms fixed for the job.
func (m *modelBackend) setConstants() {
	for _, p := range m.programs() {
		p.setUint("n", uint32(m.dim))
		p.setUint("xbase", 0)
	}
	if m.rowsK != nil { // nil for a network whose head is fused (mlp.go)
		m.setReal(m.rowsK, "delta", m.job.Delta)
	}
	m.setReal(m.finalK, "l1", m.job.L1)
	m.setReal(m.finalK, "l2", m.job.L2)
	if m.gradK != nil {
		m.gradK.setUint("lanes", uint32(m.lanes()))
	}
	m.finalK.setUint("groups2", uint32(m.g2))
	m.reduceK.setUint("trainPairs", uint32(m.trainPairs))
	m.reduceK.setUint("valPairs", uint32(m.valPairs))
	m.reduceK.setUint("finPairs", uint32(m.g3))
	m.setReal(m.reduceK, "trainRows", float64(m.rows))
	m.setReal(m.reduceK, "valRows", float64(m.valRows))
}

// gradient computes into the gradient buffer the gradient on positions
// [lo, hi) of the training order (identity: rows lo..hi-1), at the current
// parameters. With record (identity order over every row) kernels 1 and 3
// also leave a sample's partial pairs. On the GL thread.
func (m *modelBackend) gradient(lo, hi int, identity, record bool) error {
	if m.net != nil {
		return m.netGradient(lo, hi, identity, record)
	}
	params := m.in.x[m.in.cur]
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindXIn, params.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindDZ, m.dz.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGPart, m.gpart.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, m.part.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindFlags, m.in.flags.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGrad, m.in.grad.id)
	first := true
	pass := 0 // kernel 1 dispatches so far: its partial pairs' slot
	fl := flusher{per: m.c.maxElemsPerDispatch()}
	for s0 := lo; s0 < hi; s0 += m.posChunk {
		cnt := min(m.posChunk, hi-s0)
		if !identity {
			ob := s0 / m.orderAlign * m.orderAlign
			m.order.bindRange(bindOrder, ob, s0+cnt-ob)
			m.setPass(m.rowsK, s0, cnt, s0-ob, false)
			m.setPass(m.gradK, s0, cnt, s0-ob, false)
		} else {
			m.setPass(m.rowsK, s0, cnt, 0, true)
			m.setPass(m.gradK, s0, cnt, 0, true)
		}
		m.rowsK.use()
		m.rowsK.setInt("writeDz", 1)
		m.rowsK.setInt("record", boolInt(record))
		m.passes(s0, s0+cnt, identity, m.rows, func(_, _, r0, rc int) {
			fl.add(min(cnt, rc) * m.cols)
			m.bindChunk(m.rowsK, m.x, m.y, r0, rc)
			m.rowsK.setUint("partialBase", uint32(pass*m.g1))
			gl.DispatchCompute(uint32(m.g1), 1, 1)
			pass++
		})
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		m.gradK.use()
		m.gradK.setUint("perGroup", uint32((cnt+m.g2-1)/m.g2))
		m.passes(s0, s0+cnt, identity, m.rows, func(_, _, r0, rc int) {
			fl.add(min(cnt, rc) * m.dim)
			m.bindChunk(m.gradK, m.x, m.y, r0, rc)
			m.gradK.setInt("accumulate", boolInt(!first))
			gl.DispatchCompute(uint32(m.g2), 1, 1)
			gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT) // the next chunk adds to these sums
			first = false
		})
	}
	m.finalK.use()
	m.setReal(m.finalK, "batchRows", float64(hi-lo))
	m.finalK.setInt("record", boolInt(record))
	m.finalK.setUint("partialBase", uint32(m.trainPairs+m.valPairs))
	m.finalK.setUint("flagStep", uint32(m.flagStep()))
	gl.DispatchCompute(uint32(m.g3), 1, 1)
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
	return nil
}

// flusher submits dispatches in groups of at most per elements of work
// (rows times features or parameters), with glFlush between groups, as
// dispatchChunks does for parameter chunks (Options.MaxElemsPerDispatch):
// no single submission runs long enough to trip a display watchdog.
type flusher struct{ per, since int }

func (f *flusher) add(work int) {
	if f.per > 0 && f.since > 0 && f.since+work > f.per {
		gl.Flush()
		f.since = 0
	}
	f.since += work
}

// setPass sets a pass's positions on kernel p.
func (m *modelBackend) setPass(p *program, s0, cnt, orderOff int, identity bool) {
	p.setUint("posBase", uint32(s0))
	p.setUint("posCount", uint32(cnt))
	p.setUint("orderOff", uint32(orderOff))
	p.setInt("identity", boolInt(identity))
}

// bindChunk binds rows [r0, r0+rc) of a data set for kernel p (in use).
func (m *modelBackend) bindChunk(p *program, x, y buffer, r0, rc int) {
	x.bindRange(bindDataX, r0*m.cols, rc*m.cols)
	y.bindRange(bindDataY, r0, rc)
	p.setUint("rowBase", uint32(r0))
	p.setUint("rowCount", uint32(rc))
}

// validation runs kernel 1 over the validation rows, leaving its partial
// pairs after the training rows'. On the GL thread.
func (m *modelBackend) validation() error {
	if m.valRows == 0 {
		return nil
	}
	if m.net != nil {
		return m.netValidation()
	}
	m.rowsK.use()
	m.rowsK.setInt("writeDz", 0)
	m.rowsK.setInt("record", 1)
	pass := 0
	fl := flusher{per: m.c.maxElemsPerDispatch()}
	m.passes(0, m.valRows, true, m.valRows, func(s0, cnt, r0, rc int) {
		fl.add(min(cnt, rc) * m.cols)
		m.setPass(m.rowsK, s0, cnt, 0, true)
		m.bindChunk(m.rowsK, m.valX, m.valY, r0, rc)
		m.rowsK.setUint("partialBase", uint32(m.trainPairs+pass*m.g1))
		gl.DispatchCompute(uint32(m.g1), 1, 1)
		pass++
	})
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
	return nil
}

// record computes the sample at the current point (step m.in.t) into a
// ring slot and fences it; it waits only for the oldest slot when every
// slot is in use. It leaves the full training gradient in the gradient
// buffer. On the GL thread.
func (m *modelBackend) record() error {
	slot, err := m.next(m.c)
	if err != nil {
		return err
	}
	if err := m.gradient(0, m.rows, true, true); err != nil {
		return err
	}
	if err := m.validation(); err != nil {
		return err
	}
	m.reduceSample(slot)
	m.push(m.in.t, slot, modelRingBarrier)
	return nil
}

// modelRingBarrier is the barrier before a model sample's fence: the
// reduction's ring writes, visible to read-back through a copy or a
// persistent mapping.
const modelRingBarrier = gl.BUFFER_UPDATE_BARRIER_BIT | gl.SHADER_STORAGE_BARRIER_BIT | gl.CLIENT_MAPPED_BUFFER_BARRIER_BIT

// reduceSample reduces the partial sums the passes left into ring slot
// slot, with the non-finite record; the caller fences it. On the GL
// thread.
func (m *modelBackend) reduceSample(slot int) {
	m.reduceK.use()
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, m.part.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindFlags, m.in.flags.id)
	m.bindRing()
	m.reduceK.setInt("slot", int32(slot))
	gl.DispatchCompute(1, 1, 1)
}

// Name returns "gpu/f32" or "gpu/f64".
func (m *modelBackend) Name() string { return m.in.Name() }

// SetOrder uploads epoch's sample order (see gdgpu.Orderer). The full
// batch sums every row in identity order and needs none.
func (m *modelBackend) SetOrder(epoch int, order []int32) error {
	if m.closed {
		// the full batch returns before m.do, which checks this
		return errBackendClosed
	}
	if len(order) != m.rows {
		return fmt.Errorf("engine: SetOrder got %d rows, the training set has %d", len(order), m.rows)
	}
	if !m.shuffled {
		m.orderEpoch = epoch
		return nil
	}
	for _, v := range order {
		if v < 0 || int(v) >= m.rows {
			return fmt.Errorf("engine: SetOrder: row %d is not in the training set of %d rows", v, m.rows)
		}
	}
	return m.do(func() error {
		uploadRaw(m.order, unsafe.Pointer(&order[0]))
		m.orderEpoch = epoch
		return nil
	})
}

// Step issues len(lr) steps on their batches without waiting.
func (m *modelBackend) Step(lr []float64, record bool) error {
	return m.do(func() error {
		if m.in.lb != nil {
			// L-BFGS evaluates its closure, the full batch (Job.Validate
			// refuses mini-batches), as often as a step needs.
			for j, rate := range lr {
				if j == 0 && record {
					if err := m.record(); err != nil {
						return err
					}
				}
				if err := m.in.lbfgsStep(rate, false); err != nil {
					return err
				}
			}
			return nil
		}
		for j, rate := range lr {
			t := m.in.t
			epoch, lo, hi := gdgpu.Batch(t, m.batch, m.rows)
			if m.shuffled && epoch != m.orderEpoch {
				return fmt.Errorf("engine: step %d trains on epoch %d, but the order set is epoch %d's (SetOrder)", t, epoch, m.orderEpoch)
			}
			fresh := false // the gradient buffer holds this step's gradient
			if j == 0 && record {
				if err := m.record(); err != nil {
					return err
				}
				fresh = !m.shuffled // the full batch's gradient is the sample's
			}
			if !fresh {
				if err := m.gradient(lo, hi, !m.shuffled, false); err != nil {
					return err
				}
			}
			m.in.applyGiven(rate)
		}
		return nil
	})
}

// Record records a sample at the current point.
func (m *modelBackend) Record() error { return m.do(m.record) }

// Samples delivers read-back samples in step order.
func (m *modelBackend) Samples(dst []gdgpu.Sample, wait bool) ([]gdgpu.Sample, error) {
	if m.closed {
		return dst, errBackendClosed
	}
	return m.samples(m.c, dst, wait)
}

// Load sets the parameters, resets the optimizer and drops pending samples.
func (m *modelBackend) Load(x []float64) error {
	if err := m.do(func() error { m.dropPending(); return nil }); err != nil {
		return err
	}
	return m.in.Load(x)
}

// Params downloads the current parameters, waiting for the device.
func (m *modelBackend) Params(dst []float64) error { return m.in.Params(dst) }

// StateVector downloads an optimizer state vector by torch's name.
func (m *modelBackend) StateVector(name string, dst []float64) error {
	return m.in.StateVector(name, dst)
}

// Counts gives L-BFGS's n_iter and func_evals since Load (gdgpu.Counter);
// 0, 0 for the other rules.
func (m *modelBackend) Counts() (iterations, evaluations int) { return m.in.Counts() }

// StepCount returns the optimizer steps taken since Load.
func (m *modelBackend) StepCount() int { return m.in.t }

// Gradient writes the objective's gradient at x over every training row
// (penalties included) into dst, both of length Dim, computed on the
// device in the job's precision (gdgpu gradcheck). It waits for the
// device and leaves the backend's state as it was: x goes to the
// parameter buffer the next step overwrites anyway, and this pass flags
// nothing.
func (m *modelBackend) Gradient(x, dst []float64) error {
	if len(x) != m.dim || len(dst) != m.dim {
		return fmt.Errorf("engine: Gradient got %d values and a slice of %d, the model has %d parameters", len(x), len(dst), m.dim)
	}
	return m.do(func() error {
		in := m.in
		in.cur = 1 - in.cur // the spare parameter buffer holds x meanwhile
		defer func() { in.cur = 1 - in.cur }()
		in.upload(in.x[in.cur], func(i int) float64 { return x[i] })
		if err := m.gradient(0, m.rows, true, false); err != nil {
			return err
		}
		in.download(in.grad, dst)
		return m.c.glError()
	})
}

// SumDepth is the longest chain of sequential additions behind a gradient
// component or a sample's loss (gdgpu.SumDepther, for gdgpu compare's
// tolerance): the features and intercept of z; then for the gradient, per
// pass, a lane's share of a kernel 2 workgroup's rows, the lanes' sums and
// one addition per chunk into the workgroup's sum, and finally kernel 3's
// sum over the workgroups; for the loss, an invocation's grid-stride
// rows, the workgroup tree, and the sample reduction's stride and tree;
// and for softmax, before either, the K - 1 additions of its normaliser
// Σ_k exp(z_k - max), which every dl/dz_k divides by and the loss takes
// the log of.
func (m *modelBackend) SumDepth() int {
	if m.net != nil {
		return m.netSumDepth()
	}
	n := max(m.rows, m.valRows)
	passes := (n + m.posChunk - 1) / m.posChunk
	chunks := (m.rows + m.rowsPerChunk - 1) / m.rowsPerChunk
	per := min(m.posChunk, n)
	lanes := m.lanes()
	grad := passes*(((per+m.g2-1)/m.g2+lanes-1)/lanes+lanes+chunks) + m.g2
	tree := 0
	for s := localSize; s > 1; s >>= 1 {
		tree++
	}
	pairs := m.trainPairs + m.valPairs + m.g3
	loss := (per+m.g1*localSize-1)/(m.g1*localSize) + tree + (pairs+localSize-1)/localSize + tree
	norm := 0
	if info, _ := gdgpu.LookupModel(m.job.Problem); info.SumsOutputs {
		norm = m.k - 1
	}
	return m.cols + 1 + norm + max(grad, loss)
}

// Snapshot downloads the complete state, waiting for the device.
func (m *modelBackend) Snapshot(s *gdgpu.State) error { return m.in.Snapshot(s) }

// Restore uploads a complete state; pending samples are dropped.
func (m *modelBackend) Restore(s *gdgpu.State) error {
	if err := m.do(func() error { m.dropPending(); return nil }); err != nil {
		return err
	}
	return m.in.Restore(s)
}

// Keep copies the state to slot k on the device, without waiting.
func (m *modelBackend) Keep(k int) error { return m.in.Keep(k) }

// Revert restores kept slot k and drops pending samples.
func (m *modelBackend) Revert(k int) error {
	if err := m.in.Revert(k); err != nil {
		return err
	}
	return m.do(func() error { m.dropPending(); return nil })
}

// do runs f on the GL thread for an open backend.
func (m *modelBackend) do(f func() error) error {
	if m.closed {
		return errBackendClosed
	}
	return m.c.do(f)
}

// Close releases every GL object of the model and its optimizer. Idempotent.
func (m *modelBackend) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	m.in.closed = true
	err := m.c.do(func() error {
		m.release()
		m.in.release()
		return nil
	})
	if errors.Is(err, ErrClosed) {
		return fmt.Errorf("engine: backend closed after its context: %w", err)
	}
	return err
}

// release deletes the model's GL objects; safe on a partly built backend.
func (m *modelBackend) release() {
	m.releaseRing()
	if m.net != nil {
		m.net.release()
	}
	for _, p := range m.programs() {
		p.release()
	}
	for _, b := range []*buffer{&m.x, &m.y, &m.valX, &m.valY, &m.order, &m.dz, &m.gpart, &m.part} {
		b.delete()
	}
}
