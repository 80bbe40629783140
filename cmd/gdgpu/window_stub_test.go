//go:build !window

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/internal/linkcheck"
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
	bad, egl, libs, err := linkcheck.Self(linkcheck.Windowing)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range bad {
		t.Errorf("the default gdgpu links %s (all: %v): the window belongs behind -tags window", l, libs)
	}
	if !egl {
		t.Errorf("the default gdgpu does not link libEGL: %v", libs)
	}
}
