package engine

import (
	"image"
	"runtime"
	"strings"
	"testing"
)

// TestAdoptCurrent adopts a context made current on the test's own thread
// (a surfaceless one standing in for a window's), computes on it, and
// checks that Close leaves the context to its owner: it can be made
// current on the owner's thread again. It needs a GL context and fails
// without one.
func TestAdoptCurrent(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e, err := openEGL(0, false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.release()
	c, err := AdoptCurrent(Options{Debug: true})
	if err != nil {
		t.Fatal(err)
	}
	job := newJob("booth", "adam", 2, 0)
	got := make([]float64, 4)
	if err := c.Landscape(&job, 1, 3, 3, 5, 2, 2, got); err != nil {
		t.Fatal(err)
	}
	// booth: f = (x + 2y - 7)^2 + (2x + y - 5)^2, 0 at (1, 3).
	if got[0] != 0 || got[3] != 72 {
		t.Errorf("booth at (1, 3) and (3, 5): %v, want 0 and 72", got)
	}
	// The window's drawing: a picture uploaded, then one of the same
	// size (TexSubImage2D) and one of another (TexImage2D again). Draw
	// needs a window's framebuffer, which the Xvfb tests of viewer/window
	// read back.
	sc := c.NewScreen()
	for _, r := range []image.Rectangle{image.Rect(0, 0, 3, 2), image.Rect(0, 0, 3, 2), image.Rect(0, 0, 5, 4)} {
		if err := sc.Upload(image.NewRGBA(r)); err != nil {
			t.Errorf("Screen.Upload %v: %v", r, err)
		}
	}
	if err := sc.Close(); err != nil {
		t.Errorf("Screen.Close: %v", err)
	}
	if err := c.SwapBuffers(); err == nil || !strings.Contains(err.Error(), "no window surface") {
		t.Errorf("SwapBuffers without a surface: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !e.makeCurrent() {
		t.Error("after Close the owner cannot make its context current again: it was destroyed")
	}
}

// TestAdoptCurrentNone: with no context current on the thread the error
// says how to make one.
func TestAdoptCurrentNone(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, err := AdoptCurrent(Options{})
	if err == nil || !strings.Contains(err.Error(), "no EGL context is current") {
		t.Errorf("err = %v", err)
	}
}
