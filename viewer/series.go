package viewer

import (
	"errors"
	"fmt"
	"math"
	"os"

	"gonum.org/v1/plot/plotter"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/runlog"
)

// Skipped is the rows of a run log a series left out because their y is
// NaN or ±Inf (a run that diverged): how many, and the first one's line.
type Skipped struct {
	Rows      int
	FirstLine int
}

// ReadSeries reads the columns x and y of the CSV run log at path (gdgpu
// run --log's; runlog.ReadColumns) as one line's points, for LineFigure.
// Rows whose y is NaN or ±Inf are left out and counted in Skipped, so a
// diverged run still draws up to where it diverged; a y of 0 is kept
// (FloorZeros). It refuses a path that is not a regular file
// (data.CheckRegular's error), a file it cannot open (the file system's),
// a log ReadColumns refuses (its *runlog.FormatError), and, as a
// *gdgpu.FieldError naming path and line, an x that is not finite, with
// logY a y below 0, and a log with no row left to draw; Skipped is
// reported only when every row was read, that last refusal included.
func ReadSeries(path, x, y string, logY bool) (plotter.XYs, Skipped, error) {
	var skip Skipped
	if err := data.CheckRegular(path); err != nil {
		return nil, skip, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, skip, err
	}
	defer f.Close()
	t, err := runlog.ReadColumns(f, path, x, y)
	if fe := (*runlog.FormatError)(nil); err != nil && !errors.As(err, &fe) {
		return nil, skip, fmt.Errorf("%s: %w", path, err)
	} else if err != nil {
		return nil, skip, err
	}
	var xy plotter.XYs
	for r, v := range t.Values {
		vx, vy, line := v[0], v[1], t.Lines[r]
		if math.IsNaN(vx) || math.IsInf(vx, 0) {
			return nil, Skipped{}, gdgpu.FieldErrorf("%s:%d: column %s: %v is not finite", path, line, x, vx).In("viewer")
		}
		if math.IsNaN(vy) || math.IsInf(vy, 0) {
			if skip.Rows == 0 {
				skip.FirstLine = line
			}
			skip.Rows++
			continue
		}
		if logY && vy < 0 {
			return nil, Skipped{}, gdgpu.FieldErrorf("%s:%d: column %s: %v cannot be drawn on a log scale; use {ReadSeries.logY}=false", path, line, y, vy).In("viewer")
		}
		xy = append(xy, plotter.XY{X: vx, Y: vy})
	}
	if len(xy) == 0 {
		if skip.Rows > 0 {
			return nil, skip, gdgpu.FieldErrorf("%s: every row's %s is NaN or Inf; nothing to plot", path, y).In("viewer")
		}
		return nil, skip, gdgpu.FieldErrorf("%s: no rows after the header; nothing to plot", path).In("viewer")
	}
	return xy, skip, nil
}
