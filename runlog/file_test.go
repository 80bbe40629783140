package runlog_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/runlog"
)

func TestCreate(t *testing.T) {
	job := gdgpu.NewJob()
	const header = "step,loss,grad_norm,lr,elapsed_s\n"
	for _, tc := range []struct {
		name   string
		before string // the file's content before; "" for no file
		rows   int
		want   string
	}{
		{"new", "", 0, header},
		{"replaces an old log", "old,log\n1,2\n", 1, header + "0,2,3,0.1,1.000000\n"},
		{"rows", "", 2, header + "0,2,3,0.1,1.000000\n1,2,3,0.1,1.000000\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "log.csv")
			if tc.before != "" {
				if err := os.WriteFile(path, []byte(tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			l, err := runlog.Create(path, &job)
			if err != nil {
				t.Fatal(err)
			}
			// The header is in place before any row, for a reader
			// following the run.
			if b, _ := os.ReadFile(path); string(b) != header {
				t.Errorf("after Create: %q, want the header", b)
			}
			for i := range tc.rows {
				l.Row(gdgpu.Sample{Step: i, Loss: 2, GradNorm: 3}, 0.1, time.Second)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want || l.Rows() != tc.rows {
				t.Errorf("log %q with %d rows, want %q with %d", b, l.Rows(), tc.want, tc.rows)
			}
			st, err := os.Stat(path)
			if err != nil || st.Mode().Perm() != 0o644 {
				t.Errorf("mode %v (%v), want 0644", st.Mode(), err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("%d files in the folder, want the log alone", len(ents))
			}
		})
	}
}

func TestCreateRefused(t *testing.T) {
	// A folder that does not exist: the file system's error, and nothing
	// is created.
	job := gdgpu.NewJob()
	dir := t.TempDir()
	_, err := runlog.Create(filepath.Join(dir, "no", "log.csv"), &job)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Create in a missing folder: %v, want ErrNotExist", err)
	}
	// A folder in the log's place: the rename fails and the temporary
	// file is removed.
	path := filepath.Join(dir, "log.csv")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := runlog.Create(path, &job); err == nil {
		t.Error("Create over a folder succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries left, want the folder alone", len(ents))
	}
}
