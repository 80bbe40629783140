package main

import (
	"errors"
	"slices"
	"strings"

	"github.com/gdgpu/gdgpu"
)

// fieldFlags are the flags of the fields the library's refusals name
// (gdgpu.FieldError). An optimizer's hyperparameter, Optimizer.NAME, is
// --NAME; the schedule's fields come from schedParams.
var fieldFlags = func() map[string]string {
	m := map[string]string{
		"Job.Problem":            "--problem",
		"Job.Objective":          "--objective",
		"Job.Dim":                "--dim",
		"Job.Cond":               "--cond",
		"Job.Steps":              "--steps",
		"Job.LogEvery":           "--log-every",
		"Job.GradTol":            "--grad-tol",
		"Job.FuncTol":            "--func-tol",
		"Job.FuncWindow":         "--func-window",
		"Job.LossTarget":         "--loss-target",
		"Job.ClipNorm":           "--clip-grad-norm",
		"Job.ClipValue":          "--clip-grad-value",
		"Job.TimeLimit":          "--time-limit",
		"Job.CheckpointEvery":    "--checkpoint-every",
		"Job.CheckpointInterval": "--checkpoint-interval",
		"Job.Precision":          "--precision",
		"Job.Loss":               "--loss",
		"Job.Delta":              "--delta",
		"Job.L1":                 "--l1",
		"Job.L2":                 "--l2",
		"Job.BatchSize":          "--batch-size",
		"Job.Hidden":             "--hidden",
		"Job.Activation":         "--activation",
		"Job.LeakySlope":         "--leaky-slope",
		"Job.InitScheme":         "--init-scheme",
		"Job.NoIntercept":        "--intercept=false",
		"Optimizer.Name":         "--optimizer",
		"Schedule.Kind":          "--schedule",
		"DataSpec.File":          "--data",
		"DataSpec.Target":        "--target",
		"DataSpec.Features":      "--features",
		"DataSpec.NumFeatures":   "--features",
		"DataSpec.Synthetic":     "--synthetic",
		"DataSpec.Samples":       "--samples",
		"DataSpec.Classes":       "--classes",
		"DataSpec.Noise":         "--noise",
		"DataSpec.Standardize":   "--standardize",
		"DataSpec.ValFraction":   "--val-fraction",
		"DataSpec.Task":          "--mlp-task",
		"ReadModel.path":         "--model",
		"ReadRows.path":          "--data",
		"Options.GPU":            "--gpu",
		"Options.Width":          "--size",
		"Options.Height":         "--size",
		"Options.StepsPerFrame":  "--every",
		"Options.Bounds":         "--bounds",
		"PictureOptions.Width":   "--size",
		"PictureOptions.Height":  "--size",
		"PictureOptions.Bounds":  "--bounds",
		"WriteFrames.every":      "--every",
		"RacerSpec.Text":         "--race", // viewer's, view's
		"RaceRequest.Racers":     "--race",
		"RaceRequest.Every":      "--every",
		"RaceRequest.Width":      "--size",
		"RaceRequest.Bounds":     "--bounds",
		"ReadSeries.logY":        "--log-y", // viewer's, plot's
		"cpu.Open":               "--device cpu",
		"Open.name":              "--device", // device.Open's
		"engine.Devices":         "'gdgpu info --devices'",
		"gdgpu.ProblemNames":     "gdgpu list",
		"gdgpu.NewModelCard":     "gdgpu run --out",
		"Job.Seed":               "--seed",
		"JobRequest.Device":      "--device",
		"JobRequest.InitFile":    "--init",
		"JobRequest.Intercept":   "--intercept",
		"JobRequest.Epochs":      "--epochs",
		"JobRequest.Resume":      "--resume",
		"Request.Points":         "--points", // gradcheck.Request's
		"Request.Device":         "--device",
		"gdgpu.Run":              "gdgpu run",
		"Run.x0":                 "--init",
		"Config.Sizes":           "--sizes", // bench.Config, gdgpu bench's
		"Config.Precision":       "--precision",
		"Config.Reps":            "--reps",
		"Config.LoopSteps":       "--loop-steps",
		"Config.Objective":       "--objective",
		"Config.LBFGS":           "--lbfgs",
		"Config.MLP":             "--mlp",
		"Config.MLPHidden":       "--mlp-hidden",
		"Config.MLPBatches":      "--mlp-batches",
		"Config.GEMMSizes":       "--gemm-sizes",
		"Config.GEMMBlocks":      "--gemm-blocks",
	}
	for _, p := range schedParams {
		m["Schedule."+p.Field] = "--" + p.flag
	}
	return m
}()

// fieldFlag is the flag of a field a gdgpu.FieldError names; a field
// without one keeps its Go name, which still says what is wrong.
func fieldFlag(field string) string {
	if fl, ok := fieldFlags[field]; ok {
		return fl
	}
	if h, ok := strings.CutPrefix(field, "Optimizer."); ok {
		return "--" + h
	}
	return field
}

// alsoFlags are the flags that set a field beside its own:
// --objective-file gives the objective too. (--epochs is
// gdgpu.JobRequest's own field, JobRequest.Epochs.)
var alsoFlags = map[string][]string{"Job.Objective": {"objective-file"}}

// fieldGiven answers, for gdgpu.JobRequest.Given, whether a flag of the
// field was given (changed): its flag in fieldFlags, without dashes and
// value, or one of alsoFlags.
func fieldGiven(changed func(string) bool) func(field string) bool {
	return func(field string) bool {
		if fl, ok := strings.CutPrefix(fieldFlag(field), "--"); ok {
			fl, _, _ = strings.Cut(fl, "=") // --intercept=false
			fl, _, _ = strings.Cut(fl, " ") // --device cpu
			if changed(fl) {
				return true
			}
		}
		return slices.ContainsFunc(alsoFlags[field], changed)
	}
}

// inFlags is err's message with the command line's flags in place of the
// fields a *gdgpu.FieldError in its chain names (flag: fieldFlag, or a
// command's own).
func inFlags(err error, flag func(string) string) string {
	s := err.Error()
	// A FieldError may report another (viewer's refusal of a racer whose
	// job is invalid): each one's text is in the message of the one above.
	for e := err; e != nil; {
		var fe *gdgpu.FieldError
		if !errors.As(e, &fe) {
			break
		}
		// Wrappers drop the package prefix of fe's message, not its text.
		goNames := fe.Format(func(f string) string { return f })
		s = strings.Replace(s, goNames, fe.Format(flag), 1)
		e = fe.Unwrap()
	}
	return s
}

// flagError is an error whose message names flags (inFlags), for the
// messages usagef and failure build.
type flagError struct{ err error }

func (e flagError) Error() string { return inFlags(e.err, fieldFlag) }
func (e flagError) Unwrap() error { return e.err }

// flagText is a descriptor's text (a Summary, a Start) with the command
// line's flags for the fields it names (gdgpu.NameFields).
func flagText(s string) string { return gdgpu.NameFields(s, fieldFlag) }
