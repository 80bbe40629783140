package gdgpu

import "fmt"

// Status says why a run stopped. It is not an error: a run that stops
// because it diverged has still run correctly. Each Status has its own exit
// code for the command-line tool (see ExitCode and README.md).
type Status int

const (
	// NotTerminated: the run has not stopped yet.
	NotTerminated Status = iota
	// StepLimit: the requested number of steps ran.
	StepLimit
	// Diverged: the loss or gradient norm became NaN or Inf.
	Diverged
	// Interrupted: the context was cancelled (SIGINT, SIGTERM).
	Interrupted
	// GradientThreshold: the gradient norm fell to Job.GradTol or below.
	GradientThreshold
	// FunctionConvergence: the loss changed by at most Job.FuncTol
	// (relative) over the last Job.FuncWindow samples. For the CPU-only
	// gonum methods it also means the line search could make no more
	// progress (cpu.Minimize documents the mapping).
	FunctionConvergence
	// FunctionThreshold: the loss fell to Job.LossTarget or below.
	FunctionThreshold
	// RuntimeLimit: the run reached Job.TimeLimit of wall time.
	RuntimeLimit
)

// String names the status as it appears in summaries and logs.
func (s Status) String() string {
	switch s {
	case NotTerminated:
		return "NotTerminated"
	case StepLimit:
		return "StepLimit"
	case Diverged:
		return "Diverged"
	case Interrupted:
		return "Interrupted"
	case GradientThreshold:
		return "GradientThreshold"
	case FunctionConvergence:
		return "FunctionConvergence"
	case FunctionThreshold:
		return "FunctionThreshold"
	case RuntimeLimit:
		return "RuntimeLimit"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Exit codes of the gdgpu command. Each Status has its own (ExitCode); the
// others are for errors and comparisons. The converged statuses (10-12) are
// successes with a reason; scripts that only want "did it fail" can treat
// 0 and 10-13 as success.
const (
	ExitOK                  = 0  // the run ended with StepLimit; compare or gradcheck agreed
	ExitMismatch            = 1  // compare: backends disagree beyond tolerance
	ExitUsage               = 2  // bad flags or bad input files, refused before any work
	ExitError               = 3  // a runtime failure: no GL context, a shader, I/O
	ExitDiverged            = 4  // the run ended with Diverged
	ExitInterrupted         = 5  // the run ended with Interrupted
	ExitGradientThreshold   = 10 // the run ended with GradientThreshold
	ExitFunctionConvergence = 11 // the run ended with FunctionConvergence
	ExitFunctionThreshold   = 12 // the run ended with FunctionThreshold
	ExitRuntimeLimit        = 13 // the run ended with RuntimeLimit
)

// ExitCode returns the command's exit code for a run that ended with s.
func (s Status) ExitCode() int {
	switch s {
	case StepLimit:
		return ExitOK
	case Diverged:
		return ExitDiverged
	case Interrupted:
		return ExitInterrupted
	case GradientThreshold:
		return ExitGradientThreshold
	case FunctionConvergence:
		return ExitFunctionConvergence
	case FunctionThreshold:
		return ExitFunctionThreshold
	case RuntimeLimit:
		return ExitRuntimeLimit
	}
	return ExitError
}
