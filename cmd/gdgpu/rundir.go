package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/jobfile"
	"github.com/spf13/cobra"
)

// The files --run-dir writes.
const (
	runDirJob     = "job.toml"
	runDirLog     = "log.csv"
	runDirParams  = "params.npy"
	runDirSummary = "summary.json"
	runDirCkpt    = "checkpoint"
	// runDirLock is the lock a run holds on its folder (flock(2), released
	// by the kernel when the process ends, however it ends): it holds the
	// pid, and is removed when the run ends.
	runDirLock = ".gdgpu.lock"
)

// addRunDirFlag registers --run-dir on cmd.
func addRunDirFlag(cmd *cobra.Command) *string {
	dir := new(string)
	cmd.Flags().StringVar(dir, "run-dir", "", "write the effective job ("+runDirJob+"), the log ("+runDirLog+"), the final parameters ("+runDirParams+
		") and a summary ("+runDirSummary+") into the new or empty folder `DIR`; --log and --out, when given, still win")
	return dir
}

// prepareRunDir creates dir (refusing one that exists and is not empty),
// points --out and --log into it unless they were given, runs check on
// the final paths before anything is written, and writes the effective
// job there. Without dir it only runs check. Refusals are usage errors;
// I/O failures runtime errors.
func prepareRunDir(cmd *cobra.Command, f *jobFlags, s *setup, dir string, check func() error) error {
	if dir == "" {
		return check()
	}
	switch st, err := os.Stat(dir); {
	case err == nil && !st.IsDir():
		return usagef("--run-dir %s exists and is not a folder", dir)
	case err == nil:
		// Its lock first, so that a folder in use is said to be in use,
		// whatever files its run has made there so far.
		unlock, err := lockEmptyRunDir(dir)
		if err != nil {
			return err
		}
		s.unlock = unlock
	case !os.IsNotExist(err):
		return usagef("--run-dir %s: %v", dir, unwrapPath(err))
	}
	if !cmd.Flags().Changed("out") {
		s.out = filepath.Join(dir, runDirParams)
	}
	if !cmd.Flags().Changed("log") {
		s.log = filepath.Join(dir, runDirLog)
	}
	// The run's checkpoint goes there too (one at the end and on SIGINT, more
	// with --checkpoint-every/--checkpoint-interval), except for the gonum
	// methods, which cannot be checkpointed.
	if info, _ := gdgpu.LookupOptimizer(s.job.Optimizer.Name); s.ckpt != nil && s.ckpt.path == "" && !info.CPUOnly {
		s.ckpt.path = filepath.Join(dir, runDirCkpt)
	}
	if err := check(); err != nil { // the paths, before anything is written
		if s.unlock != nil {
			s.unlock()
			s.unlock = nil
		}
		return err
	}
	if s.unlock == nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return failure(fmt.Errorf("--run-dir %s: %w", dir, unwrapPath(err)))
		}
		// Under the lock, the folder is judged again: a run that started
		// beside this one may have made it and filled it since it was
		// found missing.
		unlock, err := lockEmptyRunDir(dir)
		if err != nil {
			return err
		}
		s.unlock = unlock
	}
	s.runDir = dir
	job := effectiveJob(s)
	if err := os.WriteFile(filepath.Join(dir, runDirJob), job, 0o644); err != nil {
		s.unlock()
		s.unlock = nil
		return failure(fmt.Errorf("--run-dir %s: %w", dir, err))
	}
	return nil
}

// effectiveJob renders s's job as a job file (jobfile.Encode): every flag
// that defines the job, with its final value (defaults resolved), so that
// gdgpu run job.toml repeats the run. The file holds only flags run and
// compare share, and none of the output paths (--out, --log, --run-dir).
func effectiveJob(s *setup) []byte {
	var b strings.Builder
	b.WriteString("# gdgpu job: the effective flags of a run, written by --run-dir.\n")
	b.WriteString("# gdgpu run job.toml repeats it (flags given after it override it).\n")
	b.Write(jobfile.Encode(&s.job, jobSettings(s)))
	return []byte(b.String())
}

// jobSettings are the flags of s's effective job that are no Job field;
// --init's path is made absolute, so that job.toml runs from anywhere.
func jobSettings(s *setup) jobfile.Settings {
	set := jobfile.Settings{Device: s.device, GPU: s.gpu}
	if s.init != "" {
		set.Init = absPath(s.init)
	}
	return set
}

// jobEntries lists the effective job's flags in the order job.toml gives
// them; the JSON results (jobObject) read it.
func jobEntries(s *setup) []jobfile.KeyValue { return jobfile.Entries(&s.job, jobSettings(s)) }

// outPrecision is the precision the run computed in: the CPU's is f64.
func outPrecision(s *setup) string {
	if s.device == "cpu" {
		return gdgpu.F64.String()
	}
	return s.job.Precision.String()
}

// lockRunDir takes dir's lock for this process (runDirLock), or refuses,
// naming the pid of the run that holds it. The returned function removes
// the lock file and releases the lock.
func lockRunDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, runDirLock)
	var f *os.File
	for try := 0; ; try++ {
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			return nil, failure(fmt.Errorf("--run-dir %s: %w", dir, unwrapPath(err)))
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			holder, _ := os.ReadFile(path)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, usagef("--run-dir %s is in use by another run (pid %s); give another folder", dir, strings.TrimSpace(string(holder)))
			}
			return nil, failure(fmt.Errorf("--run-dir %s: locking %s: %w", dir, runDirLock, err))
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
			return nil, failure(fmt.Errorf("--run-dir %s: %s keeps being replaced", dir, runDirLock))
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

// runDirEmpty refuses a --run-dir that holds anything but a job file and a
// lock file. A folder holding only the job file is a run that failed
// before writing anything else (no GL context, say): it may be retried. A
// lock file is a killed run's, or a running one's, which the lock tells
// apart.
func runDirEmpty(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return usagef("--run-dir %s: %v", dir, unwrapPath(err))
	}
	for _, e := range ents {
		// A run stopped at once (a signal before its work) may have left
		// one of its temporary files (.NAME.check*, .NAME.tmp*).
		if n := e.Name(); strings.HasPrefix(n, ".") && (strings.Contains(n, ".check") || strings.Contains(n, ".tmp")) {
			continue
		}
		if e.Name() != runDirJob && e.Name() != runDirLock {
			return usagef("--run-dir %s is not empty (it holds %s); give a new or empty folder", dir, e.Name())
		}
	}
	return nil
}

// lockEmptyRunDir takes dir's lock (lockRunDir), then refuses the folder,
// releasing the lock, unless it is empty but for a job file
// (runDirEmpty).
func lockEmptyRunDir(dir string) (unlock func(), err error) {
	if unlock, err = lockRunDir(dir); err != nil {
		return nil, err
	}
	if err := runDirEmpty(dir); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}
