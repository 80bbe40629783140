// Package engine is gdgpu's GPU backend: it makes an OpenGL 4.3+ core
// context (headless through EGL: the device platform on GPU servers, Mesa's
// surfaceless platform where there is no GPU), compiles the compute shaders
// from package shaders, keeps parameter and optimizer state in shader
// storage buffers and runs descent steps without waiting for the device.
//
// It is the only package that calls GL, for compute and for the live
// window's drawing (Screen, on a context adopted from the window:
// AdoptCurrent), and every GL call runs on one OS-locked thread owned by
// a Context.
//
// Build with -tags egl (the Makefile does): go-gl then loads GL functions
// through libEGL alone, so the binary needs no X11 libraries at run time.
package engine
