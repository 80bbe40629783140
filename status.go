package gdgpu

import "fmt"

// Status says why a run stopped. It is not an error: a run that stops
// because it diverged has still run correctly. (The command-line tool maps
// statuses to its exit codes; README.md lists them.)
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

// Message says in a sentence why the run stopped, as the message of
// scipy's OptimizeResult does.
func (s Status) Message() string {
	switch s {
	case NotTerminated:
		return "the run has not stopped"
	case StepLimit:
		return "the requested number of steps ran"
	case Diverged:
		return "the loss or the gradient became NaN or infinite"
	case Interrupted:
		return "the run was interrupted"
	case GradientThreshold:
		return "the gradient norm fell to the tolerance"
	case FunctionConvergence:
		return "the loss stopped changing by more than the tolerance"
	case FunctionThreshold:
		return "the loss fell to the target"
	case RuntimeLimit:
		return "the run reached its time limit"
	}
	return s.String()
}
