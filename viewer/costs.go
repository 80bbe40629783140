package viewer

import (
	"fmt"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// CostPanels draws the regression costs (gdgpu.Losses: MSE, MAE, Huber
// with delta, log-cosh) against the residual r in [-span, span]: the
// costs l(r) on the first panel, their derivatives dl/dr, what the
// gradient is made of, on the second. The values are the CPU reference's
// own (cpu.RegressionCost), 401 points a curve. gdgpu costs draws them
// side by side (RowFigure).
func CostPanels(delta, span float64) ([2]*gplot.Plot, error) {
	const n = 401
	var ps [2]*gplot.Plot
	for k, title := range []string{"cost l(r)", "derivative dl/dr"} {
		p := NewFigure()
		p.Title.Text = title
		p.X.Label.Text = "residual r = z - y"
		p.Add(plotter.NewGrid())
		var all []plotter.XYs
		for i, loss := range gdgpu.Losses {
			xy := make(plotter.XYs, n)
			for j := range xy {
				r := -span + 2*span*float64(j)/(n-1)
				l, dl, err := cpu.RegressionCost(loss, delta, r)
				if err != nil {
					return ps, err
				}
				xy[j].X, xy[j].Y = r, l
				if k == 1 {
					xy[j].Y = dl
				}
			}
			line, err := plotter.NewLine(xy)
			if err != nil {
				return ps, err
			}
			line.Color = Palette[i%len(Palette)]
			line.Width = vg.Points(2)
			p.Add(line)
			name := loss
			if cost, _ := gdgpu.LookupRegressionCost(loss); cost.Delta {
				name = fmt.Sprintf("%s (delta %g)", loss, delta)
			}
			p.Legend.Add(name, line)
			all = append(all, xy)
		}
		// Where the curves are not: the costs rise to the top corners, the
		// derivatives through the bottom left and top right.
		PlaceLegend(p, all, false)
		ps[k] = p
	}
	return ps, nil
}

// RowFigure draws plots in one row, 4 mm apart and their axes aligned,
// on a w by h canvas in format ("png", "svg", "pdf", ...: what
// draw.NewFormattedCanvas takes), ready to be written.
func RowFigure(ps []*gplot.Plot, w, h vg.Length, format string) (vg.CanvasWriterTo, error) {
	if w <= 0 || h <= 0 { // gonum's canvas panics on them
		return nil, fmt.Errorf("viewer: a figure of %gx%g points: the width and height must be > 0", float64(w), float64(h))
	}
	canvas, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return nil, err
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(ps), PadX: vg.Millimeter * 4}
	cs := gplot.Align([][]*gplot.Plot{ps}, tiles, draw.New(canvas))
	for i, p := range ps {
		p.Draw(cs[0][i])
	}
	return canvas, nil
}
