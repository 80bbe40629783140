package data

import (
	"fmt"
	"io/fs"
	"os"
)

// CheckRegular returns an error when path names something that exists and
// is not a regular file (after following links); a missing file is left
// to the open that follows, which says so. The readers call it before they
// open a file: opening a
// fifo blocks until something writes to it (a process substitution's
// /dev/fd/N, or a fifo nobody writes), and a stream can be read only once,
// where a dataset must be read again to resume a run or repeat a job.
func CheckRegular(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return nil
	}
	switch m := st.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return fmt.Errorf("%s is a directory, not a regular file", path)
	default:
		return fmt.Errorf("%s is not a regular file but a %s; save it to a file first", path, FileKind(m))
	}
}

// FileKind names a non-regular file's type ("fifo (a pipe or process
// substitution)", "character device", ...).
func FileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "fifo (a pipe or process substitution)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
