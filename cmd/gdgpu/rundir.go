package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/fsutil"
	"github.com/gdgpu/gdgpu/jobfile"
	"github.com/gdgpu/gdgpu/rundir"
	"github.com/spf13/cobra"
)

// The files --run-dir writes (package rundir's layout).
const (
	runDirJob     = rundir.JobFile
	runDirLog     = rundir.LogFile
	runDirParams  = rundir.ParamsFile
	runDirSummary = rundir.SummaryFile
	runDirCkpt    = rundir.CheckpointFile
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
	if err := jobfile.Check(runDirHeader, jobEntries(s)); err != nil { // before the folder is taken
		return usagef("--run-dir %s: %s", dir, strings.TrimPrefix(err.Error(), "jobfile: "))
	}
	// An existing folder is taken now, so that one in use is said to be in
	// use before any path is judged; a new one is made once they pass.
	unlock, err := rundir.Claim(dir)
	if err != nil {
		return runDirError(err)
	}
	s.unlock = unlock
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
		unlock, err := rundir.Create(dir)
		if err != nil {
			return runDirError(err)
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
	b.WriteString(runDirHeader)
	b.Write(jobfile.Encode(&s.job, jobSettings(s)))
	return []byte(b.String())
}

// runDirHeader is job.toml's first lines, before the job's.
const runDirHeader = "# gdgpu job: the effective flags of a run, written by --run-dir.\n" +
	"# gdgpu run job.toml repeats it (flags given after it override it).\n"

// jobSettings are the flags of s's effective job that are no Job field;
// --init's path is made absolute, so that job.toml runs from anywhere.
func jobSettings(s *setup) jobfile.Settings {
	set := jobfile.Settings{Device: s.device, GPU: s.gpu}
	if s.init != "" {
		set.Init = fsutil.Abs(s.init)
	}
	return set
}

// jobEntries lists the effective job's flags in the order job.toml gives
// them; the JSON results read it too (report.Job is the same list).
func jobEntries(s *setup) []jobfile.KeyValue { return jobfile.Entries(&s.job, jobSettings(s)) }

// outPrecision is the precision the run computed in: the CPU's is f64.
func outPrecision(s *setup) string {
	if s.device == "cpu" {
		return gdgpu.F64.String()
	}
	return s.job.Precision.String()
}

// runDirError is a rundir refusal or failure as --run-dir's: a path that
// is no folder, a folder in use, not empty, or that cannot be looked up or
// listed is a usage error (exit 2); a folder that cannot be made or locked
// a runtime error.
func runDirError(err error) error {
	var notFolder *rundir.NotFolderError
	var inUse *rundir.InUseError
	var notEmpty *rundir.NotEmptyError
	var op *rundir.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &notFolder):
		return usagef("--run-dir %s exists and is not a folder", notFolder.Dir)
	case errors.As(err, &inUse):
		return usagef("--run-dir %s is in use by another run (pid %s); give another folder", inUse.Dir, inUse.PID)
	case errors.As(err, &notEmpty):
		return usagef("--run-dir %s is not empty (it holds %s); give a new or empty folder", notEmpty.Dir, notEmpty.Name)
	case errors.As(err, &op) && (op.Op == "stat" || op.Op == "read"):
		return usagef("--run-dir %s: %v", op.Dir, fsutil.Cause(op.Err))
	case errors.As(err, &op):
		return failure(fmt.Errorf("--run-dir %s: %w", op.Dir, fsutil.Cause(op.Err)))
	}
	return failure(err)
}
