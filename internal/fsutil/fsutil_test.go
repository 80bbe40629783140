package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCause: a PathError gives its cause; other errors, and nil, pass.
func TestCause(t *testing.T) {
	_, err := os.Open(filepath.Join(t.TempDir(), "missing"))
	if got := Cause(err); !errors.Is(got, fs.ErrNotExist) || got.Error() != "no such file or directory" {
		t.Errorf("Cause(%v) = %v", err, got)
	}
	other := errors.New("x")
	if Cause(other) != other || Cause(nil) != nil {
		t.Error("Cause changed an error that is no PathError")
	}
}

// TestAbs: a relative path is made absolute under the working folder.
func TestAbs(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got := Abs("a/../b.npy"); got != filepath.Join(wd, "b.npy") {
		t.Errorf("Abs = %q", got)
	}
	if got := Abs("/x/y"); got != "/x/y" {
		t.Errorf("Abs(/x/y) = %q", got)
	}
}
