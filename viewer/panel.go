package viewer

import (
	"fmt"
	"image"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
)

// Layout of the landscape panel around the landscape itself, in pixels:
// a title line above, the x tick labels and axis name below, the y tick
// labels to the left, the colour bar and its labels to the right.
const (
	barW     = 12 // the colour bar's width
	barRight = 54 // the bar, its gap and its tick labels ("1e-12")
)

// LandscapeRect is where LandscapePanel puts the landscape of a y range
// [y0, y1] in a w x h panel: the caller evaluates the landscape at this
// rectangle's size. The left margin widens for y tick labels wider than
// the usual one ("-1.0005e+03"), up to a third of the panel.
func LandscapeRect(w, h int, y0, y1 float64) image.Rectangle {
	r := image.Rect(leftMargin, plotPad+lineH, w-barRight, h-plotGap-lineH)
	_, labels := axis{lo: y0, hi: y1}.ticks(yTicks(r))
	r.Min.X = min(labelMargin(basicfont.Face7x13, labels), max(w/3, leftMargin))
	return r
}

// yTicks is the most y ticks a landscape of r's height gets: one per 30
// pixels, at least 2.
func yTicks(r image.Rectangle) int { return max(r.Dy()/30, 2) }

// LandscapePanel frames land (a picture Render made at LandscapeRect's
// size, paths drawn on it, of [x0, x1] x [y0, y1]) in a w x h panel: the
// title above, x and y tick labels on the axes ("x0" and "x1", the first
// two parameters), and a colour bar on the right labelled with the decades
// of f - fmin that the colours stand for (sc, from RenderScale), in th's
// colours.
func LandscapePanel(w, h int, land *image.RGBA, sc Scale, x0, x1, y0, y1 float64, title string, th Theme) (*image.RGBA, error) {
	r := LandscapeRect(w, h, y0, y1)
	if land.Rect.Dx() != r.Dx() || land.Rect.Dy() != r.Dy() {
		return nil, fmt.Errorf("viewer: a %dx%d landscape for a %dx%d panel (want %dx%d)", land.Rect.Dx(), land.Rect.Dy(), w, h, r.Dx(), r.Dy())
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(th.Panel), image.Point{}, draw.Src)
	draw.Draw(img, r, land, land.Rect.Min, draw.Src)
	face := basicfont.Face7x13
	ax := axis{lo: x0, hi: x1}
	ay := axis{lo: y0, hi: y1}
	vals, labels := ay.ticks(yTicks(r))
	for i, v := range vals {
		y := int(math.Round(float64(r.Max.Y-1) - ay.t(v)*float64(r.Dy()-1)))
		if y < r.Min.Y || y >= r.Max.Y {
			continue
		}
		for x := r.Min.X - 3; x < r.Min.X; x++ {
			set(img, x, y, th.Text)
		}
		lw := font.MeasureString(face, labels[i]).Ceil()
		text(img, face, max(r.Min.X-5-lw, 1), y+4, th.Text, labels[i])
	}
	vals, labels = ax.ticks(max(r.Dx()/50, 2))
	for i, v := range vals {
		x := int(math.Round(float64(r.Min.X) + ax.t(v)*float64(r.Dx()-1)))
		if x < r.Min.X || x >= r.Max.X {
			continue
		}
		for y := r.Max.Y; y < r.Max.Y+3; y++ {
			set(img, x, y, th.Text)
		}
		lw := font.MeasureString(face, labels[i]).Ceil()
		text(img, face, min(max(x-lw/2, 1), w-1-lw), r.Max.Y+14, th.Text, labels[i])
	}
	text(img, face, r.Max.X-font.MeasureString(face, "x0").Ceil(), r.Max.Y+14+lineH, th.Text, "x0")
	text(img, face, 4, r.Min.Y-4, th.Text, "x1")
	// The title runs from past "x1" to the bar's "f-min": cut by
	// characters, as a title may be one long word (an expression).
	text(img, face, r.Min.X+24, r.Min.Y-4, th.Text, cutText(face, title, r.Dx()-24))

	// The colour bar: viridis from the bottom (the lowest values) up, its
	// ticks at the decades of f - fmin inside the colours' span.
	bar := image.Rect(r.Max.X+8, r.Min.Y, r.Max.X+8+barW, r.Max.Y)
	for y := bar.Min.Y; y < bar.Max.Y; y++ {
		c := Viridis(float64(bar.Max.Y-1-y) / float64(max(bar.Dy()-1, 1)))
		for x := bar.Min.X; x < bar.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	text(img, face, bar.Min.X-2, r.Min.Y-4, th.Text, "f-min")
	if !sc.Ok {
		return img, nil
	}
	// Decades d with ln(10^d + eps) in [Lo, Hi]; at most about one per 30
	// pixels, thinned to every second, fifth or tenth decade.
	dlo, dhi := math.Ceil(sc.Lo/math.Ln10), math.Floor(sc.Hi/math.Ln10)
	every := 1.0
	for _, e := range []float64{1, 2, 5, 10, 20, 50, 100} {
		if every = e; (dhi-dlo+1)/e <= float64(max(bar.Dy()/30, 2)) {
			break
		}
	}
	for d := dlo; d <= dhi; d++ {
		if math.Mod(d, every) != 0 {
			continue
		}
		t := (math.Log(math.Pow(10, d)+sc.Eps) - sc.Lo) / (sc.Hi - sc.Lo)
		if !(t >= 0 && t <= 1) {
			continue
		}
		y := int(math.Round(float64(bar.Max.Y-1) - t*float64(bar.Dy()-1)))
		for x := bar.Max.X; x < bar.Max.X+3; x++ {
			set(img, x, y, th.Text)
		}
		text(img, face, bar.Max.X+5, y+4, th.Text, fmt.Sprintf("1e%d", int(d)))
	}
	return img, nil
}

// cutText is s, or as much of it as fits in width pixels ending in "..";
// "" when not even that fits.
func cutText(face font.Face, s string, width int) string {
	if font.MeasureString(face, s).Ceil() <= width {
		return s
	}
	rs := []rune(s)
	for n := len(rs) - 1; n > 0; n-- {
		if t := string(rs[:n]) + ".."; font.MeasureString(face, t).Ceil() <= width {
			return t
		}
	}
	return ""
}
