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

// LandscapeRect is where LandscapePanel puts the landscape in a w x h
// panel: the caller evaluates the landscape at this rectangle's size.
func LandscapeRect(w, h int) image.Rectangle {
	return image.Rect(leftMargin, plotPad+lineH, w-barRight, h-plotGap-lineH)
}

// LandscapePanel frames land (a picture Render made at LandscapeRect's
// size, paths drawn on it, of [x0, x1] x [y0, y1]) in a w x h panel: the
// title above, x and y tick labels on the axes ("x0" and "x1", the first
// two parameters), and a colour bar on the right labelled with the decades
// of f - fmin that the colours stand for (sc, from RenderScale).
func LandscapePanel(w, h int, land *image.RGBA, sc Scale, x0, x1, y0, y1 float64, title string) (*image.RGBA, error) {
	r := LandscapeRect(w, h)
	if land.Rect.Dx() != r.Dx() || land.Rect.Dy() != r.Dy() {
		return nil, fmt.Errorf("viewer: a %dx%d landscape for a %dx%d panel (want %dx%d)", land.Rect.Dx(), land.Rect.Dy(), w, h, r.Dx(), r.Dy())
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(panelBG), image.Point{}, draw.Src)
	draw.Draw(img, r, land, land.Rect.Min, draw.Src)
	face := basicfont.Face7x13
	ax := axis{lo: x0, hi: x1}
	ay := axis{lo: y0, hi: y1}
	vals, labels := ay.ticks(max(r.Dy()/30, 2))
	for i, v := range vals {
		y := int(math.Round(float64(r.Max.Y-1) - ay.t(v)*float64(r.Dy()-1)))
		if y < r.Min.Y || y >= r.Max.Y {
			continue
		}
		for x := r.Min.X - 3; x < r.Min.X; x++ {
			set(img, x, y, textColor)
		}
		lw := font.MeasureString(face, labels[i]).Ceil()
		text(img, face, max(r.Min.X-5-lw, 1), y+4, textColor, labels[i])
	}
	vals, labels = ax.ticks(max(r.Dx()/50, 2))
	for i, v := range vals {
		x := int(math.Round(float64(r.Min.X) + ax.t(v)*float64(r.Dx()-1)))
		if x < r.Min.X || x >= r.Max.X {
			continue
		}
		for y := r.Max.Y; y < r.Max.Y+3; y++ {
			set(img, x, y, textColor)
		}
		lw := font.MeasureString(face, labels[i]).Ceil()
		text(img, face, min(max(x-lw/2, 1), w-1-lw), r.Max.Y+14, textColor, labels[i])
	}
	text(img, face, r.Max.X-font.MeasureString(face, "x0").Ceil(), r.Max.Y+14+lineH, textColor, "x0")
	text(img, face, 4, r.Min.Y-4, textColor, "x1")
	text(img, face, r.Min.X+24, r.Min.Y-4, textColor, fitText(face, title, r.Dx()-24))

	// The colour bar: viridis from the bottom (the lowest values) up, its
	// ticks at the decades of f - fmin inside the colours' span.
	bar := image.Rect(r.Max.X+8, r.Min.Y, r.Max.X+8+barW, r.Max.Y)
	for y := bar.Min.Y; y < bar.Max.Y; y++ {
		c := Viridis(float64(bar.Max.Y-1-y) / float64(max(bar.Dy()-1, 1)))
		for x := bar.Min.X; x < bar.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	text(img, face, bar.Min.X-2, r.Min.Y-4, textColor, "f-min")
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
			set(img, x, y, textColor)
		}
		text(img, face, bar.Max.X+5, y+4, textColor, fmt.Sprintf("1e%d", int(d)))
	}
	return img, nil
}
