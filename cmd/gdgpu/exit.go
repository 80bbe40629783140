package main

import "github.com/gdgpu/gdgpu"

// Exit codes of the gdgpu command, the same for every subcommand
// (README.md, "Exit codes"). A run that did what was asked succeeds,
// whichever rule stopped it; the status is in its output.
const (
	exitOK          = 0 // done: a run that ended without failing, an agreeing compare or gradcheck
	exitMismatch    = 1 // compare or gradcheck: beyond tolerance; compare: L-BFGS runs that branched
	exitUsage       = 2 // bad flags or bad input files, refused before any work
	exitFailure     = 3 // a runtime failure: no GL context, a shader, I/O
	exitDiverged    = 4 // the run ended with Diverged
	exitInterrupted = 5 // the run ended with Interrupted (SIGINT, SIGTERM)
)

// statusExit is the exit code of a run that ended with s: 0 for the step
// limit and for every stopping rule met (GradientThreshold,
// FunctionConvergence, FunctionThreshold, RuntimeLimit), 4 Diverged, 5
// Interrupted.
func statusExit(s gdgpu.Status) int {
	switch s {
	case gdgpu.Diverged:
		return exitDiverged
	case gdgpu.Interrupted:
		return exitInterrupted
	case gdgpu.StepLimit, gdgpu.GradientThreshold, gdgpu.FunctionConvergence, gdgpu.FunctionThreshold, gdgpu.RuntimeLimit:
		return exitOK
	}
	return exitFailure
}
