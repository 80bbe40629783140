package engine

/*
#cgo pkg-config: egl
#include <EGL/egl.h>

static EGLSurface gd_current_surface(EGLint which) { return eglGetCurrentSurface(which); }
static EGLBoolean gd_release_current(EGLDisplay dpy) {
	return eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
}
*/
import "C"

import (
	"errors"
	"fmt"
)

// AdoptCurrent makes a Context of the EGL context current on the calling
// OS thread, such as a GLFW window's made with
// glfw.ContextCreationAPI = glfw.EGLContextAPI and GL 4.3 core, so that
// compute and drawing share one context: what is drawn is read from the
// GPU's own buffers, and only what is drawn is read back.
//
// The caller must have locked its goroutine to its OS thread (GLFW's main
// thread is). AdoptCurrent releases the context from that thread and makes
// it current on the Context's own GL thread, where every later call runs
// (a Screen for the window's drawing, SwapBuffers to present). The window keeps
// owning the context: Close releases it from the GL thread but destroys
// neither it nor its display, so the window may make it current again and
// must be destroyed after Close. On failure the context is current on the
// calling thread again, as it was.
func AdoptCurrent(opts Options) (*Context, error) {
	dpy := C.eglGetCurrentDisplay()
	ctx := C.eglGetCurrentContext()
	if ctx == C.EGLContext(C.EGL_NO_CONTEXT) || dpy == C.EGLDisplay(C.EGL_NO_DISPLAY) {
		return nil, errors.New("engine: AdoptCurrent: no EGL context is current on this thread (make the window's context with EGL, e.g. glfw.ContextCreationAPI = glfw.EGLContextAPI, and make it current first)")
	}
	e := &eglContext{dpy: dpy, ctx: ctx, platform: "EGL window (adopted)", adopted: true,
		draw: C.gd_current_surface(C.EGL_DRAW), read: C.gd_current_surface(C.EGL_READ)}
	// A context is current on one thread at a time: give it up here first.
	if C.gd_release_current(dpy) == 0 {
		return nil, fmt.Errorf("engine: AdoptCurrent: releasing the context from the calling thread: %s", eglErrorName(C.eglGetError()))
	}
	c := &Context{th: newThread(), opts: opts}
	var err error
	c.th.call(func() { err = c.initAdopted(e) })
	if err != nil {
		c.th.stop()
		e.makeCurrent() // back to the caller, as it was
		return nil, err
	}
	return c, nil
}

// initAdopted makes e current on the GL thread and reads the device. On
// the GL thread.
func (c *Context) initAdopted(e *eglContext) error {
	if !e.makeCurrent() {
		return fmt.Errorf("engine: AdoptCurrent: making the context current on the GL thread: %s", eglErrorName(C.eglGetError()))
	}
	c.egl = e
	ver, err := loadGL(e.platform)
	if err != nil || ver != "" {
		e.releaseAdopted()
	}
	if err != nil {
		return err
	}
	if ver != "" {
		return fmt.Errorf("engine: the adopted context is OpenGL %s; compute shaders need 4.3 (ask for a 4.3 core context)", ver)
	}
	c.info = readInfo(e.platform)
	return nil
}

// makeCurrent makes e's context current on the calling thread with its
// surfaces.
func (e *eglContext) makeCurrent() bool {
	return C.eglMakeCurrent(e.dpy, e.draw, e.read, e.ctx) != 0
}

// releaseAdopted makes nothing current on this thread and leaves the
// context and display to their owner.
func (e *eglContext) releaseAdopted() {
	C.gd_release_current(e.dpy)
	C.eglReleaseThread()
}

// SwapBuffers presents an adopted window's back buffer (eglSwapBuffers on
// its draw surface). A headless Context has no surface: an error.
func (c *Context) SwapBuffers() error {
	return c.do(func() error {
		if !c.egl.adopted || c.egl.draw == C.EGLSurface(C.EGL_NO_SURFACE) {
			return errors.New("engine: SwapBuffers: the context has no window surface (only an adopted one does)")
		}
		if C.eglSwapBuffers(c.egl.dpy, c.egl.draw) == 0 {
			return fmt.Errorf("engine: eglSwapBuffers: %s", eglErrorName(C.eglGetError()))
		}
		return nil
	})
}

// SwapInterval sets how many vertical blanks a SwapBuffers waits for (0:
// none) on an adopted window; eglSwapInterval, which a driver may ignore.
func (c *Context) SwapInterval(n int) error {
	return c.do(func() error {
		if !c.egl.adopted {
			return errors.New("engine: SwapInterval: the context has no window surface")
		}
		if C.eglSwapInterval(c.egl.dpy, C.EGLint(n)) == 0 {
			return fmt.Errorf("engine: eglSwapInterval(%d): %s", n, eglErrorName(C.eglGetError()))
		}
		return nil
	})
}
