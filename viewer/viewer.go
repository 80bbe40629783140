// Package viewer draws gdgpu view's picture: a two-parameter objective's
// landscape seen from above with descent paths on it (Render, DrawPaths),
// N-D paths projected on their principal plane (Project,
// RenderProjection), and the loss and gradient-norm curves with a status
// line per descent (RenderCurves), side by side (SideBySide), into a PNG
// (WritePNG). It is pure Go (image/png, golang.org/x/image/font/basicfont,
// gonum/mat): no window, no X11, no GL, so the PNG, the frames and the
// live window show the same picture. The landscape itself comes from the
// caller (engine.Context.Landscape on the GPU, or cpu.Loss on a grid).
// The races it draws are built by RaceRequest.Build: one job per racer
// (RacerSpec, ParseRacer's "adam lr=0.05") from a shared gdgpu.JobRequest.
package viewer

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Path is one descent trajectory: the points in order (x, y), the colour
// its polyline, start and end marks are drawn in, and its legend label.
type Path struct {
	Points [][2]float64
	Color  color.RGBA
	Label  string
}

// Palette is the one series palette of gdgpu's figures: view's paths and
// curves (in the window and in PNGs) and plot's and costs' lines; series k
// takes Palette[k % len(Palette)]. Its first six are Okabe and Ito's
// colours for colour-blind readers ("Color Universal Design", 2002), in an
// order that keeps the first two (blue and vermillion) far apart for every
// common colour-vision deficiency (TestPaletteColourBlind), then grey,
// olive and brown for the ten step-based optimizers a race can hold, and
// Okabe-Ito's yellow last: it reads on the dark window but hardly on a
// white page. All are of middle lightness, so they read on both themes
// (Dark, Light; TestPaletteReadable). On a landscape each path is drawn
// over a white casing (DrawPaths): bluish green and blue lie close to
// viridis' own greens and blues.
var Palette = []color.RGBA{
	{0x00, 0x72, 0xb2, 255}, // blue
	{0xd5, 0x5e, 0x00, 255}, // vermillion
	{0x00, 0x9e, 0x73, 255}, // bluish green
	{0xe6, 0x9f, 0x00, 255}, // orange
	{0xcc, 0x79, 0xa7, 255}, // reddish purple
	{0x56, 0xb4, 0xe9, 255}, // sky blue
	{0x99, 0x99, 0x99, 255}, // grey
	{0x99, 0x99, 0x33, 255}, // olive (Paul Tol's)
	{0xa6, 0x76, 0x1d, 255}, // brown (ColorBrewer Dark2's)
	{0xf0, 0xe4, 0x42, 255}, // yellow
}

// viridisStops samples matplotlib's viridis colormap at 10 evenly spaced
// points (matplotlib.cm.viridis(numpy.linspace(0, 1, 10)); the map is by
// Stéfan van der Walt and Nathaniel Smith, CC0, from matplotlib's
// _cm_listed.py). Colours between stops are interpolated linearly in sRGB,
// which stays close to the full 256-entry table.
var viridisStops = [...][3]uint8{
	{0x44, 0x01, 0x54}, {0x48, 0x28, 0x78}, {0x3e, 0x49, 0x89}, {0x31, 0x68, 0x8e}, {0x26, 0x82, 0x8e},
	{0x1f, 0x9e, 0x89}, {0x35, 0xb7, 0x79}, {0x6e, 0xce, 0x58}, {0xb5, 0xde, 0x2b}, {0xfd, 0xe7, 0x25},
}

// Viridis maps t in [0, 1] (clamped; NaN is 1) to the colormap.
func Viridis(t float64) color.RGBA {
	if !(t >= 0) {
		if math.IsNaN(t) {
			t = 1
		} else {
			t = 0
		}
	}
	t = math.Min(t, 1)
	s := t * float64(len(viridisStops)-1)
	k := min(int(s), len(viridisStops)-2)
	u := s - float64(k)
	a, b := viridisStops[k], viridisStops[k+1]
	var c [3]uint8
	for i := range c {
		c[i] = uint8(math.Round(float64(a[i])*(1-u) + float64(b[i])*u))
	}
	return color.RGBA{c[0], c[1], c[2], 255}
}

// isoLevels is the number of iso-lines drawn, evenly spaced in the
// log-scaled value.
const isoLevels = 14

// Render draws the picture: land (len w*h, row py = 0 at y0, as
// engine.Context.Landscape writes it) shown with x to the right and y up,
// coloured by log(f - fmin + eps) through viridis (eps = 1e-9 of the
// landscape's range; the colours span that value's 1st percentile to its
// maximum, lower values clamped to the bottom colour),
// with iso-lines of that value darkened, then each path as a polyline
// with an open square at its start and a filled disc at its end, and a
// legend of the labels in a corner (see DrawPaths). Non-finite values take the top
// colour.
func Render(land []float64, w, h int, x0, x1, y0, y1 float64, paths []Path) (*image.RGBA, error) {
	img, _, err := RenderScale(land, w, h, x0, x1, y0, y1, paths)
	return img, err
}

// Scale is how Render coloured a landscape: a value f took viridis at
// (ln(f - FMin + Eps) - Lo) / (Hi - Lo), clamped to [0, 1]. Ok is false
// when the landscape had no finite value (every pixel took the top
// colour), or one value only.
type Scale struct {
	FMin, Eps, Lo, Hi float64
	Ok                bool
}

// RenderScale is Render, also returning the colour scale it used (for a
// colour bar: LandscapePanel).
func RenderScale(land []float64, w, h int, x0, x1, y0, y1 float64, paths []Path) (*image.RGBA, Scale, error) {
	var sc Scale
	if w < 2 || h < 2 || len(land) != w*h {
		return nil, sc, fmt.Errorf("viewer: landscape of %d values for a %dx%d image", len(land), w, h)
	}
	if !(x1 > x0) || !(y1 > y0) {
		return nil, sc, fmt.Errorf("viewer: empty bounds [%g, %g] x [%g, %g]", x0, x1, y0, y1)
	}
	fmin, fmax := math.Inf(1), math.Inf(-1)
	for _, f := range land {
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			fmin, fmax = math.Min(fmin, f), math.Max(fmax, f)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	level := make([]float64, w*h) // in [0, 1], image row order
	if fmin <= fmax {
		eps := 1e-9*(fmax-fmin) + math.SmallestNonzeroFloat64
		var logs []float64
		for _, f := range land {
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				logs = append(logs, math.Log(f-fmin+eps))
			}
		}
		sort.Float64s(logs)
		// The colours span the 1st percentile to the largest value, so a
		// single pixel at the minimum does not squeeze the rest to the top.
		lo, hi := logs[len(logs)/100], logs[len(logs)-1]
		sc = Scale{FMin: fmin, Eps: eps, Lo: lo, Hi: hi, Ok: hi > lo}
		for r := 0; r < h; r++ {
			py := h - 1 - r
			for px := 0; px < w; px++ {
				f := land[py*w+px]
				t := 1.0
				if !math.IsNaN(f) && !math.IsInf(f, 0) && hi > lo {
					t = (math.Log(f-fmin+eps) - lo) / (hi - lo)
				}
				level[r*w+px] = t
			}
		}
	} else {
		for i := range level {
			level[i] = 1
		}
	}
	for r := 0; r < h; r++ {
		for px := 0; px < w; px++ {
			t := level[r*w+px]
			c := Viridis(t)
			if iso(level, w, h, px, r) {
				c = color.RGBA{c.R * 3 / 5, c.G * 3 / 5, c.B * 3 / 5, 255}
			}
			img.SetRGBA(px, r, c)
		}
	}
	DrawPaths(img, x0, x1, y0, y1, paths)
	return img, sc, nil
}

// DrawPaths draws each path on img, a picture of [x0, x1] x [y0, y1] as
// Render makes it (pixel centre 0 at x0, Dx()-1 at x1; y up), as a
// polyline with an open square at its start and a filled disc at its end,
// each over a white casing a pixel wider all round (so a colour near
// viridis' own, or near an iso-line's, stays visible), then the legend of
// the labels in the corner that hides the fewest path pixels (the top left
// when none does). Render(..., nil) then DrawPaths on a copy draws frames
// without recolouring the landscape.
func DrawPaths(img *image.RGBA, x0, x1, y0, y1 float64, paths []Path) {
	drawPaths(img, x0, x1, y0, y1, paths, casingWhite)
	legend(img, paths, color.RGBA{0, 0, 0, 255}, color.RGBA{255, 255, 255, 255})
}

// casingWhite is the casing of the paths on a landscape.
var casingWhite = color.RGBA{255, 255, 255, 255}

// drawPaths draws the paths as DrawPaths does, each over a casing of
// colour casing, without the legend.
func drawPaths(img *image.RGBA, x0, x1, y0, y1 float64, paths []Path, casing color.RGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	o := img.Rect.Min
	toPix := func(p [2]float64) (float64, float64) {
		return float64(o.X) + (p[0]-x0)/(x1-x0)*float64(w-1), float64(o.Y) + (y1-p[1])/(y1-y0)*float64(h-1)
	}
	// Every casing first, then every path: a casing never hides another
	// path (two races from one start keep both their colours there).
	for _, cased := range []bool{true, false} {
		for _, p := range paths {
			c, grow := p.Color, 0
			if cased {
				c, grow = casing, 1
			}
			for k := 1; k < len(p.Points); k++ {
				ax, ay := toPix(p.Points[k-1])
				bx, by := toPix(p.Points[k])
				thickLine(img, ax, ay, bx, by, c, grow)
			}
			if len(p.Points) > 0 {
				sx, sy := toPix(p.Points[0])
				square(img, sx, sy, 5, c, grow)
				ex, ey := toPix(p.Points[len(p.Points)-1])
				disc(img, ex, ey, 4+grow, c)
			}
		}
	}
}

// iso reports whether pixel (x, r) lies on an iso-line: its level band
// differs from its right or lower neighbour's.
func iso(level []float64, w, h, x, r int) bool {
	band := func(t float64) int { return int(math.Floor(t * isoLevels)) }
	b := band(level[r*w+x])
	return (x+1 < w && band(level[r*w+x+1]) != b) || (r+1 < h && band(level[(r+1)*w+x]) != b)
}

// RenderPNG renders (see Render) and writes the PNG to path atomically: a
// temporary file in the same directory, renamed over path once complete.
func RenderPNG(path string, land []float64, w, h int, x0, x1, y0, y1 float64, paths []Path) error {
	img, err := Render(land, w, h, x0, x1, y0, y1, paths)
	if err != nil {
		return err
	}
	return writeAtomic(path, img)
}

func writeAtomic(path string, img image.Image) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("viewer: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o644); err != nil { // CreateTemp makes 0600
		return fmt.Errorf("viewer: %w", err)
	}
	bw := bufio.NewWriter(tmp)
	if err = png.Encode(bw, img); err != nil {
		return fmt.Errorf("viewer: encoding %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("viewer: writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("viewer: writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("viewer: writing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("viewer: %w", err)
	}
	return nil
}

// set paints a pixel if it is inside the image.
func set(img *image.RGBA, x, y int, c color.RGBA) {
	if image.Pt(x, y).In(img.Rect) {
		img.SetRGBA(x, y, c)
	}
}

// line draws a segment two pixels wide by stepping along its longer axis.
// The segment is first clipped to the image grown by a 2-pixel margin
// (Liang-Barsky), so a diverging path is drawn up to the edge it leaves
// by, and a point however far out costs no more than the image's width.
// A segment with a non-finite end is not drawn.
func line(img *image.RGBA, ax, ay, bx, by float64, c color.RGBA) {
	thickLine(img, ax, ay, bx, by, c, 0)
}

// thickLine is line grown by grow pixels on every side (a casing).
func thickLine(img *image.RGBA, ax, ay, bx, by float64, c color.RGBA, grow int) {
	if !finite(ax, ay, bx, by) {
		return
	}
	r := img.Rect
	var ok bool
	if ax, ay, bx, by, ok = clip(ax, ay, bx, by, float64(r.Min.X-2), float64(r.Min.Y-2), float64(r.Max.X+1), float64(r.Max.Y+1)); !ok {
		return
	}
	n := int(math.Ceil(math.Max(math.Abs(bx-ax), math.Abs(by-ay))))
	for s := 0; s <= n; s++ {
		u := 0.0
		if n > 0 {
			u = float64(s) / float64(n)
		}
		x := int(math.Round(ax + (bx-ax)*u))
		y := int(math.Round(ay + (by-ay)*u))
		if grow == 0 {
			set(img, x, y, c)
			set(img, x+1, y, c)
			set(img, x, y+1, c)
			continue
		}
		for dy := -grow; dy <= 1+grow; dy++ {
			for dx := -grow; dx <= 1+grow; dx++ {
				set(img, x+dx, y+dy, c)
			}
		}
	}
}

// clip clips the segment (ax, ay)-(bx, by) to [x0, x1] x [y0, y1]
// (Liang-Barsky), reporting false when nothing of it is inside. The
// parameters are computed in float64 from the differences, which stay
// finite for finite ends below 1e308.
func clip(ax, ay, bx, by, x0, y0, x1, y1 float64) (float64, float64, float64, float64, bool) {
	dx, dy := bx-ax, by-ay
	if !finite(dx, dy) { // ends of opposite signs near the float64 limit
		ax, ay, bx, by = ax/2, ay/2, bx/2, by/2
		x0, y0, x1, y1 = x0/2, y0/2, x1/2, y1/2
		qx0, qy0, qx1, qy1, ok := clip(ax, ay, bx, by, x0, y0, x1, y1)
		return 2 * qx0, 2 * qy0, 2 * qx1, 2 * qy1, ok
	}
	t0, t1 := 0.0, 1.0
	for _, e := range [4][2]float64{{-dx, ax - x0}, {dx, x1 - ax}, {-dy, ay - y0}, {dy, y1 - ay}} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return 0, 0, 0, 0, false
			}
			continue
		}
		u := q / p
		if p < 0 {
			t0 = math.Max(t0, u)
		} else {
			t1 = math.Min(t1, u)
		}
	}
	if t0 > t1 {
		return 0, 0, 0, 0, false
	}
	return ax + t0*dx, ay + t0*dy, ax + t1*dx, ay + t1*dy, true
}

// square draws an open square of half-side r with a 2-pixel outline,
// grown by grow pixels on each side of the outline (a casing).
func square(img *image.RGBA, cx, cy float64, r int, c color.RGBA, grow int) {
	if !finite(cx, cy) || math.Abs(cx) > 1e5 || math.Abs(cy) > 1e5 {
		return
	}
	x0, y0 := int(math.Round(cx)), int(math.Round(cy))
	var ts []int
	for t := -r - grow; t <= -r+1+grow; t++ {
		ts = append(ts, t, -t)
	}
	for d := -r - grow; d <= r+grow; d++ {
		for _, t := range ts {
			set(img, x0+d, y0+t, c)
			set(img, x0+t, y0+d, c)
		}
	}
}

func disc(img *image.RGBA, cx, cy float64, r int, c color.RGBA) {
	if !finite(cx, cy) || math.Abs(cx) > 1e5 || math.Abs(cy) > 1e5 {
		return
	}
	x0, y0 := int(math.Round(cx)), int(math.Round(cy))
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if dx*dx+dy*dy <= r*r {
				set(img, x0+dx, y0+dy, c)
			}
		}
	}
}

func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// legend draws the labels on a translucent box of colour bg (alpha 160 of
// 255: the picture shows through), in colour fg, each after a short bar in
// its path's colour, in the corner of img's bounds that hides the fewest
// pixels of the paths already drawn (the top left when it hides none, or
// on a tie). On a landscape the box is black and the text white, in
// either theme: it sits on viridis.
func legend(img *image.RGBA, paths []Path, bg, fg color.RGBA) {
	if len(paths) == 0 {
		return
	}
	face := basicfont.Face7x13
	const pad, bar, legendLineH = 6, 18, 16
	width := 0
	for _, p := range paths {
		width = max(width, font.MeasureString(face, p.Label).Ceil())
	}
	bw, bh := pad*3+bar+width, pad*2+legendLineH*len(paths)
	r := img.Rect
	var box image.Rectangle
	best := -1
	for _, c := range []image.Point{
		{r.Min.X + 4, r.Min.Y + 4}, {r.Max.X - 4 - bw, r.Min.Y + 4},
		{r.Min.X + 4, r.Max.Y - 4 - bh}, {r.Max.X - 4 - bw, r.Max.Y - 4 - bh},
	} {
		b := image.Rectangle{c, c.Add(image.Pt(bw, bh))}
		hidden := 0
		for y := max(b.Min.Y, r.Min.Y); y < min(b.Max.Y, r.Max.Y); y++ {
			for x := max(b.Min.X, r.Min.X); x < min(b.Max.X, r.Max.X); x++ {
				px := img.RGBAAt(x, y)
				for _, p := range paths {
					if px == p.Color {
						hidden++
						break
					}
				}
			}
		}
		if best < 0 || hidden < best {
			box, best = b, hidden
		}
		if best == 0 {
			break
		}
	}
	draw.Draw(img, box, image.NewUniform(color.NRGBA{bg.R, bg.G, bg.B, 160}), image.Point{}, draw.Over)
	d := font.Drawer{Dst: img, Src: image.NewUniform(fg), Face: face}
	for k, p := range paths {
		y := box.Min.Y + pad + legendLineH*k + legendLineH/2
		for x := box.Min.X + pad; x < box.Min.X+pad+bar; x++ {
			for dy := -1; dy <= 1; dy++ {
				set(img, x, y+dy, p.Color)
			}
		}
		d.Dot = fixed.P(box.Min.X+2*pad+bar, y+4)
		d.DrawString(p.Label)
	}
}
