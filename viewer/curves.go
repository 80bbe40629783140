package viewer

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Series is one descent's samples for the curves panel: the loss and the
// gradient norm at each sampled step, drawn in Color, with a status line
// (see StatusLine) printed above the plots in the same colour.
type Series struct {
	Label    string
	Color    color.RGBA
	Steps    []int
	Loss     []float64
	GradNorm []float64
	Status   string
}

// StatusLine formats the text line the curves panel prints for a descent:
// its label, step, loss, learning rate, speed and status (e.g. StepLimit,
// or "running"). A NaN lr (the gonum methods have none) prints as "-".
func StatusLine(label string, step int, loss, lr, stepsPerSec float64, status string) string {
	lrs := "-"
	if !math.IsNaN(lr) {
		lrs = strconv.FormatFloat(lr, 'g', 3, 64)
	}
	return fmt.Sprintf("%s: step %d  loss %.4g  lr %s  %.0f steps/s  %s", label, step, loss, lrs, stepsPerSec, status)
}

// Theme is the colours of the panels around view's pictures: their
// background, under the status lines and labels (Panel), a plot's inside
// (Plot), its grid lines and the text. Palette's colours read on both
// themes (TestPaletteReadable).
type Theme struct {
	Panel, Plot, Grid, Text color.RGBA
}

var (
	// Dark is the live window's theme: dark greys, on which Palette's
	// first colour, blue, keeps a contrast ratio of 3.
	Dark = Theme{
		Panel: color.RGBA{34, 34, 40, 255},
		Plot:  color.RGBA{24, 24, 28, 255},
		Grid:  color.RGBA{70, 70, 82, 255},
		Text:  color.RGBA{220, 220, 220, 255},
	}
	// Light is the theme of pictures written to files (view --png and
	// --frames), as plot and costs draw theirs: white plots on a
	// near-white panel, near-black text.
	Light = Theme{
		Panel: color.RGBA{246, 246, 246, 255},
		Plot:  color.RGBA{255, 255, 255, 255},
		Grid:  color.RGBA{214, 214, 214, 255},
		Text:  color.RGBA{25, 25, 25, 255},
	}
)

// Layout of the curves panel, in pixels. basicfont's 7x13 face is used
// throughout: it is a bitmap, so text renders the same bits everywhere,
// which the golden-image tests rely on.
const (
	lineH      = 15 // text line height
	leftMargin = 52 // room for tick labels such as "1e-12"
	plotGap    = 22 // between the two plots: the upper one's step labels
	plotPad    = 6
)

// RenderCurves draws the curves panel, w x h pixels: one status line per
// series at the top (shortened to the panel's width, keeping its last
// word, the status: see fitText), then the loss (upper plot) and the gradient norm
// (lower plot) against the step, one polyline per series in its colour.
// Each plot is on a log scale, with decades labelled, when no finite
// value in it is negative; a value of exactly 0 (a loss that reached its
// minimum) is drawn on the axis's floor, the decade below its smallest
// positive value, and the title says so. A negative value puts the plot
// on a linear scale, and its title says that. Non-finite values
// break the polyline; a value with neither neighbour drawable is a dot,
// on top of the lines. th gives the background, grid and text colours.
func RenderCurves(w, h int, series []Series, th Theme) (*image.RGBA, error) {
	top := plotPad + lineH*len(series) + 4
	if mw, mh := MinPanel(len(series), false); w < mw || h < mh {
		return nil, fmt.Errorf("viewer: a %dx%d curves panel is too small for %d series", w, h, len(series))
	}
	for _, s := range series {
		if len(s.Loss) != len(s.Steps) || len(s.GradNorm) != len(s.Steps) {
			return nil, fmt.Errorf("viewer: series %q has %d steps, %d losses and %d gradient norms", s.Label, len(s.Steps), len(s.Loss), len(s.GradNorm))
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(th.Panel), image.Point{}, draw.Src)
	face := basicfont.Face7x13
	for k, s := range series {
		text(img, face, plotPad, plotPad+lineH*k+11, s.Color, fitText(face, s.Status, w-2*plotPad))
	}
	maxStep := 1
	for _, s := range series {
		for _, st := range s.Steps {
			maxStep = max(maxStep, st)
		}
	}
	plotH := (h - top - 2*plotGap) / 2
	r1 := image.Rect(leftMargin, top+lineH, w-plotPad-4, top+plotH)
	r2 := image.Rect(leftMargin, top+plotH+plotGap+lineH, w-plotPad-4, h-plotGap)
	// A tick label wider than the margin ("-2.41e+38") widens it, for
	// both plots, whose steps line up.
	var labels []string
	for _, p := range []struct {
		r    image.Rectangle
		pick func(Series) []float64
	}{{r1, func(s Series) []float64 { return s.Loss }}, {r2, func(s Series) []float64 { return s.GradNorm }}} {
		var all []float64
		for _, s := range series {
			all = append(all, p.pick(s)...)
		}
		_, l := valueAxis(all).ticks(max(p.r.Dy()/22, 2))
		labels = append(labels, l...)
	}
	r1.Min.X = min(labelMargin(face, labels), w/3)
	r2.Min.X = r1.Min.X
	pick := func(s Series) []float64 { return s.Loss }
	plot(img, face, r1, "loss", series, pick, maxStep, th)
	pick = func(s Series) []float64 { return s.GradNorm }
	plot(img, face, r2, "gradient norm", series, pick, maxStep, th)
	return img, nil
}

// MinPanel is the smallest panel RenderCurves draws with n status lines:
// 4 tick-label margins wide, and as high as the status lines and two
// plots of 40 pixels with their gaps. With projection, RenderProjection
// draws it too: then it is at least as high as it is wide.
func MinPanel(n int, projection bool) (w, h int) {
	w, h = 4*leftMargin, plotPad+lineH*n+4+2*(plotGap+40)
	if projection {
		h = max(h, 4*leftMargin)
	}
	return w, h
}

// axis maps values to pixel rows of a plot: log10 or linear between lo and hi.
type axis struct {
	log    bool
	lo, hi float64 // in log10 units when log
	zeros  bool    // log: some values are 0, drawn at lo
}

func (a axis) t(v float64) float64 {
	if a.log {
		if v <= 0 {
			return 0 // the floor
		}
		v = math.Log10(v)
	}
	return (v/2 - a.lo/2) / (a.hi/2 - a.lo/2) // halves: no overflow at float64's limits
}

// valueAxis chooses the scale of one plot from its finite values: log when
// all are positive. An empty or constant range is widened so the axis
// stays well defined.
func valueAxis(vals []float64) axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	minPos := math.Inf(1) // the smallest positive value
	nonNeg, zeros := true, false
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		nonNeg = nonNeg && v >= 0
		zeros = zeros || v == 0
		if v > 0 {
			minPos = math.Min(minPos, v)
		}
	}
	if lo > hi { // no finite value
		return axis{log: true, lo: 0, hi: 1}
	}
	if nonNeg && hi > 0 {
		a := axis{log: true, lo: math.Floor(math.Log10(minPos)), hi: math.Ceil(math.Log10(hi)), zeros: zeros}
		if zeros { // the floor: a decade below the smallest positive value
			a.lo--
		}
		if a.hi <= a.lo {
			a.hi = a.lo + 1
		}
		return a
	}
	// A constant is widened by 1, or by a tenth of its magnitude where 1
	// is below its resolution (lo-1 == lo at 1e17). The range is taken in
	// quarters, so values at float64's limits do not overflow it, and the
	// step is at least a millionth of the values' magnitude, so ticks a
	// step apart are distinct numbers.
	if hi == lo {
		d := math.Max(1, math.Abs(lo)/10)
		lo, hi = lo-d, hi+d
	}
	step := niceStep(math.Max(hi/4-lo/4, 1e-6*math.Max(math.Abs(lo), math.Abs(hi))))
	a := axis{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step}
	if math.IsInf(a.lo, 0) || math.IsInf(a.hi, 0) { // rounded out past the limits
		a.lo, a.hi = lo, hi
	}
	return a
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if !(x > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// ticks returns the axis's tick values (in data units) and their labels.
// On a log axis: every decade, thinned to at most maxTicks by labelling
// only the multiples of a round spacing (1, 2, 3, 5, 10, 20, 30, 50, ...
// decades: 1e-10 1e-5 1e0, not 1e-13 1e-8 1e-3), plus 2x and 5x when the
// axis spans a single decade.
func (a axis) ticks(maxTicks int) ([]float64, []string) {
	var vals []float64
	var labels []string
	if a.log {
		n := int(a.hi - a.lo)
		every := 1
		for p := 1; every*maxTicks < n; p *= 10 {
			for _, m := range []int{1, 2, 3, 5} {
				if every = m * p; every*maxTicks >= n {
					break
				}
			}
		}
		for e := int(a.lo); e <= int(a.hi); e++ {
			if (e%every+every)%every != 0 {
				continue
			}
			vals = append(vals, math.Pow(10, float64(e)))
			labels = append(labels, fmt.Sprintf("1e%d", e))
			if n == 1 && e < int(a.hi) {
				for _, m := range []float64{2, 5} {
					vals = append(vals, m*math.Pow(10, float64(e)))
					labels = append(labels, fmt.Sprintf("%ge%d", m, e))
				}
			}
		}
		return vals, labels
	}
	n := float64(max(maxTicks-1, 1))
	step := niceStep(math.Max(a.hi/n-a.lo/n, 1e-6*math.Max(math.Abs(a.lo), math.Abs(a.hi))))
	first := math.Ceil(a.lo/step) * step
	// Ticks by index (first + i*step), at most maxTicks+1 of them: adding
	// step to a value far larger than it would not move it.
	for i := 0; i <= maxTicks; i++ {
		v := first + float64(i)*step
		if math.IsInf(v, 0) || !(v <= a.hi+step*1e-9) || (i > 0 && !(v > vals[len(vals)-1])) {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		vals = append(vals, v)
	}
	// Three significant digits, or as many more as it takes for no two
	// neighbouring ticks to read the same (a narrow span far from zero).
	for prec := 3; ; prec++ {
		labels = labels[:0]
		distinct := true
		for i, v := range vals {
			labels = append(labels, strconv.FormatFloat(v, 'g', prec, 64))
			distinct = distinct && (i == 0 || labels[i] != labels[i-1])
		}
		if distinct || prec >= 17 {
			return vals, labels
		}
	}
}

// plot draws one plot in r: background, grid, labelled ticks on both axes,
// the title, and one polyline per series.
func plot(img *image.RGBA, face font.Face, r image.Rectangle, title string, series []Series, pick func(Series) []float64, maxStep int, th Theme) {
	var all []float64
	for _, s := range series {
		all = append(all, pick(s)...)
	}
	ay := valueAxis(all)
	draw.Draw(img, r, image.NewUniform(th.Plot), image.Point{}, draw.Src)
	frame(img, r, th.Grid)
	py := func(v float64) float64 { return float64(r.Max.Y-1) - ay.t(v)*float64(r.Dy()-1) }
	px := func(step int) float64 { return float64(r.Min.X) + float64(step)/float64(maxStep)*float64(r.Dx()-1) }

	vals, labels := ay.ticks(max(r.Dy()/22, 2))
	for i, v := range vals {
		y := int(math.Round(py(v)))
		for x := r.Min.X; x < r.Max.X; x++ {
			set(img, x, y, th.Grid)
		}
		lw := font.MeasureString(face, labels[i]).Ceil()
		text(img, face, r.Min.X-4-lw, y+4, th.Text, labels[i])
	}
	xstep := max(int(niceStep(float64(maxStep)/float64(max(r.Dx()/70, 1)))), 1)
	for st := 0; st <= maxStep; st += xstep {
		x := int(math.Round(px(st)))
		for y := r.Min.Y; y < r.Max.Y; y++ {
			set(img, x, y, th.Grid)
		}
		lab := strconv.Itoa(st)
		lw := font.MeasureString(face, lab).Ceil()
		text(img, face, min(max(x-lw/2, r.Min.X-4), r.Max.X-lw), r.Max.Y+13, th.Text, lab)
	}
	scale := "log"
	switch {
	case ay.log && ay.zeros:
		scale = "log, 0 at the floor"
	case !ay.log:
		scale = "linear: values < 0"
	}
	text(img, face, r.Min.X, r.Min.Y-4, th.Text, fmt.Sprintf("%s (%s) vs step", title, scale))

	// A value with no drawable neighbour (a run that diverged right after
	// its first sample) is a dot, drawn after every line so that another
	// series starting at the same point does not hide it.
	type dot struct {
		x, y float64
		c    color.RGBA
	}
	var dots []dot
	for _, s := range series {
		v := pick(s)
		ok := func(i int) bool {
			return i >= 0 && i < len(v) && !math.IsNaN(v[i]) && !math.IsInf(v[i], 0) && (!ay.log || v[i] >= 0)
		}
		for i, st := range s.Steps {
			if !ok(i) {
				continue
			}
			x, y := px(st), py(v[i])
			if ok(i - 1) {
				line(img, px(s.Steps[i-1]), py(v[i-1]), x, y, s.Color)
			} else if !ok(i + 1) {
				dots = append(dots, dot{x, y, s.Color})
			}
		}
	}
	for _, d := range dots {
		disc(img, d.x, d.y, 2, d.c)
	}
}

// frame outlines r a pixel outside it, so a plot shows its edges on a
// panel of nearly its own colour (Light's white on near-white).
func frame(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for x := r.Min.X - 1; x <= r.Max.X; x++ {
		set(img, x, r.Min.Y-1, c)
		set(img, x, r.Max.Y, c)
	}
	for y := r.Min.Y - 1; y <= r.Max.Y; y++ {
		set(img, r.Min.X-1, y, c)
		set(img, r.Max.X, y, c)
	}
}

// fitText returns s as it is if it fits in width pixels (in face), else
// with its double spaces made single, else cut short before its last word
// (a status line's status: StepLimit, Diverged, running), which stays in
// view after "..": whole words are dropped, and a name left without its
// number after it ("lr") goes too: "adam: step 300 loss 0.48 .. Diverged".
// The first word, the label, stays.
func fitText(face font.Face, s string, width int) string {
	fits := func(t string) bool { return font.MeasureString(face, t).Ceil() <= width }
	if fits(s) {
		return s
	}
	words := strings.Fields(s)
	if s = strings.Join(words, " "); fits(s) || len(words) < 3 {
		return s
	}
	last := words[len(words)-1]
	head := words[:len(words)-1]
	number := func(w string) bool { _, err := strconv.ParseFloat(w, 64); return err == nil }
	for len(head) > 1 && (!fits(strings.Join(head, " ")+" .. "+last) || !number(head[len(head)-1])) {
		head = head[:len(head)-1]
	}
	return strings.Join(head, " ") + " .. " + last
}

// labelMargin is the left margin that holds the tick labels, drawn 4
// pixels left of the plot: leftMargin, or more for a wider label.
func labelMargin(face font.Face, labels []string) int {
	m := leftMargin
	for _, l := range labels {
		m = max(m, font.MeasureString(face, l).Ceil()+6)
	}
	return m
}

// text draws s with its baseline at y, starting at x.
func text(img *image.RGBA, face font.Face, x, y int, c color.RGBA, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
