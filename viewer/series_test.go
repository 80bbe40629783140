package viewer_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/runlog"
	"github.com/gdgpu/gdgpu/viewer"
)

func TestReadSeries(t *testing.T) {
	const hdr = "step,loss,grad_norm,lr,elapsed_s\n"
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		body   string // "" with dir: the path is a folder
		x, y   string
		logY   bool
		want   plotter.XYs
		skip   viewer.Skipped
		errMsg string // the error's message, "" for none
		field  bool   // a *gdgpu.FieldError naming ReadSeries.logY
		format bool   // a *runlog.FormatError
	}{
		{name: "two rows", body: hdr + "0,50,10,0.1,0\n5,40,9,0.2,0.5\n", x: "step", y: "loss", logY: true,
			want: plotter.XYs{{X: 0, Y: 50}, {X: 5, Y: 40}}},
		{name: "other columns", body: hdr + "0,50,10,0.1,0\n5,40,9,0.2,0.5\n", x: "elapsed_s", y: "lr",
			want: plotter.XYs{{X: 0, Y: 0.1}, {X: 0.5, Y: 0.2}}},
		{name: "diverged rows skipped", body: hdr + "0,50,10,0.1,0\n1,NaN,9,0.1,0\n2,-Inf,9,0.1,0\n", x: "step", y: "loss", logY: true,
			want: plotter.XYs{{X: 0, Y: 50}}, skip: viewer.Skipped{Rows: 2, FirstLine: 3}},
		{name: "zero kept on a log scale", body: hdr + "0,50,10,0.1,0\n1,0,9,0.1,0\n", x: "step", y: "loss", logY: true,
			want: plotter.XYs{{X: 0, Y: 50}, {X: 1, Y: 0}}},
		{name: "negative on a linear scale", body: hdr + "0,-50,10,0.1,0\n", x: "step", y: "loss",
			want: plotter.XYs{{X: 0, Y: -50}}},
		{name: "negative on a log scale", body: hdr + "0,50,10,0.1,0\n1,-2,9,0.1,0\n", x: "step", y: "loss", logY: true, field: true,
			errMsg: "viewer: L:3: column loss: -2 cannot be drawn on a log scale; use ReadSeries.logY=false"},
		{name: "x not finite", body: hdr + "0,50,10,0.1,0\nNaN,40,9,0.1,0\n", x: "step", y: "loss",
			errMsg: "viewer: L:3: column step: NaN is not finite"},
		{name: "every row diverged", body: hdr + "0,NaN,10,0.1,0\n", x: "step", y: "loss", skip: viewer.Skipped{Rows: 1, FirstLine: 2},
			errMsg: "viewer: L: every row's loss is NaN or Inf; nothing to plot"},
		{name: "header only", body: hdr, x: "step", y: "loss",
			errMsg: "viewer: L: no rows after the header; nothing to plot"},
		{name: "no such column", body: hdr + "0,50,10,0.1,0\n", x: "step", y: "accuracy", format: true,
			errMsg: `runlog: L:1: no column "accuracy" in header "step,loss,grad_norm,lr,elapsed_s"`},
		{name: "a folder", x: "step", y: "loss", errMsg: "L is a directory, not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "log.csv")
			os.RemoveAll(path)
			var err error
			if tc.body == "" {
				err = os.Mkdir(path, 0o755)
			} else {
				err = os.WriteFile(path, []byte(tc.body), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			xy, skip, err := viewer.ReadSeries(path, tc.x, tc.y, tc.logY)
			msg := ""
			if err != nil {
				msg = string(bytes.ReplaceAll([]byte(err.Error()), []byte(path), []byte("L")))
			}
			if msg != tc.errMsg {
				t.Errorf("error %q, want %q", msg, tc.errMsg)
			}
			var fe *gdgpu.FieldError
			if got := errors.As(err, &fe) && slices.Contains(fe.Fields, "ReadSeries.logY"); got != tc.field {
				t.Errorf("names ReadSeries.logY: %v, want %v (%v)", got, tc.field, err)
			}
			var re *runlog.FormatError
			if got := errors.As(err, &re); got != tc.format {
				t.Errorf("a runlog.FormatError: %v, want %v (%v)", got, tc.format, err)
			}
			if !slices.Equal(xy, tc.want) || skip != tc.skip {
				t.Errorf("got %v, skipped %+v; want %v, %+v", xy, skip, tc.want, tc.skip)
			}
		})
	}
	if _, _, err := viewer.ReadSeries(filepath.Join(dir, "none.csv"), "step", "loss", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want ErrNotExist", err)
	}
}

func TestCostPanelsRowFigure(t *testing.T) {
	ps, err := viewer.CostPanels(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	for k, title := range []string{"cost l(r)", "derivative dl/dr"} {
		if ps[k].Title.Text != title {
			t.Errorf("panel %d: title %q, want %q", k, ps[k].Title.Text, title)
		}
	}
	for _, format := range []string{"png", "svg"} {
		c, err := viewer.RowFigure(ps[:], 12*vg.Centimeter, 6*vg.Centimeter, format)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := c.WriteTo(&b); err != nil || b.Len() == 0 {
			t.Errorf("%s: %d bytes, %v", format, b.Len(), err)
		}
	}
	if _, err := viewer.RowFigure(ps[:], vg.Centimeter, vg.Centimeter, "gif"); err == nil {
		t.Error("a gif canvas made")
	}
}
