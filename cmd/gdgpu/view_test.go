package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/internal/imgtest"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/viewer"
)

// TestViewHimmelblauPNG races two optimizers on himmelblau over a fixed
// box and checks the picture: its size, that each of the four minima is
// drawn in a low colour (darker than a far corner), and that each path's
// colour lies near the common start, (0, 0).
func TestViewHimmelblauPNG(t *testing.T) {
	out := filepath.Join(t.TempDir(), "v.png")
	var so, se bytes.Buffer
	args := []string{"view", "--problem", "himmelblau", "--optimizer", "adam,rmsprop", "--lr", "0.05",
		"--steps", "200", "--every", "4", "--bounds", "-5,5,-5,5", "--size", "321x241", "--png", out}
	if code := runContext(context.Background(), args, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s%s", code, so.String(), se.String())
	}
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 2*321 || b.Dy() != 241 {
		t.Fatalf("image is %v, want 642x241 (two 321x241 panels)", b)
	}
	// (x, y) -> pixel of the landscape, framed by its axes and colour bar
	// in the left panel (viewer.LandscapeRect).
	lr := viewer.LandscapeRect(321, 241, -5, 5)
	pix := func(x, y float64) image.Point {
		return image.Pt(lr.Min.X+int((x+5)/10*float64(lr.Dx()-1)+0.5), lr.Min.Y+int((5-y)/10*float64(lr.Dy()-1)+0.5))
	}
	lum := func(c color.Color) float64 {
		r, g, b, _ := c.RGBA()
		return 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
	}
	c := pix(5, -5)
	corner := lum(img.At(c.X, c.Y)) // (5, -5): f = 296 or so, far up the map
	low := lum(viewer.Viridis(0.25))
	for _, m := range [][2]float64{{3, 2}, {-2.805118, 3.131312}, {-3.779310, -3.283186}, {3.584428, -1.848126}} {
		p := pix(m[0], m[1])
		if m == [2]float64{3, 2} {
			p = pix(3, 1.6) // the paths end on (3, 2): look just below it
		}
		if l := lum(img.At(p.X, p.Y)); !(l < low && l < corner) {
			t.Errorf("minimum %v at pixel %v: luminance %g, want below viridis(0.25)'s %g and the corner's %g", m, p, l, low, corner)
		}
	}
	start := pix(0, 0)
	for k := 0; k < 2; k++ {
		want := viewer.Palette[k]
		found := false
		for dy := -6; dy <= 6 && !found; dy++ {
			for dx := -6; dx <= 6 && !found; dx++ {
				r, g, b, _ := img.At(start.X+dx, start.Y+dy).RGBA()
				found = uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(b>>8) == want.B
			}
		}
		if !found {
			t.Errorf("path %d's colour %v is not within 6 pixels of the start %v", k, want, start)
		}
	}
	if !strings.Contains(so.String(), "wrote "+out) {
		t.Errorf("stdout: %q", so.String())
	}
}

// TestViewTheme: a picture written to a file is light unless --theme dark
// asks otherwise: the curves panel's background (its bottom right corner)
// and the plots' inside are the theme's.
func TestViewTheme(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		flags []string
		want  viewer.Theme
	}{{nil, viewer.Light}, {[]string{"--theme", "dark"}, viewer.Dark}, {[]string{"--theme", "light"}, viewer.Light}} {
		out := filepath.Join(dir, "t.png")
		args := append([]string{"view", "--problem", "himmelblau", "--optimizer", "adam", "--device", "cpu", "--steps", "20", "--size", "320x240", "--png", out}, tc.flags...)
		if code, so, se := gdgpuRun(t, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", tc.flags, code, so, se)
		}
		img := imgtest.DecodePNG(t, out)
		at := func(x, y int) color.RGBA { return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) }
		if got := at(639, 239); got != tc.want.Panel {
			t.Errorf("%v: panel background %v, want %v", tc.flags, got, tc.want.Panel)
		}
		// Most of the curves panel is inside its two plots.
		if n := imgtest.CountColour(img, image.Rect(320, 0, 640, 240), tc.want.Plot); n < 320*240/3 {
			t.Errorf("%v: %d pixels of the curves panel are the plots' %v, want a third at least", tc.flags, n, tc.want.Plot)
		}
	}
}

func TestViewUsageErrors(t *testing.T) {
	png := filepath.Join(t.TempDir(), "v.png")
	self, err := os.Executable() // a file that is not a folder
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"N-D bounds", []string{"view", "--problem", "rosenbrock", "--dim", "3", "--bounds", "0,1,0,1", "--png", png}, "drawn projected"},
		{"N-D too big", []string{"view", "--problem", "rosenbrock", "--dim", "1000000", "--png", png}, "raise --every"},
		{"frames folder", []string{"view", "--problem", "himmelblau", "--frames", "/proc/gdgpu-no/frames"}, "--frames /proc/gdgpu-no/frames: cannot create the folder"},
		{"size", []string{"view", "--problem", "himmelblau", "--size", "80", "--png", png}, "--size"},
		{"size below the curves' minimum", []string{"view", "--problem", "himmelblau", "--size", "64x64", "--png", png}, "--size"},
		{"size below the projection's minimum", []string{"view", "--problem", "rosenbrock", "--dim", "5", "--size", "300x150", "--png", png}, "--size"},
		{"size too low for nine status lines", []string{"view", "--problem", "himmelblau", "--optimizer", "sgd,adagrad,adadelta,rmsprop,adam,adamw,adamax,nadam,radam", "--size", "640x240", "--png", png}, "--size"},
		{"bounds", []string{"view", "--problem", "himmelblau", "--bounds", "1,0,0,1", "--png", png}, "--bounds"},
		{"every", []string{"view", "--problem", "himmelblau", "--every", "0", "--png", png}, "--every"},
		{"theme", []string{"view", "--problem", "himmelblau", "--theme", "blue", "--png", png}, "--theme"},
		{"log-every", []string{"view", "--problem", "himmelblau", "--log-every", "3", "--png", png}, "--log-every does not apply"},
		{"optimizer", []string{"view", "--problem", "himmelblau", "--optimizer", "adam,nope", "--png", png}, "nope"},
		{"repeat", []string{"view", "--problem", "himmelblau", "--optimizer", "adam,adam", "--png", png}, "distinct"},
		{"CPU-only optimizer on the GPU", []string{"view", "--problem", "himmelblau", "--optimizer", "adam,gonum-lbfgs", "--png", png}, "races with --device cpu"},
		{"race and optimizer", []string{"view", "--problem", "himmelblau", "--optimizer", "adam", "--race", "sgd", "--png", png}, "--race and --optimizer"},
		{"race unknown optimizer", []string{"view", "--problem", "himmelblau", "--race", "adma lr=0.1", "--png", png}, `optimizer "adma" is unknown`},
		{"race bad setting", []string{"view", "--problem", "himmelblau", "--race", "sgd lr", "--png", png}, `"lr" is not key=value`},
		{"race setting it does not take", []string{"view", "--problem", "himmelblau", "--race", "sgd beta1=0.9", "--png", png}, "sgd does not take beta1"},
		{"race out of range", []string{"view", "--problem", "himmelblau", "--race", "sgd momentum=-1", "--png", png}, "momentum"},
		{"race twice", []string{"view", "--problem", "himmelblau", "--race", "adam lr=0.1", "--race", "adam lr=0.1", "--png", png}, "given twice"},
		{"race not a number", []string{"view", "--problem", "himmelblau", "--race", "adam lr=fast", "--png", png}, "not a finite number"},
		{"folder", []string{"view", "--problem", "himmelblau", "--png", "/no/such/dir/v.png"}, "does not exist"},
		{"png is a folder", []string{"view", "--problem", "himmelblau", "--png", filepath.Dir(png)}, "is a folder"},
		{"png under a file", []string{"view", "--problem", "himmelblau", "--png", filepath.Join(self, "v.png")}, "is not a folder"},
		{"bounds overflow", []string{"view", "--problem", "himmelblau", "--bounds", "-1e308,1e308,0,1", "--png", png}, "--bounds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var so, se bytes.Buffer
			if code := runContext(context.Background(), tc.args, &so, &se); code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, se.String())
			}
			if !strings.Contains(se.String(), tc.msg) {
				t.Errorf("stderr %q lacks %q", se.String(), tc.msg)
			}
		})
	}
	if _, err := os.Stat(png); err == nil {
		t.Error("a refused view wrote its PNG")
	}
	// --png into the folder --frames makes is not refused as missing.
	frames := filepath.Join(t.TempDir(), "frames")
	var so, se bytes.Buffer
	args := []string{"view", "--problem", "himmelblau", "--steps", "10", "--every", "5", "--frames", frames, "--png", filepath.Join(frames, "last.png")}
	if code := runContext(context.Background(), args, &so, &se); code != 0 {
		t.Errorf("--png into --frames' folder: exit %d: %s", code, se.String())
	}
}

// TestViewProjectedND races two optimizers on a 10-D rosenbrock: the
// picture is the projection beside the curves, and stdout names the
// principal plane.
func TestViewProjectedND(t *testing.T) {
	out := filepath.Join(t.TempDir(), "nd.png")
	var so, se bytes.Buffer
	args := []string{"view", "--device", "cpu", "--problem", "rosenbrock", "--dim", "10", "--optimizer", "adam,sgd",
		"--lr", "1e-3", "--steps", "300", "--every", "10", "--size", "300x240", "--png", out}
	if code := runContext(context.Background(), args, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s%s", code, so.String(), se.String())
	}
	img := imgtest.DecodePNG(t, out)
	if b := img.Bounds(); b.Dx() != 600 || b.Dy() != 240 {
		t.Fatalf("image is %v, want 600x240", b)
	}
	if !strings.Contains(so.String(), "principal plane") {
		t.Errorf("stdout: %q", so.String())
	}
	// Both paths are drawn in the left panel.
	for k := 0; k < 2; k++ {
		if n := imgtest.CountColour(img, image.Rect(0, 0, 300, 240), viewer.Palette[k]); n < 20 {
			t.Errorf("path %d: %d pixels of its colour in the left panel", k, n)
		}
	}
}

// TestViewFrames writes frames every 25 steps of a 100-step run: frames 0
// to 4, in order, each the picture's size, the last equal to --png's.
func TestViewFrames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "frames")
	last := filepath.Join(t.TempDir(), "v.png")
	var so, se bytes.Buffer
	args := []string{"view", "--device", "cpu", "--problem", "booth", "--optimizer", "adam", "--lr", "0.1",
		"--steps", "100", "--every", "25", "--size", "256x192", "--frames", dir, "--png", last}
	if code := runContext(context.Background(), args, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s%s", code, so.String(), se.String())
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{"frame-00000.png", "frame-00001.png", "frame-00002.png", "frame-00003.png", "frame-00004.png"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("frames %v, want %v", names, want)
	}
	first := imgtest.DecodePNG(t, filepath.Join(dir, want[0]))
	final := imgtest.DecodePNG(t, filepath.Join(dir, want[4]))
	if b := final.Bounds(); b.Dx() != 512 || b.Dy() != 192 {
		t.Fatalf("frame is %v, want 512x192", b)
	}
	// The path grows: the last frame has more of its colour than the first.
	red := viewer.Palette[0]
	left := image.Rect(0, 0, 256, 192)
	if a, b := imgtest.CountColour(first, left, red), imgtest.CountColour(final, left, red); !(b > a) {
		t.Errorf("path pixels: first frame %d, last %d; want it to grow", a, b)
	}
	png := imgtest.DecodePNG(t, last)
	if !sameImage(png, final) {
		t.Error("the last frame differs from --png's picture")
	}
	if !strings.Contains(so.String(), "wrote 5 frames") {
		t.Errorf("stdout: %q", so.String())
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, aa := a.At(x, y).RGBA()
			br, bg, bb, ba := b.At(x, y).RGBA()
			if ar != br || ag != bg || ab != bb || aa != ba {
				return false
			}
		}
	}
	return true
}

// TestViewModel: a model on data of two parameters has no landscape
// evaluator; it is drawn projected, not refused and not a crash.
func TestViewModel(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.png")
	var so, se bytes.Buffer
	args := []string{"view", "--device", "cpu", "--problem", "linear", "--synthetic", "regression", "--features", "1",
		"--steps", "60", "--every", "5", "--size", "256x240", "--png", out}
	if code := runContext(context.Background(), args, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s%s", code, so.String(), se.String())
	}
	if !strings.Contains(so.String(), "principal plane") {
		t.Errorf("stdout: %q", so.String())
	}
	imgtest.DecodePNG(t, out)
}

// TestViewColoursPerOptimizer: a race of every step-based optimizer (the
// only ones view takes, each at most once) gives each its own colour.
func TestViewColoursPerOptimizer(t *testing.T) {
	n := 0
	for _, o := range gdgpu.Optimizers() {
		if !o.CPUOnly {
			n++
		}
	}
	if n > len(viewer.Palette) {
		t.Errorf("%d step-based optimizers can race, but viewer.Palette has %d colours: some would share one", n, len(viewer.Palette))
	}
}

// TestViewRaces: --race gives each racer its own settings, shown in its
// legend name, and a gonum method races on the CPU (its path follows its
// iterates: window's TestPictureGonumIterates); view's help lists none of
// the job flags it refuses.
func TestViewRaces(t *testing.T) {
	png := filepath.Join(t.TempDir(), "r.png")
	var so, se bytes.Buffer
	args := []string{"view", "--device", "cpu", "--problem", "rosenbrock", "--dim", "2", "--race", "gonum-lbfgs", "--race", "sgd lr=0.001 momentum=0.9",
		"--race", "adam lr=0.02", "--steps", "200", "--every", "2", "--png", png}
	if code := runContext(context.Background(), args, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	for _, want := range []string{"gonum-lbfgs: f ", "sgd momentum=0.9 lr 0.001: f ", "adam lr 0.02: f "} {
		if !strings.Contains(so.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, so.String())
		}
	}
	so.Reset()
	runContext(context.Background(), []string{"view", "--help"}, &so, &se)
	for _, hidden := range []string{"out", "log", "log-every"} {
		if regexp.MustCompile(`(?m)^\s+(-\w, )?--` + hidden + `\b`).MatchString(so.String()) {
			t.Errorf("view --help lists --%s, which view refuses", hidden)
		}
	}
}
