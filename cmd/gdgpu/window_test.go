//go:build window

package main

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer"
)

// startXvfb starts a virtual X server on a free display (Xvfb picks it and
// writes its number to -displayfd) and points DISPLAY at it for the test.
// A missing Xvfb fails the test: scripts/deps.sh installs it.
func startXvfb(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Fatalf("Xvfb is needed for the window test (scripts/deps.sh installs xvfb): %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := exec.Command(bin, "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	var xerr bytes.Buffer
	x.Stderr = &xerr
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		x.Process.Kill() // the server this test started, by its process
		x.Wait()
	})
	// Xvfb writes the display number once it accepts connections; EOF
	// instead means it exited.
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not start: %v\n%s", err, xerr.String())
	}
	t.Setenv("DISPLAY", ":"+strings.TrimSpace(line))
}

// TestWindowShot opens the live window on Xvfb, races two optimizers on
// himmelblau to the end, and reads the window back (glReadPixels of the
// finished frame). The window draws the picture pixel for pixel (a
// nearest-filtered texture at the framebuffer's size), so the read-back
// must equal the picture uploaded, exactly; and the picture must show the
// minimum in the lowest colour, both paths, and the curves panel.
func TestWindowShot(t *testing.T) {
	startXvfb(t)
	shot := filepath.Join(t.TempDir(), "shot.png")
	windowTest.shot = shot
	defer func() { windowTest.shot = "" }()
	var so, se bytes.Buffer
	args := []string{"view", "--problem", "himmelblau", "--optimizer", "adam,sgd", "--lr", "0.01",
		"--steps", "120", "--every", "4", "--bounds", "-5,5,-5,5", "--size", "320x300"}
	if code := runContext(context.Background(), args, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s%s", code, so.String(), se.String())
	}
	got := decodePNG(t, shot)
	want := decodePNG(t, shot+".want.png")
	if b := got.Bounds(); b.Dx() != 640 || b.Dy() != 300 {
		t.Fatalf("framebuffer %v, want 640x300 (two 320x300 panels)", b)
	}
	d, err := viewer.Diff(got, want, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Differing != 0 {
		t.Errorf("the window differs from the picture it drew in %d of %d pixels (largest %d)", d.Differing, d.Total, d.MaxDelta)
	}
	// Himmelblau's minimum at (3.584428, -1.848126), away from the paths:
	// the lowest colour, or it darkened by an iso-line.
	mx, my := 3.584428, -1.848126
	lr := viewer.LandscapeRect(320, 300, -5, 5) // where the framed landscape lies
	px, py := lr.Min.X+int((mx+5)/10*float64(lr.Dx()-1)+0.5), lr.Min.Y+int((5-my)/10*float64(lr.Dy()-1)+0.5)
	low := viewer.Viridis(0)
	r, g, b, _ := got.At(px, py).RGBA()
	c := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
	if c != [3]uint8{low.R, low.G, low.B} && c != [3]uint8{low.R * 3 / 5, low.G * 3 / 5, low.B * 3 / 5} {
		t.Errorf("minimum at pixel (%d, %d): %v, want viridis(0)", px, py, c)
	}
	for k := 0; k < 2; k++ {
		if n := countColour(got, image.Rect(0, 0, 320, 300), viewer.Palette[k]); n < 20 {
			t.Errorf("path %d: %d pixels of its colour on the landscape", k, n)
		}
		if n := countColour(got, image.Rect(320, 0, 640, 300), viewer.Palette[k]); n < 100 {
			t.Errorf("series %d: %d pixels of its colour in the curves panel", k, n)
		}
	}
	if !strings.Contains(so.String(), "adam lr 0.01: f") || !strings.Contains(so.String(), "(StepLimit)") {
		t.Errorf("stdout: %q", so.String())
	}
}

// TestWindowControls: what each key does to the window's state.
func TestWindowControls(t *testing.T) {
	c := &controls{spf: 5}
	c.char('+')
	c.char('+')
	if c.spf != 20 {
		t.Errorf("+ twice from 5: %d, want 20", c.spf)
	}
	for i := 0; i < 10; i++ {
		c.char('-')
	}
	if c.spf != 1 {
		t.Errorf("- ten times: %d, want 1 (the floor)", c.spf)
	}
	for i := 0; i < 30; i++ {
		c.char('+')
	}
	if c.spf != maxStepsPerFrame {
		t.Errorf("+ thirty times: %d, want the cap %d", c.spf, maxStepsPerFrame)
	}
	c.key(glfw.KeySpace)
	if !c.paused || !c.dirty {
		t.Errorf("space: paused %v dirty %v, want both", c.paused, c.dirty)
	}
	c.key(glfw.KeySpace)
	if c.paused {
		t.Error("space twice: still paused")
	}
	c.key(glfw.KeyR)
	c.key(glfw.KeyS)
	if !c.restart || !c.save || c.quit {
		t.Errorf("r, s: %+v", c)
	}
	c.key(glfw.KeyEscape)
	if !c.quit {
		t.Error("Esc does not quit")
	}
	c = &controls{spf: 8}
	c.key(glfw.KeyKPAdd) // the keypad's + comes as the character '+' too
	if c.spf != 8 {
		t.Errorf("keypad + as a key changed the steps per frame to %d", c.spf)
	}
	c.key(glfw.KeyQ)
	if !c.quit {
		t.Error("q does not quit")
	}
	// The driver issues --every steps at a time (its batches end at the
	// sample points), so a frame cannot take fewer: - stops there, and
	// the title does not claim 1 step per frame while 5 run.
	c = &controls{spf: 5, minSPF: 5}
	c.char('-')
	if c.spf != 5 {
		t.Errorf("- at --every 5: %d steps per frame, want 5 (a batch)", c.spf)
	}
}

// TestWindowShotND: an N-D problem in the window: the projection is drawn
// and read back as uploaded.
func TestWindowShotND(t *testing.T) {
	startXvfb(t)
	shot := filepath.Join(t.TempDir(), "shot.png")
	windowTest.shot = shot
	defer func() { windowTest.shot = "" }()
	var so, se bytes.Buffer
	args := []string{"view", "--problem", "rosenbrock", "--dim", "6", "--optimizer", "adam,sgd", "--lr", "1e-3",
		"--steps", "200", "--every", "10", "--size", "300x260"}
	if code := runContext(context.Background(), args, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s%s", code, so.String(), se.String())
	}
	got := decodePNG(t, shot)
	want := decodePNG(t, shot+".want.png")
	d, err := viewer.Diff(got, want, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Differing != 0 {
		t.Errorf("the window differs from the picture it drew in %d of %d pixels", d.Differing, d.Total)
	}
	for k := 0; k < 2; k++ {
		if n := countColour(got, image.Rect(0, 0, 300, 260), viewer.Palette[k]); n < 20 {
			t.Errorf("path %d: %d pixels of its colour in the projection", k, n)
		}
	}
}

// TestWindowRestart: r starts the races again from the start, and on the
// CPU (float64, deterministic) they end where they ended the first time:
// the landscape panels of both finished pictures are equal (the curves
// panels differ in the measured steps/s). --bounds fixes the box: without
// it the live box grows with the paths as the frames happen to see them.
func TestWindowRestart(t *testing.T) {
	startXvfb(t)
	shot := filepath.Join(t.TempDir(), "shot.png")
	windowTest.shot, windowTest.restarts = shot, 1
	defer func() { windowTest.shot, windowTest.restarts = "", 0 }()
	var so, se bytes.Buffer
	args := []string{"view", "--device", "cpu", "--problem", "beale", "--optimizer", "adam,rmsprop", "--lr", "0.02",
		"--steps", "150", "--every", "5", "--size", "256x240", "--bounds", "-4.5,4.5,-4.5,4.5"}
	if code := runContext(context.Background(), args, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s%s", code, so.String(), se.String())
	}
	first := decodePNG(t, shot+".run-1.png").(*image.RGBA)
	again := decodePNG(t, shot+".want.png").(*image.RGBA)
	left := image.Rect(0, 0, 256, 240)
	d, err := viewer.Diff(first.SubImage(left), again.SubImage(left), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Differing != 0 {
		t.Errorf("after r the finished landscape differs from the first run's in %d pixels", d.Differing)
	}
}

// TestBlitViewport: where the window draws its picture. Pixel for pixel
// at the top left when the framebuffer holds it (an odd width after a
// resize left the picture one pixel narrower, and it was stretched);
// magnified by the HiDPI scale, so the bitmap text is as large in points
// as on a plain screen; scaled down, keeping its aspect, when the window
// is smaller than the least the panels are drawn at.
func TestBlitViewport(t *testing.T) {
	for _, tc := range []struct {
		fbw, fbh, tw, th, scale int
		want                    [4]int // x, y (from the bottom), w, h
	}{
		{640, 300, 640, 300, 1, [4]int{0, 0, 640, 300}},
		{641, 301, 640, 301, 1, [4]int{0, 0, 640, 301}},
		{1280, 600, 640, 300, 2, [4]int{0, 0, 1280, 600}},
		{1281, 600, 640, 300, 2, [4]int{0, 0, 1280, 600}},
		{320, 200, 416, 220, 1, [4]int{0, 31, 320, 169}},
	} {
		x, y, w, h := blitViewport(tc.fbw, tc.fbh, tc.tw, tc.th, tc.scale)
		if got := [4]int{x, y, w, h}; got != tc.want {
			t.Errorf("framebuffer %dx%d, picture %dx%d, scale %d: viewport %v, want %v", tc.fbw, tc.fbh, tc.tw, tc.th, tc.scale, got, tc.want)
		}
	}
	for _, tc := range [][3]int{{640, 640, 1}, {1280, 640, 2}, {1920, 640, 3}, {1000, 640, 2}, {0, 640, 1}, {640, 0, 1}} {
		if got := pixelScale(tc[0], tc[1]); got != tc[2] {
			t.Errorf("framebuffer %d pixels wide, window %d points: scale %d, want %d", tc[0], tc[1], got, tc[2])
		}
	}
}

// TestSaveName: s never overwrites a picture an earlier session saved: it
// takes the first free gdgpu-view-NNN.png.
func TestSaveName(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"gdgpu-view-001.png", "gdgpu-view-002.png"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("kept"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	name, err := nextSaveName(dir, &n)
	if err != nil {
		t.Fatal(err)
	}
	if name != filepath.Join(dir, "gdgpu-view-003.png") {
		t.Errorf("first save: %s, want gdgpu-view-003.png", name)
	}
}

// TestWindowNoDisplay: without a display (DISPLAY unset, or naming a
// server that is not there) view fails with a message that says so and
// how to run headless, and does not panic: GLFW's go binding logs a
// platform error from glfwInit and returns nil, and the next GLFW call
// panicked with NotInitialized.
func TestWindowNoDisplay(t *testing.T) {
	for _, display := range []string{"", ":12345"} {
		t.Setenv("DISPLAY", display)
		t.Setenv("WAYLAND_DISPLAY", "")
		var so, se bytes.Buffer
		code := runContext(context.Background(), []string{"view", "--problem", "himmelblau", "--steps", "10"}, &so, &se)
		if code != 3 {
			t.Errorf("DISPLAY=%q: exit %d, want 3: %s", display, code, se.String())
		}
		if !strings.Contains(se.String(), "--png or --frames") {
			t.Errorf("DISPLAY=%q: stderr %q does not say how to run headless", display, se.String())
		}
	}
}

// TestLandscapeEngineFollowsDevice: the window evaluates a --device cpu
// view's landscape with cpu.Loss in float64, as the PNG path and the docs
// do, not on the window's GPU in --precision.
func TestLandscapeEngineFollowsDevice(t *testing.T) {
	ec := &engine.Context{}
	if got := landscapeEngine(&setup{device: "cpu"}, ec); got != nil {
		t.Error("--device cpu: the landscape is evaluated on the GPU")
	}
	if got := landscapeEngine(&setup{device: "gpu"}, ec); got != ec {
		t.Error("--device gpu: the landscape is not evaluated on the GPU")
	}
}

// TestRenderGap: while the races run, the picture is rendered again no
// sooner than renderEvery after the last one, nor than four times what
// the last one cost, so a slow render (the projection of a large N-D
// view takes seconds) leaves the descent most of the time instead of
// stalling it every frame.
func TestRenderGap(t *testing.T) {
	if got := renderGap(5 * time.Millisecond); got != renderEvery {
		t.Errorf("a 5 ms render: next after %v, want %v", got, renderEvery)
	}
	if got := renderGap(1500 * time.Millisecond); got != 6*time.Second {
		t.Errorf("a 1.5 s render: next after %v, want 6s", got)
	}
}
