package engine

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/shaders"
)

const (
	// localSize is the workgroup size of the kernels outside the device
	// class's choice (models, landscapes); the problem kernels use
	// Info.LocalSize (devclass.go).
	localSize = 256
	maxGroups = 1024 // workgroups per dispatch: enough to fill a large GPU, far below 65535
	// xferElems bounds the host staging slice for uploads and downloads.
	xferElems = 1 << 20
)

// SSBO bindings. The shaders see them as BIND_* defines (bindings.go), so
// each number is written here only.
const (
	bindXIn      = 0
	bindXOut     = 1
	bindCoef     = 4
	bindPartials = 5
	bindRing     = 6
	bindGrad     = 8
	bindScale    = 9
	bindFlags    = 10 // the first non-finite value: two uints (common.glsl)
	bindFlagRing = 11 // the flags copied per read-back slot
	bindGlob     = 12 // an objective's global quantities (prepass.glsl)
	bindPrePart  = 13 // the partials again, read by the pre-pass reduction
)

// noFlag is the flags' "none" value.
const noFlag = 0xFFFFFFFF

// stateBindings are the bindings of the optimizer's state vectors, in the
// order of gdgpu.Optimizer.StateNames.
var stateBindings = [...]uint32{2, 3, 7}

// Backend runs a Job on the GPU. It implements gdgpu.Backend; make one with
// Context.NewBackend. Parameters live in two buffers used in turn, because
// a step reads neighbours' old values (rosenbrock) while writing new ones.
type Backend struct {
	c   *Context
	job gdgpu.Job
	// opt is the optimizer of the current step: job.Optimizer, with a
	// onecycle schedule's momentum or beta1 of the step (ScheduledScalars).
	opt gdgpu.Optimizer
	// cycled names the StepScalars member that carries
	// gdgpu.StepScalars.Momentum: the rule's "momentum" or "oneMinusBeta1"
	// (OptimizerInfo.Cycled), or "".
	cycled string
	prob   gdgpu.Problem       // the job's problem's descriptor
	coef   func(i int) float64 // its per-index coefficients, or nil (hasCoef)
	elem   int                 // bytes per element: 4 or 8

	chunk      int // elements bound per dispatch: a multiple of alignElems
	alignElems int // elements per SSBO offset alignment unit
	halo       int // elements bound each side of a chunk's input: the problem's Reach in whole alignment units
	groups     int // workgroups per chunk dispatch
	local      int // invocations per workgroup of the problem kernels: Info.LocalSize
	vec        int // elements per vector load and store of the fused step; 1: scalar (step.glsl)

	x        [2]buffer
	cur      int      // index of the buffer holding the current parameters
	state    []buffer // optimizer state vectors, named by stateNames
	names    []string // gdgpu.Optimizer.StateNames for the job
	coefBuf  buffer   // the objective's coefficients (hasCoef)
	partials buffer
	grad     buffer // a given gradient, for ApplyGradient; allocated on first use

	// sampleRing is the samples' read-back (ring.go): ring, flagRing and
	// the pending samples.
	sampleRing

	// Kernels (see buildKernels); those a job does not need are nil.
	step, eval, reduce, given *program
	gradPass, givenNorm, clip *program // clipping by norm
	scale                     buffer   // the clip factor, one real
	flags                     buffer   // the non-finite record (uint); its copies are flagRing's
	// stepBuf holds the StepScalars uniform block (stepscalars.go),
	// written from stepBytes once a step.
	stepBuf   buffer
	stepBytes []byte
	// The pre-pass of an objective with global quantities (Ackley's,
	// Griewank's: hasPrepass): per-chunk partials, then one workgroup
	// combining them into glob.
	pre, preReduce *program
	glob           buffer
	// buildGrad builds a GRAD_ONLY kernel for Gradient, when the job has none.
	buildGrad func() (*program, error)

	// Kept states (Keep, Revert): parameters then state vectors per slot,
	// allocated on the first Keep.
	kept [2]struct {
		bufs    []buffer
		t       int
		scalars gdgpu.ScalarState
	}

	t       int               // optimizer steps taken (torch's state["step"])
	scalars gdgpu.ScalarState // NAdam's running product of mu
	scratch []byte            // staging for uploads and downloads
	closed  bool

	// probe, when set (by tests), runs on the GL thread just before and
	// just after each chunk's glDispatchCompute.
	probe func(before bool)

	// givenOnly marks the optimizer of a model on data (model.go): its
	// job's Problem is a placeholder, so only the given-gradient kernels
	// are built, fed by the model's gradient buffer. modelNeed is the
	// model's own device memory, counted in the memory check.
	givenOnly bool
	modelNeed int64

	// lb is torch's L-BFGS (lbfgs.go), whose steps are not one kernel;
	// nil for the other optimizers.
	lb *lbfgsGPU
	// closure, when set, is L-BFGS's objective instead of the problem's
	// gradient pass: a model's full-batch loss and gradient at x, the
	// gradient into g, its non-finite values noted as step flagStep's,
	// with the squared gradient norm, read back (modelBackend sets it).
	closure func(g buffer, flagStep int) (loss, sq float64, err error)
}

var _ gdgpu.Backend = (*Backend)(nil)

// NewBackend compiles the kernels for job and allocates its buffers on the
// device. It refuses a job that needs more memory than the device reports.
func (c *Context) NewBackend(job *gdgpu.Job) (gdgpu.Backend, error) {
	if err := job.Validate(); err != nil {
		return nil, err
	}
	if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.CPUOnly {
		return nil, gdgpu.FieldErrorf("{Optimizer.Name} %s runs on the CPU only (%s); use {cpu.Open}", info.Name, info.Torch).In("engine")
	}
	if info, ok := gdgpu.LookupModel(job.Problem); ok && info.GPU == nil {
		// Refused before any buffer or kernel: a model without GLSL.
		return nil, gdgpu.FieldErrorf("model %s runs on the CPU backend only for now; use {cpu.Open}", info.Name).In("engine")
	}
	if gdgpu.IsModel(job.Problem) {
		return c.newModelBackend(job) // model.go
	}
	b := &Backend{c: c, job: *job, elem: 4, names: job.Optimizer.StateNames()}
	b.initOptimizer()
	if err := b.setProblem(); err != nil {
		return nil, err
	}
	if job.Precision == gdgpu.F64 {
		b.elem = 8
	}
	b.plan()
	if err := c.do(b.init); err != nil {
		// init released what it made.
		return nil, err
	}
	return b, nil
}

// plan chooses the chunk size and grid from the context's limits.
func (b *Backend) plan() {
	in := b.c.info
	align := max(in.SSBOAlignment, 1)
	b.alignElems = lcm(align, b.elem) / b.elem
	// The input range carries a halo on each side: the neighbours the
	// chunk's first and last elements read (Problem.Reach), in whole
	// alignment units so that the bound range starts aligned.
	b.halo = roundUp(max(b.prob.Reach, 1), b.alignElems)
	maxElems := int(min(in.MaxSSBOBlockSize/int64(b.elem), math.MaxInt32)) - 2*b.halo
	if b.c.opts.ChunkElems > 0 {
		maxElems = min(maxElems, b.c.opts.ChunkElems)
	}
	if per := b.c.maxElemsPerDispatch(); per > 0 { // the watchdog bound (Options.MaxElemsPerDispatch)
		maxElems = min(maxElems, per)
	}
	b.local = max(in.LocalSize, 1)
	b.vec = b.c.vectorWidth(b.elem)
	if b.local%b.vec != 0 { // a pass of the vector path is whole vectors (step.glsl)
		b.vec = 1
	}
	// Chunks start on whole alignment units and, on the vector path, whole
	// vectors, so that each bound offset is aligned to the vector (a
	// device whose binding alignment is below 16 bytes gets chunks of
	// whole vectors); the partial vector at a chunk's end runs element by
	// element.
	unit := lcm(b.alignElems, b.vec)
	b.chunk = max(maxElems/unit*unit, unit)
	b.chunk = min(b.chunk, roundUp(b.job.Dim, unit))
	b.groups = min((b.chunk+b.local-1)/b.local, b.c.maxGroups(b.local), max(in.MaxWorkGroupCount[0], 1))
}

func (b *Backend) chunks() int { return (b.job.Dim + b.chunk - 1) / b.chunk }

// setProblem looks the job's problem up and takes what the kernels need
// of its descriptor. Validate has found it registered.
func (b *Backend) setProblem() error {
	p, ok := gdgpu.LookupProblem(b.job.Problem)
	if !ok {
		return fmt.Errorf("engine: unknown problem %q", b.job.Problem)
	}
	if !p.HasGPU() {
		return gdgpu.FieldErrorf("{Job.Problem} %s has no GPU objective (its GLSL); use {cpu.Open}", p.Name).In("engine")
	}
	b.prob = p
	if p.GPU.Coef != nil {
		b.coef = p.GPU.Coef(&b.job)
	}
	return nil
}

// hasCoef reports whether the job's objective reads per-index
// coefficients (GPUObjective.Coef; the quadratic with cond != 1).
func (b *Backend) hasCoef() bool { return b.coef != nil }

// hasPrepass reports whether the job's objective needs global quantities
// before any gradient component: a pre-pass (prepass.glsl) runs before
// every kernel that evaluates it.
func (b *Backend) hasPrepass() bool { return b.prob.GPU.Prepass }

// init runs on the GL thread; on failure it releases everything it made.
func (b *Backend) init() (err error) {
	defer func() {
		if err != nil {
			b.release()
		}
	}()
	if err := b.checkMemory(); err != nil { // before any buffer is made
		return err
	}
	if err := b.buildKernels(); err != nil {
		return err
	}
	n := b.job.Dim
	for i := range b.x {
		if b.x[i], err = newBuffer("parameters", n, b.elem); err != nil {
			return err
		}
	}
	b.state = make([]buffer, len(b.names))
	for k, name := range b.names {
		if b.state[k], err = newBuffer(b.job.Optimizer.Name+" "+name, n, b.elem); err != nil {
			return err
		}
	}
	if b.partials, err = newBuffer("partial sums", 2*b.groups*b.chunks(), b.elem); err != nil {
		return err
	}
	if err := b.initRing("", 2, b.elem, n, false, b.c.persistentReadBack(), 0); err != nil {
		return err
	}
	if b.flags, err = newBuffer("non-finite flags", 2, 4); err != nil {
		return err
	}
	if err := b.newStepBuffer(); err != nil {
		return err
	}
	b.clearFlags()
	if b.lb != nil {
		if err := b.allocLBFGS(); err != nil {
			return err
		}
	}
	if b.job.ClipNorm > 0 {
		if b.grad, err = newBuffer("gradient", n, b.elem); err != nil {
			return err
		}
		if b.scale, err = newBuffer("clip factor", 1, b.elem); err != nil {
			return err
		}
	}
	if b.hasPrepass() {
		if b.glob, err = newBuffer("objective globals", 4, b.elem); err != nil {
			return err
		}
	}
	if b.hasCoef() {
		if b.coefBuf, err = newBuffer(b.prob.Name+" coefficients", n, b.elem); err != nil {
			return err
		}
		b.upload(b.coefBuf, b.coef)
	}
	b.setConstants()
	return nil
}

// buildKernels compiles the job's kernels. The fused step kernel serves
// every job but those clipping by norm, which need the whole gradient's
// norm before any update: they run a gradient pass, a reduction that
// computes the clip factor, and the update on the stored gradient (the
// "given" kernel, which also applies gradients fed by ApplyGradient).
func (b *Backend) buildKernels() (err error) {
	real := "float"
	if b.elem == 8 {
		real = "double"
	}
	base := map[string]string{"real": real, "LOCAL_SIZE": fmt.Sprint(b.local), "NSTATE": fmt.Sprint(len(b.names))}
	if b.elem == 8 {
		base["REAL_IS_DOUBLE"] = "1" // fp64math.glsl's switch
	}
	if b.hasCoef() {
		base["HAS_COEF"] = "1"
	}
	if b.hasPrepass() {
		base["PREPASS_GLOBALS"] = "1"
	}
	optimizerDefines(b.job.Optimizer, base)
	if b.job.ClipValue > 0 {
		base["CLIP_VALUE"] = "1"
	}
	with := func(extra ...string) map[string]string {
		d := make(map[string]string, len(base)+len(extra))
		for k, v := range base {
			d[k] = v
		}
		for _, e := range extra {
			d[e] = "1"
		}
		return d
	}
	var obj []string // the objective's GLSL texts
	if !b.givenOnly {
		obj = objectiveTexts(&b.prob)
	}
	given := glslFiles("given.glsl")
	info, _ := gdgpu.LookupOptimizer(b.job.Optimizer.Name)
	opt := glslFiles(info.GPU.Files...)
	tag := fmt.Sprintf("(%s,%s,%s)", b.job.Problem, b.job.Optimizer.Name, b.job.Precision)
	kernel := func(name string, defs map[string]string, objective []string, flags programFlags) (*program, error) {
		if flags.update && b.vec > 1 {
			// The fused step's vector path (step.glsl); only update
			// kernels have one.
			defs = maps.Clone(defs)
			defs["VECTOR_WIDTH"] = fmt.Sprint(b.vec)
		}
		parts := slices.Concat(glslFiles("wgsum.glsl", "common.glsl"), objective, glslFiles("optim_common.glsl"), opt, glslFiles("step.glsl"))
		p, err := b.c.build(name+tag, defs, parts...)
		if p != nil {
			p.programFlags = flags
		}
		return p, err
	}
	clipNorm := b.job.ClipNorm > 0
	b.buildGrad = func() (*program, error) {
		return kernel("grad", with("USES_GRAD", "GRAD_ONLY"), obj, programFlags{usesGrad: true})
	}
	if b.hasPrepass() {
		files := slices.Concat(glslFiles("wgsum.glsl", "common.glsl"), obj, glslFiles("prepass.glsl"))
		if b.pre, err = b.c.build("prepass"+tag, base, files...); err != nil {
			return err
		}
		if b.preReduce, err = b.c.build("prepass-reduce"+tag, with("PREPASS_REDUCE"), files...); err != nil {
			return err
		}
	}
	if !b.givenOnly {
		if b.eval, err = kernel("eval", with("EVAL_ONLY"), obj, programFlags{}); err != nil {
			return err
		}
		if b.reduce, err = b.c.build("reduce"+tag, base, glslFiles("wgsum.glsl", "reduce.glsl")...); err != nil {
			return err
		}
	}
	if info.Closure {
		return b.buildLBFGS(base)
	}
	if !clipNorm {
		if !b.givenOnly {
			if b.step, err = kernel("step", base, obj, programFlags{update: true}); err != nil {
				return err
			}
		}
		b.given, err = kernel("given", with("USES_GRAD", "GIVEN"), given, programFlags{update: true, usesGrad: true})
		return err
	}
	if !b.givenOnly {
		if b.gradPass, err = kernel("grad", with("USES_GRAD", "GRAD_ONLY"), obj, programFlags{usesGrad: true}); err != nil {
			return err
		}
	}
	if b.givenNorm, err = kernel("given-norm", with("USES_GRAD", "GIVEN", "GRAD_ONLY"), given, programFlags{usesGrad: true}); err != nil {
		return err
	}
	if b.clip, err = b.c.build("clip"+tag, with("CLIP_NORM"), glslFiles("wgsum.glsl", "reduce.glsl")...); err != nil {
		return err
	}
	b.given, err = kernel("given", with("USES_GRAD", "GIVEN", "CLIP_NORM"), given, programFlags{update: true, usesGrad: true})
	return err
}

// build assembles one kernel from GLSL texts and returns a handle on its
// program, compiled unless the Context's cache has it. On the GL thread.
func (c *Context) build(name string, defs map[string]string, texts ...string) (*program, error) {
	return c.program(name, shaders.AssembleText(defs, texts...))
}

// glslFiles returns the texts of embedded shader files. The engine names
// only files it embeds, and RegisterProblem refuses a problem naming a
// file that is not embedded, so a missing one is a programming error.
func glslFiles(names ...string) []string {
	t := make([]string, len(names))
	for i, n := range names {
		src, err := shaders.Source(n)
		if err != nil {
			panic(err)
		}
		t[i] = src
	}
	return t
}

// objectiveTexts is a problem's GLSL in assembly order: the files it needs
// before its source, the source, then the files that build on it
// (plane.glsl makes a two-dimensional function's plane() the objective).
func objectiveTexts(p *gdgpu.Problem) []string {
	return slices.Concat(glslFiles(p.GPU.Before...), []string{p.GPU.Source}, glslFiles(p.GPU.After...))
}

// setConstants sets the uniforms that stay fixed for the job. A uniform a
// kernel does not use has location -1, which glUniform ignores.
func (b *Backend) setConstants() {
	o := b.job.Optimizer
	for _, p := range b.programs() {
		p.setUint("n", uint32(b.job.Dim))
		b.setReal(p, "clipValue", b.job.ClipValue)
		b.setReal(p, "maxNorm", b.job.ClipNorm)
		b.setReal(p, "clipEps", 1e-6) // torch's clip_grad_norm_ adds 1e-6 to the norm
	}
	// momentum and 1 - beta1, which a onecycle schedule cycles, go with
	// the step's scalars (setStepScalars).
	for _, p := range []*program{b.step, b.given} {
		for _, u := range []struct {
			name string
			v    float64
		}{
			{"weightDecay", o.WeightDecay}, {"eps", o.Eps},
			{"oneMinusDampening", 1 - o.Dampening}, {"beta2", o.Beta2},
			{"oneMinusBeta2", 1 - o.Beta2},
			{"rho", o.Rho}, {"oneMinusRho", 1 - o.Rho},
			{"alpha", o.Alpha}, {"oneMinusAlpha", 1 - o.Alpha},
		} {
			b.setReal(p, u.name, u.v)
		}
	}
}

// optimizerDefines sets the compile-time switches of optim_common.glsl, so
// a kernel carries only the branches its configuration takes: the common
// ones, then the rule's own (gdgpu.GPUUpdate.Defines).
func optimizerDefines(o gdgpu.Optimizer, defs map[string]string) {
	set := func(name string, on bool) {
		if on {
			defs[name] = "1"
		}
	}
	set("MAXIMIZE", o.Maximize)
	set("WEIGHT_DECAY", o.WeightDecay != 0)
	set("DECOUPLED", o.IsDecoupled())
	if info, _ := gdgpu.LookupOptimizer(o.Name); info.GPU.Defines != nil {
		for _, d := range info.GPU.Defines(&o) {
			set(d, true)
		}
	}
}

// programs lists the kernels the job built.
func (b *Backend) programs() []*program {
	var ps []*program
	for _, p := range append([]*program{b.step, b.eval, b.reduce, b.given, b.gradPass, b.givenNorm, b.clip, b.pre, b.preReduce}, b.lb.programs()...) {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// setReal sets a real uniform in the job's precision; values come from
// float64 host arithmetic, as on the CPU backend.
func (b *Backend) setReal(p *program, name string, v float64) {
	if p == nil {
		return
	}
	if b.elem == 8 {
		p.setDouble(name, v)
	} else {
		p.setFloat(name, float32(v))
	}
}

// Name returns "gpu/f32" or "gpu/f64".
func (b *Backend) Name() string { return "gpu/" + b.job.Precision.String() }

// Load uploads x and resets the optimizer state and step count.
func (b *Backend) Load(x []float64) error {
	if len(x) != b.job.Dim {
		return fmt.Errorf("engine: Load got %d values, job has dimension %d", len(x), b.job.Dim)
	}
	return b.do(func() error {
		b.dropPending()
		b.cur = 0
		b.upload(b.x[0], func(i int) float64 { return x[i] })
		for k := range b.names {
			if v, ok := b.job.Optimizer.StateStart(k); ok { // Adagrad's accumulator starts at initial_accumulator_value
				b.upload(b.state[k], func(int) float64 { return v })
			} else {
				b.state[k].zero()
			}
		}
		b.t = 0
		b.scalars = gdgpu.NewScalarState()
		b.clearFlags()
		return nil
	})
}

// clearFlags resets the non-finite record to "none". On the GL thread.
func (b *Backend) clearFlags() {
	none := [2]uint32{noFlag, noFlag}
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, b.flags.id)
	gl.BufferSubData(gl.COPY_WRITE_BUFFER, 0, 8, unsafe.Pointer(&none[0]))
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
}

// Keep copies the state to slot k on the device (see gdgpu.Backend): one
// glCopyBufferSubData per vector, no wait.
func (b *Backend) Keep(k int) error {
	if k < 0 || k > 1 {
		return fmt.Errorf("engine: Keep: no slot %d", k)
	}
	return b.do(func() error {
		s := &b.kept[k]
		if s.bufs == nil {
			// Built aside and kept only whole: a slot with some of its
			// buffers would be indexed out of range later.
			nk := b.job.Optimizer.KeptStates() // lbfgs: not its history ring
			bufs := make([]buffer, 0, 1+nk)
			for v := 0; v <= nk; v++ {
				buf, err := newBuffer(fmt.Sprintf("kept state %d", k), b.job.Dim, b.elem)
				if err != nil {
					for i := range bufs {
						bufs[i].delete()
					}
					return err
				}
				bufs = append(bufs, buf)
			}
			s.bufs = bufs
		}
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
		copyBuffer(s.bufs[0], b.x[b.cur])
		for v := range s.bufs[1:] {
			copyBuffer(s.bufs[1+v], b.state[v])
		}
		s.t, s.scalars = b.t, b.scalars
		return nil
	})
}

// Revert restores slot k (see gdgpu.Backend).
func (b *Backend) Revert(k int) error {
	if k < 0 || k > 1 || b.kept[k].bufs == nil {
		return fmt.Errorf("engine: Revert: slot %d holds no state", k)
	}
	return b.do(func() error {
		s := &b.kept[k]
		b.dropPending()
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
		b.cur = 0
		copyBuffer(b.x[0], s.bufs[0])
		for v := range s.bufs[1:] {
			copyBuffer(b.state[v], s.bufs[1+v])
		}
		b.t, b.scalars = s.t, s.scalars
		b.job.Optimizer.Reverted(&b.scalars)
		b.clearFlags()
		return b.lbRecompute()
	})
}

// copyBuffer copies src into dst (same length) on the device.
func copyBuffer(dst, src buffer) {
	gl.BindBuffer(gl.COPY_READ_BUFFER, src.id)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, dst.id)
	gl.CopyBufferSubData(gl.COPY_READ_BUFFER, gl.COPY_WRITE_BUFFER, 0, 0, src.bytes())
	gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
}

// Step issues len(lr) steps without waiting for the device.
func (b *Backend) Step(lr []float64, record bool) error {
	if b.lb != nil {
		// lbfgs waits for the scalars it decides on (lbfgs.go).
		return b.do(func() error {
			for j, rate := range lr {
				if err := b.lbfgsStep(rate, record && j == 0); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return b.do(func() error {
		for j, rate := range lr {
			b.t++
			rec := j == 0 && record
			b.runPrepass()
			if b.clip == nil {
				b.setStepScalars(rate)
				b.dispatchChunks(b.step)
				if rec {
					if err := b.recordSample(b.reduce, b.t-1); err != nil {
						return err
					}
				}
			} else {
				// Gradient and its norm first; the update then reads both.
				b.setStepScalars(rate)
				b.dispatchChunks(b.gradPass)
				if rec {
					if err := b.recordSample(b.clip, b.t-1); err != nil {
						return err
					}
				} else {
					b.runReduce(b.clip, -1)
				}
				b.dispatchChunks(b.given)
			}
			b.cur = 1 - b.cur
		}
		return nil
	})
}

// initOptimizer sets opt and cycled from the job's optimizer.
func (b *Backend) initOptimizer() {
	b.opt = b.job.Optimizer
	if info, _ := gdgpu.LookupOptimizer(b.opt.Name); info.Cycled != "" {
		b.cycled = map[string]string{"momentum": "momentum", "beta1": "oneMinusBeta1"}[info.Cycled]
	}
}

func boolInt(v bool) int32 {
	if v {
		return 1
	}
	return 0
}

// dispatchChunks runs p over every chunk of the parameter vector, then
// makes its writes visible to the next dispatch.
func (b *Backend) dispatchChunks(p *program) {
	p.use()
	n := b.job.Dim
	// The point the kernel reads: x_t for an evaluation, x_{t-1} for a
	// step (b.t already counts it).
	flagStep := b.t - 1
	if p == b.eval || (b.lb != nil && b.lb.moved) {
		flagStep = b.t
	}
	perFlush, sinceFlush := b.c.maxElemsPerDispatch(), 0
	for c, base := 0, 0; base < n; c, base = c+1, base+b.chunk {
		count := min(b.chunk, n-base)
		if perFlush > 0 && sinceFlush > 0 && sinceFlush+count > perFlush {
			gl.Flush() // submit what came before on its own (Options.MaxElemsPerDispatch)
			sinceFlush = 0
		}
		sinceFlush += count
		xbase := max(base-b.halo, 0)
		xend := min(base+count+b.halo, n)
		b.x[b.cur].bindRange(bindXIn, xbase, xend-xbase)
		if p.update {
			b.x[1-b.cur].bindRange(bindXOut, base, count)
			for k := range b.state {
				b.state[k].bindRange(stateBindings[k], base, count)
			}
		}
		if p.usesGrad {
			b.grad.bindRange(bindGrad, base, count)
		}
		if b.coefBuf.id != 0 {
			b.coefBuf.bindRange(bindCoef, base, count)
		}
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, b.partials.id)
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindFlags, b.flags.id)
		if b.scale.id != 0 {
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindScale, b.scale.id)
		}
		if b.glob.id != 0 {
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGlob, b.glob.id)
		}
		p.setUint("flagStep", uint32(flagStep))
		p.setUint("base", uint32(base))
		p.setUint("count", uint32(count))
		p.setUint("xbase", uint32(xbase))
		p.setUint("partialBase", uint32(c*b.groups))
		if b.probe != nil {
			b.probe(true)
		}
		gl.DispatchCompute(uint32(b.groups), 1, 1)
		if b.probe != nil {
			b.probe(false)
		}
	}
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
}

// recordSample reduces the partials of the dispatch just issued with the
// reduction kernel p into a ring slot and fences it, waiting for the oldest
// slot only when all are in use (an error if that wait fails: the slot
// must not be overwritten unread).
func (b *Backend) recordSample(p *program, step int) error {
	slot, err := b.next(b.c)
	if err != nil {
		return err
	}
	b.runReduce(p, slot)
	b.push(step, slot, gl.BUFFER_UPDATE_BARRIER_BIT|gl.CLIENT_MAPPED_BUFFER_BARRIER_BIT)
	return nil
}

// runReduce sums the partials with kernel p (reduce, or clip, which also
// writes the clip factor) into ring slot slot, or nowhere when slot < 0.
func (b *Backend) runReduce(p *program, slot int) {
	p.use()
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPartials, b.partials.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindFlags, b.flags.id)
	b.bindRing()
	if b.scale.id != 0 {
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindScale, b.scale.id)
	}
	p.setUint("pairs", uint32(b.groups*b.chunks()))
	p.setInt("slot", int32(slot))
	gl.DispatchCompute(1, 1, 1)
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
}

// runPrepass computes the objective's global quantities at the current
// point into glob, when it has any: the pre-pass over every chunk, then its
// reduction, one workgroup. No host round trip. On the GL thread.
func (b *Backend) runPrepass() {
	if b.pre == nil {
		return
	}
	b.dispatchChunks(b.pre)
	b.preReduce.use()
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindPrePart, b.partials.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindGlob, b.glob.id)
	b.preReduce.setUint("pairs", uint32(b.groups*b.chunks()))
	gl.DispatchCompute(1, 1, 1)
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
}

// Record evaluates the objective at the current point and records a sample.
func (b *Backend) Record() error {
	return b.do(func() error {
		b.runPrepass()
		b.dispatchChunks(b.eval)
		return b.recordSample(b.reduce, b.t)
	})
}

// Samples delivers read-back samples in step order.
func (b *Backend) Samples(dst []gdgpu.Sample, wait bool) ([]gdgpu.Sample, error) {
	if b.closed {
		return dst, errBackendClosed
	}
	return b.samples(b.c, dst, wait)
}

// Params downloads the current parameters, waiting for the device.
func (b *Backend) Params(dst []float64) error {
	if len(dst) != b.job.Dim {
		return fmt.Errorf("engine: Params got a slice of %d, job has dimension %d", len(dst), b.job.Dim)
	}
	return b.do(func() error {
		b.download(b.x[b.cur], dst)
		return b.c.glError()
	})
}

// StateVector downloads an optimizer state vector by torch's name (see
// gdgpu.Optimizer.StateNames), waiting for the device.
func (b *Backend) StateVector(name string, dst []float64) error {
	for k, n := range b.names {
		if n == name && len(dst) == b.job.Dim {
			return b.do(func() error {
				b.download(b.state[k], dst)
				return b.c.glError()
			})
		}
	}
	return fmt.Errorf("engine: no state vector %q of length %d for %s (it has %v)", name, len(dst), b.job.Optimizer.Name, b.names)
}

// ApplyGradient runs one optimizer step with learning rate lr on the
// gradient g instead of the objective's: both backends can then be fed
// identical gradients and compared rule by rule.
func (b *Backend) ApplyGradient(g []float64, lr float64) error {
	if len(g) != b.job.Dim {
		return fmt.Errorf("engine: ApplyGradient got %d values, job has dimension %d", len(g), b.job.Dim)
	}
	if b.lb != nil {
		return fmt.Errorf("engine: ApplyGradient: %s evaluates its own gradients (a step is a closure's)", b.job.Optimizer.Name)
	}
	return b.do(func() error {
		if b.grad.id == 0 {
			var err error
			if b.grad, err = newBuffer("gradient", b.job.Dim, b.elem); err != nil {
				return err
			}
		}
		b.upload(b.grad, func(i int) float64 { return g[i] })
		b.applyGiven(lr)
		return nil
	})
}

// applyGiven runs one optimizer step with learning rate lr on the
// gradient in b.grad, whoever wrote it: ApplyGradient's upload, or a
// model's gradient kernels (model.go), which leave it on the device. It
// clips as the job says; the given kernel flags a non-finite gradient
// component or written value at this step. On the GL thread.
func (b *Backend) applyGiven(lr float64) {
	b.t++
	b.setStepScalars(lr)
	if b.clip != nil {
		b.dispatchChunks(b.givenNorm)
		b.runReduce(b.clip, -1)
	}
	b.dispatchChunks(b.given)
	b.cur = 1 - b.cur
}

// Gradient writes the objective's gradient at x into dst (both of length
// Dim), computed on the device in the job's precision: the GRAD_ONLY
// kernel (after the pre-pass, for the objectives that have one) into the
// stored gradient buffer, then downloaded. It is the objective's gradient
// only (no weight decay, no clipping, not negated by --maximize). The
// backend's state is left as it was: x goes to the parameter buffer the
// next step overwrites anyway, and the non-finite record is restored. It
// waits for the device.
func (b *Backend) Gradient(x, dst []float64) error {
	if len(x) != b.job.Dim || len(dst) != b.job.Dim {
		return fmt.Errorf("engine: Gradient got %d values and a slice of %d, job has dimension %d", len(x), len(dst), b.job.Dim)
	}
	return b.do(func() error {
		if b.gradPass == nil {
			p, err := b.buildGrad()
			if err != nil {
				return err
			}
			b.gradPass = p
			b.setConstants()
		}
		if b.grad.id == 0 {
			var err error
			if b.grad, err = newBuffer("gradient", b.job.Dim, b.elem); err != nil {
				return err
			}
		}
		var saved [2]uint32
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
		gl.BindBuffer(gl.COPY_READ_BUFFER, b.flags.id)
		gl.GetBufferSubData(gl.COPY_READ_BUFFER, 0, 8, unsafe.Pointer(&saved[0]))
		gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
		b.cur = 1 - b.cur // the spare parameter buffer holds x meanwhile
		defer func() { b.cur = 1 - b.cur }()
		b.upload(b.x[b.cur], func(i int) float64 { return x[i] })
		b.runPrepass()
		b.dispatchChunks(b.gradPass)
		b.download(b.grad, dst)
		gl.BindBuffer(gl.COPY_WRITE_BUFFER, b.flags.id)
		gl.BufferSubData(gl.COPY_WRITE_BUFFER, 0, 8, unsafe.Pointer(&saved[0]))
		gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
		return b.c.glError()
	})
}

// Snapshot downloads the complete state, waiting for the device.
func (b *Backend) Snapshot(s *gdgpu.State) error {
	n := b.job.Dim
	s.Step, s.Scalars = b.t, b.scalars
	s.Params = resize(s.Params, n)
	if len(s.Vectors) != len(b.state) {
		s.Vectors = make([][]float64, len(b.state))
	}
	for k := range s.Vectors {
		s.Vectors[k] = resize(s.Vectors[k], n)
	}
	return b.do(func() error {
		b.download(b.x[b.cur], s.Params)
		for k := range b.state {
			b.download(b.state[k], s.Vectors[k])
		}
		return b.c.glError()
	})
}

// Restore uploads a complete state (see gdgpu.Backend).
func (b *Backend) Restore(s *gdgpu.State) error {
	n := b.job.Dim
	if len(s.Params) != n || len(s.Vectors) != len(b.state) {
		return fmt.Errorf("engine: state has %d parameters and %d state vectors, the job needs %d and %d (%v)", len(s.Params), len(s.Vectors), n, len(b.state), b.names)
	}
	for k, v := range s.Vectors {
		if len(v) != n {
			return fmt.Errorf("engine: state vector %s has %d values, the job needs %d", b.names[k], len(v), n)
		}
	}
	if err := b.job.Optimizer.CheckScalars(s.Scalars); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	return b.do(func() error {
		b.dropPending()
		b.cur = 0
		b.upload(b.x[0], func(i int) float64 { return s.Params[i] })
		for k, v := range s.Vectors {
			b.upload(b.state[k], func(i int) float64 { return v[i] })
		}
		b.t, b.scalars = s.Step, s.Scalars
		b.clearFlags()
		return b.lbRecompute()
	})
}

// resize returns v with length n, reusing its array when it is big enough.
func resize(v []float64, n int) []float64 {
	if cap(v) < n {
		return make([]float64, n)
	}
	return v[:n]
}

// StepCount returns the optimizer steps taken since Load.
func (b *Backend) StepCount() int { return b.t }

// upload writes value(i) for every element of buf, through a staging slice.
func (b *Backend) upload(buf buffer, value func(i int) float64) {
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT) // earlier dispatches' writes land first
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, buf.id)
	for first := 0; first < buf.len; first += xferElems {
		k := min(xferElems, buf.len-first)
		st := b.stage(k * b.elem)
		for j := 0; j < k; j++ {
			b.encode(st, j, value(first+j))
		}
		gl.BufferSubData(gl.COPY_WRITE_BUFFER, first*b.elem, k*b.elem, unsafe.Pointer(&st[0]))
	}
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
}

// download reads buf into dst, widening float32 to float64.
func (b *Backend) download(buf buffer, dst []float64) {
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	gl.BindBuffer(gl.COPY_READ_BUFFER, buf.id)
	for first := 0; first < buf.len; first += xferElems {
		k := min(xferElems, buf.len-first)
		st := b.stage(k * b.elem)
		gl.GetBufferSubData(gl.COPY_READ_BUFFER, first*b.elem, k*b.elem, unsafe.Pointer(&st[0]))
		for j := 0; j < k; j++ {
			dst[first+j] = b.decode(st, j)
		}
	}
	gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
}

// stage returns the staging slice with at least n bytes.
func (b *Backend) stage(n int) []byte {
	if cap(b.scratch) < n {
		b.scratch = make([]byte, n)
	}
	return b.scratch[:n]
}

// encode and decode move element j of a staging slice in native byte order,
// which is what GL buffers hold.
func (b *Backend) encode(st []byte, j int, v float64) {
	if b.elem == 8 {
		*(*float64)(unsafe.Pointer(&st[8*j])) = v
	} else {
		*(*float32)(unsafe.Pointer(&st[4*j])) = float32(v)
	}
}

func (b *Backend) decode(st []byte, j int) float64 {
	if b.elem == 8 {
		return *(*float64)(unsafe.Pointer(&st[8*j]))
	}
	return float64(*(*float32)(unsafe.Pointer(&st[4*j])))
}

// do runs f on the GL thread for an open backend. GL errors are reported
// after every call in debug mode, otherwise only where the run waits anyway
// (Samples with wait, Params), since glGetError can stall a driver's queue.
func (b *Backend) do(f func() error) error {
	if b.closed {
		return errBackendClosed
	}
	return b.c.do(f)
}

var errBackendClosed = errors.New("engine: backend closed")

// Close releases every GL object the backend made. Idempotent.
func (b *Backend) Close() error {
	if b.closed {
		return nil
	}
	err := b.c.do(func() error {
		b.release()
		return nil
	})
	b.closed = true
	if errors.Is(err, ErrClosed) {
		return fmt.Errorf("engine: backend closed after its context: %w", err)
	}
	return err
}

// release deletes GL objects; safe on a partly built backend.
func (b *Backend) release() {
	b.releaseRing()
	for _, p := range b.programs() {
		p.release()
	}
	for _, buf := range append([]*buffer{&b.x[0], &b.x[1], &b.coefBuf, &b.partials, &b.grad, &b.scale, &b.flags, &b.stepBuf, &b.glob}, b.lb.buffers()...) {
		buf.delete()
	}
	for k := range b.kept {
		for v := range b.kept[k].bufs {
			b.kept[k].bufs[v].delete()
		}
		b.kept[k].bufs = nil
	}
	for k := range b.state {
		b.state[k].delete()
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func lcm(a, b int) int { return a / gcd(a, b) * b }

func roundUp(n, m int) int { return (n + m - 1) / m * m }
