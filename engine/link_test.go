package engine

import (
	"debug/elf"
	"os"
	"strings"
	"testing"
)

// TestNoX11AtRunTime: the engine must run on a headless server, so the
// binary may link libEGL but never libGL/libGLX/libX11 (which GLX pulls in).
// This test binary links exactly what the engine links.
func TestNoX11AtRunTime(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	egl := false
	for _, l := range libs {
		for _, bad := range []string{"libX11", "libxcb", "libGL.so", "libGLX", "libglfw"} {
			if strings.HasPrefix(l, bad) {
				t.Errorf("the engine links %s (all: %v); build with -tags egl", l, libs)
			}
		}
		egl = egl || strings.HasPrefix(l, "libEGL")
	}
	if !egl {
		t.Errorf("the engine does not link libEGL: %v", libs)
	}
}
