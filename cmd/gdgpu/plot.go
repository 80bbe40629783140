package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/runlog"
	"github.com/gdgpu/gdgpu/viewer"
	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
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
						if dir := filepath.Base(filepath.Dir(absPath(f))); dir != "/" && dir != "." {
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
			if logY {
				if err := floorZeros(series, files, yCol); err != nil {
					return err
				}
			}
			p := newFigure()
			p.Title.Text = fmt.Sprintf("%s against %s", yCol, xCol)
			if cmd.Flags().Changed("title") {
				p.Title.Text = title
			}
			p.X.Label.Text = xCol
			p.Y.Label.Text = yCol
			if logY {
				p.Y.Label.Text += " (log scale)"
				p.Y.Scale = plot.LogScale{}
				p.Y.Tick.Marker = decadeTicks{}
			}
			p.Add(plotter.NewGrid())
			placeLegend(p, series, logY)
			for i, xy := range series {
				l, err := plotter.NewLine(xy)
				if err != nil {
					return usagef("%s: %v", files[i], err)
				}
				l.Color = viewer.Palette[i%len(viewer.Palette)]
				l.Width = vg.Points(2)
				p.Add(l)
				p.Legend.Add(labels[i], l)
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

// Figure text sizes, in points (at gonum's 96 dpi a point is 4/3 of a
// pixel): gonum's defaults are a 10-point serif for the tick labels (13
// pixels) and 12 for the rest, small on a screen at 100%. Ours are Liberation
// Sans, the ticks at 12 points (16 pixels), the axis labels and legend at
// 12 as before, the title at 14.
const (
	figureTitlePt = 14
	figureTextPt  = 12
)

// figureFont is the typeface of plot's and costs' text: sans serif reads
// better at screen sizes than gonum's default serif.
var figureFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newFigure is plot.New with the figure fonts; the page stays gonum's
// white, the light theme (viewer.Light) of view's files.
func newFigure() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font = font.From(figureFont, figureTitlePt)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(figureFont, figureTextPt)
		a.Tick.Label.Font = font.From(figureFont, figureTextPt)
	}
	p.Legend.TextStyle.Font = font.From(figureFont, figureTextPt)
	return p
}

// decadeTicks labels the powers of ten on a log axis, every k-th decade
// when there are more than ten, with minor ticks between: plot.LogTicks
// builds its labels by repeated multiplication and prints
// 9.999999999999998e-05. The labels are written from the exponent
// (math.Pow10(57) prints as 1.0000000000000002e+57), in one format for
// the whole axis: decimals (0.001 .. 10000) when every labelled decade
// has a short one, else 1eN for all, as view labels them (an axis read
// 1e-08, 0.0001, 100 before). Past 30 decades only the labelled ones have
// a tick (one per decade drew a solid bar).
type decadeTicks struct{}

func (decadeTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := int(math.Floor(math.Log10(min))), int(math.Ceil(math.Log10(max)))
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
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		v := math.Pow10(e)
		if e%k == 0 {
			label := fmt.Sprintf("1e%d", e)
			if decimal { // exact or shortest-exact: 0.001, 1000
				label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		} else if hi-lo <= 30 {
			ticks = append(ticks, plot.Tick{Value: v})
		}
		if k == 1 && e < hi {
			for i := 2; i < 10; i++ {
				ticks = append(ticks, plot.Tick{Value: float64(i) * v})
			}
		}
	}
	return ticks
}

// placeLegend puts p's legend in the corner the lines leave emptiest
// (legendCorner) and, when some line still passes there, stretches the y
// axis on that side so that the legend sits in a band no line reaches
// (about 7% of the height per entry, at most 60%).
func placeLegend(p *plot.Plot, series []plotter.XYs, logY bool) {
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

// floorZeros puts the values 0 of a log-scale plot (a loss that reached
// exactly 0) at the smallest positive value of any series, so the axis
// stays logarithmic and the curve ends on its floor instead of the whole
// plot being refused. Every value 0 is a usage error.
func floorZeros(series []plotter.XYs, files []string, yCol string) error {
	low := math.Inf(1)
	for _, xy := range series {
		for _, p := range xy {
			if p.Y > 0 {
				low = min(low, p.Y)
			}
		}
	}
	if math.IsInf(low, 1) {
		return usagef("%s: every %s is 0: nothing to draw on a log scale; use --log-y=false", strings.Join(files, ", "), yCol)
	}
	for _, xy := range series {
		for i := range xy {
			if xy[i].Y == 0 {
				xy[i].Y = low
			}
		}
	}
	return nil
}

// readPlotLog reads the xCol and yCol columns of a CSV run log
// (runlog.ReadColumns). Rows whose y is NaN or ±Inf are skipped with one
// warning on stderr; anything else that is not a finite number, a missing
// column, a short row or an empty log is a usage error naming file:line.
// On a log scale y < 0 is refused; y = 0 is kept (floorZeros).
func readPlotLog(path, xCol, yCol string, logY bool, stderr io.Writer) (plotter.XYs, error) {
	if err := data.CheckRegular(path); err != nil {
		return nil, usagef("%v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("%v", err)
	}
	defer f.Close()
	t, err := runlog.ReadColumns(f, path, xCol, yCol)
	if fe := (*runlog.FormatError)(nil); errors.As(err, &fe) {
		return nil, usagef("%s", strings.TrimPrefix(fe.Error(), "runlog: "))
	} else if err != nil {
		return nil, usagef("%s: %v", path, err)
	}
	var xy plotter.XYs
	skipped, firstSkip := 0, 0
	for r, v := range t.Values {
		x, y, line := v[0], v[1], t.Lines[r]
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, usagef("%s:%d: column %s: %v is not finite", path, line, xCol, x)
		}
		if math.IsNaN(y) || math.IsInf(y, 0) {
			if skipped == 0 {
				firstSkip = line
			}
			skipped++
			continue
		}
		if logY && y < 0 {
			return nil, usagef("%s:%d: column %s: %v cannot be drawn on a log scale; use --log-y=false", path, line, yCol, y)
		}
		xy = append(xy, plotter.XY{X: x, Y: y})
	}
	if skipped > 0 {
		fmt.Fprintf(stderr, "gdgpu: warning: %s: skipped %d rows whose %s is NaN or Inf (first at line %d; the run diverged?)\n",
			path, skipped, yCol, firstSkip)
	}
	if len(xy) == 0 {
		if skipped > 0 {
			return nil, usagef("%s: every row's %s is NaN or Inf; nothing to plot", path, yCol)
		}
		return nil, usagef("%s: no rows after the header; nothing to plot", path)
	}
	return xy, nil
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
