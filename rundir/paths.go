package rundir

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/internal/fsutil"
)

// A Path is a file a run reads or writes, and what the caller calls it in
// messages (a flag, "the job file").
type Path struct{ What, Path string }

// A ClashError is an output that names the same file as an input or as
// an earlier output.
type ClashError struct {
	Output Path // the output refused
	Other  Path // the input, or the earlier output, it names
	Input  bool // Other is an input
}

// Error names both paths, each with its What.
func (e *ClashError) Error() string {
	if e.Input {
		return fmt.Sprintf("rundir: %s %s is also %s %s (the same file): an output never replaces an input",
			e.Output.What, e.Output.Path, e.Other.What, e.Other.Path)
	}
	return fmt.Sprintf("rundir: %s %s and %s %s name the same file: one output would destroy the other",
		e.Other.What, e.Other.Path, e.Output.What, e.Output.Path)
}

// CheckPaths refuses, with a *ClashError and before any file is touched,
// an output that names the same file as an input or as another output:
// the same path, or the same file through a symbolic or hard link or a
// ../ (SameFile). Empty paths are left out. An output that names its own
// input on purpose (a checkpoint resumed from and written to, which the
// writer replaces atomically) is listed in both with the same What and
// allowed.
func CheckPaths(inputs, outputs []Path) error {
	for i, o := range outputs {
		if o.Path == "" {
			continue
		}
		for _, in := range inputs {
			if in.Path != "" && in.What != o.What && SameFile(o.Path, in.Path) {
				return &ClashError{Output: o, Other: in, Input: true}
			}
		}
		for _, p := range outputs[:i] {
			if p.Path != "" && SameFile(o.Path, p.Path) {
				return &ClashError{Output: o, Other: p}
			}
		}
	}
	return nil
}

// SameFile reports whether a and b name one file: where both exist, the
// same file after following links (compared by device and inode, so hard
// links too); else the same path once the links of their folders are
// followed (d1/x and d2/x with d2 a link to d1).
func SameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	return resolved(a) == resolved(b)
}

// resolved is path made absolute with its folder's links followed (the
// folder as it is, when that fails), and the file itself followed too
// where it is a link.
func resolved(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return abs(p)
	}
	// Split the path as given: made absolute (and so cleaned) first, a
	// "../" after a linked folder would be taken as text, before the link
	// is followed (linkdir/../x is not ./x when linkdir is a link).
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	return filepath.Join(abs(dir), base)
}

// abs is path made absolute and cleaned (path itself if that fails).
func abs(path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	return p
}

// A Reason says why an output is refused.
type Reason int

// The reasons of an OutputError.
const (
	IsFolder   Reason = iota + 1 // the path is a folder
	NotRegular                   // the path is a fifo, a device, a socket
	ReadOnly                     // the file exists and its owner may not write it
	Unwritable                   // the folder does not take a new file
	Dangling                     // a symbolic link that leads nowhere
)

// An OutputError is an output path refused before anything is written.
type OutputError struct {
	What, Path string
	Reason     Reason
	Mode       fs.FileMode // NotRegular, ReadOnly: the file's mode
	Err        error       // Unwritable, Dangling: the cause, without the path
}

// Error names the output, with its What, and the reason.
func (e *OutputError) Error() string {
	p := "rundir: " + e.What + " " + e.Path
	switch e.Reason {
	case IsFolder:
		return p + " is a folder"
	case NotRegular:
		return fmt.Sprintf("%s is not a regular file but a %s", p, data.FileKind(e.Mode))
	case ReadOnly:
		return fmt.Sprintf("%s is read-only (mode %04o)", p, e.Mode.Perm())
	case Unwritable:
		return fmt.Sprintf("%s: cannot write in folder %s: %v", p, filepath.Dir(e.Path), e.Err)
	case Dangling:
		return fmt.Sprintf("%s is a symbolic link that leads nowhere (%v)", p, e.Err)
	}
	return p + " is refused"
}

// Unwrap returns the cause, if any.
func (e *OutputError) Unwrap() error { return e.Err }

// CheckWritable reports whether a file can be created in path's folder,
// by creating and removing a temporary one there (.NAME.check*, which
// Empty passes over): path itself is not touched. A folder that takes no
// file is an *OutputError with Reason Unwritable.
func CheckWritable(what, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".check*")
	if err != nil {
		return &OutputError{What: what, Path: path, Reason: Unwritable, Err: fsutil.Cause(err)}
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// CheckOutput refuses, with an *OutputError, an output path that exists
// and is not a regular file its owner may write (a read-only file is a
// marker respected, root or not), or whose folder does not take a new
// file. Nothing is created or truncated.
func CheckOutput(what, path string) error {
	if st, err := os.Stat(path); err == nil {
		switch m := st.Mode(); {
		case m.IsDir():
			return &OutputError{What: what, Path: path, Reason: IsFolder, Mode: m}
		case !m.IsRegular():
			return &OutputError{What: what, Path: path, Reason: NotRegular, Mode: m}
		case m.Perm()&0o200 == 0:
			return &OutputError{What: what, Path: path, Reason: ReadOnly, Mode: m}
		}
	}
	return CheckWritable(what, path)
}

// FollowOutput settles an output before a run: where path is a symbolic
// link it returns the link's target, which the run is to write (an atomic
// writer would replace the link itself otherwise), and refuses one that
// leads nowhere; then it checks the file (CheckOutput).
func FollowOutput(what, path string) (string, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return path, &OutputError{What: what, Path: path, Reason: Dangling, Err: fsutil.Cause(err)}
		}
		path = target
	}
	return path, CheckOutput(what, path)
}
