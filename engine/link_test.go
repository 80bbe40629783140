package engine

import (
	"testing"

	"github.com/gdgpu/gdgpu/internal/linkcheck"
)

// TestNoX11AtRunTime: the engine must run on a headless server, so the
// binary may link libEGL but never libGL/libGLX/libX11 (which GLX pulls in).
// This test binary links exactly what the engine links.
func TestNoX11AtRunTime(t *testing.T) {
	bad, egl, libs, err := linkcheck.Self(linkcheck.Windowing)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range bad {
		t.Errorf("the engine links %s (all: %v); build with -tags egl", l, libs)
	}
	if !egl {
		t.Errorf("the engine does not link libEGL: %v", libs)
	}
}
