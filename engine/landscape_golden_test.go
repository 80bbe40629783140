package engine

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/viewer"
)

// TestLandscapeGolden draws himmelblau's landscape from this GPU's
// Landscape and compares it with the viewer package's golden picture of
// the same grid evaluated in float64 on the CPU
// (viewer/testdata/golden/himmelblau-landscape.png).
//
// Tolerance, f32: the kernel rounds the coordinates and f to float32
// (relative 6e-8), which moves log(f - fmin) by about 6e-8 f / (f - fmin):
// nothing away from the minima, but near a minimum, where f - fmin is at
// float32's resolution of f, the colour is decided by rounding, and an
// iso-line (a band boundary of the log value) may move by a pixel where it
// crosses such a region. Measured on llvmpipe (Mesa 22.3.6): no pixel
// differs by more than 1 in a channel. A GPU may fuse multiply-adds and
// evaluate differently, so 1% of the pixels may differ by more than 2
// (an iso-line pixel darkened or not differs by up to 100 or so). f64
// agrees with the CPU to about 1e-15 relative, so it is held to the viewer
// package's own golden tolerance (0.2%).
func TestLandscapeGolden(t *testing.T) {
	c := openTest(t, Options{})
	f, err := os.Open(filepath.Join("..", "viewer", "testdata", "golden", "himmelblau-landscape.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 320, 240
	for _, tc := range []struct {
		prec    gdgpu.Precision
		maxFrac float64
	}{{gdgpu.F32, 0.01}, {gdgpu.F64, 0.002}} {
		t.Run(tc.prec.String(), func(t *testing.T) {
			job := newJob("himmelblau", "adam", 2, tc.prec)
			land := make([]float64, w*h)
			if err := c.Landscape(&job, -5, 5, -5, 5, w, h, land); err != nil {
				t.Fatal(err)
			}
			img, err := viewer.Render(land, w, h, -5, 5, -5, 5, nil)
			if err != nil {
				t.Fatal(err)
			}
			d, err := viewer.Diff(img, want, 2)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d of %d pixels differ by more than 2 (largest channel difference %d)", tc.prec, d.Differing, d.Total, d.MaxDelta)
			if d.Fraction() > tc.maxFrac {
				t.Errorf("%.3f%% of the pixels differ from the CPU golden picture, over the %.1f%% allowed", 100*d.Fraction(), 100*tc.maxFrac)
			}
		})
	}
}
