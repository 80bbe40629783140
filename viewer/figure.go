package viewer

import (
	"fmt"
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Line is one curve of a figure: its points and its legend entry.
type Line struct {
	Label string
	XY    plotter.XYs
}

// LineFigure draws lines against x on one gonum plot: a grid, the
// palette's colours in order, a legend where it covers no data
// (PlaceLegend), and with logY a log y axis labelled by decades
// (DecadeTicks), y's label then saying so. Values 0 on a log axis are
// drawn at the smallest positive one (FloorZeros); the caller refuses
// lines with none.
func LineFigure(lines []Line, title, x, y string, logY bool) (*gplot.Plot, error) {
	series := make([]plotter.XYs, len(lines))
	for i, l := range lines {
		series[i] = l.XY
	}
	if logY {
		FloorZeros(series)
	}
	p := NewFigure()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	if logY {
		p.Y.Label.Text += " (log scale)"
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = DecadeTicks{}
	}
	p.Add(plotter.NewGrid())
	PlaceLegend(p, series, logY)
	if lo, hi, ok := positiveRange(series); logY && ok && lo == hi {
		// One value (a log of one row): gonum would pad the axis to
		// [y-1, y+1], which for y <= 1 reaches 0 or below, where a log
		// axis has no decades. A decade either side instead, kept inside
		// float64's positive range.
		p.Y.Min, p.Y.Max = lo/10, math.Min(hi*10, math.MaxFloat64)
		if p.Y.Min == 0 { // lo/10 underflowed
			p.Y.Min = lo
		}
	}
	for i, l := range lines {
		pl, err := plotter.NewLine(l.XY)
		if err != nil {
			return nil, fmt.Errorf("viewer: %s: %w", l.Label, err)
		}
		pl.Color = Palette[i%len(Palette)]
		pl.Width = vg.Points(2)
		p.Add(pl)
		p.Legend.Add(l.Label, pl)
	}
	return p, nil
}

// positiveRange is the smallest and largest finite y > 0 of the series;
// ok is false when there is none.
func positiveRange(series []plotter.XYs) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s {
			if p.Y > 0 && !math.IsInf(p.Y, 1) {
				lo, hi = min(lo, p.Y), max(hi, p.Y)
			}
		}
	}
	return lo, hi, hi >= lo
}

// FigureTitlePt and FigureTextPt are the figure text sizes, in points (at gonum's 96 dpi a point is 4/3 of a
// pixel): gonum's defaults are a 10-point serif for the tick labels (13
// pixels) and 12 for the rest, small on a screen at 100%. Ours are Liberation
// Sans, the ticks at 12 points (16 pixels), the axis labels and legend at
// 12 as before, the title at 14.
const (
	FigureTitlePt = 14
	FigureTextPt  = 12
)

// FigureFont is the typeface of plot's and costs' text: sans serif reads
// better at screen sizes than gonum's default serif.
var FigureFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// NewFigure is gplot.New with the figure fonts (FigureFont at
// FigureTextPt, the title at FigureTitlePt); the page stays gonum's white,
// the light theme (Light) of view's files.
func NewFigure() *gplot.Plot {
	p := gplot.New()
	p.Title.TextStyle.Font = font.From(FigureFont, FigureTitlePt)
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(FigureFont, FigureTextPt)
		a.Tick.Label.Font = font.From(FigureFont, FigureTextPt)
	}
	p.Legend.TextStyle.Font = font.From(FigureFont, FigureTextPt)
	return p
}

// DecadeTicks labels the powers of ten on a log axis, every k-th decade
// when there are more than ten, with minor ticks between: plot.LogTicks
// builds its labels by repeated multiplication and prints
// 9.999999999999998e-05. The labels are written from the exponent
// (math.Pow10(57) prints as 1.0000000000000002e+57), in one format for
// the whole axis: decimals (0.001 .. 10000) when every labelled decade
// has a short one, else 1eN for all, as view labels them (an axis read
// 1e-08, 0.0001, 100 before). Past 30 decades only the labelled ones have
// a tick (one per decade drew a solid bar).
type DecadeTicks struct{}

// decade bounds a decade's exponent to float64's range: the log of 0 (or
// of a bound at or past MaxFloat64) is infinite, and converting it to an
// int gave a loop over decades that did not end.
func decade(e float64) int {
	if math.IsNaN(e) {
		return 0
	}
	return int(math.Max(-324, math.Min(309, e)))
}

// Ticks returns the ticks of a log axis from min to max.
func (DecadeTicks) Ticks(min, max float64) []gplot.Tick {
	lo, hi := decade(math.Floor(math.Log10(min))), decade(math.Ceil(math.Log10(max)))
	if hi <= lo {
		hi = lo + 1
	}
	k := (hi - lo + 9) / 10
	// Decimals only when the labelled decades all lie in 1e-3 .. 1e4.
	decimal := true
	for e := lo; e <= hi; e++ {
		if e%k == 0 && (e < -3 || e > 4) {
			decimal = false
		}
	}
	var ticks []gplot.Tick
	for e := lo; e <= hi; e++ {
		v := math.Pow10(e)
		if e%k == 0 {
			label := fmt.Sprintf("1e%d", e)
			if decimal { // exact or shortest-exact: 0.001, 1000
				label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, gplot.Tick{Value: v, Label: label})
		} else if hi-lo <= 30 {
			ticks = append(ticks, gplot.Tick{Value: v})
		}
		if k == 1 && e < hi {
			for i := 2; i < 10; i++ {
				ticks = append(ticks, gplot.Tick{Value: float64(i) * v})
			}
		}
	}
	return ticks
}

// PlaceLegend puts p's legend in the corner the lines leave emptiest
// (legendCorner) and, when some line still passes there, stretches the y
// axis on that side so that the legend sits in a band no line reaches
// (about 7% of the height per entry, at most 60%).
func PlaceLegend(p *gplot.Plot, series []plotter.XYs, logY bool) {
	top, left, clear := legendCorner(series, logY)
	p.Legend.Top, p.Legend.Left = top, left
	if clear {
		return
	}
	ymin, ymax, ok := yRange(series, logY)
	if !ok {
		return
	}
	band := min(0.05+0.07*float64(len(series)), 0.6)
	grow := (ymax - ymin) * band / (1 - band)
	if top {
		ymax += grow
	} else {
		ymin -= grow
	}
	if logY {
		ymin, ymax = math.Pow(10, ymin), math.Pow(10, ymax)
	}
	p.Y.Min, p.Y.Max = ymin, ymax
}

// yRange is the lines' y range on the axis's scale (log10 for a log axis).
func yRange(series []plotter.XYs, logY bool) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s {
			y := p.Y
			if logY {
				if !(y > 0) {
					continue
				}
				y = math.Log10(y)
			}
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				lo, hi = min(lo, y), max(hi, y)
			}
		}
	}
	return lo, hi, hi > lo
}

// legendCorner is the corner of the data area the legend covers least
// data in: each corner is a box of 40% of the x range by 30% of the y
// range (on the axis's scale), and the corner with the least length of
// line in it wins (each segment sampled every 1% of the box's scale, so a
// steep line crossing a corner counts as much as a flat one), top right
// first on a tie, then top left, bottom right, bottom left. clear says no
// line passes through the corner chosen.
func legendCorner(series []plotter.XYs, logY bool) (top, left, clear bool) {
	ty := func(y float64) (float64, bool) {
		if logY {
			return math.Log10(y), y > 0 && !math.IsInf(y, 0)
		}
		return y, !math.IsNaN(y) && !math.IsInf(y, 0)
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s {
			if y, ok := ty(p.Y); ok && !math.IsNaN(p.X) && !math.IsInf(p.X, 0) {
				xmin, xmax = min(xmin, p.X), max(xmax, p.X)
				ymin, ymax = min(ymin, y), max(ymax, y)
			}
		}
	}
	if !(xmax > xmin) || !(ymax > ymin) {
		return true, false, true
	}
	// Corners in tie order: top right, top left, bottom right, bottom left.
	var count [4]int
	note := func(x, y float64) {
		nx, ny := (x-xmin)/(xmax-xmin), (y-ymin)/(ymax-ymin)
		for c, in := range [4]bool{nx > 0.6 && ny > 0.7, nx < 0.4 && ny > 0.7, nx > 0.6 && ny < 0.3, nx < 0.4 && ny < 0.3} {
			if in {
				count[c]++
			}
		}
	}
	for _, s := range series {
		for i := range s {
			y, ok := ty(s[i].Y)
			if !ok {
				continue
			}
			note(s[i].X, y)
			if i+1 < len(s) {
				if y2, ok := ty(s[i+1].Y); ok {
					dx, dy := (s[i+1].X-s[i].X)/(xmax-xmin), (y2-y)/(ymax-ymin)
					n := min(int(math.Hypot(dx, dy)/0.01), 1000)
					for k := 1; k < n; k++ {
						f := float64(k) / float64(n)
						note(s[i].X+f*(s[i+1].X-s[i].X), y+f*(y2-y))
					}
				}
			}
		}
	}
	best := 0
	for c := range count {
		if count[c] < count[best] {
			best = c
		}
	}
	return best < 2, best == 1 || best == 3, count[best] == 0
}

// FloorZeros puts the values 0 of a log-scale plot (a loss that reached
// exactly 0) at the smallest positive value of any series, so the axis
// stays logarithmic and the curve ends on its floor instead of the whole
// plot being refused. It reports false, changing nothing, when no value
// is positive.
func FloorZeros(series []plotter.XYs) bool {
	low := math.Inf(1)
	for _, xy := range series {
		for _, p := range xy {
			if p.Y > 0 {
				low = min(low, p.Y)
			}
		}
	}
	if math.IsInf(low, 1) {
		return false
	}
	for _, xy := range series {
		for i := range xy {
			if xy[i].Y == 0 {
				xy[i].Y = low
			}
		}
	}
	return true
}
