package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdgpu/gdgpu"
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
			plots, err := viewer.CostPanels(delta, span)
			if err != nil {
				return failure(err)
			}
			canvas, err := viewer.RowFigure(plots[:], w, h, format)
			if err != nil {
				return failure(err)
			}
			if err := writeAtomic(out, canvas); err != nil {
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
