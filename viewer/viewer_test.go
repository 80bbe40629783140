package viewer

import (
	"image"
	"image/color"
	"image/png"
	"math"
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

// TestDrawPathsClipsLeavingSegments: a diverging path's segment from
// inside the picture to a point far outside it is drawn up to the edge,
// however far the point is, so the picture shows where the path left.
func TestDrawPathsClipsLeavingSegments(t *testing.T) {
	red := Palette[0]
	for _, far := range []float64{1e3, 1e9, 1e300} {
		img := image.NewRGBA(image.Rect(0, 0, 101, 101))
		// From the centre, to the right and far out of [0, 1]^2.
		DrawPaths(img, 0, 1, 0, 1, []Path{{Points: [][2]float64{{0.5, 0.5}, {far, 0.5}}, Color: red}})
		for x := 55; x <= 100; x++ {
			if got := img.RGBAAt(x, 50); got != red {
				t.Errorf("far %g: pixel (%d, 50) on the segment: %v, want %v", far, x, got, red)
				break
			}
		}
	}
}

// TestPaletteReadable: every path colour stands out from the curves
// panel's backgrounds and the legend's dark box (WCAG contrast ratio at
// least 3, the minimum for graphics), and the colours are distinct.
func TestPaletteReadable(t *testing.T) {
	lumin := func(c color.RGBA) float64 {
		ch := func(v uint8) float64 {
			s := float64(v) / 255
			if s <= 0.04045 {
				return s / 12.92
			}
			return math.Pow((s+0.055)/1.055, 2.4)
		}
		return 0.2126*ch(c.R) + 0.7152*ch(c.G) + 0.0722*ch(c.B)
	}
	contrast := func(a, b color.RGBA) float64 {
		la, lb := lumin(a), lumin(b)
		return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
	}
	for k, c := range Palette {
		for _, bg := range []color.RGBA{plotBG, panelBG} {
			if r := contrast(c, bg); r < 3 {
				t.Errorf("Palette[%d] %v on %v: contrast %.2f, want >= 3", k, c, bg, r)
			}
		}
		for j := range k {
			if Palette[j] == c {
				t.Errorf("Palette[%d] and [%d] are both %v", j, k, c)
			}
		}
	}
}

// TestLegendAvoidsPaths: the legend goes to the corner of the picture
// that hides the least of the paths, not always over the top left.
func TestLegendAvoidsPaths(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 200, 160))
	red := Palette[0]
	// A path through the top left corner, where the legend used to go.
	p := Path{Points: [][2]float64{{0.02, 0.98}, {0.3, 0.8}}, Color: red, Label: "a path through the top left"}
	DrawPaths(img, 0, 1, 0, 1, []Path{p})
	// Along its segment, the path is in its colour, not under the box.
	for k := 1; k < 10; k++ {
		u := float64(k) / 10
		qx, qy := 0.02+0.28*u, 0.98-0.18*u
		x, y := int(math.Round(qx*199)), int(math.Round((1-qy)*159))
		found := false
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				found = found || img.RGBAAt(x+dx, y+dy) == red
			}
		}
		if !found {
			t.Errorf("the path at pixel (%d, %d) is hidden: %v, want %v", x, y, img.RGBAAt(x, y), red)
		}
	}
	n := 0 // the legend's box is somewhere: dark translucent pixels over the empty picture
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] == 160 {
			n++
		}
	}
	if n == 0 {
		t.Error("no legend drawn")
	}
}
