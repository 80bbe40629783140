package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/viewer"
)

func newCostsCmd(stdout io.Writer) *cobra.Command {
	var (
		out           string
		delta, span   float64
		width, height string
	)
	cmd := &cobra.Command{
		Use:   "costs -o FILE",
		Short: "draw the regression costs (MSE, MAE, Huber, log-cosh) and their derivatives side by side",
		Long: `Draw the classic loss-function figure: the linear model's per-sample
costs l(r) against the residual r = z - y in [-range, range] (left) and their
derivatives dl/dr (right), which is what the gradient is made of: MSE grows
without bound and so does its pull, MAE pulls with a constant force, Huber
(--delta) and log-cosh are quadratic near 0 and linear beyond. The values
are the CPU reference's own (cpu.RegressionCost, docs/models.md).
The format follows the extension of -o: .png, .svg or .pdf.`,
		Example: `  gdgpu costs -o costs.png
  gdgpu costs --delta 0.5 --range 4 -o costs.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ext := strings.ToLower(filepath.Ext(out))
			format, ok := plotFormats[ext]
			if !ok {
				return usagef("-o %q: unknown extension %q; use .png, .svg or .pdf", out, ext)
			}
			if math.IsNaN(delta) || math.IsInf(delta, 0) || delta <= 0 {
				return usagef("--delta %g must be a finite number > 0", delta)
			}
			if math.IsNaN(span) || math.IsInf(span, 0) || span <= 0 || span > 1e6 {
				return usagef("--range %g must be a number in (0, 1e6]", span)
			}
			w, err := plotLength("--width", width)
			if err != nil {
				return err
			}
			h, err := plotLength("--height", height)
			if err != nil {
				return err
			}
			plots, err := costPlots(delta, span)
			if err != nil {
				return failure(err)
			}
			if err := writeCosts(out, format, plots, w, h); err != nil {
				return failure(err)
			}
			fmt.Fprintf(stdout, "gdgpu costs: %s (%s; huber delta %g, r in [-%g, %g])\n", out, strings.Join(gdgpu.Losses, ", "), delta, span, span)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&out, "out", "o", "", "the picture `FILE` (.png, .svg or .pdf)")
	fs.Float64Var(&delta, "delta", 1, "Huber's delta")
	fs.Float64Var(&span, "range", 3, "draw r in [-range, range]")
	fs.StringVar(&width, "width", "22cm", "picture width")
	fs.StringVar(&height, "height", "10cm", "picture height")
	cmd.MarkFlagRequired("out")
	return cmd
}

// costPlots returns the costs panel and the derivatives panel.
func costPlots(delta, span float64) ([2]*plot.Plot, error) {
	const n = 401
	var ps [2]*plot.Plot
	for k, title := range []string{"cost l(r)", "derivative dl/dr"} {
		p := viewer.NewFigure()
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
			line.Color = viewer.Palette[i%len(viewer.Palette)]
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
		viewer.PlaceLegend(p, all, false)
		ps[k] = p
	}
	return ps, nil
}

// writeCosts draws the two panels side by side into path, atomically.
func writeCosts(path, format string, ps [2]*plot.Plot, w, h vg.Length) error {
	canvas, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4}
	cs := plot.Align([][]*plot.Plot{{ps[0], ps[1]}}, tiles, draw.New(canvas))
	ps[0].Draw(cs[0][0])
	ps[1].Draw(cs[0][1])
	return writeAtomic(path, canvas)
}
