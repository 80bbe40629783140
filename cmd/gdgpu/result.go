package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gdgpu/gdgpu/internal/fsutil"
	"github.com/gdgpu/gdgpu/report"
)

// The JSON results are the report package's: run --json prints a
// report.Run, compare --json a report.Compare, and --run-dir's
// summary.json is the report.Run with its paths relative to the folder.

// newRunResult describes o, a run of s's job on device devName. rel maps
// an output path to the form the result gives it.
func newRunResult(s *setup, o *outcome, devName string, rel func(string) string) report.Run {
	in := report.RunInput{
		Result:    o.res,
		Job:       &s.job,
		Entries:   jobEntries(s),
		Device:    devName,
		Precision: outPrecision(s),
		ExitCode:  statusExit(o.res.Status),
		Hint:      o.res.LRHint(&s.job, fieldFlag),
		Finished:  time.Now(),
		// A resumed run's rates count this process's steps.
		StepsBefore: o.res.StartStep,
	}
	if s.log != "" {
		in.Log = rel(s.log)
	}
	if s.out != "" {
		in.Params = rel(s.out)
		if s.model != nil {
			in.ModelCard = rel(s.out + ".json")
		}
	}
	return report.NewRun(in)
}

// writeRunSummary writes --run-dir's summary.json for a run that ended:
// the run's result, its paths relative to the folder.
func writeRunSummary(s *setup, o *outcome) error {
	res := newRunResult(s, o, s.devName, func(p string) string { return relTo(s.runDir, p) })
	res.JobFile = runDirJob
	b, err := json.MarshalIndent(&res, "", "  ")
	if err != nil {
		return fmt.Errorf("--run-dir %s: %w", s.runDir, err)
	}
	if err := os.WriteFile(filepath.Join(s.runDir, runDirSummary), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("--run-dir %s: %w", s.runDir, err)
	}
	return nil
}

// relTo gives path relative to dir, or absolute where no relative path
// leads there.
func relTo(dir, path string) string {
	if r, err := filepath.Rel(fsutil.Abs(dir), fsutil.Abs(path)); err == nil {
		return r
	}
	return fsutil.Abs(path)
}

// sameAsGiven leaves a path as the user gave it (run --json: relative to
// the working directory).
func sameAsGiven(p string) string { return p }

// printJSON writes v to w as indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return failure(fmt.Errorf("encoding the result: %w", err))
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return failure(fmt.Errorf("writing the result: %w", err))
	}
	return nil
}
