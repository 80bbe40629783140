package engine

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
)

// Context is a headless OpenGL context with its own OS-locked thread. All of
// its methods may be called from any goroutine; GL work runs on the thread.
type Context struct {
	th     *thread
	egl    *eglContext
	info   Info
	opts   Options
	tid    int          // the GL thread's OS thread id, for routing debug messages
	life   sync.RWMutex // held for reading by every call, for writing by Close
	closed bool         // guarded by life
	mu     sync.Mutex   // guards debug
	debug  []string     // error-severity debug messages not yet reported
	progs  programCache // the compiled programs by source (progcache.go); GL thread only
}

// debugRoutes maps a GL thread's OS thread id to its Context. go-gl keeps
// one Go debug callback for the whole process, while debug output is
// per-context and, being synchronous, raised on the thread that made the
// call: routing by thread gives each message to the context that raised it.
var debugRoutes sync.Map

// routeDebug is the process's GL debug callback.
func routeDebug(source, typ, id, severity uint32, length int32, msg string, p unsafe.Pointer) {
	if c, ok := debugRoutes.Load(syscall.Gettid()); ok {
		c.(*Context).onDebug(source, typ, id, severity, length, msg, p)
	}
}

// ErrClosed is returned by calls on a closed Context or Backend.
var ErrClosed = errors.New("engine: context closed")

// Open makes a headless GL 4.3+ core context (see package doc for the
// platforms tried) and reads the device's limits. When no context can be
// made the error lists every attempt and why it failed.
func Open(opts Options) (*Context, error) {
	c := &Context{th: newThread(), opts: opts}
	var err error
	c.th.call(func() { err = c.init() })
	if err != nil {
		c.th.stop()
		return nil, err
	}
	return c, nil
}

// loadGL loads the GL functions of the current context and checks that it
// is OpenGL 4.3 or later: tooOld is its version string when it is not.
func loadGL(platform string) (tooOld string, err error) {
	if err := gl.Init(); err != nil {
		return "", fmt.Errorf("engine: loading GL 4.3 functions on %s: %w", platform, err)
	}
	var major, minor int32
	gl.GetIntegerv(gl.MAJOR_VERSION, &major)
	gl.GetIntegerv(gl.MINOR_VERSION, &minor)
	if major < 4 || major == 4 && minor < 3 {
		return gl.GoStr(gl.GetString(gl.VERSION)), nil
	}
	return "", nil
}

// init runs on the GL thread.
func (c *Context) init() error {
	e, err := openEGL(c.opts.GPU, c.opts.Debug, c.opts.deviceOnly)
	if err != nil {
		return err
	}
	c.egl = e
	ver, err := loadGL(e.platform)
	if err != nil || ver != "" {
		e.release()
	}
	if err != nil {
		return err
	}
	if ver != "" {
		return fmt.Errorf("engine: %s gives OpenGL %s; compute shaders need 4.3", e.platform, ver)
	}
	if c.opts.Debug {
		c.tid = syscall.Gettid() // this goroutine is locked to its thread
		debugRoutes.Store(c.tid, c)
		gl.Enable(gl.DEBUG_OUTPUT)
		gl.Enable(gl.DEBUG_OUTPUT_SYNCHRONOUS)
		gl.DebugMessageCallback(routeDebug, nil)
	}
	c.info = readInfo(e.platform)
	c.info.Robust = e.robust
	err = applyClass(&c.info, c.opts)
	if err == nil {
		err = checkSoftware(c.opts, c.info)
	}
	if err != nil {
		if c.opts.Debug {
			debugRoutes.Delete(c.tid)
		}
		e.release()
		return err
	}
	return nil
}

// nvidiaDevice is the device file whose presence means the machine has an
// NVIDIA GPU; a variable so that tests can point it elsewhere.
var nvidiaDevice = "/dev/nvidia0"

// checkSoftware applies opts.Software to the context just made.
func checkSoftware(opts Options, in Info) error {
	if !in.Software || opts.Software == SoftwareAllow {
		return nil
	}
	why := ""
	switch {
	case opts.Software == SoftwareRefuse:
		why = "a hardware GPU is required here"
	case opts.GPU > 0:
		why = fmt.Sprintf("%s %d asked for a device, and that one is Mesa's software renderer, not a GPU (with glvnd it follows the GPUs in EGL's list: %s lists them)", "{Options.GPU}", opts.GPU, "{engine.Devices}")
	default:
		if _, err := os.Stat(nvidiaDevice); err != nil {
			return nil
		}
		why = nvidiaDevice + " exists, so this machine has an NVIDIA GPU, but EGL gave a software context: NVIDIA's EGL vendor library is not installed or not found " +
			"(glvnd reads /usr/share/glvnd/egl_vendor.d/10_nvidia.json; __EGL_VENDOR_LIBRARY_FILENAMES names another), " +
			"or the GPU is in MIG mode, which has no graphics APIs"
	}
	// why is format text: its only braces are the fields it names, and
	// its only % is escaped.
	return gdgpu.FieldErrorf("%s gives the software renderer %q: "+strings.ReplaceAll(why, "%", "%%")+" (use {cpu.Open} for the CPU reference)", in.Platform, in.Renderer).In("engine")
}

// isSoftwareRenderer reports whether GL_RENDERER names one of Mesa's
// software rasterisers.
func isSoftwareRenderer(renderer string) bool {
	r := strings.ToLower(renderer)
	for _, s := range []string{"llvmpipe", "softpipe", "swrast", "software rasterizer", "lavapipe"} {
		if strings.Contains(r, s) {
			return true
		}
	}
	return false
}

// onDebug collects error-severity messages, which the next call reports,
// and hands the others (performance, portability, ...) to
// Options.DebugLog when set.
func (c *Context) onDebug(source, typ, id, severity uint32, length int32, msg string, _ unsafe.Pointer) {
	if typ != gl.DEBUG_TYPE_ERROR && severity != gl.DEBUG_SEVERITY_HIGH {
		if c.opts.DebugLog != nil && severity != gl.DEBUG_SEVERITY_NOTIFICATION {
			c.opts.DebugLog(fmt.Sprintf("GL %s (id %d, %s severity): %s", debugTypeName(typ), id, debugSeverityName(severity), strings.TrimSpace(msg)))
		}
		return
	}
	c.mu.Lock()
	c.debug = append(c.debug, fmt.Sprintf("GL debug (type 0x%x, id %d, severity 0x%x): %s", typ, id, severity, strings.TrimSpace(msg)))
	c.mu.Unlock()
}

func debugTypeName(t uint32) string {
	switch t {
	case gl.DEBUG_TYPE_PERFORMANCE:
		return "performance"
	case gl.DEBUG_TYPE_PORTABILITY:
		return "portability"
	case gl.DEBUG_TYPE_DEPRECATED_BEHAVIOR:
		return "deprecated behaviour"
	case gl.DEBUG_TYPE_UNDEFINED_BEHAVIOR:
		return "undefined behaviour"
	case gl.DEBUG_TYPE_MARKER:
		return "marker"
	}
	return fmt.Sprintf("message type 0x%x", t)
}

func debugSeverityName(s uint32) string {
	switch s {
	case gl.DEBUG_SEVERITY_MEDIUM:
		return "medium"
	case gl.DEBUG_SEVERITY_LOW:
		return "low"
	}
	return fmt.Sprintf("0x%x", s)
}

// do runs f on the GL thread. With Options.Debug it also fails on any GL
// error or error-severity debug message raised meanwhile.
func (c *Context) do(f func() error) error {
	// The read lock spans the call, so Close cannot stop the thread or
	// release the context under it.
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed {
		return ErrClosed
	}
	var err error
	c.th.call(func() {
		err = f()
		if c.opts.Debug && err == nil {
			err = c.glError()
		}
	})
	return err
}

// glError reports pending GL errors and debug messages. On the GL thread.
func (c *Context) glError() error {
	var msgs []string
	for i := 0; i < 16; i++ { // glGetError returns one flag per call; a few at most are set
		code := gl.GetError()
		if code == gl.NO_ERROR {
			break
		}
		msgs = append(msgs, glErrorName(code))
	}
	c.mu.Lock()
	msgs = append(msgs, c.debug...)
	c.debug = nil
	c.mu.Unlock()
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("engine: GL error: %s", strings.Join(msgs, "; "))
}

func glErrorName(code uint32) string {
	switch code {
	case gl.INVALID_ENUM:
		return "GL_INVALID_ENUM"
	case gl.INVALID_VALUE:
		return "GL_INVALID_VALUE"
	case gl.INVALID_OPERATION:
		return "GL_INVALID_OPERATION"
	case gl.INVALID_FRAMEBUFFER_OPERATION:
		return "GL_INVALID_FRAMEBUFFER_OPERATION"
	case gl.OUT_OF_MEMORY:
		return "GL_OUT_OF_MEMORY"
	}
	return fmt.Sprintf("GL error 0x%x", code)
}

// persistentReadBack reports whether the sample rings are persistently
// mapped: the driver has GL 4.4 or GL_ARB_buffer_storage (go-gl loads its
// entry points unchecked, so they must exist), and Options.CopyReadBack
// is off.
func (c *Context) persistentReadBack() bool {
	if c.opts.CopyReadBack {
		return false
	}
	var major, minor int
	if _, err := fmt.Sscanf(c.info.Version, "%d.%d", &major, &minor); err == nil && (major > 4 || major == 4 && minor >= 4) {
		return true
	}
	return slices.Contains(c.info.Extensions, "GL_ARB_buffer_storage")
}

// maxGroups is the workgroup cap of one dispatch of groups of localSize
// invocations (see Options.Groups).
func (c *Context) maxGroups(localSize int) int {
	if c.opts.Groups > 0 {
		return c.opts.Groups
	}
	if c.info.Software {
		return 4 * runtime.NumCPU()
	}
	return gridGroups(c.info, localSize)
}

// gridGroups is the workgroup cap of one dispatch on a GPU: where the
// driver gives its multiprocessors (GL_NV_shader_thread_group), enough
// workgroups of localSize invocations for every multiprocessor's resident
// warps, twice over (so a multiprocessor has a next group ready when one
// drains), within 64..maxGroups*8; else maxGroups, which fills the largest
// GPUs of 2026 (an H100's 132 multiprocessors x 2048 threads is 1056
// groups of 256). Each workgroup grid-strides over its share, so any
// count is correct; this one keeps every multiprocessor busy.
func gridGroups(in Info, localSize int) int {
	if in.SMCount <= 0 || in.WarpSize <= 0 || in.WarpsPerSM <= 0 {
		return maxGroups
	}
	perSM := max(in.WarpsPerSM*in.WarpSize/localSize, 1)
	return min(max(2*in.SMCount*perSM, 64), 8*maxGroups)
}

// Info returns the device description and limits read when the context was made.
func (c *Context) Info() Info { return c.info }

// Close releases the context and stops its thread. Backends made from it
// must be closed first; Close is idempotent.
func (c *Context) Close() error {
	c.life.Lock()
	defer c.life.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.th.call(func() {
		c.progs.deleteAll()
		if c.opts.Debug {
			debugRoutes.Delete(c.tid)
		}
		c.egl.release()
	})
	c.th.stop()
	return nil
}

// readInfo queries the limits gdgpu depends on. On the GL thread.
func readInfo(platform string) Info {
	in := Info{
		Platform: platform,
		Vendor:   gl.GoStr(gl.GetString(gl.VENDOR)),
		Renderer: gl.GoStr(gl.GetString(gl.RENDERER)),
		Version:  gl.GoStr(gl.GetString(gl.VERSION)),
		GLSL:     gl.GoStr(gl.GetString(gl.SHADING_LANGUAGE_VERSION)),
		FP64:     true, // double is core GLSL since 4.00; a 4.3 core context has it
	}
	in.Software = isSoftwareRenderer(in.Renderer)
	for i := 0; i < 3; i++ {
		var v int32
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_COUNT, uint32(i), &v)
		in.MaxWorkGroupCount[i] = int(v)
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_SIZE, uint32(i), &v)
		in.MaxWorkGroupSize[i] = int(v)
	}
	geti := func(name uint32) int {
		var v int32
		gl.GetIntegerv(name, &v)
		return int(v)
	}
	in.MaxInvocations = geti(gl.MAX_COMPUTE_WORK_GROUP_INVOCATIONS)
	in.MaxSharedMemory = geti(gl.MAX_COMPUTE_SHARED_MEMORY_SIZE)
	in.SSBOAlignment = geti(gl.SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT)
	var block int64
	gl.GetInteger64v(gl.MAX_SHADER_STORAGE_BLOCK_SIZE, &block)
	in.MaxSSBOBlockSize = block
	n := geti(gl.NUM_EXTENSIONS)
	for i := 0; i < n; i++ {
		in.Extensions = append(in.Extensions, gl.GoStr(gl.GetStringi(gl.EXTENSIONS, uint32(i))))
	}
	for _, e := range in.Extensions {
		switch e {
		case "GL_KHR_shader_subgroup":
			in.Subgroups = true
		case "GL_NVX_gpu_memory_info":
			const totalAvailableKiB = 0x9048 // GL_GPU_MEMORY_INFO_TOTAL_AVAILABLE_MEMORY_NVX
			in.MemoryKiB = int64(geti(totalAvailableKiB))
		case "GL_NV_shader_thread_group":
			const warpSize, warpsPerSM, smCount = 0x9339, 0x933A, 0x933B // GL_WARP_SIZE_NV, GL_WARPS_PER_SM_NV, GL_SM_COUNT_NV
			in.WarpSize, in.WarpsPerSM, in.SMCount = geti(warpSize), geti(warpsPerSM), geti(smCount)
		}
	}
	return in
}
