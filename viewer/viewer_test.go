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

// TestPaletteReadable: the palette's colours stand out from the panels'
// backgrounds in both themes. WCAG asks a contrast ratio of 3 for graphics: the first
// three colours (the races and plots most drawn) have it; every colour
// but the last (yellow, kept for the tenth series) has 2 at least, which
// Okabe-Ito's orange and sky blue (2.3 on white) need, for 2-pixel lines
// with a legend. The colours are distinct.
func TestPaletteReadable(t *testing.T) {
	for k, c := range Palette {
		want := 3.0
		if k >= 3 {
			want = 2
		}
		if k == len(Palette)-1 {
			continue
		}
		for _, bg := range []color.RGBA{Dark.Plot, Dark.Panel, Light.Plot, Light.Panel} {
			if r := contrast(c, bg); r < want {
				t.Errorf("Palette[%d] %v on %v: contrast %.2f, want >= %g", k, c, bg, r, want)
			}
		}
		for j := range k {
			if Palette[j] == c {
				t.Errorf("Palette[%d] and [%d] are both %v", j, k, c)
			}
		}
	}
}

// relLum is c's relative luminance (WCAG 2, sRGB).
func relLum(c color.RGBA) float64 {
	l := linearRGB(c)
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func contrast(a, b color.RGBA) float64 {
	la, lb := relLum(a), relLum(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func linearRGB(c color.RGBA) [3]float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return [3]float64{ch(c.R), ch(c.G), ch(c.B)}
}

// machado are the matrices of Machado, Oliveira and Fernandes (2009), "A
// physiologically-based model for simulation of color vision deficiency",
// at severity 1 (dichromacy), applied to linear RGB.
var machado = []struct {
	name string
	m    [3][3]float64
}{
	{"normal vision", [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}},
	{"protanopia", [3][3]float64{{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216}, {-0.003882, -0.048116, 1.051998}}},
	{"deuteranopia", [3][3]float64{{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413}, {-0.011820, 0.042940, 0.968881}}},
	{"tritanopia", [3][3]float64{{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602}, {0.004733, 0.691367, 0.303900}}},
}

// seenLab is c as a reader with deficiency m sees it, in CIELAB (D65).
func seenLab(c color.RGBA, m [3][3]float64) [3]float64 {
	l := linearRGB(c)
	var s [3]float64
	for i := range s {
		s[i] = math.Min(1, math.Max(0, m[i][0]*l[0]+m[i][1]*l[1]+m[i][2]*l[2]))
	}
	x := (0.4124*s[0] + 0.3576*s[1] + 0.1805*s[2]) / 0.95047
	y := 0.2126*s[0] + 0.7152*s[1] + 0.0722*s[2]
	z := (0.0193*s[0] + 0.1192*s[1] + 0.9505*s[2]) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	return [3]float64{116*f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))}
}

// deltaE is the CIE76 colour difference of c0 and c1 as seen with m.
func deltaE(c0, c1 color.RGBA, m [3][3]float64) float64 {
	a, b := seenLab(c0, m), seenLab(c1, m)
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

// TestPaletteColourBlind: the palette's first six colours are pairwise
// distinguishable for readers with protanopia, deuteranopia or
// tritanopia (simulated with Machado's matrices) as for everyone else,
// and the first two, which most races and plots are, by far. A CIE76
// difference of about 2.3 is just noticeable between patches side by
// side; lines of a plot, read against a legend, need several times that:
// at least 15 for any pair of the six (Okabe-Ito's least, bluish green
// and sky blue under tritanopia, is 16.1; the old palette's red and
// orange were 7 apart under deuteranopia), and 40 for the first two.
func TestPaletteColourBlind(t *testing.T) {
	const n, minPair, minFirst = 6, 15.0, 40.0
	for _, v := range machado {
		for i := range n {
			for j := range i {
				want := minPair
				if i == 1 {
					want = minFirst
				}
				if d := deltaE(Palette[i], Palette[j], v.m); d < want {
					t.Errorf("%s: Palette[%d] %v and [%d] %v differ by %.1f (CIE76), want >= %g", v.name, j, Palette[j], i, Palette[i], d, want)
				}
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
