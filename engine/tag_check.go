//go:build linux && !egl

package engine

// go-gl/gl without the egl build tag links libGL through GLX, which needs X11
// libraries at run time. Build gdgpu with -tags egl (the Makefile does).
var _ int = "engine: build with -tags egl (see README.md): without it go-gl links GLX and needs X11"
