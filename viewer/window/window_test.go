package window

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer"
)

// TestWindowControls: what each key and character does to the window's
// state.
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
	c.key(pause)
	if !c.paused || !c.dirty {
		t.Errorf("space: paused %v dirty %v, want both", c.paused, c.dirty)
	}
	c.key(pause)
	if c.paused {
		t.Error("space twice: still paused")
	}
	c.key(restart)
	c.key(save)
	if !c.restart || !c.save || c.quit {
		t.Errorf("r, s: %+v", c)
	}
	c.key(noAction)
	if c.quit {
		t.Error("a key without an action quits")
	}
	c.key(quit)
	if !c.quit {
		t.Error("q does not quit")
	}
	// The driver issues --every steps at a time (its batches end at the
	// sample points), so a frame cannot take fewer: - stops there, and
	// the title does not claim 1 step per frame while 5 run.
	c = &controls{spf: 5, minSPF: 5}
	c.char('-')
	if c.spf != 5 {
		t.Errorf("- at a batch of 5: %d steps per frame, want 5 (a batch)", c.spf)
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
		r := blitViewport(tc.fbw, tc.fbh, tc.tw, tc.th, tc.scale)
		if got := [4]int{r.Min.X, r.Min.Y, r.Dx(), r.Dy()}; got != tc.want {
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
	// The current folder (this package's, which holds no picture): the
	// bare name, as "saved NAME" has always printed it.
	if name, err := nextSaveName(".", new(int)); name != "gdgpu-view-001.png" || err != nil {
		t.Errorf("in the current folder: %q, %v; want gdgpu-view-001.png", name, err)
	}
}

// TestLandscapeEngineFollowsDevice: the window evaluates a CPU race's
// landscape with cpu.Loss in float64, as a picture written to a file is,
// not on the window's GPU in the job's precision.
func TestLandscapeEngineFollowsDevice(t *testing.T) {
	ec := &engine.Context{}
	if got := landscapeEngine(&Racer{CPU: true}, ec); got != nil {
		t.Error("a CPU race: the landscape is evaluated on the GPU")
	}
	if got := landscapeEngine(&Racer{}, ec); got != ec {
		t.Error("a GPU race: the landscape is not evaluated on the GPU")
	}
}

// TestLandscapeCPU: without an engine the landscape is cpu.Loss on the
// grid, corners on the box's corners (booth: 0 at (1, 3), 72 at (3, 5)).
func TestLandscapeCPU(t *testing.T) {
	job := gdgpu.NewJob()
	job.Problem, job.Dim = "booth", 2
	land := make([]float64, 4)
	on, err := Landscape(&job, nil)([]float64{1, 3, 3, 5}, 2, 2, land)
	if err != nil {
		t.Fatal(err)
	}
	if on != "cpu/f64" || land[0] != 0 || land[3] != 72 {
		t.Errorf("on %s: %v, want cpu/f64 and 0 ... 72", on, land)
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

// TestLivePanelDrawable: whatever size the window is resized to, the
// panels it renders at can hold the curves of every race and the
// projection (a window made small with many races quit with an error).
func TestLivePanelDrawable(t *testing.T) {
	for _, n := range []int{1, 2, 9} {
		for _, fb := range [][2]int{{1, 1}, {100, 50}, {300, 200}, {2000, 1500}} {
			for _, proj := range []bool{false, true} {
				w, h := livePanel(fb[0], fb[1], n, proj)
				if w < fb[0]/2 || h < fb[1] {
					t.Errorf("%d races, framebuffer %v: panels %dx%d, smaller than half of it", n, fb, w, h)
				}
				series := make([]viewer.Series, n)
				if _, err := viewer.RenderCurves(w, h, series, viewer.Dark); err != nil {
					t.Errorf("%d races, framebuffer %v: %v", n, fb, err)
				}
				if _, err := viewer.RenderProjection(w, h, nil, "a", "b", []float64{0, 1, 0, 1}, viewer.Dark); proj && err != nil {
					t.Errorf("%d races, framebuffer %v, projected: %v", n, fb, err)
				}
			}
		}
	}
}

// TestOptionsRefused: options no window can use are refused before it
// opens, naming the field (the command line writes its flag for it).
func TestOptionsRefused(t *testing.T) {
	one := []Racer{{Job: gdgpu.NewJob()}}
	for _, tc := range []struct {
		racers []Racer
		o      Options
		field  string // the FieldError's first field; "" a plain error
	}{
		{nil, Options{}, ""},
		{one, Options{Width: -1}, "Options.Width"},
		{one, Options{StepsPerFrame: -5}, "Options.StepsPerFrame"},
		{one, Options{Bounds: []float64{0, 1, 0}}, "Options.Bounds"},
		{one, Options{Bounds: []float64{1, 0, 0, 1}}, "Options.Bounds"},
	} {
		err := tc.o.check(tc.racers)
		if err == nil || !strings.HasPrefix(err.Error(), "window: ") {
			t.Errorf("%+v: %v, want a refusal of package window", tc.o, err)
			continue
		}
		var fe *gdgpu.FieldError
		if got := errors.As(err, &fe); got != (tc.field != "") || got && fe.Fields[0] != tc.field {
			t.Errorf("%+v: %v, want field %q", tc.o, err, tc.field)
		}
	}
	if err := (&Options{}).check(one); err != nil {
		t.Errorf("the zero Options: %v", err)
	}
}
