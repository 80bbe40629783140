// Package fsutil holds the two path helpers that gdgpu's file-handling
// packages (jobfile, rundir, the root package) and the command line share.
package fsutil

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// Cause drops the operation and path of an *fs.PathError, which the
// caller's message names already ("job file x.toml: no such file or
// directory", not "...: open x.toml: no such file or directory"); other
// errors are returned as they are.
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Abs returns path made absolute, or path itself when that fails (the
// working folder is gone).
func Abs(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
