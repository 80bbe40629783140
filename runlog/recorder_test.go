package runlog_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/runlog"
)

// TestRecorder: the file is created at the first sample, or at Close of a
// whole run without one; a failed run that never sampled leaves what was
// there; a folder that does not exist is Create's error at Close.
func TestRecorder(t *testing.T) {
	const old = "an earlier run's log\n"
	for _, tc := range []struct {
		name     string
		existing bool // a log is there before the run
		missing  bool // its folder does not exist
		samples  int
		whole    bool
		want     string // the file after Close; "" none
		rows     int
		notExist bool // Close's error is fs.ErrNotExist
	}{
		{name: "samples", samples: 3, whole: true, want: "step,loss,grad_norm,lr,elapsed_s\n0,", rows: 3},
		{name: "samples of a failed run", samples: 2, whole: false, want: "step,loss,grad_norm,lr,elapsed_s\n0,", rows: 2},
		{name: "whole run without a sample", whole: true, want: "step,loss,grad_norm,lr,elapsed_s\n"},
		{name: "refused run", existing: true, want: old},
		{name: "refused run, no log", want: ""},
		{name: "replaced", existing: true, samples: 1, whole: true, want: "step,loss,grad_norm,lr,elapsed_s\n0,", rows: 1},
		{name: "missing folder", missing: true, samples: 2, whole: true, notExist: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log.csv")
			if tc.missing {
				path = filepath.Join(filepath.Dir(path), "no", "log.csv")
			}
			if tc.existing {
				if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			job := gdgpu.NewJob()
			r := runlog.NewRecorder(path, &job)
			hooks := gdgpu.Hooks{Sample: r.Sample}
			for i := range tc.samples {
				hooks.Sample(gdgpu.Sample{Step: 10 * i, Loss: 1, GradNorm: 2}, 0.1, time.Millisecond)
			}
			rows, err := r.Close(tc.whole)
			if tc.notExist {
				if !errors.Is(err, fs.ErrNotExist) || rows != 0 {
					t.Errorf("Close: %d rows, %v; want 0 and ErrNotExist", rows, err)
				}
				return
			}
			if err != nil || rows != tc.rows {
				t.Errorf("Close: %d rows, %v; want %d", rows, err, tc.rows)
			}
			b, err := os.ReadFile(path)
			switch {
			case tc.want == "" && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("a log was created: %q, %v", b, err)
			case tc.want == old && string(b) != old:
				t.Errorf("the earlier log became %q (%v)", b, err)
			case tc.want != "" && tc.want != old && (err != nil || !strings.HasPrefix(string(b), tc.want) || strings.Count(string(b), "\n") != 1+tc.rows):
				t.Errorf("log %q (%v), want %q then %d rows", b, err, tc.want, tc.rows)
			}
			if rows, err := r.Close(true); rows != 0 || err != nil {
				t.Errorf("a second Close: %d rows, %v", rows, err)
			}
		})
	}
}

// TestWriteError: the message names the file, and errors.Is sees the
// file system's error.
func TestWriteError(t *testing.T) {
	err := error(&runlog.WriteError{Path: "log.csv", Err: fs.ErrClosed})
	if got, want := err.Error(), "runlog: writing log.csv: file already closed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, fs.ErrClosed) {
		t.Error("errors.Is does not see the wrapped error")
	}
}

// TestRecorderSampleAfterClose: a sample after Close writes nothing.
func TestRecorderSampleAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.csv")
	job := gdgpu.NewJob()
	r := runlog.NewRecorder(path, &job)
	r.Sample(gdgpu.Sample{Step: 0, Loss: 1}, 0.1, 0)
	if rows, err := r.Close(true); rows != 1 || err != nil {
		t.Fatalf("Close: %d rows, %v", rows, err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r.Sample(gdgpu.Sample{Step: 1, Loss: 2}, 0.1, time.Second)
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the log changed after Close:\n%s", after)
	}
}
