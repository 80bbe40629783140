package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	if b := img.Bounds(); b.Dx() != 321 || b.Dy() != 241 {
		t.Fatalf("image is %v, want 321x241", b)
	}
	// (x, y) -> pixel: x in [-5, 5] over 0..320, y in [-5, 5] over 240..0.
	pix := func(x, y float64) image.Point {
		return image.Pt(int((x+5)/10*320+0.5), int((5-y)/10*240+0.5))
	}
	lum := func(c color.Color) float64 {
		r, g, b, _ := c.RGBA()
		return 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
	}
	corner := lum(img.At(320, 240)) // (5, -5): f = 296 or so, far up the map
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

func TestViewUsageErrors(t *testing.T) {
	png := filepath.Join(t.TempDir(), "v.png")
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no png", []string{"view", "--problem", "himmelblau"}, "the live window is not built yet; use --png"},
		{"N-D", []string{"view", "--problem", "rosenbrock", "--dim", "3", "--png", png}, "two-parameter"},
		{"size", []string{"view", "--problem", "himmelblau", "--size", "80", "--png", png}, "--size"},
		{"bounds", []string{"view", "--problem", "himmelblau", "--bounds", "1,0,0,1", "--png", png}, "--bounds"},
		{"every", []string{"view", "--problem", "himmelblau", "--every", "0", "--png", png}, "--every"},
		{"optimizer", []string{"view", "--problem", "himmelblau", "--optimizer", "adam,nope", "--png", png}, "nope"},
		{"repeat", []string{"view", "--problem", "himmelblau", "--optimizer", "adam,adam", "--png", png}, "distinct"},
		{"folder", []string{"view", "--problem", "himmelblau", "--png", "/no/such/dir/v.png"}, "does not exist"},
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
}
