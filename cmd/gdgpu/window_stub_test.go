//go:build !window

package main

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"strings"
	"testing"
)

// TestViewWindowNotBuilt: the default binary has no window, and view
// without --png or --frames says how to build one (exit 2).
func TestViewWindowNotBuilt(t *testing.T) {
	var so, se bytes.Buffer
	if code := runContext(context.Background(), []string{"view", "--problem", "himmelblau"}, &so, &se); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, se.String())
	}
	for _, want := range []string{"built without the live window", "make view", "-tags egl,window"} {
		if !strings.Contains(se.String(), want) {
			t.Errorf("stderr %q lacks %q", se.String(), want)
		}
	}
}

// TestDefaultBinaryNoX11: the default gdgpu must run on a headless server,
// so without the window tag it links libEGL and nothing of X11, GLX or
// GLFW. This test binary links what that gdgpu links (the window files are
// left out of both).
func TestDefaultBinaryNoX11(t *testing.T) {
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
		for _, bad := range []string{"libX", "libxcb", "libGL.so", "libGLX", "libglfw"} {
			if strings.HasPrefix(l, bad) {
				t.Errorf("the default gdgpu links %s (all: %v): the window belongs behind -tags window", l, libs)
			}
		}
		egl = egl || strings.HasPrefix(l, "libEGL")
	}
	if !egl {
		t.Errorf("the default gdgpu does not link libEGL: %v", libs)
	}
}
