package viewer

import (
	"io"
	"math"
	"strings"
	"testing"
	"time"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// TestDecadeTicksWideRange: a log axis over many decades (a diverging
// run's loss up to 1e180) labels its decades as 1eN, not with
// FormatFloat's rounding of math.Pow10 ("1.0000000000000002e+57"), and
// does not pack a tick into every decade (190 of them drew a solid bar).
func TestDecadeTicksWideRange(t *testing.T) {
	ticks := DecadeTicks{}.Ticks(1e-2, 1e180)
	if len(ticks) > 40 {
		t.Errorf("%d ticks over 182 decades, want at most 40", len(ticks))
	}
	labels := 0
	for _, tk := range ticks {
		if tk.Label == "" {
			continue
		}
		labels++
		if strings.Contains(tk.Label, "000") || strings.Contains(tk.Label, ".") {
			t.Errorf("tick at %g labelled %q, want 1eN", tk.Value, tk.Label)
		}
	}
	if labels < 3 {
		t.Errorf("%d labelled ticks, want several", labels)
	}
	// A few decades: every one labelled, with the 2..9 minor ticks between.
	ticks = DecadeTicks{}.Ticks(1e-3, 10)
	var got []string
	for _, tk := range ticks {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if strings.Join(got, " ") != "0.001 0.01 0.1 1 10" {
		t.Errorf("labels over 1e-3..10: %v", got)
	}
	// An axis past 1e-3 or 1e4 labels its decades (every second one here)
	// as 1eN: one format, not 1e-08 beside 0.0001 and 100.
	got = got[:0]
	for _, tk := range (DecadeTicks{}).Ticks(3e-9, 2e4) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if want := "1e-8 1e-6 1e-4 1e-2 1e0 1e2 1e4"; strings.Join(got, " ") != want {
		t.Errorf("labels over 3e-9..2e4: %v, want %s", got, want)
	}
}

// TestFloorZeros: zeros go to the smallest positive value of any series;
// with none positive, nothing changes.
func TestFloorZeros(t *testing.T) {
	s := []plotter.XYs{{{X: 0, Y: 4}, {X: 1, Y: 0}}, {{X: 0, Y: 0.5}, {X: 1, Y: 0.25}}}
	if !FloorZeros(s) || s[0][1].Y != 0.25 || s[1][1].Y != 0.25 || s[0][0].Y != 4 {
		t.Errorf("FloorZeros: %v", s)
	}
	z := []plotter.XYs{{{X: 0, Y: 0}}}
	if FloorZeros(z) || z[0][0].Y != 0 {
		t.Errorf("all zero: %v", z)
	}
}

// TestLegendCorner: the legend goes to the corner the curves leave empty:
// top right above a falling loss, top left above a rising one, a bottom
// corner under a U (the costs), top left beside an odd function (the
// derivatives), and top right when there is no range to judge by.
func TestLegendCorner(t *testing.T) {
	line := func(f func(x float64) float64) plotter.XYs {
		var xy plotter.XYs
		for i := 0; i <= 40; i++ {
			x := -1 + float64(i)/20
			xy = append(xy, plotter.XY{X: x, Y: f(x)})
		}
		return xy
	}
	for _, tc := range []struct {
		name      string
		s         []plotter.XYs
		logY      bool
		top, left bool
	}{
		{"falling loss, log", []plotter.XYs{line(func(x float64) float64 { return math.Pow(10, -6*x) })}, true, true, false},
		{"rising", []plotter.XYs{line(func(x float64) float64 { return x })}, false, true, true},
		{"U", []plotter.XYs{line(func(x float64) float64 { return x * x }), line(func(x float64) float64 { return math.Abs(x) })}, false, false, false},
		{"odd", []plotter.XYs{line(func(x float64) float64 { return x * x * x }), line(math.Tanh)}, false, true, true},
		{"one point", []plotter.XYs{{{X: 1, Y: 1}}}, false, true, false},
	} {
		if top, left, _ := legendCorner(tc.s, tc.logY); top != tc.top || left != tc.left {
			t.Errorf("%s: top %v left %v, want %v %v", tc.name, top, left, tc.top, tc.left)
		}
	}
}

// TestFigureFonts: every text of plot's and costs' figures is at least 12
// points (16 pixels at 96 dpi), sans serif; gonum's default tick labels
// are 10 points of a serif, small on a screen at 100%.
func TestFigureFonts(t *testing.T) {
	p := NewFigure()
	for name, f := range map[string]font.Font{
		"title": p.Title.TextStyle.Font, "x label": p.X.Label.TextStyle.Font, "y label": p.Y.Label.TextStyle.Font,
		"x ticks": p.X.Tick.Label.Font, "y ticks": p.Y.Tick.Label.Font, "legend": p.Legend.TextStyle.Font,
	} {
		if f.Size < 12 || f.Variant != "Sans" {
			t.Errorf("%s: %v %s, want 12pt or more, Sans", name, f.Size, f.Variant)
		}
	}
}

// TestLineFigureOneValue: lines whose y takes one value (a log of one
// row) on a log axis get a decade either side, and draw: gonum padded the
// axis to [y-1, y+1], reaching 0, and DecadeTicks never returned.
func TestLineFigureOneValue(t *testing.T) {
	for _, tc := range []struct {
		name             string
		lines            []Line
		logY             bool
		wantMin, wantMax float64 // 0, 0: left to gonum
	}{
		{"one row", []Line{{Label: "a", XY: plotter.XYs{{X: 0, Y: 1}}}}, true, 0.1, 10},
		{"flat, a zero floored", []Line{{Label: "a", XY: plotter.XYs{{X: 0, Y: 0.5}, {X: 1, Y: 0}}}}, true, 0.05, 5},
		{"two lines, one value", []Line{{Label: "a", XY: plotter.XYs{{X: 0, Y: 2}}}, {Label: "b", XY: plotter.XYs{{X: 3, Y: 2}}}}, true, 0.2, 20},
		{"linear axis", []Line{{Label: "a", XY: plotter.XYs{{X: 0, Y: 1}}}}, false, 0, 0},
		// Near float64's ends a decade either side leaves its range.
		{"near the largest float", []Line{{Label: "a", XY: plotter.XYs{{X: 0, Y: 1e308}}}}, true, 1e307, math.MaxFloat64},
		{"near the smallest float", []Line{{Label: "a", XY: plotter.XYs{{X: 0, Y: 5e-324}}}}, true, 5e-324, 5e-323},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := LineFigure(tc.lines, "t", "x", "y", tc.logY)
			if err != nil {
				t.Fatal(err)
			}
			// Relative: y/10 is the literal's neighbour at worst (1e308/10
			// is not the double nearest 1e307).
			far := func(got, want float64) bool { return math.Abs(got-want) > 1e-15*want }
			if tc.wantMax != 0 && (far(p.Y.Min, tc.wantMin) || far(p.Y.Max, tc.wantMax)) {
				t.Errorf("y axis [%g, %g], want [%g, %g]", p.Y.Min, p.Y.Max, tc.wantMin, tc.wantMax)
			}
			done := make(chan error, 1)
			go func() {
				wt, err := p.WriterTo(4*vg.Inch, 3*vg.Inch, "png")
				if err == nil {
					_, err = wt.WriteTo(io.Discard)
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("drawing did not end in 30s")
			}
		})
	}
}

// TestRowFigureSize: a figure without area is refused, not a panic.
func TestRowFigureSize(t *testing.T) {
	p := NewFigure()
	for _, wh := range [][2]vg.Length{{0, 0}, {100, 0}, {-1, 100}} {
		if _, err := RowFigure([]*gplot.Plot{p}, wh[0], wh[1], "png"); err == nil {
			t.Errorf("RowFigure %vx%v: no error", wh[0], wh[1])
		}
	}
	if _, err := RowFigure([]*gplot.Plot{p}, 100, 100, "png"); err != nil {
		t.Errorf("RowFigure 100x100: %v", err)
	}
}
