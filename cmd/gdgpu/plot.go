package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/fsutil"
	"github.com/gdgpu/gdgpu/runlog"
	"github.com/gdgpu/gdgpu/viewer"
	"github.com/spf13/cobra"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// plotFormats are the output formats gdgpu plot writes, by extension.
var plotFormats = map[string]string{".png": "png", ".svg": "svg", ".pdf": "pdf"}

// plotColumns are the columns of the run log that --x and --y may name.
var (
	plotYColumns = []string{"loss", "grad_norm", "lr", "accuracy", "val_loss", "val_accuracy"}
	plotXColumns = []string{"step", "elapsed_s"}
)

func newPlotCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		out, yCol, xCol string
		title           string
		labels          []string
		logY            bool
		width, height   string
	)
	cmd := &cobra.Command{
		Use:   "plot LOG.csv... -o FILE",
		Short: "overlay the CSV logs of finished runs in one PNG, SVG or PDF",
		Long: `Plot overlays the CSV logs written by gdgpu run --log (step,loss,grad_norm,
lr,elapsed_s), one line per file, each with its own colour and a legend entry,
to compare optimizers, learning rates or devices after the fact.

The format follows the extension of -o: .png, .svg or .pdf. The legend names
each line after its file (base name without extension) unless --labels gives
one label per file. --y picks the column plotted (loss, grad_norm or lr),
--x the horizontal axis (step or elapsed_s). Loss and gradient norm are drawn
on a log scale unless --log-y=false. On a log scale a value 0 (a loss that
reached exactly 0) is drawn at the smallest positive value plotted, and a
negative value is refused. A file named log.csv (a run folder's) is named
after its folder in the legend.

Rows whose --y value is NaN or ±Inf (a diverged run) are skipped with a
warning on stderr, so a diverged run still plots up to where it diverged.
A missing file, a missing column, a cell that is not a number, or a log with
no rows is refused (exit 2); failing to write -o is exit 3. -o is written
atomically (a temporary file in the same folder, then renamed).`,
		Example: `  gdgpu plot sgd.csv adam.csv -o loss.png
  gdgpu plot runs/*/log.csv --labels a,b,c --y grad_norm -o grad.svg
  gdgpu plot a.csv b.csv --x elapsed_s --width 20cm --height 12cm -o loss.pdf`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			ext := strings.ToLower(filepath.Ext(out))
			format, ok := plotFormats[ext]
			if !ok {
				return usagef("-o %s: unknown extension %q; use .png, .svg or .pdf", out, ext)
			}
			if dir := filepath.Dir(out); !isDir(dir) {
				return usagef("-o %s: folder %s does not exist", out, dir)
			}
			if !contains(plotYColumns, yCol) {
				return usagef("--y %q: want one of %s", yCol, strings.Join(plotYColumns, ", "))
			}
			if !contains(plotXColumns, xCol) {
				return usagef("--x %q: want one of %s", xCol, strings.Join(plotXColumns, ", "))
			}
			if !cmd.Flags().Changed("log-y") {
				logY = yCol != "lr"
			}
			w, err := plotLength("--width", width)
			if err != nil {
				return err
			}
			h, err := plotLength("--height", height)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("labels") {
				if len(labels) != len(files) {
					return usagef("--labels gives %d labels for %d files", len(labels), len(files))
				}
			} else {
				labels = make([]string, len(files))
				for i, f := range files {
					labels[i] = strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
					if filepath.Base(f) == runDirLog { // a run folder's log: name it after the folder
						if dir := filepath.Base(filepath.Dir(fsutil.Abs(f))); dir != "/" && dir != "." {
							labels[i] = dir
						}
					}
				}
			}
			series := make([]plotter.XYs, len(files))
			for i, f := range files {
				if series[i], err = readPlotLog(f, xCol, yCol, logY, stderr); err != nil {
					return err
				}
			}
			if logY && !viewer.FloorZeros(series) {
				return usagef("%s: every %s is 0: nothing to draw on a log scale; use --log-y=false", strings.Join(files, ", "), yCol)
			}
			ptitle := fmt.Sprintf("%s against %s", yCol, xCol)
			if cmd.Flags().Changed("title") {
				ptitle = title
			}
			lines := make([]viewer.Line, len(files))
			for i := range files {
				lines[i] = viewer.Line{Label: labels[i], XY: series[i]}
			}
			p, err := viewer.LineFigure(lines, ptitle, xCol, yCol, logY)
			if err != nil {
				return usagef("%v", err)
			}
			wt, err := p.WriterTo(w, h, format)
			if err != nil {
				return failure(fmt.Errorf("rendering %s: %w", out, err))
			}
			if err := writeAtomic(out, wt); err != nil {
				return failure(err)
			}
			runs := "runs"
			if len(files) == 1 {
				runs = "run"
			}
			fmt.Fprintf(stdout, "wrote %s (%d %s)\n", out, len(files), runs)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&out, "out", "o", "", "write the plot to `FILE` (.png, .svg or .pdf)")
	fs.StringSliceVar(&labels, "labels", nil, "legend labels, one per file, comma-separated (default: the file names without extension)")
	fs.StringVar(&yCol, "y", "loss", "column on the vertical axis: loss, grad_norm or lr")
	fs.StringVar(&xCol, "x", "step", "column on the horizontal axis: step or elapsed_s")
	// The default follows --y (see RunE); false here keeps pflag from
	// printing a second "(default true)".
	fs.BoolVar(&logY, "log-y", false, "log scale on the vertical axis (default true for loss and grad_norm, false for lr)")
	fs.StringVar(&title, "title", "", `the plot's title (default "<y> against <x>"; "" for none)`)
	fs.StringVar(&width, "width", "16cm", "plot width, e.g. 6in or 16cm")
	fs.StringVar(&height, "height", "10cm", "plot height, e.g. 4in or 10cm")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// plotLength parses a --width or --height value: a positive length with a
// unit (in, cm, mm or pt).
func plotLength(flag, s string) (vg.Length, error) {
	l, err := vg.ParseLength(strings.TrimSpace(s))
	if err != nil || !(l > 0) || math.IsInf(float64(l), 0) {
		return 0, usagef("%s %q: want a positive length such as 6in or 16cm", flag, s)
	}
	// Keep raster output within reason: 100 in is 9600 pixels at 96 dpi.
	if l > 100*vg.Inch {
		return 0, usagef("%s %q: larger than 100in", flag, s)
	}
	return l, nil
}

// readPlotLog reads the xCol and yCol columns of a CSV run log
// (viewer.ReadSeries), warning on stderr of the rows it skipped (their y
// is NaN or ±Inf); a log it refuses is a usage error naming file:line.
func readPlotLog(path, xCol, yCol string, logY bool, stderr io.Writer) (plotter.XYs, error) {
	xy, skip, err := viewer.ReadSeries(path, xCol, yCol, logY)
	if skip.Rows > 0 {
		fmt.Fprintf(stderr, "gdgpu: warning: %s: skipped %d rows whose %s is NaN or Inf (first at line %d; the run diverged?)\n",
			path, skip.Rows, yCol, skip.FirstLine)
	}
	var fe *runlog.FormatError
	var ve *gdgpu.FieldError
	switch {
	case err == nil:
		return xy, nil
	case errors.As(err, &fe):
		return nil, usagef("%s", strings.TrimPrefix(fe.Error(), "runlog: "))
	case errors.As(err, &ve): // its message without the package, in flags
		return nil, usagef("%s", ve.Format(fieldFlag))
	}
	return nil, usagef("%v", err)
}

// writeAtomic writes wt to path through a temporary file in the same folder,
// renamed over path once complete, so a failed write leaves path as it was.
func writeAtomic(path string, wt io.WriterTo) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if _, err = wt.WriteTo(w); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// isDir reports whether path is an existing folder.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
