// Package rundir is a run's folder and its files: the names a run writes
// there (the layout), the lock a run holds on its folder so that two runs
// never share one, and the checks that keep a run's outputs from
// replacing its inputs or one another, made before anything is written.
//
// Its errors are typed, prefixed "rundir: ", and name a path by what the
// caller calls it (Path.What, an output's what), never by a name of their
// own: the command line passes its flags as those names and adds its
// advice to the message.
package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The files of a run folder.
const (
	JobFile        = "job.toml"     // the effective job, which repeats the run
	LogFile        = "log.csv"      // the CSV run log (package runlog)
	ParamsFile     = "params.npy"   // the final parameters
	SummaryFile    = "summary.json" // the result
	CheckpointFile = "checkpoint"   // the run's checkpoint (gdgpu.WriteCheckpoint)
	// LockFile is the lock a run holds on its folder (flock(2), released
	// by the kernel when the process ends, however it ends): it holds the
	// pid, and is removed when the run ends.
	LockFile = ".gdgpu.lock"
)

// An InUseError is a folder whose lock another run holds.
type InUseError struct {
	Dir string
	PID string // the holder's pid, as its lock file gives it
}

// Error says the folder is in use and by which pid.
func (e *InUseError) Error() string {
	return fmt.Sprintf("rundir: %s is in use by another run (pid %s)", e.Dir, e.PID)
}

// A NotEmptyError is a folder that holds another run's files.
type NotEmptyError struct {
	Dir  string
	Name string // the first file found that no new run may find there
}

// Error says the folder is not empty and names a file it holds.
func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("rundir: %s is not empty (it holds %s)", e.Dir, e.Name)
}

// A NotFolderError is a run folder's path that exists and is not a
// folder.
type NotFolderError struct{ Dir string }

// Error says the path is no folder.
func (e *NotFolderError) Error() string {
	return fmt.Sprintf("rundir: %s exists and is not a folder", e.Dir)
}

// An Error is an operation on a run folder that failed.
type Error struct {
	// Op is what failed: "stat" (looking the path up), "create" (making
	// the folder), "lock" (opening or locking LockFile) or "read"
	// (listing the folder).
	Op  string
	Dir string
	Err error // the cause; an *os.PathError names the file too
}

// ErrNoDir refuses an empty folder name: Lock, Claim and Create would
// otherwise take the working folder's lock or fail with an empty path.
var ErrNoDir = errors.New("rundir: no folder given (an empty name)")

// Error names the folder and the cause.
func (e *Error) Error() string { return "rundir: " + e.Dir + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Lock takes dir's lock (LockFile) for this process, or refuses with an
// *InUseError naming the pid of the run that holds it; other failures are
// an *Error with Op "lock". The returned function removes the lock file
// and releases the lock.
func Lock(dir string) (unlock func(), err error) {
	if dir == "" {
		return nil, ErrNoDir
	}
	path := filepath.Join(dir, LockFile)
	var f *os.File
	for try := 0; ; try++ {
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			return nil, &Error{"lock", dir, err}
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			holder, _ := os.ReadFile(path)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &InUseError{dir, strings.TrimSpace(string(holder))}
			}
			return nil, &Error{"lock", dir, fmt.Errorf("locking %s: %w", LockFile, err)}
		}
		// The holder removes the file as it lets go: a lock taken on the
		// file it had removed (opened before, locked after) is no lock on
		// the one at path now. Take that one.
		fi, ferr := f.Stat()
		pi, perr := os.Stat(path)
		if ferr == nil && perr == nil && os.SameFile(fi, pi) {
			break
		}
		f.Close()
		if try == 10 {
			return nil, &Error{"lock", dir, fmt.Errorf("%s keeps being replaced", LockFile)}
		}
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	return func() {
		os.Remove(path) // while still holding the lock: no other run took the file
		f.Close()
	}, nil
}

// Empty refuses, with a *NotEmptyError, a folder that holds anything but
// a job file, a lock file and the temporary files of a run stopped at
// once; a folder it cannot list is an *Error with Op "read". A folder
// holding only the job file is a run that failed before writing anything
// else (no GL context, say): it may be retried. A lock file is a killed
// run's, or a running one's, which the lock tells apart.
func Empty(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return &Error{"read", dir, err}
	}
	for _, e := range ents {
		// A run stopped at once (a signal before its work) may have left
		// one of its temporary files (.NAME.check*, .NAME.tmp*).
		if n := e.Name(); strings.HasPrefix(n, ".") && (strings.Contains(n, ".check") || strings.Contains(n, ".tmp")) {
			continue
		}
		if e.Name() != JobFile && e.Name() != LockFile {
			return &NotEmptyError{dir, e.Name()}
		}
	}
	return nil
}

// LockEmpty takes dir's lock (Lock), then refuses the folder, releasing
// the lock, unless it is Empty: the lock first, so that a folder in use
// is said to be in use, whatever files its run has made there so far.
func LockEmpty(dir string) (unlock func(), err error) {
	if unlock, err = Lock(dir); err != nil {
		return nil, err
	}
	if err := Empty(dir); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// Claim takes dir for a run where it exists: a folder, Empty, whose lock
// it takes (LockEmpty); a path that is no folder is a *NotFolderError, one
// that cannot be looked up an *Error with Op "stat". Where dir does not
// exist, Claim creates nothing and returns a nil unlock: the caller checks
// its paths, then calls Create once the run is known to start, so that a
// refused run leaves no folder behind.
func Claim(dir string) (unlock func(), err error) {
	if dir == "" {
		return nil, ErrNoDir
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return nil, &NotFolderError{dir}
	case err == nil:
		return LockEmpty(dir)
	case !os.IsNotExist(err):
		return nil, &Error{"stat", dir, err}
	}
	return nil, nil
}

// Create makes dir (with its parents; an *Error with Op "create" where
// that fails) and takes it (LockEmpty), which judges it again under the
// lock: a run that started beside this one may have made it and filled it
// since Claim found it missing.
func Create(dir string) (unlock func(), err error) {
	if dir == "" {
		return nil, ErrNoDir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &Error{"create", dir, err}
	}
	return LockEmpty(dir)
}
