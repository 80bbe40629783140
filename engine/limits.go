package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu/internal/sysmem"
)

// ErrTooBig is matched (errors.Is) by a *MemoryError: the job needs more
// device memory than the device has available, so NewBackend refused it
// before allocating anything.
var ErrTooBig = errors.New("engine: job too big for the device")

// MemoryNeed is the device memory a job's buffers take, in bytes, by use.
type MemoryNeed struct {
	Params     int64    // the two parameter buffers (a step reads one, writes the other)
	State      int64    // the optimizer's state vectors, all of them
	StateNames []string // their names (torch's), for the message
	Gradient   int64    // the stored gradient (clipping by norm, Gradient, ApplyGradient) and the clip factor
	Coef       int64    // the quadratic's coefficients
	Globals    int64    // the pre-pass's objective globals (ackley, griewank)
	Kept       int64    // the two kept states of Keep (parameters and state vectors each)
	Partials   int64    // workgroup partial sums, the read-back ring, the non-finite flags, the step's scalars
	Data       int64    // a model's data sets, batch order, per-row scratch, partial sums and sample ring (model.go)
	Work       int64    // lbfgs's work vectors: flat_grad, the next pair, the line search's gradients (lbfgs.go)
}

// Total is the sum of every part.
func (m MemoryNeed) Total() int64 {
	return m.Params + m.State + m.Gradient + m.Coef + m.Globals + m.Kept + m.Partials + m.Data + m.Work
}

// String lists the parts in MiB (rounded up), leaving out those a job
// does not have.
func (m MemoryNeed) String() string {
	parts := []string{"parameters x2 " + mib(m.Params)}
	if names := m.StateNames; len(names) > 6 { // lbfgs's history: 2*history_size+2
		parts = append(parts, fmt.Sprintf("state vectors (%s, ... %d in all) %s", strings.Join(names[:3], ", "), len(names), mib(m.State)))
	} else if len(names) > 0 {
		parts = append(parts, fmt.Sprintf("state vectors (%s) %s", strings.Join(names, ", "), mib(m.State)))
	}
	if m.Gradient > 0 {
		parts = append(parts, "gradient "+mib(m.Gradient))
	}
	if m.Work > 0 {
		parts = append(parts, "work vectors "+mib(m.Work))
	}
	if m.Coef > 0 {
		parts = append(parts, "coefficients "+mib(m.Coef))
	}
	if m.Globals > 0 {
		parts = append(parts, "objective globals "+mib(m.Globals))
	}
	parts = append(parts, "kept states x2 "+mib(m.Kept), "partials and read-back "+mib(m.Partials))
	if m.Data > 0 {
		parts = append(parts, "data set and model scratch "+mib(m.Data))
	}
	return strings.Join(parts, ", ")
}

// MemoryError refuses a job whose buffers do not fit in the memory the
// device has available; it matches ErrTooBig.
type MemoryError struct {
	Need MemoryNeed
	// Host is what a software renderer's job also takes of the same host
	// memory outside GL: the float64 start point the caller holds and the
	// upload and read-back staging. 0 on a GPU.
	Host      int64
	Available int64  // bytes available now
	Total     int64  // bytes in all, 0 if unknown
	Source    string // where Available came from
	// Headroom is the part of Available kept free on a GPU (see
	// gpuHeadroom); 0 on a software renderer, whose figure is the host's.
	Headroom int64
}

func (e *MemoryError) Error() string {
	total := ""
	if e.Total > 0 {
		total = fmt.Sprintf(" of %d MiB", e.Total>>20)
	}
	host := ""
	if e.Host > 0 {
		host = fmt.Sprintf(" and %s of host copies (the float64 start point, staging)", mib(e.Host))
	}
	room := ""
	if e.Headroom > 0 {
		room = fmt.Sprintf(", %d MiB of it kept free for the driver's own allocations", e.Headroom>>20)
	}
	return fmt.Sprintf("engine: job needs %s of device memory (%s)%s, but %d MiB%s is available (%s%s)",
		mib(e.Need.Total()), e.Need, host, e.Available>>20, total, e.Source, room)
}

// Is makes errors.Is(err, ErrTooBig) true.
func (e *MemoryError) Is(target error) bool { return target == ErrTooBig }

// mib formats bytes as MiB, rounded up, so a small need never reads 0.
func mib(bytes int64) string { return fmt.Sprintf("%d MiB", (bytes+1<<20-1)>>20) }

// memoryNeed is what the job's buffers take. Keep's two slots are counted
// although they are allocated on first use, since every run keeps states;
// so is the stored gradient, which every job has: clipping by norm makes it
// with the backend, and Gradient and ApplyGradient (gdgpu gradcheck, the
// parity tests) and Bench's given-gradient update make it on first use, so a
// job accepted here never runs out of memory there.
func (b *Backend) memoryNeed() MemoryNeed {
	n := int64(b.job.Dim) * int64(b.elem)
	m := MemoryNeed{
		Params:     2 * n,
		State:      int64(len(b.names)) * n,
		StateNames: b.names,
		Kept:       2 * int64(1+b.job.Optimizer.KeptStates()) * n,
		Gradient:   n,
		Partials:   int64(2*b.groups*b.chunks()+2*ringSlots)*int64(b.elem) + 8*(1+ringSlots) + int64(roundUp(stepBlockBytes(b.elem), 16)),
		Data:       b.modelNeed,
		Work:       lbfgsNeed(&b.job, b.elem),
	}
	if b.job.ClipNorm > 0 {
		m.Gradient += int64(b.elem) // the clip factor
	}
	if b.hasPrepass() {
		m.Globals = 4 * int64(b.elem)
	}
	if b.hasCoef() {
		m.Coef = n
	}
	return m
}

// checkMemory refuses the job when its buffers need more than the device
// has available now; with no figure to compare against it lets the job
// through (allocation then reports GL_OUT_OF_MEMORY). On the GL thread,
// before any buffer is made.
func (b *Backend) checkMemory() error {
	avail, total, source := b.c.availableMemory()
	need := b.memoryNeed()
	var host int64
	if b.c.info.Software {
		// The same memory holds the caller's float64 start point and the
		// staging of uploads and read-backs.
		host = 8*int64(b.job.Dim) + int64(min(b.job.Dim, xferElems))*int64(b.elem)
	}
	var room int64
	if !b.c.info.Software {
		room = avail / gpuHeadroom
	}
	if source == "" || need.Total()+host <= avail-room {
		return nil
	}
	return &MemoryError{Need: need, Host: host, Available: avail, Total: total, Source: source, Headroom: room}
}

// gpuHeadroom: 1/gpuHeadroom of a GPU's available memory is left to the
// driver. Drivers allocate lazily (a buffer's pages on first use) and keep
// memory of their own for shaders, command buffers and the context, so a
// job that needed every byte reported free could fail mid-run rather than
// here. 1/16 is 6.25%: 8.8 GiB of an H200's 141 GB.
const gpuHeadroom = 16

// GL_NVX_gpu_memory_info and GL_ATI_meminfo queries.
const (
	nvxTotalAvailableKiB   = 0x9048 // GPU_MEMORY_INFO_TOTAL_AVAILABLE_MEMORY_NVX
	nvxCurrentAvailableKiB = 0x9049 // GPU_MEMORY_INFO_CURRENT_AVAILABLE_VIDMEM_NVX
	atiVBOFreeMemory       = 0x87FB // VBO_FREE_MEMORY_ATI: 4 ints, the first is the pool's free KiB
)

// availableMemory says how many bytes the device has available now, its
// total (0 if unknown) and where the figure came from ("" if unknown). On
// the GL thread.
func (c *Context) availableMemory() (avail, total int64, source string) {
	has := func(ext string) bool {
		for _, e := range c.info.Extensions {
			if e == ext {
				return true
			}
		}
		return false
	}
	switch {
	case has("GL_NVX_gpu_memory_info"):
		var cur, tot int32
		gl.GetIntegerv(nvxCurrentAvailableKiB, &cur)
		gl.GetIntegerv(nvxTotalAvailableKiB, &tot)
		return int64(cur) << 10, int64(tot) << 10, "GL_NVX_gpu_memory_info, current available video memory"
	case has("GL_ATI_meminfo"):
		var v [4]int32
		gl.GetIntegerv(atiVBOFreeMemory, &v[0])
		return int64(v[0]) << 10, 0, "GL_ATI_meminfo, VBO_FREE_MEMORY_ATI"
	case c.info.Software:
		// Host memory: MemAvailable or the memory cgroup's allowance,
		// whichever is smaller (sysmem.Free).
		free := sysmem.Free()
		if free.Bytes == 0 {
			return 0, 0, "" // unknown: let the allocation decide
		}
		_, t, _ := sysmem.ReadMeminfo(filepath.Join(sysmem.Root, sysmem.Path))
		return free.Bytes, t, free.Source + "; " + c.info.Renderer + " keeps buffers in host memory"
	}
	return 0, 0, ""
}

// defaultMaxElemsPerDispatch is Options.MaxElemsPerDispatch's default.
// 1<<24 elements is 0.9 GiB of traffic for an f64 Adam step (56 bytes an
// element): about 0.3 ms on an H100, 20 ms on a 50 GB/s integrated GPU,
// two orders of magnitude below a 2 s display watchdog (Windows TDR), while
// 1e8 parameters still take only 6 dispatches a kernel. The same default
// holds on software renderers, which have no watchdog, so that CI runs the
// split a GPU gets.
const defaultMaxElemsPerDispatch = 1 << 24

// maxElemsPerDispatch is the elements one dispatch and one flushed group of
// dispatches may cover; 0 is no cap.
func (c *Context) maxElemsPerDispatch() int {
	switch {
	case c.opts.MaxElemsPerDispatch < 0:
		return 0
	case c.opts.MaxElemsPerDispatch > 0:
		return c.opts.MaxElemsPerDispatch
	}
	return defaultMaxElemsPerDispatch
}
