package runlog_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/runlog"
)

func TestWriteReadBack(t *testing.T) {
	// What a Writer writes, ReadColumns reads back exactly, NaN and ±Inf
	// included; a model's log has its extra columns.
	job := gdgpu.NewJob()
	var b bytes.Buffer
	w := runlog.NewWriter(&b, &job)
	samples := []gdgpu.Sample{{Step: 0, Loss: 24.2, GradNorm: 232.9}, {Step: 10, Loss: 1.0 / 3, GradNorm: 1e-300}, {Step: 20, Loss: math.Inf(1), GradNorm: math.NaN()}}
	for i, s := range samples {
		w.Row(s, 0.001*float64(i+1), time.Duration(i)*time.Millisecond)
	}
	if err := w.Flush(); err != nil || w.Rows() != 3 {
		t.Fatalf("Flush %v, %d rows", err, w.Rows())
	}
	if !strings.HasPrefix(b.String(), "step,loss,grad_norm,lr,elapsed_s\n0,24.2,232.9,0.001,0.000000\n") {
		t.Errorf("log:\n%s", b.String())
	}
	tab, err := runlog.ReadColumns(strings.NewReader(b.String()), "log.csv", "loss", "step", "grad_norm")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range samples {
		got := tab.Values[i]
		if got[1] != float64(s.Step) || math.Float64bits(got[0]) != math.Float64bits(s.Loss) || (got[2] != s.GradNorm && !math.IsNaN(s.GradNorm)) || tab.Lines[i] != i+2 {
			t.Errorf("row %d: %v at line %d, wrote %+v", i, got, tab.Lines[i], s)
		}
	}
	job.Data = &gdgpu.Data{Classes: 3, ValRows: 5}
	if c := strings.Join(runlog.Columns(&job), ","); c != "step,loss,grad_norm,lr,elapsed_s,accuracy,val_loss,val_accuracy" {
		t.Errorf("model columns %s", c)
	}
}

func TestReadColumnsRefusals(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", "log.csv: empty file"},
		{"no column", "step,loss\n1,2\n", `log.csv:1: no column "grad_norm"`},
		{"short row", "step,grad_norm,x\n1,2\n", "log.csv:2: 2 fields, the header has 3"},
		{"not a number", "step,grad_norm\n\n1,2\n2,abc\n", `log.csv:4: column grad_norm: "abc" is not a number`},
	} {
		_, err := runlog.ReadColumns(strings.NewReader(tc.text), "log.csv", "step", "grad_norm")
		var fe *runlog.FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "runlog: ") {
			t.Errorf("%s: %v, want a FormatError with %q", tc.name, err, tc.want)
		}
	}
	// A byte-order mark, blank lines and an unused bad cell are fine.
	tab, err := runlog.ReadColumns(strings.NewReader("\ufeffstep,grad_norm,lr\n\n1,2,x\n"), "log.csv", "grad_norm")
	if err != nil || len(tab.Values) != 1 || tab.Values[0][0] != 2 || tab.Lines[0] != 3 {
		t.Errorf("%+v, %v", tab, err)
	}
}

func FuzzReadColumns(f *testing.F) {
	// Any input: no panic; a table read has one value per requested column
	// in every row, and increasing line numbers past the header.
	f.Add("step,loss,grad_norm,lr,elapsed_s\n0,1,2,3,4\n")
	f.Add("\ufeffstep,loss\n\n1,1e999\n2,NaN\n")
	f.Add("loss,step\n1,2,3\n")
	f.Fuzz(func(t *testing.T, text string) {
		tab, err := runlog.ReadColumns(strings.NewReader(text), "f.csv", "step", "loss")
		if err != nil {
			var fe *runlog.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FormatError", err)
			}
			return
		}
		last := 1
		for i, row := range tab.Values {
			if len(row) != 2 || tab.Lines[i] <= last {
				t.Fatalf("row %d: %v at line %d after line %d", i, row, tab.Lines[i], last)
			}
			last = tab.Lines[i]
		}
	})
}
