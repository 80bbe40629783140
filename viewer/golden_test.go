package viewer

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/basicfont"
)

// update rewrites the golden pictures: go test -tags egl ./viewer -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata/golden")

// Golden tolerance. Every golden picture here is computed in float64 in
// pure Go and drawn with a bitmap font, so on one architecture it is the
// same bits run after run. Elsewhere the compiler may fuse a multiply-add
// (arm64, ppc64le, s390x do; amd64 does not), which can move a value across
// a colour's rounding (a channel off by 1) or an iso-line band (a pixel
// darkened or not) for a few pixels. So: a channel may differ by 2, and at
// most 0.2% of the pixels by more. That drift hits a pixel only where a
// value sits within an ulp of a boundary, so the pixels it moves are
// scattered; a material change that is small in pixels (a digit of a
// status line is about 20, an end mark a pixel smaller 20) is a compact
// patch. So also: at most goldenMaxCluster differing pixels in any 8x8
// window (TestGoldenCatchesSmallChanges holds both cases).
const (
	goldenTol        = 2
	goldenMaxFrac    = 0.002
	goldenMaxCluster = 4
)

// goldenDiffers reports whether a comparison with a golden picture fails.
func goldenDiffers(d DiffStats) bool {
	return d.Fraction() > goldenMaxFrac || d.Clustered > goldenMaxCluster
}

// checkGolden compares img with testdata/golden/name.png, or rewrites that
// file under -update. On a mismatch it saves what it drew next to the
// system's temporary files and names it.
func checkGolden(t *testing.T, name string, img image.Image) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".png")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WritePNG(path, img); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -tags egl ./viewer -run Golden -update to make it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	d, err := Diff(img, want, goldenTol)
	if err != nil {
		t.Fatal(err)
	}
	if goldenDiffers(d) {
		got, _ := os.CreateTemp("", "gdgpu-"+name+"-*.png")
		if got != nil {
			got.Close()
			WritePNG(got.Name(), img)
		}
		t.Errorf("%s: %d of %d pixels (%.3f%%) differ by more than %d (largest %d), %d of them in one %dx%d window; at most %.1f%% and %d in a window are allowed; got: %v",
			path, d.Differing, d.Total, 100*d.Fraction(), goldenTol, d.MaxDelta, d.Clustered, ClusterSize, ClusterSize, 100*goldenMaxFrac, goldenMaxCluster, got.Name())
	}
}

// himmelblau is f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 and its gradient.
func himmelblau(x, y float64) (f, gx, gy float64) {
	a, b := x*x+y-11, x+y*y-7
	return a*a + b*b, 4*x*a + 2*b, 2*a + 4*y*b
}

// himmelblauGrid evaluates himmelblau on Render's grid over [-5, 5]^2.
func himmelblauGrid(w, h int) []float64 {
	land := make([]float64, w*h)
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			x, y := -5+10*float64(px)/float64(w-1), -5+10*float64(py)/float64(h-1)
			land[py*w+px], _, _ = himmelblau(x, y)
		}
	}
	return land
}

// descend runs plain gradient descent on himmelblau from (x, y) for steps
// steps, recording every 5th point and its loss and gradient norm.
func descend(x, y, lr float64, steps int) (pts [][2]float64, s Series) {
	for k := 0; ; k++ {
		f, gx, gy := himmelblau(x, y)
		if k%5 == 0 || k == steps {
			pts = append(pts, [2]float64{x, y})
			s.Steps = append(s.Steps, k)
			s.Loss = append(s.Loss, f)
			s.GradNorm = append(s.GradNorm, math.Hypot(gx, gy))
		}
		if k == steps {
			return pts, s
		}
		x, y = x-lr*gx, y-lr*gy
	}
}

// goldenScene is himmelblau with two gradient descents (different rates,
// from (0, 0) and (-1, -4)) and their curves, at 320x240 per panel.
func goldenScene(t *testing.T) (land, curves *image.RGBA, paths []Path, series []Series) {
	const w, h = 320, 240
	// 60 steps keep both losses far above float64's floor, where rounding
	// (and so the architecture) would decide the curve's last pixels.
	starts := [][3]float64{{0, 0, 0.01}, {-1, -4, 0.004}}
	for k, st := range starts {
		pts, s := descend(st[0], st[1], st[2], 60)
		s.Label, s.Color = fmt.Sprintf("gd lr %g", st[2]), Palette[k]
		last := len(s.Steps) - 1
		// A fixed speed: a measured one would change the picture every run.
		s.Status = StatusLine("gd", s.Steps[last], s.Loss[last], st[2], 1000, "StepLimit")
		series = append(series, s)
		paths = append(paths, Path{Points: pts, Color: Palette[k], Label: s.Label})
	}
	var err error
	if land, err = Render(himmelblauGrid(w, h), w, h, -5, 5, -5, 5, paths); err != nil {
		t.Fatal(err)
	}
	if curves, err = RenderCurves(w, h, series, Light); err != nil {
		t.Fatal(err)
	}
	return land, curves, paths, series
}

// TestGoldenLandscape: himmelblau's landscape alone, the picture the GPU
// golden test in the engine package compares its own landscape with.
func TestGoldenLandscape(t *testing.T) {
	const w, h = 320, 240
	img, err := Render(himmelblauGrid(w, h), w, h, -5, 5, -5, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "himmelblau-landscape", img)
	// The four minima (f = 0) are in the lowest colour.
	for _, m := range [][2]float64{{3, 2}, {-2.805118, 3.131312}, {-3.779310, -3.283186}, {3.584428, -1.848126}} {
		px, py := int(math.Round((m[0]+5)/10*(w-1))), int(math.Round((5-m[1])/10*(h-1)))
		// An iso-line may pass through it: the bottom colour darkened.
		low, dark := Viridis(0), Viridis(0)
		dark.R, dark.G, dark.B = low.R*3/5, low.G*3/5, low.B*3/5
		if got := img.RGBAAt(px, py); got != low && got != dark {
			t.Errorf("minimum %v at pixel (%d, %d): %v, want viridis(0) %v (or %v on an iso-line)", m, px, py, got, low, dark)
		}
	}
	// The local maximum (-0.270845, -0.923039), f = 181.617, is brighter
	// than every minimum's surroundings.
	if got := img.RGBAAt(int(math.Round(4.729155/10*(w-1))), int(math.Round(5.923039/10*(h-1)))); lum(got) < lum(Viridis(0.5)) {
		t.Errorf("local maximum: %v, want brighter than viridis(0.5)", got)
	}
}

// TestGoldenView: the landscape with two descents beside their curves,
// with the pixel checks that matter (gdgpu view frames the landscape with
// its axes and colour bar: TestGoldenLandscapePanel).
func TestGoldenView(t *testing.T) {
	land, curves, paths, series := goldenScene(t)
	img := SideBySide(land, curves, Light)
	checkGolden(t, "himmelblau-view", img)

	// Each path's colour lies on its points (away from the legend): the
	// marks at start and end, and the polyline at a middle point.
	for k, p := range paths {
		for _, i := range []int{len(p.Points) / 2, len(p.Points) - 1} {
			q := p.Points[i]
			px, py := int(math.Round((q[0]+5)/10*319)), int(math.Round((5-q[1])/10*239))
			if got := img.RGBAAt(px, py); got != p.Color {
				t.Errorf("path %d point %d %v at pixel (%d, %d): %v, want %v", k, i, q, px, py, got, p.Color)
			}
		}
	}
	// Both losses fall: in the loss plot each curve's pixels, column by
	// column left to right, never climb (rows grow downwards).
	for k, s := range series {
		if s.Loss[len(s.Loss)-1] >= s.Loss[0] {
			t.Fatalf("series %d does not fall: %g to %g", k, s.Loss[0], s.Loss[len(s.Loss)-1])
		}
		// The loss plot's rectangle, as RenderCurves lays it out.
		top := plotPad + lineH*len(series) + 4
		loss := image.Rect(320+leftMargin, top+lineH, 640-plotPad-4, top+(240-top-2*plotGap)/2)
		checkFalling(t, img, loss, s.Color)
	}
}

// checkFalling finds, in each column of r, the topmost pixel of colour c
// and requires those rows to be non-decreasing from left to right, over at
// least half of r's columns.
func checkFalling(t *testing.T, img *image.RGBA, r image.Rectangle, c color.RGBA) {
	t.Helper()
	prev, cols := -1, 0
	for x := r.Min.X; x < r.Max.X; x++ {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			if img.RGBAAt(x, y) == c {
				// The polyline is 2 pixels thick: a step of one row back is its thickness.
				if y < prev-1 {
					t.Errorf("curve %v climbs at column %d: row %d after %d", c, x, y, prev)
					return
				}
				prev = max(prev, y)
				cols++
				break
			}
		}
	}
	if cols < r.Dx()/2 {
		t.Errorf("curve %v found in %d of %d columns", c, cols, r.Dx())
	}
}

func lum(c color.RGBA) float64 {
	return 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
}

// TestGoldenProjection: three 12-D trajectories (spirals into the origin
// along different planes) projected beside their curves.
func TestGoldenProjection(t *testing.T) {
	var trajs [][][]float64
	var series []Series
	for k := 0; k < 3; k++ {
		var tr [][]float64
		s := Series{Label: "spiral", Color: Palette[k]}
		for i := 0; i <= 60; i++ {
			p := make([]float64, 12)
			r := 3 * math.Exp(-0.04*float64(i*(k+1)))
			for j := range p {
				p[j] = r * math.Cos(0.15*float64(i)+float64(j+k))
			}
			tr = append(tr, p)
			s.Steps = append(s.Steps, 10*i)
			s.Loss = append(s.Loss, r*r)
			s.GradNorm = append(s.GradNorm, 2*r)
		}
		s.Status = StatusLine("spiral", 600, s.Loss[60], math.NaN(), 2500, "StepLimit")
		trajs = append(trajs, tr)
		series = append(series, s)
	}
	pr, err := Project(trajs)
	if err != nil {
		t.Fatal(err)
	}
	paths := make([]Path, 3)
	for k := range paths {
		paths[k] = Path{Points: pr.Paths[k], Color: Palette[k], Label: "spiral"}
	}
	left, err := RenderProjection(320, 240, paths, "PC1", "PC2", nil, Dark)
	if err != nil {
		t.Fatal(err)
	}
	right, err := RenderCurves(320, 240, series, Dark)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "projection-view", SideBySide(left, right, Dark))
}

// TestGoldenCatchesSmallChanges: the golden comparison fails on changes
// that are small in pixels but material (a digit of a status line, an end
// mark a pixel smaller) and passes on the rounding noise its tolerance is
// for (isolated pixels, under the allowed fraction).
func TestGoldenCatchesSmallChanges(t *testing.T) {
	land, curves, paths, series := goldenScene(t)
	want := SideBySide(land, curves, Light)

	series[0].Status = StatusLine("gd", 61, series[0].Loss[len(series[0].Loss)-1], 0.01, 1000, "StepLimit") // one digit
	text, err := RenderCurves(320, 240, series, Light)
	if err != nil {
		t.Fatal(err)
	}
	mark := image.NewRGBA(land.Rect)
	draw.Draw(mark, mark.Rect, land, image.Point{}, draw.Src)
	end := paths[1].Points[len(paths[1].Points)-1]
	ex, ey := (end[0]+5)/10*319, (5-end[1])/10*239
	disc(mark, ex, ey, 4, Viridis(0.5)) // the end mark, one pixel smaller
	disc(mark, ex, ey, 3, paths[1].Color)

	noise := image.NewRGBA(want.Rect)
	draw.Draw(noise, noise.Rect, want, image.Point{}, draw.Src)
	n := 0
	for y := 3; y < 240 && n < 300; y += 9 {
		for x := 5; x < 640 && n < 300; x += 11 {
			c := noise.RGBAAt(x, y)
			c.G ^= 0x40
			noise.SetRGBA(x, y, c)
			n++
		}
	}
	for _, tc := range []struct {
		name string
		img  image.Image
		fail bool
	}{
		{"status digit", SideBySide(land, text, Light), true},
		{"end mark", SideBySide(mark, curves, Light), true},
		{"scattered noise", noise, false},
	} {
		d, err := Diff(tc.img, want, goldenTol)
		if err != nil {
			t.Fatal(err)
		}
		if d.Differing == 0 {
			t.Fatalf("%s: no pixel changed", tc.name)
		}
		if got := goldenDiffers(d); got != tc.fail {
			t.Errorf("%s: %d pixels (%.3f%%) differ, %d in one %dx%d window: golden comparison fails %v, want %v",
				tc.name, d.Differing, 100*d.Fraction(), d.Clustered, ClusterSize, ClusterSize, got, tc.fail)
		}
	}
}

// TestGoldenLandscapePanel: the landscape framed as gdgpu view draws it,
// with the two descents: the title, the x and y ticks and the colour bar,
// whose bottom and top are viridis' ends; a landscape of the wrong size
// is refused.
func TestGoldenLandscapePanel(t *testing.T) {
	const w, h = 320, 240
	r := LandscapeRect(w, h, -5, 5)
	_, _, paths, _ := goldenScene(t)
	land, sc, err := RenderScale(himmelblauGrid(r.Dx(), r.Dy()), r.Dx(), r.Dy(), -5, 5, -5, 5, paths)
	if err != nil {
		t.Fatal(err)
	}
	img, err := LandscapePanel(w, h, land, sc, -5, 5, -5, 5, "himmelblau, N = 2", Light)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "himmelblau-panel", img)
	if !sc.Ok || !(sc.Hi > sc.Lo) {
		t.Errorf("scale %+v", sc)
	}
	bx := r.Max.X + 8 + barW/2
	if got := img.RGBAAt(bx, r.Max.Y-1); got != Viridis(0) {
		t.Errorf("colour bar bottom %v, want viridis(0) %v", got, Viridis(0))
	}
	if got := img.RGBAAt(bx, r.Min.Y); got != Viridis(1) {
		t.Errorf("colour bar top %v, want viridis(1) %v", got, Viridis(1))
	}
	// The landscape is placed as it was drawn.
	if img.RGBAAt(r.Min.X+10, r.Min.Y+10) != land.RGBAAt(10, 10) {
		t.Error("the landscape is not at LandscapeRect")
	}
	if _, err := LandscapePanel(w, h, land, sc, -5, 5, -5, 5, "x", Dark); err != nil {
		t.Fatal(err)
	}
	if _, err := LandscapePanel(w+10, h, land, sc, -5, 5, -5, 5, "x", Dark); err == nil || !strings.HasPrefix(err.Error(), "viewer: ") {
		t.Errorf("wrong size: %v", err)
	}
}

// TestLandscapePanelFrame: a y range far from zero and narrow (labels
// such as "-1000.375") widens the left margin so that every label is drawn
// whole, each label reads differently from its neighbours, and a long
// title stops before the colour bar's "f-min" at any width.
func TestLandscapePanelFrame(t *testing.T) {
	face := basicfont.Face7x13
	const y0, y1 = -1000.5, -1000.25
	for _, w := range []int{200, 320, 640} {
		const h = 240
		r := LandscapeRect(w, h, y0, y1)
		_, labels := axis{lo: y0, hi: y1}.ticks(yTicks(r))
		for i := 1; i < len(labels); i++ {
			if labels[i] == labels[i-1] {
				t.Errorf("w=%d: neighbouring y labels both read %q: %q", w, labels[i], labels)
			}
		}
		if m := labelMargin(face, labels); r.Min.X < min(m, w/3) {
			t.Errorf("w=%d: landscape at x=%d, the labels %q need %d", w, r.Min.X, labels, m)
		}
		land := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
		title := strings.Repeat("sum(100*(x[i+1]-x[i]^2)^2+(1-x[i])^2)", 3)
		img, err := LandscapePanel(w, h, land, Scale{}, -1, 1, y0, y1, title, Dark)
		if err != nil {
			t.Fatal(err)
		}
		// Every pixel the title adds lies above the landscape and left of
		// the bar's label "f-min" (the same panel without a title).
		bare, err := LandscapePanel(w, h, land, Scale{}, -1, 1, y0, y1, "", Dark)
		if err != nil {
			t.Fatal(err)
		}
		fmin, drawn := r.Max.X+8-2, 0
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if img.RGBAAt(x, y) == bare.RGBAAt(x, y) {
					continue
				}
				drawn++
				if x >= fmin || y >= r.Min.Y {
					t.Fatalf("w=%d: the title draws at (%d, %d), past the bar's label at x=%d or into the landscape", w, x, y, fmin)
				}
			}
		}
		if drawn == 0 {
			t.Errorf("w=%d: no title drawn", w)
		}
		cut := cutText(face, title, r.Dx()-24)
		if !strings.HasSuffix(cut, "..") || !strings.HasPrefix(title, strings.TrimSuffix(cut, "..")) {
			t.Errorf("w=%d: title cut to %q", w, cut)
		}
	}
	if got := cutText(face, "short", 200); got != "short" {
		t.Errorf("cutText of a title that fits: %q", got)
	}
	if got := cutText(face, "abcdef", 5); got != "" {
		t.Errorf("cutText into 5 pixels: %q, want nothing", got)
	}
}
