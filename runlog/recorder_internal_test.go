package runlog

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
)

// TestRecorderWriteFails: a log created but not written whole is a
// *WriteError at Close, with the rows counted.
func TestRecorderWriteFails(t *testing.T) {
	job := gdgpu.NewJob()
	path := filepath.Join(t.TempDir(), "log.csv")
	r := NewRecorder(path, &job)
	r.Sample(gdgpu.Sample{Loss: 1}, 0.1, time.Millisecond)
	if err := r.f.f.Close(); err != nil { // the file goes away under the log
		t.Fatal(err)
	}
	rows, err := r.Close(true)
	var we *WriteError
	if !errors.As(err, &we) || we.Path != path || rows != 1 {
		t.Errorf("Close: %d rows, %v; want 1 and a *WriteError for %s", rows, err, path)
	}
}
