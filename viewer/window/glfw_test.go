//go:build window

package window

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/internal/imgtest"

	"github.com/gdgpu/gdgpu/internal/xvfb"

	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/viewer"
)

// startXvfb points DISPLAY at a virtual X server for the test.
func startXvfb(t *testing.T) { xvfb.Start(t) }

// racers are a view's races of the named optimizers on problem, each with
// lr, as gdgpu view builds them: sampled every every steps.
func racers(t *testing.T, problem string, dim, steps, every int, lr float64, cpu bool, names ...string) []Racer {
	t.Helper()
	var rs []Racer
	for _, name := range names {
		job := gdgpu.NewJob()
		job.Problem, job.Dim, job.Steps, job.LogEvery = problem, dim, steps, every
		var err error
		if job.Optimizer, err = gdgpu.DefaultOptimizer(name); err != nil {
			t.Fatal(err)
		}
		job.Optimizer.LR = lr
		if err := job.Validate(); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, Racer{Job: job, CPU: cpu})
	}
	return rs
}

// shoot runs the window with the test hook set: shot is where its
// finished frame is read back to.
func shoot(t *testing.T, rs []Racer, o Options, restarts int) (shot string, races []*viewer.Race) {
	t.Helper()
	startXvfb(t)
	shot = filepath.Join(t.TempDir(), "shot.png")
	windowTest.shot, windowTest.restarts = shot, restarts
	defer func() { windowTest.shot, windowTest.restarts = "", 0 }()
	started := false
	o.Started = func() { started = true }
	races, err := Run(context.Background(), rs, o)
	if err != nil {
		t.Fatal(err)
	}
	if !started {
		t.Error("Options.Started was not called")
	}
	return shot, races
}

// TestWindowShot opens the live window on Xvfb, races two optimizers on
// himmelblau to the end, and reads the window back (glReadPixels of the
// finished frame). The window draws the picture pixel for pixel (a
// nearest-filtered texture at the framebuffer's size), so the read-back
// must equal the picture uploaded, exactly; and the picture must show the
// minimum in the lowest colour, both paths, and the curves panel.
func TestWindowShot(t *testing.T) {
	rs := racers(t, "himmelblau", 2, 120, 4, 0.01, false, "adam", "sgd")
	// s on the finished frame: the picture goes to SaveDir, at the first
	// free name, and Saved hears of it.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gdgpu-view-001.png"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	var saved []string
	windowTest.save = true
	defer func() { windowTest.save = false }()
	shot, races := shoot(t, rs, Options{Width: 320, Height: 300, Bounds: []float64{-5, 5, -5, 5}, StepsPerFrame: 4,
		SaveDir: dir, Saved: func(path string, err error) {
			if err != nil {
				t.Errorf("saving: %v", err)
			}
			saved = append(saved, path)
		}}, 0)
	got := imgtest.DecodePNG(t, shot)
	want := imgtest.DecodePNG(t, shot+".want.png")
	if len(saved) != 1 || saved[0] != filepath.Join(dir, "gdgpu-view-002.png") {
		t.Errorf("saved %q, want [%s]", saved, filepath.Join(dir, "gdgpu-view-002.png"))
	} else if d, err := viewer.Diff(imgtest.DecodePNG(t, saved[0]), want, 0); err != nil || d.Differing != 0 {
		t.Errorf("the saved picture is not the one drawn: %v, %+v", err, d)
	}
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
		if n := imgtest.CountColour(got, image.Rect(0, 0, 320, 300), viewer.Palette[k]); n < 20 {
			t.Errorf("path %d: %d pixels of its colour on the landscape", k, n)
		}
		if n := imgtest.CountColour(got, image.Rect(320, 0, 640, 300), viewer.Palette[k]); n < 100 {
			t.Errorf("series %d: %d pixels of its colour in the curves panel", k, n)
		}
	}
	if len(races) != 2 || !strings.HasPrefix(races[0].Label(), "adam lr 0.01: f") || !strings.HasSuffix(races[1].Label(), "(StepLimit)") {
		var labels []string
		for _, r := range races {
			labels = append(labels, r.Label())
		}
		t.Errorf("the races as they ended: %q", labels)
	}
}

// TestWindowShotND: an N-D problem in the window: the projection is drawn
// and read back as uploaded.
func TestWindowShotND(t *testing.T) {
	rs := racers(t, "rosenbrock", 6, 200, 10, 1e-3, false, "adam", "sgd")
	shot, _ := shoot(t, rs, Options{Width: 300, Height: 260}, 0)
	got := imgtest.DecodePNG(t, shot)
	want := imgtest.DecodePNG(t, shot+".want.png")
	d, err := viewer.Diff(got, want, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Differing != 0 {
		t.Errorf("the window differs from the picture it drew in %d of %d pixels", d.Differing, d.Total)
	}
	for k := 0; k < 2; k++ {
		if n := imgtest.CountColour(got, image.Rect(0, 0, 300, 260), viewer.Palette[k]); n < 20 {
			t.Errorf("path %d: %d pixels of its colour in the projection", k, n)
		}
	}
}

// TestWindowRestart: r starts the races again from the start, and on the
// CPU (float64, deterministic) they end where they ended the first time:
// the landscape panels of both finished pictures are equal (the curves
// panels differ in the measured steps/s). Bounds fixes the box: without
// it the live box grows with the paths as the frames happen to see them.
func TestWindowRestart(t *testing.T) {
	rs := racers(t, "beale", 2, 150, 5, 0.02, true, "adam", "rmsprop")
	shot, _ := shoot(t, rs, Options{Width: 256, Height: 240, Bounds: []float64{-4.5, 4.5, -4.5, 4.5}}, 1)
	first := imgtest.DecodePNG(t, shot+".run-1.png").(*image.RGBA)
	again := imgtest.DecodePNG(t, shot+".want.png").(*image.RGBA)
	left := image.Rect(0, 0, 256, 240)
	d, err := viewer.Diff(first.SubImage(left), again.SubImage(left), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Differing != 0 {
		t.Errorf("after r the finished landscape differs from the first run's in %d pixels", d.Differing)
	}
}

// TestWindowKeys: the keys' actions; the keypad's + has none as a key, as
// it arrives as the character '+' too.
func TestWindowKeys(t *testing.T) {
	for k, want := range map[glfw.Key]action{
		glfw.KeySpace: pause, glfw.KeyR: restart, glfw.KeyS: save, glfw.KeyQ: quit,
		glfw.KeyEscape: quit, glfw.KeyKPAdd: noAction, glfw.KeyKPSubtract: noAction, glfw.KeyA: noAction,
	} {
		if got := keyAction(k); got != want {
			t.Errorf("key %v: action %d, want %d", k, got, want)
		}
	}
}

// TestWindowNoDisplay: without a display (DISPLAY unset, or naming a
// server that is not there) Run fails with a headless *Error, and does
// not panic: GLFW's go binding logs a platform error from glfwInit and
// returns nil, and the next GLFW call panicked with NotInitialized.
func TestWindowNoDisplay(t *testing.T) {
	rs := racers(t, "himmelblau", 2, 10, 5, 0.01, false, "adam")
	for _, display := range []string{"", ":12345"} {
		t.Setenv("DISPLAY", display)
		t.Setenv("WAYLAND_DISPLAY", "")
		_, err := Run(context.Background(), rs, Options{})
		we, ok := err.(*Error)
		if !ok || !we.Headless {
			t.Errorf("DISPLAY=%q: %v, want a headless *Error", display, err)
		}
	}
}
