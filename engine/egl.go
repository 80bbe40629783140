package engine

/*
#cgo pkg-config: egl
#include <stdlib.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>

// Extension entry points are looked up at run time: libEGL (glvnd) exports
// only the core API.
static EGLDisplay gd_platform_display(EGLenum platform, void *native) {
	PFNEGLGETPLATFORMDISPLAYEXTPROC get =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	if (!get) return EGL_NO_DISPLAY;
	return get(platform, native, NULL);
}

static int gd_query_devices(EGLDeviceEXT *devs, int max, int *n) {
	PFNEGLQUERYDEVICESEXTPROC q = (PFNEGLQUERYDEVICESEXTPROC)eglGetProcAddress("eglQueryDevicesEXT");
	if (!q) return 0;
	EGLint num = 0;
	if (!q(max, devs, &num)) return 0;
	*n = num;
	return 1;
}

static const char *gd_device_string(EGLDeviceEXT dev, EGLint name) {
	PFNEGLQUERYDEVICESTRINGEXTPROC q =
		(PFNEGLQUERYDEVICESTRINGEXTPROC)eglGetProcAddress("eglQueryDeviceStringEXT");
	if (!q) return NULL;
	return q(dev, name);
}

static EGLDeviceEXT gd_device_at(EGLDeviceEXT *devs, int i) { return devs[i]; }

// gd_device_attrib reads an integer attribute of dev (EGL_CUDA_DEVICE_NV);
// it returns 0 when the query is not available or fails.
static int gd_device_attrib(EGLDeviceEXT dev, EGLint name, EGLAttrib *out) {
	PFNEGLQUERYDEVICEATTRIBEXTPROC q =
		(PFNEGLQUERYDEVICEATTRIBEXTPROC)eglGetProcAddress("eglQueryDeviceAttribEXT");
	if (!q) return 0;
	return q(dev, name, out) ? 1 : 0;
}

// gd_make_context initialises dpy and makes a GL 4.3 core context current
// without a surface. It returns 0 on success, or the 1-based step that
// failed; eglGetError then says why.
//
// It first asks for a robust context that is lost on a GPU reset (EGL 1.5
// core attributes), so that a hung or reset device becomes an error instead
// of a hang; a driver that cannot make one gets a plain context, and
// *robust says which was made.
static int gd_make_context(EGLDisplay dpy, int debug, EGLContext *out, int *robust) {
	EGLint major, minor;
	if (!eglInitialize(dpy, &major, &minor)) return 1;
	if (!eglBindAPI(EGL_OPENGL_API)) return 2;
	EGLConfig cfg = EGL_NO_CONFIG_KHR;
	EGLint n = 0;
	const EGLint want[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, 0, EGL_NONE};
	// Without EGL_KHR_no_config_context a config is required; any GL one will do.
	if (!eglChooseConfig(dpy, want, &cfg, 1, &n) || n < 1) {
		const EGLint any[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
		if (!eglChooseConfig(dpy, any, &cfg, 1, &n) || n < 1) cfg = EGL_NO_CONFIG_KHR;
	}
	EGLint attrs[] = {
		EGL_CONTEXT_MAJOR_VERSION, 4,
		EGL_CONTEXT_MINOR_VERSION, 3,
		EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
		EGL_CONTEXT_OPENGL_DEBUG, debug ? EGL_TRUE : EGL_FALSE,
		EGL_CONTEXT_OPENGL_ROBUST_ACCESS, EGL_TRUE,
		EGL_CONTEXT_OPENGL_RESET_NOTIFICATION_STRATEGY, EGL_LOSE_CONTEXT_ON_RESET,
		EGL_NONE,
	};
	*robust = 1;
	EGLContext ctx = EGL_NO_CONTEXT;
	if (major > 1 || minor >= 5) ctx = eglCreateContext(dpy, cfg, EGL_NO_CONTEXT, attrs);
	if (ctx == EGL_NO_CONTEXT) {
		*robust = 0;
		attrs[8] = EGL_NONE; // drop the two robustness attributes
		ctx = eglCreateContext(dpy, cfg, EGL_NO_CONTEXT, attrs);
	}
	if (ctx == EGL_NO_CONTEXT) return 3;
	if (!eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx)) {
		eglDestroyContext(dpy, ctx);
		return 4;
	}
	*out = ctx;
	return 0;
}

// gd_release makes nothing current and destroys ctx; the display is
// terminated separately, when no context of this process uses it.
static void gd_release(EGLDisplay dpy, EGLContext ctx) {
	eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	if (ctx != EGL_NO_CONTEXT) eglDestroyContext(dpy, ctx);
	eglReleaseThread();
}
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/gdgpu/gdgpu"
)

// noSuchDevice is the attempt's failure when the --gpu index (Options.GPU)
// names no EGL device.
func noSuchDevice(n int) error {
	if n == 0 {
		return errors.New("no such device: none found")
	}
	return fmt.Errorf("no such device: %d found (0..%d)", n, n-1)
}

// eglContext is a current EGL display and context on the calling thread.
type eglContext struct {
	dpy      C.EGLDisplay
	ctx      C.EGLContext
	platform string
	robust   bool // lost on a GPU reset (see gd_make_context)

	// An adopted context (AdoptCurrent) belongs to its window: gdgpu draws
	// to its surfaces and never destroys it or its display.
	adopted    bool
	draw, read C.EGLSurface
}

// An EGL display is one per process for a platform and device, and EGL
// counts no references to it: displayRefs counts this process's contexts on
// each, so closing one context never terminates a display another uses.
var (
	displayMu   sync.Mutex
	displayRefs = map[C.EGLDisplay]int{}
)

// release makes nothing current, destroys the context, and terminates the
// display when it was the last context on it.
func (e *eglContext) release() {
	if e.adopted {
		e.releaseAdopted()
		return
	}
	C.gd_release(e.dpy, e.ctx)
	displayMu.Lock()
	defer displayMu.Unlock()
	if displayRefs[e.dpy]--; displayRefs[e.dpy] <= 0 {
		delete(displayRefs, e.dpy)
		C.eglTerminate(e.dpy)
	}
}

var eglSteps = [...]string{"", "eglInitialize", "eglBindAPI(EGL_OPENGL_API)", "eglCreateContext(GL 4.3 core)", "eglMakeCurrent(no surface)"}

// eglErrorName names an EGL error code.
func eglErrorName(code C.EGLint) string {
	names := map[C.EGLint]string{
		C.EGL_NOT_INITIALIZED: "EGL_NOT_INITIALIZED", C.EGL_BAD_ACCESS: "EGL_BAD_ACCESS",
		C.EGL_BAD_ALLOC: "EGL_BAD_ALLOC", C.EGL_BAD_ATTRIBUTE: "EGL_BAD_ATTRIBUTE",
		C.EGL_BAD_CONFIG: "EGL_BAD_CONFIG", C.EGL_BAD_CONTEXT: "EGL_BAD_CONTEXT",
		C.EGL_BAD_DISPLAY: "EGL_BAD_DISPLAY", C.EGL_BAD_MATCH: "EGL_BAD_MATCH",
		C.EGL_BAD_PARAMETER: "EGL_BAD_PARAMETER", C.EGL_BAD_SURFACE: "EGL_BAD_SURFACE",
	}
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprintf("EGL error 0x%x", int(code))
}

// clientExtensions returns EGL's client extension string (empty when the
// implementation has none).
func clientExtensions() string {
	s := C.eglQueryString(C.EGLDisplay(C.EGL_NO_DISPLAY), C.EGL_EXTENSIONS)
	if s == nil {
		C.eglGetError() // clear EGL_BAD_DISPLAY from an EGL 1.4 library
		return ""
	}
	return C.GoString(s)
}

// tryDisplay makes a context on dpy or says why it could not.
func tryDisplay(dpy C.EGLDisplay, platform string, debug bool) (*eglContext, error) {
	if dpy == C.EGLDisplay(C.EGL_NO_DISPLAY) {
		return nil, fmt.Errorf("no display (%s)", eglErrorName(C.eglGetError()))
	}
	var ctx C.EGLContext
	d := C.int(0)
	if debug {
		d = 1
	}
	var robust C.int
	displayMu.Lock()
	defer displayMu.Unlock()
	if step := C.gd_make_context(dpy, d, &ctx, &robust); step != 0 {
		code := C.eglGetError()
		if displayRefs[dpy] == 0 { // another context may be using it
			C.eglTerminate(dpy)
		}
		return nil, fmt.Errorf("%s failed: %s", eglSteps[step], eglErrorName(code))
	}
	displayRefs[dpy]++
	return &eglContext{dpy: dpy, ctx: ctx, platform: platform, robust: robust != 0}, nil
}

// openEGL makes a headless GL 4.3 core context current on the calling
// thread, trying in order: the EGL device platform (device gpu), Mesa's
// surfaceless platform, and the default display. A gpu above 0 must exist
// as an EGL device: falling back to another renderer would mislead. When
// every attempt fails the error lists each one and why.
//
// With deviceOnly it tries the EGL device alone.
func openEGL(gpu int, debug, deviceOnly bool) (*eglContext, error) {
	ext := clientExtensions()
	has := func(name string) bool {
		for _, e := range strings.Fields(ext) {
			if e == name {
				return true
			}
		}
		return false
	}
	var attempts []string
	fail := func(what string, err error) { attempts = append(attempts, fmt.Sprintf("  %s: %v", what, err)) }

	// 1. EGL device platform: a real GPU on a server, with no display at all.
	what := fmt.Sprintf("EGL device %d", gpu)
	if devs, err := eglDevices(); err != nil {
		fail(what, err)
	} else if gpu < 0 || gpu >= len(devs) {
		fail(what, noSuchDevice(len(devs)))
	} else {
		dev := devs[gpu]
		desc := dev.describe()
		dpy := C.gd_platform_display(C.EGL_PLATFORM_DEVICE_EXT, unsafe.Pointer(dev.handle))
		c, err := tryDisplay(dpy, fmt.Sprintf("EGL device %d of %d (%s)", gpu, len(devs), desc), debug)
		if err == nil {
			return c, nil
		}
		fail(what+" ("+desc+")", err)
	}
	if gpu > 0 || deviceOnly {
		return nil, gdgpu.FieldErrorf("no OpenGL context for {Options.GPU} %d:\n%s", gpu, strings.Join(attempts, "\n")).In("engine")
	}

	// 2. Mesa's surfaceless platform: llvmpipe on machines without a GPU.
	what = "EGL surfaceless (Mesa)"
	if !has("EGL_MESA_platform_surfaceless") {
		fail(what, errors.New("EGL_MESA_platform_surfaceless missing"))
	} else {
		dpy := C.gd_platform_display(C.EGL_PLATFORM_SURFACELESS_MESA, nil)
		c, err := tryDisplay(dpy, "EGL surfaceless (Mesa)", debug)
		if err == nil {
			return c, nil
		}
		fail(what, err)
	}

	// 3. The default display, whatever the EGL vendor makes of it.
	c, err := tryDisplay(C.eglGetDisplay(C.EGLNativeDisplayType(C.EGL_DEFAULT_DISPLAY)), "EGL default display", debug)
	if err == nil {
		return c, nil
	}
	fail("EGL default display", err)
	return nil, gdgpu.FieldErrorf("no OpenGL 4.3 context could be made (use {cpu.Open} to run without a GPU):\n%s", strings.Join(attempts, "\n")).In("engine")
}

// eglDevice is one entry of EGL's device list.
type eglDevice struct {
	handle   C.EGLDeviceEXT
	drm      string // DRM device file, "" when the device has none
	software bool   // EGL_MESA_device_software: Mesa's llvmpipe, not a GPU
	cuda     int    // CUDA device ordinal (EGL_NV_device_cuda), -1 when unknown
	exts     string // the device's EGL extensions
}

// describe names the device by its DRM node and CUDA ordinal, or says it
// is Mesa's software device.
func (d eglDevice) describe() string {
	var parts []string
	switch {
	case d.software:
		parts = append(parts, "Mesa software device")
	case d.drm != "":
		parts = append(parts, d.drm)
	default:
		parts = append(parts, "no DRM node")
	}
	if d.cuda >= 0 {
		parts = append(parts, fmt.Sprintf("CUDA device %d", d.cuda))
	}
	return strings.Join(parts, ", ")
}

// eglDevices lists EGL's devices, in EGL's order. With glvnd that order is
// the vendors' (NVIDIA's devices first, then Mesa's, llvmpipe among them).
func eglDevices() ([]eglDevice, error) {
	ext := " " + clientExtensions() + " "
	if !strings.Contains(ext, " EGL_EXT_device_enumeration ") && !strings.Contains(ext, " EGL_EXT_device_base ") ||
		!strings.Contains(ext, " EGL_EXT_platform_device ") {
		return nil, errors.New("EGL_EXT_device_enumeration or EGL_EXT_platform_device missing")
	}
	var handles [32]C.EGLDeviceEXT
	var n C.int
	if C.gd_query_devices(&handles[0], C.int(len(handles)), &n) == 0 {
		return nil, fmt.Errorf("eglQueryDevicesEXT failed: %s", eglErrorName(C.eglGetError()))
	}
	devs := make([]eglDevice, int(n))
	for i := range devs {
		h := C.gd_device_at(&handles[0], C.int(i))
		d := eglDevice{handle: h, cuda: -1}
		if s := C.gd_device_string(h, C.EGL_EXTENSIONS); s != nil {
			d.exts = C.GoString(s)
		}
		C.eglGetError()
		d.software = strings.Contains(" "+d.exts+" ", " EGL_MESA_device_software ")
		if s := C.gd_device_string(h, C.EGL_DRM_DEVICE_FILE_EXT); s != nil {
			d.drm = C.GoString(s)
		}
		C.eglGetError()
		if strings.Contains(" "+d.exts+" ", " EGL_NV_device_cuda ") {
			var v C.EGLAttrib
			if C.gd_device_attrib(h, C.EGL_CUDA_DEVICE_NV, &v) != 0 {
				d.cuda = int(v)
			}
			C.eglGetError()
		}
		devs[i] = d
	}
	return devs, nil
}
