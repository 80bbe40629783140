package viewer

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestRenderBowl draws f = x^2 + y^2 on [-1, 1]^2 with one path and checks
// the centre is the bottom colour, a corner the top, and the path's start
// and end marks are in its colour; RenderPNG writes a decodable file.
func TestRenderBowl(t *testing.T) {
	const w, h = 101, 81
	land := make([]float64, w*h)
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			x, y := -1+2*float64(px)/(w-1), -1+2*float64(py)/(h-1)
			land[py*w+px] = x*x + y*y
		}
	}
	red := Palette[0]
	paths := []Path{{Points: [][2]float64{{0.5, -0.5}, {0, 0}}, Color: red, Label: "a"}}
	img, err := Render(land, w, h, -1, 1, -1, 1, paths)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.RGBAAt(w-1, h-1); got != Viridis(1) {
		t.Errorf("corner %v, want viridis(1) %v", got, Viridis(1))
	}
	// (0.5, -0.5) is pixel (75, 60): the start square is hollow, its ring
	// 5 pixels out is red (the top-left corner is under the legend).
	if got := img.RGBAAt(75+5, 60); got != red {
		t.Errorf("start mark's ring: %v, want %v", got, red)
	}
	if got := img.RGBAAt(50, 40); got != red {
		t.Errorf("end mark at the centre: %v, want %v", got, red)
	}
	if got := img.RGBAAt(50, 40+10); got.R > 100 || got.G > 100 {
		t.Errorf("near the minimum, below the end mark: %v, want a dark low colour", got)
	}
	path := filepath.Join(t.TempDir(), "b.png")
	if err := RenderPNG(path, land, w, h, -1, 1, -1, 1, paths); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
	if _, err := Render(land[:10], w, h, -1, 1, -1, 1, nil); err == nil {
		t.Error("short landscape: no error")
	}
}
