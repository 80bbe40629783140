package engine

import (
	"fmt"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/lbfgs"
)

// SSBO bindings of the L-BFGS kernels (lbfgs.glsl).
const (
	bindLBA   = 19
	bindLBB   = 20
	bindLBC   = 21
	bindLBOut = 22
	bindLBSc  = 23
)

// lbfgsGPU is torch's L-BFGS on the GPU (gdgpu.OptimizerInfo.Closure):
// internal/lbfgs runs the rule on the host, and these buffers and kernels
// do its vector work (gpuOps). Its state is the backend's: d,
// prev_flat_grad and the history ring in b.state, the scalars in
// b.scalars; x_init is the spare parameter buffer. A step waits for the
// device at every scalar the rule decides on (a dot product, a loss),
// reading back those scalars only.
type lbfgsGPU struct {
	step *lbfgs.Stepper
	work [5]buffer // flat_grad, y, s, the line search's two spares
	out  buffer    // a reduction's result: one real, or an evaluation's two
	sc   buffer    // the two-loop's alphas (one per ring slot), then its beta

	part, fin, loss, vec *program
	axpyDot              *program // lbfgs.glsl's LB_AXPYDOT: the two-loop's fused update and dot
	// recordAt, when >= 0, is the step whose sample the next evaluation
	// records (the step's first); recorded says it did. moved marks an
	// evaluation at a point the step moved to (dispatchChunks notes its
	// values as step b.t's).
	recordAt int
	recorded bool
	moved    bool
}

// buildLBFGS compiles the L-BFGS kernels and the gradient pass (a model's
// optimizer has none: its closure is the model's pass). On the GL thread.
func (b *Backend) buildLBFGS(base map[string]string) (err error) {
	// Binding points up to bindLBSc: GL 4.3 promises only 8.
	var bindings int32
	gl.GetIntegerv(gl.MAX_SHADER_STORAGE_BUFFER_BINDINGS, &bindings)
	if bindings <= bindLBSc {
		return gdgpu.FieldErrorf("{Optimizer.Name} %s needs %d shader storage binding points, this driver has %d (GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS); use {cpu.Open}", b.job.Optimizer.Name, bindLBSc+1, bindings).In("engine")
	}
	l := &lbfgsGPU{step: lbfgs.New(lbfgs.NewParams(&b.job.Optimizer)), recordAt: -1}
	b.lb = l
	if !b.givenOnly { // a model's optimizer evaluates its closure instead
		if b.gradPass, err = b.buildGrad(); err != nil {
			return err
		}
	}
	with := func(d string) map[string]string {
		m := make(map[string]string, len(base)+1)
		for k, v := range base {
			m[k] = v
		}
		m[d] = "1"
		return m
	}
	tag := fmt.Sprintf("(lbfgs,%s)", b.job.Precision)
	full := slices2(glslFiles("wgsum.glsl", "common.glsl"), glslFiles("lbfgs.glsl"))
	alone := slices2(glslFiles("wgsum.glsl"), glslFiles("lbfgs.glsl"))
	if l.part, err = b.c.build("lbfgs-part"+tag, with("LB_PART"), full...); err != nil {
		return err
	}
	if l.vec, err = b.c.build("lbfgs-vec"+tag, with("LB_VEC"), full...); err != nil {
		return err
	}
	if l.axpyDot, err = b.c.build("lbfgs-axpydot"+tag, with("LB_AXPYDOT"), full...); err != nil {
		return err
	}
	if l.fin, err = b.c.build("lbfgs-fin"+tag, with("LB_FIN"), alone...); err != nil {
		return err
	}
	l.loss, err = b.c.build("lbfgs-loss"+tag, with("LB_LOSS"), alone...)
	return err
}

func slices2(a, b []string) []string { return append(append([]string{}, a...), b...) }

// allocLBFGS makes the work vectors and the result buffer. On the GL
// thread.
func (b *Backend) allocLBFGS() (err error) {
	for i := range b.lb.work {
		if b.lb.work[i], err = newBuffer("lbfgs work vector", b.job.Dim, b.elem); err != nil {
			return err
		}
	}
	if b.lb.out, err = newBuffer("lbfgs result", 2, b.elem); err != nil {
		return err
	}
	b.lb.sc, err = newBuffer("lbfgs two-loop scalars", int(b.job.Optimizer.History)+1, b.elem)
	return err
}

// lbfgsPrograms and lbfgsBuffers are what release deletes.
func (l *lbfgsGPU) programs() []*program {
	if l == nil {
		return nil
	}
	return []*program{l.part, l.fin, l.loss, l.vec, l.axpyDot}
}

func (l *lbfgsGPU) buffers() []*buffer {
	if l == nil {
		return nil
	}
	bs := []*buffer{&l.out, &l.sc}
	for i := range l.work {
		bs = append(bs, &l.work[i])
	}
	return bs
}

// lbfgsStep is one LBFGS.step(closure) with learning rate lr; with
// record, its first evaluation is recorded as step t's sample (through
// the ring, as every step's). The parameters it ends on are checked for
// non-finite values. On the GL thread.
func (b *Backend) lbfgsStep(lr float64, record bool) error {
	t0 := b.t
	b.t++
	b.lb.recordAt, b.lb.recorded = -1, false
	if record {
		b.lb.recordAt = t0
	}
	o := &gpuOps{b: b}
	b.lb.step.Step(o, &b.scalars, lr)
	if o.err != nil {
		return o.err
	}
	b.vecOp(6, b.x[b.cur], buffer{}, buffer{}, 0) // check x: noted as step t0+1's
	if b.lb.recorded {
		b.refreshSampleFlags()
	}
	return b.c.glError()
}

// refreshSampleFlags copies the non-finite record into the newest pending
// sample's slot, behind a new fence: an lbfgs sample carries what its
// whole step found, as a fused step's carries the values it wrote (the
// CPU's sample is taken after its step too).
func (b *Backend) refreshSampleFlags() {
	p := &b.pending[len(b.pending)-1]
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	gl.BindBuffer(gl.COPY_READ_BUFFER, b.flags.id)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, b.flagRing.id)
	gl.CopyBufferSubData(gl.COPY_READ_BUFFER, gl.COPY_WRITE_BUFFER, 0, 8*p.slot, 8)
	gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
	gl.MemoryBarrier(gl.CLIENT_MAPPED_BUFFER_BARRIER_BIT)
	gl.DeleteSync(p.fence)
	p.fence = gl.FenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0)
	gl.Flush()
}

// lbRecompute sets the ring's 1/(y.s) after the state was replaced. On
// the GL thread.
func (b *Backend) lbRecompute() error {
	if b.lb == nil {
		return nil
	}
	o := &gpuOps{b: b}
	b.lb.step.Recompute(o, &b.scalars)
	return o.err
}

// gpuOps is lbfgs.Ops on the backend's buffers. The first error stops
// nothing (the rule's arithmetic goes on with zeros) but is returned by
// the step.
type gpuOps struct {
	b   *Backend
	err error
}

var _ lbfgs.Ops = (*gpuOps)(nil)

// buf is the buffer behind a name: x, the spare parameter buffer as
// x_init, the work vectors and the state vectors (d, prev_flat_grad, then
// old_dirs and old_stps, as StateNames).
func (o *gpuOps) buf(v lbfgs.Vec) *buffer {
	b, l := o.b, o.b.lb
	switch v {
	case lbfgs.X:
		return &b.x[b.cur]
	case lbfgs.XInit:
		return &b.x[1-b.cur]
	case lbfgs.G:
		return &l.work[0]
	case lbfgs.Y:
		return &l.work[1]
	case lbfgs.S:
		return &l.work[2]
	case lbfgs.Spare0:
		return &l.work[3]
	case lbfgs.Spare1:
		return &l.work[4]
	case lbfgs.D:
		return &b.state[0]
	case lbfgs.Prev:
		return &b.state[1]
	}
	return &b.state[2+int(v-lbfgs.Dir(0))]
}

func (o *gpuOps) Swap(a, c lbfgs.Vec) {
	pa, pc := o.buf(a), o.buf(c)
	*pa, *pc = *pc, *pa
}

// Eval runs the gradient pass at x into dst, its partials reduced into
// out, and reads the loss and squared gradient norm back. Its non-finite
// values are noted as step b.t-1's (the start), b.t's (a point the step
// moved to), or not at all: the record is restored afterwards.
func (o *gpuOps) Eval(dst lbfgs.Vec, flag lbfgs.Flag) (loss, sq float64) {
	b, l := o.b, o.b.lb
	var saved [2]uint32
	if flag == lbfgs.NoFlag {
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
		gl.BindBuffer(gl.COPY_READ_BUFFER, b.flags.id)
		gl.GetBufferSubData(gl.COPY_READ_BUFFER, 0, 8, unsafe.Pointer(&saved[0]))
		gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
	}
	if b.closure != nil {
		step := b.t - 1 // FlagStart: the step's start point
		if flag == lbfgs.FlagMoved {
			step = b.t
		}
		f, g, err := b.closure(*o.buf(dst), step)
		if err != nil && o.err == nil {
			o.err = err
		}
		if flag == lbfgs.NoFlag {
			o.restoreFlags(saved)
		}
		return f, g
	}
	b.runPrepass()
	grad := b.grad
	b.grad = *o.buf(dst)
	l.moved = flag == lbfgs.FlagMoved
	b.dispatchChunks(b.gradPass)
	b.grad, l.moved = grad, false
	if l.recordAt >= 0 {
		if err := b.recordSample(b.reduce, l.recordAt); err != nil && o.err == nil {
			o.err = err
		}
		l.recorded = true
		l.recordAt = -1
	}
	l.loss.use()
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, b.partials.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindLBOut, l.out.id)
	l.loss.setUint("parts", uint32(b.groups*b.chunks()))
	gl.DispatchCompute(1, 1, 1)
	f, g := o.read2()
	if flag == lbfgs.NoFlag {
		o.restoreFlags(saved)
	}
	return f, g
}

// restoreFlags writes back the non-finite record Eval saved.
func (o *gpuOps) restoreFlags(saved [2]uint32) {
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, o.b.flags.id)
	gl.BufferSubData(gl.COPY_WRITE_BUFFER, 0, 8, unsafe.Pointer(&saved[0]))
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
}

// read2 waits for the device (a fence, so that a lost context ends the
// wait) and reads out's two reals.
func (o *gpuOps) read2() (float64, float64) {
	b := o.b
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	fence := gl.FenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0)
	gl.Flush()
	_, err := b.c.waitFence(fence, true, b.t)
	gl.DeleteSync(fence)
	if err != nil {
		if o.err == nil {
			o.err = err
		}
		return 0, 0
	}
	st := b.stage(2 * b.elem)
	b.lb.out.read(0, st[:2*b.elem])
	return b.decode(st, 0), b.decode(st, 1)
}

// reduce runs a partials pass (mode 0 a.c, 1 sum |a|, 2 max |a|) and the
// final reduction, and reads the result back.
func (o *gpuOps) reduce(mode int32, a, c lbfgs.Vec) float64 {
	o.reduceInto(mode, a, c, o.b.lb.out, 0, 1)
	v, _ := o.read2()
	return v
}

// reduceInto is reduce's passes, the result times scale written to
// dst[idx] on the device and not read back.
func (o *gpuOps) reduceInto(mode int32, a, c lbfgs.Vec, dst buffer, idx int, scale float64) {
	l := o.b.lb
	l.part.use()
	l.part.setInt("mode", mode)
	ba, bc := *o.buf(a), *o.buf(a)
	if mode == 0 {
		bc = *o.buf(c)
	}
	o.partialsPass(l.part, ba, bc, buffer{})
	o.finInto(mode, dst, idx, scale)
}

// finInto is a reduction's last dispatch (LB_FIN): the partials every
// chunk left, in mode, times scale into dst[idx]; then a barrier.
func (o *gpuOps) finInto(mode int32, dst buffer, idx int, scale float64) {
	b, l := o.b, o.b.lb
	l.fin.use()
	l.fin.setInt("mode", mode)
	l.fin.setUint("parts", uint32(b.groups*b.chunks()))
	l.fin.setUint("outIdx", uint32(idx))
	b.setReal(l.fin, "scale", scale)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, b.partials.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindLBOut, dst.id)
	gl.DispatchCompute(1, 1, 1)
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
}

// TwoLoop keeps the recursion's scalars on the device: each dot product
// times 1/(y.s) goes to sc (al_k at slot k, be at slot m), and the axpys
// read their coefficients there. Nothing is read back. Each update of D
// and the next pair's dot run in one pass (axpyDotInto), with the bits of
// the two in turn (both kernels' dots are fma() into precise sums;
// TestLBFGSTwoLoopFusedBits): 2m + 2 passes over the vectors where the
// two apart made 4m, and 2m(c+1) + 2c dispatches for 2m(2c+1) over c
// chunks (4m + 2 for 6m in one).
func (o *gpuOps) TwoLoop(m int, slots []int, ro []float64, hDiag float64) {
	b, l := o.b, o.b.lb
	n := len(slots)
	if n > 0 {
		o.reduceInto(0, lbfgs.Stp(m, slots[n-1]), lbfgs.D, l.sc, slots[n-1], ro[slots[n-1]])
	}
	for i := n - 1; i >= 0; i-- {
		k := slots[i]
		if i > 0 { // D += (-al_k) Dir(k), then al of the next pair
			next := slots[i-1]
			o.axpyDotInto(*o.buf(lbfgs.Dir(k)), k, -1, -1, *o.buf(lbfgs.Stp(m, next)), next, ro[next])
		} else {
			b.vecOpSc(*o.buf(lbfgs.D), *o.buf(lbfgs.Dir(k)), k, -1, -1)
		}
	}
	o.Scale(lbfgs.D, lbfgs.D, hDiag)
	if n > 0 {
		o.reduceInto(0, lbfgs.Dir(slots[0]), lbfgs.D, l.sc, m, ro[slots[0]])
	}
	for i, k := range slots {
		if i+1 < n { // D += (al_k - be) Stp(k), then be of the next pair
			next := slots[i+1]
			o.axpyDotInto(*o.buf(lbfgs.Stp(m, k)), k, m, 1, *o.buf(lbfgs.Dir(next)), m, ro[next])
		} else {
			b.vecOpSc(*o.buf(lbfgs.D), *o.buf(lbfgs.Stp(m, k)), k, m, 1)
		}
	}
}

// axpyDotInto is vecOpSc(D, x, ia, ib, sa) then reduceInto(0, w, D) into
// sc[idx] times scale, in one pass over D (lbfgs.glsl's LB_AXPYDOT, the
// same invocations making the same sums as LB_PART's), then LB_FIN.
func (o *gpuOps) axpyDotInto(x buffer, ia, ib int, sa float64, w buffer, idx int, scale float64) {
	b, l := o.b, o.b.lb
	d := *o.buf(lbfgs.D)
	p := l.axpyDot
	p.use()
	p.setInt("ia", int32(ia))
	p.setInt("ib", int32(ib))
	b.setReal(p, "sa", sa)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindLBSc, l.sc.id)
	o.partialsPass(p, d, x, w)
	o.finInto(0, l.sc, idx, scale)
}

// partialsPass dispatches p (LB_PART or LB_AXPYDOT, in use) over every
// chunk, b.groups workgroups each, with a, bb and, when given, c bound
// at the chunk and its workgroups' partials at ch*b.groups; then a
// barrier before finInto reads them.
func (o *gpuOps) partialsPass(p *program, a, bb, c buffer) {
	b := o.b
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, b.partials.id)
	flush := b.flusher()
	for ch, base := 0, 0; base < b.job.Dim; ch, base = ch+1, base+b.chunk {
		count := min(b.chunk, b.job.Dim-base)
		flush(count)
		a.bindRange(bindLBA, base, count)
		bb.bindRange(bindLBB, base, count)
		if c.id != 0 {
			c.bindRange(bindLBC, base, count)
		}
		p.setUint("base", uint32(base))
		p.setUint("count", uint32(count))
		p.setUint("partialBase", uint32(ch*b.groups))
		gl.DispatchCompute(uint32(b.groups), 1, 1)
	}
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
}

func (o *gpuOps) Dot(a, c lbfgs.Vec) float64 { return o.reduce(0, a, c) }
func (o *gpuOps) AbsSum(a lbfgs.Vec) float64 { return o.reduce(1, a, a) }
func (o *gpuOps) AbsMax(a lbfgs.Vec) float64 { return o.reduce(2, a, a) }

func (o *gpuOps) Axpy(y lbfgs.Vec, a float64, x lbfgs.Vec) {
	o.b.vecOp(0, *o.buf(y), *o.buf(x), buffer{}, a)
}
func (o *gpuOps) Neg(dst, src lbfgs.Vec) { o.b.vecOp(1, *o.buf(dst), *o.buf(src), buffer{}, 0) }
func (o *gpuOps) Sub(dst, a, c lbfgs.Vec) {
	o.b.vecOp(2, *o.buf(dst), *o.buf(a), *o.buf(c), 0)
}
func (o *gpuOps) Scale(dst, src lbfgs.Vec, t float64) {
	o.b.vecOp(3, *o.buf(dst), *o.buf(src), buffer{}, t)
}
func (o *gpuOps) AddScaled(dst, x lbfgs.Vec, t float64, d lbfgs.Vec) {
	o.b.vecOp(4, *o.buf(dst), *o.buf(x), *o.buf(d), t)
}
func (o *gpuOps) Copy(dst, src lbfgs.Vec) {
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	copyBuffer(*o.buf(dst), *o.buf(src))
}

// vecOpSc is mode 0 with its coefficient sa sc[ia] - sc[ib] (ib >= 0)
// or sa sc[ia], read on the device: a += coef * x.
func (b *Backend) vecOpSc(a, x buffer, ia, ib int, sa float64) {
	p := b.lb.vec
	p.use()
	p.setInt("ia", int32(ia))
	p.setInt("ib", int32(ib))
	b.setReal(p, "sa", sa)
	b.vecDispatch(0, a, x, buffer{}, 0)
	p.setInt("ia", -1)
}

// vecOp runs lbfgs.glsl's elementwise mode over every chunk: A is
// written, B and C read (an absent one is bound to A, unread). Mode 6
// checks A, noting a non-finite value as step b.t's.
func (b *Backend) vecOp(mode int32, a, bb, c buffer, coef float64) {
	b.lb.vec.use()
	b.lb.vec.setInt("ia", -1)
	b.vecDispatch(mode, a, bb, c, coef)
}

// vecDispatch is vecOp's dispatch, ia and ib as they are set.
func (b *Backend) vecDispatch(mode int32, a, bb, c buffer, coef float64) {
	p := b.lb.vec
	p.use()
	p.setInt("mode", mode)
	b.setReal(p, "a", coef)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindLBSc, b.lb.sc.id)
	if bb.id == 0 {
		bb = a
	}
	if c.id == 0 {
		c = a
	}
	p.setUint("flagStep", uint32(b.t-1))
	flush := b.flusher()
	for base := 0; base < b.job.Dim; base += b.chunk {
		count := min(b.chunk, b.job.Dim-base)
		flush(count)
		a.bindRange(bindLBA, base, count)
		bb.bindRange(bindLBB, base, count)
		c.bindRange(bindLBC, base, count)
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindFlags, b.flags.id)
		p.setUint("base", uint32(base))
		p.setUint("count", uint32(count))
		gl.DispatchCompute(uint32(b.groups), 1, 1)
	}
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
}

// flusher returns what dispatchChunks does before each chunk's dispatch:
// a glFlush when the chunks since the last one would pass
// Options.MaxElemsPerDispatch (the watchdog bound).
func (b *Backend) flusher() func(count int) {
	perFlush, since := b.c.maxElemsPerDispatch(), 0
	return func(count int) {
		if perFlush > 0 && since > 0 && since+count > perFlush {
			gl.Flush()
			since = 0
		}
		since += count
	}
}

// lbfgsNeed is the memory of the work vectors and the result.
func lbfgsNeed(job *gdgpu.Job, elem int) int64 {
	if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.Closure {
		// x_init is the spare x; then out's 2 reals and sc's history+1.
		return int64(info.WorkVectors-1)*int64(job.Dim)*int64(elem) + (3+int64(job.Optimizer.History))*int64(elem)
	}
	return 0
}

// Counts gives L-BFGS's n_iter and func_evals since Load (gdgpu.Counter);
// 0, 0 for the other rules, which keep no such counts.
func (b *Backend) Counts() (iterations, evaluations int) {
	if b.lb == nil {
		return 0, 0
	}
	return b.scalars.NIter, b.scalars.FuncEvals
}
